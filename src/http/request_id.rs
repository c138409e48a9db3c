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

/// A fresh id: a version 7 UUID (RFC 9562: the millisecond, then random bits) as 32 hex digits.
///
/// Time-ordered rather than wholly random because every id lands in the audit trail's request
/// index: ids that grow with time are appended at the index's right edge, where its pages are
/// cached, instead of at a random leaf of an index that grows with the trail (each such insert
/// could read a page from disk, and after a checkpoint write a whole page to the WAL, on the path
/// every request waits on). 74 random bits still tell apart the ids of one millisecond. Those bits
/// come from the thread's seeded generator (uuid's `fast-rng`), not from a system call per id:
/// the id names a request, it is no secret.
pub fn generate() -> String {
    uuid::Uuid::now_v7().simple().to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_and_later_ones_sort_after() {
        let first = generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later: Vec<String> = (0..100).map(|_| generate()).collect();
        for id in std::iter::once(&first).chain(&later) {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        assert!(later.iter().all(|id| *id > first), "{first} {later:?}");
        let distinct: std::collections::HashSet<&String> = later.iter().collect();
        assert_eq!(distinct.len(), later.len());
    }
}
