//! Sync runs: one row per `sync` call that found work or nothing to do, with its counts and its error; the
//! cursor's last run and last error follow it. A failure is recorded in its own transaction, after the
//! failed window's rollback, so the record survives the rollback it reports.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::error::Result;
use crate::subscriptions::UserSubscription;
use crate::warehouse::rows::time_text;
use crate::warehouse::store::store_error;

/// Counts of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub windows: u64,
    pub rows: u64,
    pub duplicates_skipped: u64,
}

pub(crate) fn start(
    connection: &Connection,
    cursor_id: i64,
    started: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<i64> {
    let at = "recording the start of a sync run";
    connection
        .execute(
            "INSERT INTO sync_runs (cursor_id, started, until) VALUES (?1, ?2, ?3)",
            params![cursor_id, time_text(started), time_text(until)],
        )
        .map_err(store_error(at))?;
    let run = connection.last_insert_rowid();
    connection
        .execute(
            "UPDATE cursors SET last_run_started = ?2 WHERE id = ?1",
            params![cursor_id, time_text(started)],
        )
        .map_err(store_error(at))?;
    Ok(run)
}

/// The run's counts, written in each window's transaction so they always match the rows committed.
pub(crate) fn record_tally(connection: &Connection, run: i64, tally: Tally) -> Result<()> {
    connection
        .execute(
            "UPDATE sync_runs SET windows = ?2, rows = ?3, duplicates_skipped = ?4 WHERE id = ?1",
            params![
                run,
                tally.windows as i64,
                tally.rows as i64,
                tally.duplicates_skipped as i64
            ],
        )
        .map_err(store_error("recording a sync run's progress"))?;
    Ok(())
}

/// Ends a run: `error` None for success (which clears the cursor's last error), or the failure's message.
pub(crate) fn finish(
    connection: &Connection,
    cursor_id: i64,
    run: i64,
    error: Option<&str>,
) -> Result<()> {
    let finished = time_text(Utc::now());
    let at = "recording the end of a sync run";
    connection
        .execute(
            "UPDATE sync_runs SET finished = ?2, error = ?3 WHERE id = ?1",
            params![run, finished, error],
        )
        .map_err(store_error(at))?;
    connection
        .execute(
            "UPDATE cursors SET last_run_finished = ?2, last_error = ?3 WHERE id = ?1",
            params![cursor_id, finished, error],
        )
        .map_err(store_error(at))?;
    Ok(())
}

/// The tenant subscriptions as listed at this run, so usage can be tied to the owners of the time.
pub(crate) fn store_tenants(
    connection: &mut Connection,
    run: i64,
    tenants: &[UserSubscription],
) -> Result<()> {
    let at = "storing the tenant subscriptions";
    let taken = time_text(Utc::now());
    let tx = connection.transaction().map_err(store_error(at))?;
    {
        let mut insert = tx
            .prepare(
                "INSERT OR REPLACE INTO tenant_snapshots (sync_run_id, taken, subscription_id, display_name,
                    owner, state, offer_id, tenant_id, delegated_provider_subscription_id, is_direct_tenant)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(store_error(at))?;
        for t in tenants {
            insert
                .execute(params![
                    run,
                    taken,
                    t.subscription_id,
                    t.display_name,
                    t.owner,
                    t.state,
                    t.offer_id,
                    t.tenant_id,
                    t.delegated_provider_subscription_id,
                    t.is_direct_tenant
                ])
                .map_err(store_error(at))?;
        }
    }
    tx.commit().map_err(store_error(at))?;
    Ok(())
}
