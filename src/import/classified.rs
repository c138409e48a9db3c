//! Budget rows against the budget classification of their year: which of a row's codes the
//! classification lacks (warnings, or errors under `--strict`).

use std::collections::BTreeSet;

use super::report::RowError;
use crate::domain::budget::ClassificationKind as K;
use crate::error::Expected;
use crate::store::budget::LineKey;
use crate::store::classification::Codes;

/// Checks rows' codes, once per row, noting each year without a classification once.
#[derive(Debug, Default)]
pub struct Classified {
    codes: Codes,
    unclassified_years: BTreeSet<i32>,
}

/// The budget CSV's columns (1-based) that carry classified codes.
const FUNCTIONAL_GROUP: usize = 8;
const ADMINISTRATOR: usize = 4;
const PROGRAM: usize = 5;
const SUBPROGRAM: usize = 6;
const SPECIFIC: usize = 7;

impl Classified {
    /// A checker over `codes`.
    pub fn new(codes: Codes) -> Classified {
        Classified {
            codes,
            unclassified_years: BTreeSet::new(),
        }
    }

    /// The codes of the row on `line` that the classification of its year lacks.
    pub fn check(&mut self, key: &LineKey, line: u64, out: &mut Vec<RowError>) {
        let year = key.year;
        let Some(codes) = self.codes.get(&year) else {
            if self.unclassified_years.insert(year) {
                out.push(RowError {
                    line,
                    column: 1,
                    field: "year".to_owned(),
                    expected: Expected::ClassifiedYear,
                });
            }
            return;
        };
        let level = Some(key.level);
        let program = format!("{}{}", key.administrator, key.program);
        let mut wanted = vec![
            (
                FUNCTIONAL_GROUP,
                "functional_group",
                K::FunctionalGroup,
                None,
                key.functional_group.clone(),
            ),
            (
                ADMINISTRATOR,
                "administrator",
                K::Administrator,
                level,
                key.administrator.clone(),
            ),
            (PROGRAM, "program", K::Program, level, program.clone()),
        ];
        if !key.subprogram.is_empty() {
            let sub = format!("{program}{}", key.subprogram);
            wanted.push((SUBPROGRAM, "subprogram", K::Subprogram, level, sub));
        }
        if !key.specific.is_empty() {
            wanted.push((
                SPECIFIC,
                "specific",
                K::EconomicSpecific,
                None,
                key.specific.clone(),
            ));
        }
        for (column, field, kind, level, code) in wanted {
            if !codes.contains(&(kind, level, code)) {
                out.push(RowError {
                    line,
                    column,
                    field: field.to_owned(),
                    expected: Expected::ClassifiedCode(format!("{} {year}", kind.as_str())),
                });
            }
        }
    }
}
