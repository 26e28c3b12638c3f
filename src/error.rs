//! The library's error type. Every variant says what went wrong and, where it can, what to do about it.

/// What a service answered when it refused a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// The service's error code (`InvalidProperty`, `invalid_client`, ...), when the body had one.
    pub code: Option<String>,
    /// The service's message, or the status text.
    pub message: String,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, found before any request was sent. `what` names the argument.
    #[error("{what}: {message}")]
    InvalidArgument { what: &'static str, message: String },
    /// The service refused the request (after retries, for retryable statuses).
    #[error("{}", service_message(.0))]
    Service(ServiceError),
    /// Signing in failed: the identity provider refused the credential, or no token could be obtained.
    #[error("authentication failed: {}", service_message(.0))]
    Authentication(ServiceError),
    /// The request could not be completed (connection, TLS, timeout), after retries.
    #[error("transport error: {0}")]
    Transport(String),
    /// A response did not have the expected shape.
    #[error("unexpected response: {0}")]
    UnexpectedResponse(String),
    /// A local file (certificate, CA bundle) could not be read or understood.
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

fn service_message(e: &ServiceError) -> String {
    let mut text = format!("HTTP {}", e.status);
    if let Some(code) = &e.code {
        text.push_str(&format!(" {code}"));
    }
    text.push_str(&format!(": {}", e.message));
    if let Some(id) = &e.request_id {
        text.push_str(&format!(" (request id {id})"));
    }
    text
}

impl Error {
    pub fn invalid(what: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidArgument {
            what,
            message: message.into(),
        }
    }

    /// The service's answer, for Service and Authentication errors.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) | Error::Authentication(e) => Some(e),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
