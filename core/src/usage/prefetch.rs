//! Reading a usage query one page ahead: a thread of its own fetches the next page while the caller
//! processes the current one, so the service's time to answer and the caller's time to parse and write
//! overlap instead of adding up (an export of a big stamp is exactly that, page after page).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::usage::pager::{UsagePage, UsagePager};

/// What the fetching thread hands over. `End` is explicit, so a thread that died without a word (a panic)
/// is an error, never taken for the last page.
enum Fetched {
    Page(UsagePage),
    Failed(Error),
    End,
}

/// A [`UsagePager`] read one page ahead. It yields the same pages in the same order; the first error ends
/// it (unlike the pager's own iteration, which retries the failed page: a caller that wants to resume uses
/// the pager, or a new one from its continuation token). Dropping it stops the thread after the request in
/// flight; at most two pages are held besides the caller's.
pub struct PrefetchingPager {
    pages: Option<Receiver<Fetched>>,
    worker: Option<JoinHandle<()>>,
    finished: bool,
}

impl PrefetchingPager {
    /// Starts fetching `pager`'s pages now.
    pub fn new(pager: UsagePager) -> Result<PrefetchingPager> {
        let (sender, pages) = sync_channel(1);
        let worker = std::thread::Builder::new()
            .name("azsb-usage-prefetch".to_string())
            .spawn(move || fetch_all(pager, &sender))
            .map_err(|e| {
                Error::unexpected_from(format!("starting the page reader thread: {e}"), e)
            })?;
        Ok(PrefetchingPager {
            pages: Some(pages),
            worker: Some(worker),
            finished: false,
        })
    }
}

fn fetch_all(mut pager: UsagePager, sender: &SyncSender<Fetched>) {
    loop {
        let fetched = match pager.next_page() {
            Ok(Some(page)) => Fetched::Page(page),
            Ok(None) => Fetched::End,
            Err(error) => Fetched::Failed(error),
        };
        let last = !matches!(fetched, Fetched::Page(_));
        // A send fails only when the reader is gone: nobody wants the rest.
        if sender.send(fetched).is_err() || last {
            return;
        }
    }
}

impl Iterator for PrefetchingPager {
    type Item = Result<UsagePage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let received = self.pages.as_ref().map(Receiver::recv);
        let item = match received {
            Some(Ok(Fetched::Page(page))) => return Some(Ok(page)),
            Some(Ok(Fetched::End)) => None,
            Some(Ok(Fetched::Failed(error))) => Some(Err(error)),
            Some(Err(_)) | None => Some(Err(Error::unexpected(
                "the page reader thread stopped without finishing the query (a bug in azs-billing); nothing after the pages delivered was read".to_string(),
            ))),
        };
        self.finished = true;
        item
    }
}

impl Drop for PrefetchingPager {
    fn drop(&mut self) {
        // The receiver first: a thread blocked handing over a page wakes up and ends.
        self.pages = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
