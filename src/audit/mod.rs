//! The append-only, hash-chained audit trail: every event carries the SHA-256 of its own content
//! and of its predecessor's hash, so an edited, deleted, inserted or reordered event breaks the
//! chain at a point `audit verify` can name.

pub mod writer;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use crate::error::AppResult;
use crate::store::audit as store;
use crate::store::{Db, Tx};

/// The predecessor hash of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Event {
    /// When (truncated to microseconds, the precision both backends keep).
    pub at: DateTime<Utc>,
    /// The acting user.
    pub user_id: Option<i64>,
    /// The acting user's organization.
    pub organization_id: Option<i64>,
    /// Operation (e.g. the mutation's name).
    pub operation: Option<String>,
    /// SHA-256 of the query text.
    pub query_hash: Option<String>,
    /// Variables, as JSON (secrets redacted by the caller).
    pub variables: Option<String>,
    /// The scope applied, in words.
    pub scope: Option<String>,
    /// `OK` or an error code.
    pub outcome: String,
    /// Rows returned.
    pub rows_returned: Option<i64>,
    /// Duration in milliseconds.
    pub duration_ms: Option<i64>,
    /// Client address.
    pub client_addr: Option<String>,
    /// The request id (also in the response and the request's log lines).
    pub request_id: Option<String>,
    /// Whether the answer was served from the response cache (the data was read by an earlier
    /// request of the same permissions, at the same data epoch).
    pub served_from_cache: bool,
}

/// Largest variables text stored whole; a larger one is stored as its size and SHA-256.
pub const MAX_STORED_VARIABLES: usize = 16 * 1024;

impl Event {
    /// The event as the trail stores it: every text free of control characters and bidi marks
    /// (escaped, see [`crate::domain::text`]), bounded in length; variables over
    /// [`MAX_STORED_VARIABLES`] bytes kept as their length and SHA-256 only. A request cannot
    /// bloat the trail, forge a line in it, or store what a database refuses (NUL).
    pub fn cleaned(self) -> Event {
        use crate::domain::text::escaped_within;
        let bounded = |t: Option<String>, max: usize| t.map(|t| escaped_within(&t, max));
        let variables = self.variables.map(|v| {
            if v.len() > MAX_STORED_VARIABLES {
                use sha2::Digest;
                serde_json::json!({
                    "omitted": "larger than the trail keeps",
                    "bytes": v.len(),
                    "sha256": hex::encode(sha2::Sha256::digest(v.as_bytes())),
                })
                .to_string()
            } else {
                crate::domain::text::escaped(&v).into_owned()
            }
        });
        Event {
            operation: bounded(self.operation, 200),
            query_hash: bounded(self.query_hash, 64),
            variables,
            scope: bounded(self.scope, 4096),
            outcome: escaped_within(&self.outcome, 64),
            client_addr: bounded(self.client_addr, 64),
            request_id: bounded(self.request_id, 64),
            ..self
        }
    }
}

/// A stored event: its content, its place in the chain and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// What was recorded.
    #[sqlx(flatten)]
    pub event: Event,
    /// Predecessor's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The hash of an event's content at `seq` after `prev_hash`.
pub fn hash(seq: i64, e: &Event, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.user_id,
        e.organization_id,
        e.operation,
        e.query_hash,
        e.variables,
        e.scope,
        e.outcome,
        e.rows_returned,
        e.duration_ms,
        e.client_addr,
        prev_hash,
    ]);
    // Events written before request ids (or the response cache) existed hash as they always
    // did: each later field is appended only when it holds something.
    let canonical = match (&e.request_id, canonical) {
        (Some(id), serde_json::Value::Array(mut items)) => {
            items.push(id.clone().into());
            serde_json::Value::Array(items)
        }
        (_, c) => c,
    };
    let canonical = match (e.served_from_cache, canonical) {
        (true, serde_json::Value::Array(mut items)) => {
            items.push(serde_json::json!({ "servedFromCache": true }));
            serde_json::Value::Array(items)
        }
        (_, c) => c,
    };
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Appends an event inside `tx`; the event lands with the step it records or not at all.
///
/// Appends are serialized: PostgreSQL takes a transaction-level advisory lock; SQLite allows one
/// writer at a time and the callers append after their own writes, so the lock is already held.
pub async fn append(tx: &mut Tx, event: Event) -> AppResult<i64> {
    let seqs = append_all(tx, vec![event]).await?;
    seqs.first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no sequence number for the appended event").into())
}

/// Appends events in order inside `tx` (serialized as [`append`]); their sequence numbers.
/// The chain is computed here from one read of its head and written with multi-row inserts,
/// so a batch costs a few statements whatever its size.
pub async fn append_all(tx: &mut Tx, events: Vec<Event>) -> AppResult<Vec<i64>> {
    Ok(append_all_chained(tx, events)
        .await?
        .iter()
        .map(|e| e.seq)
        .collect())
}

/// As [`append_all`], giving back the events as stored (their numbers and hashes).
pub async fn append_all_chained(tx: &mut Tx, events: Vec<Event>) -> AppResult<Vec<StoredEvent>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head = store::lock_and_head(tx)
        .await?
        .unwrap_or_else(|| (0, GENESIS.to_owned()));
    let chained = chain(head, events);
    store::insert(tx, chained.clone()).await?;
    Ok(chained)
}

/// Appends events chained to `head` (the newest event's number and hash, as its writer last
/// stored it) in one statement, if the head is still that one; `None`, with nothing written,
/// when it has moved (another writer appended) or the backend appends only in transactions.
pub async fn append_after(
    db: &Db,
    head: (i64, String),
    events: Vec<Event>,
) -> AppResult<Option<Vec<StoredEvent>>> {
    let (seq, hash) = head.clone();
    let chained = chain(head, events);
    Ok(store::append_after(db, (seq, &hash), &chained)
        .await?
        .then_some(chained))
}

/// `events` cleaned and chained after `head`.
fn chain((mut seq, mut prev): (i64, String), events: Vec<Event>) -> Vec<StoredEvent> {
    let mut chained = Vec::with_capacity(events.len());
    for event in events {
        let mut event = event.cleaned();
        event.at = event
            .at
            .duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(event.at);
        seq += 1;
        let h = hash(seq, &event, &prev);
        chained.push(StoredEvent {
            seq,
            event,
            prev_hash: std::mem::replace(&mut prev, h.clone()),
            hash: h,
        });
    }
    chained
}

/// Why the chain is broken, at the first bad event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An event's content no longer matches its hash (edited).
    #[error("event {seq}: content does not match its hash (edited)")]
    Edited {
        /// The event.
        seq: i64,
    },
    /// An event does not follow its predecessor (deleted, inserted or reordered before it).
    #[error(
        "event {seq}: does not follow event {previous} (an event was deleted, inserted or reordered)"
    )]
    Broken {
        /// The event.
        seq: i64,
        /// The event before it in the table.
        previous: i64,
    },
    /// An anchored event is gone: the trail was cut back (its newest events deleted).
    #[error("event {seq}: missing, though anchored (the newest events were deleted)")]
    Truncated {
        /// The anchored event.
        seq: i64,
    },
    /// An anchored event has another hash than the anchor recorded.
    #[error("event {seq}: its hash differs from the anchor (the trail was rewritten)")]
    AnchorMismatch {
        /// The anchored event.
        seq: i64,
    },
    /// The first event checked does not start the chain.
    #[error("event {seq}: the chain does not start here (events before it are missing or altered)")]
    BadStart {
        /// The event.
        seq: i64,
    },
}

/// The newest event's number and hash: an anchor to keep outside the database (a signed log, a
/// printed report), so that deleting the newest events — which leaves a valid shorter chain —
/// is caught by [`check_anchor`].
pub async fn head(db: &Db) -> AppResult<Option<(i64, String)>> {
    store::head(db).await
}

/// Checks that event `seq` is still in the trail with `hash` (an anchor taken by [`head`]).
pub async fn check_anchor(db: &Db, seq: i64, hash: &str) -> AppResult<Result<(), ChainError>> {
    Ok(match store::hash_of(db, seq).await? {
        None => Err(ChainError::Truncated { seq }),
        Some(stored) if stored != hash => Err(ChainError::AnchorMismatch { seq }),
        Some(_) => Ok(()),
    })
}

/// Verifies the chain from `from` (1 = the start); returns how many events were checked.
pub async fn verify(db: &Db, from: i64) -> AppResult<Result<u64, ChainError>> {
    let mut checked = 0u64;
    let mut prev: Option<StoredEvent> = None;
    if from > 1 {
        prev = store::before(db, from).await?;
    }
    let mut after = from - 1;
    loop {
        // Pages keep memory flat however long the trail is.
        let page = store::page_after(db, after, 5000).await?;
        if page.is_empty() {
            return Ok(Ok(checked));
        }
        for e in page {
            let content = &e.event;
            if hash(e.seq, content, &e.prev_hash) != e.hash {
                return Ok(Err(ChainError::Edited { seq: e.seq }));
            }
            match &prev {
                None if e.seq != 1 || e.prev_hash != GENESIS => {
                    return Ok(Err(ChainError::BadStart { seq: e.seq }));
                }
                Some(p) if e.seq != p.seq + 1 || e.prev_hash != p.hash => {
                    return Ok(Err(ChainError::Broken {
                        seq: e.seq,
                        previous: p.seq,
                    }));
                }
                _ => {}
            }
            checked += 1;
            after = e.seq;
            prev = Some(e);
        }
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only this user's.
    pub user_id: Option<i64>,
    /// Only this organization's users'.
    pub organization_id: Option<i64>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Only these outcomes (`OK`, `FORBIDDEN`, ...).
    pub outcomes: Option<Vec<String>>,
    /// Only the event of this request id.
    pub request_id: Option<String>,
}
