//! The provider (`Microsoft.Commerce.Admin/subscriberUsageAggregates`) and tenant
//! (`Microsoft.Commerce/usageAggregates`) usage APIs: the usage service's validation rules and error codes,
//! 1,000-row pages, and nextLinks that repeat the caller's URL with an opaque continuation token.

use base64::Engine;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use sha2::Digest;

use crate::dataset::{
    Cursor, Dataset, Granularity, SubscriptionScope, UsageQuery, UsageRow, format_quantity,
};
use crate::http::{
    ArmError,
    query::{QueryParams, raw_query_without},
};

pub const API_VERSION: &str = "2015-06-01-preview";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageApi {
    /// Admin endpoint: the Default Provider Subscription's view of its direct tenants.
    Provider,
    /// Tenant endpoint: one tenant subscription's own usage.
    Tenant,
}

/// A usage request that passed validation.
#[derive(Debug, Clone)]
pub struct ValidUsageRequest {
    pub query: UsageQuery,
    pub resume_from: Option<Cursor>,
    /// Identifies the query a continuation token belongs to.
    pub query_key: String,
}

/// Checks the query parameters the way the usage service does, in its order. `path_subscription` has
/// already been authorised; for the tenant API `path_subscription_index` is its index in the data set.
pub fn validate(
    api: UsageApi,
    dataset: &Dataset,
    path_subscription: &str,
    path_subscription_index: Option<usize>,
    params: &QueryParams,
    now: DateTime<Utc>,
) -> Result<ValidUsageRequest, ArmError> {
    check_api_version(params, API_VERSION, api.resource_type())?;

    let start_text = params
        .get_non_empty("reportedStartTime")
        .ok_or_else(|| ArmError::invalid_property("The reportedStartTime property is missing. Give the start of the reporting window as an ISO 8601 UTC time, e.g. 2017-08-01T00:00:00Z."))?;
    let end_text = params
        .get_non_empty("reportedEndTime")
        .ok_or_else(|| ArmError::invalid_property("The reportedEndTime property is missing. Give the end of the reporting window as an ISO 8601 UTC time, e.g. 2017-08-02T00:00:00Z."))?;
    let start = parse_reported_time(start_text)?;
    let end = parse_reported_time(end_text)?;

    let granularity = match params.get_non_empty("aggregationGranularity") {
        None => Granularity::Daily,
        Some(g) if g.eq_ignore_ascii_case("daily") => Granularity::Daily,
        Some(g) if g.eq_ignore_ascii_case("hourly") => Granularity::Hourly,
        Some(other) => {
            return Err(ArmError::bad_request(
                "InvalidAggregationGranularity",
                format!(
                    "The aggregation granularity '{other}' is not valid. Valid values are daily and hourly."
                ),
            ));
        }
    };
    for (name, time) in [("reportedStartTime", start), ("reportedEndTime", end)] {
        check_alignment(name, time, granularity)?;
    }
    if end > now {
        return Err(ArmError::bad_request(
            "RequestEndTimeIsInFuture",
            format!(
                "The reportedEndTime '{}' is in the future. The end of the reporting window can't be later than the current time '{}'.",
                end.format("%Y-%m-%dT%H:%M:%SZ"),
                now.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        ));
    }
    if start >= end {
        return Err(ArmError::invalid_property(format!(
            "The reportedStartTime '{}' must be earlier than the reportedEndTime '{}'.",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            end.format("%Y-%m-%dT%H:%M:%SZ")
        )));
    }

    let scope = match api {
        UsageApi::Tenant => SubscriptionScope::One(
            path_subscription_index
                .expect("the tenant API resolves its subscription before validating"),
        ),
        UsageApi::Provider => match params.get_non_empty("subscriberId") {
            None => SubscriptionScope::AllDirectTenants,
            Some(subscriber) => match dataset.subscription_index(subscriber.trim()) {
                Some(index) if dataset.is_direct_tenant(index) => SubscriptionScope::One(index),
                _ => {
                    return Err(ArmError::bad_request(
                        "SubscriberIdIsNotDirectTenant",
                        format!(
                            "The subscriberId '{subscriber}' is not a direct tenant subscription of the provider subscription '{path_subscription}'."
                        ),
                    ));
                }
            },
        },
    };
    let query = UsageQuery {
        reported_start: start,
        reported_end: end,
        granularity,
        scope,
    };
    let query_key = query_key(api, path_subscription, &query, dataset.config().seed);
    let resume_from = match params.get_non_empty("continuationToken") {
        None => None,
        Some(token) => Some(decode_token(token, &query_key)?),
    };
    Ok(ValidUsageRequest {
        query,
        resume_from,
        query_key,
    })
}

/// `NoApiVersion` when absent; ARM's `NoRegisteredProviderFound` for a version the resource type lacks.
pub fn check_api_version(
    params: &QueryParams,
    supported: &str,
    resource_type: &str,
) -> Result<(), ArmError> {
    match params.get_non_empty("api-version") {
        None => Err(ArmError::bad_request(
            "NoApiVersion",
            format!("The api-version query parameter is required. Use api-version={supported}."),
        )),
        Some(v) if v.eq_ignore_ascii_case(supported) => Ok(()),
        Some(v) => Err(ArmError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for API version '{v}' and type '{resource_type}'. The supported api-versions are '{supported}'."
            ),
        )),
    }
}

impl UsageApi {
    fn resource_type(self) -> &'static str {
        match self {
            UsageApi::Provider => "Microsoft.Commerce.Admin/subscriberUsageAggregates",
            UsageApi::Tenant => "Microsoft.Commerce/usageAggregates",
        }
    }
}

/// Parses a reported time the way the service's DateTimeOffset parsing does: ISO 8601 with `Z` or an offset
/// (converted to UTC), fractional seconds allowed, a missing offset meaning UTC, or a bare date.
pub fn parse_reported_time(text: &str) -> Result<DateTime<Utc>, ArmError> {
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        });
    parsed.ok_or_else(|| {
        ArmError::invalid_property(format!(
            "The reported date time '{text}' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ)."
        ))
    })
}

fn check_alignment(
    name: &str,
    time: DateTime<Utc>,
    granularity: Granularity,
) -> Result<(), ArmError> {
    let on_hour = time.minute() == 0 && time.second() == 0 && time.nanosecond() == 0;
    let shown = time.format("%Y-%m-%dT%H:%M:%S%.fZ");
    match granularity {
        Granularity::Hourly if !on_hour => Err(ArmError::invalid_property(format!(
            "The {name} '{shown}' must be at the beginning of an hour in UTC (for example 13:00:00Z) for hourly aggregation."
        ))),
        Granularity::Daily if !on_hour || time.hour() != 0 => {
            Err(ArmError::invalid_property(format!(
                "The {name} '{shown}' must be at midnight UTC (00:00:00Z) for daily aggregation."
            )))
        }
        _ => Ok(()),
    }
}

fn query_key(api: UsageApi, path_subscription: &str, query: &UsageQuery, seed: u64) -> String {
    let text = format!(
        "{api:?}|{}|{}|{}|{:?}|{:?}|{seed}",
        path_subscription.to_ascii_lowercase(),
        query.reported_start.timestamp(),
        query.reported_end.timestamp(),
        query.granularity,
        query.scope
    );
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TokenBody {
    v: u8,
    k: String,
    c: Cursor,
}

/// An opaque continuation token: base64 of the query key and the data set cursor.
pub fn encode_token(query_key: &str, cursor: Cursor) -> String {
    let body = TokenBody {
        v: 1,
        k: query_key.to_string(),
        c: cursor,
    };
    let json = serde_json::to_vec(&body).expect("a token body always serialises");
    base64::engine::general_purpose::STANDARD.encode(json)
}

fn decode_token(token: &str, query_key: &str) -> Result<Cursor, ArmError> {
    let invalid = || {
        ArmError::invalid_property(
            "The continuationToken does not belong to this query. Repeat the query it was issued for, or start again without a continuationToken.",
        )
    };
    // A token pasted back unescaped has its '+' turned into ' ' by form decoding.
    let token = token.trim().replace(' ', "+");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .map_err(|_| invalid())?;
    let body: TokenBody = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body.v != 1 || body.k != query_key {
        return Err(invalid());
    }
    Ok(body.c)
}

/// The nextLink: the caller's absolute URL as sent, with its own continuationToken replaced.
pub fn next_link(base: &str, path: &str, raw_query: &str, token: &str) -> String {
    let kept = raw_query_without(raw_query, "continuationToken");
    let encoded = percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC);
    let separator = if kept.is_empty() { "" } else { "&" };
    format!(
        "{}{path}?{kept}{separator}continuationToken={encoded}",
        base.trim_end_matches('/')
    )
}

/// Writes one page body: `{"value":[...]}` plus `nextLink` when more rows remain. Hand-assembled from
/// precomputed pieces: this loop is what bounds the emulator's rows per second.
pub fn render_page(
    api: UsageApi,
    rows: &[UsageRow<'_>],
    next_link: Option<&str>,
    out: &mut Vec<u8>,
) {
    let (namespace, row_type): (&[u8], &[u8]) = match api {
        UsageApi::Provider => (
            b"Microsoft.Commerce.Admin",
            b"Microsoft.Commerce.Admin/UsageAggregate",
        ),
        UsageApi::Tenant => (b"Microsoft.Commerce", b"Microsoft.Commerce/UsageAggregate"),
    };
    let mut quantity = String::with_capacity(24);
    out.extend_from_slice(b"{\"value\":[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let sub = row.subscription_id.as_bytes();
        let meter = row.meter_id.as_bytes();
        let parts: [&[u8]; 17] = [
            b"{\"id\":\"/subscriptions/",
            sub,
            b"/providers/",
            namespace,
            b"/UsageAggregate/",
            sub,
            b"-",
            meter,
            b"\",\"name\":\"",
            sub,
            b"-",
            meter,
            b"\",\"type\":\"",
            row_type,
            b"\",\"properties\":{\"subscriptionId\":\"",
            sub,
            b"\",\"usageStartTime\":\"",
        ];
        for part in parts {
            out.extend_from_slice(part);
        }
        write_time(out, row.usage_start);
        out.extend_from_slice(b"\",\"usageEndTime\":\"");
        write_time(out, row.usage_end);
        out.extend_from_slice(b"\",\"instanceData\":");
        out.extend_from_slice(row.instance_data_json.as_bytes());
        out.extend_from_slice(b",\"quantity\":");
        quantity.clear();
        format_quantity(row.quantity_micros, &mut quantity);
        out.extend_from_slice(quantity.as_bytes());
        out.extend_from_slice(b",\"meterId\":\"");
        out.extend_from_slice(meter);
        out.extend_from_slice(b"\"}}");
    }
    out.push(b']');
    if let Some(link) = next_link {
        out.extend_from_slice(b",\"nextLink\":");
        let _ = serde_json::to_writer(&mut *out, link);
    }
    out.push(b'}');
}

/// `2015-03-03T00:00:00+00:00`, the service's time format.
fn write_time(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let two = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let year = t.year().clamp(0, 9999) as u32;
    let [y1, y2] = two(year / 100);
    let [y3, y4] = two(year % 100);
    let [mo1, mo2] = two(t.month());
    let [d1, d2] = two(t.day());
    let [h1, h2] = two(t.hour());
    let [mi1, mi2] = two(t.minute());
    let [s1, s2] = two(t.second());
    out.extend_from_slice(&[
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2,
        b'+', b'0', b'0', b':', b'0', b'0',
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_time_formats() {
        let midnight = "2017-08-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for ok in [
            "2017-08-01T00:00:00Z",
            "2017-08-01T00:00:00.00Z",
            "2017-08-01T00:00:00.0000000Z",
            "2017-08-01T02:00:00+02:00",
            "2017-08-01T00:00:00",
            "2017-08-01",
        ] {
            assert_eq!(parse_reported_time(ok).unwrap(), midnight, "{ok}");
        }
        let err = parse_reported_time("2021-05-20T00:00:00.0000000 00:00").unwrap_err();
        assert_eq!(err.code, "InvalidProperty");
        assert_eq!(
            err.message,
            "The reported date time '2021-05-20T00:00:00.0000000 00:00' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ)."
        );
        assert!(parse_reported_time("20/08/2015 00:00:00").is_err());
    }

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_query() {
        let cursor = Cursor([1, 2, u64::MAX, 4]);
        let token = encode_token("abc", cursor);
        assert_eq!(decode_token(&token, "abc").unwrap(), cursor);
        assert_eq!(
            decode_token(&token, "abd").unwrap_err().code,
            "InvalidProperty"
        );
        assert_eq!(
            decode_token("not a token", "abc").unwrap_err().code,
            "InvalidProperty"
        );
        assert_eq!(
            decode_token(&token.replace('+', " "), "abc").unwrap(),
            cursor
        );
    }

    #[test]
    fn next_link_keeps_the_callers_encoding() {
        let link = next_link(
            "https://127.0.0.1:4000/",
            "/subscriptions/s/providers/Microsoft.Commerce/UsageAggregates",
            "api-version=2015-06-01-preview&reportedstartTime=2017-08-01T00%3a00%3a00Z&continuationToken=old",
            "ab+/=",
        );
        assert_eq!(
            link,
            "https://127.0.0.1:4000/subscriptions/s/providers/Microsoft.Commerce/UsageAggregates?api-version=2015-06-01-preview&reportedstartTime=2017-08-01T00%3a00%3a00Z&continuationToken=ab%2B%2F%3D"
        );
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    #[test]
    fn a_rendered_page_is_the_documented_json() {
        let start: DateTime<Utc> = "2015-03-03T00:00:00Z".parse().unwrap();
        let data = r#"{"Microsoft.Resources":{"resourceUri":"/subscriptions/s/resourceGroups/g/providers/P/t/n","location":"local","tags":null,"additionalInfo":"{\"ServiceType\":\"Standard_A1\"}"}}"#;
        let literal = serde_json::to_string(data).unwrap();
        let row = UsageRow {
            subscription_id: "sub1",
            meter_id: "meterID1",
            usage_start: start,
            usage_end: start + chrono::Days::new(1),
            quantity_micros: 2_400_000,
            instance_data: data,
            instance_data_json: &literal,
        };
        let mut out = Vec::new();
        render_page(
            UsageApi::Provider,
            &[row.clone(), row],
            Some("https://h/p?a=1&continuationToken=x"),
            &mut out,
        );
        let page: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let expected = serde_json::json!({
            "id": "/subscriptions/sub1/providers/Microsoft.Commerce.Admin/UsageAggregate/sub1-meterID1",
            "name": "sub1-meterID1",
            "type": "Microsoft.Commerce.Admin/UsageAggregate",
            "properties": {
                "subscriptionId": "sub1",
                "usageStartTime": "2015-03-03T00:00:00+00:00",
                "usageEndTime": "2015-03-04T00:00:00+00:00",
                "instanceData": data,
                "quantity": 2.4,
                "meterId": "meterID1"
            }
        });
        assert_eq!(page["value"][0], expected);
        assert_eq!(page["value"].as_array().unwrap().len(), 2);
        assert_eq!(page["nextLink"], "https://h/p?a=1&continuationToken=x");
        let mut empty = Vec::new();
        render_page(UsageApi::Tenant, &[], None, &mut empty);
        assert_eq!(empty, br#"{"value":[]}"#);
    }
}
