//! Automatic persisted queries (the Apollo protocol): a dashboard sends the SHA-256 of its query
//! in `extensions.persistedQuery`; the first time the server does not know it, the client sends
//! the hash with the text, and from then on the hash alone.
//!
//! The text is restored before anything else reads the request, so limits, the audit trail
//! (query hash, operation) and execution see exactly what a full request would give them. A
//! text is remembered only once its request has passed the limits and validation (see
//! `/graphql`), in a cache bounded in bytes (`--persisted-query-bytes`) that evicts the least
//! recently used; each process keeps its own, and a process that has not seen a hash answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the text once more.

use std::sync::Arc;

use poem::http::StatusCode;
use serde::Deserialize;

use super::graphql_http::HttpRefusal;

/// Bytes of query text (and hashes) kept by default.
pub const DEFAULT_BYTES: u64 = 16 * 1024 * 1024;

/// The protocol version supported.
const VERSION: u64 = 1;

/// `extensions.persistedQuery` of a request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistedQuery {
    version: u64,
    sha256_hash: String,
}

impl PersistedQuery {
    /// The persisted-query extension of a request's `extensions`, if it has one.
    pub fn of(extensions: Option<&serde_json::Value>) -> Result<Option<Self>, HttpRefusal> {
        let Some(p) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(None);
        };
        serde_json::from_value(p.clone()).map(Some).map_err(|_| {
            refusal(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "`extensions.persistedQuery` needs `version` and `sha256Hash`",
            )
        })
    }
}

fn refusal(status: StatusCode, code: &'static str, message: &'static str) -> HttpRefusal {
    HttpRefusal {
        status,
        code,
        message,
    }
}

/// Known query texts by their SHA-256 (lower-case hex).
pub struct PersistedQueries {
    texts: moka::sync::Cache<String, Arc<str>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries::new(DEFAULT_BYTES)
    }
}

impl PersistedQueries {
    /// A cache of at most `bytes` of hashes and texts, least recently used evicted first.
    pub fn new(bytes: u64) -> PersistedQueries {
        PersistedQueries {
            texts: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|k: &String, v: &Arc<str>| {
                    u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX)
                })
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }

    /// Remembers `text` under `hash` (call only once the text passed the limits and
    /// validation).
    pub fn remember(&self, hash: String, text: &str) {
        self.texts.insert(hash, Arc::from(text));
    }

    /// Bytes held now (after pending evictions).
    pub fn weight(&self) -> u64 {
        self.texts.run_pending_tasks();
        self.texts.weighted_size()
    }

    /// The query text to run: `query` itself (its hash must match; the hash is returned to
    /// remember it under once it passed), or the text remembered for the hash.
    pub fn resolve(
        &self,
        persisted: &PersistedQuery,
        query: Option<String>,
    ) -> Result<(String, Option<String>), HttpRefusal> {
        if persisted.version != VERSION {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "only version 1 of persisted queries is supported",
            ));
        }
        let hash = persisted.sha256_hash.to_ascii_lowercase();
        match query.filter(|q| !q.is_empty()) {
            Some(text) => {
                if super::audit_trail::sha256(&text) != hash {
                    return Err(refusal(
                        StatusCode::BAD_REQUEST,
                        "PERSISTED_QUERY_HASH_MISMATCH",
                        "`sha256Hash` is not the SHA-256 of `query`",
                    ));
                }
                Ok((text, Some(hash)))
            }
            // Apollo clients recognise the message, others the code; 200 so that they read it.
            None => self
                .texts
                .get(&hash)
                .map(|t| (t.to_string(), None))
                .ok_or(refusal(
                    StatusCode::OK,
                    "PERSISTED_QUERY_NOT_FOUND",
                    "PersistedQueryNotFound",
                )),
        }
    }
}
