//! Resolving the caller of a request: bearer token → user → organization, grants → the
//! request's [`Permissions`].

use std::sync::Arc;

use poem::Request;
use poem::http::header;

use super::AppState;
use crate::authz::Permissions;
use crate::authz::token::Method;
use crate::error::{AppError, ErrorCode};

/// Who calls, as what they may read and do (every read and action refused, with the reason,
/// when nobody valid calls), decided by the policy in force when the request arrived.
pub type Caller = Arc<Permissions>;

fn refusal(e: AppError) -> ErrorCode {
    if e.code() == ErrorCode::Internal {
        tracing::error!(error = %e, "resolving the caller failed");
    }
    e.code()
}

/// Resolves the caller once per request.
pub async fn resolve(state: &AppState, req: &Request) -> Caller {
    let principal = match bearer(req) {
        None => Err(ErrorCode::Unauthenticated),
        Some(token) => match state.keys.verify(token) {
            Err(e) => {
                tracing::debug!(error = %e, "token refused");
                Err(ErrorCode::Unauthenticated)
            }
            // Outside demo mode, operator-issued tokens serve only a server told to accept them.
            Ok(v) if v.method == Method::Operator && !state.accepts_operator_tokens() => {
                tracing::debug!("operator token refused");
                Err(ErrorCode::Unauthenticated)
            }
            Ok(v) => match state
                .callers
                .principal(&state.db, &v.iin, state.clock.now())
                .await
            {
                // Judged at the epoch the caller was just resolved at: a logout anywhere moves it.
                Ok(p) => match state
                    .revoked_tokens
                    .contains(
                        &state.db,
                        &v.jti,
                        state.callers.known_epoch(),
                        state.clock.now(),
                    )
                    .await
                {
                    Ok(false) => Ok(p),
                    Ok(true) => Err(ErrorCode::Unauthenticated),
                    Err(e) => Err(refusal(e)),
                },
                Err(e) => Err(refusal(e)),
            },
        },
    };
    // The policy is looked up again only when the caller epoch moved (a publication bumps it);
    // while the newest revision is unusable, an authenticated request is refused as a whole.
    let (principal, policy) = match principal {
        Ok(p) => match state
            .policy
            .at(&state.db, state.callers.known_epoch())
            .await
        {
            Ok(policy) => (Ok(p), policy),
            Err(e) => (Err(refusal(e)), state.policy.startup()),
        },
        Err(c) => (
            Err(c),
            state
                .policy
                .current()
                .unwrap_or_else(|_| state.policy.startup()),
        ),
    };
    match principal {
        Ok(p) => state.callers.permissions(&p, &policy),
        Err(code) => Arc::new(Permissions::resolve(Err(code), policy)),
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
