//! HTTP routes: `/graphql`, `/playground`, `/healthz`, and document downloads.

pub mod audit_trail;
pub mod auth;
pub mod documents;
pub mod graphql_http;
pub mod login;
pub mod playground;

use poem::http::{StatusCode, header};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Tracing;
use poem::web::Data;
use poem::{EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};

use std::sync::Arc;

use crate::audit::writer::AuditWriter;
use crate::authz::certificate::TrustAnchors;
use crate::authz::policy::Policy;
use crate::authz::token::TokenKeys;
use crate::clock::Clock;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::graphql::{AppSchema, RequestCtx, build_schema};
use crate::store::Db;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The same schema without field suggestions, for anonymous callers.
    pub anonymous_schema: AppSchema,
    /// The access policy.
    pub policy: Arc<Policy>,
    /// Token signing keys.
    pub keys: TokenKeys,
    /// The clock grants are judged by.
    pub clock: Clock,
    /// Certification authorities trusted for certificate login (none: login disabled).
    pub trust_anchors: Option<Arc<TrustAnchors>>,
    /// Lifetime of tokens issued by certificate login.
    pub token_ttl: std::time::Duration,
    /// Demo mode: the playground may hand out tokens for the demo users. Never on in production.
    pub demo: bool,
    /// Records one event per request before the response leaves.
    pub audit: AuditWriter,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
}

impl AppState {
    /// State over `db` with a fresh schema.
    pub fn new(db: Db, policy: Arc<Policy>, keys: TokenKeys, clock: Clock) -> AppState {
        AppState {
            audit: AuditWriter::spawn(db.clone()),
            db,
            schema: build_schema(),
            anonymous_schema: crate::graphql::build_anonymous_schema(),
            policy,
            keys,
            clock,
            trust_anchors: None,
            token_ttl: std::time::Duration::from_secs(8 * 3600),
            demo: false,
            max_body: graphql_http::DEFAULT_MAX_BODY,
        }
    }

    /// Enables certificate login with these trust anchors.
    pub fn with_trust_anchors(mut self, anchors: Arc<TrustAnchors>) -> AppState {
        self.trust_anchors = Some(anchors);
        self
    }
}

/// The caller's language from `Accept-Language`.
pub fn request_lang(req: &Request) -> Lang {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// A JSON error body `{code, message}` in the caller's language.
pub fn problem(status: StatusCode, e: &AppError, lang: Lang) -> Response {
    let body = serde_json::json!({ "code": e.code().as_str(), "message": e.message(lang) });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

#[handler]
async fn graphql(req: &Request, body: poem::Body, Data(state): Data<&AppState>) -> Response {
    let started = std::time::Instant::now();
    let lang = request_lang(req);
    let caller = auth::resolve(state, req).await;
    let mut event = audit_trail::request_event(state, req, &caller);
    let request = match graphql_http::read(req, body, state.max_body).await {
        Ok(r) => r,
        Err(refusal) => {
            // Malformed requests are recorded too: who sent what kind of refusal.
            event.operation = Some(format!("{} /graphql", req.method()));
            event.outcome = refusal.code.to_owned();
            event.duration_ms = i64::try_from(started.elapsed().as_millis()).ok();
            return match state.audit.record(event).await {
                Ok(_) => refusal.response(),
                Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
            };
        }
    };
    event.operation = Some(
        request
            .operation_name
            .clone()
            .unwrap_or_else(|| audit_trail::operation_of(&request.query)),
    );
    event.query_hash = Some(audit_trail::sha256(&request.query));
    event.variables = Some(audit_trail::redacted(&request.variables));
    // Introspection and field suggestions are for authenticated callers only.
    let anonymous = caller.principal.is_err();
    let request = if anonymous {
        request.disable_introspection()
    } else {
        request
    };
    let ctx = RequestCtx::new(
        state.db.clone(),
        lang,
        state.policy.clone(),
        state.clock.clone(),
        caller.principal,
        caller.scope,
    );
    let rows = ctx.rows.clone();
    let schema = if anonymous {
        &state.anonymous_schema
    } else {
        &state.schema
    };
    let response = schema.execute(request.data(ctx)).await;
    event.outcome = response
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
    event.rows_returned = i64::try_from(rows.load(std::sync::atomic::Ordering::Relaxed)).ok();
    event.duration_ms = i64::try_from(started.elapsed().as_millis()).ok();
    // Fail closed: a request that cannot be recorded is not answered.
    match state.audit.record(event).await {
        Ok(_) => graphql_http::write(req, response),
        Err(e) => {
            tracing::error!(error = %e, "audit write failed");
            problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang)
        }
    }
}

#[handler]
fn healthz() -> impl IntoResponse {
    "ok"
}

/// The application: every route, with shared state.
pub fn app(state: AppState) -> impl poem::Endpoint {
    Route::new()
        .at(
            "/graphql",
            poem::RouteMethod::new()
                .get(graphql)
                .post(graphql)
                .put(graphql)
                .delete(graphql)
                .patch(graphql),
        )
        .at("/playground", get(playground::page))
        .at("/playground/assets/:name", get(playground::asset))
        .at("/playground/demo-users", get(playground::demo_users))
        .at("/healthz", get(healthz))
        .at("/auth/challenge", poem::post(login::challenge))
        .at("/auth/login", poem::post(login::login))
        .at("/documents/:id/content", get(documents::content))
        .data(state)
        .with(Tracing)
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
