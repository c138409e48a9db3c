//! The scoped response cache: answers to data queries, shared by callers with equal data
//! permissions, each valid only while the data it shows is unchanged.
//!
//! An answer is cached when the request is a query whose root fields read budget, object,
//! document and organization data only ([`crate::graphql::cacheable`]) and it came out without
//! errors. Its key is the SHA-256 of:
//! - the caller's [`DataFingerprint`] (the budget scope and organization rows, decided in
//!   `authz/`): two auditors of one body share answers, two bodies never do;
//! - the language, the operation name, the query text and the variables;
//! - the **data epoch** (migration 0015: bumped by every write of budget, object, document or
//!   reference data, by trigger, in the writing transaction) and the caller epoch (organizations,
//!   whose names and keys answers use, bump it). On the primary they are the epochs this process
//!   knows: read per request on SQLite; on PostgreSQL followed by notification (so an answer may
//!   outlive its data by the notification's delay, or by `--caller-recheck` if one is lost, as a
//!   cached caller may), and read again after the process's own writes. On a replica both are
//!   read from the replica per request: they arrive there with the data they describe.
//!
//! Both epochs are taken before the query runs, so an answer holds data at least as new as its
//! key says. Memory is bounded in bytes; a hit is still recorded in the audit trail, marked
//! `servedFromCache`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::authz::permissions::DataFingerprint;
use crate::domain::lang::Lang;
use crate::store::Db;
use crate::store::epoch_watch::EpochWatch;
use crate::store::epochs::{self, CALLERS, DATA, DATA_CHANNEL};

/// Default memory bound of the cache, in bytes (`--response-cache-bytes`).
pub const DEFAULT_BYTES: u64 = 64 * 1024 * 1024;

/// Bookkeeping counted per entry beside its body (key, pointers, the map's own slot).
const ENTRY_OVERHEAD: u64 = 128;

/// A cache key: the SHA-256 of everything an answer depends on.
pub type Key = [u8; 32];

/// One cached answer.
pub struct Cached {
    /// The serialized GraphQL response (`{"data": ...}`, no errors).
    pub body: bytes::Bytes,
    /// Rows it returned, for the audit event of a hit.
    pub rows: Option<i64>,
}

/// Answers by key, within a byte bound.
pub struct ResponseCache {
    entries: Option<moka::sync::Cache<Key, Arc<Cached>>>,
    max_bytes: u64,
    /// The largest answer kept: an eighth of the bound, so one answer never empties the cache.
    max_entry: u64,
    /// The data epoch of the primary as this process knows it; a newer one empties the cache.
    data: Arc<EpochWatch>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a request needs to look its answer up, or to keep it.
pub struct Request<'a> {
    /// The caller's data fingerprint.
    pub fingerprint: DataFingerprint,
    /// The language answers are written in.
    pub lang: Lang,
    /// The caller epoch the caller was resolved at.
    pub callers_epoch: i64,
    /// The GraphQL request.
    pub request: &'a async_graphql::Request,
}

impl ResponseCache {
    /// A cache of at most `max_bytes` (0: off).
    pub fn new(max_bytes: u64) -> ResponseCache {
        let entries = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &Key, c: &Arc<Cached>| {
                    u32::try_from(c.body.len() as u64 + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
                })
                .build()
        });
        let stale = entries.clone();
        ResponseCache {
            entries,
            max_bytes,
            max_entry: max_bytes / 8,
            data: Arc::new(EpochWatch::new(DATA, DATA_CHANNEL, move || {
                if let Some(e) = &stale {
                    e.invalidate_all();
                }
            })),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The memory bound, in bytes (0: off).
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Whether answers are cached at all.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Keeps the primary's data epoch current (see [`EpochWatch::follow`]).
    pub fn follow(&self, db: Db, recheck: Duration) {
        if self.enabled() {
            self.data.follow(db, recheck);
        }
    }

    /// The key of `r` when its data is read from `reads`: the primary `db` (the data epoch as
    /// this process follows it, the caller epoch the caller was resolved at) or a replica (both
    /// epochs as the replica holds them, read now: its data and its organizations arrive with
    /// them). `None` when the variables cannot be written out to be hashed.
    pub async fn key(
        &self,
        db: &Db,
        reads: &Db,
        r: &Request<'_>,
    ) -> Result<Option<Key>, sqlx::Error> {
        let (data_epoch, callers_epoch) = if reads.same_pool(db) {
            (self.data.current(db).await?, r.callers_epoch)
        } else {
            let [data, callers] = epochs::current_all(reads, [DATA, CALLERS]).await?;
            (data, callers)
        };
        let Ok(variables) = serde_json::to_vec(&r.request.variables) else {
            return Ok(None);
        };
        let mut h = Sha256::new();
        let mut part = |bytes: &[u8]| {
            // Length-prefixed, so no two different requests hash the same concatenation.
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        part(&r.fingerprint);
        part(r.lang.pick("kk", "ru", "en").as_bytes());
        part(&data_epoch.to_le_bytes());
        part(&callers_epoch.to_le_bytes());
        part(r.request.operation_name.as_deref().unwrap_or("").as_bytes());
        part(r.request.query.as_bytes());
        part(&variables);
        Ok(Some(h.finalize().into()))
    }

    /// The answer kept under `key`, counting a hit or a miss.
    pub fn get(&self, key: &Key) -> Option<Arc<Cached>> {
        let found = self.entries.as_ref().and_then(|e| e.get(key));
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `body` (an answer without errors) under `key`, unless it is too large.
    pub fn put(&self, key: Key, body: bytes::Bytes, rows: Option<i64>) {
        if let Some(entries) = &self.entries
            && body.len() as u64 <= self.max_entry
        {
            entries.insert(key, Arc::new(Cached { body, rows }));
        }
    }

    /// (hits, misses, entries, bytes held) so far.
    pub fn stats(&self) -> (u64, u64, u64, u64) {
        let (entries, bytes) = self
            .entries
            .as_ref()
            .map(|e| (e.entry_count(), e.weighted_size()))
            .unwrap_or_default();
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        )
    }
}
