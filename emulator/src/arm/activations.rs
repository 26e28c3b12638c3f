//! `Microsoft.AzureBridge.Admin/activations` on the admin endpoint: the stamp's activation as the privileged
//! endpoint model holds it, at `resourceGroups/azurestack-activation/.../activations/default`.
//!
//! Activating goes through the PEP's `New-AzureStackActivation` (it needs a key), so a PUT only answers for
//! an activation that exists (404 otherwise); DELETE removes it, as the tooling did before it moved to the
//! PEP's `Remove-AzureStackActivation`.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::{
    ArmError, QueryParams, body::json_object, require_method, supported_api_version,
};
use crate::pep::Activation;
use crate::state::AppState;

/// The resource group and name the stamp keeps its activation under.
pub const RESOURCE_GROUP: &str = "azurestack-activation";
pub const NAME: &str = "default";
const RESOURCE_TYPE: &str = "Microsoft.AzureBridge.Admin/activations";
/// 2016-01-01 is the specification's version; its examples carry 2015-06-01-preview, accepted too.
const API_VERSIONS: &[&str] = &["2016-01-01", "2015-06-01-preview"];

/// Where a request points.
pub struct Target<'a> {
    pub resource_group: &'a str,
    /// None for the list.
    pub name: Option<&'a str>,
}

fn resource_id(app: &AppState) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{RESOURCE_GROUP}/providers/{RESOURCE_TYPE}/{NAME}",
        app.config.default_provider_subscription_id
    )
}

fn resource(app: &AppState, activation: &Activation) -> serde_json::Value {
    serde_json::json!({
        "id": resource_id(app),
        "name": NAME,
        "type": RESOURCE_TYPE,
        "location": app.config.region,
        "properties": {
            "displayName": "Azure Stack Activation",
            "azureRegistrationResourceIdentifier": activation.registration_id,
            "provisioningState": "Succeeded",
            "expiration": activation.expiration.format("%Y-%m-%dT%H:%M:%S").to_string(),
            "marketplaceSyndicationEnabled": activation.marketplace_syndication_enabled,
            "usageReportingEnabled": activation.usage_reporting_enabled,
        },
    })
}

pub fn handle(
    app: &AppState,
    method: &Method,
    params: &QueryParams,
    target: Target,
    body: &[u8],
) -> Result<Response, ArmError> {
    supported_api_version(params, API_VERSIONS, RESOURCE_TYPE)?;
    let in_group = target.resource_group.eq_ignore_ascii_case(RESOURCE_GROUP);
    let activation = app.pep.activation().filter(|_| in_group);
    let Some(name) = target.name else {
        require_method(method, &Method::GET)?;
        let value: Vec<_> = activation.iter().map(|a| resource(app, a)).collect();
        return Ok(axum::Json(serde_json::json!({ "value": value })).into_response());
    };
    let activation = activation.filter(|_| name.eq_ignore_ascii_case(NAME));
    let not_found = || {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{RESOURCE_TYPE}/{name}' under resource group '{}' was not found.",
                target.resource_group
            ),
        )
    };
    match *method {
        Method::GET => activation
            .map(|a| axum::Json(resource(app, &a)).into_response())
            .ok_or_else(not_found),
        Method::PUT => {
            json_object(body, true)?;
            activation
                .map(|a| axum::Json(resource(app, &a)).into_response())
                .ok_or_else(not_found)
        }
        Method::DELETE => Ok(match activation {
            Some(_) => {
                app.pep.remove_activation();
                axum::Json(serde_json::json!({ "id": resource_id(app), "name": NAME }))
                    .into_response()
            }
            None => StatusCode::NO_CONTENT.into_response(),
        }),
        _ => require_method(method, &Method::GET).map(|_| StatusCode::OK.into_response()),
    }
}
