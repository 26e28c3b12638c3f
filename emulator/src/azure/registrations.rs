//! `Microsoft.AzureStack/registrations`: list (by subscription, by group), GET, PUT (201 new, 200 renewed),
//! PATCH, DELETE and `getactivationkey`, with the rules Azure applies to registration tokens and cloud ids.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::Utc;
use uuid::Uuid;

use super::errors::{
    AZURESTACK_API_VERSIONS, Operation, check_resource_name, resource_group_not_found,
    resource_not_found, supported_api_version,
};
use super::routes::{AzureRequest, json};
use super::scope::{Scope, registration_id};
use super::state::{Registration, RegistrationToken, registration_key};
use crate::http::{
    ArmError,
    body::{json_object, member},
    require_method,
};

const RESOURCE_TYPE: &str = "Microsoft.AzureStack/registrations";

pub fn resource(subscription: Uuid, registration: &Registration) -> serde_json::Value {
    let token = &registration.token;
    let mut value = serde_json::json!({
        "id": registration_id(subscription, &registration.resource_group, &registration.name),
        "name": registration.name,
        "type": RESOURCE_TYPE,
        "location": "global",
        "etag": format!("\"{}\"", registration.etag),
        "properties": {
            "objectId": token.object_id,
            "cloudId": token.cloud_id,
            "billingModel": token.billing_model,
        },
    });
    if !registration.tags.is_empty() {
        value["tags"] = registration.tags.clone().into();
    }
    value
}

fn malformed_token() -> ArmError {
    ArmError::bad_request(
        "InvalidRegistrationToken",
        "The registration token is malformed.",
    )
}

/// Reads a registration token: base64 of UTF-8 JSON naming the cloud, the object, the billing model and
/// the version, issued by this emulated stamp.
pub fn decode_token(text: &str, stamp_issuer: &str) -> Result<RegistrationToken, ArmError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| malformed_token())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed_token())?;
    let claims = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(malformed_token()),
    };
    let field = |name: &str| {
        member(&claims, name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .ok_or_else(malformed_token)
    };
    let token = RegistrationToken {
        cloud_id: field("cloudId")?,
        object_id: field("objectId")?,
        billing_model: field("billingModel")?,
        version: field("version")?,
        issuer: field("issuer")?,
        claims: claims.clone(),
    };
    if token.issuer != stamp_issuer {
        return Err(malformed_token());
    }
    Ok(token)
}

pub fn list(request: &AzureRequest, resource_group: Option<&str>) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    supported_api_version(&request.params, AZURESTACK_API_VERSIONS, RESOURCE_TYPE)?;
    let subscription = request.azure.settings.subscription_id;
    let state = request.azure.lock_state();
    if let Some(rg) = resource_group {
        state.require(&Scope::ResourceGroup(rg.to_string()))?;
    }
    let value: Vec<_> = state
        .registrations
        .values()
        .filter(|r| resource_group.is_none_or(|rg| r.resource_group.eq_ignore_ascii_case(rg)))
        .map(|r| resource(subscription, r))
        .collect();
    json(StatusCode::OK, serde_json::json!({ "value": value }))
}

pub fn handle(
    request: &AzureRequest,
    resource_group: &str,
    name: &str,
) -> Result<Response, ArmError> {
    supported_api_version(&request.params, AZURESTACK_API_VERSIONS, RESOURCE_TYPE)?;
    match *request.method {
        Method::GET => {
            let state = request.azure.lock_state();
            let scope = registration_scope(resource_group, name);
            state.require(&scope)?;
            let registration = state
                .registration(resource_group, name)
                .ok_or_else(|| resource_not_found(RESOURCE_TYPE, name, resource_group))?;
            json(
                StatusCode::OK,
                resource(request.azure.settings.subscription_id, registration),
            )
        }
        Method::PUT => put(request, resource_group, name),
        Method::PATCH => patch(request, resource_group, name),
        Method::DELETE => delete(request, resource_group, name),
        _ => require_method(request.method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}

fn registration_scope(resource_group: &str, name: &str) -> Scope {
    Scope::Registration {
        resource_group: resource_group.to_string(),
        name: name.to_string(),
    }
}

fn put(request: &AzureRequest, resource_group: &str, name: &str) -> Result<Response, ArmError> {
    let azure = request.azure;
    let subscription = azure.settings.subscription_id;
    check_resource_name(RESOURCE_TYPE, name)?;
    let body = json_object(request.body, false)?;
    match member(&body, "location").and_then(|v| v.as_str()) {
        Some(location) if location.eq_ignore_ascii_case("global") => {}
        Some(location) => {
            return Err(ArmError::bad_request(
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{location}' is not available for resource type '{RESOURCE_TYPE}'. List \
                     of available regions for the resource type is 'global'."
                ),
            ));
        }
        None => {
            return Err(ArmError::bad_request(
                "LocationRequired",
                "The location property is required for this definition.",
            ));
        }
    }
    let mut state = azure.lock_state();
    if !state.provider_registered {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "MissingSubscriptionRegistration",
            "The subscription is not registered to use namespace 'Microsoft.AzureStack'. See \
             https://aka.ms/rps-not-found for how to register subscriptions.",
        ));
    }
    let group = state
        .resource_groups
        .get(&resource_group.to_ascii_lowercase())
        .map(|g| g.name.clone())
        .ok_or_else(|| resource_group_not_found(resource_group))?;
    let scope = registration_scope(&group, name);
    let existing = state.registration(&group, name).is_some();
    if existing {
        super::locks::check(&state, &scope, Operation::Write, subscription)?;
    }
    let token = decode_token(&token_text(&body)?, &azure.settings.stamp_issuer)?;
    if let Some(current) = state.registration(&group, name)
        && !current.token.cloud_id.eq_ignore_ascii_case(&token.cloud_id)
    {
        return Err(cloud_id_update(name));
    }
    let key = registration_key(&group, name);
    if state
        .registrations
        .iter()
        .any(|(k, r)| *k != key && r.token.cloud_id.eq_ignore_ascii_case(&token.cloud_id))
    {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "CloudIdAlreadyRegistered",
            format!(
                "Cloud identifier [{}] is already registered. Reusing cloud identifiers is not allowed.",
                token.cloud_id
            ),
        ));
    }
    let tags = member(&body, "tags").and_then(|v| v.as_object()).cloned();
    let registration = state
        .registrations
        .entry(key)
        .or_insert_with(|| Registration {
            resource_group: group.clone(),
            name: name.to_string(),
            tags: Default::default(),
            etag: Uuid::nil(),
            token: token.clone(),
            renewed_at: Utc::now(),
            customer_subscriptions: Default::default(),
        });
    // A PUT over an existing registration renews it: the new token may change the model and the flags.
    registration.token = token;
    registration.renewed_at = Utc::now();
    registration.etag = Uuid::new_v4();
    if let Some(tags) = tags {
        registration.tags = tags;
    }
    let status = if existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    json(status, resource(subscription, registration))
}

fn token_text(body: &serde_json::Map<String, serde_json::Value>) -> Result<String, ArmError> {
    member(body, "properties")
        .and_then(|p| p.as_object())
        .and_then(|p| member(p, "registrationToken"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(malformed_token)
}

fn cloud_id_update(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::CONFLICT,
        "CloudIdUpdateNotAllowed",
        format!("The registration '{name}' is already associated with another Cloud identifier"),
    )
}

/// PATCH applies a new token (same cloud) and `tags`; what it leaves out stays.
fn patch(request: &AzureRequest, resource_group: &str, name: &str) -> Result<Response, ArmError> {
    let azure = request.azure;
    let subscription = azure.settings.subscription_id;
    let body = json_object(request.body, false)?;
    let mut state = azure.lock_state();
    let scope = registration_scope(resource_group, name);
    state.require(&scope)?;
    super::locks::check(&state, &scope, Operation::Write, subscription)?;
    let has_token = member(&body, "properties")
        .and_then(|p| p.as_object())
        .and_then(|p| member(p, "registrationToken"))
        .is_some();
    let token = if has_token {
        Some(decode_token(
            &token_text(&body)?,
            &azure.settings.stamp_issuer,
        )?)
    } else {
        None
    };
    let registration = state
        .registration_mut(resource_group, name)
        .ok_or_else(|| resource_not_found(RESOURCE_TYPE, name, resource_group))?;
    if let Some(token) = token {
        if !registration
            .token
            .cloud_id
            .eq_ignore_ascii_case(&token.cloud_id)
        {
            return Err(cloud_id_update(name));
        }
        registration.token = token;
    }
    if let Some(tags) = member(&body, "tags").and_then(|v| v.as_object()) {
        registration.tags = tags.clone();
    }
    registration.etag = Uuid::new_v4();
    json(StatusCode::OK, resource(subscription, registration))
}

fn delete(request: &AzureRequest, resource_group: &str, name: &str) -> Result<Response, ArmError> {
    let subscription = request.azure.settings.subscription_id;
    let mut state = request.azure.lock_state();
    state.require(&Scope::ResourceGroup(resource_group.to_string()))?;
    let Some(registration) = state.registration(resource_group, name) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let scope = registration_scope(&registration.resource_group, &registration.name);
    super::locks::check(&state, &scope, Operation::Delete, subscription)?;
    state.remove_under(&scope);
    Ok(StatusCode::OK.into_response())
}

/// `POST .../registrations/{name}/getactivationkey` (any spelling).
pub fn activation_key(
    request: &AzureRequest,
    resource_group: &str,
    name: &str,
) -> Result<Response, ArmError> {
    require_method(request.method, &Method::POST)?;
    supported_api_version(&request.params, AZURESTACK_API_VERSIONS, RESOURCE_TYPE)?;
    let state = request.azure.lock_state();
    state.require(&registration_scope(resource_group, name))?;
    let registration = state
        .registration(resource_group, name)
        .ok_or_else(|| resource_not_found(RESOURCE_TYPE, name, resource_group))?;
    let key = request.azure.activation_key(registration)?;
    json(StatusCode::OK, serde_json::json!({ "activationKey": key }))
}
