//! The usage warehouse through the C ABI: a sync with a progress callback, the cursor states, aggregates and
//! a cancelled sync, every JSON in and out checked against the contract.

use std::ffi::{CStr, c_char, c_void};

use azs_billing::ffi::*;
use serde_json::{Value, json};

use crate::contract::Contract;
use crate::support::Stamp;
use crate::support::abi::{ClientHandle, c, call, call_json, error_record};

struct StoreHandle(*mut AzsbStore);

impl Drop for StoreHandle {
    fn drop(&mut self) {
        azsb_store_free(self.0);
    }
}

fn store_open(url: &str) -> StoreHandle {
    let url = c(url);
    let mut store: *mut AzsbStore = std::ptr::null_mut();
    let mut error: *mut AzsbError = std::ptr::null_mut();
    let status = azsb_store_open(url.as_ptr(), &mut store, &mut error);
    assert_eq!(status, AzsbStatus::Ok, "{}", error_record(status, error));
    StoreHandle(store)
}

/// Every row `query` means, through a reader on a store handle opened for it alone and freed before the
/// first page (the reader keeps the store open), `max_rows` a page; the pages read and the rows.
fn read_rows(url: &str, query: &Value, max_rows: usize) -> (usize, Vec<Value>) {
    let store = store_open(url);
    let text = c(&query.to_string());
    let mut rows: *mut AzsbStoreRows = std::ptr::null_mut();
    let mut error: *mut AzsbError = std::ptr::null_mut();
    let status = azsb_store_rows_open(store.0, text.as_ptr(), &mut rows, &mut error);
    assert_eq!(status, AzsbStatus::Ok, "{}", error_record(status, error));
    drop(store);
    let mut pages = 0;
    let mut read = Vec::new();
    loop {
        let mut page: *mut c_char = std::ptr::null_mut();
        let status = azsb_store_rows_next(rows, max_rows, &mut page, &mut error);
        assert_eq!(status, AzsbStatus::Ok, "{}", error_record(status, error));
        if page.is_null() {
            break;
        }
        // SAFETY: a page the library returned, freed right after.
        let value: Value = serde_json::from_str(&unsafe { CStr::from_ptr(page) }.to_string_lossy())
            .expect("a page is JSON");
        azsb_string_free(page);
        let items = value.as_array().expect("a page is an array");
        assert!(!items.is_empty() && (max_rows == 0 || items.len() <= max_rows));
        pages += 1;
        read.extend(items.iter().cloned());
    }
    azsb_store_rows_free(rows);
    (pages, read)
}

extern "C" fn collect_progress(userdata: *mut c_void, progress_json: *const c_char) {
    // SAFETY: userdata is the Vec the test passed, used on this thread only during the sync; the text is
    // valid during the call.
    let seen = unsafe { &mut *userdata.cast::<Vec<String>>() };
    seen.push(
        unsafe { CStr::from_ptr(progress_json) }
            .to_string_lossy()
            .into_owned(),
    );
}

/// One sync through the C ABI: the report, or the error record; and the progress reports it made.
fn sync(
    admin: &ClientHandle,
    store: &StoreHandle,
    options: &Value,
    cancel: *const AzsbCancel,
) -> (Result<Value, Value>, Vec<String>) {
    let options = c(&options.to_string());
    let mut progress: Vec<String> = Vec::new();
    let result = call(|out, e| {
        azsb_usage_sync(
            admin.0,
            store.0,
            options.as_ptr(),
            Some(collect_progress),
            (&mut progress as *mut Vec<String>).cast(),
            cancel,
            out,
            e,
        )
    })
    .map(|text| serde_json::from_str(&text.expect("a report")).expect("the report is JSON"));
    (result, progress)
}

pub fn warehouse(contract: &Contract, stamp: &Stamp, admin: &ClientHandle) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("usage.sqlite").display());
    let store = store_open(&url);
    let start = stamp.s("/dataset/start_date");
    let days = stamp.ready["dataset"]["days"].as_i64().expect("days");
    let until = (start.parse::<chrono::NaiveDate>().expect("date")
        + chrono::Days::new(days as u64 + 1))
    .to_string();
    let provider = stamp.s("/default_provider_subscription_id");

    let options = json!({"api": "provider", "subscription_id": provider, "granularity": "Daily",
        "start_time": start, "until": until, "concurrency": 2, "window_hours": 48});
    contract.check("warehouse.json#/$defs/sync_options", &options);
    let (report, progress) = sync(admin, &store, &options, std::ptr::null());
    let report = report.unwrap_or_else(|e| panic!("sync: {e}"));
    contract.check("warehouse.json#/$defs/sync_report", &report);
    let windows = report["windows"].as_u64().expect("windows");
    assert!(windows > 1, "{report}");
    assert_eq!(
        progress.len() as u64,
        windows,
        "one progress report per window"
    );
    for (index, text) in progress.iter().enumerate() {
        let value: Value = serde_json::from_str(text).expect("progress is JSON");
        contract.check("warehouse.json#/$defs/sync_progress", &value);
        assert_eq!(value["windows_done"], index as u64 + 1, "{value}");
        assert_eq!(value["windows_total"], windows, "{value}");
    }
    let last: Value = serde_json::from_str(progress.last().expect("progress")).expect("JSON");
    assert_eq!(last["rows"], report["rows"]);
    assert_eq!(last["watermark"], report["watermark"]);
    assert_eq!(
        last["eta_seconds"], 0.0,
        "nothing left after the last window"
    );

    // A second run has nothing new: a no-op.
    let (again, progress) = sync(admin, &store, &options, std::ptr::null());
    let again = again.expect("second sync");
    assert_eq!((&again["windows"], &again["rows"]), (&json!(0), &json!(0)));
    assert!(progress.is_empty());

    // The aggregate holds exactly the synced rows.
    let query = json!({"from": start, "to": until, "granularity": "daily", "period": "Month"});
    contract.check("warehouse.json#/$defs/aggregate_query", &query);
    let text = c(&query.to_string());
    let rows = call_json("aggregate", |o, e| {
        azsb_store_aggregate(store.0, text.as_ptr(), o, e)
    });
    contract.check("warehouse.json#/$defs/aggregate", &rows);
    assert!(contract.check_each("warehouse.json#/$defs/aggregate_row", &rows) > 0);
    let summed: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(summed, report["rows"].as_u64().unwrap());

    // Every stored row through a reader, a page at a time.
    let query = json!({"from": start, "to": until, "granularity": "Daily"});
    contract.check("warehouse.json#/$defs/row_query", &query);
    let (pages, read) = read_rows(&url, &query, 50);
    assert!(pages > 1, "{pages} pages");
    assert_eq!(read.len() as u64, report["rows"].as_u64().unwrap());
    for row in &read {
        contract.check("warehouse.json#/$defs/stored_row", row);
    }
    let tagged = read
        .iter()
        .filter(|r| r["category"] == "Compute" && r["resource_type"] == "virtualMachines")
        .find_map(|r| {
            r["tags"]
                .as_object()
                .and_then(|t| t.get("environment"))
                .cloned()
        })
        .expect("a virtual machine's row with an environment tag");
    let filtered = json!({"from": start, "to": until, "granularity": "Daily", "category": "compute",
        "tag": {"key": "Environment", "value": tagged}, "resource_type": "microsoft.compute/virtualmachines"});
    contract.check("warehouse.json#/$defs/row_query", &filtered);
    contract.check("warehouse.json#/$defs/tag_filter", &filtered["tag"]);
    let (_, some) = read_rows(&url, &filtered, 0);
    assert!(!some.is_empty());
    let expected = read
        .iter()
        .filter(|r| {
            r["category"] == "Compute"
                && r["tags"]["environment"] == tagged
                && r["provider"].as_str().map(str::to_lowercase).as_deref()
                    == Some("microsoft.compute")
                && r["resource_type"]
                    .as_str()
                    .map(str::to_lowercase)
                    .as_deref()
                    == Some("virtualmachines")
        })
        .count();
    assert_eq!(some.len(), expected);
    let text = c(
        &json!({"from": start, "to": until, "granularity": "Daily", "colour": "red"}).to_string(),
    );
    let error = call(|_, e| {
        let mut rows: *mut AzsbStoreRows = std::ptr::null_mut();
        azsb_store_rows_open(store.0, text.as_ptr(), &mut rows, e)
    })
    .expect_err("an unknown key");
    assert!(
        error["message"].as_str().unwrap().contains("colour"),
        "{error}"
    );

    // Exports: the report, a line per row, and a misspelt format refused.
    for (format, lines) in [("csv", read.len() + 1), ("ndjson", read.len())] {
        let path = dir.path().join(format!("export.{format}"));
        let options = json!({"format": format, "path": path.display().to_string()});
        contract.check("warehouse.json#/$defs/export_options", &options);
        let (query_text, options_text) = (c(&query.to_string()), c(&options.to_string()));
        let report = call_json("export", |o, e| {
            azsb_store_export(store.0, query_text.as_ptr(), options_text.as_ptr(), o, e)
        });
        contract.check("warehouse.json#/$defs/export_report", &report);
        assert_eq!(report["rows"], read.len() as u64, "{report}");
        let text = std::fs::read_to_string(&path).expect("the export");
        assert_eq!(text.lines().count(), lines, "{format}");
    }
    // Straight from the API, no store: the same rows as the sync stored.
    let live_query = json!({"api": "provider", "subscription_id": provider, "reported_start_time": start,
        "reported_end_time": until, "aggregation_granularity": "Daily"});
    contract.check("usage-query.json", &live_query);
    let live_path = dir.path().join("live.ndjson");
    let live_options = json!({"format": "ndjson", "path": live_path.display().to_string()});
    let (query_text, options_text) = (c(&live_query.to_string()), c(&live_options.to_string()));
    let live = call_json("live export", |o, e| {
        azsb_usage_export(admin.0, query_text.as_ptr(), options_text.as_ptr(), o, e)
    });
    contract.check("warehouse.json#/$defs/export_report", &live);
    assert_eq!(live["rows"], report["rows"], "{live}");
    for line in std::fs::read_to_string(&live_path)
        .expect("live export")
        .lines()
    {
        let row: Value = serde_json::from_str(line).expect("a JSON line");
        contract.check("warehouse.json#/$defs/stored_row", &row);
        assert_eq!(row["cursor_id"], 0);
    }

    let (query_text, options_text) = (
        c(&query.to_string()),
        c(&json!({"format": "xlsx", "path": "x"}).to_string()),
    );
    let error =
        call(|o, e| azsb_store_export(store.0, query_text.as_ptr(), options_text.as_ptr(), o, e))
            .expect_err("an unknown format");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("csv_usagesummary"),
        "{error}"
    );

    // Refused before any request: an unknown key; a start off the granularity's boundary.
    let mut misspelt = options.clone();
    misspelt["concurency"] = json!(4);
    contract.refuses("warehouse.json#/$defs/sync_options", &misspelt);
    let (error, _) = sync(admin, &store, &misspelt, std::ptr::null());
    let error = error.expect_err("an unknown key");
    contract.check("error.json", &error);
    assert_eq!(error["status_name"], "AZSB_STATUS_INVALID_ARGUMENT");
    assert!(
        error["message"].as_str().unwrap().contains("concurency"),
        "{error}"
    );

    // A cancelled sync: CANCELLED, nothing committed, the cancel recorded on the cursor.
    let cancel = azsb_cancel_new();
    azsb_cancel_request(cancel);
    let hourly = json!({"api": "provider", "subscription_id": provider, "granularity": "Hourly",
        "start_time": start, "until": until});
    let (error, progress) = sync(admin, &store, &hourly, cancel);
    azsb_cancel_free(cancel);
    let error = error.expect_err("cancelled");
    contract.check("error.json", &error);
    assert_eq!(error["status"], 7018, "{error}");
    assert_eq!(error["status_name"], "AZSB_STATUS_CANCELLED");
    assert!(progress.is_empty(), "no window committed after the cancel");

    let state = call_json("sync state", |o, e| azsb_store_sync_state(store.0, o, e));
    contract.check("warehouse.json#/$defs/sync_state", &state);
    assert_eq!(
        contract.check_each("warehouse.json#/$defs/cursor_state", &state),
        2
    );
    let daily = &state[0];
    assert_eq!(
        (
            &daily["granularity"],
            &daily["rows"],
            &daily["watermark"],
            &daily["last_error"]
        ),
        (
            &json!("Daily"),
            &report["rows"],
            &report["watermark"],
            &Value::Null
        ),
        "{state}"
    );
    let cancelled = &state[1];
    assert_eq!(cancelled["rows"], 0, "{state}");
    assert_eq!(cancelled["watermark"], cancelled["start_time"], "{state}");
    assert!(
        cancelled["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{state}"
    );

    // NULL handles are named.
    let error = call(|o, e| azsb_store_sync_state(std::ptr::null(), o, e)).expect_err("NULL store");
    assert_eq!(error["status_name"], "AZSB_STATUS_NULL_POINTER");
    assert!(
        error["message"].as_str().unwrap().contains("store"),
        "{error}"
    );
}
