//! What every listener shares for one run.

use std::sync::Arc;

use crate::azure::Azure;
use crate::config::EmulatorConfig;
use crate::dataset::Dataset;
use crate::endpoints::{Audiences, BaseUrls};
use crate::faults::FaultController;
use crate::identity::Identity;
use crate::pep::Pep;
use crate::ready::ReadyDocument;

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
    pub ready: ReadyDocument,
}
