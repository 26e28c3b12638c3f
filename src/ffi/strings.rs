//! Strings across the boundary: UTF-8 in (checked), library-owned strings out, freed by one function.

use std::ffi::{CStr, CString, c_char};

use crate::ffi::error::{AzsbError, AzsbStatus};

/// Borrows a C string as `&str`.
pub(crate) fn borrow_str<'a>(ptr: *const c_char, name: &'static str) -> Result<&'a str, AzsbError> {
    if ptr.is_null() {
        return Err(AzsbError::null(name));
    }
    // SAFETY: non-NULL, and the caller promised a NUL-terminated string that outlives this call.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        AzsbError::new(
            AzsbStatus::InvalidUtf8,
            format!("{name}: not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// Hands a string to C. Interior NULs (impossible in JSON output) are replaced so nothing is truncated
/// silently.
pub(crate) fn to_c(s: impl Into<String>) -> *mut c_char {
    c_string(s).into_raw()
}

/// `s` as a C string, a NUL inside it replaced by U+FFFD (C would read it as the end).
pub(crate) fn c_string(s: impl Into<String>) -> CString {
    let s: String = s.into();
    CString::new(s).unwrap_or_else(|e| {
        let cleaned = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(cleaned).unwrap_or_default()
    })
}

/// Frees a string the library returned, wiping it first (some are secrets: activation keys, refresh
/// tokens). NULL is accepted and ignored.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller promised `s` came from this library (CString::into_raw in `to_c`) and has not
        // been freed; ownership returns here exactly once.
        let mut bytes = unsafe { CString::from_raw(s) }.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
    }));
}

/// The library version ("0.1.0"), a static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn azsb_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// The ABI version number (see AZSB_ABI_VERSION).
#[unsafe(no_mangle)]
pub extern "C" fn azsb_abi_version() -> u32 {
    crate::ffi::AZSB_ABI_VERSION
}

/// Frees a handle the library handed out with `Box::into_raw`; NULL is accepted, and a panic in its
/// destructor is contained (it must not unwind into C).
///
/// # Safety
/// `handle` is NULL, or a pointer this library returned for a `T` that has not been freed yet.
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    if handle.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's contract above: a live Box-made handle, freed once.
        drop(unsafe { Box::from_raw(handle) });
    }));
}
