//! The panic boundary and pointer checks every export goes through.

/// Runs `body` (which returns an `AzsbStatus`) inside `catch_unwind`; a panic becomes
/// `AZSB_STATUS_PANIC` with an error object when `error_out` is not NULL.
macro_rules! ffi_boundary {
    ($error_out:expr, $body:block) => {{
        let error_out: *mut *mut $crate::ffi::error::AzsbError = $error_out;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> $crate::ffi::error::AzsbStatus { $body },
        )) {
            Ok(status) => status,
            Err(_) => $crate::ffi::error::report(
                error_out,
                $crate::ffi::error::AzsbError::new(
                    $crate::ffi::error::AzsbStatus::Panic,
                    "internal error: the library panicked; please report it".to_string(),
                ),
            ),
        }
    }};
}

/// Borrows `&T` from a pointer, or returns `AZSB_STATUS_NULL_POINTER` naming the argument.
macro_rules! try_ref {
    ($ptr:expr, $name:literal, $error_out:expr) => {{
        let ptr = $ptr;
        if ptr.is_null() {
            return $crate::ffi::error::report($error_out, $crate::ffi::error::AzsbError::null($name));
        }
        // SAFETY: the pointer is non-NULL, and the caller promised it came from this library's `_new`/`_open`
        // and has not been freed; shared access is allowed for these types.
        unsafe { &*ptr }
    }};
}

/// Borrows `&mut T` from a pointer, or returns `AZSB_STATUS_NULL_POINTER` naming the argument.
macro_rules! try_mut {
    ($ptr:expr, $name:literal, $error_out:expr) => {{
        let ptr = $ptr;
        if ptr.is_null() {
            return $crate::ffi::error::report($error_out, $crate::ffi::error::AzsbError::null($name));
        }
        // SAFETY: non-NULL, from this library, not freed, and the documented contract gives this call
        // exclusive use of the object for its duration.
        unsafe { &mut *ptr }
    }};
}

/// Reads a NUL-terminated UTF-8 argument, or returns NULL_POINTER / INVALID_UTF8 naming it.
macro_rules! try_str {
    ($ptr:expr, $name:literal, $error_out:expr) => {{
        match $crate::ffi::strings::borrow_str($ptr, $name) {
            Ok(s) => s,
            Err(e) => return $crate::ffi::error::report($error_out, e),
        }
    }};
}

/// Checks that an output pointer is non-NULL.
macro_rules! check_out {
    ($ptr:expr, $name:literal, $error_out:expr) => {{
        if $ptr.is_null() {
            return $crate::ffi::error::report(
                $error_out,
                $crate::ffi::error::AzsbError::null($name),
            );
        }
    }};
}
