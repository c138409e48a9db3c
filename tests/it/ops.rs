//! Operations endpoints: `/readyz` is false while the database is unreachable and true again
//! once it is back; `/healthz` (the process lives) stays true throughout.

use crate::common;

use audit_hub::store::{Backend, ConnectOptions, Db, maintenance};
use common::{TestDb, TestServer};
use serde_json::Value;

async fn readiness(s: &TestServer) -> (u16, Value) {
    s.get_json("/readyz").await
}

/// Makes the database unreachable for the server (`false`) or reachable again (`true`).
/// PostgreSQL: the database refuses connections and the server's are cut. SQLite, embedded in
/// the process, cannot lose its connection; its schema ledger disappearing is what it can lose.
async fn reachable(t: &TestDb, yes: bool) {
    match t.db.backend() {
        Backend::Postgres => {
            let (server, name) = t.url.rsplit_once('/').expect("database name");
            let admin = Db::connect(&ConnectOptions {
                url: format!("{server}/postgres"),
                max_connections: 1,
                statement_timeout: None,
            })
            .await
            .expect("admin");
            maintenance(
                &admin,
                &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {yes}"),
            )
            .await
            .expect("allow connections");
            if !yes {
                maintenance(
                    &admin,
                    &format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                    ),
                )
                .await
                .expect("cut connections");
            }
            admin.close().await;
        }
        Backend::Sqlite => {
            let sql = if yes {
                "ALTER TABLE _sqlx_migrations_away RENAME TO _sqlx_migrations"
            } else {
                "ALTER TABLE _sqlx_migrations RENAME TO _sqlx_migrations_away"
            };
            maintenance(&t.db, sql).await.expect("rename");
        }
    }
}

#[tokio::test]
async fn readyz_follows_the_database() {
    let t = TestDb::new().await;
    let s = TestServer::start(&t.db).await;
    let (status, body) = readiness(&s).await;
    assert_eq!(
        (status, &body["ready"]),
        (200, &Value::Bool(true)),
        "{body}"
    );

    reachable(&t, false).await;
    // A connection cut mid-flight may fail one probe in a way that still looks alive; the state
    // the probe must reach is "not ready" while the database stays away.
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(readiness(&s).await);
    }
    let (status, body) = seen.last().cloned().expect("probes");
    assert_eq!(status, 503, "{seen:?}");
    assert_eq!(body["database"], "unreachable");
    let health = s.get("/healthz").send().await.expect("healthz");
    assert_eq!(health.status(), 200, "the process itself is alive");

    reachable(&t, true).await;
    // Once back, the server is ready again within the breaker's window: for half a second after
    // the last failed attempt to reach the database, attempts fail at once (store/breaker.rs),
    // so the first probe may still come inside it. Probed every 100 ms for up to 3 s.
    let mut last = (0, Value::Null);
    for _ in 0..30 {
        last = readiness(&s).await;
        if last.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, body) = last;
    assert_eq!(
        (status, &body["ready"]),
        (200, &Value::Bool(true)),
        "{body}"
    );
}
