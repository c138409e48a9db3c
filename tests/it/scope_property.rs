//! Property: for random budget rows and random callers, the rows the compiled SQL filter returns
//! are exactly those Casbin's own per-row decision (`policies/row_model.conf` over the same
//! `policy.csv`) allows.

use crate::common;

use std::collections::BTreeSet;

use audit_hub::authz::policy::Policy;
use audit_hub::authz::principal::Principal;
use audit_hub::domain::budget::InformationSystem;
use audit_hub::domain::territory::{region_of, scope_prefix};
use audit_hub::store::budget::{self, BudgetLineRow};
use audit_hub::store::grants::GrantRow;
use audit_hub::store::orgs::{self, OrgRow};
use audit_hub::store::page::PageRequest;
use audit_hub::store::positional::Reads;
use audit_hub::store::users::UserRow;
use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use common::TestDb;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_query::Query;

const ROWS: usize = 800;
const PRINCIPALS: usize = 100;

#[derive(sqlx::FromRow)]
struct Kato {
    kato: String,
}

/// Random rows over every level, real and unknown territories, and administrators that matter
/// to some scope (201, 225, 252, 352, ...) or to none.
async fn random_rows(t: &TestDb, rng: &mut ChaCha8Rng) -> String {
    let q = Query::select()
        .column("kato")
        .from("territories")
        .to_owned();
    let katos: Vec<String> =
        t.db.all::<Kato>(&q)
            .await
            .expect("territories")
            .into_iter()
            .map(|k| k.kato)
            .collect();
    // Weighted towards the republic and the regions, where the administrator-based scopes act.
    let regions: Vec<&String> = katos
        .iter()
        .filter(|k| region_of(k).as_deref() == Some(k.as_str()))
        .collect();
    let admins = [
        "201", "225", "252", "352", "110", "120", "217", "464", "124", "999",
    ];
    let phases = [
        "REQUESTED",
        "APPROVED",
        "SPECIFIED",
        "CORRECTED",
        "EXECUTED",
    ];
    let mut csv = String::from(
        "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n",
    );
    for i in 0..ROWS {
        let kato = match rng.random_range(0..10) {
            0..=1 => "000000000".to_owned(),
            2..=5 => regions[rng.random_range(0..regions.len())].clone(),
            _ => katos[rng.random_range(0..katos.len())].clone(),
        };
        let level = if kato == "000000000" {
            "REPUBLICAN"
        } else if region_of(&kato).as_deref() == Some(kato.as_str()) {
            "REGIONAL"
        } else if kato[6..] == *"000" && kato[4..6] == *"00" {
            "DISTRICT"
        } else {
            "RURAL"
        };
        // City districts have no budget of their own: use them as district rows anyway, the
        // filter must still agree with Casbin on them.
        let phase = phases[rng.random_range(0..phases.len())];
        let as_of = if phase == "EXECUTED" {
            "2025-06-30"
        } else {
            ""
        };
        let admin = admins[rng.random_range(0..admins.len())];
        csv.push_str(&format!(
            "2025,{level},{kato},{admin},{:03},,,01,{phase},{as_of},{}.5\n",
            i % 900 + 1,
            i
        ));
    }
    csv
}

fn row_enforcer_request(row: &BudgetLineRow, p: &Principal, subject: &str) -> Vec<String> {
    let org = &p.organization;
    let systems: Vec<&str> = p.active_systems().iter().map(|s| s.as_str()).collect();
    vec![
        subject.to_owned(),
        "budget".into(),
        "read".into(),
        row.level.as_str().into(),
        row.kato.clone(),
        row.administrator.clone(),
        row.phase.system().as_str().into(),
        format!("{}*", scope_prefix(&org.kato)),
        region_of(&org.kato).unwrap_or_default(),
        org.administrator.clone().unwrap_or_default(),
        systems.join(" "),
        org.audit_excluded.to_string(),
    ]
}

fn principal(org: &OrgRow, systems: &[InformationSystem], head: bool) -> Principal {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let user = UserRow {
        id: 1,
        iin: "000000000000".into(),
        surname: "Test".into(),
        name: "User".into(),
        patronymic: None,
        position: "Auditor".into(),
        structural_unit: "Audit".into(),
        phone: None,
        email: None,
        organization_id: org.id,
        is_head: head,
        status: audit_hub::domain::identity::UserStatus::Active,
        blocked_at: None,
    };
    let grants = systems
        .iter()
        .enumerate()
        .map(|(i, s)| GrantRow {
            id: i as i64 + 1,
            user_id: 1,
            system: *s,
            valid_from: today - chrono::Days::new(10),
            valid_until: today + chrono::Days::new(100),
            status: audit_hub::domain::grant::GrantState::Active,
        })
        .collect();
    Principal {
        user,
        organization: org.clone(),
        grants,
        trained_on: Some(today - chrono::Days::new(5)),
        today,
    }
}

#[tokio::test]
async fn sql_filter_agrees_with_casbin_row_by_row() {
    let t = TestDb::with_reference().await;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let csv = random_rows(&t, &mut rng).await;
    audit_hub::import::budget_csv::import(&t.db, csv.as_bytes())
        .await
        .expect("import random rows");
    let all_rows = budget::list_lines(
        &t.db,
        &common::national_scope(),
        None,
        PageRequest {
            first: 100_000,
            after: None,
        },
        Reads::all(),
    )
    .await
    .expect("all rows")
    .items;
    assert_eq!(all_rows.len(), ROWS);

    let policy = Policy::load(None).await.expect("policy");
    let model = DefaultModel::from_str(include_str!("../../policies/row_model.conf"))
        .await
        .expect("row model");
    let rules = StringAdapter::new(include_str!("../../policies/policy.csv").to_owned());
    let oracle = Enforcer::new(model, rules).await.expect("row enforcer");
    let orgs = orgs::list(
        &t.db,
        &audit_hub::authz::permissions::OrgRows::All,
        None,
        PageRequest {
            first: 10_000,
            after: None,
        },
    )
    .await
    .expect("orgs")
    .items;

    let system_sets: [&[InformationSystem]; 4] = [
        &[],
        &[InformationSystem::AnalyticsCenter],
        &[InformationSystem::StatePlanning],
        &[
            InformationSystem::AnalyticsCenter,
            InformationSystem::StatePlanning,
        ],
    ];
    let (mut decisions, mut allowed_total, mut principals_with_access) = (0usize, 0usize, 0usize);
    // Every oversight body once with both systems (and the rest of the organizations by chance),
    // then random organizations and system sets.
    let mut cases: Vec<(usize, usize)> = (0..orgs.len())
        .filter(|i| orgs[*i].kind.is_oversight_body())
        .map(|i| (i, 3))
        .collect();
    cases
        .extend((0..PRINCIPALS).map(|_| (rng.random_range(0..orgs.len()), rng.random_range(0..4))));
    for (org_index, systems_index) in cases {
        let org = &orgs[org_index];
        let p = principal(org, system_sets[systems_index], rng.random_bool(0.5));
        let db = &t.db;
        let read = |scope, first, after| async move {
            budget::list_lines(db, &scope, None, PageRequest { first, after }, Reads::all())
                .await
                .expect("scoped rows")
                .items
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<i64>>()
        };
        let sql: BTreeSet<i64> = match p.scope(&policy) {
            Ok(scope) => {
                // Read whole, then again: the second read's statement is the one remembered for
                // this scope (`store::memo`), shared with every principal of an equal scope
                // before it. Then in two pages, the second after a cursor bound to the
                // statement remembered for later pages of this scope.
                let whole = read(scope.clone(), 100_000, None).await;
                assert_eq!(
                    read(scope.clone(), 100_000, None).await,
                    whole,
                    "a remembered statement's rows"
                );
                let mut paged = read(scope.clone(), 3, None).await;
                if let Some(&last) = paged.last() {
                    paged.extend(read(scope, 100_000, Some(last)).await);
                }
                assert_eq!(paged, whole, "the same rows in two pages");
                whole.into_iter().collect()
            }
            Err(_) => BTreeSet::new(),
        };
        let mut casbin = BTreeSet::new();
        for row in &all_rows {
            decisions += 1;
            let allowed = p.subjects().iter().any(|s| {
                oracle
                    .enforce(row_enforcer_request(row, &p, s))
                    .expect("enforce")
            });
            if allowed {
                casbin.insert(row.id);
            }
        }
        allowed_total += casbin.len();
        principals_with_access += usize::from(!casbin.is_empty());
        assert_eq!(
            sql,
            casbin,
            "{} ({}, kato {}, administrator {:?}) with {:?}: SQL and Casbin disagree",
            org.name_en.as_deref().unwrap_or(&org.name_ru),
            org.kind,
            org.kato,
            org.administrator,
            system_sets[systems_index]
        );
    }
    // The cases must exercise both outcomes, not agree on "nothing".
    assert!(decisions >= 50_000, "{decisions} decisions");
    assert!(
        allowed_total > 1_000 && principals_with_access > 50,
        "{allowed_total} allowed, {principals_with_access} principals"
    );
    eprintln!("{decisions} row decisions, {allowed_total} allowed, zero disagreements");
}
