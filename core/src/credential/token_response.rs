//! What a token endpoint answers: the tokens and when the access token expires (from `expires_in`,
//! `expires_on`, or the JWT's own `exp`).

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// What the token endpoint issued.
#[derive(Debug)]
pub(super) struct Issued {
    pub(super) access_token: Secret,
    pub(super) refresh_token: Option<Secret>,
    pub(super) expires_at: Option<DateTime<Utc>>,
}

#[derive(serde::Deserialize)]
struct TokenBody {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    expires_on: Option<serde_json::Value>,
}

pub(super) fn parse_token_response(body: &[u8], now: DateTime<Utc>) -> Result<Issued> {
    // The body is not quoted in errors: it holds tokens. For the same reason the serde error is not kept
    // as the source (unlike every other parse failure): its text can quote the body, tokens included.
    let parsed: TokenBody = serde_json::from_slice(body).map_err(|e| {
        Error::unexpected(format!(
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
        return Err(Error::unexpected("the token response has no access_token"));
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
pub(super) fn number(value: &serde_json::Value) -> Option<f64> {
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
    use base64::Engine as _;

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
}
