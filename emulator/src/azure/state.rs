//! What the Azure side holds for the run, keyed case-insensitively (lower-cased keys), as ARM matches
//! names.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::scope::Scope;

#[derive(Default)]
pub struct AzureState {
    /// `Microsoft.AzureStack` is registered on the subscription.
    pub provider_registered: bool,
    pub resource_groups: BTreeMap<String, ResourceGroup>,
    /// By (resource group, name), lower-cased.
    pub registrations: BTreeMap<(String, String), Registration>,
    pub locks: Vec<Lock>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Object ids of bridge service principals the stamp created.
    pub bridge_principals: BTreeSet<Uuid>,
}

pub struct ResourceGroup {
    pub name: String,
    pub location: String,
    pub tags: serde_json::Map<String, serde_json::Value>,
}

pub struct Registration {
    pub resource_group: String,
    pub name: String,
    pub tags: serde_json::Map<String, serde_json::Value>,
    pub etag: Uuid,
    pub token: RegistrationToken,
    /// When the registration was created or last renewed by a PUT (Capacity keys expire a year later).
    pub renewed_at: DateTime<Utc>,
    /// By lower-cased customer subscription id.
    pub customer_subscriptions: BTreeMap<String, CustomerSubscription>,
}

/// What Azure reads from a registration token (the whole JSON is kept for the activation key).
#[derive(Clone)]
pub struct RegistrationToken {
    pub cloud_id: String,
    pub object_id: String,
    pub billing_model: String,
    pub version: String,
    pub issuer: String,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

pub struct CustomerSubscription {
    pub name: String,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockLevel {
    CanNotDelete,
    ReadOnly,
}

impl LockLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LockLevel::CanNotDelete => "CanNotDelete",
            LockLevel::ReadOnly => "ReadOnly",
        }
    }
}

pub struct Lock {
    pub scope: Scope,
    pub name: String,
    pub level: LockLevel,
    pub notes: Option<String>,
}

pub struct RoleAssignment {
    pub scope: Scope,
    pub name: Uuid,
    pub role_definition_id: String,
    pub principal_id: Uuid,
    pub principal_type: &'static str,
    pub created_on: DateTime<Utc>,
}

impl AzureState {
    /// Forgets everything at or under `scope` (a deleted resource group or registration).
    pub fn remove_under(&mut self, scope: &Scope) {
        self.locks.retain(|l| !scope.contains(&l.scope));
        self.role_assignments.retain(|a| !scope.contains(&a.scope));
        self.registrations.retain(|_, r| {
            !scope.contains(&Scope::Registration {
                resource_group: r.resource_group.clone(),
                name: r.name.clone(),
            })
        });
    }
}

impl AzureState {
    /// Refuses a scope that does not exist: its resource group, then the registration.
    pub fn require(&self, scope: &Scope) -> Result<(), crate::http::ArmError> {
        if let Some(rg) = scope.resource_group()
            && !self.resource_groups.contains_key(&rg.to_ascii_lowercase())
        {
            return Err(super::errors::resource_group_not_found(rg));
        }
        if let Scope::Registration {
            resource_group,
            name,
        } = scope
            && self.registration(resource_group, name).is_none()
        {
            return Err(super::errors::resource_not_found(
                "Microsoft.AzureStack/registrations",
                name,
                resource_group,
            ));
        }
        Ok(())
    }

    pub fn registration(&self, resource_group: &str, name: &str) -> Option<&Registration> {
        self.registrations
            .get(&registration_key(resource_group, name))
    }

    pub fn registration_mut(
        &mut self,
        resource_group: &str,
        name: &str,
    ) -> Option<&mut Registration> {
        self.registrations
            .get_mut(&registration_key(resource_group, name))
    }
}

pub fn registration_key(resource_group: &str, name: &str) -> (String, String) {
    (
        resource_group.to_ascii_lowercase(),
        name.to_ascii_lowercase(),
    )
}
