//! Faults survived with nothing lost: the database going away under load (a private PostgreSQL
//! cluster stopped and started), a killed import, a killed server, and a full disk under SQLite.
//! Each prints what it measured.

use crate::common;

use std::time::{Duration, Instant};

use audit_hub::config::ServerLimits;
use audit_hub::store::{ConnectOptions, Db, maintenance};
use common::TestServer;
use common::cluster::Cluster;
use common::report;
use serde_json::json;

/// Whether fault tests must run here (CI), rather than skip where the machine cannot host them.
fn required() -> bool {
    std::env::var("AUDIT_HUB_FAULT_TESTS").as_deref() == Ok("required")
}

/// One request of the load: when it started (since the load began), how long it took, its
/// status (0: no answer) and request id.
#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    took: Duration,
    status: u16,
    request_id: Option<String>,
}

const MIX: [&str; 3] = [
    "{ me { user { fullName } } }",
    "{ budgetSummary(groupBy: [LEVEL]) { amount } }",
    "{ budgetLines(first: 5) { nodes { id amount } } }",
];

/// 16 clients sending the mix to `s` from `start` until `until` has passed.
async fn load(s: &TestServer, start: Instant, until: Duration) -> Vec<Sample> {
    let clients = (0..16).map(|c| {
        let client = s.client.clone();
        let url = s.url("/graphql");
        let token = s.token.clone().unwrap_or_default();
        async move {
            let mut out = Vec::new();
            let mut i = c;
            while start.elapsed() < until {
                let at = start.elapsed();
                let sent = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .timeout(Duration::from_secs(20))
                    .json(&json!({ "query": MIX[i % MIX.len()] }))
                    .send()
                    .await;
                let (status, request_id) = match resp {
                    Ok(r) => (
                        r.status().as_u16(),
                        r.headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    ),
                    Err(_) => (0, None),
                };
                out.push(Sample {
                    at,
                    took: sent.elapsed(),
                    status,
                    request_id,
                });
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            out
        }
    });
    futures::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// How many of `ids` have an audit event.
async fn recorded(db: &Db, ids: &[String]) -> usize {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let q = sea_query::Query::select()
            .expr(sea_query::Func::count(sea_query::Expr::col("seq")))
            .from("audit_events")
            .and_where(sea_query::ExprTrait::is_in(
                sea_query::Expr::col("request_id"),
                chunk.iter().map(String::as_str),
            ))
            .to_owned();
        n += usize::try_from(db.scalar_i64(&q).await.expect("count")).unwrap_or(0);
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_fails_fast_and_recovers_with_nothing_lost() {
    if common::backend_name() != "postgres" {
        eprintln!(
            "outage test: runs in the PostgreSQL pass (SQLite is embedded: no server to stop)"
        );
        return;
    }
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(why) => {
            assert!(
                !required(),
                "a private PostgreSQL cluster is required here: {why}"
            );
            eprintln!("outage test SKIPPED: {why}");
            return;
        }
    };
    let admin = Db::connect(&ConnectOptions {
        url: cluster.url("postgres"),
        max_connections: 1,
        statement_timeout: None,
    })
    .await
    .expect("admin");
    maintenance(&admin, "CREATE DATABASE hub")
        .await
        .expect("create");
    admin.close().await;
    let statement_timeout = Duration::from_secs(2);
    let db = Db::connect(&ConnectOptions {
        url: cluster.url("hub"),
        max_connections: 8,
        statement_timeout: Some(statement_timeout),
    })
    .await
    .expect("connect");
    db.migrate().await.expect("migrate");
    audit_hub::seed::run(&db, None, false)
        .await
        .expect("reference");
    let national = TestServer::start_national(&db).await;
    let s = TestServer::start_with(&db, |st| {
        st.with_limits(ServerLimits {
            rate_per_second: 0,
            request_timeout: Duration::from_secs(5),
            ..Default::default()
        })
    })
    .await
    .with_token(national.token.clone());
    drop(national);

    let start = Instant::now();
    let (down_at, up_at) = (Duration::from_secs(4), Duration::from_secs(14));
    let outage = async {
        tokio::time::sleep(down_at).await;
        cluster.stop();
        tokio::time::sleep(up_at - down_at).await;
        cluster.resume();
        start.elapsed()
    };
    let (samples, resumed) = tokio::join!(load(&s, start, Duration::from_secs(26)), outage);

    // During the outage: answered, fast, with 503 UNAVAILABLE.
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|x| x.at > down_at + Duration::from_millis(300) && x.at + x.took < up_at)
        .collect();
    assert!(!during.is_empty(), "requests were sent during the outage");
    let slowest = during.iter().map(|x| x.took).max().unwrap_or_default();
    assert!(
        during.iter().all(|x| x.status == 503),
        "outage answers: {:?}",
        during
            .iter()
            .map(|x| x.status)
            .collect::<std::collections::BTreeSet<_>>()
    );
    assert!(
        slowest <= statement_timeout + Duration::from_millis(1500),
        "failed fast: the slowest took {slowest:?}"
    );
    // Back within 5 s of the database, and no failure after that.
    let first_ok = samples
        .iter()
        .filter(|x| x.at >= up_at && x.status == 200)
        .map(|x| x.at + x.took)
        .min()
        .expect("served again");
    let recovery = first_ok.saturating_sub(resumed);
    assert!(
        recovery <= Duration::from_secs(5),
        "back {recovery:?} after the database"
    );
    let settled = resumed + Duration::from_secs(5);
    let late_failures: Vec<&Sample> = samples
        .iter()
        .filter(|x| x.at >= settled && x.status != 200)
        .collect();
    assert!(
        late_failures.is_empty(),
        "after recovery: {late_failures:?}"
    );
    assert!(
        samples.iter().all(|x| x.status != 0 && x.status != 500),
        "every request answered, none INTERNAL"
    );
    // Every request answered 200 has its event; the trail verifies.
    let ok: Vec<String> = samples
        .iter()
        .filter(|x| x.status == 200)
        .filter_map(|x| x.request_id.clone())
        .collect();
    assert_eq!(
        recorded(&db, &ok).await,
        ok.len(),
        "every 200 has its audit event"
    );
    let verified = audit_hub::audit::verify(&db, 0).await.expect("verify");
    assert!(verified.is_ok(), "the trail verifies: {verified:?}");
    report(format!(
        "outage: {} requests, {} during the outage (all 503, slowest {slowest:?}); database back at {resumed:?}, hub serving {recovery:?} later; {} answered 200, all recorded",
        samples.len(),
        during.len(),
        ok.len()
    ));
}

#[derive(sqlx::FromRow, Debug, PartialEq, Eq)]
struct Budget {
    lines: i64,
    amounts: i64,
    total: i64,
}

/// What the budget tables hold: lines, amount rows, and the sum of the amounts.
async fn budget(db: &Db) -> Budget {
    let q = sea_query::Query::select()
        .expr_as(
            sea_query::Expr::cust("(SELECT COUNT(*) FROM budget_lines)"),
            "lines",
        )
        .expr_as(
            sea_query::Expr::cust("(SELECT COUNT(*) FROM budget_amounts)"),
            "amounts",
        )
        .expr_as(
            sea_query::Expr::cust(
                "(SELECT CAST(COALESCE(SUM(amount_tenths), 0) AS BIGINT) FROM budget_amounts)",
            ),
            "total",
        )
        .to_owned();
    db.optional(&q).await.expect("budget").expect("a row")
}

/// `kill -9` of an import half-way: the database holds exactly what it held before, and the
/// next import of the same file succeeds.
#[tokio::test]
async fn a_killed_import_leaves_the_previous_data_and_the_next_one_succeeds() {
    let t = common::TestDb::with_reference().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let regions = common::budget_file::regions(&t.db).await.expect("regions");
    let small = dir.path().join("small.csv");
    std::fs::write(&small, common::budget_file::national_csv(140, &regions)).expect("small file");
    let big = dir.path().join("big.csv");
    std::fs::write(&big, common::budget_file::national_csv(140_000, &regions)).expect("big file");
    let import = |file: &std::path::Path| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(["import", "budget"])
            .arg(file)
            .env("DATABASE_URL", &t.url)
            .env("AUDIT_HUB_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn import")
    };
    let status = import(&small).wait().await.expect("small import");
    assert!(status.success(), "the earlier import");
    let before = budget(&t.db).await;
    assert_eq!(before.lines, 10, "{before:?}");

    let mut child = import(&big);
    let started = Instant::now();
    // Past reading and checking the file, into the writing (a full import takes several times
    // as long on this machine).
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let killed_after = started.elapsed();
    assert!(
        child.try_wait().expect("poll").is_none(),
        "the import was still running when killed"
    );
    child.start_kill().expect("kill -9");
    let killed = child.wait().await.expect("wait");
    assert!(!killed.success(), "killed");
    assert_eq!(budget(&t.db).await, before, "exactly the previous data");

    let status = import(&big).wait().await.expect("the next import");
    assert!(status.success(), "the next import succeeds");
    let after = budget(&t.db).await;
    // The big file holds the small one's lines too (updated), and 10 000 lines in all.
    assert_eq!(
        after.lines,
        (140_000 / common::budget_file::ROWS_PER_LINE) as i64,
        "{after:?}"
    );
    report(format!(
        "killed import: killed {:?} after it started, data unchanged ({} lines); the next import left {} lines",
        killed_after, before.lines, after.lines
    ));
}

/// `kill -9` of `serve` under load: after a restart the trail verifies, and every response the
/// clients received as 200 has its event (an answer leaves only once its event is durable).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_answered_event() {
    let t = common::TestDb::with_reference().await;
    let national = TestServer::start_national(&t.db).await;
    let token = national.token.clone();
    drop(national);
    let server = common::process::Process::start_with(&t.url, &["--rate-limit", "0"]).await;
    let mut child = server.child;
    let base = server.base;
    let client = reqwest::Client::new();
    let start = Instant::now();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        child.start_kill().expect("kill -9");
        let _ = child.wait().await;
        start.elapsed()
    };
    let clients = (0..16).map(|c| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let mut answered = Vec::new();
            let mut i = c;
            while start.elapsed() < Duration::from_secs(4) {
                let resp = client
                    .post(format!("{base}/graphql"))
                    .bearer_auth(token.clone().unwrap_or_default())
                    .timeout(Duration::from_secs(5))
                    .json(&json!({ "query": MIX[i % MIX.len()] }))
                    .send()
                    .await;
                if let Ok(r) = resp
                    && r.status() == 200
                    && let Some(id) = r
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                {
                    answered.push(id.to_owned());
                }
                i += 1;
            }
            answered
        }
    });
    let (answered, killed_at) = tokio::join!(futures::future::join_all(clients), killer);
    let answered: Vec<String> = answered.into_iter().flatten().collect();
    assert!(
        !answered.is_empty(),
        "requests were answered before the kill"
    );

    // Restarted on the same database, it serves again; the trail holds every answered request.
    let again = common::process::Process::start(&t.url).await;
    let r = client
        .get(format!("{}/readyz", again.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200, "serving after the restart");
    let verified = audit_hub::audit::verify(&t.db, 0).await.expect("verify");
    assert!(verified.is_ok(), "the trail verifies: {verified:?}");
    assert_eq!(
        recorded(&t.db, &answered).await,
        answered.len(),
        "every answered request has its event"
    );
    report(format!(
        "killed server: killed at {killed_at:?} under 16 clients; {} answers, all recorded; the trail verifies",
        answered.len()
    ));
}

/// A small file system of the test's own (tmpfs), unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Result<SmallDisk, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(SmallDisk { dir })
    }

    /// Fills what is left with one file; its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // Down to the last bytes.
        while f.write_all(&block[..512]).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// SQLite on a full disk: an import is refused with a clear error and writes nothing, reads
/// that need no write go on (the server's own requests are answered, or refused with 503 when
/// their audit event has no room: never answered unrecorded), and once space returns the file
/// is intact, the trail verifies and writing works again.
#[tokio::test]
async fn sqlite_on_a_full_disk_refuses_writes_clearly_and_loses_nothing() {
    if common::backend_name() != "sqlite" {
        eprintln!("full-disk test: runs in the SQLite pass");
        return;
    }
    let disk = match SmallDisk::mount(48 * 1024 * 1024) {
        Ok(d) => d,
        Err(why) => {
            assert!(!required(), "a small file system is required here: {why}");
            eprintln!("full-disk test SKIPPED: cannot mount a tmpfs: {why}");
            return;
        }
    };
    let url = format!("sqlite://{}", disk.dir.path().join("hub.db").display());
    let db = Db::connect(&ConnectOptions {
        url: url.clone(),
        max_connections: 4,
        statement_timeout: None,
    })
    .await
    .expect("connect");
    db.migrate().await.expect("migrate");
    audit_hub::seed::run(&db, None, false)
        .await
        .expect("reference");
    let national = TestServer::start_national(&db).await;
    let regions = common::budget_file::regions(&db).await.expect("regions");
    let before = budget(&db).await;
    let filler = disk.fill();
    let file = tempfile::NamedTempFile::new().expect("csv");
    std::fs::write(
        file.path(),
        common::budget_file::national_csv(28_000, &regions),
    )
    .expect("csv");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
        .args(["import", "budget"])
        .arg(file.path())
        .env("DATABASE_URL", &url)
        .env("AUDIT_HUB_LOG", "error")
        .output()
        .await
        .expect("import");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the import is refused");
    assert!(said.contains("disk is full"), "a clear error: {said}");
    assert_eq!(budget(&db).await, before, "nothing of it written");

    // Reads that need no write go on.
    let users = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
        .args(["users", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .expect("users list");
    assert!(
        users.status.success(),
        "{}",
        String::from_utf8_lossy(&users.stderr)
    );
    assert!(!users.stdout.is_empty());
    let mut statuses = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = national.post_query("{ me { user { fullName } } }").await;
        let status = r.status().as_u16();
        statuses.insert(status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "answered and recorded, or refused as unavailable: {statuses:?}"
    );

    // Space returns: intact, verified, writable.
    std::fs::remove_file(filler).expect("free space");
    #[derive(sqlx::FromRow)]
    struct Check {
        integrity_check: String,
    }
    let check: Vec<Check> = db
        .all(
            &sea_query::Query::select()
                .expr_as(sea_query::Expr::cust("integrity_check"), "integrity_check")
                .from(sea_query::Alias::new("pragma_integrity_check"))
                .to_owned(),
        )
        .await
        .expect("integrity check");
    assert_eq!(
        check.first().map(|c| c.integrity_check.as_str()),
        Some("ok")
    );
    let verified = audit_hub::audit::verify(&db, 0).await.expect("verify");
    assert!(verified.is_ok(), "the trail verifies: {verified:?}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"))
        .args(["import", "budget"])
        .arg(file.path())
        .env("DATABASE_URL", &url)
        .env("AUDIT_HUB_LOG", "error")
        .output()
        .await
        .expect("import again");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(budget(&db).await.lines, 2_000);
    let r = national.post_query("{ me { user { fullName } } }").await;
    assert_eq!(r.status(), 200);
    report(format!(
        "full disk: import refused ({}), server answers {statuses:?} while full; intact, verified and writable once space returned",
        said.lines()
            .find(|l| l.contains("no room left"))
            .unwrap_or_default()
    ));
    db.close().await;
}
