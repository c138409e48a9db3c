//! `import organizations`: the register of bodies (BIN, kind, names, territory, budget level,
//! administrator code, parent, the law's exclusion, and optionally the head), upserted by BIN.
//! A changed head is designated through the identity rules, as the console would, and audited.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::report::{ImportError, Plan, RowError};
use super::source::{Outcome, Run, Source};
use super::table::{Column, Fields, Table};
use crate::authz::principal::local_day;
use crate::domain::budget::BudgetLevel;
use crate::domain::form;
use crate::domain::ident::{Bin, Iin};
use crate::domain::org::BodyKind;
use crate::domain::territory::TerritoryKind;
use crate::error::{AppError, Expected};
use crate::service::access;
use crate::store::memberships;
use crate::store::register::{self, Body};
use crate::store::territories::{self, Territory};
use crate::store::users::{self, NewPerson};
use crate::store::{Db, Tx};

/// The columns: the body, then its head (the head's columns may be empty, or left out).
pub const COLUMNS: &[Column] = &[
    Column::required("bin"),
    Column::required("kind"),
    Column::required("name_kk"),
    Column::required("name_ru"),
    Column::optional("name_en"),
    Column::required("kato"),
    Column::required("budget_level"),
    Column::optional("administrator"),
    Column::optional("parent_bin"),
    Column::optional("audit_excluded"),
    Column::optional("head_iin"),
    Column::optional("head_surname"),
    Column::optional("head_name"),
    Column::optional("head_patronymic"),
    Column::optional("head_position"),
];

/// Longest body name kept.
const MAX_NAME: usize = 500;

/// The head a row names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// IIN.
    pub iin: String,
    /// Surname.
    pub surname: String,
    /// Given name.
    pub name: String,
    /// Patronymic.
    pub patronymic: Option<String>,
    /// Position.
    pub position: String,
}

/// One row: a body and perhaps its head.
#[derive(Debug, Clone)]
pub struct Entry {
    line: u64,
    /// The body.
    pub body: Body,
    /// Its head, if the row names one.
    pub head: Option<Head>,
}

/// Whether a budget level may fund a body on a territory of this kind: the republican budget
/// funds bodies anywhere (central bodies and their territorial offices), a regional budget
/// bodies of a region, a district budget bodies of a district or a city district, a rural
/// budget bodies of a rural district, town or settlement.
fn level_fits(level: BudgetLevel, kind: TerritoryKind) -> bool {
    match level {
        BudgetLevel::Republican => true,
        BudgetLevel::Regional => matches!(
            kind,
            TerritoryKind::Oblast | TerritoryKind::CityRepublican | TerritoryKind::Capital
        ),
        BudgetLevel::District => {
            matches!(kind, TerritoryKind::District | TerritoryKind::CityDistrict)
        }
        BudgetLevel::Rural => kind == TerritoryKind::Rural,
    }
}

fn read_head(f: &mut Fields<'_>) -> Option<Option<Head>> {
    if f.raw("head_iin").is_empty() {
        let others = [
            "head_surname",
            "head_name",
            "head_patronymic",
            "head_position",
        ];
        let mut all_empty = true;
        for name in others {
            all_empty &= f.absent(name);
        }
        return all_empty.then_some(None);
    }
    let iin = match Iin::parse(f.raw("head_iin")) {
        Ok(i) => Some(i.as_str().to_owned()),
        Err(_) => {
            f.fail("head_iin", Expected::ValidIdentifier);
            None
        }
    };
    let surname = f.rule("head_surname", form::NAME);
    let name = f.rule("head_name", form::NAME);
    let patronymic = f.optional_rule("head_patronymic", form::NAME);
    let position = f.rule("head_position", form::TITLE);
    Some(Some(Head {
        iin: iin?,
        surname: surname?,
        name: name?,
        patronymic: patronymic?,
        position: position?,
    }))
}

fn read_row(f: &mut Fields<'_>, territories: &BTreeMap<String, Territory>) -> Option<Entry> {
    let bin = match Bin::parse(f.raw("bin")) {
        Ok(b) => Some(b.as_str().to_owned()),
        Err(_) => {
            f.fail("bin", Expected::ValidIdentifier);
            None
        }
    };
    let kind = f.variant::<BodyKind>("kind");
    let name_kk = f.text("name_kk", MAX_NAME);
    let name_ru = f.text("name_ru", MAX_NAME);
    let name_en = f.optional_text("name_en", MAX_NAME);
    let kato = f.digits("kato", 9);
    let territory = kato.as_deref().and_then(|k| {
        let t = territories.get(k).filter(|t| t.retired_on.is_none());
        if t.is_none() {
            f.fail("kato", Expected::KnownTerritory);
        }
        t
    });
    let budget_level = f.variant::<BudgetLevel>("budget_level");
    if let (Some(level), Some(t)) = (budget_level, territory)
        && !level_fits(level, t.kind)
    {
        f.fail("budget_level", Expected::ConsistentWith("kato"));
    }
    let administrator = f.optional_digits("administrator", 3);
    let parent_bin = if f.raw("parent_bin").is_empty() {
        Some(None)
    } else {
        match Bin::parse(f.raw("parent_bin")) {
            Ok(b) if Some(b.as_str()) == bin.as_deref() => {
                f.fail("parent_bin", Expected::ConsistentWith("bin"));
                None
            }
            Ok(b) => Some(Some(b.as_str().to_owned())),
            Err(_) => {
                f.fail("parent_bin", Expected::ValidIdentifier);
                None
            }
        }
    };
    let audit_excluded = f.flag("audit_excluded");
    let head = read_head(f);
    Some(Entry {
        line: f.line(),
        body: Body {
            bin: bin?,
            kind: kind?,
            name_kk: name_kk?,
            name_ru: name_ru?,
            name_en: name_en?,
            kato: kato?,
            budget_level: budget_level?,
            administrator: administrator?,
            parent_bin: parent_bin?,
            audit_excluded: audit_excluded?,
        },
        head: head?,
    })
}

/// Checks every row against the territories and the stored register: BINs once each, parents
/// in the file or the database and no cycle, each head IIN once.
pub fn check(
    table: &Table,
    territories: &BTreeMap<String, Territory>,
    stored: &BTreeMap<String, (i64, Body)>,
) -> Result<BTreeMap<String, Entry>, ImportError> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut heads: HashSet<String> = HashSet::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut errors);
        let Some(entry) = read_row(&mut f, territories) else {
            continue;
        };
        if entries.contains_key(&entry.body.bin) {
            f.fail("bin", Expected::Unique);
            continue;
        }
        if let Some(h) = &entry.head
            && !heads.insert(h.iin.clone())
        {
            f.fail("head_iin", Expected::Unique);
            continue;
        }
        entries.insert(entry.body.bin.clone(), entry);
    }
    let parent_of = |bin: &str| -> Option<String> {
        match entries.get(bin) {
            Some(e) => e.body.parent_bin.clone(),
            None => stored.get(bin).and_then(|(_, b)| b.parent_bin.clone()),
        }
    };
    for e in entries.values() {
        let Some(parent) = &e.body.parent_bin else {
            continue;
        };
        let column = table.column_number("parent_bin");
        let fail = |expected| RowError {
            line: e.line,
            column,
            field: "parent_bin".to_owned(),
            expected,
        };
        if !entries.contains_key(parent) && !stored.contains_key(parent) {
            errors.push(fail(Expected::KnownBody));
            continue;
        }
        // Walk up: reaching this body again is a cycle.
        let mut seen = HashSet::new();
        let mut at = Some(parent.clone());
        while let Some(b) = at {
            if b == e.body.bin || !seen.insert(b.clone()) {
                errors.push(fail(Expected::NoCycle));
                break;
            }
            at = parent_of(&b);
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    ImportError::check(errors)?;
    Ok(entries)
}

/// What the file changes among the bodies (bodies absent from the file are left alone: a
/// register file may cover part of the country).
pub fn plan(
    entries: &BTreeMap<String, Entry>,
    stored: &BTreeMap<String, (i64, Body)>,
) -> Plan<String, Body> {
    let file = entries
        .iter()
        .map(|(k, e)| (k.clone(), e.body.clone()))
        .collect();
    let existing = stored
        .iter()
        .map(|(k, (_, b))| (k.clone(), b.clone()))
        .collect();
    Plan::compare(file, &existing, |_| false, false)
}

/// Imports a register file: checks every row, then (unless dry) inserts and updates the bodies,
/// designates the heads that changed (registering a head new to the hub), and records the
/// import, all in one transaction. A changed kind, territory or administrator takes effect for
/// every caller of the body on every server: the caller epoch moves with the row.
pub async fn import(db: &Db, source: &Source, run: &Run) -> Result<Outcome, ImportError> {
    let mut tx = db.begin().await?;
    let outcome = import_in(&mut tx, source, run).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`import`] within the caller's transaction (the reference seed loads its files in one),
/// which the caller commits.
pub async fn import_in(tx: &mut Tx, source: &Source, run: &Run) -> Result<Outcome, ImportError> {
    let table = Table::parse(&source.bytes, COLUMNS)?.with_progress(run.bar("bodies"));
    register::lock(tx).await?;
    let territories = territories::all(tx).await?;
    let stored = register::all(tx).await?;
    let entries = check(&table, &territories, &stored)?;
    let plan = plan(&entries, &stored);
    let today = local_day(run.now);
    // Heads: judged against the people stored now, under the same transaction.
    let mut designations = Vec::new();
    let mut errors = Vec::new();
    // In the file's order: a head new to the hub gets the next user id, as the file lists it.
    let mut in_file_order: Vec<&Entry> = entries.values().collect();
    in_file_order.sort_by_key(|e| e.line);
    for e in in_file_order {
        let Some(head) = &e.head else { continue };
        let org_id = stored.get(&e.body.bin).map(|(id, _)| *id);
        let person = users::find_by_iin(tx, &head.iin).await?;
        let current_head = match org_id {
            Some(id) => users::find_head_of(tx, id).await?,
            None => None,
        };
        if current_head.as_ref().is_some_and(|h| h.iin == head.iin) {
            continue;
        }
        // A person already in the hub heads this body only as its current member: moving
        // people between bodies is an application's business, never the register's.
        if let Some(p) = &person
            && (Some(p.organization_id) != org_id || p.is_blocked())
        {
            errors.push(RowError {
                line: e.line,
                column: table.column_number("head_iin"),
                field: "head_iin".to_owned(),
                expected: Expected::HeadCandidate,
            });
            continue;
        }
        designations.push((e.body.bin.clone(), head.clone(), person.map(|p| p.id)));
    }
    ImportError::check(errors)?;
    table.checked();
    let outcome = Outcome {
        changes: plan.changes,
        ignored_columns: table.ignored.clone(),
        dry_run: run.dry_run,
        heads_designated: designations.len(),
        parts: Vec::new(),
    };
    if run.dry_run {
        return Ok(outcome);
    }
    let mut ids: HashMap<String, i64> =
        stored.iter().map(|(b, (id, _))| (b.clone(), *id)).collect();
    // New bodies get their ids in the file's order.
    let mut inserts = plan.insert.clone();
    inserts.sort_by_key(|b| entries.get(&b.bin).map_or(0, |e| e.line));
    register::insert(tx, &inserts, &mut ids).await?;
    for body in &plan.update {
        register::update(tx, body, &ids).await?;
    }
    for (bin, head, person) in designations {
        let org_id = *ids
            .get(&bin)
            .ok_or_else(|| AppError::from(anyhow::anyhow!("register: body without an id")))?;
        let user_id = match person {
            Some(id) => id,
            None => {
                let new = NewPerson {
                    iin: &head.iin,
                    surname: &head.surname,
                    name: &head.name,
                    patronymic: head.patronymic.as_deref(),
                    position: &head.position,
                };
                let id = users::create_person(tx, &new, org_id, run.now).await?;
                let user = users::get(tx, id).await?.ok_or(AppError::NotFound)?;
                memberships::start(tx, &user, today, None).await?;
                id
            }
        };
        let previous = access::designate_head(tx, org_id, user_id, today).await?;
        let mut event = run.event("organizations", source, &plan.changes);
        event.operation = Some("designateHead".to_owned());
        event.variables = Some(
            json!({
                "operator": run.operator,
                "file": source.name,
                "organizationId": org_id,
                "userId": user_id,
                "previousHead": previous,
            })
            .to_string(),
        );
        crate::audit::append(tx, event).await?;
    }
    crate::audit::append(tx, run.event("organizations", source, &plan.changes)).await?;
    Ok(outcome)
}
