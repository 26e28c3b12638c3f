//! The stamp's own record of its activation: `Microsoft.AzureBridge.Admin/activations/default` on the admin
//! Resource Manager (api-version 2016-01-01), read by `-Reregister` to recover the registration. It is
//! only read here: the privileged endpoint creates and removes it (reference §2.8: deleting it directly
//! broke disconnected stamps).

use crate::arm;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::subscriptions::default_provider_subscription;

pub(crate) const ACTIVATION_API_VERSION: &str = "2016-01-01";
pub(crate) const ACTIVATION_RESOURCE_GROUP: &str = "azurestack-activation";

/// The stamp's `Microsoft.AzureStack/activations/default` resource: that the stamp is activated, for which
/// registration, until when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activation {
    /// The ARM resource id.
    pub id: Option<String>,
    /// The resource name (`default`).
    pub name: Option<String>,
    /// `Microsoft.AzureStack/activations`.
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    /// The stamp's region.
    pub location: Option<String>,
    /// What the activation says.
    #[serde(default)]
    pub properties: ActivationProperties,
}

/// The properties of an [`Activation`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationProperties {
    /// The name shown for the activation.
    pub display_name: Option<String>,
    /// The Azure registration's resource id (its subscription is the one registration used).
    pub azure_registration_resource_identifier: Option<String>,
    /// `Succeeded` once the activation has been applied.
    pub provisioning_state: Option<String>,
    /// When the activation lapses (RFC 3339; far future for pay-as-you-use).
    pub expiration: Option<String>,
    /// Whether Marketplace items can be downloaded.
    pub marketplace_syndication_enabled: Option<bool>,
    /// Whether the stamp reports usage to Azure.
    pub usage_reporting_enabled: Option<bool>,
}

/// The activation of the stamp `client` (an admin-endpoint client) points at; `NotFound` when the stamp is
/// not activated. The Default Provider Subscription is looked up first.
pub fn activation(client: &Client) -> Result<Activation> {
    // No Default Provider Subscription means the client is not an operator's, not that the stamp is not
    // activated: `NotFound` here is reserved for the latter.
    let subscription = default_provider_subscription(client).map_err(|e| match e {
        Error::NotFound { message, .. } => Error::invalid("client", message),
        other => other,
    })?;
    activation_in(client, &subscription)
}

/// The activation, given the Default Provider Subscription id.
pub fn activation_in(client: &Client, provider_subscription: &str) -> Result<Activation> {
    let path = format!(
        "subscriptions/{}/resourceGroups/{ACTIVATION_RESOURCE_GROUP}/providers/Microsoft.AzureBridge.Admin/activations/default",
        arm::guid("subscription_id", provider_subscription)?
    );
    let url = arm::url(client, &path, ACTIVATION_API_VERSION, &[])?;
    log::debug!("reading the stamp's activation");
    arm::get(client, &url, || {
        "the stamp's activation (the stamp is not activated)".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/specs/azsadmin/resource-manager/azurebridge/Microsoft.AzureBridge.Admin/preview/2016-01-01/examples/Activation"
    );

    fn example(name: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn every_activation_example_parses() {
        for name in ["Get.json", "Create.json"] {
            let example = example(name);
            for (status, response) in example["responses"].as_object().unwrap() {
                let Some(body) = response.get("body") else {
                    continue;
                };
                let a: Activation = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{name} {status}: {e}"));
                assert_eq!(a.location.as_deref(), Some("local"));
                assert_eq!(
                    a.properties.display_name.as_deref(),
                    Some("Azure Stack Activation")
                );
                assert_eq!(
                    a.properties.expiration.as_deref(),
                    Some("9999-12-30T15:59:59")
                );
                assert!(
                    a.properties
                        .azure_registration_resource_identifier
                        .as_deref()
                        .is_some_and(
                            |id| id.contains("/providers/Microsoft.AzureStack/registrations/")
                        )
                );
                assert!(a.properties.marketplace_syndication_enabled.is_some());
            }
        }
        let list = example("List.json");
        let value = &list["responses"]["200"]["body"]["value"];
        let all: Vec<Activation> = serde_json::from_value(value.clone()).unwrap();
        assert!(!all.is_empty());
        assert!(
            all.iter()
                .all(|a| a.properties.provisioning_state.is_some())
        );
    }
}
