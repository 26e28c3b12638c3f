//! How fast azs-emulator serves usage rows on one core, against a baseline measured in the same run: the
//! cost of merely parsing those same pages as JSON on the client's core. The emulator must never be the
//! bottleneck of a client benchmark, so the interesting figure is the ratio of the two.
//!
//! Run with bench/emulator-throughput.sh, which pins the emulator (1 worker thread) and this client to
//! different cores.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

const TARGET_ROWS: u64 = 1_000_000;

fn main() -> anyhow::Result<()> {
    let emulator_bin = std::env::var("AZS_EMULATOR_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|_| std::env::current_exe().map(|exe| exe.with_file_name("azs-emulator")))?;
    let state_dir = std::env::temp_dir().join(format!("azs-bench-{}", std::process::id()));
    let pin = std::env::var("AZS_EMULATOR_CPU").ok();
    let mut command = match &pin {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu]).arg(&emulator_bin);
            c
        }
        None => Command::new(&emulator_bin),
    };
    let mut child = command
        .args([
            "--worker-threads",
            "1",
            "--seed",
            "11",
            "--subscriptions",
            "120",
            "--resources-per-subscription",
            "30",
        ])
        .args(["--days", "14", "--start-date", "2026-01-01", "--state-dir"])
        .arg(&state_dir)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", emulator_bin.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let ready: Value = serde_json::from_str(&line).context("ready line")?;
    let result = run(&ready, child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&state_dir);
    result
}

fn text(v: &Value) -> anyhow::Result<&str> {
    v.as_str()
        .context("expected a string in the ready document")
}

fn run(ready: &Value, emulator_pid: u32) -> anyhow::Result<()> {
    let ca = std::fs::read(text(&ready["ca_pem"])?)?;
    let http = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca)?])
        .timeout(Duration::from_secs(120))
        .build()?;
    let operator = ready["service_principals"]
        .as_array()
        .and_then(|s| s.iter().find(|sp| sp["name"] == "operator"))
        .context("operator")?;
    let token: Value = http
        .post(format!(
            "{}{}/oauth2/token",
            text(&ready["login_endpoint"])?,
            text(&ready["tenant_id"])?
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", text(&operator["client_id"])?),
            ("client_secret", text(&operator["client_secret"])?),
            ("resource", text(&ready["audiences"]["admin"])?),
        ])
        .send()?
        .json()?;
    let token = text(&token["access_token"])?.to_string();

    // The smallest hourly window from the data start that holds at least a million provider rows.
    let admin = text(&ready["admin_arm"])?;
    let mut end_day = 2;
    let (query, expected_rows) = loop {
        let query = format!(
            "reportedStartTime=2026-01-01T00:00:00Z&reportedEndTime=2026-01-{end_day:02}T00:00:00Z&aggregationGranularity=Hourly"
        );
        let totals: Value = http
            .get(format!(
                "{admin}_emulator/usage/totals?api=provider&{query}"
            ))
            .send()?
            .json()?;
        let rows = totals["rows"].as_u64().context("totals")?;
        if rows >= TARGET_ROWS {
            break (query, rows);
        }
        end_day += 1;
        if end_day > 15 {
            bail!("the data set holds only {rows} rows; raise its size");
        }
    };

    let url = format!(
        "{admin}subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&{query}",
        text(&ready["default_provider_subscription_id"])?
    );
    let ca_cert = reqwest::Certificate::from_pem(&ca)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cpu_before = cpu_seconds(emulator_pid)?;
    let (rows, pages, bytes, fetching, parsing) =
        runtime.block_on(page_through(url, token, ca_cert))?;
    let emulator_cpu = cpu_seconds(emulator_pid)? - cpu_before;
    if rows != expected_rows {
        bail!("paged {rows} rows, the emulator's totals say {expected_rows}");
    }
    let served = rows as f64 / fetching.as_secs_f64();
    let per_core = rows as f64 / emulator_cpu;
    let parsed = rows as f64 / parsing.as_secs_f64();
    println!(
        "provider query: {rows} hourly rows, {pages} pages, {:.0} MB over HTTPS",
        bytes as f64 / 1e6
    );
    println!(
        "emulator (1 worker thread) served   {served:>12.0} rows/s  ({:.1} s)",
        fetching.as_secs_f64()
    );
    println!("emulator CPU: {emulator_cpu:.2} s, {per_core:.0} rows per emulator CPU-second");
    println!(
        "baseline: client JSON parse only    {parsed:>12.0} rows/s  ({:.1} s)",
        parsing.as_secs_f64()
    );
    println!(
        "ratio served / parse-only baseline  {:>12.2}",
        served / parsed
    );
    println!(
        "ratio emulator core / baseline      {:>12.2}",
        per_core / parsed
    );
    Ok(())
}

/// Follows nextLinks with an async client on this thread (one core), timing fetching and parsing apart.
async fn page_through(
    url: String,
    token: String,
    ca: reqwest::Certificate,
) -> anyhow::Result<(u64, u64, u64, Duration, Duration)> {
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut next = Some(url);
    let (mut rows, mut pages, mut bytes) = (0u64, 0u64, 0u64);
    let (mut fetching, mut parsing) = (Duration::ZERO, Duration::ZERO);
    while let Some(url) = next.take() {
        let started = Instant::now();
        let response = http.get(&url).bearer_auth(&token).send().await?;
        if !response.status().is_success() {
            bail!("{}: {}", response.status(), response.text().await?);
        }
        let body = response.bytes().await?;
        fetching += started.elapsed();
        let started = Instant::now();
        let page: Value = serde_json::from_slice(&body)?;
        parsing += started.elapsed();
        rows += page["value"].as_array().map_or(0, |v| v.len() as u64);
        bytes += body.len() as u64;
        pages += 1;
        next = page["nextLink"].as_str().map(str::to_string);
    }
    Ok((rows, pages, bytes, fetching, parsing))
}

/// User plus system CPU time of a process, from /proc (Linux).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .context("reading /proc/<pid>/stat (Linux only)")?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat format")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // USER_HZ is 100 on every Linux this runs on.
    Ok(ticks as f64 / 100.0)
}
