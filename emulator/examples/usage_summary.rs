//! Starts an emulated stamp in-process, signs in as the operator's service principal, pages through last
//! week's provider usage (hourly rows, every direct tenant) and prints the total per subscription and meter.
//!
//! `cargo run -p azs-emulator --example usage_summary`

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use azs_emulator::EmulatorConfig;
use chrono::{Days, Utc};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = EmulatorConfig::with_seed(1);
    config.state_dir =
        std::env::temp_dir().join(format!("azs-emulator-example-{}", std::process::id()));
    let emulator = azs_emulator::start(config).await?;
    let ready = emulator.ready().clone();
    let text = |v: &serde_json::Value| {
        v.as_str()
            .map(str::to_string)
            .context("ready document field")
    };

    let ca = std::fs::read(text(&ready["ca_pem"])?)?;
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca)?])
        .build()?;

    let operator = ready["service_principals"]
        .as_array()
        .and_then(|sps| sps.iter().find(|sp| sp["name"] == "operator"))
        .context("the operator service principal")?;
    let token: serde_json::Value = http
        .post(format!(
            "{}{}/oauth2/token",
            text(&ready["login_endpoint"])?,
            text(&ready["tenant_id"])?
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &text(&operator["client_id"])?),
            ("client_secret", &text(&operator["client_secret"])?),
            ("resource", &text(&ready["audiences"]["admin"])?),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access_token = text(&token["access_token"])?;

    let today = Utc::now().date_naive();
    let start = today - Days::new(7);
    let mut next = Some(format!(
        "{}subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime={start}T00:00:00Z&reportedEndTime={today}T00:00:00Z&aggregationGranularity=Hourly",
        text(&ready["admin_arm"])?,
        text(&ready["default_provider_subscription_id"])?,
    ));
    let mut totals: BTreeMap<(String, String), f64> = BTreeMap::new();
    let (mut rows, mut pages) = (0u64, 0u64);
    while let Some(url) = next.take() {
        let response = http.get(&url).bearer_auth(&access_token).send().await?;
        if !response.status().is_success() {
            bail!(
                "{} from {url}: {}",
                response.status(),
                response.text().await?
            );
        }
        let page: serde_json::Value = response.json().await?;
        pages += 1;
        for row in page["value"].as_array().into_iter().flatten() {
            let p = &row["properties"];
            let key = (text(&p["subscriptionId"])?, text(&p["meterId"])?);
            *totals.entry(key).or_default() += p["quantity"].as_f64().unwrap_or(0.0);
            rows += 1;
        }
        next = page["nextLink"].as_str().map(str::to_string);
    }
    println!("{rows} hourly rows in {pages} pages, reported {start} to {today} (UTC)");
    println!("{:<38} {:<34} {:>14}", "subscription", "meter", "quantity");
    for ((subscription, meter), quantity) in &totals {
        println!("{subscription:<38} {meter:<34} {quantity:>14.3}");
    }
    emulator.shutdown().await;
    Ok(())
}
