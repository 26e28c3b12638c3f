//! Exactly-once sync: contiguous reported-time windows from the cursor's watermark to the settled end, each
//! stored in one transaction together with the watermark's move. Workers (`fetch.rs`) fetch slices of the
//! windows in parallel; this thread is the one writer, storing each page as it arrives and committing the
//! windows in order, so the watermark stays contiguous and no window is held in memory.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, Utc};
use uuid::Uuid;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::usage::{Granularity, UsageApi, UsageQuery};
use crate::warehouse::cancel::CancelToken;
use crate::warehouse::cursor::{Cursor, CursorKey};
use crate::warehouse::fetch::{Fetched, Work};
use crate::warehouse::rows::{Reported, time_text};
use crate::warehouse::runs::Tally;
use crate::warehouse::store::Store;

/// How long after an hour the sync waits by default before taking it: the usage service reports usage up to
/// hours late (usage-api.md §1.6), and a window once committed is never fetched again by its cursor. Rows
/// reported late still arrive, in a later reported window; the margin only keeps the service's own
/// in-flight hour out of the window.
pub const DEFAULT_SETTLE_MARGIN: Duration = Duration::hours(2);

/// Page requests in flight at once by default. Sized for a real stamp, where one page takes seconds and
/// the usage service answers several callers at once; the sync lowers it by itself when throttled.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The most page requests a sync keeps in flight.
pub const MAX_CONCURRENCY: usize = 64;

/// Reported time per query of an hourly sync by default: a window (one day by default) is fetched as four
/// queries by as many workers, because a whole-day query of a busy stamp is minutes of sequential paging.
pub const DEFAULT_HOURLY_SLICE: Duration = Duration::hours(6);

/// How often the writer looks at the cancel token while it waits for a page.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// A progress callback: called after each committed window.
pub type ProgressCallback = Arc<dyn Fn(&SyncProgress) + Send + Sync>;

/// What to sync.
#[derive(Clone)]
pub struct SyncOptions {
    /// The provider or the tenant usage API.
    pub api: UsageApi,
    /// The provider subscription (provider API) or the tenant subscription (tenant API).
    pub subscription: String,
    /// Provider API only: one direct tenant; None for all of them.
    pub subscriber: Option<String>,
    /// Daily or hourly records.
    pub granularity: Granularity,
    /// Reported time of the cursor's first window: on a UTC hour (hourly) or UTC midnight (daily). Fixed for
    /// a cursor: a later sync of the same cursor must give the same start.
    pub start: DateTime<Utc>,
    /// Sync up to this reported time (aligned down to the granularity); None: now minus `settle_margin`.
    pub until: Option<DateTime<Utc>>,
    /// How long after a reported hour the service is taken to have all of it; the sync stops that long
    /// before now, so a window is never committed before the service has finished it.
    pub settle_margin: Duration,
    /// Reported time per transaction; None: one day. Rounded up to whole hours (hourly) or days (daily).
    pub window: Option<Duration>,
    /// Names the stamp in the cursor; None: the client's Resource Manager host, lower case.
    pub stamp: Option<String>,
    /// Called after each committed window; None: no progress reports.
    pub progress: Option<ProgressCallback>,
    /// Page requests in flight at most, 1 to [`MAX_CONCURRENCY`] ([`DEFAULT_CONCURRENCY`] by default); 1
    /// pages strictly in sequence. Lowered by the sync itself while the service throttles.
    pub concurrency: usize,
    /// Hourly syncs: the reported time of one query, whole hours; None: [`DEFAULT_HOURLY_SLICE`]. Daily
    /// syncs always query one reported day at a time (a daily row sums one reported day) and ignore it.
    pub slice: Option<Duration>,
    /// Stops the sync when requested: the window in progress is rolled back, committed windows stay, and
    /// the sync returns [`Error::Cancelled`].
    pub cancel: Option<CancelToken>,
}

impl SyncOptions {
    /// Options with the defaults: no subscriber filter, up to now minus the default settle margin, one-day
    /// windows, the stamp named by the client's host, no progress callback.
    pub fn new(
        api: UsageApi,
        subscription: impl Into<String>,
        granularity: Granularity,
        start: DateTime<Utc>,
    ) -> SyncOptions {
        SyncOptions {
            api,
            subscription: subscription.into(),
            subscriber: None,
            granularity,
            start,
            until: None,
            settle_margin: DEFAULT_SETTLE_MARGIN,
            window: None,
            stamp: None,
            progress: None,
            concurrency: DEFAULT_CONCURRENCY,
            slice: None,
            cancel: None,
        }
    }
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("api", &self.api)
            .field("subscription", &self.subscription)
            .field("subscriber", &self.subscriber)
            .field("granularity", &self.granularity)
            .field("start", &self.start)
            .field("until", &self.until)
            .field("settle_margin", &self.settle_margin)
            .field("window", &self.window)
            .field("stamp", &self.stamp)
            .field("progress", &self.progress.is_some())
            .field("concurrency", &self.concurrency)
            .field("slice", &self.slice)
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// Where a sync stands, after each committed window.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncProgress {
    /// Windows committed so far in this run.
    pub windows_done: u64,
    /// Windows this run will commit.
    pub windows_total: u64,
    /// Rows stored so far in this run.
    pub rows: u64,
    /// Rows the service repeated within a window, stored once.
    pub duplicates_skipped: u64,
    /// The cursor's watermark now.
    pub watermark: DateTime<Utc>,
    /// Time since the run began.
    pub elapsed: std::time::Duration,
}

impl SyncProgress {
    /// Rows stored per second of this run so far.
    pub fn rows_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.rows as f64 / seconds
        } else {
            0.0
        }
    }

    /// Time left if the remaining windows take as long as the done ones did on average; None before the
    /// first window.
    pub fn eta(&self) -> Option<std::time::Duration> {
        if self.windows_done == 0 {
            return None;
        }
        let left = self.windows_total.saturating_sub(self.windows_done) as f64;
        Some(self.elapsed.mul_f64(left / self.windows_done as f64))
    }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The cursor synced.
    pub cursor_id: i64,
    /// The run recorded for this sync.
    pub run_id: i64,
    /// Windows committed (0: nothing new to sync).
    pub windows: u64,
    /// Rows stored by this run.
    pub rows: u64,
    /// Rows the service sent twice within a window (same key, same quantity), stored once.
    pub duplicates_skipped: u64,
    /// Tenant subscriptions stored for this run (provider API with work to do), else None.
    pub tenants: Option<usize>,
    /// The cursor's watermark after the run.
    pub watermark: DateTime<Utc>,
    /// The settled end the run synced to.
    pub until: DateTime<Utc>,
    /// Throttling answers (429, 503) the client got during the run, retried ones included.
    pub throttled: u64,
    /// The lowest concurrency the run fell to while throttled (the configured one when never throttled).
    pub lowest_concurrency: usize,
}

/// One window: reported time [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The options, checked and completed.
#[derive(Debug)]
struct Plan {
    key: CursorKey,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    window: Duration,
    slice: Duration,
    concurrency: usize,
}

fn unit(granularity: Granularity) -> Duration {
    match granularity {
        Granularity::Hourly => Duration::hours(1),
        Granularity::Daily => Duration::days(1),
    }
}

fn align_down(time: DateTime<Utc>, granularity: Granularity) -> DateTime<Utc> {
    time.duration_trunc(unit(granularity)).unwrap_or(time)
}

fn guid(what: &'static str, text: &str) -> Result<String> {
    Uuid::parse_str(text.trim())
        .map(|g| g.to_string())
        .map_err(|_| {
            Error::invalid(
                what,
                format!(
                    "{} is not a subscription id (a GUID)",
                    crate::error::quoted(text)
                ),
            )
        })
}

impl Plan {
    /// Every local check, before any request: alignment, order, the window, and the service's own rules on
    /// a first query.
    fn new(client: &Client, options: &SyncOptions, now: DateTime<Utc>) -> Result<Plan> {
        let granularity = options.granularity;
        let step = unit(granularity);
        let (unit_name, aligned_to) = match granularity {
            Granularity::Hourly => ("hour", "a whole UTC hour"),
            Granularity::Daily => ("day", "UTC midnight"),
        };
        if align_down(options.start, granularity) != options.start {
            return Err(Error::invalid(
                "start",
                format!(
                    "{} is not on {aligned_to}; {} syncs start on {aligned_to}, e.g. {}",
                    options
                        .start
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    granularity.as_str(),
                    time_text(align_down(options.start, granularity)),
                ),
            ));
        }
        if options.settle_margin < Duration::zero() {
            return Err(Error::invalid(
                "settle_margin",
                "the settle margin is negative; give zero or more (the default is 2 hours)",
            ));
        }
        let until = match options.until {
            Some(until) if until > now => {
                return Err(Error::invalid(
                    "until",
                    format!(
                        "{} is in the future (it is now {}); the usage service reports no time that hasn't happened yet",
                        time_text(until),
                        time_text(now)
                    ),
                ));
            }
            Some(until) => align_down(until, granularity),
            None => align_down(now - options.settle_margin, granularity),
        };
        if until < options.start {
            return Err(Error::invalid(
                "until",
                format!(
                    "the settled end {} (aligned down to the {unit_name}) is before the start {}",
                    time_text(until),
                    time_text(options.start)
                ),
            ));
        }
        let window = options.window.unwrap_or(Duration::days(1));
        if window <= Duration::zero() {
            return Err(Error::invalid(
                "window",
                "the window is not positive; give one or more hours (hourly) or days (daily)",
            ));
        }
        let (seconds, step_seconds) = (window.num_seconds(), step.num_seconds());
        // Bounded so the multiplication below cannot overflow; no sync needs windows of 100,000 units.
        let units = ((seconds + step_seconds - 1) / step_seconds).clamp(1, 100_000);
        let window = step * units as i32;

        if options.concurrency == 0 || options.concurrency > MAX_CONCURRENCY {
            return Err(Error::invalid(
                "concurrency",
                format!(
                    "{} page requests at once is out of range; give 1 to {MAX_CONCURRENCY} (the default is {DEFAULT_CONCURRENCY}; 1 fetches pages one at a time)",
                    options.concurrency
                ),
            ));
        }
        let slice = match granularity {
            Granularity::Daily => Duration::days(1),
            Granularity::Hourly => {
                let slice = options.slice.unwrap_or(DEFAULT_HOURLY_SLICE);
                if slice < Duration::hours(1) || slice.num_seconds() % 3600 != 0 {
                    return Err(Error::invalid(
                        "slice",
                        "the query slice of an hourly sync must be one or more whole hours (the default is 6)",
                    ));
                }
                slice
            }
        };

        // The service's rules (GUIDs, a subscriber only for the provider API), on the first query.
        let probe = UsageQuery {
            api: options.api,
            subscription_id: options.subscription.clone(),
            reported_start: options.start,
            reported_end: options.start + step,
            granularity,
            subscriber_id: options.subscriber.clone(),
            continuation_token: None,
        };
        probe.validate(DateTime::<Utc>::MAX_UTC)?;
        let subscription = guid("subscription", &options.subscription)?;
        let subscriber = match options.subscriber.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(guid("subscriber", s)?),
        };
        let stamp = match &options.stamp {
            Some(stamp) => stamp.trim().to_ascii_lowercase(),
            None => client
                .environment()
                .resource_manager
                .host_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        };
        if stamp.is_empty() {
            return Err(Error::invalid(
                "stamp",
                "the stamp name is empty; name the stamp (its Resource Manager host is the default)",
            ));
        }
        Ok(Plan {
            key: CursorKey {
                stamp,
                api: options.api,
                subscription,
                subscriber,
                granularity,
            },
            start: options.start,
            until,
            window,
            slice,
            concurrency: options.concurrency,
        })
    }

    /// The windows from `watermark` to the settled end: contiguous, end exclusive, the last one clipped.
    fn windows(&self, watermark: DateTime<Utc>) -> Vec<Window> {
        let mut windows = Vec::new();
        let mut start = watermark;
        while start < self.until {
            let end = (start + self.window).min(self.until);
            windows.push(Window { start, end });
            start = end;
        }
        windows
    }

    /// The queries of a window, in order: slices of `slice` (one reported day each for daily rows: a daily
    /// row sums what was reported on one day, so a query over two reported days could return one bucket
    /// twice).
    fn slices(&self, window: Window) -> Vec<Reported> {
        let mut slices = Vec::new();
        let mut start = window.start;
        while start < window.end {
            let end = (start + self.slice).min(window.end);
            slices.push(Reported { start, end });
            start = end;
        }
        slices
    }
}

/// Syncs `options`' cursor up to the settled end; see the module and docs/warehouse.md. On error or
/// cancel, every window before the failed one stays committed, the failed one left no row, and the error
/// is recorded on the run and the cursor; running the same sync again goes on from the failed window.
pub fn sync(client: &Arc<Client>, store: &mut Store, options: &SyncOptions) -> Result<SyncReport> {
    let started = Utc::now();
    let plan = Plan::new(client, options, started)?;
    let cursor = store.find_or_create_cursor(&plan.key, plan.start)?;
    store.lease_cursor(cursor.id, &plan.key.stamp)?;
    // Read again under the lease: a collector that held it until now may have moved the watermark.
    let outcome = store
        .find_or_create_cursor(&plan.key, plan.start)
        .and_then(|cursor| sync_leased(client, store, options, &plan, cursor, started));
    store.release_cursor(cursor.id);
    outcome
}

/// [`sync`] once the cursor's lease is held.
fn sync_leased(
    client: &Arc<Client>,
    store: &mut Store,
    options: &SyncOptions,
    plan: &Plan,
    cursor: Cursor,
    started: DateTime<Utc>,
) -> Result<SyncReport> {
    let clock = Instant::now();
    let windows = plan.windows(cursor.watermark);
    let run = store.start_run(cursor.id, started, plan.until)?;
    let throttled_before = client.transport().throttle_events();
    let mut report = SyncReport {
        cursor_id: cursor.id,
        run_id: run,
        windows: 0,
        rows: 0,
        duplicates_skipped: 0,
        tenants: None,
        watermark: cursor.watermark,
        until: plan.until,
        throttled: 0,
        lowest_concurrency: plan.concurrency,
    };
    log::info!(
        "warehouse sync: {} {:?} cursor {} from {} to {}: {} windows, up to {} requests at once",
        plan.key.granularity.as_str(),
        plan.key.api,
        cursor.id,
        time_text(cursor.watermark),
        time_text(plan.until),
        windows.len(),
        plan.concurrency
    );
    let mut writer = Writer {
        store,
        options,
        cursor_id: cursor.id,
        run,
        tally: Tally::default(),
        clock,
        windows_total: windows.len() as u64,
        watermark: cursor.watermark,
    };
    let result = (|| {
        if !windows.is_empty() && plan.key.api == UsageApi::Provider {
            let tenants = crate::subscriptions::list(client, &plan.key.subscription, None)?;
            writer.store.store_tenants(run, &tenants)?;
            report.tenants = Some(tenants.len());
        }
        writer.check_cancel()?;
        // Each window's slices, in window order: the workers take them in exactly this order.
        let slices: Vec<Vec<Reported>> = windows.iter().map(|w| plan.slices(*w)).collect();
        let flat: Vec<Reported> = slices.iter().flatten().copied().collect();
        let (work, receivers) = Work::new(client, &plan.key, &flat, plan.concurrency);
        let workers = plan.concurrency.min(flat.len());
        let outcome = std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| work.run_worker());
            }
            let outcome = writer.write(&windows, &slices, receivers, &mut report);
            // Whatever the outcome, no worker starts another request; the receivers are gone, so one
            // blocked on a full channel wakes up and ends.
            work.stop();
            outcome
        });
        report.lowest_concurrency = work.limiter.lowest();
        outcome
    })();
    report.windows = writer.tally.windows;
    report.rows = writer.tally.rows;
    report.duplicates_skipped = writer.tally.duplicates_skipped;
    report.throttled = client
        .transport()
        .throttle_events()
        .saturating_sub(throttled_before);
    let store = writer.store;
    match result {
        Ok(()) => {
            store.finish_run(cursor.id, run, None)?;
            Ok(report)
        }
        Err(error) => {
            // The failed window was rolled back; this records why, apart. A failure to record it must not
            // hide the failure itself.
            let _ = store.finish_run(cursor.id, run, Some(&error.to_string()));
            Err(error)
        }
    }
}

/// A worker gone without a word: only a bug (a panic, which the scope re-raises) gets here.
fn lost_worker(what: &str) -> Error {
    Error::Store {
        message: format!(
            "{what} (a bug in azs-billing); nothing of the window in progress was stored, and the next sync goes on from it"
        ),
        source: None,
    }
}

/// The one thread that writes: windows in order, each in one transaction.
struct Writer<'s> {
    store: &'s mut Store,
    options: &'s SyncOptions,
    cursor_id: i64,
    run: i64,
    tally: Tally,
    clock: Instant,
    windows_total: u64,
    /// Where the cursor stands after the last window this run committed.
    watermark: DateTime<Utc>,
}

/// Err(Cancelled) once `cancel` was requested, saying what stays: `tally` committed, up to `watermark`.
fn check_cancel(
    cancel: Option<&CancelToken>,
    tally: Tally,
    watermark: DateTime<Utc>,
) -> Result<()> {
    match cancel {
        Some(token) if token.is_requested() => Err(Error::Cancelled {
            message: format!(
                "the sync was cancelled; {} windows ({} rows) were committed and stay, and the next sync of this cursor goes on from {}",
                tally.windows,
                tally.rows,
                time_text(watermark),
            ),
        }),
        _ => Ok(()),
    }
}

impl Writer<'_> {
    fn check_cancel(&self) -> Result<()> {
        check_cancel(self.options.cancel.as_ref(), self.tally, self.watermark)
    }

    /// Takes every window's slices from `receivers` (one per slice, in order) and commits the windows.
    fn write(
        &mut self,
        windows: &[Window],
        slices: &[Vec<Reported>],
        receivers: Vec<Receiver<Fetched>>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let mut receivers = receivers.into_iter();
        for (index, (window, window_slices)) in windows.iter().zip(slices).enumerate() {
            self.check_cancel()?;
            let (cursor_id, run, cancel, tally) = (
                self.cursor_id,
                self.run,
                self.options.cancel.clone(),
                self.tally,
            );
            let cancelled = || check_cancel(cancel.as_ref(), tally, window.start);
            self.store.begin_window(cursor_id, window.start)?;
            let store = &mut *self.store;
            let filled = (|| {
                let mut added = 0;
                let mut duplicates = 0;
                for reported in window_slices {
                    let receiver = receivers
                        .next()
                        .ok_or_else(|| lost_worker("a slice of the sync had no page channel"))?;
                    loop {
                        let fetched = match receiver.recv_timeout(CANCEL_POLL) {
                            Ok(fetched) => fetched,
                            Err(RecvTimeoutError::Timeout) => {
                                cancelled()?;
                                continue;
                            }
                            Err(RecvTimeoutError::Disconnected) => {
                                return Err(lost_worker(
                                    "a sync worker ended without finishing its slice",
                                ));
                            }
                        };
                        match fetched {
                            Fetched::Page(records) => {
                                let (new, repeated) =
                                    store.store_page(cursor_id, *reported, &records)?;
                                added += new;
                                duplicates += repeated;
                                cancelled()?;
                            }
                            Fetched::Done => break,
                            Fetched::Failed(error) => return Err(error),
                        }
                    }
                }
                let counted = Tally {
                    windows: tally.windows + 1,
                    rows: tally.rows + added,
                    duplicates_skipped: tally.duplicates_skipped + duplicates,
                };
                store.commit_window(cursor_id, run, window.start, window.end, added, counted)?;
                Ok((added, counted))
            })();
            let (added, counted) = match filled {
                Ok(done) => done,
                Err(error) => {
                    store.rollback_window();
                    return Err(error);
                }
            };
            self.tally = counted;
            self.watermark = window.end;
            report.watermark = window.end;
            log::info!(
                "warehouse sync: window {}/{} [{}, {}) committed, {added} rows",
                index + 1,
                windows.len(),
                time_text(window.start),
                time_text(window.end)
            );
            if let Some(progress) = &self.options.progress {
                progress(&SyncProgress {
                    windows_done: self.tally.windows,
                    windows_total: self.windows_total,
                    rows: self.tally.rows,
                    duplicates_skipped: self.tally.duplicates_skipped,
                    watermark: window.end,
                    elapsed: self.clock.elapsed(),
                });
            }
        }
        Ok(())
    }
}

/// The error of a window whose cursor another sync moved meanwhile: nothing of the window is stored.
pub(crate) fn moved_watermark(watermark: DateTime<Utc>, start: DateTime<Utc>) -> Error {
    Error::Store {
        message: format!(
            "another sync of the same cursor moved its watermark to {} while this one was about to store the window from {}; nothing of this window was stored. Run one sync per cursor at a time; the next run goes on from the watermark",
            time_text(watermark),
            time_text(start)
        ),
        source: None,
    }
}
