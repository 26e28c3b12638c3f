//! Paging: follows `nextLink` exactly as the service gave it, exposes the continuation token so a run can
//! resume, and holds one page at a time (memory does not grow with the result).

use std::sync::Arc;

use crate::client::Client;
use crate::error::Result;
use crate::usage::query::UsageQuery;
use crate::usage::record::UsageRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct UsagePage {
    pub records: Vec<UsageRecord>,
    /// The page's nextLink, absent on the last page.
    pub next_link: Option<String>,
    /// The continuationToken inside nextLink (URL-decoded), to resume later with `UsageQuery::continuation_token`.
    pub continuation_token: Option<String>,
}

pub struct UsagePager {
    _private: (),
}

impl UsagePager {
    /// Validates the query (against the current time) and prepares the first request; nothing is sent yet.
    pub fn new(_client: Arc<Client>, _query: UsageQuery) -> Result<UsagePager> {
        unimplemented!()
    }

    /// The next page, or None after the last. Stops when nextLink is absent or empty, or when a page is
    /// empty and its nextLink repeats the previous one (a server loop), and after 1,000,000 pages.
    pub fn next_page(&mut self) -> Result<Option<UsagePage>> {
        unimplemented!()
    }

    /// The continuation token of the last page fetched (None before the first page or after the last).
    pub fn continuation_token(&self) -> Option<&str> {
        unimplemented!()
    }

    pub fn pages_fetched(&self) -> u64 {
        unimplemented!()
    }
}

impl Iterator for UsagePager {
    type Item = Result<UsagePage>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_page().transpose()
    }
}
