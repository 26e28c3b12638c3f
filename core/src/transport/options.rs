//! What a caller sets about the HTTP client: trust, timeouts, retries, plain http, the user agent.

use std::path::PathBuf;
use std::time::Duration;

use crate::retry::RetryPolicy;

/// How the client reaches the endpoints: trust, timeouts, retries. Non-exhaustive, so fields can be added:
/// start from `TransportOptions::default()` and set the fields you need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TransportOptions {
    /// PEM file of extra CA certificates to trust besides the OS store (stamps often use an internal CA).
    pub ca_bundle: Option<PathBuf>,
    #[serde(with = "secs")]
    /// Timeout of establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Timeout of one request, body included.
    #[serde(with = "secs")]
    pub read_timeout: Duration,
    /// When and how often failed requests are retried.
    pub retry: RetryPolicy,
    /// Allow plain http:// to hosts other than loopback.
    pub allow_http: bool,
    /// Appended to the user agent (e.g. "AzsBilling-PowerShell/0.1.0").
    pub user_agent_suffix: Option<String>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            ca_bundle: None,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            allow_http: false,
            user_agent_suffix: None,
        }
    }
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = <f64 as serde::Deserialize>::deserialize(d)?;
        if !(secs.is_finite() && secs > 0.0) {
            return Err(serde::de::Error::custom(
                "a timeout is a positive number of seconds",
            ));
        }
        Ok(Duration::from_secs_f64(secs))
    }
}

/// The user agent: `azs-billing/<version> (<os>; <arch>)`, then the caller's suffix.
pub(crate) fn user_agent(suffix: Option<&str>) -> String {
    let mut agent = format!(
        "azs-billing/{} ({}; {})",
        crate::VERSION,
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Some(suffix) = suffix.map(str::trim).filter(|s| !s.is_empty()) {
        agent.push(' ');
        agent.push_str(suffix);
    }
    agent
}
