//! Reading stored rows back, by usage time and the filters of `filter.rs`, a batch at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::ToSql;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::usage::Granularity;
use crate::warehouse::cursor::parse_time;
use crate::warehouse::filter::{RowFilter, newest_owners};
use crate::warehouse::quantity::parse_stored;
use crate::warehouse::rows::time_text;
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
    after: Option<(String, i64)>,
    owners: Option<BTreeMap<String, String>>,
    done: bool,
}

const COLUMNS: &str =
    "r.id, r.cursor_id, r.reported_start, r.reported_end, r.subscription_id, r.meter_id,
    r.meter_id_normalized, r.usage_start, r.usage_end, r.quantity, r.resource_uri, r.resource_group,
    r.provider, r.resource_type, r.resource_name, r.location, r.tags, r.additional_info, r.vm_size,
    r.record_id";

/// The columns as read, before parsing.
struct Raw {
    id: i64,
    cursor_id: i64,
    text: [String; 7],
    optional: [Option<String>; 11],
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
        let mut sql = format!(
            "SELECT {COLUMNS} FROM usage_rows r JOIN cursors c ON c.id = r.cursor_id
             WHERE c.granularity = ? AND r.usage_start >= ? AND r.usage_start < ?"
        );
        let mut values: Vec<Box<dyn ToSql>> = vec![
            Box::new(self.query.granularity.as_str()),
            Box::new(time_text(self.query.from)),
            Box::new(time_text(self.query.to)),
        ];
        self.query
            .filter
            .push_sql(|| Ok(owners), &mut sql, &mut values)?;
        if let Some((usage_start, id)) = &self.after {
            sql.push_str(" AND (r.usage_start, r.id) > (?, ?)");
            values.push(Box::new(usage_start.clone()));
            values.push(Box::new(*id));
        }
        sql.push_str(" ORDER BY r.usage_start, r.id LIMIT ?");
        let max = max.max(1);
        values.push(Box::new(i64::try_from(max).unwrap_or(i64::MAX)));
        let at = "reading stored usage rows";
        let mut statement = store.connection.prepare(&sql).map_err(store_error(at))?;
        let params: Vec<&dyn ToSql> = values.iter().map(AsRef::as_ref).collect();
        let raw: Vec<Raw> = statement
            .query_map(params.as_slice(), |r| {
                Ok(Raw {
                    id: r.get(0)?,
                    cursor_id: r.get(1)?,
                    text: [
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ],
                    optional: [
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                        r.get(16)?,
                        r.get(17)?,
                        r.get(18)?,
                        r.get(19)?,
                    ],
                })
            })
            .and_then(Iterator::collect)
            .map_err(store_error(at))?;
        if raw.len() < max {
            self.done = true;
        }
        if let Some(last) = raw.last() {
            self.after = Some((last.text[5].clone(), last.id));
        }
        let owners = self.owners.as_ref();
        raw.into_iter().map(|r| stored_row(r, owners)).collect()
    }
}

fn stored_row(raw: Raw, owners: Option<&BTreeMap<String, String>>) -> Result<StoredRow> {
    let Raw {
        cursor_id,
        text,
        optional,
        ..
    } = raw;
    let [
        reported_start,
        reported_end,
        subscription_id,
        meter_id,
        meter_id_normalized,
        usage_start,
        usage_end,
    ] = text;
    let [
        quantity,
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
    ] = optional;
    let meter = crate::meters::lookup(&meter_id_normalized);
    let json = |text: Option<String>, what: &str| -> Result<Option<serde_json::Value>> {
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| Error::Store {
                message: format!("a stored row's {what} is not JSON: {e}"),
                source: Some(Box::new(e)),
            })
        })
        .transpose()
    };
    let tags = match json(tags, "tags")? {
        Some(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    };
    Ok(StoredRow {
        cursor_id,
        reported_start: parse_time(&reported_start)?,
        reported_end: parse_time(&reported_end)?,
        owner: owners.and_then(|o| o.get(&subscription_id.to_lowercase()).cloned()),
        subscription_id,
        meter_name: meter.map(|m| m.name.clone()),
        unit: meter.map(|m| m.unit.clone()),
        category: meter.map(|m| m.category.clone()),
        meter_id,
        meter_id_normalized,
        usage_start: parse_time(&usage_start)?,
        usage_end: parse_time(&usage_end)?,
        quantity: parse_stored(quantity.as_deref().unwrap_or_default())?.normalize(),
        resource_uri,
        resource_group,
        provider,
        resource_type,
        resource_name,
        location,
        tags,
        additional_info: json(additional_info, "additionalInfo")?,
        vm_size,
        record_id,
    })
}

impl StoredRow {
    /// A usage record as a row no store holds yet (`cursor_id` 0): the quantity made exact as a sync
    /// stores it, the meter's catalogue entry, the resource fields parsed from instanceData.
    pub(crate) fn from_record(
        record: &crate::usage::UsageRecord,
        reported: (DateTime<Utc>, DateTime<Utc>),
        owner: Option<String>,
    ) -> Result<StoredRow> {
        let instance = record.instance.as_ref();
        let resource = instance.and_then(|i| i.resource.as_ref());
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
            resource_uri: instance.map(|i| i.resource_uri.clone()),
            resource_group: resource.and_then(|r| r.resource_group.clone()),
            provider: resource.and_then(|r| r.provider.clone()),
            resource_type: resource.and_then(|r| r.resource_type.clone()),
            resource_name: resource.and_then(|r| r.resource_name.clone()),
            location: instance.and_then(|i| i.location.clone()),
            tags: instance
                .filter(|i| !i.tags.is_empty())
                .map(|i| i.tags.clone()),
            additional_info: instance.and_then(|i| i.additional_info.clone()),
            vm_size: instance.and_then(|i| i.vm_size.clone()),
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
