//! How many page requests a sync keeps in flight: additive increase, multiplicative decrease, the way TCP
//! and the Azure Storage data movers back off. A throttling answer (429, 503) seen by the shared transport
//! halves the limit at once; each run of `limit` calm requests raises it by one, up to the configured
//! concurrency. The count of throttling answers comes from the transport, so an answer one worker got
//! slows them all.

use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    calm: usize,
    seen_events: u64,
    lowest: usize,
    stopped: bool,
}

/// The permits of one sync.
#[derive(Debug)]
pub(crate) struct Limiter {
    max: usize,
    state: Mutex<State>,
    changed: Condvar,
}

impl Limiter {
    /// A limiter starting at `max` permits; `events` is the transport's throttle count now.
    pub(crate) fn new(max: usize, events: u64) -> Limiter {
        let max = max.max(1);
        Limiter {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                calm: 0,
                seen_events: events,
                lowest: max,
                stopped: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Waits for a permit; false when the sync is stopping (no permit taken).
    pub(crate) fn acquire(&self) -> bool {
        let mut state = self.lock();
        while !state.stopped && state.in_flight >= state.limit {
            state = match self.changed.wait(state) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        if state.stopped {
            return false;
        }
        state.in_flight += 1;
        true
    }

    /// Returns a permit after a request; `events` is the transport's throttle count after it.
    pub(crate) fn release(&self, events: u64) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if events > state.seen_events {
            state.seen_events = events;
            state.limit = (state.limit / 2).max(1);
            state.calm = 0;
            state.lowest = state.lowest.min(state.limit);
            log::info!(
                "warehouse sync: the service is throttling; concurrency lowered to {}",
                state.limit
            );
        } else {
            state.calm += 1;
            if state.calm >= state.limit && state.limit < self.max {
                state.limit += 1;
                state.calm = 0;
                log::debug!("warehouse sync: concurrency raised to {}", state.limit);
            }
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Wakes every waiter with no permit: the sync is ending.
    pub(crate) fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// The lowest limit the sync fell to.
    pub(crate) fn lowest(&self) -> usize {
        self.lock().lowest
    }

    #[cfg(test)]
    fn limit(&self) -> usize {
        self.lock().limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_and_calm_raises_slowly() {
        let limiter = Limiter::new(8, 10);
        assert!(limiter.acquire());
        limiter.release(12);
        assert_eq!(limiter.limit(), 4, "two new events at once halve once");
        assert!(limiter.acquire());
        limiter.release(13);
        assert_eq!(limiter.limit(), 2);
        for _ in 0..2 {
            assert!(limiter.acquire());
            limiter.release(13);
        }
        assert_eq!(
            limiter.limit(),
            3,
            "two calm requests at limit 2 raise it by one"
        );
        assert_eq!(limiter.lowest(), 2);
        for _ in 0..100 {
            assert!(limiter.acquire());
            limiter.release(13);
        }
        assert_eq!(limiter.limit(), 8, "never above the configured concurrency");
        for n in 14..30 {
            assert!(limiter.acquire());
            limiter.release(n);
        }
        assert_eq!(limiter.limit(), 1, "never below one");
    }

    #[test]
    fn permits_bound_in_flight_and_stop_wakes_waiters() {
        let limiter = Limiter::new(1, 0);
        assert!(limiter.acquire());
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| limiter.acquire());
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished(), "one permit, one in flight");
            limiter.stop();
            assert!(!waiter.join().unwrap(), "a stopped limiter gives no permit");
        });
    }
}
