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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::permissions::Permissions;
use super::policy::Policy;
use super::principal::{Principal, local_day};
use crate::error::AppResult;
use crate::store::Db;
use crate::store::epoch_watch::EpochWatch;
use crate::store::epochs::{CALLERS, CALLERS_CHANNEL};

/// Most callers held at once.
const CAPACITY: u64 = 100_000;

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
    /// The caller epoch as this process knows it; a newer one drops every entry.
    epoch: Arc<EpochWatch>,
    /// Callers served from the cache, and loaded from the database.
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CallerCache {
    /// An empty cache whose entries live at most `ttl` (a bound on memory, not on staleness).
    pub fn new(ttl: Duration) -> CallerCache {
        let entries: moka::sync::Cache<String, Arc<Entry>> = moka::sync::Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(ttl)
            .build();
        let stale = entries.clone();
        CallerCache {
            entries,
            epoch: Arc::new(EpochWatch::new(CALLERS, CALLERS_CHANNEL, move || {
                stale.invalidate_all()
            })),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The caller named by a verified token, at `now`; errors as [`Principal::load`].
    pub async fn principal(
        &self,
        db: &Db,
        iin: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Arc<Principal>> {
        let epoch = self.epoch.current(db).await?;
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
        self.epoch.known()
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Keeps the epoch current while the cache lives (see [`EpochWatch::follow`]).
    pub fn watch(&self, db: Db, recheck: Duration) {
        self.epoch.follow(db, recheck);
    }
}
