//! The C ABI, and nothing else: argument checks, panic boundaries, ownership transfer. Every behaviour
//! lives in the core; functions here translate between C and it.
//!
//! Conventions (after rustls-ffi): fallible functions return an `azsb_status` and write their outputs only
//! on success; `error_out` may be NULL, and otherwise receives an `azsb_error` on failure that the caller
//! frees with `azsb_error_free`. Strings in are NUL-terminated UTF-8; strings out are owned by the caller and
//! freed with `azsb_string_free`. Every `_free` accepts NULL. A panic inside the library becomes
//! `AZSB_STATUS_PANIC`, never an unwind into C. Every JSON in and out is described field by field in
//! docs/c-abi.md and docs/schema/ (checked by tests/json_contract/): snake_case keys for what the library
//! defines, Azure's spelling for Azure's resources.
//!
//! Threads: an `azsb_client` may be used from several threads at once (calls on it are serialised where
//! they share state); an `azsb_usage_query` or `azsb_store` must be used by one thread at a time; `azsb_cancel_request` may be called from any thread. Never call the library
//! from a thread that is driving an async runtime's reactor (it blocks).

// The exports dereference caller-supplied pointers by design; the contract for them is the header's, and
// `unsafe extern "C"` would change nothing for a C caller.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

#[macro_use]
mod macros;
mod client;
mod error;
mod log;
mod meters;
mod registration;
mod strings;
mod usage;
mod warehouse;

pub use client::*;
pub use error::*;
pub use log::*;
pub use meters::*;
pub use registration::*;
pub use strings::*;
pub use usage::*;
pub use warehouse::*;

/// The version of the library this header belongs to, major part; with the minor and patch parts it is the
/// version `azsb_version()` reports, so a caller can check at run time that it loaded the library it was
/// compiled against.
pub const AZSB_VERSION_MAJOR: u32 = 0;
/// The library's version, minor part.
pub const AZSB_VERSION_MINOR: u32 = 1;
/// The library's version, patch part.
pub const AZSB_VERSION_PATCH: u32 = 0;

/// Bumped whenever a function's signature or meaning changes; the PowerShell module refuses a library whose
/// ABI version differs from the one it was written for.
pub const AZSB_ABI_VERSION: u32 = 1;
