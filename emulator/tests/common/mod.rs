//! A test stamp: an in-process emulator with a fixed data set, a client that trusts its CA, and helpers
//! for tokens and requests.
#![allow(dead_code)]

use azs_emulator::{EmulatorConfig, RunningEmulator};
use chrono::NaiveDate;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const USAGE_API: &str = "2015-06-01-preview";

pub struct Stamp {
    pub emulator: RunningEmulator,
    pub ready: Value,
    pub http: reqwest::Client,
    _state_dir: tempfile::TempDir,
}

/// The standard test data set: seed 7, 6 subscriptions of 8 resources, 7 days from 2026-01-05.
pub fn config() -> EmulatorConfig {
    let mut config = EmulatorConfig::with_seed(7);
    config.subscriptions = 6;
    config.resources_per_subscription = 8;
    config.days = 7;
    config.start_date = NaiveDate::from_ymd_opt(2026, 1, 5);
    config.device_code_approval_delay = std::time::Duration::from_millis(200);
    config
}

pub async fn start() -> Stamp {
    start_with(config()).await
}

pub async fn start_with(mut config: EmulatorConfig) -> Stamp {
    let state_dir = tempfile::tempdir().expect("temp dir");
    config.state_dir = state_dir.path().to_path_buf();
    let emulator = azs_emulator::start(config).await.expect("emulator starts");
    let ready = emulator.ready().clone();
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = ready["ca_pem"].as_str() {
        let pem = std::fs::read(ca).expect("CA file");
        builder = builder.tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("CA PEM")]);
    }
    Stamp {
        emulator,
        ready,
        http: builder.build().expect("client"),
        _state_dir: state_dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The ARM error code of an error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Stamp {
    pub fn s(&self, pointer: &str) -> String {
        self.ready
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("ready document has no {pointer}"))
            .to_string()
    }

    pub fn principal(&self, name: &str) -> Value {
        self.ready["service_principals"]
            .as_array()
            .and_then(|sps| sps.iter().find(|sp| sp["name"] == name))
            .unwrap_or_else(|| panic!("no service principal {name}"))
            .clone()
    }

    pub fn provider_subscription(&self) -> String {
        self.s("/default_provider_subscription_id")
    }

    pub fn first_tenant_subscription(&self) -> String {
        self.s("/dataset/first_tenant_subscription_id")
    }

    pub fn dataset(&self) -> &azs_emulator::dataset::Dataset {
        &self.emulator.state().dataset
    }

    /// A token for a service principal of the ready document (client secret, v1 endpoint).
    pub async fn token(&self, principal: &str, audience: &str) -> String {
        let sp = self.principal(principal);
        let reply = self
            .http
            .post(format!(
                "{}{}/oauth2/token",
                self.s("/login_endpoint"),
                self.s("/tenant_id")
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", sp["client_id"].as_str().unwrap()),
                ("client_secret", sp["client_secret"].as_str().unwrap()),
                ("resource", audience),
            ])
            .send()
            .await
            .expect("token request");
        assert_eq!(reply.status(), StatusCode::OK, "token for {principal}");
        let body: Value = reply.json().await.expect("token JSON");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn operator_token(&self) -> String {
        self.token("operator", &self.s("/audiences/admin")).await
    }

    pub async fn tenant_token(&self) -> String {
        self.token("tenant", &self.s("/audiences/tenant")).await
    }

    /// Mints a token with arbitrary claims through the control route.
    pub async fn mint(&self, claims: Value) -> String {
        let reply = self
            .send(
                self.http
                    .post(format!("{}_emulator/tokens", self.s("/admin_arm")))
                    .json(&claims),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()["access_token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, url: &str, token: Option<&str>) -> Reply {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// Provider usage URL with a raw (already encoded) query.
    pub fn provider_url(&self, query: &str) -> String {
        format!(
            "{}subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?{query}",
            self.s("/admin_arm"),
            self.provider_subscription()
        )
    }

    /// Tenant usage URL for a subscription with a raw query.
    pub fn tenant_url(&self, subscription: &str, query: &str) -> String {
        format!(
            "{}subscriptions/{subscription}/providers/Microsoft.Commerce/usageAggregates?{query}",
            self.s("/tenant_arm")
        )
    }

    /// Follows nextLinks from `url` and returns every page body.
    pub async fn pages(&self, url: &str, token: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next = Some(url.to_string());
        while let Some(url) = next.take() {
            let reply = self.get(&url, Some(token)).await;
            assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.text);
            let page = reply.json();
            next = page["nextLink"].as_str().map(str::to_string);
            pages.push(page);
            assert!(pages.len() < 100_000, "paging does not end");
        }
        pages
    }
}

/// A usage query string with escaped UTC times.
pub fn usage_query(start: &str, end: &str, granularity: &str) -> String {
    format!(
        "api-version={USAGE_API}&reportedStartTime={start}&reportedEndTime={end}&aggregationGranularity={granularity}"
    )
}

/// Parses a quantity as micro-units, exactly.
pub fn micros(quantity: &Value) -> i64 {
    (quantity.as_f64().expect("quantity is a number") * 1e6).round() as i64
}
