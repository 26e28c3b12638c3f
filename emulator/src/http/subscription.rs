//! Subscriptions as both Resource Manager endpoints address and list them: the id in the path and the
//! entry of `GET /subscriptions`.

use axum::http::StatusCode;
use uuid::Uuid;

use super::error::ArmError;

/// The subscription id of a path segment, or ARM's answer to a missing or malformed one.
pub fn subscription_format(segment: &str) -> Result<Uuid, ArmError> {
    if segment.trim().is_empty() {
        return Err(ArmError::bad_request(
            "SubscriptionIdMissingInRequest",
            "The subscription id is missing in the request. Put the subscription GUID after /subscriptions/.",
        ));
    }
    Uuid::parse_str(segment).map_err(|_| {
        ArmError::bad_request(
            "InvalidSubscriptionId",
            format!("The provided subscription identifier '{segment}' is malformed or invalid."),
        )
    })
}

pub fn subscription_not_found(segment: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        format!("The subscription '{segment}' could not be found."),
    )
}

/// A subscription as ARM's `GET /subscriptions` lists it.
pub fn subscription_entry(
    id: &str,
    name: &str,
    state: &str,
    tenant_id: Uuid,
    location_placement: &str,
) -> serde_json::Value {
    serde_json::json!({
        "id": format!("/subscriptions/{id}"),
        "subscriptionId": id,
        "displayName": name,
        "state": state,
        "tenantId": tenant_id,
        "subscriptionPolicies": { "locationPlacementId": location_placement, "quotaId": "Default", "spendingLimit": "Off" },
    })
}
