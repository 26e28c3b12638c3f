//! Parquet exports: a dataset directory with Hive-style partitions,
//! `granularity=Hourly/usage_date=2026-11-03/part-0.parquet`, that Spark, DuckDB and pandas read as one
//! table (the partition columns come from the paths). Typed columns: UTC timestamps, the quantity as
//! DECIMAL(38, 18) (exact: a quantity that does not fit is an error, never rounded), text, and tags and
//! additionalInfo as JSON text. Snappy-compressed. Rows arrive in usage order, so each day's file is
//! written in turn and closed before the next; row groups are bounded, so memory stays flat.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    Decimal128Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::usage::Granularity;
use crate::warehouse::export::Batches;
use crate::warehouse::stored_rows::StoredRow;

/// The quantity column's scale: 18 decimal places, 20 integer digits.
const QUANTITY_SCALE: u32 = 18;

/// Rows per row group: a day of a large stamp is a few of them, so a writer never holds much.
const ROW_GROUP_ROWS: usize = 65_536;

/// The columns of a Parquet export, in order: those of a CSV export, typed (docs/warehouse.md, "Export").
pub const PARQUET_COLUMNS: &[&str] = crate::warehouse::CSV_COLUMNS;

fn schema() -> SchemaRef {
    let time = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        Field::new("usage_start", time(), false),
        Field::new("usage_end", time(), false),
        text("subscription_id", false),
        text("owner", true),
        text("meter_id", false),
        text("meter_name", true),
        text("unit", true),
        text("category", true),
        Field::new(
            "quantity",
            DataType::Decimal128(38, QUANTITY_SCALE as i8),
            false,
        ),
        text("resource_uri", true),
        text("resource_group", true),
        text("provider", true),
        text("resource_type", true),
        text("resource_name", true),
        text("location", true),
        text("tags", true),
        text("additional_info", true),
        text("vm_size", true),
        Field::new("reported_start", time(), false),
        Field::new("reported_end", time(), false),
        Field::new("cursor_id", DataType::Int64, false),
        text("record_id", true),
    ]))
}

/// A quantity as DECIMAL(38, 18)'s integer, exactly, or an error naming it.
fn quantity_units(quantity: Decimal) -> Result<i128> {
    let scale = quantity.scale();
    let mantissa = quantity.mantissa();
    let exact = if scale <= QUANTITY_SCALE {
        10i128
            .checked_pow(QUANTITY_SCALE - scale)
            .and_then(|factor| mantissa.checked_mul(factor))
    } else {
        // More than 18 places: exact only when the extra places are zeros.
        let factor = 10i128.pow(scale - QUANTITY_SCALE);
        (mantissa % factor == 0).then(|| mantissa / factor)
    };
    exact
        .filter(|units| units.unsigned_abs() < 10u128.pow(38))
        .ok_or_else(|| Error::Store {
            message: format!(
                "the quantity {quantity} does not fit DECIMAL(38, 18) exactly; export it as CSV or NDJSON, which keep every digit"
            ),
            source: None,
        })
}

/// The columns of one batch being built.
struct Columns {
    usage_start: TimestampMicrosecondBuilder,
    usage_end: TimestampMicrosecondBuilder,
    text: [StringBuilder; 16],
    quantity: Decimal128Builder,
    reported_start: TimestampMicrosecondBuilder,
    reported_end: TimestampMicrosecondBuilder,
    cursor_id: Int64Builder,
}

/// The text columns' values, in schema order (`finish` puts the other columns between them).
fn texts(row: &StoredRow) -> [Option<String>; 16] {
    [
        Some(row.subscription_id.clone()),
        row.owner.clone(),
        Some(row.meter_id.clone()),
        row.meter_name.clone(),
        row.unit.clone(),
        row.category.clone(),
        row.resource_uri.clone(),
        row.resource_group.clone(),
        row.provider.clone(),
        row.resource_type.clone(),
        row.resource_name.clone(),
        row.location.clone(),
        row.tags
            .as_ref()
            .map(|t| serde_json::Value::Object(t.clone()).to_string()),
        row.additional_info
            .as_ref()
            .map(serde_json::Value::to_string),
        row.vm_size.clone(),
        row.record_id.clone(),
    ]
}

impl Columns {
    fn new() -> Columns {
        let time = || TimestampMicrosecondBuilder::new().with_timezone("UTC");
        Columns {
            usage_start: time(),
            usage_end: time(),
            text: std::array::from_fn(|_| StringBuilder::new()),
            quantity: Decimal128Builder::new(),
            reported_start: time(),
            reported_end: time(),
            cursor_id: Int64Builder::new(),
        }
    }

    fn push(&mut self, row: &StoredRow) -> Result<()> {
        self.quantity.append_value(quantity_units(row.quantity)?);
        self.usage_start
            .append_value(row.usage_start.timestamp_micros());
        self.usage_end
            .append_value(row.usage_end.timestamp_micros());
        self.reported_start
            .append_value(row.reported_start.timestamp_micros());
        self.reported_end
            .append_value(row.reported_end.timestamp_micros());
        self.cursor_id.append_value(row.cursor_id);
        for (builder, value) in self.text.iter_mut().zip(texts(row)) {
            builder.append_option(value);
        }
        Ok(())
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        let quantity = self
            .quantity
            .finish()
            .with_precision_and_scale(38, QUANTITY_SCALE as i8)
            .map_err(|e| Error::unexpected_from(format!("building a Parquet batch: {e}"), e))?;
        let [
            subscription_id,
            owner,
            meter_id,
            meter_name,
            unit,
            category,
            resource_uri,
            resource_group,
            provider,
            resource_type,
            resource_name,
            location,
            tags,
            additional_info,
            vm_size,
            record_id,
        ] = self
            .text
            .each_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.usage_start.finish()),
            Arc::new(self.usage_end.finish()),
            subscription_id,
            owner,
            meter_id,
            meter_name,
            unit,
            category,
            Arc::new(quantity),
            resource_uri,
            resource_group,
            provider,
            resource_type,
            resource_name,
            location,
            tags,
            additional_info,
            vm_size,
            Arc::new(self.reported_start.finish()),
            Arc::new(self.reported_end.finish()),
            Arc::new(self.cursor_id.finish()),
            record_id,
        ];
        RecordBatch::try_new(Arc::clone(schema), columns)
            .map_err(|e| Error::unexpected_from(format!("building a Parquet batch: {e}"), e))
    }
}

/// The open file of the partition being written.
struct Partition {
    date: NaiveDate,
    writer: ArrowWriter<File>,
}

fn parquet_error(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::file(path, format!("writing Parquet: {e}"), Some(Box::new(e)))
}

/// Writes the batches' rows into `dir` as `granularity=…/usage_date=…/part-N.parquet` files: one file per
/// run of rows of one usage day, so rows in usage order (a store's) give one `part-0` per day, and rows in
/// any other order (the API's) a further part whenever a day comes back. Returns the rows and files written.
pub(crate) fn write_dataset(
    next: &mut Batches<'_>,
    granularity: Granularity,
    dir: &Path,
) -> Result<(u64, u64)> {
    let schema = schema();
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut open: Option<Partition> = None;
    let mut parts: std::collections::HashMap<NaiveDate, u32> = std::collections::HashMap::new();
    let (mut rows, mut files) = (0, 0);
    let close = |partition: Partition, path: &Path| -> Result<()> {
        partition
            .writer
            .close()
            .map(drop)
            .map_err(parquet_error(path))
    };
    loop {
        let rows_batch = next()?;
        if rows_batch.is_empty() {
            break;
        }
        // A batch may span days: cut it where the usage date changes.
        let mut start = 0;
        while start < rows_batch.len() {
            let date = rows_batch[start].usage_start.date_naive();
            let end = rows_batch[start..]
                .iter()
                .position(|r| r.usage_start.date_naive() != date)
                .map_or(rows_batch.len(), |offset| start + offset);
            if open.as_ref().is_some_and(|p| p.date != date) {
                if let Some(done) = open.take() {
                    close(done, dir)?;
                }
            }
            if open.is_none() {
                let folder: PathBuf = dir
                    .join(format!("granularity={}", granularity.as_str()))
                    .join(format!("usage_date={date}"));
                std::fs::create_dir_all(&folder).map_err(|e| {
                    Error::file(
                        &folder,
                        format!("cannot create the partition: {e}"),
                        Some(Box::new(e)),
                    )
                })?;
                let part = parts.entry(date).or_insert(0);
                let path = folder.join(format!("part-{part}.parquet"));
                *part += 1;
                let file = File::create(&path).map_err(|e| {
                    Error::file(
                        &path,
                        format!("cannot create the file: {e}"),
                        Some(Box::new(e)),
                    )
                })?;
                let writer =
                    ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties.clone()))
                        .map_err(parquet_error(&path))?;
                open = Some(Partition { date, writer });
                files += 1;
            }
            let mut columns = Columns::new();
            for row in &rows_batch[start..end] {
                columns.push(row)?;
            }
            let record_batch = columns.finish(&schema)?;
            if let Some(partition) = open.as_mut() {
                partition
                    .writer
                    .write(&record_batch)
                    .map_err(parquet_error(dir))?;
            }
            rows += (end - start) as u64;
            start = end;
        }
    }
    if let Some(done) = open.take() {
        close(done, dir)?;
    }
    Ok((rows, files))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn quantities_convert_exactly_or_not_at_all() {
        let units = |text: &str| quantity_units(Decimal::from_str(text).expect("decimal"));
        assert_eq!(units("1.5").expect("1.5"), 1_500_000_000_000_000_000);
        assert_eq!(units("0.000000000000000001").expect("1e-18"), 1);
        assert_eq!(units("-2").expect("-2"), -2_000_000_000_000_000_000);
        assert_eq!(
            units("1.0000000000000000000").expect("trailing zeros"),
            1_000_000_000_000_000_000
        );
        assert!(
            units("0.0000000000000000001").is_err(),
            "19 places do not fit"
        );
        assert!(
            units("123456789012345678901").is_err(),
            "21 integer digits do not fit"
        );
    }
}
