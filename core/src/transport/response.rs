//! Answers: a successful response read in full, and what a refusal's body says (code, message, ids).

use crate::error::{Error, Result, ServiceError};

/// A successful response, body read in full.
#[derive(Clone)]
pub struct Response {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body, read in full.
    pub body: Vec<u8>,
}

/// The body is left out: token responses carry access and refresh tokens.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Response {
    /// The body as `T`; a body of another shape is `Error::UnexpectedResponse`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::unexpected_from(
                format!("the response body is not the expected JSON: {e}"),
                e,
            )
        })
    }

    /// A response header as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// Longest service message kept; the rest of an oversized answer is cut.
const MAX_MESSAGE_CHARS: usize = 2000;

/// Code, message and request ids of a refusal, from ARM (`{"error":{"code","message"}}`), a bare
/// `{"code","message"}`, or OAuth (`{"error","error_description"}`) bodies.
pub(crate) fn service_error(response: &Response) -> ServiceError {
    let body: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let text = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let field = |object: &serde_json::Value, names: &[&str]| {
        names.iter().find_map(|name| text(object.get(*name)))
    };
    let (code, message) = match &body {
        Some(body) => match body.get("error") {
            // `type` is the emulated privileged endpoint's exception type (`{"error":{"type","message"}}`).
            Some(inner @ serde_json::Value::Object(_)) => (
                field(inner, &["code", "Code", "type"]),
                field(inner, &["message", "Message"]),
            ),
            Some(serde_json::Value::String(code)) => (
                Some(code.trim().to_string()).filter(|c| !c.is_empty()),
                // Azure AD appends trace and correlation ids and a timestamp on further lines; the ids are
                // kept below, the timestamp is noise.
                field(body, &["error_description"])
                    .and_then(|d| d.lines().next().map(|l| l.trim().to_string())),
            ),
            _ => (
                field(body, &["code", "Code"]),
                field(body, &["message", "Message"]),
            ),
        },
        None => (None, None),
    };
    let header = |name: &str| {
        response
            .header(name)
            .map(str::to_string)
            .filter(|v| v.len() <= 200)
    };
    let from_body = |name: &str| body.as_ref().and_then(|b| text(b.get(name)));
    let message = message.map(|m| clean(&m)).unwrap_or_else(|| {
        reqwest::StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP status {}", response.status))
    });
    ServiceError {
        status: response.status,
        code: code.map(|c| clean(&c)),
        message,
        request_id: header("x-ms-request-id").or_else(|| from_body("trace_id")),
        correlation_id: header("x-ms-correlation-request-id")
            .or_else(|| from_body("correlation_id")),
    }
}

/// Service text made safe to show: no control characters, bounded length.
fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        out.push_str("...");
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    #[test]
    fn response_debug_leaves_the_body_out() {
        let response = Response {
            status: 200,
            headers: HeaderMap::new(),
            body: br#"{"access_token":"eyJ-secret"}"#.to_vec(),
        };
        let text = format!("{response:?}");
        assert!(!text.contains("eyJ-secret"), "{text}");
        assert!(text.contains("body_bytes"), "{text}");
    }
}
