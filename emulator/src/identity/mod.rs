//! The stamp's identity provider: Azure AD-style (`/{tenant}/oauth2/token`, `/{tenant}/oauth2/v2.0/token`,
//! OpenID configuration, JWKS, device code) or AD FS-style (`/adfs/oauth2/token`, ...), chosen per run.
//! It issues RS256-signed access tokens and verifies them for the ARM endpoints.

pub mod principals;

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

pub use principals::{Access, Principals, ServicePrincipal, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityMode {
    Aad,
    Adfs,
}

/// Everything the identity provider needs to know about the run.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub mode: IdentityMode,
    /// Directory tenant id (the `tid` claim; "adfs" is the tenant segment for AD FS).
    pub tenant_id: Uuid,
    /// Directory domain, accepted as the tenant segment in Azure AD mode (e.g. contoso.onmicrosoft.com).
    pub tenant_domain: String,
    /// Public base URL of the identity listener, with a trailing slash (https://127.0.0.1:12345/).
    pub base_url: String,
    /// Resources (audiences) that tokens can be requested for.
    pub audiences: Vec<String>,
    pub access_token_lifetime: Duration,
    /// How long a device code stays pending before it is approved automatically.
    pub device_code_approval_delay: Duration,
}

/// Who a verified access token belongs to.
#[derive(Debug, Clone)]
pub struct Caller {
    pub object_id: Uuid,
    /// Service principal display name or user UPN, for logs.
    pub name: String,
    pub access: Access,
}

/// Why an access token was refused by an ARM endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("the access token is malformed")]
    Malformed,
    #[error("the access token signature is invalid")]
    InvalidSignature,
    #[error("the access token was obtained for audience '{got}', expected '{expected}'")]
    WrongAudience { got: String, expected: String },
    #[error("the access token expired at {expired_at}")]
    Expired { expired_at: i64 },
    #[error("the access token is not valid before {not_before}")]
    NotYetValid { not_before: i64 },
    #[error("the access token's principal is unknown")]
    UnknownPrincipal,
}

pub struct Identity {
    _private: (),
}

impl Identity {
    pub fn new(_settings: IdentitySettings, _principals: Principals) -> anyhow::Result<Identity> {
        unimplemented!("identity provider")
    }

    pub fn settings(&self) -> &IdentitySettings {
        unimplemented!()
    }

    pub fn principals(&self) -> &Principals {
        unimplemented!()
    }

    /// The metadata `loginEndpoint`: the base URL (Azure AD) or base URL + "adfs/" (AD FS).
    pub fn login_endpoint(&self) -> String {
        unimplemented!()
    }

    /// Routes of the identity listener.
    pub fn router(self: Arc<Self>) -> axum::Router {
        unimplemented!()
    }

    /// Verifies signature, audience (exact match with `audience`), expiry and not-before (5 minutes of
    /// clock skew allowed, as ARM does), then resolves the principal.
    pub fn verify_access_token(&self, _token: &str, _audience: &str) -> Result<Caller, TokenRejection> {
        unimplemented!()
    }

    /// Signs arbitrary claims with the provider's key (for the control route that mints test tokens).
    pub fn sign_claims(&self, _claims: &serde_json::Value) -> anyhow::Result<String> {
        unimplemented!()
    }
}
