//! Shared test harness: a fresh database per test on the backend chosen by
//! `AUDIT_HUB_TEST_DATABASE` (`sqlite`, the default, or a PostgreSQL server URL such as
//! `postgres://postgres@127.0.0.1:5432`), and the real HTTP server on an ephemeral port.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::Arc;

use audit_hub::app::{Application, Config, Database};
use audit_hub::authz::policy::Policy;
use audit_hub::authz::token::TokenKeys;
use audit_hub::clock::Clock;
use audit_hub::store::bulk::insert_rows;
use audit_hub::store::schema::{AccessGrants, TrainingRecords};
use audit_hub::store::{Backend, ConnectOptions, Db};
use sea_query::{Expr, ExprTrait, Order, Query};

pub mod browser;
pub mod budget_file;
pub mod cluster;
pub mod imports;
pub mod openssl;
pub mod process;
pub mod template;
pub mod workflow;
use serde_json::{Value, json};

/// `config` with the rate limit off: for tests that send thousands of requests as one caller.
pub fn without_rate_limit(config: Config) -> Config {
    config.with_limits(audit_hub::config::ServerLimits {
        rate_per_second: 0,
        ..Default::default()
    })
}

/// Today in the hub's calendar (Asia/Almaty), which is a day ahead of UTC's from 19:00 UTC:
/// every date a test sends as "today" must be this one, or the test fails in those hours.
pub fn today() -> chrono::NaiveDate {
    audit_hub::authz::principal::local_day(chrono::Utc::now())
}

/// The signing key of test servers.
pub const TEST_KEY: &[u8] = b"test-signing-key-0123456789abcdef";

/// The whole budget system from both systems: what the tests read through to compare a body's
/// answer with (a request never gets it; the server's operator tooling has its own).
pub fn national_scope() -> audit_hub::authz::Scope {
    audit_hub::authz::Scope::new(
        vec![audit_hub::authz::Reach::All],
        audit_hub::domain::budget::InformationSystem::ALL
            .iter()
            .copied(),
        None,
    )
    .expect("a national scope")
}

pub fn keys() -> TokenKeys {
    TokenKeys::new(TEST_KEY).expect("test key")
}

/// A token for `iin`, valid for an hour, as a digital-signature login issues it (test set-up:
/// the sign-in itself is tested in `tests/cert_login.rs`).
pub fn token(iin: &str) -> String {
    keys()
        .issue(
            iin,
            audit_hub::authz::token::Method::Eds,
            std::time::Duration::from_secs(3600),
            chrono::Utc::now(),
        )
        .expect("token")
        .token
}

#[derive(sqlx::FromRow)]
pub struct UserPick {
    pub id: i64,
    pub iin: String,
}

/// The head (or, with `head = false`, a non-head employee) of the first organization of `kind`
/// whose KATO starts with `kato_prefix`.
pub async fn user_of(db: &Db, kind: &str, kato_prefix: &str, head: bool) -> UserPick {
    let q = Query::select()
        .columns([("u", "id"), ("u", "iin")])
        .from_as("users", "u")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("u", "organization_id")),
        )
        .and_where(Expr::col(("organizations", "kind")).eq(kind))
        .and_where(Expr::col(("organizations", "kato")).like(format!("{kato_prefix}%")))
        .and_where(Expr::col(("organizations", "audit_excluded")).eq(false))
        .and_where(Expr::col(("u", "is_head")).eq(head))
        .order_by(("u", "id"), Order::Asc)
        .limit(1)
        .to_owned();
    db.optional::<UserPick>(&q)
        .await
        .expect("select user")
        .unwrap_or_else(|| panic!("no {kind} user in {kato_prefix}"))
}

/// The BIN of a user's organization.
pub async fn bin_of(db: &Db, user_id: i64) -> String {
    #[derive(sqlx::FromRow)]
    struct Bin {
        bin: String,
    }
    let q = Query::select()
        .column(("organizations", "bin"))
        .from("organizations")
        .inner_join(
            "users",
            Expr::col(("users", "organization_id")).equals(("organizations", "id")),
        )
        .and_where(Expr::col(("users", "id")).eq(user_id))
        .to_owned();
    db.optional::<Bin>(&q)
        .await
        .expect("bin")
        .expect("user's organization")
        .bin
}

/// Gives a user a current grant to both systems and a training record (test set-up).
pub async fn grant_both_systems(db: &Db, user_id: i64) {
    grant_both_systems_with(db, user_id, true).await;
}

/// Gives a user a current grant to both systems that still awaits training (test set-up).
pub async fn grant_both_systems_untrained(db: &Db, user_id: i64) {
    grant_both_systems_with(db, user_id, false).await;
}

/// Replaces a user's grants with a current, trained grant to the named systems only (test
/// set-up).
pub async fn grant_systems(db: &Db, user_id: i64, systems: &[&str]) {
    let q = Query::update()
        .table("access_grants")
        .value("status", "REVOKED")
        .and_where(Expr::col("user_id").eq(user_id))
        .to_owned();
    db.execute(&q).await.expect("revoke grants");
    grant_with(db, user_id, systems, true).await;
}

async fn grant_both_systems_with(db: &Db, user_id: i64, trained: bool) {
    grant_with(
        db,
        user_id,
        &["ANALYTICS_CENTER", "STATE_PLANNING"],
        trained,
    )
    .await;
}

async fn grant_with(db: &Db, user_id: i64, systems: &[&str], trained: bool) {
    let today = today();
    let from = today - chrono::Days::new(10);
    let until = today + chrono::Days::new(300);
    let now = chrono::Utc::now();
    let mut tx = db.begin().await.expect("begin");
    let grants = systems
        .iter()
        .map(|s| {
            vec![
                user_id.into(),
                (*s).into(),
                from.into(),
                until.into(),
                "ACTIVE".into(),
                now.into(),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        AccessGrants::Table,
        &[
            AccessGrants::UserId,
            AccessGrants::System,
            AccessGrants::ValidFrom,
            AccessGrants::ValidUntil,
            AccessGrants::Status,
            AccessGrants::GrantedAt,
        ],
        grants,
    )
    .await
    .expect("grants");
    if !trained {
        tx.commit().await.expect("commit");
        return;
    }
    insert_rows(
        &mut tx,
        TrainingRecords::Table,
        &[
            TrainingRecords::UserId,
            TrainingRecords::CompletedOn,
            TrainingRecords::Language,
            TrainingRecords::RecordedAt,
            TrainingRecords::ReportDue,
        ],
        vec![vec![
            user_id.into(),
            from.into(),
            "KK".into(),
            now.into(),
            now.into(),
        ]],
    )
    .await
    .expect("training");
    tx.commit().await.expect("commit");
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// Prints a measurement and keeps it in `target/tmp/fault-report.txt`, which CI prints after
/// the suite (a passing test's own output is not shown): what the fault and replica tests
/// measured reaches the CI log.
pub fn report(line: String) {
    use std::io::Write;
    eprintln!("{line}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-report.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "[{}] {line}", backend_name());
    }
}

/// The backend under test, as named in test output.
pub fn backend_name() -> &'static str {
    match std::env::var("AUDIT_HUB_TEST_DATABASE") {
        Ok(v) if v.starts_with("postgres") => "postgres",
        _ => "sqlite",
    }
}

impl TestDb {
    /// A fresh, migrated, empty database.
    pub async fn new() -> TestDb {
        let t = TestDb::unmigrated().await;
        t.db.migrate().await.expect("migrate");
        t
    }

    /// A fresh database without any schema (for tests of the migrations themselves).
    pub async fn unmigrated() -> TestDb {
        let target =
            std::env::var("AUDIT_HUB_TEST_DATABASE").unwrap_or_else(|_| "sqlite".to_owned());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let (url, dir, pg) = if target.starts_with("postgres") {
            let server = target.trim_end_matches('/').to_owned();
            let name = format!("ah_test_{}_{}_{}", std::process::id(), n, rand_suffix());
            let admin = Db::connect(&ConnectOptions {
                url: format!("{server}/postgres"),
                max_connections: 1,
                statement_timeout: None,
            })
            .await
            .expect("connect to PostgreSQL admin database");
            admin_exec(&admin, &format!("CREATE DATABASE {name}")).await;
            admin.close().await;
            (format!("{server}/{name}"), None, Some((server, name)))
        } else {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, Some(dir), None)
        };
        let db = Db::connect(&ConnectOptions {
            url: url.clone(),
            max_connections: 8,
            statement_timeout: None,
        })
        .await
        .expect("connect");
        eprintln!("backend: {}", db.backend().name());
        TestDb {
            db,
            url,
            _dir: dir,
            pg,
        }
    }

    /// A fresh database with reference data (a clone of the process's seeded template).
    pub async fn with_reference() -> TestDb {
        TestDb::seeded(None).await
    }

    /// A fresh database with reference and demo data at `scale` (a clone of the process's
    /// seeded template).
    pub async fn with_demo(scale: usize) -> TestDb {
        TestDb::seeded(Some(scale)).await
    }

    async fn seeded(scale: Option<usize>) -> TestDb {
        // `AUDIT_HUB_TEST_TEMPLATES=0` seeds every database from scratch (to measure the gain).
        if std::env::var("AUDIT_HUB_TEST_TEMPLATES").as_deref() == Ok("0") {
            let t = TestDb::new().await;
            audit_hub::seed::run(&t.db, scale, false)
                .await
                .expect("seed");
            return t;
        }
        let target =
            std::env::var("AUDIT_HUB_TEST_DATABASE").unwrap_or_else(|_| "sqlite".to_owned());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("ah_test_{}_{}_{}", std::process::id(), n, rand_suffix());
        let (url, dir, pg) = template::clone_of(&target, scale, &name).await;
        let db = Db::connect(&ConnectOptions {
            url: url.clone(),
            max_connections: 8,
            statement_timeout: None,
        })
        .await
        .expect("connect");
        TestDb {
            db,
            url,
            _dir: dir,
            pg,
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

async fn admin_exec(db: &Db, sql: &str) {
    audit_hub::store::maintenance(db, sql).await.expect(sql);
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg.take() {
            // Drop runs outside async context: use a private runtime on a helper thread. The test's
            // own pool is not closed here (its connections live on the test's runtime, which is
            // blocked on this join); `WITH (FORCE)` ends them.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(admin) = Db::connect(&ConnectOptions {
                        url: format!("{server}/postgres"),
                        max_connections: 1,
                        statement_timeout: None,
                    })
                    .await
                    {
                        let _ = audit_hub::store::maintenance(
                            &admin,
                            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        )
                        .await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The real server on an ephemeral port, with the shipped policy.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: Clock,
    /// Bearer token sent with every request, if any.
    pub token: Option<String>,
    /// The server's state (its caches and limits).
    pub state: audit_hub::http::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    /// A server; requests go anonymous until [`TestServer::with_user`].
    pub async fn start(db: &Db) -> TestServer {
        TestServer::start_with(db, |s| s).await
    }

    /// A server built as `serve` builds one ([`Application::build`]), from the configuration
    /// `configure` adjusts (limits, trust anchors, ...), over the test's database.
    pub async fn start_with(db: &Db, configure: impl FnOnce(Config) -> Config) -> TestServer {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let clock = Clock::default();
        let policy = Arc::new(Policy::load(None).await.expect("policy"));
        let config = configure(Config::new(
            Database::Open(db.clone()),
            policy,
            keys(),
            clock.clone(),
        ));
        let app = Application::build(config).await.expect("application");
        let base = format!("http://{}", app.addr());
        let state = app.state().clone();
        tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = rx.await;
                })
                .await;
        });
        TestServer {
            base,
            client: reqwest::Client::new(),
            db: db.clone(),
            clock,
            token: None,
            state,
            stop: Some(tx),
        }
    }

    /// A server whose requests come from a Parliament head with grants to both systems: a
    /// caller who reads everything.
    pub async fn start_national(db: &Db) -> TestServer {
        TestServer::start_national_with(db, |c| c).await
    }

    /// [`TestServer::start_national`] without the response cache: every request reads the
    /// database (for tests that count what a query costs).
    #[allow(dead_code)]
    pub async fn start_national_uncached(db: &Db) -> TestServer {
        TestServer::start_national_with(db, |c| Config {
            response_cache_bytes: 0,
            ..c
        })
        .await
    }

    async fn start_national_with(db: &Db, configure: impl FnOnce(Config) -> Config) -> TestServer {
        let user = user_of(db, "PARLIAMENT", "", true).await;
        let q = Query::select()
            .expr(sea_query::Func::count(Expr::col("id")))
            .from("access_grants")
            .and_where(Expr::col("user_id").eq(user.id))
            .to_owned();
        if db.scalar_i64(&q).await.expect("count grants") == 0 {
            grant_both_systems(db, user.id).await;
        }
        TestServer::start_with(db, configure)
            .await
            .with_user(&user.iin)
    }

    /// Sends requests with this token (or none).
    #[allow(dead_code)]
    pub fn with_token(mut self, token: Option<String>) -> TestServer {
        self.token = token;
        self
    }

    /// The `/metrics` exposition text, as a scraper reads it (no token).
    #[allow(dead_code)]
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// Sends requests as the user with `iin`.
    pub fn with_user(mut self, iin: &str) -> TestServer {
        self.token = Some(token(iin));
        self
    }

    /// The same server, requests sent as `iin` (the original keeps the server running).
    pub fn clone_as(&self, iin: &str) -> TestServer {
        TestServer {
            base: self.base.clone(),
            client: self.client.clone(),
            db: self.db.clone(),
            clock: self.clock.clone(),
            token: Some(token(iin)),
            state: self.state.clone(),
            stop: None,
        }
    }

    /// A GET with the server's token.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let req = self.client.get(self.url(path));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// GETs `path` with the server's token; its status and JSON body.
    #[allow(dead_code)]
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }

    /// POSTs a query with the server's token; returns the raw HTTP response.
    pub async fn post_query(&self, query: &str) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// POSTs a GraphQL operation; returns the whole JSON response.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_lang(query, variables, None).await
    }

    /// POSTs a GraphQL operation with an `Accept-Language`.
    pub async fn gql_lang(&self, query: &str, variables: Value, lang: Option<&str>) -> Value {
        self.post_body_lang(json!({ "query": query, "variables": variables }), lang)
            .await
    }

    /// POSTs a whole GraphQL request body with the server's token, in `lang`; the JSON answer.
    pub async fn post_body_lang(&self, body: Value, lang: Option<&str>) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&body);
        if let Some(l) = lang {
            req = req.header("Accept-Language", l);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        resp.json().await.expect("json body")
    }

    /// POSTs an operation and returns `data`, failing on errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let v = self.gql(query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// `v` without its `requestId` fields: every response has its own, the rest of two refusals
/// must be identical.
#[allow(dead_code)]
pub fn without_request_id(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.remove("requestId");
                o.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}
