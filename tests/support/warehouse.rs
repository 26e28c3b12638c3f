//! What the warehouse tests share: the standard data set's bounds, an operator client, sync options, a
//! store in a directory, the emulator's totals, row-set hashes, and the `sync_store` example program.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use azs_billing_core::client::Client;
use azs_billing_core::usage::{Granularity, UsageApi};
use azs_billing_core::warehouse::{Store, SyncOptions};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::Stamp;

pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("a UTC time")
}

/// The standard data set's first usage day, and a time after every row it reports.
pub fn data_start(stamp: &Stamp) -> DateTime<Utc> {
    let day: NaiveDate = stamp.s("/dataset/start_date").parse().expect("start_date");
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

pub fn data_end(stamp: &Stamp) -> DateTime<Utc> {
    let days = stamp.ready["dataset"]["days"].as_i64().expect("days");
    // Rows are reported up to a few hours after their usage: a whole day more covers them all.
    data_start(stamp) + Duration::days(days + 1)
}

pub fn operator_client(stamp: &Stamp) -> Arc<Client> {
    Arc::new(
        Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
            .expect("client"),
    )
}

pub fn operator_client_without_retries(stamp: &Stamp) -> Arc<Client> {
    let mut options = stamp.options("admin_arm", stamp.secret_credential("operator"));
    options.transport.retry.max_retries = 0;
    Arc::new(Client::new(options).expect("client"))
}

pub fn provider_options(
    stamp: &Stamp,
    granularity: Granularity,
    until: DateTime<Utc>,
) -> SyncOptions {
    let mut options = SyncOptions::new(
        UsageApi::Provider,
        stamp.s("/default_provider_subscription_id"),
        granularity,
        data_start(stamp),
    );
    options.until = Some(until);
    options
}

pub fn store_at(dir: &Path, name: &str) -> (Store, String) {
    let url = format!("sqlite:{}", dir.join(name).display());
    (Store::open(&url).expect("store"), url)
}

/// The emulator's totals for a provider query: rows and quantity.
pub fn totals(
    stamp: &Stamp,
    granularity: Granularity,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    subscriber: Option<&str>,
) -> (u64, Decimal) {
    let mut query = format!(
        "api=provider&reportedStartTime={}&reportedEndTime={}&aggregationGranularity={}",
        from.format("%Y-%m-%dT%H:%M:%SZ"),
        to.format("%Y-%m-%dT%H:%M:%SZ"),
        granularity.as_str()
    );
    if let Some(subscriber) = subscriber {
        query.push_str(&format!("&subscriberId={subscriber}"));
    }
    let body = stamp.usage_totals(&query);
    let micros: i128 = body["quantity_micros"]
        .as_str()
        .expect("quantity_micros")
        .parse()
        .expect("a number");
    let quantity = Decimal::from_i128_with_scale(micros, 6).normalize();
    (body["rows"].as_u64().expect("rows"), quantity)
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store
        .sqlite()
        .expect("a SQLite store")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

pub fn total_quantity(store: &Store, filter: &str) -> Decimal {
    let text: Option<String> = store
        .sqlite()
        .expect("a SQLite store")
        .query_row(
            &format!("SELECT decimal_sum(quantity) FROM usage_rows {filter}"),
            [],
            |r| r.get(0),
        )
        .expect("sum");
    Decimal::from_str(&text.unwrap_or_else(|| "0".into())).expect("decimal")
}

/// sha256 over every row's key and quantity, in key order; `with_reported` includes the reported window
/// start (hourly rows' depends on how the sync was cut into windows; daily rows' is their reported day).
pub fn row_set_hash(store: &Store, with_reported: bool) -> String {
    let mut statement = store
        .sqlite()
        .expect("a SQLite store")
        .prepare(
            "SELECT reported_start, subscription_id, meter_id_normalized, bucket, usage_start, usage_end, quantity
             FROM usage_rows",
        )
        .expect("select");
    let keys: Vec<String> = statement
        .query_map([], |r| {
            let reported: String = r.get(0)?;
            let rest: Vec<String> = (1..7).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            Ok(if with_reported {
                format!("{reported}\u{1f}{}", rest.join("\u{1f}"))
            } else {
                rest.join("\u{1f}")
            })
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    hash_of_keys(keys)
}

/// sha256 over `keys` in sorted order, with their count: a row set's identity, whatever order it came in.
pub fn hash_of_keys(mut keys: Vec<String>) -> String {
    keys.sort();
    let mut hasher = Sha256::new();
    for key in &keys {
        hasher.update(key.as_bytes());
        hasher.update(b"\n");
    }
    format!("{:x} ({} rows)", hasher.finalize(), keys.len())
}

/// Syncs the daily provider rows of the standard set's second day into a store holding its first (the
/// version 1 fixtures, stamp "fixture.stamp"): one window, and then the store holds both days' rows,
/// whose count is returned.
pub fn sync_fixture_second_day(stamp: &Stamp, store: &mut Store) -> u64 {
    let client = operator_client(stamp);
    let start = data_start(stamp);
    let mut options = provider_options(stamp, Granularity::Daily, start + Duration::days(2));
    options.stamp = Some("fixture.stamp".into());
    let report =
        azs_billing_core::warehouse::sync(&client, store, &options).expect("the next sync");
    assert_eq!(report.windows, 1, "only the day after the stored watermark");
    totals(
        stamp,
        Granularity::Daily,
        start,
        start + Duration::days(2),
        None,
    )
    .0
}

/// The example program `sync_store`, which cargo builds beside this test.
pub fn sync_store_program() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("the target directory");
    let program = debug
        .join("examples")
        .join(format!("sync_store{}", std::env::consts::EXE_SUFFIX));
    assert!(
        program.exists(),
        "{} is missing: cargo test builds it with the examples",
        program.display()
    );
    program
}

/// Runs `sync_store`, and kills it (SIGKILL: no destructor, no rollback of its own) once it printed
/// `kill_after` committed windows and `then_wait` passed; None runs it to the end. Returns its exit status.
pub fn run_sync_store(
    args: &[&str],
    kill_after: Option<(usize, std::time::Duration)>,
) -> std::process::ExitStatus {
    use std::io::BufRead;
    let mut child = std::process::Command::new(sync_store_program())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("sync_store starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    if let Some((windows, then_wait)) = kill_after {
        let mut seen = 0;
        while seen < windows {
            let line = received
                .recv_timeout(std::time::Duration::from_secs(120))
                .expect("a committed window before the kill");
            seen += usize::from(line.starts_with("window "));
        }
        std::thread::sleep(then_wait);
        child.kill().expect("kill -9");
    }
    child.wait().expect("exit status")
}

/// `sync_store`'s first two arguments for an hourly provider sync of the whole data set, two requests at
/// once, three-hour slices: the client options file (written into `dir`) and the sync options JSON.
pub fn sync_store_arguments(stamp: &Stamp, dir: &Path) -> (String, String) {
    let operator = stamp.principal("operator");
    let client_options = serde_json::json!({
        "arm_endpoint": stamp.s("/admin_arm"),
        "tenant": stamp.s("/tenant_id"),
        "credential": {"type": "client_secret", "client_id": operator["client_id"],
                       "client_secret": operator["client_secret"]},
        "ca_bundle": stamp.ca(),
        "retry": {"max_retries": 4, "initial_delay": 10, "max_delay": 200, "max_total": 10000},
    });
    let client_file = dir.join("client.json");
    std::fs::write(&client_file, client_options.to_string()).expect("client options file");
    let sync_options = serde_json::json!({
        "api": "provider", "subscription_id": stamp.s("/default_provider_subscription_id"),
        "granularity": "Hourly", "start_time": data_start(stamp).to_rfc3339(),
        "until": data_end(stamp).to_rfc3339(), "concurrency": 2, "slice_hours": 3,
    })
    .to_string();
    (client_file.display().to_string(), sync_options)
}

/// A row the service sends twice in a page is stored once and counted in `duplicates_skipped`; a row key
/// sent with two quantities fails its window (nothing of it stored, the error on the cursor) and a run
/// without the fault completes the store. `store` opens a new, empty store under a name.
pub fn check_repeated_and_contradicting_rows(stamp: &Stamp, store: impl Fn(&str) -> Store) {
    let client = operator_client(stamp);
    let (from, to) = (data_start(stamp), data_end(stamp));

    stamp.set_faults(&["repeat:every=2,target=admin,path=usage"]);
    let mut repeated = store("repeated");
    let report = azs_billing_core::warehouse::sync(
        &client,
        &mut repeated,
        &provider_options(stamp, Granularity::Daily, to),
    )
    .expect("a sync through repeated rows");
    let (rows, _) = totals(stamp, Granularity::Daily, from, to, None);
    assert!(report.duplicates_skipped > 0, "{report:?}");
    assert_eq!(report.rows, rows, "every row once");
    assert_eq!(repeated.sync_state().expect("state")[0].rows, rows);

    stamp.set_faults(&["contradict:count=1,target=admin,path=usage"]);
    let mut contradicted = store("contradicted");
    let options = provider_options(stamp, Granularity::Hourly, to);
    let error = azs_billing_core::warehouse::sync(&client, &mut contradicted, &options)
        .expect_err("one key with two quantities");
    stamp.set_faults(&[]);
    let text = error.to_string();
    assert!(
        matches!(error, azs_billing_core::error::Error::Store { .. }),
        "{error:?}"
    );
    assert!(text.contains("but is stored with"), "{text}");
    // Workers fetch several windows at once, so the contradicted page may be any window's: the windows
    // before it stay committed, it and the ones after it do not.
    let state = contradicted.sync_state().expect("state");
    assert!(
        state[0].watermark < to,
        "the failed window was not committed"
    );
    let query = azs_billing_core::warehouse::RowQuery {
        from: from - Duration::days(30),
        to: to + Duration::days(30),
        granularity: Granularity::Hourly,
        filter: Default::default(),
    };
    let stored = contradicted.rows(&query, |_| Ok(())).expect("rows");
    assert_eq!(
        stored, state[0].rows,
        "only the committed windows' rows are stored"
    );
    assert!(
        state[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("different quantities")),
        "{state:?}"
    );
    let resumed =
        azs_billing_core::warehouse::sync(&client, &mut contradicted, &options).expect("resume");
    let (rows, _) = totals(stamp, Granularity::Hourly, from, to, None);
    assert_eq!(
        resumed.rows + stored,
        rows,
        "the resume adds what was not committed"
    );
    assert_eq!(contradicted.sync_state().expect("state")[0].rows, rows);
    assert_eq!(contradicted.rows(&query, |_| Ok(())).expect("rows"), rows);
}
