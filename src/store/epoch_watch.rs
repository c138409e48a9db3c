//! Following one change epoch (migration 0006) from a server process, for a cache whose entries
//! are valid only while the epoch they were made at is current.
//!
//! The epoch is learnt:
//! - on PostgreSQL from `LISTEN` (every bump notifies on commit), with a periodic re-read in case
//!   a notification was lost, and a re-read after any write of this process's own;
//! - on SQLite (no notifications) by reading it whenever it is asked for: one indexed row.
//!
//! Whenever a newer (or, after a restore, different) epoch is learnt, the owner's `on_change`
//! runs, so stale entries are dropped at once instead of being skipped one by one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use super::Db;
use super::epochs::{self, Heard, Listener};

/// How long a lost notification connection waits before subscribing again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// One topic's epoch as this process knows it.
pub struct EpochWatch {
    topic: &'static str,
    channel: &'static str,
    /// The newest epoch this process knows of.
    known: AtomicI64,
    /// [`Db::write_count`] when `known` was last read from the database.
    writes_seen: AtomicU64,
    /// Whether a live subscription keeps `known` current (otherwise it is read when asked).
    listening: AtomicBool,
    /// What the owner drops when the epoch moves.
    on_change: Box<dyn Fn() + Send + Sync>,
    /// Dropped with the watch: its receivers (the following tasks) then stop.
    stop: tokio::sync::watch::Sender<()>,
}

impl EpochWatch {
    /// A watch of `topic`, notified on `channel`, calling `on_change` whenever the epoch moves.
    pub fn new(
        topic: &'static str,
        channel: &'static str,
        on_change: impl Fn() + Send + Sync + 'static,
    ) -> EpochWatch {
        EpochWatch {
            topic,
            channel,
            known: AtomicI64::new(i64::MIN),
            writes_seen: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            on_change: Box::new(on_change),
            stop: tokio::sync::watch::channel(()).0,
        }
    }

    /// The newest epoch this process knows of (as of the last read or notification).
    pub fn known(&self) -> i64 {
        self.known.load(Ordering::Acquire)
    }

    /// The current epoch: the one notifications keep, unless there is no subscription or this
    /// process wrote through `db` since it last read it.
    pub async fn current(&self, db: &Db) -> Result<i64, sqlx::Error> {
        let writes = db.write_count();
        if self.listening.load(Ordering::Acquire)
            && writes == self.writes_seen.load(Ordering::Acquire)
        {
            return Ok(self.known.load(Ordering::Acquire));
        }
        let epoch = epochs::current(db, self.topic).await?;
        self.observe(epoch);
        self.writes_seen.fetch_max(writes, Ordering::AcqRel);
        Ok(epoch)
    }

    /// Learns of `epoch`; a newer one calls `on_change`.
    fn observe(&self, epoch: i64) {
        if epoch > self.known.fetch_max(epoch, Ordering::AcqRel) {
            (self.on_change)();
        }
    }

    /// Takes the database's epoch as the truth, also when it went backwards (a restored
    /// database); returns whether it differed from what this process knew.
    fn resync(&self, epoch: i64) -> bool {
        let previous = self.known.swap(epoch, Ordering::AcqRel);
        if previous != epoch {
            (self.on_change)();
        }
        previous != epoch
    }

    /// Keeps the epoch current while the watch lives: a `LISTEN` subscription (PostgreSQL) and
    /// a re-read every `recheck`. Does nothing on SQLite, where every ask reads the epoch.
    pub fn follow(self: &Arc<Self>, db: Db, recheck: Duration) {
        if db.backend() != super::Backend::Postgres {
            return;
        }
        let db = db.for_background();
        let weak = Arc::downgrade(self);
        let (listen_db, listen_weak) = (db.clone(), weak.clone());
        let mut stopped = self.stop.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                _ = listen(listen_weak, listen_db) => {}
                _ = stopped.changed() => {}
            }
        });
        let mut stopped = self.stop.subscribe();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(recheck);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = stopped.changed() => return,
                }
                let Some(watch) = weak.upgrade() else { return };
                if db.is_closed() {
                    return;
                }
                match epochs::current(&db, watch.topic).await {
                    Ok(epoch) => {
                        let listening = watch.listening.load(Ordering::Acquire);
                        if watch.resync(epoch) && listening {
                            tracing::warn!(
                                topic = watch.topic,
                                epoch,
                                "change notification missed; cache reset"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::warn!(topic = watch.topic, error = %e, "reading an epoch failed")
                    }
                }
            }
        });
    }
}

/// Follows the channel until the watch or the pool goes away, subscribing again after a lost
/// connection (and re-reading the epoch, since notifications in between are gone).
async fn listen(weak: std::sync::Weak<EpochWatch>, db: Db) {
    let Some((topic, channel)) = weak.upgrade().map(|w| (w.topic, w.channel)) else {
        return;
    };
    loop {
        match Listener::subscribe(&db, channel).await {
            Ok(Some(mut listener)) => {
                // Read after subscribing: a change committed later is both notified and newer.
                let Some(watch) = weak.upgrade() else { return };
                match epochs::current(&db, topic).await {
                    Ok(epoch) => {
                        watch.resync(epoch);
                        watch.listening.store(true, Ordering::Release);
                    }
                    Err(e) => tracing::warn!(topic, error = %e, "reading an epoch failed"),
                }
                drop(watch);
                loop {
                    let heard = listener.next().await;
                    let Some(watch) = weak.upgrade() else { return };
                    match heard {
                        Heard::Payload(p) => match p.parse::<i64>() {
                            Ok(epoch) => watch.observe(epoch),
                            Err(_) => (watch.on_change)(),
                        },
                        Heard::Lost => {
                            watch.listening.store(false, Ordering::Release);
                            tracing::warn!(
                                topic,
                                "change notifications lost; reading the epoch when asked until resubscribed"
                            );
                            break;
                        }
                        Heard::Closed => return,
                    }
                }
            }
            Ok(None) => return,
            Err(e) => tracing::warn!(topic, error = %e, "subscribing to changes failed"),
        }
        if db.is_closed() || weak.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
