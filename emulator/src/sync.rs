//! Locking the emulator's in-memory state.

use std::sync::{Mutex, MutexGuard};

/// Locks state whose every change is a single insert, remove or assignment: a panic while it was held left
/// it consistent, so a poisoned lock is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
