//! The informatization objects import against a real database: the portal's workbook and the
//! same tables as CSV files, dry runs, re-imports that change nothing, a newer file that
//! updates and replaces parts, bad files (rows and document files) refused whole, and the
//! imported documents downloaded over HTTP by the bodies whose scope holds them.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit_hub::import::objects::{self, Tables};
use audit_hub::import::report::{Changes, ImportError};
use audit_hub::import::source::{Outcome, Source};
use audit_hub::import::{budget_csv, kato, organizations};
use audit_hub::store::Db;
use common::TestDb;
use common::imports::{refusal, run};
use sea_query::{Expr, ExprTrait, Func, Query};
use sha2::{Digest, Sha256};

const FORMATS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/formats");

fn formats() -> PathBuf {
    PathBuf::from(FORMATS)
}

/// The sample's document directory (the documents table's paths are relative to it).
fn sample_dir() -> PathBuf {
    formats().join("objects")
}

fn changes(inserted: usize, updated: usize, unchanged: usize, removed: usize) -> Changes {
    Changes {
        inserted,
        updated,
        unchanged,
        retired: 0,
        removed,
    }
}

fn sample_csv(name: &str) -> String {
    std::fs::read_to_string(sample_dir().join(format!("{name}.csv"))).expect("sample table")
}

/// The sample's four tables as CSV text, for tests that change some of them.
fn sample_tables() -> BTreeMap<&'static str, String> {
    objects::TABLES
        .iter()
        .map(|t| (*t, sample_csv(t)))
        .collect()
}

fn csv_tables(tables: &BTreeMap<&'static str, String>) -> Result<Tables, ImportError> {
    let files = tables
        .iter()
        .map(|(name, body)| (*name, body.as_bytes().to_vec()))
        .collect();
    Tables::csv("changed", files)
}

/// A database with the sample territories, bodies and budgets the sample objects refer to.
async fn with_registers() -> TestDb {
    let t = TestDb::new().await;
    let open = |name: &str| Source::open(&formats().join(name)).expect("sample");
    kato::import(&t.db, &open("kato.csv"), None, &run(false))
        .await
        .expect("kato");
    organizations::import(&t.db, &open("organizations.csv"), &run(false))
        .await
        .expect("register");
    let budget = std::fs::read(formats().join("budget.csv")).expect("budget sample");
    budget_csv::import(&t.db, budget.as_slice())
        .await
        .expect("budgets");
    t
}

async fn count(db: &Db, table: &'static str) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col(sea_query::Asterisk)))
        .from(table)
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct ObjectSeen {
    account_code: String,
    stage: String,
    attestation: String,
    attested_on: Option<chrono::NaiveDate>,
    owner_bin: String,
}

async fn objects_seen(db: &Db) -> Vec<ObjectSeen> {
    let q = Query::select()
        .columns([
            ("o", "account_code"),
            ("o", "stage"),
            ("o", "attestation"),
            ("o", "attested_on"),
        ])
        .expr_as(Expr::col(("g", "bin")), sea_query::Alias::new("owner_bin"))
        .from_as("informatization_objects", "o")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "organizations",
            "g",
            Expr::col(("g", "id")).equals(("o", "owner_id")),
        )
        .order_by(("o", "account_code"), sea_query::Order::Asc)
        .to_owned();
    db.all(&q).await.expect("objects")
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct StageSeen {
    account_code: String,
    stage: String,
    started_on: chrono::NaiveDate,
    basis: Option<String>,
}

async fn stages_seen(db: &Db) -> Vec<(String, String, String, Option<String>)> {
    let q = Query::select()
        .column(("o", "account_code"))
        .columns([("h", "stage"), ("h", "started_on"), ("h", "basis")])
        .from_as("object_stage_history", "h")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("h", "object_id")),
        )
        .order_by(("o", "account_code"), sea_query::Order::Asc)
        .order_by(("h", "started_on"), sea_query::Order::Asc)
        .to_owned();
    db.all::<StageSeen>(&q)
        .await
        .expect("stages")
        .into_iter()
        .map(|s| (s.account_code, s.stage, s.started_on.to_string(), s.basis))
        .collect()
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct DocumentSeen {
    id: i64,
    account_code: String,
    file_name: String,
    size_bytes: i64,
    sha256: String,
}

async fn documents_seen(db: &Db) -> Vec<DocumentSeen> {
    let q = Query::select()
        .columns([
            ("d", "id"),
            ("d", "file_name"),
            ("d", "size_bytes"),
            ("d", "sha256"),
        ])
        .column(("o", "account_code"))
        .from_as("documents", "d")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("d", "object_id")),
        )
        .order_by(("d", "file_name"), sea_query::Order::Asc)
        .to_owned();
    db.all(&q).await.expect("documents")
}

#[derive(sqlx::FromRow)]
struct ChunkSeen {
    bytes: Vec<u8>,
}

/// A stored file put back together from its chunks.
async fn stored_file(db: &Db, sha256: &str) -> Vec<u8> {
    let q = Query::select()
        .column("bytes")
        .from("document_chunks")
        .and_where(Expr::col("sha256").eq(sha256))
        .order_by("seq", sea_query::Order::Asc)
        .to_owned();
    db.all::<ChunkSeen>(&q)
        .await
        .expect("chunks")
        .into_iter()
        .flat_map(|c| c.bytes)
        .collect()
}

async fn funding_seen(db: &Db) -> Vec<(String, String, String)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        account_code: String,
        kato: String,
        administrator: String,
    }
    let q = Query::select()
        .column(("o", "account_code"))
        .columns([("l", "kato"), ("l", "administrator")])
        .from_as("object_funding", "f")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("f", "object_id")),
        )
        .join_as(
            sea_query::JoinType::InnerJoin,
            "budget_lines",
            "l",
            Expr::col(("l", "id")).equals(("f", "line_id")),
        )
        .order_by(("o", "account_code"), sea_query::Order::Asc)
        .to_owned();
    db.all::<Row>(&q)
        .await
        .expect("funding")
        .into_iter()
        .map(|r| (r.account_code, r.kato, r.administrator))
        .collect()
}

async fn import_events(db: &Db) -> Vec<serde_json::Value> {
    #[derive(sqlx::FromRow)]
    struct Row {
        variables: Option<String>,
    }
    let q = Query::select()
        .column("variables")
        .from("audit_events")
        .and_where(Expr::col("operation").eq("audit-hub import objects"))
        .order_by("seq", sea_query::Order::Asc)
        .to_owned();
    db.all::<Row>(&q)
        .await
        .expect("events")
        .into_iter()
        .map(|r| serde_json::from_str(r.variables.as_deref().unwrap_or("null")).expect("json"))
        .collect()
}

fn parts(o: &Outcome) -> BTreeMap<&'static str, Changes> {
    o.parts.iter().copied().collect()
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn the_portal_objects_import_from_a_workbook_and_from_csv_files_alike() {
    // The directory's hash is that of its manifest, `table.csv <sha256>` per table in order.
    let manifest: String = objects::TABLES
        .iter()
        .map(|t| {
            let bytes = std::fs::read(sample_dir().join(format!("{t}.csv"))).expect("table");
            format!("{t}.csv {}\n", sha_hex(&bytes))
        })
        .collect();
    let workbook = formats().join("objects.xlsx");
    let cases = [
        (
            "workbook",
            workbook.clone(),
            sha_hex(&std::fs::read(&workbook).expect("workbook")),
        ),
        ("csv directory", sample_dir(), sha_hex(manifest.as_bytes())),
    ];
    for (case, path, expected_sha) in cases {
        let t = with_registers().await;
        let tables = Tables::open(&path).expect("tables");
        let dir = sample_dir();

        let dry = objects::import(&t.db, &tables, Some(&dir), &run(true))
            .await
            .expect("dry run");
        assert_eq!(dry.changes, changes(3, 0, 0, 0), "{case}: objects");
        let expected_parts = BTreeMap::from([
            // Three current stages from the objects table and three earlier ones.
            ("stages", changes(6, 0, 0, 0)),
            ("funding", changes(2, 0, 0, 0)),
            ("documents", changes(4, 0, 0, 0)),
            ("files", changes(4, 0, 0, 0)),
        ]);
        assert_eq!(parts(&dry), expected_parts, "{case}: dry-run parts");
        for table in [
            "informatization_objects",
            "object_stage_history",
            "documents",
            "document_chunks",
        ] {
            assert_eq!(
                count(&t.db, table).await,
                0,
                "{case}: dry run wrote {table}"
            );
        }
        assert!(import_events(&t.db).await.is_empty(), "{case}: dry event");

        let done = objects::import(&t.db, &tables, Some(&dir), &run(false))
            .await
            .expect("import");
        assert_eq!(done.changes, changes(3, 0, 0, 0), "{case}");
        assert_eq!(parts(&done), expected_parts, "{case}: parts");
        let date = |s: &str| s.parse::<chrono::NaiveDate>().ok();
        let seen = |code: &str, stage: &str, att: &str, on: Option<&str>, bin: &str| ObjectSeen {
            account_code: code.to_owned(),
            stage: stage.to_owned(),
            attestation: att.to_owned(),
            attested_on: on.and_then(date),
            owner_bin: bin.to_owned(),
        };
        assert_eq!(
            objects_seen(&t.db).await,
            vec![
                seen(
                    "AP-350000-0002",
                    "INDUSTRIAL_OPERATION",
                    "ATTESTED",
                    Some("2024-05-20"),
                    "050240100051"
                ),
                seen(
                    "AP-353200-0001",
                    "TRIAL_OPERATION",
                    "NOT_ATTESTED",
                    None,
                    "050240100041"
                ),
                seen(
                    "AP-353200-0003",
                    "CREATION",
                    "NOT_REQUIRED",
                    None,
                    "050240100041"
                ),
            ],
            "{case}"
        );
        let step = |code: &str, stage: &str, on: &str, basis: Option<&str>| {
            (
                code.to_owned(),
                stage.to_owned(),
                on.to_owned(),
                basis.map(str::to_owned),
            )
        };
        assert_eq!(
            stages_seen(&t.db).await,
            vec![
                step("AP-350000-0002", "CREATION", "2023-02-01", None),
                step(
                    "AP-350000-0002",
                    "TRIAL_OPERATION",
                    "2023-12-01",
                    Some("Акт ввода в опытную эксплуатацию № 7")
                ),
                step(
                    "AP-350000-0002",
                    "INDUSTRIAL_OPERATION",
                    "2024-06-10",
                    Some("Акт ввода в промышленную эксплуатацию № 12")
                ),
                step(
                    "AP-353200-0001",
                    "CREATION",
                    "2024-11-15",
                    Some("Приказ акима района № 112 от 15.11.2024")
                ),
                step(
                    "AP-353200-0001",
                    "TRIAL_OPERATION",
                    "2025-03-01",
                    Some("Приказ акима района № 45 от 01.03.2025")
                ),
                step("AP-353200-0003", "CREATION", "2025-09-01", None),
            ],
            "{case}"
        );
        assert_eq!(
            funding_seen(&t.db).await,
            vec![
                ("AP-350000-0002".into(), "350000000".into(), "252".into()),
                ("AP-353200-0001".into(), "353200000".into(), "464".into()),
            ],
            "{case}"
        );
        // Every stored file is the file on disk, byte for byte, under its own hash.
        let docs = documents_seen(&t.db).await;
        assert_eq!(docs.len(), 4, "{case}");
        for d in &docs {
            let on_disk = std::fs::read(dir.join("files").join(&d.file_name)).expect("file");
            assert_eq!(d.sha256, sha_hex(&on_disk), "{case}: {}", d.file_name);
            assert_eq!(
                d.size_bytes,
                on_disk.len() as i64,
                "{case}: {}",
                d.file_name
            );
            assert!(
                stored_file(&t.db, &d.sha256).await == on_disk,
                "{case}: stored {}",
                d.file_name
            );
        }
        let events = import_events(&t.db).await;
        assert_eq!(events.len(), 1, "{case}");
        assert_eq!(events[0]["sha256"], expected_sha.as_str(), "{case}");
        assert_eq!(events[0]["operator"], "test-operator", "{case}");
        assert_eq!(events[0]["changes"]["inserted"], 3, "{case}");
        assert_eq!(events[0]["parts"]["files"]["inserted"], 4, "{case}");

        let again = objects::import(&t.db, &tables, Some(&dir), &run(false))
            .await
            .expect("re-import");
        assert_eq!(again.changes, changes(0, 0, 3, 0), "{case}: re-import");
        assert_eq!(
            parts(&again),
            BTreeMap::from([
                ("stages", changes(0, 0, 6, 0)),
                ("funding", changes(0, 0, 2, 0)),
                ("documents", changes(0, 0, 4, 0)),
                ("files", changes(0, 0, 4, 0)),
            ]),
            "{case}: re-import parts"
        );
        assert_eq!(documents_seen(&t.db).await, docs, "{case}: ids kept");
        assert_eq!(count(&t.db, "document_contents").await, 4, "{case}");
    }
}

#[tokio::test]
async fn a_newer_objects_file_updates_objects_and_replaces_their_parts() {
    let t = with_registers().await;
    let dir = sample_dir();
    objects::import(
        &t.db,
        &Tables::open(&dir).expect("tables"),
        Some(&dir),
        &run(false),
    )
    .await
    .expect("first import");
    let mut tables = sample_tables();
    // The portal moved the akimat's portal to industrial operation with its attestation; the
    // old current stage is now history, one document is withdrawn, one funding link ended.
    let objects_csv = tables["objects"].replace(
        "TRIAL_OPERATION,2025-03-01,Приказ акима района № 45 от 01.03.2025,PUBLIC,2024-11-15,NOT_ATTESTED,",
        "INDUSTRIAL_OPERATION,2025-10-01,Приказ акима района № 90,PUBLIC,2024-11-15,ATTESTED,2025-09-15",
    );
    assert_ne!(objects_csv, tables["objects"], "the sample row is there");
    tables.insert("objects", objects_csv);
    let stages_csv = format!(
        "{}AP-353200-0001,TRIAL_OPERATION,2025-03-01,Приказ акима района № 45 от 01.03.2025\n",
        tables["stages"]
    );
    tables.insert("stages", stages_csv);
    let documents_csv: String = tables["documents"]
        .lines()
        .filter(|l| !l.contains("police-records-ts.pdf"))
        .map(|l| format!("{l}\n"))
        .collect();
    tables.insert("documents", documents_csv);
    let funding_csv: String = tables["funding"]
        .lines()
        .filter(|l| !l.starts_with("AP-350000-0002"))
        .map(|l| format!("{l}\n"))
        .collect();
    tables.insert("funding", funding_csv);
    let changed = csv_tables(&tables).expect("tables");

    let dry = objects::import(&t.db, &changed, Some(&dir), &run(true))
        .await
        .expect("dry run");
    assert_eq!(dry.changes, changes(0, 1, 2, 0));
    let expected_parts = BTreeMap::from([
        // New current stage; the trial step unchanged (now listed in stages); the rest kept.
        ("stages", changes(1, 0, 6, 0)),
        ("funding", changes(0, 0, 1, 1)),
        ("documents", changes(0, 0, 3, 1)),
        ("files", changes(0, 0, 3, 0)),
    ]);
    assert_eq!(parts(&dry), expected_parts);
    let done = objects::import(&t.db, &changed, Some(&dir), &run(false))
        .await
        .expect("import");
    assert_eq!(parts(&done), expected_parts);
    let akimat_portal = objects_seen(&t.db)
        .await
        .into_iter()
        .find(|o| o.account_code == "AP-353200-0001")
        .expect("object");
    assert_eq!(
        (
            akimat_portal.stage.as_str(),
            akimat_portal.attestation.as_str()
        ),
        ("INDUSTRIAL_OPERATION", "ATTESTED")
    );
    assert_eq!(stages_seen(&t.db).await.len(), 7);
    assert_eq!(funding_seen(&t.db).await.len(), 1);
    let names: Vec<String> = documents_seen(&t.db)
        .await
        .into_iter()
        .map(|d| d.file_name)
        .collect();
    assert!(
        !names.contains(&"police-records-ts.pdf".to_owned()),
        "{names:?}"
    );
    assert_eq!(names.len(), 3);

    // Without the stages table, history is kept and only the current step is ensured.
    tables.remove("stages");
    let without_stages = csv_tables(&tables).expect("tables");
    let kept = objects::import(&t.db, &without_stages, Some(&dir), &run(false))
        .await
        .expect("import without stages");
    assert_eq!(parts(&kept)["stages"], changes(0, 0, 3, 0));
    assert_eq!(stages_seen(&t.db).await.len(), 7);
}

#[tokio::test]
async fn a_bad_objects_file_is_refused_whole_naming_table_line_and_column() {
    let t = with_registers().await;
    let files = tempfile::tempdir().expect("tempdir");
    let docx = std::fs::read(sample_dir().join("files/police-records-manual.docx")).expect("docx");
    std::fs::write(files.path().join("manual.docx"), &docx).expect("write");
    std::fs::write(files.path().join("declared-pdf.pdf"), &docx).expect("write");
    let objects_csv = "\
account_code,kind,class,name_kk,name_ru,owner_bin,possessor_bin,stage,stage_date,access_level,registered_on,attestation,attested_on
OK-1,INFORMATION_SYSTEM,2,Жүйе,Система,050240100041,050240100041,CREATION,2025-01-10,PUBLIC,2025-01-01,NOT_ATTESTED,
BAD 2,INFORMATION_SYSTEM,4,Жүйе,Система,050240100099,050240100041,CREATION,2025-01-10,PUBLIC,2025-01-01,NOT_ATTESTED,2025-01-05
OK-1,INFORMATION_SYSTEM,2,Жүйе,Система,050240100041,050240100041,CREATION,2025-01-10,PUBLIC,2025-01-01,NOT_ATTESTED,
";
    let stages_csv = "\
account_code,stage,started_on,basis
OK-1,DEVELOPMENT,2025-02-01,
NOPE,CREATION,2024-01-01,
";
    let funding_csv = "\
account_code,year,level,kato,administrator,program,subprogram,specific
OK-1,2025,DISTRICT,353200000,464,999,,111
";
    let documents_csv = "\
account_code,doc_type,title,version,language,format,file_name,path,sha256
OK-1,OPERATION_MANUAL,Manual,1.0,RU,DOCX,manual.docx,,0000000000000000000000000000000000000000000000000000000000000000
OK-1,TERMS_OF_REFERENCE,ToR,1.0,RU,PDF_A_1,declared-pdf.pdf,,
OK-1,CONTRACT,Contract,1.0,RU,PDF_A_1,contract.pdf,,
OK-1,CONTRACT,Escape,1.0,RU,PDF_A_1,escape.pdf,../escape.pdf,
";
    let tables = Tables::csv(
        "bad",
        vec![
            ("objects", objects_csv.as_bytes().to_vec()),
            ("stages", stages_csv.as_bytes().to_vec()),
            ("funding", funding_csv.as_bytes().to_vec()),
            ("documents", documents_csv.as_bytes().to_vec()),
        ],
    )
    .expect("tables");
    let got = refusal(objects::import(&t.db, &tables, Some(files.path()), &run(false)).await);
    let where_: Vec<(u64, usize, &str)> = got
        .iter()
        .map(|(l, c, f, _)| (*l, *c, f.as_str()))
        .collect();
    assert_eq!(
        where_,
        vec![
            (3, 1, "objects.account_code"),
            (3, 3, "objects.class"),
            (3, 6, "objects.owner_bin"),
            (3, 13, "objects.attested_on"),
            (4, 1, "objects.account_code"),
            (2, 3, "stages.started_on"),
            (3, 1, "stages.account_code"),
            (2, 6, "funding.program"),
            (2, 9, "documents.sha256"),
            (3, 6, "documents.format"),
            (4, 7, "documents.file_name"),
            (5, 8, "documents.path"),
        ],
        "{got:#?}"
    );
    let message = |field: &str| {
        got.iter()
            .find(|(_, _, f, _)| f == field)
            .map(|(_, _, _, m)| m.clone())
            .unwrap_or_default()
    };
    assert!(
        message("documents.file_name").contains("\"contract.pdf\""),
        "{got:#?}"
    );
    assert!(
        message("documents.sha256").contains("\"manual.docx\""),
        "{got:#?}"
    );
    assert!(
        message("funding.program").contains("budget line"),
        "{got:#?}"
    );
    for table in ["informatization_objects", "documents", "document_chunks"] {
        assert_eq!(count(&t.db, table).await, 0, "{table} written");
    }

    // Without the documents directory, a file the hub does not hold already is refused.
    let dir = sample_dir();
    let sample = Tables::open(&dir).expect("tables");
    let got = refusal(objects::import(&t.db, &sample, None, &run(false)).await);
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(
        got.iter()
            .all(|(_, c, f, _)| *c == 10 && f == "documents.path"),
        "{got:#?}"
    );
    // Once stored, a row that names its file by SHA-256 needs no directory.
    objects::import(&t.db, &sample, Some(&dir), &run(false))
        .await
        .expect("import");
    let only_hashed: BTreeMap<&'static str, String> = BTreeMap::from([
        ("objects", sample_csv("objects")),
        (
            "documents",
            sample_csv("documents")
                .lines()
                .filter(|l| !l.ends_with(','))
                .map(|l| format!("{l}\n"))
                .collect(),
        ),
    ]);
    let hashed = objects::import(
        &t.db,
        &csv_tables(&only_hashed).expect("t"),
        None,
        &run(false),
    )
    .await
    .expect("documents by hash");
    assert_eq!(parts(&hashed)["documents"], changes(0, 0, 2, 2));
}

#[tokio::test]
async fn imported_documents_download_whole_for_the_bodies_whose_scope_holds_them() {
    let t = with_registers().await;
    let dir = sample_dir();
    objects::import(
        &t.db,
        &Tables::open(&dir).expect("tables"),
        Some(&dir),
        &run(false),
    )
    .await
    .expect("import");
    // The district maslikhat's head and the regional police internal audit's head (sample).
    let maslikhat = "850101400100";
    let police_audit = "900215300106";
    for iin in [maslikhat, police_audit] {
        let user = audit_hub::store::users::by_iin(&t.db, iin)
            .await
            .expect("read")
            .expect("head registered");
        common::grant_both_systems(&t.db, user.id).await;
    }
    let s = common::TestServer::start(&t.db).await;
    let docs = documents_seen(&t.db).await;
    // Who reads which object's documents: the akimat's are the district's, the police
    // department's are administrator 252's in the region.
    let cases = [
        (maslikhat, "AP-353200-0001", true),
        (maslikhat, "AP-350000-0002", false),
        (police_audit, "AP-350000-0002", true),
        (police_audit, "AP-353200-0001", false),
    ];
    for (iin, code, visible) in cases {
        let as_user = s.clone_as(iin);
        for d in docs.iter().filter(|d| d.account_code == code) {
            let resp = as_user
                .get(&format!("/documents/{}/content", d.id))
                .send()
                .await
                .expect("download");
            let status = resp.status().as_u16();
            if !visible {
                assert_eq!(status, 404, "{iin} must not read {}", d.file_name);
                continue;
            }
            assert_eq!(status, 200, "{iin} reads {}", d.file_name);
            let length = resp
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = resp.bytes().await.expect("body");
            let on_disk = std::fs::read(dir.join("files").join(&d.file_name)).expect("file");
            assert_eq!(length, Some(on_disk.len().to_string()), "{}", d.file_name);
            assert!(
                body.as_ref() == on_disk.as_slice(),
                "{} differs",
                d.file_name
            );
        }
    }
}

#[tokio::test]
async fn a_file_larger_than_a_chunk_is_stored_in_chunks_and_served_whole() {
    let t = with_registers().await;
    let files = tempfile::tempdir().expect("tempdir");
    // 2.5 chunks of a pseudo-random PDF body: the chunk edges fall inside the file.
    let mut body = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 12345;
    while body.len() < 2 * 1024 * 1024 + 512 * 1024 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        body.push((x >> 16) as u8);
    }
    std::fs::write(files.path().join("big.pdf"), &body).expect("write");
    let documents_csv = "\
account_code,doc_type,title,version,language,format,file_name
AP-353200-0001,CONTRACT,Contract,1.0,RU,PDF_A_1,big.pdf
";
    let tables = csv_tables(&BTreeMap::from([
        ("objects", sample_csv("objects")),
        ("documents", documents_csv.to_owned()),
    ]))
    .expect("tables");
    objects::import(&t.db, &tables, Some(files.path()), &run(false))
        .await
        .expect("import");
    assert_eq!(count(&t.db, "document_chunks").await, 3);
    let doc = documents_seen(&t.db).await.into_iter().next().expect("doc");
    assert_eq!(doc.sha256, sha_hex(&body));
    let user = audit_hub::store::users::by_iin(&t.db, "850101400100")
        .await
        .expect("read")
        .expect("head");
    common::grant_both_systems(&t.db, user.id).await;
    let s = common::TestServer::start(&t.db)
        .await
        .with_user("850101400100");
    let resp = s
        .get(&format!("/documents/{}/content", doc.id))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status().as_u16(), 200);
    let served = resp.bytes().await.expect("body");
    assert_eq!(served.len(), body.len());
    assert!(served.as_ref() == body.as_slice(), "served bytes differ");
}

#[tokio::test]
async fn the_objects_command_prints_every_part_and_refuses_in_the_chosen_language() {
    const BIN: &str = env!("CARGO_BIN_EXE_audit-hub");
    let t = with_registers().await;
    let dir = sample_dir().display().to_string();
    let cli = |args: Vec<&str>| {
        let url = t.url.clone();
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        async move {
            let out = tokio::process::Command::new(BIN)
                .args(&args)
                .env("DATABASE_URL", url)
                .output()
                .await
                .expect("run");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (code, stdout, stderr) = cli(vec![
        "import",
        "objects",
        &dir,
        "--documents",
        &dir,
        "--dry-run",
    ])
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "dry run, nothing written: inserted 3, updated 0, unchanged 0, retired 0; \
             stages: inserted 6, updated 0, unchanged 0, retired 0; \
             funding: inserted 2, updated 0, unchanged 0, retired 0; \
             documents: inserted 4, updated 0, unchanged 0, retired 0; \
             files: inserted 4, updated 0, unchanged 0, retired 0"
        ),
        "{stdout}"
    );
    assert_eq!(count(&t.db, "informatization_objects").await, 0);

    // Without --documents the files are missing: refused in Russian, naming the file.
    let (code, _, stderr) = cli(vec!["--lang", "ru", "import", "objects", &dir]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("строка 2, столбец 10 (documents.path): ожидается файл «files/ts-akimat-portal.pdf» в каталоге документов"),
        "{stderr}"
    );
    assert!(stderr.contains("ничего не импортировано"), "{stderr}");
}

/// The paths the documents table names stay inside the documents directory.
#[test]
fn document_paths_stay_inside_the_directory() {
    let dir = Path::new("/srv/documents");
    let cases = [
        ("a plain name", "ts.pdf", true),
        ("a sub-directory", "2025/ts.pdf", true),
        ("a parent step", "../etc/passwd", false),
        ("a parent step inside", "a/../../b.pdf", false),
        ("an absolute path", "/etc/passwd", false),
        ("a current-directory step", "./ts.pdf", false),
        ("empty", "", false),
    ];
    for (name, path, inside) in cases {
        let resolved = audit_hub::import::files::resolve(dir, path);
        assert_eq!(resolved.is_some(), inside, "{name}: {path}");
        if let Some(p) = resolved {
            assert!(p.starts_with(dir), "{name}");
        }
    }
}

#[tokio::test]
async fn a_link_out_of_the_documents_directory_is_refused_and_a_held_file_needs_no_copy() {
    let t = with_registers().await;
    let dir = sample_dir();
    objects::import(
        &t.db,
        &Tables::open(&dir).expect("tables"),
        Some(&dir),
        &run(false),
    )
    .await
    .expect("import");
    // A directory with a link to a PDF outside it, and none of the sample's files.
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("secret.pdf");
    std::fs::write(&secret, b"%PDF-1.4\nnot for the hub\n").expect("write");
    let files = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(&secret, files.path().join("linked.pdf")).expect("symlink");
    let mut tables = sample_tables();
    let documents_csv = format!(
        "{}AP-353200-0003,CONTRACT,Linked,,,1.0,RU,PDF_A_1,linked.pdf,,\n",
        tables["documents"]
    );
    tables.insert("documents", documents_csv);
    let got = refusal(
        objects::import(
            &t.db,
            &csv_tables(&tables).expect("t"),
            Some(files.path()),
            &run(false),
        )
        .await,
    );
    // The link is refused; the two sample rows that give a SHA-256 the hub holds need no copy
    // in the directory; the two that give none are missing.
    let where_: Vec<(u64, &str)> = got.iter().map(|(l, _, f, _)| (*l, f.as_str())).collect();
    assert_eq!(
        where_,
        vec![
            (3, "documents.path"),
            (4, "documents.path"),
            (6, "documents.file_name"),
        ],
        "{got:#?}"
    );
    assert!(got[2].3.contains("relative path inside"), "{got:#?}");
    assert_eq!(count(&t.db, "documents").await, 4, "nothing written");
}
