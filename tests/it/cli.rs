//! The binary as a newcomer runs it: `serve --demo`, `import budget`, `export-schema`.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use common::{TestDb, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_audit-hub");

#[tokio::test]
async fn serve_demo_seeds_serves_data_and_the_playground() {
    let t = TestDb::new().await;
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &t.url)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn audit-hub");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    // The demo prints a token per body kind, then the address it listens on.
    let (token, base) = tokio::time::timeout(Duration::from_secs(120), async {
        let (mut token, mut after_parliament) = (None, false);
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            if after_parliament && token.is_none() {
                token = Some(line.trim().to_owned());
            }
            after_parliament = line.trim_start().starts_with("PARLIAMENT ");
            if let Some(rest) = line.split("listening on ").nth(1) {
                return (token, rest.split_whitespace().next().map(str::to_owned));
            }
        }
        (token, None)
    })
    .await
    .expect("server started in time");
    let base = base.expect("server printed its address");
    let token = token.expect("a demo token for Parliament was printed");
    // Keep draining the log so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let client = reqwest::Client::new();
    let page = client
        .get(format!("{base}/playground"))
        .send()
        .await
        .expect("playground");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("GraphiQL"));
    let resp: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ budgetSummary(groupBy: [LEVEL]) { key { level } amount } informatizationObjects(first: 1) { edges { node { id } } } }" }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    assert_eq!(
        resp["data"]["budgetSummary"].as_array().map(Vec::len),
        Some(4),
        "{resp}"
    );
    assert_eq!(
        resp["data"]["informatizationObjects"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // SIGTERM while a large export is in flight (its body not read yet, so it cannot have
    // finished: the socket buffers hold a fraction of it): the server stops, but only after the
    // export has been delivered whole, and exits cleanly.
    let total: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ budgetLines(first: 0) { totalCount } }" }))
        .send()
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    let total = total["data"]["budgetLines"]["totalCount"]
        .as_u64()
        .expect("totalCount");
    let export = client
        .get(format!("{base}/export/budget-lines.csv"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("export started");
    assert_eq!(export.status(), 200);
    let pid = child.id().expect("pid");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let body = export.text().await.expect("the export completes");
    assert_eq!(
        body.lines().count() as u64,
        total + 1,
        "every row and the header arrived"
    );
    let status = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn import_cli_names_line_and_column_in_the_chosen_language() {
    let t = TestDb::with_reference().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n\
         2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,10\n\
         2025,REGIONAL,110000000,252,001,,111,03,APPROVED,,1.25\n",
    )
    .expect("write csv");
    for (lang, needle) in [
        ("en", "line 3, column 11 (amount)"),
        ("ru", "строка 3, столбец 11 (amount)"),
        ("kk", "3-жол, 11-баған (amount)"),
    ] {
        let out = Command::new(BIN)
            .args(["import", "budget"])
            .arg(&file)
            .args(["--lang", lang])
            .env("DATABASE_URL", &t.url)
            .output()
            .await
            .expect("run import");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{lang}: {stderr}");
        assert!(stderr.contains(needle), "{lang}: {stderr}");
    }
}

#[tokio::test]
async fn export_schema_prints_the_checked_in_sdl() {
    let out = Command::new(BIN)
        .arg("export-schema")
        .output()
        .await
        .expect("run export-schema");
    assert!(out.status.success());
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .expect("sdl");
    assert!(
        String::from_utf8_lossy(&out.stdout) == on_disk,
        "export-schema differs from schema/schema.graphql"
    );
}

#[tokio::test]
async fn token_and_policy_explain_for_a_demo_user() {
    let t = TestDb::with_demo(1).await;
    let police = common::user_of(&t.db, "POLICE_INTERNAL_AUDIT", "71", true).await;
    let key = "cli-test-signing-key-0123456789abcdef";
    let out = Command::new(BIN)
        .args(["token", "--iin", &police.iin, "--ttl", "30m"])
        .env("DATABASE_URL", &t.url)
        .env("AUDIT_HUB_TOKEN_KEY", key)
        .output()
        .await
        .expect("run token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let keys = audit_hub::authz::token::TokenKeys::new(key.as_bytes()).expect("keys");
    let verified = keys.verify(&token).expect("valid token");
    assert_eq!(verified.iin, police.iin);
    assert_eq!(
        verified.method,
        audit_hub::authz::token::Method::Operator,
        "an operator token says so"
    );
    // Issuing it is on the record, with the token's id and expiry.
    let q = sea_query::Query::select()
        .column("variables")
        .from("audit_events")
        .and_where(sea_query::ExprTrait::eq(
            sea_query::Expr::col("operation"),
            "audit-hub token",
        ))
        .to_owned();
    #[derive(sqlx::FromRow)]
    struct Vars {
        variables: Option<String>,
    }
    let recorded =
        t.db.optional::<Vars>(&q)
            .await
            .expect("event")
            .expect("an event");
    let vars: Value = serde_json::from_str(&recorded.variables.unwrap_or_default()).expect("json");
    assert_eq!(vars["tokenId"], verified.jti.as_str());
    assert_eq!(vars["method"], "operator");

    // At most 24 hours: a century is refused naming the flag.
    for ttl in ["100y", "25h"] {
        let out = Command::new(BIN)
            .args(["token", "--iin", &police.iin, "--ttl", ttl])
            .env("DATABASE_URL", &t.url)
            .env("AUDIT_HUB_TOKEN_KEY", key)
            .output()
            .await
            .expect("run token");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--ttl {ttl} refused");
        assert!(stderr.contains("--ttl"), "names the flag: {stderr}");
    }

    let unknown = Command::new(BIN)
        .args(["token", "--iin", "000000000000"])
        .env("DATABASE_URL", &t.url)
        .env("AUDIT_HUB_TOKEN_KEY", key)
        .output()
        .await
        .expect("run token");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user with IIN 000000000000"));

    let out = Command::new(BIN)
        .args(["policy", "explain", "--iin", &police.iin])
        .env("DATABASE_URL", &t.url)
        .output()
        .await
        .expect("run policy explain");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "POLICE_INTERNAL_AUDIT",
        "police_auditor",
        "administrator 352 of the regional budget of 710000000",
        "SQL (",
        "'352'",
    ] {
        assert!(report.contains(needle), "missing `{needle}` in:\n{report}");
    }
}

#[tokio::test]
async fn serve_refuses_to_start_with_a_malformed_policy() {
    let t = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/policies/model.conf"),
        dir.path().join("model.conf"),
    )
    .expect("model");
    std::fs::write(
        dir.path().join("policy.csv"),
        "p, national_auditor, budget, read, everywhere,\ng, PARLIAMENT, national_auditor\n",
    )
    .expect("policy");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &t.url)
        .env(
            "AUDIT_HUB_TOKEN_KEY",
            "cli-test-signing-key-0123456789abcdef",
        )
        .env("AUDIT_HUB_POLICY_DIR", dir.path())
        .output()
        .await
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("unknown scope kind `everywhere`"),
        "{stderr}"
    );
}

#[tokio::test]
async fn calendar_due_follows_the_rules_and_the_overrides() {
    let t = TestDb::with_reference().await;
    let run = |args: Vec<&'static str>| {
        let url = t.url.clone();
        async move {
            let out = Command::new(BIN)
                .args(&args)
                .env("DATABASE_URL", url)
                .output()
                .await
                .expect("run calendar");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
    };
    assert_eq!(
        run(vec!["calendar", "due", "2026-03-20", "2"]).await,
        "2026-03-27"
    );
    run(vec![
        "calendar",
        "set",
        "2026-03-28",
        "--working",
        "--note",
        "transferred Saturday",
    ])
    .await;
    assert_eq!(
        run(vec!["calendar", "due", "2026-03-27", "1"]).await,
        "2026-03-28"
    );
    run(vec!["calendar", "clear", "2026-03-28"]).await;
    assert_eq!(
        run(vec!["calendar", "due", "2026-03-27", "1"]).await,
        "2026-03-30"
    );
    // Both changes are on the record, in order, with their arguments; the chain still holds.
    let (events, _) = audit_hub::store::audit::list(
        &t.db,
        audit_hub::authz::permissions::BodyRows::All,
        &Default::default(),
        10,
        None,
    )
    .await
    .expect("events");
    let steps: Vec<(Option<String>, serde_json::Value)> = events
        .iter()
        .rev()
        .filter(|e| {
            e.event
                .operation
                .as_deref()
                .is_some_and(|o| o.starts_with("audit-hub calendar"))
        })
        .map(|e| {
            let args = e.event.variables.as_deref().unwrap_or("null");
            (
                e.event.operation.clone(),
                serde_json::from_str(args).expect("json"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                Some("audit-hub calendar set".to_owned()),
                serde_json::json!({ "date": "2026-03-28", "working": true, "note": "transferred Saturday" })
            ),
            (
                Some("audit-hub calendar clear".to_owned()),
                serde_json::json!({ "date": "2026-03-28", "removed": true })
            ),
        ]
    );
    assert!(
        audit_hub::audit::verify(&t.db, 1)
            .await
            .expect("verify")
            .is_ok()
    );
}

#[tokio::test]
async fn operators_take_workflow_steps_through_the_same_checks() {
    let t = TestDb::with_demo(1).await;
    let head = common::user_of(&t.db, "MASLIKHAT", "110000000", true).await;
    let reviewer = common::user_of(&t.db, "AUTHORIZED_BODY", "", true).await;
    let integrator = common::user_of(&t.db, "INTEGRATOR", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&head.iin);
    let v = s
        .gql(
            "mutation($input: AccessApplicationInput!) { submitAccessApplication(input: $input) { id } }",
            json!({ "input": {
                "systems": ["ANALYTICS_CENTER"],
                "employees": [{ "surname": "Оспанов", "name": "Арман", "iin": "000000000101", "position": "Аудитор",
                    "structuralUnit": "Бөлім", "eqyzmetQrCode": "EQ-1", "phone": "+77011234567", "email": "a@m.kz", "purpose": "audit" }],
                "headFullName": "Head", "executorPhone": "+77011234567", "executorEmail": "e@m.kz" } }),
        )
        .await;
    let id = v["data"]["submitAccessApplication"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let run = |args: Vec<String>| {
        let url = t.url.clone();
        async move {
            let out = Command::new(BIN)
                .args(&args)
                .env("DATABASE_URL", url)
                .output()
                .await
                .expect("run workflow");
            (
                out.status.code(),
                serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null),
            )
        }
    };
    let step = |who: &str, rest: &[&str]| {
        let mut args = vec!["workflow".to_owned(), "--as".to_owned(), who.to_owned()];
        args.extend(rest.iter().map(|s| (*s).to_owned()));
        args
    };
    let (code, v) = run(step(
        &integrator.iin,
        &["review", &id, "--decision", "APPROVE"],
    ))
    .await;
    assert_eq!(code, Some(2));
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "the integrator does not review: {v}"
    );
    let (code, v) = run(step(
        &reviewer.iin,
        &["review", &id, "--decision", "APPROVE"],
    ))
    .await;
    assert_eq!(
        (code, &v["data"]["reviewAccessApplication"]["status"]),
        (Some(0), &json!("APPROVED")),
        "{v}"
    );
    let (code, v) = run(step(&integrator.iin, &["grant", &id])).await;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["data"]["grantAccess"][0]["status"], "AWAITING_TRAINING");
    let today = common::today().to_string();
    let (code, v) = run(step(
        &integrator.iin,
        &[
            "train",
            "--user",
            "000000000101",
            "--on",
            &today,
            "--language",
            "RU",
        ],
    ))
    .await;
    assert_eq!(code, Some(0), "{v}");
    let (code, v) = run(step(&integrator.iin, &["block", "--user", "000000000101"])).await;
    assert_eq!(
        (code, &v["data"]["blockUser"]["status"]),
        (Some(0), &json!("BLOCKED")),
        "{v}"
    );
    let (code, v) = run(step(
        &integrator.iin,
        &["memberships", "--user", "000000000101"],
    ))
    .await;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        v["data"]["membershipHistory"][0]["endReason"], "BLOCKED",
        "{v}"
    );

    // Heads are designated by the authorized body, by BIN and IIN; a head is a current member.
    let staff = common::user_of(&t.db, "PARLIAMENT", "", false).await;
    let bin = common::bin_of(&t.db, staff.id).await;
    let (code, v) = run(step(
        &reviewer.iin,
        &[
            "designate-head",
            "--organization",
            &bin,
            "--user",
            &staff.iin,
        ],
    ))
    .await;
    assert_eq!(
        (code, &v["data"]["designateHead"]["isHead"]),
        (Some(0), &json!(true)),
        "{v}"
    );
    let (code, v) = run(step(
        &reviewer.iin,
        &[
            "designate-head",
            "--organization",
            &bin,
            "--user",
            &head.iin,
        ],
    ))
    .await;
    assert_eq!(code, Some(2));
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "NOT_A_CURRENT_MEMBER",
        "{v}"
    );

    let out = Command::new(BIN)
        .args([
            "users",
            "list",
            "--org-kind",
            "INTEGRATOR",
            "--format",
            "csv",
        ])
        .env("DATABASE_URL", &t.url)
        .output()
        .await
        .expect("users list");
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.starts_with("iin,name,organization_bin,kind,territory,administrator,status\n"),
        "{csv}"
    );
    assert_eq!(
        csv.lines().count(),
        5,
        "header and the integrator's four staff: {csv}"
    );
}

#[tokio::test]
async fn serve_refuses_bad_settings_naming_what_to_fix() {
    let t = TestDb::new().await;
    // A port that is taken for the length of the test.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = taken.local_addr().expect("addr").to_string();
    let key = "cli-test-signing-key-0123456789abcdef";
    let cases: [(&str, Vec<&str>, Option<&str>, &str); 10] = [
        (
            "NCALayer elsewhere than this computer",
            vec!["--ncalayer-url", "wss://signer.example.kz:13579"],
            Some(key),
            "--ncalayer-url: `wss://signer.example.kz:13579` is not NCALayer's address",
        ),
        (
            "NCALayer over plain HTTP",
            vec!["--ncalayer-url", "http://127.0.0.1:13579"],
            Some(key),
            "--ncalayer-url",
        ),
        (
            "listen address that is none",
            vec!["--listen", "nonsense"],
            Some(key),
            "--listen (AUDIT_HUB_LISTEN) `nonsense`",
        ),
        (
            "listen port in use",
            vec!["--listen", &taken],
            Some(key),
            "--listen (AUDIT_HUB_LISTEN)",
        ),
        ("no token key", vec![], None, "AUDIT_HUB_TOKEN_KEY"),
        (
            "short token key",
            vec![],
            Some("short"),
            "at least 32 bytes",
        ),
        (
            "zero caller re-check",
            vec!["--caller-recheck", "0s"],
            Some(key),
            "--caller-recheck",
        ),
        (
            "missing trust anchors",
            vec!["--trust-anchors", "/nonexistent/nca.pem"],
            Some(key),
            "AUDIT_HUB_TRUST_ANCHORS /nonexistent/nca.pem",
        ),
        (
            "unreadable revocation list",
            vec!["--crl", "/nonexistent/nca.crl"],
            Some(key),
            "--crl /nonexistent/nca.crl",
        ),
        (
            "depth limit of zero",
            vec!["--max-depth", "0"],
            Some(key),
            "--max-depth",
        ),
    ];
    for (name, args, token_key, named) in cases {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(&args)
            .env("AUDIT_HUB_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", &t.url)
            .env_remove("AUDIT_HUB_TOKEN_KEY");
        if let Some(k) = token_key {
            cmd.env("AUDIT_HUB_TOKEN_KEY", k);
        }
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .unwrap_or_else(|_| panic!("{name}: serve did not stop"))
            .expect("run serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: refused");
        assert!(stderr.contains(named), "{name}: names `{named}`: {stderr}");
    }
}

/// Demo mode hands out tokens only for a database the demo seed created: on one holding other
/// data it refuses to start, naming why.
#[tokio::test]
async fn serve_demo_refuses_a_database_the_demo_seed_did_not_create() {
    let t = TestDb::with_demo(1).await;
    // The same data without the demo seed's marker: as if it had been imported.
    let q = sea_query::Query::delete()
        .from_table("demo_marker")
        .to_owned();
    t.db.execute(&q).await.expect("drop the marker");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(BIN)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", &t.url)
            .output(),
    )
    .await
    .expect("serve stopped")
    .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused: {stderr}");
    assert!(
        stderr.contains("--demo") && stderr.contains("demo marker"),
        "names why: {stderr}"
    );
    assert!(
        !stderr.contains("PARLIAMENT"),
        "no demo token printed: {stderr}"
    );
}
