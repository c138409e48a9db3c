//! The per-process set of revoked token ids, kept exact by the caller epoch: a logout through
//! any server bumps it, and the set is read again the next time a request sees the new epoch.

use std::collections::HashSet;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use crate::error::AppResult;
use crate::store::{Db, tokens};

struct Loaded {
    epoch: i64,
    ids: HashSet<String>,
}

/// Revoked token ids as of a caller epoch.
pub struct RevokedTokens {
    loaded: ArcSwap<Option<Loaded>>,
}

impl Default for RevokedTokens {
    fn default() -> Self {
        RevokedTokens {
            loaded: ArcSwap::from_pointee(None),
        }
    }
}

impl RevokedTokens {
    /// Whether `jti` was revoked, judged at the caller `epoch` the request was resolved at.
    pub async fn contains(
        &self,
        db: &Db,
        jti: &str,
        epoch: i64,
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        if let Some(l) = self.loaded.load().as_ref()
            && l.epoch == epoch
        {
            return Ok(l.ids.contains(jti));
        }
        let ids: HashSet<String> = tokens::revoked(db, now).await?.into_iter().collect();
        let found = ids.contains(jti);
        self.loaded.store(Arc::new(Some(Loaded { epoch, ids })));
        Ok(found)
    }
}
