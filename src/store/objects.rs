//! Informatization objects with their stage history and funding lines, scoped by the keys of
//! the owner organization (funding lines also by their own budget keys).

use chrono::NaiveDate;
use sea_query::{Condition, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::Db;
use super::orgs::org_keys;
use super::page::{Page, PageRequest};
use crate::authz::Scope;
use crate::authz::scope::KeyColumns;
use crate::domain::budget::BudgetLevel;
use crate::domain::object::{AccessLevel, LifecycleStage, ObjectKind};
use crate::error::AppResult;

/// An informatization object.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ObjectRow {
    /// Id.
    pub id: i64,
    /// Kind.
    #[sqlx(try_from = "String")]
    pub kind: ObjectKind,
    /// Class 1–3.
    pub object_class: i32,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: Option<String>,
    /// Account code on the architecture portal.
    pub account_code: String,
    /// Owner organization.
    pub owner_id: i64,
    /// Possessor organization.
    pub possessor_id: i64,
    /// Current lifecycle stage.
    #[sqlx(try_from = "String")]
    pub stage: LifecycleStage,
    /// Access level.
    #[sqlx(try_from = "String")]
    pub access_level: AccessLevel,
    /// Date registered.
    pub registered_on: NaiveDate,
}

/// One step of an object's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StageRow {
    /// Object.
    pub object_id: i64,
    /// Stage entered.
    #[sqlx(try_from = "String")]
    pub stage: LifecycleStage,
    /// Date entered.
    pub started_on: NaiveDate,
    /// The act or order it rests on.
    pub basis: Option<String>,
}

/// A budget line funding an object.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FundingRow {
    /// Object.
    pub object_id: i64,
    /// Budget line id.
    pub line_id: i64,
    /// Year.
    pub year: i32,
    /// Level.
    #[sqlx(try_from = "String")]
    pub level: BudgetLevel,
    /// Territory.
    pub kato: String,
    /// Administrator.
    pub administrator: String,
    /// Program.
    pub program: String,
    /// Subprogram or `""`.
    pub subprogram: String,
    /// Specific or `""`.
    pub specific: String,
    /// Functional group.
    pub functional_group: String,
}

/// Filter on informatization objects.
#[derive(Debug, Clone, Default)]
pub struct InformatizationObjectFilter {
    /// Kinds.
    pub kinds: Option<Vec<ObjectKind>>,
    /// Current stages.
    pub stages: Option<Vec<LifecycleStage>>,
    /// Access levels.
    pub access_levels: Option<Vec<AccessLevel>>,
    /// Owner organization ids.
    pub owner_ids: Option<Vec<i64>>,
    /// Objects whose owner's territory KATO starts with this prefix.
    pub kato_prefix: Option<String>,
}

/// Joins the owner organization `ow` and applies the scope to it.
fn scoped(q: &mut SelectStatement, scope: &Scope, object_alias: &'static str) {
    q.join_as(
        JoinType::InnerJoin,
        "organizations",
        "ow",
        Expr::col(("ow", "id")).equals((object_alias, "owner_id")),
    )
    .cond_where(scope.keys_condition(&org_keys("ow")));
}

fn select(scope: &Scope) -> SelectStatement {
    let mut q = Query::select()
        .columns([
            ("o", "id"),
            ("o", "kind"),
            ("o", "object_class"),
            ("o", "name_kk"),
            ("o", "name_ru"),
            ("o", "name_en"),
            ("o", "account_code"),
            ("o", "owner_id"),
            ("o", "possessor_id"),
            ("o", "stage"),
            ("o", "access_level"),
            ("o", "registered_on"),
        ])
        .from_as("informatization_objects", "o")
        .to_owned();
    scoped(&mut q, scope, "o");
    q
}

fn filter_condition(f: &InformatizationObjectFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(kinds) = &f.kinds {
        c = c.add(Expr::col(("o", "kind")).is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(stages) = &f.stages {
        c = c.add(Expr::col(("o", "stage")).is_in(stages.iter().map(|k| k.as_str())));
    }
    if let Some(levels) = &f.access_levels {
        c = c.add(Expr::col(("o", "access_level")).is_in(levels.iter().map(|k| k.as_str())));
    }
    if let Some(owners) = &f.owner_ids {
        c = c.add(Expr::col(("o", "owner_id")).is_in(owners.iter().copied()));
    }
    if let Some(prefix) = &f.kato_prefix {
        c = c.add(super::filter::within_prefix(
            Expr::col(("ow", "kato")),
            "filter.katoPrefix",
            prefix,
        )?);
    }
    Ok(c)
}

/// A page of objects in scope.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: Option<&InformatizationObjectFilter>,
    page: PageRequest,
) -> AppResult<Page<ObjectRow>> {
    let mut q = select(scope);
    if let Some(f) = filter {
        q.cond_where(filter_condition(f)?);
    }
    if let Some(after) = page.after {
        q.and_where(Expr::col(("o", "id")).gt(after));
    }
    q.order_by(("o", "id"), Order::Asc).limit(page.limit());
    Ok(Page::from_overfetch(db.all(&q).await?, page))
}

/// Objects in scope with the given ids.
pub async fn by_ids(db: &Db, scope: &Scope, ids: &[i64]) -> AppResult<Vec<ObjectRow>> {
    let mut q = select(scope);
    q.and_where(Expr::col(("o", "id")).is_in(ids.iter().copied()));
    Ok(db.all(&q).await?)
}

/// Stage history of the given objects (those in scope), oldest first.
pub async fn stages(db: &Db, scope: &Scope, object_ids: &[i64]) -> AppResult<Vec<StageRow>> {
    let mut q = Query::select()
        .columns([
            ("h", "object_id"),
            ("h", "stage"),
            ("h", "started_on"),
            ("h", "basis"),
        ])
        .from_as("object_stage_history", "h")
        .join_as(
            JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("h", "object_id")),
        )
        .and_where(Expr::col(("h", "object_id")).is_in(object_ids.iter().copied()))
        .order_by(("h", "object_id"), Order::Asc)
        .order_by(("h", "started_on"), Order::Asc)
        .order_by(("h", "id"), Order::Asc)
        .to_owned();
    scoped(&mut q, scope, "o");
    Ok(db.all(&q).await?)
}

/// Budget lines funding the given objects: objects in scope, lines in scope by their own keys.
pub async fn funding(db: &Db, scope: &Scope, object_ids: &[i64]) -> AppResult<Vec<FundingRow>> {
    let mut q = Query::select()
        .column(("f", "object_id"))
        .expr_as(Expr::col(("l", "id")), "line_id")
        .columns([
            ("l", "year"),
            ("l", "level"),
            ("l", "kato"),
            ("l", "administrator"),
            ("l", "program"),
            ("l", "subprogram"),
            ("l", "specific"),
            ("l", "functional_group"),
        ])
        .from_as("object_funding", "f")
        .join_as(
            JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("f", "object_id")),
        )
        .join_as(
            JoinType::InnerJoin,
            "budget_lines",
            "l",
            Expr::col(("l", "id")).equals(("f", "line_id")),
        )
        .and_where(Expr::col(("f", "object_id")).is_in(object_ids.iter().copied()))
        .cond_where(scope.keys_condition(&KeyColumns::of("l", "level", "kato", "administrator")))
        .order_by(("f", "object_id"), Order::Asc)
        .order_by(("l", "id"), Order::Asc)
        .to_owned();
    scoped(&mut q, scope, "o");
    Ok(db.all(&q).await?)
}
