//! The caller's scope: which budget keys and which source systems a request may read, and the one
//! place where that is rendered into SQL.
//!
//! Every budget row carries (level, KATO, administrator); an informatization object or document
//! carries the keys of its owner organization. One predicate over those three keys therefore
//! serves budgets, objects, documents and organizations alike.

use std::collections::BTreeSet;

use sea_query::{Condition, Expr, ExprTrait, IntoIden, SimpleExpr};

use crate::domain::budget::{BudgetLevel, BudgetPhase, InformationSystem};
use crate::domain::territory::{prefix_range, scope_prefix};

/// Digits of a KATO code.
const KATO_DIGITS: usize = 9;

/// One slice of the budget system a body may read (DESIGN §1, paragraph 6 of the access rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// The republican budget and every local budget.
    All,
    /// The local budgets (every level but republican) of territories within `kato`.
    LocalBudgets {
        /// KATO code of the territory served.
        kato: String,
    },
    /// The republican budget lines of one administrator (a central state body).
    RepublicanAdministrator {
        /// Three-digit administrator code.
        code: String,
    },
    /// Given administrators of the regional budget of one region (police: 252 or 352).
    RegionalAdministrators {
        /// KATO code of the region.
        region: String,
        /// Three-digit administrator codes.
        codes: Vec<String>,
    },
}

/// What one request may read: a union of reaches, limited to the systems granted.
///
/// A `Scope` is never empty: the constructor refuses an empty reach or system set, so a request
/// without rights fails before any SQL runs instead of running with an empty filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    reaches: Vec<Reach>,
    systems: BTreeSet<InformationSystem>,
    /// Organizations always visible to the caller (its own), whatever the reach.
    own_organization: Option<i64>,
}

/// Column expressions of the three scope keys of a row source.
#[derive(Debug, Clone)]
pub struct KeyColumns {
    /// Budget level column.
    pub level: SimpleExpr,
    /// KATO column.
    pub kato: SimpleExpr,
    /// Administrator code column.
    pub administrator: SimpleExpr,
}

impl KeyColumns {
    /// The key columns `level`, `kato` and `administrator` (column variants of
    /// [`crate::store::schema`]) of the table read under `table` (its alias or its name).
    pub fn of(
        table: impl IntoIden,
        level: impl IntoIden,
        kato: impl IntoIden,
        administrator: impl IntoIden,
    ) -> Self {
        let table = table.into_iden();
        KeyColumns {
            level: Expr::col((table.clone(), level.into_iden())),
            kato: Expr::col((table.clone(), kato.into_iden())),
            administrator: Expr::col((table, administrator.into_iden())),
        }
    }
}

impl Scope {
    /// A scope of the given reaches over the given systems; `None` when either is empty.
    pub fn new(
        reaches: Vec<Reach>,
        systems: impl IntoIterator<Item = InformationSystem>,
        own_organization: Option<i64>,
    ) -> Option<Scope> {
        let systems: BTreeSet<_> = systems.into_iter().collect();
        let mut reaches = reaches;
        reaches.sort();
        reaches.dedup();
        (!reaches.is_empty() && !systems.is_empty()).then_some(Scope {
            reaches,
            systems,
            own_organization,
        })
    }

    /// Everything, from both systems: for operator tooling run on the server itself (see
    /// [`super::permissions::Permissions::operator`]), never for a request.
    pub(crate) fn operator() -> Scope {
        Scope {
            reaches: vec![Reach::All],
            systems: InformationSystem::ALL.iter().copied().collect(),
            own_organization: None,
        }
    }

    /// The reaches of this scope.
    pub fn reaches(&self) -> &[Reach] {
        &self.reaches
    }

    /// The systems granted.
    pub fn systems(&self) -> &BTreeSet<InformationSystem> {
        &self.systems
    }

    /// The budget phases the granted systems read (see [`BudgetPhase::readable_through`]).
    pub fn phases(&self) -> Vec<BudgetPhase> {
        BudgetPhase::ALL
            .iter()
            .copied()
            .filter(|p| {
                self.systems
                    .iter()
                    .any(|s| BudgetPhase::readable_through(*s).contains(p))
            })
            .collect()
    }

    /// The predicate over a row source's scope keys.
    pub fn keys_condition(&self, cols: &KeyColumns) -> Condition {
        let mut any = Condition::any();
        for reach in &self.reaches {
            match reach_condition(reach, cols) {
                Some(c) => any = any.add(c),
                // One unrestricted reach makes the union everything.
                None => return Condition::all(),
            }
        }
        any
    }

    /// Whether the key predicate restricts nothing (so a source without the keys, such as the
    /// region rollup, answers it): asked of the same renderer that builds the predicate.
    pub fn keys_unrestricted(&self) -> bool {
        let cols = KeyColumns {
            level: Expr::val(""),
            kato: Expr::val(""),
            administrator: Expr::val(""),
        };
        self.reaches
            .iter()
            .any(|r| reach_condition(r, &cols).is_none())
    }

    /// The predicate for budget amount rows: keys in reach and phase from a granted system.
    pub fn budget_condition(&self, cols: &KeyColumns, phase: SimpleExpr) -> Condition {
        let phases: Vec<&'static str> =
            self.phases().into_iter().map(BudgetPhase::as_str).collect();
        Condition::all()
            .add(self.keys_condition(cols))
            .add(phase.is_in(phases))
    }

    /// The predicate for organizations: in reach by their keys, or the caller's own.
    pub fn organization_condition(&self, cols: &KeyColumns, id: SimpleExpr) -> Condition {
        let mut cond = Condition::any().add(self.keys_condition(cols));
        if let Some(own) = self.own_organization {
            cond = cond.add(id.eq(own));
        }
        cond
    }

    /// A sentence describing the scope, for `me` and for the audit trail.
    pub fn describe(&self) -> String {
        let reaches: Vec<String> = self.reaches.iter().map(describe_reach).collect();
        let systems: Vec<&str> = self.systems.iter().map(|s| s.as_str()).collect();
        let phases: Vec<&str> = self.phases().into_iter().map(BudgetPhase::as_str).collect();
        format!(
            "{} (systems: {}; phases: {})",
            reaches.join("; "),
            systems.join(", "),
            phases.join(", ")
        )
    }
}

/// The predicate of one reach, `None` when it restricts nothing.
fn reach_condition(reach: &Reach, c: &KeyColumns) -> Option<Condition> {
    let republican = BudgetLevel::Republican.as_str();
    Some(match reach {
        Reach::All => return None,
        Reach::LocalBudgets { kato } => Condition::all()
            .add(c.level.clone().ne(republican))
            .add(starts_with(c.kato.clone(), scope_prefix(kato))),
        Reach::RepublicanAdministrator { code } => Condition::all()
            .add(c.level.clone().eq(republican))
            .add(c.administrator.clone().eq(code.as_str())),
        Reach::RegionalAdministrators { region, codes } => Condition::all()
            .add(c.level.clone().eq(BudgetLevel::Regional.as_str()))
            .add(c.kato.clone().eq(region.as_str()))
            .add(
                c.administrator
                    .clone()
                    .is_in(codes.iter().map(String::as_str)),
            ),
    })
}

/// `column` (a KATO code) starts with the digits `prefix`, as an index range (see
/// [`prefix_range`]); a whole code is an equality, which lets an index on (…, kato, …, id) return
/// rows in id order.
pub fn starts_with(column: SimpleExpr, prefix: &str) -> Condition {
    if prefix.len() == KATO_DIGITS {
        return Condition::all().add(column.eq(prefix));
    }
    let (lower, upper) = prefix_range(prefix);
    let c = Condition::all().add(column.clone().gte(lower));
    match upper {
        Some(u) => c.add(column.lt(u)),
        None => c,
    }
}

fn describe_reach(reach: &Reach) -> String {
    match reach {
        Reach::All => "the republican budget and every local budget".to_owned(),
        Reach::LocalBudgets { kato } => format!("local budgets within territory {kato}"),
        Reach::RepublicanAdministrator { code } => {
            format!("republican budget of administrator {code}")
        }
        Reach::RegionalAdministrators { region, codes } => format!(
            "administrator {} of the regional budget of {region}",
            codes.join("/")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_scopes_cannot_be_built() {
        assert!(Scope::new(vec![], InformationSystem::ALL.iter().copied(), None).is_none());
        assert!(Scope::new(vec![Reach::All], [], None).is_none());
    }

    #[test]
    fn phases_follow_granted_systems() {
        use BudgetPhase::*;
        use InformationSystem::*;
        let every = vec![Requested, Approved, Specified, Corrected, Executed];
        for (name, systems, phases) in [
            ("state planning alone", vec![StatePlanning], vec![Requested]),
            (
                "analytical center carries state planning data",
                vec![AnalyticsCenter],
                every.clone(),
            ),
            ("both", vec![AnalyticsCenter, StatePlanning], every.clone()),
        ] {
            let s = Scope::new(vec![Reach::All], systems, None).unwrap();
            assert_eq!(s.phases(), phases, "{name}");
        }
    }
}
