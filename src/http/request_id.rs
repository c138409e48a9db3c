//! Request ids: every request gets one, generated here (a client's own id is not trusted). It is
//! in the `X-Request-Id` response header, in every error body, in every log line of the request
//! (a tracing span field) and in the request's audit event, so an error a user reports leads to
//! its logged cause and its event.

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;

/// The response header carrying the id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served, if any (only inside the middleware's scope).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// A fresh id: 16 random bytes in hex.
pub fn generate() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Middleware giving each request an id, a span and a completion log line.
pub struct RequestId;

impl<E: Endpoint> Middleware<E> for RequestId {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestIdEndpoint(ep)
    }
}

/// The endpoint [`RequestId`] wraps.
pub struct RequestIdEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        let id = generate();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            path = %req.uri().path(),
        );
        let started = std::time::Instant::now();
        let result = CURRENT
            .scope(id.clone(), self.0.call(req).instrument(span.clone()))
            .await;
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(HEADER, v);
        }
        span.in_scope(|| {
            tracing::info!(
                status = resp.status().as_u16(),
                duration_ms = started.elapsed().as_millis() as u64,
                "request finished"
            )
        });
        Ok(resp)
    }
}
