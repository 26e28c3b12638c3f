//! A usage row, typed: times, quantity, meter (normalised and looked up), and `instanceData` parsed
//! (resource URI split into its parts, location, tags, additionalInfo, VM size), with the raw JSON kept.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::meters::{self, Meter};

/// The parts of a resource URI `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}...`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResourceId {
    /// The subscription the resource is in (the `{s}` of the URI, as written).
    pub subscription_id: String,
    /// The resource group, when the URI has one.
    pub resource_group: Option<String>,
    /// Namespace, e.g. "Microsoft.Compute".
    pub provider: Option<String>,
    /// Type without namespace, nested types joined with '/', e.g. "virtualMachines".
    pub resource_type: Option<String>,
    /// Name of the last resource in the URI.
    pub resource_name: Option<String>,
}

/// A row's `instanceData`, parsed: which resource the usage is of, where, and its tags.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InstanceData {
    /// `Microsoft.Resources.resourceUri` as sent.
    pub resource_uri: String,
    /// The resource URI split into its parts; None when it is not an ARM resource id.
    pub resource: Option<ResourceId>,
    /// `Microsoft.Resources.location` (the stamp's region).
    pub location: Option<String>,
    /// Tags as given (an object; empty when null).
    pub tags: serde_json::Map<String, serde_json::Value>,
    /// additionalInfo: the JSON it holds when it is a JSON-encoded string, or the value itself.
    pub additional_info: Option<serde_json::Value>,
    /// The VM size from additionalInfo (`ServiceType`, or its first value), for VM meters.
    pub vm_size: Option<String>,
}

/// One usage row (an aggregate of one meter for one resource over one usage hour or day), typed.
///
/// `id` is not a row key: the service repeats it for every row of one meter in one subscription. What
/// identifies a row is its usage bucket (subscription, normalised meter, resource URI and additional info,
/// usage start and end) and, for daily rows, the reported day; docs/c-abi.md, "What identifies a row",
/// has the rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UsageRecord {
    /// The aggregate's ARM id as sent (`.../UsageAggregate/{subscription}-{meterId}`).
    pub id: Option<String>,
    /// The aggregate's name as sent.
    pub name: Option<String>,
    /// The resource type as sent (`Microsoft.Commerce.Admin/subscriberUsageAggregates`, ...).
    #[serde(rename = "type")]
    pub record_type: Option<String>,
    /// The tenant subscription the usage belongs to.
    pub subscription_id: String,
    /// Start of the usage period (UTC), inclusive.
    pub usage_start: DateTime<Utc>,
    /// End of the usage period (UTC), exclusive.
    pub usage_end: DateTime<Utc>,
    /// As the service sent it.
    pub meter_id: String,
    /// Lower case, no hyphens.
    pub meter_id_normalized: String,
    /// The catalogue's entry for the meter; None for a meter the catalogue does not know.
    #[serde(skip)]
    pub meter: Option<&'static Meter>,
    /// The quantity in the meter's unit, as sent.
    pub quantity: f64,
    /// The instanceData string as sent.
    pub instance_data_raw: Option<String>,
    /// The instance data parsed; None when the row had none.
    pub instance: Option<InstanceData>,
}

/// What a record's instance data says about its resource, borrowed from the record: each None where the
/// record has no parsed instanceData or the field is absent; `tags` None also when there are none.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ResourceFields<'a> {
    /// The resource URI instanceData names.
    pub resource_uri: Option<&'a str>,
    /// The URI's resource group.
    pub resource_group: Option<&'a str>,
    /// The URI's namespace (`Microsoft.Compute`).
    pub provider: Option<&'a str>,
    /// The URI's type without namespace (`virtualMachines`).
    pub resource_type: Option<&'a str>,
    /// The URI's resource name.
    pub resource_name: Option<&'a str>,
    /// The location instanceData names.
    pub location: Option<&'a str>,
    /// The resource's tags, when it has any.
    pub tags: Option<&'a Map<String, Value>>,
    /// instanceData's additionalInfo.
    pub additional_info: Option<&'a Value>,
    /// The VM size, for compute meters.
    pub vm_size: Option<&'a str>,
}

impl UsageRecord {
    /// The resource fields of the record's instance data, for whatever writes them out (stores, exports,
    /// the C row structs), so that each reads them alike.
    pub fn resource_fields(&self) -> ResourceFields<'_> {
        let Some(instance) = self.instance.as_ref() else {
            return ResourceFields::default();
        };
        let resource = instance.resource.as_ref();
        ResourceFields {
            resource_uri: Some(instance.resource_uri.as_str()),
            resource_group: resource.and_then(|r| r.resource_group.as_deref()),
            provider: resource.and_then(|r| r.provider.as_deref()),
            resource_type: resource.and_then(|r| r.resource_type.as_deref()),
            resource_name: resource.and_then(|r| r.resource_name.as_deref()),
            location: instance.location.as_deref(),
            tags: Some(&instance.tags).filter(|t| !t.is_empty()),
            additional_info: instance.additional_info.as_ref(),
            vm_size: instance.vm_size.as_deref(),
        }
    }
}

/// The compute meters whose additionalInfo names the VM size (Base VM, Windows VM and VM size hours),
/// normalised.
const VM_METERS: &[&str] = &[
    "fab6eb84500b4a09a8ca7358f8bbaea5",
    "9cd92d4cbafd4492b278bedc2de8232a",
    "6dab500fa4fd49c4956d229bb9c8c793",
];

impl UsageRecord {
    /// Parses one element of a page's `value` array (ARM `UsageAggregate` shape; quantity a number or a
    /// numeric string, as the oldest swagger had it).
    pub fn from_json(value: &serde_json::Value) -> Result<UsageRecord> {
        let Some(record) = value.as_object() else {
            return Err(unexpected(format!(
                "a usage record is a JSON object, not {}",
                kind(value)
            )));
        };
        // The wire shape nests the fields under "properties"; a record already flattened (as the
        // PowerShell cmdlets show it) is read from the top level instead.
        let props = match record.get("properties") {
            Some(Value::Object(p)) => p,
            _ => record,
        };
        let subscription_id = required_str(props, "subscriptionId")?.to_string();
        let usage_start = parse_time(props, "usageStartTime")?;
        let usage_end = parse_time(props, "usageEndTime")?;
        let meter_id = required_str(props, "meterId")?.to_string();
        let quantity = parse_quantity(props)?;
        let (instance_data_raw, instance) = match props.get("instanceData") {
            None | Some(Value::Null) => (None, None),
            Some(Value::String(raw)) => (Some(raw.clone()), instance_data(raw, &meter_id)),
            // Not the documented string form, but unambiguous: keep its JSON text as the raw value.
            Some(other) => {
                let raw = other.to_string();
                let instance = instance_data(&raw, &meter_id);
                (Some(raw), instance)
            }
        };
        Ok(UsageRecord {
            id: optional_str(record, "id"),
            name: optional_str(record, "name"),
            record_type: optional_str(record, "type"),
            subscription_id,
            usage_start,
            usage_end,
            meter_id_normalized: meters::normalize(&meter_id),
            meter: meters::lookup(&meter_id),
            meter_id,
            quantity,
            instance_data_raw,
            instance,
        })
    }

    /// The record of a [`WireRecord`], or None where it needs [`UsageRecord::from_json`]'s reading (a time
    /// neither form reads, a quantity that is not finite): the caller then reads the page that way, which
    /// also gives the error. For the records both read, both give the same record.
    pub(crate) fn from_wire(wire: WireRecord<'_>) -> Option<UsageRecord> {
        let p = wire.properties;
        let quantity = Some(p.quantity).filter(|q| q.is_finite())?;
        let usage_start = time_of(p.usage_start_time.trim()).ok()?;
        let usage_end = time_of(p.usage_end_time.trim()).ok()?;
        let instance = p
            .instance_data
            .as_deref()
            .and_then(|raw| instance_data(raw, &p.meter_id));
        Some(UsageRecord {
            id: wire.id,
            name: wire.name,
            record_type: wire.record_type,
            subscription_id: p.subscription_id,
            usage_start,
            usage_end,
            meter_id_normalized: meters::normalize(&p.meter_id),
            meter: meters::lookup(&p.meter_id),
            meter_id: p.meter_id,
            quantity,
            instance_data_raw: p.instance_data,
            instance,
        })
    }
}

/// A record in the wire's documented shape, read straight from the page's bytes with no JSON tree between
/// (a page is a thousand of them; building the tree was most of the parsing). Anything else (a flattened
/// record, instanceData as an object, a quantity as a string, a field of another type) fails to fit, and
/// the page is read again by the tolerant [`UsageRecord::from_json`].
#[derive(serde::Deserialize)]
pub(crate) struct WireRecord<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    record_type: Option<String>,
    #[serde(borrow)]
    properties: WireProperties<'a>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProperties<'a> {
    subscription_id: String,
    usage_start_time: &'a str,
    usage_end_time: &'a str,
    meter_id: String,
    quantity: f64,
    #[serde(default)]
    instance_data: Option<String>,
}

fn unexpected(message: String) -> Error {
    Error::unexpected(message)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn optional_str(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

fn required_str<'a>(props: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    match props.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(unexpected(format!(
            "usage record: properties.{key} is missing"
        ))),
        Some(other) => Err(unexpected(format!(
            "usage record: properties.{key} is {}, not a string",
            kind(other)
        ))),
    }
}

/// RFC 3339 with an offset, converted to UTC; a time without an offset is taken as UTC (the schema calls
/// these "UTC start/end time").
fn parse_time(props: &Map<String, Value>, key: &str) -> Result<DateTime<Utc>> {
    let text = required_str(props, key)?.trim();
    time_of(text).map_err(|e| {
        Error::unexpected_from(
            format!("usage record: properties.{key} '{text}' is not an ISO 8601 time"),
            e,
        )
    })
}

/// [`parse_time`]'s reading of a trimmed time text.
fn time_of(text: &str) -> std::result::Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
}

fn parse_quantity(props: &Map<String, Value>) -> Result<f64> {
    let parsed = match props.get("quantity") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        None | Some(Value::Null) => {
            return Err(unexpected(
                "usage record: properties.quantity is missing".to_string(),
            ));
        }
        Some(_) => None,
    };
    parsed.filter(|q| q.is_finite()).ok_or_else(|| {
        let shown = props
            .get("quantity")
            .map(Value::to_string)
            .unwrap_or_default();
        unexpected(format!(
            "usage record: properties.quantity {shown} is not a number"
        ))
    })
}

/// `{"Microsoft.Resources":{resourceUri, location, tags, additionalInfo}}`; None when the text is not JSON
/// or has no `Microsoft.Resources` object (the raw text is kept by the caller either way).
fn instance_data(raw: &str, meter_id: &str) -> Option<InstanceData> {
    let parsed: Ordered = serde_json::from_str(raw).ok()?;
    let Ordered::Object(outer) = parsed else {
        return None;
    };
    let resources = field(&outer, "Microsoft.Resources")?;
    let Ordered::Object(resources) = resources else {
        return None;
    };
    let resource_uri = match field(resources, "resourceUri") {
        Some(Ordered::String(uri)) => uri.clone(),
        _ => String::new(),
    };
    let location = match field(resources, "location") {
        Some(Ordered::String(location)) => Some(location.clone()),
        _ => None,
    };
    let tags = match field(resources, "tags").map(Ordered::to_value) {
        Some(Value::Object(tags)) => tags,
        // Some writers encode tags the way they encode additionalInfo: as a JSON string.
        Some(Value::String(text)) => match serde_json::from_str(&text) {
            Ok(Value::Object(tags)) => tags,
            _ => Map::new(),
        },
        _ => Map::new(),
    };
    let info = additional_info(field(resources, "additionalInfo"));
    let vm_size = info.as_ref().and_then(|info| vm_size(info, meter_id));
    Some(InstanceData {
        resource: parse_resource_uri(&resource_uri),
        resource_uri,
        location,
        tags,
        additional_info: info.as_ref().map(Ordered::to_value),
        vm_size,
    })
}

/// additionalInfo as a value, keeping key order for `vm_size`. A string that holds a JSON object or array
/// (the stamp's form, e.g. `"{\"ServiceType\":\"Standard_A1\"}"`) becomes that JSON; any other string
/// stays a string (so "2019" or "true" is not turned into a number or a boolean); null is None.
fn additional_info(value: Option<&Ordered>) -> Option<Ordered> {
    match value? {
        Ordered::Null => None,
        Ordered::String(text) => match serde_json::from_str::<Ordered>(text) {
            Ok(parsed @ (Ordered::Object(_) | Ordered::Array(_))) => Some(parsed),
            _ => Some(Ordered::String(text.clone())),
        },
        other => Some(other.clone()),
    }
}

/// "Standard_…" or "Basic_…", but not a storage SKU ("Standard_LRS", "Standard_GRS", ...), which disk and
/// storage rows could carry under the same key.
fn looks_like_vm_size(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("standard_")
        .or_else(|| lower.strip_prefix("basic_"))
    else {
        return false;
    };
    !rest.is_empty() && !matches!(rest, "lrs" | "grs" | "ragrs" | "zrs" | "gzrs" | "ragzrs")
}

/// The VM size: the `ServiceType` value (any case), else the first value that looks like a VM size
/// ("Standard_…"/"Basic_…"), else, on a VM meter, the first string value (what scripts take with
/// `additionalInfo.Split('"')[3]`). A plain-string additionalInfo counts as its own first value. A value
/// that does not look like a VM size is kept only on the VM meters, so other meters' ServiceType (an App
/// Service tier, say) is not mistaken for one.
fn vm_size(info: &Ordered, meter_id: &str) -> Option<String> {
    let strings: Vec<(&str, &str)> = match info {
        Ordered::Object(entries) => entries
            .iter()
            .filter_map(|(k, v)| match v {
                Ordered::String(s) if !s.trim().is_empty() => Some((k.as_str(), s.trim())),
                _ => None,
            })
            .collect(),
        Ordered::String(s) if !s.trim().is_empty() => vec![("", s.trim())],
        _ => Vec::new(),
    };
    let vm_meter = VM_METERS.contains(&meters::normalize(meter_id).as_str());
    let acceptable = |s: &str| vm_meter || looks_like_vm_size(s);
    let service_type = strings
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("ServiceType"))
        .map(|(_, v)| *v);
    let candidate = match service_type {
        Some(v) => Some(v),
        None => strings
            .iter()
            .map(|(_, v)| *v)
            .find(|v| looks_like_vm_size(v))
            .or_else(|| strings.first().map(|(_, v)| *v)),
    };
    candidate.filter(|v| acceptable(v)).map(str::to_string)
}

impl ResourceId {
    /// Splits a resource URI into its parts; backslashes count as slashes, segment names ignore case, empty
    /// segments are skipped. Nested types join with '/' (`servers/s1/databases/db1` → "servers/databases",
    /// "db1"); when a URI ends on a type without a name the name is None. For an extension resource (a second
    /// `providers` segment) the last provider's resource is the one described. None unless the URI starts
    /// with `subscriptions/{id}`.
    pub fn parse(uri: &str) -> Option<ResourceId> {
        parse_resource_uri(uri)
    }
}

fn parse_resource_uri(uri: &str) -> Option<ResourceId> {
    let normalized = uri.trim().replace('\\', "/");
    let segments: Vec<&str> = normalized.split('/').filter(|s| !s.is_empty()).collect();
    let (first, subscription) = (segments.first()?, segments.get(1)?);
    if !first.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let mut id = ResourceId {
        subscription_id: (*subscription).to_string(),
        resource_group: None,
        provider: None,
        resource_type: None,
        resource_name: None,
    };
    let mut rest = &segments[2..];
    if let [name, group, tail @ ..] = rest {
        if name.eq_ignore_ascii_case("resourceGroups") {
            id.resource_group = Some((*group).to_string());
            rest = tail;
        }
    }
    // Start of each `providers/{namespace}` block; the last one describes the resource.
    let mut block = None;
    let mut i = 0;
    while i < rest.len() {
        if rest[i].eq_ignore_ascii_case("providers") && i + 1 < rest.len() {
            block = Some(i);
            i += 2;
        } else {
            // Skip a type/name pair so a resource named "providers" is not taken for a block.
            i += 2;
        }
    }
    let Some(start) = block else {
        return Some(id);
    };
    id.provider = Some(rest[start + 1].to_string());
    let parts = &rest[start + 2..];
    let types: Vec<&str> = parts.iter().step_by(2).copied().collect();
    if !types.is_empty() {
        id.resource_type = Some(types.join("/"));
    }
    if parts.len() % 2 == 0 {
        id.resource_name = parts.last().map(|s| (*s).to_string());
    }
    Some(id)
}

/// JSON with object keys in document order (serde_json's Map sorts them), needed to take "the first
/// value" of additionalInfo the way the operator scripts do.
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

/// The value of `key`, matched exactly first and then ignoring case (the last of duplicate keys, as
/// serde_json would keep).
fn field<'a>(entries: &'a [(String, Ordered)], key: &str) -> Option<&'a Ordered> {
    entries
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .or_else(|| {
            entries
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
        })
        .map(|(_, v)| v)
}

impl Ordered {
    fn to_value(&self) -> Value {
        match self {
            Ordered::Null => Value::Null,
            Ordered::Bool(b) => Value::Bool(*b),
            Ordered::Number(n) => Value::Number(n.clone()),
            Ordered::String(s) => Value::String(s.clone()),
            Ordered::Array(items) => Value::Array(items.iter().map(Ordered::to_value).collect()),
            Ordered::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> serde::de::Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
        // JSON numbers are finite, so from_f64 only fails on input serde_json never produces.
        Ok(serde_json::Number::from_f64(v).map_or(Ordered::Null, Ordered::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::String(v))
    }

    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }

    fn visit_none<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Ordered, D::Error> {
        serde::Deserialize::deserialize(d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Ordered>()? {
            entries.push((key, value));
        }
        Ok(Ordered::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn fixture(path: &str) -> Value {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/specs")
            .join(path);
        let text = std::fs::read_to_string(&file).expect("fixture");
        serde_json::from_str(&text).expect("fixture JSON")
    }

    fn rows(example: &Value) -> Vec<UsageRecord> {
        example["responses"]["200"]["body"]["value"]
            .as_array()
            .expect("value array")
            .iter()
            .map(|row| UsageRecord::from_json(row).expect("row parses"))
            .collect()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn admin_spec_example() {
        let example = fixture(
            "azsadmin/resource-manager/commerce/Microsoft.Commerce.Admin/preview/2015-06-01-preview/examples/SubscriberUsageAggregates/List.json",
        );
        // The admin example's page is empty; it must still be a page of zero records.
        assert!(rows(&example).is_empty());
    }

    #[test]
    fn public_spec_example() {
        let example = fixture(
            "commerce/resource-manager/Microsoft.Commerce/preview/2015-06-01-preview/examples/GetUsageAggregatesList.json",
        );
        let rows = rows(&example);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            r.id.as_deref(),
            Some(
                "/subscriptions/f68815e6-3c41-45ef-bbd8-5f83303c396b/providers/Microsoft.Commerce/UsageAggregates/Daily_BRSDT_20140501_0000"
            )
        );
        assert_eq!(r.name.as_deref(), Some("Daily_BRSDT_20140501_0000"));
        assert_eq!(
            r.record_type.as_deref(),
            Some("Microsoft.Commerce/UsageAggregate")
        );
        assert_eq!(r.subscription_id, "f68815e6-3c41-45ef-bbd8-5f83303c396b");
        assert_eq!(r.usage_start, utc("2015-03-03T00:00:00Z"));
        assert_eq!(r.usage_end, utc("2015-03-04T00:00:00Z"));
        assert_eq!(r.meter_id, "0e9d0c9b-ab6d-4312-9c7e-3794e22af9c4");
        assert_eq!(r.meter_id_normalized, "0e9d0c9bab6d43129c7e3794e22af9c4");
        // A public-Azure meter: not in the Azure Stack Hub catalogue, and not an error.
        assert!(r.meter.is_none());
        assert_eq!(r.quantity, 0.057865);
        assert_eq!(r.instance_data_raw, None);
        assert_eq!(r.instance, None);
    }

    #[test]
    fn documented_row() {
        let row = json!({
            "id": "/subscriptions/sub1.1/providers/Microsoft.Commerce.Admin/UsageAggregate/sub1.1-meterID1",
            "name": "sub1.1-meterID1",
            "type": "Microsoft.Commerce.Admin/UsageAggregate",
            "properties": {
                "subscriptionId": "sub1.1",
                "usageStartTime": "2015-03-03T00:00:00+00:00",
                "usageEndTime": "2015-03-04T00:00:00+00:00",
                "instanceData": "{\"Microsoft.Resources\":{\"resourceUri\":\"resourceUri1\",\"location\":\"Alaska\",\"tags\":null,\"additionalInfo\":null}}",
                "quantity": 2.4000000000,
                "meterId": "meterID1"
            }
        });
        let r = UsageRecord::from_json(&row).expect("documented row");
        assert_eq!(r.subscription_id, "sub1.1");
        assert_eq!(r.name.as_deref(), Some("sub1.1-meterID1"));
        assert_eq!(r.usage_start, utc("2015-03-03T00:00:00Z"));
        assert_eq!(r.quantity, 2.4);
        assert_eq!(r.meter_id, "meterID1");
        assert_eq!(r.meter_id_normalized, "meterid1");
        assert!(r.meter.is_none());
        assert!(
            r.instance_data_raw
                .as_deref()
                .is_some_and(|s| s.contains("Alaska"))
        );
        let instance = r.instance.expect("instance data");
        assert_eq!(instance.resource_uri, "resourceUri1");
        assert_eq!(instance.resource, None);
        assert_eq!(instance.location.as_deref(), Some("Alaska"));
        assert!(instance.tags.is_empty());
        assert_eq!(instance.additional_info, None);
        assert_eq!(instance.vm_size, None);
    }

    fn stamp_row(meter: &str, quantity: Value, instance_data: Value) -> Value {
        json!({
            "id": "/subscriptions/5144634d-7e4d-443b-a304-d27e44220fc6/providers/Microsoft.Commerce.Admin/UsageAggregate/x",
            "name": "x",
            "type": "Microsoft.Commerce.Admin/UsageAggregate",
            "properties": {
                "subscriptionId": "5144634d-7e4d-443b-a304-d27e44220fc6",
                "usageStartTime": "2026-01-05T13:00:00+02:00",
                "usageEndTime": "2026-01-05T14:00:00+02:00",
                "instanceData": instance_data,
                "quantity": quantity,
                "meterId": meter
            }
        })
    }

    fn instance_json(uri: &str, tags: Value, info: Value) -> Value {
        Value::String(
            json!({"Microsoft.Resources": {"resourceUri": uri, "location": "local", "tags": tags, "additionalInfo": info}})
                .to_string(),
        )
    }

    #[test]
    fn stamp_vm_row() {
        let uri = "/subscriptions/5144634d-7e4d-443b-a304-d27e44220fc6/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1";
        let row = stamp_row(
            "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5",
            json!(4),
            instance_json(
                uri,
                json!({"costCenter": "42"}),
                json!(
                    "{\"ServiceType\":\"Standard_D2_v2\",\"ImageType\":\"Windows Server 2019 Datacenter\"}"
                ),
            ),
        );
        let r = UsageRecord::from_json(&row).expect("row");
        // Offsets are converted to UTC.
        assert_eq!(r.usage_start, utc("2026-01-05T11:00:00Z"));
        assert_eq!(r.usage_end, utc("2026-01-05T12:00:00Z"));
        assert_eq!(r.quantity, 4.0);
        assert_eq!(r.meter.map(|m| m.name.as_str()), Some("Base VM Size Hours"));
        let i = r.instance.expect("instance");
        assert_eq!(i.resource_uri, uri);
        assert_eq!(
            i.resource,
            Some(ResourceId {
                subscription_id: "5144634d-7e4d-443b-a304-d27e44220fc6".into(),
                resource_group: Some("rg1".into()),
                provider: Some("Microsoft.Compute".into()),
                resource_type: Some("virtualMachines".into()),
                resource_name: Some("vm1".into()),
            })
        );
        assert_eq!(i.location.as_deref(), Some("local"));
        assert_eq!(i.tags.get("costCenter"), Some(&json!("42")));
        assert_eq!(
            i.additional_info,
            Some(
                json!({"ServiceType": "Standard_D2_v2", "ImageType": "Windows Server 2019 Datacenter"})
            )
        );
        assert_eq!(i.vm_size.as_deref(), Some("Standard_D2_v2"));
    }

    #[test]
    fn quantity_as_string() {
        // CommerceAdmin.json, the oldest admin swagger, typed quantity as a string.
        let row = stamp_row("meterID1", json!(" 2.4000000000 "), Value::Null);
        let r = UsageRecord::from_json(&row).expect("string quantity");
        assert_eq!(r.quantity, 2.4);
        assert_eq!(r.instance, None);
        assert_eq!(r.instance_data_raw, None);
        let row = stamp_row("meterID1", json!("1e3"), Value::Null);
        assert_eq!(
            UsageRecord::from_json(&row).expect("exponent").quantity,
            1000.0
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let message = |row: &Value| match UsageRecord::from_json(row) {
            Err(Error::UnexpectedResponse { message, .. }) => message,
            other => panic!("expected UnexpectedResponse, got {other:?}"),
        };
        for bad in [
            json!("lots"),
            json!(true),
            json!({"n": 1}),
            json!("NaN"),
            json!(""),
        ] {
            let m = message(&stamp_row("m", bad.clone(), Value::Null));
            assert!(m.contains("properties.quantity"), "{bad}: {m}");
        }
        let mut row = stamp_row("m", json!(1), Value::Null);
        row["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("quantity");
        assert!(message(&row).contains("properties.quantity is missing"));

        let mut row = stamp_row("m", json!(1), Value::Null);
        row["properties"]["usageStartTime"] = json!("03/03/2015");
        assert!(message(&row).contains("properties.usageStartTime '03/03/2015'"));
        let mut row = stamp_row("m", json!(1), Value::Null);
        row["properties"]["meterId"] = json!(7);
        assert!(message(&row).contains("properties.meterId is a number"));
        let mut row = stamp_row("m", json!(1), Value::Null);
        row["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("subscriptionId");
        assert!(message(&row).contains("properties.subscriptionId is missing"));
        assert!(message(&json!([1])).contains("not an array"));
    }

    #[test]
    fn tolerant_shapes() {
        // No id/name/type, a time without offset (taken as UTC), unparseable instanceData kept raw.
        let row = json!({"properties": {
            "subscriptionId": "s",
            "usageStartTime": "2026-01-05T00:00:00",
            "usageEndTime": "2026-01-06T00:00:00.0000000Z",
            "instanceData": "{not json",
            "quantity": 1,
            "meterId": "F271A8A388C44D93956A063E1D2FA80B"
        }});
        let r = UsageRecord::from_json(&row).expect("row");
        assert_eq!((r.id, r.name, r.record_type), (None, None, None));
        assert_eq!(r.usage_start, utc("2026-01-05T00:00:00Z"));
        assert_eq!(r.usage_end, utc("2026-01-06T00:00:00Z"));
        assert_eq!(r.instance_data_raw.as_deref(), Some("{not json"));
        assert_eq!(r.instance, None);
        assert_eq!(r.meter.map(|m| m.category.as_str()), Some("Network"));

        // instanceData without Microsoft.Resources: raw kept, no instance.
        let row = stamp_row("m", json!(1), json!("{\"Other\":{}}"));
        let r = UsageRecord::from_json(&row).expect("row");
        assert_eq!(r.instance, None);
        assert_eq!(r.instance_data_raw.as_deref(), Some("{\"Other\":{}}"));

        // instanceData sent as an object instead of a string; additionalInfo a plain string; tags as a
        // JSON string; keys in another case.
        let row = stamp_row(
            "m",
            json!(1),
            json!({"microsoft.resources": {"ResourceUri": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa", "tags": "{\"a\":\"b\"}", "additionalInfo": "Premium"}}),
        );
        let r = UsageRecord::from_json(&row).expect("row");
        let i = r.instance.expect("instance");
        assert_eq!(
            i.resource.and_then(|r| r.resource_name).as_deref(),
            Some("sa")
        );
        assert_eq!(i.location, None);
        assert_eq!(i.tags.get("a"), Some(&json!("b")));
        assert_eq!(i.additional_info, Some(json!("Premium")));
        assert_eq!(i.vm_size, None);
        assert!(r.instance_data_raw.is_some());

        // A flattened record (no "properties").
        let row = json!({"subscriptionId": "s", "usageStartTime": "2026-01-05T00:00:00Z",
            "usageEndTime": "2026-01-06T00:00:00Z", "quantity": "3", "meterId": "m"});
        assert_eq!(UsageRecord::from_json(&row).expect("flat").quantity, 3.0);
    }

    fn size(meter: &str, info: Value) -> Option<String> {
        let uri = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v";
        let row = stamp_row(meter, json!(1), instance_json(uri, Value::Null, info));
        UsageRecord::from_json(&row)
            .expect("row")
            .instance
            .and_then(|i| i.vm_size)
    }

    #[test]
    fn vm_sizes() {
        const BASE: &str = "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5";
        const WINDOWS: &str = "9cd92d4c-bafd-4492-b278-bedc2de8232a";
        const VM_HOURS: &str = "6DAB500FA4FD49C4956D229BB9C8C793";
        const DISK: &str = "7ba084ec-ef9c-4d64-a179-7732c6cb5e28";
        assert_eq!(
            size(BASE, json!("{\"serviceType\":\"Standard_A1\"}")).as_deref(),
            Some("Standard_A1")
        );
        // No ServiceType key: the first value in document order, as the scripts' Split('"')[3] does,
        // even where sorted keys would put another first.
        assert_eq!(
            size(
                WINDOWS,
                json!("{\"VmSize\":\"A2\",\"ImageType\":\"Windows\"}")
            )
            .as_deref(),
            Some("A2")
        );
        // A value that looks like a size wins over an earlier one that does not.
        assert_eq!(
            size(
                VM_HOURS,
                json!("{\"ImageType\":\"Ubuntu\",\"Size\":\"Basic_A0\"}")
            )
            .as_deref(),
            Some("Basic_A0")
        );
        // Other meters: only values that look like sizes.
        assert_eq!(
            size(DISK, json!("{\"ServiceType\":\"Standard_DS2_v2\"}")).as_deref(),
            Some("Standard_DS2_v2")
        );
        assert_eq!(size(DISK, json!("{\"ServiceType\":\"Premium_LRS\"}")), None);
        assert_eq!(
            size(DISK, json!("{\"ServiceType\":\"Standard_LRS\"}")),
            None
        );
        assert_eq!(size(DISK, json!("{\"Sku\":\"standard_ragrs\"}")), None);
        assert_eq!(size(DISK, json!("{\"ServiceType\":\"Standard_\"}")), None);
        assert_eq!(size(DISK, json!("{\"Tier\":\"P10\"}")), None);
        // additionalInfo as an object, not a string; and a plain string.
        assert_eq!(
            size(BASE, json!({"ServiceType": "Standard_F2s"})).as_deref(),
            Some("Standard_F2s")
        );
        assert_eq!(
            size(BASE, json!("Standard_A3")).as_deref(),
            Some("Standard_A3")
        );
        assert_eq!(
            size(DISK, json!("Standard_A3")).as_deref(),
            Some("Standard_A3")
        );
        assert_eq!(size(BASE, Value::Null), None);
        assert_eq!(
            size(BASE, json!("{\"ServiceType\":\"\",\"Cores\":2}")),
            None
        );
    }

    #[test]
    fn resource_uris() {
        let id = ResourceId::parse;
        let sql = id(
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db1",
        )
        .expect("sql");
        assert_eq!(sql.provider.as_deref(), Some("Microsoft.Sql"));
        assert_eq!(sql.resource_type.as_deref(), Some("servers/databases"));
        assert_eq!(sql.resource_name.as_deref(), Some("db1"));

        let back = id(
            r"\subscriptions\s1\resourcegroups\RG\providers\Microsoft.Compute\virtualMachines\vm1",
        )
        .expect("backslashes");
        assert_eq!(back.subscription_id, "s1");
        assert_eq!(back.resource_group.as_deref(), Some("RG"));
        assert_eq!(back.resource_type.as_deref(), Some("virtualMachines"));
        assert_eq!(back.resource_name.as_deref(), Some("vm1"));

        let no_group = id("/SUBSCRIPTIONS/s1/PROVIDERS/Microsoft.Web/sites/app").expect("no group");
        assert_eq!(no_group.resource_group, None);
        assert_eq!(no_group.provider.as_deref(), Some("Microsoft.Web"));
        assert_eq!(no_group.resource_type.as_deref(), Some("sites"));
        assert_eq!(no_group.resource_name.as_deref(), Some("app"));

        let group_only = id("subscriptions/s1/resourceGroups/rg").expect("group only");
        assert_eq!(group_only.resource_group.as_deref(), Some("rg"));
        assert_eq!(group_only.provider, None);
        assert_eq!(group_only.resource_type, None);

        let no_name =
            id("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases")
                .expect("trailing type");
        assert_eq!(no_name.resource_type.as_deref(), Some("servers/databases"));
        assert_eq!(no_name.resource_name, None);

        let extension = id("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings/d1")
            .expect("extension");
        assert_eq!(extension.provider.as_deref(), Some("Microsoft.Insights"));
        assert_eq!(
            extension.resource_type.as_deref(),
            Some("diagnosticSettings")
        );
        assert_eq!(extension.resource_name.as_deref(), Some("d1"));

        let named_providers =
            id("/subscriptions/s1/providers/Microsoft.Web/sites/providers").expect("odd name");
        assert_eq!(named_providers.resource_type.as_deref(), Some("sites"));
        assert_eq!(named_providers.resource_name.as_deref(), Some("providers"));

        assert_eq!(id("resourceUri1"), None);
        assert_eq!(id(""), None);
        assert_eq!(id("/subscriptions"), None);
        assert_eq!(id("/tenants/t/providers/x/y/z"), None);
    }
}
