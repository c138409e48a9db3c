//! Certificate login: `POST /auth/challenge` hands out a one-time nonce; `POST /auth/login` takes
//! a CMS SignedData over that nonce as NCALayer makes it (`{nonce, cms}`), or the certificate
//! chain and a raw signature over it (`{nonce, certificateChain, signature}`), and returns a
//! bearer token.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

use super::{AppState, problem, request_lang};
use crate::authz::certificate::{self, CertError};
use crate::authz::principal::Principal;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::store::challenges;

/// How long a challenge may be answered.
const CHALLENGE_TTL: Duration = Duration::from_secs(300);

/// `POST /auth/challenge`.
#[handler]
pub async fn challenge(req: &Request, Data(state): Data<&AppState>) -> Response {
    let lang = request_lang(req);
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let now = state.clock.now();
    let expires = now + chrono::Duration::from_std(CHALLENGE_TTL).unwrap_or_default();
    if let Err(e) = challenges::create(&state.db, &nonce, now, expires).await {
        tracing::error!(error = %e, "storing a login challenge failed");
        return problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang);
    }
    json_response(
        StatusCode::OK,
        json!({ "nonce": nonce, "expiresAt": expires.to_rfc3339() }),
    )
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

fn refuse(reason: &str, detail: String, lang: Lang) -> Response {
    let message = format!("{}: {detail}", AppError::Unauthenticated.message(lang));
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({ "code": "UNAUTHENTICATED", "reason": reason, "message": message }),
    )
}

fn cert_refusal(e: CertError, lang: Lang) -> Response {
    refuse(e.reason(), e.to_string(), lang)
}

/// `POST /auth/login`.
#[handler]
pub async fn login(
    req: &Request,
    Data(state): Data<&AppState>,
    body: Result<Json<LoginRequest>, poem::Error>,
) -> Response {
    let lang = request_lang(req);
    let Some(anchors) = &state.trust_anchors else {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "code": "NOT_CONFIGURED", "message": "certificate login is not configured (AUDIT_HUB_TRUST_ANCHORS)" }),
        );
    };
    let Ok(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            &AppError::invalid("body", crate::error::Expected::Present),
            lang,
        );
    };
    let now = state.clock.now();
    // The nonce is spent first: a failed attempt cannot be retried with the same challenge.
    match challenges::consume(&state.db, &body.nonce, now).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                "CHALLENGE_INVALID",
                "the challenge is unknown, expired or already used".into(),
                lang,
            );
        }
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
    }
    let trust = certificate::Trust {
        anchors,
        revocation: state.revocation.as_deref(),
    };
    let verified = match (&body.cms, &body.certificate_chain, &body.signature) {
        (Some(cms), None, None) => match STANDARD.decode(cms.trim()) {
            Ok(der) => certificate::verify_cms_login(trust, &der, body.nonce.as_bytes(), now),
            Err(_) => Err(CertError::Malformed),
        },
        (None, Some(chain), Some(signature)) => certificate::parse_chain(chain).and_then(|chain| {
            let signature = STANDARD
                .decode(signature.trim())
                .map_err(|_| CertError::BadSignature)?;
            certificate::verify_login(trust, &chain, body.nonce.as_bytes(), &signature, now)
        }),
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                &AppError::invalid(
                    "cms",
                    crate::error::Expected::ConsistentWith("certificateChain, signature"),
                ),
                lang,
            );
        }
    };
    let identity = match verified {
        Ok(id) => id,
        Err(e) => return cert_refusal(e, lang),
    };
    // The same rule as every request: unknown, blocked and suspended (termination date reached)
    // people get no token.
    let caller = match Principal::load(&state.db, identity.iin.as_str(), now).await {
        Ok(p) => p,
        Err(AppError::Unauthenticated) => {
            return refuse(
                "USER_UNKNOWN",
                format!("no active user with IIN {}", identity.iin),
                lang,
            );
        }
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, &e, lang),
    };
    if caller.organization.bin != identity.bin.as_str() {
        return refuse(
            "BIN_MISMATCH",
            format!(
                "the certificate's organization (BIN {}) is not the user's organization",
                identity.bin
            ),
            lang,
        );
    }
    let user = caller.user;
    match state.keys.issue(&user.iin, state.token_ttl, now) {
        Ok(token) => json_response(
            StatusCode::OK,
            json!({
                "token": token,
                "expiresAt": (now + chrono::Duration::from_std(state.token_ttl).unwrap_or_default()).to_rfc3339(),
                "iin": user.iin,
                "bin": identity.bin.as_str(),
            }),
        ),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &AppError::Internal(anyhow::anyhow!(e)),
            lang,
        ),
    }
}
