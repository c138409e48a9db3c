//! Certificate login: `POST /auth/challenge` hands out a one-time nonce; `POST /auth/login` takes
//! a CMS SignedData over that nonce as NCALayer makes it (`{nonce, cms}`), or the certificate
//! chain and a raw signature over it (`{nonce, certificateChain, signature}`), and returns a
//! bearer token.
//!
//! Both doors take the per-address rate limit (429), answer 503 before reading anything when
//! sign-in is not configured, read at most [`MAX_LOGIN_BODY`] bytes (413 while streaming), and
//! leave one audit event per attempt with its outcome (the refusal's reason), recorded before
//! the answer leaves.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

use super::{AppState, audit_trail, problem, rate_limit, request_lang, too_many_requests};
use crate::authz::certificate::{self, CertError};
use crate::authz::principal::Principal;
use crate::authz::token::Method;
use crate::domain::lang::Lang;
use crate::error::{AppError, ErrorCode};
use crate::store::challenges;

/// How long a challenge may be answered.
const CHALLENGE_TTL: Duration = Duration::from_secs(300);

/// Largest `/auth/login` body: a nonce and a CMS of at most 64 KiB, in base64, with room to spare.
pub const MAX_LOGIN_BODY: usize = 128 * 1024;

/// What one attempt at a door came to: the answer, and what the trail records of it.
struct Attempt {
    response: Response,
    outcome: String,
    user: Option<(i64, i64)>,
    method: Option<&'static str>,
    /// What the trail keeps of an issued token or a certificate (serial, issuer, expiry, id).
    detail: serde_json::Map<String, serde_json::Value>,
}

impl Attempt {
    fn answered(response: Response, outcome: &str) -> Attempt {
        Attempt {
            response,
            outcome: outcome.to_owned(),
            user: None,
            method: None,
            detail: serde_json::Map::new(),
        }
    }

    fn refused(reason: &str, detail: String, lang: Lang) -> Attempt {
        let message = format!("{}: {detail}", AppError::Unauthenticated.message(lang));
        let response = json_response(
            StatusCode::UNAUTHORIZED,
            json!({ "code": "UNAUTHENTICATED", "reason": reason, "message": message }),
        );
        Attempt::answered(response, reason)
    }

    fn failed(status: StatusCode, e: &AppError, lang: Lang) -> Attempt {
        Attempt::answered(problem(status, e, lang), e.code().as_str())
    }
}

/// Records the attempt in the trail, then answers; an attempt that cannot be recorded is not
/// answered as if it had been.
async fn audited(
    state: &AppState,
    req: &Request,
    door: &str,
    started: Instant,
    lang: Lang,
    attempt: Attempt,
) -> Response {
    let mut event = audit_trail::base_event(state, req);
    event.operation = Some(door.to_owned());
    event.outcome = attempt.outcome;
    if let Some((user, org)) = attempt.user {
        event.user_id = Some(user);
        event.organization_id = Some(org);
    }
    let mut detail = attempt.detail;
    if let Some(method) = attempt.method {
        detail.insert("method".into(), method.into());
    }
    if !detail.is_empty() {
        event.variables = Some(serde_json::Value::Object(detail).to_string());
    }
    match super::record(state, event, started, Some(door)).await {
        Ok(()) => attempt.response,
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
    }
}

/// The refusals every door shares: the rate limit, and sign-in not configured.
fn gate(state: &AppState, req: &Request, lang: Lang) -> Option<Attempt> {
    if let Err(wait) = rate_limit::check(state, req) {
        return Some(Attempt::answered(
            too_many_requests(wait, lang, false),
            ErrorCode::RateLimited.as_str(),
        ));
    }
    if state.trust_anchors.is_none() {
        return Some(Attempt::answered(
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "code": "NOT_CONFIGURED", "message": "certificate login is not configured (AUDIT_HUB_TRUST_ANCHORS)" }),
            ),
            "NOT_CONFIGURED",
        ));
    }
    None
}

/// `POST /auth/challenge`.
#[handler]
pub async fn challenge(req: &Request, Data(state): Data<&AppState>) -> Response {
    const DOOR: &str = "POST /auth/challenge";
    let started = Instant::now();
    let lang = request_lang(req);
    if let Some(refused) = gate(state, req, lang) {
        return audited(state, req, DOOR, started, lang, refused).await;
    }
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = state.clock.now();
    let expires = now + chrono::Duration::from_std(CHALLENGE_TTL).unwrap_or_default();
    let stored = async {
        // Spent and expired challenges go as new ones come: the table holds minutes of them.
        challenges::purge(&state.db, now).await?;
        challenges::create(&state.db, &nonce, now, expires).await
    };
    let attempt = match stored.await {
        Ok(()) => Attempt::answered(
            json_response(
                StatusCode::OK,
                json!({ "nonce": nonce, "expiresAt": expires.to_rfc3339() }),
            ),
            "OK",
        ),
        Err(e) => {
            tracing::error!(error = %e, "storing a login challenge failed");
            Attempt::failed(StatusCode::INTERNAL_SERVER_ERROR, &e, lang)
        }
    };
    audited(state, req, DOOR, started, lang, attempt).await
}

/// Body of `POST /auth/login`: the nonce and one of the two forms of its signature.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// The nonce from `/auth/challenge`.
    nonce: String,
    /// Base64 DER of a CMS SignedData over the nonce's UTF-8 bytes (attached or detached), with
    /// the signer's certificate inside: what NCALayer's `sign` returns.
    cms: Option<String>,
    /// The certificate chain, leaf first: PEM blocks or base64 DER strings.
    certificate_chain: Option<Vec<String>>,
    /// Base64 signature over the nonce's UTF-8 bytes, made with the leaf certificate's key.
    signature: Option<String>,
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn cert_refusal(e: CertError, lang: Lang) -> Attempt {
    Attempt::refused(e.reason(), e.to_string(), lang)
}

/// `POST /auth/login`.
#[handler]
pub async fn login(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    const DOOR: &str = "POST /auth/login";
    let started = Instant::now();
    let lang = request_lang(req);
    let attempt = match gate(state, req, lang) {
        Some(refused) => refused,
        None => match body.into_bytes_limit(MAX_LOGIN_BODY).await {
            Err(_) => Attempt::answered(
                json_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    json!({ "code": "PAYLOAD_TOO_LARGE", "message": "the request body is too large", "requestId": super::request_id::current() }),
                ),
                "PAYLOAD_TOO_LARGE",
            ),
            Ok(bytes) => match serde_json::from_slice::<LoginRequest>(&bytes) {
                Err(_) => Attempt::failed(
                    StatusCode::BAD_REQUEST,
                    &AppError::invalid("body", crate::error::Expected::JsonObject("LoginRequest")),
                    lang,
                ),
                Ok(body) => sign_in(state, body, lang).await,
            },
        },
    };
    audited(state, req, DOOR, started, lang, attempt).await
}

/// Checks a login request and issues the token.
async fn sign_in(state: &AppState, body: LoginRequest, lang: Lang) -> Attempt {
    let Some(anchors) = &state.trust_anchors else {
        // The gate answered 503 already; reaching here is a bug, not a refusal.
        let e = AppError::Internal(anyhow::anyhow!("sign-in without trust anchors"));
        return Attempt::failed(StatusCode::INTERNAL_SERVER_ERROR, &e, lang);
    };
    let now = state.clock.now();
    // The nonce is spent first: a failed attempt cannot be retried with the same challenge.
    match challenges::consume(&state.db, &body.nonce, now).await {
        Ok(true) => {}
        Ok(false) => {
            return Attempt::refused(
                "CHALLENGE_INVALID",
                "the challenge is unknown, expired or already used".into(),
                lang,
            );
        }
        Err(e) => return Attempt::failed(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
    }
    let trust = certificate::Trust {
        anchors,
        revocation: state.revocation.as_deref(),
        ocsp: state.ocsp.as_deref(),
    };
    let (method, verified) = match (&body.cms, &body.certificate_chain, &body.signature) {
        (Some(cms), None, None) => (
            "cms",
            match STANDARD.decode(cms.trim()) {
                Ok(der) => {
                    certificate::verify_cms_login(trust, &der, body.nonce.as_bytes(), now).await
                }
                Err(_) => Err(CertError::Malformed),
            },
        ),
        (None, Some(chain), Some(signature)) => (
            "signature",
            match (
                certificate::parse_chain(chain),
                STANDARD.decode(signature.trim()),
            ) {
                (Err(e), _) => Err(e),
                (_, Err(_)) => Err(CertError::BadSignature),
                (Ok(chain), Ok(signature)) => {
                    certificate::verify_login(trust, &chain, body.nonce.as_bytes(), &signature, now)
                        .await
                }
            },
        ),
        _ => {
            return Attempt::failed(
                StatusCode::BAD_REQUEST,
                &AppError::invalid(
                    "cms",
                    crate::error::Expected::ConsistentWith("certificateChain, signature"),
                ),
                lang,
            );
        }
    };
    let with_method = |mut a: Attempt| {
        a.method = Some(method);
        a
    };
    let identity = match verified {
        Ok(id) => id,
        Err(e) => return with_method(cert_refusal(e, lang)),
    };
    // The same rule as every request: unknown, blocked and suspended (termination date reached)
    // people get no token.
    let caller = match Principal::load(&state.db, identity.iin.as_str(), now).await {
        Ok(p) => p,
        Err(AppError::Unauthenticated) => {
            return with_method(Attempt::refused(
                "USER_UNKNOWN",
                format!("no active user with IIN {}", identity.iin),
                lang,
            ));
        }
        Err(e) => return Attempt::failed(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
    };
    if caller.organization.bin != identity.bin.as_str() {
        return with_method(Attempt::refused(
            "BIN_MISMATCH",
            format!(
                "the certificate's organization (BIN {}) is not the user's organization",
                identity.bin
            ),
            lang,
        ));
    }
    let user = caller.user;
    match state
        .keys
        .issue(&user.iin, Method::Eds, state.token_ttl, now)
    {
        Ok(issued) => Attempt {
            response: json_response(
                StatusCode::OK,
                json!({
                    "token": issued.token,
                    "expiresAt": issued.expires_at.to_rfc3339(),
                    "iin": user.iin,
                    "bin": identity.bin.as_str(),
                }),
            ),
            outcome: "OK".to_owned(),
            user: Some((user.id, caller.organization.id)),
            method: Some(method),
            detail: [
                ("certificateSerial", identity.serial.clone().into()),
                ("certificateIssuer", identity.issuer.clone().into()),
                ("tokenId", issued.jti.into()),
                ("expiresAt", issued.expires_at.to_rfc3339().into()),
            ]
            .into_iter()
            .map(|(k, v): (&str, serde_json::Value)| (k.to_owned(), v))
            .collect(),
        },
        Err(e) => Attempt::failed(
            StatusCode::INTERNAL_SERVER_ERROR,
            &AppError::Internal(anyhow::anyhow!(e)),
            lang,
        ),
    }
}

/// `POST /auth/logout`: revokes the bearer token on every server (its id is recorded until it
/// expires; the caller epoch tells the other servers at once).
#[handler]
pub async fn logout(req: &Request, Data(state): Data<&AppState>) -> Response {
    const DOOR: &str = "POST /auth/logout";
    let started = Instant::now();
    let lang = request_lang(req);
    let attempt = if let Err(wait) = rate_limit::check(state, req) {
        Attempt::answered(
            too_many_requests(wait, lang, false),
            ErrorCode::RateLimited.as_str(),
        )
    } else {
        match super::auth::bearer(req).map(|t| state.keys.verify(t)) {
            Some(Ok(v)) if !v.jti.is_empty() => {
                let user = crate::store::users::by_iin(&state.db, &v.iin)
                    .await
                    .ok()
                    .flatten();
                let now = state.clock.now();
                match crate::store::tokens::revoke(
                    &state.db,
                    &v.jti,
                    user.as_ref().map(|u| u.id),
                    v.expires_at,
                    now,
                )
                .await
                {
                    Ok(()) => Attempt {
                        user: user.map(|u| (u.id, u.organization_id)),
                        detail: [("tokenId".to_owned(), v.jti.into())].into_iter().collect(),
                        ..Attempt::answered(
                            json_response(StatusCode::OK, json!({ "revoked": true })),
                            "OK",
                        )
                    },
                    Err(e) => Attempt::failed(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
                }
            }
            _ => Attempt::failed(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated, lang),
        }
    };
    audited(state, req, DOOR, started, lang, attempt).await
}
