//! Budget lines and amounts: scoped listing, aggregation and the natural-key upsert of imports.

use std::sync::LazyLock;

use chrono::NaiveDate;
use sea_query::{
    DynIden, Expr, ExprTrait, Func, Iden, IntoIden, NullOrdering, Order, Query, SelectStatement,
    Value,
};

use super::bulk::chunked_inserts;
use super::memo::Memo;
use super::page::{Page, PageRequest};
use super::positional::{Reads, by_position};
use super::schema::{BudgetAmounts, BudgetLines, BudgetRegionRollup, BudgetRollup};
use super::{Db, Tx};
use crate::authz::Scope;
use crate::authz::scope::KeyColumns;
use crate::domain::budget::{BudgetLevel, BudgetPhase};
use crate::error::AppResult;
use crate::store::filter::{BudgetLineFilter, FilterTables};

/// One amount of one budget line in one phase, with the line's classification.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BudgetLineRow {
    /// Id of the amount row.
    pub id: i64,
    /// Budget year.
    pub year: i32,
    /// Budget level.
    #[sqlx(try_from = "String")]
    pub level: BudgetLevel,
    /// KATO code of the budget's territory.
    pub kato: String,
    /// KATO code of its region; `None` for the republican budget.
    pub region_kato: Option<String>,
    /// Administrator code.
    pub administrator: String,
    /// Program code.
    pub program: String,
    /// Subprogram code, `""` when none.
    pub subprogram: String,
    /// Economic specific, `""` when none.
    pub specific: String,
    /// Functional group.
    pub functional_group: String,
    /// Phase.
    #[sqlx(try_from = "String")]
    pub phase: BudgetPhase,
    /// Date an EXECUTED amount is cumulative as of.
    pub as_of: Option<NaiveDate>,
    /// Amount in tenths of a thousand tenge.
    pub amount_tenths: i64,
}

// What a page may not ask for is prunable: a page reads only what its selection asks
// ([`Reads`]).
by_position!(BudgetLineRow {
    id,
    year,
    level: parsed,
    kato,
    region_kato: prunable,
    administrator,
    program,
    subprogram: prunable,
    specific: prunable,
    functional_group: prunable,
    phase: parsed,
    as_of: prunable,
    amount_tenths
});

/// A dimension to group amounts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetDimension {
    /// Budget year.
    Year,
    /// Budget level.
    Level,
    /// The row's region (`XX0000000`), null for the republican budget.
    Region,
    /// The row's own territory (KATO).
    Territory,
    /// Administrator code.
    Administrator,
    /// Program code.
    Program,
    /// Subprogram code.
    Subprogram,
    /// Economic specific.
    Specific,
    /// Functional group.
    FunctionalGroup,
    /// Phase.
    Phase,
}

impl BudgetDimension {
    /// The column of [`amounts_with_lines`] the dimension reads, with its alias.
    fn column(self) -> (&'static str, DynIden) {
        let line = |c: BudgetLines| (LINE, c.into_iden());
        match self {
            BudgetDimension::Year => line(BudgetLines::Year),
            BudgetDimension::Level => line(BudgetLines::Level),
            BudgetDimension::Region => line(BudgetLines::RegionKato),
            BudgetDimension::Territory => line(BudgetLines::Kato),
            BudgetDimension::Administrator => line(BudgetLines::Administrator),
            BudgetDimension::Program => line(BudgetLines::Program),
            BudgetDimension::Subprogram => line(BudgetLines::Subprogram),
            BudgetDimension::Specific => line(BudgetLines::Specific),
            BudgetDimension::FunctionalGroup => line(BudgetLines::FunctionalGroup),
            BudgetDimension::Phase => (AMOUNT, BudgetAmounts::Phase.into_iden()),
        }
    }

    /// The column the dimension is selected as (and named in CSV exports).
    pub fn column_name(self) -> &'static str {
        self.alias()
    }

    fn alias(self) -> &'static str {
        match self {
            BudgetDimension::Year => "year",
            BudgetDimension::Level => "level",
            BudgetDimension::Region => "region",
            BudgetDimension::Territory => "territory",
            BudgetDimension::Administrator => "administrator",
            BudgetDimension::Program => "program",
            BudgetDimension::Subprogram => "subprogram",
            BudgetDimension::Specific => "specific",
            BudgetDimension::FunctionalGroup => "functional_group",
            BudgetDimension::Phase => "phase",
        }
    }

    /// Whether the budget rollup keeps this dimension.
    fn in_rollup(self) -> bool {
        !matches!(
            self,
            BudgetDimension::Program
                | BudgetDimension::Subprogram
                | BudgetDimension::Specific
                | BudgetDimension::FunctionalGroup
        )
    }

    /// Whether the narrower region rollup keeps this dimension.
    fn in_region_rollup(self) -> bool {
        matches!(
            self,
            BudgetDimension::Year
                | BudgetDimension::Level
                | BudgetDimension::Region
                | BudgetDimension::Phase
        )
    }

    /// Every dimension.
    pub const ALL: [BudgetDimension; 10] = [
        BudgetDimension::Year,
        BudgetDimension::Level,
        BudgetDimension::Region,
        BudgetDimension::Territory,
        BudgetDimension::Administrator,
        BudgetDimension::Program,
        BudgetDimension::Subprogram,
        BudgetDimension::Specific,
        BudgetDimension::FunctionalGroup,
        BudgetDimension::Phase,
    ];
}

/// One group of a budget summary: the grouped keys (others `None`), the exact sum and the count.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AggregateRow {
    /// Year, when grouped by it.
    pub year: Option<i32>,
    /// Level, when grouped by it.
    pub level: Option<String>,
    /// Region, when grouped by it (and not republican).
    pub region: Option<String>,
    /// Territory, when grouped by it.
    pub territory: Option<String>,
    /// Administrator, when grouped by it.
    pub administrator: Option<String>,
    /// Program, when grouped by it.
    pub program: Option<String>,
    /// Subprogram, when grouped by it.
    pub subprogram: Option<String>,
    /// Specific, when grouped by it.
    pub specific: Option<String>,
    /// Functional group, when grouped by it.
    pub functional_group: Option<String>,
    /// Phase, when grouped by it.
    pub phase: Option<String>,
    /// Sum in tenths of a thousand tenge.
    pub amount_tenths: i64,
    /// Number of amount rows summed.
    pub line_count: i64,
}

// A summary's columns are read by position: by name, each value of each group looked its column
// up again (a sixth of a dashboard's instructions).
by_position!(AggregateRow {
    year,
    level,
    region,
    territory,
    administrator,
    program,
    subprogram,
    specific,
    functional_group,
    phase,
    amount_tenths,
    line_count
});

/// The alias of `budget_amounts` in [`amounts_with_lines`].
pub(super) const AMOUNT: &str = "a";
/// The alias of `budget_lines` in [`amounts_with_lines`].
pub(super) const LINE: &str = "l";
/// The alias of the rollup a summary reads.
const ROLLUP: &str = "r";

/// `budget_amounts a JOIN budget_lines l`, nothing selected yet.
pub(super) fn amounts_with_lines() -> SelectStatement {
    Query::select()
        .from_as(BudgetAmounts::Table, AMOUNT)
        .join_as(
            sea_query::JoinType::InnerJoin,
            BudgetLines::Table,
            LINE,
            Expr::col((LINE, BudgetLines::Id)).equals((AMOUNT, BudgetAmounts::LineId)),
        )
        .to_owned()
}

/// Restricts `q` to the caller's scope and the filter, both rendered on `tables`.
fn restrict(
    q: &mut SelectStatement,
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
    tables: FilterTables,
) -> AppResult<()> {
    // Every source names its keys and phase as the lines and amounts do.
    q.cond_where(scope.budget_condition(
        &KeyColumns::of(
            tables.keys,
            BudgetLines::Level,
            BudgetLines::Kato,
            BudgetLines::Administrator,
        ),
        Expr::col((tables.amount, BudgetAmounts::Phase)),
    ));
    if let Some(f) = filter {
        q.cond_where(f.condition_over("filter", tables)?);
    }
    Ok(())
}

/// `budget_amounts a JOIN budget_lines l` restricted by scope and filter. Scope and group keys
/// are read from the amount rows, which carry their line's (migration 0007), so that one index
/// serves the scope, the year and the id order of a page.
fn scoped_amounts(scope: &Scope, filter: Option<&BudgetLineFilter>) -> AppResult<SelectStatement> {
    let mut q = amounts_with_lines();
    let tables = FilterTables {
        keys: AMOUNT,
        line: LINE,
        amount: AMOUNT,
    };
    restrict(&mut q, scope, filter, tables)?;
    Ok(q)
}

/// The SQL of an unfiltered scoped read of amount rows, with values inlined (for `policy
/// explain`; never sent to the database).
pub fn scoped_sql(scope: &Scope, backend: crate::store::Backend) -> AppResult<String> {
    let mut q = scoped_amounts(scope, None)?;
    q.column((AMOUNT, BudgetAmounts::Id));
    Ok(match backend {
        crate::store::Backend::Sqlite => q.to_string(sea_query::SqliteQueryBuilder),
        crate::store::Backend::Postgres => q.to_string(sea_query::PostgresQueryBuilder),
    })
}

/// A page of amount rows in scope matching the filter, in id order, with the columns `reads`
/// (the others empty).
pub async fn list_lines(
    db: &Db,
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
    page: PageRequest,
    reads: Reads<BudgetLineRow>,
) -> AppResult<Page<BudgetLineRow>> {
    let shape = LinesShape {
        scope: scope.clone(),
        filter: filter.cloned(),
        first: page.first,
        reads,
        later: page.after.is_some(),
    };
    let q = LINES.rendered(db.backend(), shape, page.after.map(Value::from), || {
        lines_query(scope, filter, page, reads)
    })?;
    Ok(Page::from_overfetch(
        db.all_rendered_by_position(q).await?,
        page,
    ))
}

/// What a page of amount rows is built from, its cursor aside: equal shapes build one statement.
#[derive(PartialEq, Eq, Hash)]
struct LinesShape {
    scope: Scope,
    filter: Option<BudgetLineFilter>,
    first: u64,
    reads: Reads<BudgetLineRow>,
    /// A page after a cursor (bound last, [`lines_query`]).
    later: bool,
}

/// Pages of amount rows rendered before, by shape: 8 MiB at most (a police page's statement is
/// under a kilobyte).
static LINES: LazyLock<Memo<LinesShape>> = LazyLock::new(|| Memo::new(8 << 20));

/// [`list_lines`] inside a transaction (an export's snapshot).
pub async fn list_lines_in(
    tx: &mut Tx,
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
    page: PageRequest,
) -> AppResult<Page<BudgetLineRow>> {
    let q = lines_query(scope, filter, page, Reads::all())?;
    Ok(Page::from_overfetch(tx.all_by_position(&q).await?, page))
}

fn lines_query(
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
    page: PageRequest,
    reads: Reads<BudgetLineRow>,
) -> AppResult<SelectStatement> {
    let read = |c: &dyn Iden| reads.reads(&c.to_string());
    let mut q = scoped_amounts(scope, filter)?;
    q.column((AMOUNT, BudgetAmounts::Id))
        .columns(
            [
                BudgetLines::Year,
                BudgetLines::Level,
                BudgetLines::Kato,
                BudgetLines::RegionKato,
                BudgetLines::Administrator,
                BudgetLines::Program,
                BudgetLines::Subprogram,
                BudgetLines::Specific,
                BudgetLines::FunctionalGroup,
            ]
            .into_iter()
            .filter(|c| read(c))
            .map(|c| (LINE, c)),
        )
        .columns(
            [
                BudgetAmounts::Phase,
                BudgetAmounts::AsOf,
                BudgetAmounts::AmountTenths,
            ]
            .into_iter()
            .filter(|c| read(c))
            .map(|c| (AMOUNT, c)),
        )
        .order_by((AMOUNT, BudgetAmounts::Id), Order::Asc)
        .limit(page.limit());
    // The cursor is the last value bound: a remembered statement takes each page's ([`memo`]).
    // That holds because the LIMIT after it is written into the text (`render::select`); were
    // it bound, pages after a cursor would simply not be remembered.
    if let Some(after) = page.after {
        q.and_where(Expr::col((AMOUNT, BudgetAmounts::Id)).gt(after));
    }
    Ok(q)
}

/// Number of amount rows in scope matching the filter.
pub async fn count_lines(
    db: &Db,
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
) -> AppResult<i64> {
    Ok(db.scalar_i64(&count_query(scope, filter)?).await?)
}

/// [`count_lines`] inside a transaction (an export's snapshot).
pub async fn count_lines_in(
    tx: &mut Tx,
    scope: &Scope,
    filter: Option<&BudgetLineFilter>,
) -> AppResult<i64> {
    Ok(tx.scalar_i64(&count_query(scope, filter)?).await?)
}

fn count_query(scope: &Scope, filter: Option<&BudgetLineFilter>) -> AppResult<SelectStatement> {
    let mut q = scoped_amounts(scope, filter)?;
    q.expr(Func::count(Expr::col((AMOUNT, BudgetAmounts::Id))));
    Ok(q)
}

/// What a summary sums: the amount rows themselves, or one of their exact pre-aggregations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SummarySource {
    /// `budget_amounts` joined with `budget_lines`: answers every summary.
    Amounts,
    /// `budget_rollup`: answers summaries whose grouping and filter use only its columns.
    Rollup,
    /// `budget_region_rollup`: answers national summaries grouped and filtered by year, level,
    /// region, phase and snapshot date only.
    RegionRollup,
}

impl SummarySource {
    /// Whether this source answers the summary exactly. The region rollup has no territory or
    /// administrator, so it answers only scopes whose predicate needs neither (every reach
    /// national); phases, which the granted systems restrict, it keeps.
    pub fn answers(
        self,
        scope: &Scope,
        group_by: &[BudgetDimension],
        filter: Option<&BudgetLineFilter>,
    ) -> bool {
        match self {
            SummarySource::Amounts => true,
            SummarySource::Rollup => {
                group_by.iter().all(|d| d.in_rollup())
                    && filter.is_none_or(BudgetLineFilter::rollup_compatible)
            }
            SummarySource::RegionRollup => {
                scope.keys_unrestricted()
                    && group_by.iter().all(|d| d.in_region_rollup())
                    && filter.is_none_or(BudgetLineFilter::region_rollup_compatible)
            }
        }
    }

    /// The cheapest source that answers this summary exactly.
    pub fn for_query(
        scope: &Scope,
        group_by: &[BudgetDimension],
        filter: Option<&BudgetLineFilter>,
    ) -> Self {
        [SummarySource::RegionRollup, SummarySource::Rollup]
            .into_iter()
            .find(|s| s.answers(scope, group_by, filter))
            .unwrap_or(SummarySource::Amounts)
    }
}

/// Exact sums of amounts in scope matching the filter, grouped by `group_by`, ordered by the
/// keys; read from the rollup whenever it can answer.
pub async fn summary(
    db: &Db,
    scope: &Scope,
    group_by: &[BudgetDimension],
    filter: Option<&BudgetLineFilter>,
) -> AppResult<Vec<AggregateRow>> {
    let source = SummarySource::for_query(scope, group_by, filter);
    summary_from(db, scope, group_by, filter, source).await
}

/// [`summary`] from a given source; the rollup is refused (as an internal error) for a query it
/// cannot answer. Public so that tests can hold the two sources against each other.
pub async fn summary_from(
    db: &Db,
    scope: &Scope,
    group_by: &[BudgetDimension],
    filter: Option<&BudgetLineFilter>,
    source: SummarySource,
) -> AppResult<Vec<AggregateRow>> {
    let shape = SummaryShape {
        scope: scope.clone(),
        group_by: group_by.to_vec(),
        filter: filter.cloned(),
        source,
    };
    let q = SUMMARIES.rendered(db.backend(), shape, None, || {
        summary_query(scope, group_by, filter, source)
    })?;
    Ok(db.all_rendered_by_position(q).await?)
}

/// What a summary is built from: equal shapes build one statement ([`memo`]).
#[derive(PartialEq, Eq, Hash)]
struct SummaryShape {
    scope: Scope,
    group_by: Vec<BudgetDimension>,
    filter: Option<BudgetLineFilter>,
    source: SummarySource,
}

/// Summaries rendered before, by shape: 8 MiB at most.
static SUMMARIES: LazyLock<Memo<SummaryShape>> = LazyLock::new(|| Memo::new(8 << 20));

/// The select of a summary ([`summary_from`]).
fn summary_query(
    scope: &Scope,
    group_by: &[BudgetDimension],
    filter: Option<&BudgetLineFilter>,
    source: SummarySource,
) -> AppResult<SelectStatement> {
    let (mut q, table, count) = match source {
        SummarySource::Amounts => (
            scoped_amounts(scope, filter)?,
            AMOUNT,
            Func::count(Expr::col((AMOUNT, BudgetAmounts::Id))),
        ),
        SummarySource::Rollup | SummarySource::RegionRollup => {
            if !source.answers(scope, group_by, filter) {
                return Err(anyhow::anyhow!("the rollup cannot answer this summary").into());
            }
            let table = match source {
                SummarySource::RegionRollup => BudgetRegionRollup::Table.into_iden(),
                _ => BudgetRollup::Table.into_iden(),
            };
            let mut q = Query::select().from_as(table, ROLLUP).to_owned();
            let tables = FilterTables {
                keys: ROLLUP,
                line: ROLLUP,
                amount: ROLLUP,
            };
            restrict(&mut q, scope, filter, tables)?;
            // Both rollups name their count alike.
            (
                q,
                ROLLUP,
                Func::sum(Expr::col((ROLLUP, BudgetRollup::RowCount))),
            )
        }
    };
    // The rollup names every column as the line and amount tables do, under one alias.
    let column = |dim: BudgetDimension| match source {
        SummarySource::Amounts => dim.column(),
        SummarySource::Rollup | SummarySource::RegionRollup => (ROLLUP, dim.column().1),
    };
    for dim in BudgetDimension::ALL {
        if group_by.contains(&dim) {
            q.expr_as(Expr::col(column(dim)), dim.alias());
        } else if dim == BudgetDimension::Year {
            q.expr_as(Expr::cust("CAST(NULL AS INTEGER)"), dim.alias());
        } else {
            q.expr_as(Expr::cust("CAST(NULL AS TEXT)"), dim.alias());
        }
    }
    q.expr_as(
        Func::cast_as(
            Func::sum(Expr::col((table, BudgetAmounts::AmountTenths))),
            "BIGINT",
        ),
        "amount_tenths",
    )
    .expr_as(Func::cast_as(count, "BIGINT"), "line_count");
    let mut seen = Vec::new();
    for dim in group_by {
        if seen.contains(dim) {
            continue;
        }
        seen.push(*dim);
        q.add_group_by([Expr::col(column(*dim))]);
        // Explicit NULLS FIRST: the backends disagree on the default (republican rows have no region).
        q.order_by_with_nulls(column(*dim), Order::Asc, NullOrdering::First);
    }
    // SUM over no rows is NULL; an empty scope slice must give no groups, not one empty group.
    q.and_having(Func::count(Expr::col((table, BudgetAmounts::AmountTenths))).gt(0));
    Ok(q)
}

impl AggregateRow {
    /// The group's value of `dim` as text (`""` for null: not grouped by it, or no region).
    pub fn key(&self, dim: BudgetDimension) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match dim {
            BudgetDimension::Year => self.year.map(|y| y.to_string()).unwrap_or_default(),
            BudgetDimension::Level => text(&self.level),
            BudgetDimension::Region => text(&self.region),
            BudgetDimension::Territory => text(&self.territory),
            BudgetDimension::Administrator => text(&self.administrator),
            BudgetDimension::Program => text(&self.program),
            BudgetDimension::Subprogram => text(&self.subprogram),
            BudgetDimension::Specific => text(&self.specific),
            BudgetDimension::FunctionalGroup => text(&self.functional_group),
            BudgetDimension::Phase => text(&self.phase),
        }
    }
}

/// Natural key and attributes of a budget line, as imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineKey {
    /// Year.
    pub year: i32,
    /// Level.
    pub level: BudgetLevel,
    /// Territory.
    pub kato: String,
    /// Region of the territory (`None` for the Republic).
    pub region_kato: Option<String>,
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

impl LineKey {
    /// The `budget_lines` columns [`LineKey::values`] fills, in order.
    pub const COLUMNS: [BudgetLines; 9] = [
        BudgetLines::Year,
        BudgetLines::Level,
        BudgetLines::Kato,
        BudgetLines::RegionKato,
        BudgetLines::Administrator,
        BudgetLines::Program,
        BudgetLines::Subprogram,
        BudgetLines::Specific,
        BudgetLines::FunctionalGroup,
    ];

    /// The values of [`LineKey::COLUMNS`].
    pub fn values(&self) -> Vec<sea_query::Value> {
        vec![
            self.year.into(),
            self.level.into(),
            self.kato.as_str().into(),
            self.region_kato.clone().into(),
            self.administrator.as_str().into(),
            self.program.as_str().into(),
            self.subprogram.as_str().into(),
            self.specific.as_str().into(),
            self.functional_group.as_str().into(),
        ]
    }
}

/// The natural key of a budget line: (year, level, kato, administrator, program, subprogram,
/// specific).
pub type NaturalKey = (i32, &'static str, String, String, String, String, String);

impl LineKey {
    /// This line's natural key.
    pub fn natural(&self) -> NaturalKey {
        (
            self.year,
            self.level.as_str(),
            self.kato.clone(),
            self.administrator.clone(),
            self.program.clone(),
            self.subprogram.clone(),
            self.specific.clone(),
        )
    }
}

/// Keeps the first position and the last value of each key: what writing the items one by one
/// in order would leave (ids follow first appearance, the last write wins).
fn last_wins<K: std::hash::Hash + Eq + Clone, V>(
    items: impl IntoIterator<Item = (K, V)>,
) -> Vec<V> {
    let mut at: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    let mut out: Vec<V> = Vec::new();
    for (k, v) in items {
        match at.get(&k) {
            Some(&i) => out[i] = v,
            None => {
                at.insert(k, out.len());
                out.push(v);
            }
        }
    }
    out
}

#[derive(sqlx::FromRow)]
struct LineId {
    id: i64,
    year: i32,
    level: String,
    kato: String,
    administrator: String,
    program: String,
    subprogram: String,
    specific: String,
}

/// Inserts the lines, or updates the functional group of those that exist, several per
/// statement; returns the id of every natural key given.
pub async fn upsert_lines<'a>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = &'a LineKey>,
) -> AppResult<std::collections::HashMap<NaturalKey, i64>> {
    let rows = last_wins(keys.into_iter().map(|k| (k.natural(), k.values())));
    let conflict = sea_query::OnConflict::columns(NATURAL_COLUMNS)
        .update_column(BudgetLines::FunctionalGroup)
        .to_owned();
    let mut ids = std::collections::HashMap::with_capacity(rows.len());
    for q in chunked_inserts(BudgetLines::Table, &LineKey::COLUMNS, rows, Some(&conflict)) {
        let mut q = q?;
        q.returning(
            Query::returning().columns(std::iter::once(BudgetLines::Id).chain(NATURAL_COLUMNS)),
        );
        for r in tx.returning_all::<LineId, _>(&q).await? {
            let level = BudgetLevel::try_from(r.level).map_err(|e| anyhow::anyhow!("{e}"))?;
            ids.insert(
                (
                    r.year,
                    level.as_str(),
                    r.kato,
                    r.administrator,
                    r.program,
                    r.subprogram,
                    r.specific,
                ),
                r.id,
            );
        }
    }
    Ok(ids)
}

/// The columns of a budget line's natural key (its unique constraint).
const NATURAL_COLUMNS: [BudgetLines; 7] = [
    BudgetLines::Year,
    BudgetLines::Level,
    BudgetLines::Kato,
    BudgetLines::Administrator,
    BudgetLines::Program,
    BudgetLines::Subprogram,
    BudgetLines::Specific,
];

/// The columns of `budget_amounts` a writer fills: the amount, then its line's group keys.
pub const AMOUNT_COLUMNS: [BudgetAmounts; 8] = [
    BudgetAmounts::LineId,
    BudgetAmounts::Phase,
    BudgetAmounts::AsOf,
    BudgetAmounts::AmountTenths,
    BudgetAmounts::Year,
    BudgetAmounts::Level,
    BudgetAmounts::Kato,
    BudgetAmounts::Administrator,
];

/// One amount to write.
#[derive(Debug, Clone)]
pub struct NewAmount {
    /// The line.
    pub line_id: i64,
    /// The line's year, level, territory and administrator (copied onto the amount row).
    pub group: super::rollup::Group,
    /// Phase.
    pub phase: BudgetPhase,
    /// Snapshot date of an EXECUTED amount.
    pub as_of: Option<NaiveDate>,
    /// Amount in tenths of a thousand tenge.
    pub amount_tenths: i64,
}

/// Inserts or replaces amounts of lines in their phase (and snapshot date, for EXECUTED),
/// several per statement; of two amounts for the same slot the later wins.
pub async fn upsert_amounts(tx: &mut Tx, amounts: Vec<NewAmount>) -> AppResult<()> {
    let amounts = last_wins(
        amounts
            .into_iter()
            .map(|a| ((a.line_id, a.phase.as_str(), a.as_of), a)),
    );
    let (dated, plan): (Vec<NewAmount>, Vec<NewAmount>) =
        amounts.into_iter().partition(|a| a.as_of.is_some());
    // The two partial unique indexes are separate conflict targets.
    for (rows, is_dated) in [(plan, false), (dated, true)] {
        let (mut conflict, target) = if is_dated {
            (
                sea_query::OnConflict::columns([
                    BudgetAmounts::LineId,
                    BudgetAmounts::Phase,
                    BudgetAmounts::AsOf,
                ]),
                Expr::col(BudgetAmounts::AsOf).is_not_null(),
            )
        } else {
            (
                sea_query::OnConflict::columns([BudgetAmounts::LineId, BudgetAmounts::Phase]),
                Expr::col(BudgetAmounts::AsOf).is_null(),
            )
        };
        conflict
            .target_and_where(target)
            .update_column(BudgetAmounts::AmountTenths);
        let rows = rows.into_iter().map(|a| {
            vec![
                a.line_id.into(),
                a.phase.into(),
                a.as_of.into(),
                a.amount_tenths.into(),
                a.group.year.into(),
                a.group.level.into(),
                a.group.kato.into(),
                a.group.administrator.into(),
            ]
        });
        for q in chunked_inserts(BudgetAmounts::Table, &AMOUNT_COLUMNS, rows, Some(&conflict)) {
            tx.execute(&q?).await?;
        }
    }
    Ok(())
}

/// The ids of the budget lines with these natural keys (keys with no line are left out).
pub async fn line_ids(
    tx: &mut Tx,
    keys: &std::collections::BTreeSet<NaturalKey>,
) -> AppResult<std::collections::HashMap<NaturalKey, i64>> {
    let mut ids = std::collections::HashMap::with_capacity(keys.len());
    // One indexed lookup per key: an objects file names a few thousand lines at most.
    for key in keys {
        let (year, level, kato, administrator, program, subprogram, specific) = key;
        let q = Query::select()
            .column(BudgetLines::Id)
            .from(BudgetLines::Table)
            .and_where(Expr::col(BudgetLines::Year).eq(*year))
            .and_where(Expr::col(BudgetLines::Level).eq(*level))
            .and_where(Expr::col(BudgetLines::Kato).eq(kato.as_str()))
            .and_where(Expr::col(BudgetLines::Administrator).eq(administrator.as_str()))
            .and_where(Expr::col(BudgetLines::Program).eq(program.as_str()))
            .and_where(Expr::col(BudgetLines::Subprogram).eq(subprogram.as_str()))
            .and_where(Expr::col(BudgetLines::Specific).eq(specific.as_str()))
            .to_owned();
        #[derive(sqlx::FromRow)]
        struct Id {
            id: i64,
        }
        if let Some(row) = tx.optional::<Id>(&q).await? {
            ids.insert(key.clone(), row.id);
        }
    }
    Ok(ids)
}
