//! Deterministic synthetic demo data: three years of budgets at every level and phase,
//! informatization objects with lifecycle history, funding lines and documents.
//!
//! `--scale 1` gives about 100 000 amount rows; the number of budget lines (and so of amounts
//! and objects) grows linearly with the scale.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_query::Value;
use sha2::{Digest, Sha256};

use super::pdf;
use super::reference::{
    self, CENTRAL_BODIES, DISTRICT_ADMINISTRATORS, REGIONAL_ADMINISTRATORS, Reference, SPECIFICS,
};
use crate::domain::budget::{BudgetLevel, BudgetPhase};
use crate::domain::object::{
    AccessLevel, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage, ObjectKind,
};
use crate::domain::org::BodyKind;
use crate::domain::territory::region_of;
use crate::error::AppResult;
use crate::store::Tx;
use crate::store::budget::{AMOUNT_COLUMNS, LineKey};
use crate::store::bulk::{insert_rows, resync_identity};
use crate::store::schema::{
    AccessGrants, BudgetAmounts, BudgetLines, BudgetPrograms, Documents, InformatizationObjects,
    ObjectFunding, ObjectStageHistory, TrainingRecords,
};

/// The budget years generated.
pub const YEARS: [i32; 3] = [2024, 2025, 2026];
/// Execution is reported monthly up to and including this month of the last year.
const LAST_EXECUTED_MONTH_OF_LAST_YEAR: u32 = 10;
/// Informatization objects per unit of scale.
const OBJECTS_PER_SCALE: usize = 150;

/// What the demo seed created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Budget lines.
    pub lines: usize,
    /// Amount rows.
    pub amounts: usize,
    /// Informatization objects.
    pub objects: usize,
    /// Documents.
    pub documents: usize,
    /// Grants given to demo users.
    pub grants: usize,
}

/// Program codes have three digits: past 999 programs in a slot (a republican slot from scale
/// 150), lines go on under the same programs with a subprogram of their own.
const MAX_PROGRAM: usize = 999;

/// The program of a slot's `j`-th line: three lines per program (told apart by their specific).
fn demo_program(j: usize) -> String {
    format!("{:03}", 1 + j / 3 % MAX_PROGRAM)
}

/// The specific of a slot's `j`-th line: the three lines of a program have three different ones.
fn demo_specific(j: usize) -> &'static str {
    SPECIFICS[(j % 3 + 3 * (j / 3 % 3)) % SPECIFICS.len()].0
}

/// The subprogram of a slot's `j`-th line: none or 015 while programs last (every scale up to
/// 149 seeds exactly what it always did); 101, 102, ... for each later round of the programs.
fn demo_subprogram(j: usize) -> String {
    match j / 3 / MAX_PROGRAM {
        0 if j.is_multiple_of(2) => String::new(),
        0 => "015".to_owned(),
        round => format!("{:03}", 100 + round),
    }
}

fn lines_per_slot(level: BudgetLevel) -> usize {
    match level {
        BudgetLevel::Republican => 20,
        BudgetLevel::Regional => 8,
        BudgetLevel::District => 2,
        BudgetLevel::Rural => 1,
    }
}

fn functional_group(code: &str) -> &'static str {
    if matches!(code, "252" | "352" | "201") {
        return "03";
    }
    CENTRAL_BODIES
        .iter()
        .map(|(c, _, _, _, g)| (*c, *g))
        .chain(REGIONAL_ADMINISTRATORS.iter().map(|(c, _, _, g)| (*c, *g)))
        .chain(DISTRICT_ADMINISTRATORS.iter().map(|(c, _, _, g)| (*c, *g)))
        .find(|(c, _)| *c == code)
        .map(|(_, g)| g)
        .unwrap_or("01")
}

fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

fn scaled(base: i64, rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    base * rng.random_range(lo..=hi) / 100
}

/// Slot of the budget system: one administrator of one budget.
type Slot = (BudgetLevel, String, String);

/// Inserts demo budgets, objects and documents on top of `reference`.
pub async fn insert(
    tx: &mut Tx,
    reference: &Reference,
    scale: usize,
    progress: bool,
) -> AppResult<DemoCounts> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_250_530);
    let slots: Vec<Slot> = reference
        .administrators
        .iter()
        .map(|(level, kato, code, _)| (*level, kato.clone(), code.clone()))
        .collect();
    let total_lines: usize = slots
        .iter()
        .map(|s| lines_per_slot(s.0) * scale)
        .sum::<usize>()
        * YEARS.len();
    let bar = if progress {
        ProgressBar::new(total_lines as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} lines ({eta})")
            .map_err(|e| anyhow::anyhow!(e))?
            .progress_chars("=> "),
    );
    bar.set_message("budgets");

    let program_rows: Vec<Vec<Value>> = slots
        .iter()
        .flat_map(|(level, kato, admin)| {
            let programs = (lines_per_slot(*level) * scale)
                .div_ceil(3)
                .min(MAX_PROGRAM);
            (1..=programs).map(move |p| {
                vec![
                    (*level).into(),
                    kato.as_str().into(),
                    admin.as_str().into(),
                    format!("{p:03}").into(),
                    format!("{p:03} бюджеттік бағдарламасы").into(),
                    format!("Бюджетная программа {p:03}").into(),
                ]
            })
        })
        .collect();
    insert_rows(
        tx,
        BudgetPrograms::Table,
        &[
            BudgetPrograms::Level,
            BudgetPrograms::Kato,
            BudgetPrograms::Administrator,
            BudgetPrograms::Program,
            BudgetPrograms::NameKk,
            BudgetPrograms::NameRu,
        ],
        program_rows,
    )
    .await?;

    let mut counts = DemoCounts::default();
    let mut line_id = 0i64;
    let mut slot_lines: HashMap<Slot, Vec<i64>> = HashMap::new();
    for year in YEARS {
        let months = if year == YEARS[YEARS.len() - 1] {
            LAST_EXECUTED_MONTH_OF_LAST_YEAR
        } else {
            12
        };
        for slot in &slots {
            let (level, kato, admin) = slot;
            let n = lines_per_slot(*level) * scale;
            let mut lines = Vec::with_capacity(n);
            let mut amounts = Vec::with_capacity(n * 16);
            for j in 0..n {
                line_id += 1;
                let specific = demo_specific(j);
                let key = LineKey {
                    year,
                    level: *level,
                    kato: kato.clone(),
                    region_kato: region_of(kato),
                    administrator: admin.clone(),
                    program: demo_program(j),
                    subprogram: demo_subprogram(j),
                    specific: specific.to_owned(),
                    functional_group: functional_group(admin).to_owned(),
                };
                let mut row = vec![line_id.into()];
                row.extend(key.values());
                lines.push(row);
                slot_lines.entry(slot.clone()).or_default().push(line_id);
                let weight = if *level == BudgetLevel::Republican {
                    10
                } else {
                    1
                };
                let approved = rng.random_range(10_000..50_000_000i64) * weight;
                let requested = scaled(approved, &mut rng, 100, 130);
                let specified = scaled(approved, &mut rng, 95, 110);
                let corrected = scaled(specified, &mut rng, 97, 103);
                let pace = rng.random_range(85..=100i64);
                let amount = |phase: BudgetPhase, as_of: Option<NaiveDate>, tenths: i64| {
                    vec![
                        line_id.into(),
                        phase.into(),
                        as_of.into(),
                        tenths.into(),
                        year.into(),
                        (*level).into(),
                        kato.as_str().into(),
                        admin.as_str().into(),
                    ]
                };
                for (phase, tenths) in [
                    (BudgetPhase::Requested, requested),
                    (BudgetPhase::Approved, approved),
                    (BudgetPhase::Specified, specified),
                    (BudgetPhase::Corrected, corrected),
                ] {
                    amounts.push(amount(phase, None, tenths));
                }
                for m in 1..=months {
                    let executed = corrected * i64::from(m) * pace / 1200;
                    amounts.push(amount(BudgetPhase::Executed, month_end(year, m), executed));
                }
            }
            counts.lines += lines.len();
            counts.amounts += amounts.len();
            let mut cols = vec![BudgetLines::Id];
            cols.extend(LineKey::COLUMNS);
            insert_rows(tx, BudgetLines::Table, &cols, lines).await?;
            insert_rows(tx, BudgetAmounts::Table, &AMOUNT_COLUMNS, amounts).await?;
            bar.inc(n as u64);
        }
    }
    resync_identity(tx, BudgetLines::Table).await?;
    crate::store::rollup::lock_writers(tx).await?;
    crate::store::rollup::rebuild(tx).await?;
    bar.finish_and_clear();

    let (objects, documents) = insert_objects(tx, reference, &slot_lines, scale, &mut rng).await?;
    counts.objects = objects;
    counts.documents = documents;
    counts.grants = insert_demo_grants(tx).await?;
    Ok(counts)
}

const THEMES: &[(&str, &str, &str)] = &[
    (
        "Электрондық құжат айналымы",
        "Электронный документооборот",
        "Electronic document management",
    ),
    ("Кадрлық есеп", "Кадровый учет", "Personnel records"),
    (
        "Өтініштерді есепке алу",
        "Учет обращений",
        "Citizen requests",
    ),
    (
        "Жолдар мониторингі",
        "Мониторинг автомобильных дорог",
        "Road monitoring",
    ),
    ("Е-білім", "Электронное обучение", "E-learning"),
    (
        "Электрондық денсаулық сақтау",
        "Электронное здравоохранение",
        "E-health",
    ),
    (
        "Бюджеттік жоспарлау",
        "Бюджетное планирование",
        "Budget planning",
    ),
    ("Әлеуметтік көмек", "Социальная помощь", "Social assistance"),
    (
        "Қылмыстық статистика",
        "Уголовная статистика",
        "Crime statistics",
    ),
    ("Жер кадастры", "Земельный кадастр", "Land cadastre"),
];

const STAGE_PATH: [LifecycleStage; 4] = [
    LifecycleStage::Creation,
    LifecycleStage::TrialOperation,
    LifecycleStage::IndustrialOperation,
    LifecycleStage::Development,
];

const DOCS_BY_STAGE: [DocumentType; 6] = [
    DocumentType::TermsOfReference,
    DocumentType::TechnicalProject,
    DocumentType::TestProtocol,
    DocumentType::TrialOperationAct,
    DocumentType::IndustrialOperationAct,
    DocumentType::OperationManual,
];

async fn insert_objects(
    tx: &mut Tx,
    reference: &Reference,
    slot_lines: &HashMap<Slot, Vec<i64>>,
    scale: usize,
    rng: &mut ChaCha8Rng,
) -> AppResult<(usize, usize)> {
    let owners: Vec<&reference::Org> = reference
        .orgs
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                BodyKind::CentralStateBody
                    | BodyKind::LocalExecutiveBody
                    | BodyKind::AuthorizedBody
            )
        })
        .filter(|o| o.administrator.is_some())
        .collect();
    let integrator = reference
        .orgs
        .iter()
        .find(|o| o.kind == BodyKind::Integrator)
        .map(|o| o.id);
    let count = OBJECTS_PER_SCALE * scale;
    let (mut objects, mut stages, mut funding, mut documents) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut contents: HashMap<String, Vec<u8>> = HashMap::new();
    let mut doc_count = 0usize;
    for i in 0..count {
        let id = i as i64 + 1;
        let owner = owners[rng.random_range(0..owners.len())];
        let possessor = match integrator {
            Some(int) if rng.random_bool(0.2) => int,
            _ => owner.id,
        };
        let (kk, ru, en) = THEMES[rng.random_range(0..THEMES.len())];
        let kind = ObjectKind::ALL[rng.random_range(0..ObjectKind::ALL.len())];
        let registered = NaiveDate::from_ymd_opt(2018, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(rng.random_range(0..2500))));
        let Some(registered) = registered else {
            continue;
        };
        let path_len = rng.random_range(1..=STAGE_PATH.len());
        let decommissioned = path_len >= 3 && rng.random_bool(0.1);
        let mut day = registered;
        let mut current = LifecycleStage::Creation;
        for (s, stage) in STAGE_PATH
            .iter()
            .take(path_len)
            .chain(decommissioned.then_some(&LifecycleStage::Decommissioned))
            .enumerate()
        {
            stages.push(vec![
                id.into(),
                (*stage).into(),
                day.into(),
                format!("Бұйрық / Приказ № {}-{}", id, s + 1).into(),
            ]);
            current = *stage;
            day = day
                .checked_add_days(chrono::Days::new(rng.random_range(60..400)))
                .unwrap_or(day);
        }
        objects.push(vec![
            id.into(),
            kind.into(),
            rng.random_range(1..=3i32).into(),
            format!("«{kk}» {}", owner.names[0]).into(),
            format!("«{ru}» — {}", owner.names[1]).into(),
            format!("{en} of {}", owner.names[2]).into(),
            format!("AP-{:06}", id).into(),
            owner.id.into(),
            possessor.into(),
            current.into(),
            (if rng.random_bool(0.3) {
                AccessLevel::Restricted
            } else {
                AccessLevel::Public
            })
            .into(),
            registered.into(),
        ]);
        let slot = (
            owner.level,
            owner.kato.clone(),
            owner.administrator.clone().unwrap_or_default(),
        );
        if let Some(lines) = slot_lines.get(&slot) {
            let mut picked: Vec<i64> = (0..rng.random_range(1..=3))
                .map(|_| lines[rng.random_range(0..lines.len())])
                .collect();
            picked.sort_unstable();
            picked.dedup();
            funding.extend(picked.into_iter().map(|l| vec![id.into(), l.into()]));
        }
        let ndocs = (path_len + 1).min(DOCS_BY_STAGE.len());
        for (n, doc_type) in DOCS_BY_STAGE.iter().take(ndocs).enumerate() {
            doc_count += 1;
            let number = format!("{}-{:02}/{}", id, n + 1, registered.year());
            let lang = if n % 2 == 0 {
                DocumentLanguage::Ru
            } else {
                DocumentLanguage::Kk
            };
            let body = pdf::one_page(&[
                "audit-hub demo document".to_owned(),
                format!("Object AP-{id:06}: {en}"),
                format!("Type: {doc_type}"),
                format!("Number: {number}"),
                format!("Language: {lang}"),
            ]);
            let sha = hex::encode(Sha256::digest(&body));
            documents.push(vec![
                (doc_count as i64).into(),
                id.into(),
                (*doc_type).into(),
                format!("{doc_type} — {ru}").into(),
                number.into(),
                registered.into(),
                "1.0".into(),
                lang.into(),
                DocumentFormat::PdfA1.into(),
                format!("AP-{id:06}-{}.pdf", n + 1).into(),
                (body.len() as i64).into(),
                sha.clone().into(),
            ]);
            contents.entry(sha).or_insert(body);
        }
    }
    let n_objects = objects.len();
    let cols = [
        InformatizationObjects::Id,
        InformatizationObjects::Kind,
        InformatizationObjects::ObjectClass,
        InformatizationObjects::NameKk,
        InformatizationObjects::NameRu,
        InformatizationObjects::NameEn,
        InformatizationObjects::AccountCode,
        InformatizationObjects::OwnerId,
        InformatizationObjects::PossessorId,
        InformatizationObjects::Stage,
        InformatizationObjects::AccessLevel,
        InformatizationObjects::RegisteredOn,
    ];
    insert_rows(tx, InformatizationObjects::Table, &cols, objects).await?;
    resync_identity(tx, InformatizationObjects::Table).await?;
    insert_rows(
        tx,
        ObjectStageHistory::Table,
        &[
            ObjectStageHistory::ObjectId,
            ObjectStageHistory::Stage,
            ObjectStageHistory::StartedOn,
            ObjectStageHistory::Basis,
        ],
        stages,
    )
    .await?;
    insert_rows(
        tx,
        ObjectFunding::Table,
        &[ObjectFunding::ObjectId, ObjectFunding::LineId],
        funding,
    )
    .await?;
    crate::store::contents::put_all(tx, contents.into_iter().collect()).await?;
    let cols = [
        Documents::Id,
        Documents::ObjectId,
        Documents::DocType,
        Documents::Title,
        Documents::Number,
        Documents::ApprovedOn,
        Documents::Version,
        Documents::Language,
        Documents::Format,
        Documents::FileName,
        Documents::SizeBytes,
        Documents::Sha256,
    ];
    insert_rows(tx, Documents::Table, &cols, documents).await?;
    resync_identity(tx, Documents::Table).await?;
    Ok((n_objects, doc_count))
}

/// Gives the head of every oversight body (those the law excludes aside) a one-year grant to
/// both systems that started 30 days ago, and a training record, so demo users read data at once.
///
/// Each training was recorded on the day it was completed and reported to the authorized body
/// the next day, within its 5 working days: the console's follow-up lists open empty, as a body
/// that keeps its deadlines would have them, instead of listing every demo head as overdue.
async fn insert_demo_grants(tx: &mut Tx) -> AppResult<usize> {
    let kinds: Vec<BodyKind> = BodyKind::ALL
        .iter()
        .copied()
        .filter(|k| k.is_oversight_body())
        .collect();
    let heads = crate::store::seed::heads_of(tx, &kinds).await?;
    let now = chrono::Utc::now();
    let today = crate::authz::principal::local_day(now);
    let from = today - chrono::Days::new(30);
    let until = crate::domain::grant::valid_until(from)
        .ok_or_else(|| anyhow::anyhow!("grant end date out of range"))?;
    let trained = from + chrono::Days::new(3);
    // The built-in calendar, which the reference seed stores: the deadline the workflow would
    // give, unless an operator has since edited the stored calendar (demo data only).
    let report_due = crate::domain::calendar::Calendar::with_known_dates()
        .deadline_after_day(trained, crate::domain::workflow::TRAINING_REPORT_DAYS)
        .ok_or_else(|| anyhow::anyhow!("training report deadline out of range"))?;
    let office_hours = |day: NaiveDate| {
        crate::domain::calendar::start_of_day(day)
            .map(|t| t + chrono::TimeDelta::hours(10))
            .ok_or_else(|| anyhow::anyhow!("training day out of range"))
    };
    let recorded_at = office_hours(trained)?;
    let reported_at = office_hours(trained + chrono::Days::new(1))?;
    let mut grants = Vec::new();
    let mut training = Vec::new();
    for h in &heads {
        for system in crate::domain::budget::InformationSystem::ALL {
            grants.push(vec![
                (*h).into(),
                (*system).into(),
                from.into(),
                until.into(),
                crate::domain::grant::GrantState::Active.into(),
                now.into(),
            ]);
        }
        training.push(vec![
            (*h).into(),
            trained.into(),
            "RU".into(),
            recorded_at.into(),
            report_due.into(),
            reported_at.into(),
        ]);
    }
    let n = grants.len();
    insert_rows(
        tx,
        AccessGrants::Table,
        &[
            AccessGrants::UserId,
            AccessGrants::System,
            AccessGrants::ValidFrom,
            AccessGrants::ValidUntil,
            AccessGrants::Status,
            AccessGrants::GrantedAt,
        ],
        grants,
    )
    .await?;
    insert_rows(
        tx,
        TrainingRecords::Table,
        &[
            TrainingRecords::UserId,
            TrainingRecords::CompletedOn,
            TrainingRecords::Language,
            TrainingRecords::RecordedAt,
            TrainingRecords::ReportDue,
            TrainingRecords::ReportedAt,
        ],
        training,
    )
    .await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_a_slot_has_its_own_key_at_scale_500() {
        let lines = lines_per_slot(BudgetLevel::Republican) * 500;
        let keys: std::collections::HashSet<(String, String, &str)> = (0..lines)
            .map(|j| (demo_program(j), demo_subprogram(j), demo_specific(j)))
            .collect();
        assert_eq!(keys.len(), lines);
        assert!(
            keys.iter()
                .all(|(p, s, _)| p.len() == 3 && (s.is_empty() || s.len() == 3))
        );
    }
}
