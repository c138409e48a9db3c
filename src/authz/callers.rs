//! The per-process cache of resolved callers, kept exact by the database's caller epoch.
//!
//! Loading a caller takes four statements (user, organization, grants, training); a dashboard
//! sends many requests a minute. Each cached caller is tagged with the caller epoch it was loaded
//! at (migration 0006: bumped by trigger on every change to those tables, by any writer). A cached
//! caller is used only while the epoch is unchanged, so a block or a revoked grant takes effect as
//! soon as this process learns the new epoch:
//! - on PostgreSQL from `LISTEN` (every bump notifies on commit), with a periodic re-read of the
//!   epoch in case a notification was lost, and a re-read after any write of this process's own;
//! - on SQLite (no notifications) by reading the epoch on every request: one indexed row instead
//!   of four statements.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::permissions::Permissions;
use super::policy::Policy;
use super::principal::{Principal, local_day};
use crate::error::AppResult;
use crate::store::Db;
use crate::store::epochs::{self, CALLERS, CALLERS_CHANNEL, Heard, Listener};

/// Most callers held at once.
const CAPACITY: u64 = 100_000;

/// How long a lost notification connection waits before subscribing again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

struct Entry {
    epoch: i64,
    principal: Arc<Principal>,
    /// The caller's permissions under the policy they were last resolved with: resolving them
    /// asks the policy a few dozen questions (a tenth of a small request's time), and the
    /// answers change only with the policy or the caller, both of which end the entry or the
    /// memo.
    permissions: std::sync::Mutex<Option<(Arc<Policy>, Arc<Permissions>)>>,
}

/// Resolved callers by IIN, each valid while the caller epoch it was loaded at is current.
pub struct CallerCache {
    entries: moka::sync::Cache<String, Arc<Entry>>,
    /// The newest caller epoch this process knows of.
    known: AtomicI64,
    /// [`Db::write_count`] when `known` was last read from the database.
    writes_seen: AtomicU64,
    /// Whether a live subscription keeps `known` current (otherwise it is read per request).
    listening: AtomicBool,
    /// Callers served from the cache, and loaded from the database.
    hits: AtomicU64,
    misses: AtomicU64,
    /// Dropped with the cache: its receivers (the watching tasks) then stop.
    stop: tokio::sync::watch::Sender<()>,
}

impl CallerCache {
    /// An empty cache whose entries live at most `ttl` (a bound on memory, not on staleness).
    pub fn new(ttl: Duration) -> CallerCache {
        CallerCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build(),
            known: AtomicI64::new(i64::MIN),
            writes_seen: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stop: tokio::sync::watch::channel(()).0,
        }
    }

    /// The caller named by a verified token, at `now`; errors as [`Principal::load`].
    pub async fn principal(
        &self,
        db: &Db,
        iin: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Arc<Principal>> {
        let epoch = self.epoch(db).await?;
        if let Some(e) = self.entries.get(iin)
            && e.epoch == epoch
            // Grants are judged by the day: a new day reloads rather than re-judging old rows.
            && e.principal.today == local_day(now)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(e.principal.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let principal = Arc::new(Principal::load(db, iin, now).await?);
        // Tagged with the epoch read *before* loading: if a change commits in between, the
        // entry is already outdated by the newer epoch and is loaded again next time.
        self.entries.insert(
            iin.to_owned(),
            Arc::new(Entry {
                epoch,
                principal: principal.clone(),
                permissions: std::sync::Mutex::new(None),
            }),
        );
        Ok(principal)
    }

    /// The permissions of `principal` (as [`CallerCache::principal`] returned it) under `policy`:
    /// resolved once per cached caller and policy, and shared by the requests that follow.
    pub fn permissions(
        &self,
        principal: &Arc<Principal>,
        policy: &Arc<Policy>,
    ) -> Arc<Permissions> {
        let resolve = || Arc::new(Permissions::resolve(Ok(principal.clone()), policy.clone()));
        let Some(entry) = self
            .entries
            .get(&principal.user.iin)
            .filter(|e| Arc::ptr_eq(&e.principal, principal))
        else {
            return resolve();
        };
        let Ok(mut memo) = entry.permissions.lock() else {
            return resolve();
        };
        if let Some((used, permissions)) = memo.as_ref()
            && Arc::ptr_eq(used, policy)
        {
            return permissions.clone();
        }
        let permissions = resolve();
        *memo = Some((policy.clone(), permissions.clone()));
        permissions
    }

    /// The newest caller epoch this process knows of (as of the last request or notification).
    pub fn known_epoch(&self) -> i64 {
        self.known.load(Ordering::Acquire)
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The current caller epoch: the one notifications keep, unless there is no subscription or
    /// this process wrote since it last read it.
    async fn epoch(&self, db: &Db) -> AppResult<i64> {
        let writes = db.write_count();
        if self.listening.load(Ordering::Acquire)
            && writes == self.writes_seen.load(Ordering::Acquire)
        {
            return Ok(self.known.load(Ordering::Acquire));
        }
        let epoch = epochs::current(db, CALLERS).await?;
        self.observe(epoch);
        self.writes_seen.fetch_max(writes, Ordering::AcqRel);
        Ok(epoch)
    }

    /// Learns of `epoch`; a newer one drops every entry (they are stale, and would only be
    /// skipped one by one).
    fn observe(&self, epoch: i64) {
        if epoch > self.known.fetch_max(epoch, Ordering::AcqRel) {
            self.entries.invalidate_all();
        }
    }

    /// Takes the database's epoch as the truth, also when it went backwards (a restored
    /// database); returns whether it differed from what this process knew.
    fn resync(&self, epoch: i64) -> bool {
        let previous = self.known.swap(epoch, Ordering::AcqRel);
        if previous != epoch {
            self.entries.invalidate_all();
        }
        previous != epoch
    }

    /// Keeps the epoch current while the cache lives: a `LISTEN` subscription (PostgreSQL) and a
    /// re-read every `recheck`. Does nothing on SQLite, where every request reads the epoch.
    pub fn watch(self: &Arc<Self>, db: Db, recheck: Duration) {
        if db.backend() != crate::store::Backend::Postgres {
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
                let Some(cache) = weak.upgrade() else { return };
                if db.is_closed() {
                    return;
                }
                match epochs::current(&db, CALLERS).await {
                    Ok(epoch) => {
                        let listening = cache.listening.load(Ordering::Acquire);
                        if cache.resync(epoch) && listening {
                            tracing::warn!(epoch, "caller change notification missed; cache reset");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reading the caller epoch failed"),
                }
            }
        });
    }
}

/// Follows the caller channel until the cache or the pool goes away, subscribing again after a
/// lost connection (and re-reading the epoch, since notifications in between are gone).
async fn listen(weak: std::sync::Weak<CallerCache>, db: Db) {
    loop {
        match Listener::subscribe(&db, CALLERS_CHANNEL).await {
            Ok(Some(mut listener)) => {
                // Read after subscribing: a change committed later is both notified and newer.
                let Some(cache) = weak.upgrade() else { return };
                match epochs::current(&db, CALLERS).await {
                    Ok(epoch) => {
                        cache.resync(epoch);
                        cache.listening.store(true, Ordering::Release);
                    }
                    Err(e) => tracing::warn!(error = %e, "reading the caller epoch failed"),
                }
                drop(cache);
                loop {
                    let heard = listener.next().await;
                    let Some(cache) = weak.upgrade() else { return };
                    match heard {
                        Heard::Payload(p) => match p.parse::<i64>() {
                            Ok(epoch) => cache.observe(epoch),
                            Err(_) => {
                                cache.entries.invalidate_all();
                            }
                        },
                        Heard::Lost => {
                            cache.listening.store(false, Ordering::Release);
                            tracing::warn!(
                                "caller change notifications lost; reading the epoch per request until resubscribed"
                            );
                            break;
                        }
                        Heard::Closed => return,
                    }
                }
            }
            Ok(None) => return,
            Err(e) => tracing::warn!(error = %e, "subscribing to caller changes failed"),
        }
        if db.is_closed() || weak.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}
