//! Caller-supplied filters, validated and compiled to SQL conditions.

use async_graphql::InputObject;
use sea_query::{Condition, Expr, ExprTrait};

use crate::domain::budget::{BudgetLevel, BudgetPhase};
use crate::error::{AppError, AppResult, Expected};

/// Deepest nesting of `and` / `or` / `not` accepted.
const MAX_FILTER_DEPTH: usize = 8;

/// Filter on budget amount rows. Fields combine with AND; lists match any of their values.
#[derive(InputObject, Debug, Clone, Default)]
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
    pub as_of: Option<crate::domain::date::Date>,
    /// All of these filters must match.
    pub and: Option<Vec<BudgetLineFilter>>,
    /// At least one of these filters must match.
    pub or: Option<Vec<BudgetLineFilter>>,
    /// This filter must not match.
    pub not: Option<Box<BudgetLineFilter>>,
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

/// The table aliases a budget filter is rendered against.
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
        keys: "l",
        line: "l",
        amount: "a",
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

    fn condition_at(&self, path: &str, tables: FilterTables, depth: usize) -> AppResult<Condition> {
        if depth > MAX_FILTER_DEPTH {
            return Err(AppError::invalid(
                path,
                Expected::IntegerIn(0, MAX_FILTER_DEPTH as i64),
            ));
        }
        let col = |name: &'static str| match name {
            "year" | "level" | "kato" | "administrator" => Expr::col((tables.keys, name)),
            _ => Expr::col((tables.line, name)),
        };
        let mut c = Condition::all();
        if let Some(years) = &self.years {
            c = c.add(col("year").is_in(years.iter().copied()));
        }
        if let Some(levels) = &self.levels {
            c = c.add(col("level").is_in(levels.iter().map(|l| l.as_str())));
        }
        if let Some(prefix) = &self.kato_prefix {
            if prefix.is_empty() || prefix.len() > 9 || !prefix.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(AppError::invalid(
                    format!("{path}.katoPrefix"),
                    Expected::UpToDigits(9),
                ));
            }
            c = c.add(crate::authz::scope::starts_with(col("kato"), prefix));
        }
        let code_lists: [(&str, &'static str, &Option<Vec<String>>, usize); 5] = [
            ("administrators", "administrator", &self.administrators, 3),
            ("programs", "program", &self.programs, 3),
            ("subprograms", "subprogram", &self.subprograms, 3),
            ("specifics", "specific", &self.specifics, 3),
            (
                "functionalGroups",
                "functional_group",
                &self.functional_groups,
                2,
            ),
        ];
        for (field, column, values, n) in code_lists {
            if let Some(values) = values {
                check_codes(&format!("{path}.{field}"), values, n)?;
                c = c.add(col(column).is_in(values.iter().map(String::as_str)));
            }
        }
        if let Some(phases) = &self.phases {
            c = c.add(Expr::col((tables.amount, "phase")).is_in(phases.iter().map(|p| p.as_str())));
        }
        if let Some(as_of) = self.as_of {
            c = c.add(
                Condition::any()
                    .add(Expr::col((tables.amount, "as_of")).is_null())
                    .add(Expr::col((tables.amount, "as_of")).eq(as_of.0)),
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
