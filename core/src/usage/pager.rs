//! Paging: follows `nextLink` exactly as the service gave it, exposes the continuation token so a run can
//! resume, and holds one page at a time (memory does not grow with the result).

use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::arm::check_next_link;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::usage::query::UsageQuery;
use crate::usage::record::UsageRecord;

/// The most pages one pager fetches (a billion rows at the service's 1,000 per page): a guard against a
/// server that never stops handing out nextLinks. Private so it stays out of the C header (cbindgen emits
/// every public constant); the header and README state the number.
const MAX_PAGES: u64 = 1_000_000;

/// One page of usage records and the link to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePage {
    /// The records of this page, in the order the service sent them.
    pub records: Vec<UsageRecord>,
    /// The page's nextLink, absent on the last page.
    pub next_link: Option<String>,
    /// The continuationToken inside nextLink (URL-decoded), to resume later with `UsageQuery::continuation_token`.
    pub continuation_token: Option<String>,
}

/// Reads a usage query page by page, following nextLinks until the last page (or `MAX_PAGES`).
pub struct UsagePager {
    client: Arc<Client>,
    state: PageState,
}

impl UsagePager {
    /// Validates the query (against the current time) and prepares the first request; nothing is sent yet.
    pub fn new(client: Arc<Client>, query: UsageQuery) -> Result<UsagePager> {
        query.validate(chrono::Utc::now())?;
        let arm = client.environment().resource_manager.clone();
        let first = query.url(&arm)?;
        log::debug!(
            "usage query: {:?} API, subscription {}, {} to {}, {:?}{}",
            query.api,
            query.subscription_id.trim(),
            query
                .reported_start
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            query
                .reported_end
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            query.granularity,
            if query.continuation_token.is_some() {
                ", resuming from a continuation token"
            } else {
                ""
            }
        );
        Ok(UsagePager {
            client,
            state: PageState::new(arm, first, MAX_PAGES),
        })
    }

    /// The next page, or None after the last. Stops when nextLink is absent or empty, or when a page is
    /// empty and its nextLink points back at itself.
    ///
    /// An error leaves the pager where it was: the next call sends the request of the page that failed
    /// again (the client has already retried it), so a caller's retry loop gets every row exactly once,
    /// and None only ever means the last page was delivered. `continuation_token()` still holds the token
    /// of the failed page, so a new pager started from it resumes there too. Errors that a repeat cannot
    /// cure come back on every call: a malformed page, a nextLink that is not a URL or points anywhere but
    /// the Resource Manager endpoint (refused, `UnexpectedResponse`, rather than sent a token), a page
    /// repeated exactly with the same nextLink (a server loop that would count rows twice), and the
    /// 1,000,000-page cap.
    pub fn next_page(&mut self) -> Result<Option<UsagePage>> {
        let Some(url) = self.state.pending()?.cloned() else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let response = self.client.get_json(&url)?;
        let page = self.state.accept(&response.body)?;
        log::debug!(
            "usage page {}: {} rows in {} ms{}",
            self.state.pages,
            page.records.len(),
            started.elapsed().as_millis(),
            if self.state.next.is_some() {
                ", more to come"
            } else {
                ", the last"
            }
        );
        Ok(Some(page))
    }

    /// The continuation token of the last page fetched (None before the first page or after the last).
    pub fn continuation_token(&self) -> Option<&str> {
        self.state.token.as_deref()
    }

    /// How many pages this pager has read, for progress and the page guard.
    pub fn pages_fetched(&self) -> u64 {
        self.state.pages
    }
}

/// Yields `Some(Err(..))` for a failed page and goes on with the same page on the next call (see
/// `next_page`): an error is never turned into the end of the iteration. `collect::<Result<Vec<_>>>()` and
/// `?` stop at the first error; a loop that skips errors should bound its retries.
impl Iterator for UsagePager {
    type Item = Result<UsagePage>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_page().transpose()
    }
}

/// Everything about paging except the HTTP request, so it can be tested without a client.
#[derive(Debug)]
struct PageState {
    /// The Resource Manager endpoint: nextLinks must stay on it.
    arm: Url,
    /// The URL to fetch next; None once the last page has been delivered. Kept through errors, so the
    /// next call re-fetches the page that failed.
    next: Option<Url>,
    /// The continuation token of the last page fetched.
    token: Option<String>,
    pages: u64,
    max_pages: u64,
    /// A digest of the last page's body, to recognise a server handing out the same page again.
    last_page: Option<u64>,
}

impl PageState {
    fn new(arm: Url, first: Url, max_pages: u64) -> PageState {
        PageState {
            arm,
            next: Some(first),
            token: None,
            pages: 0,
            max_pages,
            last_page: None,
        }
    }

    /// The URL to fetch next, None after the last page, or an error once the page cap is reached (the
    /// result is not finished: ending quietly there would be a short result).
    fn pending(&self) -> Result<Option<&Url>> {
        match &self.next {
            Some(_) if self.pages >= self.max_pages => Err(Error::unexpected(format!(
                "stopped after {} usage pages, the most one query follows; the service keeps handing out nextLinks. Resume with the continuation token in a new query, or query a shorter time window",
                self.max_pages
            ))),
            next => Ok(next.as_ref()),
        }
    }

    /// Takes the body fetched from `pending()` and decides what comes next. On error nothing changes, so
    /// the same page is fetched again.
    fn accept(&mut self, body: &[u8]) -> Result<UsagePage> {
        let Some(current) = &self.next else {
            return Err(Error::unexpected(
                "a usage page arrived after paging ended".to_string(),
            ));
        };
        let number = self.pages + 1;
        let page = parse_page(body, number)?;
        let link = match page.next_link.as_deref() {
            None => None,
            Some(text) => Some(check_next_link(&self.arm, text)?),
        };
        let digest = digest(body);
        let points_back = link
            .as_ref()
            .is_some_and(|l| l.as_str() == current.as_str());
        if points_back && !page.records.is_empty() && self.last_page == Some(digest) {
            return Err(Error::unexpected(format!(
                "usage page {number} is page {} again, with the same nextLink: the service is looping, and following it would count the same {} rows again; stopped. Resume later with the continuation token, or report the loop to the stamp's operator",
                self.pages,
                page.records.len()
            )));
        }
        self.pages = number;
        self.last_page = Some(digest);
        let token = link.as_ref().and_then(continuation_token_of);
        match link {
            // The last page, or an empty page pointing back at itself (nothing more will come).
            None => self.finish(),
            Some(_) if page.records.is_empty() && points_back => self.finish(),
            Some(link) => {
                self.token = token.clone();
                self.next = Some(link);
            }
        }
        Ok(UsagePage {
            records: page.records,
            next_link: page.next_link,
            continuation_token: token,
        })
    }

    fn finish(&mut self) {
        self.next = None;
        self.token = None;
    }
}

/// Tells pages apart without keeping them (a page is up to a megabyte).
fn digest(body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish()
}

#[derive(Debug, PartialEq)]
struct ParsedPage {
    records: Vec<UsageRecord>,
    /// nextLink when present and not empty.
    next_link: Option<String>,
}

/// A page in the wire's documented shape, read in one pass ([`crate::usage::record::WireRecord`]).
#[derive(serde::Deserialize)]
struct WirePage<'a> {
    #[serde(borrow)]
    value: Vec<crate::usage::record::WireRecord<'a>>,
    #[serde(default, rename = "nextLink")]
    next_link: Option<String>,
}

/// `{"value":[...],"nextLink":...}`; `number` (1-based) only labels errors. The documented shape is read
/// straight into records; a page that does not fit it is read again through a JSON tree, which takes the
/// forms the documented one does not and says what is wrong with a malformed page.
fn parse_page(body: &[u8], number: u64) -> Result<ParsedPage> {
    match parse_documented_page(body) {
        Some(page) => Ok(page),
        None => parse_any_page(body, number),
    }
}

fn parse_documented_page(body: &[u8]) -> Option<ParsedPage> {
    let page: WirePage<'_> = serde_json::from_slice(body).ok()?;
    let records = page
        .value
        .into_iter()
        .map(UsageRecord::from_wire)
        .collect::<Option<Vec<_>>>()?;
    Some(ParsedPage {
        records,
        next_link: page.next_link.filter(|link| !link.trim().is_empty()),
    })
}

fn parse_any_page(body: &[u8], number: u64) -> Result<ParsedPage> {
    let unexpected = |m: String| Error::unexpected(format!("usage page {number}: {m}"));
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        Error::unexpected_from(
            format!("usage page {number}: the body is not JSON ({e})"),
            e,
        )
    })?;
    let Some(object) = json.as_object() else {
        return Err(unexpected("the body is not a JSON object".to_string()));
    };
    let Some(values) = object.get("value").and_then(Value::as_array) else {
        return Err(unexpected(
            "the body has no \"value\" array of usage records".to_string(),
        ));
    };
    let records = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            UsageRecord::from_json(v).map_err(|e| match e {
                Error::UnexpectedResponse { message, source } => Error::UnexpectedResponse {
                    message: format!("usage page {number}: record {i}: {message}"),
                    source,
                },
                other => other,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let next_link = match object.get("nextLink") {
        None | Some(Value::Null) => None,
        Some(Value::String(link)) if link.trim().is_empty() => None,
        Some(Value::String(link)) => Some(link.clone()),
        Some(_) => return Err(unexpected("nextLink is not a string".to_string())),
    };
    Ok(ParsedPage { records, next_link })
}

/// The `continuationToken` query value of a nextLink, percent-decoded once ('+' stays '+': the token is
/// base64, not form data). None when absent or empty.
pub(crate) fn continuation_token_of(link: &Url) -> Option<String> {
    link.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("continuationToken"))
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::usage::query::{Granularity, UsageApi};

    const ARM: &str = "https://adminmanagement.local.azurestack.external/";

    fn arm() -> Url {
        Url::parse(ARM).expect("arm")
    }

    fn first_url() -> Url {
        Url::parse(&format!(
            "{ARM}subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2026-01-01T00%3A00%3A00Z&reportedEndTime=2026-01-02T00%3A00%3A00Z&aggregationGranularity=Daily"
        ))
        .expect("url")
    }

    fn row(meter: &str) -> Value {
        json!({"properties": {
            "subscriptionId": "5144634d-7e4d-443b-a304-d27e44220fc6",
            "usageStartTime": "2026-01-01T00:00:00+00:00",
            "usageEndTime": "2026-01-02T00:00:00+00:00",
            "quantity": 1.5,
            "meterId": meter
        }})
    }

    fn body(rows: usize, next_link: Option<&str>) -> Vec<u8> {
        let value: Vec<Value> = (0..rows)
            .map(|_| row("F271A8A388C44D93956A063E1D2FA80B"))
            .collect();
        let mut page = json!({ "value": value });
        if let Some(link) = next_link {
            page["nextLink"] = json!(link);
        }
        page.to_string().into_bytes()
    }

    fn link_with(token_encoded: &str) -> String {
        format!("{}&continuationToken={token_encoded}", first_url())
    }

    /// The URL the state would fetch next (None: paging has ended).
    fn pending(state: &PageState) -> Option<Url> {
        state.pending().expect("no error pending").cloned()
    }

    fn unexpected<T: std::fmt::Debug>(result: Result<T>) -> String {
        match result {
            Err(Error::UnexpectedResponse { message, .. }) => message,
            other => panic!("expected UnexpectedResponse, got {other:?}"),
        }
    }

    /// The one-pass reading of a documented page gives exactly the records the JSON-tree reading does, and
    /// a page in any other accepted form is still read (by the tree).
    #[test]
    fn a_documented_page_reads_the_same_in_one_pass_as_through_a_json_tree() {
        let specs =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/specs");
        let mut bodies: Vec<Vec<u8>> = [
            "azsadmin/resource-manager/commerce/Microsoft.Commerce.Admin/preview/2015-06-01-preview/examples/SubscriberUsageAggregates/List.json",
            "commerce/resource-manager/Microsoft.Commerce/preview/2015-06-01-preview/examples/GetUsageAggregatesList.json",
        ]
        .iter()
        .map(|path| {
            let example: Value = serde_json::from_str(
                &std::fs::read_to_string(specs.join(path)).expect("example"),
            )
            .expect("JSON");
            example["responses"]["200"]["body"].to_string().into_bytes()
        })
        .collect();
        let vm = json!({"Microsoft.Resources": {
            "resourceUri": "/subscriptions/5144634d-7e4d-443b-a304-d27e44220fc6/resourceGroups/ré/providers/Microsoft.Compute/virtualMachines/vm \"1\"",
            "location": "local", "tags": {"cost": "A\tB"}, "additionalInfo": "{\"ServiceType\":\"Standard_D2\"}"}})
        .to_string();
        let record = |start: &str, quantity: Value, instance: Value| {
            json!({"id": "/subscriptions/x/providers/Microsoft.Commerce/UsageAggregate/y", "name": "y",
                   "type": "Microsoft.Commerce/UsageAggregate",
                   "properties": {"subscriptionId": "5144634d-7e4d-443b-a304-d27e44220fc6",
                                  "usageStartTime": start, "usageEndTime": "2026-01-02T00:00:00+00:00",
                                  "meterId": "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5", "quantity": quantity,
                                  "instanceData": instance, "extra": [1, {"a": null}]}})
        };
        let documented = json!({"value": [
            record("2026-01-01T00:00:00+00:00", json!(2.4), json!(vm)),
            record("2026-01-01T00:00:00", json!(7), Value::Null),
            record(" 2026-01-01T01:00:00.5-05:00 ", json!(0.1e-7), json!("{not json")),
        ], "nextLink": "  "});
        bodies.push(documented.to_string().into_bytes());
        for body in &bodies {
            let fast = parse_documented_page(body).expect("the documented shape reads in one pass");
            assert_eq!(fast, parse_any_page(body, 1).expect("the tree reads it"));
        }
        assert_eq!(
            parse_documented_page(bodies.last().expect("body"))
                .expect("page")
                .records[0]
                .instance
                .as_ref()
                .and_then(|i| i.vm_size.as_deref()),
            Some("Standard_D2")
        );
        // Forms only the tree reads: a quantity as text, instanceData as an object, a flattened record.
        let other_forms = json!({"value": [
            record("2026-01-01T00:00:00Z", json!("2.5"), Value::Null),
            record("2026-01-01T00:00:00Z", json!(1), serde_json::from_str::<Value>(&vm).expect("vm")),
            {"subscriptionId": "5144634d-7e4d-443b-a304-d27e44220fc6", "usageStartTime": "2026-01-01T00:00:00Z",
             "usageEndTime": "2026-01-02T00:00:00Z", "meterId": "x", "quantity": 1},
        ]})
        .to_string()
        .into_bytes();
        assert!(parse_documented_page(&other_forms).is_none());
        assert_eq!(parse_page(&other_forms, 1).expect("read").records.len(), 3);
        // A malformed page still gets the tree's error.
        let broken = json!({"value": [record("yesterday", json!(1), Value::Null)]}).to_string();
        assert!(unexpected(parse_page(broken.as_bytes(), 4)).contains("usage page 4: record 0"));
    }

    #[test]
    fn follows_next_links_exactly() {
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        assert_eq!(pending(&state), Some(first_url()));
        assert_eq!(state.token, None);

        // An explicit :443 and lower-case escapes, as public Azure writes them; followed as given.
        let link = "https://adminmanagement.local.azurestack.external:443/subscriptions/x/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedstartTime=2026-01-01T00%3a00%3a00Z&continuationToken=eyJ2Ijox%2bL3%2F%3d%3D".to_string();
        let page = state.accept(&body(3, Some(&link))).expect("page 1");
        assert_eq!(page.records.len(), 3);
        assert_eq!(page.next_link.as_deref(), Some(link.as_str()));
        assert_eq!(page.continuation_token.as_deref(), Some("eyJ2Ijox+L3/=="));
        assert_eq!(state.token.as_deref(), Some("eyJ2Ijox+L3/=="));
        let next = pending(&state).expect("next").as_str().to_string();
        assert!(
            next.contains("reportedstartTime=2026-01-01T00%3a00%3a00Z"),
            "{next}"
        );
        assert!(
            next.contains("continuationToken=eyJ2Ijox%2bL3%2F%3d%3D"),
            "{next}"
        );
        assert_eq!(state.pages, 1);

        // An empty page with a new link is followed (empty pages happen mid-result).
        let link2 = link_with("two");
        let page = state.accept(&body(0, Some(&link2))).expect("page 2");
        assert!(page.records.is_empty());
        assert_eq!(
            pending(&state).as_ref().map(Url::as_str),
            Some(link2.as_str())
        );

        // The last page: no nextLink.
        let page = state.accept(&body(1, None)).expect("page 3");
        assert_eq!((page.next_link, page.continuation_token), (None, None));
        assert_eq!(pending(&state), None);
        assert_eq!(state.token, None);
        assert_eq!(state.pages, 3);
    }

    #[test]
    fn empty_or_null_next_link_ends() {
        for last in [
            json!({"value": [], "nextLink": ""}),
            json!({"value": [row("m")], "nextLink": null}),
            json!({"value": [], "nextLink": "  "}),
        ] {
            let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
            let page = state.accept(last.to_string().as_bytes()).expect("page");
            assert_eq!(page.next_link, None);
            assert_eq!(pending(&state), None);
        }
    }

    #[test]
    fn a_server_loop_ends() {
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        let link = link_with("same");
        state.accept(&body(2, Some(&link))).expect("page 1");
        // A page with rows and the same link again is still followed once...
        state.accept(&body(1, Some(&link))).expect("page 2");
        assert!(pending(&state).is_some());
        // ...but an empty page pointing back at itself ends paging.
        let page = state.accept(&body(0, Some(&link))).expect("page 3");
        assert_eq!(page.next_link.as_deref(), Some(link.as_str()));
        assert_eq!(pending(&state), None);
        assert_eq!(state.token, None);
    }

    #[test]
    fn the_same_page_again_with_the_same_link_is_a_loop_not_more_rows() {
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        let link = link_with("same");
        state.accept(&body(2, Some(&link))).expect("page 1");
        // The page at `link` points back at itself: its rows are new, so they are delivered...
        let page = state.accept(&body(1, Some(&link))).expect("page 2");
        assert_eq!(page.records.len(), 1);
        // ...but the same page again, with the same nextLink, would count them twice.
        let message = unexpected(state.accept(&body(1, Some(&link))));
        assert!(
            message.contains("usage page 3 is page 2 again"),
            "{message}"
        );
        assert!(message.contains("looping"), "{message}");
        assert_eq!(state.pages, 2);
        // Terminal in effect: the loop is found again on every later fetch, never a clean end.
        assert!(pending(&state).is_some());
        assert!(unexpected(state.accept(&body(1, Some(&link)))).contains("looping"));
        // The same rows under a different nextLink are not a loop (a service may repeat a page's content).
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        state
            .accept(&body(1, Some(&link_with("a"))))
            .expect("page 1");
        state
            .accept(&body(1, Some(&link_with("b"))))
            .expect("page 2");
    }

    #[test]
    fn page_cap() {
        let mut state = PageState::new(arm(), first_url(), 2);
        state
            .accept(&body(1, Some(&link_with("a"))))
            .expect("page 1");
        assert!(pending(&state).is_some());
        state
            .accept(&body(1, Some(&link_with("b"))))
            .expect("page 2");
        // The result is not finished: the cap is an error, not a quiet (short) end.
        let message = unexpected(state.pending());
        assert!(message.contains("stopped after 2 usage pages"), "{message}");
        assert!(message.contains("continuation token"), "{message}");
        // The token is kept: a new pager can go on from here.
        assert_eq!(state.token.as_deref(), Some("b"));
    }

    #[test]
    fn foreign_next_links_are_refused() {
        for link in [
            "https://evil.example.com/subscriptions/x?continuationToken=t",
            "http://adminmanagement.local.azurestack.external/subscriptions/x?continuationToken=t",
            "https://adminmanagement.local.azurestack.external:8443/subscriptions/x?continuationToken=t",
            "/subscriptions/x?continuationToken=t",
        ] {
            let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
            let message = unexpected(state.accept(&body(1, Some(link))));
            assert!(message.contains("nextLink"), "{link}: {message}");
            // Nothing was taken from the page; fetching it again gives the same refusal.
            assert_eq!(pending(&state), Some(first_url()), "{link}");
            assert_eq!(state.pages, 0);
        }
        // Host names compare without case.
        let link = "https://AdminManagement.Local.AzureStack.External/x?continuationToken=t";
        assert!(check_next_link(&arm(), link).is_ok());
    }

    #[test]
    fn malformed_pages() {
        let cases: [(&[u8], &str); 5] = [
            (b"<html>gateway</html>", "not JSON"),
            (b"[]", "not a JSON object"),
            (b"{\"nextLink\":null}", "no \"value\" array"),
            (b"{\"value\":{}}", "no \"value\" array"),
            (b"{\"value\":[],\"nextLink\":5}", "nextLink is not a string"),
        ];
        for (body, expected) in cases {
            let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
            let message = unexpected(state.accept(body));
            assert!(message.starts_with("usage page 1: "), "{message}");
            assert!(message.contains(expected), "{message}");
            assert_eq!(pending(&state), Some(first_url()));
        }
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        let mut bad = row("m");
        bad["properties"]["quantity"] = json!("many");
        let page = json!({"value": [row("m"), bad]}).to_string();
        let message = unexpected(state.accept(page.as_bytes()));
        assert!(message.starts_with("usage page 1: record 1: "), "{message}");
        assert!(message.contains("properties.quantity"), "{message}");
        // The page is fetched again after the error; a good answer then is page 1.
        assert_eq!(pending(&state), Some(first_url()));
        let page = state.accept(&body(1, None)).expect("page 1 again");
        assert_eq!(page.records.len(), 1);
        assert_eq!(pending(&state), None);
        // Only after the last page does nothing more come.
        assert!(unexpected(state.accept(&body(1, None))).contains("after paging ended"));
    }

    #[test]
    fn errors_keep_the_token_for_resuming() {
        let mut state = PageState::new(arm(), first_url(), MAX_PAGES);
        state
            .accept(&body(1, Some(&link_with("resume%2Bhere"))))
            .expect("page 1");
        let failed = pending(&state).expect("page 2 pending");
        assert!(state.accept(b"not json").is_err());
        assert_eq!(state.token.as_deref(), Some("resume+here"));
        // The failed page stays pending: the next call re-fetches it instead of ending.
        assert_eq!(pending(&state), Some(failed));
        assert_eq!(state.pages, 1);
        let page = state.accept(&body(2, None)).expect("page 2 on the retry");
        assert_eq!((page.records.len(), state.pages), (2, 2));
    }

    #[test]
    fn token_extraction() {
        let token = |link: &str| continuation_token_of(&Url::parse(link).expect("url"));
        assert_eq!(
            token("https://h/p?a=1&continuationToken=ab%2Bc%2F%3D%3D"),
            Some("ab+c/==".into())
        );
        // Decoded once only: an escaped escape stays an escape.
        assert_eq!(
            token("https://h/p?continuationToken=a%252B"),
            Some("a%2B".into())
        );
        // A raw '+' is kept as '+', not turned into a space.
        assert_eq!(
            token("https://h/p?continuationtoken=a+b"),
            Some("a+b".into())
        );
        assert_eq!(token("https://h/p?a=1&continuationToken="), None);
        assert_eq!(token("https://h/p?a=1"), None);
        assert_eq!(token("https://h/p"), None);
    }

    #[test]
    fn a_token_resumes_through_the_query() {
        // The token taken from a nextLink, put back on the query, reaches the server as it was in the link.
        let link = Url::parse(&link_with("eyJ2IjoxLCJrIjoiYWJj%2BIn0%3D")).expect("link");
        let token = continuation_token_of(&link).expect("token");
        let utc = |t: &str| t.parse::<DateTime<Utc>>().expect("time");
        let query = UsageQuery {
            api: UsageApi::Provider,
            subscription_id: "20ff7fc3-e762-44dd-bd96-b71116dcdc23".into(),
            reported_start: utc("2026-01-01T00:00:00Z"),
            reported_end: utc("2026-01-02T00:00:00Z"),
            granularity: Granularity::Daily,
            subscriber_id: None,
            continuation_token: Some(token),
        };
        let first = query.url(&arm()).expect("url");
        assert_eq!(
            first.as_str().to_ascii_lowercase(),
            link.as_str().to_ascii_lowercase()
        );
        assert_eq!(continuation_token_of(&first), continuation_token_of(&link));
    }
}
