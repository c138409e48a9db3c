//! Automatic persisted queries (the Apollo protocol): a dashboard sends the SHA-256 of its query
//! in `extensions.persistedQuery`; the first time the server does not know it, the client sends
//! the hash with the text, and from then on the hash alone.
//!
//! The text is restored before anything else reads the request, so limits, the audit trail
//! (query hash, operation) and execution see exactly what a full request would give them. Each
//! process keeps its own bounded cache; a process that has not seen a hash answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the text once more.

use std::sync::Arc;

use poem::http::StatusCode;
use serde::Deserialize;

use super::graphql_http::HttpRefusal;

/// Query texts kept at most (each at most the query-size limit).
const CAPACITY: u64 = 10_000;

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
        PersistedQueries {
            texts: moka::sync::Cache::new(CAPACITY),
        }
    }
}

impl PersistedQueries {
    /// The query text to run: `query` itself (remembered under its hash, which must match), or
    /// the text remembered for the hash.
    pub fn resolve(
        &self,
        persisted: &PersistedQuery,
        query: Option<String>,
    ) -> Result<String, HttpRefusal> {
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
                self.texts.insert(hash, Arc::from(text.as_str()));
                Ok(text)
            }
            // Apollo clients recognise the message, others the code; 200 so that they read it.
            None => self.texts.get(&hash).map(|t| t.to_string()).ok_or(refusal(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            )),
        }
    }
}
