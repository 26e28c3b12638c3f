//! azs-billing: Azure Stack Hub usage retrieval, registration and chargeback.
//!
//! The core is blocking (it is called from C and PowerShell, one call at a time per handle); it uses
//! `reqwest::blocking`, so it must not be called from inside an async runtime's worker thread.
//! `src/ffi` is the C boundary and nothing else.

// cbindgen reads only src/ffi: every public constant or associated constant it finds elsewhere would land
// in the C header under an unprefixed name (`cbindgen:ignore` skips a module; tests/header.rs checks).
/// cbindgen:ignore
pub mod account;
/// cbindgen:ignore
pub mod client;
/// cbindgen:ignore
pub mod cloud;
/// cbindgen:ignore
pub mod credential;
/// cbindgen:ignore
pub mod error;
pub mod ffi;
/// cbindgen:ignore
pub(crate) mod json_args;
/// cbindgen:ignore
pub mod meters;
/// cbindgen:ignore
pub mod options;
/// cbindgen:ignore
pub mod registration;
/// cbindgen:ignore
pub mod retry;
/// cbindgen:ignore
pub mod secret;
/// cbindgen:ignore
pub mod subscriptions;
/// cbindgen:ignore
pub mod transport;
/// cbindgen:ignore
pub mod usage;

pub use client::{Client, ClientOptions, EnvironmentSpec};
pub use cloud::{Cloud, Environment, IdentitySystem};
pub use credential::Credential;
pub use error::{Error, ServiceError};
pub use retry::RetryPolicy;
pub use secret::Secret;

/// The library's version, as published in Cargo.toml.
///
/// cbindgen:ignore
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
