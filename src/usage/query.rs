//! A usage query, validated locally with the service's own rules before anything is sent.

use chrono::{DateTime, Utc};
use url::Url;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UsageApi {
    /// Admin endpoint: usage of the provider subscription's direct tenants.
    Provider,
    /// Tenant endpoint: one subscription's own usage.
    Tenant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Granularity {
    #[default]
    Daily,
    Hourly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    pub api: UsageApi,
    /// Provider: the Default Provider Subscription; tenant: the subscription whose usage is read.
    pub subscription_id: String,
    /// Reported time, inclusive. Any offset is accepted; it is normalised to UTC.
    pub reported_start: DateTime<Utc>,
    /// Reported time, exclusive.
    pub reported_end: DateTime<Utc>,
    pub granularity: Granularity,
    /// Provider API only: one direct tenant subscription.
    pub subscriber_id: Option<String>,
    /// Resume a query where a previous page left off.
    pub continuation_token: Option<String>,
}

impl UsageQuery {
    /// The service's rules, checked locally: subscription ids are GUIDs (subscriber id provider-only),
    /// start < end, end not after `now`, both on a UTC hour (hourly) or UTC midnight (daily). Errors name
    /// the parameter and the fix.
    pub fn validate(&self, _now: DateTime<Utc>) -> Result<()> {
        unimplemented!()
    }

    /// The first page's URL on `arm`, times sent as `YYYY-MM-DDTHH:MM:SSZ` and every value escaped.
    pub fn url(&self, _arm: &Url) -> Result<Url> {
        unimplemented!()
    }
}
