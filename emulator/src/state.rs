//! What every listener shares for one run.

use std::sync::Arc;

use crate::azure::Azure;
use crate::config::EmulatorConfig;
use crate::dataset::Dataset;
use crate::faults::FaultController;
use crate::identity::Identity;
use crate::pep::Pep;

/// Public base URLs of the listeners, each with a trailing slash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BaseUrls {
    pub admin_arm: String,
    pub tenant_arm: String,
    pub identity: String,
    pub azure_arm: String,
    pub azure_login: String,
    pub pep: String,
}

/// The token audience of each Resource Manager endpoint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Audiences {
    pub admin: String,
    pub tenant: String,
}

pub struct AppState {
    pub config: EmulatorConfig,
    pub urls: BaseUrls,
    pub audiences: Audiences,
    pub identity: Arc<Identity>,
    pub dataset: Arc<Dataset>,
    pub faults: Arc<FaultController>,
    /// The Azure side of registration.
    pub azure: Arc<Azure>,
    /// The privileged endpoint model.
    pub pep: Arc<Pep>,
    /// The ready document, also served at `/_emulator/status`.
    pub ready: serde_json::Value,
}
