//! The Azure side of registration: typed operations on a `Client` pointed at an Azure Resource Manager
//! endpoint (public Azure, a sovereign cloud, or the emulator's Azure listener). Every operation converges
//! when repeated (reference §2.1 step 8, §2.2, §2.5, §6, §7): an existing group is kept, the lock is
//! removed before the registration is written and put back after, a role assignment already present is
//! reused, deleting what is already gone succeeds, and a delete is verified by reading the resource again.
//!
//! api-versions: `Microsoft.AzureStack` 2017-06-01 (the original tooling's), locks 2016-09-01, role
//! assignments and definitions 2022-04-01, resource groups and providers 2021-04-01, subscriptions and
//! locations 2022-12-01.
//!
//! - `resources`: locations, resource groups and the resource provider;
//! - `locks`: management locks;
//! - `registrations`: the registration resource (CRUD, create and remove, find, activation key);
//! - `roles`: role assignments;
//! - `customers`: CSP customer subscriptions of a registration.

/// The target every record of the Azure side of registration logs under, whichever file of this module
/// logs it: the one documented in the crate docs (`registration::azure`).
const LOG_TARGET: &str = "azs_billing_core::registration::azure";

use std::collections::BTreeMap;

use crate::arm;
use crate::error::Result;
use crate::secret::Secret;

mod customers;
mod locks;
mod registrations;
mod resources;
mod roles;
#[cfg(test)]
mod test_support;

pub use customers::{
    delete_customer_subscription, get_customer_subscription, list_customer_subscriptions,
    put_customer_subscription,
};
pub use locks::{delete_lock, get_lock, put_lock};
pub use registrations::{
    RegistrationQuery, activation_key, create_registration, find_registration, get_registration,
    list_registrations, patch_registration, put_registration, remove_registration,
    remove_registration_of_cloud,
};
pub use resources::{
    check_location, default_location, ensure_resource_group, get_resource_group, locations,
    register_provider, register_provider_within,
};
pub use roles::ensure_role_assignment;

pub(crate) const AZURESTACK_API_VERSION: &str = "2017-06-01";

pub(crate) const LOCKS_API_VERSION: &str = "2016-09-01";

pub(crate) const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

pub(crate) const RESOURCES_API_VERSION: &str = "2021-04-01";

pub(crate) const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";

pub(crate) const PROVIDER_NAMESPACE: &str = "Microsoft.AzureStack";

/// The built-in role the bridge service principal gets on its registration.
pub const REGISTRATION_OWNER_ROLE: &str = "6f12a6df-dd06-4f3e-bcb1-ce8be600526a";

/// The lock the original tooling puts on a registration (and removes before changing it).
pub const LOCK_NAME: &str = "RegistrationResourceLock";

/// The resource group the original tooling uses when none is given.
pub const DEFAULT_RESOURCE_GROUP: &str = "azurestack";

/// A `Microsoft.AzureStack/registrations` resource.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The ARM resource id.
    pub id: String,
    /// The resource name (the original tooling: `AzureStack-{cloud id}`).
    pub name: String,
    /// `Microsoft.AzureStack/registrations`.
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    /// Always `global`.
    pub location: Option<String>,
    /// The resource's ETag, changed by every write.
    pub etag: Option<String>,
    /// The resource kind, when Azure sets one.
    pub kind: Option<String>,
    /// The resource's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// What the registration says of the stamp.
    #[serde(default)]
    pub properties: RegistrationProperties,
}

/// The properties of a [`Registration`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationProperties {
    /// The object id of the identity the stamp connects to Azure with (the bridge service principal).
    pub object_id: Option<String>,
    /// The stamp's cloud id (from the registration token).
    pub cloud_id: Option<String>,
    /// The billing model, as Azure writes it (`PayAsYouUse`, ...).
    pub billing_model: Option<String>,
}

/// A `registrations/customerSubscriptions` resource: a CSP customer's subscription whose usage on the
/// stamp is billed to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSubscription {
    /// The ARM resource id.
    pub id: Option<String>,
    /// The customer subscription's id (the resource name).
    pub name: Option<String>,
    /// `Microsoft.AzureStack/registrations/customerSubscriptions`.
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    /// The resource's ETag.
    pub etag: Option<String>,
    /// Which customer directory the subscription is in.
    #[serde(default)]
    pub properties: CustomerSubscriptionProperties,
}

/// The properties of a [`CustomerSubscription`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerSubscriptionProperties {
    /// The customer's directory (tenant) id.
    pub tenant_id: Option<String>,
}

/// A resource group, where a registration lives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    /// The ARM resource id.
    pub id: Option<String>,
    /// The group's name.
    pub name: String,
    /// The Azure region the group's metadata is kept in.
    pub location: String,
    /// The group's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// An Azure region a subscription can use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The programmatic name (`westeurope`).
    pub name: String,
    /// The name shown to people (`West Europe`).
    pub display_name: Option<String>,
}

/// A resource provider's registration with a subscription.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// `Microsoft.AzureStack`.
    pub namespace: Option<String>,
    /// `Registered`, `Registering`, `NotRegistered`, ...
    pub registration_state: Option<String>,
}

/// A management lock: it keeps a registration from being deleted or changed by accident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lock {
    /// The lock's ARM resource id.
    pub id: Option<String>,
    /// The lock's name.
    pub name: String,
    /// What the lock prevents.
    #[serde(default)]
    pub properties: LockProperties,
}

/// The properties of a [`Lock`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockProperties {
    /// `CanNotDelete` or `ReadOnly`.
    pub level: Option<String>,
    /// Why the lock is there, for whoever meets it.
    pub notes: Option<String>,
}

/// A role assignment: a principal given a role at a scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleAssignment {
    /// The assignment's ARM resource id.
    pub id: Option<String>,
    /// The assignment's name (a GUID).
    pub name: Option<String>,
    /// Who has which role where.
    #[serde(default)]
    pub properties: RoleAssignmentProperties,
}

/// The properties of a [`RoleAssignment`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    /// The resource id of the role definition.
    pub role_definition_id: Option<String>,
    /// The object id of the principal given the role.
    pub principal_id: Option<String>,
    /// The resource id the role applies to.
    pub scope: Option<String>,
}

/// Names one registration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRef {
    /// The subscription the registration is in.
    pub subscription_id: String,
    /// The resource group; defaults to `azurestack`, as the original tooling does.
    #[serde(default = "default_resource_group")]
    pub resource_group: String,
    /// The registration resource's name.
    pub name: String,
}

fn default_resource_group() -> String {
    DEFAULT_RESOURCE_GROUP.to_string()
}

impl RegistrationRef {
    /// Names a registration from its parts; checked only when used (`path`, `resource_id`).
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        name: impl Into<String>,
    ) -> RegistrationRef {
        RegistrationRef {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            name: name.into(),
        }
    }

    /// The subscription, group and name, checked against ARM's rules (nothing is encoded).
    fn parts(&self) -> Result<(String, &str, &str)> {
        Ok((
            arm::guid("subscription_id", &self.subscription_id)?,
            arm::resource_group_name("resource_group", &self.resource_group)?,
            arm::resource_name("name", "registration", &self.name)?,
        ))
    }

    /// The resource id, checked and percent-encoded for a URL, without the leading '/'.
    pub fn path(&self) -> Result<String> {
        let (subscription, group, name) = self.parts()?;
        Ok(format!(
            "subscriptions/{subscription}/resourceGroups/{}/providers/{PROVIDER_NAMESPACE}/registrations/{}",
            arm::encode(group),
            arm::encode(name)
        ))
    }

    /// The resource id as Azure writes it (names as they are, not encoded): what a scope argument takes.
    pub fn resource_id(&self) -> Result<String> {
        let (subscription, group, name) = self.parts()?;
        Ok(format!(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/{PROVIDER_NAMESPACE}/registrations/{name}"
        ))
    }

    fn describe(&self) -> String {
        format!(
            "registration '{}' in resource group '{}' of subscription {}",
            self.name.trim(),
            self.resource_group.trim(),
            self.subscription_id.trim()
        )
    }
}

/// What `create_registration` needs.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// The registration to create.
    pub registration: RegistrationRef,
    /// Where the resource group is created when it does not exist (the registration itself is `global`);
    /// None: the original tooling's default for the client's cloud (`default_location`).
    pub location: Option<String>,
    /// The token from the privileged endpoint's `New-RegistrationToken`.
    pub token: Secret,
}

fn subscription_path(subscription_id: &str) -> Result<String> {
    Ok(format!(
        "subscriptions/{}",
        arm::guid("subscription_id", subscription_id)?
    ))
}

fn group_path(subscription_id: &str, resource_group: &str) -> Result<String> {
    Ok(format!(
        "{}/resourceGroups/{}",
        subscription_path(subscription_id)?,
        arm::encode(arm::resource_group_name("resource_group", resource_group)?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::registration::azure::test_support::*;

    #[test]
    fn every_registration_example_parses() {
        let single = [
            "AzureStack/stable/2017-06-01/examples/Registration/Put.json",
            "AzureStack/stable/2017-06-01/examples/Registration/Patch.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Get.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Patch.json",
            "stable/2017-06-01/examples/Registration/Get.json",
            "stable/2022-06-01/examples/Registration/Put.json",
        ];
        let mut parsed = 0;
        for path in single {
            for (status, body) in responses(path) {
                let r: Registration = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                assert!(
                    r.id.contains("/providers/Microsoft.AzureStack/registrations/"),
                    "{path}"
                );
                assert_eq!(
                    r.resource_type.as_deref(),
                    Some("Microsoft.AzureStack/registrations")
                );
                assert_eq!(r.location.as_deref(), Some("global"));
                assert_eq!(
                    r.properties.billing_model.as_deref(),
                    Some("Development"),
                    "{path}"
                );
                assert!(r.properties.object_id.is_some(), "{path}");
                parsed += 1;
            }
        }
        let put = responses("AzureStack/stable/2017-06-01/examples/Registration/Put.json");
        let r: Registration = serde_json::from_value(put[0].1.clone()).unwrap();
        assert_eq!(r.name, "testregistration");
        assert_eq!(
            r.properties.cloud_id.as_deref(),
            Some("5bf881b2-6be7-42a1-9f47-d6fcb6737747")
        );
        assert_eq!(
            r.etag.as_deref(),
            Some("\"0e00ab2b-0000-0000-0000-5a82517f0000\"")
        );
        let patch = responses("AzureStack/stable/2017-06-01/examples/Registration/Patch.json");
        let r: Registration = serde_json::from_value(patch[0].1.clone()).unwrap();
        assert!(!r.tags.is_empty(), "the PATCH answer carries tags");

        for path in [
            "stable/2017-06-01/examples/Registration/List.json",
            "stable/2017-06-01/examples/Registration/ListBySubscription.json",
            "stable/2022-06-01/examples/Registration/List.json",
            "AzureStack/stable/2022-06-01/examples/Registration/ListBySubscription.json",
        ] {
            for (status, body) in responses(path) {
                let list: Vec<Registration> = serde_json::from_value(body["value"].clone())
                    .unwrap_or_else(|e| panic!("{path} {status}: {e}"));
                assert!(!list.is_empty(), "{path}");
                parsed += list.len();
            }
        }
        assert!(parsed >= 12, "{parsed}");
        // Delete answers have no body; the key answer is a bare object.
        assert!(responses("stable/2022-06-01/examples/Registration/Delete.json").is_empty());
        for path in [
            "stable/2017-06-01/examples/Registration/Post.json",
            "AzureStack/stable/2022-06-01/examples/Registration/Post.json",
        ] {
            let (_, body) = &responses(path)[0];
            assert_eq!(
                body["activationKey"].as_str().unwrap().split('.').count(),
                3
            );
        }
    }

    #[test]
    fn registration_paths_are_checked_before_sending() {
        let r = RegistrationRef::new(
            "DD8597B4-8739-4467-8B10-F8679F62BFBF",
            "azurestack",
            "reg 1",
        );
        assert_eq!(
            r.resource_id().unwrap(),
            "/subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg 1"
        );
        assert_eq!(
            r.path().unwrap(),
            "subscriptions/dd8597b4-8739-4467-8b10-f8679f62bfbf/resourceGroups/azurestack/providers/Microsoft.AzureStack/registrations/reg%201"
        );
        // The lock's scope is the unencoded id, encoded once on the way out (it was encoded twice).
        assert_eq!(
            arm::scope("scope", &r.resource_id().unwrap()).unwrap(),
            r.path().unwrap()
        );
        for (group, name) in [("my group", "r"), ("azurestack", "a%20b"), ("rg.", "r")] {
            let bad = RegistrationRef::new("dd8597b4-8739-4467-8b10-f8679f62bfbf", group, name);
            assert!(
                matches!(bad.path(), Err(Error::InvalidArgument { .. })),
                "{group:?} {name:?}"
            );
        }
        let bad = RegistrationRef::new("nope", "azurestack", "r");
        assert!(matches!(
            bad.path(),
            Err(Error::InvalidArgument {
                what: "subscription_id",
                ..
            })
        ));
        let bad = RegistrationRef::new("dd8597b4-8739-4467-8b10-f8679f62bfbf", "a/b", "r");
        assert!(matches!(
            bad.path(),
            Err(Error::InvalidArgument {
                what: "resource_group",
                ..
            })
        ));
        let parsed: RegistrationRef = serde_json::from_str(
            r#"{"subscription_id":"dd8597b4-8739-4467-8b10-f8679f62bfbf","name":"r"}"#,
        )
        .unwrap();
        assert_eq!(
            parsed.resource_group, "azurestack",
            "the original's default group"
        );
    }
}
