//! The usage warehouse: usage rows synced from a stamp into a local store, exactly once, window by
//! window, and read back as exact sums (docs/warehouse.md).
//!
//! - [`Store`] (`store.rs`) opens a store by URL (`sqlite:PATH`) and migrates its schema (`schema.rs`).
//! - [`sync`] (`sync.rs`) pulls contiguous reported-time windows; each window is one transaction that also
//!   advances the cursor's watermark, so a failure loses that window only and a re-run redoes it. Workers
//!   (`fetch.rs`) fetch slices of the windows through [`crate::usage::UsagePager`] in parallel, as many at
//!   once as `limiter.rs` allows (fewer while the service throttles); [`CancelToken`] stops a sync.
//! - `rows.rs` turns a usage record into a stored row and its key; `quantity.rs` keeps quantities as exact
//!   decimals and sums them (`decimal_sum`); `cursor.rs` keeps where each sync stands; `runs.rs` records each run, its error and the tenant list; `read.rs` answers
//!   [`Store::sync_state`] and [`Store::aggregate`]; `stored_rows.rs` reads rows back ([`Store::rows`],
//!   [`RowReader`]); `filter.rs` is the [`RowFilter`] both share; `export.rs` writes rows to files ([`Store::export`]); [`json`] is their JSON for C and PowerShell
//!   callers.
//!
//! # The row key
//!
//! A row is identified by (cursor, reported window start, `subscription_id`, `meter_id_normalized`,
//! bucket, `usage_start`, `usage_end`), where the bucket is what identifies the instance: the resource URI
//! and additionalInfo, or the raw instanceData when it did not parse (docs/c-abi.md, "What identifies a
//! row"). Daily rows are fetched one reported day per query, so a usage day reported on two days is two
//! rows (parts to add, never duplicates). A unique index holds the key: a row stored twice is refused by
//! the store itself.

mod backend;
mod cancel;
mod cursor;
mod export;
mod export_parquet;
mod fetch;
mod filter;
pub mod json;
mod limiter;
mod pg;
mod quantity;
mod read;
mod rows;
mod runs;
mod schema;
mod sql;
mod store;
mod stored_rows;
mod sync;

pub use cancel::CancelToken;
pub use cursor::CursorKey;
pub use export::{CSV_COLUMNS, ExportFormat, ExportReport, USAGESUMMARY_COLUMNS, export_usage};
pub use export_parquet::PARQUET_COLUMNS;
pub use filter::{RowFilter, TagFilter};
pub use quantity::quantity_decimal;
pub use read::{AggregateQuery, AggregateRow, CursorState, Period};
pub use store::{Store, default_store_url};
pub use stored_rows::{RowQuery, RowReader, StoredRow};
pub use sync::{
    DEFAULT_CONCURRENCY, DEFAULT_HOURLY_SLICE, DEFAULT_SETTLE_MARGIN, MAX_CONCURRENCY,
    ProgressCallback, SyncOptions, SyncProgress, SyncReport, sync,
};
