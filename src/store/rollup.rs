//! The exact pre-aggregation of budget amounts (`budget_rollup`, migration 0005): kept in step
//! with every write of amounts, inside the writer's transaction.
//!
//! A rollup row sums the amount rows of one (year, level, territory, administrator, phase,
//! snapshot date). Writers rebuild the rows of the (year, level, territory, administrator) groups
//! they touched from `budget_amounts` itself rather than adding deltas, so a rollup row is always
//! a plain `GROUP BY` of the rows it stands for and cannot drift. The narrower
//! `budget_region_rollup` (migration 0008: year, level, region, phase, snapshot date) is rebuilt
//! the same way, for the (year, level) slices touched, from `budget_rollup`.

use std::collections::BTreeSet;

use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};

use super::Tx;
use crate::domain::budget::BudgetLevel;
use crate::error::AppResult;

/// Above this many touched groups one full rebuild is cheaper than group-by-group statements.
const FULL_REBUILD_ABOVE: usize = 1000;

/// Arbitrary constant naming the PostgreSQL advisory lock that serializes budget writers.
const BUDGET_WRITE_LOCK: i64 = 0x6275_6467_6574; // "budget"

/// The group a budget line belongs to in the rollup.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Group {
    /// Year.
    pub year: i32,
    /// Level.
    pub level: BudgetLevel,
    /// Territory.
    pub kato: String,
    /// Administrator code.
    pub administrator: String,
}

/// Serializes writers of budget amounts for the rest of the transaction.
///
/// Two imports rebuilding the same group concurrently could each delete the old rollup rows and
/// insert sums that include the other's amounts, counting them twice. SQLite already admits one
/// writer at a time; PostgreSQL takes a transaction-scoped advisory lock.
pub async fn lock_writers(tx: &mut Tx) -> AppResult<()> {
    if tx.backend() == super::Backend::Postgres {
        tx.raw(&format!(
            "SELECT pg_advisory_xact_lock({BUDGET_WRITE_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

/// Rebuilds the rollup rows of the given groups (all of them when there are many).
pub async fn refresh(tx: &mut Tx, groups: &BTreeSet<Group>) -> AppResult<()> {
    if groups.len() > FULL_REBUILD_ABOVE {
        return rebuild(tx).await;
    }
    for g in groups {
        let matches = |table: &'static str| {
            Expr::col((table, "year"))
                .eq(g.year)
                .and(Expr::col((table, "level")).eq(g.level.as_str()))
                .and(Expr::col((table, "kato")).eq(g.kato.as_str()))
                .and(Expr::col((table, "administrator")).eq(g.administrator.as_str()))
        };
        let delete = Query::delete()
            .from_table("budget_rollup")
            .and_where(matches("budget_rollup"))
            .to_owned();
        tx.execute(&delete).await?;
        let mut sums = sums();
        sums.and_where(matches("l"));
        tx.execute(&insert(sums)?).await?;
    }
    let slices: BTreeSet<(i32, BudgetLevel)> = groups.iter().map(|g| (g.year, g.level)).collect();
    for (year, level) in slices {
        let matches = |table: &'static str| {
            Expr::col((table, "year"))
                .eq(year)
                .and(Expr::col((table, "level")).eq(level.as_str()))
        };
        tx.execute(
            &Query::delete()
                .from_table(REGION_TABLE)
                .and_where(matches(REGION_TABLE))
                .to_owned(),
        )
        .await?;
        let mut sums = region_sums();
        sums.and_where(matches("r"));
        tx.execute(&region_insert(sums)?).await?;
    }
    Ok(())
}

/// Rebuilds the whole rollup from the amounts.
pub async fn rebuild(tx: &mut Tx) -> AppResult<()> {
    tx.execute(&Query::delete().from_table("budget_rollup").to_owned())
        .await?;
    tx.execute(&insert(sums())?).await?;
    tx.execute(&Query::delete().from_table(REGION_TABLE).to_owned())
        .await?;
    tx.execute(&region_insert(region_sums())?).await?;
    Ok(())
}

/// The narrower rollup's table.
const REGION_TABLE: &str = "budget_region_rollup";

/// Its key columns, then the sum and the count, in the order [`region_sums`] selects them.
const REGION_KEYS: [&str; 5] = ["year", "level", "region_kato", "phase", "as_of"];

/// `SELECT` of the narrower rollup's rows from `budget_rollup` (all slices; callers narrow it).
fn region_sums() -> SelectStatement {
    let keys = REGION_KEYS.map(|k| ("r", k));
    Query::select()
        .from_as("budget_rollup", "r")
        .columns(keys)
        .expr(Func::sum(Expr::col(("r", "amount_tenths"))))
        .expr(Func::sum(Expr::col(("r", "row_count"))))
        .group_by_columns(keys)
        .to_owned()
}

/// The rollup columns, in the order [`sums`] selects them.
const COLUMNS: [&str; 9] = [
    "year",
    "level",
    "kato",
    "region_kato",
    "administrator",
    "phase",
    "as_of",
    "amount_tenths",
    "row_count",
];

/// `SELECT` of the rollup rows from the amounts (all groups; callers narrow it).
fn sums() -> SelectStatement {
    let keys = [
        ("l", "year"),
        ("l", "level"),
        ("l", "kato"),
        ("l", "region_kato"),
        ("l", "administrator"),
        ("a", "phase"),
        ("a", "as_of"),
    ];
    super::budget::amounts_with_lines()
        .columns(keys)
        .expr(Func::sum(Expr::col(("a", "amount_tenths"))))
        .expr(Func::count(Expr::col(("a", "id"))))
        .group_by_columns(keys)
        .to_owned()
}

/// `INSERT INTO table (columns) <select>`.
fn insert_into(
    table: &'static str,
    columns: impl IntoIterator<Item = &'static str>,
    select: SelectStatement,
) -> AppResult<sea_query::InsertStatement> {
    Ok(Query::insert()
        .into_table(table)
        .columns(columns)
        .select_from(select)
        .map_err(|e| anyhow::anyhow!("insert into {table}: {e}"))?
        .to_owned())
}

fn insert(select: SelectStatement) -> AppResult<sea_query::InsertStatement> {
    insert_into("budget_rollup", COLUMNS, select)
}

fn region_insert(select: SelectStatement) -> AppResult<sea_query::InsertStatement> {
    let columns = REGION_KEYS
        .into_iter()
        .chain(["amount_tenths", "row_count"]);
    insert_into(REGION_TABLE, columns, select)
}
