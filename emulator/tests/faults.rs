//! Fault injection: each kind behaves as configured, at start and through the control route.

mod common;

use std::time::{Duration, Instant};

use azs_emulator::faults::{FaultPlan, FaultRule};
use common::{Stamp, start, start_with, usage_query};
use reqwest::StatusCode;
use serde_json::json;

fn usage_url(stamp: &Stamp) -> String {
    stamp.provider_url(&usage_query(
        "2026-01-06T00:00:00Z",
        "2026-01-07T00:00:00Z",
        "Hourly",
    ))
}

async fn set_faults(stamp: &Stamp, plan: serde_json::Value) {
    let reply = stamp
        .send(
            stamp
                .http
                .put(format!("{}_emulator/faults", stamp.s("/admin_arm")))
                .json(&plan),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_every_second_request_with_retry_after() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    set_faults(
        &stamp,
        json!({ "rules": ["429:every=2,retry-after-ms=1500"] }),
    )
    .await;
    let url = usage_url(&stamp);
    let statuses: Vec<StatusCode> = {
        let mut out = Vec::new();
        for _ in 0..4 {
            let reply = stamp.get(&url, Some(&token)).await;
            if reply.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(reply.headers["retry-after"], "2");
                assert_eq!(reply.headers["x-ms-retry-after-ms"], "1500");
                assert_eq!(
                    reply.headers["x-ms-ratelimit-remaining-subscription-reads"],
                    "0"
                );
                assert_eq!(reply.error_code(), "SubscriptionRequestsThrottled");
                assert!(reply.headers.contains_key("x-ms-request-id"));
            }
            out.push(reply.status);
        }
        out
    };
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Control routes are never faulted, and a cleared plan stops the faults.
    let reply = stamp
        .send(
            stamp
                .http
                .delete(format!("{}_emulator/faults", stamp.s("/admin_arm"))),
        )
        .await;
    assert_eq!(reply.json()["rules"], json!([]));
    for _ in 0..3 {
        assert_eq!(stamp.get(&url, Some(&token)).await.status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_then_recovers_after_count() {
    let mut config = common::config();
    config.faults = FaultPlan {
        seed: 0,
        rules: vec!["503:count=2,retry-after=1".parse::<FaultRule>().unwrap()],
    };
    let stamp = start_with(config).await;
    let token = stamp.operator_token().await;
    let url = usage_url(&stamp);
    for _ in 0..2 {
        let reply = stamp.get(&url, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.error_code(), "ServiceUnavailable");
        assert_eq!(reply.headers["retry-after"], "1");
    }
    assert_eq!(stamp.get(&url, Some(&token)).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_timeout_after_a_delay_and_latency() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let url = usage_url(&stamp);
    set_faults(
        &stamp,
        json!({ "rules": [{ "kind": "504", "delay_ms": 300, "count": 1 }] }),
    )
    .await;
    let started = Instant::now();
    let reply = stamp.get(&url, Some(&token)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(reply.error_code(), "GatewayTimeout");
    assert!(reply.error_message().contains("Microsoft.Commerce.Admin"));
    assert_eq!(reply.headers["x-ms-failure-cause"], "service");

    set_faults(&stamp, json!({ "rules": ["latency:delay-ms=250"] })).await;
    let started = Instant::now();
    assert_eq!(stamp.get(&url, Some(&token)).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_and_truncated_bodies() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let url = usage_url(&stamp);

    set_faults(&stamp, json!({ "rules": ["drop:count=1"] })).await;
    let response = stamp
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.bytes().await.is_err(),
        "the body must not complete"
    );

    set_faults(&stamp, json!({ "rules": ["truncate:count=1"] })).await;
    let response = stamp
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = response.bytes().await.expect("a complete HTTP message");
    assert_eq!(body.len(), length);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "the JSON is cut"
    );

    // After the faults are used up, the same request succeeds in full.
    assert_eq!(
        stamp.get(&url, Some(&token)).await.json()["value"]
            .as_array()
            .unwrap()
            .len(),
        1000
    );
}

async fn statuses(stamp: &Stamp, token: &str, n: usize) -> Vec<u16> {
    let url = usage_url(stamp);
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(stamp.get(&url, Some(token)).await.status.as_u16());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_faults_are_deterministic_and_targets_apply() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let stamp = start().await;
        let token = stamp.operator_token().await;
        set_faults(&stamp, json!({ "seed": 5, "rules": ["503:rate=0.3"] })).await;
        runs.push(statuses(&stamp, &token, 30).await);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&503) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );

    // Identity-targeted faults hit the token endpoint and leave ARM alone.
    let stamp = start().await;
    let token = stamp.operator_token().await;
    set_faults(&stamp, json!({ "rules": ["503:target=identity"] })).await;
    let sp = stamp.principal("operator");
    let reply = stamp
        .send(
            stamp
                .http
                .post(format!(
                    "{}{}/oauth2/token",
                    stamp.s("/login_endpoint"),
                    stamp.s("/tenant_id")
                ))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", sp["client_id"].as_str().unwrap()),
                    ("client_secret", sp["client_secret"].as_str().unwrap()),
                    ("resource", &stamp.s("/audiences/admin")),
                ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        stamp.get(&usage_url(&stamp), Some(&token)).await.status,
        StatusCode::OK
    );

    let reply = stamp
        .send(
            stamp
                .http
                .put(format!("{}_emulator/faults", stamp.s("/admin_arm")))
                .json(&json!({ "rules": ["teapot"] })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.error_message().contains("unknown fault kind"));
}
