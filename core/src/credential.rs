//! Credentials and tokens: a service principal with a client secret or a certificate (PEM, or PFX with a
//! password) as a client assertion, a caller-supplied access token (`(Get-AzAccessToken).Token`), or device
//! code sign-in for a user with the refresh token kept in memory. Tokens are cached per audience and
//! renewed five minutes before they expire.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use sha1::Digest as _;
use url::Url;
use zeroize::Zeroize;

use crate::cloud::IdentitySystem;
use crate::error::{Error, Result, ServiceError};
use crate::secret::Secret;
use crate::transport::Transport;
use crate::transport::pem;
use rustls_pki_types::pem::{Error as PemError, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// What the identity provider showed for device code sign-in; shown to the user by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    pub expires_in_seconds: u64,
}

/// Called once per device code sign-in, before polling starts.
pub type DeviceCodeCallback = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

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
    fn assertion(&self, token_endpoint: &Url, client_id: &str) -> Result<Secret> {
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
const KEY_PROBLEM: &str = "the private key";

fn read_text(path: &Path, what: &str) -> Result<String> {
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
fn pfx_problem(error: &p12_keystore::error::Error, had_password: bool) -> String {
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
struct RsaPublic {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

fn rsa_public_key(der: &[u8]) -> std::result::Result<RsaPublic, String> {
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
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes[first..].to_vec()
}

/// The first certificate in PEM text: its DER and RSA public key.
fn certificate_from_pem(text: &str) -> std::result::Result<(Vec<u8>, RsaPublic), String> {
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
fn key_from_pem(text: &str) -> std::result::Result<EncodingKey, String> {
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

fn is_encrypted_key_line(line: &str) -> bool {
    line == "-----BEGIN ENCRYPTED PRIVATE KEY-----"
        || (line.to_ascii_lowercase().starts_with("proc-type:")
            && line.to_ascii_uppercase().contains("ENCRYPTED"))
        || line.to_ascii_lowercase().starts_with("dek-info:")
}

/// The label of a private key block of a kind the PEM reader does not know (`DSA PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`), to name it in the message.
fn other_private_key_label(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")?
            .strip_suffix("-----")
            .filter(|label| label.ends_with("PRIVATE KEY"))
    })
}

fn not_rsa(label: &str) -> String {
    format!("{KEY_PROBLEM} is a '{label}', not an RSA key; client assertions here are RS256")
}

/// The RSA key inside a PKCS#8 `PrivateKeyInfo` (its `privateKey` octet string is PKCS#1, which is what
/// the signer takes).
fn pkcs8_rsa_key(der: &[u8]) -> std::result::Result<EncodingKey, String> {
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
fn check_pair(key: &EncodingKey, public: &RsaPublic) -> std::result::Result<(), String> {
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

#[derive(Clone)]
pub enum Credential {
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: Secret,
    },
    Certificate {
        tenant: String,
        client_id: String,
        certificate: ClientCertificate,
    },
    /// A bearer token obtained elsewhere; used as is, for every audience, until the service refuses it.
    AccessToken(Secret),
    /// Device code sign-in as a user; `client_id` defaults to the Azure PowerShell public client.
    DeviceCode {
        tenant: String,
        client_id: String,
        prompt: DeviceCodeCallback,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::ClientSecret {
                tenant, client_id, ..
            } => {
                write!(
                    f,
                    "ClientSecret {{ tenant: {tenant:?}, client_id: {client_id:?}, secret: <redacted> }}"
                )
            }
            Credential::Certificate {
                tenant, client_id, ..
            } => {
                write!(
                    f,
                    "Certificate {{ tenant: {tenant:?}, client_id: {client_id:?} }}"
                )
            }
            Credential::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
            Credential::DeviceCode {
                tenant, client_id, ..
            } => {
                write!(
                    f,
                    "DeviceCode {{ tenant: {tenant:?}, client_id: {client_id:?} }}"
                )
            }
        }
    }
}

/// The Azure PowerShell public client id, used for device code sign-in by default.
pub const AZURE_POWERSHELL_CLIENT_ID: &str = "1950a258-227b-4e31-a9cf-717495945fc2";

/// Renew a cached token when less than this remains of its life.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Extra wait the device code flow adds on `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// Obtains and caches tokens for one credential against one identity provider.
pub struct TokenProvider {
    credential: Credential,
    login_endpoint: Url,
    identity_system: IdentitySystem,
    cache: Mutex<HashMap<String, CachedToken>>,
    /// The user's refresh token after device code sign-in; it serves every audience (multi-resource).
    refresh_token: Mutex<Option<Secret>>,
    /// Held while signing in, so that concurrent callers wait for one sign-in (one device code prompt)
    /// instead of starting their own.
    sign_in: Mutex<()>,
    /// Who the latest issued token names (shown by callers; the token itself stays in the cache).
    signed_in: Mutex<Option<crate::account::SignedInAccount>>,
}

impl std::fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenProvider")
            .field("credential", &self.credential)
            .field("login_endpoint", &self.login_endpoint.as_str())
            .field("identity_system", &self.identity_system)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    expires_at: DateTime<Utc>,
}

/// What the token endpoint issued.
#[derive(Debug)]
struct Issued {
    access_token: Secret,
    refresh_token: Option<Secret>,
    expires_at: Option<DateTime<Utc>>,
}

/// A lock whose holder panicked still guards consistent data here (whole values are swapped in and out).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenProvider {
    pub fn new(
        credential: Credential,
        login_endpoint: &Url,
        identity_system: IdentitySystem,
    ) -> TokenProvider {
        TokenProvider {
            credential,
            login_endpoint: login_endpoint.clone(),
            identity_system,
            cache: Mutex::new(HashMap::new()),
            refresh_token: Mutex::new(None),
            sign_in: Mutex::new(()),
            signed_in: Mutex::new(None),
        }
    }

    /// A valid access token for `audience`: from the cache, by refresh token, or by signing in.
    pub fn token(&self, transport: &Transport, audience: &str) -> Result<Secret> {
        let audience = audience.trim();
        if audience.is_empty() {
            return Err(Error::invalid(
                "audience",
                "a token needs an audience (resource)",
            ));
        }
        if let Credential::AccessToken(token) = &self.credential {
            return Ok(token.clone());
        }
        if let Some(token) = self.cached(audience) {
            return Ok(token);
        }
        let _signing_in = lock(&self.sign_in);
        // Another caller may have signed in while this one waited.
        if let Some(token) = self.cached(audience) {
            return Ok(token);
        }
        let issued = self.acquire(transport, audience)?;
        match issued.expires_at {
            Some(expires_at) => log::debug!(
                "token for {audience} issued, expires {}",
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => log::debug!("token for {audience} issued without an expiry; not cached"),
        }
        if let Some(account) =
            crate::account::SignedInAccount::from_token(issued.access_token.expose())
        {
            *lock(&self.signed_in) = Some(account);
        }
        if let Some(refresh) = issued.refresh_token
            && self.credential.holds_refresh_token()
        {
            *lock(&self.refresh_token) = Some(refresh);
        }
        if let Some(expires_at) = issued.expires_at {
            lock(&self.cache).insert(
                audience.to_string(),
                CachedToken {
                    token: issued.access_token.clone(),
                    expires_at,
                },
            );
        }
        Ok(issued.access_token)
    }

    /// Forgets the cached token for `audience` (after a 401), so the next call signs in again.
    pub fn invalidate(&self, audience: &str) {
        if lock(&self.cache).remove(audience.trim()).is_some() {
            log::debug!(
                "cached token for {} dropped; the next request gets a new one",
                audience.trim()
            );
        }
    }

    /// Whether a refused token can be replaced: false for a caller-supplied access token, which is used as
    /// is until the service refuses it.
    pub fn can_renew(&self) -> bool {
        !matches!(self.credential, Credential::AccessToken(_))
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Who the latest token names; None before the first token (or when the token is not a JWT).
    pub fn signed_in(&self) -> Option<crate::account::SignedInAccount> {
        match &self.credential {
            Credential::AccessToken(token) => {
                crate::account::SignedInAccount::from_token(token.expose())
            }
            _ => lock(&self.signed_in).clone(),
        }
    }

    /// The refresh token kept after a device code sign-in, if one was issued and is still held (it is
    /// dropped when the identity provider refuses it). Registration hands it to the privileged endpoint's
    /// `New-AzureBridgeServicePrincipal`; nothing else should need it.
    pub fn refresh_token(&self) -> Option<Secret> {
        lock(&self.refresh_token).clone()
    }

    fn cached(&self, audience: &str) -> Option<Secret> {
        let cache = lock(&self.cache);
        let entry = cache.get(audience)?;
        let left = (entry.expires_at - Utc::now()).to_std().ok()?;
        if left <= RENEW_BEFORE {
            log::debug!(
                "cached token for {audience} expires in {} s; renewing it",
                left.as_secs()
            );
            return None;
        }
        log::trace!("cached token for {audience}, {} s left", left.as_secs());
        Some(entry.token.clone())
    }

    fn acquire(&self, transport: &Transport, audience: &str) -> Result<Issued> {
        match &self.credential {
            Credential::AccessToken(token) => Ok(Issued {
                access_token: token.clone(),
                refresh_token: None,
                expires_at: None,
            }),
            Credential::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                let url = self.endpoint(tenant, "token")?;
                let client_id = required_client_id(client_id)?;
                log_request(
                    &url,
                    audience,
                    "client_credentials grant, client secret",
                    client_id,
                );
                request_token(
                    transport,
                    &url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_secret", secret.expose()),
                        ("resource", audience),
                    ],
                )
            }
            Credential::Certificate {
                tenant,
                client_id,
                certificate,
            } => {
                let url = self.endpoint(tenant, "token")?;
                let client_id = required_client_id(client_id)?;
                let assertion = certificate.assertion(&url, client_id)?;
                log_request(
                    &url,
                    audience,
                    &format!(
                        "client_credentials grant, certificate {}",
                        certificate.thumbprint()
                    ),
                    client_id,
                );
                request_token(
                    transport,
                    &url,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        (
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ),
                        ("client_assertion", assertion.expose()),
                        ("resource", audience),
                    ],
                )
            }
            Credential::DeviceCode {
                tenant,
                client_id,
                prompt,
            } => {
                let client_id = match client_id.trim() {
                    "" => AZURE_POWERSHELL_CLIENT_ID,
                    id => id,
                };
                self.device_code(transport, tenant, client_id, prompt, audience)
            }
        }
    }

    /// `{login}{tenant}/oauth2/{leaf}` (Azure AD, v1) or `{login}oauth2/{leaf}` (AD FS: the login endpoint
    /// already ends in `/adfs/` and there is no tenant segment).
    fn endpoint(&self, tenant: &str, leaf: &str) -> Result<Url> {
        let mut url = self.login_endpoint.clone();
        let tenant = tenant.trim();
        if self.identity_system == IdentitySystem::AzureAd {
            if tenant.is_empty() {
                return Err(Error::invalid(
                    "tenant",
                    "Azure AD sign-in needs the directory tenant (a GUID or a domain such as \
                     contoso.onmicrosoft.com)",
                ));
            }
            check_tenant(tenant)?;
        }
        {
            let mut segments = url.path_segments_mut().map_err(|_| {
                Error::invalid("login_endpoint", "the login endpoint is not an http(s) URL")
            })?;
            segments.pop_if_empty();
            if self.identity_system == IdentitySystem::AzureAd {
                segments.push(tenant);
            }
            segments.push("oauth2").push(leaf);
        }
        Ok(url)
    }

    fn device_code(
        &self,
        transport: &Transport,
        tenant: &str,
        client_id: &str,
        prompt: &DeviceCodeCallback,
        audience: &str,
    ) -> Result<Issued> {
        let token_url = self.endpoint(tenant, "token")?;
        let refresh = lock(&self.refresh_token).clone();
        if let Some(refresh) = refresh {
            log_request(&token_url, audience, "refresh_token grant", client_id);
            match request_token(
                transport,
                &token_url,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id),
                    ("refresh_token", refresh.expose()),
                    ("resource", audience),
                ],
            ) {
                Ok(issued) => return Ok(issued),
                // Expired or revoked: sign in again below.
                Err(Error::Authentication(e)) => {
                    log::debug!(
                        "the refresh token was refused ({}); signing in again with a device code",
                        e.code.as_deref().unwrap_or("no code")
                    );
                    *lock(&self.refresh_token) = None;
                }
                Err(e) => return Err(e),
            }
        }

        let code_url = self.endpoint(tenant, "devicecode")?;
        log_request(&code_url, audience, "device code sign-in", client_id);
        let response = transport
            .post_form(
                &code_url,
                &[("client_id", client_id), ("resource", audience)],
            )
            .map_err(identity_error)?;
        let body: serde_json::Value = response.json()?;
        let field = |name: &str| {
            body.get(name)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let missing = |name: &str| {
            Error::UnexpectedResponse(format!("the device code response has no '{name}'"))
        };
        let device_code = Secret::new(field("device_code").ok_or_else(|| missing("device_code"))?);
        let user_code = field("user_code").ok_or_else(|| missing("user_code"))?;
        let verification_uri = field("verification_uri")
            .or_else(|| field("verification_url"))
            .ok_or_else(|| missing("verification_uri"))?;
        let expires_in = body.get("expires_in").and_then(number).unwrap_or(900.0);
        let interval = body.get("interval").and_then(number).unwrap_or(5.0);
        let message = field("message").unwrap_or_else(|| {
            format!("To sign in, open {verification_uri} and enter the code {user_code}.")
        });
        let expires_in = Duration::try_from_secs_f64(expires_in.max(0.0)).unwrap_or_default();
        prompt(&DeviceCodePrompt {
            user_code,
            verification_uri,
            message,
            expires_in_seconds: expires_in.as_secs(),
        });

        let deadline = Instant::now() + expires_in;
        let mut interval = Duration::try_from_secs_f64(interval.clamp(1.0, 60.0))
            .unwrap_or(Duration::from_secs(5));
        log::debug!(
            "device code shown; polling {} every {} s for up to {} s",
            crate::transport::display_url(&token_url),
            interval.as_secs(),
            expires_in.as_secs()
        );
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Authentication(ServiceError {
                    status: 400,
                    code: Some("expired_token".into()),
                    message: "the device code expired before sign-in was completed; sign in again"
                        .into(),
                    request_id: None,
                    correlation_id: None,
                }));
            }
            std::thread::sleep(interval.min(left));
            match request_token(
                transport,
                &token_url,
                &[
                    ("grant_type", "device_code"),
                    ("code", device_code.expose()),
                    ("client_id", client_id),
                    ("resource", audience),
                ],
            ) {
                Ok(issued) => return Ok(issued),
                Err(Error::Authentication(e))
                    if e.code.as_deref() == Some("authorization_pending") =>
                {
                    log::trace!("device code sign-in still pending");
                }
                Err(Error::Authentication(e)) if e.code.as_deref() == Some("slow_down") => {
                    interval += SLOW_DOWN_STEP;
                    log::debug!(
                        "the identity provider asked to slow down; polling every {} s",
                        interval.as_secs()
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Longest tenant accepted: a DNS name has at most 253 characters.
const MAX_TENANT_CHARS: usize = 253;

/// The form of a tenant: a GUID, a domain name, or a keyword ("adfs", "organizations"). It becomes a path
/// segment of the token URL, so it is checked before anything is sent (discovery included).
pub fn check_tenant(tenant: &str) -> Result<()> {
    let tenant = tenant.trim();
    if tenant.len() > MAX_TENANT_CHARS
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(Error::invalid(
            "tenant",
            format!(
                "{} is not a tenant GUID or domain name; give the directory tenant, e.g. \
                 contoso.onmicrosoft.com or its GUID (\"adfs\" on AD FS stamps)",
                crate::error::quoted(tenant)
            ),
        ));
    }
    Ok(())
}

impl Credential {
    /// The credential's kind as the options JSON names it: "client_secret", "certificate" (a PEM or PFX
    /// certificate), "access_token" or "device_code".
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::ClientSecret { .. } => "client_secret",
            Credential::Certificate { .. } => "certificate",
            Credential::AccessToken(_) => "access_token",
            Credential::DeviceCode { .. } => "device_code",
        }
    }

    /// Whether signing in with this credential leaves a refresh token the library keeps (and can hand to
    /// the privileged endpoint's `New-AzureBridgeServicePrincipal`): only a user's device code sign-in. A
    /// service principal gets none (client credentials grant), and an access token obtained elsewhere
    /// comes alone.
    pub fn holds_refresh_token(&self) -> bool {
        matches!(self, Credential::DeviceCode { .. })
    }

    /// What can be checked without the environment, before anything is sent: the ids, the tenant's form
    /// and an empty client secret (which the identity provider would otherwise receive). Whether a tenant
    /// is needed at all depends on the identity system, known only after discovery.
    pub fn validate(&self) -> Result<()> {
        match self {
            Credential::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                required_client_id(client_id)?;
                check_tenant(tenant)?;
                if secret.expose().trim().is_empty() {
                    return Err(Error::invalid(
                        "client_secret",
                        "is empty; give the application's client secret (its value, not its id)",
                    ));
                }
            }
            Credential::Certificate {
                tenant, client_id, ..
            } => {
                required_client_id(client_id)?;
                check_tenant(tenant)?;
            }
            Credential::AccessToken(token) => {
                if token.expose().trim().is_empty() {
                    return Err(Error::invalid("access_token", "must not be empty"));
                }
            }
            Credential::DeviceCode { tenant, .. } => check_tenant(tenant)?,
        }
        Ok(())
    }
}

fn required_client_id(client_id: &str) -> Result<&str> {
    match client_id.trim() {
        "" => Err(Error::invalid(
            "client_id",
            "the application (client) id is required",
        )),
        id => Ok(id),
    }
}

/// Whatever the identity provider refused is a failure to sign in.
fn identity_error(error: Error) -> Error {
    match error {
        Error::Service(e) => Error::Authentication(e),
        other => other,
    }
}

/// Logs (debug) a token request: where, for which audience, which grant and client. Never the form: it
/// holds the secret, assertion, code or refresh token.
fn log_request(url: &Url, audience: &str, grant: &str, client_id: &str) {
    log::debug!(
        "requesting a token for {audience} from {} ({grant}, client {client_id})",
        crate::transport::display_url(url)
    );
}

/// POSTs a token request and reads the token response.
fn request_token(transport: &Transport, url: &Url, form: &[(&str, &str)]) -> Result<Issued> {
    let mut response = transport.post_form(url, form).map_err(identity_error)?;
    let parsed = parse_token_response(&response.body, Utc::now());
    response.body.zeroize();
    parsed
}

#[derive(serde::Deserialize)]
struct TokenBody {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    expires_on: Option<serde_json::Value>,
}

fn parse_token_response(body: &[u8], now: DateTime<Utc>) -> Result<Issued> {
    // The body is not quoted in errors: it holds tokens.
    let parsed: TokenBody = serde_json::from_slice(body).map_err(|e| {
        Error::UnexpectedResponse(format!(
            "the token response is not the expected JSON object (at line {} column {})",
            e.line(),
            e.column()
        ))
    })?;
    let expires_in = parsed.expires_in.as_ref().and_then(number);
    let expires_on = parsed.expires_on.as_ref().and_then(number);
    let refresh_token = parsed
        .refresh_token
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    let Some(access_token) = parsed.access_token.filter(|t| !t.is_empty()) else {
        return Err(Error::UnexpectedResponse(
            "the token response has no access_token".into(),
        ));
    };
    let expires_at = match (expires_in, expires_on) {
        (Some(seconds), _) => chrono::Duration::try_milliseconds((seconds * 1000.0) as i64)
            .and_then(|d| now.checked_add_signed(d)),
        (None, Some(unix)) => DateTime::from_timestamp(unix as i64, 0),
        (None, None) => jwt_expiry(&access_token),
    };
    Ok(Issued {
        access_token: Secret::new(access_token),
        refresh_token,
        expires_at,
    })
}

/// `exp` of a JWT access token, read without verifying it (only to know when to renew it).
fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    DateTime::from_timestamp(claims.get("exp").and_then(number)? as i64, 0)
}

/// A JSON number or a numeric string (Azure AD v1 sends numbers as strings).
fn number(value: &serde_json::Value) -> Option<f64> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// (certificate PEM, PKCS#8 key PEM) pairs, generated once: RSA key generation is slow.
    fn pairs() -> &'static [(String, String); 2] {
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

    #[test]
    fn debug_shows_no_secret() {
        let (certificate, key) = &pairs()[0];
        let credentials = [
            Credential::ClientSecret {
                tenant: "t".into(),
                client_id: "c".into(),
                secret: Secret::new("hunter2-secret"),
            },
            Credential::Certificate {
                tenant: "t".into(),
                client_id: "c".into(),
                certificate: ClientCertificate::from_pem(&format!("{certificate}{key}")).unwrap(),
            },
            Credential::AccessToken(Secret::new("eyJ-token-value")),
            Credential::DeviceCode {
                tenant: "t".into(),
                client_id: "c".into(),
                prompt: Arc::new(|_| {}),
            },
        ];
        let key_body: String = key.lines().nth(1).unwrap().to_string();
        for credential in &credentials {
            let text = format!("{credential:?}");
            for secret in ["hunter2-secret", "eyJ-token-value", key_body.as_str()] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert_eq!(
            format!("{:?}", credentials[0]),
            "ClientSecret { tenant: \"t\", client_id: \"c\", secret: <redacted> }"
        );
        let provider = TokenProvider::new(
            credentials[0].clone(),
            &Url::parse("https://login.example/").unwrap(),
            IdentitySystem::AzureAd,
        );
        assert!(!format!("{provider:?}").contains("hunter2-secret"));
    }

    #[test]
    fn token_endpoints() {
        let provider = |login: &str, system| {
            TokenProvider::new(
                Credential::AccessToken(Secret::new("x")),
                &Url::parse(login).unwrap(),
                system,
            )
        };
        let aad = provider(
            "https://login.microsoftonline.com/",
            IdentitySystem::AzureAd,
        );
        assert_eq!(
            aad.endpoint("contoso.onmicrosoft.com", "token")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"
        );
        assert_eq!(
            aad.endpoint("5f2b", "devicecode").unwrap().as_str(),
            "https://login.microsoftonline.com/5f2b/oauth2/devicecode"
        );
        assert!(matches!(
            aad.endpoint(" ", "token"),
            Err(Error::InvalidArgument { what: "tenant", .. })
        ));
        assert!(matches!(
            aad.endpoint("../x", "token"),
            Err(Error::InvalidArgument { what: "tenant", .. })
        ));
        let adfs = provider(
            "https://adfs.local.azurestack.external/adfs/",
            IdentitySystem::Adfs,
        );
        assert_eq!(
            adfs.endpoint("ignored", "token").unwrap().as_str(),
            "https://adfs.local.azurestack.external/adfs/oauth2/token"
        );
        assert_eq!(
            adfs.endpoint("", "devicecode").unwrap().as_str(),
            "https://adfs.local.azurestack.external/adfs/oauth2/devicecode"
        );
    }

    #[test]
    fn token_responses() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let parse = |body: &str| parse_token_response(body.as_bytes(), now);
        let v1 = parse(
            r#"{"access_token":"a","expires_in":"3599","expires_on":"1","refresh_token":"r"}"#,
        )
        .unwrap();
        assert_eq!(v1.access_token.expose(), "a");
        assert_eq!(v1.refresh_token.as_ref().map(Secret::expose), Some("r"));
        assert_eq!(v1.expires_at.unwrap().timestamp(), 1_800_003_599);
        let v2 = parse(r#"{"access_token":"a","expires_in":3599}"#).unwrap();
        assert_eq!(v2.expires_at.unwrap().timestamp(), 1_800_003_599);
        assert!(v2.refresh_token.is_none());
        let on = parse(r#"{"access_token":"a","expires_on":"1800000600"}"#).unwrap();
        assert_eq!(on.expires_at.unwrap().timestamp(), 1_800_000_600);
        // Neither: the JWT's own exp.
        let claims =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp":1800001000}"#);
        let jwt = format!("eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln");
        let from_jwt = parse(&format!(r#"{{"access_token":"{jwt}"}}"#)).unwrap();
        assert_eq!(from_jwt.expires_at.unwrap().timestamp(), 1_800_001_000);
        assert!(
            parse(r#"{"access_token":"opaque"}"#)
                .unwrap()
                .expires_at
                .is_none()
        );

        let err = parse(r#"{"token_type":"Bearer","refresh_token":"r-secret"}"#).unwrap_err();
        assert!(err.to_string().contains("no access_token"), "{err}");
        let err = parse(r#""eyJ-secret-string""#).unwrap_err();
        assert!(!err.to_string().contains("eyJ-secret-string"), "{err}");
    }

    #[test]
    fn only_a_device_code_sign_in_holds_a_refresh_token() {
        let (certificate, key) = &pairs()[0];
        let secret = Credential::ClientSecret {
            tenant: "t".into(),
            client_id: "c".into(),
            secret: Secret::new("s"),
        };
        let cases = [
            (secret.clone(), "client_secret", false),
            (
                Credential::Certificate {
                    tenant: "t".into(),
                    client_id: "c".into(),
                    certificate: ClientCertificate::from_pem(&format!("{certificate}{key}"))
                        .unwrap(),
                },
                "certificate",
                false,
            ),
            (
                Credential::AccessToken(Secret::new("a")),
                "access_token",
                false,
            ),
            (
                Credential::DeviceCode {
                    tenant: "t".into(),
                    client_id: "c".into(),
                    prompt: Arc::new(|_| {}),
                },
                "device_code",
                true,
            ),
        ];
        for (credential, kind, holds) in cases {
            assert_eq!(credential.kind(), kind);
            assert_eq!(credential.holds_refresh_token(), holds, "{kind}");
        }

        // A refresh token the identity provider sends a service principal anyway is not kept.
        let (url, _) = crate::transport::testing::serve(vec![crate::transport::testing::reply(
            "200 OK",
            &["content-type: application/json"],
            r#"{"access_token":"a","expires_in":3600,"refresh_token":"r-unwanted"}"#,
        )]);
        let transport = Transport::new(&crate::transport::TransportOptions::default()).unwrap();
        let provider = TokenProvider::new(secret, &url, IdentitySystem::AzureAd);
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "a"
        );
        assert!(provider.refresh_token().is_none());
    }

    #[test]
    fn access_token_credential_serves_every_audience() {
        let transport = Transport::new(&crate::transport::TransportOptions::default()).unwrap();
        let provider = TokenProvider::new(
            Credential::AccessToken(Secret::new("given")),
            &Url::parse("https://login.example/").unwrap(),
            IdentitySystem::AzureAd,
        );
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "given"
        );
        assert_eq!(
            provider.token(&transport, "https://b/").unwrap().expose(),
            "given"
        );
        provider.invalidate("https://a/");
        assert_eq!(
            provider.token(&transport, "https://a/").unwrap().expose(),
            "given"
        );
        assert!(!provider.can_renew());
        assert!(matches!(
            provider.token(&transport, " "),
            Err(Error::InvalidArgument { .. })
        ));
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
