//! Key material: the provider's token-signing key (RSA 2048 with a self-signed certificate, published in
//! the JWKS) and the public keys of registered client certificates (for client assertions).

use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use sha1::Digest as _;

/// A freshly generated RSA key and its self-signed certificate, as PEM.
pub(crate) struct GeneratedCertificate {
    pub certificate_pem: String,
    pub private_key_pem: String,
    pub certificate_der: Vec<u8>,
}

/// Generates an RSA 2048 key pair and a self-signed certificate for it.
pub(crate) fn generate_rsa_certificate(common_name: &str) -> anyhow::Result<GeneratedCertificate> {
    let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .context("generating an RSA 2048 key")?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).context("certificate parameters")?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, common_name);
    params.distinguished_name = name;
    let now = chrono::Utc::now();
    params.not_before = rcgen::date_time_ymd(chrono::Datelike::year(&now) - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(chrono::Datelike::year(&now) + 10, 1, 1);
    let certificate = params
        .self_signed(&key_pair)
        .context("self-signing the certificate")?;
    Ok(GeneratedCertificate {
        certificate_pem: certificate.pem(),
        private_key_pem: key_pair.serialize_pem(),
        certificate_der: certificate.der().to_vec(),
    })
}

/// base64url (no padding) of the SHA-1 of a certificate's DER: the `x5t` header value.
pub(crate) fn x5t_sha1(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(der))
}

/// base64url (no padding) of the SHA-256 of a certificate's DER: the `x5t#S256` header value.
pub(crate) fn x5t_sha256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der))
}

/// (modulus, exponent) of a certificate's RSA public key, without leading zero bytes.
fn rsa_components(der: &[u8]) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| anyhow!("not an X.509 certificate: {e}"))?;
    let key = cert
        .public_key()
        .parsed()
        .map_err(|e| anyhow!("unreadable public key: {e}"))?;
    match key {
        x509_parser::public_key::PublicKey::RSA(rsa) => {
            let strip = |b: &[u8]| {
                let first = b
                    .iter()
                    .position(|x| *x != 0)
                    .unwrap_or(b.len().saturating_sub(1));
                b[first..].to_vec()
            };
            let n = strip(rsa.modulus);
            if n.len() * 8 < 2048 {
                bail!(
                    "the RSA key has {} bits; at least 2048 are required",
                    n.len() * 8
                );
            }
            Ok((n, strip(rsa.exponent)))
        }
        _ => bail!("the certificate's key is not an RSA key"),
    }
}

/// The provider's signing key.
pub(crate) struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Key id; like Azure AD, equal to the x5t thumbprint.
    pub kid: String,
    pub x5t: String,
    /// Standard base64 of the certificate DER (JWKS `x5c`).
    pub x5c: String,
    /// base64url of the modulus and exponent (JWKS `n`, `e`).
    pub n: String,
    pub e: String,
}

impl SigningKey {
    pub fn generate() -> anyhow::Result<SigningKey> {
        let generated = generate_rsa_certificate("azs-emulator token signing")?;
        let encoding = EncodingKey::from_rsa_pem(generated.private_key_pem.as_bytes())
            .context("loading the generated signing key")?;
        let (n, e) = rsa_components(&generated.certificate_der)?;
        let x5t = x5t_sha1(&generated.certificate_der);
        Ok(SigningKey {
            encoding,
            decoding: DecodingKey::from_rsa_raw_components(&n, &e),
            kid: x5t.clone(),
            x5t,
            x5c: STANDARD.encode(&generated.certificate_der),
            n: URL_SAFE_NO_PAD.encode(&n),
            e: URL_SAFE_NO_PAD.encode(&e),
        })
    }

    pub fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".to_string());
        header.kid = Some(self.kid.clone());
        header.x5t = Some(self.x5t.clone());
        header
    }

    pub fn sign(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        jsonwebtoken::encode(&self.header(), claims, &self.encoding).context("signing a token")
    }

    /// A compact JWS whose header names only the key (`kid`, `alg`, `typ`), as Azure's activation keys do.
    pub fn sign_jws(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some("JWT".to_string());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("signing a JWS")
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The JWKS entry for this key.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.x5t,
            "n": self.n,
            "e": self.e,
            "x5c": [self.x5c],
        })
    }
}

/// A registered client certificate: its thumbprints and public key.
pub(crate) struct ClientCertificate {
    pub x5t: String,
    pub x5t_s256: String,
    /// Upper-case hex SHA-1 thumbprint, as Windows shows it (for messages).
    pub thumbprint_hex: String,
    pub key: DecodingKey,
}

impl ClientCertificate {
    /// Reads the first CERTIFICATE block of a PEM text (other blocks, e.g. a private key, are ignored).
    pub fn from_pem(pem: &str) -> anyhow::Result<ClientCertificate> {
        let mut der = None;
        for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
            let block = block.map_err(|e| anyhow!("invalid PEM: {e}"))?;
            if block.label == "CERTIFICATE" {
                der = Some(block.contents);
                break;
            }
        }
        let der = der.ok_or_else(|| anyhow!("no '-----BEGIN CERTIFICATE-----' block found"))?;
        let (n, e) = rsa_components(&der)?;
        let sha1 = sha1::Sha1::digest(&der);
        Ok(ClientCertificate {
            x5t: x5t_sha1(&der),
            x5t_s256: x5t_sha256(&der),
            thumbprint_hex: sha1.iter().map(|b| format!("{b:02X}")).collect(),
            key: DecodingKey::from_rsa_raw_components(&n, &e),
        })
    }
}
