//! `GET /documents/{id}/content`: the stored file of a document in the caller's scope, with its
//! SHA-256 as a strong ETag, streamed from the store a chunk at a time.

use futures::stream;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};

use super::{AppState, problem, request_lang};
use crate::error::{AppError, ErrorCode};
use crate::store::{contents, documents};

/// Streams a document's content; 404 alike for missing and out-of-scope ids; 304 on a matching
/// `If-None-Match`.
#[handler]
pub async fn content(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
) -> Response {
    let event = super::gate::recorder_of(req);
    event.update(|e| e.operation = Some(format!("GET /documents/{id}/content")));
    let scope = match super::gate::caller_of(req) {
        Some(c) => c.budget().cloned().map_err(|e| e.code()),
        None => Err(ErrorCode::Internal),
    };
    let response = serve(req, &id, state, scope).await;
    let status = response.status();
    event.update(|e| {
        e.outcome = if status.is_success() || status == StatusCode::NOT_MODIFIED {
            "OK".to_owned()
        } else {
            status.as_u16().to_string()
        };
        e.rows_returned = Some(i64::from(status == StatusCode::OK));
    });
    response
}

async fn serve(
    req: &Request,
    id: &str,
    state: &AppState,
    scope: Result<std::sync::Arc<crate::authz::Scope>, ErrorCode>,
) -> Response {
    let lang = request_lang(req);
    let scope = match scope {
        Ok(s) => s,
        Err(code) => return super::error_response(&AppError::denied(code), lang),
    };
    let Ok(id) = id.parse::<i64>() else {
        return problem(StatusCode::NOT_FOUND, &AppError::NotFound, lang);
    };
    let (doc, size) = match documents::content(state.reads(), &scope, id).await {
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
    // One stored chunk at a time: a file of any size costs a download one chunk of memory.
    let chunks = stream::try_unfold(
        (state.reads().clone(), doc.sha256.clone(), 0_i64),
        |(db, sha256, seq)| async move {
            match contents::chunk(&db, &sha256, seq).await {
                Ok(Some(bytes)) => Ok(Some((bytes, (db, sha256, seq + 1)))),
                Ok(None) => Ok(None),
                Err(e) => {
                    tracing::error!(error = %e, chunk = seq, "document chunk read failed");
                    Err(std::io::Error::other("document chunk read failed"))
                }
            }
        },
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, doc.format.media_type())
        .header(header::CONTENT_LENGTH, size)
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::CONTENT_DISPOSITION, disposition(&doc.file_name))
        .body(Body::from_bytes_stream(chunks))
}

/// `attachment` with the file name as RFC 6266 gives it: an ASCII fallback (other characters,
/// quotes and backslashes as `_`) for old clients, and the name itself in UTF-8, percent-encoded.
fn disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn file_names_are_offered_in_ascii_and_in_utf8() {
        let cases = [
            (
                "a plain name",
                "ts.pdf",
                "attachment; filename=\"ts.pdf\"; filename*=UTF-8''ts.pdf",
            ),
            (
                "Cyrillic and a space",
                "ТЗ 1.pdf",
                "attachment; filename=\"__ 1.pdf\"; filename*=UTF-8''%D0%A2%D0%97%201.pdf",
            ),
            (
                "a quote",
                "a\"b.pdf",
                "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf",
            ),
        ];
        for (name, file, want) in cases {
            assert_eq!(disposition(file), want, "{name}");
        }
    }
}
