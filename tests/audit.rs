//! The audit trail: every workflow step is recorded in its own transaction, and any edit,
//! deletion, insertion or reordering of events is caught by `audit verify`, naming the event.

mod common;

use audit_hub::audit::{self, ChainError};
use audit_hub::store::{Db, maintenance};
use common::{TestDb, TestServer, user_of};
use serde_json::json;
use tokio::process::Command;

const SET: &str =
    "mutation($d: Date!, $w: Boolean) { setCalendarDay(date: $d, working: $w) { date } }";

/// A trail of `n` recorded steps (calendar corrections by the integrator).
async fn trail(n: usize) -> TestDb {
    let t = TestDb::with_reference().await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&integrator.iin);
    for i in 0..n {
        s.data(
            SET,
            json!({ "d": format!("2026-02-{:02}", i + 1), "w": i % 2 == 0 }),
        )
        .await;
    }
    t
}

async fn verify(db: &Db) -> Result<u64, ChainError> {
    audit::verify(db, 1).await.expect("verify runs")
}

#[tokio::test]
async fn every_step_is_recorded_and_the_chain_verifies() {
    let t = trail(5).await;
    assert_eq!(verify(&t.db).await, Ok(5));
    // A refused step records nothing (it never happened).
    let parliament = user_of(&t.db, "PARLIAMENT", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&parliament.iin);
    let v = s.gql(SET, json!({ "d": "2026-03-01", "w": true })).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(verify(&t.db).await, Ok(5));
    assert_eq!(
        audit::verify(&t.db, 3).await.expect("verify"),
        Ok(3),
        "from the middle"
    );
}

#[tokio::test]
async fn tampering_is_caught_and_named() {
    for (name, tamper, want) in [
        (
            "edited outcome",
            vec!["UPDATE audit_events SET outcome = 'FORGED' WHERE seq = 3"],
            ChainError::Edited { seq: 3 },
        ),
        (
            "edited variables",
            vec!["UPDATE audit_events SET variables = '{}' WHERE seq = 5"],
            ChainError::Edited { seq: 5 },
        ),
        (
            "deleted event",
            vec!["DELETE FROM audit_events WHERE seq = 3"],
            ChainError::Broken {
                seq: 4,
                previous: 2,
            },
        ),
        (
            "deleted first event",
            vec!["DELETE FROM audit_events WHERE seq = 1"],
            ChainError::BadStart { seq: 2 },
        ),
        (
            "inserted event",
            vec![
                "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 3",
                "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000",
                "INSERT INTO audit_events (seq, at, outcome, prev_hash, hash) SELECT 3, at, 'OK', hash, hash FROM audit_events WHERE seq = 2",
            ],
            ChainError::Edited { seq: 3 },
        ),
        (
            "reordered events",
            vec![
                "UPDATE audit_events SET seq = 1000 WHERE seq = 2",
                "UPDATE audit_events SET seq = 2 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 1000",
            ],
            ChainError::Edited { seq: 2 },
        ),
    ] {
        let t = trail(6).await;
        assert_eq!(verify(&t.db).await, Ok(6), "{name}: intact before");
        for sql in tamper {
            maintenance(&t.db, sql).await.expect(sql);
        }
        assert_eq!(verify(&t.db).await, Err(want.clone()), "{name}");

        let out = Command::new(env!("CARGO_BIN_EXE_audit-hub"))
            .args(["audit", "verify"])
            .env("DATABASE_URL", &t.url)
            .output()
            .await
            .expect("audit verify");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(&want.to_string()), "{name}: {stderr}");
    }
}
