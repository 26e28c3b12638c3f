//! Status codes and error objects.

use std::ffi::{CString, c_char};

use azs_billing_core::error::Error;

/// Result of every fallible call. Numbers are stable: a retired code is never reused.
// The enum is the one list of statuses: azsb_status_name derives each name from its variant, and the
// PowerShell shim's copy is checked against azsb_status_name by a Pester test.
#[repr(u32)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::FromRepr, strum::EnumIter, strum::IntoStaticStr,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AzsbStatus {
    Ok = 0,
    /// An argument failed local validation (nothing was sent); the message names it.
    InvalidArgument = 7001,
    /// A required pointer argument was NULL.
    NullPointer = 7002,
    /// A string argument was not UTF-8.
    InvalidUtf8 = 7003,
    /// The service refused the request (HTTP status, code, message and request id in the error).
    Service = 7010,
    /// Signing in failed.
    Authentication = 7011,
    /// Connection, TLS or timeout failure after retries.
    Transport = 7012,
    /// The service answered something the library could not understand.
    UnexpectedResponse = 7013,
    /// A local file (certificate, CA bundle) could not be read or used.
    File = 7014,
    /// The resource does not exist (the service answered 404, with its code in the error; or a search
    /// matched nothing).
    NotFound = 7015,
    /// The privileged endpoint ran the command and it failed; the error's code is the PowerShell exception
    /// type (e.g. "ParameterBindingException").
    PepError = 7016,
    /// The usage warehouse's store could not be opened, migrated, read or written, or a row contradicts one
    /// already stored; the message says what was being done.
    Store = 7017,
    /// The caller cancelled the operation (`azsb_cancel_request`); what was committed before stays.
    Cancelled = 7018,
    /// The library panicked; a bug.
    Panic = 7099,
}

/// An error: status, message, and the service's answer when there was one.
pub struct AzsbError {
    status: AzsbStatus,
    message: CString,
    http_status: u16,
    code: Option<CString>,
    request_id: Option<CString>,
    correlation_id: Option<CString>,
}

pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl AzsbError {
    pub(crate) fn new(status: AzsbStatus, message: String) -> AzsbError {
        AzsbError {
            status,
            message: c_string(&message),
            http_status: 0,
            code: None,
            request_id: None,
            correlation_id: None,
        }
    }

    pub(crate) fn null(name: &str) -> AzsbError {
        AzsbError::new(AzsbStatus::NullPointer, format!("{name} must not be NULL"))
    }
}

impl From<&Error> for AzsbError {
    fn from(error: &Error) -> AzsbError {
        let status = match error {
            Error::InvalidArgument { .. } => AzsbStatus::InvalidArgument,
            Error::Service(_) => AzsbStatus::Service,
            Error::Authentication(_) => AzsbStatus::Authentication,
            Error::Transport { .. } => AzsbStatus::Transport,
            Error::UnexpectedResponse { .. } => AzsbStatus::UnexpectedResponse,
            Error::File { .. } => AzsbStatus::File,
            Error::NotFound { .. } => AzsbStatus::NotFound,
            Error::Pep(_) => AzsbStatus::PepError,
            Error::Store { .. } => AzsbStatus::Store,
            Error::Cancelled { .. } => AzsbStatus::Cancelled,
            // The core's error is non-exhaustive; a new kind gets its own status here when it is added.
            _ => AzsbStatus::UnexpectedResponse,
        };
        let mut out = AzsbError::new(status, error.to_string());
        if let Some(service) = error.service_error() {
            out.http_status = service.status;
            out.code = service.code.as_deref().map(c_string);
            out.request_id = service.request_id.as_deref().map(c_string);
            out.correlation_id = service.correlation_id.as_deref().map(c_string);
        }
        out
    }
}

/// Stores `error` in `*error_out` (when given) and returns its status.
pub(crate) fn report(error_out: *mut *mut AzsbError, error: AzsbError) -> AzsbStatus {
    let status = error.status;
    if !error_out.is_null() {
        // SAFETY: non-NULL, and the caller promised it points to writable storage for one pointer.
        unsafe { *error_out = Box::into_raw(Box::new(error)) };
    }
    status
}

/// Converts a core result: Ok passes its value to `on_ok`, Err is reported.
pub(crate) fn finish<T>(
    result: azs_billing_core::error::Result<T>,
    error_out: *mut *mut AzsbError,
    on_ok: impl FnOnce(T),
) -> AzsbStatus {
    match result {
        Ok(value) => {
            on_ok(value);
            AzsbStatus::Ok
        }
        Err(error) => report(error_out, AzsbError::from(&error)),
    }
}

/// A result value as JSON text; a value that cannot be serialised is an error, never an empty string.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
) -> azs_billing_core::error::Result<String> {
    serde_json::to_string(value).map_err(|e| {
        azs_billing_core::error::Error::unexpected_from(
            format!("cannot serialise the result ({e})"),
            e,
        )
    })
}

/// Converts a core result whose value is JSON text: Ok writes it to `*json_out` as a library-owned string,
/// Err is reported. A NULL `json_out` is reported as such (callers check it before doing any work too).
pub(crate) fn finish_json(
    result: azs_billing_core::error::Result<String>,
    json_out: *mut *mut c_char,
    error_out: *mut *mut AzsbError,
) -> AzsbStatus {
    if json_out.is_null() {
        return report(error_out, AzsbError::null("json_out"));
    }
    finish(result, error_out, |json| {
        // SAFETY: checked non-NULL above; the caller provided storage for one pointer.
        unsafe { *json_out = crate::ffi::strings::to_c(json) };
    })
}

fn borrow<'a>(error: *const AzsbError) -> Option<&'a AzsbError> {
    // SAFETY: the caller promised NULL or a live error from this library.
    unsafe { error.as_ref() }
}

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The error's status (AZSB_STATUS_INVALID_ARGUMENT when `error` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_status(error: *const AzsbError) -> AzsbStatus {
    borrow(error).map_or(AzsbStatus::InvalidArgument, |e| e.status)
}

/// The message, owned by the error (valid until `azsb_error_free`); "" when `error` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_message(error: *const AzsbError) -> *const c_char {
    borrow(error).map_or(c"".as_ptr(), |e| e.message.as_ptr())
}

/// The HTTP status of the service's answer, or 0.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_http_status(error: *const AzsbError) -> u16 {
    borrow(error).map_or(0, |e| e.http_status)
}

/// The service's error code (e.g. "InvalidProperty", "invalid_client"), or NULL. Owned by the error.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_code(error: *const AzsbError) -> *const c_char {
    borrow(error).map_or(std::ptr::null(), |e| opt_ptr(&e.code))
}

/// The `x-ms-request-id` of the failed request, or NULL. Owned by the error.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_request_id(error: *const AzsbError) -> *const c_char {
    borrow(error).map_or(std::ptr::null(), |e| opt_ptr(&e.request_id))
}

/// The `x-ms-correlation-request-id` of the failed request, or NULL. Owned by the error.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_correlation_id(error: *const AzsbError) -> *const c_char {
    borrow(error).map_or(std::ptr::null(), |e| opt_ptr(&e.correlation_id))
}

/// Frees an error. NULL is accepted.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_error_free(error: *mut AzsbError) {
    if error.is_null() {
        return;
    }
    // SAFETY: the caller promised the error came from this library and is freed once.
    drop(unsafe { Box::from_raw(error) });
}

/// A static, human-readable name for a status ("AZSB_STATUS_SERVICE"), the enumerator's name in this
/// header; "AZSB_STATUS_UNKNOWN" for a number that is not a status. Never NULL, do not free.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_status_name(status: u32) -> *const c_char {
    static NAMES: std::sync::OnceLock<Vec<(u32, CString)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        <AzsbStatus as strum::IntoEnumIterator>::iter()
            .map(|s| {
                (
                    s as u32,
                    c_string(&format!("AZSB_STATUS_{}", <&str>::from(s))),
                )
            })
            .collect()
    });
    names
        .iter()
        .find(|(code, _)| *code == status)
        .map_or(c"AZSB_STATUS_UNKNOWN".as_ptr(), |(_, name)| name.as_ptr())
}
