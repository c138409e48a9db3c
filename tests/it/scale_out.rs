//! Several `serve` processes on one database: a block made through one is refused by the other
//! within a second, also when the change notification never arrives; a training recorded, a
//! calendar day changed or a policy published through one governs the other as soon.

use crate::common;

use std::time::{Duration, Instant};

use common::process::Process;
use common::{TestDb, TestServer, token, user_of};
use serde_json::{Value, json};

/// A read of budget data: what a block, a grant or the policy decides.
const READ: &str = "{ budgetSummary(groupBy: [LEVEL]) { amount } }";

#[tokio::test]
async fn a_block_through_one_process_is_refused_by_the_other_within_a_second() {
    let t = TestDb::with_demo(1).await;
    // A national reader with grants, and the integrator who blocks.
    let national = TestServer::start_national(&t.db).await;
    drop(national);
    let reader = user_of(&t.db, "PARLIAMENT", "", true).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    let (a, b) = Process::pair(&t.url).await;
    let read = READ;
    let v = b.gql(&reader.iin, read, json!({})).await;
    assert!(v.get("errors").is_none(), "reads before the block: {v}");

    let v = a
        .gql(
            &integrator.iin,
            "mutation($u: ID!) { blockUser(userId: $u) { status } }",
            json!({ "u": reader.id.to_string() }),
        )
        .await;
    assert_eq!(v["data"]["blockUser"]["status"], "BLOCKED", "{v}");
    let took = refused_within_a_second(&b, &reader.iin).await;
    eprintln!("the other process refused the blocked user after {took:?}");
    drop((a.child, b.child));
}

#[tokio::test]
async fn a_block_request_for_today_cuts_the_leaver_off_on_both_processes_before_the_block() {
    let t = TestDb::with_demo(1).await;
    let head = user_of(&t.db, "PARLIAMENT", "", true).await;
    // The Mazhilis' second employee, given grants to read with.
    let leaver = user_of(&t.db, "PARLIAMENT", "", false).await;
    common::grant_both_systems(&t.db, leaver.id).await;
    let (a, b) = Process::pair(&t.url).await;
    for p in [&a, &b] {
        let v = p.gql(&leaver.iin, READ, json!({})).await;
        assert!(v.get("errors").is_none(), "reads before the request: {v}");
    }
    let today = common::today().to_string();
    let v = a
        .gql(
            &head.iin,
            "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"dismissed\") { id executedAt } }",
            json!({ "u": leaver.id.to_string(), "on": today }),
        )
        .await;
    assert!(
        v["data"]["requestBlock"]["executedAt"].is_null(),
        "not executed: {v}"
    );
    for (name, p) in [("the process that took the request", &a), ("the other", &b)] {
        let took = refused_within_a_second(p, &leaver.iin).await;
        eprintln!("{name} refused the leaver after {took:?}, with no block executed");
    }
    drop((a.child, b.child));
}

#[tokio::test]
async fn a_logout_through_one_process_is_refused_by_both_within_a_second() {
    let t = TestDb::with_demo(1).await;
    let reader = user_of(&t.db, "PARLIAMENT", "", true).await;
    let (a, b) = Process::pair(&t.url).await;
    let session = token(&reader.iin);
    let me = |p: &Process| {
        let url = format!("{}/graphql", p.base);
        let session = session.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(session)
                .json(&json!({ "query": "{ me { user { id } } }" }))
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    for p in [&a, &b] {
        let v = me(p).await;
        assert!(v.get("errors").is_none(), "served before the logout: {v}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/auth/logout", a.base))
        .bearer_auth(&session)
        .send()
        .await
        .expect("logout");
    assert_eq!(resp.status(), 200);
    for (name, p) in [("the process logged out through", &a), ("the other", &b)] {
        let start = Instant::now();
        loop {
            let v = me(p).await;
            if error_code(&v) == "UNAUTHENTICATED" {
                eprintln!(
                    "{name} refused the revoked token after {:?}",
                    start.elapsed()
                );
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{name}: still served: {v}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Another session of the same person is not affected.
    let other = Process::start(&t.url).await;
    let v = other
        .gql(&reader.iin, "{ me { user { id } } }", json!({}))
        .await;
    assert!(v.get("errors").is_none(), "a new session works: {v}");
    drop((a.child, b.child, other.child));
}

/// Polls `p` as `iin` until it refuses the caller; panics if that takes a second or more.
async fn refused_within_a_second(p: &Process, iin: &str) -> Duration {
    answered_within_a_second(p, iin, "{ me { user { id } } }", |v| {
        v["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    })
    .await
}

/// Sends `query` to `p` as `iin` until `wanted` holds for the answer; panics if that takes a
/// second or more.
async fn answered_within_a_second(
    p: &Process,
    iin: &str,
    query: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let v = p.gql(iin, query, json!({})).await;
        if wanted(&v) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "not yet a second after the change: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn error_code(v: &Value) -> &Value {
    &v["errors"][0]["extensions"]["code"]
}

/// Runs `audit-hub policy publish` on `url` with `--policy-dir dir` (none: the built-in policy).
async fn publish_policy(url: &str, dir: Option<&std::path::Path>) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_audit-hub"));
    if let Some(d) = dir {
        cmd.arg("--policy-dir").arg(d);
    }
    let out = cmd
        .args(["policy", "publish", "--note", "scale-out test"])
        .env("DATABASE_URL", url)
        .env("AUDIT_HUB_LOG", "warn")
        .output()
        .await
        .expect("run policy publish");
    assert!(
        out.status.success(),
        "policy publish failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_policy_published_once_governs_every_process_within_a_second() {
    let t = TestDb::with_demo(1).await;
    let maslikhat = user_of(&t.db, "MASLIKHAT", "", true).await;
    let parliament = user_of(&t.db, "PARLIAMENT", "", true).await;
    let (a, b) = Process::pair(&t.url).await;
    let read = READ;
    for p in [&a, &b] {
        let v = p.gql(&maslikhat.iin, read, json!({})).await;
        assert!(
            v.get("errors").is_none(),
            "the maslikhat reads at first: {v}"
        );
    }

    // A revised policy in which territorial auditors lose budget reads.
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    std::fs::copy(
        format!("{shipped}/model.conf"),
        dir.path().join("model.conf"),
    )
    .expect("model");
    let rules = std::fs::read_to_string(format!("{shipped}/policy.csv")).expect("rules");
    let rule = "p, territorial_auditor, budget, read, territory,";
    assert!(
        rules.contains(rule),
        "the shipped policy has the rule the test removes"
    );
    std::fs::write(dir.path().join("policy.csv"), rules.replace(rule, "")).expect("write");
    publish_policy(&t.url, Some(dir.path())).await;
    for (name, p) in [("a", &a), ("b", &b)] {
        let took =
            answered_within_a_second(p, &maslikhat.iin, read, |v| error_code(v) == "FORBIDDEN")
                .await;
        eprintln!("process {name} refused the maslikhat {took:?} after the publication");
        let v = p.gql(&parliament.iin, read, json!({})).await;
        assert!(v.get("errors").is_none(), "Parliament still reads: {v}");
    }

    // The built-in policy published again: the maslikhat reads again everywhere.
    publish_policy(&t.url, None).await;
    for p in [&a, &b] {
        answered_within_a_second(p, &maslikhat.iin, read, |v| v.get("errors").is_none()).await;
    }
    drop((a.child, b.child));
}

#[tokio::test]
async fn training_recorded_and_a_calendar_day_changed_through_one_process_reach_the_other() {
    let t = TestDb::with_demo(1).await;
    let integrator = user_of(&t.db, "INTEGRATOR", "", true).await;
    // The Mazhilis' second employee holds no grant in the demo data.
    let employee = user_of(&t.db, "PARLIAMENT", "", false).await;
    let (a, b) = Process::pair(&t.url).await;
    let read = READ;
    let v = b.gql(&employee.iin, read, json!({})).await;
    assert_eq!(error_code(&v), "FORBIDDEN", "no grant yet: {v}");

    // Grants written directly, awaiting training; the training is recorded through `a`.
    common::grant_both_systems_untrained(&t.db, employee.id).await;
    let v = b.gql(&employee.iin, read, json!({})).await;
    assert_eq!(error_code(&v), "FORBIDDEN", "no data before training: {v}");
    let v = a
        .gql(
            &integrator.iin,
            "mutation($u: ID!, $on: Date!) { recordTraining(userId: $u, completedOn: $on, language: KK) { id } }",
            json!({ "u": employee.id.to_string(), "on": common::today().to_string() }),
        )
        .await;
    assert!(v.get("errors").is_none(), "training recorded: {v}");
    let took =
        answered_within_a_second(&b, &employee.iin, read, |v| v.get("errors").is_none()).await;
    eprintln!("the other process served the trained employee after {took:?}");

    // A Saturday made a working day by decree, through `a`; `b` counts it at once.
    let due = "{ workingDayDeadline(from: \"2026-06-12\", days: 1) }";
    let before = b.gql(&integrator.iin, due, json!({})).await;
    assert_eq!(
        before["data"]["workingDayDeadline"], "2026-06-15",
        "{before}"
    );
    let v = a
        .gql(
            &integrator.iin,
            "mutation { setCalendarDay(date: \"2026-06-13\", working: true, note: \"decree\") { date } }",
            json!({}),
        )
        .await;
    assert!(v.get("errors").is_none(), "calendar day set: {v}");
    let after = b.gql(&integrator.iin, due, json!({})).await;
    assert_eq!(after["data"]["workingDayDeadline"], "2026-06-13", "{after}");
    drop((a.child, b.child));
}

/// A change that bypasses the triggers (PostgreSQL: replication role; the epoch is bumped by
/// hand, so nothing is notified) still reaches a serving process by its periodic re-read.
#[tokio::test]
async fn a_change_nobody_notified_is_picked_up_by_the_recheck() {
    let t = TestDb::with_demo(1).await;
    let reader = user_of(&t.db, "PARLIAMENT", "", true).await;
    let p = Process::start_with(&t.url, &["--caller-recheck", "300ms"]).await;
    let me = "{ me { user { id } } }";
    for _ in 0..3 {
        let v = p.gql(&reader.iin, me, json!({})).await;
        assert!(v.get("errors").is_none(), "served before the change: {v}");
    }
    let mut tx = t.db.begin().await.expect("begin");
    if t.backend() == audit_hub::store::Backend::Postgres {
        tx.raw("SET LOCAL session_replication_role = replica")
            .await
            .expect("bypass triggers");
    }
    tx.raw(&format!(
        "UPDATE users SET status = 'BLOCKED' WHERE id = {}",
        reader.id
    ))
    .await
    .expect("block");
    tx.raw("UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers'")
        .await
        .expect("bump");
    tx.commit().await.expect("commit");
    let took = refused_within_a_second(&p, &reader.iin).await;
    eprintln!("refused {took:?} after an unnotified change");
    drop(p.child);
}
