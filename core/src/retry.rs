//! Retry policy as the Azure SDKs apply it: exponential backoff with jitter on 408, 429, 500, 502, 503,
//! 504 and connection errors, honouring `Retry-After` and `x-ms-retry-after-ms`, bounded in count and in
//! total time.

use std::time::Duration;

/// How a request is retried. Non-exhaustive, so fields can be added: start from `RetryPolicy::default()`
/// and set the fields you need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubles each retry (with ±20% jitter).
    #[serde(with = "millis")]
    pub initial_delay: Duration,
    /// Cap on one delay (a longer Retry-After is still honoured up to `max_total`).
    #[serde(with = "millis")]
    pub max_delay: Duration,
    /// Cap on the total time spent waiting between attempts of one request.
    #[serde(with = "millis")]
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            max_total: Duration::from_secs(300),
        }
    }
}

/// Durations as whole milliseconds in JSON options (`"initial_delay": 800`).
mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(Duration::from_millis)
    }
}

impl RetryPolicy {
    /// Whether a response status is worth retrying.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// The delay before retry number `retry` (1-based), given what the server asked for.
    ///
    /// Backoff is `initial_delay * 2^(retry-1)` with ±20% jitter, capped at `max_delay`. A server's
    /// Retry-After wins when it is longer (the server knows when it will have capacity again), but never
    /// beyond `max_total`, so that a hostile or confused header cannot park the caller for hours.
    pub fn delay(&self, retry: u32, server_asked: Option<Duration>) -> Duration {
        self.delay_with_jitter(retry, server_asked, jitter_unit())
    }

    /// `delay` with the jitter drawn from `unit` (0..1), so the bounds can be tested exactly.
    fn delay_with_jitter(&self, retry: u32, server_asked: Option<Duration>, unit: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(62) as i32;
        let factor = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
        let seconds = self.initial_delay.as_secs_f64() * 2f64.powi(exponent) * factor;
        let max_delay = self.max_delay;
        let backoff = Duration::try_from_secs_f64(seconds)
            .unwrap_or(max_delay)
            .min(max_delay);
        match server_asked {
            Some(asked) => asked.max(backoff).min(self.max_total),
            None => backoff,
        }
    }
}

/// Why an attempt failed in a way worth another: the log names it.
pub(crate) enum Cause<'a> {
    /// A complete answer with a retryable status.
    Status(u16),
    /// No usable answer: what kind of failure (`timeout`, `connection`, `truncated body`, ...) and the
    /// error's own words.
    Transport { kind: &'static str, detail: &'a str },
}

impl std::fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Status(status) => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason());
                match reason {
                    Some(reason) => write!(f, "HTTP {status} {reason}"),
                    None => write!(f, "HTTP {status}"),
                }
            }
            Cause::Transport { kind, detail } => write!(f, "{kind} ({detail})"),
        }
    }
}

/// Logs (info) that `what` ("GET https://host/path", never a query: it may carry continuation tokens) is
/// retried after `cause`, as retry number `retry` of `max`, in `delay`.
pub(crate) fn log_retry(
    what: &str,
    cause: &Cause<'_>,
    retry: u32,
    max: u32,
    delay: Duration,
    server_asked: Option<Duration>,
) {
    let asked = match server_asked {
        Some(asked) => format!(" (the server asked for {} ms)", asked.as_millis()),
        None => String::new(),
    };
    log::info!(
        "{what}: {cause}; retry {retry} of {max} in {} ms{asked}",
        delay.as_millis()
    );
}

/// Logs (info) that `what` is not retried again after `cause`, and why.
pub(crate) fn log_giving_up(what: &str, cause: &Cause<'_>, attempts: u32, why: &str) {
    let plural = if attempts == 1 { "" } else { "s" };
    log::info!("{what}: {cause}; giving up after {attempts} attempt{plural} ({why})");
}

/// A number in [0, 1) that differs between calls and between processes. Jitter only has to spread clients
/// apart, not resist prediction, so the random bits of a v4 UUID are plenty.
fn jitter_unit() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    f64::from(n) / (f64::from(u32::MAX) + 1.0)
}

/// Reads `x-ms-retry-after-ms`, `retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
pub fn server_delay(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    server_delay_at(headers, chrono::Utc::now())
}

/// `server_delay` as seen at `now` (for dates in `Retry-After`).
fn server_delay_at(
    headers: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    for name in ["x-ms-retry-after-ms", "retry-after-ms"] {
        if let Some(ms) = text(name).and_then(parse_non_negative) {
            return Duration::try_from_secs_f64(ms / 1000.0).ok();
        }
    }
    let value = text("retry-after")?;
    if let Some(seconds) = parse_non_negative(value) {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = parse_http_date(value)?;
    // A date in the past means "now".
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

fn parse_non_negative(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// An HTTP date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, which RFC 2822 parsing covers) or one of the
/// two obsolete forms RFC 9110 still asks recipients to accept (RFC 850 and asctime).
fn parse_http_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    if let Ok(date) = chrono::DateTime::parse_from_rfc2822(text) {
        return Some(date.with_timezone(&Utc));
    }
    for format in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Utc.from_local_datetime(&naive).single();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn backoff_doubles_within_twenty_percent() {
        let p = policy();
        for (retry, base) in [(1u32, 800u128), (2, 1600), (3, 3200)] {
            assert_eq!(ms(p.delay_with_jitter(retry, None, 0.0)), base * 8 / 10);
            assert_eq!(ms(p.delay_with_jitter(retry, None, 0.5)), base);
            // The top of the range is exclusive; 0.999.. comes within a millisecond of it.
            assert!(ms(p.delay_with_jitter(retry, None, 0.9999)) <= base * 12 / 10);
            for _ in 0..50 {
                let d = ms(p.delay(retry, None));
                assert!(
                    (base * 8 / 10..=base * 12 / 10).contains(&d),
                    "retry {retry}: {d} ms"
                );
            }
        }
        // Retry 0 is treated as the first.
        assert_eq!(ms(p.delay_with_jitter(0, None, 0.5)), 800);
    }

    #[test]
    fn jitter_varies() {
        let p = policy();
        let delays: std::collections::HashSet<u128> =
            (0..20).map(|_| p.delay(1, None).as_micros()).collect();
        assert!(delays.len() > 1, "no jitter: {delays:?}");
    }

    #[test]
    fn capped_at_max_delay_even_for_huge_retry_numbers() {
        let p = policy();
        assert_eq!(p.delay_with_jitter(5, None, 0.5), Duration::from_secs(10));
        assert_eq!(
            p.delay_with_jitter(u32::MAX, None, 1.0),
            Duration::from_secs(10)
        );
        let huge = RetryPolicy {
            initial_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..policy()
        };
        assert_eq!(huge.delay_with_jitter(3, None, 1.0), Duration::MAX);
    }

    #[test]
    fn server_hint_wins_when_longer_but_not_beyond_max_total() {
        let p = policy();
        // Shorter than the backoff: the backoff stands.
        assert_eq!(
            p.delay_with_jitter(2, Some(Duration::from_millis(100)), 0.5),
            Duration::from_millis(1600)
        );
        // Longer than the backoff and than max_delay: honoured.
        assert_eq!(
            p.delay_with_jitter(1, Some(Duration::from_secs(30)), 0.5),
            Duration::from_secs(30)
        );
        // Beyond max_total: cut to max_total.
        assert_eq!(
            p.delay_with_jitter(1, Some(Duration::from_secs(3600)), 0.5),
            Duration::from_secs(60)
        );
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn server_delay_forms() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
        let at = |pairs: &[(&'static str, &str)]| server_delay_at(&headers(pairs), now);
        assert_eq!(at(&[]), None);
        assert_eq!(
            at(&[("x-ms-retry-after-ms", "1500"), ("retry-after", "9")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            at(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250))
        );
        // The millisecond headers win in order; an unreadable one is skipped.
        assert_eq!(
            at(&[("x-ms-retry-after-ms", "soon"), ("retry-after-ms", "20")]),
            Some(Duration::from_millis(20))
        );
        assert_eq!(at(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        assert_eq!(at(&[("retry-after", " 0 ")]), Some(Duration::ZERO));
        assert_eq!(
            at(&[("retry-after", "Mon, 05 Jan 2026 08:00:30 GMT")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            at(&[("retry-after", "Monday, 05-Jan-26 08:01:00 GMT")]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            at(&[("retry-after", "Mon Jan  5 08:00:05 2026")]),
            Some(Duration::from_secs(5))
        );
        // A date already past means no wait.
        assert_eq!(
            at(&[("retry-after", "Sun, 04 Jan 2026 08:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(at(&[("retry-after", "-3")]), None);
        assert_eq!(at(&[("retry-after", "later")]), None);
        assert_eq!(at(&[("x-ms-retry-after-ms", "NaN")]), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 501, 505] {
            assert!(!RetryPolicy::is_retryable_status(s), "{s}");
        }
    }
}
