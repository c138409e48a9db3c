//! The access policy in force in this process: the newest revision published to the database
//! (`audit-hub policy publish`), or the policy the process started with while none is.
//!
//! A publication bumps the caller epoch (migration 0009), which every process already follows
//! to keep its cached callers exact (PostgreSQL notification, periodic re-read, or a read per
//! request on SQLite). So the policy is looked up again only when that epoch has moved: one
//! indexed row per change, none per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use arc_swap::ArcSwap;

use super::policy::{Policy, PolicyText};
use crate::error::{AppError, AppResult};
use crate::store::Db;
use crate::store::policies::{self, Revision};

/// Which policy governs, as `/readyz`, `/metrics` and `policy explain` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Governing {
    /// No revision is published: the policy the process started with.
    Startup,
    /// A published revision.
    Revision(i64),
    /// The newest revision cannot be used (its text does not compile, or does not match the
    /// hash it was published with): every request is refused until a good one is published.
    Broken(i64),
}

impl std::fmt::Display for Governing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Governing::Startup => write!(f, "start-up policy (no revision published)"),
            Governing::Revision(id) => write!(f, "revision {id}"),
            Governing::Broken(id) => write!(f, "revision {id} is unusable"),
        }
    }
}

/// A revision as last read: its number, the hash it was published with, and the hash of the
/// text it holds now (the two differ when the row was edited behind the hub's back).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    id: i64,
    published_sha256: String,
    text_sha256: String,
}

struct Loaded {
    seen: Option<Seen>,
    policy: Option<Arc<Policy>>,
}

/// The policy in force, kept current with the database's published revisions.
pub struct PolicyInForce {
    startup: Arc<Policy>,
    loaded: ArcSwap<Loaded>,
    /// The caller epoch at which the newest revision was last looked up (`i64::MIN`: never).
    checked: AtomicI64,
    /// One lookup at a time; requests arriving meanwhile wait for its answer.
    lookup: tokio::sync::Mutex<()>,
}

impl PolicyInForce {
    /// Governed by `startup` until a lookup finds a published revision.
    pub fn new(startup: Arc<Policy>) -> PolicyInForce {
        PolicyInForce {
            loaded: ArcSwap::from_pointee(Loaded {
                seen: None,
                policy: Some(startup.clone()),
            }),
            startup,
            checked: AtomicI64::new(i64::MIN),
            lookup: tokio::sync::Mutex::new(()),
        }
    }

    /// At start: looks the newest revision up at once, so that an unusable one stops the start
    /// with a message instead of refusing every request.
    pub async fn start(db: &Db, startup: Arc<Policy>, epoch: i64) -> anyhow::Result<PolicyInForce> {
        let p = PolicyInForce::new(startup);
        if let Err(e) = p.at(db, epoch).await {
            if let Governing::Broken(id) = p.governing() {
                anyhow::bail!(
                    "policy revision {id} in the database cannot be used (see the log above); publish a good one with `audit-hub policy publish`"
                );
            }
            return Err(e.into());
        }
        Ok(p)
    }

    /// The policy in force as of caller epoch `epoch`; looks the newest revision up when the
    /// epoch moved since the last lookup. `INTERNAL` while the newest revision is unusable.
    pub async fn at(&self, db: &Db, epoch: i64) -> AppResult<Arc<Policy>> {
        if self.checked.load(Ordering::Acquire) != epoch {
            let _one = self.lookup.lock().await;
            if self.checked.load(Ordering::Acquire) != epoch {
                // Looked up after `epoch` was read: a publication committed later bumps the
                // epoch again, and the next request looks again. The text is read whole (a few
                // kilobytes, once per epoch change) so that an edited row is noticed too.
                let latest = policies::latest(db).await?;
                let seen = latest.as_ref().map(|r| Seen {
                    id: r.id,
                    published_sha256: r.sha256.clone(),
                    text_sha256: text_of(r).sha256(),
                });
                if seen != self.loaded.load().seen {
                    self.loaded.store(Arc::new(self.load(latest, seen).await));
                }
                self.checked.store(epoch, Ordering::Release);
            }
        }
        self.current()
    }

    /// The policy last found in force, without a lookup.
    pub fn current(&self) -> AppResult<Arc<Policy>> {
        self.loaded
            .load()
            .policy
            .clone()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unusable policy revision")))
    }

    /// The policy the process started with (decides nothing once a revision is published; it
    /// stands in where a request is refused before any decision).
    pub fn startup(&self) -> Arc<Policy> {
        self.startup.clone()
    }

    /// Which policy governs.
    pub fn governing(&self) -> Governing {
        let loaded = self.loaded.load();
        match (&loaded.seen, &loaded.policy) {
            (None, _) => Governing::Startup,
            (Some(k), Some(_)) => Governing::Revision(k.id),
            (Some(k), None) => Governing::Broken(k.id),
        }
    }

    async fn load(&self, latest: Option<Revision>, seen: Option<Seen>) -> Loaded {
        let (Some(rev), Some(seen)) = (latest, seen) else {
            return Loaded {
                seen: None,
                policy: Some(self.startup.clone()),
            };
        };
        let policy = if seen.text_sha256 != seen.published_sha256 {
            tracing::error!(
                revision = rev.id,
                "policy revision does not match the hash it was published with; refusing requests"
            );
            None
        } else {
            match text_of(&rev).compile().await {
                Ok(p) => {
                    tracing::info!(revision = rev.id, source = %rev.source, "policy revision in force");
                    Some(Arc::new(p))
                }
                Err(e) => {
                    tracing::error!(revision = rev.id, error = %e, "policy revision cannot be loaded; refusing requests");
                    None
                }
            }
        };
        Loaded {
            seen: Some(seen),
            policy,
        }
    }
}

fn text_of(r: &Revision) -> PolicyText {
    PolicyText {
        model: r.model.clone(),
        rules: r.rules.clone(),
        source: r.source.clone(),
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// A new revision with this number now governs every process.
    New(i64),
    /// The newest revision already has this text: nothing was written.
    Unchanged(i64),
}

/// Publishes `text` as the policy in force for every process on `db`: checked first (a policy
/// that would not load is refused and nothing is written), then appended as a revision with an
/// audit event in one transaction.
pub async fn publish(
    db: &Db,
    text: &PolicyText,
    note: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Published> {
    text.compile().await?;
    let sha256 = text.sha256();
    // The same text again is no new revision, unless the newest row was edited since it was
    // published: then publishing is how it is repaired.
    if let Some(latest) = policies::latest(db).await?
        && latest.sha256 == sha256
        && text_of(&latest).sha256() == sha256
    {
        return Ok(Published::Unchanged(latest.id));
    }
    let mut tx = db.begin().await?;
    let id = policies::insert(
        &mut tx,
        &policies::NewRevision {
            model: &text.model,
            rules: &text.rules,
            sha256: &sha256,
            source: &text.source,
            note,
            published_at: at,
        },
    )
    .await?;
    let event = crate::audit::Event {
        at,
        operation: Some("policy publish".to_owned()),
        variables: Some(
            serde_json::json!({
                "revision": id,
                "sha256": sha256,
                "source": text.source,
                "note": note,
            })
            .to_string(),
        ),
        outcome: "OK".to_owned(),
        ..Default::default()
    };
    crate::audit::append(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Published::New(id))
}
