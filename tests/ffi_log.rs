//! `azsb_set_log_callback` from the C side's point of view: a retry under an injected 503 reaches the
//! callback with its status, the level filters, NULL turns it off, bad levels and calls from inside the
//! callback are refused. One test: the logger is process-wide, so its steps must not interleave.

mod support;

use std::ffi::{CStr, c_void};
use std::sync::Mutex;

use azs_billing::ffi::{AzsbLogLevel, AzsbLogParams, AzsbStatus, azsb_set_log_callback};
use azs_billing_core::client::Client;
use support::start;

#[derive(Debug, Clone)]
struct Seen {
    level: AzsbLogLevel,
    target: String,
    message: String,
}

#[derive(Default)]
struct Sink {
    records: Mutex<Vec<Seen>>,
    /// What `azsb_set_log_callback` answered when called from inside the callback (the re-entry check).
    reentry: Mutex<Option<AzsbStatus>>,
}

fn text(ptr: *const std::ffi::c_char, len: usize) -> String {
    // SAFETY: the library passes a NUL-terminated string valid for the call.
    let s = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_string();
    assert_eq!(s.len(), len, "the length excludes the NUL");
    s
}

unsafe extern "C" fn record(userdata: *mut c_void, params: *const AzsbLogParams) {
    // SAFETY: userdata is the &Sink passed below, alive for the whole test; params is valid for the call.
    let (sink, params) = unsafe { (&*(userdata as *const Sink), &*params) };
    sink.records.lock().unwrap().push(Seen {
        level: params.level,
        target: text(params.target, params.target_len),
        message: text(params.message, params.message_len),
    });
}

unsafe extern "C" fn reenter(userdata: *mut c_void, params: *const AzsbLogParams) {
    // SAFETY: as in `record`.
    let sink = unsafe { &*(userdata as *const Sink) };
    let status = azsb_set_log_callback(AzsbLogLevel::Trace as u32, None, std::ptr::null_mut());
    *sink.reentry.lock().unwrap() = Some(status);
    // SAFETY: forwarded as received.
    unsafe { record(userdata, params) };
}

fn take(sink: &Sink) -> Vec<Seen> {
    std::mem::take(&mut *sink.records.lock().unwrap())
}

#[test]
fn the_callback_sees_retries_at_its_level_and_nothing_once_off() {
    let stamp = start();
    let sink = Sink::default();
    let userdata = &sink as *const Sink as *mut c_void;
    let set =
        |level: AzsbLogLevel, callback| azsb_set_log_callback(level as u32, callback, userdata);

    for bad in [0, 6, u32::MAX] {
        assert_eq!(
            azsb_set_log_callback(bad, Some(record), userdata),
            AzsbStatus::InvalidArgument,
            "level {bad}"
        );
    }

    // Info: the retry of an injected 503, and none of the debug records (token request, pages).
    assert_eq!(set(AzsbLogLevel::Info, Some(record)), AzsbStatus::Ok);
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    client
        .tokens()
        .token(client.transport(), &client.environment().audience)
        .expect("token");
    stamp.set_faults(&["503:count=1"]);
    let provider = azs_billing_core::subscriptions::default_provider_subscription(&client)
        .expect("the provider subscription, after one retry");
    let seen = take(&sink);
    let retries: Vec<&Seen> = seen
        .iter()
        .filter(|r| r.target == "azs_billing_core::retry")
        .collect();
    assert_eq!(retries.len(), 1, "{seen:?}");
    assert_eq!(retries[0].level, AzsbLogLevel::Info);
    assert!(
        retries[0]
            .message
            .contains("HTTP 503 Service Unavailable; retry 1 of 4 in "),
        "{:?}",
        retries[0]
    );
    assert!(
        seen.iter()
            .all(|r| r.level as u32 <= AzsbLogLevel::Info as u32
                && r.target.starts_with("azs_billing")),
        "{seen:?}"
    );

    // Debug: the token request is seen too (a fresh client signs in).
    assert_eq!(set(AzsbLogLevel::Debug, Some(record)), AzsbStatus::Ok);
    let client = Client::new(stamp.options("admin_arm", stamp.secret_credential("operator")))
        .expect("client");
    azs_billing_core::subscriptions::list(&client, &provider, None).expect("subscriptions");
    let seen = take(&sink);
    assert!(
        seen.iter().any(|r| r.level == AzsbLogLevel::Debug
            && r.target == "azs_billing_core::credential"
            && r.message
                .contains("client_credentials grant, client secret")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|r| r.level as u32 <= AzsbLogLevel::Debug as u32),
        "{seen:?}"
    );

    // A callback that calls back into the setter is refused, and logging goes on.
    assert_eq!(set(AzsbLogLevel::Trace, Some(reenter)), AzsbStatus::Ok);
    azs_billing_core::subscriptions::list(&client, &provider, None).expect("subscriptions");
    assert_eq!(
        *sink.reentry.lock().unwrap(),
        Some(AzsbStatus::InvalidArgument)
    );
    assert!(!take(&sink).is_empty());

    // Off: nothing more arrives.
    assert_eq!(set(AzsbLogLevel::Trace, None), AzsbStatus::Ok);
    stamp.set_faults(&["503:count=1"]);
    azs_billing_core::subscriptions::list(&client, &provider, None).expect("subscriptions");
    assert!(take(&sink).is_empty());
}
