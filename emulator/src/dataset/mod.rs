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

mod catalog;
mod meters;
mod rng;
mod rows;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
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
    /// `instance_data` as a JSON string literal (quoted and escaped), as it appears in a response body.
    pub instance_data_json: &'a str,
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
    config: DatasetConfig,
    cat: catalog::Catalogue,
    /// Unix time of the data start (UTC midnight of `config.start`).
    start_ts: i64,
    /// Usage hours in the data set (`days * 24`).
    hours: i64,
    cal: meters::Calendar,
}

/// A resource of the catalogue, as `Dataset::resources` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo<'a> {
    pub subscription_index: usize,
    pub resource_uri: &'a str,
    /// `Namespace/type`, e.g. "Microsoft.Compute/virtualMachines".
    pub resource_type: &'static str,
    /// Creation time (before the data start for resources that already existed).
    pub created: DateTime<Utc>,
    /// Deletion time, when the resource is deleted inside the data range.
    pub deleted: Option<DateTime<Utc>>,
    /// The usage hours [emits_from, emits_until) in which the resource can emit usage: its lifetime clipped
    /// to the data range and to its subscription's deletion (VMs may still be deallocated in some hours).
    /// Empty (equal) when the resource never emits.
    pub emits_from: DateTime<Utc>,
    pub emits_until: DateTime<Utc>,
    /// The meter ids it emits, as rows spell them.
    pub meter_ids: Vec<&'a str>,
}

impl Dataset {
    pub fn new(config: DatasetConfig) -> Dataset {
        let cat = catalog::build(&config);
        let start = config
            .start
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        let start_weekday = i64::from(config.start.weekday().num_days_from_monday());
        Dataset {
            start_ts: start.timestamp(),
            hours: i64::from(config.days) * 24,
            cal: meters::Calendar { start_weekday },
            cat,
            config,
        }
    }

    pub fn config(&self) -> &DatasetConfig {
        &self.config
    }

    /// Every tenant subscription (direct, delegated-provider, deleted), in a stable order.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.cat.subscriptions
    }

    /// Index of a subscription id (case-insensitive GUID text), if it exists.
    pub fn subscription_index(&self, id: &str) -> Option<usize> {
        if id.len() != 36 {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        let i = self
            .cat
            .sub_lookup
            .binary_search_by(|(u, _)| u.cmp(&id))
            .ok()?;
        Some(self.cat.sub_lookup[i].1 as usize)
    }

    /// True when the subscription's delegatedProviderSubscriptionId is the default provider subscription.
    pub fn is_direct_tenant(&self, index: usize) -> bool {
        self.cat.subscriptions.get(index).is_some_and(|s| {
            s.delegated_provider_subscription_id == self.config.default_provider_subscription_id
        })
    }

    /// Appends up to `limit` rows of `query`, starting at `from` (None: the beginning), to `out`, and
    /// returns the cursor of the next row when more rows remain. Rows come in a fixed order, so paging with
    /// cursors visits every row exactly once.
    ///
    /// Order: reported hour (daily: reported day), then subscription index, resource, meter, usage hour
    /// (daily: usage day). The cursor is [reported hour (daily: day) since the Unix epoch, resource index,
    /// meter slot within the resource, granularity tag << 32 | usage-hour position (daily: 0 for the
    /// previous usage day, 1 for the same day)] of the next row. A cursor of the other granularity or
    /// past the window yields nothing; one before the window restarts at the window's beginning.
    pub fn page<'a>(
        &'a self,
        query: &UsageQuery,
        from: Option<Cursor>,
        limit: usize,
        out: &mut Vec<UsageRow<'a>>,
    ) -> Option<Cursor> {
        match query.granularity {
            Granularity::Hourly => self.page_hourly(query, from, limit, out),
            Granularity::Daily => self.page_daily(query, from, limit, out),
        }
    }

    /// Row count and quantity sum of a whole query.
    pub fn totals(&self, query: &UsageQuery) -> QueryTotals {
        match query.granularity {
            Granularity::Hourly => self.totals_hourly(query),
            Granularity::Daily => self.totals_daily(query),
        }
    }

    /// The operator's delegated provider's subscription (the provider of the delegated-provider tenants).
    pub fn delegated_provider_subscription_id(&self) -> Uuid {
        self.cat.delegated_provider
    }

    /// The generated meter id of the unknown resource kind (not in meters.csv): an upper-case GUID, stable
    /// for a seed, spelled exactly so in every row (never lower-cased).
    pub fn unknown_meter_id(&self) -> &str {
        &self.cat.unknown_meter
    }

    /// Usage hours covered: [start, start + days).
    pub fn usage_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.ts(0), self.ts(self.hours))
    }

    /// Reported hours that can hold rows: [start + 1h, start + days + MAX_REPORT_LAG_HOURS + 1h); empty
    /// (start, start) when there are no days.
    pub fn reported_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        if self.hours == 0 {
            return (self.ts(0), self.ts(0));
        }
        (self.ts(1), self.ts(self.hours + MAX_REPORT_LAG_HOURS + 1))
    }

    /// Number of resources over all subscriptions.
    pub fn resource_count(&self) -> usize {
        self.cat.resources.len()
    }

    /// The resources of one subscription (empty for an unknown index).
    pub fn resources(&self, subscription: usize) -> Vec<ResourceInfo<'_>> {
        let Some(range) = self.cat.sub_first_res.get(subscription..=subscription + 1) else {
            return Vec::new();
        };
        self.cat.resources[range[0] as usize..range[1] as usize]
            .iter()
            .map(|r| ResourceInfo {
                subscription_index: r.sub as usize,
                resource_uri: &r.uri,
                resource_type: r.kind.resource_type(),
                created: self.ts(r.created_h),
                deleted: r.deleted_h.map(|h| self.ts(h)),
                emits_from: self.ts(r.alive_from),
                emits_until: self.ts(r.alive_to),
                meter_ids: self.cat.slots
                    [r.slots_start as usize..(r.slots_start + r.slots_len) as usize]
                    .iter()
                    .map(|s| &*self.cat.meter_ids[s.meter as usize])
                    .collect(),
            })
            .collect()
    }

    /// Approximate heap size of the catalogue in bytes (it does not grow with days or rows).
    pub fn catalogue_bytes(&self) -> usize {
        use std::mem::size_of;
        let c = &self.cat;
        let strs = |v: &[Box<str>]| {
            v.iter()
                .map(|s| s.len() + size_of::<Box<str>>())
                .sum::<usize>()
        };
        c.subscriptions
            .iter()
            .map(|s| {
                size_of::<Subscription>() + s.display_name.len() + s.owner.len() + s.offer_id.len()
            })
            .sum::<usize>()
            + strs(&c.sub_ids)
            + c.sub_lookup.len() * size_of::<(Uuid, u32)>()
            + (c.sub_first_res.len() + c.all_subs.len() + c.direct_subs.len()) * size_of::<u32>()
            + c.sub_alive.len() * size_of::<(i64, i64)>()
            + c.resources
                .iter()
                .map(|r| size_of::<catalog::Resource>() + r.uri.len())
                .sum::<usize>()
            + c.slots.len() * size_of::<catalog::Slot>()
            + strs(&c.meter_ids)
            + strs(&c.instances)
    }
}

/// Renders micro-units as a JSON number with up to six decimals and no trailing zeros ("2.4", "0.00137", "3").
pub fn format_quantity(micros: i64, out: &mut String) {
    use std::fmt::Write;
    if micros < 0 {
        out.push('-');
    }
    let abs = micros.unsigned_abs();
    let (int, mut frac) = (abs / 1_000_000, abs % 1_000_000);
    let _ = write!(out, "{int}");
    if frac != 0 {
        let mut digits = 6;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0digits$}");
    }
}
