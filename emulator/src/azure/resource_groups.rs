//! Resource groups: `GET|PUT|HEAD|DELETE /subscriptions/{sub}/resourcegroups/{rg}` and the list.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::errors::{Operation, check_resource_group_name, resource_group_not_found};
use super::routes::{AzureRequest, json};
use super::scope::Scope;
use super::state::ResourceGroup;
use super::subscription::{LOCATIONS, location_name};
use crate::http::{
    ArmError,
    body::{json_object, member},
    require_api_version, require_method,
};

fn resource(subscription: uuid::Uuid, group: &ResourceGroup) -> serde_json::Value {
    let mut value = serde_json::json!({
        "id": format!("/subscriptions/{subscription}/resourceGroups/{}", group.name),
        "name": group.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": group.location,
        "properties": { "provisioningState": "Succeeded" },
    });
    if !group.tags.is_empty() {
        value["tags"] = group.tags.clone().into();
    }
    value
}

pub fn list(request: &AzureRequest) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    require_api_version(&request.params)?;
    let subscription = request.azure.settings.subscription_id;
    let state = request.azure.lock_state();
    let value: Vec<_> = state
        .resource_groups
        .values()
        .map(|g| resource(subscription, g))
        .collect();
    json(StatusCode::OK, serde_json::json!({ "value": value }))
}

pub fn handle(request: &AzureRequest, name: &str) -> Result<Response, ArmError> {
    require_api_version(&request.params)?;
    let subscription = request.azure.settings.subscription_id;
    let key = name.to_ascii_lowercase();
    let mut state = request.azure.lock_state();
    match *request.method {
        Method::GET => state
            .resource_groups
            .get(&key)
            .map(|g| json(StatusCode::OK, resource(subscription, g)))
            .unwrap_or_else(|| Err(resource_group_not_found(name))),
        // ARM answers HEAD with 204 for a group that exists.
        Method::HEAD => Ok(if state.resource_groups.contains_key(&key) {
            StatusCode::NO_CONTENT.into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        }),
        Method::PUT => {
            check_resource_group_name(name)?;
            let body = json_object(request.body, false)?;
            let given = member(&body, "location")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let location = location_name(given).ok_or_else(|| {
                let available: Vec<_> = LOCATIONS.iter().map(|(n, _, _)| *n).collect();
                ArmError::bad_request(
                    "LocationNotAvailableForResourceGroup",
                    format!(
                        "The provided location '{given}' is not available for resource group. List of available \
                         regions is '{}'.",
                        available.join(",")
                    ),
                )
            })?;
            let tags = member(&body, "tags")
                .and_then(|v| v.as_object())
                .cloned()
                .unwrap_or_default();
            let scope = Scope::ResourceGroup(name.to_string());
            let created = !state.resource_groups.contains_key(&key);
            if !created {
                super::locks::check(&state, &scope, Operation::Write, subscription)?;
            }
            let group = state
                .resource_groups
                .entry(key.clone())
                .or_insert_with(|| ResourceGroup {
                    name: name.to_string(),
                    location: location.to_string(),
                    tags: Default::default(),
                });
            // A resource group's location cannot change; ARM keeps the first one.
            group.tags = tags;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json(status, resource(subscription, group))
        }
        Method::DELETE => {
            let Some(group) = state.resource_groups.get(&key) else {
                return Err(resource_group_not_found(name));
            };
            let scope = Scope::ResourceGroup(group.name.clone());
            // A lock on anything inside the group blocks its deletion, not only one on the group.
            let locked: Vec<String> = state
                .locks
                .iter()
                .filter(|l| l.scope.related(&scope))
                .map(|l| l.scope.id(subscription))
                .collect();
            if !locked.is_empty() {
                return Err(super::errors::scope_locked(
                    &scope.id(subscription),
                    Operation::Delete,
                    &locked,
                ));
            }
            state.remove_under(&scope);
            state.resource_groups.remove(&key);
            // Real ARM deletes asynchronously (202 and a Location to poll); the emulator is done at once.
            Ok(StatusCode::OK.into_response())
        }
        _ => require_method(request.method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}
