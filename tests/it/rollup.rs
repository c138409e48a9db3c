//! Property: every budget summary a rollup answers (`budget_rollup`, and the narrower
//! `budget_region_rollup` for national scopes) equals the sum of the amount rows themselves, for
//! random scopes × random filters × random groupings, after a seed, after imports that add and
//! overwrite amounts, and after an import that is refused.

use crate::common;

use audit_hub::authz::Scope;
use audit_hub::authz::scope::Reach;
use audit_hub::domain::budget::{BudgetLevel, BudgetPhase, InformationSystem};
use audit_hub::store::budget::{self, AggregateRow, BudgetDimension, SummarySource};
use audit_hub::store::filter::BudgetLineFilter;
use chrono::NaiveDate;
use common::TestDb;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_query::{Expr, ExprTrait, Func, Query};

/// Random (scope, filter, grouping) cases checked after each stage.
const CASES: usize = 150;

const ADMINISTRATORS: [&str; 8] = ["201", "225", "252", "352", "110", "120", "217", "999"];

#[derive(sqlx::FromRow)]
struct Kato {
    kato: String,
}

async fn katos(t: &TestDb) -> Vec<String> {
    let q = Query::select()
        .column("kato")
        .from("territories")
        .to_owned();
    t.db.all::<Kato>(&q)
        .await
        .expect("territories")
        .into_iter()
        .map(|k| k.kato)
        .collect()
}

fn subset<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> Vec<T> {
    items
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.4))
        .collect()
}

fn random_scope(rng: &mut ChaCha8Rng, katos: &[String]) -> Scope {
    let reaches = (0..rng.random_range(1..=2))
        .map(|_| match rng.random_range(0..4) {
            0 => Reach::All,
            1 => Reach::LocalBudgets {
                kato: katos.choose(rng).expect("territory").clone(),
            },
            2 => Reach::RepublicanAdministrator {
                code: ADMINISTRATORS.choose(rng).expect("code").to_string(),
            },
            _ => Reach::RegionalAdministrators {
                region: format!(
                    "{:02}0000000",
                    [11, 35, 71, 75].choose(rng).expect("region")
                ),
                codes: subset(rng, &ADMINISTRATORS)
                    .into_iter()
                    .map(str::to_owned)
                    .chain(["252".to_owned()])
                    .collect(),
            },
        })
        .collect();
    let systems = match rng.random_range(0..3) {
        0 => vec![InformationSystem::AnalyticsCenter],
        1 => vec![InformationSystem::StatePlanning],
        _ => InformationSystem::ALL.to_vec(),
    };
    Scope::new(reaches, systems, None).expect("non-empty scope")
}

/// A filter over the columns the rollup keeps (`narrow`: the region rollup), nested up to
/// `depth` more levels.
fn random_filter(
    rng: &mut ChaCha8Rng,
    katos: &[String],
    depth: usize,
    narrow: bool,
) -> BudgetLineFilter {
    let mut f = BudgetLineFilter::default();
    if rng.random_bool(0.4) {
        f.years = Some(subset(rng, &[2023, 2024, 2025, 2026]));
    }
    if rng.random_bool(0.3) {
        f.levels = Some(subset(rng, BudgetLevel::ALL));
    }
    if !narrow && rng.random_bool(0.3) {
        let kato = katos.choose(rng).expect("territory");
        f.kato_prefix = Some(kato[..rng.random_range(1..=9)].to_owned());
    }
    if !narrow && rng.random_bool(0.3) {
        f.administrators = Some(
            subset(rng, &ADMINISTRATORS)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        );
    }
    if rng.random_bool(0.3) {
        f.phases = Some(subset(rng, BudgetPhase::ALL));
    }
    if rng.random_bool(0.3) {
        let (year, month) = (rng.random_range(2024..=2026), rng.random_range(1..=12));
        let next = NaiveDate::from_ymd_opt(year + i32::from(month == 12), month % 12 + 1, 1)
            .expect("date");
        f.as_of = Some(next.pred_opt().expect("month end"));
    }
    if depth > 0 && rng.random_bool(0.3) {
        let n = rng.random_range(0..=2);
        f.and = Some(
            (0..n)
                .map(|_| random_filter(rng, katos, depth - 1, narrow))
                .collect(),
        );
    }
    if depth > 0 && rng.random_bool(0.3) {
        let n = rng.random_range(0..=2);
        f.or = Some(
            (0..n)
                .map(|_| random_filter(rng, katos, depth - 1, narrow))
                .collect(),
        );
    }
    if depth > 0 && rng.random_bool(0.2) {
        f.not = Some(Box::new(random_filter(rng, katos, depth - 1, narrow)));
    }
    f
}

fn random_grouping(rng: &mut ChaCha8Rng, narrow: bool) -> Vec<BudgetDimension> {
    let all = [
        BudgetDimension::Year,
        BudgetDimension::Level,
        BudgetDimension::Region,
        BudgetDimension::Phase,
        BudgetDimension::Territory,
        BudgetDimension::Administrator,
    ];
    let dims = if narrow { &all[..4] } else { &all[..] };
    (0..rng.random_range(0..=3))
        .map(|_| *dims.choose(rng).expect("dimension"))
        .collect()
}

/// Amount rows whose copy of their line's group keys differs from the line (must be none).
async fn amounts_off_their_line(t: &TestDb) -> i64 {
    let differs = ["year", "level", "kato", "administrator"]
        .into_iter()
        .fold(sea_query::Condition::any(), |c, k| {
            c.add(Expr::col(("a", k)).ne(Expr::col(("l", k))))
        });
    let q = Query::select()
        .expr(Func::count(Expr::col(("a", "id"))))
        .from_as("budget_amounts", "a")
        .inner_join(
            sea_query::TableRef::Table("budget_lines".into(), Some("l".into())),
            Expr::col(("l", "id")).equals(("a", "line_id")),
        )
        .cond_where(differs)
        .to_owned();
    t.db.scalar_i64(&q).await.expect("count")
}

/// Counts of the cases checked at one stage.
#[derive(Default)]
struct Checked {
    /// Cases with at least one group.
    non_empty: usize,
    /// Cases the region rollup answered too (and agreed).
    by_region: usize,
}

/// Checks `CASES` random summaries against every rollup that answers them.
async fn rollup_agrees_with_amounts(t: &TestDb, rng: &mut ChaCha8Rng, stage: &str) -> Checked {
    assert_eq!(
        amounts_off_their_line(t).await,
        0,
        "{stage}: amounts carry their line's keys"
    );
    let katos = katos(t).await;
    let mut checked = Checked::default();
    for case in 0..CASES {
        // A third of the cases are national dashboards, the region rollup's own ground.
        let narrow = rng.random_bool(0.35);
        let scope = if narrow {
            let systems = random_scope(rng, &katos).systems().clone();
            Scope::new(vec![Reach::All], systems, None).expect("national scope")
        } else {
            random_scope(rng, &katos)
        };
        let filter = rng
            .random_bool(0.8)
            .then(|| random_filter(rng, &katos, 2, narrow));
        let group_by = random_grouping(rng, narrow);
        assert!(
            SummarySource::Rollup.answers(&scope, &group_by, filter.as_ref()),
            "the generated cases must be ones the rollup answers"
        );
        let sum = |source| budget::summary_from(&t.db, &scope, &group_by, filter.as_ref(), source);
        let amounts: Vec<AggregateRow> = sum(SummarySource::Amounts).await.expect("amounts");
        let mut sources = vec![SummarySource::Rollup];
        if SummarySource::RegionRollup.answers(&scope, &group_by, filter.as_ref()) {
            sources.push(SummarySource::RegionRollup);
            checked.by_region += 1;
        } else {
            assert!(!narrow, "a national case the region rollup refused");
        }
        for source in sources {
            let rolled: Vec<AggregateRow> = sum(source).await.expect("rollup");
            assert_eq!(
                rolled, amounts,
                "{stage}, case {case}, {source:?}: {scope:?} grouped by {group_by:?} filtered by {filter:?}"
            );
        }
        checked.non_empty += usize::from(!amounts.is_empty());
    }
    checked
}

/// Rows into existing demo groups and new ones, some overwriting each other within the file.
fn import_csv(rng: &mut ChaCha8Rng, amount_offset: i64) -> String {
    let mut csv = String::from(
        "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n",
    );
    for i in 0..300 {
        let (level, kato) = *[
            ("REPUBLICAN", "000000000"),
            ("REGIONAL", "350000000"),
            ("REGIONAL", "710000000"),
            ("REGIONAL", "110000000"),
        ]
        .choose(rng)
        .expect("budget");
        let phase = BudgetPhase::ALL.choose(rng).expect("phase").as_str();
        let as_of = if phase == "EXECUTED" {
            *["2025-06-30", "2026-03-31"].choose(rng).expect("date")
        } else {
            ""
        };
        let year = if as_of.is_empty() {
            rng.random_range(2024..=2026)
        } else {
            as_of[..4].parse().expect("year")
        };
        csv.push_str(&format!(
            "{year},{level},{kato},{},{:03},,,01,{phase},{as_of},{}.5\n",
            ADMINISTRATORS.choose(rng).expect("administrator"),
            i % 40 + 1,
            i64::from(i) * 7 + amount_offset,
        ));
    }
    csv
}

#[tokio::test]
async fn rollup_summaries_equal_sums_of_amounts() {
    let t = TestDb::with_demo(1).await;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut stages = vec![rollup_agrees_with_amounts(&t, &mut rng, "after the seed").await];

    let first = import_csv(&mut rng, 0);
    audit_hub::import::budget_csv::import(&t.db, first.as_bytes())
        .await
        .expect("first import");
    stages.push(rollup_agrees_with_amounts(&t, &mut rng, "after an import").await);

    // The same lines again with other amounts: upserts replace, the rollup must follow.
    let mut replay = ChaCha8Rng::seed_from_u64(99);
    let second = import_csv(&mut replay, 1_000_000);
    audit_hub::import::budget_csv::import(&t.db, second.as_bytes())
        .await
        .expect("second import");
    stages.push(rollup_agrees_with_amounts(&t, &mut rng, "after overwriting amounts").await);

    let national = |t: &TestDb| {
        let db = t.db.clone();
        async move {
            budget::summary_from(
                &db,
                &common::national_scope(),
                &[
                    BudgetDimension::Year,
                    BudgetDimension::Territory,
                    BudgetDimension::Administrator,
                    BudgetDimension::Phase,
                ],
                None,
                SummarySource::Rollup,
            )
            .await
            .expect("national summary")
        }
    };
    let before = national(&t).await;
    let refused = format!(
        "{}2026,REGIONAL,350000000,252,001,,,01,APPROVED,,not-a-number\n",
        import_csv(&mut rng, 5)
    );
    audit_hub::import::budget_csv::import(&t.db, refused.as_bytes())
        .await
        .expect_err("a bad row refuses the whole file");
    assert_eq!(
        national(&t).await,
        before,
        "a refused import changes no sum"
    );
    stages.push(rollup_agrees_with_amounts(&t, &mut rng, "after a refused import").await);

    // The cases must mostly find data, not agree on nothing, and the region rollup must have
    // been held against the amounts at every stage.
    let non_empty: usize = stages.iter().map(|c| c.non_empty).sum();
    assert!(
        non_empty >= CASES * 4 / 3,
        "only {non_empty} non-empty summaries"
    );
    for (i, c) in stages.iter().enumerate() {
        assert!(
            c.by_region >= CASES / 5,
            "stage {i}: {} region cases",
            c.by_region
        );
    }
}

#[tokio::test]
async fn summaries_by_classification_codes_read_the_amounts() {
    let cases: [(&str, Vec<BudgetDimension>, BudgetLineFilter, SummarySource); 6] = [
        (
            "grouped by program",
            vec![BudgetDimension::Program],
            BudgetLineFilter::default(),
            SummarySource::Amounts,
        ),
        (
            "filtered by functional group inside an or",
            vec![BudgetDimension::Year],
            BudgetLineFilter {
                or: Some(vec![BudgetLineFilter {
                    functional_groups: Some(vec!["01".into()]),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            SummarySource::Amounts,
        ),
        (
            "grouped by region and phase, filtered by year and as-of date",
            vec![BudgetDimension::Region, BudgetDimension::Phase],
            BudgetLineFilter {
                years: Some(vec![2025]),
                as_of: Some(NaiveDate::from_ymd_opt(2025, 6, 30).expect("date")),
                ..Default::default()
            },
            SummarySource::RegionRollup,
        ),
        (
            "grouped by administrator",
            vec![BudgetDimension::Administrator],
            BudgetLineFilter::default(),
            SummarySource::Rollup,
        ),
        (
            "filtered by territory prefix inside an or",
            vec![BudgetDimension::Region],
            BudgetLineFilter {
                or: Some(vec![BudgetLineFilter {
                    kato_prefix: Some("35".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            SummarySource::Rollup,
        ),
        (
            "filtered by specific under not",
            vec![],
            BudgetLineFilter {
                not: Some(Box::new(BudgetLineFilter {
                    specifics: Some(vec!["111".into()]),
                    ..Default::default()
                })),
                ..Default::default()
            },
            SummarySource::Amounts,
        ),
    ];
    let t = TestDb::with_reference().await;
    for (name, group_by, filter, expected) in cases {
        assert_eq!(
            SummarySource::for_query(&common::national_scope(), &group_by, Some(&filter)),
            expected,
            "{name}"
        );
        if expected == SummarySource::Amounts {
            let refused = budget::summary_from(
                &t.db,
                &common::national_scope(),
                &group_by,
                Some(&filter),
                SummarySource::Rollup,
            )
            .await;
            assert!(refused.is_err(), "{name}: the rollup must refuse");
        }
        if expected != SummarySource::RegionRollup {
            let refused = budget::summary_from(
                &t.db,
                &common::national_scope(),
                &group_by,
                Some(&filter),
                SummarySource::RegionRollup,
            )
            .await;
            assert!(refused.is_err(), "{name}: the region rollup must refuse");
        }
    }

    // The region rollup has no territory or administrator: a scope whose predicate needs them
    // (a maslikhat's local budgets, a police department's administrators) reads the wider one.
    // The same reach beside a national one restricts nothing (the scope is their union), so
    // there the region rollup answers, with the same sums as the amounts.
    let local = [
        Reach::LocalBudgets {
            kato: "350000000".into(),
        },
        Reach::RegionalAdministrators {
            region: "350000000".into(),
            codes: vec!["252".into()],
        },
    ];
    let group_by = [BudgetDimension::Region, BudgetDimension::Phase];
    for reach in local {
        let alone =
            Scope::new(vec![reach.clone()], InformationSystem::ALL.to_vec(), None).expect("scope");
        assert_eq!(
            SummarySource::for_query(&alone, &group_by, None),
            SummarySource::Rollup,
            "{alone:?}"
        );
        let refused =
            budget::summary_from(&t.db, &alone, &group_by, None, SummarySource::RegionRollup).await;
        assert!(refused.is_err(), "{alone:?}: the region rollup must refuse");

        let widened = Scope::new(
            vec![reach, Reach::All],
            InformationSystem::ALL.to_vec(),
            None,
        )
        .expect("scope");
        assert_eq!(
            SummarySource::for_query(&widened, &group_by, None),
            SummarySource::RegionRollup,
            "{widened:?}"
        );
        let from_rollup = budget::summary_from(
            &t.db,
            &widened,
            &group_by,
            None,
            SummarySource::RegionRollup,
        )
        .await
        .expect("region rollup");
        let from_amounts =
            budget::summary_from(&t.db, &widened, &group_by, None, SummarySource::Amounts)
                .await
                .expect("amounts");
        assert_eq!(from_rollup, from_amounts, "{widened:?}");
    }
}
