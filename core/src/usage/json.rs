//! The JSON form of usage records handed to C and PowerShell: every typed field, the meter's catalogue name,
//! unit and category, and the parsed instanceData, with the raw instanceData string kept. Serialised
//! straight from borrowed fields: this runs once per row on every page.

use crate::error::{Error, Result};
use crate::usage::record::UsageRecord;

#[derive(serde::Serialize)]
struct RecordJson<'a> {
    #[serde(flatten)]
    record: &'a UsageRecord,
    meter_name: Option<&'a str>,
    unit: Option<&'a str>,
    meter_category: Option<&'a str>,
}

/// A JSON array of records. Records hold only strings, numbers and JSON values, so this does not fail in
/// practice; if it ever did, the page is an error, never an empty array (that would be a silent short result).
pub fn records_json(records: &[UsageRecord]) -> Result<String> {
    let rows: Vec<RecordJson<'_>> = records
        .iter()
        .map(|record| RecordJson {
            record,
            meter_name: record.meter.map(|m| m.name.as_str()),
            unit: record.meter.map(|m| m.unit.as_str()),
            meter_category: record.meter.map(|m| m.category.as_str()),
        })
        .collect();
    serde_json::to_string(&rows)
        .map_err(|e| Error::unexpected_from(format!("cannot serialise a usage page ({e})"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_meter_names_and_utc_times() {
        let row = serde_json::json!({
            "id": "/subscriptions/s/providers/Microsoft.Commerce.Admin/UsageAggregate/s-m",
            "name": "s-m", "type": "Microsoft.Commerce.Admin/UsageAggregate",
            "properties": {
                "subscriptionId": "s", "usageStartTime": "2026-01-05T00:00:00+00:00",
                "usageEndTime": "2026-01-05T01:00:00+00:00", "meterId": "F271A8A388C44D93956A063E1D2FA80B",
                "quantity": 1,
                "instanceData": "{\"Microsoft.Resources\":{\"resourceUri\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/ip1\",\"location\":\"local\",\"tags\":null,\"additionalInfo\":null}}"
            }
        });
        let record = UsageRecord::from_json(&row).expect("a record");
        let json: serde_json::Value =
            serde_json::from_str(&records_json(&[record]).unwrap()).expect("JSON");
        let first = &json[0];
        assert_eq!(first["meter_name"], "Static IP Address Usage");
        assert_eq!(first["unit"], "IP addresses");
        assert_eq!(first["usage_start"], "2026-01-05T00:00:00Z");
        assert_eq!(first["subscription_id"], "s");
        assert_eq!(first["quantity"], 1.0);
        assert_eq!(first["instance"]["resource"]["resource_name"], "ip1");
        assert_eq!(records_json(&[]).unwrap(), "[]");
    }
}
