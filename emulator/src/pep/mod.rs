//! The privileged endpoint (PEP) model: the JEA commands registration uses, over a small JSON protocol that
//! stands in for PowerShell remoting (`POST {pep}/commands/{Name}`, Basic credentials, parameters as a JSON
//! object). It keeps the stamp's side of registration: the bridge service principal, the registration
//! tokens it mints and the activation the admin ARM endpoint shows.
//!
//! Layout: `protocol` authenticates, parses and answers; `params` binds parameters the way PowerShell does;
//! `commands` holds the stamp information, bridge service principal and key pair commands;
//! `registration_token` mints tokens; `activation` verifies keys and keeps the activation. Build numbers, which
//! gate commands and parameters, are `crate::stamp_version`'s.

mod activation;
mod commands;
mod params;
mod protocol;
mod registration_token;

use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::azure::Azure;
use crate::config::StampConfig;
use crate::identity::IdentityMode;
pub use crate::stamp_version::{InvalidStampVersion, StampVersion};
pub use activation::Activation;

/// The PEP user name of the emulated stamp (its domain is `AZURESTACK`).
pub const USERNAME: &str = "AZURESTACK\\CloudAdmin";

/// The `issuer` of this stamp's registration tokens.
pub fn issuer(stamp: &StampConfig) -> String {
    format!("AzureStack-{}", stamp.deployment_id)
}

/// What the privileged endpoint knows about its stamp.
pub struct PepSettings {
    pub stamp: StampConfig,
    pub password: String,
    pub directory_tenant_id: Uuid,
    pub identity_system: IdentityMode,
    pub admin_arm: String,
    pub tenant_arm: String,
    pub region: String,
}

impl std::fmt::Debug for PepSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PepSettings")
            .field("stamp", &self.stamp)
            .field("password", &"<redacted>")
            .field("directory_tenant_id", &self.directory_tenant_id)
            .finish_non_exhaustive()
    }
}

/// The bridge service principal `New-AzureBridgeServicePrincipal` created in the Azure directory.
#[derive(Debug, Clone, Copy)]
struct BridgeServicePrincipal {
    object_id: Uuid,
    application_id: Uuid,
}

#[derive(Default)]
struct PepState {
    bridge: Option<BridgeServicePrincipal>,
    activation: Option<Activation>,
}

pub struct Pep {
    settings: PepSettings,
    azure: Arc<Azure>,
    state: Mutex<PepState>,
}

impl Pep {
    /// A PEP whose Azure calls (refresh token redemption, activation key verification) go to `azure`.
    pub fn new(settings: PepSettings, azure: Arc<Azure>) -> Pep {
        Pep {
            settings,
            azure,
            state: Mutex::new(PepState::default()),
        }
    }

    pub fn settings(&self) -> &PepSettings {
        &self.settings
    }

    /// The stamp's activation, if it is activated.
    pub fn activation(&self) -> Option<Activation> {
        self.lock_state().activation.clone()
    }

    /// Removes the activation; true when there was one.
    pub fn remove_activation(&self) -> bool {
        self.lock_state().activation.take().is_some()
    }

    /// Routes of the PEP listener.
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
            .fallback(protocol::dispatch)
            .with_state(self)
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, PepState> {
        crate::sync::lock(&self.state)
    }
}
