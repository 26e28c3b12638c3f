//! Bearer-token checks in front of every ARM route, with ARM's error codes and a WWW-Authenticate challenge.

use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};

use super::error::ArmError;
use crate::identity::{Caller, Identity, IdentityMode, TokenRejection};

/// Authenticates the request for an endpoint whose audience is `audience`.
pub fn authenticate(
    identity: &Identity,
    headers: &HeaderMap,
    audience: &str,
) -> Result<Caller, ArmError> {
    let challenge = |description: &str| {
        format!(
            "Bearer authorization_uri=\"{}\", error=\"invalid_token\", error_description=\"{description}\"",
            authority(identity)
        )
    };
    let unauthorized = |code: &'static str, message: String, description: &str| {
        let mut error = ArmError::new(StatusCode::UNAUTHORIZED, code, message);
        error.www_authenticate = Some(challenge(description));
        error
    };

    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
            "The authentication failed because of missing 'Authorization' header.",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .into(),
            "The authentication failed because of an invalid 'Authorization' header.",
        ));
    };

    identity.verify_access_token(token, audience).map_err(|rejection| match rejection {
        TokenRejection::Malformed | TokenRejection::InvalidSignature => unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.".into(),
            "The access token is invalid.",
        ),
        TokenRejection::WrongAudience { got, expected } => unauthorized(
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{got}'. It should exactly match with one of the allowed audiences '{expected}'."
            ),
            "The access token has been obtained for wrong audience or resource.",
        ),
        TokenRejection::Expired { expired_at } => unauthorized(
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                utc_text(expired_at),
                Utc::now().format("%-m/%-d/%Y %-I:%M:%S %p")
            ),
            "The access token has expired.",
        ),
        TokenRejection::NotYetValid { not_before } => unauthorized(
            "InvalidAuthenticationToken",
            format!("The access token is not valid before UTC time '{}'.", utc_text(not_before)),
            "The access token is not yet valid.",
        ),
        TokenRejection::UntrustedIssuer { issuer } => unauthorized(
            "InvalidAuthenticationToken",
            format!(
                "The access token is from an issuer '{issuer}' that this endpoint does not trust. Get the token from '{}'.",
                authority(identity)
            ),
            "The access token is from an untrusted issuer.",
        ),
        TokenRejection::WrongTenant { issuer } => unauthorized(
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{issuer}'. It must match the tenant '{}' associated with this subscription. Please use the authority (URL) '{}' to get the token.",
                identity.tenant_issuer(),
                authority(identity)
            ),
            "The access token is from the wrong issuer.",
        ),
        TokenRejection::UnknownPrincipal => ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            "The client does not have authorization to perform this action: its identity is not known to this stamp.",
        ),
    })
}

/// Authenticates a request to an endpoint that accepts tokens for any of `audiences` (public Azure ARM takes
/// `management.core.windows.net` and `management.azure.com` alike). A wrong audience is reported against
/// the first one.
pub fn authenticate_any(
    identity: &Identity,
    headers: &HeaderMap,
    audiences: &[String],
) -> Result<Caller, ArmError> {
    let mut first_error = None;
    for audience in audiences {
        match authenticate(identity, headers, audience) {
            Ok(caller) => return Ok(caller),
            Err(error) if error.code == "InvalidAuthenticationTokenAudience" => {
                first_error.get_or_insert(error);
            }
            Err(error) => return Err(error),
        }
    }
    Err(first_error.unwrap_or_else(|| {
        ArmError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenAudience",
            "The endpoint accepts no audience.",
        )
    }))
}

/// The authority a client should get this endpoint's tokens from.
fn authority(identity: &Identity) -> String {
    match identity.settings().mode {
        IdentityMode::Aad => format!(
            "{}{}",
            identity.login_endpoint(),
            identity.settings().tenant_id
        ),
        IdentityMode::Adfs => identity.login_endpoint(),
    }
}

fn utc_text(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%-m/%-d/%Y %-I:%M:%S %p").to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// 403 for a caller without the right role on `scope`.
pub fn forbidden(caller: &Caller, action: &str, scope: &str) -> ArmError {
    ArmError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{name}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid.",
            name = caller.name,
            oid = caller.object_id
        ),
    )
}
