//! A sync's writes to a PostgreSQL store: the cursor and its lease, the run's records, and each window's
//! transaction. Pages are loaded with binary COPY into a temporary table and moved into `usage_rows` by
//! one statement that skips keys already stored; a key stored with another quantity fails the window.

use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::subscriptions::UserSubscription;
use crate::usage::UsageRecord;
use crate::warehouse::cursor::{Cursor, CursorKey, api_text, continued};
use crate::warehouse::pg::schema::LOCK_NAMESPACE;
use crate::warehouse::pg::{PgStore, pg_error};
use crate::warehouse::rows::{Reported, RowValues, time_text};
use crate::warehouse::runs::Tally;

/// The cursor of `key`, created at `start` when absent; two collectors creating it at once get the same.
pub(crate) fn find_or_create(
    store: &PgStore,
    key: &CursorKey,
    start: DateTime<Utc>,
) -> Result<Cursor> {
    let at = "reading the sync cursor";
    let subscriber = key.subscriber.clone().unwrap_or_default();
    let mut client = store.client()?;
    client
        .execute(
            "INSERT INTO cursors (stamp, api, subscription, subscriber, granularity, start_time, watermark)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (stamp, api, subscription, subscriber, granularity) DO NOTHING",
            &[
                &key.stamp,
                &api_text(key.api),
                &key.subscription,
                &subscriber,
                &key.granularity.as_str(),
                &start,
            ],
        )
        .map_err(pg_error("creating the sync cursor"))?;
    let row = client
        .query_one(
            "SELECT id, start_time, watermark FROM cursors
             WHERE stamp = $1 AND api = $2 AND subscription = $3 AND subscriber = $4 AND granularity = $5",
            &[
                &key.stamp,
                &api_text(key.api),
                &key.subscription,
                &subscriber,
                &key.granularity.as_str(),
            ],
        )
        .map_err(pg_error(at))?;
    let cursor = Cursor {
        id: row.try_get(0).map_err(pg_error(at))?,
        start_time: row.try_get(1).map_err(pg_error(at))?,
        watermark: row.try_get(2).map_err(pg_error(at))?,
    };
    continued(cursor, key, start)
}

/// The advisory lock key of a cursor: azs-billing's namespace and the cursor's id.
fn lock_key(cursor_id: i64) -> Result<i32> {
    i32::try_from(cursor_id).map_err(|_| Error::Store {
        message: format!("the cursor id {cursor_id} is beyond the lease keys (2^31)"),
        source: None,
    })
}

/// Takes the cursor's lease: a session advisory lock, so a second collector never syncs the cursor at the
/// same time, and a collector that dies (its connection with it) frees the lease by dying.
pub(crate) fn lease(store: &PgStore, cursor_id: i64, stamp: &str) -> Result<()> {
    let key = lock_key(cursor_id)?;
    let taken: bool = store
        .client()?
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2)",
            &[&LOCK_NAMESPACE, &key],
        )
        .and_then(|r| r.try_get(0))
        .map_err(pg_error("taking the sync cursor's lease"))?;
    if taken {
        return Ok(());
    }
    Err(Error::Store {
        message: format!(
            "another collector is syncing this cursor of {stamp} (cursor {cursor_id}) into the same PostgreSQL store right now, and holds its lease; nothing was fetched or stored. It commits the same windows: run one collector per cursor, or let this one try again when the other ends"
        ),
        source: None,
    })
}

/// Gives the lease back; a failure only means the connection is gone, which frees it too.
pub(crate) fn release(store: &PgStore, cursor_id: i64) {
    if let (Ok(key), Ok(mut client)) = (lock_key(cursor_id), store.client()) {
        let _ = client.execute(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&LOCK_NAMESPACE, &key],
        );
    }
}

pub(crate) fn run_start(
    store: &PgStore,
    cursor_id: i64,
    started: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<i64> {
    let at = "recording the start of a sync run";
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(pg_error(at))?;
    let run: i64 = tx
        .query_one(
            "INSERT INTO sync_runs (cursor_id, started, until) VALUES ($1, $2, $3) RETURNING id",
            &[&cursor_id, &started, &until],
        )
        .and_then(|r| r.try_get(0))
        .map_err(pg_error(at))?;
    tx.execute(
        "UPDATE cursors SET last_run_started = $2 WHERE id = $1",
        &[&cursor_id, &started],
    )
    .map_err(pg_error(at))?;
    tx.commit().map_err(pg_error(at))?;
    Ok(run)
}

pub(crate) fn run_finish(
    store: &PgStore,
    cursor_id: i64,
    run: i64,
    error: Option<&str>,
) -> Result<()> {
    let at = "recording the end of a sync run";
    let finished = Utc::now();
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(pg_error(at))?;
    tx.execute(
        "UPDATE sync_runs SET finished = $2, error = $3 WHERE id = $1",
        &[&run, &finished, &error],
    )
    .map_err(pg_error(at))?;
    tx.execute(
        "UPDATE cursors SET last_run_finished = $2, last_error = $3 WHERE id = $1",
        &[&cursor_id, &finished, &error],
    )
    .map_err(pg_error(at))?;
    tx.commit().map_err(pg_error(at))
}

pub(crate) fn store_tenants(store: &PgStore, run: i64, tenants: &[UserSubscription]) -> Result<()> {
    let at = "storing the tenant subscriptions";
    let taken = Utc::now();
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(pg_error(at))?;
    let insert = tx
        .prepare(
            "INSERT INTO tenant_snapshots (sync_run_id, taken, subscription_id, display_name, owner, state,
                offer_id, tenant_id, delegated_provider_subscription_id, is_direct_tenant)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (sync_run_id, subscription_id) DO UPDATE SET taken = EXCLUDED.taken,
                display_name = EXCLUDED.display_name, owner = EXCLUDED.owner, state = EXCLUDED.state,
                offer_id = EXCLUDED.offer_id, tenant_id = EXCLUDED.tenant_id,
                delegated_provider_subscription_id = EXCLUDED.delegated_provider_subscription_id,
                is_direct_tenant = EXCLUDED.is_direct_tenant",
        )
        .map_err(pg_error(at))?;
    for t in tenants {
        tx.execute(
            &insert,
            &[
                &run,
                &taken,
                &t.subscription_id,
                &t.display_name,
                &t.owner,
                &t.state,
                &t.offer_id,
                &t.tenant_id,
                &t.delegated_provider_subscription_id,
                &t.is_direct_tenant,
            ],
        )
        .map_err(pg_error(at))?;
    }
    tx.commit().map_err(pg_error(at))
}

/// The staging table of a window's pages: gone when the window's transaction ends, either way.
const STAGING: &str = "CREATE TEMPORARY TABLE incoming_rows (
        ord BIGINT NOT NULL, cursor_id BIGINT NOT NULL, reported_start TIMESTAMPTZ NOT NULL,
        reported_end TIMESTAMPTZ NOT NULL, subscription_id TEXT NOT NULL, meter_id TEXT NOT NULL,
        meter_id_normalized TEXT NOT NULL, usage_start TIMESTAMPTZ NOT NULL, usage_end TIMESTAMPTZ NOT NULL,
        quantity NUMERIC NOT NULL, resource_uri TEXT, resource_group TEXT, provider TEXT, resource_type TEXT,
        resource_name TEXT, location TEXT, tags JSONB, additional_info JSONB, vm_size TEXT,
        instance_data_raw TEXT, record_id TEXT, bucket TEXT NOT NULL
    ) ON COMMIT DROP";

const COPY_TYPES: [Type; 22] = [
    Type::INT8,
    Type::INT8,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::NUMERIC,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::JSONB,
    Type::JSONB,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

const COLUMNS: &str = "cursor_id, reported_start, reported_end, subscription_id, meter_id, meter_id_normalized,
    usage_start, usage_end, quantity, resource_uri, resource_group, provider, resource_type, resource_name,
    location, tags, additional_info, vm_size, instance_data_raw, record_id, bucket";

/// Every staged row whose key is not stored with its quantity and bucket: a contradiction (another
/// quantity), or a bucket whose MD5 matched another's (no stored quantity).
const MISMATCH: &str = "SELECT i.ord, u.quantity FROM incoming_rows i
    LEFT JOIN usage_rows u ON u.cursor_id = i.cursor_id AND u.reported_start = i.reported_start
        AND u.subscription_id = i.subscription_id AND u.meter_id_normalized = i.meter_id_normalized
        AND md5(u.bucket) = md5(i.bucket) AND u.usage_start = i.usage_start AND u.usage_end = i.usage_end
    WHERE u.bucket IS DISTINCT FROM i.bucket OR u.quantity <> i.quantity
    ORDER BY i.ord LIMIT 1";

/// Opens a window's transaction and its staging table.
pub(crate) fn window_begin(store: &PgStore) -> Result<()> {
    let at = "opening a window's transaction";
    let mut client = store.client()?;
    client.batch_execute("BEGIN").map_err(pg_error(at))?;
    client.batch_execute(STAGING).map_err(|e| {
        // Left open, the failed transaction would refuse the run's own record of the failure.
        let _ = client.batch_execute("ROLLBACK");
        pg_error(at)(e)
    })
}

/// Stores one page of the open window: (rows added, rows already stored with the same quantity).
pub(crate) fn store_page(
    store: &PgStore,
    cursor_id: i64,
    reported: Reported,
    records: &[UsageRecord],
) -> Result<(u64, u64)> {
    let at = "storing a page of usage rows";
    let rows = records
        .iter()
        .map(|r| RowValues::of(reported, r))
        .collect::<Result<Vec<_>>>()?;
    let mut client = store.client()?;
    let writer = client
        .copy_in(&format!(
            "COPY incoming_rows (ord, {COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .map_err(pg_error(at))?;
    let mut writer = BinaryCopyInWriter::new(writer, &COPY_TYPES);
    for (ord, row) in rows.iter().enumerate() {
        let ord = ord as i64;
        let values: [&(dyn ToSql + Sync); 22] = [
            &ord,
            &cursor_id,
            &row.reported.start,
            &row.reported.end,
            &row.subscription_id,
            &row.meter_id,
            &row.meter_id_normalized,
            &row.usage_start,
            &row.usage_end,
            &row.quantity,
            &row.resource_uri,
            &row.resource_group,
            &row.provider,
            &row.resource_type,
            &row.resource_name,
            &row.location,
            &row.tags,
            &row.additional_info,
            &row.vm_size,
            &row.instance_data_raw,
            &row.record_id,
            &row.bucket,
        ];
        writer.write(&values).map_err(pg_error(at))?;
    }
    writer.finish().map_err(pg_error(at))?;
    let added = client
        .execute(
            &format!(
                "INSERT INTO usage_rows ({COLUMNS}) SELECT {COLUMNS} FROM incoming_rows ORDER BY ord
                 ON CONFLICT (cursor_id, reported_start, subscription_id, meter_id_normalized, md5(bucket),
                    usage_start, usage_end) DO NOTHING"
            ),
            &[],
        )
        .map_err(pg_error(at))?;
    // Every staged row inserted: none was skipped, so none can contradict a stored one. Only a page that
    // repeats stored keys pays for the comparison.
    let mismatch = if added == rows.len() as u64 {
        None
    } else {
        client.query_opt(MISMATCH, &[]).map_err(pg_error(at))?
    };
    if let Some(found) = mismatch {
        let ord: i64 = found.try_get(0).map_err(pg_error(at))?;
        let stored: Option<Decimal> = found.try_get(1).map_err(pg_error(at))?;
        let row = usize::try_from(ord)
            .ok()
            .and_then(|i| rows.get(i))
            .ok_or_else(|| Error::Store {
                message: format!("{at}: the staging table names row {ord} of a page"),
                source: None,
            })?;
        return Err(match stored {
            Some(stored) => row.contradiction(stored),
            None => Error::Store {
                message: format!(
                    "{at}: the usage row (subscription {}, meter {}, usage from {}) has an instance whose MD5 equals a stored row's of another instance; the window was not stored (please report this)",
                    row.subscription_id,
                    row.meter_id,
                    time_text(row.usage_start)
                ),
                source: None,
            },
        });
    }
    client
        .batch_execute("TRUNCATE incoming_rows")
        .map_err(pg_error(at))?;
    Ok((added, rows.len() as u64 - added))
}

/// Commits the open window: the watermark moves from `start` to `end` (compare-and-set under the cursor's
/// row lock) with the run's counts, in the transaction that holds the window's rows.
pub(crate) fn window_commit(
    store: &PgStore,
    cursor_id: i64,
    run: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    added: u64,
    tally: Tally,
) -> Result<()> {
    let at = "committing a window";
    let mut client = store.client()?;
    let watermark: DateTime<Utc> = client
        .query_one(
            "SELECT watermark FROM cursors WHERE id = $1 FOR UPDATE",
            &[&cursor_id],
        )
        .and_then(|r| r.try_get(0))
        .map_err(pg_error(at))?;
    if watermark != start {
        return Err(crate::warehouse::sync::moved_watermark(watermark, start));
    }
    let counts = [added, tally.windows, tally.rows, tally.duplicates_skipped].map(|n| n as i64);
    client
        .execute(
            "UPDATE cursors SET watermark = $2, rows = rows + $3 WHERE id = $1",
            &[&cursor_id, &end, &counts[0]],
        )
        .map_err(pg_error(at))?;
    client
        .execute(
            "UPDATE sync_runs SET windows = $2, rows = $3, duplicates_skipped = $4 WHERE id = $1",
            &[&run, &counts[1], &counts[2], &counts[3]],
        )
        .map_err(pg_error(at))?;
    client.batch_execute("COMMIT").map_err(pg_error(at))
}

/// Abandons the open window; nothing of it stays.
pub(crate) fn window_rollback(store: &PgStore) {
    if let Ok(mut client) = store.client() {
        let _ = client.batch_execute("ROLLBACK");
    }
}
