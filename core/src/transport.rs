//! HTTP: reqwest (blocking) over rustls with the OS trust store plus an optional extra CA bundle, proxies
//! from the usual environment variables, timeouts, a user agent naming the library, retries, and errors
//! that carry the service's code, message and request ids. Plain `http://` is refused for anything but
//! loopback unless explicitly allowed.

pub(crate) mod pem;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use url::{Host, Url};
use zeroize::Zeroize;

use crate::error::{BoxedSource, Error, Result, ServiceError};
use crate::retry::{self, RetryPolicy};

/// How the client reaches the endpoints: trust, timeouts, retries. Non-exhaustive, so fields can be added:
/// start from `TransportOptions::default()` and set the fields you need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
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
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// The body is left out: token responses carry access and refresh tokens.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Response {
    /// The body as `T`; a body of another shape is `Error::UnexpectedResponse`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::UnexpectedResponse(format!("the response body is not the expected JSON: {e}"))
        })
    }

    /// A response header as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// How the caller authenticates one request.
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// HTTP Basic (the emulated privileged endpoint).
    Basic {
        username: &'a str,
        password: &'a str,
    },
}

/// The verbs the library sends besides form POSTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Patch,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

pub struct Transport {
    options: TransportOptions,
    http: reqwest::blocking::Client,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The user agent: `azs-billing/<version> (<os>; <arch>)`, then the caller's suffix.
pub fn user_agent(suffix: Option<&str>) -> String {
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

impl Transport {
    pub fn new(options: &TransportOptions) -> Result<Transport> {
        Transport::with_proxy_env(options, &ProxyEnv::from_process())
    }

    fn with_proxy_env(options: &TransportOptions, proxy_env: &ProxyEnv) -> Result<Transport> {
        if options.connect_timeout.is_zero() || options.read_timeout.is_zero() {
            return Err(Error::invalid(
                "transport",
                "connect_timeout and read_timeout must be longer than zero",
            ));
        }
        let agent = user_agent(options.user_agent_suffix.as_deref());
        let agent = HeaderValue::from_str(&agent).map_err(|_| {
            Error::invalid(
                "user_agent_suffix",
                "contains characters that cannot be sent in an HTTP header (use printable ASCII)",
            )
        })?;
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(agent)
            .connect_timeout(options.connect_timeout)
            .timeout(options.read_timeout)
            // Resource Manager does not redirect API calls, and following a redirect could carry the bearer
            // token to a host nobody chose (the Azure SDKs turn redirects off for the same reason).
            .redirect(reqwest::redirect::Policy::none());
        for name in LOCALHOST_NAMES {
            // Resolved here, not by the system resolver: `is_loopback` let plain http through for this
            // name on the promise that it is this machine.
            builder = builder.resolve_to_addrs(name, &LOCALHOST_ADDRESSES);
        }
        if let Some(path) = &options.ca_bundle {
            // Merged with, not instead of, the OS store: the same client may also talk to public Azure.
            builder = builder.tls_certs_merge(read_ca_bundle(path)?);
        }
        let proxies = proxies(proxy_env)?;
        if proxies.is_empty() {
            builder = builder.no_proxy();
        }
        for proxy in proxies {
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| {
            Error::transport(
                format!("cannot set up the HTTP client: {}", error_chain(&e)),
                e,
            )
        })?;
        Ok(Transport {
            options: options.clone(),
            http,
        })
    }

    pub fn options(&self) -> &TransportOptions {
        &self.options
    }

    /// Refuses http:// URLs to non-loopback hosts unless allowed, before anything is sent.
    pub fn check_url(&self, url: &Url) -> Result<()> {
        check_url_with(url, self.options.allow_http)
    }

    /// GET with retries. A 2xx whose body cannot be read in full (connection dropped) or, when `json` is
    /// true, does not parse as JSON (truncated), is retried like a connection error: the request is
    /// idempotent. Non-2xx after retries becomes `Error::Service` with the ARM error body's code and message
    /// (`{"error":{"code","message"}}` or a bare `{"code","message"}`) and the request ids.
    pub fn get(&self, url: &Url, auth: Auth<'_>, json: bool) -> Result<Response> {
        self.send(
            url,
            &Request::Http {
                method: Method::Get,
                auth,
                body: None,
                json,
            },
        )
    }

    /// Any verb with an optional JSON body, through the same retries and error parsing as `get`. Writes are
    /// retried too: the operations this library sends (ARM PUT/PATCH/DELETE, ARM actions, privileged
    /// endpoint commands) are idempotent or converge when repeated, as the original tooling assumes when it
    /// retries every step. The answer's body is not checked for JSON here (a DELETE or 204 has none); the
    /// caller parses it.
    pub fn send_json(
        &self,
        method: Method,
        url: &Url,
        auth: Auth<'_>,
        body: Option<&serde_json::Value>,
    ) -> Result<Response> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::invalid("body", format!("cannot be serialised as JSON ({e})")))?;
        self.send(
            url,
            &Request::Http {
                method,
                auth,
                body: body.as_deref(),
                json: false,
            },
        )
    }

    /// POST of a form (token endpoints), with retries on retryable statuses and connection errors.
    /// Errors keep the OAuth body's `error` and `error_description` as code and message. A 4xx is the
    /// identity provider refusing the request: `Error::Authentication`; other statuses are `Error::Service`.
    pub fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> Result<Response> {
        self.send(url, &Request::PostForm(form))
    }

    fn send(&self, url: &Url, request: &Request<'_>) -> Result<Response> {
        self.check_url(url)?;
        let policy = &self.options.retry;
        // One id for the call and all its retries (the Azure SDKs set it per call, before their retry
        // policy), so the service's logs tie the attempts together.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut waited = Duration::ZERO;
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            let (failure, server_asked) = match self.attempt(url, request, &client_request_id) {
                Ok(response) => return Ok(response),
                Err(Failure::Permanent(error)) => return Err(error),
                Err(Failure::Status(response)) => {
                    if !RetryPolicy::is_retryable_status(response.status) {
                        return Err(refusal(request, &response));
                    }
                    let asked = retry::server_delay(&response.headers);
                    (Failure::Status(response), asked)
                }
                Err(failure @ Failure::Transient { .. }) => (failure, None),
            };
            let what = format!("{} {}", request.verb(), display_url(url));
            let cause = failure.cause();
            let why = if attempts <= policy.max_retries {
                let delay = policy.delay(attempts, server_asked);
                if waited.saturating_add(delay) <= policy.max_total {
                    retry::log_retry(
                        &what,
                        &cause,
                        attempts,
                        policy.max_retries,
                        delay,
                        server_asked,
                    );
                    std::thread::sleep(delay);
                    waited = waited.saturating_add(delay);
                    continue;
                }
                format!(
                    "waiting {} ms more would pass max_total, {} ms",
                    delay.as_millis(),
                    policy.max_total.as_millis()
                )
            } else {
                format!("max_retries is {}", policy.max_retries)
            };
            retry::log_giving_up(&what, &cause, attempts, &why);
            return Err(match failure {
                Failure::Status(response) => refusal(request, &response),
                Failure::Transient {
                    message,
                    unexpected,
                    source,
                    ..
                } => {
                    let text = format!(
                        "{} {} failed after {attempts} attempt{}: {message}",
                        request.verb(),
                        display_url(url),
                        if attempts == 1 { "" } else { "s" }
                    );
                    if unexpected {
                        Error::UnexpectedResponse(text)
                    } else {
                        Error::Transport {
                            message: text,
                            source,
                        }
                    }
                }
                Failure::Permanent(error) => error,
            });
        }
    }

    /// One attempt: a response with its body read in full, or why there is none.
    fn attempt(
        &self,
        url: &Url,
        request: &Request<'_>,
        client_request_id: &str,
    ) -> Result<Response, Failure> {
        let mut builder = match request {
            Request::Http {
                method, auth, body, ..
            } => {
                let builder = self.http.request(method.to_reqwest(), url.clone());
                let builder = match auth {
                    Auth::None => builder,
                    Auth::Bearer(token) => {
                        builder.header(AUTHORIZATION, bearer(token).map_err(Failure::Permanent)?)
                    }
                    Auth::Basic { username, password } => builder.header(
                        AUTHORIZATION,
                        basic(username, password).map_err(Failure::Permanent)?,
                    ),
                };
                match body {
                    Some(body) => builder
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.to_vec()),
                    None => builder,
                }
            }
            // Azure AD and AD FS correlate their logs by `client-request-id`.
            Request::PostForm(form) => self
                .http
                .post(url.clone())
                .form(form)
                .header("client-request-id", client_request_id),
        };
        builder = builder
            .header(ACCEPT, "application/json")
            .header("x-ms-client-request-id", client_request_id);

        let started = std::time::Instant::now();
        let response = builder.send().map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .map_err(|e| Failure::Transient {
                kind: "body cut short",
                message: format!("reading the response body: {}", error_chain(&e)),
                unexpected: false,
                source: Some(e.into()),
            })?
            .to_vec();
        log::trace!(
            "{} {}: HTTP {status}, {} bytes in {} ms",
            request.verb(),
            display_url(url),
            body.len(),
            started.elapsed().as_millis()
        );
        let response = Response {
            status,
            headers,
            body,
        };
        if !(200..300).contains(&status) {
            return Err(Failure::Status(Box::new(response)));
        }
        if request.expects_json()
            && let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&response.body)
        {
            // A body cut short is the network's fault and worth another try; one that is not JSON at all
            // is retried too (a proxy's error page may pass), but reported as the service's answer.
            return Err(if e.is_eof() {
                Failure::Transient {
                    kind: "truncated body",
                    message: format!("the response body ended early (truncated JSON: {e})"),
                    unexpected: false,
                    source: Some(e.into()),
                }
            } else {
                Failure::Transient {
                    kind: "non-JSON body",
                    message: format!("the response body is not JSON ({e})"),
                    unexpected: true,
                    source: Some(e.into()),
                }
            });
        }
        Ok(response)
    }
}

enum Request<'a> {
    Http {
        method: Method,
        auth: Auth<'a>,
        body: Option<&'a [u8]>,
        /// The 2xx body must be JSON (checked, and a truncated one retried).
        json: bool,
    },
    PostForm(&'a [(&'a str, &'a str)]),
}

impl Request<'_> {
    fn verb(&self) -> &'static str {
        match self {
            Request::Http { method, .. } => method.as_str(),
            Request::PostForm(_) => "POST",
        }
    }

    /// Token endpoints always answer JSON, so a form POST's answer is checked like a JSON GET's.
    fn expects_json(&self) -> bool {
        match self {
            Request::Http { json, .. } => *json,
            Request::PostForm(_) => true,
        }
    }
}

enum Failure {
    /// A complete non-2xx response.
    Status(Box<Response>),
    /// Worth another attempt: connection, timeout, body cut short. `kind` names which for the log;
    /// `unexpected`: report as `UnexpectedResponse` rather than `Transport` when attempts run out.
    Transient {
        kind: &'static str,
        message: String,
        unexpected: bool,
        /// The error behind `message`, kept as the final error's `source()`.
        source: Option<BoxedSource>,
    },
    /// Retrying cannot help (TLS trust, a header that cannot be sent).
    Permanent(Error),
}

impl Failure {
    /// What the retry log says about a retryable failure.
    fn cause(&self) -> retry::Cause<'_> {
        match self {
            Failure::Status(response) => retry::Cause::Status(response.status),
            Failure::Transient { kind, message, .. } => retry::Cause::Transport {
                kind,
                detail: message,
            },
            // Never retried (`send` returns it at once); named for completeness.
            Failure::Permanent(_) => retry::Cause::Transport {
                kind: "permanent failure",
                detail: "not retried",
            },
        }
    }
}

fn bearer(token: &str) -> Result<HeaderValue> {
    let mut text = format!("Bearer {}", token.trim());
    let value = HeaderValue::from_str(&text);
    text.zeroize();
    let mut value = value.map_err(|_| {
        Error::invalid(
            "access token",
            "contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// `Basic base64(user:password)`, marked sensitive so it never shows in reqwest's Debug output.
fn basic(username: &str, password: &str) -> Result<HeaderValue> {
    let mut plain = format!("{username}:{password}");
    let mut text = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(plain.as_bytes())
    );
    plain.zeroize();
    let value = HeaderValue::from_str(&text);
    text.zeroize();
    let mut value = value.map_err(|_| {
        Error::invalid(
            "credential",
            "the user name contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Sorts a failed send into worth-retrying or not.
fn classify(error: reqwest::Error) -> Failure {
    let message = error_chain(&error);
    if error.is_builder() {
        return Failure::Permanent(Error::transport(
            format!("the request could not be built: {message}"),
            error,
        ));
    }
    if is_tls_error(&error) {
        let hint = if message.contains("UnknownIssuer") {
            "; if the endpoint uses an internal CA (Azure Stack Hub usually does), pass its certificate in ca_bundle"
        } else {
            ""
        };
        return Failure::Permanent(Error::transport(format!("TLS: {message}{hint}"), error));
    }
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "body cut short"
    } else {
        "request failed"
    };
    Failure::Transient {
        kind,
        message,
        unexpected: false,
        source: Some(error.into()),
    }
}

/// A rustls error anywhere in the chain: certificate trust and protocol mismatches do not heal on retry.
fn is_tls_error(error: &reqwest::Error) -> bool {
    has_rustls_error(error)
}

fn has_rustls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // io::Error::source() skips the error it wraps, and tokio-rustls nests io::Errors, so look inside.
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        && has_rustls_error(inner)
    {
        return true;
    }
    error.source().is_some_and(has_rustls_error)
}

/// An error and its causes, joined with ": ", without the request URL (callers name it once).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let top = error.to_string();
    let top = match error.url() {
        Some(url) => top.replace(&format!(" for url ({url})"), ""),
        None => top,
    };
    parts.push(top);
    let mut current = std::error::Error::source(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// `scheme://host[:port]/path`, without the query (usage URLs carry long continuation tokens).
pub(crate) fn display_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// The error for a final non-2xx answer.
fn refusal(request: &Request<'_>, response: &Response) -> Error {
    let error = service_error(response);
    match request {
        Request::PostForm(_) if (400..500).contains(&response.status) => {
            Error::Authentication(error)
        }
        _ => Error::Service(error),
    }
}

/// Longest service message kept; the rest of an oversized answer is cut.
const MAX_MESSAGE_CHARS: usize = 2000;

/// Code, message and request ids of a refusal, from ARM (`{"error":{"code","message"}}`), a bare
/// `{"code","message"}`, or OAuth (`{"error","error_description"}`) bodies.
pub fn service_error(response: &Response) -> ServiceError {
    let body: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let text = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let field = |object: &serde_json::Value, names: &[&str]| {
        names.iter().find_map(|name| text(object.get(*name)))
    };
    let (code, message) = match &body {
        Some(body) => match body.get("error") {
            // `type` is the emulated privileged endpoint's exception type (`{"error":{"type","message"}}`).
            Some(inner @ serde_json::Value::Object(_)) => (
                field(inner, &["code", "Code", "type"]),
                field(inner, &["message", "Message"]),
            ),
            Some(serde_json::Value::String(code)) => (
                Some(code.trim().to_string()).filter(|c| !c.is_empty()),
                // Azure AD appends trace and correlation ids and a timestamp on further lines; the ids are
                // kept below, the timestamp is noise.
                field(body, &["error_description"])
                    .and_then(|d| d.lines().next().map(|l| l.trim().to_string())),
            ),
            _ => (
                field(body, &["code", "Code"]),
                field(body, &["message", "Message"]),
            ),
        },
        None => (None, None),
    };
    let header = |name: &str| {
        response
            .header(name)
            .map(str::to_string)
            .filter(|v| v.len() <= 200)
    };
    let from_body = |name: &str| body.as_ref().and_then(|b| text(b.get(name)));
    let message = message.map(|m| clean(&m)).unwrap_or_else(|| {
        reqwest::StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP status {}", response.status))
    });
    ServiceError {
        status: response.status,
        code: code.map(|c| clean(&c)),
        message,
        request_id: header("x-ms-request-id").or_else(|| from_body("trace_id")),
        correlation_id: header("x-ms-correlation-request-id")
            .or_else(|| from_body("correlation_id")),
    }
}

/// Service text made safe to show: no control characters, bounded length.
fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        out.push_str("...");
    }
    out.trim().to_string()
}

/// The rule `check_url` applies, for anything that validates URLs before a transport exists (custom
/// environments): http or https only, and plain http only to a loopback host unless `allow_http`.
pub fn check_url_with(url: &Url, allow_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(url) => {}
        "http" => {
            return Err(Error::invalid(
                "url",
                format!(
                    "{} uses plain http://, which is only allowed to a loopback address (localhost, 127.0.0.0/8, \
                     ::1; no other name, not even one under .localhost); use https://, or set allow_http to \
                     send requests and access tokens unencrypted",
                    url.origin().ascii_serialization()
                ),
            ));
        }
        other => {
            return Err(Error::invalid(
                "url",
                format!("'{other}:' URLs are not supported; use https://"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(Error::invalid("url", "the URL has no host"));
    }
    Ok(())
}

/// The URL's host is this machine by its literal form: `localhost`, 127.0.0.0/8 or ::1. A name under
/// `.localhost` is not: whatever resolves it (DNS, a hosts file) may answer any address, and plain http
/// would then carry tokens off the machine. `localhost` itself is pinned to loopback addresses in
/// `Transport::new`, so the decision made here is the address connected to.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => LOCALHOST_NAMES.contains(&name.to_ascii_lowercase().as_str()),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.to_canonical().is_loopback(),
        None => false,
    }
}

/// The host names taken as this machine (url lower-cases host names; the second is the fully qualified
/// form).
const LOCALHOST_NAMES: [&str; 2] = ["localhost", "localhost."];

/// Where `localhost` connects: IPv4 first (the emulator and most test servers listen there), then IPv6.
/// Port 0 stands for the URL's port.
const LOCALHOST_ADDRESSES: [std::net::SocketAddr; 2] = [
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0),
    std::net::SocketAddr::new(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 0),
];

/// Reads a PEM bundle of CA certificates; each must parse as X.509.
fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::file(
            path,
            format!("cannot read the CA bundle: {e}"),
            Some(e.into()),
        )
    })?;
    let mut certificates = Vec::new();
    for block in CertificateDer::pem_slice_iter(&bytes) {
        let block = block.map_err(|e| {
            Error::file(
                path,
                format!("not a PEM CA bundle: {}", pem::problem(&e)),
                Some(e.into()),
            )
        })?;
        let number = certificates.len() + 1;
        x509_parser::parse_x509_certificate(&block).map_err(|e| {
            Error::file(
                path,
                format!(
                    "certificate {number} of the CA bundle is not a valid X.509 certificate: {e}"
                ),
                Some(e.into()),
            )
        })?;
        let certificate = reqwest::Certificate::from_der(&block).map_err(|e| {
            Error::file(
                path,
                format!("certificate {number} of the CA bundle cannot be used: {e}"),
                Some(e.into()),
            )
        })?;
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err(Error::file(
            path,
            "the CA bundle holds no certificate (no '-----BEGIN CERTIFICATE-----' block)",
            None,
        ));
    }
    Ok(certificates)
}

/// Proxy settings from the environment, as curl reads them.
#[derive(Debug, Clone, Default)]
struct ProxyEnv {
    https: Option<String>,
    http: Option<String>,
    all: Option<String>,
    no: Option<String>,
    /// Running as a CGI script: HTTP_PROXY may come from a request's `Proxy:` header ("httpoxy").
    cgi: bool,
}

impl ProxyEnv {
    fn from_process() -> ProxyEnv {
        let var = |names: &[&str]| {
            names.iter().find_map(|name| {
                std::env::var(name)
                    .ok()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        ProxyEnv {
            https: var(&["HTTPS_PROXY", "https_proxy"]),
            http: var(&["HTTP_PROXY", "http_proxy"]),
            all: var(&["ALL_PROXY", "all_proxy"]),
            no: var(&["NO_PROXY", "no_proxy"]),
            cgi: std::env::var_os("REQUEST_METHOD").is_some(),
        }
    }
}

/// Hosts never sent through a proxy, whatever NO_PROXY says: a proxy cannot reach this machine's loopback
/// (and the emulator lives there).
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

/// Proxies for the environment's settings, most specific first (reqwest uses the first that matches).
/// reqwest's own environment proxy would do the same but also send loopback requests to the proxy.
fn proxies(env: &ProxyEnv) -> Result<Vec<reqwest::Proxy>> {
    if env.cgi {
        // Like hyper-util's system proxy: under CGI the variables cannot be trusted.
        return Ok(Vec::new());
    }
    let no_proxy = match env.no.as_deref() {
        Some(list) => format!("{list},{LOOPBACK_NO_PROXY}"),
        None => LOOPBACK_NO_PROXY.to_string(),
    };
    let mut out = Vec::new();
    type MakeProxy = fn(String) -> reqwest::Result<reqwest::Proxy>;
    let candidates: [(&Option<String>, &'static str, MakeProxy); 3] = [
        (&env.https, "HTTPS_PROXY", |u| reqwest::Proxy::https(u)),
        (&env.http, "HTTP_PROXY", |u| reqwest::Proxy::http(u)),
        (&env.all, "ALL_PROXY", |u| reqwest::Proxy::all(u)),
    ];
    for (value, name, make) in candidates {
        let Some(value) = value else { continue };
        // curl accepts "host:port"; url would read "host" as a scheme.
        let value = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        // The value is not echoed: proxy URLs often carry a password.
        let proxy = make(value).map_err(|_| {
            Error::invalid(
                name,
                "is not a usable proxy URL (http://host:port, socks5://host:port)",
            )
        })?;
        out.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
    }
    Ok(out)
}

/// A scripted plain-HTTP server for unit tests of the transport and of what is built on it.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use url::Url;

    /// Requests a scripted server received: head (lower-cased header names kept as sent) and body.
    pub(crate) type Seen = Arc<Mutex<Vec<(String, String)>>>;

    /// A plain-HTTP server on loopback that answers each connection with the next raw response, then
    /// closes it (so a short body is a dropped connection).
    pub(crate) fn serve(responses: Vec<String>) -> (Url, Seen) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let seen: Seen = Arc::default();
        let record = seen.clone();
        std::thread::spawn(move || {
            for response in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                record
                    .lock()
                    .unwrap()
                    .push((head, String::from_utf8_lossy(&body).into_owned()));
                let mut stream = reader.into_inner();
                let _ = stream.write_all(response.as_bytes());
                let _ = stream.flush();
            }
        });
        (url, seen)
    }

    /// The log records `body` makes on this thread, as (level, target, message). Tests run on threads of
    /// their own, so one test's records never reach another's capture.
    pub(crate) fn capture_logs(body: impl FnOnce()) -> Vec<(log::Level, String, String)> {
        CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            // Fails only if something else took the logger; then captures stay empty and the test says so.
            let _ = log::set_logger(&ThreadLogger);
            log::set_max_level(log::LevelFilter::Trace);
        });
        body();
        CAPTURE.with(|c| c.borrow_mut().take().unwrap_or_default())
    }

    thread_local! {
        static CAPTURE: std::cell::RefCell<Option<Vec<(log::Level, String, String)>>> =
            const { std::cell::RefCell::new(None) };
    }

    struct ThreadLogger;

    impl log::Log for ThreadLogger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            CAPTURE.with(|c| {
                if let Some(records) = c.borrow_mut().as_mut() {
                    records.push((
                        record.level(),
                        record.target().to_string(),
                        record.args().to_string(),
                    ));
                }
            });
        }

        fn flush(&self) {}
    }

    pub(crate) fn reply(status: &str, headers: &[&str], body: &str) -> String {
        let mut text = format!(
            "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for h in headers {
            text.push_str(h);
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
        text.push_str(body);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{capture_logs, reply, serve};
    use super::*;
    use reqwest::header::HeaderMap;
    use std::net::TcpListener;

    fn options(max_retries: u32) -> TransportOptions {
        TransportOptions {
            retry: RetryPolicy {
                max_retries,
                initial_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
                max_total: Duration::from_secs(5),
            },
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            ..TransportOptions::default()
        }
    }

    fn transport(options: &TransportOptions) -> Transport {
        Transport::with_proxy_env(options, &ProxyEnv::default()).unwrap()
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[test]
    fn retries_a_503_then_succeeds_and_sends_the_expected_headers() {
        let (base, seen) = serve(vec![
            reply(
                "503 Service Unavailable",
                &["retry-after-ms: 10"],
                r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#,
            ),
            reply(
                "200 OK",
                &["content-type: application/json"],
                r#"{"value":[]}"#,
            ),
        ]);
        let t = transport(&TransportOptions {
            user_agent_suffix: Some("AzsBilling-PowerShell/0.1.0".into()),
            ..options(3)
        });
        let url = base.join("subscriptions?api-version=1").unwrap();
        let mut response = None;
        let logs = capture_logs(|| response = Some(t.get(&url, Auth::Bearer("tok-123"), true)));
        let response = response.unwrap().unwrap();
        assert_eq!(response.status, 200);
        // One info record for the retry, under the retry module, naming the cause, the delay chosen and
        // what the server asked for.
        let retries: Vec<_> = logs
            .iter()
            .filter(|(level, target, _)| {
                *level == log::Level::Info && target == "azs_billing_core::retry"
            })
            .collect();
        assert_eq!(retries.len(), 1, "{logs:?}");
        let message = &retries[0].2;
        assert!(
            message.starts_with(&format!(
                "GET {}subscriptions: HTTP 503 Service Unavailable; retry 1 of 3 in ",
                base
            )),
            "{message}"
        );
        assert!(
            message.ends_with(" ms (the server asked for 10 ms)"),
            "{message}"
        );
        // Each attempt at trace, under the transport module.
        let attempts = logs
            .iter()
            .filter(|(level, target, _)| {
                *level == log::Level::Trace && target == "azs_billing_core::transport"
            })
            .count();
        assert_eq!(attempts, 2, "{logs:?}");
        assert!(
            !logs.iter().any(|(_, _, m)| m.contains("tok-123")),
            "{logs:?}"
        );
        assert_eq!(response.body, br#"{"value":[]}"#);
        let value: serde_json::Value = response.json().unwrap();
        assert_eq!(value["value"], serde_json::json!([]));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let ids: Vec<&str> = seen
            .iter()
            .map(|(head, _)| header(head, "x-ms-client-request-id").unwrap())
            .collect();
        assert_eq!(
            ids[0], ids[1],
            "one client request id for a call and its retries"
        );
        uuid::Uuid::parse_str(ids[0]).unwrap();
        let (next, seen_next) = serve(vec![reply("200 OK", &[], "{}")]);
        t.get(&next, Auth::None, true).unwrap();
        let next_id = seen_next.lock().unwrap()[0].0.clone();
        assert_ne!(
            header(&next_id, "x-ms-client-request-id"),
            Some(ids[0]),
            "a new id per call"
        );
        let head = &seen[0].0;
        assert!(
            head.starts_with("GET /subscriptions?api-version=1 HTTP/1.1"),
            "{head}"
        );
        assert_eq!(header(head, "accept"), Some("application/json"));
        assert_eq!(header(head, "authorization"), Some("Bearer tok-123"));
        let agent = header(head, "user-agent").unwrap();
        assert!(
            agent.starts_with(&format!("azs-billing/{} (", crate::VERSION)),
            "{agent}"
        );
        assert!(
            agent.contains(std::env::consts::OS) && agent.contains(std::env::consts::ARCH),
            "{agent}"
        );
        assert!(agent.ends_with(") AzsBilling-PowerShell/0.1.0"), "{agent}");
    }

    #[test]
    fn retries_run_out_into_a_service_error_with_the_arm_fields() {
        let throttled = reply(
            "429 Too Many Requests",
            &[
                "retry-after: 0",
                "x-ms-request-id: req-1",
                "x-ms-correlation-request-id: corr-1",
            ],
            r#"{"error":{"code":"SubscriptionRequestsThrottled","message":"Too many."}}"#,
        );
        let (base, seen) = serve(vec![throttled.clone(), throttled.clone(), throttled]);
        let err = transport(&options(2))
            .get(&base, Auth::None, true)
            .unwrap_err();
        assert_eq!(seen.lock().unwrap().len(), 3);
        let Error::Service(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.status, 429);
        assert_eq!(e.code.as_deref(), Some("SubscriptionRequestsThrottled"));
        assert_eq!(e.message, "Too many.");
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert_eq!(e.correlation_id.as_deref(), Some("corr-1"));
        assert_eq!(
            err.to_string(),
            "HTTP 429 SubscriptionRequestsThrottled: Too many. (request id req-1)"
        );
    }

    #[test]
    fn non_retryable_statuses_fail_at_once() {
        let (base, seen) = serve(vec![reply(
            "404 Not Found",
            &[],
            r#"{"code":"NotFound","message":"No route."}"#,
        )]);
        let err = transport(&options(3))
            .get(&base, Auth::None, true)
            .unwrap_err();
        assert_eq!(seen.lock().unwrap().len(), 1);
        let e = err.service_error().unwrap();
        assert_eq!(
            (e.status, e.code.as_deref(), e.message.as_str()),
            (404, Some("NotFound"), "No route.")
        );
        assert!(matches!(err, Error::Service(_)));

        // No error body: the status text.
        let (base, _) = serve(vec![reply("403 Forbidden", &[], "<html>no</html>")]);
        let err = transport(&options(0))
            .get(&base, Auth::None, true)
            .unwrap_err();
        let e = err.service_error().unwrap();
        assert_eq!(
            (e.status, e.code.as_deref(), e.message.as_str()),
            (403, None, "Forbidden")
        );
    }

    #[test]
    fn a_dropped_or_truncated_body_is_retried() {
        let dropped =
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"value\":"
                .to_string();
        let truncated = reply("200 OK", &[], "{\"value\":[1,");
        let (base, seen) = serve(vec![
            dropped,
            truncated,
            reply("200 OK", &[], "{\"value\":[1]}"),
        ]);
        let response = transport(&options(3)).get(&base, Auth::None, true).unwrap();
        assert_eq!(response.body, b"{\"value\":[1]}");
        assert_eq!(seen.lock().unwrap().len(), 3);

        // Without json, a short but complete body is the answer.
        let (base, _) = serve(vec![reply("200 OK", &[], "{\"value\":[1,")]);
        let response = transport(&options(3))
            .get(&base, Auth::None, false)
            .unwrap();
        assert_eq!(response.body, b"{\"value\":[1,");

        // Truncated every time: a transport error saying so, after the retries.
        let truncated = reply("200 OK", &[], "{\"value\":[1,");
        let (base, _) = serve(vec![truncated.clone(), truncated]);
        let err = transport(&options(1))
            .get(&base, Auth::None, true)
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert!(
            err.to_string().contains("truncated") && err.to_string().contains("2 attempts"),
            "{err}"
        );

        // Not JSON at all: reported as an unexpected response.
        let (base, _) = serve(vec![reply("200 OK", &[], "<html>proxy</html>")]);
        let err = transport(&options(0))
            .get(&base, Auth::None, true)
            .unwrap_err();
        assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    }

    #[test]
    fn connection_failures_become_transport_errors_after_retries() {
        // A port that was free a moment ago: nothing listens.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!(
            "http://127.0.0.1:{port}/metadata/endpoints?api-version=1&secret=x"
        ))
        .unwrap();
        let started = std::time::Instant::now();
        let mut result = None;
        let logs = capture_logs(|| {
            result = Some(transport(&options(2)).get(&url, Auth::Bearer("tok-xyz"), true))
        });
        let err = result.unwrap().unwrap_err();
        let messages: Vec<&str> = logs
            .iter()
            .filter(|(_, target, _)| target == "azs_billing_core::retry")
            .map(|(_, _, m)| m.as_str())
            .collect();
        let what = format!("GET http://127.0.0.1:{port}/metadata/endpoints: connection failed (");
        assert_eq!(
            messages.len(),
            3,
            "two retries, then giving up: {messages:?}"
        );
        assert!(messages[0].starts_with(&what) && messages[0].contains("; retry 1 of 2 in "));
        assert!(
            messages[1].contains("; retry 2 of 2 in "),
            "{}",
            messages[1]
        );
        assert!(
            messages[2].starts_with(&what)
                && messages[2].ends_with("; giving up after 3 attempts (max_retries is 2)"),
            "{}",
            messages[2]
        );
        assert!(
            !messages
                .iter()
                .any(|m| m.contains("secret=x") || m.contains("tok-xyz")),
            "{messages:?}"
        );
        let text = err.to_string();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert!(
            text.contains(&format!(
                "GET http://127.0.0.1:{port}/metadata/endpoints failed after 3 attempts"
            )),
            "{text}"
        );
        assert!(
            !text.contains("secret=x") && !text.contains("tok-xyz"),
            "{text}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn errors_keep_their_source() {
        use std::error::Error as _;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let refused = transport(&options(0))
            .get(&url, Auth::None, true)
            .unwrap_err();
        let source = refused
            .source()
            .expect("a refused connection keeps its cause");
        assert!(
            source.downcast_ref::<reqwest::Error>().is_some(),
            "{source:?}"
        );

        let missing = tempfile::tempdir().unwrap().path().join("missing.pem");
        let err = Transport::with_proxy_env(
            &TransportOptions {
                ca_bundle: Some(missing),
                ..options(0)
            },
            &ProxyEnv::default(),
        )
        .unwrap_err();
        let source = err.source().expect("a missing CA bundle keeps its cause");
        assert_eq!(
            source
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
            Some(std::io::ErrorKind::NotFound)
        );
    }

    #[test]
    fn retry_waits_stop_at_max_total() {
        let busy = reply("503 Service Unavailable", &["retry-after-ms: 10000"], "{}");
        let (base, seen) = serve(vec![busy.clone(), busy.clone(), busy]);
        let started = std::time::Instant::now();
        let mut o = options(5);
        o.retry.max_total = Duration::from_millis(50);
        let err = transport(&o).get(&base, Auth::None, true).unwrap_err();
        assert_eq!(err.service_error().map(|e| e.status), Some(503));
        // One wait of max_total fits; a second would exceed it.
        assert_eq!(seen.lock().unwrap().len(), 2);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn post_form_refusals_are_authentication_errors_with_oauth_fields() {
        let (base, seen) = serve(vec![
            reply("503 Service Unavailable", &["retry-after-ms: 1"], "{}"),
            reply(
                "401 Unauthorized",
                &[],
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t-1\r\nCorrelation ID: c-1","trace_id":"t-1","correlation_id":"c-1"}"#,
            ),
        ]);
        let url = base.join("tenant/oauth2/token").unwrap();
        let err = transport(&options(3))
            .post_form(
                &url,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_secret", "s3cr3t"),
                ],
            )
            .unwrap_err();
        let Error::Authentication(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.status, 401);
        assert_eq!(e.code.as_deref(), Some("invalid_client"));
        assert_eq!(e.message, "AADSTS7000215: Invalid client secret provided.");
        assert_eq!(e.request_id.as_deref(), Some("t-1"));
        assert_eq!(e.correlation_id.as_deref(), Some("c-1"));
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "the 503 was retried");
        let (head, body) = &seen[1];
        assert!(
            head.starts_with("POST /tenant/oauth2/token HTTP/1.1"),
            "{head}"
        );
        assert_eq!(
            header(head, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert!(header(head, "client-request-id").is_some());
        assert_eq!(body, "grant_type=client_credentials&client_secret=s3cr3t");
    }

    #[test]
    fn loopback_is_never_proxied_but_other_hosts_are() {
        let (proxy, proxy_seen) = serve(vec![reply("200 OK", &[], "{\"via\":\"proxy\"}")]);
        let (direct, direct_seen) =
            serve(vec![reply("200 OK", &[], "{}"), reply("200 OK", &[], "{}")]);
        let proxy_url = proxy.as_str().trim_end_matches('/').to_string();
        let env = ProxyEnv {
            https: Some(proxy_url.clone()),
            http: Some(proxy_url),
            no: Some("direct.invalid".into()),
            ..ProxyEnv::default()
        };
        let options = TransportOptions {
            allow_http: true,
            ..options(0)
        };
        let t = Transport::with_proxy_env(&options, &env).unwrap();
        t.get(&direct, Auth::None, true).unwrap();
        let localhost =
            Url::parse(&format!("http://localhost:{}/", direct.port().unwrap())).unwrap();
        t.get(&localhost, Auth::None, true).unwrap();
        assert_eq!(direct_seen.lock().unwrap().len(), 2);
        assert!(proxy_seen.lock().unwrap().is_empty());

        let far = Url::parse("http://far.invalid/x").unwrap();
        let response = t.get(&far, Auth::None, true).unwrap();
        assert_eq!(response.body, b"{\"via\":\"proxy\"}");
        let seen = proxy_seen.lock().unwrap();
        assert!(
            seen[0].0.starts_with("GET http://far.invalid/x HTTP/1.1"),
            "{}",
            seen[0].0
        );

        // NO_PROXY is honoured: straight to a host that does not resolve.
        let err = t
            .get(
                &Url::parse("http://direct.invalid/").unwrap(),
                Auth::None,
                true,
            )
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    }

    #[test]
    fn proxy_variables_are_checked_without_echoing_them() {
        let env = ProxyEnv {
            https: Some("http://user:pa55@[bad".into()),
            ..ProxyEnv::default()
        };
        let err = Transport::with_proxy_env(&options(0), &env).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    what: "HTTPS_PROXY",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains("pa55"));
        // host:port without a scheme is http, as curl reads it.
        let env = ProxyEnv {
            http: Some("proxy.example:3128".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(proxies(&env).unwrap().len(), 1);
        let cgi = ProxyEnv {
            http: Some("http://evil.example:80".into()),
            cgi: true,
            ..ProxyEnv::default()
        };
        assert!(proxies(&cgi).unwrap().is_empty());
    }

    #[test]
    fn url_rules() {
        let t = transport(&options(0));
        let ok = |u: &str| t.check_url(&Url::parse(u).unwrap());
        for allowed in [
            "https://adminmanagement.local.azurestack.external/",
            "http://127.0.0.1:8080/x",
            "http://127.8.9.10/",
            "http://[::1]:9/",
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://[::ffff:127.0.0.1]/",
        ] {
            ok(allowed).unwrap_or_else(|e| panic!("{allowed}: {e}"));
        }
        for refused in [
            // A name under .localhost is whatever a resolver says it is.
            "http://api.localhost/",
            "http://evil.localhost:8080/x",
            "http://10.0.0.1/",
            "http://management.azure.com/",
            "http://localhost.example.com/",
            "http://[::2]/",
        ] {
            let err = ok(refused).unwrap_err();
            assert!(
                matches!(err, Error::InvalidArgument { what: "url", .. }),
                "{refused}"
            );
            assert!(err.to_string().contains("allow_http"), "{err}");
        }
        for other in ["ftp://host/x", "file:///etc/passwd", "data:text/plain,x"] {
            let err = ok(other).unwrap_err();
            assert!(err.to_string().contains("not supported"), "{other}: {err}");
        }
        let allowing = transport(&TransportOptions {
            allow_http: true,
            ..options(0)
        });
        allowing
            .check_url(&Url::parse("http://10.0.0.1/").unwrap())
            .unwrap();
        assert!(
            allowing
                .check_url(&Url::parse("ftp://10.0.0.1/").unwrap())
                .is_err()
        );
    }

    #[test]
    fn http_to_a_remote_host_is_refused_before_sending() {
        let t = transport(&options(3));
        let started = std::time::Instant::now();
        let err = t
            .get(&Url::parse("http://192.0.2.1/x").unwrap(), Auth::None, true)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }));
        let err = t
            .post_form(&Url::parse("http://192.0.2.1/token").unwrap(), &[])
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }));
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn ca_bundle_problems_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let with = |path: &Path| {
            Transport::with_proxy_env(
                &TransportOptions {
                    ca_bundle: Some(path.to_path_buf()),
                    ..options(0)
                },
                &ProxyEnv::default(),
            )
        };
        let Err(Error::File { path, message, .. }) = with(&missing) else {
            panic!("a missing bundle is a file error")
        };
        assert_eq!(path, missing.display().to_string());
        assert!(message.contains("cannot read"), "{message}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "# no certificates\n").unwrap();
        let Err(Error::File { message, .. }) = with(&empty) else {
            panic!("an empty bundle is a file error")
        };
        assert!(message.contains("no certificate"), "{message}");

        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let Err(Error::File { message, .. }) = with(&junk) else {
            panic!("a broken certificate is a file error")
        };
        assert!(message.contains("certificate 1"), "{message}");
    }

    #[test]
    fn zero_timeouts_and_unsendable_suffixes_are_refused() {
        let zero = TransportOptions {
            connect_timeout: Duration::ZERO,
            ..options(0)
        };
        assert!(matches!(
            Transport::with_proxy_env(&zero, &ProxyEnv::default()),
            Err(Error::InvalidArgument { .. })
        ));
        let suffix = TransportOptions {
            user_agent_suffix: Some("bad\nsuffix".into()),
            ..options(0)
        };
        assert!(matches!(
            Transport::with_proxy_env(&suffix, &ProxyEnv::default()),
            Err(Error::InvalidArgument {
                what: "user_agent_suffix",
                ..
            })
        ));
    }

    #[test]
    fn response_debug_leaves_the_body_out() {
        let response = Response {
            status: 200,
            headers: HeaderMap::new(),
            body: br#"{"access_token":"eyJ-secret"}"#.to_vec(),
        };
        let text = format!("{response:?}");
        assert!(!text.contains("eyJ-secret"), "{text}");
        assert!(text.contains("body_bytes"), "{text}");
    }
}
