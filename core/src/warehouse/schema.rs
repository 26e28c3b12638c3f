//! The store's tables, as an ordered list of migrations: migration `n` (1-based) takes a store from schema
//! version `n - 1` to `n`; `PRAGMA user_version` records the version reached. A released migration is never
//! edited: a change is a new migration at the end.
//!
//! Times are RFC 3339 UTC text of whole seconds (`2026-01-05T00:00:00Z`), so text order is time order;
//! quantities are decimal text (`quantity.rs`); JSON values (tags, additionalInfo) are JSON text.

/// The migrations, oldest first; the store's newest version is their count.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this library writes.
pub(crate) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

const V1: &str = "
CREATE TABLE cursors (
    id INTEGER PRIMARY KEY,
    -- The stamp: its Resource Manager host, lower case, unless the caller named it.
    stamp TEXT NOT NULL,
    api TEXT NOT NULL CHECK (api IN ('provider', 'tenant')),
    -- The provider subscription (provider API) or the tenant subscription (tenant API).
    subscription TEXT NOT NULL,
    -- One direct tenant (provider API), or '' for all of them.
    subscriber TEXT NOT NULL DEFAULT '',
    granularity TEXT NOT NULL CHECK (granularity IN ('Hourly', 'Daily')),
    -- Where the cursor's first window began; fixed for the cursor's life.
    start_time TEXT NOT NULL,
    -- Reported time up to which every window is committed (exclusive).
    watermark TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    last_run_started TEXT,
    last_run_finished TEXT,
    last_error TEXT,
    UNIQUE (stamp, api, subscription, subscriber, granularity)
);

CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    cursor_id INTEGER NOT NULL REFERENCES cursors (id),
    started TEXT NOT NULL,
    finished TEXT,
    -- The settled end this run synced towards.
    until TEXT NOT NULL,
    windows INTEGER NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0,
    duplicates_skipped INTEGER NOT NULL DEFAULT 0,
    error TEXT
);

CREATE TABLE usage_rows (
    id INTEGER PRIMARY KEY,
    cursor_id INTEGER NOT NULL REFERENCES cursors (id),
    -- The reported window of the query the row came from: one reported day for daily rows.
    reported_start TEXT NOT NULL,
    reported_end TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    -- As the service sent it, and lower case without hyphens.
    meter_id TEXT NOT NULL,
    meter_id_normalized TEXT NOT NULL,
    usage_start TEXT NOT NULL,
    usage_end TEXT NOT NULL,
    -- Decimal text, exactly the quantity the service sent.
    quantity TEXT NOT NULL,
    resource_uri TEXT,
    resource_group TEXT,
    provider TEXT,
    resource_type TEXT,
    resource_name TEXT,
    location TEXT,
    tags TEXT,
    additional_info TEXT,
    vm_size TEXT,
    instance_data_raw TEXT,
    record_id TEXT,
    -- What identifies the instance (rows.rs): resource URI and additionalInfo, or the raw instanceData.
    bucket TEXT NOT NULL
);

-- The row key (warehouse/mod.rs, docs/warehouse.md).
CREATE UNIQUE INDEX usage_rows_key ON usage_rows
    (cursor_id, reported_start, subscription_id, meter_id_normalized, bucket, usage_start, usage_end);
CREATE INDEX usage_rows_usage_start ON usage_rows (usage_start);

-- The tenant subscriptions as the provider listed them at a sync run, to tie usage to owners as they were.
CREATE TABLE tenant_snapshots (
    sync_run_id INTEGER NOT NULL REFERENCES sync_runs (id),
    taken TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    display_name TEXT,
    owner TEXT,
    state TEXT,
    offer_id TEXT,
    tenant_id TEXT,
    delegated_provider_subscription_id TEXT,
    is_direct_tenant INTEGER NOT NULL,
    PRIMARY KEY (sync_run_id, subscription_id)
);
";

/// Version 2: reads of one tenant's usage (`RowFilter::subscription`, owners) compare the subscription
/// without case; an index on that expression keeps them from scanning every tenant's rows.
const V2: &str = "
CREATE INDEX usage_rows_tenant ON usage_rows (lower(subscription_id), usage_start);
";
