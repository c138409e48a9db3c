//! Which columns a page's selections ask for: a page reads only those of its rows' prunable
//! columns (`prunable` in [`crate::store::positional`]) that some field of its selections
//! reads, so that text nobody asked for is neither sent, decoded nor copied.

use async_graphql::{Context, SelectionField};
use sqlx::postgres::PgRow;

use crate::store::positional::{ByPosition, Reads};

/// Every GraphQL field of a row type with the prunable column it reads (`None`: only columns
/// always read).
pub type FieldColumns = &'static [(&'static str, Option<&'static str>)];

/// `Document`'s fields.
pub const DOCUMENT: FieldColumns = &[
    ("__typename", None),
    ("id", None),
    ("type", None),
    ("language", None),
    ("format", None),
    ("sizeBytes", None),
    ("downloadUrl", None),
    ("object", None),
    ("title", Some("title")),
    ("number", Some("number")),
    ("approvedOn", Some("approved_on")),
    ("version", Some("version")),
    ("fileName", Some("file_name")),
    ("sha256", Some("sha256")),
];

/// `FundingLine`'s fields.
pub const FUNDING_LINE: FieldColumns = &[
    ("__typename", None),
    ("id", None),
    ("year", None),
    ("level", None),
    ("territory", Some("kato")),
    ("administrator", Some("administrator")),
    ("program", Some("program")),
    ("subprogram", Some("subprogram")),
    ("specific", Some("specific")),
    ("functionalGroup", Some("functional_group")),
];

/// `BudgetLine`'s fields.
pub const BUDGET_LINE: FieldColumns = &[
    ("__typename", None),
    ("id", None),
    ("year", None),
    ("level", None),
    ("territory", None),
    ("administrator", None),
    ("program", None),
    ("phase", None),
    ("system", None),
    ("amount", None),
    ("region", Some("region_kato")),
    ("subprogram", Some("subprogram")),
    ("specific", Some("specific")),
    ("functionalGroup", Some("functional_group")),
    ("asOf", Some("as_of")),
];

/// The selections of a connection's nodes: every `edges { node }` and every `nodes`, under
/// aliases and fragments alike. Every node of the page is the same row whichever way it is
/// reached, so what its rows must hold is what any of these asks for.
pub fn nodes<'a>(ctx: &'a Context<'a>) -> Vec<SelectionField<'a>> {
    let mut nodes = ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .selection_fields();
    nodes.extend(ctx.look_ahead().field("nodes").selection_fields());
    nodes
}

/// The fields named `name` under `parents`.
pub fn children<'a>(parents: &[SelectionField<'a>], name: &str) -> Vec<SelectionField<'a>> {
    parents
        .iter()
        .flat_map(|p| p.selection_set())
        .filter(|f| f.name() == name)
        .collect()
}

/// The columns of `T` that `selections` (each a selection of a `T`) ask for, given which column
/// each field reads. A field not listed asks for every column, so that a field added to the
/// type later is never answered from a column left out.
pub fn reads<T: ByPosition<PgRow>>(
    selections: &[SelectionField<'_>],
    fields: FieldColumns,
) -> Reads<T> {
    let mut reads = Reads::required();
    for name in selections
        .iter()
        .flat_map(|f| f.selection_set())
        .map(|f| f.name())
    {
        match fields.iter().find(|(field, _)| *field == name) {
            Some((_, Some(column))) => reads = reads.and(column),
            Some((_, None)) => {}
            None => return Reads::all(),
        }
    }
    reads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::budget::BudgetLineRow;
    use crate::store::documents::DocumentRow;
    use crate::store::objects::FundingRow;

    /// The prunable columns of `T`.
    fn prunable<T: ByPosition<PgRow>>() -> Vec<&'static str> {
        T::COLUMNS
            .iter()
            .zip(T::PRUNABLE)
            .filter(|(_, p)| **p)
            .map(|(c, _)| *c)
            .collect()
    }

    /// Every column a table names is a prunable column of its row (a misspelt one would never
    /// be read), and every prunable column is named by some field.
    #[test]
    fn every_column_named_is_a_prunable_column_of_its_row() {
        let cases: [(&str, FieldColumns, Vec<&str>); 3] = [
            ("Document", DOCUMENT, prunable::<DocumentRow>()),
            ("FundingLine", FUNDING_LINE, prunable::<FundingRow>()),
            ("BudgetLine", BUDGET_LINE, prunable::<BudgetLineRow>()),
        ];
        for (name, fields, prunable) in cases {
            let named: Vec<&str> = fields.iter().filter_map(|(_, c)| *c).collect();
            for column in &named {
                assert!(
                    prunable.contains(column),
                    "{name}: {column} is not prunable"
                );
            }
            for column in &prunable {
                assert!(named.contains(column), "{name}: no field reads {column}");
            }
        }
    }
}
