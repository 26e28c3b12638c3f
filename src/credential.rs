//! Credentials and tokens: a service principal with a client secret or a certificate (PEM, or PFX with a
//! password) as a client assertion, a caller-supplied access token (`(Get-AzAccessToken).Token`), or device
//! code sign-in for a user with the refresh token kept in memory. Tokens are cached per audience and
//! renewed five minutes before they expire.

use std::path::Path;
use std::sync::Arc;

use url::Url;

use crate::cloud::IdentitySystem;
use crate::error::Result;
use crate::secret::Secret;
use crate::transport::Transport;

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
    _private: (),
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCertificate(<redacted key>)")
    }
}

impl ClientCertificate {
    /// PEM text holding the certificate (first CERTIFICATE block) and an RSA private key (PKCS#8 or PKCS#1).
    pub fn from_pem(_pem: &str) -> Result<ClientCertificate> {
        unimplemented!()
    }

    /// A certificate file and a key file (both PEM); they may be the same file.
    pub fn from_pem_files(_certificate: &Path, _private_key: &Path) -> Result<ClientCertificate> {
        unimplemented!()
    }

    /// A PKCS#12 (.pfx/.p12) file with an optional password.
    pub fn from_pfx_file(_path: &Path, _password: Option<&Secret>) -> Result<ClientCertificate> {
        unimplemented!()
    }

    /// base64url SHA-1 thumbprint of the certificate (the assertion's `x5t`).
    pub fn x5t(&self) -> String {
        unimplemented!()
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

/// Obtains and caches tokens for one credential against one identity provider.
pub struct TokenProvider {
    _private: (),
}

impl TokenProvider {
    pub fn new(
        _credential: Credential,
        _login_endpoint: &Url,
        _identity_system: IdentitySystem,
    ) -> TokenProvider {
        unimplemented!()
    }

    /// A valid access token for `audience`: from the cache, by refresh token, or by signing in.
    pub fn token(&self, _transport: &Transport, _audience: &str) -> Result<Secret> {
        unimplemented!()
    }

    /// Forgets the cached token for `audience` (after a 401), so the next call signs in again.
    pub fn invalidate(&self, _audience: &str) {
        unimplemented!()
    }
}
