//! `import classification`: the unified budget classification of one or more years (functional
//! groups and subgroups, administrators per budget level, their programs and subprograms, the
//! economic classification), names in Kazakh and Russian. Each year in the file replaces that
//! year: codes it no longer has are retired, never deleted.

use std::collections::{BTreeMap, BTreeSet};

use super::report::{ImportError, Plan, RowError};
use super::source::{Outcome, Run, Source};
use super::table::{Column, Fields, Table};
use crate::authz::principal::local_day;
use crate::domain::budget::{BudgetLevel, ClassificationKind};
use crate::error::Expected;
use crate::store::Db;
use crate::store::classification::{self, Entry, Key};

/// The columns.
pub const COLUMNS: &[Column] = &[
    Column::required("year"),
    Column::required("kind"),
    Column::optional("level"),
    Column::required("code"),
    Column::required("name_kk"),
    Column::required("name_ru"),
];

/// Longest name kept.
const MAX_NAME: usize = 1000;

/// The code of the entry one step up the tree, if the kind has one: a subgroup's group, a
/// program's administrator, a subprogram's program, a subclass's class, a specific's subclass.
pub fn parent(kind: ClassificationKind, code: &str) -> Option<(ClassificationKind, String)> {
    use ClassificationKind as K;
    let up = |k: K, n: usize| Some((k, code[..n].to_owned()));
    match kind {
        K::FunctionalSubgroup => up(K::FunctionalGroup, 2),
        K::Program => up(K::Administrator, 3),
        K::Subprogram => up(K::Program, 6),
        K::EconomicSubclass => up(K::EconomicClass, 1),
        K::EconomicSpecific => up(K::EconomicSubclass, 2),
        K::FunctionalGroup | K::Administrator | K::EconomicClass => None,
    }
}

fn read_row(f: &mut Fields<'_>) -> Option<Entry> {
    let year = f.integer("year", 1990, 2100);
    let kind = f.variant::<ClassificationKind>("kind");
    let level = match kind {
        Some(k) if k.has_level() => f.variant::<BudgetLevel>("level").map(Some),
        Some(_) => f.absent("level").then_some(None),
        None => None,
    };
    let code = kind.and_then(|k| f.digits("code", k.digits()));
    let name_kk = f.text("name_kk", MAX_NAME);
    let name_ru = f.text("name_ru", MAX_NAME);
    Some(Entry {
        key: Key {
            year: i32::try_from(year?).ok()?,
            kind: kind?,
            level: level?,
            code: code?,
        },
        name_kk: name_kk?,
        name_ru: name_ru?,
        retired_on: None,
    })
}

/// Checks every row: each key once, each entry's parent in the file (same year and level).
pub fn check(table: &Table) -> Result<BTreeMap<Key, Entry>, ImportError> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut entries: BTreeMap<Key, (u64, Entry)> = BTreeMap::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut errors);
        let Some(e) = read_row(&mut f) else { continue };
        if entries.contains_key(&e.key) {
            f.fail("code", Expected::Unique);
            continue;
        }
        entries.insert(e.key.clone(), (f.line(), e));
    }
    for (key, (line, _)) in &entries {
        if let Some((kind, code)) = parent(key.kind, &key.code) {
            let up = Key {
                year: key.year,
                kind,
                level: key.level,
                code,
            };
            if !entries.contains_key(&up) {
                errors.push(RowError {
                    line: *line,
                    column: table.column_number("code"),
                    field: "code".to_owned(),
                    expected: Expected::KnownClassificationParent(format!(
                        "{} {}",
                        up.kind.as_str(),
                        up.code
                    )),
                });
            }
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    ImportError::check(errors)?;
    Ok(entries.into_iter().map(|(k, (_, e))| (k, e)).collect())
}

/// Imports a classification file: checks it whole, then (unless dry) replaces the years it
/// holds in one transaction with the audit event.
pub async fn import(db: &Db, source: &Source, run: &Run) -> Result<Outcome, ImportError> {
    let table = Table::parse(&source.bytes, COLUMNS)?.with_progress(run.bar("classification"));
    let entries = check(&table)?;
    table.checked();
    let years: BTreeSet<i32> = entries.keys().map(|k| k.year).collect();
    let mut tx = db.begin().await?;
    classification::lock(&mut tx).await?;
    let existing = classification::of_years(&mut tx, &years).await?;
    let plan = Plan::compare(entries, &existing, |e| e.retired_on.is_some(), true);
    let outcome = Outcome {
        changes: plan.changes,
        ignored_columns: table.ignored.clone(),
        dry_run: run.dry_run,
        heads_designated: 0,
        parts: Vec::new(),
    };
    if run.dry_run {
        return Ok(outcome);
    }
    classification::upsert(&mut tx, plan.insert.iter().chain(&plan.update)).await?;
    classification::retire(&mut tx, &plan.retire, local_day(run.now)).await?;
    crate::audit::append(&mut tx, run.event("classification", source, &plan.changes)).await?;
    tx.commit().await?;
    Ok(outcome)
}
