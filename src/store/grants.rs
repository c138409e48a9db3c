//! Grants of access to the information systems: read for the caller and the console, written
//! by the workflow's grant and block steps inside their transactions.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Order, Query};

use super::Db;
use super::row::insert_row;
use super::schema::AccessGrants;
use crate::authz::permissions::PeopleRows;
use crate::domain::budget::InformationSystem;
use crate::domain::grant::GrantState;
use crate::error::AppResult;

/// A grant of access to one system.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantRow {
    /// Id.
    pub id: i64,
    /// User.
    pub user_id: i64,
    /// System.
    #[sqlx(try_from = "String")]
    pub system: InformationSystem,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity (inclusive).
    pub valid_until: NaiveDate,
    /// Whether it stands or was revoked.
    #[sqlx(try_from = "String")]
    pub status: GrantState,
}

/// The columns [`GrantRow`] decodes.
pub(crate) const GRANT_COLUMNS: [AccessGrants; 6] = [
    AccessGrants::Id,
    AccessGrants::UserId,
    AccessGrants::System,
    AccessGrants::ValidFrom,
    AccessGrants::ValidUntil,
    AccessGrants::Status,
];

/// Every grant of a user visible in `people`, newest first.
pub async fn of_user(db: &Db, people: PeopleRows, user_id: i64) -> AppResult<Vec<GrantRow>> {
    let q = Query::select()
        .columns(GRANT_COLUMNS)
        .from(AccessGrants::Table)
        .and_where(Expr::col(AccessGrants::UserId).eq(user_id))
        .cond_where(people.of_person(Expr::col(AccessGrants::UserId)))
        .order_by(AccessGrants::ValidFrom, Order::Desc)
        .order_by(AccessGrants::Id, Order::Desc)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// Grants of a user not revoked whose last day is `today` or later, soonest end first.
pub async fn held(tx: &mut super::Tx, user_id: i64, today: NaiveDate) -> AppResult<Vec<GrantRow>> {
    let q = Query::select()
        .columns(GRANT_COLUMNS)
        .from(AccessGrants::Table)
        .and_where(Expr::col(AccessGrants::UserId).eq(user_id))
        .and_where(Expr::col(AccessGrants::Status).eq(GrantState::Active))
        .and_where(Expr::col(AccessGrants::ValidUntil).gte(today))
        .order_by(AccessGrants::ValidUntil, Order::Asc)
        .to_owned();
    Ok(tx.all(&q).await?)
}

/// Revokes every grant of a user still active (a block, or a move to another body).
pub async fn revoke_active(
    tx: &mut super::Tx,
    user_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let q = Query::update()
        .table(AccessGrants::Table)
        .values([
            (AccessGrants::Status, GrantState::Revoked.into()),
            (AccessGrants::RevokedAt, at.into()),
        ])
        .and_where(Expr::col(AccessGrants::UserId).eq(user_id))
        .and_where(Expr::col(AccessGrants::Status).eq(GrantState::Active))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// The last day of the user's latest active grant to `system`, if any.
pub async fn active_grant_end(
    tx: &mut super::Tx,
    user_id: i64,
    system: InformationSystem,
    today: NaiveDate,
) -> AppResult<Option<NaiveDate>> {
    let q = Query::select()
        .column(AccessGrants::ValidUntil)
        .from(AccessGrants::Table)
        .and_where(Expr::col(AccessGrants::UserId).eq(user_id))
        .and_where(Expr::col(AccessGrants::System).eq(system.as_str()))
        .and_where(Expr::col(AccessGrants::Status).eq(GrantState::Active))
        .and_where(Expr::col(AccessGrants::ValidUntil).gte(today))
        .order_by(AccessGrants::ValidUntil, Order::Desc)
        .limit(1)
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Until {
        valid_until: NaiveDate,
    }
    Ok(tx.optional::<Until>(&q).await?.map(|u| u.valid_until))
}

/// Stores a grant; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut super::Tx,
    user_id: i64,
    application_id: i64,
    system: InformationSystem,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    by: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<i64> {
    let q = insert_row(
        AccessGrants::Table,
        [
            AccessGrants::UserId,
            AccessGrants::ApplicationId,
            AccessGrants::System,
            AccessGrants::ValidFrom,
            AccessGrants::ValidUntil,
            AccessGrants::Status,
            AccessGrants::GrantedBy,
            AccessGrants::GrantedAt,
        ],
        [
            user_id.into(),
            application_id.into(),
            system.into(),
            valid_from.into(),
            valid_until.into(),
            GrantState::Active.into(),
            by.into(),
            at.into(),
        ],
    )
    .returning_col(AccessGrants::Id)
    .to_owned();
    Ok(tx.returning_i64(&q).await?)
}

/// Grants of these ids visible in `people`.
pub async fn by_ids(db: &Db, people: PeopleRows, ids: &[i64]) -> AppResult<Vec<GrantRow>> {
    let q = Query::select()
        .columns(GRANT_COLUMNS)
        .from(AccessGrants::Table)
        .and_where(Expr::col(AccessGrants::Id).is_in(ids.iter().copied()))
        .cond_where(people.of_person(Expr::col(AccessGrants::UserId)))
        .order_by(AccessGrants::Id, Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// Every grant visible in `people`, oldest first.
pub async fn all(db: &Db, people: PeopleRows) -> AppResult<Vec<GrantRow>> {
    let q = Query::select()
        .columns(GRANT_COLUMNS)
        .from(AccessGrants::Table)
        .cond_where(people.of_person(Expr::col(AccessGrants::UserId)))
        .order_by(AccessGrants::Id, Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}
