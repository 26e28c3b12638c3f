//! The warehouse's JSON for C and PowerShell callers (docs/c-abi.md, "Usage warehouse"): sync options and
//! aggregate queries in; progress, reports, cursor states and aggregates out. Keys are snake_case, times
//! RFC 3339 UTC with `Z`, and quantities decimal strings, because a binary float would not keep the exact
//! sums the store computes.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, quoted};
use crate::json_args;
use crate::options::{parse_api, parse_granularity, parse_time};
use crate::usage::UsageApi;
use crate::warehouse::export::{ExportFormat, ExportReport};
use crate::warehouse::filter::{RowFilter, TagFilter};
use crate::warehouse::read::{AggregateQuery, AggregateRow, CursorState, Period};
use crate::warehouse::stored_rows::{RowQuery, StoredRow};
use crate::warehouse::sync::{DEFAULT_CONCURRENCY, SyncOptions, SyncProgress, SyncReport};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncOptionsJson {
    api: String,
    subscription_id: String,
    subscriber_id: Option<String>,
    granularity: String,
    start_time: String,
    until: Option<String>,
    settle_margin_minutes: Option<u32>,
    window_hours: Option<u32>,
    slice_hours: Option<u32>,
    concurrency: Option<usize>,
    stamp: Option<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// Sync options from `{"api":"provider","subscription_id":"…","granularity":"Hourly","start_time":"…", …}`
/// (docs/c-abi.md, "Sync options"). Unknown keys are refused, so a misspelt option is an error, not a
/// default. The sync itself checks alignment, order and bounds before it sends anything.
pub fn sync_options_from_json(json: &str) -> Result<SyncOptions> {
    let parsed: SyncOptionsJson = json_args::from_json(json, "options_json")?;
    let api = parse_api("api", &parsed.api)?;
    let granularity = parse_granularity("granularity", &parsed.granularity)?;
    let start = parse_time("start_time", &parsed.start_time)?;
    let mut options = SyncOptions::new(api, parsed.subscription_id, granularity, start);
    options.subscriber = non_empty(parsed.subscriber_id);
    options.until = non_empty(parsed.until)
        .map(|t| parse_time("until", &t))
        .transpose()?;
    if let Some(minutes) = parsed.settle_margin_minutes {
        options.settle_margin = Duration::minutes(i64::from(minutes));
    }
    if let Some(hours) = parsed.window_hours {
        if hours == 0 {
            return Err(Error::invalid(
                "window_hours",
                "must be 1 or more (a multiple of 24 for a daily sync)",
            ));
        }
        options.window = Some(Duration::hours(i64::from(hours)));
    }
    if let Some(hours) = parsed.slice_hours {
        options.slice = Some(Duration::hours(i64::from(hours)));
    }
    options.concurrency = parsed.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    options.stamp = non_empty(parsed.stamp);
    Ok(options)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagJson {
    key: String,
    value: Option<String>,
}

/// A row query's JSON; an aggregate query is the same with `period` and `time_zone` beside it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowQueryJson {
    from: String,
    to: String,
    granularity: String,
    subscription_id: Option<String>,
    owner: Option<String>,
    meter_id: Option<String>,
    category: Option<String>,
    resource_group: Option<String>,
    resource_type: Option<String>,
    tag: Option<TagJson>,
}

impl RowQueryJson {
    fn into_query(self) -> Result<RowQuery> {
        Ok(RowQuery {
            from: parse_time("from", &self.from)?,
            to: parse_time("to", &self.to)?,
            granularity: parse_granularity("granularity", &self.granularity)?,
            filter: RowFilter {
                subscription: non_empty(self.subscription_id),
                owner: non_empty(self.owner),
                meter_id: non_empty(self.meter_id),
                category: non_empty(self.category),
                resource_group: non_empty(self.resource_group),
                resource_type: non_empty(self.resource_type),
                tag: self.tag.map(|t| TagFilter {
                    key: t.key,
                    value: t.value,
                }),
            },
        })
    }
}

/// A row query from `{"from":"…","to":"…","granularity":"Hourly", …filters}` (docs/c-abi.md, "Row query").
pub fn row_query_from_json(json: &str) -> Result<RowQuery> {
    json_args::from_json::<RowQueryJson>(json, "query_json")?.into_query()
}

/// An aggregate query from `{"from":"…","to":"…","granularity":"Hourly","period":"month", …}`
/// (docs/c-abi.md, "Aggregate query"): a row query with the period and time zone of the sums.
pub fn aggregate_query_from_json(json: &str) -> Result<AggregateQuery> {
    let mut value = json_args::parse(json, "query_json")?;
    let mut take = |key: &str| -> Result<Option<String>> {
        match value.as_object_mut().and_then(|o| o.remove(key)) {
            Some(v) => json_args::from_value(v, "query_json", key),
            None => Ok(None),
        }
    };
    let (period, time_zone) = (take("period")?, take("time_zone")?);
    let rows = json_args::from_value::<RowQueryJson>(value, "query_json", "")?.into_query()?;
    let period = match period.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("day") => Period::Day,
        Some("month") => Period::Month,
        Some(other) => {
            return Err(Error::invalid(
                "period",
                format!("{}: use \"day\" or \"month\"", quoted(other)),
            ));
        }
    };
    Ok(AggregateQuery {
        from: rows.from,
        to: rows.to,
        period,
        time_zone: non_empty(time_zone),
        granularity: rows.granularity,
        filter: rows.filter,
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn api_name(api: UsageApi) -> &'static str {
    match api {
        UsageApi::Provider => "provider",
        UsageApi::Tenant => "tenant",
    }
}

fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::unexpected_from(format!("cannot serialise the {what} ({e})"), e))
}

#[derive(Serialize)]
struct ProgressJson {
    windows_done: u64,
    windows_total: u64,
    rows: u64,
    duplicates_skipped: u64,
    watermark: String,
    elapsed_seconds: f64,
    rows_per_second: f64,
    eta_seconds: Option<f64>,
}

/// A progress report as JSON (docs/c-abi.md, "Sync progress").
pub fn progress_json(progress: &SyncProgress) -> Result<String> {
    to_json(
        &ProgressJson {
            windows_done: progress.windows_done,
            windows_total: progress.windows_total,
            rows: progress.rows,
            duplicates_skipped: progress.duplicates_skipped,
            watermark: time(progress.watermark),
            elapsed_seconds: progress.elapsed.as_secs_f64(),
            rows_per_second: progress.rows_per_second(),
            eta_seconds: progress.eta().map(|d| d.as_secs_f64()),
        },
        "sync progress",
    )
}

#[derive(Serialize)]
struct ReportJson {
    cursor_id: i64,
    run_id: i64,
    windows: u64,
    rows: u64,
    duplicates_skipped: u64,
    tenants: Option<usize>,
    watermark: String,
    until: String,
    throttled: u64,
    lowest_concurrency: usize,
}

/// A finished sync's report as JSON (docs/c-abi.md, "Sync report").
pub fn report_json(report: &SyncReport) -> Result<String> {
    to_json(
        &ReportJson {
            cursor_id: report.cursor_id,
            run_id: report.run_id,
            windows: report.windows,
            rows: report.rows,
            duplicates_skipped: report.duplicates_skipped,
            tenants: report.tenants,
            watermark: time(report.watermark),
            until: time(report.until),
            throttled: report.throttled,
            lowest_concurrency: report.lowest_concurrency,
        },
        "sync report",
    )
}

#[derive(Serialize)]
struct CursorStateJson<'a> {
    cursor_id: i64,
    stamp: &'a str,
    api: &'static str,
    subscription_id: &'a str,
    subscriber_id: Option<&'a str>,
    granularity: &'static str,
    start_time: String,
    watermark: String,
    rows: u64,
    last_run_started: Option<String>,
    last_run_finished: Option<String>,
    last_error: Option<&'a str>,
}

/// Every cursor's state as a JSON array (docs/c-abi.md, "Sync state").
pub fn sync_state_json(states: &[CursorState]) -> Result<String> {
    let states: Vec<CursorStateJson<'_>> = states
        .iter()
        .map(|s| CursorStateJson {
            cursor_id: s.id,
            stamp: &s.stamp,
            api: api_name(s.api),
            subscription_id: &s.subscription,
            subscriber_id: s.subscriber.as_deref(),
            granularity: s.granularity.as_str(),
            start_time: time(s.start_time),
            watermark: time(s.watermark),
            rows: s.rows,
            last_run_started: s.last_run_started.map(time),
            last_run_finished: s.last_run_finished.map(time),
            last_error: s.last_error.as_deref(),
        })
        .collect();
    to_json(&states, "sync state")
}

#[derive(Serialize)]
struct AggregateRowJson<'a> {
    period: String,
    period_start: String,
    subscription_id: &'a str,
    meter_id_normalized: &'a str,
    meter_name: Option<&'a str>,
    unit: Option<&'a str>,
    quantity: String,
    rows: u64,
}

/// Aggregate rows as a JSON array (docs/c-abi.md, "Aggregate row").
pub fn aggregate_json(rows: &[AggregateRow]) -> Result<String> {
    let rows: Vec<AggregateRowJson<'_>> = rows
        .iter()
        .map(|r| AggregateRowJson {
            period: r.period.format("%Y-%m-%d").to_string(),
            period_start: time(r.period_start),
            subscription_id: &r.subscription_id,
            meter_id_normalized: &r.meter_id_normalized,
            meter_name: r.meter_name.as_deref(),
            unit: r.unit.as_deref(),
            quantity: r.quantity.normalize().to_string(),
            rows: r.rows,
        })
        .collect();
    to_json(&rows, "aggregate")
}

#[derive(Serialize)]
struct StoredRowJson<'a> {
    cursor_id: i64,
    reported_start: String,
    reported_end: String,
    subscription_id: &'a str,
    owner: Option<&'a str>,
    meter_id: &'a str,
    meter_id_normalized: &'a str,
    meter_name: Option<&'a str>,
    unit: Option<&'a str>,
    category: Option<&'a str>,
    usage_start: String,
    usage_end: String,
    quantity: String,
    resource_uri: Option<&'a str>,
    resource_group: Option<&'a str>,
    provider: Option<&'a str>,
    resource_type: Option<&'a str>,
    resource_name: Option<&'a str>,
    location: Option<&'a str>,
    tags: Option<&'a serde_json::Map<String, serde_json::Value>>,
    additional_info: Option<&'a serde_json::Value>,
    vm_size: Option<&'a str>,
    record_id: Option<&'a str>,
}

impl<'a> From<&'a StoredRow> for StoredRowJson<'a> {
    fn from(r: &'a StoredRow) -> Self {
        StoredRowJson {
            cursor_id: r.cursor_id,
            reported_start: time(r.reported_start),
            reported_end: time(r.reported_end),
            subscription_id: &r.subscription_id,
            owner: r.owner.as_deref(),
            meter_id: &r.meter_id,
            meter_id_normalized: &r.meter_id_normalized,
            meter_name: r.meter_name.as_deref(),
            unit: r.unit.as_deref(),
            category: r.category.as_deref(),
            usage_start: time(r.usage_start),
            usage_end: time(r.usage_end),
            quantity: r.quantity.to_string(),
            resource_uri: r.resource_uri.as_deref(),
            resource_group: r.resource_group.as_deref(),
            provider: r.provider.as_deref(),
            resource_type: r.resource_type.as_deref(),
            resource_name: r.resource_name.as_deref(),
            location: r.location.as_deref(),
            tags: r.tags.as_ref(),
            additional_info: r.additional_info.as_ref(),
            vm_size: r.vm_size.as_deref(),
            record_id: r.record_id.as_deref(),
        }
    }
}

/// Stored rows as a JSON array (docs/c-abi.md, "Stored row"); quantities are decimal strings.
pub fn stored_rows_json(rows: &[StoredRow]) -> Result<String> {
    let shaped: Vec<StoredRowJson<'_>> = rows.iter().map(StoredRowJson::from).collect();
    to_json(&shaped, "stored rows")
}

/// One stored row as a line of NDJSON (the "Stored row" object, then a newline).
pub(crate) fn write_stored_row_line(
    row: &StoredRow,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &StoredRowJson::from(row)).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportOptionsJson {
    format: String,
    path: String,
}

/// Export options from `{"format":"csv"|"csv_usagesummary"|"ndjson"|"parquet","path":"…"}` (docs/c-abi.md,
/// "Export options"): the format (any case) and the file (Parquet: the directory) to write.
pub fn export_options_from_json(json: &str) -> Result<(ExportFormat, std::path::PathBuf)> {
    let parsed: ExportOptionsJson = json_args::from_json(json, "options_json")?;
    let format = match parsed.format.trim().to_ascii_lowercase().as_str() {
        "csv" => ExportFormat::Csv,
        "csv_usagesummary" => ExportFormat::CsvUsagesummary,
        "ndjson" => ExportFormat::NdJson,
        "parquet" => ExportFormat::Parquet,
        other => {
            return Err(Error::invalid(
                "format",
                format!(
                    "{} is not an export format; use \"csv\", \"csv_usagesummary\", \"ndjson\" or \"parquet\"",
                    quoted(other)
                ),
            ));
        }
    };
    Ok((format, std::path::PathBuf::from(parsed.path)))
}

#[derive(Serialize)]
struct ExportReportJson {
    path: String,
    rows: u64,
    files: u64,
    bytes: u64,
}

/// An export's report as JSON (docs/c-abi.md, "Export report").
pub fn export_report_json(report: &ExportReport) -> Result<String> {
    to_json(
        &ExportReportJson {
            path: report.path.display().to_string(),
            rows: report.rows,
            files: report.files,
            bytes: report.bytes,
        },
        "export report",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Granularity;

    #[test]
    fn sync_options_take_every_key_and_refuse_unknown_ones() {
        let options = sync_options_from_json(
            r#"{"api":"Provider","subscription_id":"s","subscriber_id":"","granularity":"hourly",
                "start_time":"2026-11-01T02:00:00+02:00","until":"2026-11-03","settle_margin_minutes":30,
                "window_hours":12,"slice_hours":3,"concurrency":2,"stamp":"east"}"#,
        )
        .expect("options");
        assert_eq!(options.api, UsageApi::Provider);
        assert_eq!(options.granularity, Granularity::Hourly);
        assert_eq!(time(options.start), "2026-11-01T00:00:00Z");
        assert_eq!(
            options.until.map(time).as_deref(),
            Some("2026-11-03T00:00:00Z")
        );
        assert_eq!(options.subscriber, None, "empty means every tenant");
        assert_eq!(options.settle_margin, Duration::minutes(30));
        assert_eq!(options.window, Some(Duration::hours(12)));
        assert_eq!(options.slice, Some(Duration::hours(3)));
        assert_eq!(options.concurrency, 2);
        assert_eq!(options.stamp.as_deref(), Some("east"));

        let defaults = sync_options_from_json(
            r#"{"api":"tenant","subscription_id":"s","granularity":"Daily","start_time":"2026-11-01"}"#,
        )
        .expect("options");
        assert_eq!(defaults.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(defaults.window, None);

        for (json, names) in [
            (
                r#"{"api":"tenant","subscription_id":"s","granularity":"Daily","start_time":"2026-11-01","windows":2}"#,
                "windows",
            ),
            (
                r#"{"api":"tenant","subscription_id":"s","start_time":"2026-11-01"}"#,
                "granularity",
            ),
            (
                r#"{"api":"tenant","subscription_id":"s","granularity":"Weekly","start_time":"2026-11-01"}"#,
                "Daily or Hourly",
            ),
            (
                r#"{"api":"tenant","subscription_id":"s","granularity":"Daily","start_time":"2026-11-01","window_hours":0}"#,
                "window_hours",
            ),
            (
                r#"{"api":"tenant","subscription_id":"s","granularity":"Daily","start_time":"2026-11-01","concurrency":-1}"#,
                "concurrency",
            ),
        ] {
            let err = sync_options_from_json(json).expect_err(json).to_string();
            assert!(err.contains(names), "{json}: {err}");
        }
    }

    #[test]
    fn aggregate_queries_default_to_days_and_quantities_stay_exact() {
        let query = aggregate_query_from_json(
            r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Hourly","time_zone":"Europe/Berlin"}"#,
        )
        .expect("query");
        assert_eq!(query.period, Period::Day);
        assert_eq!(query.time_zone.as_deref(), Some("Europe/Berlin"));
        let month = aggregate_query_from_json(
            r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Daily","period":"Month"}"#,
        )
        .expect("query");
        assert_eq!(month.period, Period::Month);
        assert!(
            aggregate_query_from_json(
                r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Daily","period":"week"}"#
            )
            .is_err()
        );
        let filtered = aggregate_query_from_json(
            r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Daily","period":"month","category":"Compute","tag":{"key":"env"}}"#,
        )
        .expect("a query with filters");
        assert_eq!(filtered.filter.category.as_deref(), Some("Compute"));
        assert_eq!(filtered.filter.tag.map(|t| t.key).as_deref(), Some("env"));
        for (json, named) in [
            (
                r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Daily","colour":"red"}"#,
                "colour",
            ),
            (
                r#"{"from":"2026-11-01","to":"2026-12-01","granularity":"Daily","period":7}"#,
                "period",
            ),
        ] {
            let message = aggregate_query_from_json(json)
                .expect_err(named)
                .to_string();
            assert!(message.contains(named), "{message}");
        }

        let row = AggregateRow {
            period: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            period_start: "2026-10-31T23:00:00Z".parse().expect("time"),
            subscription_id: "s".into(),
            meter_id_normalized: "m".into(),
            meter_name: None,
            unit: None,
            quantity: "0.30000000000000000001".parse().expect("decimal"),
            rows: 3,
        };
        let json: serde_json::Value =
            serde_json::from_str(&aggregate_json(&[row]).expect("json")).expect("JSON");
        assert_eq!(json[0]["quantity"], "0.30000000000000000001");
        assert_eq!(json[0]["period"], "2026-11-01");
        assert_eq!(json[0]["period_start"], "2026-10-31T23:00:00Z");
    }
}
