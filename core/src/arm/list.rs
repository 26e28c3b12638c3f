//! Lists across pages: a `nextLink` is followed only on the Resource Manager endpoint the list was asked
//! of, and an empty page pointing back at itself ends the list.

use url::Url;

use crate::error::{Error, Result};

/// Parses a nextLink exactly as given (no re-encoding) and checks it stays on the Resource Manager
/// endpoint (scheme, host and port), so the bearer token and continuation token go nowhere else.
pub(crate) fn check_next_link(arm: &Url, link: &str) -> Result<Url> {
    let url = Url::parse(link).map_err(|e| {
        Error::unexpected_from(
            format!("the nextLink '{link}' is not an absolute URL ({e})"),
            e,
        )
    })?;
    let same = url.scheme() == arm.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == arm.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == arm.port_or_known_default();
    if !same {
        return Err(Error::unexpected(format!(
            "the nextLink points at {}://{}, not the Resource Manager endpoint {}://{}; it was not followed, so the token was not sent there",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            arm.scheme(),
            arm.host_str().unwrap_or_default(),
        )));
    }
    Ok(url)
}

/// One page of a list as read from its body.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    /// The page's nextLink; None, empty or blank ends the list.
    pub(crate) next_link: Option<String>,
}

/// Every item of a list starting at `first`: `fetch` reads one page, and each nextLink is checked against
/// `arm` before it is fetched. Stops at the last page, at an empty page whose nextLink points back at
/// itself (it would repeat forever), or after `max_pages` (a guard against a server that keeps handing
/// out nextLinks).
pub(crate) fn follow<T>(
    arm: &Url,
    first: Url,
    max_pages: usize,
    mut fetch: impl FnMut(&Url) -> Result<Page<T>>,
) -> Result<Vec<T>> {
    let mut url = first;
    let mut all = Vec::new();
    for _ in 0..max_pages {
        let page = fetch(&url)?;
        let empty = page.items.is_empty();
        all.extend(page.items);
        match page.next_link.filter(|l| !l.trim().is_empty()) {
            None => return Ok(all),
            Some(link) => {
                let next = check_next_link(arm, &link)?;
                if empty && next == url {
                    return Ok(all);
                }
                url = next;
            }
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARM: &str = "https://adminmanagement.local.azurestack.external/";

    fn arm() -> Url {
        Url::parse(ARM).expect("arm")
    }

    #[test]
    fn links_stay_on_the_endpoint() {
        assert!(check_next_link(&arm(), &format!("{ARM}subscriptions/x?$skiptoken=1")).is_ok());
        // Host names compare without case, and an explicit default port is the same endpoint.
        for same in [
            "https://AdminManagement.Local.AzureStack.External/x?continuationToken=t",
            "https://adminmanagement.local.azurestack.external:443/x",
        ] {
            assert!(check_next_link(&arm(), same).is_ok(), "{same}");
        }
        for foreign in [
            "https://elsewhere.example/subscriptions/x",
            "http://adminmanagement.local.azurestack.external/x",
            "https://adminmanagement.local.azurestack.external:8443/x",
        ] {
            let err = check_next_link(&arm(), foreign).unwrap_err();
            assert!(err.to_string().contains("not followed"), "{foreign}: {err}");
        }
        let err = check_next_link(&arm(), "/subscriptions/x").unwrap_err();
        assert!(err.to_string().contains("not an absolute URL"), "{err}");
    }

    #[test]
    fn follows_pages_until_the_last() {
        let first = Url::parse(&format!("{ARM}list")).expect("url");
        let mut pages = vec![
            (vec![1, 2], Some(format!("{ARM}list?page=2"))),
            (vec![], Some(format!("{ARM}list?page=3"))),
            (vec![3], Some(" ".to_string())),
        ]
        .into_iter();
        let mut asked = Vec::new();
        let all = follow(&arm(), first, 10, |url| {
            asked.push(url.to_string());
            let (items, next_link) = pages.next().expect("a page");
            Ok(Page { items, next_link })
        })
        .expect("list");
        assert_eq!(all, vec![1, 2, 3]);
        assert_eq!(asked.len(), 3);
        assert!(asked[2].ends_with("page=3"), "{asked:?}");
    }

    #[test]
    fn loops_caps_and_foreign_links_end() {
        let first = Url::parse(&format!("{ARM}list")).expect("url");
        // An empty page pointing back at itself.
        let mut calls = 0;
        let all: Vec<u8> = follow(&arm(), first.clone(), 10, |url| {
            calls += 1;
            Ok(Page {
                items: vec![],
                next_link: Some(url.to_string()),
            })
        })
        .expect("list");
        assert_eq!((all.len(), calls), (0, 1));
        // A page with items pointing back at itself goes on until the cap.
        let all = follow(&arm(), first.clone(), 3, |url| {
            Ok(Page {
                items: vec![1],
                next_link: Some(url.to_string()),
            })
        })
        .expect("list");
        assert_eq!(all, vec![1, 1, 1]);
        let err = follow(&arm(), first, 3, |_| {
            Ok(Page {
                items: vec![1],
                next_link: Some("https://elsewhere.example/x".to_string()),
            })
        })
        .unwrap_err();
        assert!(matches!(err, Error::UnexpectedResponse { .. }), "{err:?}");
    }
}
