//! HTTP: reqwest (blocking) over rustls with the OS trust store plus an optional extra CA bundle, proxies
//! from the usual environment variables, timeouts, a user agent naming the library, retries, and errors
//! that carry the service's code, message and request ids. Plain `http://` is refused for anything but
//! loopback unless explicitly allowed.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::Result;
use crate::retry::RetryPolicy;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransportOptions {
    /// PEM file of extra CA certificates to trust besides the OS store (stamps often use an internal CA).
    pub ca_bundle: Option<PathBuf>,
    #[serde(with = "secs")]
    pub connect_timeout: Duration,
    /// Timeout of one request, body included.
    #[serde(with = "secs")]
    pub read_timeout: Duration,
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

/// A successful response, body read in full.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// How the caller authenticates one request.
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
}

pub struct Transport {
    _private: (),
}

impl Transport {
    pub fn new(_options: &TransportOptions) -> Result<Transport> {
        unimplemented!()
    }

    pub fn options(&self) -> &TransportOptions {
        unimplemented!()
    }

    /// Refuses http:// URLs to non-loopback hosts unless allowed, before anything is sent.
    pub fn check_url(&self, _url: &Url) -> Result<()> {
        unimplemented!()
    }

    /// GET with retries. A 2xx whose body cannot be read in full (connection dropped) or, when `json` is
    /// true, does not parse as JSON (truncated), is retried like a connection error: the request is
    /// idempotent. Non-2xx after retries becomes `Error::Service` with the ARM error body's code and message
    /// (`{"error":{"code","message"}}` or a bare `{"code","message"}`) and the request ids.
    pub fn get(&self, _url: &Url, _auth: Auth<'_>, _json: bool) -> Result<Response> {
        unimplemented!()
    }

    /// POST of a form (token endpoints), with retries on retryable statuses and connection errors.
    /// Errors keep the OAuth body's `error` and `error_description` as code and message.
    pub fn post_form(&self, _url: &Url, _form: &[(&str, &str)]) -> Result<Response> {
        unimplemented!()
    }
}
