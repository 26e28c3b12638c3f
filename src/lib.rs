//! azs-billing: Azure Stack Hub usage retrieval, registration and chargeback.
//!
//! The library core lives here; `src/ffi` (added with the C ABI) is the C boundary and nothing else.

/// The library's version, as published in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
