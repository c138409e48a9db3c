//! `token`: an operator-issued bearer token for a registered user, on the record.

use super::Context;
use crate::authz::token::Method;
use crate::clock::Clock;

/// Whom the token is for, and for how long.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The user's IIN.
    #[arg(long)]
    iin: String,
    /// How long the token is valid (e.g. `8h`, `30m`; at most 24 hours). Operator tokens
    /// serve only servers started with `--allow-operator-tokens` (or in demo mode).
    #[arg(long, default_value = "8h", value_parser = operator_ttl)]
    ttl: std::time::Duration,
}

/// An operator token's lifetime: a duration of at most 24 hours.
fn operator_ttl(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d > crate::authz::token::MAX_OPERATOR_TTL || d.is_zero() {
        return Err(format!(
            "an operator token lives more than 0 and at most 24h (got `{s}`)"
        ));
    }
    Ok(d)
}

/// Issues the token and records it in the audit trail.
pub(super) async fn run(cx: &Context<'_>, args: TokenArgs) -> anyhow::Result<i32> {
    let TokenArgs { iin, ttl } = args;
    let keys = cx.global.token_keys()?;
    let db = cx.open().await?;
    let clock = Clock::default();
    // The same rule as a request: unknown, blocked and suspended people get no token.
    match crate::authz::principal::Principal::load(&db, &iin, clock.now()).await {
        Ok(p) => {
            let issued = keys.issue(&iin, Method::Operator, ttl, clock.now())?;
            // Issuing a token is on the record: whom for, how, until when.
            let event = crate::audit::Event {
                at: clock.now(),
                user_id: Some(p.user.id),
                organization_id: Some(p.organization.id),
                operation: Some("audit-hub token".to_owned()),
                variables: Some(
                    serde_json::json!({
                        "method": Method::Operator.as_str(),
                        "tokenId": issued.jti,
                        "expiresAt": issued.expires_at.to_rfc3339(),
                    })
                    .to_string(),
                ),
                outcome: "OK".to_owned(),
                ..Default::default()
            };
            let mut tx = db.begin_audit().await?;
            crate::audit::append(&mut tx, event).await?;
            tx.commit().await?;
            println!("{}", issued.token);
            Ok(0)
        }
        Err(crate::error::AppError::Unauthenticated) => {
            anyhow::bail!(
                "no user with IIN {iin} who may sign in: unknown, blocked, or past the termination date their body named"
            )
        }
        Err(e) => Err(e.into()),
    }
}
