//! What ARM adds to every answer, success or error: the request and correlation ids clients log and send
//! back, and the throttling header SDKs read.

use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::error::ArmError;

/// An ARM answer: the response or the error, with the request and correlation ids ARM always sends.
pub fn respond(result: Result<Response, ArmError>, uri: &Uri, headers: &HeaderMap) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let correlation_id = headers
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            tracing::info!(status = %error.status, code = error.code, path = uri.path(), "request refused");
            error.into_response()
        }
    };
    let out = response.headers_mut();
    for (name, value) in [
        ("x-ms-request-id", request_id),
        ("x-ms-correlation-request-id", correlation_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(name, value);
        }
    }
    out.entry("x-ms-ratelimit-remaining-subscription-reads")
        .or_insert(HeaderValue::from_static("11999"));
    response
}
