//! The subscription itself: `GET /subscriptions[/{id}]`, its locations, the `Microsoft.AzureStack` provider
//! (registration state, `register`), the provider's operations, and the discovery document.

use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::Azure;
use super::errors::{AZURESTACK_API_VERSIONS, supported_api_version};
use super::routes::{AzureRequest, json};
use crate::http::{
    ArmError, discovery::Discovery, require_api_version, require_method, subscription_entry,
};

/// Public Azure regions the subscription offers (name, display name, geography).
pub const LOCATIONS: &[(&str, &str, &str)] = &[
    ("eastus", "East US", "US"),
    ("westus", "West US", "US"),
    ("westcentralus", "West Central US", "US"),
    ("westus2", "West US 2", "US"),
    ("northeurope", "North Europe", "Europe"),
    ("westeurope", "West Europe", "Europe"),
    ("southeastasia", "Southeast Asia", "Asia Pacific"),
];

/// The canonical name of a location given by name or display name ("West Central US"), any case.
pub fn location_name(given: &str) -> Option<&'static str> {
    let squashed: String = given
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    LOCATIONS
        .iter()
        .find(|(name, _, _)| *name == squashed)
        .map(|(name, _, _)| *name)
}

fn entry(azure: &Azure) -> serde_json::Value {
    subscription_entry(
        &azure.settings.subscription_id.to_string(),
        "Azure Stack registration",
        "Enabled",
        azure.settings.tenant_id,
        "Public_2014-09-01",
    )
}

pub fn list(request: &AzureRequest) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    require_api_version(&request.params)?;
    let azure = request.azure;
    let visible = request
        .caller
        .access
        .can_read_subscription(&azure.settings.subscription_id.to_string());
    let value: Vec<_> = visible.then(|| entry(azure)).into_iter().collect();
    json(StatusCode::OK, serde_json::json!({ "value": value }))
}

pub fn get(request: &AzureRequest) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    require_api_version(&request.params)?;
    json(StatusCode::OK, entry(request.azure))
}

pub fn locations(request: &AzureRequest) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    require_api_version(&request.params)?;
    let subscription = request.azure.settings.subscription_id;
    let value: Vec<_> = LOCATIONS
        .iter()
        .map(|(name, display, geography)| {
            serde_json::json!({
                "id": format!("/subscriptions/{subscription}/locations/{name}"),
                "name": name,
                "type": "Region",
                "displayName": display,
                "regionalDisplayName": format!("({geography}) {display}"),
                "metadata": { "regionType": "Physical", "regionCategory": "Recommended", "geography": geography },
            })
        })
        .collect();
    json(StatusCode::OK, serde_json::json!({ "value": value }))
}

/// `GET .../providers/Microsoft.AzureStack`, or `POST .../register` (which registers it at once).
pub fn provider(request: &AzureRequest, register: bool) -> Result<Response, ArmError> {
    let expected = if register { Method::POST } else { Method::GET };
    require_method(request.method, &expected)?;
    require_api_version(&request.params)?;
    let registered = {
        let mut state = request.azure.lock_state();
        if register {
            state.provider_registered = true;
        }
        state.provider_registered
    };
    let subscription = request.azure.settings.subscription_id;
    let resource_type = |name: &str| {
        serde_json::json!({
            "resourceType": name,
            "locations": ["Global"],
            "apiVersions": AZURESTACK_API_VERSIONS.iter().rev().collect::<Vec<_>>(),
        })
    };
    json(
        StatusCode::OK,
        serde_json::json!({
            "id": format!("/subscriptions/{subscription}/providers/Microsoft.AzureStack"),
            "namespace": "Microsoft.AzureStack",
            "registrationState": if registered { "Registered" } else { "NotRegistered" },
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [
                resource_type("registrations"),
                resource_type("registrations/customerSubscriptions"),
                resource_type("registrations/products"),
                resource_type("operations"),
            ],
        }),
    )
}

/// The provider's operations, as its 2017-06-01 specification example lists them.
pub fn operations(request: &AzureRequest) -> Result<Response, ArmError> {
    require_method(request.method, &Method::GET)?;
    supported_api_version(
        &request.params,
        AZURESTACK_API_VERSIONS,
        "Microsoft.AzureStack/operations",
    )?;
    let operation = |name: &str, resource: Option<&str>, operation: &str, description: &str| {
        let mut display = serde_json::json!({
            "provider": "Azure Stack Resource Provider",
            "operation": operation,
            "description": description,
        });
        if let Some(resource) = resource {
            display["resource"] = resource.into();
        }
        serde_json::json!({ "name": name, "display": display, "origin": "user,system" })
    };
    let registration = Some("Azure Stack Registration");
    let customer = Some("Azure Stack Customer Subscription");
    let product = Some("Azure Stack Marketplace Product");
    // The last two entries carry placeholder provider texts in the specification; they are kept as is.
    let with_provider = |mut operation: serde_json::Value, provider: &str| {
        operation["display"]["provider"] = provider.into();
        operation
    };
    json(
        StatusCode::OK,
        serde_json::json!({ "value": [
            operation("Microsoft.AzureStack/registrations/read", registration, "Get Azure Stack Registration",
                "Gets the properties of an Azure Stack registration"),
            operation("Microsoft.AzureStack/registrations/write", registration, "Create Azure Stack Registration",
                "Creates or updates an Azure Stack registration"),
            operation("Microsoft.AzureStack/registrations/delete", registration, "Delete Azure Stack Registration",
                "Deletes an Azure Stack registration"),
            operation("Microsoft.AzureStack/registrations/getActivationKey/action", registration,
                "Get Azure Stack Activation Key", "Gets the latest Azure Stack activation key"),
            operation("Microsoft.AzureStack/register/action", None, "Register Subscription for Azure Stack",
                "Registers Subscription with Microsoft.AzureStack resource provider"),
            operation("Microsoft.AzureStack/registrations/products/read", product,
                "Get Azure Stack Marketplace Product", "Gets the properties of an Azure Stack Marketplace product"),
            operation("Microsoft.AzureStack/registrations/products/listDetails/action", product,
                "Get Azure Stack Marketplace Product Details",
                "Retrieves extended details for an Azure Stack Marketplace product"),
            operation("Microsoft.AzureStack/registrations/customerSubscriptions/read", customer,
                "Get Azure Stack Customer Subscription", "Gets the properties of an Azure Stack Customer Subscription"),
            operation("Microsoft.AzureStack/registrations/customerSubscriptions/write", customer,
                "Create Azure Stack Customer Subscription", "Creates or updates an Azure Stack Customer Subscription"),
            operation("Microsoft.AzureStack/registrations/customerSubscriptions/delete", customer,
                "Delete Azure Stack Customer Subscription", "Deletes an Azure Stack Customer Subscription"),
            with_provider(operation("Microsoft.AzureStack/cloudmanifestfile/read",
                Some("Azure Stack Cloud Manifest File."), "Read Resource Provider Operations",
                "Gets the cloud specific manifest file."), "Azure Stack Resource Provider."),
            with_provider(operation("Microsoft.AzureStack/Operations/read", Some("Resource Type Display Name."),
                "Read Resource Provider Operations",
                "The localized friendly description for the operation, as it should be shown to the user."),
                "Name of the Resource Provider."),
        ]}),
    )
}

/// The discovery document in Azure Stack's shape, so that the same discovery code finds the emulated
/// Azure. (Real Azure serves a list of clouds at this path.)
pub fn metadata(azure: &Azure, api_version: Option<&str>) -> serde_json::Value {
    Discovery {
        base: &azure.settings.arm_url,
        login: azure.identity.login_endpoint(),
        audiences: azure.settings.audiences.clone(),
        graph: "https://graph.windows.net/".to_string(),
        name: super::ENVIRONMENT.to_string(),
        tenant: "common".to_string(),
        identity_provider: "AAD",
        suffixes: serde_json::json!({
            "storage": "core.windows.net",
            "keyVaultDns": "vault.azure.net",
            "acrLoginServer": "azurecr.io",
        }),
    }
    .render(api_version)
}
