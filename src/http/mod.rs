//! HTTP routes: `/graphql`, `/playground`, `/healthz`, `/readyz`, and document downloads.

pub mod admin;
pub mod audit_trail;
pub mod auth;
pub mod documents;
pub mod export;
pub mod export_follow_up;
pub mod export_slots;
pub mod export_xlsx;
pub mod gate;
pub mod graphql_http;
pub mod login;
pub mod metrics;
pub mod persisted;
pub mod playground;
pub mod rate_limit;
pub mod replica;
pub mod request_id;
pub mod response_cache;

use poem::http::Method;
use poem::http::{StatusCode, header};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, Cors};
use poem::web::Data;
use poem::{EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};

use std::sync::Arc;

use crate::audit::writer::AuditWriter;
use crate::authz::callers::CallerCache;
use crate::authz::certificate::TrustAnchors;
use crate::authz::in_force::{Governing, PolicyInForce};
use crate::authz::policy::Policy;
use crate::authz::token::TokenKeys;
use crate::clock::Clock;
use crate::config::ServerLimits;
use crate::domain::lang::Lang;
use crate::error::{AppError, ErrorCode};
use crate::graphql::validated::Validated;
use crate::graphql::{AppSchema, RequestCtx, build_anonymous_schema};
use crate::store::Db;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The GraphQL schema (requests validated before are not validated again).
    pub schema: Validated,
    /// The same schema without field suggestions, for anonymous callers.
    pub anonymous_schema: AppSchema,
    /// The access policy in force (the newest published revision, else the start-up policy).
    pub policy: Arc<PolicyInForce>,
    /// Token signing keys.
    pub keys: TokenKeys,
    /// The clock grants are judged by.
    pub clock: Clock,
    /// Certification authorities trusted for certificate login (none: login disabled).
    pub trust_anchors: Option<Arc<TrustAnchors>>,
    /// Whether operator-issued tokens are accepted outside demo mode (`--allow-operator-tokens`).
    pub allow_operator_tokens: bool,
    /// Tokens revoked by a logout, as of the caller epoch.
    pub revoked_tokens: Arc<crate::authz::revoked_tokens::RevokedTokens>,
    /// Revocation lists sign-in checks certificates against (none: revocation is not checked).
    pub revocation: Option<Arc<crate::authz::revocation::Revocation>>,
    /// The OCSP responder sign-in asks (none: not asked).
    pub ocsp: Option<Arc<crate::authz::ocsp::Ocsp>>,
    /// Lifetime of tokens issued by certificate login.
    pub token_ttl: std::time::Duration,
    /// Demo mode: the playground may hand out tokens for the demo users. Never on in production.
    pub demo: bool,
    /// Where the office console finds NCALayer on the operator's computer (its WebSocket).
    pub ncalayer: Arc<str>,
    /// Records one event per request before the response leaves.
    pub audit: AuditWriter,
    /// Request limits (shape, size, time, rate, CORS).
    pub limits: Arc<ServerLimits>,
    /// The per-caller rate limit (`None`: off).
    pub rate_limit: Option<Arc<rate_limit::RateLimit>>,
    /// Resolved callers, valid while the database's caller epoch is unchanged.
    pub callers: Arc<CallerCache>,
    /// Parsed query documents by text.
    pub documents: Arc<crate::graphql::parsed::ParsedDocuments>,
    /// Answers to data queries, valid while the data and caller epochs are unchanged.
    pub response_cache: Arc<response_cache::ResponseCache>,
    /// How often the caches re-read their epochs besides notifications.
    epoch_recheck: std::time::Duration,
    /// A read replica for scoped data reads (`None`: they go to `db`).
    pub read_replica: Option<Db>,
    /// The replica's lag and its bound: past it, reads go to `db`.
    pub replica_health: Arc<replica::ReplicaHealth>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Query texts of automatic persisted queries, by hash.
    pub persisted: Arc<persisted::PersistedQueries>,
    /// Room for line exports in progress: each holds a pooled connection for its snapshot, so
    /// at most a quarter of the pool (at least one) may be taken by exports, and each caller
    /// may run `limits.exports_per_caller` at once.
    pub exports: Arc<export_slots::ExportSlots>,
}

/// Line exports that may run at once over `db`.
fn export_slots(db: &Db) -> usize {
    usize::try_from(db.max_connections() / 4)
        .unwrap_or(1)
        .max(1)
}

/// How often a server re-reads the caller epoch in case a change notification was lost.
pub const DEFAULT_CALLER_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a cached caller is kept at most (memory bound; validity is the epoch's business).
const CALLER_TTL: std::time::Duration = std::time::Duration::from_secs(300);

fn response_cache(
    db: &Db,
    max_bytes: u64,
    recheck: std::time::Duration,
) -> Arc<response_cache::ResponseCache> {
    let cache = Arc::new(response_cache::ResponseCache::new(max_bytes));
    cache.follow(db.clone(), recheck);
    cache
}

fn caller_cache(db: &Db, recheck: std::time::Duration) -> Arc<CallerCache> {
    let cache = Arc::new(CallerCache::new(CALLER_TTL));
    cache.watch(db.clone(), recheck);
    cache
}

impl AppState {
    /// State over `db` with a fresh schema and the default [`ServerLimits`].
    pub fn new(db: Db, policy: Arc<Policy>, keys: TokenKeys, clock: Clock) -> AppState {
        let (schema, anonymous_schema, rate_limit, limits) = limited(ServerLimits::default());
        AppState {
            audit: AuditWriter::spawn(db.clone()),
            callers: caller_cache(&db, DEFAULT_CALLER_RECHECK),
            documents: Arc::default(),
            response_cache: response_cache(
                &db,
                response_cache::DEFAULT_BYTES,
                DEFAULT_CALLER_RECHECK,
            ),
            epoch_recheck: DEFAULT_CALLER_RECHECK,
            read_replica: None,
            replica_health: Arc::new(replica::ReplicaHealth::new(replica::DEFAULT_MAX_LAG)),
            metrics: Arc::new(metrics::Metrics::new()),
            persisted: Arc::default(),
            exports: Arc::new(export_slots::ExportSlots::new(
                export_slots(&db),
                export_slots::DEFAULT_PER_CALLER,
            )),
            db,
            schema,
            anonymous_schema,
            policy: Arc::new(PolicyInForce::new(policy)),
            keys,
            clock,
            trust_anchors: None,
            revocation: None,
            ocsp: None,
            allow_operator_tokens: false,
            revoked_tokens: Arc::default(),
            token_ttl: std::time::Duration::from_secs(8 * 3600),
            demo: false,
            ncalayer: Arc::from(admin::NCALAYER),
            rate_limit,
            limits,
        }
    }

    /// The same state with these limits (the schemas are rebuilt with the query limits).
    pub fn with_limits(mut self, limits: ServerLimits) -> AppState {
        // A kept document passed the text limits it was parsed under: other limits start with
        // none kept.
        self.documents = Arc::default();
        self.persisted = Arc::new(persisted::PersistedQueries::new(
            limits.persisted_query_bytes,
        ));
        self.exports = Arc::new(export_slots::ExportSlots::new(
            export_slots(self.reads()),
            limits.exports_per_caller,
        ));
        (
            self.schema,
            self.anonymous_schema,
            self.rate_limit,
            self.limits,
        ) = limited(limits);
        self
    }

    /// The same state sending scoped data reads (budgets, objects, documents, organizations) to a
    /// read replica. Callers, grants, workflow, the audit trail and every write stay on the
    /// primary, so a block or a grant never waits for replication.
    pub fn with_read_replica(mut self, replica: Db) -> AppState {
        self.exports = Arc::new(export_slots::ExportSlots::new(
            export_slots(&replica),
            self.limits.exports_per_caller,
        ));
        self.read_replica = Some(replica);
        self
    }

    /// The same state holding the replica's lag to `max_lag`.
    pub fn with_replica_max_lag(mut self, max_lag: std::time::Duration) -> AppState {
        self.replica_health = Arc::new(replica::ReplicaHealth::new(max_lag));
        self
    }

    /// Where scoped data reads go: the replica while its lag is known and within the bound,
    /// else the primary.
    pub fn reads(&self) -> &Db {
        match &self.read_replica {
            Some(replica) if self.replica_health.state() == replica::ReplicaState::Serving => {
                replica
            }
            _ => &self.db,
        }
    }

    /// The same state re-reading the caller and data epochs every `recheck` (besides
    /// notifications).
    pub fn with_caller_recheck(mut self, recheck: std::time::Duration) -> AppState {
        self.epoch_recheck = recheck;
        self.callers = caller_cache(&self.db, recheck);
        self.response_cache = response_cache(&self.db, self.response_cache.max_bytes(), recheck);
        self
    }

    /// The same state caching answers to data queries within `max_bytes` (0: no cache).
    pub fn with_response_cache(mut self, max_bytes: u64) -> AppState {
        self.response_cache = response_cache(&self.db, max_bytes, self.epoch_recheck);
        self
    }

    /// The same state governed by `policy` (the server's, looked up at start).
    pub fn with_policy(mut self, policy: Arc<PolicyInForce>) -> AppState {
        self.policy = policy;
        self
    }

    /// Whether a token an operator issued serves requests: in demo mode, or when the server was
    /// started with `--allow-operator-tokens`.
    pub fn accepts_operator_tokens(&self) -> bool {
        self.demo || self.allow_operator_tokens
    }

    /// Sign-in checks certificates against these revocation lists, refusing any without a
    /// fresh status.
    pub fn with_revocation(
        mut self,
        revocation: Arc<crate::authz::revocation::Revocation>,
    ) -> AppState {
        self.revocation = Some(revocation);
        self
    }

    /// Sign-in asks this OCSP responder for each signer's status; without an answer, a fresh
    /// revocation list decides if there is one, else the login is refused.
    pub fn with_ocsp(mut self, ocsp: Arc<crate::authz::ocsp::Ocsp>) -> Self {
        self.ocsp = Some(ocsp);
        self
    }

    /// Enables certificate login with these trust anchors.
    pub fn with_trust_anchors(mut self, anchors: Arc<TrustAnchors>) -> AppState {
        self.trust_anchors = Some(anchors);
        self
    }
}

/// Everything derived from the limits: both schemas (built with the query limits) and the rate
/// limiter.
fn limited(
    limits: ServerLimits,
) -> (
    Validated,
    AppSchema,
    Option<Arc<rate_limit::RateLimit>>,
    Arc<ServerLimits>,
) {
    (
        Validated::new(&limits.query, crate::graphql::validated::DEFAULT_ENTRIES),
        build_anonymous_schema(&limits.query),
        rate_limit::RateLimit::new(limits.rate_per_second, limits.rate_burst).map(Arc::new),
        Arc::new(limits),
    )
}

/// The caller's language from `Accept-Language`.
pub fn request_lang(req: &Request) -> Lang {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// A JSON error body `{code, message, requestId}` in the caller's language.
pub fn problem(status: StatusCode, e: &AppError, lang: Lang) -> Response {
    let body = serde_json::json!({
        "code": e.code().as_str(),
        "message": e.message(lang),
        "requestId": request_id::current(),
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// The one answer of a route that is not GraphQL to an error: the JSON problem with the
/// status its code maps to ([`ErrorCode::http_status`]), `WWW-Authenticate` on 401 and
/// `Retry-After` on 429.
pub fn error_response(e: &AppError, lang: Lang) -> Response {
    let code = e.code();
    if code == ErrorCode::RateLimited {
        return too_many_requests(1, lang, false);
    }
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = problem(status, e, lang);
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

/// A GraphQL-shaped error body `{errors: [{message, extensions: {code, requestId}}]}`, for
/// refusals of `/graphql` that happen before anything executes.
pub fn graphql_problem(status: StatusCode, e: &AppError, lang: Lang) -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": e.message(lang),
        "extensions": { "code": e.code().as_str(), "requestId": request_id::current() },
    }] });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// The 429 answer: the error body (GraphQL-shaped for `/graphql`) and `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64, lang: Lang, graphql_shaped: bool) -> Response {
    let status = StatusCode::TOO_MANY_REQUESTS;
    let mut resp = if graphql_shaped {
        graphql_problem(status, &AppError::RateLimited, lang)
    } else {
        problem(status, &AppError::RateLimited, lang)
    };
    resp.headers_mut().insert(
        header::RETRY_AFTER,
        poem::http::HeaderValue::from(retry_after_secs),
    );
    resp
}

/// `/graphql`: behind the gate (rate limit, body limit, caller, audit event), reads the request,
/// runs it within the request timeout, and completes the event with the operation, the query's
/// hash, the redacted variables, the outcome and the rows returned.
#[handler]
async fn graphql(req: &Request, body: poem::Body, Data(state): Data<&AppState>) -> Response {
    let lang = request_lang(req);
    let event = gate::recorder_of(req);
    let Some(caller) = gate::caller_of(req).cloned() else {
        let e = AppError::Internal(anyhow::anyhow!("/graphql without a resolved caller"));
        return graphql_problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang);
    };
    let graphql_http::Read { request, remember } =
        match graphql_http::read(req, body, state.limits.max_body, &state.persisted).await {
            Ok(r) => r,
            Err(refusal) => {
                // Malformed requests are recorded too: who sent what kind of refusal.
                event.update(|e| e.outcome = refusal.code.to_owned());
                return refusal.response();
            }
        };
    // Introspection and field suggestions are for authenticated callers only.
    let anonymous = caller.caller().is_err();
    let mut request = if anonymous {
        request.disable_introspection()
    } else {
        request
    };
    let admitted = crate::graphql::limits::admit(
        &mut request,
        &state.limits.query,
        lang,
        !anonymous,
        &state.documents,
    );
    let operation = match &request.operation_name {
        Some(name) if !crate::domain::text::is_graphql_name(name, 100) => None,
        Some(name) => Some(name.clone()),
        // An admitted request holds its parsed document: no second parse for the name.
        None => Some(match admitted {
            Ok(()) => request
                .parsed_query()
                .map_or_else(|_| "anonymous".to_owned(), audit_trail::operation_in),
            Err(_) => audit_trail::operation_of(&request.query),
        }),
    };
    event.count_as(match &operation {
        None => "invalid".to_owned(),
        Some(name) if !anonymous || metrics::shipped(name) => name.clone(),
        Some(_) => "other".to_owned(),
    });
    let operation = operation.unwrap_or_else(|| "(invalid operationName)".to_owned());
    event.update(|e| {
        e.operation = Some(operation);
        e.query_hash = Some(audit_trail::sha256(&request.query));
        e.variables = Some(audit_trail::redacted(&request.variables));
    });
    // One choice of where data is read for the whole request: the cache key's data epoch must
    // come from the database the answer is read from.
    let reads = state.reads().clone();
    let cache_key = match admitted {
        Ok(()) => cache_key(state, &reads, &caller, lang, &mut request).await,
        Err(_) => None,
    };
    if let Some(key) = &cache_key
        && let Some(hit) = state.response_cache.get(key)
    {
        // The text ran without errors before (that is how its answer got here): it is known.
        if let Some(hash) = remember {
            state.persisted.remember(hash, &request.query);
        }
        event.update(|e| {
            e.outcome = "OK".to_owned();
            e.rows_returned = hit.rows;
            e.served_from_cache = true;
        });
        return graphql_http::write_data(req, hit.body.clone());
    }
    let ctx = RequestCtx::new(state.db.clone(), reads, lang, state.clock.clone(), caller);
    let rows = ctx.rows.clone();
    let remember = remember.map(|hash| (hash, request.query.clone()));

    let mut response = match admitted {
        Err(refused) => async_graphql::Response::from_errors(vec![refused]),
        Ok(()) => {
            // Written by `graphql_http`, so plain connections may answer as JSON text.
            let request = request.data(ctx).data(crate::graphql::plain_json::JsonLane);
            let execution = async {
                if anonymous {
                    state.anonymous_schema.execute(request).await
                } else {
                    state.schema.execute(request).await
                }
            };
            let Ok(response) = tokio::time::timeout(state.limits.request_timeout, execution).await
            else {
                event.update(|e| e.outcome = ErrorCode::RequestTimeout.as_str().to_owned());
                return graphql_problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &AppError::RequestTimeout,
                    lang,
                );
            };
            response
        }
    };
    crate::graphql::limits::name_refusals(
        &mut response.errors,
        &state.limits.query,
        lang,
        !anonymous,
    );
    // A persisted text is kept only once it passed the limits and validation: errors with a path
    // come from execution, errors without one from before it.
    if let Some((hash, text)) = remember
        && response.errors.iter().all(|e| !e.path.is_empty())
    {
        state.persisted.remember(hash, &text);
    }
    let request_id = request_id::current();
    for e in &mut response.errors {
        crate::graphql::schema_messages::localize(e, lang);
        if let Some(id) = &request_id {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("requestId", id.as_str());
        }
    }
    let outcome = response
        .errors
        .first()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|c| c.to_string().trim_matches('"').to_owned())
                .unwrap_or_else(|| "GRAPHQL_ERROR".to_owned())
        })
        .unwrap_or_else(|| "OK".to_owned());
    let rows = i64::try_from(rows.load(std::sync::atomic::Ordering::Relaxed)).ok();
    event.update(|e| {
        e.outcome = outcome;
        e.rows_returned = rows;
    });
    if let Some(key) = cache_key
        && response.extensions.is_empty()
        && let Some(body) = graphql_http::data_body(&response)
    {
        state.response_cache.put(key, body.clone(), rows);
        return graphql_http::write_data(req, body);
    }
    graphql_http::write(req, response)
}

/// The response-cache key of an admitted request, when the cache is on and the request reads
/// only cacheable data ([`crate::graphql::cacheable`]). A failure to read the data epoch only
/// means the request runs uncached.
async fn cache_key(
    state: &AppState,
    reads: &Db,
    caller: &crate::authz::permissions::Permissions,
    lang: Lang,
    request: &mut async_graphql::Request,
) -> Option<response_cache::Key> {
    if !state.response_cache.enabled() {
        return None;
    }
    let fingerprint = caller.data_fingerprint()?;
    let operation = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    if !crate::graphql::cacheable::is_cacheable(doc, operation.as_deref()) {
        return None;
    }
    let lookup = response_cache::Request {
        fingerprint,
        lang,
        callers_epoch: state.callers.known_epoch(),
        request,
    };
    match state.response_cache.key(&state.db, reads, &lookup).await {
        Ok(key) => key,
        Err(e) => {
            tracing::warn!(error = %e, "reading the data epoch failed; answering uncached");
            None
        }
    }
}

/// Appends `event` (with its duration) to the audit trail and counts the request in the metrics
/// under `operation`.
pub(crate) async fn record(
    state: &AppState,
    mut event: crate::audit::Event,
    started: std::time::Instant,
    operation: Option<&str>,
) -> Result<(), AppError> {
    event.duration_ms = i64::try_from(started.elapsed().as_millis()).ok();
    let outcome = event.outcome.clone();
    let appending = std::time::Instant::now();
    let recorded = state.audit.record(event).await;
    state.metrics.audit_append(appending.elapsed());
    state
        .metrics
        .request(operation, &outcome, started.elapsed());
    recorded.map(|_| ()).inspect_err(|e| {
        tracing::error!(error = %e, "audit write failed");
    })
}

#[handler]
fn healthz() -> impl IntoResponse {
    "ok"
}

/// How long `/readyz` waits for the database before calling it unreachable.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ready to serve: the database answers within [`READY_WAIT`], holds the schema, and the policy
/// in force is usable (the newest published revision, looked up again here, else the start-up
/// policy). 503 otherwise, so a load balancer stops sending requests until it is fixed.
#[handler]
async fn readyz(Data(state): Data<&AppState>) -> Response {
    let answers = |db: &Db| {
        let db = db.clone();
        async move {
            tokio::time::timeout(READY_WAIT, db.ping())
                .await
                .unwrap_or(false)
        }
    };
    let database = answers(&state.db).await;
    let policy = database && policy_usable(state).await;
    let state_of = |ok: bool| if ok { "ok" } else { "unreachable" };
    let mut body = serde_json::json!({
        "ready": database && policy,
        "database": state_of(database),
    });
    let (policy_state, revision) = match state.policy.governing() {
        Governing::Startup => ("startup", None),
        Governing::Revision(id) => ("published", Some(id)),
        Governing::Broken(id) => ("unusable", Some(id)),
    };
    body["policy"] = policy_state.into();
    if let Some(id) = revision {
        body["policyRevision"] = id.into();
    }
    let mut ready = database && policy;
    if let Some(replica) = &state.read_replica {
        // A lagging replica leaves the server ready (reads go to the primary meanwhile); one
        // that does not answer does not.
        let answered = answers(replica).await;
        ready &= answered;
        body["ready"] = ready.into();
        let health = &state.replica_health;
        body["readReplica"] = match (answered, health.state()) {
            (false, _) => "unreachable",
            (true, replica::ReplicaState::Serving) => "ok",
            (true, replica::ReplicaState::Lagging) => "lagging",
            (true, replica::ReplicaState::Unknown) => "unmeasured",
        }
        .into();
        body["replicaLagSeconds"] = health
            .lag()
            .map(|l| serde_json::json!(l.as_secs_f64()))
            .unwrap_or(serde_json::Value::Null);
        body["replicaMaxLagSeconds"] = health.max_lag().as_secs_f64().into();
    }
    Response::builder()
        .status(if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        })
        .content_type("application/json")
        .body(body.to_string())
}

/// Whether the policy in force is usable, looked up again against the current caller epoch.
async fn policy_usable(state: &AppState) -> bool {
    let lookup = async {
        let epoch = crate::store::epochs::current(&state.db, crate::store::epochs::CALLERS).await?;
        state.policy.at(&state.db, epoch).await
    };
    match tokio::time::timeout(READY_WAIT, lookup).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "policy in force is not usable");
            false
        }
        Err(_) => false,
    }
}

/// Whether a route goes through the gate, and with which settings.
#[derive(Debug, Clone, Copy)]
pub enum Guard {
    /// Behind the gate with these settings.
    Gated(gate::Door),
    /// Outside it, and why: only the probes and the metrics scrape, which must answer when the
    /// database (and so the trail) cannot, and are not the clients' doors.
    Exempt(&'static str),
}

/// One route: its path, its guard, and its endpoint.
struct Entry {
    path: &'static str,
    guard: Guard,
    endpoint: poem::endpoint::BoxEndpoint<'static, Response>,
}

fn gated<E>(path: &'static str, door: gate::Door, endpoint: E) -> Entry
where
    E: poem::Endpoint + 'static,
{
    Entry {
        path,
        guard: Guard::Gated(door),
        endpoint: gate::gate(door, endpoint).boxed(),
    }
}

fn exempt<E>(path: &'static str, why: &'static str, endpoint: E) -> Entry
where
    E: poem::Endpoint + 'static,
{
    Entry {
        path,
        guard: Guard::Exempt(why),
        endpoint: endpoint.map_to_response().boxed(),
    }
}

/// Every route of the server. The router is built from this table only, so a route cannot be
/// added without choosing its guard; `/*rest` (any other path) is gated too.
fn table() -> Vec<Entry> {
    use gate::{BodyLimit, Door, Needs};
    let probe = "a probe: answers when the database cannot";
    vec![
        gated(
            "/graphql",
            Door::named("/graphql")
                .body(BodyLimit::Configured)
                .with_caller()
                .graphql_shaped(),
            poem::RouteMethod::new()
                .get(graphql)
                .post(graphql)
                .put(graphql)
                .delete(graphql)
                .patch(graphql),
        ),
        gated(
            "/playground",
            Door::named("/playground"),
            get(playground::page),
        ),
        gated(
            "/playground/assets/:name",
            Door::named("/playground/assets"),
            get(playground::asset),
        ),
        gated(
            "/playground/demo-users",
            Door::named("/playground/demo-users"),
            get(playground::demo_users),
        ),
        gated("/admin", Door::named("/admin"), get(admin::page)),
        gated(
            "/dashboard",
            Door::named("/dashboard"),
            get(admin::dashboard),
        ),
        gated(
            "/export/budget-lines.csv",
            Door::named("/export/budget-lines.csv").with_caller(),
            get(export::budget_lines),
        ),
        gated(
            "/export/budget-summary.csv",
            Door::named("/export/budget-summary.csv").with_caller(),
            get(export::budget_summary),
        ),
        gated(
            "/export/budget-lines.xlsx",
            Door::named("/export/budget-lines.xlsx").with_caller(),
            get(export::budget_lines_xlsx),
        ),
        gated(
            "/export/budget-summary.xlsx",
            Door::named("/export/budget-summary.xlsx").with_caller(),
            get(export::budget_summary_xlsx),
        ),
        gated(
            "/export/follow-up.csv",
            Door::named("/export/follow-up.csv").with_caller(),
            get(export_follow_up::follow_up_csv),
        ),
        gated(
            "/export/follow-up.xlsx",
            Door::named("/export/follow-up.xlsx").with_caller(),
            get(export_follow_up::follow_up_xlsx),
        ),
        gated(
            "/auth/challenge",
            Door::named("/auth/challenge").needs(Needs::SignIn),
            poem::post(login::challenge),
        ),
        gated(
            "/auth/login",
            Door::named("/auth/login")
                .needs(Needs::SignIn)
                .body(BodyLimit::Bytes(login::MAX_LOGIN_BODY)),
            poem::post(login::login),
        ),
        gated(
            "/auth/logout",
            Door::named("/auth/logout"),
            poem::post(login::logout),
        ),
        gated(
            "/documents/:id/content",
            Door::named("/documents/content").with_caller(),
            get(documents::content),
        ),
        exempt("/healthz", probe, get(healthz)),
        exempt("/readyz", probe, get(readyz)),
        exempt(
            "/metrics",
            "the scrape: aggregate counts only, no client data; firewall it to the scraper",
            get(metrics::metrics),
        ),
        gated("/*rest", Door::named("unknown"), not_found),
    ]
}

/// The route table: each path and its guard (what a test walks to prove every door is gated).
pub fn route_table() -> Vec<(&'static str, Guard)> {
    table().into_iter().map(|e| (e.path, e.guard)).collect()
}

/// Any path the server does not serve.
#[handler]
fn not_found() -> Response {
    Response::builder().status(StatusCode::NOT_FOUND).finish()
}

/// The application: every route of [`table`], with shared state, request ids, masked panics and
/// (when origins are configured) CORS.
pub fn app(state: AppState) -> impl poem::Endpoint {
    let cors = cors(&state.limits.cors_origins);
    let mut route = Route::new();
    for entry in table() {
        route = route.at(entry.path, entry.endpoint);
    }
    route
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .data(state)
        .with(CatchPanic::new().with_handler(|_| {
            // The cause is in the log (the panic hook), never in the body.
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                &AppError::Internal(anyhow::anyhow!("panic")),
                Lang::default(),
            )
        }))
        .with(request_id::RequestId)
}

/// CORS for the configured origins only; `None` when there are none (same-origin only: no CORS
/// headers at all, so browsers refuse cross-origin reads).
fn cors(origins: &[String]) -> Option<Cors> {
    if origins.is_empty() {
        return None;
    }
    Some(
        Cors::new()
            .allow_origins(origins.iter().map(String::as_str))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::ACCEPT_LANGUAGE,
                header::IF_NONE_MATCH,
            ])
            .expose_headers([
                header::HeaderName::from_static(request_id::HEADER),
                header::RETRY_AFTER,
                header::ETAG,
            ])
            .max_age(600),
    )
}

/// A bound listener, ready to serve: the address is known before serving starts (port 0 works).
pub struct BoundServer {
    acceptor: poem::listener::TcpAcceptor,
    /// The address actually bound.
    pub addr: std::net::SocketAddr,
}

/// Binds `listen`.
pub async fn bind(listen: &str) -> anyhow::Result<BoundServer> {
    let acceptor = TcpListener::bind(listen.to_owned()).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| anyhow::anyhow!("could not read the bound address of {listen}"))?;
    Ok(BoundServer { acceptor, addr })
}

impl BoundServer {
    /// Serves `state` until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        state: AppState,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                app(state),
                shutdown,
                Some(std::time::Duration::from_secs(30)),
            )
            .await
    }
}
