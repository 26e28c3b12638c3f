//! The Azure side of registration: a small public-Azure Resource Manager (subscription, locations, resource
//! groups, the `Microsoft.AzureStack` provider with registrations and customer subscriptions, locks, role
//! assignments) and its own Azure AD, each on its own listener. State lives in memory for the run.
//!
//! Layout: `routes` dispatches requests; `subscription` answers for the subscription, its locations, the
//! provider and its operations; `resource_groups`, `registrations`, `customer_subscriptions`, `locks` and
//! `role_assignments` hold one resource type each; `scope` names what a lock or role assignment sits on;
//! `activation_keys` signs the keys the stamp activates with; `principals` are the directory's defaults.

mod activation_keys;
mod customer_subscriptions;
mod errors;
mod locks;
mod principals;
mod registrations;
mod resource_groups;
mod role_assignments;
mod routes;
mod scope;
mod state;
mod subscription;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use uuid::Uuid;

use crate::identity::{Identity, IdentityMode, IdentitySettings, SigningKey};
#[cfg(test)]
pub(crate) use activation_keys::tests::azure as test_azure;
pub use activation_keys::{ActivationClaims, KeyRejection};
pub use principals::{AZURE_OPERATOR_NAME, AZURE_READER_NAME};
use state::AzureState;

/// Environment name of the emulated Azure (what `New-AzureBridgeServicePrincipal -AzureEnvironment` gets).
pub const ENVIRONMENT: &str = "AzureCloud";

/// Everything the Azure side needs to know about the run.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    pub tenant_id: Uuid,
    pub tenant_domain: String,
    /// The subscription registrations go into.
    pub subscription_id: Uuid,
    /// Public base URL of the Azure ARM listener (trailing slash).
    pub arm_url: String,
    /// Public base URL of the Azure login listener (trailing slash).
    pub login_url: String,
    /// Audiences Azure ARM accepts: the public ones and its own URL.
    pub audiences: Vec<String>,
    /// `issuer` of the emulated stamp's registration tokens; a token from another issuer is malformed here.
    pub stamp_issuer: String,
    pub access_token_lifetime: Duration,
    pub device_code_approval_delay: Duration,
}

pub struct Azure {
    settings: AzureSettings,
    identity: Arc<Identity>,
    /// Signs activation keys; only the Azure side holds it, the stamp gets the public half.
    activation_signing: SigningKey,
    state: Mutex<AzureState>,
}

impl Azure {
    pub fn new(settings: AzureSettings) -> anyhow::Result<Azure> {
        let identity = Identity::new(
            IdentitySettings {
                mode: IdentityMode::Aad,
                tenant_id: settings.tenant_id,
                tenant_domain: settings.tenant_domain.clone(),
                base_url: settings.login_url.clone(),
                audiences: settings.audiences.clone(),
                access_token_lifetime: settings.access_token_lifetime,
                device_code_approval_delay: settings.device_code_approval_delay,
            },
            principals::defaults(settings.subscription_id, &settings.tenant_domain),
        )
        .context("the Azure directory")?;
        let activation_signing =
            SigningKey::generate().context("generating the activation key signing key")?;
        Ok(Azure {
            settings,
            identity: Arc::new(identity),
            activation_signing,
            state: Mutex::new(AzureState::default()),
        })
    }

    pub fn settings(&self) -> &AzureSettings {
        &self.settings
    }

    /// The Azure directory (the login listener's identity provider).
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    /// Makes a bridge service principal (created by the stamp's privileged endpoint) a principal that role
    /// assignments can name.
    pub fn add_bridge_principal(&self, object_id: Uuid) {
        self.lock_state().bridge_principals.insert(object_id);
    }

    /// Routes of the Azure ARM listener.
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
            .fallback(routes::dispatch)
            .with_state(self)
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, AzureState> {
        crate::sync::lock(&self.state)
    }
}
