//! Activation keys: compact RS256 JWS whose claims are those of the public example's key, signed with a key
//! only the Azure side holds. The stamp (privileged endpoint model) verifies them with the public half.

use chrono::{DateTime, Utc};

use super::Azure;
use super::state::Registration;
use crate::http::ArmError;

/// `expires` of a key that does not expire, as Azure writes it.
pub const NEVER: &str = "9999-12-30T23:59:59.9999999Z";

/// Azure's certificate pinning data carried by every key (the public example's values).
const ROOT_SUBJECT: &str = "CN=Baltimore CyberTrust Root, OU=CyberTrust, O=Baltimore, C=IE";
const INTERMEDIATE_THUMBPRINTS: &[&str] = &[
    "A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436",
    "1FB86B1168EC743154062E8C9CC5B171A4B7CCB4",
];

/// When a key of this registration expires: Capacity registrations a year after they were (re)created
/// ("the yearly subscription expires"), every other model never.
fn expires(registration: &Registration) -> String {
    if registration
        .token
        .billing_model
        .eq_ignore_ascii_case("Capacity")
    {
        let at = registration.renewed_at + chrono::Days::new(365);
        // Seven fractional digits (.NET's ticks), as Azure writes its times; chrono has no such format.
        let ticks = chrono::Timelike::nanosecond(&at) / 100;
        return format!("{}.{ticks:07}Z", at.format("%Y-%m-%dT%H:%M:%S"));
    }
    NEVER.to_string()
}

impl Azure {
    /// Signs the activation key of a registration.
    pub(super) fn activation_key(&self, registration: &Registration) -> Result<String, ArmError> {
        let token = &registration.token;
        let flag = |name: &str| {
            token
                .claims
                .get(name)
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        let arm = self.settings.arm_url.trim_end_matches('/');
        let claims = serde_json::json!({
            "subscriptionId": self.settings.subscription_id,
            "resourceGroupName": registration.resource_group,
            "registrationName": registration.name,
            "certPinningRootSubjects": [ROOT_SUBJECT],
            "certPinningIntermediateThumbprints": INTERMEDIATE_THUMBPRINTS,
            // Usage upload and syndication of the emulated Azure both live on its ARM listener.
            "usageEndpoint": arm,
            "marketplaceEndpoint": arm,
            "usageResourceUri": "https://usage.microsoftazurestack.com",
            "marketplaceResourceUri": "https://marketplace.microsoftazurestack.com",
            "expires": expires(registration),
            "cloudId": token.cloud_id,
            "objectId": token.object_id,
            "billingModel": token.billing_model,
            "hardwareInfo": token.claims.get("hardwareInfo").cloned().unwrap_or_else(|| serde_json::json!([])),
            "usageReportingEnabled": flag("usageReportingEnabled"),
            "marketplaceSyndicationEnabled": flag("marketplaceSyndicationEnabled"),
            "issuer": token.issuer,
            "version": token.version,
        });
        self.activation_signing.sign_jws(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing an activation key");
            ArmError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "The activation key could not be signed.",
            )
        })
    }

    /// Checks an activation key's signature against the Azure side's key and reads its claims (the caller
    /// checks the cloud id and the expiry, which are the stamp's business).
    pub fn verify_activation_key(&self, key: &str) -> Result<ActivationClaims, KeyRejection> {
        let key = key.trim();
        let header = jsonwebtoken::decode_header(key).map_err(|_| KeyRejection::Malformed)?;
        if header.alg != jsonwebtoken::Algorithm::RS256
            || header.kid.as_deref() != Some(self.activation_signing.kid.as_str())
        {
            return Err(KeyRejection::Signature);
        }
        let claims = crate::identity::verify_signature(
            key,
            self.activation_signing.decoding_key(),
            jsonwebtoken::Algorithm::RS256,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => KeyRejection::Signature,
            _ => KeyRejection::Malformed,
        })?;
        ActivationClaims::read(&claims).ok_or(KeyRejection::Malformed)
    }
}

/// Why an activation key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRejection {
    #[error("the activation key is not a signed key with the expected claims")]
    Malformed,
    #[error("the activation key's signature does not verify")]
    Signature,
}

/// What the stamp reads from a verified key.
#[derive(Debug, Clone)]
pub struct ActivationClaims {
    pub subscription_id: String,
    pub resource_group: String,
    pub registration_name: String,
    pub cloud_id: String,
    pub object_id: String,
    pub billing_model: String,
    pub expires: DateTime<Utc>,
    pub usage_reporting_enabled: bool,
    pub marketplace_syndication_enabled: bool,
}

impl ActivationClaims {
    fn read(claims: &serde_json::Value) -> Option<ActivationClaims> {
        let text = |name: &str| claims.get(name)?.as_str().map(str::to_string);
        let flag = |name: &str| claims.get(name).and_then(|v| v.as_bool()).unwrap_or(false);
        Some(ActivationClaims {
            subscription_id: text("subscriptionId")?,
            resource_group: text("resourceGroupName")?,
            registration_name: text("registrationName")?,
            cloud_id: text("cloudId")?,
            object_id: text("objectId")?,
            billing_model: text("billingModel")?,
            expires: DateTime::parse_from_rfc3339(&text("expires")?)
                .ok()?
                .with_timezone(&Utc),
            usage_reporting_enabled: flag("usageReportingEnabled"),
            marketplace_syndication_enabled: flag("marketplaceSyndicationEnabled"),
        })
    }

    /// The registration's resource id in Azure.
    pub fn registration_id(&self) -> String {
        super::scope::registration_id(
            &self.subscription_id,
            &self.resource_group,
            &self.registration_name,
        )
    }
}

#[cfg(test)]
impl Azure {
    /// Signs arbitrary claims with the activation key, for tests of the stamp's checks.
    pub(crate) fn sign_activation_claims(&self, claims: &serde_json::Value) -> String {
        self.activation_signing.sign_jws(claims).expect("signing")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::azure::AzureSettings;
    use crate::azure::state::RegistrationToken;

    pub(crate) fn azure() -> Azure {
        Azure::new(AzureSettings {
            tenant_id: Uuid::new_v4(),
            tenant_domain: "contosoazure.onmicrosoft.com".into(),
            subscription_id: Uuid::new_v4(),
            arm_url: "https://127.0.0.1:1/".into(),
            login_url: "https://127.0.0.1:2/".into(),
            audiences: vec!["https://management.azure.com/".into()],
            stamp_issuer: "AzureStack-test".into(),
            access_token_lifetime: Duration::from_secs(60),
            device_code_approval_delay: Duration::from_secs(1),
        })
        .expect("an Azure side")
    }

    fn registration(billing_model: &str, days_ago: u64) -> Registration {
        Registration {
            resource_group: "azurestack".into(),
            name: "r1".into(),
            tags: Default::default(),
            etag: Uuid::new_v4(),
            token: RegistrationToken {
                cloud_id: Uuid::new_v4().to_string(),
                object_id: Uuid::new_v4().to_string(),
                billing_model: billing_model.into(),
                version: "4.0".into(),
                issuer: "AzureStack-test".into(),
                claims: Default::default(),
            },
            renewed_at: Utc::now() - chrono::Days::new(days_ago),
            customer_subscriptions: Default::default(),
        }
    }

    #[test]
    fn capacity_keys_expire_a_year_after_renewal_others_never() {
        let azure = azure();
        let key = |model: &str, days_ago: u64| {
            let key = azure
                .activation_key(&registration(model, days_ago))
                .unwrap();
            azure.verify_activation_key(&key).unwrap().expires
        };
        let fresh = key("Capacity", 0) - Utc::now();
        assert!((364..=365).contains(&fresh.num_days()), "{fresh}");
        assert!(key("Capacity", 400) < Utc::now());
        assert_eq!(
            key("Development", 400).format("%Y-%m-%d").to_string(),
            "9999-12-30"
        );
        assert_eq!(expires(&registration("Development", 0)), NEVER);
        assert!(expires(&registration("capacity", 0)).ends_with('Z'));
    }

    #[test]
    fn keys_of_another_signer_or_shape_are_refused() {
        let (one, other) = (azure(), azure());
        let key = one.activation_key(&registration("Development", 0)).unwrap();
        assert!(one.verify_activation_key(&key).is_ok());
        assert_eq!(
            other.verify_activation_key(&key).unwrap_err(),
            KeyRejection::Signature
        );
        let shapeless = one.sign_activation_claims(&serde_json::json!({"cloudId": "x"}));
        assert_eq!(
            one.verify_activation_key(&shapeless).unwrap_err(),
            KeyRejection::Malformed
        );
        assert_eq!(
            one.verify_activation_key("a.b").unwrap_err(),
            KeyRejection::Malformed
        );
    }
}
