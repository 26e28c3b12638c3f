//! The checks ARM makes on a request before it reaches a resource provider: its method and its
//! `api-version`.

use axum::http::{Method, StatusCode};

use super::error::ArmError;
use super::query::QueryParams;

/// ARM's answer to a method the resource does not support.
pub fn require_method(method: &Method, expected: &Method) -> Result<(), ArmError> {
    if method == expected {
        return Ok(());
    }
    Err(ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{method}'."),
    ))
}

/// ARM's answer to a request without `api-version`.
pub fn require_api_version(params: &QueryParams) -> Result<&str, ArmError> {
    params.get_non_empty("api-version").ok_or_else(|| {
        ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    })
}

/// The request's api-version when `resource_type` (`Namespace/type`) has it among `supported`, else ARM's
/// error naming the supported ones.
pub fn supported_api_version<'a>(
    params: &'a QueryParams,
    supported: &[&str],
    resource_type: &str,
) -> Result<&'a str, ArmError> {
    let version = require_api_version(params)?;
    if supported.iter().any(|v| v.eq_ignore_ascii_case(version)) {
        return Ok(version);
    }
    let (namespace, kind) = resource_type.split_once('/').unwrap_or((resource_type, ""));
    Err(ArmError::bad_request(
        "NoRegisteredProviderFound",
        format!(
            "No registered resource provider found for API version '{version}' for type '{kind}' of namespace \
             '{namespace}'. The supported api-versions are '{}'.",
            supported.join(", ")
        ),
    ))
}
