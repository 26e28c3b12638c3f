//! Calling the C ABI from Rust tests as a C caller would: C strings in, library-owned strings out and
//! freed, the error object read through its accessors (as docs/schema/error.json shapes it) and freed.

use std::ffi::{CStr, CString, c_char};

use azs_billing::ffi::*;
use serde_json::{Value, json};

pub fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL")
}

pub fn read(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string the library returned, read before it is freed.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The error object as its accessors give it (docs/schema/error.json), freeing it.
pub fn error_record(status: AzsbStatus, error: *mut AzsbError) -> Value {
    assert!(!error.is_null(), "{status:?} came without an error object");
    assert_eq!(azsb_error_status(error), status);
    let record = json!({
        "status": status as u32,
        "status_name": read(azsb_status_name(status as u32)),
        "message": read(azsb_error_message(error)),
        "http_status": azsb_error_http_status(error),
        "code": read(azsb_error_code(error)),
        "request_id": read(azsb_error_request_id(error)),
        "correlation_id": read(azsb_error_correlation_id(error)),
    });
    azsb_error_free(error);
    record
}

/// A call writing one library-owned string: Ok(the string, None for NULL) or Err(the error record).
pub fn call(
    f: impl FnOnce(*mut *mut c_char, *mut *mut AzsbError) -> AzsbStatus,
) -> Result<Option<String>, Value> {
    let mut out: *mut c_char = std::ptr::null_mut();
    let mut error: *mut AzsbError = std::ptr::null_mut();
    let status = f(&mut out, &mut error);
    if status != AzsbStatus::Ok {
        assert!(out.is_null(), "a failed call wrote its output");
        return Err(error_record(status, error));
    }
    let text = read(out);
    azsb_string_free(out);
    Ok(text)
}

/// A call that must succeed and write JSON.
pub fn call_json(
    what: &str,
    f: impl FnOnce(*mut *mut c_char, *mut *mut AzsbError) -> AzsbStatus,
) -> Value {
    let text = call(f)
        .unwrap_or_else(|e| panic!("{what} failed: {e}"))
        .unwrap_or_else(|| panic!("{what} wrote NULL"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what} wrote no JSON ({e}): {text}"))
}

/// A client handle, freed when dropped.
pub struct ClientHandle(pub *mut AzsbClient);

impl Drop for ClientHandle {
    fn drop(&mut self) {
        azsb_client_free(self.0);
    }
}

/// `azsb_client_new` of options JSON, without a device code callback.
pub fn client_new(options: &Value) -> Result<ClientHandle, Value> {
    let options = c(&options.to_string());
    let mut client: *mut AzsbClient = std::ptr::null_mut();
    let mut error: *mut AzsbError = std::ptr::null_mut();
    let status = azsb_client_new(
        options.as_ptr(),
        None,
        std::ptr::null_mut(),
        &mut client,
        &mut error,
    );
    if status != AzsbStatus::Ok {
        assert!(client.is_null(), "a failed azsb_client_new wrote a client");
        return Err(error_record(status, error));
    }
    Ok(ClientHandle(client))
}
