//! Users: the people who sign in, their heads' rights and blocks — the identity side of a
//! request (their grants are in [`super::grants`], their trainings in [`super::trainings`]).
//!
//! These reads are not scoped: they establish who the caller is, before any scope exists.
//! They only ever look up the caller (or, for operators, a user named on the command line).

use sea_query::{Expr, ExprTrait, LockType, OnConflict, Order, Query};

use super::Db;
use super::row::insert_row;
use super::schema::Users;
use crate::authz::permissions::PeopleRows;
use crate::domain::identity::UserStatus;
use crate::error::AppResult;

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// IIN.
    pub iin: String,
    /// Surname.
    pub surname: String,
    /// Given name.
    pub name: String,
    /// Patronymic.
    pub patronymic: Option<String>,
    /// Position.
    pub position: String,
    /// Structural unit.
    pub structural_unit: String,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Organization.
    pub organization_id: i64,
    /// Whether the user heads the organization.
    pub is_head: bool,
    /// May sign in, or blocked.
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    /// When the user was blocked.
    pub blocked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl UserRow {
    /// Whether the account is blocked.
    pub fn is_blocked(&self) -> bool {
        self.status == UserStatus::Blocked
    }

    /// "Surname Name Patronymic".
    pub fn full_name(&self) -> String {
        match &self.patronymic {
            Some(p) => format!("{} {} {p}", self.surname, self.name),
            None => format!("{} {}", self.surname, self.name),
        }
    }
}

/// The columns [`UserRow`] decodes.
pub(crate) const USER_COLUMNS: [Users; 13] = [
    Users::Id,
    Users::Iin,
    Users::Surname,
    Users::Name,
    Users::Patronymic,
    Users::Position,
    Users::StructuralUnit,
    Users::Phone,
    Users::Email,
    Users::OrganizationId,
    Users::IsHead,
    Users::Status,
    Users::BlockedAt,
];

/// The user with this IIN.
pub async fn by_iin(db: &Db, iin: &str) -> AppResult<Option<UserRow>> {
    Ok(db.optional(&with_iin(iin)).await?)
}

/// Every user visible in `people`, ordered by organization and IIN.
pub async fn all(db: &Db, people: PeopleRows) -> AppResult<Vec<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .cond_where(people.user_condition(Expr::col(Users::Id), Expr::col(Users::OrganizationId)))
        .order_by(Users::OrganizationId, Order::Asc)
        .order_by(Users::Iin, Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// A user by id, read and locked inside a transaction (PostgreSQL `FOR UPDATE`; SQLite's
/// write transactions hold the database's one writer lock): the step that reads it decides on
/// rows no other step can change until it commits.
pub async fn get(tx: &mut super::Tx, id: i64) -> AppResult<Option<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).eq(id))
        .lock(LockType::Update)
        .to_owned();
    Ok(tx.optional(&q).await?)
}

fn with_iin(iin: &str) -> sea_query::SelectStatement {
    Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Iin).eq(iin))
        .to_owned()
}

/// A user by IIN, read and locked inside a transaction (as [`get`]).
pub async fn get_by_iin(tx: &mut super::Tx, iin: &str) -> AppResult<Option<UserRow>> {
    Ok(tx
        .optional(&with_iin(iin).lock(LockType::Update).to_owned())
        .await?)
}

/// A user by IIN inside a read-only transaction (no lock: for what a reviewer is shown).
pub async fn find_by_iin(tx: &mut super::Tx, iin: &str) -> AppResult<Option<UserRow>> {
    Ok(tx.optional(&with_iin(iin)).await?)
}

/// The current head of an organization (unlocked: lock them by IIN in order).
pub async fn find_head_of(tx: &mut super::Tx, organization_id: i64) -> AppResult<Option<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::OrganizationId).eq(organization_id))
        .and_where(Expr::col(Users::IsHead).eq(true))
        .to_owned();
    Ok(tx.optional(&q).await?)
}

/// A user by id inside a transaction, unlocked (to learn whom to lock).
pub async fn find(tx: &mut super::Tx, id: i64) -> AppResult<Option<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).eq(id))
        .to_owned();
    Ok(tx.optional(&q).await?)
}

/// Makes `user_id` the head of their organization, ending the previous head's head rights in the
/// same transaction (the database holds at most one head per body).
pub async fn designate_head(
    tx: &mut super::Tx,
    organization_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let q = Query::update()
        .table(Users::Table)
        .value(Users::IsHead, false)
        .and_where(Expr::col(Users::OrganizationId).eq(organization_id))
        .and_where(Expr::col(Users::IsHead).eq(true))
        .and_where(Expr::col(Users::Id).ne(user_id))
        .to_owned();
    tx.execute(&q).await?;
    let q = Query::update()
        .table(Users::Table)
        .value(Users::IsHead, true)
        .and_where(Expr::col(Users::Id).eq(user_id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

fn form_values(e: &super::applications::EmployeeRow) -> [(Users, sea_query::Value); 8] {
    [
        (Users::Surname, e.surname.as_str().into()),
        (Users::Name, e.name.as_str().into()),
        (Users::Patronymic, e.patronymic.clone().into()),
        (Users::Position, e.position.as_str().into()),
        (Users::StructuralUnit, e.structural_unit.as_str().into()),
        (Users::Phone, e.phone.as_str().into()),
        (Users::Email, e.email.as_str().into()),
        (Users::EqyzmetQr, e.eqyzmet_qr.as_str().into()),
    ]
}

/// Registers the person of an application row at `organization_id`; `None` when a person with
/// that IIN exists (perhaps registered by a concurrent step a moment ago: read and lock them
/// with [`get_by_iin`] and judge them instead).
pub async fn create_from_employee(
    tx: &mut super::Tx,
    e: &super::applications::EmployeeRow,
    organization_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<i64>> {
    let values = form_values(e);
    let mut cols: Vec<Users> = values.iter().map(|(c, _)| *c).collect();
    cols.extend([Users::Iin, Users::OrganizationId, Users::CreatedAt]);
    let mut vals: Vec<sea_query::Value> = values.into_iter().map(|(_, v)| v).collect();
    vals.extend([e.iin.as_str().into(), organization_id.into(), now.into()]);
    let mut q = Query::insert();
    q.into_table(Users::Table)
        .columns(cols)
        .values(vals.into_iter().map(Into::into))
        .map_err(|err| anyhow::anyhow!("user insert: {err}"))?;
    q.on_conflict(OnConflict::column(Users::Iin).do_nothing().to_owned());
    q.returning_col(Users::Id);
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = tx.returning_all(&q).await?;
    Ok(ids.first().map(|i| i.id))
}

/// Updates a person from their application row: names, contacts, position and unit. Only ever
/// called for a member of the applying body, or for a person the grant registers there.
pub async fn update_from_employee(
    tx: &mut super::Tx,
    user_id: i64,
    e: &super::applications::EmployeeRow,
) -> AppResult<()> {
    let q = Query::update()
        .table(Users::Table)
        .values(form_values(e).map(|(c, v)| (c, Expr::from(v))))
        .and_where(Expr::col(Users::Id).eq(user_id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Registers a person who left their body (blocked, or terminated) at `organization_id`: active
/// again, heading nothing. The caller ends the old membership and starts the new one.
pub async fn reinstate(tx: &mut super::Tx, user_id: i64, organization_id: i64) -> AppResult<()> {
    let q = Query::update()
        .table(Users::Table)
        .values([
            (Users::OrganizationId, organization_id.into()),
            (Users::Status, UserStatus::Active.into()),
            (
                Users::BlockedAt,
                Option::<chrono::DateTime<chrono::Utc>>::None.into(),
            ),
            (Users::IsHead, false.into()),
        ])
        .and_where(Expr::col(Users::Id).eq(user_id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Blocks a user: their head rights end and every grant still active is revoked. The caller
/// ends their membership.
pub async fn block(
    tx: &mut super::Tx,
    user_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let q = Query::update()
        .table(Users::Table)
        .values([
            (Users::Status, UserStatus::Blocked.into()),
            (Users::BlockedAt, at.into()),
            (Users::IsHead, false.into()),
        ])
        .and_where(Expr::col(Users::Id).eq(user_id))
        .to_owned();
    tx.execute(&q).await?;
    super::grants::revoke_active(tx, user_id, at).await
}

/// Users of these ids visible in `people`.
pub async fn by_ids(db: &Db, people: PeopleRows, ids: &[i64]) -> AppResult<Vec<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).is_in(ids.iter().copied()))
        .cond_where(people.user_condition(Expr::col(Users::Id), Expr::col(Users::OrganizationId)))
        .to_owned();
    Ok(db.all(&q).await?)
}

/// A person the register names as a body's head.
#[derive(Debug, Clone, Copy)]
pub struct NewPerson<'a> {
    /// IIN.
    pub iin: &'a str,
    /// Surname.
    pub surname: &'a str,
    /// Given name.
    pub name: &'a str,
    /// Patronymic.
    pub patronymic: Option<&'a str>,
    /// Position.
    pub position: &'a str,
}

/// Registers a person new to the hub at `organization_id` (the head's own unit: the body's
/// leadership); returns the id. The caller starts the membership.
pub async fn create_person(
    tx: &mut super::Tx,
    p: &NewPerson<'_>,
    organization_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<i64> {
    let q = insert_row(
        Users::Table,
        [
            Users::Iin,
            Users::Surname,
            Users::Name,
            Users::Patronymic,
            Users::Position,
            Users::StructuralUnit,
            Users::OrganizationId,
            Users::CreatedAt,
        ],
        [
            p.iin.into(),
            p.surname.into(),
            p.name.into(),
            p.patronymic.into(),
            p.position.into(),
            HEAD_UNIT.into(),
            organization_id.into(),
            now.into(),
        ],
    )
    .returning_col(Users::Id)
    .to_owned();
    Ok(tx.returning_i64(&q).await?)
}

/// The structural unit of a head registered from the register of bodies.
pub const HEAD_UNIT: &str = "Басшылық / Руководство";
