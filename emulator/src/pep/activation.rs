//! `New-AzureStackActivation`: verifies an activation key (the Azure side's signature, this stamp's cloud
//! id, not expired) and keeps the activation the admin ARM endpoint shows as `activations/default`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Pep;
use super::params::Bound;
use super::protocol::PepError;
use crate::azure::KeyRejection;

/// The stamp's activation.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The Azure registration's resource id.
    pub registration_id: String,
    pub billing_model: String,
    pub expiration: DateTime<Utc>,
    pub usage_reporting_enabled: bool,
    pub marketplace_syndication_enabled: bool,
}

impl Pep {
    pub(super) fn new_activation(&self, args: &Bound) -> Result<Value, PepError> {
        let key = args.text("ActivationKey").unwrap_or_default();
        let claims = self.azure.verify_activation_key(key).map_err(|e| {
            PepError::runtime(match e {
                KeyRejection::Malformed => {
                    "The activation key is not valid: it is not a signed Azure Stack activation key."
                }
                KeyRejection::Signature => {
                    "The activation key is not valid: its signature could not be verified."
                }
            })
        })?;
        let cloud_id = self.settings.stamp.cloud_id;
        if !claims.cloud_id.eq_ignore_ascii_case(&cloud_id.to_string()) {
            return Err(PepError::runtime(format!(
                "The activation key was issued for cloud identifier '{}', not this stamp's ('{cloud_id}').",
                claims.cloud_id
            )));
        }
        if claims.expires <= Utc::now() {
            return Err(PepError::runtime(format!(
                "The activation key expired on {}. Renew the registration and get a new activation key.",
                claims.expires.format("%Y-%m-%dT%H:%M:%SZ")
            )));
        }
        tracing::info!(registration = %claims.registration_id(), "stamp activated");
        self.lock_state().activation = Some(Activation {
            registration_id: claims.registration_id(),
            billing_model: claims.billing_model.clone(),
            expiration: claims.expires,
            usage_reporting_enabled: claims.usage_reporting_enabled,
            marketplace_syndication_enabled: claims.marketplace_syndication_enabled,
        });
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use crate::config::StampConfig;
    use crate::identity::IdentityMode;
    use crate::pep::{Pep, PepSettings, StampVersion};

    fn pep(azure: Arc<crate::azure::Azure>) -> Pep {
        Pep::new(
            PepSettings {
                stamp: StampConfig {
                    version: StampVersion::DEFAULT,
                    number_of_nodes: 4,
                    cloud_id: Uuid::from_u128(7),
                    deployment_id: Uuid::from_u128(8),
                },
                password: "secret".into(),
                directory_tenant_id: Uuid::new_v4(),
                identity_system: IdentityMode::Aad,
                admin_arm: "https://127.0.0.1:3/".into(),
                tenant_arm: "https://127.0.0.1:4/".into(),
                region: "local".into(),
            },
            azure,
        )
    }

    fn claims(expires: &str) -> serde_json::Value {
        json!({
            "subscriptionId": Uuid::new_v4(), "resourceGroupName": "azurestack", "registrationName": "r1",
            "cloudId": Uuid::from_u128(7), "objectId": Uuid::new_v4(), "billingModel": "Capacity",
            "expires": expires, "usageReportingEnabled": false, "marketplaceSyndicationEnabled": true,
        })
    }

    #[test]
    fn expired_keys_are_refused_and_live_ones_activate() {
        let azure = Arc::new(crate::azure::test_azure());
        let pep = pep(azure.clone());
        let yesterday = (Utc::now() - chrono::Days::new(1)).to_rfc3339();
        let expired = azure.sign_activation_claims(&claims(&yesterday));
        let error = pep
            .run(
                "New-AzureStackActivation",
                json!({"ActivationKey": expired})
                    .as_object()
                    .cloned()
                    .unwrap(),
            )
            .unwrap_err();
        assert_eq!(error.kind, "RuntimeException");
        assert!(error.message.contains("expired"), "{}", error.message);
        assert!(pep.activation().is_none());

        let next_year = (Utc::now() + chrono::Days::new(365)).to_rfc3339();
        let live = azure.sign_activation_claims(&claims(&next_year));
        pep.run(
            "New-AzureStackActivation",
            json!({"ActivationKey": live}).as_object().cloned().unwrap(),
        )
        .unwrap();
        let activation = pep.activation().unwrap();
        assert!(activation.marketplace_syndication_enabled && !activation.usage_reporting_enabled);
        assert!(activation.registration_id.ends_with(
            "/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/r1"
        ));
        assert!(pep.remove_activation());
        assert!(!pep.remove_activation());
    }
}
