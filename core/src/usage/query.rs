//! A usage query, validated locally with the service's own rules before anything is sent.

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};
use url::Url;
use uuid::Uuid;

use crate::arm::{self, arm_base, encode_query};
use crate::error::{Error, Result};
use crate::usage::API_VERSION;

/// Which usage API a query reads: the provider's view of its tenants or a tenant's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UsageApi {
    /// Admin endpoint: usage of the provider subscription's direct tenants.
    Provider,
    /// Tenant endpoint: one subscription's own usage.
    Tenant,
}

/// How finely the service aggregates usage records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Granularity {
    /// One record per meter and day (UTC).
    #[default]
    Daily,
    /// One record per meter and hour.
    Hourly,
}

impl Granularity {
    /// The `aggregationGranularity` value: "Daily" or "Hourly".
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Daily => "Daily",
            Granularity::Hourly => "Hourly",
        }
    }
}

impl UsageApi {
    /// The resource path after `/subscriptions/{id}/providers/`.
    pub fn resource_path(self) -> &'static str {
        match self {
            UsageApi::Provider => "Microsoft.Commerce.Admin/subscriberUsageAggregates",
            UsageApi::Tenant => "Microsoft.Commerce/usageAggregates",
        }
    }
}

/// A usage aggregates request: which API, subscription, reported window and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// The provider or the tenant API.
    pub api: UsageApi,
    /// Provider: the Default Provider Subscription; tenant: the subscription whose usage is read.
    pub subscription_id: String,
    /// Reported time, inclusive. Any offset is accepted; it is normalised to UTC.
    pub reported_start: DateTime<Utc>,
    /// Reported time, exclusive.
    pub reported_end: DateTime<Utc>,
    /// Daily or hourly records.
    pub granularity: Granularity,
    /// Provider API only: one direct tenant subscription.
    pub subscriber_id: Option<String>,
    /// Resume a query where a previous page left off.
    pub continuation_token: Option<String>,
}

/// How times go on the wire and into messages: UTC with `Z`, whole seconds.
const WIRE_TIME: &str = "%Y-%m-%dT%H:%M:%SZ";
/// Times in messages keep any fraction, since a fraction is what makes a time unaligned.
const SHOWN_TIME: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

impl UsageQuery {
    /// The service's rules, checked locally: subscription ids are GUIDs (subscriber id provider-only),
    /// start < end, end not after `now`, both on a UTC hour (hourly) or UTC midnight (daily). Errors name
    /// the parameter and the fix.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        self.subscription_guid()?;
        self.subscriber_guid()?;

        let start = self.reported_start;
        let end = self.reported_end;
        if start >= end {
            return Err(Error::invalid(
                "reportedStartTime",
                format!(
                    "{} is not before the end {}; the start is inclusive and the end exclusive, so give a start earlier than the end (e.g. one {} before it).",
                    start.format(SHOWN_TIME),
                    end.format(SHOWN_TIME),
                    match self.granularity {
                        Granularity::Daily => "day",
                        Granularity::Hourly => "hour",
                    }
                ),
            ));
        }
        if end > now {
            return Err(Error::invalid(
                "reportedEndTime",
                format!(
                    "{} is in the future (it is now {}); the usage service can't report time that hasn't happened yet. Use an end no later than now, e.g. {}.",
                    end.format(SHOWN_TIME),
                    now.format(WIRE_TIME),
                    aligned_floor(now, self.granularity).format(WIRE_TIME),
                ),
            ));
        }
        check_alignment("reportedStartTime", start, self.granularity)?;
        check_alignment("reportedEndTime", end, self.granularity)?;
        Ok(())
    }

    /// The first page's URL on `arm`, times sent as `YYYY-MM-DDTHH:MM:SSZ` and every value escaped.
    pub fn url(&self, arm: &Url) -> Result<Url> {
        let subscription = self.subscription_guid()?;
        let subscriber = self.subscriber_guid()?;
        let mut text = arm_base(arm)?;
        text.push_str(&format!(
            "subscriptions/{subscription}/providers/{}",
            self.api.resource_path()
        ));
        let start = self.reported_start.format(WIRE_TIME).to_string();
        let end = self.reported_end.format(WIRE_TIME).to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("api-version", API_VERSION),
            ("reportedStartTime", &start),
            ("reportedEndTime", &end),
            ("aggregationGranularity", self.granularity.as_str()),
        ];
        let subscriber = subscriber.map(|s| s.to_string());
        if let Some(subscriber) = &subscriber {
            params.push(("subscriberId", subscriber));
        }
        if let Some(token) = non_empty(&self.continuation_token) {
            params.push(("continuationToken", token));
        }
        text.push('?');
        text.push_str(&encode_query(&params));
        Url::parse(&text).map_err(|e| {
            Error::invalid(
                "resourceManager",
                format!("the usage URL {text} is not valid: {e}"),
            )
        })
    }

    /// The subscription id as a GUID (sent hyphenated, lower case, whatever spelling was given).
    fn subscription_guid(&self) -> Result<Uuid> {
        parse_guid("subscriptionId", &self.subscription_id).map_err(|message| {
            let whose = match self.api {
                UsageApi::Provider => {
                    "the provider subscription (the Default Provider Subscription for the operator)"
                }
                UsageApi::Tenant => "the tenant subscription whose usage you want",
            };
            Error::invalid(
                "subscriptionId",
                format!("{message}; give the id of {whose}."),
            )
        })
    }

    /// The subscriber id, when one is given (empty counts as absent, as the service drops empty optional
    /// parameters): provider API only, and a GUID.
    fn subscriber_guid(&self) -> Result<Option<Uuid>> {
        let Some(subscriber) = non_empty(&self.subscriber_id) else {
            return Ok(None);
        };
        if self.api == UsageApi::Tenant {
            return Err(Error::invalid(
                "subscriberId",
                "only the provider API (Microsoft.Commerce.Admin) filters by subscriber; for the tenant API leave it out and put the subscription in subscriptionId instead.",
            ));
        }
        parse_guid("subscriberId", subscriber)
            .map(Some)
            .map_err(|message| {
                Error::invalid(
                    "subscriberId",
                    format!(
                        "{message}; give the id of one direct tenant subscription, or leave it out for all of them."
                    ),
                )
            })
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

fn parse_guid(what: &str, value: &str) -> std::result::Result<Uuid, String> {
    arm::parse_guid(value).ok_or_else(|| {
        format!("'{value}' is not a GUID ({what} looks like 8f9e1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b)")
    })
}

/// `time` rounded down to the hour (hourly) or to midnight UTC (daily).
fn aligned_floor(time: DateTime<Utc>, granularity: Granularity) -> DateTime<Utc> {
    let step = match granularity {
        Granularity::Hourly => Duration::hours(1),
        Granularity::Daily => Duration::days(1),
    };
    // Rounding only fails for times near the ends of chrono's range; then the time is shown as it is.
    time.duration_trunc(step).unwrap_or(time)
}

/// `time + step` as shown in messages; at the end of chrono's range, the time itself.
fn later(time: DateTime<Utc>, step: Duration) -> String {
    time.checked_add_signed(step)
        .unwrap_or(time)
        .format(WIRE_TIME)
        .to_string()
}

fn check_alignment(
    what: &'static str,
    time: DateTime<Utc>,
    granularity: Granularity,
) -> Result<()> {
    let on_hour = time.minute() == 0 && time.second() == 0 && time.nanosecond() == 0;
    let floor = aligned_floor(time, granularity);
    match granularity {
        Granularity::Hourly if !on_hour => Err(Error::invalid(
            what,
            format!(
                "{} is not on the hour; hourly queries need times like {} (UTC), e.g. {} or {}. A local time converted to UTC lands off the hour in zones with a :30 or :45 offset, so give the time in UTC.",
                time.format(SHOWN_TIME),
                floor.format("%H:%M:%SZ"),
                floor.format(WIRE_TIME),
                later(floor, Duration::hours(1)),
            ),
        )),
        Granularity::Daily if !on_hour || time.hour() != 0 => Err(Error::invalid(
            what,
            format!(
                "{} is not at midnight UTC; daily queries need times like {} (00:00:00Z, UTC), e.g. {} or {}. A local midnight converted to UTC lands at another hour (here {}) unless your zone is UTC, so give midnight in UTC, or use hourly granularity.",
                time.format(SHOWN_TIME),
                floor.format(WIRE_TIME),
                floor.format(WIRE_TIME),
                later(floor, Duration::days(1)),
                time.format("%H:%M:%S%.fZ"),
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;

    const SUB: &str = "20ff7fc3-e762-44dd-bd96-b71116dcdc23";
    const TENANT: &str = "5144634d-7e4d-443b-a304-d27e44220fc6";

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn query(granularity: Granularity, start: &str, end: &str) -> UsageQuery {
        UsageQuery {
            api: UsageApi::Provider,
            subscription_id: SUB.to_string(),
            reported_start: utc(start),
            reported_end: utc(end),
            granularity,
            subscriber_id: None,
            continuation_token: None,
        }
    }

    fn now() -> DateTime<Utc> {
        utc("2026-01-06T13:47:12Z")
    }

    fn invalid(q: &UsageQuery) -> (&'static str, String) {
        match q.validate(now()) {
            Err(Error::InvalidArgument { what, message }) => (what, message),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn aligned_queries_pass() {
        let daily = query(
            Granularity::Daily,
            "2026-01-01T00:00:00Z",
            "2026-01-06T00:00:00Z",
        );
        daily.validate(now()).expect("daily");
        let hourly = query(
            Granularity::Hourly,
            "2026-01-06T10:00:00Z",
            "2026-01-06T13:00:00Z",
        );
        hourly.validate(now()).expect("hourly");
        // End exactly now is allowed.
        let q = query(
            Granularity::Hourly,
            "2026-01-06T12:00:00Z",
            "2026-01-06T13:00:00Z",
        );
        q.validate(utc("2026-01-06T13:00:00Z")).expect("end == now");
    }

    #[test]
    fn subscription_ids_are_guids() {
        let mut q = query(
            Granularity::Daily,
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
        );
        q.subscription_id = "Default Provider Subscription".into();
        let (what, message) = invalid(&q);
        assert_eq!(what, "subscriptionId");
        assert!(message.contains("is not a GUID"), "{message}");
        assert!(
            message.contains("Default Provider Subscription"),
            "{message}"
        );

        q.subscription_id = SUB.to_string();
        q.subscriber_id = Some("tenant1".into());
        let (what, message) = invalid(&q);
        assert_eq!(what, "subscriberId");
        assert!(message.contains("'tenant1' is not a GUID"), "{message}");

        q.subscriber_id = Some(TENANT.into());
        q.validate(now()).expect("provider with subscriber");
        q.subscriber_id = Some(String::new());
        q.validate(now()).expect("empty subscriber is absent");

        q.api = UsageApi::Tenant;
        q.subscriber_id = Some(TENANT.into());
        let (what, message) = invalid(&q);
        assert_eq!(what, "subscriberId");
        assert!(message.contains("only the provider API"), "{message}");
        q.subscriber_id = None;
        q.validate(now()).expect("tenant");
    }

    #[test]
    fn start_before_end() {
        let q = query(
            Granularity::Daily,
            "2026-01-02T00:00:00Z",
            "2026-01-02T00:00:00Z",
        );
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedStartTime");
        assert!(message.contains("not before the end"), "{message}");
        let q = query(
            Granularity::Hourly,
            "2026-01-02T05:00:00Z",
            "2026-01-02T04:00:00Z",
        );
        assert_eq!(invalid(&q).0, "reportedStartTime");
    }

    #[test]
    fn end_not_in_future() {
        let q = query(
            Granularity::Hourly,
            "2026-01-06T12:00:00Z",
            "2026-01-06T14:00:00Z",
        );
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedEndTime");
        assert!(message.contains("in the future"), "{message}");
        assert!(
            message.contains("2026-01-06T13:00:00Z"),
            "suggests the last hour: {message}"
        );
        let q = query(
            Granularity::Daily,
            "2026-01-05T00:00:00Z",
            "2026-01-07T00:00:00Z",
        );
        let (_, message) = invalid(&q);
        assert!(
            message.contains("2026-01-06T00:00:00Z"),
            "suggests last midnight: {message}"
        );
    }

    #[test]
    fn hourly_times_on_the_hour() {
        let q = query(
            Granularity::Hourly,
            "2026-01-06T10:30:00Z",
            "2026-01-06T13:00:00Z",
        );
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedStartTime");
        assert!(
            message.starts_with("2026-01-06T10:30:00Z is not on the hour; hourly queries need times like 10:00:00Z (UTC)"),
            "{message}"
        );
        assert!(message.contains("local time converted to UTC"), "{message}");

        let q = query(
            Granularity::Hourly,
            "2026-01-06T10:00:00Z",
            "2026-01-06T12:00:01Z",
        );
        let (what, _) = invalid(&q);
        assert_eq!(what, "reportedEndTime");

        let mut q = query(
            Granularity::Hourly,
            "2026-01-06T10:00:00Z",
            "2026-01-06T12:00:00Z",
        );
        q.reported_end += Duration::nanoseconds(1);
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedEndTime");
        assert!(
            message.starts_with("2026-01-06T12:00:00.000000001Z"),
            "{message}"
        );
    }

    #[test]
    fn daily_times_at_midnight() {
        let q = query(
            Granularity::Daily,
            "2026-01-01T01:00:00Z",
            "2026-01-06T00:00:00Z",
        );
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedStartTime");
        assert!(message.contains("not at midnight UTC"), "{message}");
        assert!(message.contains("2026-01-01T00:00:00Z"), "{message}");
        let q = query(
            Granularity::Daily,
            "2026-01-01T00:00:00Z",
            "2026-01-05T00:00:30Z",
        );
        assert_eq!(invalid(&q).0, "reportedEndTime");
    }

    #[test]
    fn local_times_are_judged_in_utc() {
        // Local midnight in UTC+02:00 is 22:00 UTC: aligned for hourly, not for daily.
        let plus_two = FixedOffset::east_opt(2 * 3600).expect("offset");
        let start = plus_two
            .with_ymd_and_hms(2026, 1, 2, 0, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        let end = plus_two
            .with_ymd_and_hms(2026, 1, 3, 0, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        let mut q = query(
            Granularity::Hourly,
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
        );
        q.reported_start = start;
        q.reported_end = end;
        q.validate(now()).expect("hourly from +02:00 midnight");
        q.granularity = Granularity::Daily;
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedStartTime");
        assert!(
            message.starts_with("2026-01-01T22:00:00Z is not at midnight UTC"),
            "{message}"
        );
        assert!(message.contains("(here 22:00:00Z)"), "{message}");

        // Local 09:00 in UTC+05:30 is 03:30 UTC: off the hour.
        let india = FixedOffset::east_opt(5 * 3600 + 1800).expect("offset");
        q.granularity = Granularity::Hourly;
        q.reported_start = india
            .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        q.reported_end = utc("2026-01-06T00:00:00Z");
        let (what, message) = invalid(&q);
        assert_eq!(what, "reportedStartTime");
        assert!(
            message.starts_with("2026-01-05T03:30:00Z is not on the hour"),
            "{message}"
        );
        assert!(message.contains("UTC"), "{message}");
        // 10:00 +05:30 is 04:30Z; 10:30 +05:30 is 05:00Z, on the hour.
        q.reported_start = india
            .with_ymd_and_hms(2026, 1, 5, 10, 30, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc);
        q.validate(now()).expect("05:00Z");
    }

    #[test]
    fn provider_url() {
        let arm = Url::parse("https://adminmanagement.local.azurestack.external/").expect("url");
        let mut q = query(
            Granularity::Daily,
            "2026-01-01T00:00:00Z",
            "2026-01-06T00:00:00Z",
        );
        assert_eq!(
            q.url(&arm).expect("url").as_str(),
            "https://adminmanagement.local.azurestack.external/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00%3A00%3A00Z&reportedEndTime=2026-01-06T00%3A00%3A00Z&aggregationGranularity=Daily"
        );
        q.granularity = Granularity::Hourly;
        q.subscriber_id = Some(TENANT.to_uppercase());
        q.continuation_token = Some("eyJyIjoi+MjAx/NTA=".into());
        let url = q.url(&arm).expect("url");
        assert_eq!(
            url.query(),
            Some(
                "api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00%3A00%3A00Z&reportedEndTime=2026-01-06T00%3A00%3A00Z&aggregationGranularity=Hourly&subscriberId=5144634d-7e4d-443b-a304-d27e44220fc6&continuationToken=eyJyIjoi%2BMjAx%2FNTA%3D"
            )
        );
        assert!(!url.as_str().contains('+'));
        // The token comes back out exactly as given.
        let token = url
            .query_pairs()
            .find(|(k, _)| k == "continuationToken")
            .map(|(_, v)| v.into_owned());
        assert_eq!(token.as_deref(), Some("eyJyIjoi+MjAx/NTA="));
    }

    #[test]
    fn tenant_url_and_odd_inputs() {
        // A Resource Manager URL without its trailing slash, with a path prefix, and a braced GUID.
        let arm = Url::parse("https://127.0.0.1:4443/stamp").expect("url");
        let q = UsageQuery {
            api: UsageApi::Tenant,
            subscription_id: format!("{{{}}}", SUB.to_uppercase()),
            reported_start: utc("2026-01-06T02:00:00+02:00"),
            reported_end: utc("2026-01-06T03:00:00+02:00"),
            granularity: Granularity::Hourly,
            subscriber_id: None,
            continuation_token: Some(String::new()),
        };
        assert_eq!(
            q.url(&arm).expect("url").as_str(),
            "https://127.0.0.1:4443/stamp/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Commerce/usageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-06T00%3A00%3A00Z&reportedEndTime=2026-01-06T01%3A00%3A00Z&aggregationGranularity=Hourly"
        );
        let mut bad = q.clone();
        bad.subscription_id = "x/../y".into();
        assert!(matches!(
            bad.url(&arm),
            Err(Error::InvalidArgument {
                what: "subscriptionId",
                ..
            })
        ));
        let not_base = Url::parse("mailto:ops@example.com").expect("url");
        assert!(matches!(
            q.url(&not_base),
            Err(Error::InvalidArgument {
                what: "resourceManager",
                ..
            })
        ));
    }
}
