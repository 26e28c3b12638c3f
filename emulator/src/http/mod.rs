//! The HTTP plumbing every Resource Manager listener shares, the stamp's admin and tenant endpoints as much
//! as the emulated Azure and the control API: ARM's error body, request body and query parsing, path
//! matching, method and api-version checks, bearer-token authentication, the ids ARM adds to each answer.
//!
//! A leaf: it uses the identity provider (to check tokens) and nothing of the listeners built on it, so
//! `arm`, `azure`, `pep` and `state` can all use it without using each other.

pub mod auth;
pub mod body;
pub mod discovery;
pub mod error;
pub mod path;
pub mod query;
pub mod request;
pub mod respond;
pub mod subscription;

pub use error::ArmError;
pub use path::ArmPath;
pub use query::QueryParams;
pub use request::{require_api_version, require_method, supported_api_version};
pub use respond::respond;
pub use subscription::{subscription_entry, subscription_format, subscription_not_found};
