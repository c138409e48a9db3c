//! Requests validated once are not validated again: the same text, operation and variables
//! that passed every validation rule run on a twin of the schema whose validation step answers
//! at once.
//!
//! Validation is a pure function of the schema, the document, the operation's name and the
//! variables, so a request equal in all four passes again; running the rules a second time only
//! costs (a tenth of the server's instructions on a page of 100 budget lines, BENCHMARKS.md).
//! That includes the complexity and depth limits and the fragment-cycle rule, which execution
//! relies on: they are rules over the same four inputs, and the request passed them.
//! (async-graphql's fast mode still walked the document for them, a fortieth of the page's
//! instructions.) The key is the SHA-256 of the three request parts, each prefixed with its
//! length, so two requests share a key only if they are the same request. A request that failed
//! validation, or that was refused before it (parse errors, limits), is never remembered: it is
//! checked every time.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{CacheControl, Request, Response, ServerError, ValidationResult};
use sha2::{Digest, Sha256};

use super::AppSchema;
use super::limits::QueryLimits;

/// Default number of validated requests remembered (32 bytes of key each).
pub const DEFAULT_ENTRIES: u64 = 100_000;

/// The schema, its twin for requests validated before, and the keys of those requests.
#[derive(Clone)]
pub struct Validated {
    checked: AppSchema,
    trusted: AppSchema,
    seen: Option<moka::sync::Cache<[u8; 32], ()>>,
}

impl Validated {
    /// The schema with these limits, remembering at most `entries` validated requests (0:
    /// every request is validated).
    pub fn new(limits: &QueryLimits, entries: u64) -> Validated {
        Validated {
            checked: super::builder(limits).finish(),
            trusted: super::builder(limits).extension(Passed).finish(),
            seen: (entries > 0).then(|| moka::sync::Cache::new(entries)),
        }
    }

    /// The schema that validates every request.
    pub fn schema(&self) -> &AppSchema {
        &self.checked
    }

    /// Whether an equal request passed validation before.
    pub fn is_known(&self, request: &Request) -> bool {
        self.seen
            .as_ref()
            .is_some_and(|seen| key(request).is_some_and(|k| seen.contains_key(&k)))
    }

    /// Executes `request`, validating it unless an equal request passed validation before.
    pub async fn execute(&self, request: Request) -> Response {
        // Without a key (variables that would not serialize) the request is validated, as every
        // request is without the cache.
        let (Some(seen), Some(key)) = (&self.seen, key(&request)) else {
            return self.checked.execute(request).await;
        };
        if seen.contains_key(&key) {
            return self.trusted.execute(request).await;
        }
        let response = self.checked.execute(request).await;
        // Errors of execution carry a path; those of parsing, limits and validation do not.
        if response.errors.iter().all(|e| !e.path.is_empty()) {
            seen.insert(key, ());
        }
        response
    }
}

/// The validation step of the trusted twin: the request passed every rule before, unchanged.
struct Passed;

impl ExtensionFactory for Passed {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Passed)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Passed {
    async fn validation(
        &self,
        _ctx: &ExtensionContext<'_>,
        _next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // No type of this schema declares a cache policy, so every request's is the default;
        // the complexity and depth are read by no one after the limits were checked.
        Ok(ValidationResult {
            cache_control: CacheControl::default(),
            complexity: 0,
            depth: 0,
        })
    }
}

/// SHA-256 of the text, the operation's name and the variables, each prefixed by its length;
/// `None` when the variables do not serialize.
fn key(request: &Request) -> Option<[u8; 32]> {
    let variables = serde_json::to_vec(&request.variables).ok()?;
    let operation = request.operation_name.as_deref().map(str::as_bytes);
    let mut h = Sha256::new();
    for part in [
        Some(request.query.as_bytes()),
        operation,
        Some(variables.as_slice()),
    ] {
        match part {
            Some(bytes) => {
                h.update([1]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
            None => h.update([0]),
        }
    }
    Some(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use async_graphql::Variables;
    use serde_json::json;

    use super::*;

    fn request(text: &str, operation: Option<&str>, variables: serde_json::Value) -> Request {
        let r = Request::new(text).variables(Variables::from_json(variables));
        match operation {
            Some(name) => r.operation_name(name),
            None => r,
        }
    }

    #[tokio::test]
    async fn a_request_that_passed_runs_again_unvalidated_with_the_same_answer() {
        let v = Validated::new(&QueryLimits::default(), 100);
        let cases = [
            ("a plain query", request("{ __typename }", None, json!({}))),
            (
                "a named operation among two",
                request(
                    "query A { __typename } query B { t: __typename }",
                    Some("B"),
                    json!({}),
                ),
            ),
            (
                "a variable",
                request(
                    "query($t: String!) { __type(name: $t) { name } }",
                    None,
                    json!({ "t": "Query" }),
                ),
            ),
        ];
        for (name, r) in cases {
            let again = request(
                &r.query,
                r.operation_name.as_deref(),
                r.variables
                    .clone()
                    .into_value()
                    .into_json()
                    .unwrap_or_default(),
            );
            assert!(!v.is_known(&r), "{name}: known before it ran");
            let first = v.execute(r).await;
            assert!(first.errors.is_empty(), "{name}: {:?}", first.errors);
            assert!(v.is_known(&again), "{name}: remembered");
            let second = v.execute(again).await;
            assert_eq!(
                serde_json::to_string(&second).unwrap_or_default(),
                serde_json::to_string(&first).unwrap_or_default(),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_request_that_failed_is_validated_every_time() {
        let v = Validated::new(&QueryLimits::default(), 100);
        let cases = [
            (
                "an unknown field",
                request("{ noSuchField }", None, json!({})),
            ),
            ("a parse error", request("{ __typename ", None, json!({}))),
            (
                "a variable of the wrong type",
                request(
                    "query($t: String!) { __type(name: $t) { name } }",
                    None,
                    json!({ "t": 5 }),
                ),
            ),
            (
                "an unused variable",
                request("query Q($n: Int) { __typename }", Some("Q"), json!({})),
            ),
        ];
        for (name, r) in cases {
            let text = r.query.clone();
            let variables = r
                .variables
                .clone()
                .into_value()
                .into_json()
                .unwrap_or_default();
            let operation = r.operation_name.clone();
            for round in ["first", "again"] {
                let r = request(&text, operation.as_deref(), variables.clone());
                let response = v.execute(r).await;
                assert!(!response.errors.is_empty(), "{name}, {round}: passed");
                let r = request(&text, operation.as_deref(), variables.clone());
                assert!(!v.is_known(&r), "{name}, {round}: remembered");
            }
        }
        // Over a limit that validation checks (complexity), with the limit set low.
        let low = Validated::new(
            &QueryLimits {
                max_complexity: 2,
                ..QueryLimits::default()
            },
            100,
        );
        let complex = "{ __schema { queryType { name } } }";
        for round in ["first", "again"] {
            let response = low.execute(request(complex, None, json!({}))).await;
            assert!(
                response
                    .errors
                    .iter()
                    .any(|e| e.message.contains("too complex")),
                "too complex, {round}: {:?}",
                response.errors
            );
            assert!(
                !low.is_known(&request(complex, None, json!({}))),
                "too complex, {round}: remembered"
            );
        }
        // The same text with other variables is another request.
        let text = "query($t: String!) { __type(name: $t) { name } }";
        let good = request(text, None, json!({ "t": "Mutation" }));
        assert!(v.execute(good).await.errors.is_empty());
        let other = request(text, None, json!({ "t": "Query" }));
        assert!(!v.is_known(&other), "other variables");
    }
}
