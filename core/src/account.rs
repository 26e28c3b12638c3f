//! Who signed in: the account and directory tenant an access token names, for display (a connection shows
//! who it acts as, which matters most after a device code sign-in where the caller typed nothing).

use base64::Engine;

/// The longest claim value shown; a longer one is cut (a claim is display text, never an identifier the
/// library acts on).
const MAX_CLAIM_CHARS: usize = 256;

/// The account and tenant of the latest access token. Read from the token's claims without verifying its
/// signature: the token came from the identity provider this client trusts, and nothing here decides access.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SignedInAccount {
    /// A user's sign-in name (`upn`, `unique_name`, `preferred_username` or `email` claim), or an
    /// application's id (`appid` or `azp`) when the token names no user.
    pub account: Option<String>,
    /// "user" or "application", by which claim gave `account`.
    pub account_type: Option<&'static str>,
    /// The directory tenant id (`tid` claim).
    pub tenant_id: Option<String>,
}

impl SignedInAccount {
    /// The claims of a JWT access token; None when the token is not a JWT with a JSON payload (an opaque
    /// token a caller supplied is still usable, it just names nobody).
    pub fn from_token(token: &str) -> Option<SignedInAccount> {
        let payload = token.trim().split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let claim = |name: &str| {
            claims
                .get(name)
                .and_then(|v| v.as_str())
                .map(display_text)
                .filter(|v| !v.is_empty())
        };
        let user = ["upn", "unique_name", "preferred_username", "email"]
            .iter()
            .find_map(|name| claim(name));
        let (account, account_type) = match user {
            Some(user) => (Some(user), Some("user")),
            None => match claim("appid").or_else(|| claim("azp")) {
                Some(app) => (Some(app), Some("application")),
                None => (None, None),
            },
        };
        Some(SignedInAccount {
            account,
            account_type,
            tenant_id: claim("tid"),
        })
    }
}

/// A claim as display text: trimmed, control characters dropped, at most `MAX_CLAIM_CHARS` characters.
fn display_text(value: &str) -> String {
    value
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CLAIM_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        format!(
            "{}.{}.{}",
            encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            encode(claims.to_string().as_bytes()),
            encode(b"signature")
        )
    }

    #[test]
    fn a_user_token_names_the_user_and_tenant() {
        let token = jwt(serde_json::json!({
            "unique_name": "other@contoso.com", "upn": "ops@contoso.com",
            "appid": "1950a258-227b-4e31-a9cf-717495945fc2", "tid": "d1c2e3f4-0000-0000-0000-000000000001"
        }));
        let account = SignedInAccount::from_token(&token).unwrap();
        assert_eq!(account.account.as_deref(), Some("ops@contoso.com"));
        assert_eq!(account.account_type, Some("user"));
        assert_eq!(
            account.tenant_id.as_deref(),
            Some("d1c2e3f4-0000-0000-0000-000000000001")
        );
    }

    #[test]
    fn a_v2_user_token_falls_back_to_preferred_username() {
        let token = jwt(serde_json::json!({"preferred_username": "ops@contoso.com", "tid": "t"}));
        assert_eq!(
            SignedInAccount::from_token(&token)
                .unwrap()
                .account
                .as_deref(),
            Some("ops@contoso.com")
        );
    }

    #[test]
    fn an_application_token_names_the_application() {
        let token = jwt(serde_json::json!({"appid": "8d0c5a7e", "tid": "t", "oid": "o"}));
        let account = SignedInAccount::from_token(&token).unwrap();
        assert_eq!(account.account.as_deref(), Some("8d0c5a7e"));
        assert_eq!(account.account_type, Some("application"));
    }

    #[test]
    fn an_opaque_token_names_nobody() {
        assert_eq!(SignedInAccount::from_token("not-a-jwt"), None);
        assert_eq!(SignedInAccount::from_token("a.%%%.c"), None);
        assert_eq!(SignedInAccount::from_token(""), None);
    }

    #[test]
    fn claims_are_cut_and_cleaned_for_display() {
        let long = format!("{}\n\u{1b}[31m", "x".repeat(1000));
        let token = jwt(serde_json::json!({"upn": long}));
        let account = SignedInAccount::from_token(&token)
            .unwrap()
            .account
            .unwrap();
        assert_eq!(account.chars().count(), MAX_CLAIM_CHARS);
        assert!(!account.chars().any(char::is_control));
    }
}
