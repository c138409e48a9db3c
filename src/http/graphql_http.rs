//! GraphQL over HTTP: reading a request (POST JSON, or GET for queries only) with the status codes
//! the GraphQL-over-HTTP specification gives, and writing the response in the media type asked.

use async_graphql::parser::types::OperationType;
use poem::http::{Method, StatusCode, header};
use poem::{Body, Request, Response};
use serde::Deserialize;

use super::persisted::{PersistedQueries, PersistedQuery};

/// Largest request body accepted, in bytes (enforced while reading, whatever Content-Length says).
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// The response media type of the GraphQL-over-HTTP specification.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Why a request could not be read as a GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRefusal {
    /// Status to answer with.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// What was wrong (no internal detail).
    pub message: &'static str,
}

impl HttpRefusal {
    /// The response body and headers.
    pub fn response(&self) -> Response {
        let body = serde_json::json!({ "errors": [{
            "message": self.message,
            "extensions": { "code": self.code, "requestId": super::request_id::current() },
        }] });
        let mut resp = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .body(body.to_string());
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            resp.headers_mut()
                .insert(header::ALLOW, poem::http::HeaderValue::from_static("POST"));
        }
        resp
    }
}

const fn refuse(status: StatusCode, code: &'static str, message: &'static str) -> HttpRefusal {
    HttpRefusal {
        status,
        code,
        message,
    }
}

/// The refusal of a body over the limit.
pub const fn too_large() -> HttpRefusal {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "the request body is too large",
    )
}

/// The wire form of a request (POST body or GET query string).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WireRequest {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

/// A request read off the wire, and the hash to remember its text under once it has passed
/// the limits and validation (a persisted query sent with its text).
pub struct Read {
    /// The request.
    pub request: async_graphql::Request,
    /// The persisted-query hash to remember the text under, if any.
    pub remember: Option<String>,
}

impl WireRequest {
    fn into_request(self, known: &PersistedQueries) -> Result<Read, HttpRefusal> {
        if self
            .extensions
            .as_ref()
            .is_some_and(|e| !e.is_object() && !e.is_null())
        {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "`extensions` must be an object",
            ));
        }
        let (query, remember) = match PersistedQuery::of(self.extensions.as_ref())? {
            Some(p) => known.resolve(&p, self.query)?,
            None => (self.query.ok_or(refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the body must be an object with a string `query`, an object `variables` and a string `operationName`",
            ))?, None),
        };
        let mut r = async_graphql::Request::new(query);
        match self.variables {
            None | Some(serde_json::Value::Null) => {}
            Some(v @ serde_json::Value::Object(_)) => {
                r = r.variables(async_graphql::Variables::from_json(v))
            }
            Some(_) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "`variables` must be an object",
                ));
            }
        }
        if let Some(op) = self.operation_name {
            r = r.operation_name(op);
        }
        Ok(Read {
            request: r,
            remember,
        })
    }
}

/// Reads the request, or says why not: 405 for GET mutations and other methods, 415 for bodies
/// that are not JSON, 413 for bodies over `max_body`, 400 for malformed JSON, batches or fields
/// of the wrong type.
pub async fn read(
    req: &Request,
    body: Body,
    max_body: usize,
    known: &PersistedQueries,
) -> Result<Read, HttpRefusal> {
    if req.method() == Method::GET {
        let wire = read_query_string(req.uri().query().unwrap_or(""))?;
        let read = wire.into_request(known)?;
        if is_mutation(&read.request) {
            return Err(refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "mutations must be sent with POST",
            ));
        }
        return Ok(read);
    }
    if req.method() != Method::POST {
        return Err(refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "use POST (or GET for queries)",
        ));
    }
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/json") {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        ));
    }
    let bytes = body
        .into_bytes_limit(max_body)
        .await
        .map_err(|_| too_large())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the request body is not valid UTF-8 JSON",
        )
    })?;
    if value.is_array() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "BATCH_NOT_SUPPORTED",
            "batched requests are not supported",
        ));
    }
    let wire: WireRequest = serde_json::from_value(value).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "the body must be an object with a string `query`, an object `variables` and a string `operationName`",
        )
    })?;
    wire.into_request(known)
}

fn read_query_string(query: &str) -> Result<WireRequest, HttpRefusal> {
    let bad = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "GET needs `query`, and `variables` as a JSON object",
        )
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| bad())?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let json = |k: &str| match get(k) {
        Some(v) if !v.is_empty() => serde_json::from_str(&v).map(Some).map_err(|_| bad()),
        _ => Ok(None),
    };
    let extensions: Option<serde_json::Value> = json("extensions")?;
    let query = get("query");
    if query.is_none() && extensions.is_none() {
        return Err(bad());
    }
    Ok(WireRequest {
        query,
        variables: json("variables")?,
        operation_name: get("operationName"),
        extensions,
    })
}

/// Whether the operation the request would run is a mutation.
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let op = match &request.operation_name {
        Some(name) => doc
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str()))
            .map(|(_, o)| o),
        None => doc.operations.iter().next().map(|(_, o)| o),
    };
    op.is_some_and(|o| o.node.ty == OperationType::Mutation)
}

/// Whether the client accepts `application/graphql-response+json`.
fn wants_graphql_response_json(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(GRAPHQL_RESPONSE_JSON))
}

/// The body of a response without errors, as [`write`] would write it (the response cache
/// keeps these).
pub fn data_body(response: &async_graphql::Response) -> Option<bytes::Bytes> {
    if !response.errors.is_empty() {
        return None;
    }
    Some(bytes::Bytes::from(
        crate::graphql::plain_json::response_body(response),
    ))
}

/// Writes the body of a response without errors ([`data_body`]): 200 in the media type asked.
pub fn write_data(req: &Request, body: bytes::Bytes) -> Response {
    let media = if wants_graphql_response_json(req) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    Response::builder()
        .status(StatusCode::OK)
        .content_type(media)
        .body(body)
}

/// Writes a GraphQL response: `application/graphql-response+json` when the client accepts it
/// (request errors — nothing executed — then answer 400), `application/json` with 200 otherwise.
pub fn write(req: &Request, response: async_graphql::Response) -> Response {
    let wants_new = wants_graphql_response_json(req);
    // Parse and validation errors carry no path and leave no data: nothing was executed.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let body = if wants_new && request_error {
        // The GraphQL-over-HTTP specification: a request error carries no `data` entry.
        serde_json::json!({ "errors": response.errors })
            .to_string()
            .into_bytes()
    } else {
        // Plain connections may hold their JSON text; `response_body` writes it as it is.
        crate::graphql::plain_json::response_body(&response)
    };
    let (status, media) = if wants_new {
        (
            if request_error {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            GRAPHQL_RESPONSE_JSON,
        )
    } else {
        (StatusCode::OK, "application/json")
    };
    Response::builder()
        .status(status)
        .content_type(media)
        .body(body)
}
