//! The caller's own view: `me { scope }` in plain words when there is nothing to read, and grant
//! states judged for many grants in a fixed number of statements.

use crate::common;

use common::{TestDb, TestServer, user_of};
use serde_json::json;

#[tokio::test]
async fn a_caller_without_grants_reads_one_plain_sentence() {
    let t = TestDb::with_reference().await;
    let nobody = user_of(&t.db, "MASLIKHAT", "", true).await;
    let s = TestServer::start(&t.db).await.with_user(&nobody.iin);
    let d = s.data("{ me { scope } }", json!({})).await;
    assert_eq!(
        d["me"]["scope"],
        "no budget data: the body reads none under the policy, or the user holds no active grant \
         (granted, trained, not expired, not blocked)"
    );
}

#[tokio::test]
async fn grant_states_cost_the_same_statements_for_one_grant_or_all() {
    let t = TestDb::with_demo(1).await;
    let today = common::today();
    let all = audit_hub::store::grants::all(&t.db, audit_hub::authz::permissions::PeopleRows::All)
        .await
        .expect("grants");
    assert!(all.len() > 10, "{} grants", all.len());
    let mut cost = Vec::new();
    for grants in [all[..1].to_vec(), all.clone()] {
        let before = t.db.statement_count();
        let judged = audit_hub::graphql::viewer::grants_with_status(
            &t.db,
            audit_hub::authz::permissions::PeopleRows::All,
            grants.clone(),
            today,
        )
        .await
        .expect("judged");
        assert_eq!(judged.len(), grants.len());
        cost.push(t.db.statement_count() - before);
    }
    assert_eq!(
        cost[0],
        cost[1],
        "statements for 1 grant and for {}: {cost:?}",
        all.len()
    );
}
