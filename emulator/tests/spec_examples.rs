//! Each specification example's request, sent to the emulator, gets an answer of the example's shape.

mod common;

use std::collections::BTreeSet;

use common::{Stamp, start};
use reqwest::StatusCode;
use serde_json::Value;

fn example(path: &str) -> Value {
    let full = common::spec_fixtures().join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The example's parameters as an encoded query string, in the example's order.
fn query(parameters: &Value, names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|name| {
            parameters
                .get(*name)
                .and_then(Value::as_str)
                .map(|v| (name, v))
        })
        .map(|(name, v)| {
            format!(
                "{name}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

const USAGE_PARAMETERS: &[&str] = &[
    "api-version",
    "reportedStartTime",
    "reportedEndTime",
    "aggregationGranularity",
    "subscriberId",
    "continuationToken",
    "showDetails",
];

async fn provider_row(stamp: &Stamp, token: &str) -> Value {
    let url = stamp.provider_url(&common::usage_query(
        "2026-01-06T00:00:00Z",
        "2026-01-07T00:00:00Z",
        "Daily",
    ));
    stamp.get(&url, Some(token)).await.json()["value"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_usage_aggregates_list() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let example = example(
        "azsadmin/resource-manager/commerce/Microsoft.Commerce.Admin/preview/2015-06-01-preview/examples/SubscriberUsageAggregates/List.json",
    );
    let url = stamp.provider_url(&query(&example["parameters"], USAGE_PARAMETERS));
    let reply = stamp.get(&url, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // 2017 has no usage on this stamp, exactly as in the example.
    assert_eq!(reply.json(), example["responses"]["200"]["body"]);

    // A row of the documented model: the six Azure Stack properties and the resource envelope.
    let row = provider_row(&stamp, &token).await;
    assert_eq!(
        keys(&row),
        ["id", "name", "properties", "type"]
            .map(String::from)
            .into()
    );
    let properties = [
        "instanceData",
        "meterId",
        "quantity",
        "subscriptionId",
        "usageEndTime",
        "usageStartTime",
    ];
    assert_eq!(
        keys(&row["properties"]),
        properties.map(String::from).into()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_usage_aggregates_list() {
    let stamp = start().await;
    let token = stamp.tenant_token().await;
    let example = example(
        "commerce/resource-manager/Microsoft.Commerce/preview/2015-06-01-preview/examples/GetUsageAggregatesList.json",
    );
    let sub = stamp.first_tenant_subscription();
    let reply = stamp
        .get(
            &stamp.tenant_url(&sub, &query(&example["parameters"], USAGE_PARAMETERS)),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json(), serde_json::json!({ "value": [] }));

    let url = stamp.tenant_url(
        &sub,
        &common::usage_query("2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z", "Daily"),
    );
    let row = stamp.get(&url, Some(&token)).await.json()["value"][0].clone();
    let sample = &example["responses"]["200"]["body"]["value"][0];
    assert_eq!(keys(&row), keys(sample));
    for key in ["id", "name", "type"] {
        assert_eq!(kind(&row[key]), kind(&sample[key]));
    }
    assert_eq!(row["type"], sample["type"]);
    // Azure Stack fills the subset of UsageSample it has; the public-Azure-only fields are absent.
    for (key, value) in sample["properties"].as_object().unwrap() {
        match row["properties"].get(key) {
            Some(ours) => assert_eq!(kind(ours), kind(value), "{key}"),
            None => assert!(
                [
                    "meterName",
                    "meterCategory",
                    "meterSubCategory",
                    "unit",
                    "infoFields",
                    "meterRegion"
                ]
                .contains(&key.as_str()),
                "{key} missing"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commerce_admin_operations_list() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let example = example(
        "azsadmin/resource-manager/commerce/Microsoft.Commerce.Admin/preview/2015-06-01-preview/examples/Operations/List.json",
    );
    let url = format!(
        "{}providers/Microsoft.Commerce.Admin/operations?{}",
        stamp.s("/admin_arm"),
        query(&example["parameters"], &["api-version"])
    );
    let reply = stamp.get(&url, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json(), example["responses"]["200"]["body"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_subscriptions_list_and_get() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let base = format!(
        "{}subscriptions/{}/providers/Microsoft.Subscriptions.Admin/subscriptions",
        stamp.s("/admin_arm"),
        stamp.provider_subscription()
    );
    let list_example = example(
        "azsadmin/resource-manager/subscriptions/Microsoft.Subscriptions.Admin/preview/2015-11-01/examples/Subscriptions/List.json",
    );
    let get_example = example(
        "azsadmin/resource-manager/subscriptions/Microsoft.Subscriptions.Admin/preview/2015-11-01/examples/Subscriptions/Get.json",
    );
    let version = query(&list_example["parameters"], &["api-version"]);

    let list = stamp
        .get(&format!("{base}?{version}"), Some(&token))
        .await
        .json();
    assert_eq!(keys(&list), keys(&list_example["responses"]["200"]["body"]));
    let sample = &list_example["responses"]["200"]["body"]["value"][0];
    for item in list["value"].as_array().unwrap() {
        assert_eq!(keys(item), keys(sample));
        for key in keys(sample) {
            assert_eq!(kind(&item[&key]), kind(&sample[&key]), "{key}");
        }
    }
    let first = stamp.first_tenant_subscription();
    let one = stamp
        .get(&format!("{base}/{first}?{version}"), Some(&token))
        .await
        .json();
    assert_eq!(keys(&one), keys(&get_example["responses"]["200"]["body"]));
    assert_eq!(
        one["delegatedProviderSubscriptionId"],
        stamp.provider_subscription().as_str()
    );
}
