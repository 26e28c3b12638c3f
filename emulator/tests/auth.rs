//! Authentication on every ARM route, and the token endpoint's OAuth errors.

mod common;

use common::{Stamp, claims_of, start, usage_query};
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
            "aud": stamp.s("/audiences/admin"), "iss": stamp.s("/token_issuer"),
            "tid": stamp.s("/tenant_id"), "oid": operator["object_id"],
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
            "aud": stamp.s("/audiences/admin"), "iss": stamp.s("/token_issuer"),
            "tid": stamp.s("/tenant_id"), "oid": operator["object_id"],
            "appid": operator["client_id"], "iat": now, "nbf": now - 60, "exp": now + 600,
        }))
        .await;
    assert_eq!(
        stamp.get(&admin_url, Some(&valid)).await.status,
        StatusCode::OK
    );
}

/// `token` with `changes` applied to its claims, signed again by `directory` (so the signature is valid).
async fn resigned(
    stamp: &Stamp,
    directory: &str,
    token: &str,
    changes: serde_json::Value,
) -> String {
    let mut claims = claims_of(token);
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    stamp.mint_in(directory, claims).await
}

/// Azure AD signs every tenant's tokens with the same keys, so a good signature says nothing about the
/// tenant: ARM (the stamp's admin and tenant endpoints and Azure's) must check `iss` and `tid` itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_another_issuer_or_tenant_get_401() {
    let stamp = start().await;
    let other_tenant = "3f1c2b7e-9d4a-4c21-8e55-0a6b7c8d9e10";
    let query = usage_query(DAY1, DAY2, "Daily");
    let azure_registrations = stamp.azure_url(&format!(
        "subscriptions/{}/providers/Microsoft.AzureStack/registrations?api-version=2022-06-01",
        stamp.azure_subscription()
    ));
    let cases = [
        (
            "stamp",
            stamp.operator_token().await,
            stamp.provider_url(&query),
            stamp.s("/login_endpoint"),
        ),
        (
            "stamp",
            stamp.tenant_token().await,
            stamp.tenant_url(&stamp.first_tenant_subscription(), &query),
            stamp.s("/login_endpoint"),
        ),
        (
            "azure",
            stamp.azure_token("azure-operator").await,
            azure_registrations,
            stamp.s("/azure/login_endpoint"),
        ),
    ];
    for (directory, token, url, login) in cases {
        // The token as issued passes, and so does the same token signed again: the checks below are
        // about the claims, not the signature.
        assert_eq!(
            stamp.get(&url, Some(&token)).await.status,
            StatusCode::OK,
            "{url}"
        );
        let same = resigned(&stamp, directory, &token, json!({})).await;
        assert_eq!(
            stamp.get(&url, Some(&same)).await.status,
            StatusCode::OK,
            "{url}"
        );

        let iss = claims_of(&token)["iss"].as_str().unwrap().to_string();
        let home_tenant = claims_of(&token)["tid"].as_str().unwrap().to_string();
        let wrong_tenant = [
            // Another tenant of the same directory host, v1 and v2 issuers, with its own tid.
            json!({ "iss": format!("{login}{other_tenant}/"), "tid": other_tenant }),
            json!({ "iss": format!("{login}{other_tenant}/v2.0"), "tid": other_tenant }),
            // The right issuer with another tenant's tid, or none.
            json!({ "tid": other_tenant }),
            json!({ "tid": null }),
        ];
        for changes in wrong_tenant {
            let forged = resigned(&stamp, directory, &token, changes.clone()).await;
            let reply = stamp.get(&url, Some(&forged)).await;
            assert_unauthorized(&reply, "InvalidAuthenticationTokenTenant");
            let message = reply.error_message();
            assert!(
                message.contains(&format!("{login}{home_tenant}")),
                "{changes}: {message}"
            );
        }
        let untrusted = [
            json!({ "iss": "https://sts.windows.net/00000000-0000-0000-0000-000000000000/" }),
            json!({ "iss": format!("{login}adfs") }),
            json!({ "iss": iss.replace("https://", "http://") }),
            json!({ "iss": null }),
        ];
        for changes in untrusted {
            let forged = resigned(&stamp, directory, &token, changes.clone()).await;
            assert_unauthorized(
                &stamp.get(&url, Some(&forged)).await,
                "InvalidAuthenticationToken",
            );
        }
    }

    // A token of the stamp's directory at Azure's ARM, re-signed by Azure's key, is still another tenant.
    let stamp_token = stamp.operator_token().await;
    let azure_audience = stamp.ready["azure"]["audiences"][0].clone();
    let forged = resigned(
        &stamp,
        "azure",
        &stamp_token,
        json!({ "aud": azure_audience }),
    )
    .await;
    let url = stamp.azure_url(&format!(
        "subscriptions/{}/providers/Microsoft.AzureStack/registrations?api-version=2022-06-01",
        stamp.azure_subscription()
    ));
    assert_unauthorized(
        &stamp.get(&url, Some(&forged)).await,
        "InvalidAuthenticationToken",
    );
}

/// An AD FS stamp trusts only its AD FS issuer; an Azure AD-style issuer on the same host is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adfs_stamp_trusts_only_its_adfs_issuer() {
    let mut config = common::config();
    config.identity_mode = azs_emulator::identity::IdentityMode::Adfs;
    let stamp = common::start_with(config).await;
    let login = stamp.s("/login_endpoint");
    let audience = stamp.s("/audiences/admin");
    let token = stamp
        .client_secret_token(
            login.trim_end_matches('/'),
            &stamp.principal("operator"),
            &audience,
        )
        .await;
    assert_eq!(claims_of(&token)["iss"], stamp.s("/token_issuer").as_str());
    let url = stamp.provider_url(&usage_query(DAY1, DAY2, "Daily"));
    assert_eq!(stamp.get(&url, Some(&token)).await.status, StatusCode::OK);
    let base = login.trim_end_matches("adfs/");
    for iss in [format!("{base}{}/", stamp.s("/tenant_id")), login.clone()] {
        let forged = resigned(&stamp, "stamp", &token, json!({ "iss": iss })).await;
        assert_unauthorized(
            &stamp.get(&url, Some(&forged)).await,
            "InvalidAuthenticationToken",
        );
    }
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
