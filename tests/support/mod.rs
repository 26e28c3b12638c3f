//! A stamp for the library's integration tests: the emulator in-process, on its own thread with its own
//! tokio runtime, so that the blocking client under test never runs inside a runtime.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use azs_billing_core::client::{ClientOptions, EnvironmentSpec};
use azs_billing_core::credential::Credential;
use azs_billing_core::retry::RetryPolicy;
use azs_billing_core::secret::Secret;
use azs_billing_core::transport::TransportOptions;
use azs_emulator::{EmbeddedEmulator, EmulatorConfig};
use base64::Engine as _;
use serde_json::Value;
use url::Url;

pub mod abi;
pub mod pg_server;
pub mod warehouse;

/// The standard test data set (`EmulatorConfig::standard_test_set`), shared with the emulator's tests.
pub fn config() -> EmulatorConfig {
    EmulatorConfig::standard_test_set()
}

/// An emulator on its own thread (the library's client is blocking) with a temporary state directory.
pub struct Stamp {
    /// The emulator's ready document.
    pub ready: Value,
    _emulator: EmbeddedEmulator,
    _state_dir: tempfile::TempDir,
}

pub fn start() -> Stamp {
    start_with(config())
}

pub fn start_with(mut config: EmulatorConfig) -> Stamp {
    let state_dir = tempfile::tempdir().expect("temp dir");
    config.state_dir = state_dir.path().to_path_buf();
    let emulator = EmbeddedEmulator::start(config, 2)
        .unwrap_or_else(|e| panic!("the emulator did not start: {e:#}"));
    Stamp {
        ready: emulator.ready().clone(),
        _emulator: emulator,
        _state_dir: state_dir,
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

    pub fn url(&self, pointer: &str) -> Url {
        Url::parse(&self.s(pointer)).expect("a URL")
    }

    pub fn ca(&self) -> PathBuf {
        PathBuf::from(self.s("/ca_pem"))
    }

    pub fn principal(&self, name: &str) -> Value {
        self.principal_at("", name)
    }

    /// A service principal of the directory under `prefix` ("" for the stamp's, "/azure" for Azure's).
    fn principal_at(&self, prefix: &str, name: &str) -> Value {
        self.ready
            .pointer(&format!("{prefix}/service_principals"))
            .and_then(Value::as_array)
            .and_then(|sps| sps.iter().find(|sp| sp["name"] == name))
            .unwrap_or_else(|| panic!("no service principal {name} at {prefix}"))
            .clone()
    }

    /// A client secret credential of a principal of the directory under `prefix`.
    fn secret_credential_at(&self, prefix: &str, name: &str) -> Credential {
        let sp = self.principal_at(prefix, name);
        Credential::ClientSecret {
            tenant: self.s(&format!("{prefix}/tenant_id")),
            client_id: sp["client_id"].as_str().expect("client_id").to_string(),
            secret: Secret::new(sp["client_secret"].as_str().expect("client_secret")),
        }
    }

    pub fn secret_credential(&self, name: &str) -> Credential {
        self.secret_credential_at("", name)
    }

    /// Transport options trusting the emulator's CA, with short retry waits.
    pub fn transport_options(&self) -> TransportOptions {
        let mut retry = RetryPolicy::default();
        retry.max_retries = 4;
        retry.initial_delay = Duration::from_millis(10);
        retry.max_delay = Duration::from_millis(200);
        retry.max_total = Duration::from_secs(10);
        let mut transport = TransportOptions::default();
        transport.ca_bundle = Some(self.ca());
        transport.connect_timeout = Duration::from_secs(5);
        transport.read_timeout = Duration::from_secs(20);
        transport.retry = retry;
        transport
    }

    /// Options discovering the admin (or tenant) endpoint.
    pub fn options(&self, endpoint: &str, credential: Credential) -> ClientOptions {
        ClientOptions::new(
            EnvironmentSpec::Discover {
                arm_endpoint: self.url(&format!("/{endpoint}")),
            },
            credential,
        )
        .with_transport(self.transport_options())
    }

    /// A plain reqwest client for the control routes, trusting the emulator's CA only.
    pub fn control(&self) -> reqwest::blocking::Client {
        let pem = std::fs::read(self.ca()).expect("CA file");
        reqwest::blocking::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("CA PEM")])
            .no_proxy()
            .build()
            .expect("control client")
    }

    /// The emulator's exact totals of a usage query (`GET {admin_arm}_emulator/usage/totals?{query}`):
    /// `rows`, `quantity_micros` (a decimal string), `pages`.
    pub fn usage_totals(&self, query: &str) -> Value {
        self.control()
            .get(format!(
                "{}_emulator/usage/totals?{query}",
                self.s("/admin_arm")
            ))
            .send()
            .and_then(|r| r.json())
            .expect("totals")
    }

    /// Replaces the fault plan (`PUT {admin_arm}_emulator/faults`).
    pub fn set_faults(&self, rules: &[&str]) {
        let response = self
            .control()
            .put(format!("{}_emulator/faults", self.s("/admin_arm")))
            .json(&serde_json::json!({ "rules": rules }))
            .send()
            .expect("fault plan sent");
        assert!(
            response.status().is_success(),
            "fault plan refused: {:?}",
            response.text()
        );
    }
}

/// The Azure side and the PEP model of docs/registration.md ("Emulator: the Azure side", "the stamp side").
impl Stamp {
    /// Whether this emulator build has the Azure side and the PEP model (the ready document's "azure" and
    /// "pep"); registration tests say so and stop when it has not.
    pub fn has_azure(&self) -> bool {
        self.ready.get("azure").is_some_and(Value::is_object)
            && self.ready.get("pep").is_some_and(Value::is_object)
    }

    pub fn azure_principal(&self, name: &str) -> Value {
        self.principal_at("/azure", name)
    }

    pub fn azure_secret_credential(&self, name: &str) -> Credential {
        self.secret_credential_at("/azure", name)
    }

    /// Options discovering the emulated Azure Resource Manager.
    pub fn azure_options(&self, credential: Credential) -> ClientOptions {
        ClientOptions::new(
            EnvironmentSpec::Discover {
                arm_endpoint: self.url("/azure/arm"),
            },
            credential,
        )
        .with_transport(self.transport_options())
    }

    /// The emulated PEP's options as the C ABI and `PepClient` take them.
    pub fn pep_options_json(&self) -> Value {
        serde_json::json!({
            "url": self.s("/pep/url"),
            "username": self.s("/pep/username"),
            "password": self.s("/pep/password"),
            "ca_bundle": self.s("/ca_pem"),
        })
    }
}

/// A PFX of the certificate principal's PEM files, protected by `password`.
pub fn write_pfx(certificate: &Path, key: &Path, password: &str, out: &Path) {
    let der = |path: &Path, label: &str| {
        let text = std::fs::read_to_string(path).expect("PEM file");
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let start = text.find(&begin).expect("BEGIN line") + begin.len();
        let stop = text.find(&end).expect("END line");
        let b64: String = text[start..stop].split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64")
    };
    let key = p12_keystore::PrivateKey::from_der(&der(key, "PRIVATE KEY")).expect("PKCS#8 key");
    let certificate =
        p12_keystore::Certificate::from_der(&der(certificate, "CERTIFICATE")).expect("certificate");
    let chain = p12_keystore::PrivateKeyChain::new(b"1".as_slice(), key, [certificate]);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "operator-certificate",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    std::fs::write(out, store.writer(password).write().expect("PKCS#12")).expect("PFX file");
}
