//! The KATO and register-of-bodies imports against a real database: both file formats, dry
//! runs, re-imports that change nothing, newer files that update and retire, and bad files
//! refused whole with every problem named by line and column.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use audit_hub::domain::lang::Lang;
use audit_hub::domain::territory::KatoPrefix;
use audit_hub::import::report::{Changes, ImportError};
use audit_hub::import::source::Source;
use audit_hub::import::{kato, organizations};
use audit_hub::store::Db;
use common::TestDb;
use common::imports::{refusal, run};
use sea_query::{Expr, ExprTrait, Func, Query};
use sha2::{Digest, Sha256};

const FORMATS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/formats");

fn sample(name: &str) -> Source {
    Source::open(&Path::new(FORMATS).join(name)).expect("sample file")
}

fn text(name: &str, body: &str) -> Source {
    Source::from_bytes(name, body.as_bytes().to_vec())
}

fn changes(inserted: usize, updated: usize, unchanged: usize, retired: usize) -> Changes {
    Changes {
        inserted,
        updated,
        unchanged,
        retired,
        removed: 0,
    }
}

async fn count(db: &Db, table: &'static str) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col(sea_query::Asterisk)))
        .from(table)
        .to_owned();
    db.scalar_i64(&q).await.expect("count")
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct TerritoryRow {
    kato: String,
    kind: String,
    region_kato: Option<String>,
    parent_kato: Option<String>,
    name_ru: String,
    retired_on: Option<chrono::NaiveDate>,
}

async fn territories(db: &Db) -> BTreeMap<String, TerritoryRow> {
    let q = Query::select()
        .columns([
            "kato",
            "kind",
            "region_kato",
            "parent_kato",
            "name_ru",
            "retired_on",
        ])
        .from("territories")
        .to_owned();
    db.all::<TerritoryRow>(&q)
        .await
        .expect("territories")
        .into_iter()
        .map(|t| (t.kato.clone(), t))
        .collect()
}

#[derive(Debug, sqlx::FromRow)]
struct EventRow {
    operation: Option<String>,
    variables: Option<String>,
}

async fn events(db: &Db, operation: &str) -> Vec<serde_json::Value> {
    let q = Query::select()
        .columns(["operation", "variables"])
        .from("audit_events")
        .and_where(Expr::col("operation").eq(operation))
        .order_by("seq", sea_query::Order::Asc)
        .to_owned();
    db.all::<EventRow>(&q)
        .await
        .expect("events")
        .into_iter()
        .map(|e| {
            assert_eq!(e.operation.as_deref(), Some(operation));
            serde_json::from_str(e.variables.as_deref().unwrap_or("null")).expect("json")
        })
        .collect()
}

#[tokio::test]
async fn the_published_kato_layout_imports_from_xlsx_and_csv_alike() {
    for file in ["kato.csv", "kato.xlsx"] {
        let t = TestDb::new().await;
        let source = sample(file);
        // The file's own hash, computed here independently of the importer.
        let bytes = std::fs::read(Path::new(FORMATS).join(file)).expect("read");
        let sha = hex::encode(Sha256::digest(&bytes));

        let dry = kato::import(&t.db, &source, None, &run(true))
            .await
            .expect("dry run");
        assert_eq!(dry.changes, changes(20, 0, 0, 0), "{file}: dry run counts");
        assert_eq!(
            count(&t.db, "territories").await,
            0,
            "{file}: dry run wrote"
        );
        assert!(events(&t.db, "audit-hub import kato").await.is_empty());

        let done = kato::import(&t.db, &source, None, &run(false))
            .await
            .expect("import");
        assert_eq!(done.changes, changes(20, 0, 0, 0), "{file}");
        let tree = territories(&t.db).await;
        // (code, kind, region, parent), worked out by hand from the classifier's rules.
        for (code, kind, region, parent) in [
            ("350000000", "OBLAST", Some("350000000"), None),
            (
                "351000000",
                "DISTRICT",
                Some("350000000"),
                Some("350000000"),
            ),
            ("351010000", "RURAL", Some("350000000"), Some("351000000")),
            ("353222000", "RURAL", Some("350000000"), Some("353200000")),
            ("353222100", "RURAL", Some("350000000"), Some("353222000")),
            ("710000000", "CAPITAL", Some("710000000"), None),
            (
                "711100000",
                "CITY_DISTRICT",
                Some("710000000"),
                Some("710000000"),
            ),
            ("750000000", "CITY_REPUBLICAN", Some("750000000"), None),
            (
                "751200000",
                "CITY_DISTRICT",
                Some("750000000"),
                Some("750000000"),
            ),
        ] {
            let row = &tree[code];
            assert_eq!(
                (
                    row.kind.as_str(),
                    row.region_kato.as_deref(),
                    row.parent_kato.as_deref()
                ),
                (kind, region, parent),
                "{file}: {code}"
            );
        }
        assert_eq!(tree["353222100"].name_ru, "село Баймырза");

        let again = kato::import(&t.db, &source, None, &run(false))
            .await
            .expect("re-import");
        assert_eq!(again.changes, changes(0, 0, 20, 0), "{file}: re-import");
        assert_eq!(
            territories(&t.db).await,
            tree,
            "{file}: re-import changed rows"
        );

        let recorded = events(&t.db, "audit-hub import kato").await;
        assert_eq!(recorded.len(), 2, "{file}: one event per import");
        assert_eq!(recorded[0]["sha256"], sha.as_str());
        assert_eq!(recorded[0]["operator"], "test-operator");
        assert_eq!(recorded[0]["changes"]["inserted"], 20);
        assert_eq!(recorded[1]["changes"]["unchanged"], 20);
        assert!(
            recorded[0]["file"]
                .as_str()
                .is_some_and(|f| f.ends_with(file)),
            "{recorded:?}"
        );
    }
}

/// The sample with one district renamed, one rural district and its village gone, and one new
/// village.
fn newer_kato() -> String {
    let base = std::fs::read_to_string(Path::new(FORMATS).join("kato.csv")).expect("sample");
    let mut out: Vec<String> = base
        .lines()
        .filter(|l| !l.starts_with("353630000") && !l.starts_with("353630100"))
        .map(|l| l.replace("Абайский район", "Абайский район (новое)"))
        .collect();
    out.push("353222500,35,32,22,500,4,Қызылжар ауылы,село Кызылжар,21".to_owned());
    out.join("\n")
}

#[tokio::test]
async fn a_newer_classifier_updates_inserts_and_retires_without_deleting() {
    let t = TestDb::new().await;
    let today = common::today();
    kato::import(&t.db, &sample("kato.csv"), None, &run(false))
        .await
        .expect("base");

    let newer = text("kato-2026.csv", &newer_kato());
    let dry = kato::import(&t.db, &newer, None, &run(true))
        .await
        .expect("dry");
    assert_eq!(dry.changes, changes(1, 1, 17, 2));
    assert_eq!(territories(&t.db).await["353630000"].retired_on, None);

    let done = kato::import(&t.db, &newer, None, &run(false))
        .await
        .expect("newer");
    assert_eq!(done.changes, changes(1, 1, 17, 2));
    let tree = territories(&t.db).await;
    assert_eq!(tree.len(), 21, "retired codes are kept");
    assert_eq!(tree["353630000"].retired_on, Some(today));
    assert_eq!(tree["353630100"].retired_on, Some(today));
    assert_eq!(tree["353600000"].name_ru, "Абайский район (новое)");
    assert_eq!(tree["353222500"].parent_kato.as_deref(), Some("353222000"));

    // The older file brings the retired codes back and retires the new village.
    let back = kato::import(&t.db, &sample("kato.csv"), None, &run(false))
        .await
        .expect("older");
    assert_eq!(back.changes, changes(0, 3, 17, 1));
    let tree = territories(&t.db).await;
    assert_eq!(tree["353630000"].retired_on, None);
    assert_eq!(tree["353222500"].retired_on, Some(today));
}

#[tokio::test]
async fn a_bad_classifier_is_refused_whole_naming_line_and_column() {
    let t = TestDb::new().await;
    kato::import(&t.db, &sample("kato.csv"), None, &run(false))
        .await
        .expect("base");
    let before = territories(&t.db).await;
    let file = "\
te,ab,cd,ef,hij,k,name_kaz,name_rus,nn
350000000,35,00,00,000,1,Қарағанды облысы,Карагандинская область,0
35440000,35,44,00,000,2,Осакаров ауданы,Осакаровский район,1
354400000,35,45,00,000,2,Осакаров ауданы,Осакаровский район,2
354800000,35,48,00,000,2,,Шетский район,3
351000000,35,10,00,000,2,Қарағанды Қ.Ә.,Караганда Г.А.,4
351000000,35,10,00,000,2,Қарағанды Қ.Ә.,Караганда Г.А.,5
355630100,35,56,30,100,4,Ақтоғай ауылы,село Актогай,6
000000000,00,00,00,000,0,Қазақстан,Казахстан,7
";
    let errors = refusal(kato::import(&t.db, &text("bad.csv", file), None, &run(false)).await);
    let got: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|(l, c, f, _)| (*l, *c, f.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, 1, "te"),       // eight digits
            (4, 3, "cd"),       // level part unlike the code
            (5, 7, "name_kaz"), // no name
            (7, 1, "te"),       // the same code twice
            (8, 1, "te"),       // no parent 355630000 in the file
            (9, 1, "te"),       // the Republic's own code
        ],
        "{errors:#?}"
    );
    assert_eq!(
        errors[0].3,
        "line 3, column 1 (te): expected exactly 9 digits"
    );
    assert!(errors[4].3.contains("355630000"), "{}", errors[4].3);
    let ru = match kato::import(&t.db, &text("bad.csv", file), None, &run(false)).await {
        Err(e) => e.lines(Lang::Ru),
        Ok(o) => panic!("accepted: {o:?}"),
    };
    assert_eq!(ru[0], "строка 3, столбец 1 (te): ожидается ровно 9 цифр");
    assert_eq!(territories(&t.db).await, before, "nothing written");
    assert_eq!(events(&t.db, "audit-hub import kato").await.len(), 1);
}

#[tokio::test]
async fn a_region_update_within_a_prefix_leaves_the_rest_alone() {
    let t = TestDb::new().await;
    kato::import(&t.db, &sample("kato.csv"), None, &run(false))
        .await
        .expect("base");
    let within = KatoPrefix::parse("35").expect("prefix");
    let region: String = std::fs::read_to_string(Path::new(FORMATS).join("kato.csv"))
        .expect("sample")
        .lines()
        .filter(|l| l.starts_with("te,") || l.starts_with("35") && !l.starts_with("3536"))
        .collect::<Vec<_>>()
        .join("\n");
    let done = kato::import(&t.db, &text("35.csv", &region), Some(&within), &run(false))
        .await
        .expect("region");
    // Abai district and its two codes below it retired; Astana and Almaty untouched.
    assert_eq!(done.changes, changes(0, 0, 10, 4));
    let tree = territories(&t.db).await;
    assert!(tree["353600000"].retired_on.is_some());
    assert!(tree["710000000"].retired_on.is_none());

    let outside = format!("{region}\n711300000,71,13,00,000,2,Сарыарқа ауданы,район Сарыарка,9");
    let errors =
        refusal(kato::import(&t.db, &text("35.csv", &outside), Some(&within), &run(false)).await);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].1, errors[0].2.as_str()), (1, "te"));
    assert!(errors[0].3.contains("starting with 35"), "{}", errors[0].3);
}

async fn with_sample_tree() -> TestDb {
    let t = TestDb::new().await;
    kato::import(&t.db, &sample("kato.csv"), None, &run(false))
        .await
        .expect("kato");
    t
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct HeadRow {
    bin: String,
    iin: String,
    surname: String,
}

async fn heads(db: &Db) -> Vec<(String, String, String)> {
    let q = Query::select()
        .column(("o", "bin"))
        .columns([("u", "iin"), ("u", "surname")])
        .from_as("users", "u")
        .join_as(
            sea_query::JoinType::InnerJoin,
            "organizations",
            "o",
            Expr::col(("o", "id")).equals(("u", "organization_id")),
        )
        .and_where(Expr::col(("u", "is_head")).eq(true))
        .order_by(("o", "bin"), sea_query::Order::Asc)
        .to_owned();
    db.all::<HeadRow>(&q)
        .await
        .expect("heads")
        .into_iter()
        .map(|h| (h.bin, h.iin, h.surname))
        .collect()
}

#[tokio::test]
async fn the_register_imports_from_csv_and_xlsx_with_its_heads() {
    for file in ["organizations.csv", "organizations.xlsx"] {
        let t = with_sample_tree().await;
        let source = sample(file);
        let dry = organizations::import(&t.db, &source, &run(true))
            .await
            .expect("dry");
        assert_eq!(
            (dry.changes, dry.heads_designated),
            (changes(7, 0, 0, 0), 3),
            "{file}"
        );
        assert_eq!(
            count(&t.db, "organizations").await,
            0,
            "{file}: dry run wrote"
        );

        let done = organizations::import(&t.db, &source, &run(false))
            .await
            .expect("import");
        assert_eq!(
            (done.changes, done.heads_designated),
            (changes(7, 0, 0, 0), 3)
        );
        assert_eq!(
            heads(&t.db).await,
            vec![
                (
                    "050240100011".into(),
                    "780512300103".into(),
                    "Әбілов".into()
                ),
                (
                    "050240100031".into(),
                    "850101400100".into(),
                    "Нұрланова".into()
                ),
                (
                    "050240100061".into(),
                    "900215300106".into(),
                    "Омаров".into()
                ),
            ],
            "{file}"
        );
        assert_eq!(
            count(&t.db, "memberships").await,
            3,
            "{file}: heads are members"
        );
        assert_eq!(events(&t.db, "designateHead").await.len(), 3, "{file}");

        let again = organizations::import(&t.db, &source, &run(false))
            .await
            .expect("again");
        assert_eq!(
            (again.changes, again.heads_designated),
            (changes(0, 0, 7, 0), 0),
            "{file}: re-import"
        );
        let recorded = events(&t.db, "audit-hub import organizations").await;
        assert_eq!(recorded.len(), 2, "{file}");
        assert_eq!(recorded[1]["changes"]["unchanged"], 7);
    }
}

#[tokio::test]
async fn a_changed_register_updates_bodies_and_hands_headship_over() {
    let t = with_sample_tree().await;
    organizations::import(&t.db, &sample("organizations.csv"), &run(false))
        .await
        .expect("base");
    let base =
        std::fs::read_to_string(Path::new(FORMATS).join("organizations.csv")).expect("sample");
    // The district maslikhat renamed; a new head for the regional maslikhat (a person new to
    // the hub); the revision commission gets its first head.
    let changed = base
        .replace("Бухар-Жырауский районный маслихат", "Маслихат Бухар-Жырауского района")
        .replace(
            "780512300103,Әбілов,Серік,Қайратұлы",
            "820730400105,Серікова,Гүлнар,",
        )
        .replace(
            "Karaganda Region Revision Commission,350000000,REGIONAL,,,false,,,,,",
            "Karaganda Region Revision Commission,350000000,REGIONAL,,,false,780512300103,Әбілов,Серік,,Төраға",
        );
    let errors =
        refusal(organizations::import(&t.db, &text("register.csv", &changed), &run(false)).await);
    // The former head still belongs to the regional maslikhat: the register cannot move them.
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!((errors[0].0, errors[0].2.as_str()), (3, "head_iin"));

    let changed = changed.replace(
        "780512300103,Әбілов,Серік,,Төраға",
        "880303300108,Жаксылыков,Ерлан,,Төраға",
    );
    let done = organizations::import(&t.db, &text("register.csv", &changed), &run(false))
        .await
        .expect("changed");
    assert_eq!(
        (done.changes, done.heads_designated),
        (changes(0, 1, 6, 0), 2)
    );
    let now = heads(&t.db).await;
    assert!(now.contains(&(
        "050240100011".into(),
        "820730400105".into(),
        "Серікова".into()
    )));
    assert!(now.contains(&(
        "050240100021".into(),
        "880303300108".into(),
        "Жаксылыков".into()
    )));
    assert!(
        !now.iter().any(|h| h.1 == "780512300103"),
        "the previous head heads nothing: {now:?}"
    );
}

#[tokio::test]
async fn a_bad_register_is_refused_whole_naming_line_and_column() {
    let t = with_sample_tree().await;
    let header = "bin,kind,name_kk,name_ru,name_en,kato,budget_level,administrator,parent_bin,audit_excluded,head_iin,head_surname,head_name,head_patronymic,head_position";
    let rows = [
        // 2: the check digit is wrong
        "050240100012,MASLIKHAT,А,Б,,350000000,REGIONAL,,,false,,,,,",
        // 3: an unknown kind
        "050240100021,AKIMAT,А,Б,,350000000,REGIONAL,,,false,,,,,",
        // 4: a territory the classifier lacks
        "050240100031,MASLIKHAT,А,Б,,359900000,DISTRICT,,,false,,,,,",
        // 5: a district budget on a region
        "050240100041,MASLIKHAT,А,Б,,350000000,DISTRICT,,,false,,,,,",
        // 6: a parent nobody registered
        "050240100051,POLICE_INTERNAL_AUDIT,А,Б,,350000000,REGIONAL,252,050240100081,false,,,,,",
        // 7 and 8: each the other's parent
        "050240100061,LOCAL_EXECUTIVE_BODY,А,Б,,350000000,REGIONAL,,050240100071,false,,,,,",
        "050240100071,LOCAL_EXECUTIVE_BODY,А,Б,,350000000,REGIONAL,,050240100061,false,,,,,",
        // 9: a head without a name
        "050240100091,MASLIKHAT,А,Б,,353200000,DISTRICT,,,false,780512300103,Әбілов,,,Хатшы",
        // 10: a position without a head
        "050240100100,MASLIKHAT,А,Б,,353600000,DISTRICT,,,false,,,,,Хатшы",
    ];
    let file = format!("{header}\n{}\n", rows.join("\n"));
    let errors = refusal(organizations::import(&t.db, &text("bad.csv", &file), &run(false)).await);
    let got: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|(l, c, f, _)| (*l, *c, f.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, 1, "bin"),
            (3, 2, "kind"),
            (4, 6, "kato"),
            (5, 7, "budget_level"),
            (6, 9, "parent_bin"),
            (7, 9, "parent_bin"),
            (8, 9, "parent_bin"),
            (9, 13, "head_name"),
            (10, 15, "head_position"),
        ],
        "{errors:#?}"
    );
    assert!(errors[1].3.contains("POLICE_DEPARTMENT"), "{}", errors[1].3);
    assert_eq!(count(&t.db, "organizations").await, 0);
    assert_eq!(count(&t.db, "users").await, 0);
    assert!(
        events(&t.db, "audit-hub import organizations")
            .await
            .is_empty()
    );
}

/// Budget lines in the district, in a rural district under it, in the next district and in the
/// region's own budget.
const BUDGETS: &str = "\
year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount
2025,DISTRICT,353200000,464,001,,111,04,APPROVED,,100.5
2025,RURAL,353222000,124,001,,,01,APPROVED,,7.5
2025,DISTRICT,353600000,464,001,,111,04,APPROVED,,900.0
2025,REGIONAL,350000000,252,001,,111,03,APPROVED,,5000.0
";

#[tokio::test]
async fn an_imported_district_maslikhat_signs_in_and_reads_its_district_only() {
    use crate::cert_login::{Leaf, ca, login};
    use common::openssl::challenge;
    let t = with_sample_tree().await;
    organizations::import(&t.db, &sample("organizations.csv"), &run(false))
        .await
        .expect("register");
    audit_hub::import::budget_csv::import(&t.db, BUDGETS.as_bytes())
        .await
        .expect("budgets");
    // Нұрланова heads the Bukhar-Zhyrau district maslikhat (BIN 050240100031) in the sample.
    let head = audit_hub::store::users::by_iin(&t.db, "850101400100")
        .await
        .expect("read")
        .expect("the head was registered");
    common::grant_both_systems(&t.db, head.id).await;

    let root = ca("Test NCA root");
    let anchors = std::sync::Arc::new(
        audit_hub::authz::certificate::TrustAnchors::from_pem(root.cert.pem().as_bytes())
            .expect("anchors"),
    );
    let s = common::TestServer::start_with(&t.db, |c| c.with_trust_anchors(anchors)).await;
    let (cert, key) = Leaf::new("850101400100", "050240100031").issued_by(&root);
    let nonce = challenge(&s).await;
    let (status, body) = login(&s, &nonce, &[&cert], &key, &nonce).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("token");

    let resp: serde_json::Value = s
        .client
        .post(s.url("/graphql"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "query": "{ me { organization { bin } } budgetSummary(groupBy: [TERRITORY]) { key { territory } amount lineCount } }"
        }))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    assert_eq!(
        resp["data"]["me"]["organization"]["bin"], "050240100031",
        "{resp}"
    );
    let got: BTreeMap<String, String> = resp["data"]["budgetSummary"]
        .as_array()
        .unwrap_or_else(|| panic!("{resp}"))
        .iter()
        .map(|g| {
            (
                g["key"]["territory"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                g["amount"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    // The district's own budget and the rural budget within it; not the neighbour, not the
    // region's.
    assert_eq!(
        got,
        BTreeMap::from([
            ("353200000".to_owned(), "100.5".to_owned()),
            ("353222000".to_owned(), "7.5".to_owned()),
        ])
    );
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct ClassRow {
    year: i32,
    kind: String,
    level: String,
    code: String,
    name_ru: String,
    retired_on: Option<chrono::NaiveDate>,
}

async fn classification_rows(db: &Db) -> Vec<ClassRow> {
    let q = Query::select()
        .columns(["year", "kind", "level", "code", "name_ru", "retired_on"])
        .from("budget_classification")
        .order_by("kind", sea_query::Order::Asc)
        .order_by("code", sea_query::Order::Asc)
        .to_owned();
    db.all::<ClassRow>(&q).await.expect("classification")
}

#[tokio::test]
async fn the_budget_classification_imports_year_by_year() {
    for file in ["classification.csv", "classification.xlsx"] {
        let t = TestDb::new().await;
        let source = sample(file);
        let dry = audit_hub::import::classification::import(&t.db, &source, &run(true))
            .await
            .expect("dry");
        assert_eq!(dry.changes, changes(13, 0, 0, 0), "{file}");
        assert_eq!(count(&t.db, "budget_classification").await, 0);
        let done = audit_hub::import::classification::import(&t.db, &source, &run(false))
            .await
            .expect("import");
        assert_eq!(done.changes, changes(13, 0, 0, 0), "{file}");
        let rows = classification_rows(&t.db).await;
        let program = rows
            .iter()
            .find(|r| r.kind == "PROGRAM" && r.code == "252001")
            .expect("program 252 001");
        assert_eq!(
            (program.year, program.level.as_str()),
            (2025, "REGIONAL"),
            "{file}"
        );
        let again = audit_hub::import::classification::import(&t.db, &source, &run(false))
            .await
            .expect("again");
        assert_eq!(again.changes, changes(0, 0, 13, 0), "{file}");
        assert_eq!(
            events(&t.db, "audit-hub import classification").await.len(),
            2,
            "{file}"
        );
    }

    // A newer text of 2025 drops a subprogram and renames a specific; 2026 arrives beside it.
    let t = TestDb::new().await;
    audit_hub::import::classification::import(&t.db, &sample("classification.csv"), &run(false))
        .await
        .expect("2025");
    let base =
        std::fs::read_to_string(Path::new(FORMATS).join("classification.csv")).expect("sample");
    let newer: String = base
        .lines()
        .filter(|l| !l.contains(",252001015,"))
        .map(|l| l.replace("Оплата труда", "Оплата труда работников"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n2026,FUNCTIONAL_GROUP,,01,Жалпы сипаттағы мемлекеттік қызметтер,Государственные услуги общего характера\n";
    let done =
        audit_hub::import::classification::import(&t.db, &text("2026.csv", &newer), &run(false))
            .await
            .expect("newer");
    assert_eq!(done.changes, changes(1, 1, 11, 1));
    let rows = classification_rows(&t.db).await;
    let sub = rows.iter().find(|r| r.code == "252001015").expect("kept");
    assert!(sub.retired_on.is_some(), "retired, not deleted");
    assert_eq!(rows.len(), 14);
}

#[tokio::test]
async fn a_bad_classification_is_refused_whole() {
    let t = TestDb::new().await;
    let file = "\
year,kind,level,code,name_kk,name_ru
2025,FUNCTIONAL_GROUP,,1,Топ,Группа
2025,ADMINISTRATOR,,252,Әкімші,Администратор
2025,PROGRAM,REGIONAL,464001,Бағдарлама,Программа
1889,FUNCTIONAL_GROUP,,02,Топ,Группа
2025,ECONOMIC_CLASS,REGIONAL,1,Сынып,Класс
2025,SECTOR,,01,Сала,Отрасль
";
    let errors = refusal(
        audit_hub::import::classification::import(&t.db, &text("bad.csv", file), &run(false)).await,
    );
    let got: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|(l, c, f, _)| (*l, *c, f.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, 4, "code"),  // a group has two digits
            (3, 3, "level"), // an administrator belongs to a level
            (4, 4, "code"),  // no administrator 464 at that level in the file
            (5, 1, "year"),  // out of range
            (6, 3, "level"), // economic codes have no level
            (7, 2, "kind"),  // unknown kind
        ],
        "{errors:#?}"
    );
    assert_eq!(count(&t.db, "budget_classification").await, 0);
}

#[tokio::test]
async fn budget_rows_are_checked_against_their_years_classification() {
    use audit_hub::import::budget_csv::{self, Options};
    let t = with_sample_tree().await;
    audit_hub::import::classification::import(&t.db, &sample("classification.csv"), &run(false))
        .await
        .expect("classification");
    // Line 2 is classified; line 3 names an administrator 2025 lacks at the district level and
    // a program; line 4 a year without a classification.
    let csv = "\
year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount
2025,DISTRICT,353200000,464,001,,111,04,APPROVED,,100.5
2025,DISTRICT,353200000,465,002,,111,04,APPROVED,,1.0
2024,DISTRICT,353200000,464,001,,111,04,APPROVED,,2.0
";
    let strict = budget_csv::import_with(&t.db, csv.as_bytes(), Options { strict: true }).await;
    let errors = match strict {
        Err(ImportError::Invalid { errors, .. }) => errors,
        other => panic!("strict import accepted: {other:?}"),
    };
    let got: Vec<(u64, usize, &str)> = errors
        .iter()
        .map(|e| (e.line, e.column, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![(3, 4, "administrator"), (3, 5, "program"), (4, 1, "year")]
    );
    assert_eq!(
        count(&t.db, "budget_lines").await,
        0,
        "strict: nothing written"
    );

    let lenient = budget_csv::import_with(&t.db, csv.as_bytes(), Options::default())
        .await
        .expect("warnings do not refuse");
    assert_eq!(lenient.report.rows, 3);
    assert_eq!(lenient.warnings, errors);
    assert_eq!(count(&t.db, "budget_lines").await, 3);
}

#[tokio::test]
async fn the_import_commands_print_counts_and_refuse_in_the_chosen_language() {
    const BIN: &str = env!("CARGO_BIN_EXE_audit-hub");
    let t = TestDb::new().await;
    let kato_csv = Path::new(FORMATS).join("kato.csv");
    let cli = |args: Vec<String>| {
        let url = t.url.clone();
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
    let path = kato_csv.display().to_string();
    let (code, stdout, _) = cli(vec![
        "import".into(),
        "kato".into(),
        path.clone(),
        "--dry-run".into(),
    ])
    .await;
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("dry run, nothing written: inserted 20, updated 0, unchanged 0, retired 0"),
        "{stdout}"
    );
    assert_eq!(count(&t.db, "territories").await, 0);

    let (code, stdout, _) = cli(vec![
        "--lang".into(),
        "ru".into(),
        "import".into(),
        "kato".into(),
        path.clone(),
    ])
    .await;
    assert_eq!(code, Some(0));
    assert!(stdout.contains("импортировано: добавлено 20"), "{stdout}");
    assert_eq!(count(&t.db, "territories").await, 20);

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "te,name_kaz,name_rus\n35000000,А,Б\n").expect("write");
    let (code, _, stderr) = cli(vec![
        "--lang".into(),
        "kk".into(),
        "import".into(),
        "kato".into(),
        bad.display().to_string(),
    ])
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("2-жол, 1-баған (te)"), "{stderr}");
    assert!(stderr.contains("ештеңе импортталмады"), "{stderr}");
}

/// `budgetSummary` by territory as `server`'s caller sees it: territory → amount, or the first
/// error's code.
async fn territories_seen(server: &common::TestServer) -> Result<BTreeMap<String, String>, String> {
    let v = server
        .gql(
            "{ budgetSummary(groupBy: [TERRITORY]) { key { territory } amount } }",
            serde_json::json!({}),
        )
        .await;
    if let Some(e) = v["errors"].get(0) {
        return Err(e["extensions"]["code"].as_str().unwrap_or("?").to_owned());
    }
    Ok(v["data"]["budgetSummary"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|g| {
            (
                g["key"]["territory"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                g["amount"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

#[tokio::test]
async fn a_body_moved_or_rekinded_by_the_register_is_re_resolved_on_the_running_server() {
    let t = with_sample_tree().await;
    organizations::import(&t.db, &sample("organizations.csv"), &run(false))
        .await
        .expect("register");
    audit_hub::import::budget_csv::import(&t.db, BUDGETS.as_bytes())
        .await
        .expect("budgets");
    let head = audit_hub::store::users::by_iin(&t.db, "850101400100")
        .await
        .expect("read")
        .expect("head");
    common::grant_both_systems(&t.db, head.id).await;
    let s = common::TestServer::start(&t.db)
        .await
        .with_user("850101400100");
    assert_eq!(
        territories_seen(&s)
            .await
            .map(|m| m.into_keys().collect::<Vec<_>>()),
        Ok(vec!["353200000".to_owned(), "353222000".to_owned()])
    );

    let base =
        std::fs::read_to_string(Path::new(FORMATS).join("organizations.csv")).expect("sample");
    let maslikhat = "Bukhar-Zhyrau District Maslikhat,353200000,DISTRICT";
    assert!(base.contains(maslikhat));
    // The body now sits in the Abai district: the same token reads that district at once.
    let moved = base.replace(
        maslikhat,
        "Bukhar-Zhyrau District Maslikhat,353600000,DISTRICT",
    );
    organizations::import(&t.db, &text("moved.csv", &moved), &run(false))
        .await
        .expect("moved");
    assert_eq!(
        territories_seen(&s).await,
        Ok(BTreeMap::from([(
            "353600000".to_owned(),
            "900.0".to_owned()
        )]))
    );

    // Registered as a local executive body, it reads no budgets at all.
    let rekinded = moved.replace(
        "050240100031,MASLIKHAT",
        "050240100031,LOCAL_EXECUTIVE_BODY",
    );
    organizations::import(&t.db, &text("rekinded.csv", &rekinded), &run(false))
        .await
        .expect("rekinded");
    assert_eq!(territories_seen(&s).await, Err("FORBIDDEN".to_owned()));
}

#[tokio::test]
async fn bodies_take_ids_in_file_order_and_a_parent_listed_later_is_linked() {
    let t = with_sample_tree().await;
    let file = "\
bin,kind,name_kk,name_ru,kato,budget_level,administrator,parent_bin
050240100061,POLICE_INTERNAL_AUDIT,Ішкі аудит,Внутренний аудит,350000000,REGIONAL,252,050240100051
050240100051,POLICE_DEPARTMENT,Полиция департаменті,Департамент полиции,350000000,REGIONAL,252,
050240100011,MASLIKHAT,Мәслихат,Маслихат,350000000,REGIONAL,,
";
    let done = organizations::import(&t.db, &text("order.csv", file), &run(false))
        .await
        .expect("import");
    assert_eq!(done.changes, changes(3, 0, 0, 0));
    #[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
    struct Linked {
        bin: String,
        parent_bin: Option<String>,
    }
    let q = Query::select()
        .column(("o", "bin"))
        .expr_as(Expr::col(("p", "bin")), sea_query::Alias::new("parent_bin"))
        .from_as("organizations", "o")
        .join_as(
            sea_query::JoinType::LeftJoin,
            "organizations",
            "p",
            Expr::col(("p", "id")).equals(("o", "parent_id")),
        )
        .order_by(("o", "id"), sea_query::Order::Asc)
        .to_owned();
    let rows = t.db.all::<Linked>(&q).await.expect("rows");
    let got: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.bin.as_str(), r.parent_bin.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("050240100061", Some("050240100051")),
            ("050240100051", None),
            ("050240100011", None),
        ]
    );
    // The identity sequence moved past the explicit ids: a body registered later gets the next.
    let more = "bin,kind,name_kk,name_ru,kato,budget_level\n050240100021,REVISION_COMMISSION,Комиссия,Комиссия,350000000,REGIONAL\n";
    organizations::import(&t.db, &text("more.csv", more), &run(false))
        .await
        .expect("more");
    assert_eq!(count(&t.db, "organizations").await, 4);
}
