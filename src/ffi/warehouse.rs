//! The usage warehouse: stores, syncs with progress and cancel, and what a store holds.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use azs_billing_core::warehouse::{self, CancelToken, RowReader, Store, SyncProgress, json};

use crate::ffi::client::AzsbClient;
use crate::ffi::error::{AzsbError, AzsbStatus, finish, finish_json};
use crate::ffi::strings::to_c;

/// Opaque store handle (one thread at a time).
pub struct AzsbStore {
    /// Shared with the row readers opened on it, which may outlive the handle.
    store: Arc<Mutex<Store>>,
}

/// Opaque reader of stored rows (`azsb_store_rows_open`); one thread at a time.
pub struct AzsbStoreRows {
    store: Arc<Mutex<Store>>,
    reader: RowReader,
}

/// The store behind a handle. A panic while it was held left no transaction open (a dropped transaction
/// rolls back), so a poisoned lock is taken as it is.
fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opaque cancel handle: `azsb_cancel_request` may be called from any thread while a sync runs.
pub struct AzsbCancel {
    token: CancelToken,
}

/// Called after each committed window of `azsb_usage_sync`, on the thread that called it, with `userdata`
/// as given and the progress as JSON (docs/c-abi.md, "Sync progress"), valid only during the call. It may
/// call `azsb_cancel_request`; it must not use the sync's store.
pub type AzsbSyncProgressCallback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, progress_json: *const c_char)>;

/// Opens the store `url` names, creating it when it does not exist and migrating an older schema:
/// `sqlite:PATH` (a relative PATH is the process's current directory's), or a PostgreSQL database
/// `postgresql://USER@HOST:PORT/DATABASE` (libpq's URL form and parameters; the password from the URL or,
/// when it has none, `PGPASSWORD`; not encrypted, so `sslmode=require` is refused: use loopback, a Unix
/// socket or a tunnel). A store is one thread's at a time. Several processes may open one SQLite file (a
/// sync holds its write lock while a window's pages arrive); several collectors may sync into one
/// PostgreSQL database at once, each cursor leased to one of them at a time (the others' sync of that
/// cursor fails with AZSB_STATUS_STORE, nothing fetched).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_open(
    url: *const c_char,
    store_out: *mut *mut AzsbStore,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let url = try_str!(url, "url", error_out);
        check_out!(store_out, "store_out", error_out);
        give_store(Store::open(url), store_out, error_out)
    })
}

/// Hands an opened store to the caller as a handle, or reports the error. `store_out` is checked non-NULL.
fn give_store(
    opened: azs_billing_core::error::Result<Store>,
    store_out: *mut *mut AzsbStore,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    finish(opened, error_out, |store| {
        // SAFETY: the callers checked it non-NULL.
        unsafe {
            *store_out = Box::into_raw(Box::new(AzsbStore {
                store: Arc::new(Mutex::new(store)),
            }))
        };
    })
}

/// Opens the store `url` names to read it, as `azsb_store_open` does, except that a SQLite file that does
/// not exist is AZSB_STATUS_NOT_FOUND rather than a new, empty store at a mistyped path.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_open_existing(
    url: *const c_char,
    store_out: *mut *mut AzsbStore,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let url = try_str!(url, "url", error_out);
        check_out!(store_out, "store_out", error_out);
        give_store(Store::open_existing(url), store_out, error_out)
    })
}

/// Opens the per-user store (`azsb_store_default_url` says which), creating it and its directory when
/// absent, as `azsb_store_open` does a named one.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_open_default(
    store_out: *mut *mut AzsbStore,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        check_out!(store_out, "store_out", error_out);
        give_store(Store::open_default(), store_out, error_out)
    })
}

/// The URL of the per-user store `azsb_store_open_default` opens: `sqlite:` and
/// `%LOCALAPPDATA%\azs-billing\usage.db` on Windows, `$XDG_DATA_HOME/azs-billing/usage.db` (else
/// `$HOME/.local/share/azs-billing/usage.db`) elsewhere. AZSB_STATUS_INVALID_ARGUMENT when the environment
/// names no such directory.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_default_url(
    url_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        check_out!(url_out, "url_out", error_out);
        finish(warehouse::default_store_url(), error_out, |url| {
            // SAFETY: checked non-NULL above.
            unsafe { *url_out = to_c(url) };
        })
    })
}

/// The store's URL for messages and reports, without a password: `sqlite:PATH` (the path as opened),
/// `sqlite::memory:`, or `postgresql://USER@HOST:PORT/DATABASE`. Free it with `azsb_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_url(
    store: *const AzsbStore,
    url_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let store = try_ref!(store, "store", error_out);
        check_out!(url_out, "url_out", error_out);
        let url = lock(&store.store).url();
        finish(Ok(url), error_out, |url| {
            // SAFETY: checked non-NULL above.
            unsafe { *url_out = to_c(url) };
        })
    })
}

/// Frees a store handle. NULL is accepted. The store closes when its last row reader is freed too.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_free(store: *mut AzsbStore) {
    // SAFETY: the caller promised the store came from azsb_store_open and is freed once.
    unsafe { crate::ffi::strings::free_handle(store) }
}

/// Where every cursor of the store stands, as a JSON array (docs/c-abi.md, "Sync state"): watermark, rows,
/// the last run's times and error.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_sync_state(
    store: *const AzsbStore,
    state_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let store = try_ref!(store, "store", error_out);
        check_out!(state_json_out, "state_json_out", error_out);
        let result = lock(&store.store)
            .sync_state()
            .and_then(|states| json::sync_state_json(&states));
        finish_json(result, state_json_out, error_out)
    })
}

/// Exact sums of stored usage per period, subscription and meter, as a JSON array (query and rows in
/// docs/c-abi.md, "Aggregate query" and "Aggregate row"; quantities are decimal strings).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_aggregate(
    store: *const AzsbStore,
    query_json: *const c_char,
    rows_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let store = try_ref!(store, "store", error_out);
        let query = try_str!(query_json, "query_json", error_out);
        check_out!(rows_json_out, "rows_json_out", error_out);
        let result = json::aggregate_query_from_json(query)
            .and_then(|query| lock(&store.store).aggregate(&query))
            .and_then(|rows| json::aggregate_json(&rows));
        finish_json(result, rows_json_out, error_out)
    })
}

/// Opens a reader of the stored rows `query_json` means (docs/c-abi.md, "Row query": usage time, granularity
/// and filters; checked here, the filters at the first page). Nothing is read yet. The reader keeps the
/// store open; free it with `azsb_store_rows_free`.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_rows_open(
    store: *const AzsbStore,
    query_json: *const c_char,
    rows_out: *mut *mut AzsbStoreRows,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let store = try_ref!(store, "store", error_out);
        let query = try_str!(query_json, "query_json", error_out);
        check_out!(rows_out, "rows_out", error_out);
        let opened = json::row_query_from_json(query).and_then(RowReader::new);
        finish(opened, error_out, |reader| {
            let rows = AzsbStoreRows {
                store: Arc::clone(&store.store),
                reader,
            };
            // SAFETY: checked non-NULL above.
            unsafe { *rows_out = Box::into_raw(Box::new(rows)) };
        })
    })
}

/// The next page of up to `max_rows` rows (0: 1000) as a JSON array (docs/c-abi.md, "Stored row"), in
/// usage-time order; `*page_json_out` is NULL after the last page. Each page is read afresh after the last
/// row of the one before, so the store may be synced between pages (rows a sync adds in between appear
/// when they sort after the rows already read).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_rows_next(
    rows: *mut AzsbStoreRows,
    max_rows: usize,
    page_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let rows = try_mut!(rows, "rows", error_out);
        check_out!(page_json_out, "page_json_out", error_out);
        let max = if max_rows == 0 { 1000 } else { max_rows };
        let page = rows
            .reader
            .next_batch(&lock(&rows.store), max)
            .and_then(|batch| {
                if batch.is_empty() {
                    Ok(None)
                } else {
                    json::stored_rows_json(&batch).map(Some)
                }
            });
        finish(page, error_out, |page| {
            // SAFETY: checked non-NULL above.
            unsafe { *page_json_out = page.map_or(std::ptr::null_mut(), to_c) };
        })
    })
}

/// Frees a row reader. NULL is accepted.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_rows_free(rows: *mut AzsbStoreRows) {
    // SAFETY: the caller promised the reader came from azsb_store_rows_open and is freed once.
    unsafe { crate::ffi::strings::free_handle(rows) }
}

/// Writes the stored rows `query_json` means (docs/c-abi.md, "Row query") to a file (`options_json`:
/// "Export options": `csv`, `csv_usagesummary` or `ndjson`, and the path), a batch at a time, in usage-time
/// order. The file appears at the path only when complete (replacing one there); on any error nothing is
/// left there. `*report_json_out` receives "Export report" (the path, rows, bytes).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_store_export(
    store: *const AzsbStore,
    query_json: *const c_char,
    options_json: *const c_char,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let store = try_ref!(store, "store", error_out);
        let query = try_str!(query_json, "query_json", error_out);
        let options = try_str!(options_json, "options_json", error_out);
        check_out!(report_json_out, "report_json_out", error_out);
        let result = json::row_query_from_json(query).and_then(|query| {
            export_json(options, |format, path| {
                lock(&store.store).export(&query, format, path)
            })
        });
        finish_json(result, report_json_out, error_out)
    })
}

/// Writes a usage query's rows straight from the API to a file, with no store (`query_json`: docs/c-abi.md,
/// "Usage query"; `options_json`: "Export options"), page by page in the order the service sends them. Rows
/// are shaped as "Stored row" with `cursor_id` 0 and the query's reported window; provider rows carry
/// their owner. The query and the path are checked before anything is sent; the file appears only when
/// complete, so a page that fails after its retries leaves nothing at the path.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_usage_export(
    client: *const AzsbClient,
    query_json: *const c_char,
    options_json: *const c_char,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let query = try_str!(query_json, "query_json", error_out);
        let options = try_str!(options_json, "options_json", error_out);
        check_out!(report_json_out, "report_json_out", error_out);
        let result = azs_billing_core::options::usage_query_from_json(query).and_then(|query| {
            export_json(options, |format, path| {
                warehouse::export_usage(&client.inner, &query, format, path)
            })
        });
        finish_json(result, report_json_out, error_out)
    })
}

/// Runs an export with the format and path of `options_json` ("Export options"); its report as JSON.
fn export_json(
    options_json: &str,
    export: impl FnOnce(
        warehouse::ExportFormat,
        &std::path::Path,
    ) -> azs_billing_core::error::Result<warehouse::ExportReport>,
) -> azs_billing_core::error::Result<String> {
    let (format, path) = json::export_options_from_json(options_json)?;
    json::export_report_json(&export(format, &path)?)
}

/// A new cancel handle, not requested; free it with `azsb_cancel_free`. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_cancel_new() -> *mut AzsbCancel {
    Box::into_raw(Box::new(AzsbCancel {
        token: CancelToken::new(),
    }))
}

/// Asks the syncs given this handle to stop (from any thread, any number of times): the window in progress
/// is rolled back, committed windows stay, and `azsb_usage_sync` returns AZSB_STATUS_CANCELLED soon after
/// (at once between pages; a page request in flight finishes first). A requested handle stays requested:
/// use a new one for the next sync. NULL is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_cancel_request(cancel: *const AzsbCancel) {
    // SAFETY: the caller promised NULL or a live handle from azsb_cancel_new; the token is atomic, so shared
    // use from several threads is allowed.
    if let Some(cancel) = unsafe { cancel.as_ref() } {
        cancel.token.request();
    }
}

/// Frees a cancel handle. NULL is accepted. Free it only when no thread will call `azsb_cancel_request` on
/// it any more (a sync it was given keeps its own reference).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_cancel_free(cancel: *mut AzsbCancel) {
    // SAFETY: the caller promised the handle came from azsb_cancel_new and is freed once.
    unsafe { crate::ffi::strings::free_handle(cancel) }
}

/// The C callback and its userdata, as the core's progress callback.
struct ProgressSink {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: the core calls the progress callback on the thread that runs the sync's writer, which is the
// thread that called azsb_usage_sync (warehouse::sync's contract), so the C callback and its userdata are
// only ever used on the caller's own thread, during the call.
unsafe impl Send for ProgressSink {}
// SAFETY: as above: never used from two threads.
unsafe impl Sync for ProgressSink {}

impl ProgressSink {
    fn report(&self, progress: &SyncProgress) {
        match json::progress_json(progress) {
            Ok(text) => {
                let text = crate::ffi::error::c_string(&text);
                // SAFETY: the caller supplied this function for exactly this use, with `userdata`; the text
                // lives until it returns.
                unsafe { (self.callback)(self.userdata, text.as_ptr()) };
            }
            // Progress is advice, not data: a report that cannot be written is skipped, and said.
            Err(e) => log::warn!(target: "azs_billing::warehouse", "progress report skipped: {e}"),
        }
    }
}

/// Syncs usage into `store` (options JSON in docs/c-abi.md, "Sync options"): the reported-time windows
/// from the cursor's watermark to the settled end, each committed with the watermark's move in one
/// transaction, so nothing is lost or stored twice whatever stops it; running it again goes on from the
/// watermark (nothing new: AZSB_STATUS_OK with 0 windows). The options are checked before any request.
///
/// `progress` (may be NULL) is called after each committed window, on this thread. `cancel` (may be NULL)
/// stops the sync when requested from another thread (or from `progress`): AZSB_STATUS_CANCELLED, with
/// every committed window kept. On success `*report_json_out` receives the report (docs/c-abi.md, "Sync
/// report"); on any error nothing is written there, the windows committed before the error stay, and the
/// error is recorded on the cursor (`azsb_store_sync_state`'s `last_error`).
///
/// The client is shared with any other thread using it; the store is this call's alone until it returns.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn azsb_usage_sync(
    client: *const AzsbClient,
    store: *const AzsbStore,
    options_json: *const c_char,
    progress: AzsbSyncProgressCallback,
    userdata: *mut c_void,
    cancel: *const AzsbCancel,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    ffi_boundary!(error_out, {
        let client = try_ref!(client, "client", error_out);
        let store = try_ref!(store, "store", error_out);
        let options = try_str!(options_json, "options_json", error_out);
        check_out!(report_json_out, "report_json_out", error_out);
        // SAFETY: the caller promised NULL or a live handle from azsb_cancel_new.
        let cancel = unsafe { cancel.as_ref() }.map(|c| c.token.clone());
        let result = json::sync_options_from_json(options).and_then(|mut options| {
            options.cancel = cancel;
            if let Some(callback) = progress {
                let sink = ProgressSink { callback, userdata };
                options.progress = Some(Arc::new(move |p: &SyncProgress| sink.report(p)));
            }
            warehouse::sync(&client.inner, &mut lock(&store.store), &options)
                .and_then(|report| json::report_json(&report))
        });
        finish(result, error_out, |json| {
            // SAFETY: checked non-NULL above.
            unsafe { *report_json_out = to_c(json) };
        })
    })
}
