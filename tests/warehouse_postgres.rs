//! The usage warehouse in PostgreSQL, against a private server (`support::pg_server`) and the emulator: a
//! sync stores exactly what a SQLite store holds and reads back the same sums, rows and exports; the row
//! key refuses a duplicate; collectors at once on one database give no duplicate and no gap, a cursor being
//! synced by one collector at a time; a collector killed (-9) mid-window frees its lease and a resume ends
//! in the uninterrupted store; a read-only server or a missing database gives an error that says what to do.

mod support;

use std::sync::{Barrier, Mutex};

use azs_billing_core::error::Error;
use azs_billing_core::usage::Granularity;
use azs_billing_core::warehouse::{
    AggregateQuery, ExportFormat, Period, RowFilter, RowQuery, Store, StoredRow, TagFilter, sync,
};
use chrono::Duration;
use support::pg_server::PrivatePostgres;
use support::warehouse::*;

/// sha256 over every row's key and quantity as read back through the store's own API, so both stores are
/// hashed alike.
fn read_back_hash(store: &Store, granularity: Granularity) -> String {
    let query = RowQuery {
        from: utc("2000-01-01T00:00:00Z"),
        to: utc("2100-01-01T00:00:00Z"),
        granularity,
        filter: RowFilter::default(),
    };
    let mut keys = Vec::new();
    store
        .rows(&query, |r: StoredRow| {
            keys.push(format!(
                "{}|{}|{}|{:?}|{:?}|{}|{}|{}",
                r.reported_start,
                r.subscription_id,
                r.meter_id_normalized,
                r.resource_uri,
                r.additional_info,
                r.usage_start,
                r.usage_end,
                r.quantity
            ));
            Ok(())
        })
        .expect("rows");
    hash_of_keys(keys)
}

/// The stored rows of one granularity whose key appears more than once (the index forbids any).
fn repeated_keys(server: &PrivatePostgres, database: &str) -> i64 {
    server
        .connect(database)
        .query_one(
            "SELECT count(*) FROM (SELECT 1 FROM usage_rows GROUP BY cursor_id, reported_start,
                subscription_id, meter_id_normalized, bucket, usage_start, usage_end HAVING count(*) > 1) d",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .expect("repeated keys")
}

#[test]
fn a_postgresql_store_holds_and_reads_back_exactly_what_a_sqlite_store_does() {
    let server = PrivatePostgres::start();
    let url = server.create_database("usage");
    let stamp = support::start();
    let client = operator_client(&stamp);
    let dir = tempfile::tempdir().expect("dir");
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    let (mut sqlite, _) = store_at(dir.path(), "usage.db");
    let mut pg = Store::open(&url).expect("a PostgreSQL store");
    assert_eq!(pg.schema_version().expect("version"), 2);
    assert!(pg.location().starts_with("postgresql://azsb@127.0.0.1:"));

    for granularity in [Granularity::Hourly, Granularity::Daily] {
        let options = provider_options(&stamp, granularity, to);
        let into_sqlite = sync(&client, &mut sqlite, &options).expect("sqlite sync");
        let into_pg = sync(&client, &mut pg, &options).expect("postgresql sync");
        let (rows, _) = totals(&stamp, granularity, from, to, None);
        assert_eq!(into_pg.rows, rows, "{granularity:?}: every reported row");
        assert_eq!(into_pg.rows, into_sqlite.rows);
        assert_eq!(into_pg.windows, into_sqlite.windows);
        assert_eq!(into_pg.tenants, into_sqlite.tenants);
        assert_eq!(
            read_back_hash(&pg, granularity),
            read_back_hash(&sqlite, granularity),
            "{granularity:?}: the same rows"
        );
        let again = sync(&client, &mut pg, &options).expect("re-run");
        assert_eq!((again.windows, again.rows), (0, 0), "a re-run is a no-op");
    }
    assert_eq!(repeated_keys(&server, "usage"), 0);

    // Sync state: the same cursors, rows and watermarks.
    let strip = |store: &Store| {
        store
            .sync_state()
            .expect("state")
            .into_iter()
            .map(|c| {
                (
                    c.stamp,
                    c.api,
                    c.subscription,
                    c.granularity,
                    c.start_time,
                    c.watermark,
                    c.rows,
                    c.last_error,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&pg), strip(&sqlite));

    // Sums: by day in UTC and in a far zone, by month, and through every kind of filter.
    let some_tenant = sqlite
        .sqlite()
        .expect("sqlite")
        .query_row(
            "SELECT owner, subscription_id FROM tenant_snapshots WHERE owner IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .expect("a tenant with an owner");
    let some_tag = sqlite
        .sqlite()
        .expect("sqlite")
        .query_row(
            "SELECT t.key, t.value FROM usage_rows, json_each(usage_rows.tags) t LIMIT 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .expect("a tagged row");
    let filters = [
        RowFilter::default(),
        {
            let mut f = RowFilter::default();
            f.owner = Some(some_tenant.0.to_uppercase());
            f
        },
        {
            let mut f = RowFilter::default();
            f.subscription = Some(some_tenant.1.to_uppercase());
            f.category = Some("compute".into());
            f
        },
        {
            let mut f = RowFilter::default();
            f.tag = Some(TagFilter {
                key: some_tag.0.to_uppercase(),
                value: Some(some_tag.1.clone()),
            });
            f
        },
        {
            let mut f = RowFilter::default();
            f.resource_type = Some("Microsoft.Compute/virtualMachines".into());
            f
        },
        {
            let mut f = RowFilter::default();
            f.owner = Some("nobody@nowhere.example".into());
            f
        },
    ];
    for (index, filter) in filters.into_iter().enumerate() {
        let matches_nothing = filter.owner.as_deref() == Some("nobody@nowhere.example");
        for (period, zone, granularity) in [
            (Period::Day, None, Granularity::Hourly),
            (Period::Day, Some("Pacific/Auckland"), Granularity::Hourly),
            (Period::Month, Some("America/New_York"), Granularity::Daily),
        ] {
            let query = AggregateQuery {
                from,
                to,
                period,
                time_zone: zone.map(str::to_string),
                granularity,
                filter: filter.clone(),
            };
            let in_pg = pg.aggregate(&query).expect("postgresql sums");
            assert_eq!(
                in_pg,
                sqlite.aggregate(&query).expect("sqlite sums"),
                "{query:?}"
            );
            assert_eq!(
                in_pg.is_empty(),
                matches_nothing,
                "filter {index}: {query:?}"
            );
            if filter == RowFilter::default() && zone.is_none() {
                let total = in_pg
                    .iter()
                    .fold(rust_decimal::Decimal::ZERO, |sum, r| sum + r.quantity);
                assert_eq!(total, totals(&stamp, granularity, from, to, None).1);
            }
        }
    }

    // Exports: the same CSV lines from either store.
    let csv = |store: &Store, name: &str| {
        let path = dir.path().join(name);
        let query = RowQuery {
            from,
            to,
            granularity: Granularity::Hourly,
            filter: RowFilter::default(),
        };
        store
            .export(&query, ExportFormat::Csv, &path)
            .expect("export");
        let mut lines: Vec<String> = std::fs::read_to_string(&path)
            .expect("csv")
            .lines()
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(csv(&pg, "pg.csv"), csv(&sqlite, "sqlite.csv"));

    // The row key refuses a second copy of a stored row, whatever writes it.
    let duplicate = server.connect("usage").batch_execute(
        "INSERT INTO usage_rows (cursor_id, reported_start, reported_end, subscription_id, meter_id,
            meter_id_normalized, usage_start, usage_end, quantity, bucket)
         SELECT cursor_id, reported_start, reported_end, subscription_id, meter_id, meter_id_normalized,
            usage_start, usage_end, quantity + 1, bucket FROM usage_rows LIMIT 1",
    );
    let error = duplicate.expect_err("a duplicate key is refused");
    assert_eq!(
        error.as_db_error().and_then(|e| e.constraint()),
        Some("usage_rows_key"),
        "{error:?}"
    );
}

#[test]
fn collectors_at_once_on_one_postgresql_give_no_duplicate_and_no_gap() {
    let server = PrivatePostgres::start();
    let url = server.create_database("usage");
    let stamp = support::start();
    let client = operator_client(&stamp);
    let (from, to) = (data_start(&stamp), data_end(&stamp));
    // Slow pages, so collectors overlap for whole seconds.
    stamp.set_faults(&["latency:delay-ms=30,target=admin,path=usage"]);
    let mut hourly = provider_options(&stamp, Granularity::Hourly, to);
    hourly.window = Some(Duration::hours(12));
    let daily = provider_options(&stamp, Granularity::Daily, to);
    // Three collectors: two start on the hourly cursor at the same moment, one on the daily.
    let orders = [[&hourly, &daily], [&hourly, &daily], [&daily, &hourly]];
    let barrier = Barrier::new(orders.len());
    let refusals = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for order in &orders {
            let (url, client, barrier, refusals) = (&url, &client, &barrier, &refusals);
            scope.spawn(move || {
                let mut store = Store::open(url).expect("a collector's store");
                barrier.wait();
                for options in order {
                    // A collector finding the cursor leased tries again later, as a scheduled job would.
                    let mut attempts = 0;
                    loop {
                        match sync(client, &mut store, options) {
                            Ok(_) => break,
                            Err(Error::Store { message, .. })
                                if message.contains("holds its lease") && attempts < 600 =>
                            {
                                refusals.lock().expect("lock").push(message);
                                attempts += 1;
                                std::thread::sleep(std::time::Duration::from_millis(50));
                            }
                            Err(other) => panic!("a collector failed: {other:?}"),
                        }
                    }
                }
            });
        }
    });
    stamp.set_faults(&[]);
    let refusals = refusals.into_inner().expect("refusals");
    assert!(
        !refusals.is_empty(),
        "two collectors started on one cursor together: one of them waited for the other's lease"
    );
    assert!(
        refusals[0].contains("another collector is syncing"),
        "{}",
        refusals[0]
    );

    let store = Store::open(&url).expect("store");
    let state = store.sync_state().expect("state");
    assert_eq!(state.len(), 2, "one cursor per granularity");
    let mut db = server.connect("usage");
    for cursor in &state {
        let (rows, quantity) = totals(&stamp, cursor.granularity, from, to, None);
        assert_eq!(cursor.watermark, to, "{:?}: no gap", cursor.granularity);
        assert_eq!(cursor.rows, rows, "{:?}", cursor.granularity);
        let stored = db
            .query_one(
                "SELECT count(*), sum(quantity)::text FROM usage_rows WHERE cursor_id = $1",
                &[&cursor.id],
            )
            .expect("count");
        let (count, sum): (i64, String) = (stored.get(0), stored.get(1));
        assert_eq!(
            count as u64, rows,
            "{:?}: every row once",
            cursor.granularity
        );
        assert_eq!(
            sum.parse::<rust_decimal::Decimal>()
                .expect("sum")
                .normalize(),
            quantity
        );
        // The runs' tallies add up to the rows: no window was counted by two collectors.
        let tallied: i64 = db
            .query_one(
                "SELECT sum(rows)::bigint FROM sync_runs WHERE cursor_id = $1",
                &[&cursor.id],
            )
            .and_then(|r| r.try_get(0))
            .expect("tallies");
        assert_eq!(tallied as u64, rows);
    }
    assert_eq!(repeated_keys(&server, "usage"), 0);
}

#[test]
fn a_collector_killed_mid_window_frees_its_lease_and_a_resume_gives_the_uninterrupted_store() {
    let server = PrivatePostgres::start();
    let killed_url = server.create_database("killed");
    let reference_url = server.create_database("reference");
    let stamp = support::start();
    let dir = tempfile::tempdir().expect("dir");
    let (client_file, sync_options) = sync_store_arguments(&stamp, dir.path());
    assert!(run_sync_store(&[&client_file, &sync_options, &reference_url], None).success());
    let expected = read_back_hash(
        &Store::open(&reference_url).expect("reference"),
        Granularity::Hourly,
    );

    stamp.set_faults(&["latency:delay-ms=80,target=admin,path=usage"]);
    let status = run_sync_store(
        &[&client_file, &sync_options, &killed_url],
        Some((2, std::time::Duration::from_millis(250))),
    );
    stamp.set_faults(&[]);
    assert!(!status.success(), "the collector was killed, not finished");
    let killed = Store::open(&killed_url).expect("the killed store opens");
    let state = killed.sync_state().expect("state");
    assert!(
        state[0].last_run_finished.is_none(),
        "the run died unfinished"
    );
    let stored: i64 = server
        .connect("killed")
        .query_one("SELECT count(*) FROM usage_rows", &[])
        .and_then(|r| r.try_get(0))
        .expect("count");
    assert_eq!(stored as u64, state[0].rows, "only committed windows stay");
    drop(killed);

    // The dead collector's lease went with its connection: the resume is not refused.
    assert!(
        run_sync_store(&[&client_file, &sync_options, &killed_url], None).success(),
        "the resume finishes"
    );
    let resumed = Store::open(&killed_url).expect("resumed");
    assert_eq!(read_back_hash(&resumed, Granularity::Hourly), expected);
    assert_eq!(resumed.sync_state().expect("state")[0].last_error, None);
}

#[test]
fn a_missing_database_or_a_read_only_server_gives_an_error_that_says_what_to_do() {
    let server = PrivatePostgres::start();
    let url = server.create_database("usage");

    // A database azs-billing never wrote is not a store to read.
    match Store::open_existing(&url) {
        Err(Error::NotFound { message, .. }) => {
            assert!(message.contains("no usage store"), "{message}");
            assert!(message.contains("sync into it first"), "{message}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    let missing = Store::open(&server.url("no_such_database")).expect_err("no database");
    assert!(
        missing.to_string().contains("create the database first"),
        "{missing}"
    );

    let stamp = support::start();
    let client = operator_client(&stamp);
    drop(Store::open(&url).expect("created"));
    let over_socket = Store::open_existing(&server.socket_url("usage")).expect("a Unix socket URL");
    assert!(over_socket.sync_state().expect("state").is_empty());
    let read_only = format!("{url}&options=-c%20default_transaction_read_only%3Don");
    let mut store = Store::open_existing(&read_only).expect("a read-only session opens to read");
    let options = provider_options(&stamp, Granularity::Daily, data_end(&stamp));
    let error = sync(&client, &mut store, &options).expect_err("read-only");
    assert!(matches!(error, Error::Store { .. }), "{error:?}");
    assert!(error.to_string().contains("read-only"), "{error}");
    assert!(
        store.sync_state().expect("readable").is_empty(),
        "nothing stored"
    );
}

/// A PostgreSQL store of schema version 1 as an earlier azs-billing wrote it
/// (tests/fixtures/warehouse/v1-postgresql.sql, a pg_dump of one day of daily provider rows) migrates on
/// open, keeps every row, and the next sync goes on from its watermark.
#[test]
fn a_postgresql_store_of_an_older_schema_migrates_and_keeps_every_row() {
    let server = PrivatePostgres::start();
    let url = server.create_database("old");
    let dump = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/warehouse/v1-postgresql.sql"),
    )
    .expect("the fixture");
    server
        .connect("old")
        .batch_execute(&dump)
        .expect("the version 1 store loads");
    let mut db = server.connect("old");
    let version: i64 = db
        .query_one("SELECT max(version) FROM azs_billing_schema", &[])
        .and_then(|r| r.try_get(0))
        .expect("version");
    assert_eq!(version, 1, "the fixture is a version 1 store");

    let stamp = support::start();
    let mut store = Store::open(&url).expect("the old store opens");
    assert_eq!(store.schema_version().expect("version"), 2);
    let index: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'usage_rows_tenant'",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .expect("index");
    assert_eq!(index, 1, "the version 2 index");
    let start = data_start(&stamp);
    let (day_one, _) = totals(
        &stamp,
        Granularity::Daily,
        start,
        start + Duration::days(1),
        None,
    );
    let before = store.sync_state().expect("state");
    assert_eq!(before[0].watermark, start + Duration::days(1));
    assert_eq!(before[0].rows, day_one);

    let client = operator_client(&stamp);
    let mut options = provider_options(&stamp, Granularity::Daily, start + Duration::days(2));
    options.stamp = Some("fixture.stamp".into());
    let report = sync(&client, &mut store, &options).expect("the next sync");
    assert_eq!(report.windows, 1, "only the day after the stored watermark");
    let (two_days, _) = totals(
        &stamp,
        Granularity::Daily,
        start,
        start + Duration::days(2),
        None,
    );
    let stored: i64 = db
        .query_one("SELECT count(*) FROM usage_rows", &[])
        .and_then(|r| r.try_get(0))
        .expect("count");
    assert_eq!(stored as u64, two_days);
    assert_eq!(repeated_keys(&server, "old"), 0);
}

#[test]
fn a_row_sent_twice_is_stored_once_and_a_key_with_two_quantities_fails_its_window() {
    let server = PrivatePostgres::start();
    let stamp = support::start();
    check_repeated_and_contradicting_rows(&stamp, |name| {
        Store::open(&server.create_database(name)).expect("a PostgreSQL store")
    });
}
