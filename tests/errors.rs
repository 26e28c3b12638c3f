//! Errors at the boundary: what is refused before anything is sent (each case against a listener that
//! counts connections), messages that name the field but never echo the value, and a connect to a server
//! that is not Resource Manager.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use azs_billing_core::client::{Client, ClientOptions, EnvironmentSpec};
use azs_billing_core::credential::Credential;
use azs_billing_core::error::Error;
use azs_billing_core::options::{client_options_from_json, usage_query_from_json};
use azs_billing_core::secret::Secret;
use azs_billing_core::transport::TransportOptions;
use url::Url;

// Only the C ABI helpers: these tests need no emulator.
#[allow(dead_code)]
#[path = "support/abi.rs"]
mod abi;

/// A plain-HTTP server on loopback that answers every request with `status` and `body`, counting
/// connections and keeping the request lines.
struct Listener {
    base: Url,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    fn start(status: &'static str, body: &'static str) -> Listener {
        let server = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = Url::parse(&format!("http://{}/", server.local_addr().expect("addr"))).unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (count, seen) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in server.incoming() {
                let Ok(mut stream) = stream else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                seen.lock().unwrap().push(line.trim().to_string());
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut discard = vec![0; length];
                let _ = reader.read_exact(&mut discard);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Listener {
            base,
            connections,
            requests,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn quick_transport() -> TransportOptions {
    let mut transport = TransportOptions::default();
    transport.retry.max_retries = 0;
    transport
}

fn discover(arm: &Url, credential: Credential) -> ClientOptions {
    ClientOptions::new(
        EnvironmentSpec::Discover {
            arm_endpoint: arm.clone(),
        },
        credential,
    )
    .with_transport(quick_transport())
}

fn secret_credential(tenant: &str, secret: &str) -> Credential {
    Credential::ClientSecret {
        tenant: tenant.into(),
        client_id: "11111111-2222-3333-4444-555555555555".into(),
        secret: Secret::new(secret),
    }
}

#[test]
fn an_empty_client_secret_is_refused_before_any_request() {
    let server = Listener::start("200 OK", "{}");
    for secret in ["", "  "] {
        let err = Client::new(discover(
            &server.base,
            secret_credential("contoso.com", secret),
        ))
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    what: "client_secret",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("client secret"), "{err}");
    }
    // The same through options JSON, the C and PowerShell path.
    let json = format!(
        r#"{{"arm_endpoint":"{}","tenant":"contoso.com","credential":{{"type":"client_secret","client_id":"c","client_secret":""}}}}"#,
        server.base
    );
    let err = client_options_from_json(&json, None)
        .and_then(Client::new)
        .unwrap_err();
    assert!(err.to_string().starts_with("client_secret:"), "{err}");
    assert_eq!(server.connections(), 0, "nothing may be sent");
}

#[test]
fn a_malformed_tenant_is_refused_before_endpoint_discovery() {
    let server = Listener::start("200 OK", "{}");
    let long = "x".repeat(10_000);
    for tenant in ["contoso.com/../evil", "two words", long.as_str()] {
        let err =
            Client::new(discover(&server.base, secret_credential(tenant, "s3cr3t"))).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { what: "tenant", .. }),
            "{err:?}"
        );
        assert!(err.to_string().len() < 400, "{err}");
    }
    let err = Client::new(discover(
        &server.base,
        Credential::DeviceCode {
            tenant: "not a tenant".into(),
            client_id: String::new(),
            prompt: Arc::new(|_| {}),
        },
    ))
    .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { what: "tenant", .. }),
        "{err:?}"
    );
    assert_eq!(server.connections(), 0, "nothing may be sent");
}

/// Messages of JSON errors: field path and types, never the value, no Rust type names, bounded.
fn options_error(json: &str) -> String {
    let err = client_options_from_json(json, None).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let text = err.to_string();
    for rust in ["struct", "Json", "enum ", "u32", "PathBuf", "S3CRET"] {
        assert!(!text.contains(rust), "{rust:?} in {text}");
    }
    text
}

#[test]
fn options_json_errors_name_the_field_and_never_the_value() {
    let cases = [
        (
            r#"{"cloud":"AzureCloud","credential":"S3CRET"}"#,
            "credential: expected an object",
        ),
        (
            r#"{"cloud":"AzureCloud","tenant":"t","credential":{"type":"client_secret","client_id":"c","client_secret":["S3CRET"]}}"#,
            "credential.client_secret: expected a string, found an array",
        ),
        (
            r#"{"cloud":"AzureCloud","tenant":"t","credential":{"type":"access_token","token":"S3CRET"}}"#,
            "credential: unknown field \"token\"; the fields here are access_token",
        ),
        (
            r#"{"cloud":"AzureCloud","tenant":"t","credential":{"type":"kerberos"}}"#,
            "credential.type: unknown credential type \"kerberos\"; use client_secret,",
        ),
        (
            r#"{"cloud":"AzureCloud","credential":{"client_id":"S3CRET"}}"#,
            "credential.type: is required",
        ),
        (
            r#"{"cloud":"AzureCloud","credential":{"type":"access_token","access_token":"t"},"retry":{"max_retries":"S3CRET"}}"#,
            "retry.max_retries: expected a whole number from 0 to 4294967295, found a string",
        ),
        (
            r#"{"cloud":"AzureCloud","credential":{"type":"access_token","access_token":"t"},"allow_http":"S3CRET"}"#,
            "allow_http: expected true or false, found a string",
        ),
        (
            r#"{"cloud":"AzureCloud","credential":{"type":"access_token","access_token":"t"},"read_timeout":"S3CRET"}"#,
            "read_timeout: expected a number, found a string",
        ),
        (
            r#"{"cloud":"AzureCloud","tenant":{"S3CRET":1},"credential":{"type":"access_token","access_token":"t"}}"#,
            "tenant: expected a string, found an object",
        ),
        (
            r#"["S3CRET"]"#,
            "the JSON: expected an object, found an array",
        ),
        (r#"{"cloud":"S3CRET"#, "is not valid JSON"),
    ];
    for (json, expected) in cases {
        let text = options_error(json);
        assert!(text.contains(expected), "{json}: {text}");
    }
}

#[test]
fn huge_arguments_give_short_messages() {
    let huge = "S".repeat(10 * 1024 * 1024);
    for json in [
        format!(
            r#"{{"arm_endpoint":"{huge}","credential":{{"type":"access_token","access_token":"t"}}}}"#
        ),
        format!(
            r#"{{"cloud":"{huge}","credential":{{"type":"access_token","access_token":"t"}}}}"#
        ),
        format!(r#"{{"cloud":"AzureCloud","credential":{{"type":"{huge}"}}}}"#),
        format!(
            r#"{{"cloud":"AzureCloud","credential":{{"type":"access_token","access_token":"t"}},"{huge}":1}}"#
        ),
    ] {
        let text = client_options_from_json(&json, None)
            .unwrap_err()
            .to_string();
        assert!(text.len() < 600, "{} bytes: {}", text.len(), &text[..200]);
        assert!(text.contains('…'), "{text}");
    }
    let query = format!(
        r#"{{"api":"{huge}","subscriptionId":"s","reportedStartTime":"2026-01-01","reportedEndTime":"2026-01-02"}}"#
    );
    let text = usage_query_from_json(&query).unwrap_err().to_string();
    assert!(text.len() < 300, "{}", &text[..200]);
}

#[test]
fn usage_query_type_errors_name_the_field() {
    let base = r#""subscriptionId":"s","reportedEndTime":"2026-01-02""#;
    for (json, expected) in [
        (
            format!(r#"{{"api":1,"reportedStartTime":"2026-01-01",{base}}}"#),
            "query: api: expected a string, found a number",
        ),
        (
            format!(r#"{{"api":"provider","reportedStartTime":20260101,{base}}}"#),
            "query: reportedStartTime: expected a string, found a number",
        ),
        (
            format!(
                r#"{{"api":"provider","reportedStartTime":"2026-01-01",{base},"subscriberId":{{"S3CRET":1}}}}"#
            ),
            "query: subscriberId: expected a string, found an object",
        ),
        // A missing key is named by its canonical (snake_case) spelling; a key given in either spelling
        // is named as the caller wrote it.
        (
            format!(r#"{{"api":"provider",{base}}}"#),
            "query: reported_start_time: is required",
        ),
        (
            r#"{"api":"provider","subscription_id":"s","reported_start_time":[1],"reported_end_time":"2026-01-02"}"#
                .to_string(),
            "query: reported_start_time: expected a string, found an array",
        ),
    ] {
        let text = usage_query_from_json(&json).unwrap_err().to_string();
        assert!(text.contains(expected), "{json}: {text}");
        assert!(
            !text.contains("S3CRET") && !text.contains("struct"),
            "{text}"
        );
    }
}

#[test]
fn a_server_that_is_not_resource_manager_is_named_with_a_hint() {
    let server = Listener::start("404 Not Found", "<html>no such page</html>");
    let options = discover(&server.base, Credential::AccessToken(Secret::new("t")));
    let err = Client::new(options).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.service_error().map(|e| e.status), Some(404));
    assert!(
        text.contains(&format!("{}metadata/endpoints", server.base)),
        "the URL tried: {text}"
    );
    assert!(
        text.contains("https://adminmanagement.<region>.<fqdn>/"),
        "{text}"
    );
    // Both document shapes were asked for before giving up.
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("GET /metadata/endpoints?api-version="))
    );
}

#[test]
fn a_server_answering_html_is_not_resource_manager_either() {
    let server = Listener::start("200 OK", "<html>a web site</html>");
    let err = Client::new(discover(
        &server.base,
        Credential::AccessToken(Secret::new("t")),
    ))
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("metadata/endpoints"), "{text}");
    assert!(
        text.contains("is this the Resource Manager endpoint"),
        "{text}"
    );
}

#[test]
fn plain_http_to_a_name_under_localhost_is_refused_before_sending() {
    let server = Listener::start("200 OK", "{}");
    let port = server.base.port().expect("port");
    // A resolver may map any *.localhost name anywhere; only the literal forms count as loopback.
    for host in ["api.localhost", "evil.localhost."] {
        let arm = Url::parse(&format!("http://{host}:{port}/")).unwrap();
        let err =
            Client::new(discover(&arm, Credential::AccessToken(Secret::new("t")))).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { .. }),
            "{host}: {err:?}"
        );
        assert!(err.to_string().contains("allow_http"), "{err}");
    }
    assert_eq!(server.connections(), 0);
    // The literal name still reaches this machine (pinned to loopback, not resolved by the system).
    let arm = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let err = Client::new(discover(&arm, Credential::AccessToken(Secret::new("t")))).unwrap_err();
    assert!(!matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(server.connections() > 0);
}

#[test]
fn the_c_boundary_gives_the_same_message() {
    let error =
        abi::client_new(&serde_json::json!({"cloud": "AzureCloud", "credential": "S3CRET"}))
            .err()
            .expect("refused");
    assert_eq!(error["status_name"], "AZSB_STATUS_INVALID_ARGUMENT");
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.contains("credential: expected an object"),
        "{message}"
    );
    assert!(!message.contains("S3CRET"), "{message}");
}
