//! azs-billing: the C ABI of the Azure Stack Hub billing toolkit (`include/azs_billing.h`, generated from
//! `src/ffi` by cbindgen), built as a cdylib and staticlib for C callers and the PowerShell module.
//!
//! Everything here is boundary code: argument checks, the panic boundary, JSON in and out, and who owns
//! what. The toolkit itself is the `azs-billing-core` crate (`core/`), re-exported as [`core`] for Rust
//! callers of this crate.

pub use azs_billing_core as core;

pub mod ffi;
