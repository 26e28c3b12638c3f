//! Usage through the library against the emulator: every row once across pages, resuming from a
//! continuation token, retries in the middle of paging, local validation before anything is sent.

mod support;

use std::sync::Arc;

use azs_billing_core::client::Client;
use azs_billing_core::error::Error;
use azs_billing_core::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use chrono::{DateTime, Utc};
use support::Stamp;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("a UTC time")
}

fn provider_query(stamp: &Stamp, start: &str, end: &str, granularity: Granularity) -> UsageQuery {
    UsageQuery {
        api: UsageApi::Provider,
        subscription_id: stamp.s("/default_provider_subscription_id"),
        reported_start: utc(start),
        reported_end: utc(end),
        granularity,
        subscriber_id: None,
        continuation_token: None,
    }
}

fn operator_client(stamp: &Stamp) -> Arc<Client> {
    Arc::new(
        Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
            .expect("client"),
    )
}

/// Rows of a whole query, paged through the library.
fn count_rows(client: Arc<Client>, query: UsageQuery) -> usize {
    UsagePager::new(client, query)
        .expect("pager")
        .map(|p| p.expect("page").records.len())
        .sum()
}

/// The emulator's own count for a query, from its control route.
fn expected_rows(stamp: &Stamp, query: &str) -> u64 {
    stamp.usage_totals(query)["rows"].as_u64().expect("rows")
}

#[test]
fn provider_paging_returns_every_row_once() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let query = provider_query(
        &stamp,
        "2026-01-06T00:00:00Z",
        "2026-01-09T00:00:00Z",
        Granularity::Hourly,
    );
    let mut pager = UsagePager::new(client, query).expect("valid query");
    let mut rows = Vec::new();
    while let Some(page) = pager.next_page().expect("page") {
        rows.extend(page.records);
    }
    let expected = expected_rows(
        &stamp,
        "api=provider&reportedStartTime=2026-01-06T00:00:00Z&reportedEndTime=2026-01-09T00:00:00Z&aggregationGranularity=Hourly",
    );
    assert!(
        pager.pages_fetched() >= 3,
        "{} pages",
        pager.pages_fetched()
    );
    assert_eq!(rows.len() as u64, expected);
    let mut keys: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.meter_id.clone(),
                r.instance_data_raw.clone(),
                r.usage_start,
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rows.len(), "no duplicates");
    // Typed fields: meters named, instanceData parsed, VM sizes found.
    assert!(
        rows.iter()
            .any(|r| r.meter.is_some_and(|m| m.name == "Base VM Size Hours"))
    );
    assert!(
        rows.iter()
            .all(|r| r.instance.as_ref().is_some_and(|i| i.resource.is_some()))
    );
    assert!(
        rows.iter()
            .any(|r| r.instance.as_ref().is_some_and(|i| i.vm_size.is_some()))
    );
    assert!(
        rows.iter().any(|r| r.meter.is_none()),
        "unknown meters pass through"
    );
}

#[test]
fn a_continuation_token_resumes_where_paging_stopped() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let query = provider_query(
        &stamp,
        "2026-01-06T00:00:00Z",
        "2026-01-08T00:00:00Z",
        Granularity::Hourly,
    );
    let all = count_rows(client.clone(), query.clone());
    let mut first = UsagePager::new(client.clone(), query.clone()).expect("pager");
    let page = first.next_page().expect("page").expect("a first page");
    let token = first
        .continuation_token()
        .expect("a token after a non-final page")
        .to_string();
    let resumed = UsageQuery {
        continuation_token: Some(token),
        ..query
    };
    let rest = count_rows(client, resumed);
    assert_eq!(page.records.len() + rest, all);
}

#[test]
fn throttling_and_dropped_connections_mid_paging_are_retried() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    let query = provider_query(
        &stamp,
        "2026-01-06T00:00:00Z",
        "2026-01-08T00:00:00Z",
        Granularity::Hourly,
    );
    let clean = count_rows(client.clone(), query.clone());
    stamp.set_faults(&[
        "429:every=2,count=3,retry-after-ms=20,path=usage",
        "drop:every=3,count=1,path=usage",
    ]);
    let faulted = count_rows(client, query);
    assert_eq!(faulted, clean);
}

#[test]
fn bad_queries_are_refused_before_anything_is_sent() {
    let stamp = support::start();
    let client = operator_client(&stamp);
    // Every request would fail if one were sent.
    stamp.set_faults(&["503"]);
    let base = provider_query(
        &stamp,
        "2026-01-06T00:00:00Z",
        "2026-01-07T00:00:00Z",
        Granularity::Daily,
    );
    let cases = [
        UsageQuery {
            reported_start: utc("2026-01-07T00:00:00Z"),
            ..base.clone()
        },
        UsageQuery {
            reported_start: utc("2026-01-06T13:00:00Z"),
            ..base.clone()
        },
        UsageQuery {
            reported_end: Utc::now() + chrono::Days::new(2),
            ..base.clone()
        },
        UsageQuery {
            subscriber_id: Some("not-a-guid".into()),
            ..base.clone()
        },
        UsageQuery {
            api: UsageApi::Tenant,
            subscriber_id: Some(stamp.s("/dataset/first_tenant_subscription_id")),
            ..base.clone()
        },
    ];
    for query in cases {
        match UsagePager::new(client.clone(), query.clone()) {
            Err(Error::InvalidArgument { .. }) => {}
            other => panic!("{query:?} gave {:?}", other.map(|_| "a pager")),
        }
    }
}

#[test]
fn tenant_usage_and_service_errors_carry_the_request_id() {
    let stamp = support::start();
    let client = Arc::new(
        Client::new(stamp.options("tenant_arm", stamp.secret_credential("tenant")))
            .expect("client"),
    );
    let own = UsageQuery {
        api: UsageApi::Tenant,
        subscription_id: stamp.s("/dataset/first_tenant_subscription_id"),
        ..provider_query(
            &stamp,
            "2026-01-06T00:00:00Z",
            "2026-01-07T00:00:00Z",
            Granularity::Daily,
        )
    };
    let rows = count_rows(client.clone(), own.clone());
    assert!(rows > 0);
    // A subscription the stamp does not have: 404 from the service, with its code and request id.
    let foreign = UsageQuery {
        subscription_id: "11111111-2222-3333-4444-555555555555".into(),
        ..own
    };
    let error = UsagePager::new(client, foreign)
        .expect("pager")
        .next_page()
        .expect_err("refused");
    let service = error.service_error().expect("a service error");
    assert_eq!(service.status, 404);
    assert_eq!(service.code.as_deref(), Some("SubscriptionNotFound"));
    assert!(service.request_id.is_some());
}

/// A client whose requests are sent once: a fault fails the call instead of being retried away.
fn operator_client_without_retries(stamp: &Stamp) -> Arc<Client> {
    let mut options = stamp.options("admin_arm", stamp.secret_credential("operator"));
    options.transport.retry.max_retries = 0;
    Arc::new(Client::new(options).expect("client"))
}

#[test]
fn a_failed_page_is_fetched_again_by_the_next_call_never_a_clean_end() {
    let stamp = support::start();
    let client = operator_client_without_retries(&stamp);
    let query = provider_query(
        &stamp,
        "2026-01-06T00:00:00Z",
        "2026-01-08T00:00:00Z",
        Granularity::Hourly,
    );
    let expected = expected_rows(
        &stamp,
        "api=provider&reportedStartTime=2026-01-06T00:00:00Z&reportedEndTime=2026-01-08T00:00:00Z&aggregationGranularity=Hourly",
    );
    let mut pager = UsagePager::new(client, query).expect("pager");
    let first = pager.next_page().expect("page 1").expect("a first page");
    let token = pager.continuation_token().map(str::to_string);
    assert!(token.is_some(), "page 1 is not the last");
    // The next two attempts at page 2 fail with 503 (nothing retries them inside the client).
    stamp.set_faults(&["503:count=2,path=usage"]);
    let mut rows = first.records.len() as u64;
    let mut errors = 0;
    // A caller's retry loop over the iterator: an error is an item, never the end.
    while let Some(page) = pager.next() {
        match page {
            Ok(page) => rows += page.records.len() as u64,
            Err(error) => {
                errors += 1;
                assert!(errors <= 2, "the page was not fetched again: {error}");
                assert_eq!(error.service_error().map(|e| e.status), Some(503));
                // The token still points at the failed page, for a resume in a new pager too.
                assert_eq!(pager.continuation_token().map(str::to_string), token);
            }
        }
    }
    assert_eq!(errors, 2);
    assert_eq!(rows, expected, "every row exactly once after the retries");
    // After the last page, None stays None.
    assert!(pager.next_page().expect("after the end").is_none());
}

#[test]
fn the_default_provider_subscription_is_found_by_its_name_only() {
    let stamp = support::start();
    let operator = operator_client(&stamp);
    assert_eq!(
        azs_billing_core::subscriptions::default_provider_subscription(&operator).expect("found"),
        stamp.s("/default_provider_subscription_id")
    );
    // The tenant principal sees exactly one subscription, its own: that is not a provider subscription.
    let tenant = Client::new(stamp.options("tenant_arm", stamp.secret_credential("tenant")))
        .expect("client");
    assert_eq!(
        azs_billing_core::subscriptions::visible(&tenant)
            .expect("visible")
            .len(),
        1
    );
    match azs_billing_core::subscriptions::default_provider_subscription(&tenant) {
        Err(Error::NotFound { message, service }) => {
            assert!(
                message.contains("connect to the admin endpoint as an operator"),
                "{message}"
            );
            assert!(service.is_none(), "a search that matched nothing");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn one_tenant_subscription_is_got_not_listed() {
    use azs_billing_core::subscriptions;
    let stamp = support::start();
    let operator = operator_client(&stamp);
    let provider = stamp.s("/default_provider_subscription_id");
    let first = stamp.s("/dataset/first_tenant_subscription_id");
    let one = subscriptions::get(&operator, &provider, &first.to_uppercase()).expect("got");
    assert_eq!(one.subscription_id, first);
    let listed = subscriptions::list(&operator, &provider, None).expect("listed");
    assert_eq!(
        listed.iter().find(|s| s.subscription_id == first),
        Some(&one),
        "the same record, judged the same way"
    );
    let unknown = "0d1e2f3a-0000-4000-8000-000000000000";
    match subscriptions::get(&operator, &provider, unknown) {
        Err(Error::NotFound { message, service }) => {
            assert!(message.contains(unknown), "{message}");
            assert_eq!(service.map(|s| s.status), Some(404));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_directory_id_given_as_a_subscription_id_is_named_as_such() {
    use azs_billing_core::subscriptions;
    let stamp = support::start();
    let operator = operator_client(&stamp);
    let provider = stamp.s("/default_provider_subscription_id");
    let listed = subscriptions::list(&operator, &provider, None).expect("listed");
    let tenant = listed
        .iter()
        .find_map(|s| s.tenant_id.clone())
        .expect("the data set's subscriptions have directories");
    let owners: Vec<&str> = listed
        .iter()
        .filter(|s| s.tenant_id.as_deref() == Some(tenant.as_str()))
        .map(|s| s.subscription_id.as_str())
        .collect();
    let named_owner = |message: &str| owners.iter().any(|o| message.contains(o));

    match subscriptions::get(&operator, &provider, &tenant) {
        Err(Error::NotFound { message, service }) => {
            assert!(
                message.contains(&format!(
                    "{tenant} is the directory (tenant) id of subscription"
                )),
                "{message}"
            );
            assert!(named_owner(&message), "{message}");
            assert!(message.contains("give the subscription id"), "{message}");
            assert_eq!(service.map(|s| s.status), Some(404));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }

    let filter = format!("subscriptionId eq '{tenant}'");
    match subscriptions::list(&operator, &provider, Some(&filter)) {
        Err(Error::NotFound { message, .. }) => {
            assert!(message.contains("directory (tenant) id"), "{message}");
            assert!(named_owner(&message), "{message}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    // A filter that finds nothing for another reason is still an empty list.
    let unknown = "subscriptionId eq '0d1e2f3a-0000-4000-8000-000000000000'";
    assert_eq!(
        subscriptions::list(&operator, &provider, Some(unknown)).expect("listed"),
        Vec::new()
    );
}

#[test]
fn the_working_subscription_is_the_only_one_visible_or_one_named_among_them() {
    use azs_billing_core::subscriptions;
    let stamp = support::start();
    let tenant = Client::new(stamp.options("tenant_arm", stamp.secret_credential("tenant")))
        .expect("client");
    let visible = subscriptions::visible(&tenant).expect("visible");
    let only = &visible[0];
    let working = subscriptions::working_subscription(&visible, None).expect("chosen");
    assert_eq!(
        working.subscription_id.as_deref(),
        Some(only.subscription_id.as_str())
    );
    assert_eq!(working.tenant_id, only.tenant_id);
    let elsewhere = "0d1e2f3a-0000-4000-8000-000000000000";
    assert!(matches!(
        subscriptions::working_subscription(&visible, Some(elsewhere)),
        Err(Error::NotFound { .. })
    ));
}
