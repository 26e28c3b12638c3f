//! A registration in Azure beside the stamp's activation: what the portal's "Registered / Not registered /
//! Expired" shows, with the reasons spelled out (which registration the activation names, whether the cloud
//! ids agree, when it expires). The activation is read from the stamp's activation resource, or from the
//! activation key just used to activate.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::registration::azure::{Registration, RegistrationRef};
use crate::registration::stamp::Activation;
use crate::registration::token::ActivationKeyInfo;

/// The stamp side of a status: what an activation says, wherever it was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivationView {
    /// The resource id of the registration the activation was issued for.
    pub registration_id: Option<String>,
    /// When the activation lapses; None when not given or not a time.
    pub expiration: Option<DateTime<Utc>>,
    /// Whether the activation reports usage.
    pub usage_reporting_enabled: Option<bool>,
    /// Whether the activation allows Marketplace downloads.
    pub marketplace_syndication_enabled: Option<bool>,
}

impl From<&Activation> for ActivationView {
    fn from(activation: &Activation) -> ActivationView {
        let p = &activation.properties;
        ActivationView {
            registration_id: p.azure_registration_resource_identifier.clone(),
            expiration: p.expiration.as_deref().and_then(parse_time),
            usage_reporting_enabled: p.usage_reporting_enabled,
            marketplace_syndication_enabled: p.marketplace_syndication_enabled,
        }
    }
}

impl From<&ActivationKeyInfo> for ActivationView {
    fn from(key: &ActivationKeyInfo) -> ActivationView {
        ActivationView {
            registration_id: key.registration_id.clone(),
            expiration: key.expires_at(),
            usage_reporting_enabled: key.common.usage_reporting_enabled,
            marketplace_syndication_enabled: key.common.marketplace_syndication_enabled,
        }
    }
}

/// How a registration and the stamp's activation relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum State {
    /// In Azure; the stamp's activation is not known (not read, or the stamp is not activated).
    Registered,
    /// The stamp is activated for this registration and the activation has not lapsed.
    RegisteredAndActivated,
    /// The stamp is activated for a different registration resource.
    ActivatedForAnotherRegistration,
    /// Activated for this registration, past its expiry (Capacity registrations last a year).
    Expired,
}

/// A registration beside the stamp's activation: what `Get-AzsRegistration` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistrationStatus {
    /// The registration resource's name.
    pub name: String,
    /// Its resource group, read from the resource id.
    pub resource_group: Option<String>,
    /// Its subscription, read from the resource id.
    pub subscription_id: Option<String>,
    /// The registration's ARM resource id.
    pub resource_id: String,
    /// The billing model the registration was made with.
    pub billing_model: Option<String>,
    /// The cloud id the registration names.
    pub cloud_id: Option<String>,
    /// The bridge service principal's object id the registration names.
    pub object_id: Option<String>,
    /// How the registration and the activation relate.
    pub state: State,
    /// None when the stamp side was not read.
    pub activated: Option<bool>,
    /// The registration the stamp is activated for, when the stamp side was read.
    pub activation_registration_id: Option<String>,
    /// Whether the activation is for this registration; None when the stamp side was not read.
    pub activation_matches_registration: Option<bool>,
    /// None when the stamp's cloud id was not given.
    pub cloud_id_matches_stamp: Option<bool>,
    /// Whether the activation reports usage.
    pub usage_reporting_enabled: Option<bool>,
    /// Whether the activation allows Marketplace downloads.
    pub marketplace_syndication_enabled: Option<bool>,
    /// When the activation lapses.
    pub expiration: Option<DateTime<Utc>>,
}

/// The status of `registration` given what the stamp says (`activation`: None when unknown or not activated)
/// and the stamp's cloud id when known, at time `now`.
pub fn status(
    registration: &Registration,
    activation: Option<&ActivationView>,
    stamp_cloud_id: Option<&str>,
    now: DateTime<Utc>,
) -> RegistrationStatus {
    let parts = RegistrationRef::from_resource_id(&registration.id).ok();
    let matches = activation.map(|a| {
        a.registration_id
            .as_deref()
            .is_some_and(|id| same_id(id, &registration.id))
    });
    let state = match (activation, matches) {
        (None, _) => State::Registered,
        (Some(_), Some(false)) => State::ActivatedForAnotherRegistration,
        (Some(a), _) if a.expiration.is_some_and(|e| e < now) => State::Expired,
        (Some(_), _) => State::RegisteredAndActivated,
    };
    let cloud_id = registration.properties.cloud_id.clone();
    RegistrationStatus {
        name: registration.name.clone(),
        resource_group: parts.as_ref().map(|r| r.resource_group.clone()),
        subscription_id: parts.as_ref().map(|r| r.subscription_id.clone()),
        resource_id: registration.id.clone(),
        billing_model: registration.properties.billing_model.clone(),
        cloud_id_matches_stamp: stamp_cloud_id.map(|stamp| {
            cloud_id
                .as_deref()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case(stamp.trim()))
        }),
        cloud_id,
        object_id: registration.properties.object_id.clone(),
        state,
        activated: activation.map(|_| true),
        activation_registration_id: activation.and_then(|a| a.registration_id.clone()),
        activation_matches_registration: matches,
        usage_reporting_enabled: activation.and_then(|a| a.usage_reporting_enabled),
        marketplace_syndication_enabled: activation.and_then(|a| a.marketplace_syndication_enabled),
        expiration: activation.and_then(|a| a.expiration),
    }
}

/// Resource ids compare case-insensitively (ARM), a trailing '/' aside.
fn same_id(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
}

/// RFC 3339, or the zone-less form of the spec example (`9999-12-30T15:59:59`), taken as UTC; an expiry
/// that cannot be read is shown as unknown rather than failing the whole status.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    crate::options::parse_time("expiration", text).ok()
}

impl RegistrationRef {
    /// Reads `/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.AzureStack/registrations/{name}`
    /// (any case), as an activation names its registration.
    pub fn from_resource_id(id: &str) -> Result<RegistrationRef> {
        let segments: Vec<&str> = id.trim().trim_matches('/').split('/').collect();
        match segments.as_slice() {
            [
                subscriptions,
                subscription,
                groups,
                group,
                providers,
                namespace,
                registrations,
                name,
            ] if subscriptions.eq_ignore_ascii_case("subscriptions")
                && groups.eq_ignore_ascii_case("resourceGroups")
                && providers.eq_ignore_ascii_case("providers")
                && namespace.eq_ignore_ascii_case("Microsoft.AzureStack")
                && registrations.eq_ignore_ascii_case("registrations")
                && !subscription.is_empty()
                && !group.is_empty()
                && !name.is_empty() =>
            {
                Ok(RegistrationRef::new(*subscription, *group, *name))
            }
            _ => Err(Error::invalid(
                "registration_id",
                format!(
                    "'{id}' is not a registration resource id \
                     (/subscriptions/{{id}}/resourceGroups/{{group}}/providers/Microsoft.AzureStack/registrations/{{name}})"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg1";

    fn registration() -> Registration {
        serde_json::from_value(serde_json::json!({
            "id": ID, "name": "reg1", "type": "Microsoft.AzureStack/registrations", "location": "global",
            "properties": {"cloudId": "C-1", "objectId": "o-1", "billingModel": "PayAsYouUse"}
        }))
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-11-26T00:00:00Z".parse().unwrap()
    }

    fn activation(id: &str, expiration: &str) -> ActivationView {
        ActivationView {
            registration_id: Some(id.to_string()),
            expiration: parse_time(expiration),
            usage_reporting_enabled: Some(true),
            marketplace_syndication_enabled: Some(false),
        }
    }

    #[test]
    fn registered_only_when_the_stamp_side_is_unknown() {
        let s = status(&registration(), None, None, now());
        assert_eq!(s.state, State::Registered);
        assert_eq!(s.activated, None);
        assert_eq!(s.activation_matches_registration, None);
        assert_eq!(s.cloud_id_matches_stamp, None);
        assert_eq!(s.resource_group.as_deref(), Some("azurestack"));
        assert_eq!(
            s.subscription_id.as_deref(),
            Some("11111111-1111-1111-1111-111111111111")
        );
    }

    #[test]
    fn activated_for_this_registration_any_case_and_trailing_slash() {
        let a = activation(
            &format!("{}/", ID.to_uppercase()),
            "9999-12-30T23:59:59.9999999Z",
        );
        let s = status(&registration(), Some(&a), Some("c-1"), now());
        assert_eq!(s.state, State::RegisteredAndActivated);
        assert_eq!(s.activation_matches_registration, Some(true));
        assert_eq!(s.cloud_id_matches_stamp, Some(true));
        assert_eq!(s.usage_reporting_enabled, Some(true));
        assert_eq!(s.marketplace_syndication_enabled, Some(false));
    }

    #[test]
    fn another_registration_and_expiry() {
        let other = ID.replace("reg1", "reg2");
        let s = status(
            &registration(),
            Some(&activation(&other, "9999-12-30T15:59:59")),
            Some("c-2"),
            now(),
        );
        assert_eq!(s.state, State::ActivatedForAnotherRegistration);
        assert_eq!(s.cloud_id_matches_stamp, Some(false));
        let expired = status(
            &registration(),
            Some(&activation(ID, "2026-01-01T00:00:00")),
            None,
            now(),
        );
        assert_eq!(expired.state, State::Expired);
        assert_eq!(expired.expiration, parse_time("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn registration_ids_are_read_and_checked() {
        let r = RegistrationRef::from_resource_id(&ID.to_lowercase()).unwrap();
        assert_eq!(
            (r.resource_group.as_str(), r.name.as_str()),
            ("azurestack", "reg1")
        );
        for bad in [
            "",
            "/subscriptions/s",
            "/subscriptions/s/resourceGroups/g/providers/Other.Ns/registrations/r",
        ] {
            assert!(RegistrationRef::from_resource_id(bad).is_err(), "{bad}");
        }
    }
}
