//! The provider's view of tenant subscriptions (`Microsoft.Subscriptions.Admin/subscriptions`,
//! api-version 2015-11-01), so usage can be tied to owners.

use crate::client::Client;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSubscription {
    pub id: Option<String>,
    pub subscription_id: String,
    pub display_name: Option<String>,
    pub owner: Option<String>,
    pub state: Option<String>,
    pub offer_id: Option<String>,
    pub tenant_id: Option<String>,
    pub delegated_provider_subscription_id: Option<String>,
    pub routing_resource_manager_type: Option<String>,
}

/// Lists tenant subscriptions under the provider subscription, following nextLink; `filter` is an OData
/// `$filter` passed through.
pub fn list(
    _client: &Client,
    _provider_subscription: &str,
    _filter: Option<&str>,
) -> Result<Vec<UserSubscription>> {
    unimplemented!()
}

/// One tenant subscription.
pub fn get(
    _client: &Client,
    _provider_subscription: &str,
    _subscription: &str,
) -> Result<UserSubscription> {
    unimplemented!()
}
