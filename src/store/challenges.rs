//! One-time login challenges, shared by every server instance.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Query};

use super::Db;
use super::row::insert_row;
use super::schema::AuthChallenges;
use crate::error::AppResult;

/// Stores a new challenge.
pub async fn create(
    db: &Db,
    nonce: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    let q = insert_row(
        AuthChallenges::Table,
        [
            AuthChallenges::Nonce,
            AuthChallenges::CreatedAt,
            AuthChallenges::ExpiresAt,
        ],
        [nonce.into(), now.into(), expires_at.into()],
    )
    .to_owned();
    db.execute(&q).await?;
    Ok(())
}

/// Marks a challenge used; `false` when it is unknown, expired or already used. One statement,
/// so two concurrent logins with the same nonce cannot both succeed.
pub async fn consume(db: &Db, nonce: &str, now: DateTime<Utc>) -> AppResult<bool> {
    let q = Query::update()
        .table(AuthChallenges::Table)
        .value(AuthChallenges::UsedAt, now)
        .and_where(Expr::col(AuthChallenges::Nonce).eq(nonce))
        .and_where(Expr::col(AuthChallenges::UsedAt).is_null())
        .and_where(Expr::col(AuthChallenges::ExpiresAt).gt(now))
        .to_owned();
    Ok(db.execute(&q).await? == 1)
}

/// Removes challenges that expired before `now` (used or not): nothing can answer them.
pub async fn purge(db: &Db, now: DateTime<Utc>) -> AppResult<u64> {
    let q = Query::delete()
        .from_table(AuthChallenges::Table)
        .and_where(Expr::col(AuthChallenges::ExpiresAt).lt(now))
        .to_owned();
    Ok(db.execute(&q).await?)
}
