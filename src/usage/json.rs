//! The JSON form of usage records handed to C and PowerShell: every typed field, the meter's catalogue name
//! and unit, and the parsed instanceData, with the raw instanceData string kept.

use crate::usage::record::UsageRecord;

/// A JSON array of records.
pub fn records_json(records: &[UsageRecord]) -> String {
    let values: Vec<serde_json::Value> = records.iter().map(record_value).collect();
    serde_json::Value::Array(values).to_string()
}

fn record_value(r: &UsageRecord) -> serde_json::Value {
    let mut value = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert("meter_name".into(), r.meter.map(|m| m.name.clone()).into());
        object.insert("unit".into(), r.meter.map(|m| m.unit.clone()).into());
        object.insert(
            "meter_category".into(),
            r.meter.map(|m| m.category.clone()).into(),
        );
        object.insert(
            "usage_start".into(),
            r.usage_start
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                .into(),
        );
        object.insert(
            "usage_end".into(),
            r.usage_end
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                .into(),
        );
    }
    value
}
