//! A test stamp: an in-process emulator with a fixed data set, a client that trusts its CA, and helpers
//! for tokens and requests.
#![allow(dead_code)]

use azs_emulator::{EmulatorConfig, ReadyDocument, RunningEmulator};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const USAGE_API: &str = "2015-06-01-preview";

/// The specification examples the tests replay: the repository's one copy, which the library's tests
/// read too.
pub fn spec_fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/specs")
}

pub struct Stamp {
    pub emulator: RunningEmulator,
    /// The ready document as JSON, for tests that index it.
    pub ready: Value,
    /// The same document, typed: read back from the JSON, so a field the server writes under another name
    /// than the tests read fails here.
    pub document: ReadyDocument,
    pub http: reqwest::Client,
    _state_dir: tempfile::TempDir,
}

/// The standard test data set (`EmulatorConfig::standard_test_set`), shared with the library's tests.
pub fn config() -> EmulatorConfig {
    EmulatorConfig::standard_test_set()
}

pub async fn start() -> Stamp {
    start_with(config()).await
}

pub async fn start_with(mut config: EmulatorConfig) -> Stamp {
    let state_dir = tempfile::tempdir().expect("temp dir");
    config.state_dir = state_dir.path().to_path_buf();
    let emulator = azs_emulator::start(config).await.expect("emulator starts");
    let ready = emulator.ready().clone();
    let document: ReadyDocument =
        serde_json::from_value(ready.clone()).expect("the ready document reads back typed");
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = &document.ca_pem {
        let pem = std::fs::read(ca).expect("CA file");
        builder = builder.tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("CA PEM")]);
    }
    Stamp {
        emulator,
        ready,
        document,
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
        self.document.default_provider_subscription_id.to_string()
    }

    pub fn first_tenant_subscription(&self) -> String {
        self.document
            .dataset
            .first_tenant_subscription_id
            .expect("the data set has a tenant subscription")
            .to_string()
    }

    pub fn dataset(&self) -> &azs_emulator::dataset::Dataset {
        &self.emulator.state().dataset
    }

    /// A token for a service principal of the ready document (client secret, v1 endpoint).
    pub async fn token(&self, principal: &str, audience: &str) -> String {
        let login = format!(
            "{}{}",
            self.document.login_endpoint, self.document.tenant_id
        );
        self.client_secret_token(&login, &self.principal(principal), audience)
            .await
    }

    /// A client-secret token from the directory at `authority` for a ready document's service principal.
    pub async fn client_secret_token(&self, authority: &str, sp: &Value, audience: &str) -> String {
        let reply = self
            .send(self.http.post(format!("{authority}/oauth2/token")).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", sp["client_id"].as_str().unwrap()),
                ("client_secret", sp["client_secret"].as_str().unwrap()),
                ("resource", audience),
            ]))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "token for {}: {}",
            sp["name"],
            reply.text
        );
        reply.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn operator_token(&self) -> String {
        self.token("operator", &self.document.audiences.admin).await
    }

    pub async fn tenant_token(&self) -> String {
        self.token("tenant", &self.document.audiences.tenant).await
    }

    /// Mints a token with arbitrary claims through the control route, signed with the stamp's key.
    pub async fn mint(&self, claims: Value) -> String {
        self.mint_in("stamp", claims).await
    }

    /// Mints a token signed with `directory`'s key (`stamp` or `azure`).
    pub async fn mint_in(&self, directory: &str, claims: Value) -> String {
        let reply = self
            .send(
                self.http
                    .post(format!("{}tokens", self.document.control))
                    .json(&serde_json::json!({ "directory": directory, "claims": claims })),
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
            self.document.admin_arm,
            self.provider_subscription()
        )
    }

    /// Tenant usage URL for a subscription with a raw query.
    pub fn tenant_url(&self, subscription: &str, query: &str) -> String {
        format!(
            "{}subscriptions/{subscription}/providers/Microsoft.Commerce/usageAggregates?{query}",
            self.document.tenant_arm
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

/// Azure PowerShell's public client id, which device code sign-in to the Azure side uses.
pub const AZURE_POWERSHELL: &str = "1950a258-227b-4e31-a9cf-717495945fc2";
/// The registration api-version of the tooling.
pub const AZURESTACK_API: &str = "2017-06-01";

/// The registration side of a test stamp: the emulated Azure and the privileged endpoint.
impl Stamp {
    /// A URL on the emulated Azure Resource Manager (`path` without the leading slash).
    pub fn azure_url(&self, path: &str) -> String {
        format!("{}{path}", self.document.azure.arm)
    }

    pub fn azure_subscription(&self) -> String {
        self.document.azure.subscription_id.to_string()
    }

    /// `subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.AzureStack/registrations/{name}`.
    pub fn registration_path(&self, resource_group: &str, name: &str) -> String {
        format!(
            "subscriptions/{}/resourceGroups/{resource_group}/providers/Microsoft.AzureStack/registrations/{name}",
            self.azure_subscription()
        )
    }

    /// A token of an Azure service principal (client secret) for public Azure's ARM audience.
    pub async fn azure_token(&self, principal: &str) -> String {
        let sp = self.ready["azure"]["service_principals"]
            .as_array()
            .and_then(|sps| sps.iter().find(|sp| sp["name"] == principal))
            .unwrap_or_else(|| panic!("no Azure service principal {principal}"))
            .clone();
        let azure = &self.document.azure;
        let login = format!("{}{}", azure.login_endpoint, azure.tenant_id);
        self.client_secret_token(&login, &sp, "https://management.azure.com/")
            .await
    }

    /// A request with a bearer token and, when given, a JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Runs a PEP command with the ready document's credentials.
    pub async fn pep(&self, command: &str, parameters: Value) -> Reply {
        self.pep_as(command, parameters, &self.document.pep.password)
            .await
    }

    pub async fn pep_as(&self, command: &str, parameters: Value, password: &str) -> Reply {
        self.send(
            self.http
                .post(format!("{}commands/{command}", self.document.pep.url))
                .basic_auth(&self.document.pep.username, Some(password))
                .json(&parameters),
        )
        .await
    }

    /// The output of a PEP command that must succeed.
    pub async fn pep_output(&self, command: &str, parameters: Value) -> Value {
        let reply = self.pep(command, parameters).await;
        assert_eq!(reply.status, StatusCode::OK, "{command}: {}", reply.text);
        reply.json()["output"].clone()
    }

    /// A registration token from the PEP model.
    pub async fn registration_token(&self, parameters: Value) -> String {
        self.pep_output("New-RegistrationToken", parameters)
            .await
            .as_str()
            .expect("the token is a string")
            .to_string()
    }

    /// Registers the provider, creates the group and PUTs a registration; returns the PUT's reply.
    pub async fn register(
        &self,
        token: &str,
        resource_group: &str,
        name: &str,
        registration_token: &str,
    ) -> Reply {
        let sub = self.azure_subscription();
        let api = format!("api-version={AZURESTACK_API}");
        let reply = self
            .call(
                reqwest::Method::POST,
                &self.azure_url(&format!(
                    "subscriptions/{sub}/providers/Microsoft.AzureStack/register?{api}"
                )),
                token,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let reply = self
            .call(
                reqwest::Method::PUT,
                &self.azure_url(&format!(
                    "subscriptions/{sub}/resourcegroups/{resource_group}?api-version=2021-04-01"
                )),
                token,
                Some(serde_json::json!({ "location": "westcentralus" })),
            )
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
        self.call(
            reqwest::Method::PUT,
            &self.azure_url(&format!(
                "{}?{api}",
                self.registration_path(resource_group, name)
            )),
            token,
            Some(serde_json::json!({
                "location": "global",
                "properties": { "registrationToken": registration_token },
            })),
        )
        .await
    }
}

/// The claims of a JWT, without checking its signature.
#[allow(dead_code)]
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("the payload is base64url");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}
