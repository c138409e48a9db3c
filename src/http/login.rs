//! Certificate login: `POST /auth/challenge` hands out a one-time nonce; `POST /auth/login` takes
//! a CMS SignedData over that nonce as NCALayer makes it (`{nonce, cms}`), or the certificate
//! chain and a raw signature over it (`{nonce, certificateChain, signature}`), and returns a
//! bearer token.
//!
//! The gate ([`super::gate`]) gives both doors the per-address rate limit (429), 503 before
//! reading anything when sign-in is not configured, at most [`MAX_LOGIN_BODY`] bytes (413 while
//! streaming), and one audit event per attempt; the handlers complete that event with the
//! outcome (the refusal's reason), the user, and what was checked or issued.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

use super::{AppState, json_response, problem, request_lang};
use crate::authz::certificate::{self, CertError};
use crate::authz::principal::Principal;
use crate::authz::token::Method;
use crate::domain::lang::Lang;
use crate::error::AppError;
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

/// Completes the request's audit event with the attempt, and answers.
fn answered(req: &Request, attempt: Attempt) -> Response {
    super::gate::recorder_of(req).update(|event| {
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
    });
    attempt.response
}

/// `POST /auth/challenge`.
#[handler]
pub async fn challenge(req: &Request, Data(state): Data<&AppState>) -> Response {
    let lang = request_lang(req);
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
    answered(req, attempt)
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

fn cert_refusal(e: CertError, lang: Lang) -> Attempt {
    Attempt::refused(e.reason(), e.to_string(), lang)
}

/// `POST /auth/login`.
#[handler]
pub async fn login(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let lang = request_lang(req);
    // The gate has bounded the body already; this limit only restates it.
    let attempt = match body.into_bytes_limit(MAX_LOGIN_BODY).await {
        Err(_) => Attempt::failed(
            StatusCode::PAYLOAD_TOO_LARGE,
            &AppError::invalid("body", crate::error::Expected::JsonObject("LoginRequest")),
            lang,
        ),
        Ok(bytes) => match serde_json::from_slice::<LoginRequest>(&bytes) {
            Err(_) => Attempt::failed(
                StatusCode::BAD_REQUEST,
                &AppError::invalid("body", crate::error::Expected::JsonObject("LoginRequest")),
                lang,
            ),
            Ok(body) => sign_in(state, body, lang).await,
        },
    };
    answered(req, attempt)
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
    let lang = request_lang(req);
    let attempt = match super::auth::bearer(req).map(|t| state.keys.verify(t)) {
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
    };
    answered(req, attempt)
}
