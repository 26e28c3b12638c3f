//! azs-billing-core: Azure Stack Hub usage retrieval, registration and chargeback, as a Rust library.
//!
//! This crate is the toolkit itself; `azs-billing` (the repository's top-level crate) wraps it in the C ABI
//! that `include/azs_billing.h` declares and the PowerShell module loads. The core is blocking (it is called
//! from C and PowerShell, one call at a time per handle); it uses `reqwest::blocking`, so it must not be
//! called from inside an async runtime's worker thread.

pub mod account;
pub mod client;
pub mod cloud;
pub mod credential;
pub mod error;
pub mod json_args;
pub mod meters;
pub mod options;
pub mod registration;
pub mod retry;
pub mod secret;
pub mod subscriptions;
pub mod transport;
pub mod usage;

pub use client::{Client, ClientOptions, EnvironmentSpec};
pub use cloud::{Cloud, EndpointType, Environment, IdentitySystem};
pub use credential::Credential;
pub use error::{Error, ServiceError};
pub use retry::RetryPolicy;
pub use secret::Secret;

/// The library's version, as published in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
