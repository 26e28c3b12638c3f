//! The usage warehouse against the emulator: a sync stores exactly the rows the service reports (the
//! emulator's own totals), once; re-runs, split runs and runs broken by faults end in the same store; bad
//! options fail before any request; sums by day are exact in any time zone; a process killed (-9) at any
//! point and resumed, or a sync through 10% mixed faults, ends in the store of a clean sync.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use azs_billing_core::error::Error;
use azs_billing_core::usage::{Granularity, UsageApi};
use azs_billing_core::warehouse::{
    AggregateQuery, CancelToken, Period, RowFilter, RowQuery, RowReader, Store, SyncOptions,
    SyncReport, TagFilter, sync,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use support::Stamp;
use support::warehouse::*;

#[test]
fn a_provider_hourly_sync_stores_exactly_what_the_service_reports_and_a_rerun_adds_nothing() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (mut store, _) = store_at(dir.path(), "usage.db");
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    let options = provider_options(&stamp, Granularity::Hourly, to);

    let report = sync(&client, &mut store, &options).expect("sync");
    let (rows, quantity) = totals(&stamp, Granularity::Hourly, from, to, None);
    assert!(rows > 5_000, "{rows} rows: the data set pages");
    assert_eq!(report.rows, rows);
    assert_eq!(report.windows, 8, "one-day windows over eight days");
    assert_eq!(report.duplicates_skipped, 0);
    assert_eq!(report.watermark, to);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        rows
    );
    assert_eq!(total_quantity(&store, ""), quantity);

    // Per tenant subscription too, and every tenant's owner as listed at the run.
    let subscriptions: Vec<String> = store
        .sqlite()
        .expect("a SQLite store")
        .prepare("SELECT DISTINCT subscription_id FROM usage_rows ORDER BY 1")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("subscriptions");
    assert!(subscriptions.len() >= 2, "{subscriptions:?}");
    for subscription in &subscriptions {
        let (rows, quantity) = totals(&stamp, Granularity::Hourly, from, to, Some(subscription));
        let filter = format!("WHERE subscription_id = '{subscription}'");
        assert_eq!(
            count(&store, &format!("SELECT count(*) FROM usage_rows {filter}")) as u64,
            rows,
            "{subscription}"
        );
        assert_eq!(total_quantity(&store, &filter), quantity, "{subscription}");
        let listed = count(
            &store,
            &format!(
                "SELECT count(*) FROM tenant_snapshots WHERE subscription_id = '{subscription}' AND sync_run_id = {}",
                report.run_id
            ),
        );
        assert_eq!(listed, 1, "{subscription} is in the tenant snapshot");
    }
    assert!(report.tenants.is_some_and(|n| n >= subscriptions.len()));

    let state = store.sync_state().expect("state");
    assert_eq!(state.len(), 1);
    assert_eq!(state[0].watermark, to);
    assert_eq!(state[0].rows, rows);
    assert_eq!(state[0].last_error, None);
    assert!(state[0].last_run_finished.is_some());

    // Again: nothing new, no window, no request for the tenant list, no row added.
    let hash = row_set_hash(&store, true);
    let again = sync(&client, &mut store, &options).expect("again");
    assert_eq!((again.windows, again.rows, again.tenants), (0, 0, None));
    assert_eq!(row_set_hash(&store, true), hash);
    assert_eq!(store.sync_state().expect("state")[0].rows, rows);

    // The row key is the store's: inserting an existing row again is refused by the unique index.
    let duplicate = store.sqlite().expect("a SQLite store").execute(
        "INSERT INTO usage_rows (cursor_id, reported_start, reported_end, subscription_id, meter_id,
             meter_id_normalized, usage_start, usage_end, quantity, bucket)
         SELECT cursor_id, reported_start, reported_end, subscription_id, meter_id, meter_id_normalized,
             usage_start, usage_end, '1', bucket FROM usage_rows LIMIT 1",
        [],
    );
    match duplicate {
        Err(rusqlite::Error::SqliteFailure(e, message)) => {
            assert_eq!(
                e.code,
                rusqlite::ErrorCode::ConstraintViolation,
                "{message:?}"
            );
            assert!(
                message.as_deref().is_some_and(|m| m.contains("UNIQUE")),
                "{message:?}"
            );
        }
        other => panic!("a duplicate row was not refused: {other:?}"),
    }
}

/// A sync to `t1` then to the end, and one straight to the end, in two stores.
fn split_and_whole(
    stamp: &Stamp,
    granularity: Granularity,
    t1: DateTime<Utc>,
) -> (Store, Store, SyncReport) {
    let client = operator_client(stamp);
    let dir = tempfile::tempdir().expect("dir");
    let end = data_end(stamp);
    let (mut split, _) = store_at(dir.path(), "split.db");
    let first = sync(
        &client,
        &mut split,
        &provider_options(stamp, granularity, t1),
    )
    .expect("to t1");
    assert_eq!(first.watermark, t1);
    let second = sync(
        &client,
        &mut split,
        &provider_options(stamp, granularity, end),
    )
    .expect("on");
    let (mut whole, _) = store_at(dir.path(), "whole.db");
    sync(
        &client,
        &mut whole,
        &provider_options(stamp, granularity, end),
    )
    .expect("whole");
    (split, whole, second)
}

#[test]
fn syncing_in_two_runs_equals_one_run_and_picks_up_late_rows() {
    let stamp = support::start();
    // Hourly, cut off the day grid: the second run's windows differ, its rows do not.
    let t1 = data_start(&stamp) + Duration::hours(3 * 24 + 5);
    let (split, whole, second) = split_and_whole(&stamp, Granularity::Hourly, t1);
    assert_eq!(row_set_hash(&split, false), row_set_hash(&whole, false));
    let t1_text = t1.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let late = count(
        &split,
        &format!(
            "SELECT count(*) FROM usage_rows WHERE usage_start < '{t1_text}' AND reported_start >= '{t1_text}'"
        ),
    );
    assert!(late > 0, "usage before T1 reported after it is picked up");
    assert!(second.rows > 0);

    // Daily, one reported day per query: the split store is the same store, reported days included.
    let t1 = data_start(&stamp) + Duration::days(3);
    let (split, whole, _) = split_and_whole(&stamp, Granularity::Daily, t1);
    assert_eq!(row_set_hash(&split, true), row_set_hash(&whole, true));
    let (rows, quantity) = totals(
        &stamp,
        Granularity::Daily,
        data_start(&stamp),
        data_end(&stamp),
        None,
    );
    assert_eq!(
        count(&split, "SELECT count(*) FROM usage_rows") as u64,
        rows
    );
    assert_eq!(total_quantity(&split, ""), quantity);
    // Daily parts of one usage day reported on two days are two rows, not a conflict.
    let parts = count(
        &split,
        "SELECT count(*) FROM (SELECT 1 FROM usage_rows
             GROUP BY subscription_id, meter_id_normalized, bucket, usage_start, usage_end HAVING count(*) > 1)",
    );
    assert!(parts > 0, "some usage day was reported on two days");
}

/// Puts a fault plan from inside a progress callback (which must be `Send + Sync`, unlike `Stamp`).
fn fault_setter(stamp: &Stamp) -> impl Fn(&[&str]) + Send + Sync + use<> {
    let url = format!("{}_emulator/faults", stamp.s("/admin_arm"));
    let pem = std::fs::read(stamp.ca()).expect("CA file");
    move |rules: &[&str]| {
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("CA PEM")])
            .no_proxy()
            .build()
            .expect("control client");
        let response = client
            .put(&url)
            .json(&serde_json::json!({ "rules": rules }))
            .send()
            .expect("fault plan sent");
        assert!(response.status().is_success());
    }
}

#[test]
fn a_failure_mid_window_loses_that_window_only_and_a_rerun_completes_the_store() {
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let end = data_end(&stamp);
    let second_window = data_start(&stamp) + Duration::days(1);

    // One worker, one query per window: requests go strictly in order, so failing the usage request just
    // after the first window's pages plus one fails the second window's second page, and nothing retries it.
    let first = data_start(&stamp);
    let query = format!(
        "api=provider&reportedStartTime={}&reportedEndTime={}&aggregationGranularity=Hourly",
        first.format("%Y-%m-%dT%H:%M:%SZ"),
        second_window.format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let first_pages = stamp.usage_totals(&query)["pages"].as_u64().expect("pages");
    let (mut store, _) = store_at(dir.path(), "faulted.db");
    let mut options = provider_options(&stamp, Granularity::Hourly, end);
    options.concurrency = 1;
    options.slice = Some(Duration::days(1));
    fault_setter(&stamp)(&[&format!("503:every={},count=1,path=usage", first_pages + 2)]);
    let error = sync(
        &operator_client_without_retries(&stamp),
        &mut store,
        &options,
    )
    .expect_err("the sync fails");
    assert_eq!(
        error.service_error().map(|e| e.status),
        Some(503),
        "{error}"
    );
    let state = &store.sync_state().expect("state")[0];
    assert_eq!(
        state.watermark, second_window,
        "the first window only is committed"
    );
    assert!(
        state
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{:?}",
        state.last_error
    );
    let second_text = second_window.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(
        count(
            &store,
            &format!("SELECT count(*) FROM usage_rows WHERE reported_start >= '{second_text}'")
        ),
        0,
        "the failed window left no row"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        state.rows
    );
    let run_error = count(
        &store,
        "SELECT count(*) FROM sync_runs WHERE error LIKE '%503%' AND windows = 1 AND finished IS NOT NULL",
    );
    assert_eq!(
        run_error, 1,
        "the failed run is recorded with its one window"
    );

    // The re-run redoes the failed window and the rest: the store of an uninterrupted sync.
    stamp.set_faults(&[]);
    let client = operator_client(&stamp);
    // Same slices as the faulted run, so even the reported window of each row is the same.
    let clean = SyncOptions {
        slice: Some(Duration::days(1)),
        ..provider_options(&stamp, Granularity::Hourly, end)
    };
    let rerun = sync(&client, &mut store, &clean).expect("re-run");
    assert_eq!(rerun.windows, 7);
    assert_eq!(store.sync_state().expect("state")[0].last_error, None);
    let (mut uninterrupted, _) = store_at(dir.path(), "clean.db");
    sync(&client, &mut uninterrupted, &clean).expect("uninterrupted");
    assert_eq!(
        row_set_hash(&store, true),
        row_set_hash(&uninterrupted, true)
    );
    assert_eq!(
        store.sync_state().expect("state")[0].rows,
        uninterrupted.sync_state().expect("state")[0].rows
    );
}

fn invalid_argument(result: Result<impl std::fmt::Debug, Error>) -> (&'static str, String) {
    match result {
        Err(Error::InvalidArgument { what, message }) => (what, message),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn bad_options_fail_before_any_request() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (mut store, _) = store_at(dir.path(), "usage.db");
    let start = data_start(&stamp);
    // A sync with nothing to do creates the cursor without a request.
    let none = sync(
        &client,
        &mut store,
        &provider_options(&stamp, Granularity::Hourly, start),
    )
    .expect("empty sync");
    assert_eq!(none.windows, 0);
    // From here, any request would fail.
    stamp.set_faults(&["503"]);

    let base = provider_options(&stamp, Granularity::Hourly, data_end(&stamp));
    let mut refused = |options: SyncOptions| invalid_argument(sync(&client, &mut store, &options));
    let (what, message) = refused(SyncOptions {
        start: start + Duration::minutes(30),
        ..base.clone()
    });
    assert_eq!(what, "start");
    assert!(message.contains("whole UTC hour"), "{message}");
    let (what, message) = refused(SyncOptions {
        granularity: Granularity::Daily,
        start: start + Duration::hours(1),
        ..base.clone()
    });
    assert_eq!(what, "start");
    assert!(message.contains("UTC midnight"), "{message}");
    let (what, _) = refused(SyncOptions {
        until: Some(start - Duration::hours(1)),
        ..base.clone()
    });
    assert_eq!(what, "until");
    let (what, _) = refused(SyncOptions {
        until: Some(Utc::now() + Duration::days(1)),
        ..base.clone()
    });
    assert_eq!(what, "until");
    refused(SyncOptions {
        subscription: "not-a-guid".into(),
        ..base.clone()
    });
    refused(SyncOptions {
        api: UsageApi::Tenant,
        subscriber: Some(stamp.s("/dataset/first_tenant_subscription_id")),
        ..base.clone()
    });
    for concurrency in [0, 65] {
        let (what, message) = refused(SyncOptions {
            concurrency,
            ..base.clone()
        });
        assert_eq!(what, "concurrency");
        assert!(message.contains("1 to 64"), "{message}");
    }
    let (what, _) = refused(SyncOptions {
        slice: Some(Duration::minutes(90)),
        ..base.clone()
    });
    assert_eq!(what, "slice");
    // The cursor exists with another start: both are named.
    let (what, message) = refused(SyncOptions {
        start: start + Duration::days(1),
        ..base.clone()
    });
    assert_eq!(what, "start");
    assert!(message.contains("2026-01-05T00:00:00Z"), "{message}");
    assert!(message.contains("2026-01-06T00:00:00Z"), "{message}");

    for url in ["usage.db", "file:usage.db", "mysql://db/usage"] {
        let (what, message) = invalid_argument(Store::open(url));
        assert_eq!(what, "store");
        assert!(message.contains("sqlite:PATH"), "{url}: {message}");
        assert!(message.contains("postgresql://"), "{url}: {message}");
    }
    // A PostgreSQL URL no server answers: a store error naming the server (never the password) and the fix.
    let unreachable =
        Store::open("postgresql://billing:s3cret@127.0.0.1:1/usage?connect_timeout=5")
            .expect_err("nothing listens on port 1");
    let text = unreachable.to_string();
    assert!(
        matches!(unreachable, Error::Store { .. }),
        "{unreachable:?}"
    );
    assert!(
        text.contains("postgresql://billing@127.0.0.1:1/usage"),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    assert_eq!(count(&store, "SELECT count(*) FROM usage_rows"), 0);
}

/// Hourly rows of January 2026 by UTC day, for every subscription and meter.
fn january_by_day() -> AggregateQuery {
    AggregateQuery {
        from: utc("2026-01-01T00:00:00Z"),
        to: utc("2026-02-01T00:00:00Z"),
        period: Period::Day,
        time_zone: None,
        granularity: Granularity::Hourly,
        filter: RowFilter::default(),
    }
}

#[test]
fn daily_sums_are_exact_in_utc_and_in_another_zone() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (mut store, _) = store_at(dir.path(), "usage.db");
    sync(
        &client,
        &mut store,
        &provider_options(&stamp, Granularity::Hourly, data_end(&stamp)),
    )
    .expect("sync");

    // Every row, summed here by local day without SQL.
    let rows: Vec<(String, String, String, String)> = store
        .sqlite()
        .expect("a SQLite store")
        .prepare(
            "SELECT usage_start, subscription_id, meter_id_normalized, quantity FROM usage_rows",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .expect("rows");
    let expected = |zone: chrono_tz::Tz| {
        let mut sums: BTreeMap<(NaiveDate, String, String), Decimal> = BTreeMap::new();
        for (start, subscription, meter, quantity) in &rows {
            let day = utc(start).with_timezone(&zone).date_naive();
            *sums
                .entry((day, subscription.clone(), meter.clone()))
                .or_default() += Decimal::from_str(quantity).expect("decimal");
        }
        sums.into_iter()
            .map(|(k, v)| (k, v.normalize()))
            .collect::<Vec<_>>()
    };
    let aggregate = |zone: Option<&str>| {
        store
            .aggregate(&AggregateQuery {
                time_zone: zone.map(str::to_string),
                ..january_by_day()
            })
            .expect("aggregate")
    };
    let as_sums = |rows: Vec<azs_billing_core::warehouse::AggregateRow>| {
        rows.into_iter()
            .map(|r| {
                (
                    (r.period, r.subscription_id, r.meter_id_normalized),
                    r.quantity,
                )
            })
            .collect::<Vec<_>>()
    };
    let in_utc = aggregate(None);
    assert!(
        in_utc
            .iter()
            .any(|r| r.meter_name.as_deref() == Some("Base VM Size Hours"))
    );
    assert!(
        in_utc.iter().any(|r| r.meter_name.is_none()),
        "unknown meters pass through"
    );
    assert_eq!(as_sums(in_utc), expected(chrono_tz::Tz::UTC));
    let auckland = aggregate(Some("Pacific/Auckland"));
    assert!(
        auckland
            .iter()
            .all(|r| r.period_start.format("%H:%M").to_string() == "11:00"),
        "Auckland days begin at 11:00 UTC in January"
    );
    let auckland = as_sums(auckland);
    assert_eq!(auckland, expected(chrono_tz::Pacific::Auckland));
    assert_ne!(
        auckland,
        expected(chrono_tz::Tz::UTC),
        "the zone moves usage between days"
    );

    // One subscription and one meter, any spelling of its id.
    let first = stamp.s("/dataset/first_tenant_subscription_id");
    let mut one = RowFilter::default();
    one.subscription = Some(first.to_uppercase());
    one.meter_id = Some("FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5".into());
    let filtered = store
        .aggregate(&AggregateQuery {
            period: Period::Month,
            filter: one,
            ..january_by_day()
        })
        .expect("filtered");
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    let filter = format!(
        "WHERE subscription_id = '{first}' AND meter_id_normalized = 'fab6eb84500b4a09a8ca7358f8bbaea5'"
    );
    assert_eq!(filtered[0].quantity, total_quantity(&store, &filter));
    assert_eq!(filtered[0].unit.as_deref().map(str::is_empty), Some(false));
    let (what, _) = invalid_argument(store.aggregate(&AggregateQuery {
        time_zone: Some("Mars/Olympus".into()),
        ..january_by_day()
    }));
    assert_eq!(what, "time_zone");
}

#[test]
fn a_store_from_a_newer_version_is_refused_and_an_existing_one_opens() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, url) = store_at(dir.path(), "usage.db");
    assert_eq!(store.schema_version().expect("version"), 2);
    store
        .sqlite()
        .expect("a SQLite store")
        .execute(
            "INSERT INTO cursors (stamp, api, subscription, granularity, start_time, watermark)
             VALUES ('s', 'provider', 'p', 'Daily', '2026-01-05T00:00:00Z', '2026-01-07T00:00:00Z')",
            [],
        )
        .expect("cursor");
    drop(store);
    let again = Store::open(&url).expect("an existing store opens");
    assert_eq!(again.schema_version().expect("version"), 2);
    let state = again.sync_state().expect("state");
    assert_eq!(state[0].watermark, utc("2026-01-07T00:00:00Z"));
    drop(again);

    let newer = rusqlite::Connection::open(dir.path().join("usage.db")).expect("raw");
    newer
        .pragma_update(None, "user_version", 3)
        .expect("version 2");
    drop(newer);
    match Store::open(&url) {
        Err(Error::Store { message, .. }) => {
            assert!(
                message.contains("schema version 3, newer than this library's 2"),
                "{message}"
            );
        }
        other => panic!("a newer store was opened: {other:?}"),
    }
    // Refused untouched.
    let raw = rusqlite::Connection::open(dir.path().join("usage.db")).expect("raw");
    let version: i64 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 3);
}

/// A store of schema version 1 as an earlier azs-billing wrote it (tests/fixtures/warehouse/v1.db: one day
/// of daily provider rows of the standard data set, stamp "fixture.stamp") migrates on open: every row, run
/// and cursor stays, the new index is there, and the next sync goes on from the stored watermark.
#[test]
fn a_store_of_an_older_schema_migrates_and_keeps_every_row() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/warehouse/v1.db");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    std::fs::copy(&fixture, &path).expect("copy the fixture");
    let url = format!("sqlite:{}", path.display());
    {
        let raw = rusqlite::Connection::open(&path).expect("raw");
        let version: i64 = raw
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 1, "the fixture is a version 1 store");
    }
    let stamp = support::start();
    let mut store = Store::open(&url).expect("the old store opens");
    assert_eq!(store.schema_version().expect("version"), 2);
    let index: i64 = count(
        &store,
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'usage_rows_tenant'",
    );
    assert_eq!(index, 1, "the version 2 index");
    let start = data_start(&stamp);
    let before = store.sync_state().expect("state");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].watermark, start + Duration::days(1));
    let (day_one, quantity) = totals(
        &stamp,
        Granularity::Daily,
        start,
        start + Duration::days(1),
        None,
    );
    assert_eq!(before[0].rows, day_one);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        day_one
    );
    assert_eq!(total_quantity(&store, ""), quantity);

    let two_days = sync_fixture_second_day(&stamp, &mut store);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        two_days
    );
    let mut filter = RowFilter::default();
    filter.subscription = Some(some_value(
        &store,
        "SELECT upper(subscription_id) FROM usage_rows LIMIT 1",
    ));
    let sums = store
        .aggregate(&AggregateQuery {
            from: start,
            to: start + Duration::days(2),
            period: Period::Day,
            time_zone: None,
            granularity: Granularity::Daily,
            filter,
        })
        .expect("sums of one tenant");
    assert!(!sums.is_empty(), "the tenant's rows, old and new, are read");
}

#[test]
fn parallel_workers_store_exactly_what_sequential_paging_stores() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    let slices = |concurrency| SyncOptions {
        concurrency,
        slice: Some(Duration::hours(3)),
        ..provider_options(&stamp, Granularity::Hourly, to)
    };
    let (mut parallel, _) = store_at(dir.path(), "parallel.db");
    let report = sync(&client, &mut parallel, &slices(6)).expect("parallel sync");
    let (mut sequential, _) = store_at(dir.path(), "sequential.db");
    sync(&client, &mut sequential, &slices(1)).expect("sequential sync");

    let (rows, quantity) = totals(&stamp, Granularity::Hourly, from, to, None);
    assert_eq!(report.rows, rows);
    assert_eq!(report.windows, 8);
    assert_eq!(report.throttled, 0);
    assert_eq!(
        report.lowest_concurrency, 6,
        "never throttled, never lowered"
    );
    assert_eq!(total_quantity(&parallel, ""), quantity);
    assert_eq!(
        row_set_hash(&parallel, true),
        row_set_hash(&sequential, true)
    );
}

#[test]
fn throttling_is_honoured_lowers_concurrency_and_loses_nothing() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    stamp.set_faults(&["429:every=6,count=4,retry-after-ms=300,path=usage"]);
    let (mut store, _) = store_at(dir.path(), "throttled.db");
    let options = SyncOptions {
        concurrency: 4,
        ..provider_options(&stamp, Granularity::Hourly, to)
    };
    let report = sync(&client, &mut store, &options).expect("sync through throttling");
    assert_eq!(
        report.throttled, 4,
        "every 429 the emulator sent is counted"
    );
    assert!(
        report.lowest_concurrency < 4,
        "throttling lowered concurrency: {report:?}"
    );
    let (rows, quantity) = totals(&stamp, Granularity::Hourly, from, to, None);
    assert_eq!(report.rows, rows);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        rows
    );
    assert_eq!(total_quantity(&store, ""), quantity);
}

#[test]
fn a_cancelled_sync_keeps_its_committed_windows_and_a_rerun_completes_it() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let to = data_end(&stamp);
    let token = CancelToken::new();
    let (mut store, _) = store_at(dir.path(), "cancelled.db");
    let mut options = provider_options(&stamp, Granularity::Hourly, to);
    let cancel = token.clone();
    options.progress = Some(Arc::new(move |progress| {
        if progress.windows_done == 2 {
            cancel.request();
        }
    }));
    options.cancel = Some(token);
    let error = sync(&client, &mut store, &options).expect_err("cancelled");
    assert!(
        matches!(&error, Error::Cancelled { message } if message.contains("2 windows")),
        "{error:?}"
    );
    let state = &store.sync_state().expect("state")[0];
    assert_eq!(state.watermark, data_start(&stamp) + Duration::days(2));
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        state.rows
    );

    let clean = provider_options(&stamp, Granularity::Hourly, to);
    let rest = sync(&client, &mut store, &clean).expect("re-run");
    assert_eq!(rest.windows, 6);
    let (mut uninterrupted, _) = store_at(dir.path(), "clean.db");
    sync(&client, &mut uninterrupted, &clean).expect("uninterrupted");
    assert_eq!(
        row_set_hash(&store, true),
        row_set_hash(&uninterrupted, true)
    );
}

#[test]
fn two_syncs_of_one_cursor_at_once_give_no_duplicate_and_no_gap() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    let (_, url) = store_at(dir.path(), "shared.db");
    let options = provider_options(&stamp, Granularity::Hourly, to);
    let outcomes: Vec<Result<SyncReport, Error>> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut store = Store::open(&url).expect("store");
                    sync(&client, &mut store, &options)
                })
            })
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("no panic"))
            .collect()
    });
    for outcome in &outcomes {
        match outcome {
            Ok(_) | Err(Error::Store { .. }) => {}
            Err(other) => panic!("a concurrent sync failed with something else: {other:?}"),
        }
    }
    assert!(outcomes.iter().any(Result::is_ok), "{outcomes:?}");
    let mut store = Store::open(&url).expect("store");
    let rest = sync(&client, &mut store, &options).expect("completing run");
    let (rows, quantity) = totals(&stamp, Granularity::Hourly, from, to, None);
    assert_eq!(rest.watermark, to);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        rows,
        "no duplicate, no gap"
    );
    assert_eq!(total_quantity(&store, ""), quantity);
    assert_eq!(store.sync_state().expect("state")[0].rows, rows);
}

/// A store holding a whole provider sync of the standard set at `granularity`, and the row query of all
/// its rows (a usage range wider than the data).
fn synced_store(stamp: &Stamp, dir: &Path, granularity: Granularity) -> (Store, RowQuery) {
    let client = operator_client(stamp);
    let (mut store, _) = store_at(dir, "usage.db");
    sync(
        &client,
        &mut store,
        &provider_options(stamp, granularity, data_end(stamp)),
    )
    .expect("sync");
    let all = RowQuery {
        from: data_start(stamp) - Duration::days(30),
        to: data_end(stamp) + Duration::days(1),
        granularity,
        filter: RowFilter::default(),
    };
    (store, all)
}

/// One value of a column of some stored row, for a filter that must match something.
fn some_value(store: &Store, sql: &str) -> String {
    store
        .sqlite()
        .expect("a SQLite store")
        .query_row(sql, [], |r| r.get(0))
        .expect("a stored value")
}

#[test]
fn rows_read_back_in_batches_and_every_filter_matches_what_sql_counts() {
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let (store, all) = synced_store(&stamp, dir.path(), Granularity::Hourly);
    let stored = count(&store, "SELECT count(*) FROM usage_rows");
    assert!(stored > 1000, "{stored} rows");

    // Everything, in usage order, each row once, the quantities exactly as stored.
    let mut total = Decimal::ZERO;
    let mut previous = None;
    let mut with_owner = 0;
    let read = store
        .rows(&all, |row| {
            if let Some(previous) = previous {
                assert!(row.usage_start >= previous, "usage order");
            }
            previous = Some(row.usage_start);
            total += row.quantity;
            with_owner += u64::from(row.owner.is_some());
            Ok(())
        })
        .expect("rows");
    assert_eq!(read, stored as u64);
    assert_eq!(total, total_quantity(&store, ""));
    assert_eq!(
        with_owner, read,
        "the provider sync stored every tenant's owner"
    );

    // Small batches give the same rows, none twice, and end with an empty batch.
    let mut reader = RowReader::new(all.clone()).expect("reader");
    let mut keys = std::collections::BTreeSet::new();
    let mut batches = 0;
    loop {
        let batch = reader.next_batch(&store, 97).expect("batch");
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 97);
        batches += 1;
        for row in batch {
            let key = format!(
                "{:?}",
                (
                    row.cursor_id,
                    row.reported_start,
                    &row.subscription_id,
                    &row.meter_id_normalized,
                    &row.resource_uri,
                    &row.additional_info,
                    row.usage_start
                )
            );
            assert!(keys.insert(key), "a row came twice");
        }
    }
    assert_eq!(keys.len() as i64, stored);
    assert_eq!(batches, (stored as usize).div_ceil(97));
    assert!(
        reader
            .next_batch(&store, 97)
            .expect("after the end")
            .is_empty()
    );

    let matching = |filter: RowFilter| {
        store
            .rows(
                &RowQuery {
                    filter,
                    ..all.clone()
                },
                |_| Ok(()),
            )
            .expect("filtered rows") as i64
    };
    let group = some_value(
        &store,
        "SELECT resource_group FROM usage_rows WHERE resource_group IS NOT NULL LIMIT 1",
    );
    let mut f = RowFilter::default();
    f.resource_group = Some(group.to_uppercase());
    let by_group = matching(f);
    assert!(by_group > 0);
    assert_eq!(
        by_group,
        count(
            &store,
            &format!(
                "SELECT count(*) FROM usage_rows WHERE lower(resource_group) = lower('{group}')"
            )
        )
    );

    let (namespace, kind) = (
        some_value(
            &store,
            "SELECT provider FROM usage_rows WHERE resource_type = 'virtualMachines' LIMIT 1",
        ),
        "virtualMachines",
    );
    let vms = count(
        &store,
        "SELECT count(*) FROM usage_rows WHERE resource_type = 'virtualMachines'",
    );
    assert!(vms > 0);
    let mut f = RowFilter::default();
    f.resource_type = Some(format!("{}/{kind}", namespace.to_lowercase()));
    assert_eq!(matching(f), vms);
    let mut f = RowFilter::default();
    f.resource_type = Some("VIRTUALMACHINES".into());
    assert_eq!(matching(f), vms);

    let environment = some_value(
        &store,
        "SELECT json_extract(tags, '$.environment') FROM usage_rows WHERE tags IS NOT NULL LIMIT 1",
    );
    let tagged = count(
        &store,
        &format!(
            "SELECT count(*) FROM usage_rows WHERE json_extract(tags, '$.environment') = '{environment}'"
        ),
    );
    assert!(tagged > 0);
    let mut f = RowFilter::default();
    f.tag = Some(TagFilter {
        key: "Environment".into(),
        value: Some(environment.clone()),
    });
    assert_eq!(matching(f), tagged, "tag names in any case, values exactly");
    let mut f = RowFilter::default();
    f.tag = Some(TagFilter {
        key: "environment".into(),
        value: None,
    });
    assert_eq!(
        matching(f),
        count(
            &store,
            "SELECT count(*) FROM usage_rows WHERE json_extract(tags, '$.environment') IS NOT NULL"
        )
    );

    let (subscription, owner): (String, String) = store
        .sqlite()
        .expect("a SQLite store")
        .query_row(
            "SELECT subscription_id, owner FROM tenant_snapshots WHERE owner IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an owner");
    let mut f = RowFilter::default();
    f.owner = Some(owner.to_uppercase());
    assert_eq!(
        matching(f),
        count(
            &store,
            &format!("SELECT count(*) FROM usage_rows WHERE subscription_id = '{subscription}'")
        )
    );
    let mut f = RowFilter::default();
    f.owner = Some("nobody@example.com".into());
    assert_eq!(matching(f), 0);

    let mut f = RowFilter::default();
    f.category = Some("compute".into());
    let mut categories = std::collections::BTreeSet::new();
    let compute = store
        .rows(
            &RowQuery {
                filter: f.clone(),
                ..all.clone()
            },
            |row| {
                categories.insert(row.category);
                Ok(())
            },
        )
        .expect("compute rows");
    assert!(compute > 0);
    assert_eq!(
        categories.into_iter().collect::<Vec<_>>(),
        vec![Some("Compute".to_string())]
    );
    // The same filter narrows the sums alike.
    let sums = store
        .aggregate(&AggregateQuery {
            period: Period::Month,
            filter: f,
            ..january_by_day()
        })
        .expect("compute sums");
    assert!(sums.iter().all(|r| {
        azs_billing_core::meters::lookup(&r.meter_id_normalized).map(|m| m.category.as_str())
            == Some("Compute")
    }));

    let mut f = RowFilter::default();
    f.category = Some("Teleportation".into());
    let (what, message) = invalid_argument(store.rows(
        &RowQuery {
            filter: f,
            ..all.clone()
        },
        |_| Ok(()),
    ));
    assert_eq!(what, "category");
    assert!(message.contains("Compute"), "{message}");
    let mut f = RowFilter::default();
    f.tag = Some(TagFilter {
        key: " ".into(),
        value: None,
    });
    assert_eq!(
        invalid_argument(store.rows(
            &RowQuery {
                filter: f,
                ..all.clone()
            },
            |_| Ok(())
        ))
        .0,
        "tag"
    );
    let (what, _) = invalid_argument(RowReader::new(RowQuery {
        to: all.from,
        ..all.clone()
    }));
    assert_eq!(what, "from");
}

#[test]
fn exports_write_every_row_once_and_never_leave_a_short_file() {
    use azs_billing_core::warehouse::{CSV_COLUMNS, ExportFormat, USAGESUMMARY_COLUMNS};
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let (store, all) = synced_store(&stamp, dir.path(), Granularity::Daily);
    let stored = count(&store, "SELECT count(*) FROM usage_rows") as u64;
    let total = total_quantity(&store, "");

    // CSV: the documented header, a row per stored row, exact quantities, ISO 8601 UTC times.
    let path = dir.path().join("usage.csv");
    let report = store
        .export(&all, ExportFormat::Csv, &path)
        .expect("csv export");
    assert_eq!((report.rows, report.path.clone()), (stored, path.clone()));
    assert_eq!(report.bytes, std::fs::metadata(&path).expect("file").len());
    let mut csv = csv::Reader::from_path(&path).expect("csv");
    let header: Vec<String> = csv
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let quantity = CSV_COLUMNS
        .iter()
        .position(|c| *c == "quantity")
        .expect("quantity column");
    let (mut rows, mut sum) = (0, Decimal::ZERO);
    for record in csv.records() {
        let record = record.expect("record");
        assert!(
            record[0].ends_with('Z') && record[0].contains('T'),
            "{:?}",
            &record[0]
        );
        sum += Decimal::from_str(&record[quantity]).expect("decimal");
        rows += 1;
    }
    assert_eq!((rows, sum), (stored, total));

    // Usagesummary.ps1's columns, its resource fields from the URI's segments.
    let summary = dir.path().join("summary.csv");
    store
        .export(&all, ExportFormat::CsvUsagesummary, &summary)
        .expect("usagesummary export");
    let mut csv = csv::Reader::from_path(&summary).expect("csv");
    let header: Vec<String> = csv
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, USAGESUMMARY_COLUMNS);
    let mut checked = 0;
    for record in csv.records() {
        let record = record.expect("record");
        let uri = &record[13];
        if uri.is_empty() {
            continue;
        }
        let parts: Vec<&str> = uri.split('/').collect();
        assert_eq!((&record[12], &record[6]), (parts[2], parts[4]), "{uri}");
        checked += 1;
    }
    assert!(checked > 0);

    // NDJSON: one object per line, the stored row's fields.
    let lines_path = dir.path().join("usage.ndjson");
    store
        .export(&all, ExportFormat::NdJson, &lines_path)
        .expect("ndjson export");
    let text = std::fs::read_to_string(&lines_path).expect("ndjson");
    let mut sum = Decimal::ZERO;
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        sum += Decimal::from_str(row["quantity"].as_str().expect("quantity")).expect("decimal");
    }
    assert_eq!((text.lines().count() as u64, sum), (stored, total));

    // A failure after the file was begun leaves the earlier export untouched and no partial file.
    let mut bad = RowFilter::default();
    bad.category = Some("Teleportation".into());
    let before = std::fs::read(&path).expect("earlier export");
    let (what, _) = invalid_argument(store.export(
        &RowQuery {
            filter: bad,
            ..all.clone()
        },
        ExportFormat::Csv,
        &path,
    ));
    assert_eq!(what, "category");
    assert_eq!(std::fs::read(&path).expect("still there"), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let error = store
        .export(
            &all,
            ExportFormat::Csv,
            &dir.path().join("no-such-dir/usage.csv"),
        )
        .expect_err("a missing directory");
    assert!(matches!(error, Error::File { .. }), "{error:?}");
    let (what, _) = invalid_argument(store.export(&all, ExportFormat::Csv, dir.path()));
    assert_eq!(what, "path");
}

#[test]
fn ten_percent_mixed_faults_give_the_store_of_a_clean_sync() {
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let client = operator_client(&stamp);
    let options = provider_options(&stamp, Granularity::Hourly, data_end(&stamp));
    let (mut clean, _) = store_at(dir.path(), "clean.db");
    sync(&client, &mut clean, &options).expect("clean sync");

    // About one usage request in ten fails, in every way the emulator can: throttled, unavailable, timed
    // out, cut off, truncated. Runs that still fail after their retries are simply run again.
    stamp.set_faults(&[
        "429:rate=0.02,retry-after-ms=50,path=usage",
        "503:rate=0.02,path=usage",
        "504:rate=0.02,delay-ms=50,path=usage",
        "drop:rate=0.02,path=usage",
        "truncate:rate=0.02,path=usage",
    ]);
    let (mut faulted, _) = store_at(dir.path(), "faulted.db");
    let mut runs = Vec::new();
    let mut throttled = 0;
    for _ in 0..20 {
        match sync(&client, &mut faulted, &options) {
            Ok(report) => {
                throttled += report.throttled;
                runs.push(Ok(report.windows));
                break;
            }
            Err(e) => runs.push(Err(e.to_string())),
        }
    }
    stamp.set_faults(&[]);
    assert!(
        matches!(runs.last(), Some(Ok(_))),
        "no run succeeded: {runs:?}"
    );
    assert!(
        throttled > 0 || runs.len() > 1,
        "the faults fired: {runs:?}"
    );
    assert_eq!(
        row_set_hash(&faulted, true),
        row_set_hash(&clean, true),
        "{runs:?}"
    );
    assert_eq!(
        faulted.sync_state().expect("state")[0].rows,
        clean.sync_state().expect("state")[0].rows
    );
}

#[test]
fn kill_9_of_a_syncing_process_at_any_point_then_a_resume_gives_the_uninterrupted_store() {
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let (client_file, sync_options) = sync_store_arguments(&stamp, dir.path());
    let until = data_end(&stamp);

    let reference_url = format!("sqlite:{}", dir.path().join("reference.db").display());
    assert!(run_sync_store(&[&client_file, &sync_options, &reference_url], None).success());
    let reference = Store::open(&reference_url).expect("reference store");
    let expected = row_set_hash(&reference, true);

    // Slow pages, so the process is killed inside a window as well as between windows.
    stamp.set_faults(&["latency:delay-ms=80,target=admin,path=usage"]);
    let points = [
        ("before the first commit", 0, 300),
        ("just after the first commit", 1, 0),
        ("inside the third window", 2, 250),
        ("after five windows", 5, 0),
    ];
    for (name, windows, wait_ms) in points {
        let url = format!(
            "sqlite:{}",
            dir.path().join(format!("killed-{windows}.db")).display()
        );
        let status = run_sync_store(
            &[&client_file, &sync_options, &url],
            Some((windows, std::time::Duration::from_millis(wait_ms))),
        );
        assert!(
            !status.success(),
            "{name}: the process was killed, not finished"
        );
        {
            let killed = Store::open(&url).expect("the killed store opens");
            let state = killed.sync_state().expect("state");
            assert_eq!(state.len(), 1, "{name}");
            assert!(
                state[0].last_run_finished.is_none(),
                "{name}: the run died unfinished"
            );
            assert!(state[0].watermark < until, "{name}: stopped before the end");
            assert_eq!(
                count(&killed, "SELECT count(*) FROM usage_rows") as u64,
                state[0].rows,
                "{name}: the rows match the committed windows"
            );
        }
        assert!(
            run_sync_store(&[&client_file, &sync_options, &url], None).success(),
            "{name}: the resume finishes"
        );
        let resumed = Store::open(&url).expect("resumed store");
        assert_eq!(row_set_hash(&resumed, true), expected, "{name}");
        assert_eq!(
            resumed.sync_state().expect("state")[0].last_error,
            None,
            "{name}"
        );
    }
    stamp.set_faults(&[]);
}

#[test]
fn a_parquet_export_is_a_dataset_of_one_typed_file_per_usage_day() {
    use arrow_array::{Array, Decimal128Array};
    use azs_billing_core::warehouse::{ExportFormat, PARQUET_COLUMNS};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let (store, all) = synced_store(&stamp, dir.path(), Granularity::Hourly);
    let stored = count(&store, "SELECT count(*) FROM usage_rows") as u64;
    let days = count(
        &store,
        "SELECT count(DISTINCT substr(usage_start, 1, 10)) FROM usage_rows",
    ) as u64;
    let dataset = dir.path().join("dataset");
    let report = store
        .export(&all, ExportFormat::Parquet, &dataset)
        .expect("parquet export");
    assert_eq!((report.rows, report.files), (stored, days));

    let mut rows = 0;
    let mut units: i128 = 0;
    let mut dates = Vec::new();
    let partitions = dataset.join("granularity=Hourly");
    for entry in std::fs::read_dir(&partitions).expect("partitions") {
        let folder = entry.expect("entry").path();
        let name = folder
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let date = name
            .strip_prefix("usage_date=")
            .expect("usage_date=YYYY-MM-DD");
        dates.push(date.to_string());
        let file = std::fs::File::open(folder.join("part-0.parquet")).expect("part-0.parquet");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
        let names: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, PARQUET_COLUMNS);
        for batch in builder.build().expect("reader") {
            let batch = batch.expect("batch");
            let quantity = batch
                .column_by_name("quantity")
                .and_then(|c| c.as_any().downcast_ref::<Decimal128Array>())
                .expect("a DECIMAL quantity column");
            assert_eq!((quantity.precision(), quantity.scale()), (38, 18));
            units += (0..quantity.len()).map(|i| quantity.value(i)).sum::<i128>();
            rows += batch.num_rows() as u64;
        }
    }
    dates.sort();
    let expected_dates: Vec<String> = store
        .sqlite()
        .expect("a SQLite store")
        .prepare("SELECT DISTINCT substr(usage_start, 1, 10) FROM usage_rows ORDER BY 1")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("dates");
    assert_eq!(dates, expected_dates);
    assert_eq!(rows, stored);
    let total = total_quantity(&store, "");
    assert_eq!(
        Decimal::from_i128_with_scale(units, 18).normalize(),
        total.normalize()
    );

    // A second export replaces the dataset whole; a file is no dataset.
    let mut one = RowFilter::default();
    one.category = Some("Compute".into());
    let again = store
        .export(
            &RowQuery {
                filter: one,
                ..all.clone()
            },
            ExportFormat::Parquet,
            &dataset,
        )
        .expect("a second export");
    assert!(again.rows < stored);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-") || n.contains(".replaced-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (what, _) =
        invalid_argument(store.export(&all, ExportFormat::Parquet, &dir.path().join("usage.db")));
    assert_eq!(what, "path");
    // A directory holding anything but an earlier export is never replaced (it would be removed whole).
    let (what, message) = invalid_argument(store.export(&all, ExportFormat::Parquet, dir.path()));
    assert_eq!(what, "path");
    assert!(
        message.contains("more than an earlier Parquet export"),
        "{message}"
    );
    assert!(
        dir.path().join("usage.db").exists(),
        "the folder is untouched"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("an empty directory");
    assert_eq!(
        store
            .export(&all, ExportFormat::Parquet, &empty)
            .expect("into an empty directory")
            .rows,
        stored
    );
}

#[test]
fn a_full_or_read_only_store_gives_a_clear_error_and_stays_consistent() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let end = data_end(&stamp);
    let options = provider_options(&stamp, Granularity::Hourly, end);
    let (mut clean, _) = store_at(dir.path(), "clean.db");
    sync(&client, &mut clean, &options).expect("clean sync");

    let (mut store, _) = store_at(dir.path(), "usage.db");
    let two_days = data_start(&stamp) + Duration::days(2);
    sync(
        &client,
        &mut store,
        &SyncOptions {
            until: Some(two_days),
            ..options.clone()
        },
    )
    .expect("two days");
    let before = row_set_hash(&store, true);

    // Full: the store may not grow by a page more.
    let pages: i64 = store
        .sqlite()
        .expect("a SQLite store")
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page count");
    store
        .sqlite()
        .expect("a SQLite store")
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("a size limit");
    let error = sync(&client, &mut store, &options).expect_err("a full store");
    assert!(matches!(error, Error::Store { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("full") && text.contains("free space"),
        "{text}"
    );
    assert_eq!(row_set_hash(&store, true), before, "nothing half-stored");
    let state = &store.sync_state().expect("state")[0];
    assert_eq!(state.watermark, two_days);
    assert_eq!(
        count(&store, "SELECT count(*) FROM usage_rows") as u64,
        state.rows
    );

    // Read-only: refused, named, and nothing changes.
    store
        .sqlite()
        .expect("a SQLite store")
        .execute_batch(&format!(
            "PRAGMA max_page_count = {}; PRAGMA query_only = ON",
            pages * 1000
        ))
        .expect("read-only");
    let error = sync(&client, &mut store, &options).expect_err("a read-only store");
    let text = error.to_string();
    assert!(
        text.contains("cannot be written") && text.contains("may write"),
        "{text}"
    );
    assert_eq!(row_set_hash(&store, true), before);

    // Writable again, the next run completes the store as one uninterrupted sync would.
    store
        .sqlite()
        .expect("a SQLite store")
        .execute_batch("PRAGMA query_only = OFF")
        .expect("writable");
    sync(&client, &mut store, &options).expect("the resumed sync");
    assert_eq!(row_set_hash(&store, true), row_set_hash(&clean, true));
}

#[test]
fn a_live_export_writes_exactly_what_the_api_reports_with_no_store() {
    use azs_billing_core::usage::UsageQuery;
    use azs_billing_core::warehouse::{ExportFormat, export_usage};
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (start, end) = (data_start(&stamp), data_start(&stamp) + Duration::days(3));
    let query = UsageQuery {
        api: UsageApi::Provider,
        subscription_id: stamp.s("/default_provider_subscription_id"),
        reported_start: start,
        reported_end: end,
        granularity: Granularity::Hourly,
        subscriber_id: None,
        continuation_token: None,
    };
    let expected = stamp.usage_totals(&format!(
        "api=provider&reportedStartTime={}&reportedEndTime={}&aggregationGranularity=Hourly",
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        end.format("%Y-%m-%dT%H:%M:%SZ"),
    ));
    let rows = expected["rows"].as_u64().expect("rows");
    let micros = expected["quantity_micros"]
        .as_str()
        .expect("micros")
        .to_string();
    assert!(expected["pages"].as_u64().expect("pages") > 1, "{expected}");

    let path = dir.path().join("live.csv");
    let report = export_usage(&client, &query, ExportFormat::Csv, &path).expect("live csv");
    assert_eq!((report.rows, report.files), (rows, 1));
    let mut csv = csv::Reader::from_path(&path).expect("csv");
    let columns: Vec<String> = csv
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let at = |name: &str| columns.iter().position(|c| c == name).expect("column");
    let (quantity, owner, cursor) = (at("quantity"), at("owner"), at("cursor_id"));
    let mut sum = Decimal::ZERO;
    for record in csv.records() {
        let record = record.expect("record");
        sum += Decimal::from_str(&record[quantity]).expect("decimal");
        assert!(!record[owner].is_empty(), "provider rows carry their owner");
        assert_eq!(&record[cursor], "0", "no store holds a live row");
    }
    assert_eq!(
        (sum * Decimal::from(1_000_000)).normalize().to_string(),
        micros
    );

    // Parquet from the API, whose rows are not in usage order: a day that comes back gets a further part,
    // never an overwritten one.
    let dataset = dir.path().join("live-dataset");
    let report =
        export_usage(&client, &query, ExportFormat::Parquet, &dataset).expect("live parquet");
    assert_eq!(report.rows, rows);
    let mut read = 0;
    let mut files = 0;
    for day in std::fs::read_dir(dataset.join("granularity=Hourly")).expect("partitions") {
        for part in std::fs::read_dir(day.expect("day").path()).expect("parts") {
            let file = std::fs::File::open(part.expect("part").path()).expect("file");
            let reader = parquet::file::reader::SerializedFileReader::new(file).expect("parquet");
            read += parquet::file::reader::FileReader::metadata(&reader)
                .file_metadata()
                .num_rows() as u64;
            files += 1;
        }
    }
    assert_eq!((read, files), (rows, report.files));

    // Checked before anything is sent: a bad query, a directory for a file.
    let bad = UsageQuery {
        reported_end: start,
        ..query.clone()
    };
    assert!(matches!(
        export_usage(&client, &bad, ExportFormat::Csv, &path),
        Err(Error::InvalidArgument { .. })
    ));
    let (what, _) = invalid_argument(export_usage(&client, &query, ExportFormat::Csv, dir.path()));
    assert_eq!(what, "path");
}

#[test]
fn a_row_sent_twice_is_stored_once_and_a_key_with_two_quantities_fails_its_window() {
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    check_repeated_and_contradicting_rows(&stamp, |name| {
        store_at(dir.path(), &format!("{name}.db")).0
    });
}
