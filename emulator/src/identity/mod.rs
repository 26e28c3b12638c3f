//! The stamp's identity provider: Azure AD-style (`/{tenant}/oauth2/token`, `/{tenant}/oauth2/v2.0/token`,
//! OpenID configuration, JWKS, device code) or AD FS-style (`/adfs/oauth2/token`, ...), chosen per run.
//! It issues RS256-signed access tokens and verifies them for the ARM endpoints.
//!
//! Layout: `routes` dispatches requests (paths are matched case-insensitively, like Azure AD and AD FS do),
//! `token_endpoint` implements the grants, `assertion` validates client assertions, `device_code` keeps
//! pending device codes, `discovery` serves OpenID configuration, JWKS and instance discovery, `keys` holds
//! the key material and `errors` renders OAuth errors.

mod assertion;
mod device_code;
mod discovery;
mod errors;
mod keys;
pub mod principals;
mod routes;
mod token_endpoint;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use uuid::Uuid;

pub(crate) use keys::SigningKey;
pub use principals::{Access, GeneratedPrincipals, Principals, ServicePrincipal, User};
use routes::Endpoint;
pub(crate) use token_endpoint::constant_time_eq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    #[error("the access token's issuer '{issuer}' is not this directory")]
    UntrustedIssuer { issuer: String },
    #[error("the access token is from tenant issuer '{issuer}', not this directory's tenant")]
    WrongTenant { issuer: String },
    #[error("the access token's principal is unknown")]
    UnknownPrincipal,
}

/// Clock skew tolerated on `exp` and `nbf`, for access tokens and client assertions alike.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

/// How long a device code can be redeemed (Azure AD: 15 minutes).
pub const DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How long a refresh token stays valid (Azure AD: 90 days).
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

pub struct Identity {
    settings: IdentitySettings,
    principals: Principals,
    key: keys::SigningKey,
    /// Registered client certificates by client id.
    client_certificates: HashMap<Uuid, keys::ClientCertificate>,
    refresh_tokens: Mutex<HashMap<String, token_endpoint::RefreshGrant>>,
    device_codes: Mutex<HashMap<String, device_code::DeviceCode>>,
}

impl Identity {
    /// Generates the signing key (RSA 2048 and a self-signed certificate) and reads the registered client
    /// certificates. A `base_url` without a trailing slash gets one.
    pub fn new(settings: IdentitySettings, principals: Principals) -> anyhow::Result<Identity> {
        let mut settings = settings;
        if !settings.base_url.ends_with('/') {
            settings.base_url.push('/');
        }
        let key = keys::SigningKey::generate().context("generating the token-signing key")?;
        let mut client_certificates = HashMap::new();
        for sp in &principals.service_principals {
            if let Some(pem) = &sp.certificate_pem {
                let certificate = keys::ClientCertificate::from_pem(pem).with_context(|| {
                    format!(
                        "service principal '{}' ({}): 'certificate_pem' is not a usable RSA certificate",
                        sp.name, sp.client_id
                    )
                })?;
                client_certificates.insert(sp.client_id, certificate);
            }
        }
        Ok(Identity {
            settings,
            principals,
            key,
            client_certificates,
            refresh_tokens: Mutex::new(HashMap::new()),
            device_codes: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets every refresh token issued so far, as revoking a user's sessions does in Azure AD: the next
    /// refresh is `invalid_grant`. Returns how many there were.
    pub fn revoke_refresh_tokens(&self) -> usize {
        let mut store = self
            .refresh_tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = store.len();
        store.clear();
        count
    }

    pub fn settings(&self) -> &IdentitySettings {
        &self.settings
    }

    pub fn principals(&self) -> &Principals {
        &self.principals
    }

    /// The metadata `loginEndpoint`: the base URL (Azure AD) or base URL + "adfs/" (AD FS).
    pub fn login_endpoint(&self) -> String {
        match self.settings.mode {
            IdentityMode::Aad => self.settings.base_url.clone(),
            IdentityMode::Adfs => format!("{}adfs/", self.settings.base_url),
        }
    }

    /// The token endpoint URL clients of this run use: `{base}{tenant_id}/oauth2/token` (Azure AD, v1) or
    /// `{base}adfs/oauth2/token` (AD FS).
    pub fn token_endpoint(&self) -> String {
        match self.settings.mode {
            IdentityMode::Aad => format!(
                "{}{}/oauth2/token",
                self.settings.base_url, self.settings.tenant_id
            ),
            IdentityMode::Adfs => format!("{}adfs/oauth2/token", self.settings.base_url),
        }
    }

    /// The issuer ARM names when a token is from the wrong tenant: the v1 issuer (Azure AD) or AD FS's.
    pub fn tenant_issuer(&self) -> String {
        match self.settings.mode {
            IdentityMode::Aad => self.issuer(Endpoint::V1),
            IdentityMode::Adfs => self.issuer(Endpoint::Adfs),
        }
    }

    /// The `kid` (and `x5t`) of the token-signing key.
    pub fn signing_key_id(&self) -> &str {
        &self.key.kid
    }

    /// The JWKS document served at `.../discovery/keys`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.key.jwk()] })
    }

    /// Routes of the identity listener.
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
            .fallback(routes::dispatch)
            .with_state(self)
    }

    /// Verifies signature, audience (exact match with `audience`, ignoring one trailing slash), expiry and
    /// not-before (5 minutes of clock skew allowed, as ARM does), issuer and tenant, then resolves the
    /// principal (by `oid`).
    pub fn verify_access_token(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<Caller, TokenRejection> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Malformed)?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(TokenRejection::InvalidSignature);
        }
        if header.kid.as_deref() != Some(self.key.kid.as_str()) {
            return Err(TokenRejection::InvalidSignature);
        }
        let claims = verify_signature(
            token,
            self.key.decoding_key(),
            jsonwebtoken::Algorithm::RS256,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenRejection::InvalidSignature,
            _ => TokenRejection::Malformed,
        })?;
        let claims = claims.as_object().ok_or(TokenRejection::Malformed)?;

        let aud_matches = |got: &str| trim_one_slash(got) == trim_one_slash(audience);
        match claims.get("aud") {
            Some(serde_json::Value::String(got)) => {
                if !aud_matches(got) {
                    return Err(TokenRejection::WrongAudience {
                        got: got.clone(),
                        expected: audience.to_string(),
                    });
                }
            }
            Some(serde_json::Value::Array(list)) => {
                let got: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
                if !got.iter().any(|g| aud_matches(g)) {
                    return Err(TokenRejection::WrongAudience {
                        got: got.join(" "),
                        expected: audience.to_string(),
                    });
                }
            }
            _ => return Err(TokenRejection::Malformed),
        }

        let now = unix_now();
        let exp = claims
            .get("exp")
            .and_then(numeric)
            .ok_or(TokenRejection::Malformed)?;
        if now > exp + CLOCK_SKEW_SECONDS {
            return Err(TokenRejection::Expired { expired_at: exp });
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = numeric(nbf).ok_or(TokenRejection::Malformed)?;
            if nbf > now + CLOCK_SKEW_SECONDS {
                return Err(TokenRejection::NotYetValid { not_before: nbf });
            }
        }

        self.check_issuer_and_tenant(claims)?;

        let oid = claims
            .get("oid")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or(TokenRejection::UnknownPrincipal)?;
        if let Some(sp) = self
            .principals
            .service_principals
            .iter()
            .find(|sp| sp.object_id == oid)
        {
            return Ok(Caller {
                object_id: oid,
                name: sp.name.clone(),
                access: sp.access.clone(),
            });
        }
        if let Some(user) = self.principals.users.iter().find(|u| u.object_id == oid) {
            return Ok(Caller {
                object_id: oid,
                name: user.upn.clone(),
                access: user.access.clone(),
            });
        }
        Err(TokenRejection::UnknownPrincipal)
    }

    /// A token signed with the right key can still be for another tenant: Azure AD signs every tenant's
    /// tokens with the same keys, so ARM trusts a token only when `iss` is this directory's issuer (v1
    /// `{base}{tenant}/`, v2 `{base}{tenant}/v2.0`, AD FS `{base}adfs`) and, in Azure AD, `tid` is this
    /// directory's tenant. An issuer on this directory's host naming another tenant is `WrongTenant`
    /// (ARM's `InvalidAuthenticationTokenTenant`); any other issuer is `UntrustedIssuer`.
    fn check_issuer_and_tenant(
        &self,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), TokenRejection> {
        let issuer = claims
            .get("iss")
            .and_then(|v| v.as_str())
            .ok_or(TokenRejection::Malformed)?;
        let accepted = match self.settings.mode {
            IdentityMode::Aad => vec![self.issuer(Endpoint::V1), self.issuer(Endpoint::V2)],
            IdentityMode::Adfs => vec![self.issuer(Endpoint::Adfs)],
        };
        if !accepted.iter().any(|a| a == issuer) {
            let other_tenant = issuer
                .strip_prefix(self.settings.base_url.as_str())
                .and_then(|rest| {
                    rest.strip_suffix("/v2.0")
                        .or_else(|| rest.strip_suffix('/'))
                })
                .is_some_and(|tenant| Uuid::parse_str(tenant).is_ok());
            return Err(if other_tenant && self.settings.mode == IdentityMode::Aad {
                TokenRejection::WrongTenant {
                    issuer: issuer.to_string(),
                }
            } else {
                TokenRejection::UntrustedIssuer {
                    issuer: issuer.to_string(),
                }
            });
        }
        if self.settings.mode == IdentityMode::Aad {
            let tid = claims
                .get("tid")
                .and_then(|v| v.as_str())
                .and_then(|s| Uuid::parse_str(s).ok());
            if tid != Some(self.settings.tenant_id) {
                return Err(TokenRejection::WrongTenant {
                    issuer: issuer.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Signs arbitrary claims with the provider's key (for the control route that mints test tokens).
    pub fn sign_claims(&self, claims: &serde_json::Value) -> anyhow::Result<String> {
        self.key.sign(claims)
    }
}

/// Checks a JWT's signature with `key` (the header's algorithm must be `alg`) and returns its claims,
/// without validating any claim.
pub fn verify_signature(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> jsonwebtoken::errors::Result<serde_json::Value> {
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(token, key, &validation)?;
    Ok(data.claims)
}

/// A JWT NumericDate (integer, or a float or a numeric string as some clients send).
pub(crate) fn numeric(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `s` without one trailing '/'.
pub(crate) fn trim_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}
