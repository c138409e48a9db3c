//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format: requests by operation
//! and outcome, their latency, the audit trail's append latency and queue, database connections,
//! the caller cache, the response cache, and grants by state.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use poem::web::Data;
use poem::{Response, handler};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::authz::in_force::Governing;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;

/// Distinct operation names kept as labels; later new names count as `other`. Operation names
/// come from clients, so without a bound they could grow the registry without end.
const MAX_OPERATIONS: usize = 200;

/// One request's operation and outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// GraphQL operation name (or `GET /documents`, ...), or `other`.
    pub operation: String,
    /// The audit outcome: `OK` or an error code.
    pub outcome: String,
}

/// A request's operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    /// As in [`RequestLabels`].
    pub operation: String,
}

/// A labelled state (connections, grants, cache results).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The state.
    pub state: String,
}

type Latencies = Family<OperationLabel, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latencies,
    audit_append: Histogram,
    audit_queue: Gauge,
    audit_batches: Family<StateLabel, Gauge>,
    connections: Family<StateLabel, Gauge>,
    caller_cache: Family<StateLabel, Gauge>,
    response_cache: Family<StateLabel, Gauge>,
    response_cache_bytes: Gauge,
    response_cache_entries: Gauge,
    grants: Family<StateLabel, Gauge>,
    policy_revision: Gauge,
    replica_lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    replica_serving: Gauge,
    operations: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Empty metrics, registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("audit_hub");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Latencies::new_with_constructor(latency_histogram);
        let audit_append = latency_histogram();
        let audit_queue = Gauge::default();
        let audit_batches = Family::<StateLabel, Gauge>::default();
        let connections = Family::<StateLabel, Gauge>::default();
        let caller_cache = Family::<StateLabel, Gauge>::default();
        let response_cache = Family::<StateLabel, Gauge>::default();
        let response_cache_bytes = Gauge::default();
        let response_cache_entries = Gauge::default();
        let grants = Family::<StateLabel, Gauge>::default();
        let policy_revision = Gauge::default();
        let replica_lag = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let replica_serving = Gauge::default();
        registry.register(
            "replica_lag_seconds",
            "How far the read replica is behind the primary at the last measurement (-1: unknown or no replica)",
            replica_lag.clone(),
        );
        registry.register(
            "replica_serving",
            "1 while the read replica serves scoped reads (within its lag bound), 0 while they go to the primary",
            replica_serving.clone(),
        );
        registry.register(
            "requests",
            "Requests answered, by operation and outcome",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from arrival to answer, by operation",
            latency.clone(),
        );
        registry.register(
            "audit_append_seconds",
            "Time a request waited for its audit event to be committed",
            audit_append.clone(),
        );
        registry.register(
            "audit_queue_events",
            "Audit events waiting to be written",
            audit_queue.clone(),
        );
        registry.register(
            "audit_batches",
            "Audit batches written since start, by how (after_head: in one statement after the head this server last wrote; locked: in a transaction that read the head under the lock)",
            audit_batches.clone(),
        );
        registry.register(
            "db_connections",
            "Pooled database connections by state (in_use, idle)",
            connections.clone(),
        );
        registry.register(
            "caller_cache_lookups",
            "Callers served from the cache (hit) or loaded from the database (miss) since start",
            caller_cache.clone(),
        );
        registry.register(
            "response_cache_lookups",
            "Answers to data queries served from the response cache (hit) or read from the database (miss) since start",
            response_cache.clone(),
        );
        registry.register(
            "response_cache_bytes",
            "Memory held by the response cache's answers",
            response_cache_bytes.clone(),
        );
        registry.register(
            "response_cache_entries",
            "Answers held by the response cache",
            response_cache_entries.clone(),
        );
        registry.register(
            "grants",
            "Access grants by state today (ACTIVE, AWAITING_TRAINING, NOT_YET_VALID, EXPIRED, REVOKED)",
            grants.clone(),
        );
        registry.register(
            "policy_revision",
            "The published policy revision this process decides by (0: its start-up policy; negative: the newest revision, unusable, so requests are refused)",
            policy_revision.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            audit_append,
            audit_queue,
            audit_batches,
            connections,
            caller_cache,
            response_cache,
            response_cache_bytes,
            response_cache_entries,
            grants,
            policy_revision,
            replica_lag,
            replica_serving,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// Counts one answered request.
    pub fn request(&self, operation: Option<&str>, outcome: &str, took: Duration) {
        let operation = self.operation_label(operation);
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                outcome: outcome.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabel { operation })
            .observe(took.as_secs_f64());
    }

    /// Records how long a request waited for its audit event.
    pub fn audit_append(&self, took: Duration) {
        self.audit_append.observe(took.as_secs_f64());
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        // Door names and GraphQL names only: nothing a label could break out of.
        let label_safe = |n: &&str| {
            !n.is_empty()
                && n.len() <= 100
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | '/' | '.' | '-'))
        };
        let Some(name) = operation.filter(label_safe) else {
            return "other".to_owned();
        };
        let Ok(mut known) = self.operations.lock() else {
            return "other".to_owned();
        };
        if known.contains(name) {
            return name.to_owned();
        }
        if known.len() < MAX_OPERATIONS {
            known.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }

    /// The exposition text, with the gauges read now.
    pub async fn render(&self, state: &AppState) -> String {
        let (size, idle) = state.db.pool_usage();
        let set = |family: &Family<StateLabel, Gauge>, label: &str, value: i64| {
            family
                .get_or_create(&StateLabel {
                    state: label.to_owned(),
                })
                .set(value);
        };
        set(
            &self.connections,
            "in_use",
            i64::from(size).saturating_sub(idle as i64),
        );
        set(&self.connections, "idle", idle as i64);
        let (hits, misses) = state.callers.stats();
        set(&self.caller_cache, "hit", hits as i64);
        set(&self.caller_cache, "miss", misses as i64);
        let (hits, misses, entries, bytes) = state.response_cache.stats();
        set(&self.response_cache, "hit", hits as i64);
        set(&self.response_cache, "miss", misses as i64);
        self.response_cache_entries.set(entries as i64);
        self.response_cache_bytes.set(bytes as i64);
        self.audit_queue.set(state.audit.pending() as i64);
        let (after_head, locked) = state.audit.batches();
        set(&self.audit_batches, "after_head", after_head as i64);
        set(&self.audit_batches, "locked", locked as i64);
        self.policy_revision.set(match state.policy.governing() {
            Governing::Startup => 0,
            Governing::Revision(id) => id,
            Governing::Broken(id) => -id,
        });
        let health = &state.replica_health;
        let replica = state.read_replica.is_some();
        self.replica_lag.set(match health.lag() {
            Some(lag) if replica => lag.as_secs_f64(),
            _ => -1.0,
        });
        self.replica_serving.set(i64::from(
            replica && health.state() == super::replica::ReplicaState::Serving,
        ));
        let today = crate::authz::principal::local_day(state.clock.now());
        match crate::authz::principal::grant_counts(&state.db, today).await {
            Ok(counts) => {
                for (status, n) in counts {
                    set(&self.grants, status.as_str(), n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "counting grants for metrics failed"),
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }
}

/// `GET /metrics`.
#[handler]
pub async fn metrics(Data(state): Data<&AppState>) -> Response {
    let body = state.metrics.render(state).await;
    Response::builder()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body)
}

/// The operation names the product's own documents define (the playground's examples and the
/// admin console's operations): labels for any caller. Other names count under their own label
/// only for authenticated callers, so anonymous requests cannot use up the label slots.
pub fn shipped(name: &str) -> bool {
    static NAMES: std::sync::LazyLock<HashSet<String>> = std::sync::LazyLock::new(|| {
        let admin: std::collections::BTreeMap<String, String> =
            serde_json::from_str(super::admin::OPERATIONS).unwrap_or_default();
        super::playground::EXAMPLES
            .iter()
            .map(|e| e.query)
            .chain(admin.values().map(String::as_str))
            .filter_map(|q| async_graphql::parser::parse_query(q).ok())
            .flat_map(|doc| {
                doc.operations
                    .iter()
                    .filter_map(|(name, _)| name.map(|n| n.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    NAMES.contains(name)
}
