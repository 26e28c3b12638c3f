//! azs-emulator: a local Azure Stack Hub for everything usage-related (admin and tenant Resource Manager
//! endpoints, the identity provider, the usage APIs), faithful enough for official Azure SDK clients, plus
//! both sides of registration: an emulated Azure (Resource Manager and directory) and the stamp's
//! privileged endpoint.

pub mod arm;
pub mod azure;
pub mod config;
pub mod control;
pub mod dataset;
pub mod embedded;
pub mod endpoints;
pub mod faults;
pub mod http;
pub mod identity;
pub mod pep;
pub mod ready;
pub mod server;
pub mod stamp_version;
pub mod state;
mod sync;
pub mod tls;

pub use config::{EmulatorConfig, Ports, TlsMode};
pub use embedded::EmbeddedEmulator;
pub use ready::ReadyDocument;
pub use server::{RunningEmulator, start};
