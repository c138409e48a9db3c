//! Publishing the access policy to the database (`audit-hub policy publish`): checked before
//! anything is written, audited, listed, and an unusable newest revision refuses every request
//! (and the start of `serve`) until a good one is published.

use crate::common;

use std::path::Path;

use common::{TestDb, TestServer, user_of};
use serde_json::{Value, json};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_audit-hub");
const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");

/// Runs the binary on `t`'s database; (exit code, stdout, stderr).
async fn run(t: &TestDb, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &t.url)
        .env("AUDIT_HUB_LOG", "warn")
        .output()
        .await
        .expect("run audit-hub");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A policy folder: the shipped model with these rules.
fn policy_dir(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        Path::new(SHIPPED).join("model.conf"),
        dir.path().join("model.conf"),
    )
    .expect("model");
    std::fs::write(dir.path().join("policy.csv"), rules).expect("rules");
    dir
}

fn shipped_rules() -> String {
    std::fs::read_to_string(Path::new(SHIPPED).join("policy.csv")).expect("rules")
}

async fn count(t: &TestDb, table: &'static str) -> i64 {
    let q = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col(
            sea_query::Asterisk,
        )))
        .from(table)
        .to_owned();
    t.db.scalar_i64(&q).await.expect("count")
}

#[tokio::test]
async fn a_malformed_policy_is_refused_naming_the_rule_and_nothing_is_written() {
    let t = TestDb::with_reference().await;
    let cases = [
        (
            "unknown scope kind",
            "p, national_auditor, budget, read, everywhere,\ng, PARLIAMENT, national_auditor\n",
            "everywhere",
        ),
        (
            "administrator codes that are not 3 digits",
            "p, police_auditor, budget, read, territory_administrators, 25|352\ng, POLICE_INTERNAL_AUDIT, police_auditor\n",
            "25|352",
        ),
        (
            "a role given to something that is not a body kind",
            "p, national_auditor, budget, read, all,\ng, PARLAMENT, national_auditor\n",
            "PARLAMENT",
        ),
    ];
    let events = count(&t, "audit_events").await;
    for (name, rules, named) in cases {
        let dir = policy_dir(rules);
        let dir_arg = dir.path().to_str().expect("utf-8 path");
        let (code, _, stderr) = run(&t, &["--policy-dir", dir_arg, "policy", "publish"]).await;
        assert_ne!(code, 0, "{name}: refused");
        assert!(stderr.contains(named), "{name}: names `{named}`: {stderr}");
    }
    assert_eq!(
        count(&t, "policy_revisions").await,
        0,
        "no revision written"
    );
    assert_eq!(count(&t, "audit_events").await, events, "no event written");
}

#[tokio::test]
async fn publications_are_listed_audited_and_the_same_text_is_published_once() {
    let t = TestDb::with_reference().await;
    let (code, out, _) = run(&t, &["policy", "history"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("no revision published"), "{out}");

    let (code, _, stderr) = run(&t, &["policy", "publish", "--note", "order 270"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("revision 1"), "{stderr}");
    let (code, _, stderr) = run(&t, &["policy", "publish"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing published"), "{stderr}");
    let stricter = shipped_rules().replace("p, access_reviewer, audit, read, all,", "");
    let dir = policy_dir(&stricter);
    let dir_arg = dir.path().to_str().expect("utf-8 path");
    let (code, _, stderr) = run(&t, &["--policy-dir", dir_arg, "policy", "publish"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("revision 2"), "{stderr}");

    let (_, out, _) = run(&t, &["policy", "history"]).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("2\t") && lines[0].contains(dir_arg),
        "{out}"
    );
    assert!(
        lines[1].starts_with("1\t")
            && lines[1].contains("built-in")
            && lines[1].ends_with("order 270"),
        "{out}"
    );

    // Each publication is an event of the trail, and the trail still verifies.
    let (events, _) = audit_hub::store::audit::list(
        &t.db,
        audit_hub::authz::permissions::BodyRows::All,
        &Default::default(),
        100,
        None,
    )
    .await
    .expect("events");
    let published: Vec<Value> = events
        .iter()
        .filter(|e| e.event.operation.as_deref() == Some("policy publish"))
        .map(|e| {
            serde_json::from_str(e.event.variables.as_deref().unwrap_or("null")).expect("json")
        })
        .collect();
    assert_eq!(published.len(), 2, "{published:?}");
    assert!(
        published
            .iter()
            .any(|v| v["revision"] == 1 && v["note"] == "order 270")
    );
    assert!(
        published
            .iter()
            .any(|v| v["revision"] == 2 && v["source"] == dir_arg)
    );
    let (code, out, _) = run(&t, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}");

    // `policy explain` decides by the revision in force.
    let (code, out, stderr) = run(
        &t,
        &[
            "policy",
            "explain",
            "--iin",
            &user_of(&t.db, "PARLIAMENT", "", true).await.iin,
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(out.starts_with("policy: revision 2"), "{out}");
}

#[tokio::test]
async fn an_unusable_newest_revision_refuses_requests_until_a_good_one_is_published() {
    let t = TestDb::with_demo(1).await;
    let s = TestServer::start_national(&t.db).await;
    let read = "{ budgetSummary(groupBy: [LEVEL]) { amount } }";
    s.data(read, json!({})).await;
    let (code, _, stderr) = run(&t, &["policy", "publish"]).await;
    assert_eq!(code, 0, "{stderr}");
    s.data(read, json!({})).await;
    let (_, ready) = s.get_json("/readyz").await;
    assert_eq!(
        (&ready["policy"], &ready["policyRevision"]),
        (&json!("published"), &json!(1)),
        "{ready}"
    );

    // Edited behind the hub's back: the text no longer matches the hash it was published with.
    let mut tx = t.db.begin().await.expect("begin");
    tx.raw("UPDATE policy_revisions SET rules = rules || 'g, MASLIKHAT, national_auditor\n'")
        .await
        .expect("tamper");
    tx.commit().await.expect("commit");
    let v = s.gql(read, json!({})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "INTERNAL", "{v}");
    assert!(v["data"].is_null(), "nothing read: {v}");
    let (status, ready) = s.get_json("/readyz").await;
    assert_eq!(
        (status, &ready["policy"]),
        (503, &json!("unusable")),
        "{ready}"
    );

    // A new process will not start on it, and says what to do.
    let (code, _, stderr) = run(&t, &["serve", "--demo", "--listen", "127.0.0.1:0"]).await;
    assert_ne!(code, 0);
    assert!(
        stderr.contains("policy revision 1") && stderr.contains("policy publish"),
        "{stderr}"
    );

    // Publishing the policy again (a new revision) restores service.
    let (code, _, stderr) = run(&t, &["policy", "publish", "--note", "restore"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("revision 2"), "{stderr}");
    // The serving process hears of the publication from another process asynchronously (a
    // notification on commit, or its re-read every second), so service returns within moments
    // of the command, not necessarily before its very next request.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let restored = loop {
        let v = s.gql(read, json!({})).await;
        if v["errors"].is_null() || std::time::Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        restored["errors"].is_null() && restored["data"]["budgetSummary"].is_array(),
        "{restored}"
    );
    let (status, ready) = s.get_json("/readyz").await;
    assert_eq!(status, 200, "{ready}");
}
