//! `import kato`: the classifier of administrative-territorial objects (KATO) as the Bureau of
//! National Statistics publishes it, read into the territory tree. Codes absent from a newer
//! file are retired (kept, with the date), never deleted: budget lines and bodies refer to them.

use std::collections::BTreeMap;

use super::report::{ImportError, Plan, RowError};
use super::source::{Outcome, Run, Source};
use super::table::{Column, Fields, Table};
use crate::authz::principal::local_day;
use crate::domain::territory::{Kato, KatoPrefix, TerritoryKind};
use crate::error::Expected;
use crate::store::territories::{self, Territory};
use crate::store::{Db, Tx};

/// The columns of the published file (`k` and `nn` are read as given and not used: the tree
/// and the kinds follow from the code itself).
pub const COLUMNS: &[Column] = &[
    Column::required("te"),
    Column::optional("ab"),
    Column::optional("cd"),
    Column::optional("ef"),
    Column::optional("hij"),
    Column::optional("k"),
    Column::required("name_kaz"),
    Column::required("name_rus"),
    Column::optional("nn"),
];

/// Longest name kept (the classifier's longest is about 120 characters).
const MAX_NAME: usize = 300;

/// The code, level-part by level-part, as the file's `ab`, `cd`, `ef`, `hij` columns give it.
const PARTS: [(&str, std::ops::Range<usize>); 4] =
    [("ab", 0..2), ("cd", 2..4), ("ef", 4..6), ("hij", 6..9)];

/// The kind of a territory at the code's level. Regions are oblasts unless their name says
/// they are a city ("г." / "город …" / "… қаласы"); the capital is the one coded 71.
pub fn kind_of(
    kato: &Kato,
    name_kk: &str,
    name_ru: &str,
    parent: Option<TerritoryKind>,
) -> TerritoryKind {
    match kato.level() {
        0 => TerritoryKind::Republic,
        1 if kato.as_str() == Kato::CAPITAL => TerritoryKind::Capital,
        1 => {
            let ru = name_ru.to_lowercase();
            let city = ru.starts_with("г.")
                || ru.starts_with("г ")
                || ru.starts_with("город")
                || name_kk.to_lowercase().ends_with("қаласы");
            if city {
                TerritoryKind::CityRepublican
            } else {
                TerritoryKind::Oblast
            }
        }
        2 if matches!(
            parent,
            Some(TerritoryKind::CityRepublican | TerritoryKind::Capital)
        ) =>
        {
            TerritoryKind::CityDistrict
        }
        2 => TerritoryKind::District,
        // Rural districts, towns and the settlements under them share the one rural kind.
        _ => TerritoryKind::Rural,
    }
}

/// A row as read, before the tree is built.
struct Read {
    line: u64,
    kato: Kato,
    name_kk: String,
    name_ru: String,
}

fn read_row(f: &mut Fields<'_>) -> Option<Read> {
    let te = f.digits("te", 9)?;
    let Some(kato) = Kato::parse(&te) else {
        f.fail("te", Expected::Digits(9));
        return None;
    };
    // The level parts, where the file has them, must be the code's own digits.
    for (name, range) in PARTS {
        let part = f.raw(name).to_owned();
        if part.is_empty() {
            continue;
        }
        let want = &te[range];
        let same = part.parse::<u32>().ok() == want.parse::<u32>().ok();
        if !same {
            f.fail(name, Expected::ConsistentWith("te"));
        }
    }
    let name_kk = f.text("name_kaz", MAX_NAME);
    let name_ru = f.text("name_rus", MAX_NAME);
    Some(Read {
        line: f.line(),
        kato,
        name_kk: name_kk?,
        name_ru: name_ru?,
    })
}

/// Reads and checks a KATO file against the territories in the database: every code once,
/// within `within` when given, each with a parent in the file or the database. Returns the
/// territories the file describes, keyed by code.
pub fn check(
    table: &Table,
    existing: &BTreeMap<String, Territory>,
    within: Option<&KatoPrefix>,
) -> Result<BTreeMap<String, Territory>, ImportError> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows: BTreeMap<String, (Read, Option<Kato>)> = BTreeMap::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut errors);
        let Some(row) = read_row(&mut f) else {
            continue;
        };
        if row.kato.level() == 0 {
            // The Republic is the hub's own root, not a row of the classifier.
            f.fail("te", Expected::Territory);
            continue;
        }
        if let Some(p) = within
            && !row.kato.as_str().starts_with(p.as_str())
        {
            f.fail("te", Expected::WithinPrefix(p.as_str().to_owned()));
            continue;
        }
        if rows.contains_key(row.kato.as_str()) {
            f.fail("te", Expected::Unique);
            continue;
        }
        let parent = row.kato.parent();
        rows.insert(row.kato.as_str().to_owned(), (row, parent));
    }
    // Parents: in the file, or (outside the part a `--within` import replaces) in the database.
    let kept_in_db = |code: &str| {
        existing.get(code).is_some_and(|t| {
            within.is_some_and(|p| !code.starts_with(p.as_str())) && t.retired_on.is_none()
        })
    };
    for (row, parent) in rows.values() {
        if let Some(p) = parent
            && !rows.contains_key(p.as_str())
            && !kept_in_db(p.as_str())
        {
            errors.push(RowError {
                line: row.line,
                column: table.column_number("te"),
                field: "te".to_owned(),
                expected: Expected::KnownParent(p.as_str().to_owned()),
            });
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    ImportError::check(errors)?;
    // Kinds top-down: a district's kind depends on its region's.
    let mut out: BTreeMap<String, Territory> = BTreeMap::new();
    let mut by_level: Vec<&(Read, Option<Kato>)> = rows.values().collect();
    by_level.sort_by_key(|(r, _)| (r.kato.level(), r.kato.as_str().to_owned()));
    for (row, parent) in by_level {
        let parent_kind = parent.as_ref().and_then(|p| {
            out.get(p.as_str())
                .or_else(|| existing.get(p.as_str()))
                .map(|t| t.kind)
        });
        let kind = kind_of(&row.kato, &row.name_kk, &row.name_ru, parent_kind);
        let code = row.kato.as_str().to_owned();
        out.insert(
            code.clone(),
            Territory {
                kato: code,
                kind,
                region_kato: row.kato.region().map(|r| r.as_str().to_owned()),
                parent_kato: parent.as_ref().map(|p| p.as_str().to_owned()),
                name_kk: row.name_kk.clone(),
                name_ru: row.name_ru.clone(),
                retired_on: None,
            },
        );
    }
    Ok(out)
}

/// What importing the file changes: codes new, changed, unchanged, and in the database (within
/// the replaced part) but absent from the file, to be retired. The Republic is never retired.
pub fn plan(
    file: BTreeMap<String, Territory>,
    existing: &BTreeMap<String, Territory>,
    within: Option<&KatoPrefix>,
) -> Plan<String, Territory> {
    let replaced: BTreeMap<String, Territory> = existing
        .iter()
        .filter(|(code, t)| {
            t.kind != TerritoryKind::Republic && within.is_none_or(|p| code.starts_with(p.as_str()))
        })
        .map(|(c, t)| (c.clone(), t.clone()))
        .collect();
    // Names in English are the hub's own (the classifier has none): not compared.
    Plan::compare(file, &replaced, |t| t.retired_on.is_some(), true)
}

/// Imports a KATO file: checks every row first, then (unless dry) writes the new, changed and
/// retired codes and the audit event in one transaction. With `within`, the file replaces only
/// the codes under that prefix (a region's update), and parents outside it may come from the
/// database.
pub async fn import(
    db: &Db,
    source: &Source,
    within: Option<&KatoPrefix>,
    run: &Run,
) -> Result<Outcome, ImportError> {
    let mut tx = db.begin().await?;
    let outcome = import_in(&mut tx, source, within, run).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`import`] within the caller's transaction (the reference seed loads its files in one),
/// which the caller commits.
pub async fn import_in(
    tx: &mut Tx,
    source: &Source,
    within: Option<&KatoPrefix>,
    run: &Run,
) -> Result<Outcome, ImportError> {
    let table = Table::parse(&source.bytes, COLUMNS)?.with_progress(run.bar("KATO"));
    territories::lock(tx).await?;
    let existing = territories::all(tx).await?;
    let file = check(&table, &existing, within)?;
    let plan = plan(file, &existing, within);
    table.checked();
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
    territories::insert(tx, &plan.insert).await?;
    territories::update(tx, &plan.update).await?;
    territories::retire(tx, &plan.retire, local_day(run.now)).await?;
    crate::audit::append(tx, run.event("kato", source, &plan.changes)).await?;
    Ok(outcome)
}
