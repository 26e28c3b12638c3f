//! Retry policy as the Azure SDKs apply it: exponential backoff with jitter on 408, 429, 500, 502, 503,
//! 504 and connection errors, honouring `Retry-After` and `x-ms-retry-after-ms`, bounded in count and in
//! total time.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    pub fn delay(&self, _retry: u32, _server_asked: Option<Duration>) -> Duration {
        unimplemented!()
    }
}

/// Reads `x-ms-retry-after-ms`, `retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
pub fn server_delay(_headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    unimplemented!()
}
