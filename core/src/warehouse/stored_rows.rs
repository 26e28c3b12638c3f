//! Reading stored rows back, by usage time and the filters of `filter.rs`, a batch at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::usage::Granularity;
use crate::warehouse::cursor::parse_time;
use crate::warehouse::filter::{RowFilter, newest_owners};
use crate::warehouse::quantity::parse_stored;
use crate::warehouse::rows::time_text;
use crate::warehouse::sql::{Param, Sql};
use crate::warehouse::store::{Store, store_error};

/// Which stored rows to read: usage starts in `[from, to)`, of the cursors of one granularity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowQuery {
    /// Usage time, inclusive.
    pub from: DateTime<Utc>,
    /// Usage time, exclusive.
    pub to: DateTime<Utc>,
    /// Which cursors' rows: hourly and daily rows of the same usage are the same usage twice.
    pub granularity: Granularity,
    /// Which rows of those.
    pub filter: RowFilter,
}

/// A usage row as the store keeps it, with its meter's catalogue entry and its subscription's owner.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRow {
    /// The cursor that stored it.
    pub cursor_id: i64,
    /// The reported window of the query it came from.
    pub reported_start: DateTime<Utc>,
    /// End of that window (exclusive).
    pub reported_end: DateTime<Utc>,
    /// The tenant subscription the usage is of.
    pub subscription_id: String,
    /// Its owner in the newest tenant list a sync stored; None when no list names it.
    pub owner: Option<String>,
    /// As the service sent it.
    pub meter_id: String,
    /// Lower case without hyphens.
    pub meter_id_normalized: String,
    /// From the meter catalogue; None for a meter it does not know.
    pub meter_name: Option<String>,
    /// The catalogue's unit.
    pub unit: Option<String>,
    /// The catalogue's category.
    pub category: Option<String>,
    /// Start of the usage hour or day.
    pub usage_start: DateTime<Utc>,
    /// Its end (exclusive).
    pub usage_end: DateTime<Utc>,
    /// Exactly the quantity the service sent.
    pub quantity: Decimal,
    /// From instanceData.
    pub resource_uri: Option<String>,
    /// The resource group, when the URI has one.
    pub resource_group: Option<String>,
    /// Namespace, e.g. `Microsoft.Compute`.
    pub provider: Option<String>,
    /// Type without namespace, e.g. `virtualMachines`.
    pub resource_type: Option<String>,
    /// The resource's name.
    pub resource_name: Option<String>,
    /// The location instanceData names.
    pub location: Option<String>,
    /// The resource's tags.
    pub tags: Option<serde_json::Map<String, serde_json::Value>>,
    /// instanceData's additionalInfo.
    pub additional_info: Option<serde_json::Value>,
    /// The VM size, for compute meters.
    pub vm_size: Option<String>,
    /// The record's ARM id as the service sent it (not a row key: it repeats across days).
    pub record_id: Option<String>,
}

/// Reads a query's rows in usage-time order, a batch at a time. Each batch is a query of its own that goes
/// on after the last row returned (usage start, then row id), so nothing stays open between batches, the
/// store is free for other work in between, and memory holds one batch.
#[derive(Debug)]
pub struct RowReader {
    query: RowQuery,
    after: Option<(DateTime<Utc>, i64)>,
    owners: Option<BTreeMap<String, String>>,
    done: bool,
}

/// The columns a batch reads, in [`RowColumns`]' order.
pub(crate) const COLUMNS: &str =
    "r.id, r.cursor_id, r.reported_start, r.reported_end, r.subscription_id, r.meter_id,
    r.meter_id_normalized, r.usage_start, r.usage_end, r.quantity, r.resource_uri, r.resource_group,
    r.provider, r.resource_type, r.resource_name, r.location, r.tags, r.additional_info, r.vm_size,
    r.record_id";

/// A stored row's columns as read from either store, before the catalogue and the owners are added.
pub(crate) struct RowColumns {
    pub id: i64,
    pub cursor_id: i64,
    pub reported_start: DateTime<Utc>,
    pub reported_end: DateTime<Utc>,
    pub subscription_id: String,
    pub meter_id: String,
    pub meter_id_normalized: String,
    pub usage_start: DateTime<Utc>,
    pub usage_end: DateTime<Utc>,
    pub quantity: Decimal,
    /// resource_uri, resource_group, provider, resource_type, resource_name, location.
    pub resource: [Option<String>; 6],
    pub tags: Option<serde_json::Value>,
    pub additional_info: Option<serde_json::Value>,
    pub vm_size: Option<String>,
    pub record_id: Option<String>,
}

impl RowColumns {
    /// A row of a SQLite batch: times as RFC 3339 text, the quantity as decimal text, JSON as text.
    pub(crate) fn from_sqlite(r: &rusqlite::Row<'_>) -> Result<RowColumns> {
        let at = "reading stored usage rows";
        let get_text = |i: usize| r.get::<_, String>(i).map_err(store_error(at));
        let get_optional = |i: usize| r.get::<_, Option<String>>(i).map_err(store_error(at));
        let json = |i: usize, what: &str| -> Result<Option<serde_json::Value>> {
            get_optional(i)?
                .map(|t| {
                    serde_json::from_str(&t).map_err(|e| Error::Store {
                        message: format!("a stored row's {what} is not JSON: {e}"),
                        source: Some(Box::new(e)),
                    })
                })
                .transpose()
        };
        Ok(RowColumns {
            id: r.get(0).map_err(store_error(at))?,
            cursor_id: r.get(1).map_err(store_error(at))?,
            reported_start: parse_time(&get_text(2)?)?,
            reported_end: parse_time(&get_text(3)?)?,
            subscription_id: get_text(4)?,
            meter_id: get_text(5)?,
            meter_id_normalized: get_text(6)?,
            usage_start: parse_time(&get_text(7)?)?,
            usage_end: parse_time(&get_text(8)?)?,
            quantity: parse_stored(&get_text(9)?)?,
            resource: [
                get_optional(10)?,
                get_optional(11)?,
                get_optional(12)?,
                get_optional(13)?,
                get_optional(14)?,
                get_optional(15)?,
            ],
            tags: json(16, "tags")?,
            additional_info: json(17, "additionalInfo")?,
            vm_size: get_optional(18)?,
            record_id: get_optional(19)?,
        })
    }
}

impl RowReader {
    /// A reader of `query`'s rows; the bounds are checked here, the filter at the first batch.
    pub fn new(query: RowQuery) -> Result<RowReader> {
        if query.from >= query.to {
            return Err(Error::invalid(
                "from",
                format!(
                    "{} is not before the end {}",
                    time_text(query.from),
                    time_text(query.to)
                ),
            ));
        }
        Ok(RowReader {
            query,
            after: None,
            owners: None,
            done: false,
        })
    }

    /// Up to `max` (at least 1) more rows; an empty batch after the last.
    pub fn next_batch(&mut self, store: &Store, max: usize) -> Result<Vec<StoredRow>> {
        if self.done {
            return Ok(Vec::new());
        }
        if self.owners.is_none() {
            self.owners = Some(newest_owners(store)?);
        }
        let owners = self
            .owners
            .as_ref()
            .map_or_else(BTreeMap::new, Clone::clone);
        let mut sql = Sql::new(
            store.dialect(),
            &format!("SELECT {COLUMNS} FROM usage_rows r JOIN cursors c ON c.id = r.cursor_id"),
        );
        sql.push_bound(
            " WHERE c.granularity = ? AND r.usage_start >= ? AND r.usage_start < ?",
            [
                Param::Text(self.query.granularity.as_str().to_string()),
                Param::Time(self.query.from),
                Param::Time(self.query.to),
            ],
        );
        self.query.filter.push_sql(|| Ok(owners), &mut sql)?;
        if let Some((usage_start, id)) = self.after {
            sql.push_bound(
                " AND (r.usage_start, r.id) > (?, ?)",
                [Param::Time(usage_start), Param::Int(id)],
            );
        }
        let max = max.max(1);
        sql.push_bound(
            " ORDER BY r.usage_start, r.id LIMIT ?",
            [Param::Int(i64::try_from(max).unwrap_or(i64::MAX))],
        );
        let columns = store.row_batch(&sql)?;
        if columns.len() < max {
            self.done = true;
        }
        if let Some(last) = columns.last() {
            self.after = Some((last.usage_start, last.id));
        }
        let owners = self.owners.as_ref();
        Ok(columns.into_iter().map(|c| stored_row(c, owners)).collect())
    }
}

fn stored_row(columns: RowColumns, owners: Option<&BTreeMap<String, String>>) -> StoredRow {
    let RowColumns {
        cursor_id,
        reported_start,
        reported_end,
        subscription_id,
        meter_id,
        meter_id_normalized,
        usage_start,
        usage_end,
        quantity,
        resource,
        tags,
        additional_info,
        vm_size,
        record_id,
        ..
    } = columns;
    let [
        resource_uri,
        resource_group,
        provider,
        resource_type,
        resource_name,
        location,
    ] = resource;
    let meter = crate::meters::lookup(&meter_id_normalized);
    let tags = match tags {
        Some(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    };
    StoredRow {
        cursor_id,
        reported_start,
        reported_end,
        owner: owners.and_then(|o| o.get(&subscription_id.to_lowercase()).cloned()),
        subscription_id,
        meter_name: meter.map(|m| m.name.clone()),
        unit: meter.map(|m| m.unit.clone()),
        category: meter.map(|m| m.category.clone()),
        meter_id,
        meter_id_normalized,
        usage_start,
        usage_end,
        quantity: quantity.normalize(),
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
    }
}

impl StoredRow {
    /// A usage record as a row no store holds yet (`cursor_id` 0): the quantity made exact as a sync
    /// stores it, the meter's catalogue entry, the resource fields parsed from instanceData.
    pub(crate) fn from_record(
        record: &crate::usage::UsageRecord,
        reported: (DateTime<Utc>, DateTime<Utc>),
        owner: Option<String>,
    ) -> Result<StoredRow> {
        let fields = record.resource_fields();
        let owned = |value: Option<&str>| value.map(str::to_string);
        let meter = record.meter;
        Ok(StoredRow {
            cursor_id: 0,
            reported_start: reported.0,
            reported_end: reported.1,
            subscription_id: record.subscription_id.clone(),
            owner,
            meter_id: record.meter_id.clone(),
            meter_id_normalized: record.meter_id_normalized.clone(),
            meter_name: meter.map(|m| m.name.clone()),
            unit: meter.map(|m| m.unit.clone()),
            category: meter.map(|m| m.category.clone()),
            usage_start: record.usage_start,
            usage_end: record.usage_end,
            quantity: crate::warehouse::quantity::quantity_decimal(record.quantity)?,
            resource_uri: owned(fields.resource_uri),
            resource_group: owned(fields.resource_group),
            provider: owned(fields.provider),
            resource_type: owned(fields.resource_type),
            resource_name: owned(fields.resource_name),
            location: owned(fields.location),
            tags: fields.tags.cloned(),
            additional_info: fields.additional_info.cloned(),
            vm_size: owned(fields.vm_size),
            record_id: record.id.clone(),
        })
    }
}

impl Store {
    /// Calls `each` with every row `query` means, in usage-time order, reading them a batch at a time
    /// (constant memory). Returns how many there were; an error from `each` stops the read and is returned.
    pub fn rows(
        &self,
        query: &RowQuery,
        mut each: impl FnMut(StoredRow) -> Result<()>,
    ) -> Result<u64> {
        const BATCH: usize = 1000;
        let mut reader = RowReader::new(query.clone())?;
        let mut count = 0;
        loop {
            let batch = reader.next_batch(self, BATCH)?;
            if batch.is_empty() {
                return Ok(count);
            }
            for row in batch {
                count += 1;
                each(row)?;
            }
        }
    }
}
