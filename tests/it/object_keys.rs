//! The scope keys each informatization object carries (migration 0016) stay its owner's whoever
//! writes: on insert (the seed), on a change of owner, and when the owner's own keys change; and
//! what a body sees follows them at once, on SQLite and PostgreSQL alike.

use crate::common::{self, TestDb, TestServer};

use audit_hub::app::Config;
use sea_query::{Expr, ExprTrait, Func, Order, Query};
use serde_json::json;

/// Objects whose carried keys differ from their owner's.
async fn drifted(t: &TestDb) -> i64 {
    let q = Query::select()
        .expr(Func::count(Expr::col(("o", "id"))))
        .from_as("informatization_objects", "o")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("o", "owner_id")),
        )
        .and_where(Expr::cust(
            "o.owner_level <> organizations.budget_level \
             OR o.owner_kato <> organizations.kato \
             OR COALESCE(o.owner_administrator, '') <> COALESCE(organizations.administrator, '')",
        ))
        .to_owned();
    t.db.scalar_i64(&q).await.expect("count drifted keys")
}

#[derive(sqlx::FromRow)]
struct Owned {
    id: i64,
    owner_id: i64,
}

/// A local (non-republican) organization outside region 75 that owns objects, and one of them.
async fn object_outside(t: &TestDb) -> Owned {
    let q = Query::select()
        .columns([("o", "id"), ("o", "owner_id")])
        .from_as("informatization_objects", "o")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("o", "owner_id")),
        )
        .and_where(Expr::col(("organizations", "budget_level")).ne("REPUBLICAN"))
        .and_where(Expr::col(("organizations", "kato")).not_like("75%"))
        .order_by(("o", "id"), Order::Asc)
        .limit(1)
        .to_owned();
    t.db.optional::<Owned>(&q)
        .await
        .expect("select object")
        .expect("a local object outside region 75")
}

/// The ids of the objects the caller sees among those of `owner`.
async fn seen(server: &TestServer, owner: i64) -> Vec<String> {
    let data = server
        .data(
            "query($f: InformatizationObjectFilter) { informatizationObjects(first: 1000, filter: $f) { edges { node { id } } } }",
            json!({ "f": { "ownerIds": [owner.to_string()] } }),
        )
        .await;
    data["informatizationObjects"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn set_kato(t: &TestDb, org: i64, kato: &str) {
    let q = Query::update()
        .table("organizations")
        .value("kato", kato)
        .and_where(Expr::col("id").eq(org))
        .to_owned();
    t.db.execute(&q).await.expect("move organization");
}

#[tokio::test]
async fn objects_carry_their_owners_keys_and_scope_follows_them() {
    let t = TestDb::with_demo(1).await;
    assert_eq!(drifted(&t).await, 0, "after the seed");

    let commission = common::user_of(&t.db, "REVISION_COMMISSION", "75", true).await;
    common::grant_both_systems(&t.db, commission.id).await;
    // Without the response cache, so each answer is read after the change before it.
    let server = TestServer::start_with(&t.db, |c| Config {
        response_cache_bytes: 0,
        ..c
    })
    .await
    .with_user(&commission.iin);

    let object = object_outside(&t).await;
    let owner = object.owner_id;
    let kato: String = {
        #[derive(sqlx::FromRow)]
        struct Kato {
            kato: String,
        }
        let q = Query::select()
            .column("kato")
            .from("organizations")
            .and_where(Expr::col("id").eq(owner))
            .to_owned();
        t.db.optional::<Kato>(&q)
            .await
            .expect("owner")
            .expect("owner row")
            .kato
    };
    assert!(seen(&server, owner).await.is_empty(), "outside the region");

    // The owner moves into region 75: every object of it follows.
    set_kato(&t, owner, "750000000").await;
    assert_eq!(drifted(&t).await, 0, "after the owner moved in");
    let inside = seen(&server, owner).await;
    assert!(inside.contains(&object.id.to_string()), "{inside:?}");

    // And back out.
    set_kato(&t, owner, &kato).await;
    assert_eq!(drifted(&t).await, 0, "after the owner moved back");
    assert!(seen(&server, owner).await.is_empty(), "moved back out");

    // One object changes hands to an organization of region 75.
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let q = Query::select()
        .column("id")
        .from("organizations")
        .and_where(Expr::col("kato").like("75%"))
        .and_where(Expr::col("budget_level").ne("REPUBLICAN"))
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    let new_owner =
        t.db.optional::<Id>(&q)
            .await
            .expect("select")
            .expect("an organization of region 75")
            .id;
    let q = Query::update()
        .table("informatization_objects")
        .value("owner_id", new_owner)
        .and_where(Expr::col("id").eq(object.id))
        .to_owned();
    t.db.execute(&q).await.expect("change owner");
    assert_eq!(drifted(&t).await, 0, "after the change of owner");
    assert!(
        seen(&server, new_owner)
            .await
            .contains(&object.id.to_string())
    );
    assert!(!seen(&server, owner).await.contains(&object.id.to_string()));

    // Keys written by hand are put back to the owner's.
    let q = Query::update()
        .table("informatization_objects")
        .value("owner_kato", "110000000")
        .and_where(Expr::col("id").eq(object.id))
        .to_owned();
    t.db.execute(&q).await.expect("overwrite keys");
    assert_eq!(drifted(&t).await, 0, "after keys were written by hand");
}
