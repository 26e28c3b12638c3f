//! OAuth 2.0 error responses in Azure AD's shape (`error`, `error_description` starting with `AADSTSnnnn:`,
//! `error_codes`, `timestamp`, `trace_id`, `correlation_id`) or AD FS's (`error`, `error_description`).
//!
//! Descriptions are built only from non-secret values (ids, names, resources): never a secret, an
//! assertion, a password or a token.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::IdentityMode;

#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    /// The AADSTS number.
    pub code: u32,
    pub description: String,
}

impl OAuthError {
    pub fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    pub fn bad_request(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, code, description)
    }

    pub fn invalid_client(code: u32, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            code,
            description,
        )
    }

    /// AADSTS900144: a required body parameter is missing.
    pub fn missing(parameter: &str) -> Self {
        Self::bad_request(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    pub fn tenant_not_found(tenant: &str) -> Self {
        Self::bad_request(
            "invalid_request",
            90002,
            format!(
                "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into \
                 the correct cloud. Check with your subscription administrator, this may happen if there are no \
                 active subscriptions for the tenant.",
                sanitize(tenant)
            ),
        )
    }

    /// AADSTS700016. A client id that is not a GUID is not echoed (it might be a misplaced credential).
    pub fn unknown_client(client_id: &str, tenant_id: &str) -> Self {
        let shown = match uuid::Uuid::parse_str(client_id) {
            Ok(id) => id.to_string(),
            Err(_) => "(not a GUID)".to_string(),
        };
        Self::bad_request(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{shown}' was not found in the directory '{tenant_id}'. This can \
                 happen if the application has not been installed by the administrator of the tenant or consented \
                 to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    pub fn invalid_resource(resource: &str, tenant: &str) -> Self {
        Self::bad_request(
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {} was not found in the tenant named {tenant}. This can happen if \
                 the application has not been installed by the administrator of the tenant or consented to by any \
                 user in the tenant. You might have sent your authentication request to the wrong tenant.",
                sanitize(resource)
            ),
        )
    }

    pub fn render(&self, mode: IdentityMode, correlation_id: &str) -> Response {
        let body = match mode {
            IdentityMode::Aad => {
                let trace_id = uuid::Uuid::new_v4();
                let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
                serde_json::json!({
                    "error": self.error,
                    "error_description": format!(
                        "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                        self.code, self.description
                    ),
                    "error_codes": [self.code],
                    "timestamp": timestamp,
                    "trace_id": trace_id.to_string(),
                    "correlation_id": correlation_id,
                })
            }
            IdentityMode::Adfs => serde_json::json!({
                "error": self.error,
                "error_description": self.description,
            }),
        };
        tracing::debug!(
            status = self.status.as_u16(),
            error = self.error,
            code = self.code,
            description = %self.description,
            "identity request refused"
        );
        let mut response = (self.status, axum::Json(body)).into_response();
        no_cache(&mut response);
        response
    }
}

/// Token and error responses must not be cached.
pub(crate) fn no_cache(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Echoed client-supplied identifiers are cut short and stripped of control characters.
pub(crate) fn sanitize(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if value.chars().count() > 200 {
        format!("{cleaned}...")
    } else {
        cleaned
    }
}
