//! `Microsoft.Subscriptions.Admin/subscriptions` (api-version 2015-11-01): the operator's list of tenant
//! subscriptions with their owners, so usage can be tied to people.

use crate::dataset::{Subscription, SubscriptionState};
use crate::http::ArmError;

pub const API_VERSION: &str = "2015-11-01";

pub fn definition(provider_subscription: &str, s: &Subscription) -> serde_json::Value {
    serde_json::json!({
        "id": format!("/subscriptions/{provider_subscription}/providers/Microsoft.Subscriptions.Admin/subscriptions/{}", s.id),
        "subscriptionId": s.id,
        "delegatedProviderSubscriptionId": s.delegated_provider_subscription_id,
        "displayName": s.display_name,
        "owner": s.owner,
        "tenantId": s.tenant_id,
        "routingResourceManagerType": "Default",
        "offerId": s.offer_id,
        "state": match s.state {
            SubscriptionState::Enabled => "Enabled",
            SubscriptionState::Disabled => "Disabled",
            SubscriptionState::Deleted => "Deleted",
        },
    })
}

/// Applies a `$filter` of `property eq 'value'` clauses joined by `and` (the form operators use, e.g.
/// `owner eq 'user@contoso.com'` or `state eq 'Enabled'`); anything else is refused with a clear message.
pub fn filter(filter: Option<&str>) -> Result<Vec<(String, String)>, ArmError> {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut clauses = Vec::new();
    for clause in split_and(filter) {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        let valid = parts.len() == 3 && parts[1].eq_ignore_ascii_case("eq");
        let value = parts
            .get(2)
            .map(|v| v.trim())
            .and_then(|v| v.strip_prefix('\'')?.strip_suffix('\''));
        let property = parts[0].to_string();
        let known = [
            "subscriptionId",
            "displayName",
            "owner",
            "tenantId",
            "offerId",
            "state",
            "delegatedProviderSubscriptionId",
        ];
        match (valid, value) {
            (true, Some(value)) if known.iter().any(|k| k.eq_ignore_ascii_case(&property)) => {
                clauses.push((property, value.to_string()));
            }
            _ => {
                return Err(ArmError::bad_request(
                    "InvalidFilter",
                    format!(
                        "The $filter '{filter}' is not supported. Use clauses of the form property eq 'value' joined by 'and', on {}.",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(clauses)
}

fn split_and(filter: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = filter;
    while let Some(pos) = rest.to_ascii_lowercase().find(" and ") {
        parts.push(&rest[..pos]);
        rest = &rest[pos + 5..];
    }
    parts.push(rest);
    parts
}

pub fn matches(definition: &serde_json::Value, clauses: &[(String, String)]) -> bool {
    clauses.iter().all(|(property, value)| {
        let object = definition.as_object();
        let field = object.and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(property))
                .map(|(_, v)| v)
        });
        field
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let def = serde_json::json!({"owner": "a@b.c", "state": "Enabled"});
        let clauses = filter(Some("owner eq 'A@b.c' and state eq 'Enabled'")).unwrap();
        assert!(matches(&def, &clauses));
        assert!(!matches(&def, &filter(Some("state eq 'Deleted'")).unwrap()));
        assert_eq!(
            filter(Some("startswith(owner,'a')")).unwrap_err().code,
            "InvalidFilter"
        );
        assert!(filter(None).unwrap().is_empty());
    }
}
