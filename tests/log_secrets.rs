//! No secret reaches a log record at any level: a capturing logger at trace level watches sign-in with a
//! client secret, a certificate and a device code (then its refresh token), a usage query through an
//! injected 503, and the connected registration (the refresh token handed to the PEP, the registration
//! token, the activation key), then every record is searched for every secret and token involved.
//! One test: the logger is process-wide.

mod support;

use std::sync::{Arc, Mutex};

use azs_billing_core::client::Client;
use azs_billing_core::credential::{
    AZURE_POWERSHELL_CLIENT_ID, ClientCertificate, Credential, DeviceCodePrompt,
};
use azs_billing_core::registration::azure::{self, NewRegistration, RegistrationRef};
use azs_billing_core::registration::pep::{PepClient, PepOptions};
use azs_billing_core::registration::{BillingModel, RegistrationSettings, token_parameters};
use azs_billing_core::secret::Secret;
use azs_billing_core::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use chrono::{TimeZone, Utc};

struct Record {
    level: log::Level,
    target: String,
    message: String,
}

struct Capture(Mutex<Vec<Record>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        // The in-process emulator is the server, not the library: its records are not the subject.
        if record.target().starts_with("azs_emulator") {
            return;
        }
        self.0.lock().unwrap().push(Record {
            level: record.level(),
            target: record.target().to_string(),
            message: record.args().to_string(),
        });
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

/// The access token a client holds for its own endpoint (the cache hands back the one issued).
fn access_token(client: &Client) -> Secret {
    client
        .tokens()
        .token(client.transport(), &client.environment().audience)
        .expect("token")
}

#[test]
fn no_secret_or_token_in_any_record_at_any_level() {
    log::set_logger(&CAPTURE).expect("no other logger in this test binary");
    log::set_max_level(log::LevelFilter::Trace);
    let stamp = support::start();
    assert!(stamp.has_azure(), "the emulator has no Azure side");
    let mut secrets: Vec<(String, String)> = Vec::new();
    let mut keep = |what: &str, value: &str| secrets.push((what.to_string(), value.to_string()));

    // Client secret, and a usage query that meets a 503.
    let operator = stamp.principal("operator");
    keep("client secret", operator["client_secret"].as_str().unwrap());
    let client = Arc::new(
        Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
            .expect("client"),
    );
    keep("access token", access_token(&client).expose());
    let provider = azs_billing_core::subscriptions::default_provider_subscription(&client)
        .expect("provider subscription");
    stamp.set_faults(&["503:count=1,path=usage"]);
    let query = UsageQuery {
        api: UsageApi::Provider,
        subscription_id: provider,
        reported_start: Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).unwrap(),
        reported_end: Utc.with_ymd_and_hms(2026, 1, 8, 0, 0, 0).unwrap(),
        granularity: Granularity::Hourly,
        subscriber_id: None,
        continuation_token: None,
    };
    let mut pages = 0;
    let mut token_seen = None;
    for page in UsagePager::new(client.clone(), query).expect("pager") {
        let page = page.expect("page");
        pages += 1;
        if let Some(token) = page.continuation_token {
            token_seen.get_or_insert(token);
        }
    }
    assert!(pages > 1, "{pages} pages");
    // Not a credential, but it rides in the query, which records leave out.
    keep(
        "continuation token",
        &token_seen.expect("a continuation token"),
    );

    // Certificate: the private key and the assertion signed with it.
    let sp = stamp.principal("operator-certificate");
    let key_path = sp["private_key_path"].as_str().unwrap();
    let key_pem = std::fs::read_to_string(key_path).expect("key PEM");
    for line in key_pem.lines().filter(|l| !l.starts_with("-----")).take(3) {
        keep("private key", line);
    }
    let certificate = ClientCertificate::from_pem_files(
        sp["certificate_path"].as_str().unwrap().as_ref(),
        key_path.as_ref(),
    )
    .expect("certificate");
    let client = Client::new(stamp.options(
        "admin_arm",
        Credential::Certificate {
            tenant: stamp.s("/tenant_id"),
            client_id: sp["client_id"].as_str().unwrap().to_string(),
            certificate,
        },
    ))
    .expect("certificate client");
    keep("access token (certificate)", access_token(&client).expose());

    // Device code on Azure, then the refresh token for a second audience.
    let prompts: Arc<Mutex<Vec<DeviceCodePrompt>>> = Arc::default();
    let seen = prompts.clone();
    let azure = Client::new(stamp.azure_options(Credential::DeviceCode {
        tenant: stamp.s("/azure/tenant_id"),
        client_id: AZURE_POWERSHELL_CLIENT_ID.to_string(),
        prompt: Arc::new(move |p: &DeviceCodePrompt| seen.lock().unwrap().push(p.clone())),
    }))
    .expect("Azure client");
    keep("access token (device code)", access_token(&azure).expose());
    keep("user code", &prompts.lock().unwrap()[0].user_code);
    let refresh = azure.tokens().refresh_token().expect("a refresh token");
    keep("refresh token", refresh.expose());
    azure.tokens().invalidate(&azure.environment().audience);
    keep("access token (refreshed)", access_token(&azure).expose());

    // The connected registration: the refresh token goes to the PEP (with its password), then the
    // registration token, the registration, the activation key and the activation.
    let pep_options = stamp.pep_options_json();
    keep("PEP password", pep_options["password"].as_str().unwrap());
    let options: PepOptions = serde_json::from_value(pep_options).expect("PEP options");
    let pep = PepClient::new(options, &stamp.transport_options()).expect("PEP client");
    let info = pep.stamp_information().expect("stamp information");
    pep.new_bridge_service_principal(&refresh, "AzureCloud", &stamp.s("/azure/tenant_id"))
        .expect("New-AzureBridgeServicePrincipal");
    let settings = RegistrationSettings {
        billing_model: Some(BillingModel::Development),
        ..RegistrationSettings::default()
    };
    let parameters = token_parameters(
        info.stamp_version.parse().expect("stamp version"),
        &settings.resolve(true).expect("settings"),
    )
    .expect("token parameters");
    let token = pep
        .new_registration_token(&parameters)
        .expect("New-RegistrationToken");
    keep("registration token", token.expose());
    let subscription = stamp.s("/azure/subscription_id");
    let registration = RegistrationRef::new(&subscription, "azurestack", "azurestack-logs");
    azure::create_registration(
        &azure,
        &NewRegistration {
            registration: registration.clone(),
            location: None,
            token,
        },
    )
    .expect("registration");
    let key = azure::activation_key(&azure, &registration).expect("activation key");
    keep("activation key", key.expose());
    pep.new_activation(&key).expect("New-AzureStackActivation");

    let records = CAPTURE.0.lock().unwrap();
    // The check means something only if the library logged what it does, at each level.
    let ours = |level: log::Level, target: &str, text: &str| {
        records
            .iter()
            .any(|r| r.level == level && r.target == target && r.message.contains(text))
    };
    for (level, target, text) in [
        (log::Level::Info, "azs_billing_core::retry", "HTTP 503"),
        (
            log::Level::Debug,
            "azs_billing_core::usage::pager",
            "usage page 2:",
        ),
        (
            log::Level::Debug,
            "azs_billing_core::credential",
            "client secret",
        ),
        (
            log::Level::Debug,
            "azs_billing_core::credential",
            "certificate",
        ),
        (
            log::Level::Debug,
            "azs_billing_core::credential",
            "device code sign-in",
        ),
        (
            log::Level::Debug,
            "azs_billing_core::credential",
            "refresh_token grant",
        ),
        (
            log::Level::Info,
            "azs_billing_core::registration::pep",
            "New-AzureBridgeServicePrincipal",
        ),
        (
            log::Level::Trace,
            "azs_billing_core::registration::pep",
            "RefreshToken",
        ),
        (
            log::Level::Info,
            "azs_billing_core::registration::azure",
            "creating registration",
        ),
        (
            log::Level::Info,
            "azs_billing_core::registration::azure",
            "activation key",
        ),
        (log::Level::Trace, "azs_billing_core::transport", "HTTP 200"),
    ] {
        assert!(
            ours(level, target, text),
            "no {level} record from {target} with {text:?}"
        );
    }
    let mut leaks = Vec::new();
    for record in records.iter() {
        let text = format!("{} {}", record.target, record.message);
        for (what, secret) in &secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!(
                    "{what} in [{} {}] {}",
                    record.level, record.target, record.message
                ));
            }
        }
        // Any JWT (access tokens, assertions, registration tokens are base64url JSON starting `{"`).
        if text.contains("eyJ") {
            leaks.push(format!(
                "a JWT-like text in [{} {}] {}",
                record.level, record.target, record.message
            ));
        }
    }
    assert!(
        leaks.is_empty(),
        "{} of {} records hold a secret:\n{}",
        leaks.len(),
        records.len(),
        leaks.join("\n")
    );
}
