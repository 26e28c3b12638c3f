//! Usage through the C ABI: pages and records against the contract, continuation tokens, and the
//! statements of docs/c-abi.md's "What identifies a row" checked on real pages.

use std::collections::{BTreeMap, BTreeSet};

use azs_billing::ffi::*;
use serde_json::{Value, json};

use crate::contract::Contract;
use crate::support::Stamp;
use crate::support::abi::{ClientHandle, c, call, error_record};

pub struct QueryHandle(*mut AzsbUsageQuery);

impl Drop for QueryHandle {
    fn drop(&mut self) {
        azsb_usage_free(self.0);
    }
}

pub fn usage_open(client: &ClientHandle, query: &Value) -> Result<QueryHandle, Value> {
    let query = c(&query.to_string());
    let mut handle: *mut AzsbUsageQuery = std::ptr::null_mut();
    let mut error: *mut AzsbError = std::ptr::null_mut();
    let status = azsb_usage_open(client.0, query.as_ptr(), &mut handle, &mut error);
    if status != AzsbStatus::Ok {
        return Err(error_record(status, error));
    }
    Ok(QueryHandle(handle))
}

/// The next page through the contract: the page as written, or None at the end.
fn next_page(contract: &Contract, query: &QueryHandle) -> Result<Option<Vec<Value>>, Value> {
    let Some(text) = call(|out, e| azsb_usage_next_page(query.0, out, e))? else {
        return Ok(None);
    };
    let page: Value = serde_json::from_str(&text).expect("a page is JSON");
    contract.check("usage-page.json", &page);
    contract.check_each("usage-record.json", &page);
    Ok(Some(page.as_array().cloned().unwrap_or_default()))
}

fn continuation_token(query: &QueryHandle) -> Option<String> {
    call(|out, e| azsb_usage_continuation_token(query.0, out, e)).expect("token")
}

/// Every row of a query, page by page, with the token after each page.
fn all_rows(
    contract: &Contract,
    client: &ClientHandle,
    query: &Value,
) -> (Vec<Vec<Value>>, Vec<Option<String>>) {
    contract.check("usage-query.json", query);
    let handle = usage_open(client, query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut pages = Vec::new();
    let mut tokens = Vec::new();
    while let Some(page) = next_page(contract, &handle).unwrap_or_else(|e| panic!("page: {e}")) {
        pages.push(page);
        tokens.push(continuation_token(&handle));
    }
    (pages, tokens)
}

/// What identifies a row (docs/c-abi.md, "What identifies a row").
fn bucket(row: &Value) -> String {
    let instance = &row["instance"];
    let (resource, info) = if instance.is_null() {
        (row["instance_data_raw"].clone(), Value::Null)
    } else {
        (
            instance["resource_uri"].clone(),
            instance["additional_info"].clone(),
        )
    };
    json!([
        row["subscription_id"],
        row["meter_id_normalized"],
        resource,
        info,
        row["usage_start"],
        row["usage_end"]
    ])
    .to_string()
}

pub fn hourly(provider: &str, start: &str, end: &str) -> Value {
    json!({"api": "provider", "subscription_id": provider, "reported_start_time": start,
           "reported_end_time": end, "aggregation_granularity": "Hourly"})
}

pub fn usage_pages_and_row_keys(contract: &Contract, stamp: &Stamp, admin: &ClientHandle) {
    let provider = stamp.s("/default_provider_subscription_id");

    // Hourly over a day and a half: several pages; `id` repeats, the bucket does not.
    let query = hourly(&provider, "2026-01-06T00:00:00Z", "2026-01-07T12:00:00Z");
    let (pages, tokens) = all_rows(contract, admin, &query);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let rows: Vec<&Value> = pages.iter().flatten().collect();
    let ids: BTreeSet<&str> = pages[0].iter().filter_map(|r| r["id"].as_str()).collect();
    assert!(
        ids.len() < pages[0].len(),
        "`id` repeats within one page ({} ids for {} rows)",
        ids.len(),
        pages[0].len()
    );
    let buckets: BTreeSet<String> = rows.iter().map(|r| bucket(r)).collect();
    assert_eq!(buckets.len(), rows.len(), "hourly buckets are unique");
    assert_eq!(tokens.last(), Some(&None), "no token after the last page");

    // The token after page 1 resumes the same query (here in the camelCase spelling callers used
    // before): the rows of pages 2.. again, none repeated, none skipped.
    let token = tokens[0].clone().expect("a token after the first page");
    let camel = json!({"api": "provider", "subscriptionId": provider, "reportedStartTime": "2026-01-06T02:00:00+02:00",
                       "reportedEndTime": "2026-01-07T12:00:00Z", "aggregationGranularity": "hourly", "continuationToken": token});
    let (resumed, _) = all_rows(contract, admin, &camel);
    let rest: Vec<&Value> = pages[1..].iter().flatten().collect();
    let resumed: Vec<&Value> = resumed.iter().flatten().collect();
    assert_eq!(resumed, rest, "resuming gives the rest of the same rows");

    // The token with another query: opened fine, refused by the service at the first page.
    let mut other = hourly(&provider, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z");
    other["continuation_token"] = Value::String(token);
    contract.check("usage-query.json", &other);
    let handle = usage_open(admin, &other).expect("a foreign token is not known to be foreign");
    let error = next_page(contract, &handle).expect_err("a token of another query");
    contract.check("error.json", &error);
    assert_eq!(
        (&error["status_name"], &error["http_status"], &error["code"]),
        (
            &json!("AZSB_STATUS_SERVICE"),
            &json!(400),
            &json!("InvalidProperty")
        ),
        "{error}"
    );

    // Daily over three reported days: some bucket twice (its hours reported on two days), each part
    // the sum of one reported day's hours; one reported day at a time, buckets are unique.
    let daily = |start: &str, end: &str| {
        json!({"api": "provider", "subscription_id": provider, "reported_start_time": start,
               "reported_end_time": end, "aggregation_granularity": "Daily"})
    };
    let sums = |pages: &[Vec<Value>]| {
        let mut by_bucket: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for row in pages.iter().flatten() {
            let entry = by_bucket.entry(bucket(row)).or_default();
            entry.0 += 1;
            entry.1 += row["quantity"].as_f64().expect("quantity");
        }
        by_bucket
    };
    let (three, _) = all_rows(contract, admin, &daily("2026-01-06", "2026-01-09"));
    let three = sums(&three);
    assert!(
        three.values().any(|(rows, _)| *rows == 2),
        "a daily query over three reported days holds some bucket twice"
    );
    let mut by_day: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for (start, end) in [
        ("2026-01-06", "2026-01-07"),
        ("2026-01-07", "2026-01-08"),
        ("2026-01-08", "2026-01-09"),
    ] {
        let (pages, _) = all_rows(contract, admin, &daily(start, end));
        for (key, (rows, quantity)) in sums(&pages) {
            assert_eq!(rows, 1, "one reported day: bucket {key} once");
            let entry = by_day.entry(key).or_default();
            entry.0 += 1;
            entry.1 += quantity;
        }
    }
    assert_eq!(
        three.keys().collect::<Vec<_>>(),
        by_day.keys().collect::<Vec<_>>()
    );
    for (key, (rows, quantity)) in &three {
        let (days, sum) = by_day[key];
        assert_eq!(*rows, days, "{key}");
        assert!(
            (quantity - sum).abs() <= 1e-9 * sum.abs().max(1.0),
            "{key}: {quantity} != {sum}"
        );
    }
}
