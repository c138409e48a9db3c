//! Reference and demo seeding: coverage of every body kind, valid identifiers, the police
//! administrators, linear scale and determinism.

use crate::common;

use std::collections::BTreeSet;

use audit_hub::domain::ident::{Bin, Iin};
use audit_hub::domain::org::BodyKind;
use audit_hub::store::Db;
use audit_hub::store::budget::{self, BudgetDimension};
use common::TestDb;
use sea_query::{Expr, ExprTrait, Func, Order, Query};

#[derive(sqlx::FromRow)]
struct Text {
    v: String,
}

async fn texts(db: &Db, table: &'static str, column: &'static str) -> Vec<String> {
    let q = Query::select()
        .expr_as(Expr::col(column), "v")
        .from(table)
        .order_by(column, Order::Asc)
        .to_owned();
    db.all::<Text>(&q)
        .await
        .expect("select")
        .into_iter()
        .map(|t| t.v)
        .collect()
}

async fn count(db: &Db, table: &'static str) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from(table)
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}

#[tokio::test]
async fn reference_covers_every_body_kind_with_valid_identifiers() {
    let t = TestDb::with_reference().await;
    let kinds: BTreeSet<String> = texts(&t.db, "organizations", "kind")
        .await
        .into_iter()
        .collect();
    for kind in BodyKind::ALL {
        assert!(
            kinds.contains(kind.as_str()),
            "no organization of kind {kind}"
        );
    }
    for bin in texts(&t.db, "organizations", "bin").await {
        assert!(Bin::parse(&bin).is_ok(), "invalid BIN {bin}");
    }
    let iins = texts(&t.db, "users", "iin").await;
    assert!(
        iins.len() as i64 >= count(&t.db, "organizations").await,
        "a head user per organization"
    );
    for iin in iins {
        assert!(Iin::parse(&iin).is_ok(), "invalid IIN {iin}");
    }
    let q = Query::select()
        .expr_as(Expr::col("kato"), "v")
        .from("territories")
        .and_where(Expr::col("kind").is_in(["OBLAST", "CITY_REPUBLICAN", "CAPITAL"]))
        .to_owned();
    assert_eq!(t.db.all::<Text>(&q).await.expect("regions").len(), 20);
}

#[tokio::test]
async fn police_administrators_are_252_in_oblasts_and_352_in_cities() {
    let t = TestDb::with_reference().await;
    for (code, kinds, expected) in [
        ("252", vec!["OBLAST"], 17),
        ("352", vec!["CITY_REPUBLICAN", "CAPITAL"], 3),
    ] {
        let q = Query::select()
            .expr_as(Expr::col(("a", "kato")), "v")
            .from_as("administrators", "a")
            .inner_join(
                "territories",
                Expr::col(("territories", "kato")).equals(("a", "kato")),
            )
            .and_where(Expr::col(("a", "code")).eq(code))
            .and_where(Expr::col(("a", "level")).eq("REGIONAL"))
            .and_where(Expr::col(("territories", "kind")).is_in(kinds))
            .to_owned();
        assert_eq!(
            t.db.all::<Text>(&q).await.expect("administrators").len(),
            expected,
            "administrator {code}"
        );
    }
}

#[tokio::test]
async fn excluded_internal_audit_services_are_flagged() {
    let t = TestDb::with_reference().await;
    let q = Query::select()
        .expr_as(Expr::col("name_en"), "v")
        .from("organizations")
        .and_where(Expr::col("audit_excluded").eq(true))
        .order_by("name_en", Order::Asc)
        .to_owned();
    let names: Vec<String> =
        t.db.all::<Text>(&q)
            .await
            .expect("excluded")
            .into_iter()
            .map(|t| t.v)
            .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.iter().any(|n| n.contains("National Bank")),
        "{names:?}"
    );
}

#[tokio::test]
async fn demo_size_grows_linearly_with_scale() {
    let one = TestDb::with_demo(1).await;
    let two = TestDb::with_demo(2).await;
    let (a1, a2) = (
        count(&one.db, "budget_amounts").await,
        count(&two.db, "budget_amounts").await,
    );
    assert!(
        (80_000..=120_000).contains(&a1),
        "scale 1 gave {a1} amount rows"
    );
    assert_eq!(a2, 2 * a1);
    assert_eq!(
        count(&two.db, "informatization_objects").await,
        2 * count(&one.db, "informatization_objects").await
    );
}

#[tokio::test]
async fn demo_data_is_deterministic() {
    let a = TestDb::with_demo(1).await;
    let b = TestDb::with_demo(1).await;
    let dims = [
        BudgetDimension::Year,
        BudgetDimension::Territory,
        BudgetDimension::Administrator,
        BudgetDimension::Phase,
    ];
    let scope = common::national_scope();
    let sa = budget::summary(&a.db, &scope, &dims, None)
        .await
        .expect("summary a");
    let sb = budget::summary(&b.db, &scope, &dims, None)
        .await
        .expect("summary b");
    assert!(!sa.is_empty());
    assert_eq!(sa, sb);
    assert_eq!(
        texts(&a.db, "documents", "sha256").await,
        texts(&b.db, "documents", "sha256").await
    );
}

#[tokio::test]
async fn every_level_and_phase_is_present_for_three_years() {
    let t = TestDb::with_demo(1).await;
    let rows = budget::summary(
        &t.db,
        &common::national_scope(),
        &[
            BudgetDimension::Year,
            BudgetDimension::Level,
            BudgetDimension::Phase,
        ],
        None,
    )
    .await
    .expect("summary");
    assert_eq!(rows.len(), 3 * 4 * 5, "years × levels × phases");
    assert!(rows.iter().all(|r| r.amount_tenths > 0 && r.line_count > 0));
}

const SEED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/seed/data");

/// The shipped reference files, read here with the `csv` crate: each data row's cells by
/// header name.
fn seed_rows(file: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(format!("{SEED_DATA}/{file}")).expect("seed file");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct ImportEvent {
    operation: Option<String>,
    variables: Option<String>,
}

#[tokio::test]
async fn the_reference_seed_loads_its_shipped_files_through_the_imports() {
    use audit_hub::import::report::Changes;
    use audit_hub::import::source::{Run, Source};
    use audit_hub::import::{kato, organizations};
    use sha2::{Digest, Sha256};

    let t = TestDb::with_reference().await;
    let kato_rows = seed_rows("kato.csv");
    let org_rows = seed_rows("organizations.csv");

    // Every territory of the file, and the Republic above them.
    let mut expected: Vec<String> = kato_rows.iter().map(|r| r["te"].clone()).collect();
    expected.push("000000000".to_owned());
    expected.sort();
    assert_eq!(texts(&t.db, "territories", "kato").await, expected);
    // Every body of the file under its BIN, ids in the file's order, headed as the file says.
    #[derive(sqlx::FromRow)]
    struct Headed {
        id: i64,
        bin: String,
        iin: Option<String>,
    }
    let q = Query::select()
        .columns([("o", "id"), ("o", "bin")])
        .column(("u", "iin"))
        .from_as("organizations", "o")
        .join_as(
            sea_query::JoinType::LeftJoin,
            "users",
            "u",
            Expr::col(("u", "organization_id"))
                .equals(("o", "id"))
                .and(Expr::col(("u", "is_head")).eq(true)),
        )
        .order_by(("o", "id"), Order::Asc)
        .to_owned();
    let seen: Vec<(i64, String, Option<String>)> =
        t.db.all::<Headed>(&q)
            .await
            .expect("bodies")
            .into_iter()
            .map(|h| (h.id, h.bin, h.iin))
            .collect();
    let wanted: Vec<(i64, String, Option<String>)> = org_rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let head = Some(r["head_iin"].clone()).filter(|h| !h.is_empty());
            (i as i64 + 1, r["bin"].clone(), head)
        })
        .collect();
    assert_eq!(seen, wanted);

    // Each file is on the record with its own SHA-256, as an operator's import would be.
    let q = Query::select()
        .columns(["operation", "variables"])
        .from("audit_events")
        .and_where(Expr::col("operation").like("audit-hub import %"))
        .order_by("seq", Order::Asc)
        .to_owned();
    let events: Vec<(String, serde_json::Value)> =
        t.db.all::<ImportEvent>(&q)
            .await
            .expect("events")
            .into_iter()
            .map(|e| {
                let vars =
                    serde_json::from_str(e.variables.as_deref().unwrap_or("null")).expect("json");
                (e.operation.unwrap_or_default(), vars)
            })
            .collect();
    let sha = |file: &str| {
        hex::encode(Sha256::digest(
            std::fs::read(format!("{SEED_DATA}/{file}")).expect("read"),
        ))
    };
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|(op, v)| (op.as_str(), v["sha256"].as_str().unwrap_or_default()))
        .collect();
    let (kato_sha, org_sha) = (sha("kato.csv"), sha("organizations.csv"));
    assert_eq!(
        got,
        vec![
            ("audit-hub import kato", kato_sha.as_str()),
            ("audit-hub import organizations", org_sha.as_str()),
        ]
    );

    // The same files imported again change nothing: the seed left them as the imports do.
    let run = Run {
        dry_run: true,
        operator: "test".to_owned(),
        now: chrono::Utc::now(),
        progress: false,
    };
    let source = |file: &str| {
        Source::from_bytes(
            file,
            std::fs::read(format!("{SEED_DATA}/{file}")).expect("read"),
        )
    };
    let again = kato::import(&t.db, &source("kato.csv"), None, &run)
        .await
        .expect("kato again");
    let unchanged = |n: usize| Changes {
        unchanged: n,
        ..Changes::default()
    };
    assert_eq!(again.changes, unchanged(kato_rows.len()));
    let again = organizations::import(&t.db, &source("organizations.csv"), &run)
        .await
        .expect("register again");
    assert_eq!(again.changes, unchanged(org_rows.len()));
    assert_eq!(again.heads_designated, 0);
}

#[tokio::test]
async fn demo_trainings_are_reported_within_their_deadline() {
    use chrono::{DateTime, NaiveDate};
    let t = TestDb::with_demo(1).await;
    let a = common::workflow::actors(&t.db).await;
    let mut s = common::TestServer::start(&t.db).await;
    let all = common::workflow::as_user(
        &mut s,
        &a.integrator,
        "{ trainingReports(pendingOnly: false) { completedOn reportDue reportedAt overdue } }",
        serde_json::json!({}),
    )
    .await;
    let reports = all["data"]["trainingReports"].as_array().expect("reports");
    assert!(!reports.is_empty(), "the demo heads are trained: {all}");
    let day = |v: &serde_json::Value| {
        NaiveDate::parse_from_str(v.as_str().expect("a date"), "%Y-%m-%d").expect("a date")
    };
    let instant = |v: &serde_json::Value| {
        DateTime::parse_from_rfc3339(v.as_str().expect("an instant")).expect("an instant")
    };
    for r in reports {
        let (completed, due, reported) = (
            day(&r["completedOn"]),
            instant(&r["reportDue"]),
            instant(&r["reportedAt"]),
        );
        // Five working days always span a weekend: the deadline is a week or more after.
        assert!(due.date_naive() >= completed + chrono::Days::new(7), "{r}");
        assert!(reported.date_naive() > completed && reported < due, "{r}");
        assert_eq!(r["overdue"], false, "{r}");
    }
    let pending = common::workflow::as_user(
        &mut s,
        &a.integrator,
        "{ trainingReports(pendingOnly: true) { id } }",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(
        pending["data"]["trainingReports"],
        serde_json::json!([]),
        "the console's list of reports owed opens empty"
    );
}

/// An import's own first step, which it holds while its first write waits for the data epoch.
type ImportLock = for<'a> fn(
    &'a mut audit_hub::store::Tx,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = audit_hub::error::AppResult<()>> + Send + 'a>,
>;

#[tokio::test]
async fn a_seed_beside_any_import_waits_for_it_instead_of_deadlocking() {
    use audit_hub::store::{classification, object_register, register, rollup, territories};
    if common::backend_name() != "postgres" {
        eprintln!("lock order: runs in the PostgreSQL pass (SQLite has one writer)");
        return;
    }
    let cases: [(&str, ImportLock); 5] = [
        ("a KATO import", |tx| Box::pin(territories::lock(tx))),
        ("a register import", |tx| Box::pin(register::lock(tx))),
        ("a classification import", |tx| {
            Box::pin(classification::lock(tx))
        }),
        ("an objects import", |tx| {
            Box::pin(object_register::lock(tx))
        }),
        ("a budget import", |tx| Box::pin(rollup::lock_writers(tx))),
    ];
    let waiting = Query::select()
        .expr(Func::count(Expr::col("pid")))
        .from("pg_stat_activity")
        .and_where(Expr::cust("datname = current_database()"))
        .and_where(Expr::col("wait_event_type").eq("Lock"))
        .to_owned();
    for (import, lock) in cases {
        let t = TestDb::new().await;
        // The import has taken its lock; its first write is still to come.
        let mut holder = t.db.begin().await.expect("begin");
        lock(&mut holder).await.expect("the import's lock");
        let db = t.db.clone();
        let seed = tokio::spawn(async move { audit_hub::seed::run(&db, Some(1), false).await });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while t.db.scalar_i64(&waiting).await.expect("activity") == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{import}: the seed never waited for its lock"
            );
            assert!(!seed.is_finished(), "{import}: the seed ran past its lock");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // The seed waits holding no data epoch, so the import's first write (which bumps it)
        // goes through and the import commits; then the seed runs.
        holder
            .raw("SELECT epoch FROM change_epochs WHERE topic = 'data' FOR UPDATE NOWAIT")
            .await
            .unwrap_or_else(|e| panic!("{import}: the waiting seed holds the data epoch: {e}"));
        holder.commit().await.expect("commit");
        let report = seed
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("{import}: the seed, once released: {e}"));
        assert!(report.reference_inserted, "{import}");
        assert!(report.demo.is_some(), "{import}");
    }
}
