//! Every entity outside budgets, read as several bodies through every path that reaches it
//! (a list, by id, a nested field), against the rule each body must see, computed here from the
//! rows themselves: one rule per type, whatever the path.

use std::collections::{BTreeMap, BTreeSet};

use crate::common;

use audit_hub::store::Db;
use common::workflow::*;
use common::{TestDb, TestServer, grant_both_systems, user_of};
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::{Value, json};

const ORGS: &str = "{ organizations(first: 1000) { edges { node { id parent { id } } } } }";
const ORG: &str = "query($id: ID!) { organization(id: $id) { id } }";
const ORG_FIELD: &str = "organization(id: \"{}\") { id }";
const MEMBERSHIPS_FIELD: &str = "membershipHistory(userId: \"{}\") { id organization { id } }";
const GRANTS_FIELD: &str = "grantHistory(userId: \"{}\") { id user { id organization { id } } }";
const APPS: &str = "{ accessApplications(first: 100) { edges { node { id organization { id }
  employees { userId registeredAt { id } currentGrants { id user { id organization { id } } } } } } } }";
const OBJECTS: &str = "{ informatizationObjects(first: 1000) { edges { node { id owner { id } possessor { id } } } } }";
const ME: &str =
    "{ me { user { id organization { id } } organization { id } grants { id user { id } } } }";
const MEMBERSHIPS: &str =
    "query($u: ID!) { membershipHistory(userId: $u) { id organization { id } } }";
const GRANTS: &str =
    "query($u: ID!) { grantHistory(userId: $u) { id user { id organization { id } } } }";
const EXPIRING: &str = "{ expiringGrants(withinDays: 366) { id user { id organization { id } } } }";
const TRAINING: &str = "{ trainingReports(pendingOnly: false) { id userId user { id } } }";
const BLOCKS: &str = "{ pendingBlockRequests { id userId user { id } } }";
const PEOPLE: &str = "{ people(first: 1000) { edges { node { id organization { id } } } } }";
const USER_FIELD: &str = "user(id: \"{}\") { id }";
const APP_FIELD: &str = "accessApplication(id: \"{}\") { id }";
const TRAININGS_FIELD: &str = "trainingHistory(userId: \"{}\") { id user { id } }";
const BLOCKS_FIELD: &str = "blockRequestHistory(userId: \"{}\") { id user { id } }";
const AUDIT: &str = "{ auditEvents(first: 1000) { edges { node { organizationId } } } }";
const CALENDAR: &str = "{ calendar(year: 2025) { date kind } }";
const REQUEST_BLOCK: &str = "mutation($u: ID!, $on: Date!) { requestBlock(userId: $u, terminatedOn: $on, reason: \"dismissed\") { id } }";

/// `table.key → table.value` for every row (value null where the column is).
async fn pairs(db: &Db, table: &str, key: &str, value: &str) -> BTreeMap<i64, Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct Pair {
        k: i64,
        v: Option<i64>,
    }
    let q = Query::select()
        .expr_as(Expr::col(Alias::new(key)), Alias::new("k"))
        .expr_as(Expr::col(Alias::new(value)), Alias::new("v"))
        .from(Alias::new(table))
        .to_owned();
    db.all::<Pair>(&q)
        .await
        .expect("pairs")
        .into_iter()
        .map(|p| (p.k, p.v))
        .collect()
}

/// What the rows say, read directly.
struct Facts {
    /// Organization id → parent id.
    orgs: BTreeMap<i64, Option<i64>>,
    /// Organization id → KATO.
    kato: BTreeMap<i64, String>,
    /// User id → organization id.
    users: BTreeMap<i64, i64>,
    /// Membership id → (user id, organization id).
    memberships: BTreeMap<i64, (i64, i64)>,
    /// Application id → organization id.
    applications: BTreeMap<i64, i64>,
    /// Object id → (owner, possessor).
    objects: BTreeMap<i64, (i64, i64)>,
    /// Grant id → user id.
    grants: BTreeMap<i64, i64>,
    /// Training id → user id.
    trainings: BTreeMap<i64, i64>,
    /// Pending block request id → organization id.
    pending_blocks: BTreeMap<i64, i64>,
    /// Block request id → (user id, organization id), executed or not.
    blocks: BTreeMap<i64, (i64, i64)>,
}

fn some(m: BTreeMap<i64, Option<i64>>) -> BTreeMap<i64, i64> {
    m.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

impl Facts {
    async fn read(db: &Db) -> Facts {
        #[derive(sqlx::FromRow)]
        struct Kato {
            id: i64,
            kato: String,
        }
        let q = Query::select()
            .columns(["id", "kato"])
            .from("organizations")
            .to_owned();
        let kato = db
            .all::<Kato>(&q)
            .await
            .expect("kato")
            .into_iter()
            .map(|k| (k.id, k.kato))
            .collect();
        let member_users = some(pairs(db, "memberships", "id", "user_id").await);
        let member_orgs = some(pairs(db, "memberships", "id", "organization_id").await);
        let owners = some(pairs(db, "informatization_objects", "id", "owner_id").await);
        let possessors = some(pairs(db, "informatization_objects", "id", "possessor_id").await);
        let q = Query::select()
            .columns(["id", "organization_id"])
            .from("block_requests")
            .and_where(Expr::col("executed_at").is_null())
            .to_owned();
        #[derive(sqlx::FromRow)]
        struct Block {
            id: i64,
            organization_id: i64,
        }
        let pending_blocks = db
            .all::<Block>(&q)
            .await
            .expect("blocks")
            .into_iter()
            .map(|b| (b.id, b.organization_id))
            .collect();
        Facts {
            orgs: pairs(db, "organizations", "id", "parent_id").await,
            kato,
            users: some(pairs(db, "users", "id", "organization_id").await),
            memberships: member_users
                .iter()
                .map(|(id, u)| (*id, (*u, member_orgs[id])))
                .collect(),
            applications: some(pairs(db, "access_applications", "id", "organization_id").await),
            objects: owners
                .iter()
                .map(|(id, o)| (*id, (*o, possessors[id])))
                .collect(),
            grants: some(pairs(db, "access_grants", "id", "user_id").await),
            trainings: some(pairs(db, "training_records", "id", "user_id").await),
            pending_blocks,
            blocks: {
                let users = some(pairs(db, "block_requests", "id", "user_id").await);
                let bodies = some(pairs(db, "block_requests", "id", "organization_id").await);
                users
                    .iter()
                    .map(|(id, u)| (*id, (*u, bodies[id])))
                    .collect()
            },
        }
    }
}

/// Who a caller is, as the rules need it.
#[derive(Clone, Copy)]
enum Role {
    Anonymous,
    /// The authorized body or the integrator: every body, every person.
    Administrator,
    /// The head of an oversight body: their own body's people and applications.
    Head {
        organization: i64,
        budget: bool,
    },
    /// An employee reading budgets: themselves alone.
    Employee {
        user: i64,
        organization: i64,
    },
}

struct Case {
    name: &'static str,
    iin: Option<String>,
    role: Role,
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["id"].as_str().expect("id").parse().expect("numeric id"))
                .collect()
        })
        .unwrap_or_default()
}

fn id_of(v: &Value) -> Option<i64> {
    v.as_str()
        .or_else(|| v["id"].as_str())
        .map(|s| s.parse().expect("numeric id"))
}

fn nodes(v: &Value) -> Vec<Value> {
    v["edges"]
        .as_array()
        .map(|e| e.iter().map(|e| e["node"].clone()).collect())
        .unwrap_or_default()
}

fn refusal(v: &Value) -> String {
    code(v)
}

/// `field` (with `{}` for the id) asked for each of `ids`, a few per request under aliases:
/// each id's answer, failing on errors.
async fn each(server: &TestServer, name: &str, field: &str, ids: &[i64]) -> BTreeMap<i64, Value> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(25) {
        let fields: Vec<String> = chunk
            .iter()
            .map(|id| format!("a{id}: {}", field.replace("{}", &id.to_string())))
            .collect();
        let v = server
            .gql(&format!("{{ {} }}", fields.join(" ")), json!({}))
            .await;
        assert!(v["errors"].is_null(), "{name}: {v}");
        for id in chunk {
            out.insert(*id, v["data"][format!("a{id}")].clone());
        }
    }
    out
}

#[tokio::test]
async fn every_entity_follows_one_rule_on_every_path() {
    let t = TestDb::with_demo(1).await;
    let db = &t.db;
    // Thousands of reads per caller: no rate limit.
    let mut s = TestServer::start_with(db, common::without_rate_limit).await;
    let a = actors(db).await;
    let head_b = user_of(db, "REVISION_COMMISSION", "", true).await;
    let today = common::today();
    // The two applying heads read no budget data (their grants revoked before the server knows
    // them): their view of bodies is their own alone.
    let head_a_user = user_of(db, "MASLIKHAT", "110000000", true).await;
    let revoke = Query::update()
        .table("access_grants")
        .value("status", "REVOKED")
        .and_where(Expr::col("user_id").is_in([head_a_user.id, head_b.id]))
        .to_owned();
    db.execute(&revoke).await.expect("revoke");

    // Two bodies' applications granted, one employee trained, a block requested: every entity
    // has rows of more than one body.
    let mut granted = Vec::new();
    for (head, serials) in [(&a.head, vec![7001, 7002]), (&head_b.iin, vec![7101])] {
        let people: Vec<Value> = serials
            .iter()
            .map(|n| employee(&iin(*n), "Сейтқали"))
            .collect();
        let v = as_user(&mut s, head, SUBMIT, application(people)).await;
        let id = v["data"]["submitAccessApplication"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_owned();
        let v = as_user(
            &mut s,
            &a.reviewer,
            REVIEW,
            json!({ "id": id, "d": "APPROVE" }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let v = as_user(&mut s, &a.integrator, GRANT, json!({ "id": id })).await;
        for g in v["data"]["grantAccess"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
        {
            granted.push(g["user"]["id"].as_str().expect("user").to_owned());
        }
    }
    granted.dedup();
    let trained = granted[0].clone();
    let v = as_user(
        &mut s,
        &a.integrator,
        TRAIN,
        json!({ "u": trained, "on": today.to_string() }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    let leaving = granted[1].clone();
    let v = as_user(
        &mut s,
        &a.head,
        REQUEST_BLOCK,
        json!({ "u": leaving, "on": (today + chrono::Days::new(30)).to_string() }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    // An application still under review.
    let v = as_user(
        &mut s,
        &a.head,
        SUBMIT,
        application(vec![employee(&iin(7003), "Омаров")]),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");

    let national = user_of(db, "PARLIAMENT", "", true).await;
    grant_both_systems(db, national.id).await;
    let facts = Facts::read(db).await;
    let org_of = |user: i64| facts.users[&user];
    let trained_id: i64 = trained.parse().expect("id");
    let trained_iin: String = {
        #[derive(sqlx::FromRow)]
        struct Iin {
            iin: String,
        }
        let q = Query::select()
            .column("iin")
            .from("users")
            .and_where(Expr::col("id").eq(trained_id))
            .to_owned();
        db.optional::<Iin>(&q)
            .await
            .expect("iin")
            .expect("user")
            .iin
    };
    let cases = [
        Case {
            name: "anonymous",
            iin: None,
            role: Role::Anonymous,
        },
        Case {
            name: "authorized body",
            iin: Some(a.reviewer.clone()),
            role: Role::Administrator,
        },
        Case {
            name: "integrator",
            iin: Some(a.integrator.clone()),
            role: Role::Administrator,
        },
        Case {
            name: "maslikhat head without budget data",
            iin: Some(a.head.clone()),
            role: Role::Head {
                organization: org_of(head_a_user.id),
                budget: false,
            },
        },
        Case {
            name: "revision commission head without budget data",
            iin: Some(head_b.iin.clone()),
            role: Role::Head {
                organization: org_of(head_b.id),
                budget: false,
            },
        },
        Case {
            name: "Parliament head reading every budget",
            iin: Some(national.iin.clone()),
            role: Role::Head {
                organization: org_of(national.id),
                budget: true,
            },
        },
        Case {
            name: "maslikhat employee reading the region's budgets",
            iin: Some(trained_iin),
            role: Role::Employee {
                user: trained_id,
                organization: org_of(trained_id),
            },
        },
    ];

    let all_orgs: BTreeSet<i64> = facts.orgs.keys().copied().collect();
    for case in &cases {
        let name = case.name;
        let server = match &case.iin {
            Some(iin) => s.clone_as(iin),
            None => s.clone_as(&a.head).with_token(None),
        };
        let data = |v: &Value| -> Value {
            assert!(v["errors"].is_null(), "{name}: {v}");
            v["data"].clone()
        };

        // Organizations: the by-id answer for every body is the rule; every list and nested path
        // shows exactly those.
        let org_list = server.gql(ORGS, json!({})).await;
        if let Role::Anonymous = case.role {
            for (q, vars) in [
                (ORGS, json!({})),
                (ORG, json!({ "id": "1" })),
                (APPS, json!({})),
                (MEMBERSHIPS, json!({ "u": "1" })),
                (GRANTS, json!({ "u": "1" })),
                (TRAINING, json!({})),
                (BLOCKS, json!({})),
                (AUDIT, json!({})),
                (PEOPLE, json!({})),
                (CALENDAR, json!({})),
            ] {
                let v = server.gql(q, vars).await;
                assert_eq!(refusal(&v), "UNAUTHENTICATED", "{name}: {q}: {v}");
            }
            continue;
        }
        let listed: BTreeSet<i64> = nodes(&data(&org_list)["organizations"])
            .iter()
            .map(|n| id_of(&n["id"]).expect("id"))
            .collect();
        let every: Vec<i64> = all_orgs.iter().copied().collect();
        let by_id: BTreeSet<i64> = each(&server, name, ORG_FIELD, &every)
            .await
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(id, _)| id)
            .collect();
        assert_eq!(listed, by_id, "{name}: the list and by-id disagree");
        let visible = by_id;
        match case.role {
            Role::Administrator => assert_eq!(visible, all_orgs, "{name}: every body"),
            Role::Head {
                organization,
                budget: false,
            } => assert_eq!(
                visible,
                BTreeSet::from([organization]),
                "{name}: their own body alone"
            ),
            Role::Head { budget: true, .. } => assert_eq!(visible, all_orgs, "{name}"),
            Role::Employee { organization, .. } => {
                assert!(visible.contains(&organization), "{name}: own body");
                let region = &facts.kato[&organization][..2];
                assert!(
                    visible
                        .iter()
                        .all(|o| *o == organization || facts.kato[o].starts_with(region)),
                    "{name}: only the region's bodies"
                );
                assert!(visible.len() > 1, "{name}: the region's bodies");
            }
            Role::Anonymous => unreachable!(),
        }
        // A nested organization is shown exactly when the caller sees that body.
        let shown = |path: &str, expected: Option<i64>, got: &Value| {
            let got = id_of(got);
            let want = expected.filter(|o| visible.contains(o));
            assert_eq!(got, want, "{name}: {path}");
        };
        for n in nodes(&data(&org_list)["organizations"]) {
            let id = id_of(&n["id"]).expect("id");
            shown("Organization.parent", facts.orgs[&id], &n["parent"]);
        }
        let me = data(&server.gql(ME, json!({})).await);
        let my_id = id_of(&me["me"]["user"]["id"]).expect("me");
        shown(
            "Viewer.user.organization",
            Some(org_of(my_id)),
            &me["me"]["user"]["organization"],
        );
        assert_eq!(
            id_of(&me["me"]["organization"]),
            Some(org_of(my_id)),
            "{name}: me"
        );
        let objects = server.gql(OBJECTS, json!({})).await;
        if objects["errors"].is_null() {
            for n in nodes(&objects["data"]["informatizationObjects"]) {
                let (owner, possessor) = facts.objects[&id_of(&n["id"]).expect("id")];
                shown("InformatizationObject.owner", Some(owner), &n["owner"]);
                shown(
                    "InformatizationObject.possessor",
                    Some(possessor),
                    &n["possessor"],
                );
            }
        } else {
            assert_eq!(refusal(&objects), "FORBIDDEN", "{name}: {objects}");
        }

        // People: who the caller reads, and with them grants, memberships and training.
        let sees_person = |user: i64| match case.role {
            Role::Administrator => true,
            Role::Head { organization, .. } => facts.users[&user] == organization,
            Role::Employee { user: me, .. } => user == me,
            Role::Anonymous => false,
        };
        let sees_membership = |user: i64, organization: i64| match case.role {
            Role::Administrator => true,
            Role::Head {
                organization: own, ..
            } => organization == own,
            Role::Employee { user: me, .. } => user == me,
            Role::Anonymous => false,
        };
        let check_grant = |path: &str, g: &Value| {
            let id = id_of(&g["id"]).expect("grant id");
            let holder = facts.grants[&id];
            assert!(sees_person(holder), "{name}: {path} shows another's grant");
            assert_eq!(id_of(&g["user"]["id"]), Some(holder), "{name}: {path}");
            shown(
                &format!("{path}.user.organization"),
                Some(org_of(holder)),
                &g["user"]["organization"],
            );
        };
        for g in me["me"]["grants"].as_array().expect("grants") {
            assert_eq!(id_of(&g["user"]["id"]), Some(my_id), "{name}: own grants");
        }
        let people: Vec<i64> = facts.users.keys().copied().collect();
        let histories = each(&server, name, GRANTS_FIELD, &people).await;
        let memberships = each(&server, name, MEMBERSHIPS_FIELD, &people).await;
        for user in &people {
            let history = &histories[user];
            let got: BTreeSet<i64> = ids(history).into_iter().collect();
            let want: BTreeSet<i64> = facts
                .grants
                .iter()
                .filter(|(_, u)| *u == user && sees_person(**u))
                .map(|(g, _)| *g)
                .collect();
            assert_eq!(got, want, "{name}: grantHistory of user {user}");
            for g in history.as_array().expect("grants") {
                check_grant("grantHistory", g);
            }
            let members = &memberships[user];
            let got: BTreeSet<i64> = ids(members).into_iter().collect();
            let want: BTreeSet<i64> = facts
                .memberships
                .iter()
                .filter(|(_, (u, o))| u == user && sees_membership(*u, *o))
                .map(|(m, _)| *m)
                .collect();
            assert_eq!(got, want, "{name}: membershipHistory of user {user}");
            for m in members.as_array().expect("memberships") {
                let (_, o) = facts.memberships[&id_of(&m["id"]).expect("id")];
                shown("Membership.organization", Some(o), &m["organization"]);
            }
        }
        for g in data(&server.gql(EXPIRING, json!({})).await)["expiringGrants"]
            .as_array()
            .expect("grants")
        {
            check_grant("expiringGrants", g);
        }
        let got: BTreeSet<i64> =
            ids(&data(&server.gql(TRAINING, json!({})).await)["trainingReports"])
                .into_iter()
                .collect();
        let want: BTreeSet<i64> = facts
            .trainings
            .iter()
            .filter(|(_, u)| sees_person(**u))
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(got, want, "{name}: trainingReports");
        for r in data(&server.gql(TRAINING, json!({})).await)["trainingReports"]
            .as_array()
            .expect("reports")
        {
            assert_eq!(
                id_of(&r["user"]),
                id_of(&r["userId"]),
                "{name}: TrainingReport.user"
            );
        }

        // The people list, a person by id and each person's training history follow the
        // same rule as the histories above.
        let listed: BTreeSet<i64> = nodes(&data(&server.gql(PEOPLE, json!({})).await)["people"])
            .iter()
            .map(|n| id_of(&n["id"]).expect("id"))
            .collect();
        let by_id: BTreeSet<i64> = each(&server, name, USER_FIELD, &people)
            .await
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(id, _)| id)
            .collect();
        let want: BTreeSet<i64> = people.iter().copied().filter(|u| sees_person(*u)).collect();
        assert_eq!(listed, want, "{name}: people");
        assert_eq!(by_id, want, "{name}: user(id)");
        let trainings = each(&server, name, TRAININGS_FIELD, &people).await;
        for user in &people {
            let got: BTreeSet<i64> = ids(&trainings[user]).into_iter().collect();
            let want: BTreeSet<i64> = facts
                .trainings
                .iter()
                .filter(|(_, u)| *u == user && sees_person(**u))
                .map(|(t, _)| *t)
                .collect();
            assert_eq!(got, want, "{name}: trainingHistory of user {user}");
        }

        // Block requests and audit events: a body's own, or every body's for the administrators.
        let own_body = match case.role {
            Role::Administrator => None,
            Role::Head { organization, .. } => Some(Some(organization)),
            Role::Employee { .. } | Role::Anonymous => Some(None),
        };
        let blocks = server.gql(BLOCKS, json!({})).await;
        let audit = server.gql(AUDIT, json!({})).await;
        match own_body {
            Some(None) => {
                assert_eq!(refusal(&blocks), "FORBIDDEN", "{name}: {blocks}");
                assert_eq!(refusal(&audit), "FORBIDDEN", "{name}: {audit}");
                let mine = format!("{{ {} }}", BLOCKS_FIELD.replace("{}", &my_id.to_string()));
                let v = server.gql(&mine, json!({})).await;
                assert_eq!(refusal(&v), "FORBIDDEN", "{name}: {v}");
            }
            _ => {
                let got: BTreeSet<i64> = ids(&data(&blocks)["pendingBlockRequests"])
                    .into_iter()
                    .collect();
                let want: BTreeSet<i64> = facts
                    .pending_blocks
                    .iter()
                    .filter(|(_, o)| own_body.flatten().is_none_or(|own| own == **o))
                    .map(|(b, _)| *b)
                    .collect();
                assert_eq!(got, want, "{name}: pendingBlockRequests");
                for b in data(&blocks)["pendingBlockRequests"]
                    .as_array()
                    .expect("blocks")
                {
                    let user = id_of(&b["userId"]).expect("user");
                    let shown_user = id_of(&b["user"]);
                    assert_eq!(
                        shown_user,
                        Some(user).filter(|u| sees_person(*u)),
                        "{name}: BlockRequest.user"
                    );
                }
                let histories = each(&server, name, BLOCKS_FIELD, &people).await;
                for user in &people {
                    let got: BTreeSet<i64> = ids(&histories[user]).into_iter().collect();
                    let want: BTreeSet<i64> = facts
                        .blocks
                        .iter()
                        .filter(|(_, (u, o))| {
                            u == user && own_body.flatten().is_none_or(|own| own == *o)
                        })
                        .map(|(b, _)| *b)
                        .collect();
                    assert_eq!(got, want, "{name}: blockRequestHistory of user {user}");
                }
                let events = nodes(&data(&audit)["auditEvents"]);
                assert!(!events.is_empty(), "{name}: audit events");
                let bodies: BTreeSet<Option<i64>> =
                    events.iter().map(|e| id_of(&e["organizationId"])).collect();
                match own_body.flatten() {
                    Some(own) => assert_eq!(bodies, BTreeSet::from([Some(own)]), "{name}"),
                    None => assert!(bodies.len() > 2, "{name}: every body's events"),
                }
            }
        }

        // Applications: every one for the administrators, a head's own body's; their nested
        // organizations, registrations and grants follow the rules above.
        let apps = server.gql(APPS, json!({})).await;
        if let Role::Employee { .. } = case.role {
            assert_eq!(refusal(&apps), "FORBIDDEN", "{name}: {apps}");
            let first = facts.applications.keys().next().expect("an application");
            let one = format!("{{ {} }}", APP_FIELD.replace("{}", &first.to_string()));
            let v = server.gql(&one, json!({})).await;
            assert_eq!(refusal(&v), "FORBIDDEN", "{name}: {v}");
        } else {
            let apps = nodes(&data(&apps)["accessApplications"]);
            let got: BTreeSet<i64> = apps.iter().map(|n| id_of(&n["id"]).expect("id")).collect();
            let want: BTreeSet<i64> = facts
                .applications
                .iter()
                .filter(|(_, o)| match case.role {
                    Role::Head { organization, .. } => **o == organization,
                    _ => true,
                })
                .map(|(a, _)| *a)
                .collect();
            assert_eq!(got, want, "{name}: accessApplications");
            let every: Vec<i64> = facts.applications.keys().copied().collect();
            let by_id: BTreeSet<i64> = each(&server, name, APP_FIELD, &every)
                .await
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(id, _)| id)
                .collect();
            assert_eq!(by_id, want, "{name}: accessApplication(id)");
            for n in &apps {
                let app = id_of(&n["id"]).expect("id");
                shown(
                    "AccessApplication.organization",
                    Some(facts.applications[&app]),
                    &n["organization"],
                );
                for e in n["employees"].as_array().expect("employees") {
                    if let Some(user) = id_of(&e["userId"]) {
                        shown(
                            "ApplicationEmployee.registeredAt",
                            Some(org_of(user)),
                            &e["registeredAt"],
                        );
                    }
                    for g in e["currentGrants"].as_array().expect("grants") {
                        check_grant("ApplicationEmployee.currentGrants", g);
                    }
                }
            }
        }

        // The calendar is the same for every authenticated caller.
        let calendar = data(&server.gql(CALENDAR, json!({})).await);
        let reference = s.clone_as(&a.integrator).data(CALENDAR, json!({})).await;
        assert_eq!(calendar, reference, "{name}: calendar");
    }
}
