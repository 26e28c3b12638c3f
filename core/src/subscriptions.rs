//! The provider's view of tenant subscriptions (`Microsoft.Subscriptions.Admin/subscriptions`,
//! api-version 2015-11-01), so usage can be tied to owners.

use serde_json::Value;
use uuid::Uuid;

use crate::arm::{self, Page, encode_query};
use crate::client::Client;
use crate::error::{Error, Result};

pub(crate) const API_VERSION: &str = "2015-11-01";

/// A guard against a server that keeps handing out nextLinks.
const MAX_PAGES: usize = 10_000;

/// A tenant subscription as the admin endpoint lists it: who owns it, under which offer and which
/// provider subscription.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSubscription {
    /// The ARM resource id (`/subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/...`).
    pub id: Option<String>,
    /// The GUID usage records name as the subscription (`subscriberId` for the provider API).
    pub subscription_id: String,
    /// The name the tenant gave it.
    pub display_name: Option<String>,
    /// The owner's sign-in name (UPN).
    pub owner: Option<String>,
    /// `Enabled`, `Disabled`, `Deleted` ...: whether it is in use.
    pub state: Option<String>,
    /// The resource id of the offer it was created from.
    pub offer_id: Option<String>,
    /// The directory (tenant) the subscription belongs to; not a subscription id.
    pub tenant_id: Option<String>,
    /// The provider subscription that sold it (a reseller's, or the Default Provider Subscription).
    pub delegated_provider_subscription_id: Option<String>,
    /// `Default` or `Admin`: which Resource Manager the subscription is served by.
    pub routing_resource_manager_type: Option<String>,
    /// True when the provider subscription the list was read under is this subscription's own provider
    /// (its delegatedProviderSubscriptionId). A delegated provider's (reseller's) tenant is false: the
    /// provider usage API of that provider subscription neither reports it nor accepts it as subscriberId
    /// (`SubscriberIdIsNotDirectTenant`); its usage is reported to its delegated provider. Decided here, not
    /// by each caller, so every binding applies the same rule.
    #[serde(default)]
    pub is_direct_tenant: bool,
}

impl UserSubscription {
    fn judge(mut self, provider: &Uuid) -> Self {
        self.is_direct_tenant =
            is_direct_tenant(provider, self.delegated_provider_subscription_id.as_deref());
        self
    }
}

/// A subscription without a delegatedProviderSubscriptionId has no provider but the one it is listed under.
fn is_direct_tenant(provider: &Uuid, delegated_provider: Option<&str>) -> bool {
    match delegated_provider.map(str::trim).filter(|d| !d.is_empty()) {
        None => true,
        Some(d) => Uuid::parse_str(d).is_ok_and(|d| d == *provider),
    }
}

/// Lists tenant subscriptions under the provider subscription, following nextLink; `filter` is an OData
/// `$filter` passed through. A filter on `subscriptionId` that finds nothing because the GUID is a listed
/// subscription's directory (tenant) id is `NotFound`, naming that subscription; otherwise an empty list.
pub fn list(
    client: &Client,
    provider_subscription: &str,
    filter: Option<&str>,
) -> Result<Vec<UserSubscription>> {
    let listed = list_pages(client, provider_subscription, filter)?;
    if listed.is_empty() {
        if let Some(given) = filter.and_then(filtered_subscription_id) {
            if let Some(hint) = tenant_id_hint(client, provider_subscription, &given) {
                return Err(Error::NotFound {
                    message: format!(
                        "no tenant subscription of provider subscription {} matches the filter: {hint}",
                        provider_subscription.trim()
                    ),
                    service: None,
                });
            }
        }
    }
    Ok(listed)
}

fn list_pages(
    client: &Client,
    provider_subscription: &str,
    filter: Option<&str>,
) -> Result<Vec<UserSubscription>> {
    let provider = provider_guid(provider_subscription)?;
    let url = client.arm_url(&list_path(provider_subscription, filter)?)?;
    let arm = client.environment().resource_manager.clone();
    arm::follow(&arm, url, MAX_PAGES, |url| {
        let response = client.get_json(url)?;
        let page = parse_list(&response.body)?;
        Ok(Page {
            items: page.items.into_iter().map(|s| s.judge(&provider)).collect(),
            next_link: page.next_link,
        })
    })
}

/// A subscription as ARM's `GET /subscriptions` lists it for the caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmSubscription {
    /// The GUID other calls take as the subscription.
    pub subscription_id: String,
    /// The name shown in the portal.
    pub display_name: Option<String>,
    /// `Enabled`, `Disabled`, ...: whether it can be used.
    pub state: Option<String>,
    /// The directory (tenant) the subscription belongs to.
    pub tenant_id: Option<String>,
}

/// The subscriptions the caller can see on this endpoint (`GET /subscriptions`).
pub fn visible(client: &Client) -> Result<Vec<ArmSubscription>> {
    let url = client.arm_url("subscriptions?api-version=2016-06-01")?;
    let response = client.get_json(&url)?;
    let json: Value = serde_json::from_slice(&response.body).map_err(|e| {
        Error::unexpected_from(format!("subscriptions: the body is not JSON ({e})"), e)
    })?;
    let values = json
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| unexpected("subscriptions: the body has no \"value\" array".to_string()))?;
    values
        .iter()
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|e| {
                Error::unexpected_from(
                    format!("subscriptions: an item is not a subscription ({e})"),
                    e,
                )
            })
        })
        .collect()
}

/// The display name Azure Stack Hub gives the operator's provider subscription (usage-api.md: `{subId}` of
/// the provider API).
const DEFAULT_PROVIDER_NAME: &str = "Default Provider Subscription";

/// The operator's Default Provider Subscription on an admin endpoint: the visible subscription of that
/// display name (any case). Nothing else qualifies, not even the only subscription visible: a tenant
/// principal sees just its own subscription, and treating that as the provider's would query the wrong
/// API. `NotFound` when no subscription has the name.
pub fn default_provider_subscription(client: &Client) -> Result<String> {
    let visible = visible(client)?;
    pick_default_provider(&visible).ok_or_else(|| Error::NotFound {
        message: format!(
            "no subscription named '{DEFAULT_PROVIDER_NAME}' is visible on {} ({} subscriptions visible): connect to the admin endpoint as an operator (adminmanagement.*), or give the provider subscription id",
            client.environment().resource_manager,
            visible.len()
        ),
        service: None,
    })
}

fn pick_default_provider(visible: &[ArmSubscription]) -> Option<String> {
    visible
        .iter()
        .find(|s| {
            s.display_name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(DEFAULT_PROVIDER_NAME))
        })
        .map(|s| s.subscription_id.clone())
}

/// One tenant subscription under the provider subscription (`GET .../subscriptions/{subscription}`),
/// judged as `list` judges each. A subscription the service does not know there is `NotFound`.
pub fn get(
    client: &Client,
    provider_subscription: &str,
    subscription: &str,
) -> Result<UserSubscription> {
    let url = client.arm_url(&get_path(provider_subscription, subscription)?)?;
    let response = client.get_json(&url).map_err(|e| {
        let e = e.not_found_as(|| {
            format!(
                "'{}' is not a tenant subscription of provider subscription {}",
                subscription.trim(),
                provider_subscription.trim()
            )
        });
        match e {
            Error::NotFound { message, service } => {
                let hint = arm::parse_guid(subscription)
                    .and_then(|given| tenant_id_hint(client, provider_subscription, &given));
                Error::NotFound {
                    message: match hint {
                        Some(hint) => format!("{message}; {hint}"),
                        None => message,
                    },
                    service,
                }
            }
            other => other,
        }
    })?;
    Ok(parse_one(&response.body)?.judge(&provider_guid(provider_subscription)?))
}

/// When `given` is no subscription but a listed one's directory (tenant) id, what to tell the caller: the
/// two GUIDs sit side by side in the portal and are easily swapped. None when the list cannot be read (the
/// NotFound stands as it is) or no subscription has that directory.
fn tenant_id_hint(client: &Client, provider_subscription: &str, given: &Uuid) -> Option<String> {
    let listed = list_pages(client, provider_subscription, None).ok()?;
    tenant_id_hint_among(&listed, given)
}

fn tenant_id_hint_among(listed: &[UserSubscription], given: &Uuid) -> Option<String> {
    let owner = listed.iter().find(|s| {
        s.tenant_id
            .as_deref()
            .and_then(arm::parse_guid)
            .is_some_and(|t| t == *given)
    })?;
    Some(format!(
        "{given} is the directory (tenant) id of subscription {} ({}); give the subscription id",
        owner.subscription_id,
        owner.display_name.as_deref().unwrap_or("no display name")
    ))
}

/// The GUID of a `subscriptionId eq '<guid>'` clause of an OData filter (any case), if it has one.
fn filtered_subscription_id(filter: &str) -> Option<Uuid> {
    let lower = filter.to_ascii_lowercase();
    lower
        .match_indices("subscriptionid")
        .find_map(|(at, name)| {
            // Not a longer name that ends in it (delegatedProviderSubscriptionId).
            if lower[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return None;
            }
            let rest = lower[at + name.len()..].trim_start();
            let rest = rest.strip_prefix("eq")?.trim_start();
            let rest = rest.strip_prefix('\'')?;
            let end = rest.find('\'')?;
            arm::parse_guid(&rest[..end])
        })
}

/// The subscription commands work in, and its directory, chosen from what the account sees.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkingSubscription {
    /// The subscription, or None when the caller named none and the account does not see exactly one.
    pub subscription_id: Option<String>,
    /// The directory of that subscription when the visible list says it (None otherwise: the caller falls
    /// back to the token's tenant).
    pub tenant_id: Option<String>,
}

/// The working subscription among `visible` (what `visible` returned, or nothing when that look-up was not
/// made or failed). A `requested` subscription is taken when the account sees it, or when nothing is known
/// of what it sees (an admin endpoint lists the provider's own subscriptions, not the tenants' a caller may
/// name); one the account demonstrably does not see is `NotFound`, naming those it does. Without one, the
/// only visible subscription; None when there are several or none (the caller must then name one).
pub fn working_subscription(
    visible: &[ArmSubscription],
    requested: Option<&str>,
) -> Result<WorkingSubscription> {
    let requested = requested.map(str::trim).filter(|r| !r.is_empty());
    if let Some(requested) = requested {
        guid("subscription_id", requested, "a subscription")?;
    }
    let matched = match requested {
        Some(requested) => {
            let found = visible
                .iter()
                .find(|s| s.subscription_id.trim().eq_ignore_ascii_case(requested));
            if found.is_none() && !visible.is_empty() {
                let seen: Vec<&str> = visible.iter().map(|s| s.subscription_id.as_str()).collect();
                return Err(Error::NotFound {
                    message: format!(
                        "Subscription '{requested}' is not among those the account sees ({}).",
                        seen.join(", ")
                    ),
                    service: None,
                });
            }
            found
        }
        None => match visible {
            [only] => Some(only),
            _ => None,
        },
    };
    Ok(WorkingSubscription {
        subscription_id: requested
            .map(str::to_string)
            .or_else(|| matched.map(|s| s.subscription_id.clone())),
        tenant_id: matched
            .and_then(|s| s.tenant_id.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    })
}

fn guid(what: &'static str, value: &str, whose: &str) -> Result<Uuid> {
    arm::parse_guid(value).ok_or_else(|| {
        Error::invalid(
            what,
            format!("'{value}' is not a GUID; give the id of {whose} (like 8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b)."),
        )
    })
}

fn provider_guid(provider_subscription: &str) -> Result<Uuid> {
    guid(
        "subscriptionId",
        provider_subscription,
        "the provider subscription (the Default Provider Subscription for the operator)",
    )
}

/// `subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version=...[&$filter=...]`,
/// relative to the Resource Manager URL.
fn list_path(provider_subscription: &str, filter: Option<&str>) -> Result<String> {
    let provider = provider_guid(provider_subscription)?;
    let mut params = vec![("api-version", API_VERSION)];
    if let Some(filter) = filter.filter(|f| !f.trim().is_empty()) {
        params.push(("$filter", filter));
    }
    Ok(format!(
        "subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/subscriptions?{}",
        encode_query(&params)
    ))
}

fn get_path(provider_subscription: &str, subscription: &str) -> Result<String> {
    let provider = provider_guid(provider_subscription)?;
    let subscription = guid("subscription", subscription, "the tenant subscription")?;
    Ok(format!(
        "subscriptions/{provider}/providers/Microsoft.Subscriptions.Admin/subscriptions/{subscription}?{}",
        encode_query(&[("api-version", API_VERSION)])
    ))
}

fn unexpected(message: String) -> Error {
    Error::unexpected(message)
}

fn parse_list(body: &[u8]) -> Result<Page<UserSubscription>> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        Error::unexpected_from(format!("subscription list: the body is not JSON ({e})"), e)
    })?;
    let Some(values) = json.get("value").and_then(Value::as_array) else {
        return Err(unexpected(
            "subscription list: the body has no \"value\" array".to_string(),
        ));
    };
    let subscriptions = values
        .iter()
        .enumerate()
        .map(|(i, v)| subscription(v, &format!("subscription list: item {i}")))
        .collect::<Result<Vec<_>>>()?;
    let next_link = match json.get("nextLink") {
        None | Some(Value::Null) => None,
        Some(Value::String(link)) if link.trim().is_empty() => None,
        Some(Value::String(link)) => Some(link.clone()),
        Some(_) => {
            return Err(unexpected(
                "subscription list: nextLink is not a string".to_string(),
            ));
        }
    };
    Ok(Page {
        items: subscriptions,
        next_link,
    })
}

fn parse_one(body: &[u8]) -> Result<UserSubscription> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        Error::unexpected_from(format!("subscription: the body is not JSON ({e})"), e)
    })?;
    subscription(&json, "subscription")
}

/// One subscription definition. The admin API sends the fields at the top level; a definition that nests
/// them under "properties" (the ARM resource shape) is read from there. `context` begins the messages.
fn subscription(value: &Value, context: &str) -> Result<UserSubscription> {
    let Some(object) = value.as_object() else {
        return Err(unexpected(format!("{context}: not a JSON object")));
    };
    let source = match object.get("properties") {
        Some(Value::Object(p)) if !object.contains_key("subscriptionId") => {
            let mut merged = p.clone();
            if let Some(id) = object.get("id") {
                merged.entry("id").or_insert_with(|| id.clone());
            }
            Value::Object(merged)
        }
        _ => value.clone(),
    };
    serde_json::from_value(source).map_err(|e| Error::unexpected_from(format!("{context}: {e}"), e))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    const PROVIDER: &str = "20ff7fc3-e762-44dd-bd96-b71116dcdc23";

    fn example(name: &str) -> Value {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "../tests/fixtures/specs/azsadmin/resource-manager/subscriptions/Microsoft.Subscriptions.Admin/preview/2015-11-01/examples/Subscriptions/{name}"
        ));
        serde_json::from_str(&std::fs::read_to_string(file).expect("fixture")).expect("JSON")
    }

    fn body(example: &Value) -> Vec<u8> {
        example["responses"]["200"]["body"].to_string().into_bytes()
    }

    #[test]
    fn a_subscription_id_filter_is_recognised() {
        let id = "8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b";
        let want = Uuid::parse_str(id).ok();
        assert_eq!(
            filtered_subscription_id(&format!("subscriptionId eq '{id}'")),
            want
        );
        assert_eq!(
            filtered_subscription_id(&format!(
                "delegatedProviderSubscriptionId eq '{id}' and SUBSCRIPTIONID eq '{id}'"
            )),
            want
        );
        assert_eq!(
            filtered_subscription_id(&format!("delegatedProviderSubscriptionId eq '{id}'")),
            None
        );
        assert_eq!(filtered_subscription_id("state eq 'Enabled'"), None);
    }

    #[test]
    fn a_tenant_id_is_named_with_its_subscription() {
        let tenant = Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap();
        let sub: UserSubscription = serde_json::from_value(serde_json::json!({
            "subscriptionId": "8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b",
            "displayName": "Contoso dev",
            "tenantId": tenant.to_string().to_uppercase(),
        }))
        .unwrap();
        let hint = tenant_id_hint_among(std::slice::from_ref(&sub), &tenant).expect("a hint");
        assert!(hint.contains(&tenant.to_string()), "{hint}");
        assert!(
            hint.contains("8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b (Contoso dev)"),
            "{hint}"
        );
        assert!(hint.contains("directory (tenant) id"), "{hint}");
        assert_eq!(tenant_id_hint_among(&[sub], &Uuid::nil()), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            list_path(PROVIDER, None).expect("path"),
            "subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version=2015-11-01"
        );
        assert_eq!(
            list_path(&PROVIDER.to_uppercase(), Some("owner eq 'a+b@contoso.com'")).expect("path"),
            "subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version=2015-11-01&$filter=owner%20eq%20%27a%2Bb%40contoso.com%27"
        );
        assert_eq!(
            list_path(PROVIDER, Some(" ")).expect("path"),
            list_path(PROVIDER, None).expect("path")
        );
        assert_eq!(
            get_path(PROVIDER, "C79389AF-4480-48CC-8FA2-EE8CED8E843D").expect("path"),
            "subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Subscriptions.Admin/subscriptions/c79389af-4480-48cc-8fa2-ee8ced8e843d?api-version=2015-11-01"
        );
        assert!(matches!(
            list_path("provider", None),
            Err(Error::InvalidArgument {
                what: "subscriptionId",
                ..
            })
        ));
        assert!(matches!(
            get_path(PROVIDER, "../x"),
            Err(Error::InvalidArgument {
                what: "subscription",
                ..
            })
        ));
    }

    #[test]
    fn default_provider_is_found_by_name_only() {
        let sub = |id: &str, name: &str| ArmSubscription {
            subscription_id: id.into(),
            display_name: Some(name.into()),
            state: None,
            tenant_id: None,
        };
        let both = [
            sub("a", "Metering Subscription"),
            sub("b", "Default Provider Subscription"),
        ];
        assert_eq!(pick_default_provider(&both).as_deref(), Some("b"));
        assert_eq!(
            pick_default_provider(&[sub("c", "default provider subscription")]).as_deref(),
            Some("c")
        );
        // The only subscription visible is not the provider's unless it has the name.
        assert_eq!(pick_default_provider(&[sub("c", "Something")]), None);
        assert_eq!(pick_default_provider(&[sub("a", "x"), sub("c", "y")]), None);
        assert_eq!(pick_default_provider(&[]), None);
    }

    #[test]
    fn working_subscription_rule() {
        const A: &str = "aaaaaaaa-0000-0000-0000-000000000001";
        const B: &str = "bbbbbbbb-0000-0000-0000-000000000002";
        let sub = |id: &str, tenant: Option<&str>| ArmSubscription {
            subscription_id: id.into(),
            display_name: None,
            state: None,
            tenant_id: tenant.map(str::to_string),
        };
        let pick = |visible: &[ArmSubscription], requested: Option<&str>| {
            working_subscription(visible, requested).map(|w| (w.subscription_id, w.tenant_id))
        };
        let one = [sub(A, Some("tenant-a"))];
        let two = [sub(A, Some("tenant-a")), sub(B, None)];
        // The only visible one, with its directory; none of several, or of nothing.
        assert_eq!(
            pick(&one, None).unwrap(),
            (Some(A.into()), Some("tenant-a".into()))
        );
        assert_eq!(pick(&two, None).unwrap(), (None, None));
        assert_eq!(pick(&[], None).unwrap(), (None, None));
        assert_eq!(pick(&one, Some(" ")).unwrap(), pick(&one, None).unwrap());
        // A named one the account sees (any case), as given.
        assert_eq!(
            pick(&two, Some(&A.to_uppercase())).unwrap(),
            (Some(A.to_uppercase()), Some("tenant-a".into()))
        );
        assert_eq!(pick(&two, Some(B)).unwrap(), (Some(B.into()), None));
        // Named while nothing is known of what the account sees: taken as is.
        assert_eq!(pick(&[], Some(B)).unwrap(), (Some(B.into()), None));
        // Named and demonstrably not seen.
        let err = pick(&one, Some(B)).unwrap_err();
        assert!(
            matches!(err, Error::NotFound { service: None, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains(A) && err.to_string().contains(B),
            "{err}"
        );
        // Not a subscription id at all.
        assert!(matches!(
            pick(&one, Some("../x")),
            Err(Error::InvalidArgument {
                what: "subscription_id",
                ..
            })
        ));
    }

    #[test]
    fn list_example() {
        let page = parse_list(&body(&example("List.json"))).expect("list");
        assert_eq!(page.next_link, None);
        assert_eq!(page.items.len(), 4);
        let first = &page.items[0];
        assert_eq!(
            first.subscription_id,
            "5144634d-7e4d-443b-a304-d27e44220fc6"
        );
        assert_eq!(first.display_name.as_deref(), Some("sfsdf"));
        assert_eq!(
            first.owner.as_deref(),
            Some("tenantadmin1@msazurestack.onmicrosoft.com")
        );
        assert_eq!(first.state.as_deref(), Some("Enabled"));
        assert_eq!(
            first.tenant_id.as_deref(),
            Some("d9b782d5-d098-4374-8f2c-3907cc34611c")
        );
        assert_eq!(
            first.delegated_provider_subscription_id.as_deref(),
            Some("8158498d-27b1-4ccf-9aa1-de0f925731e6")
        );
        assert_eq!(
            first.routing_resource_manager_type.as_deref(),
            Some("Default")
        );
        assert!(
            first
                .offer_id
                .as_deref()
                .is_some_and(|o| o.ends_with("/offers/balaoffer"))
        );
        assert!(first.id.as_deref().is_some_and(|i| i.ends_with("/subscriptions/5144634d-7e4d-443b-a304-d27e44220fc6")));
    }

    #[test]
    fn direct_tenants_are_those_of_the_listing_provider() {
        let provider = Uuid::parse_str(PROVIDER).expect("guid");
        assert!(is_direct_tenant(&provider, Some(PROVIDER)));
        assert!(is_direct_tenant(&provider, Some(&PROVIDER.to_uppercase())));
        assert!(is_direct_tenant(&provider, None));
        assert!(is_direct_tenant(&provider, Some(" ")));
        assert!(!is_direct_tenant(
            &provider,
            Some("8158498d-27b1-4ccf-9aa1-de0f925731e6")
        ));
        assert!(!is_direct_tenant(&provider, Some("not-a-guid")));
        // The field travels to the bindings under its camelCase name.
        let page = parse_list(&body(&example("List.json"))).expect("list");
        let judged = page.items[0].clone().judge(&provider);
        let json = serde_json::to_value(&judged).expect("json");
        assert_eq!(json["isDirectTenant"], json!(false));
    }

    #[test]
    fn get_example() {
        let one = parse_one(&body(&example("Get.json"))).expect("get");
        assert_eq!(one.subscription_id, "c79389af-4480-48cc-8fa2-ee8ced8e843d");
        assert_eq!(one.display_name.as_deref(), Some("Test Subscription"));
    }

    #[test]
    fn next_links_and_odd_shapes() {
        let page = parse_list(
            json!({"value": [{"subscriptionId": "s", "owner": null}], "nextLink": "https://h/next"})
                .to_string()
                .as_bytes(),
        )
        .expect("page");
        assert_eq!(page.next_link.as_deref(), Some("https://h/next"));
        assert_eq!(page.items[0].owner, None);
        let page = parse_list(br#"{"value":[],"nextLink":""}"#).expect("page");
        assert_eq!(page.next_link, None);

        // Nested under "properties".
        let nested =
            json!({"id": "/x", "properties": {"subscriptionId": "s", "state": "Disabled"}});
        let one = parse_one(nested.to_string().as_bytes()).expect("nested");
        assert_eq!(
            (one.id.as_deref(), one.state.as_deref()),
            (Some("/x"), Some("Disabled"))
        );

        for (bad, expected) in [
            (&b"{}"[..], "no \"value\" array"),
            (
                b"{\"value\":[{\"owner\":\"a\"}]}",
                "item 0: missing field `subscriptionId`",
            ),
            (b"{\"value\":[],\"nextLink\":1}", "nextLink is not a string"),
            (b"oops", "not JSON"),
        ] {
            match parse_list(bad) {
                Err(Error::UnexpectedResponse { message: m, .. }) => {
                    assert!(m.contains(expected), "{m}")
                }
                Err(other) => panic!("{other:?}"),
                Ok(_) => panic!("accepted {}", String::from_utf8_lossy(bad)),
            }
        }
    }
}
