//! Scopes: what a lock or role assignment sits on (the subscription, a resource group, a registration), how
//! they nest, and the resource ids they stand for.

use uuid::Uuid;

/// A scope inside the one Azure subscription. Names keep the caller's spelling; comparisons ignore case,
/// as ARM's do.
#[derive(Debug, Clone)]
pub enum Scope {
    Subscription,
    ResourceGroup(String),
    Registration {
        resource_group: String,
        name: String,
    },
}

impl Scope {
    /// The scope of the segments before `/providers/Microsoft.Authorization/...` (original spelling), after
    /// `subscriptions/{id}`.
    pub fn parse(segments: &[&str]) -> Option<Scope> {
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        match lower.as_slice() {
            [] => Some(Scope::Subscription),
            ["resourcegroups", _] => Some(Scope::ResourceGroup(segments[1].to_string())),
            [
                "resourcegroups",
                _,
                "providers",
                "microsoft.azurestack",
                "registrations",
                _,
            ] => Some(Scope::Registration {
                resource_group: segments[1].to_string(),
                name: segments[5].to_string(),
            }),
            _ => None,
        }
    }

    pub fn resource_group(&self) -> Option<&str> {
        match self {
            Scope::Subscription => None,
            Scope::ResourceGroup(rg)
            | Scope::Registration {
                resource_group: rg, ..
            } => Some(rg),
        }
    }

    /// `self` is `other` or one of its parents.
    pub fn contains(&self, other: &Scope) -> bool {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match (self, other) {
            (Scope::Subscription, _) => true,
            (Scope::ResourceGroup(a), _) => other.resource_group().is_some_and(|b| same(a, b)),
            (
                Scope::Registration {
                    resource_group: a,
                    name: n,
                },
                Scope::Registration {
                    resource_group: b,
                    name: m,
                },
            ) => same(a, b) && same(n, m),
            (Scope::Registration { .. }, _) => false,
        }
    }

    /// One of the two contains the other: what a list at a scope shows (inherited and nested items).
    pub fn related(&self, other: &Scope) -> bool {
        self.contains(other) || other.contains(self)
    }

    pub fn id(&self, subscription: Uuid) -> String {
        match self {
            Scope::Subscription => format!("/subscriptions/{subscription}"),
            Scope::ResourceGroup(rg) => {
                format!("/subscriptions/{subscription}/resourceGroups/{rg}")
            }
            Scope::Registration {
                resource_group,
                name,
            } => registration_id(subscription, resource_group, name),
        }
    }
}

pub fn registration_id(
    subscription: impl std::fmt::Display,
    resource_group: &str,
    name: &str,
) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.AzureStack/registrations/{name}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_case() {
        let sub = Scope::Subscription;
        let rg = Scope::parse(&["resourceGroups", "AzureStack"]).unwrap();
        let reg = Scope::parse(&[
            "resourcegroups",
            "azurestack",
            "providers",
            "Microsoft.AzureStack",
            "registrations",
            "R1",
        ])
        .unwrap();
        let other = Scope::parse(&["resourceGroups", "other"]).unwrap();
        assert!(sub.contains(&reg) && rg.contains(&reg) && reg.contains(&reg));
        assert!(!reg.contains(&rg) && !other.contains(&reg));
        assert!(reg.related(&rg) && !other.related(&reg));
        assert!(Scope::parse(&["resourceGroups"]).is_none());
    }
}
