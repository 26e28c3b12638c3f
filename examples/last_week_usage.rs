//! The main job: start an emulated stamp, connect as the operator through the library (metadata discovery,
//! service principal sign-in, the stamp's CA), and print last week's usage per subscription and meter, with
//! meter names and units; then sync the stamp into the per-user usage store and print this month per tenant
//! from it (a second run syncs only what was reported since the first).
//!
//! `cargo run --example last_week_usage`; with the library's log on stderr (each page, each retry):
//! `RUST_LOG=azs_billing_core=debug cargo run --example last_week_usage`. `AZSB_STORE=sqlite:PATH` names
//! another store than the per-user one.

use std::collections::BTreeMap;
use std::sync::Arc;

use azs_billing::core::client::{Client, ClientOptions, EnvironmentSpec};
use azs_billing::core::credential::Credential;
use azs_billing::core::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use azs_billing::core::warehouse::{self, AggregateQuery, Period, RowFilter, Store, SyncOptions};
use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

/// The meter chargeback usually starts from, shown per tenant (reference/meters.csv).
const BASE_VM_SIZE_HOURS: &str = "fab6eb84500b4a09a8ca7358f8bbaea5";

/// Names the emulated stamp in the store's cursor, so it never continues a real stamp's cursor.
const EMULATED_STAMP: &str = "azs-emulator-seed-1";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The core logs through the `log` facade; any logger shows it, selected by RUST_LOG.
    env_logger::init();
    let state_dir =
        std::env::temp_dir().join(format!("azs-billing-example-{}", std::process::id()));
    // The emulator runs on its own thread and runtime (the library's client is blocking).
    let mut config = azs_emulator::EmulatorConfig::with_seed(1);
    config.state_dir = state_dir.clone();
    let emulator = azs_emulator::EmbeddedEmulator::start(config, 1)?;
    let ready = emulator.ready().clone();
    let text = |pointer: &str| {
        ready
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let operator = ready["service_principals"]
        .as_array()
        .and_then(|sps| sps.iter().find(|sp| sp["name"] == "operator"))
        .ok_or("the ready document has no operator service principal")?;

    let mut options = ClientOptions::new(
        EnvironmentSpec::Discover {
            arm_endpoint: text("/admin_arm").parse()?,
        },
        Credential::ClientSecret {
            tenant: text("/tenant_id"),
            client_id: operator["client_id"].as_str().unwrap_or_default().into(),
            secret: operator["client_secret"]
                .as_str()
                .unwrap_or_default()
                .into(),
        },
    );
    options.transport.ca_bundle = Some(text("/ca_pem").into());
    let client = Arc::new(Client::new(options)?);
    let sync_client = Arc::clone(&client);
    let provider = azs_billing::core::subscriptions::default_provider_subscription(&client)?;
    let owners: BTreeMap<String, String> =
        azs_billing::core::subscriptions::list(&client, &provider, None)?
            .into_iter()
            .map(|s| (s.subscription_id, s.owner.unwrap_or_default()))
            .collect();

    let today = Utc::now().date_naive();
    let start = (today - Days::new(7))
        .and_hms_opt(0, 0, 0)
        .ok_or("midnight")?
        .and_utc();
    let end = today.and_hms_opt(0, 0, 0).ok_or("midnight")?.and_utc();
    let query = UsageQuery {
        api: UsageApi::Provider,
        subscription_id: provider.clone(),
        reported_start: start,
        reported_end: end,
        granularity: Granularity::Daily,
        subscriber_id: None,
        continuation_token: None,
    };
    let mut totals: BTreeMap<(String, String), (f64, String, String)> = BTreeMap::new();
    let mut rows = 0;
    for page in UsagePager::new(client, query)? {
        for record in page?.records {
            let (name, unit) = record
                .meter
                .map_or(("(unknown meter)".into(), String::new()), |m| {
                    (m.name.clone(), m.unit.clone())
                });
            let entry = totals
                .entry((record.subscription_id, record.meter_id_normalized))
                .or_insert((0.0, name, unit));
            entry.0 += record.quantity;
            rows += 1;
        }
    }
    println!(
        "{rows} daily rows reported {} to {} (UTC, end exclusive)\n",
        start.date_naive(),
        end.date_naive()
    );
    println!(
        "{:<38} {:<34} {:<36} {:>14} unit",
        "subscription", "owner", "meter", "quantity"
    );
    for ((subscription, _), (quantity, name, unit)) in &totals {
        let owner = owners.get(subscription).map(String::as_str).unwrap_or("");
        println!("{subscription:<38} {owner:<42} {name:<36} {quantity:>14.3} {unit}");
    }
    month_per_tenant(&sync_client, &provider, &owners)?;
    drop(emulator);
    let _ = std::fs::remove_dir_all(state_dir);
    Ok(())
}

/// Syncs the stamp's daily provider usage into the store (from the cursor's start, or the first day of last
/// month on the first run) and prints the month so far per tenant, summed exactly from the store.
fn month_per_tenant(
    client: &Arc<Client>,
    provider: &str,
    owners: &BTreeMap<String, String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut store = match std::env::var("AZSB_STORE") {
        Ok(url) => Store::open(&url)?,
        Err(_) => Store::open_default()?,
    };
    let today = Utc::now().date_naive();
    let month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).ok_or("month")?;
    let midnight = |day: NaiveDate| Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN));
    // A cursor's start never changes: continue the one this job began on its first run.
    let start = store
        .sync_state()?
        .into_iter()
        .find(|c| {
            c.stamp == EMULATED_STAMP
                && c.subscription == provider
                && c.granularity == Granularity::Daily
        })
        .map_or(midnight(month - Months::new(1)), |c| c.start_time);
    let mut options = SyncOptions::new(UsageApi::Provider, provider, Granularity::Daily, start);
    options.stamp = Some(EMULATED_STAMP.into());
    let report = warehouse::sync(client, &mut store, &options)?;
    let sums = store.aggregate(&AggregateQuery {
        from: midnight(month),
        to: midnight(month + Months::new(1)),
        period: Period::Month,
        time_zone: None,
        granularity: Granularity::Daily,
        filter: RowFilter::default(),
    })?;
    let mut tenants: BTreeMap<&str, (u64, Decimal)> = BTreeMap::new();
    for row in &sums {
        let tenant = tenants.entry(&row.subscription_id).or_default();
        tenant.0 += row.rows;
        if row.meter_id_normalized == BASE_VM_SIZE_HOURS {
            tenant.1 += row.quantity;
        }
    }
    println!(
        "\nSynced {} new daily rows into {} (everything reported before {} is stored); {} so far per tenant:\n",
        report.rows,
        store.location(),
        report.watermark.format("%Y-%m-%d %H:%M UTC"),
        month.format("%B %Y")
    );
    println!(
        "{:<38} {:<42} {:>8} {:>20}",
        "subscription", "owner", "rows", "virtual core hours"
    );
    for (subscription, (rows, core_hours)) in &tenants {
        let owner = owners.get(*subscription).map(String::as_str).unwrap_or("");
        println!("{subscription:<38} {owner:<42} {rows:>8} {core_hours:>20}");
    }
    Ok(())
}
