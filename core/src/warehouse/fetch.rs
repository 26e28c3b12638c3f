//! The workers of a sync: threads sharing one signed-in client, each taking the next slice of reported time
//! in order and streaming its pages to the writer through a small bounded channel of its own. Slices are
//! taken in order, so the slice the writer waits for is always being fetched or already done: a worker
//! ahead of the writer blocks on its full channel (holding at most a few pages) and never starves it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::client::Client;
use crate::error::Error;
use crate::usage::{UsagePager, UsageQuery, UsageRecord};
use crate::warehouse::cursor::CursorKey;
use crate::warehouse::limiter::Limiter;
use crate::warehouse::rows::Reported;

/// Pages a worker may fetch ahead of the writer, per slice.
const PAGES_AHEAD: usize = 2;

/// What a worker sends for its slice: pages, then `Done` or `Failed`. A worker told to stop sends neither.
pub(crate) enum Fetched {
    /// One page's records.
    Page(Vec<UsageRecord>),
    /// The slice's last page was sent.
    Done,
    /// The slice could not be fetched; nothing more comes for it.
    Failed(Error),
}

/// The work the workers share.
pub(crate) struct Work<'a> {
    client: &'a Arc<Client>,
    key: &'a CursorKey,
    slices: &'a [Reported],
    senders: Mutex<Vec<Option<SyncSender<Fetched>>>>,
    next: AtomicUsize,
    stopping: AtomicBool,
    pub(crate) limiter: Limiter,
}

impl<'a> Work<'a> {
    /// The work of fetching `slices` in order with at most `concurrency` requests in flight, and the
    /// receivers of the slices' pages, in the same order.
    pub(crate) fn new(
        client: &'a Arc<Client>,
        key: &'a CursorKey,
        slices: &'a [Reported],
        concurrency: usize,
    ) -> (Work<'a>, Vec<Receiver<Fetched>>) {
        let (senders, receivers): (Vec<_>, Vec<_>) = slices
            .iter()
            .map(|_| {
                let (sender, receiver) = sync_channel(PAGES_AHEAD);
                (Some(sender), receiver)
            })
            .unzip();
        let work = Work {
            client,
            key,
            slices,
            senders: Mutex::new(senders),
            next: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            limiter: Limiter::new(concurrency, client.transport().throttle_events()),
        };
        (work, receivers)
    }

    /// Tells every worker to stop after its current request.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.limiter.stop();
    }

    fn sender(&self, index: usize) -> Option<SyncSender<Fetched>> {
        let mut senders = match self.senders.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        senders.get_mut(index).and_then(Option::take)
    }

    /// One worker: slices in order until there are none left or the sync stops.
    pub(crate) fn run_worker(&self) {
        while !self.stopping.load(Ordering::SeqCst) {
            let index = self.next.fetch_add(1, Ordering::SeqCst);
            let (Some(slice), Some(sender)) = (self.slices.get(index), self.sender(index)) else {
                return;
            };
            self.fetch(*slice, &sender);
        }
    }

    fn fetch(&self, slice: Reported, sender: &SyncSender<Fetched>) {
        let query = UsageQuery {
            api: self.key.api,
            subscription_id: self.key.subscription.clone(),
            reported_start: slice.start,
            reported_end: slice.end,
            granularity: self.key.granularity,
            subscriber_id: self.key.subscriber.clone(),
            continuation_token: None,
        };
        let mut pager = match UsagePager::new(self.client.clone(), query) {
            Ok(pager) => pager,
            Err(error) => {
                let _ = sender.send(Fetched::Failed(error));
                return;
            }
        };
        loop {
            if self.stopping.load(Ordering::SeqCst) || !self.limiter.acquire() {
                return;
            }
            let page = pager.next();
            self.limiter
                .release(self.client.transport().throttle_events());
            let (fetched, last) = match page {
                Some(Ok(page)) => (Fetched::Page(page.records), false),
                Some(Err(error)) => (Fetched::Failed(error), true),
                None => (Fetched::Done, true),
            };
            // A send fails only when the writer has stopped listening: the sync is over.
            if sender.send(fetched).is_err() || last {
                return;
            }
        }
    }
}
