//! Credentials and tokens: a service principal with a client secret or a certificate (PEM, or PFX with a
//! password) as a client assertion, a caller-supplied access token (`(Get-AzAccessToken).Token`), or device
//! code sign-in for a user with the refresh token kept in memory. Tokens are cached per audience and
//! renewed five minutes before they expire.

mod certificate;
mod device_code;
mod provider;
mod token_response;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The target the submodules log under: the documented one (`credential`), not their own paths.
const LOG_TARGET: &str = "azs_billing_core::credential";

pub use certificate::ClientCertificate;
pub use device_code::{DeviceCodeCallback, DeviceCodePrompt};
pub use provider::TokenProvider;

/// How the library signs in. Secrets it holds never show in `Debug`.
#[derive(Clone)]
pub enum Credential {
    /// A service principal with a client secret.
    ClientSecret {
        /// The directory tenant (GUID or domain; ignored on AD FS).
        tenant: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret's value.
        secret: Secret,
    },
    /// A service principal with a certificate, signing a client assertion.
    Certificate {
        /// The directory tenant (GUID or domain; ignored on AD FS).
        tenant: String,
        /// The application (client) id.
        client_id: String,
        /// The certificate and its private key.
        certificate: ClientCertificate,
    },
    /// A bearer token obtained elsewhere; used as is, for every audience, until the service refuses it.
    AccessToken(Secret),
    /// Device code sign-in as a user; `client_id` defaults to the Azure PowerShell public client.
    DeviceCode {
        /// The directory tenant (GUID or domain; ignored on AD FS).
        tenant: String,
        /// The application (client) id.
        client_id: String,
        /// Called with the code to show the user.
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

pub(super) fn required_client_id(client_id: &str) -> Result<&str> {
    match client_id.trim() {
        "" => Err(Error::invalid(
            "client_id",
            "the application (client) id is required",
        )),
        id => Ok(id),
    }
}
