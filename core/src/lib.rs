//! azs-billing-core: Azure Stack Hub usage retrieval, registration and chargeback, as a Rust library.
//!
//! This crate is the toolkit itself; `azs-billing` (the repository's top-level crate) wraps it in the C ABI
//! that `include/azs_billing.h` declares and the PowerShell module loads. The core is blocking (it is called
//! from C and PowerShell, one call at a time per handle); it uses `reqwest::blocking`, so it must not be
//! called from inside an async runtime's worker thread.
//!
//! # Logging
//!
//! The core logs through the [`log`](https://docs.rs/log) facade, with module paths as targets, so any
//! `log` implementation selects by them (`RUST_LOG=azs_billing_core::retry=info` with `env_logger`):
//!
//! - `info`: what an operator watching a run wants to see: each retry with its cause (HTTP status or
//!   transport failure) and the delay chosen, and giving up (`azs_billing_core::retry`); each registration
//!   step (`registration::azure`) and privileged endpoint command (`registration::pep`); each usage
//!   warehouse sync and window committed (`warehouse::sync`);
//! - `debug`: token requests (grant, endpoint, client id, audience) and issues (expiry), renewals and 401
//!   retries (`credential`, `client`); each usage page with its row count and latency (`usage::pager`);
//!   reads that decide a step (an existing lock, group or role assignment);
//! - `trace`: every HTTP attempt with status, size and time (`transport`), cache hits, device code polls.
//!
//! Nothing is logged at `warn` or `error`: failures are returned as errors. Records never hold a secret
//! (client secret, assertion, private key, password, access or refresh token, device code, activation key,
//! registration token) nor a URL's query (continuation tokens).

#![warn(missing_docs)]

pub mod account;
pub(crate) mod arm;
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
pub mod warehouse;

pub use client::{Client, ClientOptions, EnvironmentSpec};
pub use cloud::{Cloud, EndpointType, Environment, IdentitySystem};
pub use credential::Credential;
pub use error::{Error, ServiceError};
pub use retry::RetryPolicy;
pub use secret::Secret;

/// The library's version, as published in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
