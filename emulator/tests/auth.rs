//! Authentication on every ARM route, and the token endpoint's OAuth errors.

mod common;

use common::{Stamp, start, usage_query};
use reqwest::StatusCode;
use serde_json::json;

const DAY1: &str = "2026-01-06T00:00:00Z";
const DAY2: &str = "2026-01-07T00:00:00Z";

fn assert_unauthorized(reply: &common::Reply, code: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.error_code(), code, "{}", reply.text);
    let challenge = reply
        .headers
        .get("www-authenticate")
        .expect("WWW-Authenticate")
        .to_str()
        .unwrap();
    assert!(
        challenge.starts_with("Bearer authorization_uri="),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// Every ARM route of the stamp, admin and tenant.
fn routes(stamp: &Stamp) -> Vec<String> {
    let query = usage_query(DAY1, DAY2, "Daily");
    vec![
        stamp.provider_url(&query),
        stamp.tenant_url(&stamp.first_tenant_subscription(), &query),
        format!(
            "{}providers/Microsoft.Commerce.Admin/operations?api-version=2015-06-01-preview",
            stamp.s("/admin_arm")
        ),
        format!(
            "{}subscriptions/{}/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version=2015-11-01",
            stamp.s("/admin_arm"),
            stamp.provider_subscription()
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_malformed_tokens_get_401() {
    let stamp = start().await;
    for url in routes(&stamp) {
        assert_unauthorized(&stamp.get(&url, None).await, "AuthenticationFailed");
        let reply = stamp
            .send(stamp.http.get(&url).header("authorization", "Basic abc"))
            .await;
        assert_unauthorized(&reply, "AuthenticationFailed");
        assert_unauthorized(
            &stamp.get(&url, Some("not.a.jwt")).await,
            "InvalidAuthenticationToken",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_audience_expired_and_foreign_tokens_get_401() {
    let stamp = start().await;
    let tenant_token = stamp.tenant_token().await;
    let admin_url = stamp.provider_url(&usage_query(DAY1, DAY2, "Daily"));
    assert_unauthorized(
        &stamp.get(&admin_url, Some(&tenant_token)).await,
        "InvalidAuthenticationTokenAudience",
    );

    let operator = stamp.principal("operator");
    let now = chrono::Utc::now().timestamp();
    let expired = stamp
        .mint(json!({
            "aud": stamp.s("/audiences/admin"), "tid": stamp.s("/tenant_id"), "oid": operator["object_id"],
            "appid": operator["client_id"], "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600,
        }))
        .await;
    assert_unauthorized(
        &stamp.get(&admin_url, Some(&expired)).await,
        "ExpiredAuthenticationToken",
    );

    // Signed by another stamp's key: the signature does not verify here.
    let other = start().await;
    let foreign = other.operator_token().await;
    assert_unauthorized(
        &stamp.get(&admin_url, Some(&foreign)).await,
        "InvalidAuthenticationToken",
    );

    // The same claims, signed by this stamp and still valid, pass.
    let valid = stamp
        .mint(json!({
            "aud": stamp.s("/audiences/admin"), "tid": stamp.s("/tenant_id"), "oid": operator["object_id"],
            "appid": operator["client_id"], "iat": now, "nbf": now - 60, "exp": now + 600,
        }))
        .await;
    assert_eq!(
        stamp.get(&admin_url, Some(&valid)).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_principal_is_forbidden_on_the_admin_endpoint() {
    let stamp = start().await;
    let token = stamp.token("tenant", &stamp.s("/audiences/admin")).await;
    let reply = stamp
        .get(
            &stamp.provider_url(&usage_query(DAY1, DAY2, "Daily")),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(reply.error_code(), "AuthorizationFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_anonymous() {
    let stamp = start().await;
    let reply = stamp
        .get(
            &format!(
                "{}metadata/endpoints?api-version=2015-01-01",
                stamp.s("/admin_arm")
            ),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_errors_never_echo_secrets() {
    let stamp = start().await;
    let operator = stamp.principal("operator");
    let url = format!(
        "{}{}/oauth2/token",
        stamp.s("/login_endpoint"),
        stamp.s("/tenant_id")
    );
    let secret = "definitely-the-wrong-secret-0123456789";
    let reply = stamp
        .send(stamp.http.post(&url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", operator["client_id"].as_str().unwrap()),
            ("client_secret", secret),
            ("resource", &stamp.s("/audiences/admin")),
        ]))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.json()["error"], "invalid_client");
    assert!(!reply.text.contains(secret));

    let reply = stamp
        .send(stamp.http.post(&url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "7d1a1f06-0000-4000-8000-000000000000"),
            ("client_secret", secret),
            ("resource", &stamp.s("/audiences/admin")),
        ]))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.json()["error"], "unauthorized_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_visible_to_the_caller() {
    let stamp = start().await;
    let admin = stamp
        .get(
            &format!(
                "{}subscriptions?api-version=2016-06-01",
                stamp.s("/admin_arm")
            ),
            Some(&stamp.operator_token().await),
        )
        .await;
    let value = admin.json()["value"].as_array().unwrap().clone();
    assert_eq!(value.len(), 1);
    assert_eq!(
        value[0]["subscriptionId"],
        stamp.provider_subscription().as_str()
    );
    assert_eq!(value[0]["displayName"], "Default Provider Subscription");

    let tenant_token = stamp.tenant_token().await;
    let tenant = stamp
        .get(
            &format!(
                "{}subscriptions?api-version=2016-06-01",
                stamp.s("/tenant_arm")
            ),
            Some(&tenant_token),
        )
        .await;
    let ids: Vec<String> = tenant.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, [stamp.first_tenant_subscription()]);
    let one = stamp
        .get(
            &format!(
                "{}subscriptions/{}?api-version=2016-06-01",
                stamp.s("/tenant_arm"),
                ids[0]
            ),
            Some(&tenant_token),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    let missing = stamp
        .get(
            &format!("{}subscriptions?", stamp.s("/tenant_arm")),
            Some(&tenant_token),
        )
        .await;
    assert_eq!(missing.error_code(), "MissingApiVersionParameter");
}
