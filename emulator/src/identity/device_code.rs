//! The device authorization endpoint and the device codes it hands out. A code stays pending for
//! `device_code_approval_delay`, is then approved automatically (as the first configured user), can be
//! redeemed once, and expires after 15 minutes.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use super::errors::{OAuthError, no_cache};
use super::principals::random_url_safe;
use super::routes::{Ctx, Endpoint};
use super::token_endpoint::Target;
use super::{DEVICE_CODE_LIFETIME, Identity, IdentityMode};

/// User codes avoid look-alike characters (no 0/O, 1/I).
const USER_CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug)]
pub(crate) struct DeviceCode {
    client_id: Uuid,
    target: Target,
    issued: Instant,
    redeemed: bool,
}

impl Identity {
    /// `POST .../oauth2/devicecode`.
    pub(crate) fn device_authorization(&self, ctx: &Ctx) -> Result<Response, OAuthError> {
        let client_id = self.public_client_id(ctx)?;
        let target = self.target(ctx, true, None)?;
        let device_code = random_url_safe(48);
        let user_code = user_code();
        {
            let mut codes = self.device_codes.lock().expect("device code store");
            codes.retain(|_, c| c.issued.elapsed() < DEVICE_CODE_LIFETIME * 2);
            codes.insert(
                device_code.clone(),
                DeviceCode {
                    client_id,
                    target,
                    issued: Instant::now(),
                    redeemed: false,
                },
            );
        }
        let verification = match self.settings.mode {
            IdentityMode::Aad => format!("{}devicelogin", self.settings.base_url),
            IdentityMode::Adfs => format!("{}adfs/devicelogin", self.settings.base_url),
        };
        let expires_in = DEVICE_CODE_LIFETIME.as_secs();
        // Azure AD says 5 seconds; a short approval delay (tests) gets a shorter interval.
        let interval = self
            .settings
            .device_code_approval_delay
            .as_secs_f64()
            .ceil()
            .clamp(1.0, 5.0) as u64;
        let message = format!(
            "To sign in, use a web browser to open the page {verification} and enter the code {user_code} to \
             authenticate."
        );
        let body = match ctx.endpoint {
            Endpoint::V1 => json!({
                "user_code": user_code,
                "device_code": device_code,
                "verification_url": verification,
                "expires_in": expires_in.to_string(),
                "interval": interval.to_string(),
                "message": message,
            }),
            Endpoint::V2 => json!({
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": verification,
                "expires_in": expires_in,
                "interval": interval,
                "message": message,
            }),
            Endpoint::Adfs => json!({
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": verification,
                "verification_url": verification,
                "expires_in": expires_in,
                "interval": interval,
                "message": message,
            }),
        };
        tracing::info!(client_id = %client_id, user_code = %user_code, "issued a device code");
        let mut response = (StatusCode::OK, axum::Json(body)).into_response();
        no_cache(&mut response);
        Ok(response)
    }

    /// Redeems an approved device code once; returns what it was issued for.
    pub(crate) fn redeem_device_code(
        &self,
        code: &str,
        client_id: Uuid,
    ) -> Result<Target, OAuthError> {
        let mut codes = self.device_codes.lock().expect("device code store");
        let Some(entry) = codes.get_mut(code) else {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed. (The device code is unknown.)",
            ));
        };
        if entry.client_id != client_id {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                70000,
                "Provided grant is invalid or malformed. (The device code was issued to another client.)",
            ));
        }
        let age = entry.issued.elapsed();
        if age >= DEVICE_CODE_LIFETIME {
            return Err(OAuthError::bad_request(
                "expired_token",
                70019,
                "Verification code expired.",
            ));
        }
        if entry.redeemed {
            return Err(OAuthError::bad_request(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an \
                 existing refresh token.",
            ));
        }
        if age < self.settings.device_code_approval_delay {
            return Err(OAuthError::bad_request(
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            ));
        }
        if self.principals.users.is_empty() {
            return Err(OAuthError::bad_request(
                "access_denied",
                70000,
                "The user denied the authorization request. (The emulator has no users to approve device codes.)",
            ));
        }
        entry.redeemed = true;
        Ok(entry.target.clone())
    }

    /// Test hook: makes a device code as old as `age`.
    #[cfg(test)]
    pub(crate) fn age_device_code(&self, code: &str, age: std::time::Duration) {
        if let Some(entry) = self
            .device_codes
            .lock()
            .expect("device code store")
            .get_mut(code)
        {
            entry.issued = Instant::now()
                .checked_sub(age)
                .expect("age within the monotonic clock");
        }
    }
}

/// Nine characters from a 32-letter alphabet (45 bits).
fn user_code() -> String {
    let mut out = String::with_capacity(9);
    while out.len() < 9 {
        for b in Uuid::new_v4()
            .as_bytes()
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 6 && *i != 8)
            .map(|(_, b)| *b)
        {
            if out.len() < 9 {
                out.push(USER_CODE_ALPHABET[usize::from(b % 32)] as char);
            }
        }
    }
    out
}
