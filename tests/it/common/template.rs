//! Seeded databases made once per test process and cloned for each test: seeding the demo data
//! takes seconds, cloning it a fraction of that. PostgreSQL clones with `CREATE DATABASE …
//! TEMPLATE`, SQLite by copying the checkpointed file. Templates are named after the process
//! that made them; a process removes those of processes that have ended (the last run's are
//! removed by the next run, and by `.ci/run`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use audit_hub::store::{ConnectOptions, Db, maintenance};

/// Where a template lives.
enum Source {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

type Cell = Arc<tokio::sync::OnceCell<Source>>;

static TEMPLATES: LazyLock<Mutex<HashMap<Option<usize>, Cell>>> = LazyLock::new(Default::default);

/// `CREATE DATABASE … TEMPLATE` refuses while another clone reads the same template.
static CLONING: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(Default::default);

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("templates")
}

async fn admin(server: &str) -> Db {
    Db::connect(&ConnectOptions {
        url: format!("{server}/postgres"),
        max_connections: 1,
        statement_timeout: None,
    })
    .await
    .expect("connect to PostgreSQL admin database")
}

#[derive(sqlx::FromRow)]
struct Name {
    datname: String,
}

/// Removes templates of processes that have ended.
async fn remove_stale(server: Option<&str>) {
    if let Ok(entries) = std::fs::read_dir(folder()) {
        for e in entries.flatten() {
            let pid = e.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|p| !alive(p)) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    if let Some(server) = server {
        let admin = admin(server).await;
        let q = sea_query::Query::select()
            .column("datname")
            .from("pg_database")
            .and_where(sea_query::ExprTrait::like(
                sea_query::Expr::col("datname"),
                "ah_tpl_%",
            ))
            .to_owned();
        for n in admin.all::<Name>(&q).await.unwrap_or_default() {
            let pid = n
                .datname
                .split('_')
                .nth(2)
                .and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|p| !alive(p)) {
                let _ = maintenance(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", n.datname),
                )
                .await;
            }
        }
        admin.close().await;
    }
}

/// Seeds reference data and, with `scale`, demo data into `db`.
async fn seed(db: &Db, scale: Option<usize>) {
    db.migrate().await.expect("migrate");
    audit_hub::seed::run(db, scale, false).await.expect("seed");
}

async fn make(target: &str, scale: Option<usize>) -> Source {
    let pid = std::process::id();
    let tag = scale.map_or("ref".to_owned(), |s| format!("demo{s}"));
    if target.starts_with("postgres") {
        let server = target.trim_end_matches('/').to_owned();
        remove_stale(Some(&server)).await;
        let name = format!("ah_tpl_{pid}_{tag}");
        let admin = admin(&server).await;
        maintenance(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await
        .expect("drop an old template");
        maintenance(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .expect("create template");
        admin.close().await;
        let db = Db::connect(&ConnectOptions {
            url: format!("{server}/{name}"),
            max_connections: 4,
            statement_timeout: None,
        })
        .await
        .expect("connect to the template");
        seed(&db, scale).await;
        db.close().await;
        Source::Postgres { server, name }
    } else {
        remove_stale(None).await;
        let dir = folder().join(pid.to_string());
        std::fs::create_dir_all(&dir).expect("template folder");
        let file = dir.join(format!("{tag}.db"));
        let db = Db::connect(&ConnectOptions {
            url: format!("sqlite://{}", file.display()),
            max_connections: 4,
            statement_timeout: None,
        })
        .await
        .expect("create the template");
        seed(&db, scale).await;
        // Everything into the main file, so one copy is the whole database.
        maintenance(&db, "PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
        db.close().await;
        Source::Sqlite(file)
    }
}

/// A fresh database cloned from the seeded template for `scale` (`None`: reference data only),
/// made on first use; the URL, and what [`super::TestDb`] keeps to remove it.
pub async fn clone_of(
    target: &str,
    scale: Option<usize>,
    name: &str,
) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let cell = TEMPLATES
        .lock()
        .expect("templates")
        .entry(scale)
        .or_default()
        .clone();
    let source = cell.get_or_init(|| make(target, scale)).await;
    match source {
        Source::Postgres {
            server,
            name: template,
        } => {
            let _one_at_a_time = CLONING.lock().await;
            let admin = admin(server).await;
            maintenance(
                &admin,
                &format!("CREATE DATABASE {name} TEMPLATE {template}"),
            )
            .await
            .expect("clone the template");
            admin.close().await;
            (
                format!("{server}/{name}"),
                None,
                Some((server.clone(), name.to_owned())),
            )
        }
        Source::Sqlite(file) => {
            let dir = tempfile::tempdir().expect("tempdir");
            let copy = dir.path().join("test.db");
            std::fs::copy(file, &copy).expect("copy the template");
            (format!("sqlite://{}", copy.display()), Some(dir), None)
        }
    }
}
