//! Sequential, exactly-once sync: contiguous reported-time windows from the cursor's watermark to the
//! settled end, each stored in one transaction together with the watermark's move.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, Utc};
use rusqlite::TransactionBehavior;
use uuid::Uuid;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::usage::{Granularity, UsageApi, UsagePager, UsageQuery};
use crate::warehouse::cursor::{self, CursorKey};
use crate::warehouse::rows::{self, Inserted, Reported, time_text};
use crate::warehouse::runs::{self, Tally};
use crate::warehouse::store::{Store, store_error};

/// How long after an hour the sync waits by default before taking it: the usage service reports usage up to
/// hours late (usage-api.md §1.6), and a window once committed is never fetched again by its cursor. Rows
/// reported late still arrive, in a later reported window; the margin only keeps the service's own
/// in-flight hour out of the window.
pub const DEFAULT_SETTLE_MARGIN: Duration = Duration::hours(2);

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

    /// The queries of a window: the whole window for hourly rows (each usage hour is reported once), one
    /// reported day each for daily rows (a daily row sums what was reported on one day, so a query over two
    /// reported days could return one bucket twice).
    fn queries(&self, window: Window) -> Vec<Reported> {
        match self.key.granularity {
            Granularity::Hourly => vec![Reported {
                start: window.start,
                end: window.end,
            }],
            Granularity::Daily => {
                let mut days = Vec::new();
                let mut start = window.start;
                while start < window.end {
                    let end = (start + Duration::days(1)).min(window.end);
                    days.push(Reported { start, end });
                    start = end;
                }
                days
            }
        }
    }
}

/// Syncs `options`' cursor up to the settled end; see the module and docs/warehouse.md. On error, every
/// window before the failed one stays committed, the failed one left no row, and the error is recorded on
/// the run and the cursor; running the same sync again goes on from the failed window.
pub fn sync(client: &Arc<Client>, store: &mut Store, options: &SyncOptions) -> Result<SyncReport> {
    let started = Utc::now();
    let clock = Instant::now();
    let plan = Plan::new(client, options, started)?;
    let cursor = cursor::find_or_create(&store.connection, &plan.key, plan.start)?;
    let windows = plan.windows(cursor.watermark);
    let run = runs::start(&store.connection, cursor.id, started, plan.until)?;
    let mut tally = Tally::default();
    let mut report = SyncReport {
        cursor_id: cursor.id,
        run_id: run,
        windows: 0,
        rows: 0,
        duplicates_skipped: 0,
        tenants: None,
        watermark: cursor.watermark,
        until: plan.until,
    };
    log::info!(
        "warehouse sync: {} {:?} cursor {} from {} to {}: {} windows",
        plan.key.granularity.as_str(),
        plan.key.api,
        cursor.id,
        time_text(cursor.watermark),
        time_text(plan.until),
        windows.len()
    );
    let result: Result<()> = (|| {
        if !windows.is_empty() && plan.key.api == UsageApi::Provider {
            let tenants = crate::subscriptions::list(client, &plan.key.subscription, None)?;
            runs::store_tenants(&mut store.connection, run, &tenants)?;
            report.tenants = Some(tenants.len());
        }
        for (index, window) in windows.iter().enumerate() {
            let added = sync_window(client, store, &plan, cursor.id, run, *window, &mut tally)?;
            report.watermark = window.end;
            log::info!(
                "warehouse sync: window {}/{} [{}, {}) committed, {added} rows",
                index + 1,
                windows.len(),
                time_text(window.start),
                time_text(window.end)
            );
            if let Some(progress) = &options.progress {
                progress(&SyncProgress {
                    windows_done: tally.windows,
                    windows_total: windows.len() as u64,
                    rows: tally.rows,
                    duplicates_skipped: tally.duplicates_skipped,
                    watermark: window.end,
                    elapsed: clock.elapsed(),
                });
            }
        }
        Ok(())
    })();
    report.windows = tally.windows;
    report.rows = tally.rows;
    report.duplicates_skipped = tally.duplicates_skipped;
    match result {
        Ok(()) => {
            runs::finish(&store.connection, cursor.id, run, None)?;
            Ok(report)
        }
        Err(error) => {
            // The failed window was rolled back when its transaction dropped; this records why, apart. A
            // failure to record it must not hide the failure itself.
            let _ = runs::finish(&store.connection, cursor.id, run, Some(&error.to_string()));
            Err(error)
        }
    }
}

/// One window in one transaction: every page's rows as they come, then the watermark and the run's counts.
/// Returns the rows added.
fn sync_window(
    client: &Arc<Client>,
    store: &mut Store,
    plan: &Plan,
    cursor_id: i64,
    run: i64,
    window: Window,
    tally: &mut Tally,
) -> Result<u64> {
    let at = format!(
        "storing the usage reported from {} to {}",
        time_text(window.start),
        time_text(window.end)
    );
    let tx = store
        .connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(store_error(&at))?;
    let mut added = 0;
    let mut duplicates = 0;
    for reported in plan.queries(window) {
        let query = UsageQuery {
            api: plan.key.api,
            subscription_id: plan.key.subscription.clone(),
            reported_start: reported.start,
            reported_end: reported.end,
            granularity: plan.key.granularity,
            subscriber_id: plan.key.subscriber.clone(),
            continuation_token: None,
        };
        for page in UsagePager::new(client.clone(), query)? {
            for record in &page?.records {
                match rows::insert(&tx, cursor_id, reported, record)? {
                    Inserted::New => added += 1,
                    Inserted::Duplicate => duplicates += 1,
                }
            }
        }
    }
    let counted = Tally {
        windows: tally.windows + 1,
        rows: tally.rows + added,
        duplicates_skipped: tally.duplicates_skipped + duplicates,
    };
    cursor::advance(&tx, cursor_id, window.end, added)?;
    runs::record_tally(&tx, run, counted)?;
    tx.commit().map_err(store_error(&at))?;
    *tally = counted;
    Ok(added)
}
