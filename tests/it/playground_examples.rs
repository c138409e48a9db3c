//! The playground's example operations: every body kind the demo picker offers has at least one,
//! and each runs without errors as the demo user of the body it is written for.

use crate::common;

use std::collections::BTreeSet;

use audit_hub::http::playground::EXAMPLES;
use common::{TestDb, TestServer, grant_both_systems};
use serde_json::json;

#[tokio::test]
async fn every_body_kind_has_examples_that_run_as_its_demo_user() {
    let t = TestDb::with_demo(1).await;
    let demo = audit_hub::seed::demo_users(&t.db)
        .await
        .expect("demo users");
    let kinds: BTreeSet<&str> = demo.iter().map(|(k, _, _)| k.as_str()).collect();
    let covered: BTreeSet<&str> = EXAMPLES.iter().map(|e| e.body_kind).collect();
    assert_eq!(
        kinds.difference(&covered).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "body kinds without an example"
    );
    for example in EXAMPLES {
        let (_, user, _) = demo
            .iter()
            .find(|(k, _, _)| k.as_str() == example.body_kind)
            .unwrap_or_else(|| panic!("{}: no demo user of {}", example.name, example.body_kind));
        grant_both_systems(&t.db, user.id).await;
        let s = TestServer::start(&t.db).await.with_user(&user.iin);
        let v = s.gql(example.query, json!({})).await;
        assert!(
            v.get("errors").is_none(),
            "{} as {}: {v}",
            example.name,
            example.body_kind
        );
    }
}
