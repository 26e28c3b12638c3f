//! Identity provider tests: the router is driven in memory with `tower::ServiceExt::oneshot`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use uuid::Uuid;

use super::*;

const DOMAIN: &str = "contoso.onmicrosoft.com";
const BASE: &str = "https://127.0.0.1:40123/";
const ADMIN: &str =
    "https://adminmanagement.contoso.onmicrosoft.com/6a2f2ec4-9f5c-4b8e-8e43-2b7a6f1b6f11";
/// Configured with a trailing slash, like ARM's own audience.
const TENANT: &str = "https://management.local.azurestack.external/";
const POWERSHELL: &str = "1950a258-227b-4e31-a9cf-717495945fc2";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn tenant_id() -> Uuid {
    Uuid::parse_str("8b5c3c1e-2f2a-4d61-9d6e-3a1f0b7c9e21").unwrap()
}

fn first_subscription() -> Uuid {
    Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap()
}

/// One set of generated principals (one RSA key) for the whole suite.
fn generated() -> &'static GeneratedPrincipals {
    static GENERATED: OnceLock<GeneratedPrincipals> = OnceLock::new();
    GENERATED.get_or_init(|| Principals::defaults(first_subscription(), DOMAIN))
}

/// A second, unrelated RSA key and certificate (for "signed with the wrong key").
fn stranger() -> &'static keys::GeneratedCertificate {
    static STRANGER: OnceLock<keys::GeneratedCertificate> = OnceLock::new();
    STRANGER.get_or_init(|| keys::generate_rsa_certificate("stranger").unwrap())
}

fn settings(mode: IdentityMode) -> IdentitySettings {
    IdentitySettings {
        mode,
        tenant_id: tenant_id(),
        tenant_domain: DOMAIN.to_string(),
        base_url: BASE.to_string(),
        audiences: vec![ADMIN.to_string(), TENANT.to_string()],
        access_token_lifetime: Duration::from_secs(3600),
        device_code_approval_delay: Duration::from_millis(200),
    }
}

fn provider(mode: IdentityMode) -> Arc<Identity> {
    Arc::new(Identity::new(settings(mode), generated().principals.clone()).unwrap())
}

fn sp(name: &str) -> &'static ServicePrincipal {
    generated()
        .principals
        .service_principal_named(name)
        .unwrap()
}

fn secret(name: &str) -> &'static str {
    sp(name).client_secret.as_deref().unwrap()
}

fn operator_user() -> &'static User {
    &generated().principals.users[0]
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn str(&self, key: &str) -> String {
        self.json()[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string '{key}' in {}", self.text))
            .to_string()
    }

    /// Asserts an OAuth error: status, `error`, and (Azure AD) the AADSTS code.
    #[track_caller]
    fn assert_error(&self, status: StatusCode, error: &str, code: Option<u32>) {
        self.assert_error_in("", status, error, code);
    }

    /// `assert_error` for the case `what` of a table, which each failure names.
    #[track_caller]
    fn assert_error_in(&self, what: &str, status: StatusCode, error: &str, code: Option<u32>) {
        assert_eq!(self.status, status, "{what}: {}", self.text);
        let body = self.json();
        assert_eq!(body["error"], error, "{what}: {}", self.text);
        let description = body["error_description"].as_str().unwrap();
        if let Some(code) = code {
            assert_eq!(body["error_codes"], json!([code]), "{what}: {}", self.text);
            assert!(
                description.starts_with(&format!("AADSTS{code}: ")),
                "{what}: {description}"
            );
            for field in ["timestamp", "trace_id", "correlation_id"] {
                assert!(
                    body[field].is_string(),
                    "{what}: {field} missing: {}",
                    self.text
                );
            }
        }
        for name in ["operator", "tenant"] {
            assert!(
                !self.text.contains(secret(name)),
                "{what}: a secret leaked: {}",
                self.text
            );
        }
        for user in &generated().principals.users {
            assert!(
                !self.text.contains(user.password.as_deref().unwrap()),
                "{what}: a password leaked"
            );
        }
    }
}

/// A form body, written as a typical request with one field changed, added or left out.
#[derive(Clone)]
struct Form(Vec<(&'static str, String)>);

impl Form {
    fn new(pairs: &[(&'static str, &str)]) -> Form {
        Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    /// `name` set to `value`: replaced in place, or added at the end.
    fn with(mut self, name: &'static str, value: impl Into<String>) -> Form {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(pair) => pair.1 = value,
            None => self.0.push((name, value)),
        }
        self
    }

    fn without(mut self, name: &str) -> Form {
        self.0.retain(|(n, _)| *n != name);
        self
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// The operator's client-credentials request on the v1 endpoint (`resource`).
fn operator_credentials() -> Form {
    Form::new(&[
        ("grant_type", "client_credentials"),
        ("client_id", &sp("operator").client_id.to_string()),
        ("client_secret", secret("operator")),
        ("resource", ADMIN),
    ])
}

/// A token request the provider must refuse, and how.
struct Refusal {
    what: &'static str,
    path: String,
    form: Form,
    status: StatusCode,
    error: &'static str,
    code: Option<u32>,
    /// Text `error_description` has to contain.
    mentions: Option<String>,
    /// Text the answer must not echo (a credential the caller sent).
    hides: Option<String>,
}

fn refusal(
    what: &'static str,
    path: &str,
    form: Form,
    (status, error, code): (StatusCode, &'static str, u32),
) -> Refusal {
    Refusal {
        what,
        path: path.to_string(),
        form,
        status,
        error,
        code: Some(code),
        mentions: None,
        hides: None,
    }
}

impl Refusal {
    fn mentions(mut self, text: impl Into<String>) -> Refusal {
        self.mentions = Some(text.into());
        self
    }

    fn hides(mut self, text: impl Into<String>) -> Refusal {
        self.hides = Some(text.into());
        self
    }
}

async fn assert_refusals(router: &Router, cases: Vec<Refusal>) {
    for case in cases {
        let what = case.what;
        let reply = post(router, &case.path, &case.form.pairs()).await;
        reply.assert_error_in(what, case.status, case.error, case.code);
        if let Some(text) = &case.mentions {
            let description = reply.str("error_description");
            assert!(description.contains(text), "{what}: {description}");
        }
        if let Some(text) = &case.hides {
            assert!(!reply.text.contains(text), "{what}: echoed {text}");
        }
    }
}

const INVALID_REQUEST: (StatusCode, &str, u32) =
    (StatusCode::BAD_REQUEST, "invalid_request", 900144);
const INVALID_RESOURCE: (StatusCode, &str, u32) =
    (StatusCode::BAD_REQUEST, "invalid_resource", 500011);

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn post(router: &Router, path: &str, form: &[(&str, &str)]) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded;charset=utf-8",
        )
        .body(Body::from(body))
        .unwrap();
    send(router, request).await
}

async fn get(router: &Router, path: &str) -> Reply {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    send(router, request).await
}

fn v1_token_path() -> String {
    format!("/{}/oauth2/token", tenant_id())
}

fn v2_token_path() -> String {
    format!("/{}/oauth2/v2.0/token", tenant_id())
}

fn decode_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn secret_token_v1(router: &Router, name: &str, resource: &str) -> Reply {
    let client_id = sp(name).client_id.to_string();
    post(
        router,
        &v1_token_path(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret(name)),
            ("resource", resource),
        ],
    )
    .await
}

/// A client assertion for the `operator-certificate` principal.
fn assertion(header: jsonwebtoken::Header, claims: Value, private_key_pem: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn cert_client_id() -> String {
    sp("operator-certificate").client_id.to_string()
}

fn cert_x5t() -> (String, String) {
    let cert = keys::ClientCertificate::from_pem(&generated().certificate_pem).unwrap();
    (cert.x5t, cert.x5t_s256)
}

fn rs256_header() -> jsonwebtoken::Header {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t = Some(cert_x5t().0);
    header
}

fn assertion_claims(aud: &str) -> Value {
    let now = unix_now();
    json!({
        "aud": aud,
        "iss": cert_client_id(),
        "sub": cert_client_id(),
        "jti": Uuid::new_v4().to_string(),
        "nbf": now - 90,
        "exp": now + 600,
    })
}

/// The certificate principal's client-credentials request with `assertion`, for `target` (`resource` or
/// `scope`).
fn assertion_form(assertion: &str, (name, value): (&'static str, &str)) -> Form {
    Form::new(&[
        ("grant_type", "client_credentials"),
        ("client_id", &cert_client_id()),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ])
    .with(name, value)
}

async fn assertion_token(
    router: &Router,
    path: &str,
    assertion: &str,
    target: (&'static str, &str),
) -> Reply {
    post(router, path, &assertion_form(assertion, target).pairs()).await
}

// ---------------------------------------------------------------------------------------------------------
// Client credentials

#[tokio::test]
async fn identity_client_secret_v1_token_verifies_for_its_audience_only() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let reply = secret_token_v1(&router, "operator", ADMIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store, no-cache");
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "3599");
    assert_eq!(body["ext_expires_in"], "3599");
    assert_eq!(body["resource"], ADMIN);
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    let not_before: i64 = body["not_before"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_on - not_before, 3600);
    assert!(body.get("refresh_token").is_none());

    let token = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(identity.signing_key_id()));
    assert_eq!(header.x5t.as_deref(), Some(identity.signing_key_id()));
    let claims = decode_claims(token);
    assert_eq!(claims["aud"], ADMIN);
    assert_eq!(claims["iss"], format!("{BASE}{}/", tenant_id()));
    assert_eq!(claims["tid"], tenant_id().to_string());
    assert_eq!(claims["oid"], sp("operator").object_id.to_string());
    assert_eq!(claims["appid"], sp("operator").client_id.to_string());
    assert_eq!(claims["appidacr"], "1");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "1.0");

    let caller = identity.verify_access_token(token, ADMIN).unwrap();
    assert_eq!(caller.name, "operator");
    assert_eq!(caller.object_id, sp("operator").object_id);
    assert!(caller.access.admin);
    // Trailing slash ignored.
    assert!(
        identity
            .verify_access_token(token, &format!("{ADMIN}/"))
            .is_ok()
    );
    match identity.verify_access_token(token, TENANT) {
        Err(TokenRejection::WrongAudience { got, expected }) => {
            assert_eq!(got, ADMIN);
            assert_eq!(expected, TENANT);
        }
        other => panic!("expected WrongAudience, got {other:?}"),
    }
}

#[tokio::test]
async fn identity_client_secret_v2_uses_numbers_and_v2_claims() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let client_id = sp("tenant").client_id.to_string();
    // "https://host//.default" for an audience with a trailing slash, as Azure SDKs do.
    let scope = format!("{TENANT}/.default");
    let reply = post(
        &router,
        &v2_token_path(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret("tenant")),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], scope);
    let token = body["access_token"].as_str().unwrap();
    let claims = decode_claims(token);
    assert_eq!(claims["aud"], TENANT);
    assert_eq!(claims["iss"], format!("{BASE}{}/v2.0", tenant_id()));
    assert_eq!(claims["azp"], client_id);
    assert_eq!(claims["ver"], "2.0");
    let caller = identity.verify_access_token(token, TENANT).unwrap();
    assert_eq!(caller.name, "tenant");
    assert!(!caller.access.admin);
    assert!(
        caller
            .access
            .can_read_subscription(&first_subscription().to_string())
    );
    assert!(matches!(
        identity.verify_access_token(token, ADMIN),
        Err(TokenRejection::WrongAudience { .. })
    ));
}

#[tokio::test]
async fn identity_tenant_segment_by_guid_domain_common_and_unknown() {
    let router = provider(IdentityMode::Aad).router();
    let client_id = sp("operator").client_id.to_string();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret("operator")),
        ("resource", ADMIN),
    ];
    for tenant in [
        tenant_id().to_string(),
        tenant_id().to_string().to_uppercase(),
        DOMAIN.to_string(),
        DOMAIN.to_uppercase(),
        "common".to_string(),
        "organizations".to_string(),
    ] {
        let reply = post(&router, &format!("/{tenant}/oauth2/token"), &form).await;
        assert_eq!(reply.status, StatusCode::OK, "{tenant}: {}", reply.text);
    }
    for tenant in [
        "fabrikam.onmicrosoft.com",
        "00000000-0000-0000-0000-000000000001",
        "consumers",
    ] {
        let reply = post(&router, &format!("/{tenant}/oauth2/token"), &form).await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(90002));
        assert!(
            reply
                .str("error_description")
                .contains(&format!("Tenant '{tenant}' not found"))
        );
        let reply = get(
            &router,
            &format!("/{tenant}/v2.0/.well-known/openid-configuration"),
        )
        .await;
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(90002));
    }
}

#[tokio::test]
async fn identity_paths_are_case_insensitive_and_methods_checked() {
    let router = provider(IdentityMode::Aad).router();
    let client_id = sp("operator").client_id.to_string();
    let scope = format!("{ADMIN}/.default");
    let reply = post(
        &router,
        "/Common/OAuth2/V2.0/Token/",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret("operator")),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    for (path, status) in [
        (v1_token_path(), StatusCode::METHOD_NOT_ALLOWED),
        ("/nothing/here/at/all".to_string(), StatusCode::NOT_FOUND),
        ("/".to_string(), StatusCode::NOT_FOUND),
        ("/devicelogin".to_string(), StatusCode::OK),
        ("/common/oauth2/v2.0/logout".to_string(), StatusCode::OK),
    ] {
        assert_eq!(get(&router, &path).await.status, status, "GET {path}");
    }
    get(
        &router,
        &format!("/{DOMAIN}/oauth2/authorize?client_id={POWERSHELL}"),
    )
    .await
    .assert_error(
        StatusCode::BAD_REQUEST,
        "unsupported_response_type",
        Some(900144),
    );
}

#[tokio::test]
async fn identity_client_secret_basic_authorization_header() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let credentials = STANDARD.encode(format!(
        "{}:{}",
        sp("operator").client_id,
        secret("operator")
    ));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("grant_type", "client_credentials"), ("resource", ADMIN)])
        .finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(v1_token_path())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, format!("Basic {credentials}"))
        .header("client-request-id", "5a5c0b9e-1c8d-4f7e-9a64-0d8e7d1b2c3a")
        .body(Body::from(body))
        .unwrap();
    let reply = send(&router, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.headers["client-request-id"],
        "5a5c0b9e-1c8d-4f7e-9a64-0d8e7d1b2c3a"
    );
    assert!(
        identity
            .verify_access_token(&reply.str("access_token"), ADMIN)
            .is_ok()
    );
}

#[tokio::test]
async fn identity_oauth_errors_have_azure_ad_shape_and_codes() {
    let router = provider(IdentityMode::Aad).router();
    let operator = sp("operator").client_id.to_string();
    let v1 = v1_token_path();
    let v2 = v2_token_path();
    let unknown = Uuid::new_v4().to_string();
    let wrong = format!("{}x", secret("operator"));
    // The v2 endpoint names a scope instead of a resource.
    let v2_credentials = || operator_credentials().without("resource");
    let unauthorized = |code| (StatusCode::UNAUTHORIZED, "invalid_client", code);
    assert_refusals(
        &router,
        vec![
            refusal(
                "no grant_type",
                &v1,
                operator_credentials()
                    .without("grant_type")
                    .without("client_secret"),
                INVALID_REQUEST,
            )
            .mentions("'grant_type'"),
            refusal(
                "no client_id",
                &v1,
                operator_credentials()
                    .without("client_id")
                    .without("client_secret"),
                INVALID_REQUEST,
            )
            .mentions("'client_id'"),
            refusal(
                "no resource",
                &v1,
                operator_credentials().without("resource"),
                INVALID_REQUEST,
            )
            .mentions("'resource'"),
            refusal(
                "unknown client",
                &v1,
                operator_credentials().with("client_id", &unknown),
                (StatusCode::BAD_REQUEST, "unauthorized_client", 700016),
            )
            .mentions(&unknown),
            refusal(
                "wrong secret",
                &v1,
                operator_credentials().with("client_secret", &wrong),
                unauthorized(7000215),
            )
            .hides(&wrong),
            refusal(
                "a secret for the certificate principal, which has none",
                &v1,
                operator_credentials()
                    .with("client_id", cert_client_id())
                    .with("client_secret", "guess"),
                unauthorized(7000218),
            )
            .hides("guess"),
            refusal(
                "no credential at all",
                &v1,
                operator_credentials().without("client_secret"),
                unauthorized(7000218),
            ),
            refusal(
                "a resource the provider does not issue for",
                &v1,
                operator_credentials().with("resource", "https://graph.windows.net/"),
                INVALID_RESOURCE,
            )
            .mentions("https://graph.windows.net/"),
            refusal(
                "a scope other than .default",
                &v2,
                v2_credentials().with("scope", format!("{ADMIN}/user_impersonation")),
                (StatusCode::BAD_REQUEST, "invalid_scope", 1002012),
            ),
            refusal(
                "the .default scope of an unknown resource",
                &v2,
                v2_credentials().with("scope", "https://unknown.example/.default"),
                INVALID_RESOURCE,
            ),
            refusal("no scope", &v2, v2_credentials(), INVALID_REQUEST).mentions("'scope'"),
            refusal(
                "the authorization code grant",
                &v1,
                Form::new(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", &operator),
                    ("code", "abc"),
                ]),
                (StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003),
            ),
        ],
    )
    .await;

    // A JSON body is refused.
    let request = Request::builder()
        .method(Method::POST)
        .uri(&v1)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"grant_type": "client_credentials", "client_id": operator, "client_secret": secret("operator"),
                   "resource": ADMIN})
            .to_string(),
        ))
        .unwrap();
    let reply = send(&router, request).await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_request", Some(900144));
}

// ---------------------------------------------------------------------------------------------------------
// Client assertions

#[tokio::test]
async fn identity_client_assertion_rs256_and_ps256_accepted() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let key = &generated().private_key_pem;

    // v2, audience = the v2 token endpoint with the tenant GUID (what MSAL sends).
    let aud = format!("{BASE}{}/oauth2/v2.0/token", tenant_id());
    let scope = format!("{ADMIN}/.default");
    let reply = assertion_token(
        &router,
        &v2_token_path(),
        &assertion(rs256_header(), assertion_claims(&aud), key),
        ("scope", &scope),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.str("access_token");
    assert_eq!(decode_claims(&token)["appidacr"], "2");
    let caller = identity.verify_access_token(&token, ADMIN).unwrap();
    assert_eq!(caller.name, "operator-certificate");

    // v1 by domain, audience with the domain (upper case, trailing slash), PS256 with x5t#S256.
    let path = format!("/{DOMAIN}/oauth2/token");
    let aud = format!("{BASE}{}/oauth2/token/", DOMAIN.to_uppercase());
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.x5t_s256 = Some(cert_x5t().1);
    let reply = assertion_token(
        &router,
        &path,
        &assertion(header, assertion_claims(&aud), key),
        ("resource", ADMIN),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        identity
            .verify_access_token(&reply.str("access_token"), ADMIN)
            .is_ok()
    );
}

#[tokio::test]
async fn identity_client_assertion_failures() {
    let router = provider(IdentityMode::Aad).router();
    let key = &generated().private_key_pem;
    let aud = format!("{BASE}{}/oauth2/token", tenant_id());
    let path = v1_token_path();
    // The valid assertion's claims with `changes` applied; a null removes the claim.
    let signed_with = |changes: Value| {
        let mut claims = assertion_claims(&aud);
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => {
                    claims.as_object_mut().unwrap().remove(name);
                }
                value => claims[name] = value.clone(),
            }
        }
        assertion(rs256_header(), claims, key)
    };
    let now = unix_now();
    let mut other_thumbprint = rs256_header();
    other_thumbprint.x5t = Some(keys::x5t_sha1(&stranger().certificate_der));

    // (what, assertion, AADSTS code of the 401 invalid_client, text of its description)
    let refused: Vec<(&str, String, u32, Option<&str>)> = vec![
        (
            "signed by another key, but claiming the registered certificate's thumbprint",
            assertion(
                rs256_header(),
                assertion_claims(&aud),
                &stranger().private_key_pem,
            ),
            700027,
            None,
        ),
        (
            "the right key but the thumbprint of another certificate",
            assertion(other_thumbprint, assertion_claims(&aud), key),
            700027,
            Some("key was not found"),
        ),
        (
            "no thumbprint at all",
            assertion(
                jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
                assertion_claims(&aud),
                key,
            ),
            700027,
            None,
        ),
        (
            "expired",
            signed_with(json!({ "nbf": now - 7200, "exp": now - 3600 })),
            700024,
            None,
        ),
        (
            "not yet valid",
            signed_with(json!({ "nbf": now + 3600, "exp": now + 7200 })),
            700024,
            None,
        ),
        (
            "wrong audience",
            signed_with(json!({ "aud": "https://login.microsoftonline.com/common/oauth2/token" })),
            50013,
            Some("audience"),
        ),
        (
            "iss/sub not the client id",
            signed_with(json!({ "sub": Uuid::new_v4().to_string() })),
            700023,
            None,
        ),
        ("no jti", signed_with(json!({ "jti": null })), 50027, None),
        ("garbage", "not-a-jwt".to_string(), 50027, None),
    ];
    let target = ("resource", ADMIN);
    let mut cases: Vec<Refusal> = refused
        .into_iter()
        .map(|(what, signed, code, mentions)| {
            let case = refusal(
                what,
                &path,
                assertion_form(&signed, target),
                (StatusCode::UNAUTHORIZED, "invalid_client", code),
            )
            .hides(&signed);
            match mentions {
                Some(text) => case.mentions(text),
                None => case,
            }
        })
        .collect();
    let signed = signed_with(json!({}));
    cases.extend([
        refusal(
            "a principal without a certificate",
            &path,
            assertion_form(&signed, target).with("client_id", sp("operator").client_id.to_string()),
            (StatusCode::UNAUTHORIZED, "invalid_client", 700027),
        ),
        refusal(
            "no assertion type",
            &path,
            assertion_form(&signed, target).without("client_assertion_type"),
            INVALID_REQUEST,
        ),
    ]);
    assert_refusals(&router, cases).await;

    // Within the 5 minutes of skew: accepted.
    let reply = assertion_token(
        &router,
        &path,
        &signed_with(json!({ "nbf": now + 120 })),
        target,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

// ---------------------------------------------------------------------------------------------------------
// User flows

#[tokio::test]
async fn identity_device_code_v1_pending_then_approved_then_redeemed_once() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let reply = post(
        &router,
        &format!("/{DOMAIN}/oauth2/devicecode"),
        &[("client_id", POWERSHELL), ("resource", ADMIN)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["verification_url"], format!("{BASE}devicelogin"));
    assert_eq!(body["expires_in"], "900");
    assert_eq!(body["interval"], "1");
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert!(body["message"].as_str().unwrap().contains(user_code));
    let device_code = body["device_code"].as_str().unwrap().to_string();

    let poll = [
        ("grant_type", "device_code"),
        ("code", device_code.as_str()),
        ("client_id", POWERSHELL),
        ("resource", ADMIN),
    ];
    let path = format!("/{DOMAIN}/oauth2/token");
    post(&router, &path, &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "authorization_pending",
        Some(70016),
    );

    tokio::time::sleep(Duration::from_millis(250)).await;
    let reply = post(&router, &path, &poll).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["expires_in"], "3599");
    assert_eq!(body["scope"], "user_impersonation");
    assert!(body["refresh_token"].is_string());
    let id_token = decode_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], POWERSHELL);
    assert_eq!(id_token["upn"], operator_user().upn);
    let token = body["access_token"].as_str().unwrap();
    let claims = decode_claims(token);
    assert_eq!(claims["appid"], POWERSHELL);
    assert_eq!(claims["appidacr"], "0");
    assert_eq!(claims["idtyp"], "user");
    assert_eq!(claims["upn"], operator_user().upn);
    assert_eq!(claims["unique_name"], operator_user().upn);
    assert_eq!(claims["name"], "operator");
    assert_eq!(claims["scp"], "user_impersonation");
    let caller = identity.verify_access_token(token, ADMIN).unwrap();
    assert_eq!(caller.name, operator_user().upn);
    assert!(identity.verify_access_token(token, TENANT).is_err());

    post(&router, &path, &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        Some(54005),
    );

    let unknown = [
        ("grant_type", "device_code"),
        ("code", "nope"),
        ("client_id", POWERSHELL),
        ("resource", ADMIN),
    ];
    post(&router, &path, &unknown).await.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        Some(70000),
    );
}

#[tokio::test]
async fn identity_device_code_v2_gives_msal_what_it_needs() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let scope = format!("{ADMIN}/.default openid profile offline_access");
    let reply = post(
        &router,
        &format!("/{}/oauth2/v2.0/devicecode", tenant_id()),
        &[("client_id", POWERSHELL), ("scope", &scope)],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["verification_uri"], format!("{BASE}devicelogin"));
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["interval"], 1);
    let device_code = body["device_code"].as_str().unwrap().to_string();

    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.as_str()),
        ("client_id", POWERSHELL),
        ("scope", scope.as_str()),
        ("client_info", "1"),
    ];
    post(&router, &v2_token_path(), &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "authorization_pending",
        Some(70016),
    );
    identity.age_device_code(&device_code, Duration::from_secs(1));
    let reply = post(&router, &v2_token_path(), &poll).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["expires_in"], 3599);
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains(&format!("{ADMIN}/.default"))
    );
    assert!(body["refresh_token"].is_string());
    let client_info: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(body["client_info"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(client_info["uid"], operator_user().object_id.to_string());
    assert_eq!(client_info["utid"], tenant_id().to_string());
    let id_token = decode_claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["aud"], POWERSHELL);
    assert_eq!(id_token["iss"], format!("{BASE}{}/v2.0", tenant_id()));
    assert_eq!(id_token["preferred_username"], operator_user().upn);
    assert_eq!(id_token["oid"], operator_user().object_id.to_string());
    assert_eq!(id_token["tid"], tenant_id().to_string());
    assert_eq!(id_token["ver"], "2.0");
    // The id token is signed by the provider too.
    assert!(
        verify_signature(
            body["id_token"].as_str().unwrap(),
            identity.key.decoding_key(),
            jsonwebtoken::Algorithm::RS256
        )
        .is_ok()
    );
    let token = body["access_token"].as_str().unwrap();
    let claims = decode_claims(token);
    assert_eq!(claims["aud"], ADMIN);
    assert_eq!(claims["azp"], POWERSHELL);
    assert_eq!(claims["ver"], "2.0");
    assert!(identity.verify_access_token(token, ADMIN).is_ok());
}

#[tokio::test]
async fn identity_device_code_expiry_and_no_users() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let issue = post(
        &router,
        &format!("/{DOMAIN}/oauth2/devicecode"),
        &[("client_id", POWERSHELL), ("resource", ADMIN)],
    )
    .await;
    let device_code = issue.str("device_code");
    identity.age_device_code(&device_code, DEVICE_CODE_LIFETIME + Duration::from_secs(1));
    let poll = [
        ("grant_type", "device_code"),
        ("code", device_code.as_str()),
        ("client_id", POWERSHELL),
    ];
    post(&router, &v1_token_path(), &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "expired_token",
        Some(70019),
    );

    // Another client cannot redeem it.
    let issue = post(
        &router,
        &format!("/{DOMAIN}/oauth2/devicecode"),
        &[("client_id", POWERSHELL), ("resource", ADMIN)],
    )
    .await;
    let device_code = issue.str("device_code");
    identity.age_device_code(&device_code, Duration::from_secs(1));
    let other = Uuid::new_v4().to_string();
    let poll = [
        ("grant_type", "device_code"),
        ("code", device_code.as_str()),
        ("client_id", other.as_str()),
    ];
    post(&router, &v1_token_path(), &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        Some(70000),
    );

    // Unknown resource at issue time.
    post(
        &router,
        &format!("/{DOMAIN}/oauth2/devicecode"),
        &[("client_id", POWERSHELL), ("resource", "https://nope/")],
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_resource", Some(500011));

    let mut principals = generated().principals.clone();
    principals.users.clear();
    let lonely = Arc::new(Identity::new(settings(IdentityMode::Aad), principals).unwrap());
    let router = lonely.clone().router();
    let issue = post(
        &router,
        &format!("/{DOMAIN}/oauth2/devicecode"),
        &[("client_id", POWERSHELL), ("resource", ADMIN)],
    )
    .await;
    let device_code = issue.str("device_code");
    lonely.age_device_code(&device_code, Duration::from_secs(1));
    let poll = [
        ("grant_type", "device_code"),
        ("code", device_code.as_str()),
        ("client_id", POWERSHELL),
    ];
    post(&router, &v1_token_path(), &poll).await.assert_error(
        StatusCode::BAD_REQUEST,
        "access_denied",
        Some(70000),
    );
}

#[tokio::test]
async fn identity_password_grant() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let tenant_user = &generated().principals.users[1];
    let upn = tenant_user.upn.to_uppercase();
    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "password"),
            ("client_id", POWERSHELL),
            ("resource", TENANT),
            ("username", &upn),
            ("password", tenant_user.password.as_deref().unwrap()),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let caller = identity
        .verify_access_token(&reply.str("access_token"), TENANT)
        .unwrap();
    assert_eq!(caller.name, tenant_user.upn);
    assert!(!caller.access.admin);

    let attempt = Form::new(&[
        ("grant_type", "password"),
        ("client_id", POWERSHELL),
        ("resource", TENANT),
        ("username", &upn),
        ("password", "x"),
    ]);
    let invalid_grant = |code| (StatusCode::BAD_REQUEST, "invalid_grant", code);
    assert_refusals(
        &router,
        vec![
            refusal(
                "wrong password",
                &v1_token_path(),
                attempt.clone().with("password", "Wrong-password-1"),
                invalid_grant(50126),
            )
            .hides("Wrong-password-1"),
            refusal(
                "unknown user",
                &v1_token_path(),
                attempt
                    .clone()
                    .with("username", "nobody@contoso.onmicrosoft.com"),
                invalid_grant(50034),
            ),
            refusal(
                "unknown client",
                &v1_token_path(),
                attempt.with("client_id", "powershell"),
                (StatusCode::BAD_REQUEST, "unauthorized_client", 700016),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn identity_refresh_token_rotation() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let user = operator_user();
    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "password"),
            ("client_id", POWERSHELL),
            ("resource", ADMIN),
            ("username", &user.upn),
            ("password", user.password.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let first = reply.str("refresh_token");

    // Multi-resource refresh: a token for the tenant audience from the same refresh token.
    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", POWERSHELL),
            ("refresh_token", &first),
            ("resource", TENANT),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let second = reply.str("refresh_token");
    assert_ne!(first, second);
    assert!(
        identity
            .verify_access_token(&reply.str("access_token"), TENANT)
            .is_ok()
    );

    // v2 with the new one; no resource named → the original one would be used, here a scope is given.
    let scope = format!("{ADMIN}/.default openid offline_access");
    let reply = post(
        &router,
        &v2_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", POWERSHELL),
            ("refresh_token", &second),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        identity
            .verify_access_token(&reply.str("access_token"), ADMIN)
            .is_ok()
    );

    // The old one stays valid; without a resource it gives the original resource.
    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", POWERSHELL),
            ("refresh_token", &first),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["resource"], ADMIN);

    let other = Uuid::new_v4().to_string();
    post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &other),
            ("refresh_token", &first),
            ("resource", ADMIN),
        ],
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "invalid_grant", Some(70000));

    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", POWERSHELL),
            ("refresh_token", "bogus"),
            ("resource", ADMIN),
        ],
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant", Some(9002313));

    identity.expire_refresh_token(&first);
    let reply = post(
        &router,
        &v1_token_path(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", POWERSHELL),
            ("refresh_token", &first),
            ("resource", ADMIN),
        ],
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_grant", Some(70008));
    assert!(!reply.text.contains(&first));
}

// ---------------------------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn identity_openid_configuration_and_jwks() {
    let identity = provider(IdentityMode::Aad);
    let router = identity.clone().router();
    let tid = tenant_id();

    let reply = get(
        &router,
        &format!("/{DOMAIN}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let v2 = reply.json();
    assert_eq!(v2["issuer"], format!("{BASE}{tid}/v2.0"));
    assert_eq!(
        v2["token_endpoint"],
        format!("{BASE}{tid}/oauth2/v2.0/token")
    );
    assert_eq!(
        v2["authorization_endpoint"],
        format!("{BASE}{tid}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        v2["device_authorization_endpoint"],
        format!("{BASE}{tid}/oauth2/v2.0/devicecode")
    );
    assert_eq!(
        v2["end_session_endpoint"],
        format!("{BASE}{tid}/oauth2/v2.0/logout")
    );
    assert_eq!(v2["jwks_uri"], format!("{BASE}{tid}/discovery/v2.0/keys"));
    assert_eq!(
        v2["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    for field in [
        "response_types_supported",
        "subject_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        assert!(v2[field].is_array(), "{field}");
    }
    assert!(v2.get("tenant_region_scope").is_some());
    assert!(v2["cloud_instance_name"].is_string());

    let v2_common = get(&router, "/common/v2.0/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(v2_common["issuer"], format!("{BASE}{{tenantid}}/v2.0"));
    assert_eq!(
        v2_common["token_endpoint"],
        format!("{BASE}common/oauth2/v2.0/token")
    );

    let v1 = get(&router, &format!("/{tid}/.well-known/openid-configuration"))
        .await
        .json();
    assert_eq!(v1["issuer"], format!("{BASE}{tid}/"));
    assert_eq!(v1["token_endpoint"], format!("{BASE}{tid}/oauth2/token"));
    assert_eq!(
        v1["device_authorization_endpoint"],
        format!("{BASE}{tid}/oauth2/devicecode")
    );

    // JWKS, under both paths; its key verifies an issued token.
    let token = secret_token_v1(&router, "operator", ADMIN)
        .await
        .str("access_token");
    for path in [
        format!("/{tid}/discovery/keys"),
        "/common/discovery/v2.0/keys".to_string(),
    ] {
        let jwks = get(&router, &path).await.json();
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["kid"], identity.signing_key_id());
        assert_eq!(key["e"], "AQAB");
        let der = STANDARD.decode(key["x5c"][0].as_str().unwrap()).unwrap();
        assert_eq!(key["x5t"], keys::x5t_sha1(&der));
        let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
            key["n"].as_str().unwrap(),
            key["e"].as_str().unwrap(),
        )
        .unwrap();
        let claims = verify_signature(&token, &decoding, jsonwebtoken::Algorithm::RS256).unwrap();
        assert_eq!(claims["aud"], ADMIN);
    }
}

#[tokio::test]
async fn identity_instance_discovery_and_user_realm() {
    let router = provider(IdentityMode::Aad).router();
    let authorize = format!("{BASE}{DOMAIN}/oauth2/v2.0/authorize");
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api-version", "1.1"),
            ("authorization_endpoint", authorize.as_str()),
        ])
        .finish();
    let reply = get(&router, &format!("/common/discovery/instance?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        body["tenant_discovery_endpoint"],
        format!("{BASE}{DOMAIN}/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(body["api-version"], "1.1");
    assert_eq!(body["metadata"][0]["preferred_network"], "127.0.0.1:40123");
    assert_eq!(body["metadata"][0]["aliases"], json!(["127.0.0.1:40123"]));

    let reply = get(
        &router,
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.example/common/oauth2/v2.0/authorize",
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_instance", Some(50049));

    let realm = get(
        &router,
        &format!("/common/UserRealm/{}?api-version=1.0", operator_user().upn),
    )
    .await
    .json();
    assert_eq!(realm["account_type"], "Managed");
    let realm = get(
        &router,
        "/common/userrealm/someone%40elsewhere.example?api-version=1.0",
    )
    .await
    .json();
    assert_eq!(realm["account_type"], "Unknown");
}

// ---------------------------------------------------------------------------------------------------------
// AD FS

#[tokio::test]
async fn identity_adfs_mode_routes_issuer_and_errors() {
    let identity = provider(IdentityMode::Adfs);
    assert_eq!(identity.login_endpoint(), format!("{BASE}adfs/"));
    assert_eq!(provider(IdentityMode::Aad).login_endpoint(), BASE);
    let router = identity.clone().router();

    let config = get(&router, "/adfs/.well-known/openid-configuration").await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.text);
    let config = config.json();
    assert_eq!(config["issuer"], format!("{BASE}adfs"));
    assert_eq!(
        config["issuer"].as_str().unwrap().rsplit('/').next(),
        Some("adfs")
    );
    assert_eq!(config["token_endpoint"], format!("{BASE}adfs/oauth2/token"));
    assert_eq!(
        config["device_authorization_endpoint"],
        format!("{BASE}adfs/oauth2/devicecode")
    );
    assert_eq!(config["jwks_uri"], format!("{BASE}adfs/discovery/keys"));
    let jwks = get(&router, "/adfs/discovery/keys").await.json();
    assert_eq!(jwks["keys"][0]["kid"], identity.signing_key_id());

    // Azure AD routes do not exist in AD FS mode.
    for path in [
        format!("/{}/.well-known/openid-configuration", tenant_id()),
        "/common/v2.0/.well-known/openid-configuration".to_string(),
        "/common/discovery/instance".to_string(),
    ] {
        assert_eq!(
            get(&router, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let reply = secret_token_v1(&router, "operator", ADMIN).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // Client secret with resource=.
    let client_id = sp("operator").client_id.to_string();
    let reply = post(
        &router,
        "/adfs/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret("operator")),
            ("resource", ADMIN),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["expires_in"], 3599);
    let token = reply.str("access_token");
    let claims = decode_claims(&token);
    assert_eq!(claims["iss"], format!("{BASE}adfs"));
    assert_eq!(claims["aud"], ADMIN);
    assert!(identity.verify_access_token(&token, ADMIN).is_ok());

    // MSAL-style: scope=, a client assertion addressed to the published endpoint with a trailing slash.
    let aud = format!("{BASE}adfs/oauth2/token/");
    let signed = assertion(
        rs256_header(),
        assertion_claims(&aud),
        &generated().private_key_pem,
    );
    let scope = format!("{ADMIN}/.default");
    let reply = assertion_token(&router, "/adfs/oauth2/token", &signed, ("scope", &scope)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        identity
            .verify_access_token(&reply.str("access_token"), ADMIN)
            .is_ok()
    );

    // AD FS error shape: no AADSTS fields.
    let wrong = format!("{}x", secret("operator"));
    let reply = post(
        &router,
        "/adfs/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &wrong),
            ("resource", ADMIN),
        ],
    )
    .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_client", None);
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().len(), 2, "{}", reply.text);
    assert!(
        !body["error_description"]
            .as_str()
            .unwrap()
            .contains("AADSTS")
    );

    // Device code, polled with the v2 grant name.
    let issue = post(
        &router,
        "/adfs/oauth2/devicecode",
        &[("client_id", POWERSHELL), ("resource", ADMIN)],
    )
    .await;
    assert_eq!(issue.status, StatusCode::OK, "{}", issue.text);
    let device_code = issue.str("device_code");
    identity.age_device_code(&device_code, Duration::from_secs(1));
    let reply = post(
        &router,
        "/adfs/oauth2/token",
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", &device_code),
            ("client_id", POWERSHELL),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.json()["refresh_token"].is_string());
    let caller = identity
        .verify_access_token(&reply.str("access_token"), ADMIN)
        .unwrap();
    assert_eq!(caller.name, operator_user().upn);

    // AD FS routes do not exist in Azure AD mode.
    let aad = provider(IdentityMode::Aad).router();
    let reply = post(
        &aad,
        "/adfs/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret("operator")),
            ("resource", ADMIN),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&aad, "/adfs/.well-known/openid-configuration")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------------------------------------
// Token verification

#[tokio::test]
async fn identity_verify_rejects_expired_future_tampered_and_unknown_tokens() {
    let identity = provider(IdentityMode::Aad);
    let oid = sp("operator").object_id.to_string();
    let now = unix_now();
    let mint = |aud: &str, nbf: i64, exp: i64, oid: &str| {
        identity
            .sign_claims(&json!({ "aud": aud, "nbf": nbf, "iat": nbf, "exp": exp, "oid": oid, "tid": tenant_id(), "iss": identity.tenant_issuer() }))
            .unwrap()
    };

    let good = mint(ADMIN, now, now + 3600, &oid);
    // Signed by this provider, but for another tenant or from another issuer.
    let with = |changes: serde_json::Value| {
        let mut claims = decode_claims(&good);
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        identity.sign_claims(&claims).unwrap()
    };
    let other = "0f0e0d0c-0b0a-4909-8807-060504030201";
    let base = identity.settings().base_url.clone();
    for (changes, rejection) in [
        (json!({ "tid": other }), "WrongTenant"),
        (
            json!({ "iss": format!("{base}{other}/"), "tid": other }),
            "WrongTenant",
        ),
        (
            json!({ "iss": format!("{base}{other}/v2.0") }),
            "WrongTenant",
        ),
        (
            json!({ "iss": format!("{base}{}/v2.0", tenant_id()) }),
            "ok",
        ),
        (json!({ "iss": format!("{base}adfs") }), "UntrustedIssuer"),
        (
            json!({ "iss": "https://sts.windows.net/x/" }),
            "UntrustedIssuer",
        ),
        (json!({ "iss": 7 }), "Malformed"),
    ] {
        let got = match identity.verify_access_token(&with(changes.clone()), ADMIN) {
            Ok(_) => "ok",
            Err(TokenRejection::WrongTenant { .. }) => "WrongTenant",
            Err(TokenRejection::UntrustedIssuer { .. }) => "UntrustedIssuer",
            Err(TokenRejection::Malformed) => "Malformed",
            Err(other) => panic!("{changes}: {other}"),
        };
        assert_eq!(got, rejection, "{changes}");
    }

    // Tokens whose signature does not hold.
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    let mut claims = decode_claims(&good);
    claims["oid"] = json!(sp("tenant").object_id.to_string());
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = parts.join(".");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(identity.signing_key_id().to_string());
    let forged = assertion(header, decode_claims(&good), &stranger().private_key_pem);
    let foreign = provider(IdentityMode::Aad)
        .sign_claims(&json!({ "aud": ADMIN, "nbf": now, "exp": now + 60, "oid": oid }))
        .unwrap();

    let cases: Vec<(&str, String, &str, Result<(), TokenRejection>)> = vec![
        (
            "expired",
            mint(ADMIN, now - 7200, now - 3600, &oid),
            ADMIN,
            Err(TokenRejection::Expired {
                expired_at: now - 3600,
            }),
        ),
        (
            "not yet valid",
            mint(ADMIN, now + 3600, now + 7200, &oid),
            ADMIN,
            Err(TokenRejection::NotYetValid {
                not_before: now + 3600,
            }),
        ),
        (
            "expired within the 5 minutes of skew",
            mint(ADMIN, now - 3600, now - 120, &oid),
            ADMIN,
            Ok(()),
        ),
        (
            "not yet valid within the 5 minutes of skew",
            mint(ADMIN, now + 120, now + 3600, &oid),
            ADMIN,
            Ok(()),
        ),
        (
            "the audience without the trailing slash it is configured with",
            mint(
                "https://management.local.azurestack.external",
                now,
                now + 60,
                &oid,
            ),
            TENANT,
            Ok(()),
        ),
        (
            "an unknown principal",
            mint(ADMIN, now, now + 3600, &Uuid::new_v4().to_string()),
            ADMIN,
            Err(TokenRejection::UnknownPrincipal),
        ),
        (
            "claims changed after signing",
            tampered,
            ADMIN,
            Err(TokenRejection::InvalidSignature),
        ),
        (
            "signed by someone else's key, claiming this provider's kid",
            forged,
            ADMIN,
            Err(TokenRejection::InvalidSignature),
        ),
        (
            "signed by another provider instance (another key)",
            foreign,
            ADMIN,
            Err(TokenRejection::InvalidSignature),
        ),
        (
            "not a JWT",
            "garbage".to_string(),
            ADMIN,
            Err(TokenRejection::Malformed),
        ),
        (
            "empty",
            String::new(),
            ADMIN,
            Err(TokenRejection::Malformed),
        ),
    ];
    for (what, token, audience, expected) in cases {
        let got = identity.verify_access_token(&token, audience).map(|_| ());
        assert_eq!(got, expected, "{what}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Principals

#[test]
fn identity_principals_defaults_and_redaction() {
    let generated = generated();
    let principals = &generated.principals;
    let names: Vec<&str> = principals
        .service_principals
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["operator", "tenant", "operator-certificate"]);
    assert!(sp("operator").access.admin);
    assert_eq!(sp("operator").access.subscriptions, ["*"]);
    assert!(!sp("tenant").access.admin);
    assert_eq!(
        sp("tenant").access.subscriptions,
        [first_subscription().to_string()]
    );
    assert!(sp("operator-certificate").client_secret.is_none());
    assert_eq!(
        sp("operator-certificate").certificate_pem.as_deref(),
        Some(generated.certificate_pem.as_str())
    );
    assert!(generated.private_key_pem.contains("PRIVATE KEY"));
    let upns: Vec<&str> = principals.users.iter().map(|u| u.upn.as_str()).collect();
    assert_eq!(
        upns,
        [format!("operator@{DOMAIN}"), format!("tenant@{DOMAIN}")]
    );
    assert!(principals.users[0].access.admin);
    assert!(!principals.users[1].access.admin);

    for s in [
        secret("operator"),
        secret("tenant"),
        principals.users[0].password.as_deref().unwrap(),
    ] {
        assert_eq!(s.len(), 40);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{s}"
        );
    }
    assert_ne!(secret("operator"), secret("tenant"));

    let debug = format!(
        "{principals:?} {generated:?} {:?}",
        principals.service_principals[0]
    );
    assert!(debug.contains("<redacted>"));
    for s in [secret("operator"), secret("tenant")] {
        assert!(!debug.contains(s));
    }
    for u in &principals.users {
        assert!(!debug.contains(u.password.as_deref().unwrap()));
    }
    assert!(!debug.contains("PRIVATE KEY"));
    // Serialize keeps credentials (the ready line prints them on purpose).
    let json = serde_json::to_string(principals).unwrap();
    assert!(json.contains(secret("operator")));
}

#[test]
fn identity_principals_load_from_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(
        dir.path().join("certs/app.pem"),
        &generated().certificate_pem,
    )
    .unwrap();
    let client_id = Uuid::new_v4();
    let file = dir.path().join("principals.json");
    std::fs::write(
        &file,
        json!({
            "service_principals": [
                {"name": "billing", "client_id": client_id, "client_secret": "s3cret-value",
                 "access": {"admin": true, "subscriptions": ["*"]}},
                {"name": "billing-cert", "client_id": Uuid::new_v4(), "certificate_path": "certs/app.pem"}
            ],
            "users": [{"upn": "ops@contoso.onmicrosoft.com", "password": "pw-123456"}]
        })
        .to_string(),
    )
    .unwrap();
    let principals = Principals::load(&file).unwrap();
    assert_eq!(principals.service_principals.len(), 2);
    let billing = principals.service_principal(client_id).unwrap();
    assert_eq!(billing.client_secret.as_deref(), Some("s3cret-value"));
    assert!(billing.access.admin);
    let cert = &principals.service_principals[1];
    assert!(
        cert.certificate_pem
            .as_deref()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    assert!(cert.access.subscriptions.is_empty());
    assert!(principals.user("OPS@contoso.onmicrosoft.com").is_some());
    assert!(!format!("{principals:?}").contains("s3cret-value"));
    assert!(!format!("{principals:?}").contains("pw-123456"));
    // A provider accepts the loaded certificate.
    Identity::new(settings(IdentityMode::Aad), principals).unwrap();

    // Errors name the file and the field.
    let bad = dir.path().join("bad.json");
    let principal = |fields: &str| format!(r#"{{"service_principals":[{{"name":"x",{fields}}}]}}"#);
    let known_id = r#""client_id":"8b5c3c1e-2f2a-4d61-9d6e-3a1f0b7c9e21""#;
    for (content, named) in [
        (principal(r#""client_id":"not-a-guid""#), vec!["bad.json"]),
        (
            principal(&format!(r#"{known_id},"client_secrt":"y""#)),
            vec!["bad.json", "client_secrt"],
        ),
        (
            principal(&format!(r#"{known_id},"certificate_path":"missing.pem""#)),
            vec!["bad.json", "certificate_path", "missing.pem"],
        ),
        (
            principal(&format!(r#"{known_id},"certificate_pem":"nope""#)),
            vec!["bad.json", "certificate"],
        ),
    ] {
        std::fs::write(&bad, &content).unwrap();
        let e = format!("{:#}", Principals::load(&bad).unwrap_err());
        for text in named {
            assert!(e.contains(text), "{content}: {e}");
        }
    }
}
