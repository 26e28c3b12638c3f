//! Cancelling a sync from another thread (a C caller's signal handler thread, PowerShell's Ctrl+C).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag a running sync checks between pages and before each window's commit. Clones share the flag, so
/// keep one and give a clone to [`crate::warehouse::SyncOptions::cancel`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    requested: Arc<AtomicBool>,
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every sync holding this token to stop at its next check. The window being fetched is rolled
    /// back; windows already committed stay. Idempotent, and safe from any thread.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::request`] was called.
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }
}
