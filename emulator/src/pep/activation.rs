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
