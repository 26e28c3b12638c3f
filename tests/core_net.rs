//! The core against an in-process emulator: endpoint discovery, every credential kind, retries of faults
//! the emulator injects, and the refusals that must happen before anything is sent.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use azs_billing_core::client::{Client, ClientOptions, EnvironmentSpec};
use azs_billing_core::cloud::{EndpointType, Environment, IdentitySystem};
use azs_billing_core::credential::{
    AZURE_POWERSHELL_CLIENT_ID, ClientCertificate, Credential, DeviceCodePrompt,
};
use azs_billing_core::error::Error;
use azs_billing_core::secret::Secret;
use azs_billing_core::transport::{Auth, Transport};
use base64::Engine as _;
use serde_json::Value;
use support::start;
use url::Url;

const OPERATIONS: &str =
    "providers/Microsoft.Commerce.Admin/operations?api-version=2015-06-01-preview";

fn operations(client: &Client) -> Value {
    let url = client.arm_url(OPERATIONS).expect("operations URL");
    let response = client.get_json(&url).expect("operations");
    assert_eq!(response.status, 200);
    let body: Value = response.json().expect("JSON");
    assert_eq!(
        body["value"][1]["name"], "Microsoft.Commerce.Admin/operations/read",
        "{body}"
    );
    body
}

/// The `aud` claim of a JWT access token.
fn audience_of(token: &str) -> String {
    let claims = token.split('.').nth(1).expect("a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .expect("base64url claims");
    let claims: Value = serde_json::from_slice(&claims).expect("JSON claims");
    claims["aud"].as_str().expect("aud").to_string()
}

#[test]
fn discovers_admin_and_tenant_endpoints() {
    let stamp = start();
    let tenant_id = stamp.s("/tenant_id");
    for (endpoint, name, audience, kind) in [
        (
            "admin_arm",
            "AzureStack-Admin",
            "/audiences/admin",
            EndpointType::Admin,
        ),
        (
            "tenant_arm",
            "AzureStack-User",
            "/audiences/tenant",
            EndpointType::Tenant,
        ),
    ] {
        let client = Client::new(stamp.options(endpoint, stamp.secret_credential("operator")))
            .expect("client");
        let env = client.environment();
        assert_eq!(env.name, format!("{name}-{tenant_id}"));
        // On loopback the host says nothing: the audience tells the admin endpoint.
        assert_eq!(env.endpoint_type(), kind, "{endpoint}");
        // Azure Stack Hub's array document leaves resourceManager out: the URL asked.
        assert_eq!(env.resource_manager, stamp.url(&format!("/{endpoint}")));
        assert_eq!(env.login_endpoint, stamp.url("/login_endpoint"));
        assert_eq!(env.audience, stamp.s(audience));
        assert_eq!(env.identity_system, IdentitySystem::AzureAd);

        // The older object shape describes the same endpoint.
        let mut url = stamp.url(&format!("/{endpoint}"));
        url.set_path("/metadata/endpoints");
        url.set_query(Some("api-version=2015-01-01"));
        let document: Value = client
            .transport()
            .get(&url, Auth::None, true)
            .expect("object-shaped metadata")
            .json()
            .expect("JSON");
        assert!(document.is_object(), "{document}");
        let from_object =
            Environment::from_metadata(&stamp.url(&format!("/{endpoint}")), &document)
                .expect("object shape");
        assert_eq!(from_object.login_endpoint, env.login_endpoint);
        assert_eq!(from_object.audience, env.audience);
        assert_eq!(from_object.resource_manager, env.resource_manager);
        assert_eq!(from_object.name, "AzureStack-127.0.0.1");
    }
    // The emulated Azure, discovered like a stamp, is Azure by its audience.
    let azure = Client::new(stamp.azure_options(stamp.azure_secret_credential("azure-operator")))
        .expect("Azure client");
    assert_eq!(azure.environment().endpoint_type(), EndpointType::Azure);
}

#[test]
fn client_secret_reads_metadata_and_operations() {
    let stamp = start();
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    operations(&client);
    let metadata = client
        .get_json(
            &client
                .arm_url("metadata/endpoints?api-version=2019-05-01")
                .unwrap(),
        )
        .expect("metadata");
    let metadata: Value = metadata.json().unwrap();
    assert_eq!(
        metadata[0]["authentication"]["audiences"][0],
        stamp.s("/audiences/admin")
    );

    // Cached: the same token again, until it nears expiry or is invalidated.
    let audience = &client.environment().audience;
    let first = client.tokens().token(client.transport(), audience).unwrap();
    let again = client.tokens().token(client.transport(), audience).unwrap();
    assert_eq!(first.expose(), again.expose());
    assert_eq!(audience_of(first.expose()), *audience);
    client.tokens().invalidate(audience);
    let renewed = client.tokens().token(client.transport(), audience).unwrap();
    assert_ne!(first.expose(), renewed.expose());
}

#[test]
fn certificate_from_pem_files_and_from_a_pfx() {
    let stamp = start();
    let sp = stamp.principal("operator-certificate");
    let certificate_path = PathBuf::from(sp["certificate_path"].as_str().unwrap());
    let key_path = PathBuf::from(sp["private_key_path"].as_str().unwrap());
    let client_id = sp["client_id"].as_str().unwrap().to_string();

    let pem = ClientCertificate::from_pem_files(&certificate_path, &key_path).expect("PEM files");
    let credential = Credential::Certificate {
        tenant: stamp.s("/tenant_id"),
        client_id: client_id.clone(),
        certificate: pem.clone(),
    };
    operations(&Client::new(stamp.options("admin_arm", credential)).expect("client"));

    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("operator.pfx");
    support::write_pfx(&certificate_path, &key_path, "pfx-Passw0rd", &pfx);
    let certificate = ClientCertificate::from_pfx_file(&pfx, Some(&Secret::new("pfx-Passw0rd")))
        .expect("PFX with its password");
    assert_eq!(certificate.x5t(), pem.x5t());
    let credential = Credential::Certificate {
        tenant: stamp.s("/tenant_id"),
        client_id,
        certificate,
    };
    operations(&Client::new(stamp.options("admin_arm", credential)).expect("client"));

    let err = ClientCertificate::from_pfx_file(&pfx, Some(&Secret::new("wrong")))
        .expect_err("a wrong password");
    assert!(matches!(&err, Error::File { path, .. } if *path == pfx.display().to_string()));
    assert!(err.to_string().contains("password is wrong"), "{err}");
}

#[test]
fn device_code_then_refresh_token_for_a_second_audience() {
    let stamp = start();
    let prompts = Arc::new(AtomicUsize::new(0));
    let seen: Arc<std::sync::Mutex<Option<DeviceCodePrompt>>> = Arc::default();
    let callback = {
        let prompts = prompts.clone();
        let seen = seen.clone();
        Arc::new(move |prompt: &DeviceCodePrompt| {
            prompts.fetch_add(1, Ordering::SeqCst);
            *seen.lock().unwrap() = Some(prompt.clone());
        })
    };
    let credential = Credential::DeviceCode {
        tenant: stamp.s("/tenant_id"),
        client_id: AZURE_POWERSHELL_CLIENT_ID.to_string(),
        prompt: callback,
    };
    let client = Client::new(stamp.options("admin_arm", credential)).expect("client");
    assert_eq!(
        prompts.load(Ordering::SeqCst),
        0,
        "no sign-in before a request"
    );
    operations(&client);
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    let prompt = seen.lock().unwrap().clone().expect("a prompt");
    assert!(!prompt.user_code.is_empty());
    assert!(
        prompt.verification_uri.ends_with("devicelogin"),
        "{prompt:?}"
    );
    assert!(prompt.message.contains(&prompt.user_code));
    assert_eq!(prompt.expires_in_seconds, 900);

    // The tenant endpoint's audience comes from the refresh token: no second prompt.
    let tenant_audience = stamp.s("/audiences/tenant");
    let token = client
        .tokens()
        .token(client.transport(), &tenant_audience)
        .expect("tenant token by refresh token");
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    assert_eq!(audience_of(token.expose()), tenant_audience);
    let usage = stamp
        .url("/tenant_arm")
        .join(&format!(
            "subscriptions/{}/providers/Microsoft.Commerce/usageAggregates?api-version=2015-06-01-preview\
             &reportedStartTime=2026-01-05T00:00:00Z&reportedEndTime=2026-01-06T00:00:00Z&aggregationGranularity=Daily",
            stamp.s("/dataset/first_tenant_subscription_id")
        ))
        .unwrap();
    let response = client
        .transport()
        .get(&usage, Auth::Bearer(token.expose()), true)
        .expect("tenant usage with the refreshed token");
    assert_eq!(response.status, 200);
    // And after the admin token is dropped, the refresh token serves it again.
    client.tokens().invalidate(&client.environment().audience);
    operations(&client);
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
}

#[test]
fn access_token_obtained_elsewhere() {
    let stamp = start();
    let fetcher = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    let token = fetcher
        .tokens()
        .token(fetcher.transport(), &stamp.s("/audiences/admin"))
        .expect("token");
    let client =
        Client::new(stamp.options("admin_arm", Credential::AccessToken(token))).expect("client");
    operations(&client);

    // A token the service refuses: its 401 surfaces (there is nothing to renew it with).
    let client = Client::new(stamp.options(
        "admin_arm",
        Credential::AccessToken(Secret::new("not.a.jwt")),
    ))
    .expect("client");
    let err = client
        .get_json(&client.arm_url(OPERATIONS).unwrap())
        .expect_err("refused");
    let Error::Service(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 401);
    assert_eq!(e.code.as_deref(), Some("InvalidAuthenticationToken"));
    assert!(e.request_id.is_some());
}

#[test]
fn a_token_for_the_wrong_audience_is_renewed_once_then_reported() {
    let stamp = start();
    // The tenant endpoint's audience on the admin endpoint: every token is refused with 401.
    let environment = Environment::custom(
        "Confused",
        &stamp.s("/admin_arm"),
        &stamp.s("/login_endpoint"),
        &stamp.s("/audiences/tenant"),
    )
    .unwrap();
    let options = ClientOptions::new(
        EnvironmentSpec::Custom(environment),
        stamp.secret_credential("operator"),
    )
    .with_transport(stamp.transport_options());
    let client = Client::new(options).expect("client");
    let err = client
        .get_json(&client.arm_url(OPERATIONS).unwrap())
        .expect_err("wrong audience");
    let e = err.service_error().expect("a service error");
    assert_eq!(e.status, 401);
    assert_eq!(
        e.code.as_deref(),
        Some("InvalidAuthenticationTokenAudience")
    );
}

#[test]
fn a_wrong_secret_is_an_authentication_error_without_the_secret() {
    let stamp = start();
    let sp = stamp.principal("operator");
    let secret = "Wr0ng-Secret-Value-4711";
    let credential = Credential::ClientSecret {
        tenant: stamp.s("/tenant_id"),
        client_id: sp["client_id"].as_str().unwrap().to_string(),
        secret: Secret::new(secret),
    };
    let client = Client::new(stamp.options("admin_arm", credential)).expect("client");
    let err = client
        .get_json(&client.arm_url(OPERATIONS).unwrap())
        .expect_err("refused");
    let Error::Authentication(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 401);
    assert_eq!(e.code.as_deref(), Some("invalid_client"));
    assert!(e.message.starts_with("AADSTS7000215"), "{}", e.message);
    assert!(e.request_id.is_some(), "Azure AD's trace id");
    let shown = format!("{err} {err:?} {:?}", client.tokens());
    assert!(!shown.contains(secret), "{shown}");
}

#[test]
fn service_unavailable_with_retry_after_is_waited_out() {
    let stamp = start();
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    // Sign in first, so the faults meet the request under test.
    client
        .tokens()
        .token(client.transport(), &client.environment().audience)
        .unwrap();
    stamp.set_faults(&["503:count=2,retry-after-ms=100"]);
    let started = Instant::now();
    operations(&client);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200),
        "honoured Retry-After twice: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[test]
fn throttling_without_retries_reports_the_service_answer() {
    let stamp = start();
    let mut options = stamp.options("admin_arm", stamp.secret_credential("operator"));
    options.transport.retry.max_retries = 0;
    let client = Client::new(options).expect("client");
    stamp.set_faults(&["429:count=1,retry-after-ms=100"]);
    let err = client
        .get_json(&client.arm_url(OPERATIONS).unwrap())
        .expect_err("throttled");
    let Error::Service(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 429);
    assert_eq!(e.code.as_deref(), Some("SubscriptionRequestsThrottled"));
    assert!(e.request_id.is_some(), "{e:?}");
    // The fault fired once; the next request goes through.
    operations(&client);
}

#[test]
fn dropped_and_truncated_bodies_are_recovered() {
    let stamp = start();
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    for fault in ["drop:count=1", "truncate:count=1"] {
        stamp.set_faults(&[fault]);
        operations(&client);
    }
}

#[test]
fn adfs_stamp() {
    let mut config = support::config();
    config.identity_mode = azs_emulator::identity::IdentityMode::Adfs;
    let stamp = support::start_with(config);
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    assert_eq!(client.environment().identity_system, IdentitySystem::Adfs);
    assert!(
        client
            .environment()
            .login_endpoint
            .path()
            .ends_with("/adfs/")
    );
    operations(&client);
}

#[test]
fn refusals_before_anything_is_sent() {
    // Plain http to a host that is not loopback (TEST-NET-1: nothing would answer).
    let started = Instant::now();
    let options = ClientOptions::new(
        EnvironmentSpec::Discover {
            arm_endpoint: Url::parse("http://192.0.2.10/").unwrap(),
        },
        Credential::AccessToken(Secret::new("t")),
    );
    let err = Client::new(options).expect_err("refused");
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("allow_http"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // A missing extra CA bundle.
    let missing = std::env::temp_dir().join("azs-billing-no-such-ca.pem");
    let mut options = ClientOptions::new(
        EnvironmentSpec::Discover {
            arm_endpoint: Url::parse("https://127.0.0.1:1/").unwrap(),
        },
        Credential::AccessToken(Secret::new("t")),
    );
    options.transport.ca_bundle = Some(missing.clone());
    let Err(Error::File { path, message, .. }) = Client::new(options) else {
        panic!("a missing CA bundle is a file error")
    };
    assert_eq!(path, missing.display().to_string());
    assert!(message.contains("cannot read"), "{message}");
}

#[test]
fn an_untrusted_certificate_fails_fast_with_a_hint() {
    let stamp = start();
    let mut options = stamp.options("admin_arm", Credential::AccessToken(Secret::new("t")));
    options.transport.ca_bundle = None;
    options.transport.retry.initial_delay = Duration::from_secs(2);
    let started = Instant::now();
    let err = Client::new(options).expect_err("the emulator's CA is not trusted");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("ca_bundle"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2), "not retried");

    // The same endpoint with the CA: the transport alone, reading the metadata anonymously.
    let transport = Transport::new(&stamp.transport_options()).unwrap();
    let env = Environment::discover(&transport, &stamp.url("/admin_arm")).unwrap();
    assert_eq!(env.audience, stamp.s("/audiences/admin"));
}
