//! HTTP: reqwest (blocking) over rustls with the OS trust store plus an optional extra CA bundle, proxies
//! from the usual environment variables, timeouts, a user agent naming the library, retries, and errors
//! that carry the service's code, message and request ids. Plain `http://` is refused for anything but
//! loopback unless explicitly allowed.

mod ca_bundle;
mod failure;
mod options;
pub(crate) mod pem;
mod proxy;
mod request;
mod response;
#[cfg(test)]
pub(crate) mod testing;
mod throttle;
mod url_policy;

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use url::Url;

use crate::error::{Error, Result};
use crate::retry::{self, RetryPolicy};

use ca_bundle::read_ca_bundle;
use failure::{Failure, classify, error_chain};
use proxy::{ProxyEnv, proxies};
use request::{Request, basic, bearer};
use throttle::Throttle;
use url_policy::{LOCALHOST_ADDRESSES, LOCALHOST_NAMES};

pub use options::TransportOptions;
pub(crate) use options::user_agent;
pub use request::{Auth, Method};
pub use response::Response;
pub(crate) use response::service_error;
pub(crate) use url_policy::{check_url_with, display_url};

/// The HTTP client every request of the library goes through: one per `Client`, its connections reused.
pub struct Transport {
    options: TransportOptions,
    http: reqwest::blocking::Client,
    throttle: Throttle,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A client for `options`, with proxies from the environment; fails on unusable options or CA bundle.
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
            throttle: Throttle::default(),
        })
    }

    /// The options it was built with.
    pub fn options(&self) -> &TransportOptions {
        &self.options
    }

    /// How many throttling answers (429, or 503) this transport has had since it was built, counting each
    /// attempt. Several workers sharing the transport watch it to lower their concurrency.
    pub fn throttle_events(&self) -> u64 {
        self.throttle.events()
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
            // A Retry-After any request of this client got holds for this one too.
            self.throttle.wait();
            let (failure, server_asked) = match self.attempt(url, request, &client_request_id) {
                Ok(response) => return Ok(response),
                Err(Failure::Permanent(error)) => return Err(error),
                Err(Failure::Status(response)) => {
                    if !RetryPolicy::is_retryable_status(response.status) {
                        return Err(refusal(request, &response));
                    }
                    let asked = retry::server_delay(&response.headers);
                    // The others wait no longer than this request itself would: a Retry-After beyond the
                    // policy's max_total makes this request give up, and must not stall the rest past it.
                    self.throttle
                        .observe(response.status, asked.map(|a| a.min(policy.max_total)));
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
                        Error::UnexpectedResponse {
                            message: text,
                            source,
                        }
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

#[cfg(test)]
mod tests {
    use super::testing::{capture_logs, reply, serve};
    use super::*;
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
        assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
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
}
