//! Why an attempt failed, and whether another attempt can help.

use crate::error::{BoxedSource, Error};
use crate::retry;

use super::response::Response;

/// An attempt that produced no usable response.
pub(super) enum Failure {
    /// A complete non-2xx response.
    Status(Box<Response>),
    /// Worth another attempt: connection, timeout, body cut short. `kind` names which for the log;
    /// `unexpected`: report as `UnexpectedResponse` rather than `Transport` when attempts run out.
    Transient {
        kind: &'static str,
        message: String,
        unexpected: bool,
        /// The error behind `message`, kept as the final error's `source()`.
        source: Option<BoxedSource>,
    },
    /// Retrying cannot help (TLS trust, a header that cannot be sent).
    Permanent(Error),
}

impl Failure {
    /// What the retry log says about a retryable failure.
    pub(super) fn cause(&self) -> retry::Cause<'_> {
        match self {
            Failure::Status(response) => retry::Cause::Status(response.status),
            Failure::Transient { kind, message, .. } => retry::Cause::Transport {
                kind,
                detail: message,
            },
            // Never retried (`send` returns it at once); named for completeness.
            Failure::Permanent(_) => retry::Cause::Transport {
                kind: "permanent failure",
                detail: "not retried",
            },
        }
    }
}

/// Sorts a failed send into worth-retrying or not.
pub(super) fn classify(error: reqwest::Error) -> Failure {
    let message = error_chain(&error);
    if error.is_builder() {
        return Failure::Permanent(Error::transport(
            format!("the request could not be built: {message}"),
            error,
        ));
    }
    if is_tls_error(&error) {
        let hint = if message.contains("UnknownIssuer") {
            "; if the endpoint uses an internal CA (Azure Stack Hub usually does), pass its certificate in ca_bundle"
        } else {
            ""
        };
        return Failure::Permanent(Error::transport(format!("TLS: {message}{hint}"), error));
    }
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "body cut short"
    } else {
        "request failed"
    };
    Failure::Transient {
        kind,
        message,
        unexpected: false,
        source: Some(error.into()),
    }
}

/// A rustls error anywhere in the chain: certificate trust and protocol mismatches do not heal on retry.
fn is_tls_error(error: &reqwest::Error) -> bool {
    has_rustls_error(error)
}

fn has_rustls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // io::Error::source() skips the error it wraps, and tokio-rustls nests io::Errors, so look inside.
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        && has_rustls_error(inner)
    {
        return true;
    }
    error.source().is_some_and(has_rustls_error)
}

/// An error and its causes, joined with ": ", without the request URL (callers name it once).
pub(super) fn error_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let top = error.to_string();
    let top = match error.url() {
        Some(url) => top.replace(&format!(" for url ({url})"), ""),
        None => top,
    };
    parts.push(top);
    let mut current = std::error::Error::source(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
