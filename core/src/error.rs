//! The library's error type. Every variant says what went wrong and, where it can, what to do about it.

/// What a service answered when it refused a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
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

/// The underlying error an [`Error`] keeps as its `source()`. Its text is already part of the
/// [`Error`]'s message; it is kept so callers can inspect it (an `io::ErrorKind`, a `reqwest::Error`).
pub type BoxedSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Every failure of the library. Non-exhaustive: match the variants you handle and keep a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input, found before any request was sent. `what` names the argument.
    #[error("{what}: {message}")]
    InvalidArgument {
        /// The argument (or option) at fault.
        what: &'static str,
        /// What is wrong with it and what is expected.
        message: String,
    },
    /// The service refused the request (after retries, for retryable statuses).
    #[error("{}", service_message(.0))]
    Service(ServiceError),
    /// Signing in failed: the identity provider refused the credential, or no token could be obtained.
    #[error("authentication failed: {}", service_message(.0))]
    Authentication(ServiceError),
    /// The request could not be completed (connection, TLS, timeout), after retries.
    #[error("transport error: {message}")]
    Transport {
        /// What failed, with the request and the causes in words (the same text `Display` shows).
        message: String,
        /// The HTTP client's or parser's error, when there was one.
        #[source]
        source: Option<BoxedSource>,
    },
    /// A response did not have the expected shape. Build it with [`Error::unexpected`] or
    /// [`Error::unexpected_from`].
    #[error("unexpected response: {message}")]
    UnexpectedResponse {
        /// What was expected and what came instead.
        message: String,
        /// The JSON, URL or number parse error behind it, when there was one (None for a token response:
        /// its parser's text could quote a body that holds tokens).
        #[source]
        source: Option<BoxedSource>,
    },
    /// A local file (certificate, CA bundle) could not be read or understood.
    #[error("{path}: {message}")]
    File {
        /// The file, as given.
        path: String,
        /// What is wrong with it.
        message: String,
        /// The I/O or parser error, when there was one.
        #[source]
        source: Option<BoxedSource>,
    },
    /// The resource does not exist: the service answered 404 (its answer in `service`), or a search
    /// matched nothing (`service` is None). `message` says what was looked for.
    #[error("{message}")]
    NotFound {
        /// What was looked for, and the service's answer.
        message: String,
        /// Boxed: it would double the size of every `Result` in the library otherwise.
        service: Option<Box<ServiceError>>,
    },
    /// The privileged endpoint ran the command and it failed: `code` is the PowerShell exception type
    /// (`ParameterBindingException`, `RuntimeException`, `CommandNotFoundException`, ...).
    #[error("privileged endpoint: {}", service_message(.0))]
    Pep(ServiceError),
    /// The usage warehouse's store (a SQLite file or a PostgreSQL database) failed: it could not be opened,
    /// migrated, read or written, a row contradicts one already stored, or another collector holds the
    /// cursor's lease. `message` says what was being done.
    #[error("{message}")]
    Store {
        /// What was being done with the store, and what went wrong.
        message: String,
        /// The SQLite, PostgreSQL or I/O error, when there was one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The caller cancelled the operation (a [`crate::warehouse::CancelToken`]). What was committed before
    /// the cancel stays; `message` says what that was.
    #[error("{message}")]
    Cancelled {
        /// What stopped and what was kept.
        message: String,
    },
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

/// Longest caller text quoted in a message, in characters.
pub(crate) const MAX_QUOTED_CHARS: usize = 64;

/// Longest argument-error message, in characters: a last guard, should a message quote a caller's text
/// without `quoted` (a 10 MB argument must not become a 10 MB message).
const MAX_INVALID_MESSAGE_CHARS: usize = 2048;

/// `text` quoted for a message, cut to `MAX_QUOTED_CHARS` with an ellipsis, control characters escaped.
/// For caller text that identifies what was refused (a field name, a tenant); never for secrets.
pub fn quoted(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_CHARS).collect();
    let ellipsis = if chars.next().is_some() { "…" } else { "" };
    format!("\"{}{ellipsis}\"", head.escape_debug())
}

impl Error {
    /// An `InvalidArgument` error; an oversized message is cut short.
    pub fn invalid(what: &'static str, message: impl Into<String>) -> Error {
        let mut message = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_INVALID_MESSAGE_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        Error::InvalidArgument { what, message }
    }

    /// An `UnexpectedResponse` error with no underlying cause (a field missing, a limit reached).
    pub fn unexpected(message: impl Into<String>) -> Error {
        Error::UnexpectedResponse {
            message: message.into(),
            source: None,
        }
    }

    /// An `UnexpectedResponse` error keeping the parse error behind it, so callers can walk
    /// `std::error::Error::source`.
    pub fn unexpected_from(message: impl Into<String>, source: impl Into<BoxedSource>) -> Error {
        Error::UnexpectedResponse {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A `Transport` error keeping its cause.
    pub(crate) fn transport(message: impl Into<String>, source: impl Into<BoxedSource>) -> Error {
        Error::Transport {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A `File` error about `path`, keeping its cause when there is one.
    pub(crate) fn file(
        path: &std::path::Path,
        message: impl Into<String>,
        source: Option<BoxedSource>,
    ) -> Error {
        Error::File {
            path: path.display().to_string(),
            message: message.into(),
            source,
        }
    }

    /// A 404 answer as `NotFound`, saying what was looked for; other errors unchanged.
    pub fn not_found_as(self, what: impl FnOnce() -> String) -> Error {
        match self {
            Error::Service(e) if e.status == 404 => Error::NotFound {
                message: format!("{} ({})", what(), service_message(&e)),
                service: Some(Box::new(e)),
            },
            other => other,
        }
    }

    /// Whether the service answered 404 (as `Service` or `NotFound`).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound { .. } => true,
            Error::Service(e) => e.status == 404,
            _ => false,
        }
    }

    /// The service's answer, for Service, Authentication, Pep and NotFound errors.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) | Error::Authentication(e) | Error::Pep(e) => Some(e),
            Error::NotFound { service, .. } => service.as_deref(),
            _ => None,
        }
    }
}

/// The library's `Result`: its error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_their_source() {
        let arm = url::Url::parse("https://management.local.azurestack.external/").unwrap();
        let e = crate::arm::check_next_link(&arm, "not a url").unwrap_err();
        assert!(matches!(e, Error::UnexpectedResponse { .. }), "{e:?}");
        let source = std::error::Error::source(&e).expect("the URL parse error is kept");
        assert!(
            source.downcast_ref::<url::ParseError>().is_some(),
            "{source}"
        );
        // The Display text is the message alone, as before the source was kept.
        assert!(
            e.to_string()
                .starts_with("unexpected response: the nextLink 'not a url'"),
            "{e}"
        );
        assert!(std::error::Error::source(&Error::unexpected("no body")).is_none());
    }

    #[test]
    fn quoted_text_is_cut_short() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
        let long = "é".repeat(10_000);
        assert_eq!(
            quoted(&long),
            format!("\"{}…\"", "é".repeat(MAX_QUOTED_CHARS))
        );
    }

    #[test]
    fn argument_messages_are_bounded() {
        let e = Error::invalid("x", "y".repeat(10 * 1024 * 1024));
        assert!(e.to_string().chars().count() <= MAX_INVALID_MESSAGE_CHARS + 4);
    }
}
