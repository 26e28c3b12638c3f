//! Syncs a stamp's usage into a store from the command line, the way a scheduled job would:
//!
//! `cargo run --example sync_store -- CLIENT_OPTIONS_FILE SYNC_OPTIONS_JSON STORE_URL`
//!
//! CLIENT_OPTIONS_FILE holds the client options JSON of docs/c-abi.md ("Client options"); it is a file so
//! that a secret never stands on a command line. SYNC_OPTIONS_JSON is docs/c-abi.md's "Sync options", e.g.
//! `{"api":"provider","subscription_id":"…","granularity":"Hourly","start_time":"2026-11-01T00:00:00Z"}`.
//! Prints a line per committed window, then the sync report as JSON; exits 1 with the error on stderr.
//! Stopped at any point (even `kill -9`), a run of the same command goes on from the last committed window.

use std::io::Write;
use std::sync::Arc;

use azs_billing::core::client::Client;
use azs_billing::core::options::client_options_from_json;
use azs_billing::core::warehouse::{self, Store, SyncProgress, json};

fn main() {
    if let Err(e) = run() {
        eprintln!("sync_store: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client_file, sync_json, store_url] = args.as_slice() else {
        return Err("usage: sync_store CLIENT_OPTIONS_FILE SYNC_OPTIONS_JSON STORE_URL".into());
    };
    let client_json = std::fs::read_to_string(client_file)
        .map_err(|e| format!("cannot read the client options {client_file}: {e}"))?;
    let client = Arc::new(Client::new(client_options_from_json(&client_json, None)?)?);
    let mut options = json::sync_options_from_json(sync_json)?;
    options.progress = Some(Arc::new(|p: &SyncProgress| {
        let mut out = std::io::stdout().lock();
        // Flushed at once: a supervisor (or a test) acts on each line as it comes.
        let _ = writeln!(
            out,
            "window {}/{} rows {} watermark {}",
            p.windows_done,
            p.windows_total,
            p.rows,
            p.watermark.to_rfc3339()
        );
        let _ = out.flush();
    }));
    let mut store = Store::open(store_url)?;
    let report = warehouse::sync(&client, &mut store, &options)?;
    println!("{}", json::report_json(&report)?);
    Ok(())
}
