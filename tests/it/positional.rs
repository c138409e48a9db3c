//! Rows decoded by position equal the same rows decoded by name (sqlx's `FromRow`), on every
//! row of the demo data, with the select's columns in the opposite order to the fields; and a
//! select that lacks a column, or gives one of the wrong type or an unknown enumeration text, is
//! refused rather than decoded into something else.

use crate::common::TestDb;

use audit_hub::store::budget::BudgetLineRow;
use audit_hub::store::documents::DocumentRow;
use audit_hub::store::objects::{FundingRow, ObjectRow, StageRow};
use audit_hub::store::orgs::OrgRow;
use audit_hub::store::positional::{ByPosition, Positional};
use audit_hub::store::{Backend, Db, Row};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sqlx::postgres::PgRow;

/// `T`'s columns, last field first, each read from the table its `table_of` names, joined as
/// `joins` says; ordered by `order`.
fn reversed<T: ByPosition<PgRow>>(
    from: &str,
    joins: &[(&str, &str, &str)],
    table_of: impl Fn(&str) -> &'static str,
    order: (&str, &str),
) -> SelectStatement {
    let mut q = Query::select();
    q.from_as(Alias::new(from), Alias::new(from));
    for (table, left, right) in joins {
        let (l, r) = (split(left), split(right));
        q.join_as(
            JoinType::InnerJoin,
            Alias::new(*table),
            Alias::new(*table),
            Expr::col((Alias::new(l.0), Alias::new(l.1)))
                .equals((Alias::new(r.0), Alias::new(r.1))),
        );
    }
    for name in T::COLUMNS.iter().rev() {
        q.expr_as(
            Expr::col((Alias::new(table_of(name)), Alias::new(*name))),
            Alias::new(*name),
        );
    }
    q.order_by((Alias::new(order.0), Alias::new(order.1)), Order::Asc);
    q.to_owned()
}

fn split(qualified: &str) -> (&str, &str) {
    qualified.split_once('.').unwrap_or(("", qualified))
}

/// Decodes `q` both ways and compares; returns how many rows there were.
async fn same_both_ways<T: Row + Positional + PartialEq + std::fmt::Debug>(
    db: &Db,
    what: &str,
    q: &SelectStatement,
) -> usize {
    let by_name: Vec<T> = db
        .all(q)
        .await
        .unwrap_or_else(|e| panic!("{what} by name: {e}"));
    let by_position: Vec<T> = db
        .all_by_position(q)
        .await
        .unwrap_or_else(|e| panic!("{what} by position: {e}"));
    assert_eq!(by_position, by_name, "{what}");
    by_name.len()
}

#[tokio::test]
async fn rows_by_position_equal_rows_by_name() {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    let line_column = |c: &str| match c {
        "id" | "phase" | "as_of" | "amount_tenths" => "budget_amounts",
        _ => "budget_lines",
    };
    let counts = [
        (
            "budget lines",
            same_both_ways::<BudgetLineRow>(
                db,
                "budget lines",
                &reversed::<BudgetLineRow>(
                    "budget_amounts",
                    &[("budget_lines", "budget_lines.id", "budget_amounts.line_id")],
                    line_column,
                    ("budget_amounts", "id"),
                ),
            )
            .await,
        ),
        (
            "objects",
            same_both_ways::<ObjectRow>(
                db,
                "objects",
                &reversed::<ObjectRow>(
                    "informatization_objects",
                    &[],
                    |_| "informatization_objects",
                    ("informatization_objects", "id"),
                ),
            )
            .await,
        ),
        (
            "stages",
            same_both_ways::<StageRow>(
                db,
                "stages",
                &reversed::<StageRow>(
                    "object_stage_history",
                    &[],
                    |_| "object_stage_history",
                    ("object_stage_history", "id"),
                ),
            )
            .await,
        ),
        (
            "funding",
            same_both_ways::<FundingRow>(
                db,
                "funding",
                &reversed::<FundingRow>(
                    "object_funding",
                    &[("budget_lines", "budget_lines.id", "object_funding.line_id")],
                    |c| match c {
                        "object_id" | "line_id" => "object_funding",
                        _ => "budget_lines",
                    },
                    ("object_funding", "line_id"),
                ),
            )
            .await,
        ),
        (
            "documents",
            same_both_ways::<DocumentRow>(
                db,
                "documents",
                &reversed::<DocumentRow>("documents", &[], |_| "documents", ("documents", "id")),
            )
            .await,
        ),
        (
            "organizations",
            same_both_ways::<OrgRow>(
                db,
                "organizations",
                &reversed::<OrgRow>(
                    "organizations",
                    &[],
                    |_| "organizations",
                    ("organizations", "id"),
                ),
            )
            .await,
        ),
    ];
    for (what, n) in counts {
        assert!(n > 10, "{what}: only {n} rows to compare");
    }
}

#[tokio::test]
async fn a_select_that_does_not_fit_the_row_is_refused() {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    let objects = || {
        reversed::<ObjectRow>(
            "informatization_objects",
            &[],
            |_| "informatization_objects",
            ("informatization_objects", "id"),
        )
    };
    let mut missing = Query::select();
    missing
        .from(Alias::new("informatization_objects"))
        .column(Alias::new("id"))
        .column(Alias::new("kind"));
    // The first row is checked for types: a text where a number belongs is refused.
    let mut wrong_type = objects();
    wrong_type.clear_selects();
    for name in <ObjectRow as ByPosition<PgRow>>::COLUMNS {
        let e = if *name == "object_class" {
            Expr::col(Alias::new("name_ru"))
        } else {
            Expr::col(Alias::new(*name))
        };
        wrong_type.expr_as(e, Alias::new(*name));
    }
    let mut unknown_kind = objects();
    unknown_kind.clear_selects();
    for name in <ObjectRow as ByPosition<PgRow>>::COLUMNS {
        let e = if *name == "stage" {
            Expr::val("NO_SUCH_STAGE")
        } else {
            Expr::col(Alias::new(*name))
        };
        unknown_kind.expr_as(e, Alias::new(*name));
    }
    let cases = [
        ("a column missing", missing.to_owned(), "object_class"),
        ("a text where a number belongs", wrong_type, "object_class"),
        ("a stage that does not exist", unknown_kind, "NO_SUCH_STAGE"),
    ];
    for (name, q, names) in cases {
        let e = db
            .all_by_position::<ObjectRow>(&q)
            .await
            .err()
            .unwrap_or_else(|| panic!("{name}: decoded"));
        let text = e.to_string();
        assert!(
            text.contains(names) || format!("{e:?}").contains(names),
            "{name}: {text}"
        );
    }
    // On PostgreSQL a later row is read without the type checks, but a null where the field
    // has none is still refused. (SQLite checks every row.)
    if t.backend() != Backend::Postgres {
        return;
    }
    let mut null_name = objects();
    null_name.clear_selects();
    for name in <ObjectRow as ByPosition<PgRow>>::COLUMNS {
        let e = if *name == "name_kk" {
            Expr::cust(
                "CASE WHEN informatization_objects.id > 1 THEN NULL ELSE informatization_objects.name_kk END",
            )
        } else {
            Expr::col((Alias::new("informatization_objects"), Alias::new(*name)))
        };
        null_name.expr_as(e, Alias::new(*name));
    }
    assert!(
        db.all_by_position::<ObjectRow>(&null_name).await.is_err(),
        "a null name in a later row"
    );
}

/// A column a row marks prunable may be left out of the select: every such subset of a
/// document's columns decodes to the whole row with exactly those fields empty. A column not
/// marked so is still refused when left out.
#[tokio::test]
async fn prunable_columns_left_out_hold_their_defaults_and_no_others_may_be() {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    let select = |left_out: &[&str]| {
        let mut q = Query::select();
        q.from(Alias::new("documents"));
        for name in <DocumentRow as ByPosition<PgRow>>::COLUMNS {
            if !left_out.contains(name) {
                q.column(Alias::new(*name));
            }
        }
        q.order_by(Alias::new("id"), Order::Asc);
        q
    };
    let whole: Vec<DocumentRow> = db.all_by_position(&select(&[])).await.expect("whole rows");
    assert!(!whole.is_empty());
    let blank = |mut d: DocumentRow, left_out: &[&str]| {
        for name in left_out {
            match *name {
                "title" => d.title = String::new(),
                "number" => d.number = None,
                "approved_on" => d.approved_on = None,
                "version" => d.version = String::new(),
                "file_name" => d.file_name = String::new(),
                "sha256" => d.sha256 = String::new(),
                other => panic!("{other} is not prunable"),
            }
        }
        d
    };
    let cases: [(&str, &[&str]); 4] = [
        (
            "the page's three fields",
            &["number", "approved_on", "version", "file_name", "sha256"],
        ),
        (
            "no text at all",
            &[
                "title",
                "number",
                "approved_on",
                "version",
                "file_name",
                "sha256",
            ],
        ),
        ("only the title left out", &["title"]),
        ("nothing left out", &[]),
    ];
    for (name, left_out) in cases {
        let rows: Vec<DocumentRow> = db
            .all_by_position(&select(left_out))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<DocumentRow> =
            whole.iter().cloned().map(|d| blank(d, left_out)).collect();
        assert_eq!(rows, expected, "{name}");
    }
    for not_prunable in [
        "id",
        "object_id",
        "doc_type",
        "language",
        "format",
        "size_bytes",
    ] {
        let e = db
            .all_by_position::<DocumentRow>(&select(&[not_prunable]))
            .await
            .err()
            .unwrap_or_else(|| panic!("{not_prunable} left out: decoded"));
        assert!(e.to_string().contains(not_prunable), "{not_prunable}: {e}");
    }
}
