//! azs-billing: Azure Stack Hub usage retrieval, registration and chargeback.
//!
//! The library core lives here; `src/ffi` (added with the C ABI) is the C boundary and nothing else.

/// The library's version, as published in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_package_version() {
        assert_eq!(super::VERSION, "0.1.0");
    }
}
