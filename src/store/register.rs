//! The register of bodies as the organizations import reads and writes it: every body by BIN
//! with its parent's BIN, inserted a generation at a time so parents get their ids first.

use std::collections::{BTreeMap, HashMap};

use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};

use super::Tx;
use super::schema::Organizations as O;
use crate::domain::budget::BudgetLevel;
use crate::domain::org::BodyKind;
use crate::error::AppResult;

/// A body as the register describes it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Body {
    /// BIN.
    pub bin: String,
    /// Kind.
    #[sqlx(try_from = "String")]
    pub kind: BodyKind,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: Option<String>,
    /// Territory.
    pub kato: String,
    /// Level of the budget that funds it.
    #[sqlx(try_from = "String")]
    pub budget_level: BudgetLevel,
    /// Its administrator code.
    pub administrator: Option<String>,
    /// Its parent's BIN.
    pub parent_bin: Option<String>,
    /// Excluded by law from the audit bodies (paragraph 2.6).
    pub audit_excluded: bool,
}

/// Serializes imports of the register.
pub async fn lock(tx: &mut Tx) -> AppResult<()> {
    super::bulk::lock_for_import(tx, O::Table).await
}

/// Every body, by BIN, with its id.
pub async fn all(tx: &mut Tx) -> AppResult<BTreeMap<String, (i64, Body)>> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        id: i64,
        #[sqlx(flatten)]
        body: Body,
    }
    let parent = Alias::new("p");
    let q = Query::select()
        .column((O::Table, O::Id))
        .columns(
            [
                O::Bin,
                O::Kind,
                O::NameKk,
                O::NameRu,
                O::NameEn,
                O::Kato,
                O::BudgetLevel,
                O::Administrator,
                O::AuditExcluded,
            ]
            .map(|c| (O::Table, c)),
        )
        .expr_as(
            Expr::col((parent.clone(), O::Bin)),
            Alias::new("parent_bin"),
        )
        .from(O::Table)
        .join_as(
            JoinType::LeftJoin,
            O::Table,
            parent.clone(),
            Expr::col((parent.clone(), O::Id)).equals((O::Table, O::ParentId)),
        )
        .to_owned();
    Ok(tx
        .all::<Stored>(&q)
        .await?
        .into_iter()
        .map(|s| (s.body.bin.clone(), (s.id, s.body)))
        .collect())
}

fn values(b: &Body, parent_id: Option<i64>) -> Vec<sea_query::Value> {
    vec![
        b.bin.clone().into(),
        b.kind.into(),
        b.name_kk.clone().into(),
        b.name_ru.clone().into(),
        b.name_en.clone().into(),
        b.kato.clone().into(),
        b.budget_level.into(),
        b.administrator.clone().into(),
        parent_id.into(),
        b.audit_excluded.into(),
    ]
}

const COLUMNS: [O; 10] = [
    O::Bin,
    O::Kind,
    O::NameKk,
    O::NameRu,
    O::NameEn,
    O::Kato,
    O::BudgetLevel,
    O::Administrator,
    O::ParentId,
    O::AuditExcluded,
];

/// Inserts new bodies with ids in the order given (the caller holds the table's import lock,
/// so the ids after the largest are free); `ids` holds the ids of bodies already in the
/// database by BIN and receives the new ones. A parent must be among `bodies` or in `ids`; a
/// body listed before its own parent gets its parent once both rows exist.
pub async fn insert(tx: &mut Tx, bodies: &[Body], ids: &mut HashMap<String, i64>) -> AppResult<()> {
    let max = Query::select()
        .expr(Func::coalesce([
            Expr::from(Func::max(Expr::col(O::Id))),
            Expr::val(0),
        ]))
        .from(O::Table)
        .to_owned();
    let first = tx.scalar_i64(&max).await? + 1;
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, b) in bodies.iter().enumerate() {
        ids.insert(b.bin.clone(), first + i as i64);
        position.insert(b.bin.as_str(), i);
    }
    let mut later_parents = Vec::new();
    let rows: Vec<Vec<sea_query::Value>> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let parent = b.parent_bin.as_deref();
            // A parent further down the file does not exist yet when this row is written.
            let later = parent
                .and_then(|p| position.get(p))
                .is_some_and(|&at| at > i);
            if later {
                later_parents.push(b);
            }
            let parent_id = if later {
                None
            } else {
                parent.and_then(|p| ids.get(p).copied())
            };
            let mut row = vec![ids.get(&b.bin).copied().into()];
            row.extend(values(b, parent_id));
            row
        })
        .collect();
    let mut columns = vec![O::Id];
    columns.extend(COLUMNS);
    for q in super::bulk::chunked_inserts(O::Table, &columns, rows, None) {
        tx.execute(&q?).await?;
    }
    for b in later_parents {
        update(tx, b, ids).await?;
    }
    super::bulk::resync_identity(tx, O::Table).await
}

/// Rewrites a changed body (its parent by BIN, which `ids` resolves).
pub async fn update(tx: &mut Tx, body: &Body, ids: &HashMap<String, i64>) -> AppResult<()> {
    let parent_id = body.parent_bin.as_ref().and_then(|p| ids.get(p).copied());
    let q = Query::update()
        .table(O::Table)
        .values(
            COLUMNS
                .into_iter()
                .zip(values(body, parent_id))
                .filter(|(c, _)| *c != O::Bin)
                .map(|(c, v)| (c, Expr::from(v))),
        )
        .and_where(Expr::col(O::Bin).eq(body.bin.as_str()))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}
