//! Management locks: `PUT|GET|DELETE {scope}/providers/Microsoft.Authorization/locks/{name}` and the list at
//! a scope. A lock on a scope or any parent refuses deletes (`CanNotDelete`) or all changes (`ReadOnly`).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{Operation, scope_locked};
use super::routes::{AzureRequest, json};
use super::scope::Scope;
use super::state::{AzureState, Lock, LockLevel};
use crate::http::{
    ArmError,
    body::{json_object, member},
    require_api_version, require_method,
};

/// Locks arrived with this api-version of Microsoft.Authorization.
const FIRST_API_VERSION: &str = "2016-09-01";

/// Refuses `operation` on `scope` when a lock on it or a parent forbids it.
pub fn check(
    state: &AzureState,
    scope: &Scope,
    operation: Operation,
    subscription: uuid::Uuid,
) -> Result<(), ArmError> {
    let locked: Vec<String> = state
        .locks
        .iter()
        .filter(|l| l.scope.contains(scope))
        .filter(|l| operation == Operation::Delete || l.level == LockLevel::ReadOnly)
        .map(|l| l.scope.id(subscription))
        .collect();
    if locked.is_empty() {
        return Ok(());
    }
    Err(scope_locked(&scope.id(subscription), operation, &locked))
}

fn resource(subscription: uuid::Uuid, lock: &Lock) -> serde_json::Value {
    let mut properties = serde_json::json!({ "level": lock.level.as_str() });
    if let Some(notes) = &lock.notes {
        properties["notes"] = notes.clone().into();
    }
    serde_json::json!({
        "id": format!("{}/providers/Microsoft.Authorization/locks/{}", lock.scope.id(subscription), lock.name),
        "type": "Microsoft.Authorization/locks",
        "name": lock.name,
        "properties": properties,
    })
}

fn is_this(lock: &Lock, scope: &Scope, name: &str) -> bool {
    lock.name.eq_ignore_ascii_case(name)
        && lock.scope.contains(scope)
        && scope.contains(&lock.scope)
}

pub fn handle(
    request: &AzureRequest,
    scope: Scope,
    name: Option<&str>,
) -> Result<Response, ArmError> {
    let version = require_api_version(&request.params)?;
    if version
        .get(..10)
        .is_none_or(|date| date < FIRST_API_VERSION)
    {
        return Err(ArmError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for API version '{version}' and type 'locks' of namespace \
                 'Microsoft.Authorization'. Use {FIRST_API_VERSION} or later."
            ),
        ));
    }
    let subscription = request.azure.settings.subscription_id;
    let mut state = request.azure.lock_state();
    state.require(&scope)?;
    let Some(name) = name else {
        require_method(request.method, &Method::GET)?;
        let at_scope_only = request
            .params
            .get("$filter")
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("atScope()"));
        let value: Vec<_> = state
            .locks
            .iter()
            .filter(|l| {
                if at_scope_only {
                    l.scope.contains(&scope)
                } else {
                    l.scope.related(&scope)
                }
            })
            .map(|l| resource(subscription, l))
            .collect();
        return json(StatusCode::OK, serde_json::json!({ "value": value }));
    };
    let position = state.locks.iter().position(|l| is_this(l, &scope, name));
    match *request.method {
        Method::GET => match position {
            Some(i) => json(StatusCode::OK, resource(subscription, &state.locks[i])),
            None => Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "LockNotFound",
                format!("The lock '{name}' could not be found."),
            )),
        },
        Method::PUT => {
            let body = json_object(request.body, false)?;
            let properties = member(&body, "properties").and_then(|p| p.as_object());
            let level = properties
                .and_then(|p| member(p, "level"))
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let level = match level.to_ascii_lowercase().as_str() {
                "cannotdelete" => LockLevel::CanNotDelete,
                "readonly" => LockLevel::ReadOnly,
                _ => {
                    return Err(ArmError::bad_request(
                        "LockLevelRequired",
                        format!(
                            "The lock level '{level}' is not valid. Use 'CanNotDelete' or 'ReadOnly'."
                        ),
                    ));
                }
            };
            let notes = properties
                .and_then(|p| member(p, "notes"))
                .and_then(|v| v.as_str())
                .map(str::to_string);
            let lock = Lock {
                scope,
                name: name.to_string(),
                level,
                notes,
            };
            let body = resource(subscription, &lock);
            let status = match position {
                Some(i) => {
                    state.locks[i] = lock;
                    StatusCode::OK
                }
                None => {
                    state.locks.push(lock);
                    StatusCode::CREATED
                }
            };
            json(status, body)
        }
        Method::DELETE => Ok(match position {
            Some(i) => {
                state.locks.remove(i);
                StatusCode::OK.into_response()
            }
            None => StatusCode::NO_CONTENT.into_response(),
        }),
        _ => require_method(request.method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}
