//! Requests to ARM: any verb through the client (retries, 401 renewal, ARM errors), 404 as `NotFound`
//! saying what was looked for, JSON bodies into types, and lists of `{"value":[...],"nextLink":...}`.

use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::arm::list::{Page, follow};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::{Method, Response};

/// A guard against a server that keeps handing out nextLinks.
const MAX_PAGES: usize = 1_000;

/// Sends one request; a 404 becomes `NotFound` saying what was looked for.
pub(crate) fn send(
    client: &Client,
    method: Method,
    url: &Url,
    body: Option<&Value>,
    what: impl FnOnce() -> String,
) -> Result<Response> {
    client
        .send_json(method, url, body)
        .map_err(|e| e.not_found_as(what))
}

/// A 2xx body as `T`, naming what was expected when it is not.
pub(crate) fn parse<T: DeserializeOwned>(response: &Response, what: &str) -> Result<T> {
    serde_json::from_slice(&response.body).map_err(|e| {
        Error::unexpected_from(
            format!("{what}: the response is not the expected JSON ({e})"),
            e,
        )
    })
}

/// GET of one resource as `T`.
pub(crate) fn get<T: DeserializeOwned>(
    client: &Client,
    url: &Url,
    what: impl Fn() -> String,
) -> Result<T> {
    let response = send(client, Method::Get, url, None, &what)?;
    parse(&response, &what())
}

/// GET of one resource, None when it does not exist.
pub(crate) fn find<T: DeserializeOwned>(
    client: &Client,
    url: &Url,
    what: impl Fn() -> String,
) -> Result<Option<T>> {
    match get(client, url, what) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// PUT, PATCH or POST with a JSON body, answer as `T`.
pub(crate) fn write<T: DeserializeOwned>(
    client: &Client,
    method: Method,
    url: &Url,
    body: &Value,
    what: impl Fn() -> String,
) -> Result<T> {
    let response = send(client, method, url, Some(body), &what)?;
    parse(&response, &what())
}

/// DELETE: true when something was deleted, false when there was nothing to delete (204, or 404 when
/// `missing_is_absent`; otherwise a 404, e.g. of a parent, is `NotFound`).
pub(crate) fn delete(
    client: &Client,
    url: &Url,
    missing_is_absent: bool,
    what: impl FnOnce() -> String,
) -> Result<bool> {
    match send(client, Method::Delete, url, None, what) {
        Ok(response) => Ok(response.status != 204),
        Err(e) if missing_is_absent && e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct ValuePage<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default, rename = "nextLink")]
    next_link: Option<String>,
}

/// A list, every page (`nextLink` followed on this endpoint only). A 404 is `NotFound` (of the parent).
pub(crate) fn list<T: DeserializeOwned>(
    client: &Client,
    url: &Url,
    what: impl Fn() -> String,
) -> Result<Vec<T>> {
    let arm = client.environment().resource_manager.clone();
    follow(&arm, url.clone(), MAX_PAGES, |url| {
        // The CSP docs say an empty customer subscription list may come back with no body at all.
        let response = send(client, Method::Get, url, None, &what)?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Page {
                items: Vec::new(),
                next_link: None,
            });
        }
        let page: ValuePage<T> = parse(&response, &what())?;
        Ok(Page {
            items: page.value,
            next_link: page.next_link,
        })
    })
}
