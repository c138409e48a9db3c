//! Failing fast while the database is down: once taking a connection fails because the database
//! cannot be reached, every other attempt fails at once for a short while instead of waiting out
//! the pool's connect retries; after that one attempt (or several, concurrently) tries again. A
//! request in an outage so spends at most one pool wait, not one per statement.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// How long attempts fail at once after the database was found unreachable.
const OPEN_FOR: Duration = Duration::from_millis(500);

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn now_ms() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The breaker of one pool (shared by its handles).
#[derive(Debug, Clone, Default)]
pub struct Breaker {
    /// Until when (ms since [`EPOCH`]) attempts fail at once; 0 when closed.
    open_until: Arc<AtomicU64>,
}

impl Breaker {
    /// Refuses at once while open.
    pub fn check(&self) -> Result<(), sqlx::Error> {
        if now_ms() < self.open_until.load(Ordering::Acquire) {
            Err(sqlx::Error::PoolTimedOut)
        } else {
            Ok(())
        }
    }

    /// Notes the result of taking a connection.
    pub fn observe<T>(&self, result: &Result<T, sqlx::Error>) {
        match result {
            Ok(_) => self.open_until.store(0, Ordering::Release),
            Err(e) if crate::error::is_unavailable(e) => {
                let until =
                    now_ms().saturating_add(u64::try_from(OPEN_FOR.as_millis()).unwrap_or(0));
                self.open_until.store(until, Ordering::Release);
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_unavailability_and_closes_after_a_while_or_a_success() {
        let b = Breaker::default();
        assert!(b.check().is_ok());
        b.observe::<()>(&Err(sqlx::Error::RowNotFound));
        assert!(b.check().is_ok(), "an ordinary error does not open it");
        b.observe::<()>(&Err(sqlx::Error::PoolTimedOut));
        assert!(
            b.check().is_err(),
            "open after the database was unreachable"
        );
        std::thread::sleep(OPEN_FOR + Duration::from_millis(50));
        assert!(b.check().is_ok(), "one may try again");
        b.observe::<()>(&Err(sqlx::Error::PoolTimedOut));
        b.observe(&Ok(()));
        assert!(b.check().is_ok(), "a success closes it");
    }
}
