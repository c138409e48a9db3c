//! Users, their grants and training: the identity side of a request.
//!
//! These reads are not scoped: they establish who the caller is, before any scope exists.
//! They only ever look up the caller (or, for operators, a user named on the command line).

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Order, Query};

use super::Db;
use crate::domain::budget::InformationSystem;
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
    /// `ACTIVE` or `BLOCKED`.
    pub status: String,
}

impl UserRow {
    /// Whether the account is blocked.
    pub fn is_blocked(&self) -> bool {
        self.status == "BLOCKED"
    }

    /// "Surname Name Patronymic".
    pub fn full_name(&self) -> String {
        match &self.patronymic {
            Some(p) => format!("{} {} {p}", self.surname, self.name),
            None => format!("{} {}", self.surname, self.name),
        }
    }
}

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
    /// `ACTIVE` or `REVOKED`.
    pub status: String,
}

const USER_COLUMNS: [&str; 12] = [
    "id",
    "iin",
    "surname",
    "name",
    "patronymic",
    "position",
    "structural_unit",
    "phone",
    "email",
    "organization_id",
    "is_head",
    "status",
];

/// The user with this IIN.
pub async fn by_iin(db: &Db, iin: &str) -> AppResult<Option<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("iin").eq(iin))
        .to_owned();
    Ok(db.optional(&q).await?)
}

/// Every user, for operator listings, ordered by organization and IIN.
pub async fn all(db: &Db) -> AppResult<Vec<UserRow>> {
    let q = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .order_by("organization_id", Order::Asc)
        .order_by("iin", Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// Every grant of a user, newest first.
pub async fn grants(db: &Db, user_id: i64) -> AppResult<Vec<GrantRow>> {
    let q = Query::select()
        .columns([
            "id",
            "user_id",
            "system",
            "valid_from",
            "valid_until",
            "status",
        ])
        .from("access_grants")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("valid_from", Order::Desc)
        .order_by("id", Order::Desc)
        .to_owned();
    Ok(db.all(&q).await?)
}

#[derive(sqlx::FromRow)]
struct Day {
    completed_on: NaiveDate,
}

/// The date of the user's earliest completed training, if any.
pub async fn trained_on(db: &Db, user_id: i64) -> AppResult<Option<NaiveDate>> {
    let q = Query::select()
        .column("completed_on")
        .from("training_records")
        .and_where(Expr::col("user_id").eq(user_id))
        .order_by("completed_on", Order::Asc)
        .limit(1)
        .to_owned();
    Ok(db.optional::<Day>(&q).await?.map(|d| d.completed_on))
}
