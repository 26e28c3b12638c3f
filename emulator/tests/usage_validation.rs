//! Every validation rule and error code of the usage APIs, in the service's order.

mod common;

use common::{Stamp, USAGE_API, start, usage_query};
use reqwest::StatusCode;

const DAY1: &str = "2026-01-06T00:00:00Z";
const DAY2: &str = "2026-01-07T00:00:00Z";

async fn provider(stamp: &Stamp, query: &str) -> common::Reply {
    let token = stamp.operator_token().await;
    stamp.get(&stamp.provider_url(query), Some(&token)).await
}

async fn assert_error(reply: common::Reply, status: StatusCode, code: &str) -> String {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.error_code(), code, "{}", reply.text);
    reply.error_message()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_version_is_required_and_checked() {
    let stamp = start().await;
    let query = format!("reportedStartTime={DAY1}&reportedEndTime={DAY2}");
    let message = assert_error(
        provider(&stamp, &query).await,
        StatusCode::BAD_REQUEST,
        "NoApiVersion",
    )
    .await;
    assert!(message.contains(USAGE_API), "{message}");
    let reply = provider(&stamp, &format!("api-version=2019-01-01&{query}")).await;
    assert_error(reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound").await;
    // Parameter names are case-insensitive.
    let reply = provider(
        &stamp,
        &format!("API-VERSION={USAGE_API}&REPORTEDSTARTTIME={DAY1}&reportedendtime={DAY2}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_required_and_parsed_strictly() {
    let stamp = start().await;
    let message = assert_error(
        provider(
            &stamp,
            &format!("api-version={USAGE_API}&reportedEndTime={DAY2}"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidProperty",
    )
    .await;
    assert!(message.contains("reportedStartTime"), "{message}");
    let message = assert_error(
        provider(
            &stamp,
            &format!("api-version={USAGE_API}&reportedStartTime={DAY1}"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidProperty",
    )
    .await;
    assert!(message.contains("reportedEndTime"), "{message}");

    // An unescaped '+' arrives as a space: the service's ISO 8601 message.
    let reply = provider(
        &stamp,
        &usage_query("2026-01-06T00:00:00.0000000+00:00", DAY2, "Daily"),
    )
    .await;
    let message = assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    assert_eq!(
        message,
        "The reported date time '2026-01-06T00:00:00.0000000 00:00' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ)."
    );
    // Escaped, the same offset is fine; so are fractional seconds and other offsets that land on midnight UTC.
    for start in [
        "2026-01-06T00:00:00.0000000%2B00:00",
        "2026-01-06T00%3a00%3a00.000Z",
        "2026-01-06T02:00:00%2B02:00",
    ] {
        let reply = provider(&stamp, &usage_query(start, DAY2, "Daily")).await;
        assert_eq!(reply.status, StatusCode::OK, "{start}: {}", reply.text);
    }
    let reply = provider(&stamp, &usage_query("06/01/2026", DAY2, "Daily")).await;
    assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granularity_is_daily_or_hourly_in_any_case() {
    let stamp = start().await;
    for granularity in ["daily", "Daily", "HOURLY", "hourly", ""] {
        let reply = provider(&stamp, &usage_query(DAY1, DAY2, granularity)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{granularity}: {}",
            reply.text
        );
    }
    let reply = provider(&stamp, &usage_query(DAY1, DAY2, "monthly")).await;
    let message = assert_error(
        reply,
        StatusCode::BAD_REQUEST,
        "InvalidAggregationGranularity",
    )
    .await;
    assert!(message.contains("daily and hourly"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_must_be_aligned_to_the_granularity() {
    let stamp = start().await;
    let reply = provider(&stamp, &usage_query("2026-01-06T13:00:00Z", DAY2, "Daily")).await;
    let message = assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    assert!(message.contains("midnight"), "{message}");
    let reply = provider(
        &stamp,
        &usage_query("2026-01-06T13:00:00Z", "2026-01-06T15:00:00Z", "Hourly"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let reply = provider(
        &stamp,
        &usage_query("2026-01-06T13:30:00Z", "2026-01-06T15:00:00Z", "Hourly"),
    )
    .await;
    let message = assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    assert!(message.contains("beginning of an hour"), "{message}");
    let reply = provider(
        &stamp,
        &usage_query("2026-01-06T13:00:00Z", "2026-01-06T15:00:00.5Z", "Hourly"),
    )
    .await;
    assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_may_not_be_in_the_future_and_must_follow_start() {
    let stamp = start().await;
    let future = (chrono::Utc::now() + chrono::Days::new(2))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    let reply = provider(&stamp, &usage_query(DAY1, &future, "Daily")).await;
    assert_error(reply, StatusCode::BAD_REQUEST, "RequestEndTimeIsInFuture").await;
    let reply = provider(&stamp, &usage_query(DAY2, DAY1, "Daily")).await;
    let message = assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    assert!(message.contains("earlier than"), "{message}");
    let reply = provider(&stamp, &usage_query(DAY1, DAY1, "Daily")).await;
    assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_must_be_a_direct_tenant() {
    let stamp = start().await;
    let dataset = stamp.dataset();
    let delegated = dataset
        .subscriptions()
        .iter()
        .enumerate()
        .find(|(i, _)| !dataset.is_direct_tenant(*i))
        .map(|(_, s)| s.id.to_string())
        .expect("the data set has a delegated-provider tenant");
    for subscriber in [
        delegated.as_str(),
        "00000000-0000-0000-0000-000000000001",
        "not-a-guid",
    ] {
        let reply = provider(
            &stamp,
            &format!(
                "{}&subscriberId={subscriber}",
                usage_query(DAY1, DAY2, "Daily")
            ),
        )
        .await;
        assert_error(
            reply,
            StatusCode::BAD_REQUEST,
            "SubscriberIdIsNotDirectTenant",
        )
        .await;
    }
    let first = stamp.first_tenant_subscription();
    let reply = provider(
        &stamp,
        &format!(
            "{}&subscriberId={}",
            usage_query(DAY1, DAY2, "Hourly"),
            first.to_uppercase()
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let rows = reply.json()["value"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["properties"]["subscriptionId"] == first.as_str())
    );
    // Empty optional parameters count as absent, as in the specification's example.
    let reply = provider(
        &stamp,
        &format!(
            "{}&subscriberId=&continuationToken=",
            usage_query(DAY1, DAY2, "")
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_in_the_path_is_checked() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let admin = stamp.s("/admin_arm");
    let url = |sub: &str| {
        format!(
            "{admin}subscriptions/{sub}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?{}",
            usage_query(DAY1, DAY2, "Daily")
        )
    };
    let reply = stamp.get(&url(""), Some(&token)).await;
    assert_error(
        reply,
        StatusCode::BAD_REQUEST,
        "SubscriptionIdMissingInRequest",
    )
    .await;
    let reply = stamp.get(&url("xyz"), Some(&token)).await;
    assert_error(reply, StatusCode::BAD_REQUEST, "InvalidSubscriptionId").await;
    // The provider API answers for the Default Provider Subscription only.
    let reply = stamp
        .get(&url(&stamp.first_tenant_subscription()), Some(&token))
        .await;
    assert_error(reply, StatusCode::NOT_FOUND, "SubscriptionNotFound").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_api_answers_only_for_the_callers_subscription() {
    let stamp = start().await;
    let token = stamp.tenant_token().await;
    let query = usage_query(DAY1, DAY2, "Daily");
    let own = stamp.first_tenant_subscription();
    let reply = stamp
        .get(&stamp.tenant_url(&own, &query), Some(&token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let rows = reply.json()["value"].as_array().unwrap().clone();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row["properties"]["subscriptionId"], own.as_str());
        assert_eq!(row["type"], "Microsoft.Commerce/UsageAggregate");
    }
    let other = stamp.dataset().subscriptions()[1].id.to_string();
    let reply = stamp
        .get(&stamp.tenant_url(&other, &query), Some(&token))
        .await;
    assert_error(reply, StatusCode::FORBIDDEN, "AuthorizationFailed").await;
    let reply = stamp
        .get(
            &stamp.tenant_url("11111111-2222-3333-4444-555555555555", &query),
            Some(&token),
        )
        .await;
    assert_error(reply, StatusCode::NOT_FOUND, "SubscriptionNotFound").await;
    // Path segments are case-insensitive; the JavaScript SDK spells UsageAggregates with a capital U.
    let url = format!(
        "{}SUBSCRIPTIONS/{own}/Providers/microsoft.commerce/UsageAggregates?{query}&showDetails=true",
        stamp.s("/tenant_arm")
    );
    let reply = stamp.get(&url, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["value"].as_array().unwrap().len(), rows.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_tokens_belong_to_their_query() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let hourly = usage_query("2026-01-06T00:00:00Z", "2026-01-09T00:00:00Z", "Hourly");
    let reply = stamp.get(&stamp.provider_url(&hourly), Some(&token)).await;
    let next = reply.json()["nextLink"]
        .as_str()
        .expect("a second page")
        .to_string();
    let continuation = next.split("continuationToken=").nth(1).unwrap().to_string();
    // Replayed on another query: refused.
    let other = format!(
        "{}&continuationToken={continuation}",
        usage_query(DAY1, DAY2, "Hourly")
    );
    let reply = stamp.get(&stamp.provider_url(&other), Some(&token)).await;
    let message = assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    assert!(message.contains("continuationToken"), "{message}");
    let reply = stamp
        .get(
            &stamp.provider_url(&format!("{hourly}&continuationToken=garbage")),
            Some(&token),
        )
        .await;
    assert_error(reply, StatusCode::BAD_REQUEST, "InvalidProperty").await;
    // On its own query, as a parameter rather than through nextLink, it resumes.
    let reply = stamp
        .get(
            &stamp.provider_url(&format!("{hourly}&continuationToken={continuation}")),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json(), stamp.get(&next, Some(&token)).await.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_and_unknown_routes() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let url = format!(
        "{}providers/Microsoft.Commerce.Admin/operations?api-version={USAGE_API}",
        stamp.s("/admin_arm")
    );
    let reply = stamp.get(&url, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let names: Vec<String> = reply.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Microsoft.Commerce.Admin/updateEncryption/action",
            "Microsoft.Commerce.Admin/operations/read"
        ]
    );
    let reply = stamp
        .get(
            &format!("{}providers/Microsoft.Nope/things", stamp.s("/admin_arm")),
            Some(&token),
        )
        .await;
    assert_error(reply, StatusCode::NOT_FOUND, "NotFound").await;
    let reply = stamp
        .send(
            stamp
                .http
                .delete(stamp.provider_url(&usage_query(DAY1, DAY2, "Daily")))
                .bearer_auth(&token),
        )
        .await;
    assert_error(reply, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
}
