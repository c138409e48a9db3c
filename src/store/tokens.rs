//! Revoked bearer tokens (migration 0011): a logout records the token's id until it expires.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Query};

use super::Db;
use super::row::insert_row;
use super::schema::RevokedTokens;
use crate::error::AppResult;

/// Records `jti` as revoked until `expires_at` (revoking twice changes nothing).
pub async fn revoke(
    db: &Db,
    jti: &str,
    user_id: Option<i64>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    // Revocations of expired tokens are of no use: they go as new ones come.
    let q = Query::delete()
        .from_table(RevokedTokens::Table)
        .and_where(Expr::col(RevokedTokens::ExpiresAt).lt(now))
        .to_owned();
    tx.execute(&q).await?;
    let q = insert_row(
        RevokedTokens::Table,
        [
            RevokedTokens::Jti,
            RevokedTokens::UserId,
            RevokedTokens::ExpiresAt,
            RevokedTokens::RevokedAt,
        ],
        [jti.into(), user_id.into(), expires_at.into(), now.into()],
    )
    .on_conflict(
        OnConflict::column(RevokedTokens::Jti)
            .do_nothing()
            .to_owned(),
    )
    .to_owned();
    tx.execute(&q).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Jti {
    jti: String,
}

/// The ids of tokens revoked and not yet expired at `now`.
pub async fn revoked(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    let q = Query::select()
        .column(RevokedTokens::Jti)
        .from(RevokedTokens::Table)
        .and_where(Expr::col(RevokedTokens::ExpiresAt).gte(now))
        .to_owned();
    Ok(db
        .all::<Jti>(&q)
        .await?
        .into_iter()
        .map(|j| j.jti)
        .collect())
}
