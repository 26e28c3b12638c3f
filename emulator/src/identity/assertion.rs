//! Client assertions (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`): a
//! JWT signed (RS256 or PS256) with the private key of the client's registered certificate.
//!
//! Checks, in order: the header names the registered certificate (`x5t` = base64url SHA-1 of its DER, or
//! `x5t#S256`; `kid` holding either thumbprint is accepted when both are absent), the signature, `exp` and
//! `nbf` (5 minutes of skew), `aud` (this provider's token endpoint, v1 or v2 form, tenant as GUID, domain or
//! the segment the request used; case-insensitive, one trailing slash ignored), `iss` = `sub` = client id,
//! and `jti`. The assertion itself never appears in an error or a log line.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeZone, Utc};
use jsonwebtoken::Algorithm;
use serde_json::Value;
use uuid::Uuid;

use super::errors::{OAuthError, sanitize};
use super::keys::ClientCertificate;
use super::routes::{Ctx, Endpoint};
use super::{
    CLOCK_SKEW_SECONDS, Identity, IdentityMode, numeric, trim_one_slash, unix_now, verify_signature,
};

impl Identity {
    pub(crate) fn validate_client_assertion(
        &self,
        ctx: &Ctx,
        client_id: Uuid,
        certificate: &ClientCertificate,
        assertion: &str,
    ) -> Result<(), OAuthError> {
        let malformed = |why: &str| {
            OAuthError::invalid_client(50027, format!("JWT token is invalid or malformed. ({why})"))
        };
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| malformed("the client assertion is not a JWT with a readable header"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
            return Err(OAuthError::invalid_client(
                700027,
                format!(
                    "Client assertion failed signature validation. [Reason - The signing algorithm '{:?}' is not \
                     supported; use RS256 or PS256.]",
                    header.alg
                ),
            ));
        }

        let presented = if let Some(x5t) = &header.x5t {
            Thumbprint::Sha1(x5t.clone())
        } else if let Some(x5t) = &header.x5t_s256 {
            Thumbprint::Sha256(x5t.clone())
        } else if let Some(kid) = &header.kid {
            Thumbprint::Kid(kid.clone())
        } else {
            Thumbprint::None
        };
        let known = match &presented {
            Thumbprint::Sha1(t) => *t == certificate.x5t,
            Thumbprint::Sha256(t) => *t == certificate.x5t_s256,
            Thumbprint::Kid(k) => {
                *k == certificate.x5t
                    || *k == certificate.x5t_s256
                    || k.eq_ignore_ascii_case(&certificate.thumbprint_hex)
            }
            Thumbprint::None => false,
        };
        if !known {
            return Err(OAuthError::invalid_client(
                700027,
                format!(
                    "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint \
                     of key used by client: '{}'; it is not a certificate registered for application \
                     '{client_id}'.]",
                    presented.display()
                ),
            ));
        }

        let claims = verify_signature(assertion, &certificate.key, header.alg).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature | jsonwebtoken::errors::ErrorKind::Base64(_) => {
                OAuthError::invalid_client(
                    700027,
                    "Client assertion failed signature validation. [Reason - The signature does not match the \
                     registered certificate's key.]",
                )
            }
            _ => malformed("the client assertion could not be decoded"),
        })?;
        let claims = claims
            .as_object()
            .ok_or_else(|| malformed("the claims are not a JSON object"))?;

        let now = unix_now();
        let time = |t: i64| {
            Utc.timestamp_opt(t, 0)
                .single()
                .map(|d| d.format("%m/%d/%Y %H:%M:%S").to_string())
                .unwrap_or_else(|| t.to_string())
        };
        let exp = claims
            .get("exp")
            .and_then(numeric)
            .ok_or_else(|| malformed("the client assertion has no 'exp' claim"))?;
        let nbf = match claims.get("nbf") {
            None => None,
            Some(v) => {
                Some(numeric(v).ok_or_else(|| malformed("the 'nbf' claim is not a number"))?)
            }
        };
        let expired = now > exp + CLOCK_SKEW_SECONDS;
        let early = nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECONDS);
        if expired || early {
            return Err(OAuthError::invalid_client(
                700024,
                format!(
                    "Client assertion is not within its valid time range. Current time: {}, assertion valid from \
                     {}, expiry time of assertion {}.",
                    time(now),
                    nbf.map(time).unwrap_or_else(|| "(no nbf)".to_string()),
                    time(exp)
                ),
            ));
        }

        let accepted = self.assertion_audiences(ctx);
        let normalize = |s: &str| trim_one_slash(s.trim()).to_ascii_lowercase();
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences
            .iter()
            .any(|a| accepted.iter().any(|ok| normalize(ok) == normalize(a)))
        {
            let expected = self.request_token_endpoint(ctx);
            return Err(OAuthError::invalid_client(
                50013,
                format!(
                    "Assertion failed signature validation. [Reason - The audience in the client assertion was \
                     '{}' and the expected audience is the token endpoint '{expected}'.]",
                    sanitize(&audiences.join(" "))
                ),
            ));
        }

        let client = client_id.to_string();
        let is_client = |claim: &str| {
            claims
                .get(claim)
                .and_then(Value::as_str)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(&client))
        };
        if !is_client("iss") || !is_client("sub") {
            return Err(OAuthError::invalid_client(
                700023,
                format!(
                    "The client assertion's 'iss' and 'sub' claims must both be the application id '{client}'."
                ),
            ));
        }
        let jti_present = claims
            .get("jti")
            .and_then(Value::as_str)
            .is_some_and(|j| !j.trim().is_empty());
        if !jti_present {
            return Err(malformed("the client assertion has no 'jti' claim"));
        }
        Ok(())
    }

    /// Token endpoint URLs a client assertion may be addressed to.
    fn assertion_audiences(&self, ctx: &Ctx) -> Vec<String> {
        let base = &self.settings.base_url;
        match self.settings.mode {
            IdentityMode::Adfs => vec![format!("{base}adfs/oauth2/token")],
            IdentityMode::Aad => {
                let tenants = [
                    self.settings.tenant_id.to_string(),
                    self.settings.tenant_domain.clone(),
                    ctx.tenant_segment.clone(),
                ];
                tenants
                    .iter()
                    .flat_map(|t| {
                        [
                            format!("{base}{t}/oauth2/token"),
                            format!("{base}{t}/oauth2/v2.0/token"),
                        ]
                    })
                    .collect()
            }
        }
    }

    /// The token endpoint the request was sent to (for messages).
    fn request_token_endpoint(&self, ctx: &Ctx) -> String {
        let base = &self.settings.base_url;
        match ctx.endpoint {
            Endpoint::V1 => format!("{base}{}/oauth2/token", ctx.tenant_segment),
            Endpoint::V2 => format!("{base}{}/oauth2/v2.0/token", ctx.tenant_segment),
            Endpoint::Adfs => format!("{base}adfs/oauth2/token"),
        }
    }
}

enum Thumbprint {
    Sha1(String),
    Sha256(String),
    Kid(String),
    None,
}

impl Thumbprint {
    /// Upper-case hex, as Azure AD shows thumbprints (the presented value if it is not base64url).
    fn display(&self) -> String {
        let hex = |s: &str| match URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) {
            Ok(bytes) if bytes.len() == 20 || bytes.len() == 32 => {
                bytes.iter().map(|b| format!("{b:02X}")).collect()
            }
            _ => sanitize(s),
        };
        match self {
            Thumbprint::Sha1(s) | Thumbprint::Sha256(s) => hex(s),
            Thumbprint::Kid(k) => sanitize(k),
            Thumbprint::None => "(none: the header has neither 'x5t' nor 'x5t#S256')".to_string(),
        }
    }
}
