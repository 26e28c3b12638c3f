//! ARM-style error responses: `{"error":{"code","message"}}` with the status the real service uses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Sent as `WWW-Authenticate` (401 answers only).
    pub www_authenticate: Option<String>,
}

impl ArmError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ArmError {
        ArmError {
            status,
            code,
            message: message.into(),
            www_authenticate: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ArmError {
        ArmError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A 400 `InvalidProperty`, the usage service's answer for a missing or malformed parameter.
    pub fn invalid_property(message: impl Into<String>) -> ArmError {
        ArmError::bad_request("InvalidProperty", message)
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } })
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(challenge) = &self.www_authenticate
            && let Ok(value) = HeaderValue::from_str(challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
