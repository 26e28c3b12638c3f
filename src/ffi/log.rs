//! `azsb_set_log_callback`: the library's `log` records delivered to a C function (after rustls-ffi's
//! `rustls_log_callback`). One process-wide logger forwards to whichever callback is set; the callback and
//! its userdata sit behind a lock, so setting a new one waits for calls of the old one to return.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::sync::{OnceLock, RwLock};

use crate::ffi::error::{AzsbStatus, c_string};

/// A log record's severity; the numbers are stable (1 = most severe). A callback set at a level receives
/// that level and the more severe ones.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzsbLogLevel {
    /// Not used by the library today: failures are returned as errors.
    Error = 1,
    /// Not used by the library today.
    Warn = 2,
    /// What an operator watching a run wants: each retry (cause and delay) and giving up, each
    /// registration step and privileged endpoint command.
    Info = 3,
    /// Token requests and renewals (grant, endpoint, expiry), each usage page (rows, latency).
    Debug = 4,
    /// Every HTTP attempt (status, size, time), token cache hits, device code polls.
    Trace = 5,
}

impl AzsbLogLevel {
    fn from_log(level: log::Level) -> AzsbLogLevel {
        match level {
            log::Level::Error => AzsbLogLevel::Error,
            log::Level::Warn => AzsbLogLevel::Warn,
            log::Level::Info => AzsbLogLevel::Info,
            log::Level::Debug => AzsbLogLevel::Debug,
            log::Level::Trace => AzsbLogLevel::Trace,
        }
    }

    /// The `log` filter for a level number from C; None for a number that names no level.
    fn filter(level: u32) -> Option<log::LevelFilter> {
        Some(match level {
            1 => log::LevelFilter::Error,
            2 => log::LevelFilter::Warn,
            3 => log::LevelFilter::Info,
            4 => log::LevelFilter::Debug,
            5 => log::LevelFilter::Trace,
            _ => return None,
        })
    }
}

/// One log record. Every pointer is valid only during the callback: copy what you keep.
#[repr(C)]
pub struct AzsbLogParams {
    pub level: AzsbLogLevel,
    /// The module that logged, such as "azs_billing_core::retry": NUL-terminated UTF-8.
    pub target: *const c_char,
    /// Bytes in `target`, without the NUL.
    pub target_len: usize,
    /// The message: NUL-terminated UTF-8 (a NUL inside it is replaced by U+FFFD). Never holds a secret
    /// (client secret, password, key, token) nor a URL's query.
    pub message: *const c_char,
    /// Bytes in `message`, without the NUL.
    pub message_len: usize,
}

/// Receives one log record; see `azsb_set_log_callback` for the threads it runs on.
pub type AzsbLogCallback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, params: *const AzsbLogParams)>;

struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, *const AzsbLogParams),
    userdata: *mut c_void,
}

// SAFETY: the header tells the caller that the callback runs on any thread that calls the library, so the
// caller guarantees that `userdata` may be used from those threads, at the same time.
unsafe impl Send for Sink {}
// SAFETY: as above; the library only reads the two pointers and passes them back to the callback.
unsafe impl Sync for Sink {}

/// The callback in force; None when logging is off. Read for the whole of each callback, so that a new
/// setting (which takes the write lock) waits until calls of the old one have returned.
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Whether `log` took this library's logger (asked once: `log` accepts one logger per process).
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while this thread runs the callback: records made meanwhile (the callback calling into the
    /// library) are dropped instead of re-entering the lock.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Only this library's own records go to C: its dependencies' (HTTP, TLS) are not reviewed for what they
/// print, and some come from threads the caller never made.
fn is_ours(target: &str) -> bool {
    target.starts_with("azs_billing")
}

struct CallbackLogger;

static LOGGER: CallbackLogger = CallbackLogger;

impl log::Log for CallbackLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && is_ours(metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) || IN_CALLBACK.get() {
            return;
        }
        // A failing Display of a message must not fail the call that logged it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| deliver(record)));
    }

    fn flush(&self) {}
}

fn deliver(record: &log::Record<'_>) {
    let sink = SINK.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(sink) = sink.as_ref() else {
        return;
    };
    let target = c_string(record.target());
    let message = c_string(&record.args().to_string());
    let params = AzsbLogParams {
        level: AzsbLogLevel::from_log(record.level()),
        target: target.as_ptr(),
        target_len: target.as_bytes().len(),
        message: message.as_ptr(),
        message_len: message.as_bytes().len(),
    };
    IN_CALLBACK.set(true);
    // SAFETY: the caller supplied this function for exactly this use, with `userdata`; `params` and the
    // strings it points to live until the call returns, which is as long as the header promises.
    unsafe { (sink.callback)(sink.userdata, &params) };
    IN_CALLBACK.set(false);
}

/// Sends the library's log records at `level` (an `azsb_log_level`) and more severe to `callback`, with
/// `userdata`, for the whole process; a NULL `callback` turns logging off (the default). Calling it again
/// replaces the callback, level and userdata.
///
/// Threads: the callback runs on the thread that called the library function that logged, during that
/// call (never on a thread of the library's own), and may run on several threads at once. When this
/// function returns, no call of the previous callback is still running or will start, so its userdata
/// may be freed. The callback must not call `azsb_set_log_callback` (that returns
/// AZSB_STATUS_INVALID_ARGUMENT) nor wait for a thread that does; records the library makes while the
/// callback runs on the same thread are dropped. The params and their strings are valid only during the
/// call.
///
/// Records are the library's own (targets start with "azs_billing"), never its HTTP and TLS
/// dependencies'. Levels: info for retries and registration and privileged endpoint steps, debug for
/// token requests and usage pages, trace for each HTTP attempt; none holds a secret.
///
/// Returns AZSB_STATUS_OK, or AZSB_STATUS_INVALID_ARGUMENT for a level outside 1..5 (with a callback),
/// for a call from inside the callback, and when the process already has another `log` logger (only
/// possible when Rust code links this library as a crate and installed its own).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_set_log_callback(
    level: u32,
    callback: AzsbLogCallback,
    userdata: *mut c_void,
) -> AzsbStatus {
    ffi_boundary!(std::ptr::null_mut(), {
        if IN_CALLBACK.get() {
            return AzsbStatus::InvalidArgument;
        }
        let Some(callback) = callback else {
            *SINK.write().unwrap_or_else(|p| p.into_inner()) = None;
            if INSTALLED.get() == Some(&true) {
                log::set_max_level(log::LevelFilter::Off);
            }
            return AzsbStatus::Ok;
        };
        let Some(filter) = AzsbLogLevel::filter(level) else {
            return AzsbStatus::InvalidArgument;
        };
        if !*INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok()) {
            return AzsbStatus::InvalidArgument;
        }
        *SINK.write().unwrap_or_else(|p| p.into_inner()) = Some(Sink { callback, userdata });
        log::set_max_level(filter);
        AzsbStatus::Ok
    })
}
