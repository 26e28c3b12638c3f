//! A usage row, typed: times, quantity, meter (normalised and looked up), and `instanceData` parsed
//! (resource URI split into its parts, location, tags, additionalInfo, VM size), with the raw JSON kept.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::meters::Meter;

/// The parts of a resource URI `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}...`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResourceId {
    pub subscription_id: String,
    pub resource_group: Option<String>,
    /// Namespace, e.g. "Microsoft.Compute".
    pub provider: Option<String>,
    /// Type without namespace, nested types joined with '/', e.g. "virtualMachines".
    pub resource_type: Option<String>,
    /// Name of the last resource in the URI.
    pub resource_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstanceData {
    pub resource_uri: String,
    pub resource: Option<ResourceId>,
    pub location: Option<String>,
    /// Tags as given (an object; empty when null).
    pub tags: serde_json::Map<String, serde_json::Value>,
    /// additionalInfo: the JSON it holds when it is a JSON-encoded string, or the value itself.
    pub additional_info: Option<serde_json::Value>,
    /// The VM size from additionalInfo (`ServiceType`, or its first value), for VM meters.
    pub vm_size: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UsageRecord {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub record_type: Option<String>,
    pub subscription_id: String,
    pub usage_start: DateTime<Utc>,
    pub usage_end: DateTime<Utc>,
    /// As the service sent it.
    pub meter_id: String,
    /// Lower case, no hyphens.
    pub meter_id_normalized: String,
    #[serde(skip)]
    pub meter: Option<&'static Meter>,
    pub quantity: f64,
    /// The instanceData string as sent.
    pub instance_data_raw: Option<String>,
    pub instance: Option<InstanceData>,
}

impl UsageRecord {
    /// Parses one element of a page's `value` array (ARM `UsageAggregate` shape; quantity a number or a
    /// numeric string, as the oldest swagger had it).
    pub fn from_json(_value: &serde_json::Value) -> Result<UsageRecord> {
        unimplemented!()
    }
}
