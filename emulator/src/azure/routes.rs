//! Request dispatch of the Azure ARM listener: paths matched case-insensitively, bearer tokens of the Azure
//! directory for any of Azure's audiences, one subscription the caller needs access to.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::Azure;
use super::scope::Scope;
use crate::http::{
    ArmError, ArmPath, QueryParams, auth, require_method, subscription_format,
    subscription_not_found,
};
use crate::identity::Caller;

/// One authenticated request to the Azure ARM listener.
pub struct AzureRequest<'a> {
    pub azure: &'a Azure,
    pub method: &'a Method,
    pub params: QueryParams,
    pub body: &'a [u8],
    pub caller: Caller,
}

pub async fn dispatch(
    State(azure): State<Arc<Azure>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    crate::http::respond(
        route(&azure, &method, &uri, &headers, &body),
        &uri,
        &headers,
    )
}

fn route(
    azure: &Azure,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ArmError> {
    let path = ArmPath::parse(uri.path());
    let (segments, lower) = (path.segments(), path.lower());
    let params = QueryParams::parse(uri.query());

    if lower == ["metadata", "endpoints"] {
        require_method(method, &Method::GET)?;
        return Ok(axum::Json(super::subscription::metadata(
            azure,
            params.get("api-version"),
        ))
        .into_response());
    }

    let caller = auth::authenticate_any(&azure.identity, headers, &azure.settings.audiences)?;
    let request = AzureRequest {
        azure,
        method,
        params,
        body,
        caller,
    };

    match lower.as_slice() {
        ["subscriptions"] => super::subscription::list(&request),
        ["providers", "microsoft.azurestack", "operations"] => {
            super::subscription::operations(&request)
        }
        ["subscriptions", _, rest @ ..] => {
            subscription(&request, segments[1])?;
            within_subscription(&request, &segments[2..], rest, uri)
        }
        _ => Err(no_route(uri)),
    }
}

/// Routes under `/subscriptions/{id}/`; `segments` and `lower` start after the id.
fn within_subscription(
    request: &AzureRequest,
    segments: &[&str],
    lower: &[&str],
    uri: &Uri,
) -> Result<Response, ArmError> {
    use super::{customer_subscriptions, locks, registrations, resource_groups, role_assignments};
    if let Some(at) = authorization_provider(lower) {
        let scope = Scope::parse(&segments[..at]).ok_or_else(|| no_route(uri))?;
        let names = &segments[at + 2..];
        return match (lower[at + 2], names.get(1).copied(), names.len()) {
            ("locks", name, 1 | 2) => locks::handle(request, scope, name),
            ("roleassignments", name, 1 | 2) => role_assignments::handle(request, scope, name),
            ("roledefinitions", name, 1 | 2) => role_assignments::definitions(request, name),
            _ => Err(no_route(uri)),
        };
    }
    match lower {
        [] => super::subscription::get(request),
        ["locations"] => super::subscription::locations(request),
        ["providers", "microsoft.azurestack"] => super::subscription::provider(request, false),
        ["providers", "microsoft.azurestack", "register"] => {
            super::subscription::provider(request, true)
        }
        ["providers", "microsoft.azurestack", "registrations"] => {
            registrations::list(request, None)
        }
        ["resourcegroups"] => resource_groups::list(request),
        ["resourcegroups", _] => resource_groups::handle(request, segments[1]),
        [
            "resourcegroups",
            _,
            "providers",
            "microsoft.azurestack",
            "registrations",
            rest @ ..,
        ] => {
            let rg = segments[1];
            let name = segments.get(5).copied();
            match (name, rest) {
                (None, []) => registrations::list(request, Some(rg)),
                (Some(name), [_]) => registrations::handle(request, rg, name),
                (Some(name), [_, "getactivationkey"]) => {
                    registrations::activation_key(request, rg, name)
                }
                (Some(name), [_, "customersubscriptions", more @ ..]) if more.len() <= 1 => {
                    customer_subscriptions::handle(request, rg, name, segments.get(7).copied())
                }
                _ => Err(no_route(uri)),
            }
        }
        _ => Err(no_route(uri)),
    }
}

/// Index of the last `providers/Microsoft.Authorization` pair, which ends the scope of a lock, role
/// assignment or role definition path.
fn authorization_provider(lower: &[&str]) -> Option<usize> {
    (0..lower.len().saturating_sub(2))
        .rev()
        .find(|&i| lower[i] == "providers" && lower[i + 1] == "microsoft.authorization")
}

/// The one subscription of the emulated Azure, to a caller with access to it.
fn subscription(request: &AzureRequest, segment: &str) -> Result<(), ArmError> {
    let id = subscription_format(segment)?;
    if id != request.azure.settings.subscription_id {
        return Err(subscription_not_found(segment));
    }
    if !request.caller.access.can_read_subscription(&id.to_string()) {
        return Err(auth::forbidden(
            &request.caller,
            "Microsoft.Resources/subscriptions/read",
            &format!("/subscriptions/{segment}"),
        ));
    }
    Ok(())
}

fn no_route(uri: &Uri) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!(
            "No route matches '{}' on the emulated Azure Resource Manager.",
            uri.path()
        ),
    )
}

/// A JSON answer.
pub fn json(status: StatusCode, value: serde_json::Value) -> Result<Response, ArmError> {
    Ok((status, axum::Json(value)).into_response())
}
