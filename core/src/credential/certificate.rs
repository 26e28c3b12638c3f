//! Client certificates: PEM (certificate and key files) or PFX, checked to belong together, signing the
//! client assertions of the certificate credential.

use std::path::Path;

use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rustls_pki_types::pem::{Error as PemError, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha1::Digest as _;
use url::Url;
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::transport::pem;

/// A client certificate and its private key, ready to sign client assertions.
#[derive(Clone)]
pub struct ClientCertificate {
    /// The certificate, DER.
    der: Vec<u8>,
    /// The RSA private key (PKCS#1 inside).
    key: EncodingKey,
    /// base64url SHA-1 of `der`.
    x5t: String,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCertificate(<redacted key>)")
    }
}

impl ClientCertificate {
    /// PEM text holding the certificate (first CERTIFICATE block) and an RSA private key (PKCS#8 or PKCS#1).
    pub fn from_pem(pem: &str) -> Result<ClientCertificate> {
        ClientCertificate::from_pem_parts(pem, pem)
            .map_err(|message| Error::invalid("certificate", message))
    }

    /// A certificate file and a key file (both PEM); they may be the same file.
    pub fn from_pem_files(certificate: &Path, private_key: &Path) -> Result<ClientCertificate> {
        let file_error = |path: &Path, message: String| Error::file(path, message, None);
        let mut certificate_text = read_text(certificate, "certificate")?;
        let parsed = certificate_from_pem(&certificate_text);
        certificate_text.zeroize();
        let (der, public) = parsed.map_err(|m| file_error(certificate, m))?;
        let mut key_text = read_text(private_key, "private key")?;
        let key = key_from_pem(&key_text);
        key_text.zeroize();
        let key = key.map_err(|m| file_error(private_key, m))?;
        check_pair(&key, &public)
            .map_err(|m| file_error(private_key, format!("{m} in {}", certificate.display())))?;
        Ok(ClientCertificate::new(der, key))
    }

    /// A PKCS#12 (.pfx/.p12) file with an optional password.
    pub fn from_pfx_file(path: &Path, password: Option<&Secret>) -> Result<ClientCertificate> {
        let file_error = |message: String| Error::file(path, message, None);
        let mut data = std::fs::read(path).map_err(|e| {
            Error::file(
                path,
                format!("cannot read the PFX file: {e}"),
                Some(e.into()),
            )
        })?;
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(
            &data,
            password.map(Secret::expose).unwrap_or(""),
        );
        data.zeroize();
        let archive = archive
            .map_err(|e| Error::file(path, pfx_problem(&e, password.is_some()), Some(e.into())))?;
        ClientCertificate::from_pfx_archive(&archive).map_err(file_error)
    }

    /// base64url SHA-1 thumbprint of the certificate (the assertion's `x5t`).
    pub fn x5t(&self) -> String {
        self.x5t.clone()
    }

    /// The SHA-1 thumbprint in upper-case hex, as Windows and the Azure portal show it.
    pub fn thumbprint(&self) -> String {
        sha1::Sha1::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// The certificate, DER-encoded.
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    fn from_pem_parts(
        certificate_text: &str,
        key_text: &str,
    ) -> std::result::Result<ClientCertificate, String> {
        let (der, public) = certificate_from_pem(certificate_text)?;
        let key = key_from_pem(key_text)?;
        check_pair(&key, &public)?;
        Ok(ClientCertificate::new(der, key))
    }

    /// The private key and the certificate it belongs to: paired by local key id when the bags have one
    /// (Windows and OpenSSL set it), else by trying each certificate against the key.
    fn from_pfx_archive(
        archive: &p12_keystore::Pkcs12Archive,
    ) -> std::result::Result<ClientCertificate, String> {
        if archive.keys.is_empty() {
            return Err(
                "the PFX file holds no private key (export the certificate with its private key)"
                    .into(),
            );
        }
        if archive.certs.is_empty() {
            return Err("the PFX file holds no certificate".into());
        }
        let mut last_problem = None;
        for bag in &archive.keys {
            let key = match pkcs8_rsa_key(bag.key.as_der()) {
                Ok(key) => key,
                Err(problem) => {
                    last_problem = Some(problem);
                    continue;
                }
            };
            let paired = |c: &&p12_keystore::CertificateBag| matches!((&c.local_key_id, &bag.local_key_id), (Some(a), Some(b)) if a.as_slice() == b.as_ref());
            let candidates = archive
                .certs
                .iter()
                .filter(paired)
                .chain(archive.certs.iter().filter(|c| !paired(c)));
            for candidate in candidates {
                let der = candidate.cert.as_der();
                let Ok(public) = rsa_public_key(der) else {
                    continue;
                };
                if check_pair(&key, &public).is_ok() {
                    return Ok(ClientCertificate::new(der.to_vec(), key));
                }
            }
            last_problem = Some("no certificate in the PFX file belongs to its private key".into());
        }
        Err(last_problem.unwrap_or_else(|| "the PFX file holds no usable RSA private key".into()))
    }

    fn new(der: Vec<u8>, key: EncodingKey) -> ClientCertificate {
        let x5t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(&der));
        ClientCertificate { der, key, x5t }
    }

    /// A client assertion for `token_endpoint`: RS256, `x5t` naming this certificate, valid from a minute
    /// ago (clock skew) for ten minutes.
    pub(super) fn assertion(&self, token_endpoint: &Url, client_id: &str) -> Result<Secret> {
        let now = Utc::now().timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(self.x5t.clone());
        let claims = serde_json::json!({
            "aud": token_endpoint.as_str(),
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now - 60,
            "exp": now + 600,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| {
                Error::invalid(
                    "certificate",
                    format!("cannot sign the client assertion: {e}"),
                )
            })
    }
}

/// How messages about the private key start.
pub(super) const KEY_PROBLEM: &str = "the private key";

pub(super) fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::file(
            path,
            format!("cannot read the {what} file: {e}"),
            Some(e.into()),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let utf8 = e.utf8_error();
        let mut bytes = e.into_bytes();
        bytes.zeroize();
        Error::file(
            path,
            format!("the {what} file is not PEM text (a DER or PFX file?)"),
            Some(utf8.into()),
        )
    })
}

/// What went wrong reading a PFX, in words an operator can act on.
pub(super) fn pfx_problem(error: &p12_keystore::error::Error, had_password: bool) -> String {
    use p12_keystore::error::Error as P12;
    match error {
        P12::MacError(_) if had_password => {
            "the password is wrong (the PFX file's integrity check failed)".into()
        }
        P12::MacError(_) => "the PFX file is protected by a password; give its password".into(),
        P12::UnpadError | P12::InvalidData | P12::Pkcs5Error(_) => {
            "the password is wrong, or the PFX file is damaged (its contents do not decrypt)".into()
        }
        P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => format!(
            "the PFX file uses protection this library cannot read ({error}); export it again with AES-256 or              3DES encryption"
        ),
        P12::DerError(_) | P12::InvalidVersion | P12::UnsupportedContentType => {
            format!("not a PKCS#12 (.pfx/.p12) file, or it is damaged ({error})")
        }
        _ => format!("cannot read the PFX file ({error})"),
    }
}

/// An RSA public key: modulus and exponent, big-endian without leading zeros (what the verifier takes).
pub(super) struct RsaPublic {
    pub(super) modulus: Vec<u8>,
    pub(super) exponent: Vec<u8>,
}

pub(super) fn rsa_public_key(der: &[u8]) -> std::result::Result<RsaPublic, String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("the certificate is not valid X.509 ({e})"))?;
    match certificate.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Ok(RsaPublic {
            modulus: unsigned(rsa.modulus),
            exponent: unsigned(rsa.exponent),
        }),
        Ok(_) => {
            Err("the certificate's key is not an RSA key; client assertions here are RS256".into())
        }
        Err(e) => Err(format!("the certificate's public key is unreadable ({e})")),
    }
}

/// A DER INTEGER's bytes without the sign byte x509-parser leaves on (a leading zero when the top bit is
/// set): the verifier wants the bare unsigned value.
pub(super) fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes[first..].to_vec()
}

/// The first certificate in PEM text: its DER and RSA public key.
pub(super) fn certificate_from_pem(
    text: &str,
) -> std::result::Result<(Vec<u8>, RsaPublic), String> {
    let certificate = match CertificateDer::from_pem_slice(text.as_bytes()) {
        Ok(certificate) => certificate,
        Err(PemError::NoItemsFound) => {
            return Err("no certificate (no '-----BEGIN CERTIFICATE-----' block)".into());
        }
        Err(e) => return Err(pem::problem(&e)),
    };
    let public = rsa_public_key(&certificate)?;
    Ok((certificate.to_vec(), public))
}

/// The first private key in PEM text, as a signing key.
pub(super) fn key_from_pem(text: &str) -> std::result::Result<EncodingKey, String> {
    // The PEM reader skips blocks it has no type for, so encrypted keys (PKCS#8 `ENCRYPTED PRIVATE KEY`,
    // or OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` headers) are looked for first, to say what they are.
    if text.lines().map(str::trim).any(is_encrypted_key_line) {
        return Err(format!(
            "{KEY_PROBLEM} is encrypted; export it without a password, or use the PFX file with its password"
        ));
    }
    let mut key = match PrivateKeyDer::from_pem_slice(text.as_bytes()) {
        Ok(key) => key,
        Err(PemError::NoItemsFound) => {
            return Err(match other_private_key_label(text) {
                Some(label) => not_rsa(label),
                None => format!(
                    "{KEY_PROBLEM} is missing (no '-----BEGIN PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----' \
                     block)"
                ),
            });
        }
        Err(e) => return Err(pem::problem(&e)),
    };
    let signing_key = match &key {
        PrivateKeyDer::Pkcs1(pkcs1) => Ok(EncodingKey::from_rsa_der(pkcs1.secret_pkcs1_der())),
        PrivateKeyDer::Pkcs8(pkcs8) => pkcs8_rsa_key(pkcs8.secret_pkcs8_der()),
        PrivateKeyDer::Sec1(_) => Err(not_rsa("EC PRIVATE KEY")),
        _ => Err(format!(
            "{KEY_PROBLEM} is not an RSA key; client assertions here are RS256"
        )),
    };
    // The signer holds its own copy; this one is wiped (the PEM reader's types do not wipe on drop).
    key.zeroize();
    signing_key
}

pub(super) fn is_encrypted_key_line(line: &str) -> bool {
    line == "-----BEGIN ENCRYPTED PRIVATE KEY-----"
        || (line.to_ascii_lowercase().starts_with("proc-type:")
            && line.to_ascii_uppercase().contains("ENCRYPTED"))
        || line.to_ascii_lowercase().starts_with("dek-info:")
}

/// The label of a private key block of a kind the PEM reader does not know (`DSA PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`), to name it in the message.
pub(super) fn other_private_key_label(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")?
            .strip_suffix("-----")
            .filter(|label| label.ends_with("PRIVATE KEY"))
    })
}

pub(super) fn not_rsa(label: &str) -> String {
    format!("{KEY_PROBLEM} is a '{label}', not an RSA key; client assertions here are RS256")
}

/// The RSA key inside a PKCS#8 `PrivateKeyInfo` (its `privateKey` octet string is PKCS#1, which is what
/// the signer takes).
pub(super) fn pkcs8_rsa_key(der: &[u8]) -> std::result::Result<EncodingKey, String> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der)
        .map_err(|_| format!("{KEY_PROBLEM} is not a readable PKCS#8 key"))?;
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(format!(
            "{KEY_PROBLEM} is not an RSA key; client assertions here are RS256"
        ));
    }
    Ok(EncodingKey::from_rsa_der(info.private_key.as_bytes()))
}

/// The key signs and the certificate's public key verifies: the pair belongs together, and the key is an
/// RSA key the signer accepts. Failing here beats an opaque `invalid_client` from the identity provider.
pub(super) fn check_pair(key: &EncodingKey, public: &RsaPublic) -> std::result::Result<(), String> {
    let message = b"azs-billing certificate and key check";
    let signature = jsonwebtoken::crypto::sign(message, key, Algorithm::RS256).map_err(|_| {
        format!(
            "{KEY_PROBLEM} is not a usable RSA key (RSA keys of 2048 to 8192 bits are supported)"
        )
    })?;
    let verifier = DecodingKey::from_rsa_raw_components(&public.modulus, &public.exponent);
    match jsonwebtoken::crypto::verify(&signature, message, &verifier, Algorithm::RS256) {
        Ok(true) => Ok(()),
        _ => Err(format!("{KEY_PROBLEM} does not belong to the certificate")),
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use super::*;
    use std::sync::OnceLock;

    /// (certificate PEM, PKCS#8 key PEM) pairs, generated once: RSA key generation is slow.
    pub(crate) fn pairs() -> &'static [(String, String); 2] {
        static PAIRS: OnceLock<[(String, String); 2]> = OnceLock::new();
        PAIRS.get_or_init(|| {
            let one = || {
                let generated = azs_emulator::identity::Principals::defaults(
                    uuid::Uuid::new_v4(),
                    "contoso.onmicrosoft.com",
                );
                (generated.certificate_pem, generated.private_key_pem)
            };
            [one(), one()]
        })
    }

    fn certificate_der(pem_text: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem_text.as_bytes())
            .unwrap()
            .to_vec()
    }

    fn pkcs8_der(pem_text: &str) -> Vec<u8> {
        rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(pem_text.as_bytes())
            .unwrap()
            .secret_pkcs8_der()
            .to_vec()
    }

    fn to_pem(label: &str, der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    fn pkcs1_pem(pkcs8_pem: &str) -> String {
        let der = pkcs8_der(pkcs8_pem);
        let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).unwrap();
        to_pem("RSA PRIVATE KEY", info.private_key.as_bytes())
    }

    fn write_pfx(certificate_pem: &str, key_pem: &str, password: &str) -> Vec<u8> {
        let key = p12_keystore::PrivateKey::from_der(&pkcs8_der(key_pem)).unwrap();
        let certificate =
            p12_keystore::Certificate::from_der(&certificate_der(certificate_pem)).unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(b"key-1".as_slice(), key, [certificate]);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "operator",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().unwrap()
    }

    fn expected_x5t(certificate_pem: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha1::Sha1::digest(certificate_der(certificate_pem)))
    }

    #[test]
    fn pem_with_pkcs8_or_pkcs1_keys() {
        let (certificate, key) = &pairs()[0];
        let combined = format!("{certificate}{key}");
        let parsed = ClientCertificate::from_pem(&combined).unwrap();
        assert_eq!(parsed.x5t(), expected_x5t(certificate));
        assert_eq!(parsed.thumbprint().len(), 40);
        assert_eq!(parsed.certificate_der(), certificate_der(certificate));

        let pkcs1 = format!("{}{certificate}", pkcs1_pem(key));
        assert_eq!(
            ClientCertificate::from_pem(&pkcs1).unwrap().x5t(),
            parsed.x5t()
        );
        assert_eq!(format!("{parsed:?}"), "ClientCertificate(<redacted key>)");
    }

    #[test]
    fn pem_problems_are_explained() {
        let (certificate, key) = &pairs()[0];
        let (_, other_key) = &pairs()[1];
        let message = |text: String| ClientCertificate::from_pem(&text).unwrap_err().to_string();
        assert!(
            message(format!("{certificate}{other_key}"))
                .contains("does not belong to the certificate")
        );
        assert!(message(key.clone()).contains("no certificate"));
        assert!(message(certificate.clone()).contains("private key is missing"));
        let encrypted = to_pem("ENCRYPTED PRIVATE KEY", &[0x30, 0]);
        assert!(message(format!("{certificate}{encrypted}")).contains("encrypted"));
        let ec = to_pem("EC PRIVATE KEY", &[0x30, 0]);
        assert!(message(format!("{certificate}{ec}")).contains("not an RSA key"));
        let junk = to_pem("PRIVATE KEY", &[0x30, 3, 2, 1, 0]);
        assert!(message(format!("{certificate}{junk}")).contains("PKCS#8"));
        assert!(matches!(
            ClientCertificate::from_pem("nothing").unwrap_err(),
            Error::InvalidArgument {
                what: "certificate",
                ..
            }
        ));
    }

    #[test]
    fn pem_files_name_the_file_at_fault() {
        let (certificate, key) = &pairs()[0];
        let (_, other_key) = &pairs()[1];
        let dir = tempfile::tempdir().unwrap();
        let cert_path = dir.path().join("sp.crt");
        let key_path = dir.path().join("sp.key");
        let other_path = dir.path().join("other.key");
        std::fs::write(&cert_path, certificate).unwrap();
        std::fs::write(&key_path, key).unwrap();
        std::fs::write(&other_path, other_key).unwrap();
        let parsed = ClientCertificate::from_pem_files(&cert_path, &key_path).unwrap();
        assert_eq!(parsed.x5t(), expected_x5t(certificate));

        let Err(Error::File { path, message, .. }) =
            ClientCertificate::from_pem_files(&cert_path, &other_path)
        else {
            panic!("a mismatched key is a file error");
        };
        assert_eq!(path, other_path.display().to_string());
        assert!(message.contains("does not belong"), "{message}");

        let missing = dir.path().join("missing.pem");
        let Err(Error::File { path, message, .. }) =
            ClientCertificate::from_pem_files(&missing, &key_path)
        else {
            panic!("a missing file is a file error");
        };
        assert_eq!(path, missing.display().to_string());
        assert!(
            message.contains("cannot read the certificate file"),
            "{message}"
        );
        let Err(Error::File { path, .. }) = ClientCertificate::from_pem_files(&key_path, &key_path)
        else {
            panic!("a file without a certificate is a file error");
        };
        assert_eq!(path, key_path.display().to_string());
    }

    #[test]
    fn pfx_with_a_password() {
        let (certificate, key) = &pairs()[0];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sp.pfx");
        std::fs::write(&path, write_pfx(certificate, key, "pfx-pass-9")).unwrap();
        let password = Secret::new("pfx-pass-9");
        let parsed = ClientCertificate::from_pfx_file(&path, Some(&password)).unwrap();
        assert_eq!(parsed.x5t(), expected_x5t(certificate));

        let wrong = Secret::new("not-the-password");
        let err = ClientCertificate::from_pfx_file(&path, Some(&wrong)).unwrap_err();
        let Error::File {
            path: p, message, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(p, &path.display().to_string());
        assert!(message.contains("password is wrong"), "{message}");
        assert!(!err.to_string().contains("not-the-password"));
        let err = ClientCertificate::from_pfx_file(&path, None).unwrap_err();
        assert!(err.to_string().contains("password"), "{err}");

        let not_pfx = dir.path().join("cert.pem");
        std::fs::write(&not_pfx, certificate).unwrap();
        let err = ClientCertificate::from_pfx_file(&not_pfx, Some(&password)).unwrap_err();
        assert!(err.to_string().contains("not a PKCS#12"), "{err}");
    }

    #[test]
    fn assertion_claims_and_signature() {
        let (certificate, key) = &pairs()[0];
        let parsed = ClientCertificate::from_pem(&format!("{certificate}{key}")).unwrap();
        let endpoint = Url::parse("https://login.example/tenant/oauth2/token").unwrap();
        let assertion = parsed.assertion(&endpoint, "client-1").unwrap();
        let header = jsonwebtoken::decode_header(assertion.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.x5t.as_deref(), Some(parsed.x5t().as_str()));
        let public = rsa_public_key(parsed.certificate_der()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.set_audience(&[endpoint.as_str()]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            assertion.expose(),
            &DecodingKey::from_rsa_raw_components(&public.modulus, &public.exponent),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();
        let now = Utc::now().timestamp();
        let nbf = claims["nbf"].as_i64().unwrap();
        let exp = claims["exp"].as_i64().unwrap();
        assert!((now - 62..=now - 58).contains(&nbf), "{nbf} vs {now}");
        assert!((now + 598..=now + 602).contains(&exp), "{exp} vs {now}");
    }
}

#[cfg(test)]
mod openssl_tests {
    use super::*;
    use std::process::Command;

    /// PFX files as OpenSSL writes them: its default (AES-256, PBKDF2), the 3DES/SHA-1 protection older
    /// Windows exports use, and OpenSSL's legacy RC2 mode.
    #[test]
    fn pfx_exported_by_openssl() {
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!(
                "note: openssl is not installed; PFX files written by OpenSSL are not tested"
            );
            return;
        }
        let generated = azs_emulator::identity::Principals::defaults(
            uuid::Uuid::new_v4(),
            "contoso.onmicrosoft.com",
        );
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        std::fs::write(&cert, &generated.certificate_pem).unwrap();
        std::fs::write(&key, &generated.private_key_pem).unwrap();
        let expected = ClientCertificate::from_pem_files(&cert, &key)
            .unwrap()
            .x5t();
        let windows_legacy = [
            "-certpbe",
            "PBE-SHA1-3DES",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ];
        for (name, extra) in [
            ("default", &[][..]),
            ("3des", &windows_legacy[..]),
            ("legacy", &["-legacy"][..]),
        ] {
            let out = dir.path().join(format!("{name}.pfx"));
            let status = Command::new("openssl")
                .args(["pkcs12", "-export", "-in"])
                .arg(&cert)
                .arg("-inkey")
                .arg(&key)
                .arg("-out")
                .arg(&out)
                .args(["-passout", "pass:Op3nSSL-pass"])
                .args(extra)
                .output()
                .unwrap();
            if !status.status.success() {
                eprintln!(
                    "note: openssl could not write the {name} PFX: {}",
                    String::from_utf8_lossy(&status.stderr)
                );
                continue;
            }
            let parsed = ClientCertificate::from_pfx_file(&out, Some(&Secret::new("Op3nSSL-pass")))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.x5t(), expected, "{name}");
        }
    }
}
