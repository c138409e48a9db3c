//! One-time login challenges, shared by every server instance.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Query};

use super::Db;
use crate::error::AppResult;

/// Stores a new challenge.
pub async fn create(
    db: &Db,
    nonce: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    let q = Query::insert()
        .into_table("auth_challenges")
        .columns(["nonce", "created_at", "expires_at"])
        .values_panic([nonce.into(), now.into(), expires_at.into()])
        .to_owned();
    db.execute(&q).await?;
    Ok(())
}

/// Marks a challenge used; `false` when it is unknown, expired or already used. One statement,
/// so two concurrent logins with the same nonce cannot both succeed.
pub async fn consume(db: &Db, nonce: &str, now: DateTime<Utc>) -> AppResult<bool> {
    let q = Query::update()
        .table("auth_challenges")
        .value("used_at", now)
        .and_where(Expr::col("nonce").eq(nonce))
        .and_where(Expr::col("used_at").is_null())
        .and_where(Expr::col("expires_at").gt(now))
        .to_owned();
    Ok(db.execute(&q).await? == 1)
}

/// Removes challenges that expired before `now` (used or not): nothing can answer them.
pub async fn purge(db: &Db, now: DateTime<Utc>) -> AppResult<u64> {
    let q = Query::delete()
        .from_table("auth_challenges")
        .and_where(Expr::col("expires_at").lt(now))
        .to_owned();
    Ok(db.execute(&q).await?)
}
