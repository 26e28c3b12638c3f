//! Exports of usage rows, from a store or straight from the API, streaming a batch at a time: CSV (this
//! library's columns, or those of AzureStack-Tools' Usagesummary.ps1), NDJSON and Parquet. The file is written beside its destination and renamed
//! into place when complete, so a failed or cancelled export never leaves a short file where a whole one
//! was expected (nor replaces an earlier whole one).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use crate::warehouse::json::write_stored_row_line;
use crate::warehouse::store::Store;
use crate::warehouse::stored_rows::{RowQuery, RowReader, StoredRow};

/// Rows read from the store per batch.
const BATCH: usize = 1000;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// CSV with a header of [`CSV_COLUMNS`]: every field of a stored row.
    Csv,
    /// CSV with exactly the columns of AzureStack-Tools' `Usage/Usagesummary.ps1` ([`USAGESUMMARY_COLUMNS`]),
    /// so spreadsheets built on its output keep working; the values are invariant and ISO 8601 UTC.
    CsvUsagesummary,
    /// One JSON object per line: the "Stored row" of docs/c-abi.md.
    NdJson,
    /// A Parquet dataset: a directory of `granularity=…/usage_date=…/part-0.parquet` files with typed
    /// columns ([`PARQUET_COLUMNS`](crate::warehouse::PARQUET_COLUMNS)).
    Parquet,
}

/// The columns of [`ExportFormat::Csv`], in order (docs/warehouse.md, "Export").
pub const CSV_COLUMNS: &[&str] = &[
    "usage_start",
    "usage_end",
    "subscription_id",
    "owner",
    "meter_id",
    "meter_name",
    "unit",
    "category",
    "quantity",
    "resource_uri",
    "resource_group",
    "provider",
    "resource_type",
    "resource_name",
    "location",
    "tags",
    "additional_info",
    "vm_size",
    "reported_start",
    "reported_end",
    "cursor_id",
    "record_id",
];

/// The columns Usagesummary.ps1 writes, in its order.
pub const USAGESUMMARY_COLUMNS: &[&str] = &[
    "UsageStartTime",
    "UsageEndTime",
    "MeterName",
    "Quantity",
    "resourceType",
    "location",
    "resourceGroup",
    "resourceName",
    "subowner",
    "tags",
    "MeterId",
    "additionalInfo",
    "subscription",
    "resourceUri",
];

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The file (or, for Parquet, the dataset directory) written.
    pub path: PathBuf,
    /// Rows written (a header line not counted).
    pub rows: u64,
    /// Files written: 1, or one per usage day for Parquet.
    pub files: u64,
    /// The size of what was written, every file summed.
    pub bytes: u64,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn json_text(value: Option<&serde_json::Value>) -> String {
    value.map(serde_json::Value::to_string).unwrap_or_default()
}

fn tags_text(row: &StoredRow) -> String {
    row.tags
        .as_ref()
        .map(|t| serde_json::Value::Object(t.clone()).to_string())
        .unwrap_or_default()
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// A row's fields in the order of one CSV layout's columns.
type FieldsOf = fn(&StoredRow) -> Vec<String>;

/// The fields of a row in [`CSV_COLUMNS`]' order.
fn csv_fields(row: &StoredRow) -> Vec<String> {
    vec![
        time(row.usage_start),
        time(row.usage_end),
        row.subscription_id.clone(),
        text(&row.owner).to_string(),
        row.meter_id.clone(),
        text(&row.meter_name).to_string(),
        text(&row.unit).to_string(),
        text(&row.category).to_string(),
        row.quantity.to_string(),
        text(&row.resource_uri).to_string(),
        text(&row.resource_group).to_string(),
        text(&row.provider).to_string(),
        text(&row.resource_type).to_string(),
        text(&row.resource_name).to_string(),
        text(&row.location).to_string(),
        tags_text(row),
        json_text(row.additional_info.as_ref()),
        text(&row.vm_size).to_string(),
        time(row.reported_start),
        time(row.reported_end),
        row.cursor_id.to_string(),
        text(&row.record_id).to_string(),
    ]
}

/// The fields of a row in [`USAGESUMMARY_COLUMNS`]' order. Like the script, the resource's type, group,
/// name and subscription are segments 7, 4, 8 and 2 of the resource URI split on '/'.
fn usagesummary_fields(row: &StoredRow) -> Vec<String> {
    let uri = text(&row.resource_uri);
    let segment = |i: usize| uri.split('/').nth(i).unwrap_or("").to_string();
    vec![
        time(row.usage_start),
        time(row.usage_end),
        text(&row.meter_name).to_string(),
        row.quantity.to_string(),
        segment(7),
        text(&row.location).to_string(),
        segment(4),
        segment(8),
        text(&row.owner).to_string(),
        tags_text(row),
        row.meter_id.clone(),
        json_text(row.additional_info.as_ref()),
        segment(2),
        uri.to_string(),
    ]
}

/// Where the file is written until it is complete: beside it, so the rename stays on one file system.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    path.with_file_name(name)
}

/// Where an export's rows come from: the next batch, in order; an empty batch after the last.
pub(crate) type Batches<'a> = dyn FnMut() -> Result<Vec<StoredRow>> + 'a;

impl Store {
    /// Writes the rows `query` means to `path` in `format`, a batch at a time (constant memory), in
    /// usage-time order: a file for CSV and NDJSON, a dataset directory for Parquet. What was written
    /// appears at `path` only when complete, replacing what was there; on any error it is removed and an
    /// earlier export at `path` stays as it was. A query with no rows writes a CSV header alone, an empty
    /// NDJSON file, or an empty dataset directory.
    pub fn export(
        &self,
        query: &RowQuery,
        format: ExportFormat,
        path: &Path,
    ) -> Result<ExportReport> {
        let mut reader = RowReader::new(query.clone())?;
        check_destination(path, format)?;
        export_to(path, format, query.granularity, &mut || {
            reader.next_batch(self, BATCH)
        })
    }
}

/// Writes a usage query's rows straight from the API to `path` in `format`, page by page (constant
/// memory), in the order the service sends them, with no store: what `Get-AzsSubscriberUsage | Export-Csv`
/// does, without a PowerShell object per row. The rows are those a [`crate::usage::UsagePager`] of the
/// query reads; each carries the query's reported window and `cursor_id` 0 (no store holds it), and, for
/// provider usage, its subscription's owner from the tenant list read first. The query and `path` are
/// checked before anything is sent; the file appears at `path` only when complete, as for
/// [`Store::export`], so a page that fails after its retries leaves no short file.
pub fn export_usage(
    client: &Arc<Client>,
    query: &UsageQuery,
    format: ExportFormat,
    path: &Path,
) -> Result<ExportReport> {
    let pager = UsagePager::new(Arc::clone(client), query.clone())?;
    check_destination(path, format)?;
    let owners: BTreeMap<String, String> = match query.api {
        UsageApi::Provider => crate::subscriptions::list(client, &query.subscription_id, None)?
            .into_iter()
            .filter_map(|s| Some((s.subscription_id.to_lowercase(), s.owner?)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let reported = (query.reported_start, query.reported_end);
    // Started only now: nothing is fetched before the checks above, or for a query that failed them.
    let mut pager = crate::usage::PrefetchingPager::new(pager)?;
    export_to(path, format, query.granularity, &mut || loop {
        let Some(page) = pager.next() else {
            return Ok(Vec::new());
        };
        let page = page?;
        // An empty page before the last is not the end: go on to the next.
        if page.records.is_empty() {
            continue;
        }
        return page
            .records
            .iter()
            .map(|record| {
                let owner = owners.get(&record.subscription_id.to_lowercase()).cloned();
                StoredRow::from_record(record, reported, owner)
            })
            .collect();
    })
}

/// Refuses a destination the format cannot be written to, before any work.
fn check_destination(path: &Path, format: ExportFormat) -> Result<()> {
    let shown = || crate::error::quoted(&path.display().to_string());
    if path.as_os_str().is_empty() {
        return Err(Error::invalid(
            "path",
            "the path is empty: give where to write the export",
        ));
    }
    match format {
        ExportFormat::Parquet if path.is_file() => Err(Error::invalid(
            "path",
            format!(
                "{} is a file: a Parquet export is a directory of partitions; give a directory path",
                shown()
            ),
        )),
        // An existing directory is replaced whole, so it must be an earlier export (nothing but
        // `granularity=…` partitions) or empty: never a folder that holds anything else.
        ExportFormat::Parquet if path.is_dir() && !is_dataset(path) => Err(Error::invalid(
            "path",
            format!(
                "{} is a directory that holds more than an earlier Parquet export, which this export would replace: give a new or empty directory, or an earlier export's",
                shown()
            ),
        )),
        ExportFormat::Csv | ExportFormat::CsvUsagesummary | ExportFormat::NdJson
            if path.is_dir() =>
        {
            Err(Error::invalid(
                "path",
                format!(
                    "{} is a directory: give the file to write, e.g. usage.csv",
                    shown()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// True for an empty directory, or one holding only `granularity=…` directories (an earlier export).
fn is_dataset(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).all(|e| {
            e.path().is_dir() && e.file_name().to_string_lossy().starts_with("granularity=")
        })
    })
}

/// Writes the batches beside `path` and moves the result into place when complete.
fn export_to(
    path: &Path,
    format: ExportFormat,
    granularity: Granularity,
    next: &mut Batches<'_>,
) -> Result<ExportReport> {
    let partial = partial_path(path);
    let written = (|| {
        let (rows, files) = if format == ExportFormat::Parquet {
            std::fs::create_dir(&partial).map_err(|e| {
                Error::file(
                    path,
                    format!("cannot create the export directory: {e}"),
                    Some(Box::new(e)),
                )
            })?;
            crate::warehouse::export_parquet::write_dataset(next, granularity, &partial)?
        } else {
            let file = File::create(&partial).map_err(|e| {
                Error::file(
                    path,
                    format!("cannot create the export: {e}"),
                    Some(Box::new(e)),
                )
            })?;
            (write_rows(next, format, BufWriter::new(file), path)?, 1)
        };
        let bytes = size_of(&partial);
        replace(&partial, path)?;
        Ok((rows, files, bytes))
    })();
    match written {
        Ok((rows, files, bytes)) => Ok(ExportReport {
            path: path.to_path_buf(),
            rows,
            files,
            bytes,
        }),
        Err(e) => {
            remove(&partial);
            Err(e)
        }
    }
}

/// The size of a file, or of every file under a directory.
fn size_of(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| size_of(&e.path()))
                    .sum()
            })
            .unwrap_or_default(),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

fn remove(path: &Path) {
    let _ = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// Moves the finished export into place. A file replaces a file in one rename; a directory cannot, so an
/// earlier dataset is first moved aside and removed once the new one is in place.
fn replace(partial: &Path, path: &Path) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::file(
            path,
            format!("cannot move the finished export into place: {e}"),
            Some(Box::new(e)),
        )
    };
    if partial.is_dir() && path.exists() {
        let mut aside = path.as_os_str().to_os_string();
        aside.push(format!(".replaced-{}", std::process::id()));
        let aside = PathBuf::from(aside);
        std::fs::rename(path, &aside).map_err(failed)?;
        if let Err(e) = std::fs::rename(partial, path) {
            let _ = std::fs::rename(&aside, path);
            return Err(failed(e));
        }
        remove(&aside);
        return Ok(());
    }
    std::fs::rename(partial, path).map_err(failed)
}

/// Writes a text export (CSV or NDJSON) to `out`; returns the rows written.
fn write_rows(
    next: &mut Batches<'_>,
    format: ExportFormat,
    out: BufWriter<File>,
    path: &Path,
) -> Result<u64> {
    let io = |e: std::io::Error| {
        Error::file(path, format!("writing the export: {e}"), Some(Box::new(e)))
    };
    let csv_error =
        |e: csv::Error| Error::file(path, format!("writing the export: {e}"), Some(Box::new(e)));
    let mut rows = 0;
    match format {
        ExportFormat::NdJson => {
            let mut out = out;
            loop {
                let batch = next()?;
                if batch.is_empty() {
                    break;
                }
                for row in &batch {
                    write_stored_row_line(row, &mut out).map_err(io)?;
                    rows += 1;
                }
            }
            out.into_inner()
                .map_err(|e| io(e.into_error()))?
                .sync_all()
                .map_err(io)?;
        }
        // CSV in either layout (Parquet is written by export_parquet).
        _ => {
            let (columns, fields): (&[&str], FieldsOf) = if format == ExportFormat::CsvUsagesummary
            {
                (USAGESUMMARY_COLUMNS, usagesummary_fields)
            } else {
                (CSV_COLUMNS, csv_fields)
            };
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(columns).map_err(csv_error)?;
            loop {
                let batch = next()?;
                if batch.is_empty() {
                    break;
                }
                for row in &batch {
                    writer.write_record(fields(row)).map_err(csv_error)?;
                    rows += 1;
                }
            }
            writer
                .into_inner()
                .map_err(|e| io(std::io::Error::other(e.to_string())))?
                .into_inner()
                .map_err(|e| io(e.into_error()))?
                .sync_all()
                .map_err(io)?;
        }
    }
    Ok(rows)
}
