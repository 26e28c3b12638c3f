//! Device code sign-in (RFC 8628) for a user, and the refresh token it leaves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result, ServiceError};
use crate::secret::Secret;
use crate::transport::Transport;

use super::TokenProvider;
use super::provider::{identity_error, lock, log_request, request_token};
use super::token_response::{Issued, number};

/// What the identity provider showed for device code sign-in; shown to the user by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    /// The code the user enters.
    pub user_code: String,
    /// Where the user enters it.
    pub verification_uri: String,
    /// The identity provider's instructions, ready to show.
    pub message: String,
    /// How long the code stays valid.
    pub expires_in_seconds: u64,
}

/// Called once per device code sign-in, before polling starts.
pub type DeviceCodeCallback = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

/// Extra wait the device code flow adds on `slow_down` (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

impl TokenProvider {
    pub(super) fn device_code(
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
                    log::debug!(target: super::LOG_TARGET,
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
        let missing =
            |name: &str| Error::unexpected(format!("the device code response has no '{name}'"));
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
        log::debug!(target: super::LOG_TARGET,
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
                    log::trace!(target: super::LOG_TARGET, "device code sign-in still pending");
                }
                Err(Error::Authentication(e)) if e.code.as_deref() == Some("slow_down") => {
                    interval += SLOW_DOWN_STEP;
                    log::debug!(target: super::LOG_TARGET,
                        "the identity provider asked to slow down; polling every {} s",
                        interval.as_secs()
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
}
