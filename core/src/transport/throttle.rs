//! A pause shared by every request of one transport: when the service throttles one request (429, or 503
//! with a `Retry-After`), the others sent through the same client wait the same time instead of each
//! discovering the throttle by being refused. The Azure SDKs apply `Retry-After` per request; a client that
//! runs several workers at once must apply it per client or its other workers keep the service throttled.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest pause one answer can impose on the whole client. Longer `Retry-After`s are still honoured by
/// the request that got them (through the retry policy's own bounds); the others resume sooner and find out
/// for themselves.
pub(crate) const MAX_SHARED_PAUSE: Duration = Duration::from_secs(300);

/// The shared pause and the count of throttling answers seen.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    resume_at: Mutex<Option<Instant>>,
    events: AtomicU64,
}

impl Throttle {
    /// Blocks until the shared pause, if any, has passed.
    pub(crate) fn wait(&self) {
        loop {
            let until = match self.resume_at.lock() {
                Ok(guard) => *guard,
                Err(poisoned) => *poisoned.into_inner(),
            };
            let now = Instant::now();
            match until {
                Some(until) if until > now => std::thread::sleep(until - now),
                _ => return,
            }
        }
    }

    /// Notes an answer with `status`: a 429 or 503 counts as throttling, and one that said how long to wait
    /// pauses every request of the client for that long (at most [`MAX_SHARED_PAUSE`]).
    pub(crate) fn observe(&self, status: u16, server_asked: Option<Duration>) {
        if !matches!(status, 429 | 503) {
            return;
        }
        self.events.fetch_add(1, Ordering::SeqCst);
        let Some(asked) = server_asked else {
            return;
        };
        let until = Instant::now() + asked.min(MAX_SHARED_PAUSE);
        let mut guard = match self.resume_at.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.is_none_or(|current| current < until) {
            *guard = Some(until);
        }
    }

    /// How many throttling answers (429, 503) the client has had since it was built.
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_answer_pauses_every_waiter_and_counts() {
        let throttle = Throttle::default();
        throttle.observe(500, Some(Duration::from_secs(60)));
        assert_eq!(throttle.events(), 0, "a 500 is no throttling");
        let started = Instant::now();
        throttle.wait();
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "no pause yet"
        );

        throttle.observe(429, Some(Duration::from_millis(150)));
        throttle.observe(503, None);
        assert_eq!(throttle.events(), 2);
        let waited = std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let t = Instant::now();
                throttle.wait();
                t.elapsed()
            });
            let t = Instant::now();
            throttle.wait();
            (t.elapsed(), other.join().unwrap())
        });
        assert!(waited.0 >= Duration::from_millis(100), "{waited:?}");
        assert!(waited.1 >= Duration::from_millis(100), "{waited:?}");
    }

    #[test]
    fn a_shorter_pause_never_shortens_a_longer_one_and_the_pause_is_capped() {
        let throttle = Throttle::default();
        throttle.observe(429, Some(Duration::from_secs(3600)));
        let until = throttle.resume_at.lock().unwrap().unwrap();
        assert!(until <= Instant::now() + MAX_SHARED_PAUSE);
        throttle.observe(429, Some(Duration::from_millis(1)));
        assert_eq!(throttle.resume_at.lock().unwrap().unwrap(), until);
    }
}
