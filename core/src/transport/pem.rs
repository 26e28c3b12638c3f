//! Just enough PEM (RFC 7468) to read certificate bundles, client certificates and their keys: labelled
//! base64 blocks, with the RFC 1421 headers of legacy encrypted keys noticed rather than misread.

use base64::Engine as _;
use zeroize::Zeroize;

/// One `-----BEGIN <label>-----` ... `-----END <label>-----` block.
pub(crate) struct Block {
    pub label: String,
    /// The block had RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`): an OpenSSL-encrypted
    /// legacy key.
    pub encrypted_headers: bool,
    pub der: Vec<u8>,
}

/// Blocks may hold private keys: wipe them when done.
impl Drop for Block {
    fn drop(&mut self) {
        self.der.zeroize();
    }
}

/// Every block in `text`, in order; text outside blocks is ignored (bundles often carry comments).
pub(crate) fn blocks(text: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let label = label.to_string();
        let end = format!("-----END {label}-----");
        let mut base64_text = String::new();
        let mut encrypted_headers = false;
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                encrypted_headers |= line.to_ascii_uppercase().contains("ENCRYPTED")
                    || line.to_ascii_lowercase().starts_with("dek-info");
                continue;
            }
            base64_text.push_str(line);
        }
        if !closed {
            base64_text.zeroize();
            return Err(format!("the '{label}' block has no '{end}' line"));
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(base64_text.as_bytes());
        base64_text.zeroize();
        let der = decoded.map_err(|_| format!("the '{label}' block is not valid base64"))?;
        out.push(Block {
            label,
            encrypted_headers,
            der,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::blocks;

    #[test]
    fn reads_labelled_blocks_and_skips_other_text() {
        let text = "comment\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\
                    -----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nBAU=\n\
                    -----END RSA PRIVATE KEY-----\n";
        let found = blocks(text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].label, "CERTIFICATE");
        assert_eq!(found[0].der, [0, 1, 2, 3]);
        assert!(!found[0].encrypted_headers);
        assert_eq!(found[1].label, "RSA PRIVATE KEY");
        assert!(found[1].encrypted_headers);
        assert_eq!(found[1].der, [4, 5]);
    }

    #[test]
    fn unterminated_or_bad_base64_is_an_error() {
        let open = blocks("-----BEGIN CERTIFICATE-----\nAAEC\n").err().unwrap();
        assert!(open.contains("no '-----END CERTIFICATE-----'"), "{open}");
        let bad = blocks("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")
            .err()
            .unwrap();
        assert!(bad.contains("not valid base64"), "{bad}");
        assert!(blocks("no pem here").unwrap().is_empty());
    }
}
