//! PEM is read by `rustls-pki-types`; this says what went wrong in words an operator can act on.

use rustls_pki_types::pem::Error;

/// Why PEM text could not be read, for a message that names the file or argument around it.
pub(crate) fn problem(error: &Error) -> String {
    match error {
        Error::MissingSectionEnd { end_marker } => {
            // The crate reports the block's label here, not the whole line.
            let label = String::from_utf8_lossy(end_marker);
            format!("the '{label}' block has no '-----END {label}-----' line")
        }
        Error::IllegalSectionStart { .. } => {
            "a '-----BEGIN ...-----' line is malformed".to_string()
        }
        Error::Base64Decode(_) => "a PEM block is not valid base64".to_string(),
        Error::SectionTooLarge => "a PEM block is larger than 256 MB".to_string(),
        Error::NoItemsFound => "no PEM block found".to_string(),
        other => format!("not readable as PEM ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::problem;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;

    #[test]
    fn unterminated_or_bad_base64_is_explained() {
        let open =
            CertificateDer::from_pem_slice(b"-----BEGIN CERTIFICATE-----\nAAEC\n").unwrap_err();
        assert_eq!(
            problem(&open),
            "the 'CERTIFICATE' block has no '-----END CERTIFICATE-----' line"
        );
        let bad = CertificateDer::from_pem_slice(
            b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
        )
        .unwrap_err();
        assert!(
            problem(&bad).contains("not valid base64"),
            "{}",
            problem(&bad)
        );
    }
}
