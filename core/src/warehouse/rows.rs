//! A usage record as a stored row: its key, its columns, and inserting it exactly once into a SQLite store
//! (`pg/write.rs` does it for PostgreSQL, with the same values and the same refusal of a contradiction).

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::usage::UsageRecord;
use crate::warehouse::quantity;
use crate::warehouse::store::store_error;

/// Stored times: RFC 3339 UTC, whole seconds, `Z`; fixed width, so text order is time order.
pub(crate) fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What identifies the instance a row measures: the JSON text of `[resource_uri, additional_info]` when
/// instanceData parsed, else of `[null, instance_data_raw]`. JSON so neither part can run into the other,
/// and the two forms can never be equal.
pub(crate) fn bucket(record: &UsageRecord) -> String {
    let value = match &record.instance {
        Some(instance) => serde_json::json!([instance.resource_uri, instance.additional_info]),
        None => serde_json::json!([null, record.instance_data_raw]),
    };
    value.to_string()
}

/// The reported window a row was fetched in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reported {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What inserting one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    New,
    /// The same key with the same quantity was already stored: the service sent the row twice.
    Duplicate,
}

/// A record's column values, computed once for whichever store takes them.
pub(crate) struct RowValues<'r> {
    pub reported: Reported,
    pub subscription_id: &'r str,
    pub meter_id: &'r str,
    pub meter_id_normalized: &'r str,
    pub usage_start: DateTime<Utc>,
    pub usage_end: DateTime<Utc>,
    pub quantity: Decimal,
    pub resource_uri: Option<&'r str>,
    pub resource_group: Option<&'r str>,
    pub provider: Option<&'r str>,
    pub resource_type: Option<&'r str>,
    pub resource_name: Option<&'r str>,
    pub location: Option<&'r str>,
    /// The tags object; None when the resource has none.
    pub tags: Option<serde_json::Value>,
    pub additional_info: Option<&'r serde_json::Value>,
    pub vm_size: Option<&'r str>,
    pub instance_data_raw: Option<&'r str>,
    pub record_id: Option<&'r str>,
    pub bucket: String,
}

impl<'r> RowValues<'r> {
    /// The values of `record` fetched in `reported`; an error when its quantity is not exactly a decimal.
    pub fn of(reported: Reported, record: &'r UsageRecord) -> Result<RowValues<'r>> {
        let fields = record.resource_fields();
        Ok(RowValues {
            reported,
            subscription_id: &record.subscription_id,
            meter_id: &record.meter_id,
            meter_id_normalized: &record.meter_id_normalized,
            usage_start: record.usage_start,
            usage_end: record.usage_end,
            quantity: quantity::quantity_decimal(record.quantity)?,
            resource_uri: fields.resource_uri,
            resource_group: fields.resource_group,
            provider: fields.provider,
            resource_type: fields.resource_type,
            resource_name: fields.resource_name,
            location: fields.location,
            tags: fields.tags.map(|t| serde_json::Value::Object(t.clone())),
            additional_info: fields.additional_info,
            vm_size: fields.vm_size,
            instance_data_raw: record.instance_data_raw.as_deref(),
            record_id: record.id.as_deref(),
            bucket: bucket(record),
        })
    }

    /// The error for a row whose key is stored with `stored`, another quantity: never summed, never
    /// overwritten.
    pub fn contradiction(&self, stored: Decimal) -> Error {
        Error::Store {
            message: format!(
                "the usage row (reported from {}, subscription {}, meter {}, instance {}, usage {} to {}) came with quantity {} but is stored with {}: the service reported one row key twice with different quantities; the window was not stored (rows are never summed or overwritten silently)",
                time_text(self.reported.start),
                self.subscription_id,
                self.meter_id,
                crate::error::quoted(&self.bucket),
                time_text(self.usage_start),
                time_text(self.usage_end),
                quantity::canonical(self.quantity),
                quantity::canonical(stored),
            ),
            source: None,
        }
    }
}

const INSERT: &str = "INSERT INTO usage_rows (
        cursor_id, reported_start, reported_end, subscription_id, meter_id, meter_id_normalized,
        usage_start, usage_end, quantity, resource_uri, resource_group, provider, resource_type,
        resource_name, location, tags, additional_info, vm_size, instance_data_raw, record_id, bucket)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
    ON CONFLICT (cursor_id, reported_start, subscription_id, meter_id_normalized, bucket, usage_start, usage_end)
    DO NOTHING";

const STORED_QUANTITY: &str = "SELECT quantity FROM usage_rows
    WHERE cursor_id = ?1 AND reported_start = ?2 AND subscription_id = ?3 AND meter_id_normalized = ?4
      AND bucket = ?5 AND usage_start = ?6 AND usage_end = ?7";

/// Inserts `record` into a SQLite store (inside the window's transaction); a row already stored under its
/// key is a duplicate when the quantities are equal and an error naming the key when not (never summed,
/// never overwritten).
pub(crate) fn insert(
    connection: &Connection,
    cursor_id: i64,
    reported: Reported,
    record: &UsageRecord,
) -> Result<Inserted> {
    let row = RowValues::of(reported, record)?;
    let reported_start = time_text(reported.start);
    let usage_start = time_text(row.usage_start);
    let usage_end = time_text(row.usage_end);
    let mut statement = connection
        .prepare_cached(INSERT)
        .map_err(store_error("preparing the row insert"))?;
    let changed = statement
        .execute(params![
            cursor_id,
            reported_start,
            time_text(reported.end),
            row.subscription_id,
            row.meter_id,
            row.meter_id_normalized,
            usage_start,
            usage_end,
            quantity::canonical(row.quantity),
            row.resource_uri,
            row.resource_group,
            row.provider,
            row.resource_type,
            row.resource_name,
            row.location,
            row.tags.as_ref().map(serde_json::Value::to_string),
            row.additional_info.map(serde_json::Value::to_string),
            row.vm_size,
            row.instance_data_raw,
            row.record_id,
            row.bucket,
        ])
        .map_err(store_error("storing a usage row"))?;
    if changed == 1 {
        return Ok(Inserted::New);
    }
    let stored: Option<String> = connection
        .prepare_cached(STORED_QUANTITY)
        .and_then(|mut s| {
            s.query_row(
                params![
                    cursor_id,
                    reported_start,
                    row.subscription_id,
                    row.meter_id_normalized,
                    row.bucket,
                    usage_start,
                    usage_end
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .map_err(store_error("reading a stored usage row"))?;
    let stored = match stored {
        Some(text) => quantity::parse_stored(&text)?,
        None => Decimal::MIN,
    };
    if stored == row.quantity {
        return Ok(Inserted::Duplicate);
    }
    Err(row.contradiction(stored))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::usage::{Granularity, UsageApi};
    use crate::warehouse::Store;
    use crate::warehouse::cursor::{CursorKey, find_or_create};

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn record(quantity: f64, instance_data: serde_json::Value) -> UsageRecord {
        UsageRecord::from_json(&json!({"properties": {
            "subscriptionId": "5144634d-7e4d-443b-a304-d27e44220fc6",
            "usageStartTime": "2026-01-05T10:00:00+00:00",
            "usageEndTime": "2026-01-05T11:00:00+00:00",
            "quantity": quantity,
            "meterId": "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5",
            "instanceData": instance_data
        }}))
        .expect("record")
    }

    fn vm(info: &str) -> serde_json::Value {
        json!(json!({"Microsoft.Resources": {
            "resourceUri": "/subscriptions/5144634d-7e4d-443b-a304-d27e44220fc6/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v",
            "location": "local", "tags": {"a": "b"}, "additionalInfo": info}})
        .to_string())
    }

    #[test]
    fn buckets_tell_instances_apart() {
        let a = bucket(&record(1.0, vm("{\"ServiceType\":\"Standard_A1\"}")));
        let b = bucket(&record(1.0, vm("{\"ServiceType\":\"Standard_A2\"}")));
        assert_ne!(a, b);
        assert!(a.starts_with("[\"/subscriptions/"), "{a}");
        // Unparsed instanceData: the raw text; no instanceData at all: null.
        assert_eq!(bucket(&record(1.0, json!("{oops"))), "[null,\"{oops\"]");
        assert_eq!(bucket(&record(1.0, serde_json::Value::Null)), "[null,null]");
    }

    #[test]
    fn a_row_is_stored_once_and_a_contradiction_is_refused() {
        let mut store = Store::open("sqlite::memory:").expect("store");
        let key = CursorKey {
            stamp: "s".into(),
            api: UsageApi::Provider,
            subscription: "20ff7fc3-e762-44dd-bd96-b71116dcdc23".into(),
            subscriber: None,
            granularity: Granularity::Hourly,
        };
        let cursor = find_or_create(
            store.sqlite().expect("sqlite"),
            &key,
            utc("2026-01-05T00:00:00Z"),
        )
        .expect("cursor");
        let reported = Reported {
            start: utc("2026-01-05T00:00:00Z"),
            end: utc("2026-01-06T00:00:00Z"),
        };
        let tx = store
            .sqlite_mut()
            .expect("sqlite")
            .transaction()
            .expect("tx");
        let row = record(2.4, vm("{\"ServiceType\":\"Standard_A1\"}"));
        assert_eq!(
            insert(&tx, cursor.id, reported, &row).expect("new"),
            Inserted::New
        );
        assert_eq!(
            insert(&tx, cursor.id, reported, &row).expect("again"),
            Inserted::Duplicate
        );
        let other = record(2.5, vm("{\"ServiceType\":\"Standard_A1\"}"));
        match insert(&tx, cursor.id, reported, &other) {
            Err(Error::Store { message, .. }) => {
                assert!(
                    message.contains("quantity 2.5 but is stored with 2.4"),
                    "{message}"
                );
                assert!(
                    message.contains("usage 2026-01-05T10:00:00Z to 2026-01-05T11:00:00Z"),
                    "{message}"
                );
                assert!(
                    message.contains("FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5"),
                    "{message}"
                );
            }
            other => panic!("expected a Store error, got {other:?}"),
        }
        // Another instance is another row.
        let second = record(2.5, vm("{\"ServiceType\":\"Standard_A2\"}"));
        assert_eq!(
            insert(&tx, cursor.id, reported, &second).expect("new"),
            Inserted::New
        );
        let (count, quantities): (i64, String) = tx
            .query_row(
                "SELECT count(*), group_concat(quantity, ',') FROM (SELECT quantity FROM usage_rows ORDER BY id)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("rows");
        assert_eq!((count, quantities.as_str()), (2, "2.4,2.5"));
    }
}
