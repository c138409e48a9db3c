//! Caller-supplied filters, validated and compiled to SQL conditions.

use sea_query::{Condition, Expr, ExprTrait, SimpleExpr};

use super::budget::{AMOUNT, LINE};
use super::schema::{BudgetAmounts, BudgetLines};
use crate::domain::budget::{BudgetLevel, BudgetPhase};
use crate::domain::territory::KatoPrefix;
use crate::error::{AppError, AppResult, Expected};

/// Deepest nesting of `and` / `or` / `not` accepted.
const MAX_FILTER_DEPTH: usize = 8;

/// Most values in all the lists of one filter, whatever the configuration: each is a bound
/// parameter, and SQLite takes at most 32 766 in a statement (the scope's own included).
pub const MAX_FILTER_VALUES: usize = 10_000;

/// How large a filter may be (configurable, see `serve --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterLimits {
    /// Most values in one list (`years`, `programs`, ...).
    pub max_list: usize,
    /// Most filter objects in one filter, the filter itself and every `and`, `or` and `not`
    /// member at any depth counted.
    pub max_nodes: usize,
}

impl Default for FilterLimits {
    fn default() -> Self {
        FilterLimits {
            max_list: 1000,
            max_nodes: 64,
        }
    }
}

/// Filter on budget amount rows (as `graphql::inputs` reads it from a caller). Fields combine
/// with AND; lists match any of their values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BudgetLineFilter {
    /// Budget years.
    pub years: Option<Vec<i32>>,
    /// Budget levels.
    pub levels: Option<Vec<BudgetLevel>>,
    /// Rows whose territory's KATO code starts with this prefix (1–9 digits).
    pub kato_prefix: Option<String>,
    /// Administrator codes (3 digits).
    pub administrators: Option<Vec<String>>,
    /// Program codes (3 digits).
    pub programs: Option<Vec<String>>,
    /// Subprogram codes (3 digits).
    pub subprograms: Option<Vec<String>>,
    /// Economic classification specifics (3 digits).
    pub specifics: Option<Vec<String>>,
    /// Functional groups (2 digits).
    pub functional_groups: Option<Vec<String>>,
    /// Phases.
    pub phases: Option<Vec<BudgetPhase>>,
    /// Execution snapshot date: EXECUTED rows are kept only when cumulative as of this date;
    /// rows of other phases are not affected.
    pub as_of: Option<chrono::NaiveDate>,
    /// All of these filters must match.
    pub and: Option<Vec<BudgetLineFilter>>,
    /// At least one of these filters must match.
    pub or: Option<Vec<BudgetLineFilter>>,
    /// This filter must not match.
    pub not: Option<Box<BudgetLineFilter>>,
}

/// Rows whose KATO `column` lies within the caller's prefix `raw` (1 to 9 digits, else refused
/// naming `field`), as an index range: the one place a KATO prefix filter is read and rendered.
pub(crate) fn within_prefix(
    column: sea_query::SimpleExpr,
    field: impl Into<String>,
    raw: &str,
) -> AppResult<Condition> {
    let prefix =
        KatoPrefix::parse(raw).ok_or_else(|| AppError::invalid(field, Expected::UpToDigits(9)))?;
    Ok(crate::authz::scope::starts_with(column, prefix.as_str()))
}

/// Checks that every code is exactly `n` digits; names the offending element.
fn check_codes(field: &str, codes: &[String], n: usize) -> AppResult<()> {
    for (i, c) in codes.iter().enumerate() {
        if c.len() != n || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(
                format!("{field}[{i}]"),
                Expected::Digits(n),
            ));
        }
    }
    Ok(())
}

/// The table aliases a budget filter is rendered against. Every source names its columns as
/// `budget_lines` and `budget_amounts` do (the rollups keep their names), so the filter names
/// them through [`BudgetLines`] and [`BudgetAmounts`] whatever the source.
#[derive(Debug, Clone, Copy)]
pub struct FilterTables {
    /// Alias of the source of the line's group keys (year, level, kato, administrator).
    pub keys: &'static str,
    /// Alias of the source of the classification codes (program, subprogram, specific,
    /// functional group).
    pub line: &'static str,
    /// Alias of the source of the amount columns (phase, as_of).
    pub amount: &'static str,
}

impl FilterTables {
    /// Budget lines `l` joined with amounts `a`, the group keys read from the lines.
    pub const LINES: FilterTables = FilterTables {
        keys: LINE,
        line: LINE,
        amount: AMOUNT,
    };
}

impl BudgetLineFilter {
    /// Validates and compiles the filter over budget lines `l` and amounts `a`. `path` is the
    /// argument's name, used in error messages (`filter.and[0].programs[1]`).
    pub fn condition(&self, path: &str) -> AppResult<Condition> {
        self.condition_over(path, FilterTables::LINES)
    }

    /// [`BudgetLineFilter::condition`] over other table aliases.
    pub fn condition_over(&self, path: &str, tables: FilterTables) -> AppResult<Condition> {
        self.condition_at(path, tables, 0)
    }

    /// Whether the filter reads only columns the budget rollup keeps (year, level, territory,
    /// administrator, phase, snapshot date): no program, subprogram, specific or functional group.
    pub fn rollup_compatible(&self) -> bool {
        self.everywhere(&|f: &Self| {
            f.programs.is_none()
                && f.subprograms.is_none()
                && f.specifics.is_none()
                && f.functional_groups.is_none()
        })
    }

    /// Whether the filter reads only columns the narrower region rollup keeps (year, level,
    /// phase, snapshot date): [`BudgetLineFilter::rollup_compatible`], and no territory prefix or
    /// administrator either, at any depth.
    pub fn region_rollup_compatible(&self) -> bool {
        self.rollup_compatible()
            && self.everywhere(&|f: &Self| f.kato_prefix.is_none() && f.administrators.is_none())
    }

    /// Whether `own` holds for this filter and every filter nested in it (`and`, `or`, `not`).
    fn everywhere(&self, own: &impl Fn(&Self) -> bool) -> bool {
        own(self)
            && self
                .and
                .iter()
                .chain(self.or.iter())
                .flatten()
                .all(|f| f.everywhere(own))
            && self.not.as_deref().is_none_or(|f| f.everywhere(own))
    }

    /// Refuses a filter over `limits` (or over [`MAX_FILTER_VALUES`] values in all), naming the
    /// list or the filter that is too large; a filter within them compiles into a statement
    /// every backend accepts.
    pub fn check_size(&self, path: &str, limits: &FilterLimits) -> AppResult<()> {
        let (mut nodes, mut values) = (0usize, 0usize);
        self.measure(path, limits, &mut nodes, &mut values)?;
        if nodes > limits.max_nodes {
            return Err(AppError::invalid(
                path,
                Expected::FilterSize(limits.max_nodes),
            ));
        }
        if values > MAX_FILTER_VALUES {
            return Err(AppError::invalid(
                path,
                Expected::AtMostItems(MAX_FILTER_VALUES),
            ));
        }
        Ok(())
    }

    fn measure(
        &self,
        path: &str,
        limits: &FilterLimits,
        nodes: &mut usize,
        values: &mut usize,
    ) -> AppResult<()> {
        *nodes += 1;
        if *nodes > limits.max_nodes {
            // Stop walking a huge tree at once.
            return Ok(());
        }
        let lists = [
            ("years", self.years.as_ref().map(Vec::len)),
            ("levels", self.levels.as_ref().map(Vec::len)),
            ("administrators", self.administrators.as_ref().map(Vec::len)),
            ("programs", self.programs.as_ref().map(Vec::len)),
            ("subprograms", self.subprograms.as_ref().map(Vec::len)),
            ("specifics", self.specifics.as_ref().map(Vec::len)),
            (
                "functionalGroups",
                self.functional_groups.as_ref().map(Vec::len),
            ),
            ("phases", self.phases.as_ref().map(Vec::len)),
        ];
        for (field, len) in lists {
            let len = len.unwrap_or(0);
            if len > limits.max_list {
                return Err(AppError::invalid(
                    format!("{path}.{field}"),
                    Expected::AtMostItems(limits.max_list),
                ));
            }
            *values += len;
        }
        for (name, members) in [("and", &self.and), ("or", &self.or)] {
            for (i, f) in members.iter().flatten().enumerate() {
                f.measure(&format!("{path}.{name}[{i}]"), limits, nodes, values)?;
            }
        }
        if let Some(not) = &self.not {
            not.measure(&format!("{path}.not"), limits, nodes, values)?;
        }
        Ok(())
    }

    fn condition_at(&self, path: &str, tables: FilterTables, depth: usize) -> AppResult<Condition> {
        if depth > MAX_FILTER_DEPTH {
            return Err(AppError::invalid(
                path,
                Expected::IntegerIn(0, MAX_FILTER_DEPTH as i64),
            ));
        }
        // The line's group keys are read from `tables.keys`, its classification codes from
        // `tables.line`.
        let key = |column: BudgetLines| Expr::col((tables.keys, column));
        let code = |column: BudgetLines| Expr::col((tables.line, column));
        let amount = |column: BudgetAmounts| Expr::col((tables.amount, column));
        let mut c = Condition::all();
        if let Some(years) = &self.years {
            c = c.add(key(BudgetLines::Year).is_in(years.iter().copied()));
        }
        if let Some(levels) = &self.levels {
            c = c.add(key(BudgetLines::Level).is_in(levels.iter().map(|l| l.as_str())));
        }
        if let Some(prefix) = &self.kato_prefix {
            c = c.add(within_prefix(
                key(BudgetLines::Kato),
                format!("{path}.katoPrefix"),
                prefix,
            )?);
        }
        let code_lists: [(&str, SimpleExpr, &Option<Vec<String>>, usize); 5] = [
            (
                "administrators",
                key(BudgetLines::Administrator),
                &self.administrators,
                3,
            ),
            ("programs", code(BudgetLines::Program), &self.programs, 3),
            (
                "subprograms",
                code(BudgetLines::Subprogram),
                &self.subprograms,
                3,
            ),
            ("specifics", code(BudgetLines::Specific), &self.specifics, 3),
            (
                "functionalGroups",
                code(BudgetLines::FunctionalGroup),
                &self.functional_groups,
                2,
            ),
        ];
        for (field, column, values, n) in code_lists {
            if let Some(values) = values {
                check_codes(&format!("{path}.{field}"), values, n)?;
                c = c.add(column.is_in(values.iter().map(String::as_str)));
            }
        }
        if let Some(phases) = &self.phases {
            c = c.add(amount(BudgetAmounts::Phase).is_in(phases.iter().map(|p| p.as_str())));
        }
        if let Some(as_of) = self.as_of {
            c = c.add(
                Condition::any()
                    .add(amount(BudgetAmounts::AsOf).is_null())
                    .add(amount(BudgetAmounts::AsOf).eq(as_of)),
            );
        }
        if let Some(all) = &self.and {
            for (i, f) in all.iter().enumerate() {
                c = c.add(f.condition_at(&format!("{path}.and[{i}]"), tables, depth + 1)?);
            }
        }
        if let Some(any) = &self.or {
            let mut or = Condition::any();
            for (i, f) in any.iter().enumerate() {
                or = or.add(f.condition_at(&format!("{path}.or[{i}]"), tables, depth + 1)?);
            }
            if !any.is_empty() {
                c = c.add(or);
            }
        }
        if let Some(not) = &self.not {
            c = c.add(
                not.condition_at(&format!("{path}.not"), tables, depth + 1)?
                    .not(),
            );
        }
        Ok(c)
    }
}
