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

use sea_query::{Expr, ExprTrait, Func, Iden, IntoIden, Query, SelectStatement, SimpleExpr};

use super::Tx;
use super::budget::{AMOUNT, LINE};
use super::schema::{BudgetAmounts, BudgetLines, BudgetRegionRollup, BudgetRollup};
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

/// The alias of `budget_rollup` when the narrower rollup is summed from it.
const ROLLUP: &str = "r";

/// `table`'s (read under its name or an alias) group key columns `keys` (year, level, territory,
/// administrator) are those of `g`.
fn in_group<C: IntoIden>(table: impl IntoIden, keys: [C; 4], g: &Group) -> SimpleExpr {
    let table = table.into_iden();
    let [year, level, kato, administrator] = keys.map(|k| Expr::col((table.clone(), k)));
    year.eq(g.year)
        .and(level.eq(g.level.as_str()))
        .and(kato.eq(g.kato.as_str()))
        .and(administrator.eq(g.administrator.as_str()))
}

/// `table`'s (read under its name or an alias) `year` and `level` columns are these.
fn in_slice<C: IntoIden>(
    table: impl IntoIden,
    [year_col, level_col]: [C; 2],
    year: i32,
    level: BudgetLevel,
) -> SimpleExpr {
    let table = table.into_iden();
    Expr::col((table.clone(), year_col))
        .eq(year)
        .and(Expr::col((table, level_col)).eq(level.as_str()))
}

/// Rebuilds the rollup rows of the given groups (all of them when there are many).
pub async fn refresh(tx: &mut Tx, groups: &BTreeSet<Group>) -> AppResult<()> {
    if groups.len() > FULL_REBUILD_ABOVE {
        return rebuild(tx).await;
    }
    for g in groups {
        let delete = Query::delete()
            .from_table(BudgetRollup::Table)
            .and_where(in_group(
                BudgetRollup::Table,
                [
                    BudgetRollup::Year,
                    BudgetRollup::Level,
                    BudgetRollup::Kato,
                    BudgetRollup::Administrator,
                ],
                g,
            ))
            .to_owned();
        tx.execute(&delete).await?;
        let mut sums = sums();
        sums.and_where(in_group(
            LINE,
            [
                BudgetLines::Year,
                BudgetLines::Level,
                BudgetLines::Kato,
                BudgetLines::Administrator,
            ],
            g,
        ));
        tx.execute(&insert(sums)?).await?;
    }
    let slices: BTreeSet<(i32, BudgetLevel)> = groups.iter().map(|g| (g.year, g.level)).collect();
    for (year, level) in slices {
        tx.execute(
            &Query::delete()
                .from_table(BudgetRegionRollup::Table)
                .and_where(in_slice(
                    BudgetRegionRollup::Table,
                    [BudgetRegionRollup::Year, BudgetRegionRollup::Level],
                    year,
                    level,
                ))
                .to_owned(),
        )
        .await?;
        let mut sums = region_sums();
        sums.and_where(in_slice(
            ROLLUP,
            [BudgetRollup::Year, BudgetRollup::Level],
            year,
            level,
        ));
        tx.execute(&region_insert(sums)?).await?;
    }
    Ok(())
}

/// Rebuilds the whole rollup from the amounts.
pub async fn rebuild(tx: &mut Tx) -> AppResult<()> {
    tx.execute(&Query::delete().from_table(BudgetRollup::Table).to_owned())
        .await?;
    tx.execute(&insert(sums())?).await?;
    tx.execute(
        &Query::delete()
            .from_table(BudgetRegionRollup::Table)
            .to_owned(),
    )
    .await?;
    tx.execute(&region_insert(region_sums())?).await?;
    Ok(())
}

/// The narrower rollup's key columns, then the sum and the count, in the order
/// [`region_sums`] selects them.
const REGION_COLUMNS: [BudgetRegionRollup; 7] = [
    BudgetRegionRollup::Year,
    BudgetRegionRollup::Level,
    BudgetRegionRollup::RegionKato,
    BudgetRegionRollup::Phase,
    BudgetRegionRollup::AsOf,
    BudgetRegionRollup::AmountTenths,
    BudgetRegionRollup::RowCount,
];

/// `SELECT` of the narrower rollup's rows from `budget_rollup` (all slices; callers narrow it).
fn region_sums() -> SelectStatement {
    let keys = [
        BudgetRollup::Year,
        BudgetRollup::Level,
        BudgetRollup::RegionKato,
        BudgetRollup::Phase,
        BudgetRollup::AsOf,
    ]
    .map(|k| (ROLLUP, k));
    Query::select()
        .from_as(BudgetRollup::Table, ROLLUP)
        .columns(keys)
        .expr(Func::sum(Expr::col((ROLLUP, BudgetRollup::AmountTenths))))
        .expr(Func::sum(Expr::col((ROLLUP, BudgetRollup::RowCount))))
        .group_by_columns(keys)
        .to_owned()
}

/// The rollup columns, in the order [`sums`] selects them.
const COLUMNS: [BudgetRollup; 9] = [
    BudgetRollup::Year,
    BudgetRollup::Level,
    BudgetRollup::Kato,
    BudgetRollup::RegionKato,
    BudgetRollup::Administrator,
    BudgetRollup::Phase,
    BudgetRollup::AsOf,
    BudgetRollup::AmountTenths,
    BudgetRollup::RowCount,
];

/// `SELECT` of the rollup rows from the amounts (all groups; callers narrow it).
fn sums() -> SelectStatement {
    let keys = [
        (LINE, BudgetLines::Year.into_iden()),
        (LINE, BudgetLines::Level.into_iden()),
        (LINE, BudgetLines::Kato.into_iden()),
        (LINE, BudgetLines::RegionKato.into_iden()),
        (LINE, BudgetLines::Administrator.into_iden()),
        (AMOUNT, BudgetAmounts::Phase.into_iden()),
        (AMOUNT, BudgetAmounts::AsOf.into_iden()),
    ];
    super::budget::amounts_with_lines()
        .columns(keys.clone())
        .expr(Func::sum(Expr::col((AMOUNT, BudgetAmounts::AmountTenths))))
        .expr(Func::count(Expr::col((AMOUNT, BudgetAmounts::Id))))
        .group_by_columns(keys)
        .to_owned()
}

/// `INSERT INTO table (columns) <select>`, `table` a table enum's `Table` variant.
fn insert_into<T: Iden + Copy + 'static>(
    table: T,
    columns: impl IntoIterator<Item = T>,
    select: SelectStatement,
) -> AppResult<sea_query::InsertStatement> {
    Ok(Query::insert()
        .into_table(table)
        .columns(columns)
        .select_from(select)
        .map_err(|e| anyhow::anyhow!("insert into {}: {e}", table.to_string()))?
        .to_owned())
}

fn insert(select: SelectStatement) -> AppResult<sea_query::InsertStatement> {
    insert_into(BudgetRollup::Table, COLUMNS, select)
}

fn region_insert(select: SelectStatement) -> AppResult<sea_query::InsertStatement> {
    insert_into(BudgetRegionRollup::Table, REGION_COLUMNS, select)
}
