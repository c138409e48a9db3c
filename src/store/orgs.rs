//! Organizations: scoped reads by id and by page.

use sea_query::{Condition, Expr, ExprTrait, Order, Query, SelectStatement};

use super::Db;
use super::page::{Page, PageRequest};
use super::positional::by_position;
use super::schema::Organizations;
use crate::authz::permissions::OrgRows;
use crate::authz::scope::KeyColumns;
use crate::domain::budget::BudgetLevel;
use crate::domain::org::BodyKind;
use crate::error::AppResult;

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgRow {
    /// Id.
    pub id: i64,
    /// BIN.
    pub bin: String,
    /// Kind.
    #[sqlx(try_from = "String")]
    pub kind: BodyKind,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English, where known.
    pub name_en: Option<String>,
    /// Territory served or located in.
    pub kato: String,
    /// Level of the budget that funds it.
    #[sqlx(try_from = "String")]
    pub budget_level: BudgetLevel,
    /// Its administrator code, if it is one (or, for an internal audit service, its body's).
    pub administrator: Option<String>,
    /// Parent organization.
    pub parent_id: Option<i64>,
    /// Excluded by law from the audit bodies (paragraph 2.6).
    pub audit_excluded: bool,
}

by_position!(OrgRow {
    id,
    bin,
    kind: parsed,
    name_kk,
    name_ru,
    name_en,
    kato,
    budget_level: parsed,
    administrator,
    parent_id,
    audit_excluded
});

/// Filter on organizations.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Kinds of organization.
    pub kinds: Option<Vec<BodyKind>>,
    /// Organizations whose territory's KATO code starts with this prefix.
    pub kato_prefix: Option<String>,
    /// BINs.
    pub bins: Option<Vec<String>>,
}

/// The alias organizations are read under here.
const ORG: &str = "g";

/// The scope keys of organizations aliased `alias`.
pub(crate) fn org_keys(alias: &'static str) -> KeyColumns {
    KeyColumns::of(
        alias,
        Organizations::BudgetLevel,
        Organizations::Kato,
        Organizations::Administrator,
    )
}

/// The columns [`OrgRow`] decodes.
const COLUMNS: [Organizations; 11] = [
    Organizations::Id,
    Organizations::Bin,
    Organizations::Kind,
    Organizations::NameKk,
    Organizations::NameRu,
    Organizations::NameEn,
    Organizations::Kato,
    Organizations::BudgetLevel,
    Organizations::Administrator,
    Organizations::ParentId,
    Organizations::AuditExcluded,
];

fn select(rows: &OrgRows) -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(|c| (ORG, c)))
        .from_as(Organizations::Table, ORG)
        .cond_where(rows.condition(&org_keys(ORG), Expr::col((ORG, Organizations::Id))))
        .to_owned()
}

fn filter_condition(f: &OrganizationFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(kinds) = &f.kinds {
        c = c.add(Expr::col((ORG, Organizations::Kind)).is_in(kinds.iter().map(|k| k.as_str())));
    }
    if let Some(prefix) = &f.kato_prefix {
        c = c.add(super::filter::within_prefix(
            Expr::col((ORG, Organizations::Kato)),
            "filter.katoPrefix",
            prefix,
        )?);
    }
    if let Some(bins) = &f.bins {
        c = c.add(Expr::col((ORG, Organizations::Bin)).is_in(bins.iter().map(String::as_str)));
    }
    Ok(c)
}

/// Organizations within `rows` with the given ids (missing and invisible ids are simply absent).
pub async fn by_ids(db: &Db, rows: &OrgRows, ids: &[i64]) -> AppResult<Vec<OrgRow>> {
    let mut q = select(rows);
    q.and_where(Expr::col((ORG, Organizations::Id)).is_in(ids.iter().copied()));
    Ok(db.all_by_position(&q).await?)
}

/// A page of the organizations within `rows`.
pub async fn list(
    db: &Db,
    rows: &OrgRows,
    filter: Option<&OrganizationFilter>,
    page: PageRequest,
) -> AppResult<Page<OrgRow>> {
    let mut q = select(rows);
    if let Some(f) = filter {
        q.cond_where(filter_condition(f)?);
    }
    if let Some(after) = page.after {
        q.and_where(Expr::col((ORG, Organizations::Id)).gt(after));
    }
    q.order_by((ORG, Organizations::Id), Order::Asc)
        .limit(page.limit());
    Ok(Page::from_overfetch(db.all_by_position(&q).await?, page))
}

/// The caller's own organization, while establishing who calls (before any permission exists):
/// for [`crate::authz::principal`] alone.
pub(crate) async fn of_caller(db: &Db, id: i64) -> AppResult<Option<OrgRow>> {
    let mut q = select(&OrgRows::All);
    q.and_where(Expr::col((ORG, Organizations::Id)).eq(id));
    Ok(db.optional(&q).await?)
}

/// One organization by id, for a workflow step deciding whether it is the step's target (never
/// shown to a caller: reads go through [`by_ids`] with the caller's rows).
pub async fn find(db: &Db, id: i64) -> AppResult<Option<OrgRow>> {
    let mut q = select(&OrgRows::All);
    q.and_where(Expr::col((ORG, Organizations::Id)).eq(id));
    Ok(db.optional(&q).await?)
}

/// Locks an organization's row until the transaction ends (a head's designation serializes on
/// its body); `false` when there is no such organization.
pub async fn lock(tx: &mut super::Tx, id: i64) -> AppResult<bool> {
    let q = Query::select()
        .column(Organizations::Id)
        .from(Organizations::Table)
        .and_where(Expr::col(Organizations::Id).eq(id))
        .lock(sea_query::LockType::Update)
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Id {
        #[allow(dead_code)]
        id: i64,
    }
    Ok(tx.optional::<Id>(&q).await?.is_some())
}

/// The id of the organization with this BIN (operator commands name bodies by BIN).
pub async fn by_bin(db: &Db, bin: &str) -> AppResult<Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let q = Query::select()
        .column(Organizations::Id)
        .from(Organizations::Table)
        .and_where(Expr::col(Organizations::Bin).eq(bin))
        .to_owned();
    Ok(db.optional::<Id>(&q).await?.map(|i| i.id))
}
