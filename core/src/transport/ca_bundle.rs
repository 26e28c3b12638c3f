//! The extra CA certificates a caller trusts besides the OS store (stamps often use an internal CA).

use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::error::{Error, Result};

use super::pem;

/// Reads a PEM bundle of CA certificates; each must parse as X.509.
pub(super) fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::file(
            path,
            format!("cannot read the CA bundle: {e}"),
            Some(e.into()),
        )
    })?;
    let mut certificates = Vec::new();
    for block in CertificateDer::pem_slice_iter(&bytes) {
        let block = block.map_err(|e| {
            Error::file(
                path,
                format!("not a PEM CA bundle: {}", pem::problem(&e)),
                Some(e.into()),
            )
        })?;
        let number = certificates.len() + 1;
        x509_parser::parse_x509_certificate(&block).map_err(|e| {
            Error::file(
                path,
                format!(
                    "certificate {number} of the CA bundle is not a valid X.509 certificate: {e}"
                ),
                Some(e.into()),
            )
        })?;
        let certificate = reqwest::Certificate::from_der(&block).map_err(|e| {
            Error::file(
                path,
                format!("certificate {number} of the CA bundle cannot be used: {e}"),
                Some(e.into()),
            )
        })?;
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err(Error::file(
            path,
            "the CA bundle holds no certificate (no '-----BEGIN CERTIFICATE-----' block)",
            None,
        ));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_bundle_problems_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let with = read_ca_bundle;
        let Err(Error::File { path, message, .. }) = with(&missing) else {
            panic!("a missing bundle is a file error")
        };
        assert_eq!(path, missing.display().to_string());
        assert!(message.contains("cannot read"), "{message}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "# no certificates\n").unwrap();
        let Err(Error::File { message, .. }) = with(&empty) else {
            panic!("an empty bundle is a file error")
        };
        assert!(message.contains("no certificate"), "{message}");

        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let Err(Error::File { message, .. }) = with(&junk) else {
            panic!("a broken certificate is a file error")
        };
        assert!(message.contains("certificate 1"), "{message}");
    }
}
