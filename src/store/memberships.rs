//! Memberships: a person's belonging to a body over time, and what a person is to a new
//! application (their registration, pending termination and held grants).
//!
//! `users.organization_id`, `position` and `structural_unit` mirror the newest membership, so a
//! caller is still resolved from one row; these functions keep the two in step inside the
//! transaction of the step that changes them.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Order, Query};

use super::Tx;
use super::grants::GrantRow;
use super::row::insert_row;
use super::schema::{BlockRequests, Memberships, Users};
use super::users::UserRow;
use crate::authz::permissions::PeopleRows;
use crate::domain::identity::{HeldGrant, Person};
use crate::error::AppResult;

/// Why a membership ended.
pub mod end_reason {
    /// The person was blocked (dismissal, transfer, end of powers).
    pub const BLOCKED: &str = "BLOCKED";
    /// The person's body recorded their termination and another body was granted them.
    pub const TRANSFERRED: &str = "TRANSFERRED";
    /// The person's body recorded their termination and the same body was granted them again.
    pub const RETURNED: &str = "RETURNED";
    /// The person moved to another position or unit of the same body.
    pub const REASSIGNED: &str = "REASSIGNED";
}

/// One membership.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MembershipRow {
    /// Id.
    pub id: i64,
    /// The person.
    pub user_id: i64,
    /// The body.
    pub organization_id: i64,
    /// Position held.
    pub position: String,
    /// Structural unit.
    pub structural_unit: String,
    /// First day.
    pub started_on: NaiveDate,
    /// Last day, once ended.
    pub ended_on: Option<NaiveDate>,
    /// Why it ended (`BLOCKED`, `TRANSFERRED`, `RETURNED`).
    pub end_reason: Option<String>,
    /// The application whose grant started it, if any.
    pub application_id: Option<i64>,
}

/// The columns [`MembershipRow`] decodes.
const COLUMNS: [Memberships; 9] = [
    Memberships::Id,
    Memberships::UserId,
    Memberships::OrganizationId,
    Memberships::Position,
    Memberships::StructuralUnit,
    Memberships::StartedOn,
    Memberships::EndedOn,
    Memberships::EndReason,
    Memberships::ApplicationId,
];

/// The columns a new membership is written with.
const START_COLUMNS: [Memberships; 5] = [
    Memberships::UserId,
    Memberships::OrganizationId,
    Memberships::Position,
    Memberships::StructuralUnit,
    Memberships::StartedOn,
];

/// Every membership of a person visible in `people`, newest first.
pub async fn history(
    tx: &mut Tx,
    people: PeopleRows,
    user_id: i64,
) -> AppResult<Vec<MembershipRow>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .cond_where(people.membership_condition(
            Expr::col(Memberships::UserId),
            Expr::col(Memberships::OrganizationId),
        ))
        .order_by(Memberships::StartedOn, Order::Desc)
        .order_by(Memberships::Id, Order::Desc)
        .to_owned();
    Ok(tx.all(&q).await?)
}

/// The person's current membership, if any.
pub async fn current(tx: &mut Tx, user_id: i64) -> AppResult<Option<MembershipRow>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::UserId).eq(user_id))
        .and_where(Expr::col(Memberships::EndedOn).is_null())
        .to_owned();
    Ok(tx.optional(&q).await?)
}

/// Starts a membership (the person must have none current: the database refuses a second).
pub async fn start(
    tx: &mut Tx,
    user: &UserRow,
    started_on: NaiveDate,
    application_id: Option<i64>,
) -> AppResult<()> {
    let q = insert_row(
        Memberships::Table,
        [
            Memberships::UserId,
            Memberships::OrganizationId,
            Memberships::Position,
            Memberships::StructuralUnit,
            Memberships::StartedOn,
            Memberships::ApplicationId,
        ],
        [
            user.id.into(),
            user.organization_id.into(),
            user.position.as_str().into(),
            user.structural_unit.as_str().into(),
            started_on.into(),
            application_id.into(),
        ],
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Ends the person's current membership on `ended_on` (never before it started); does nothing
/// when none is current.
pub async fn end(tx: &mut Tx, user_id: i64, ended_on: NaiveDate, reason: &str) -> AppResult<()> {
    let Some(m) = current(tx, user_id).await? else {
        return Ok(());
    };
    let q = Query::update()
        .table(Memberships::Table)
        .values([
            (
                Memberships::EndedOn,
                Ord::max(ended_on, m.started_on).into(),
            ),
            (Memberships::EndReason, reason.into()),
        ])
        .and_where(Expr::col(Memberships::Id).eq(m.id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Brings the person's membership in line with their row's position and unit: a change ends
/// the current membership (`REASSIGNED`, the day before) and starts one from `today`, so earlier
/// positions stay in the history; a correction on the day a membership started edits it.
pub async fn update_role(tx: &mut Tx, user: &UserRow, today: NaiveDate) -> AppResult<()> {
    let Some(m) = current(tx, user.id).await? else {
        return start(tx, user, today, None).await;
    };
    if m.position == user.position && m.structural_unit == user.structural_unit {
        return Ok(());
    }
    let Some(yesterday) = today.pred_opt().filter(|d| *d >= m.started_on) else {
        let q = Query::update()
            .table(Memberships::Table)
            .values([
                (Memberships::Position, user.position.as_str().into()),
                (
                    Memberships::StructuralUnit,
                    user.structural_unit.as_str().into(),
                ),
            ])
            .and_where(Expr::col(Memberships::Id).eq(m.id))
            .to_owned();
        tx.execute(&q).await?;
        return Ok(());
    };
    end(tx, user.id, yesterday, end_reason::REASSIGNED).await?;
    start(tx, user, today, m.application_id).await
}

/// Starts a membership on `today` for every active person without one (seeding, where people
/// are inserted in bulk).
pub async fn start_missing(tx: &mut Tx, today: NaiveDate) -> AppResult<u64> {
    let missing = Query::select()
        .column(Memberships::Id)
        .from(Memberships::Table)
        .and_where(
            Expr::col((Memberships::Table, Memberships::UserId)).equals((Users::Table, Users::Id)),
        )
        .to_owned();
    let select = Query::select()
        .columns(
            [
                Users::Id,
                Users::OrganizationId,
                Users::Position,
                Users::StructuralUnit,
            ]
            .map(|c| (Users::Table, c)),
        )
        .expr(Expr::val(today))
        .from(Users::Table)
        .and_where(
            Expr::col((Users::Table, Users::Status))
                .eq(crate::domain::identity::UserStatus::Active),
        )
        .and_where(Expr::exists(missing).not())
        .to_owned();
    let q = Query::insert()
        .into_table(Memberships::Table)
        .columns(START_COLUMNS)
        .select_from(select)
        .map_err(|e| anyhow::anyhow!("membership backfill: {e}"))?
        .to_owned();
    Ok(tx.execute(&q).await?)
}

#[derive(sqlx::FromRow)]
struct Termination {
    terminated_on: Option<NaiveDate>,
    requested_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn termination_query(user_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .expr_as(
            Func::min(Expr::col(BlockRequests::TerminatedOn)),
            "terminated_on",
        )
        .expr_as(
            Func::min(Expr::col(BlockRequests::RequestedAt)),
            "requested_at",
        )
        .from(BlockRequests::Table)
        .and_where(Expr::col(BlockRequests::UserId).eq(user_id))
        .and_where(Expr::col(BlockRequests::ExecutedAt).is_null())
        .to_owned()
}

/// The earliest termination date of the person's block requests not yet executed.
pub async fn pending_termination(tx: &mut Tx, user_id: i64) -> AppResult<Option<NaiveDate>> {
    let t = tx
        .optional::<Termination>(&termination_query(user_id))
        .await?;
    Ok(t.and_then(|t| t.terminated_on))
}

/// [`pending_termination`] outside a transaction (resolving a caller).
pub async fn termination_of(db: &super::Db, user_id: i64) -> AppResult<Option<NaiveDate>> {
    let t = db
        .optional::<Termination>(&termination_query(user_id))
        .await?;
    Ok(t.and_then(|t| t.terminated_on))
}

/// What the rules of [`crate::domain::identity`] need to know of a registered person on `today`.
pub async fn person(tx: &mut Tx, user: &UserRow, today: NaiveDate) -> AppResult<Person> {
    Ok(person_with_grants(tx, user, today).await?.0)
}

/// [`person`], with the grant rows it was judged on (for showing them).
pub async fn person_with_grants(
    tx: &mut Tx,
    user: &UserRow,
    today: NaiveDate,
) -> AppResult<(Person, Vec<GrantRow>)> {
    let pending = tx
        .optional::<Termination>(&termination_query(user.id))
        .await?;
    let (termination, requested_at) =
        pending.map_or((None, None), |t| (t.terminated_on, t.requested_at));
    let grants = super::grants::held(tx, user.id, today).await?;
    let person = Person {
        organization_id: user.organization_id,
        blocked: user.is_blocked(),
        termination,
        left_at: if user.is_blocked() {
            user.blocked_at
        } else {
            requested_at
        },
        grants: grants
            .iter()
            .map(|g| HeldGrant {
                system: g.system,
                valid_until: g.valid_until,
            })
            .collect(),
    };
    Ok((person, grants))
}
