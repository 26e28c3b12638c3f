//! `Microsoft.AzureStack/registrations/customerSubscriptions`: the CSP mapping of tenant subscriptions to a
//! registration, with the codes of the registration errors page.
//!
//! The registration's `CanNotDelete` lock does not guard its mappings: the CSP guides add and remove them
//! under a registered (hence locked) stamp and get 200/204.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::errors::{AZURESTACK_API_VERSIONS, supported_api_version};
use super::routes::{AzureRequest, json};
use super::scope::{Scope, registration_id};
use super::state::{CustomerSubscription, Registration};
use crate::http::{
    ArmError,
    body::{json_object, member},
    require_method,
};

const RESOURCE_TYPE: &str = "Microsoft.AzureStack/registrations/customerSubscriptions";

fn resource(
    subscription: Uuid,
    registration: &Registration,
    mapping: &CustomerSubscription,
) -> serde_json::Value {
    let parent = registration_id(
        subscription,
        &registration.resource_group,
        &registration.name,
    );
    let mut properties = serde_json::Map::new();
    if let Some(tenant) = &mapping.tenant_id {
        properties.insert("tenantId".into(), tenant.clone().into());
    }
    serde_json::json!({
        "id": format!("{parent}/customerSubscriptions/{}", mapping.name),
        "name": format!("{}/{}", registration.name, mapping.name),
        "type": RESOURCE_TYPE,
        "properties": properties,
    })
}

fn not_a_guid(name: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidCustomerSubscriptionId",
        format!(
            "The customer subscription identifier '{name}' is not a valid Azure subscription identifier."
        ),
    )
}

pub fn handle(
    request: &AzureRequest,
    resource_group: &str,
    registration_name: &str,
    name: Option<&str>,
) -> Result<Response, ArmError> {
    supported_api_version(&request.params, AZURESTACK_API_VERSIONS, RESOURCE_TYPE)?;
    let subscription = request.azure.settings.subscription_id;
    let mut state = request.azure.lock_state();
    state.require(&Scope::ResourceGroup(resource_group.to_string()))?;
    let registration = state
        .registration_mut(resource_group, registration_name)
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "RegistrationNotFound",
                format!(
                    "The registration '{registration_name}' was not found in resource group '{resource_group}' of \
                     subscription '{subscription}'."
                ),
            )
        })?;
    let Some(name) = name else {
        require_method(request.method, &Method::GET)?;
        let value: Vec<_> = registration
            .customer_subscriptions
            .values()
            .map(|m| resource(subscription, registration, m))
            .collect();
        return json(StatusCode::OK, serde_json::json!({ "value": value }));
    };
    Uuid::parse_str(name).map_err(|_| not_a_guid(name))?;
    let key = name.to_ascii_lowercase();
    match *request.method {
        Method::GET => registration
            .customer_subscriptions
            .get(&key)
            .map(|m| json(StatusCode::OK, resource(subscription, registration, m)))
            .unwrap_or_else(|| {
                Err(ArmError::new(
                    StatusCode::NOT_FOUND,
                    "CustomerSubscriptionNotFound",
                    format!(
                        "The customer subscription '{name}' is not registered under registration '{registration_name}'."
                    ),
                ))
            }),
        Method::PUT => {
            if !registration.token.billing_model.eq_ignore_ascii_case("PayAsYouUse") {
                return Err(ArmError::bad_request(
                    "CustomerSubscriptionsNotAllowed",
                    format!(
                        "Customer subscriptions are not allowed for registration '{registration_name}' with billing \
                         model '{}'. Re-register with the PayAsYouUse billing model.",
                        registration.token.billing_model
                    ),
                ));
            }
            let body = json_object(request.body, true)?;
            let tenant_id = match member(&body, "properties")
                .and_then(|p| p.as_object())
                .and_then(|p| member(p, "tenantId"))
            {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(t)) if Uuid::parse_str(t).is_ok() => Some(t.clone()),
                Some(other) => {
                    return Err(ArmError::bad_request(
                        "InvalidTenantId",
                        format!("The tenant identifier '{}' is not a valid GUID.", other.as_str().unwrap_or_default()),
                    ));
                }
            };
            // A PUT replaces the mapping: one tenant per customer subscription.
            let mapping = CustomerSubscription {
                name: name.to_string(),
                tenant_id,
            };
            let body = resource(subscription, registration, &mapping);
            registration.customer_subscriptions.insert(key, mapping);
            // The specification's example answers 200 with the body; the CSP page says 201 and no body.
            json(StatusCode::OK, body)
        }
        Method::DELETE => Ok(match registration.customer_subscriptions.remove(&key) {
            Some(_) => StatusCode::OK.into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        }),
        _ => require_method(request.method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}
