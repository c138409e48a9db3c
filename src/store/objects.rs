//! Informatization objects with their stage history and funding lines, scoped by the keys of
//! the owner organization, which each object carries (funding lines also by their own budget
//! keys).

use chrono::NaiveDate;
use sea_query::{Condition, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::Db;
use super::page::{Page, PageRequest};
use super::positional::{Reads, by_position};
use super::schema::{
    BudgetLines, InformatizationObjects as Objects, ObjectFunding, ObjectStageHistory,
};
use crate::authz::Scope;
use crate::authz::scope::KeyColumns;
use crate::domain::budget::BudgetLevel;
use crate::domain::object::{AccessLevel, AttestationStatus, LifecycleStage, ObjectKind};
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
    /// Information-security attestation.
    #[sqlx(try_from = "String")]
    pub attestation: AttestationStatus,
    /// Date of the attestation certificate, when attested.
    pub attested_on: Option<NaiveDate>,
}

by_position!(ObjectRow {
    id,
    kind: parsed,
    object_class,
    name_kk,
    name_ru,
    name_en,
    account_code,
    owner_id,
    possessor_id,
    stage: parsed,
    access_level: parsed,
    registered_on,
    attestation: parsed,
    attested_on
});

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

by_position!(StageRow {
    object_id,
    stage: parsed,
    started_on,
    basis
});

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

// The codes a page may not ask for are prunable: an object page reads only what its selection
// asks ([`Reads`]).
by_position!(FundingRow {
    object_id,
    line_id,
    year,
    level: parsed,
    kato: prunable,
    administrator: prunable,
    program: prunable,
    subprogram: prunable,
    specific: prunable,
    functional_group: prunable
});

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

/// The alias of the objects read.
const OBJECT: &str = "o";
/// The alias of the stage history rows.
const STAGE: &str = "h";
/// The alias of the funding rows.
const FUNDING: &str = "f";
/// The alias of the funding budget lines.
const LINE: &str = "l";

/// The columns [`ObjectRow`] decodes.
const COLUMNS: [Objects; 14] = [
    Objects::Id,
    Objects::Kind,
    Objects::ObjectClass,
    Objects::NameKk,
    Objects::NameRu,
    Objects::NameEn,
    Objects::AccountCode,
    Objects::OwnerId,
    Objects::PossessorId,
    Objects::Stage,
    Objects::AccessLevel,
    Objects::RegisteredOn,
    Objects::Attestation,
    Objects::AttestedOn,
];

/// The owner organization's scope keys, as the object read under `alias` carries them (kept
/// equal to the owner's by the database: migration 0016).
pub(crate) fn owner_keys(alias: &'static str) -> KeyColumns {
    KeyColumns::of(
        alias,
        Objects::OwnerLevel,
        Objects::OwnerKato,
        Objects::OwnerAdministrator,
    )
}

/// Applies the scope to the objects read under `object_alias`.
fn scoped(q: &mut SelectStatement, scope: &Scope, object_alias: &'static str) {
    q.cond_where(scope.keys_condition(&owner_keys(object_alias)));
}

fn select(scope: &Scope) -> SelectStatement {
    let mut q = Query::select()
        .columns(COLUMNS.map(|c| (OBJECT, c)))
        .from_as(Objects::Table, OBJECT)
        .to_owned();
    scoped(&mut q, scope, OBJECT);
    q
}

fn filter_condition(f: &InformatizationObjectFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(kinds) = &f.kinds {
        c = c.add(Expr::col((OBJECT, Objects::Kind)).is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(stages) = &f.stages {
        c = c.add(Expr::col((OBJECT, Objects::Stage)).is_in(stages.iter().map(|k| k.as_str())));
    }
    if let Some(levels) = &f.access_levels {
        c = c.add(
            Expr::col((OBJECT, Objects::AccessLevel)).is_in(levels.iter().map(|k| k.as_str())),
        );
    }
    if let Some(owners) = &f.owner_ids {
        c = c.add(Expr::col((OBJECT, Objects::OwnerId)).is_in(owners.iter().copied()));
    }
    if let Some(prefix) = &f.kato_prefix {
        c = c.add(super::filter::within_prefix(
            Expr::col((OBJECT, Objects::OwnerKato)),
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
        q.and_where(Expr::col((OBJECT, Objects::Id)).gt(after));
    }
    q.order_by((OBJECT, Objects::Id), Order::Asc)
        .limit(page.limit());
    Ok(Page::from_overfetch(db.all_by_position(&q).await?, page))
}

/// Objects in scope with the given ids.
pub async fn by_ids(db: &Db, scope: &Scope, ids: &[i64]) -> AppResult<Vec<ObjectRow>> {
    let mut q = select(scope);
    q.and_where(Expr::col((OBJECT, Objects::Id)).is_in(ids.iter().copied()));
    Ok(db.all_by_position(&q).await?)
}

/// Stage history of the given objects (those in scope), oldest first.
pub async fn stages(db: &Db, scope: &Scope, object_ids: &[i64]) -> AppResult<Vec<StageRow>> {
    let mut q = Query::select()
        .columns(
            [
                ObjectStageHistory::ObjectId,
                ObjectStageHistory::Stage,
                ObjectStageHistory::StartedOn,
                ObjectStageHistory::Basis,
            ]
            .map(|c| (STAGE, c)),
        )
        .from_as(ObjectStageHistory::Table, STAGE)
        .join_as(
            JoinType::InnerJoin,
            Objects::Table,
            OBJECT,
            Expr::col((OBJECT, Objects::Id)).equals((STAGE, ObjectStageHistory::ObjectId)),
        )
        .and_where(
            Expr::col((STAGE, ObjectStageHistory::ObjectId)).is_in(object_ids.iter().copied()),
        )
        .order_by((STAGE, ObjectStageHistory::ObjectId), Order::Asc)
        .order_by((STAGE, ObjectStageHistory::StartedOn), Order::Asc)
        .order_by((STAGE, ObjectStageHistory::Id), Order::Asc)
        .to_owned();
    scoped(&mut q, scope, OBJECT);
    Ok(db.all_by_position(&q).await?)
}

/// Budget lines funding the given objects: objects in scope, lines in scope by their own keys;
/// with the columns `reads` (the others empty).
pub async fn funding(
    db: &Db,
    scope: &Scope,
    object_ids: &[i64],
    reads: Reads<FundingRow>,
) -> AppResult<Vec<FundingRow>> {
    let mut q = Query::select()
        .column((FUNDING, ObjectFunding::ObjectId))
        .expr_as(Expr::col((LINE, BudgetLines::Id)), "line_id")
        .columns(
            [
                BudgetLines::Year,
                BudgetLines::Level,
                BudgetLines::Kato,
                BudgetLines::Administrator,
                BudgetLines::Program,
                BudgetLines::Subprogram,
                BudgetLines::Specific,
                BudgetLines::FunctionalGroup,
            ]
            .into_iter()
            .filter(|c| reads.reads(&sea_query::Iden::to_string(c)))
            .map(|c| (LINE, c)),
        )
        .from_as(ObjectFunding::Table, FUNDING)
        .join_as(
            JoinType::InnerJoin,
            Objects::Table,
            OBJECT,
            Expr::col((OBJECT, Objects::Id)).equals((FUNDING, ObjectFunding::ObjectId)),
        )
        .join_as(
            JoinType::InnerJoin,
            BudgetLines::Table,
            LINE,
            Expr::col((LINE, BudgetLines::Id)).equals((FUNDING, ObjectFunding::LineId)),
        )
        .and_where(Expr::col((FUNDING, ObjectFunding::ObjectId)).is_in(object_ids.iter().copied()))
        .cond_where(scope.keys_condition(&KeyColumns::of(
            LINE,
            BudgetLines::Level,
            BudgetLines::Kato,
            BudgetLines::Administrator,
        )))
        .order_by((FUNDING, ObjectFunding::ObjectId), Order::Asc)
        .order_by((LINE, BudgetLines::Id), Order::Asc)
        .to_owned();
    scoped(&mut q, scope, OBJECT);
    Ok(db.all_by_position(&q).await?)
}
