//! Paging: totals equal the generator's, every row once, daily equals the sum of hourly, determinism.

mod common;

use std::collections::{BTreeMap, HashSet};

use azs_emulator::dataset::{Granularity, SubscriptionScope, UsageQuery};
use chrono::{DateTime, Utc};
use common::{micros, start, start_with, usage_query};
use serde_json::Value;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn rows(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .collect()
}

/// (subscription, meter, instanceData, usage day) → summed micro-units.
fn by_usage_day(rows: &[Value]) -> BTreeMap<(String, String, String, String), i64> {
    let mut sums = BTreeMap::new();
    for row in rows {
        let p = &row["properties"];
        let day = p["usageStartTime"].as_str().unwrap()[..10].to_string();
        let key = (
            p["subscriptionId"].as_str().unwrap().to_string(),
            p["meterId"].as_str().unwrap().to_string(),
            p["instanceData"].as_str().unwrap().to_string(),
            day,
        );
        *sums.entry(key).or_insert(0) += micros(&p["quantity"]);
    }
    sums
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_paging_visits_every_row_once() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let (start, end) = ("2026-01-06T00:00:00Z", "2026-01-09T00:00:00Z");
    let url = stamp.provider_url(&usage_query(start, end, "Hourly"));
    let pages = stamp.pages(&url, &token).await;
    let rows = rows(&pages);

    let expected = stamp.dataset().totals(&UsageQuery {
        reported_start: utc(start),
        reported_end: utc(end),
        granularity: Granularity::Hourly,
        scope: SubscriptionScope::AllDirectTenants,
    });
    assert!(
        pages.len() >= 3,
        "a multi-page query ({} pages)",
        pages.len()
    );
    assert_eq!(rows.len() as u64, expected.rows);
    assert_eq!(
        rows.iter()
            .map(|r| i128::from(micros(&r["properties"]["quantity"])))
            .sum::<i128>(),
        expected.quantity_micros
    );

    // Full pages of 1,000 rows; nextLink only on pages that have a successor, repeating the caller's URL.
    for (i, page) in pages.iter().enumerate() {
        let last = i + 1 == pages.len();
        assert_eq!(page.get("nextLink").is_none(), last, "page {i}");
        if !last {
            assert_eq!(page["value"].as_array().unwrap().len(), 1000);
            let link = page["nextLink"].as_str().unwrap();
            assert!(
                link.starts_with(&format!("{url}&continuationToken=")),
                "{link}"
            );
        }
    }
    // Hourly records are unique per subscription, meter, resource and usage hour.
    let keys: HashSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            let p = &r["properties"];
            (
                p["meterId"].to_string(),
                p["instanceData"].to_string(),
                p["usageStartTime"].to_string(),
            )
        })
        .collect();
    assert_eq!(keys.len(), rows.len(), "no duplicate rows");
    // Deleted direct tenants are included; delegated-provider tenants are not.
    let dataset = stamp.dataset();
    let seen: HashSet<&str> = rows
        .iter()
        .map(|r| r["properties"]["subscriptionId"].as_str().unwrap())
        .collect();
    for (i, sub) in dataset.subscriptions().iter().enumerate() {
        if !dataset.is_direct_tenant(i) {
            assert!(
                !seen.contains(sub.id.to_string().as_str()),
                "delegated tenant {} leaked",
                sub.id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_rows_are_the_sum_of_hourly_rows() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let (start, end) = ("2026-01-06T00:00:00Z", "2026-01-09T00:00:00Z");
    let hourly = rows(
        &stamp
            .pages(
                &stamp.provider_url(&usage_query(start, end, "Hourly")),
                &token,
            )
            .await,
    );
    let daily = rows(
        &stamp
            .pages(
                &stamp.provider_url(&usage_query(start, end, "Daily")),
                &token,
            )
            .await,
    );
    assert!(daily.len() < hourly.len());
    assert_eq!(by_usage_day(&hourly), by_usage_day(&daily));
    for row in &daily {
        let p = &row["properties"];
        assert!(
            p["usageStartTime"]
                .as_str()
                .unwrap()
                .ends_with("T00:00:00+00:00")
        );
        assert!(
            p["usageEndTime"]
                .as_str()
                .unwrap()
                .ends_with("T00:00:00+00:00")
        );
    }
    // Late rows: usage from before the reported window.
    assert!(
        hourly
            .iter()
            .any(|r| r["properties"]["usageStartTime"].as_str().unwrap() < "2026-01-06")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_have_the_documented_shape() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let page = &stamp
        .pages(
            &stamp.provider_url(&usage_query(
                "2026-01-06T00:00:00Z",
                "2026-01-07T00:00:00Z",
                "Hourly",
            )),
            &token,
        )
        .await[0];
    let row = &page["value"][0];
    let sub = row["properties"]["subscriptionId"].as_str().unwrap();
    let meter = row["properties"]["meterId"].as_str().unwrap();
    assert_eq!(row["type"], "Microsoft.Commerce.Admin/UsageAggregate");
    assert_eq!(row["name"], format!("{sub}-{meter}"));
    assert_eq!(
        row["id"],
        format!(
            "/subscriptions/{sub}/providers/Microsoft.Commerce.Admin/UsageAggregate/{sub}-{meter}"
        )
    );
    let p = &row["properties"];
    assert!(p["quantity"].is_number());
    for field in ["usageStartTime", "usageEndTime"] {
        let text = p[field].as_str().unwrap();
        assert!(
            text.ends_with("+00:00") && DateTime::parse_from_rfc3339(text).is_ok(),
            "{text}"
        );
    }
    let instance: Value = serde_json::from_str(p["instanceData"].as_str().unwrap()).unwrap();
    let resource = &instance["Microsoft.Resources"];
    let uri = resource["resourceUri"].as_str().unwrap();
    let parts: Vec<&str> = uri.split('/').collect();
    assert_eq!(
        (parts[1], parts[2], parts[3], parts[5]),
        ("subscriptions", sub, "resourceGroups", "providers"),
        "{uri}"
    );
    assert_eq!(resource["location"], "local");
    assert!(resource.get("tags").is_some() && resource.get("additionalInfo").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_yields_the_same_bytes() {
    let body = |pages: Vec<Value>| -> Vec<String> {
        pages
            .into_iter()
            .map(|mut p| {
                // nextLink names the listener's port, which differs between runs.
                p.as_object_mut().unwrap().remove("nextLink");
                p.to_string()
            })
            .collect()
    };
    let query = usage_query("2026-01-07T00:00:00Z", "2026-01-09T00:00:00Z", "Hourly");
    let mut runs = Vec::new();
    for seed in [7, 7, 8] {
        let mut config = common::config();
        config.seed = seed;
        let stamp = start_with(config).await;
        let token = stamp.operator_token().await;
        runs.push(body(stamp.pages(&stamp.provider_url(&query), &token).await));
    }
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0], runs[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_paging_with_small_pages() {
    let mut config = common::config();
    config.page_size = 97;
    let stamp = start_with(config).await;
    let token = stamp.tenant_token().await;
    let sub = stamp.first_tenant_subscription();
    let (start, end) = ("2026-01-05T00:00:00Z", "2026-01-13T00:00:00Z");
    let pages = stamp
        .pages(
            &stamp.tenant_url(&sub, &usage_query(start, end, "Daily")),
            &token,
        )
        .await;
    let index = stamp.dataset().subscription_index(&sub).unwrap();
    let expected = stamp.dataset().totals(&UsageQuery {
        reported_start: utc(start),
        reported_end: utc(end),
        granularity: Granularity::Daily,
        scope: SubscriptionScope::One(index),
    });
    assert_eq!(pages.len() as u64, expected.rows.div_ceil(97));
    assert_eq!(rows(&pages).len() as u64, expected.rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_list_maps_usage_to_owners() {
    let stamp = start().await;
    let token = stamp.operator_token().await;
    let base = format!(
        "{}subscriptions/{}/providers/Microsoft.Subscriptions.Admin/subscriptions",
        stamp.s("/admin_arm"),
        stamp.provider_subscription()
    );
    let list = stamp
        .get(&format!("{base}?api-version=2015-11-01"), Some(&token))
        .await
        .json();
    let value = list["value"].as_array().unwrap();
    assert_eq!(value.len(), stamp.dataset().subscriptions().len());
    assert!(value.iter().any(|s| s["state"] == "Deleted"));
    for s in value {
        assert!(s["owner"].as_str().unwrap().contains('@'));
        assert_eq!(s["tenantId"], stamp.s("/tenant_id").as_str());
    }
    let first = stamp.first_tenant_subscription();
    let one = stamp
        .get(
            &format!("{base}/{first}?api-version=2015-11-01"),
            Some(&token),
        )
        .await
        .json();
    assert_eq!(one["subscriptionId"], first.as_str());
    let filtered = stamp
        .get(
            &format!("{base}?api-version=2015-11-01&$filter=state%20eq%20'Deleted'"),
            Some(&token),
        )
        .await
        .json();
    assert!(
        filtered["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "Deleted")
    );
    assert!(!filtered["value"].as_array().unwrap().is_empty());
}
