//! `GET /documents/{id}/content`: the stored file of a document in the caller's scope, with its
//! SHA-256 as a strong ETag.

use futures::stream;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::{AppState, problem, request_lang};
use crate::error::{AppError, ErrorCode};
use crate::store::documents;

/// Chunk size of the streamed body.
const CHUNK: usize = 64 * 1024;

/// The metrics' name for downloads: one label for every document, where the audit event names
/// the document itself.
const METRIC: &str = "GET /documents/content";

/// Streams a document's content; 404 alike for missing and out-of-scope ids; 304 on a matching
/// `If-None-Match`.
#[handler]
pub async fn content(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let started = std::time::Instant::now();
    if let Err(wait) = super::rate_limit::check(state, req) {
        let mut event = super::audit_trail::refused_event(state, req, ErrorCode::RateLimited);
        event.operation = Some(format!("GET /documents/{id}/content"));
        return match super::record(state, event, started, Some(METRIC)).await {
            Ok(()) => super::too_many_requests(wait, request_lang(req), false),
            Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e, request_lang(req)),
        };
    }
    let caller = super::auth::resolve(state, req).await;
    let mut event = super::audit_trail::request_event(state, req, &caller);
    event.operation = Some(format!("GET /documents/{id}/content"));
    let response = serve(req, &id, state, caller.scope).await;
    let status = response.status();
    event.outcome = if status.is_success() || status == StatusCode::NOT_MODIFIED {
        "OK".to_owned()
    } else {
        status.as_u16().to_string()
    };
    event.rows_returned = Some(i64::from(status == StatusCode::OK));
    // Fail closed: a download that cannot be recorded is not served.
    match super::record(state, event, started, Some(METRIC)).await {
        Ok(()) => response,
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e, request_lang(req)),
    }
}

async fn serve(
    req: &Request,
    id: &str,
    state: &AppState,
    scope: Result<crate::authz::Scope, ErrorCode>,
) -> Response {
    let lang = request_lang(req);
    let scope = match scope {
        Ok(s) => s,
        Err(code) => {
            let status = match code {
                ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut resp = problem(status, &AppError::denied(code), lang);
            if status == StatusCode::UNAUTHORIZED {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    poem::http::HeaderValue::from_static("Bearer"),
                );
            }
            return resp;
        }
    };
    let Ok(id) = id.parse::<i64>() else {
        return problem(StatusCode::NOT_FOUND, &AppError::NotFound, lang);
    };
    let (doc, bytes) = match documents::content(state.reads(), &scope, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return problem(StatusCode::NOT_FOUND, &AppError::NotFound, lang),
        Err(e) => {
            tracing::error!(error = %e, document = id, "document download failed");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang);
        }
    };
    let etag = format!("\"{}\"", doc.sha256);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, etag)
            .finish();
    }
    let len = bytes.len();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(CHUNK).map(|c| Ok(c.to_vec())).collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, doc.format.media_type())
        .header(header::CONTENT_LENGTH, len)
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                doc.file_name.replace('"', "")
            ),
        )
        .body(Body::from_bytes_stream(stream::iter(chunks)))
}
