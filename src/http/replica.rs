//! Whether the read replica may serve reads: its lag behind the primary, measured every second
//! in the background, against the configured bound (`--replica-max-lag`). Past the bound, or
//! while it cannot be measured, scoped reads go to the primary until the replica catches up.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::store::Db;
use crate::store::replication::{self, Lag};

/// How often the lag is measured.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The default bound on a replica's lag.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_secs(10);

/// The replica's last measured lag and the bound reads are held to.
#[derive(Debug)]
pub struct ReplicaHealth {
    max_lag: Duration,
    /// Milliseconds behind; -1 when unknown (not measured yet, or the replica did not answer).
    lag_ms: AtomicI64,
    /// WAL bytes behind; -1 when unknown.
    bytes: AtomicI64,
}

/// What `/readyz` and `/metrics` say of the replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Within the bound: it serves scoped reads.
    Serving,
    /// Past the bound: reads go to the primary.
    Lagging,
    /// Its lag is unknown (it does not answer, or has replayed nothing): reads go to the primary.
    Unknown,
}

impl ReplicaHealth {
    /// A replica not measured yet, held to `max_lag`.
    pub fn new(max_lag: Duration) -> ReplicaHealth {
        ReplicaHealth {
            max_lag,
            lag_ms: AtomicI64::new(-1),
            bytes: AtomicI64::new(-1),
        }
    }

    /// The bound.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// The last measured lag, if known.
    pub fn lag(&self) -> Option<Duration> {
        u64::try_from(self.lag_ms.load(Ordering::Relaxed))
            .ok()
            .map(Duration::from_millis)
    }

    /// WAL bytes behind at the last measurement, if known.
    pub fn bytes_behind(&self) -> Option<i64> {
        Some(self.bytes.load(Ordering::Relaxed)).filter(|b| *b >= 0)
    }

    /// Where the replica stands.
    pub fn state(&self) -> ReplicaState {
        match self.lag() {
            None => ReplicaState::Unknown,
            Some(lag) if lag <= self.max_lag => ReplicaState::Serving,
            Some(_) => ReplicaState::Lagging,
        }
    }

    /// Measures the lag once and keeps it.
    pub async fn measure(&self, primary: &Db, replica: &Db) {
        let measured = tokio::time::timeout(CHECK_EVERY, replication::lag(primary, replica)).await;
        let (ms, bytes) = match measured {
            Ok(Ok(Lag { bytes, seconds })) => (
                seconds.map_or(-1, |s| (s * 1000.0).round().min(i64::MAX as f64) as i64),
                bytes,
            ),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "measuring the read replica's lag failed");
                (-1, -1)
            }
            Err(_) => (-1, -1),
        };
        let before = self.state();
        self.lag_ms.store(ms, Ordering::Relaxed);
        self.bytes.store(bytes, Ordering::Relaxed);
        let after = self.state();
        if before != after {
            tracing::info!(?after, lag_ms = ms, bytes, "read replica");
        }
    }

    /// Measures every [`CHECK_EVERY`] for as long as the state holding `health` lives.
    pub fn spawn(health: &Arc<ReplicaHealth>, primary: Db, replica: Db) {
        let weak: Weak<ReplicaHealth> = Arc::downgrade(health);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let Some(health) = weak.upgrade() else {
                    return;
                };
                health.measure(&primary, &replica).await;
            }
        });
    }
}
