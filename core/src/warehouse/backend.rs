//! What a sync and the reads need of a store, each sent to the SQLite or the PostgreSQL implementation.
//! The sync's logic (`sync.rs`) and the reads' statements (`read.rs`, `stored_rows.rs`) are written once
//! against these.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::subscriptions::UserSubscription;
use crate::usage::UsageRecord;
use crate::warehouse::cursor::{self, Cursor, CursorKey};
use crate::warehouse::pg;
use crate::warehouse::read::{CursorState, HourSum, sqlite_hour_sums, sqlite_sync_state};
use crate::warehouse::rows::{self, Inserted, Reported, time_text};
use crate::warehouse::runs::{self, Tally};
use crate::warehouse::sql::{Dialect, Sql};
use crate::warehouse::store::{Backend, Store, store_error};
use crate::warehouse::stored_rows::RowColumns;

impl Store {
    pub(crate) fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    pub(crate) fn cursor_states(&self) -> Result<Vec<CursorState>> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite_sync_state(c),
            Backend::Postgres(p) => pg::read::cursor_states(p),
        }
    }

    /// (lower-case subscription id, owner) of every stored tenant list, oldest first.
    pub(crate) fn owner_pairs(&self) -> Result<Vec<(String, String)>> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let at = "reading the stored tenant lists";
                let mut statement = c
                    .prepare(crate::warehouse::filter::OWNER_PAIRS)
                    .map_err(store_error(at))?;
                statement
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .and_then(Iterator::collect)
                    .map_err(store_error(at))
            }
            Backend::Postgres(p) => pg::read::owner_pairs(p),
        }
    }

    pub(crate) fn hour_sums(&self, sql: &Sql) -> Result<Vec<HourSum>> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite_hour_sums(c, sql),
            Backend::Postgres(p) => pg::read::hour_sums(p, sql),
        }
    }

    pub(crate) fn row_batch(&self, sql: &Sql) -> Result<Vec<RowColumns>> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let at = "reading stored usage rows";
                let mut statement = c.prepare(&sql.text).map_err(store_error(at))?;
                let mut rows = statement
                    .query(rusqlite::params_from_iter(&sql.params))
                    .map_err(store_error(at))?;
                let mut batch = Vec::new();
                while let Some(row) = rows.next().map_err(store_error(at))? {
                    batch.push(RowColumns::from_sqlite(row)?);
                }
                Ok(batch)
            }
            Backend::Postgres(p) => pg::read::row_batch(p, sql),
        }
    }

    pub(crate) fn find_or_create_cursor(
        &mut self,
        key: &CursorKey,
        start: DateTime<Utc>,
    ) -> Result<Cursor> {
        match &self.backend {
            Backend::Sqlite(c) => cursor::find_or_create(c, key, start),
            Backend::Postgres(p) => pg::write::find_or_create(p, key, start),
        }
    }

    /// Takes the cursor's lease for this sync. PostgreSQL: an advisory lock, refused while another
    /// collector holds it. SQLite needs none: its write lock and the watermark's compare-and-set at each
    /// window already keep a second sync from committing a window twice.
    pub(crate) fn lease_cursor(&mut self, cursor_id: i64, stamp: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(p) => pg::write::lease(p, cursor_id, stamp),
        }
    }

    pub(crate) fn release_cursor(&mut self, cursor_id: i64) {
        if let Backend::Postgres(p) = &self.backend {
            pg::write::release(p, cursor_id);
        }
    }

    pub(crate) fn start_run(
        &mut self,
        cursor_id: i64,
        started: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite(c) => runs::start(c, cursor_id, started, until),
            Backend::Postgres(p) => pg::write::run_start(p, cursor_id, started, until),
        }
    }

    pub(crate) fn finish_run(
        &mut self,
        cursor_id: i64,
        run: i64,
        error: Option<&str>,
    ) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(c) => runs::finish(c, cursor_id, run, error),
            Backend::Postgres(p) => pg::write::run_finish(p, cursor_id, run, error),
        }
    }

    pub(crate) fn store_tenants(&mut self, run: i64, tenants: &[UserSubscription]) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(c) => runs::store_tenants(c, run, tenants),
            Backend::Postgres(p) => pg::write::store_tenants(p, run, tenants),
        }
    }

    /// Opens the transaction of the window from `start`. SQLite takes the write lock here and checks the
    /// watermark under it; PostgreSQL checks it under the cursor's row lock at commit.
    pub(crate) fn begin_window(&mut self, cursor_id: i64, start: DateTime<Utc>) -> Result<()> {
        let at = format!("storing the usage reported from {}", time_text(start));
        match &self.backend {
            Backend::Sqlite(c) => {
                // A transaction a panic left open (no destructor rolls back an explicit BEGIN) would hold
                // the write lock and take this window into itself.
                if !c.is_autocommit() {
                    let _ = c.execute_batch("ROLLBACK");
                }
                c.execute_batch("BEGIN IMMEDIATE")
                    .map_err(store_error(&at))?;
                let watermark = cursor::watermark(c, cursor_id);
                match watermark {
                    Ok(watermark) if watermark == start => Ok(()),
                    other => {
                        let _ = c.execute_batch("ROLLBACK");
                        Err(match other {
                            Ok(watermark) => {
                                crate::warehouse::sync::moved_watermark(watermark, start)
                            }
                            Err(e) => e,
                        })
                    }
                }
            }
            Backend::Postgres(p) => pg::write::window_begin(p),
        }
    }

    /// Stores a page into the open window: (rows added, duplicates of rows already stored).
    pub(crate) fn store_page(
        &mut self,
        cursor_id: i64,
        reported: Reported,
        records: &[UsageRecord],
    ) -> Result<(u64, u64)> {
        match &self.backend {
            Backend::Sqlite(c) => {
                let (mut added, mut duplicates) = (0, 0);
                for record in records {
                    match rows::insert(c, cursor_id, reported, record)? {
                        Inserted::New => added += 1,
                        Inserted::Duplicate => duplicates += 1,
                    }
                }
                Ok((added, duplicates))
            }
            Backend::Postgres(p) => pg::write::store_page(p, cursor_id, reported, records),
        }
    }

    /// Commits the open window: the watermark from `start` to `end`, `added` rows, the run's `tally`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn commit_window(
        &mut self,
        cursor_id: i64,
        run: i64,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        added: u64,
        tally: Tally,
    ) -> Result<()> {
        let at = format!("storing the usage reported from {}", time_text(start));
        match &self.backend {
            Backend::Sqlite(c) => {
                cursor::advance(c, cursor_id, end, added)?;
                runs::record_tally(c, run, tally)?;
                c.execute_batch("COMMIT").map_err(store_error(&at))
            }
            Backend::Postgres(p) => {
                pg::write::window_commit(p, cursor_id, run, start, end, added, tally)
            }
        }
    }

    /// Abandons the open window, if one is open; nothing of it stays.
    pub(crate) fn rollback_window(&mut self) {
        match &self.backend {
            Backend::Sqlite(c) => {
                if !c.is_autocommit() {
                    let _ = c.execute_batch("ROLLBACK");
                }
            }
            Backend::Postgres(p) => pg::write::window_rollback(p),
        }
    }
}
