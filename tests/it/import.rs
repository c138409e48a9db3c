//! Budget CSV import against a real database: exact totals, idempotence, and all-or-nothing
//! refusal of bad files.

use crate::common;

use std::collections::BTreeMap;

use audit_hub::authz::Scope;
use audit_hub::import::budget_csv::{self, ImportError};
use audit_hub::store::budget::{self, BudgetDimension};
use audit_hub::store::positional::Reads;
use common::{TestDb, TestServer};
use serde_json::json;

const HEADER: &str = "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n";

/// Hand-written rows; the expected totals below were added up by hand.
const ROWS: &str = "\
2025,REPUBLICAN,000000000,201,001,,111,03,APPROVED,,1000.5
2025,REPUBLICAN,000000000,201,001,,111,03,EXECUTED,2025-06-30,400.2
2025,REPUBLICAN,000000000,225,002,011,,04,APPROVED,,2500
2025,REGIONAL,110000000,252,001,015,111,03,APPROVED,,123.4
2025,REGIONAL,110000000,252,001,015,111,03,REQUESTED,,150.0
2025,REGIONAL,110000000,261,003,,159,04,APPROVED,,0.1
2025,DISTRICT,112000000,464,001,,111,04,APPROVED,,77.7
2025,RURAL,112030000,124,001,,,01,APPROVED,,5.5
2025,REGIONAL,710000000,352,001,,111,03,APPROVED,,999.9
2025,REGIONAL,710000000,352,001,,111,03,EXECUTED,2025-06-30,333.3
2025,DISTRICT,115500000,464,001,,111,04,APPROVED,,12.3
";

async fn import_str(db: &audit_hub::store::Db, body: &str) -> Result<usize, ImportError> {
    budget_csv::import(db, format!("{HEADER}{body}").as_bytes())
        .await
        .map(|r| r.rows)
}

/// `budgetSummary` over HTTP as `{key value: (amount, lineCount)}`.
async fn summary_by(
    server: &TestServer,
    dim: &str,
    field: &str,
) -> BTreeMap<String, (String, i64)> {
    let q =
        format!("{{ budgetSummary(groupBy: [{dim}]) {{ key {{ {field} }} amount lineCount }} }}");
    let data = server.data(&q, json!({})).await;
    data["budgetSummary"]
        .as_array()
        .expect("array")
        .iter()
        .map(|row| {
            let key = row["key"][field].as_str().unwrap_or("null").to_owned();
            (
                key,
                (
                    row["amount"].as_str().expect("amount").to_owned(),
                    row["lineCount"].as_i64().expect("count"),
                ),
            )
        })
        .collect()
}

fn expected(rows: &[(&str, &str, i64)]) -> BTreeMap<String, (String, i64)> {
    rows.iter()
        .map(|(k, a, n)| ((*k).to_owned(), ((*a).to_owned(), *n)))
        .collect()
}

#[tokio::test]
async fn hand_written_csv_sums_exactly_by_region_administrator_and_phase() {
    let t = TestDb::with_reference().await;
    assert_eq!(import_str(&t.db, ROWS).await.expect("import"), 11);
    let server = TestServer::start_national(&t.db).await;

    assert_eq!(
        summary_by(&server, "REGION", "region").await,
        expected(&[
            ("null", "3900.7", 3),
            ("110000000", "369.0", 6),
            ("710000000", "1333.2", 2)
        ])
    );
    assert_eq!(
        summary_by(&server, "ADMINISTRATOR", "administrator").await,
        expected(&[
            ("124", "5.5", 1),
            ("201", "1400.7", 2),
            ("225", "2500.0", 1),
            ("252", "273.4", 2),
            ("261", "0.1", 1),
            ("352", "1333.2", 2),
            ("464", "90.0", 2),
        ])
    );
    assert_eq!(
        summary_by(&server, "PHASE", "phase").await,
        expected(&[
            ("APPROVED", "4719.4", 8),
            ("EXECUTED", "733.5", 2),
            ("REQUESTED", "150.0", 1)
        ])
    );
}

#[tokio::test]
async fn large_amounts_sum_without_rounding() {
    let t = TestDb::with_reference().await;
    let rows = "\
2026,REPUBLICAN,000000000,226,001,,111,05,APPROVED,,99999999999999.9
2026,REPUBLICAN,000000000,226,001,,121,05,APPROVED,,0.1
2026,REPUBLICAN,000000000,226,002,,111,05,APPROVED,,0.1
";
    import_str(&t.db, rows).await.expect("import");
    let server = TestServer::start_national(&t.db).await;
    assert_eq!(summary_by(&server, "YEAR", "year").await.len(), 1);
    let data = server
        .data("{ budgetSummary(groupBy: [LEVEL]) { amount } }", json!({}))
        .await;
    assert_eq!(data["budgetSummary"][0]["amount"], "100000000000000.1");
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let t = TestDb::with_reference().await;
    import_str(&t.db, ROWS).await.expect("first import");
    let scope = common::national_scope();
    let dims = [
        BudgetDimension::Administrator,
        BudgetDimension::Phase,
        BudgetDimension::Territory,
    ];
    let count_before = budget::count_lines(&t.db, &scope, None)
        .await
        .expect("count");
    let before = budget::summary(&t.db, &scope, &dims, None)
        .await
        .expect("summary");
    import_str(&t.db, ROWS).await.expect("second import");
    assert_eq!(
        budget::count_lines(&t.db, &scope, None)
            .await
            .expect("count"),
        count_before
    );
    assert_eq!(
        budget::summary(&t.db, &scope, &dims, None)
            .await
            .expect("summary"),
        before
    );
    assert_eq!(count_before, 11);
}

#[tokio::test]
async fn a_changed_amount_replaces_the_old_one() {
    let t = TestDb::with_reference().await;
    import_str(
        &t.db,
        "2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,10.0\n",
    )
    .await
    .expect("import");
    import_str(
        &t.db,
        "2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,12.5\n",
    )
    .await
    .expect("re-import");
    let rows = budget::summary(&t.db, &common::national_scope(), &[], None)
        .await
        .expect("summary");
    assert_eq!((rows[0].amount_tenths, rows[0].line_count), (125, 1));
}

#[tokio::test]
async fn within_one_file_the_later_row_for_a_slot_wins() {
    let t = TestDb::with_reference().await;
    import_str(
        &t.db,
        "2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,10.0\n\
         2025,REGIONAL,110000000,252,001,,111,03,EXECUTED,2025-03-31,1.0\n\
         2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,12.5\n\
         2025,REGIONAL,110000000,252,001,,111,04,EXECUTED,2025-03-31,2.0\n",
    )
    .await
    .expect("import");
    let by_phase = budget::summary(
        &t.db,
        &common::national_scope(),
        &[BudgetDimension::Phase, BudgetDimension::FunctionalGroup],
        None,
    )
    .await
    .expect("summary");
    let got: Vec<(Option<String>, Option<String>, i64, i64)> = by_phase
        .into_iter()
        .map(|r| (r.phase, r.functional_group, r.amount_tenths, r.line_count))
        .collect();
    // One line (its functional group from the last row naming it), one amount per slot.
    assert_eq!(
        got,
        vec![
            (Some("APPROVED".into()), Some("04".into()), 125, 1),
            (Some("EXECUTED".into()), Some("04".into()), 20, 1),
        ]
    );
}

#[tokio::test]
async fn a_file_longer_than_one_chunk_lands_whole_and_the_later_row_wins_across_chunks() {
    let t = TestDb::with_reference().await;
    let n = budget_csv::CHUNK_ROWS + 10;
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!(
            "2025,REGIONAL,110000000,252,{:03},{:03},111,03,APPROVED,,1.0\n",
            i % 999 + 1,
            i / 999 + 1
        ));
    }
    // The first row's slot again, in the last chunk.
    body.push_str("2025,REGIONAL,110000000,252,001,001,111,03,APPROVED,,5.0\n");
    assert_eq!(import_str(&t.db, &body).await.expect("import"), n + 1);
    let rows = budget::summary(&t.db, &common::national_scope(), &[], None)
        .await
        .expect("summary");
    let expected_tenths = (n as i64 - 1) * 10 + 50;
    assert_eq!(
        (rows[0].amount_tenths, rows[0].line_count),
        (expected_tenths, n as i64)
    );
}

#[tokio::test]
async fn bad_rows_name_line_and_column_and_leave_the_database_unchanged() {
    let t = TestDb::with_reference().await;
    import_str(&t.db, ROWS).await.expect("baseline import");
    let scope = common::national_scope();
    let dims = [
        BudgetDimension::Territory,
        BudgetDimension::Administrator,
        BudgetDimension::Phase,
    ];
    let before = budget::summary(&t.db, &scope, &dims, None)
        .await
        .expect("summary");
    let good = "2026,REGIONAL,110000000,252,009,,111,03,APPROVED,,1.0\n";
    let cases = [
        (
            "wrong level",
            "2026,OBLAST,110000000,252,001,,111,03,APPROVED,,10\n",
            2,
            "level",
        ),
        (
            "8-digit KATO",
            "2026,REGIONAL,11000000,252,001,,111,03,APPROVED,,10\n",
            3,
            "kato",
        ),
        (
            "letters in amount",
            "2026,REGIONAL,110000000,252,001,,111,03,APPROVED,,12a\n",
            11,
            "amount",
        ),
        (
            "two decimals",
            "2026,REGIONAL,110000000,252,001,,111,03,APPROVED,,10.25\n",
            11,
            "amount",
        ),
        (
            "unknown phase",
            "2026,REGIONAL,110000000,252,001,,111,03,PLANNED,,10\n",
            9,
            "phase",
        ),
        (
            "missing column",
            "2026,REGIONAL,110000000,252,001,,111,03,APPROVED,10\n",
            11,
            "amount",
        ),
        (
            "unknown region",
            "2026,REGIONAL,990000000,252,001,,111,03,APPROVED,,10\n",
            3,
            "kato",
        ),
    ];
    for (name, bad, column, field) in cases {
        // The bad row comes after a good one: nothing of the file may land.
        match import_str(&t.db, &format!("{good}{bad}")).await {
            Err(ImportError::Invalid { errors, .. }) => {
                let e = &errors[0];
                assert_eq!(
                    (e.line, e.column, e.field.as_str()),
                    (3, column, field),
                    "{name}"
                );
                let msg = e.message(audit_hub::domain::lang::Lang::En);
                assert!(
                    msg.contains("line 3") && msg.contains(&format!("column {column}")),
                    "{name}: {msg}"
                );
            }
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
        let after = budget::summary(&t.db, &scope, &dims, None)
            .await
            .expect("summary");
        assert_eq!(after, before, "{name}: database changed");
    }
}

/// (amount id, amount in tenths) of every row, read page by page inside `tx`.
async fn rows_in_snapshot(
    tx: &mut audit_hub::store::Tx,
    scope: &Scope,
    first_page: &[(i64, i64)],
) -> Vec<(i64, i64)> {
    let mut rows = first_page.to_vec();
    loop {
        let page = audit_hub::store::page::PageRequest {
            first: 2,
            after: rows.last().map(|r| r.0),
        };
        let got = budget::list_lines_in(tx, scope, None, page)
            .await
            .expect("page");
        rows.extend(got.items.iter().map(|r| (r.id, r.amount_tenths)));
        if !got.has_next {
            return rows;
        }
    }
}

#[tokio::test]
async fn an_export_snapshot_does_not_see_an_import_that_commits_half_way() {
    let t = TestDb::with_reference().await;
    import_str(&t.db, ROWS).await.expect("first import");
    let scope = common::national_scope();
    let all = |db: audit_hub::store::Db| {
        let scope = scope.clone();
        async move {
            let page = audit_hub::store::page::PageRequest {
                first: 1000,
                after: None,
            };
            let got = budget::list_lines(&db, &scope, None, page, Reads::all())
                .await
                .expect("lines");
            got.items
                .iter()
                .map(|r| (r.id, r.amount_tenths))
                .collect::<Vec<_>>()
        }
    };
    let before = all(t.db.clone()).await;

    // The export has counted and read its first page of two rows...
    let mut snapshot = t.db.begin_snapshot().await.expect("snapshot");
    let counted = budget::count_lines_in(&mut snapshot, &scope, None)
        .await
        .expect("count");
    let first = budget::list_lines_in(
        &mut snapshot,
        &scope,
        None,
        audit_hub::store::page::PageRequest {
            first: 2,
            after: None,
        },
    )
    .await
    .expect("first page");
    let first: Vec<(i64, i64)> = first
        .items
        .iter()
        .map(|r| (r.id, r.amount_tenths))
        .collect();
    // ...when an import changes a row further on and adds new ones.
    import_str(
        &t.db,
        "2025,DISTRICT,115500000,464,001,,111,04,APPROVED,,99.9\n\
         2026,REGIONAL,710000000,352,001,,111,03,APPROVED,,1.0\n",
    )
    .await
    .expect("import while the export streams");
    let after = all(t.db.clone()).await;
    assert_ne!(after, before, "the import changed the data");

    let exported = rows_in_snapshot(&mut snapshot, &scope, &first).await;
    snapshot.commit().await.expect("end snapshot");
    assert_eq!(exported, before, "the export is the data of one moment");
    assert_eq!(counted, i64::try_from(before.len()).expect("count"));
}
