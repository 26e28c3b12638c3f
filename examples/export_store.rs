//! Exports a store's rows from the command line:
//!
//! `cargo run --example export_store -- STORE_URL ROW_QUERY_JSON EXPORT_OPTIONS_JSON`
//!
//! ROW_QUERY_JSON is docs/c-abi.md's "Row query" (`{"from":"…","to":"…","granularity":"Hourly", …filters}`),
//! EXPORT_OPTIONS_JSON its "Export options" (`{"format":"parquet","path":"usage-dataset"}`). Prints the export
//! report as JSON; exits 1 with the error on stderr.

use azs_billing::core::warehouse::{Store, json};

fn main() {
    if let Err(e) = run() {
        eprintln!("export_store: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store_url, query_json, options_json] = args.as_slice() else {
        return Err("usage: export_store STORE_URL ROW_QUERY_JSON EXPORT_OPTIONS_JSON".into());
    };
    let store = Store::open(store_url)?;
    let query = json::row_query_from_json(query_json)?;
    let (format, path) = json::export_options_from_json(options_json)?;
    let report = store.export(&query, format, &path)?;
    println!("{}", json::export_report_json(&report)?);
    Ok(())
}
