//! The PEP protocol: `POST /commands/{Name}` with HTTP Basic credentials and a JSON object of parameters.
//! Answers `200 {"output": ...}`, `400 {"error": {"type", "message"}}` with the exception PowerShell would
//! throw, `401` for a wrong credential and `404` (`CommandNotFoundException`) for other commands.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::Pep;
use crate::identity::constant_time_eq;

/// A PowerShell error as the protocol carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PepError {
    pub status: StatusCode,
    /// The .NET exception type name (`ParameterBindingException`, `RuntimeException`, ...).
    pub kind: &'static str,
    pub message: String,
}

impl PepError {
    /// The parameter binder refused the call (unknown parameter, missing mandatory one, wrong type).
    pub fn binding(message: impl Into<String>) -> PepError {
        PepError {
            status: StatusCode::BAD_REQUEST,
            kind: "ParameterBindingException",
            message: message.into(),
        }
    }

    /// A validation attribute (ValidateSet, mandatory non-empty) refused an argument.
    pub fn validation(message: impl Into<String>) -> PepError {
        PepError {
            status: StatusCode::BAD_REQUEST,
            kind: "ParameterBindingValidationException",
            message: message.into(),
        }
    }

    /// The command ran and threw.
    pub fn runtime(message: impl Into<String>) -> PepError {
        PepError {
            status: StatusCode::BAD_REQUEST,
            kind: "RuntimeException",
            message: message.into(),
        }
    }

    pub fn command_not_found(name: &str) -> PepError {
        PepError {
            status: StatusCode::NOT_FOUND,
            kind: "CommandNotFoundException",
            message: format!(
                "The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable \
                 program. Check the spelling of the name, or if a path was included, verify that the path is \
                 correct and try again."
            ),
        }
    }
}

impl IntoResponse for PepError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "type": self.kind, "message": self.message } });
        (self.status, axum::Json(body)).into_response()
    }
}

pub async fn dispatch(
    State(pep): State<Arc<Pep>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let command = match segments.as_slice() {
        [commands, name] if commands.eq_ignore_ascii_case("commands") && !name.is_empty() => *name,
        _ => {
            let error = PepError {
                status: StatusCode::NOT_FOUND,
                kind: "NotFound",
                message: format!(
                    "'{}' is not a PEP route; POST /commands/{{Name}}.",
                    uri.path()
                ),
            };
            return error.into_response();
        }
    };
    if method != Method::POST {
        let error = PepError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            kind: "MethodNotAllowed",
            message: "Commands are run with POST.".into(),
        };
        return error.into_response();
    }
    if !authorized(&pep, &headers) {
        return unauthorized();
    }
    let parameters = match parse_parameters(&body) {
        Ok(parameters) => parameters,
        Err(error) => return error.into_response(),
    };
    match pep.run(command, parameters) {
        Ok(output) => axum::Json(serde_json::json!({ "output": output })).into_response(),
        Err(error) => {
            tracing::info!(command, kind = error.kind, "PEP command failed");
            error.into_response()
        }
    }
}

fn parse_parameters(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, PepError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(PepError::binding(
            "The parameters must be a JSON object of parameter names and values.",
        )),
    }
}

/// The PEP's one account: the user name in any case, the password exactly.
fn authorized(pep: &Pep, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((user, password)) = text.split_once(':') else {
        return false;
    };
    user.eq_ignore_ascii_case(super::USERNAME) && constant_time_eq(&pep.settings.password, password)
}

fn unauthorized() -> Response {
    let mut response = PepError {
        status: StatusCode::UNAUTHORIZED,
        kind: "PSRemotingTransportException",
        message:
            "Connecting to remote server failed with the following error message: Access is denied."
                .into(),
    }
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"PrivilegedEndpoint\""),
    );
    response
}
