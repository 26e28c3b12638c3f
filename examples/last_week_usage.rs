//! The main job: start an emulated stamp, connect as the operator through the library (metadata discovery,
//! service principal sign-in, the stamp's CA), and print last week's usage per subscription and meter, with
//! meter names and units.
//!
//! `cargo run --example last_week_usage`; with the library's log on stderr (each page, each retry):
//! `RUST_LOG=azs_billing_core=debug cargo run --example last_week_usage`

use std::collections::BTreeMap;
use std::sync::Arc;

use azs_billing::core::client::{Client, ClientOptions, EnvironmentSpec};
use azs_billing::core::credential::Credential;
use azs_billing::core::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use chrono::{Days, Utc};

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
        subscription_id: provider,
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
    drop(emulator);
    let _ = std::fs::remove_dir_all(state_dir);
    Ok(())
}
