//! The deterministic usage data set: tenant subscriptions, their resources, and the hourly usage those
//! resources emit, computed from a seed and a position instead of being held in memory.
//!
//! Time model (see ../shared/reference/usage-api.md §1.6): every hourly record has a *usage* hour (when the
//! resource was consumed) and a *reported* hour (when the record reached the usage service, lagging usage by
//! up to `MAX_REPORT_LAG_HOURS`). Queries select by reported time; rows carry usage times. A daily row sums
//! the hourly records of one (subscription, resource, meter, additionalInfo, usage day, reported day), so
//! for any midnight-aligned reported window the daily rows and the hourly rows carry exactly the same
//! quantities. One usage day can therefore yield two daily rows: the one reported that day and the late one
//! reported the day after, as the real usage service splits late records.
//!
//! Quantities are integer micro-units (1e-6) so that every sum is exact.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// Reported time lags usage time by 0 to this many hours.
pub const MAX_REPORT_LAG_HOURS: i64 = 6;

/// What the generator is asked to produce.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    pub seed: u64,
    /// Tenant subscriptions (direct tenants, a few delegated-provider tenants and a few deleted ones).
    pub subscriptions: u32,
    pub resources_per_subscription: u32,
    /// Usage days, starting at `start` (UTC midnight).
    pub days: u32,
    pub start: NaiveDate,
    /// Region name written into instanceData (ASDK uses "local").
    pub location: String,
    /// The directory tenant that owns the stamp (subscriptions' tenantId).
    pub directory_tenant_id: Uuid,
    /// The directory domain used for owners' UPNs, e.g. "contoso.onmicrosoft.com".
    pub directory_domain: String,
    /// The operator's Default Provider Subscription.
    pub default_provider_subscription_id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SubscriptionState {
    Enabled,
    Disabled,
    Deleted,
}

/// A tenant subscription as the admin Subscriptions RP describes it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub display_name: String,
    pub owner: String,
    pub tenant_id: Uuid,
    /// Full offer resource id under the provider subscription.
    pub offer_id: String,
    pub state: SubscriptionState,
    /// The default provider subscription for direct tenants, a delegated provider's subscription otherwise.
    pub delegated_provider_subscription_id: Uuid,
    pub created: DateTime<Utc>,
    /// Set for deleted subscriptions; no usage after this instant.
    pub deleted: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    Hourly,
    Daily,
}

/// Which subscriptions a query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionScope {
    /// Every direct tenant of the default provider subscription, deleted ones included (provider API
    /// without subscriberId).
    AllDirectTenants,
    /// One subscription, by index into `Dataset::subscriptions()` (tenant API, or provider API with
    /// subscriberId).
    One(usize),
}

/// A validated usage query. Times are UTC and aligned (hour, or midnight for daily).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageQuery {
    pub reported_start: DateTime<Utc>,
    pub reported_end: DateTime<Utc>,
    pub granularity: Granularity,
    pub scope: SubscriptionScope,
}

/// One usage row. Borrowed strings point into the data set's precomputed resource table.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow<'a> {
    pub subscription_id: &'a str,
    /// As the stamp reports it: usually an upper-case hyphenated GUID, sometimes without hyphens, lower
    /// case, or not in the reference catalogue at all.
    pub meter_id: &'a str,
    pub usage_start: DateTime<Utc>,
    pub usage_end: DateTime<Utc>,
    pub quantity_micros: i64,
    /// The instanceData JSON text (not yet escaped as a JSON string):
    /// {"Microsoft.Resources":{"resourceUri":...,"location":...,"tags":...,"additionalInfo":...}}
    pub instance_data: &'a str,
}

/// Where a query stopped; opaque to the HTTP layer, which signs it into a continuation token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Cursor(pub [u64; 4]);

/// Totals of a query, computed without rendering rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct QueryTotals {
    pub rows: u64,
    pub quantity_micros: i128,
}

pub struct Dataset {
    _private: (),
}

impl Dataset {
    pub fn new(_config: DatasetConfig) -> Dataset {
        unimplemented!("dataset generator")
    }

    pub fn config(&self) -> &DatasetConfig {
        unimplemented!()
    }

    /// Every tenant subscription (direct, delegated-provider, deleted), in a stable order.
    pub fn subscriptions(&self) -> &[Subscription] {
        unimplemented!()
    }

    /// Index of a subscription id (case-insensitive GUID text), if it exists.
    pub fn subscription_index(&self, _id: &str) -> Option<usize> {
        unimplemented!()
    }

    /// True when the subscription's delegatedProviderSubscriptionId is the default provider subscription.
    pub fn is_direct_tenant(&self, _index: usize) -> bool {
        unimplemented!()
    }

    /// Appends up to `limit` rows of `query`, starting at `from` (None: the beginning), to `out`, and
    /// returns the cursor of the next row when more rows remain. Rows come in a fixed order, so paging with
    /// cursors visits every row exactly once.
    pub fn page<'a>(
        &'a self,
        _query: &UsageQuery,
        _from: Option<Cursor>,
        _limit: usize,
        _out: &mut Vec<UsageRow<'a>>,
    ) -> Option<Cursor> {
        unimplemented!()
    }

    /// Row count and quantity sum of a whole query.
    pub fn totals(&self, _query: &UsageQuery) -> QueryTotals {
        unimplemented!()
    }
}

/// Renders micro-units as a JSON number with up to six decimals and no trailing zeros ("2.4", "0.00137", "3").
pub fn format_quantity(micros: i64, out: &mut String) {
    let _ = (micros, out);
    unimplemented!()
}
