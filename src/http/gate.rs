//! The one gate in front of every door. A route is added to the router only with its [`Door`]
//! (see [`super::routes`]), and the gate applies the door's settings in one order: the rate limit
//! (429), what the door needs before reading (503), the body limit while streaming (413), the
//! caller (resolved once, for doors that serve data), then the handler — and, whatever the
//! handler did, even a panic, one audit event recorded before the answer leaves (fail closed:
//! an answer whose event cannot be recorded is replaced by a 500) and one count in the metrics.
//!
//! Handlers complete the event through the [`Recorder`] the gate puts in the request, and read
//! the caller from the [`Caller`] it puts there; they never record or limit anything themselves.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::FutureExt;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};

use super::auth::Caller;
use super::{AppState, audit_trail, problem, request_lang, too_many_requests};
use crate::audit::Event;
use crate::domain::lang::Lang;
use crate::error::{AppError, ErrorCode};

/// What a door needs before it reads a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing.
    Nothing,
    /// Certificate sign-in configured (trust anchors): else 503 before the body is read.
    SignIn,
}

/// How much body a door reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// None: a door that takes no body (GET pages and files).
    Empty,
    /// At most this many bytes.
    Bytes(usize),
    /// The server's configured GraphQL body limit.
    Configured,
}

/// How the gate's own refusals look at a door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{code, message, requestId}`.
    Problem,
    /// `{errors: [{message, extensions: {code, requestId}}]}`.
    GraphQl,
}

/// The gate's settings for one door.
#[derive(Debug, Clone, Copy)]
pub struct Door {
    /// The door's name in events and metrics, e.g. `POST /auth/login`.
    pub name: &'static str,
    /// How much body it reads.
    pub body: BodyLimit,
    /// Whether the caller is resolved before the handler runs (doors that serve data).
    pub caller: bool,
    /// What it needs before reading.
    pub needs: Needs,
    /// How the gate's refusals look.
    pub shape: Shape,
}

impl Door {
    /// A door named `name` taking no body, resolving no caller, needing nothing.
    pub const fn named(name: &'static str) -> Door {
        Door {
            name,
            body: BodyLimit::Empty,
            caller: false,
            needs: Needs::Nothing,
            shape: Shape::Problem,
        }
    }

    /// The same door reading at most `limit`.
    pub const fn body(self, limit: BodyLimit) -> Door {
        Door {
            body: limit,
            ..self
        }
    }

    /// The same door resolving the caller first.
    pub const fn with_caller(self) -> Door {
        Door {
            caller: true,
            ..self
        }
    }

    /// The same door needing `needs` before reading.
    pub const fn needs(self, needs: Needs) -> Door {
        Door { needs, ..self }
    }

    /// The same door answering refusals in GraphQL's shape.
    pub const fn graphql_shaped(self) -> Door {
        Door {
            shape: Shape::GraphQl,
            ..self
        }
    }

    fn refusal(&self, status: StatusCode, e: &AppError, lang: Lang) -> Response {
        match self.shape {
            Shape::Problem => problem(status, e, lang),
            Shape::GraphQl => super::graphql_problem(status, e, lang),
        }
    }
}

/// The audit event of the request in progress, which the handler completes and the gate
/// records, and the name the metrics count it under.
#[derive(Clone)]
pub struct Recorder(Arc<Mutex<Draft>>);

#[derive(Default)]
struct Draft {
    event: Event,
    metric: Option<String>,
}

impl Recorder {
    fn new(event: Event) -> Recorder {
        Recorder(Arc::new(Mutex::new(Draft {
            event,
            metric: None,
        })))
    }

    /// Changes the event.
    pub fn update(&self, change: impl FnOnce(&mut Event)) {
        if let Ok(mut draft) = self.0.lock() {
            change(&mut draft.event);
        }
    }

    /// Counts the request in the metrics under `name` rather than the door's name (a GraphQL
    /// operation).
    pub fn count_as(&self, name: String) {
        if let Ok(mut draft) = self.0.lock() {
            draft.metric = Some(name);
        }
    }

    fn take(&self) -> (Event, Option<String>) {
        self.0
            .lock()
            .map(|mut d| {
                let d = std::mem::take(&mut *d);
                (d.event, d.metric)
            })
            .unwrap_or_default()
    }
}

/// A door's endpoint behind the gate.
pub struct Gated<E> {
    inner: E,
    door: Door,
}

/// Puts `inner` behind the gate with `door`'s settings.
pub fn gate<E: Endpoint>(door: Door, inner: E) -> Gated<E> {
    Gated { inner, door }
}

impl<E: Endpoint> Endpoint for Gated<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let Some(state) = req.data::<AppState>().cloned() else {
            // The router always carries the state; without it nothing can be recorded.
            let e = AppError::Internal(anyhow::anyhow!("no state behind the gate"));
            return Ok(problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e,
                Lang::default(),
            ));
        };
        let started = Instant::now();
        let lang = request_lang(&req);
        let door = self.door;
        let door_label = label(&req, door);
        let recorder = Recorder::new(Event {
            operation: Some(door_label.clone()),
            ..audit_trail::base_event(&state, &req)
        });
        let response = match admit(&state, door, &mut req, &recorder, lang).await {
            Some(refused) => refused,
            None => {
                req.extensions_mut().insert(recorder.clone());
                match AssertUnwindSafe(self.inner.call(req)).catch_unwind().await {
                    Ok(Ok(r)) => r.into_response(),
                    Ok(Err(e)) => e.into_response(),
                    Err(_) => {
                        // The cause is in the log (the panic hook), never in the body.
                        recorder.update(|e| e.outcome = ErrorCode::Internal.as_str().to_owned());
                        let e = AppError::Internal(anyhow::anyhow!("panic"));
                        door.refusal(StatusCode::INTERNAL_SERVER_ERROR, &e, lang)
                    }
                }
            }
        };
        let (mut event, metric) = recorder.take();
        let status = response.status();
        if event.outcome == "OK" && !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
            event.outcome = status.as_u16().to_string();
        }
        let metric = metric.unwrap_or(door_label);
        match super::record(&state, event, started, Some(&metric)).await {
            Ok(()) => Ok(response),
            // The trail cannot be reached: say so, and when to come back, rather than fail.
            Err(e) if e.code() == ErrorCode::Unavailable => {
                let mut refused = door.refusal(StatusCode::SERVICE_UNAVAILABLE, &e, lang);
                refused.headers_mut().insert(
                    poem::http::header::RETRY_AFTER,
                    poem::http::HeaderValue::from_static("1"),
                );
                Ok(refused)
            }
            Err(e) => Ok(door.refusal(StatusCode::INTERNAL_SERVER_ERROR, &e, lang)),
        }
    }
}

/// The gate's checks before the handler: the refusal to answer with (its outcome recorded), or
/// none.
async fn admit(
    state: &AppState,
    door: Door,
    req: &mut Request,
    recorder: &Recorder,
    lang: Lang,
) -> Option<Response> {
    let refuse = |outcome: &str, response: Response| {
        recorder.update(|e| {
            e.scope = Some(format!("none ({outcome})"));
            e.outcome = outcome.to_owned();
        });
        Some(response)
    };
    if let Err(wait) = super::rate_limit::check(state, req) {
        return refuse(
            ErrorCode::RateLimited.as_str(),
            too_many_requests(wait, lang, door.shape == Shape::GraphQl),
        );
    }
    if door.needs == Needs::SignIn && state.trust_anchors.is_none() {
        return refuse(
            "NOT_CONFIGURED",
            super::json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({
                    "code": "NOT_CONFIGURED",
                    "message": "certificate login is not configured (AUDIT_HUB_TRUST_ANCHORS)",
                    "requestId": super::request_id::current(),
                }),
            ),
        );
    }
    let limit = match door.body {
        BodyLimit::Empty => 0,
        BodyLimit::Bytes(n) => n,
        BodyLimit::Configured => state.limits.max_body,
    };
    match req.take_body().into_bytes_limit(limit).await {
        Ok(bytes) => req.set_body(bytes),
        Err(_) => {
            let response = match door.shape {
                Shape::GraphQl => super::graphql_http::too_large().response(),
                Shape::Problem => super::json_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    serde_json::json!({
                        "code": "PAYLOAD_TOO_LARGE",
                        "message": "the request body is too large",
                        "requestId": super::request_id::current(),
                    }),
                ),
            };
            return refuse("PAYLOAD_TOO_LARGE", response);
        }
    }
    if door.caller {
        let caller = super::auth::resolve(state, req).await;
        let described = audit_trail::request_event(state, req, &caller);
        recorder.update(|e| {
            e.user_id = described.user_id;
            e.organization_id = described.organization_id;
            e.scope = described.scope;
        });
        req.extensions_mut().insert(caller);
    }
    None
}

/// The door's name with the request's method (`POST /auth/login`); methods outside HTTP's
/// own are counted as `OTHER`, so a client cannot mint labels.
fn label(req: &Request, door: Door) -> String {
    use poem::http::Method;
    let method = req.method();
    let known = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
    ];
    let method = if known.contains(method) {
        method.as_str()
    } else {
        "OTHER"
    };
    format!("{method} {}", door.name)
}

/// The caller the gate resolved, for a door that resolves one.
pub fn caller_of(req: &Request) -> Option<&Caller> {
    req.extensions().get::<Caller>()
}

/// The event recorder of the request in progress.
pub fn recorder_of(req: &Request) -> Recorder {
    req.extensions()
        .get::<Recorder>()
        .cloned()
        // Outside the gate (never in the router): changes go nowhere.
        .unwrap_or_else(|| Recorder::new(Event::default()))
}
