//! Building the audit event of an HTTP request: who, from where, under which scope, what.

use async_graphql::parser::types::ExecutableDocument;
use poem::Request;
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::Caller;
use crate::audit::Event;

/// Variable names whose values never reach the trail.
const SECRET_WORDS: [&str; 5] = ["token", "password", "secret", "signature", "key"];

/// Hex SHA-256 of a text.
pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The operation's name when the document names it (`query RegionDashboard { ... }`), else the
/// first root field of the first operation, for requests that send no `operationName`.
pub fn operation_of(query: &str) -> String {
    match async_graphql::parser::parse_query(query) {
        Ok(doc) => operation_in(&doc),
        Err(_) => "anonymous".to_owned(),
    }
}

/// [`operation_of`] for a document already parsed (the request's own, usually from the cache of
/// parsed documents): parsing the text again cost as much as a small page's rows.
pub fn operation_in(doc: &ExecutableDocument) -> String {
    doc.operations
        .iter()
        .next()
        .and_then(|(name, op)| {
            if let Some(name) = name {
                return Some(name.to_string());
            }
            op.node
                .selection_set
                .node
                .items
                .iter()
                .find_map(|s| match &s.node {
                    async_graphql::parser::types::Selection::Field(f) => {
                        Some(f.node.name.node.to_string())
                    }
                    _ => None,
                })
        })
        .unwrap_or_else(|| "anonymous".to_owned())
}

fn redact(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                    *val = serde_json::Value::String("***".to_owned());
                } else {
                    redact(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The variables as JSON, secrets redacted.
pub fn redacted(vars: &async_graphql::Variables) -> String {
    let mut v = serde_json::to_value(vars).unwrap_or(serde_json::Value::Null);
    redact(&mut v);
    v.to_string()
}

/// An event for this request with the caller's identity, scope and address filled in.
pub fn request_event(state: &AppState, req: &Request, caller: &Caller) -> Event {
    let (user_id, organization_id) = match caller.caller() {
        Ok(p) => (Some(p.user.id), Some(p.organization.id)),
        Err(_) => (None, None),
    };
    let scope = match caller.budget() {
        Ok(s) => s.describe(),
        Err(e) => format!("none ({})", e.code().as_str()),
    };
    Event {
        user_id,
        organization_id,
        scope: Some(scope),
        ..base_event(state, req)
    }
}

/// An event for this request with its time, address and request id; the caller fills in the
/// rest.
pub fn base_event(state: &AppState, req: &Request) -> Event {
    Event {
        at: state.clock.now(),
        client_addr: Some(req.remote_addr().to_string()),
        request_id: super::request_id::current(),
        outcome: "OK".to_owned(),
        ..Default::default()
    }
}
