//! `import objects`: informatization objects as the architecture portal registers them, with
//! their stage history, funding lines and documents (whose files come from a directory and are
//! stored by SHA-256, a chunk at a time). Objects are upserted by account code; for each object
//! in the file, a table the file has (stages, funding, documents) replaces that part whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::files::{self, Inspected, Inspections, StoreError};
use super::object_rows::{self, DocumentEntry};
use super::report::{Changes, ImportError, Plan, RowError};
use super::source::{Outcome, Run, Source};
use super::table::Table;
use crate::error::{AppError, Expected};
use crate::store::Db;
use crate::store::contents;
use crate::store::object_register::{self as reg, Document, StageKey};
use crate::store::register;

/// The tables of an objects file: a workbook's sheets, or the CSV files of a directory, by
/// these names (`objects` required, the others optional).
pub const TABLES: [&str; 4] = ["objects", "stages", "funding", "documents"];

/// An objects file read whole: its tables, and the source the audit event names.
#[derive(Debug)]
pub struct Tables {
    /// The file (a workbook), or the directory with a manifest of its tables' SHA-256s.
    pub source: Source,
    objects: Table,
    stages: Option<Table>,
    funding: Option<Table>,
    documents: Option<Table>,
}

impl Tables {
    /// Opens `path`: an XLSX workbook, or a directory of `objects.csv`, `stages.csv`,
    /// `funding.csv` and `documents.csv`.
    pub fn open(path: &Path) -> Result<Tables, ImportError> {
        if !path.is_dir() {
            return Tables::workbook(Source::open(path)?);
        }
        let mut files = Vec::new();
        for name in TABLES {
            let file = path.join(format!("{name}.csv"));
            if file.is_file() {
                files.push((name, Source::open(&file)?.bytes));
            }
        }
        Tables::csv(&path.display().to_string(), files)
    }

    /// The tables of a workbook (sheets named as [`TABLES`]).
    pub fn workbook(source: Source) -> Result<Tables, ImportError> {
        let [objects, stages, funding, documents] = TABLES;
        let sheet = |name: &'static str| Table::parse_sheet(&source.bytes, name, columns(name));
        let Some(objects) = sheet(objects)? else {
            return Err(missing_table());
        };
        Ok(Tables {
            objects,
            stages: sheet(stages)?,
            funding: sheet(funding)?,
            documents: sheet(documents)?,
            source,
        })
    }

    /// The tables of CSV files, by table name; `name` is what the audit event calls the set,
    /// and its SHA-256 is that of the manifest `table.csv <sha256>` line by line.
    pub fn csv(name: &str, files: Vec<(&'static str, Vec<u8>)>) -> Result<Tables, ImportError> {
        let mut manifest = String::new();
        let mut parsed: HashMap<&'static str, Table> = HashMap::new();
        for (table, bytes) in files {
            let sha = Source::from_bytes(table, bytes.clone()).sha256;
            manifest.push_str(&format!("{table}.csv {sha}\n"));
            parsed.insert(
                table,
                Table::parse_csv_named(&bytes, table, columns(table))?,
            );
        }
        let [objects, stages, funding, documents] = TABLES;
        let Some(objects) = parsed.remove(objects) else {
            return Err(missing_table());
        };
        Ok(Tables {
            objects,
            stages: parsed.remove(stages),
            funding: parsed.remove(funding),
            documents: parsed.remove(documents),
            source: Source::from_bytes(name, manifest.into_bytes()),
        })
    }

    /// Shows the checking of each table's rows on its own progress bar of `run`.
    pub fn with_progress(self, run: &Run) -> Tables {
        Tables {
            objects: self.objects.with_progress(run.bar("objects")),
            stages: self.stages.map(|t| t.with_progress(run.bar("stages"))),
            funding: self.funding.map(|t| t.with_progress(run.bar("funding"))),
            documents: self
                .documents
                .map(|t| t.with_progress(run.bar("documents"))),
            source: self.source,
        }
    }

    fn ignored(&self) -> Vec<String> {
        let mut out = Vec::new();
        let named = [
            ("objects", Some(&self.objects)),
            ("stages", self.stages.as_ref()),
            ("funding", self.funding.as_ref()),
            ("documents", self.documents.as_ref()),
        ];
        for (name, table) in named {
            out.extend(
                table
                    .into_iter()
                    .flat_map(|t| t.ignored.iter().map(move |c| format!("{name}.{c}"))),
            );
        }
        out
    }
}

fn columns(table: &str) -> &'static [super::table::Column] {
    match table {
        "stages" => object_rows::STAGE_COLUMNS,
        "funding" => object_rows::FUNDING_COLUMNS,
        "documents" => object_rows::DOCUMENT_COLUMNS,
        _ => object_rows::OBJECT_COLUMNS,
    }
}

fn missing_table() -> ImportError {
    ImportError::invalid(vec![RowError {
        line: 1,
        column: 1,
        field: "objects".to_owned(),
        expected: Expected::Present,
    }])
}

/// The files the documents name, checked: where each is, what it is, and its path as the
/// file gives it, by SHA-256.
type Files = BTreeMap<String, (PathBuf, Inspected, String)>;

/// Each document's file: (SHA-256, size) by (account code, file name).
type Resolved = BTreeMap<(String, String), (String, i64)>;

/// Compares a part's wanted keys with the stored ones of the objects in the file: what to add,
/// what to change, what to remove, and the counts.
struct PartPlan<K, V> {
    add: Vec<(K, V)>,
    change: Vec<(K, V)>,
    remove: Vec<K>,
    changes: Changes,
}

fn part_plan<K: Ord + Clone, V: PartialEq + Clone>(
    wanted: &BTreeMap<K, V>,
    stored: &BTreeMap<K, V>,
    replace: bool,
) -> PartPlan<K, V> {
    let mut plan = PartPlan {
        add: Vec::new(),
        change: Vec::new(),
        remove: Vec::new(),
        changes: Changes::default(),
    };
    for (k, v) in wanted {
        match stored.get(k) {
            None => plan.add.push((k.clone(), v.clone())),
            Some(old) if old == v => plan.changes.unchanged += 1,
            Some(_) => plan.change.push((k.clone(), v.clone())),
        }
    }
    if replace {
        plan.remove = stored
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect();
    }
    plan.changes.inserted = plan.add.len();
    plan.changes.updated = plan.change.len();
    plan.changes.removed = plan.remove.len();
    plan
}

/// Imports an objects file: checks every table and every document file, then (unless dry)
/// writes objects, stage history, funding links, files and documents, and records the import,
/// in one transaction.
pub async fn import(
    db: &Db,
    tables: &Tables,
    documents_dir: Option<&Path>,
    run: &Run,
) -> Result<Outcome, ImportError> {
    // The files are read before the transaction: hashing gigabytes must not hold the lock.
    let inspections = match (documents_dir, &tables.documents) {
        (Some(dir), Some(t)) => files::inspect_all(dir, object_rows::document_paths(t)).await,
        _ => Inspections::new(),
    };
    let mut tx = db.begin().await?;
    reg::lock(&mut tx).await?;
    let orgs: HashMap<String, i64> = register::all(&mut tx)
        .await?
        .into_iter()
        .map(|(bin, (id, _))| (bin, id))
        .collect();
    let stored = reg::all(&mut tx).await?;

    // Check: every table in order, each table's errors by line.
    let mut errors = Vec::new();
    let objects = object_rows::check_objects(&tables.objects, &orgs, &mut errors);
    let stage_rows = tables
        .stages
        .as_ref()
        .map(|t| object_rows::check_stages(t, &objects, &mut errors));
    let funding_rows = match &tables.funding {
        Some(t) => Some(object_rows::check_funding(t, &objects, &mut tx, &mut errors).await?),
        None => None,
    };
    let document_rows = tables
        .documents
        .as_ref()
        .map(|t| object_rows::check_documents(t, &objects, &mut errors));
    let (files, resolved) = match (&tables.documents, &document_rows) {
        (Some(t), Some(rows)) => check_files(t, rows, &inspections, &mut tx, &mut errors).await?,
        _ => (Files::new(), Resolved::new()),
    };
    ImportError::check(errors)?;

    // Plan.
    let file_objects = objects
        .iter()
        .map(|(k, e)| (k.clone(), e.object.clone()))
        .collect();
    let existing = stored
        .iter()
        .map(|(k, (_, o))| (k.clone(), o.clone()))
        .collect();
    let plan = Plan::compare(file_objects, &existing, |_| false, false);
    let in_file = |code: &String| objects.contains_key(code);

    let mut wanted_stages: BTreeMap<StageKey, Option<String>> = objects
        .iter()
        .map(|(code, e)| {
            let key = (code.clone(), e.stage_on, e.object.stage.as_str());
            (key, e.stage_basis.clone())
        })
        .collect();
    if let Some(rows) = &stage_rows {
        wanted_stages.extend(
            rows.iter()
                .map(|(k, (_, basis))| (k.clone(), basis.clone())),
        );
    }
    let stored_stages: BTreeMap<StageKey, Option<String>> = reg::stages(&mut tx)
        .await?
        .into_iter()
        .filter(|((code, _, _), _)| in_file(code))
        .collect();
    let stages = part_plan(&wanted_stages, &stored_stages, stage_rows.is_some());

    let stored_funding: BTreeMap<(String, i64), ()> = reg::funding(&mut tx)
        .await?
        .into_iter()
        .filter(|(code, _)| in_file(code))
        .map(|k| (k, ()))
        .collect();
    let funding = funding_rows.as_ref().map(|rows| {
        let wanted = rows.iter().map(|k| (k.clone(), ())).collect();
        part_plan(&wanted, &stored_funding, true)
    });

    let (stored_docs, shadowed) = reg::documents(&mut tx).await?;
    // Older duplicates of an object's file name go when the file replaces its documents.
    let shadowed: Vec<i64> = shadowed
        .into_iter()
        .filter(|((code, _), _)| tables.documents.is_some() && in_file(code))
        .map(|(_, id)| id)
        .collect();
    let stored_doc_rows: BTreeMap<(String, String), Document> = stored_docs
        .iter()
        .filter(|((code, _), _)| in_file(code))
        .map(|(k, (_, d))| (k.clone(), d.clone()))
        .collect();
    let documents = document_rows.as_ref().map(|rows| {
        let wanted = rows
            .iter()
            .map(|(k, e)| {
                let mut doc = e.document.clone();
                if let Some((sha, size)) = resolved.get(k) {
                    doc.sha256.clone_from(sha);
                    doc.size_bytes = *size;
                }
                (k.clone(), doc)
            })
            .collect();
        let mut plan = part_plan(&wanted, &stored_doc_rows, true);
        plan.changes.removed += shadowed.len();
        plan
    });
    // Files: those in the directory not stored yet are new; the rest (in the directory and
    // stored, or named by SHA-256 only) are unchanged.
    let referenced: BTreeSet<&String> = resolved.values().map(|(sha, _)| sha).collect();
    let present = contents::sizes(&mut tx, &files.keys().cloned().collect::<Vec<_>>()).await?;
    let new_files: Vec<&String> = files.keys().filter(|s| !present.contains_key(*s)).collect();
    let file_changes = Changes {
        inserted: new_files.len(),
        unchanged: referenced.len() - new_files.len(),
        ..Changes::default()
    };

    let mut parts = vec![("stages", stages.changes)];
    parts.extend(funding.as_ref().map(|f| ("funding", f.changes)));
    parts.extend(documents.as_ref().map(|d| ("documents", d.changes)));
    if tables.documents.is_some() {
        parts.push(("files", file_changes));
    }
    let outcome = Outcome {
        changes: plan.changes,
        ignored_columns: tables.ignored(),
        dry_run: run.dry_run,
        heads_designated: 0,
        parts: parts.clone(),
    };
    if run.dry_run {
        return Ok(outcome);
    }

    // Write.
    let mut ids: HashMap<String, i64> =
        stored.iter().map(|(c, (id, _))| (c.clone(), *id)).collect();
    let mut inserts = plan.insert.clone();
    inserts.sort_by_key(|o| objects.get(&o.account_code).map_or(0, |e| e.line));
    reg::insert(&mut tx, &inserts, &orgs, &mut ids).await?;
    for o in &plan.update {
        reg::update(&mut tx, o, &orgs).await?;
    }
    reg::delete_stages(&mut tx, &stages.remove, &ids).await?;
    let steps: Vec<_> = stages.add.iter().chain(&stages.change).cloned().collect();
    reg::put_stages(&mut tx, &steps, &stored_stages, &ids).await?;
    if let Some(f) = &funding {
        let add: Vec<_> = f.add.iter().map(|(k, ())| k.clone()).collect();
        reg::put_funding(&mut tx, &add, &f.remove, &ids).await?;
    }
    if let Some(d) = &documents {
        store_files(
            &mut tx,
            &files,
            &new_files,
            document_rows.as_ref(),
            tables,
            run,
        )
        .await?;
        let removed: Vec<i64> = d
            .remove
            .iter()
            .filter_map(|k| stored_docs.get(k).map(|(id, _)| *id))
            .chain(shadowed.iter().copied())
            .collect();
        reg::delete_documents(&mut tx, &removed).await?;
        for (key, doc) in &d.change {
            if let Some((id, _)) = stored_docs.get(key) {
                reg::update_document(&mut tx, *id, doc).await?;
            }
        }
        let added: Vec<Document> = d.add.iter().map(|(_, doc)| doc.clone()).collect();
        reg::insert_documents(&mut tx, &added, &ids).await?;
    }
    let mut event = run.event("objects", &tables.source, &plan.changes);
    event.variables = Some(
        json!({
            "operator": run.operator,
            "file": tables.source.name,
            "sha256": tables.source.sha256,
            "changes": plan.changes,
            "parts": parts.iter().map(|(n, c)| (n.to_string(), *c)).collect::<BTreeMap<_, _>>(),
            "documents": documents_dir.map(|d| d.display().to_string()),
        })
        .to_string(),
    );
    crate::audit::append(&mut tx, event).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Checks the files the documents name. A row's file is the one in the documents directory,
/// found and read before the transaction (`inspections`): present, within the size limit, of
/// the document's format, and of the SHA-256 the row gives if it gives one. A row that gives a
/// SHA-256 the hub holds already needs no file in the directory (its stored file must still be
/// of the document's format). Fills each document's SHA-256 and size.
async fn check_files(
    table: &Table,
    rows: &BTreeMap<(String, String), DocumentEntry>,
    inspections: &Inspections,
    tx: &mut crate::store::Tx,
    errors: &mut Vec<RowError>,
) -> Result<(Files, Resolved), ImportError> {
    let mut found: Files = BTreeMap::new();
    let mut resolved: Resolved = BTreeMap::new();
    let mut problems = Vec::new();
    let given: Vec<String> = rows.values().filter_map(|e| e.given_sha.clone()).collect();
    let stored = contents::sizes(tx, &given).await?;
    for (key, entry) in rows {
        let column = entry.path_column;
        let held = entry
            .given_sha
            .as_ref()
            .and_then(|s| stored.get(s).map(|size| (s.clone(), *size)));
        let error = |column: &str, expected| table.error(entry.line, column, expected);
        match (inspections.get(&entry.relative), held) {
            (Some(Ok((path, inspected))), _) => {
                if entry
                    .given_sha
                    .as_ref()
                    .is_some_and(|s| *s != inspected.sha256)
                {
                    let expected = Expected::MatchingChecksum(entry.relative.clone());
                    problems.push(error("sha256", expected));
                } else if !inspected.is_format(entry.document.format) {
                    problems.push(error("format", Expected::FileOfFormat));
                } else {
                    let size = i64::try_from(inspected.size).unwrap_or(i64::MAX);
                    resolved.insert(key.clone(), (inspected.sha256.clone(), size));
                    let value = (path.clone(), inspected.clone(), entry.relative.clone());
                    found.insert(inspected.sha256.clone(), value);
                }
            }
            (Some(Err(Expected::RelativePath)), _) => {
                problems.push(error(column, Expected::RelativePath));
            }
            // Not in the directory (or no directory given), but held under the hash given.
            (_, Some((sha, size))) => {
                let head = contents::head(tx, &sha).await?.unwrap_or_default();
                if files::is_format(&head, entry.document.format) {
                    resolved.insert(key.clone(), (sha, size));
                } else {
                    problems.push(error("format", Expected::FileOfFormat));
                }
            }
            (Some(Err(expected)), None) => problems.push(error(column, expected.clone())),
            (None, None) => {
                problems.push(error(
                    column,
                    Expected::DocumentFile(entry.relative.clone()),
                ));
            }
        }
    }
    problems.sort_by_key(|e| (e.line, e.column));
    errors.extend(problems);
    Ok((found, resolved))
}

/// Stores the new files, each a chunk at a time; a file that changed since it was checked
/// refuses the import, naming the first document that uses it.
async fn store_files(
    tx: &mut crate::store::Tx,
    files: &Files,
    new: &[&String],
    rows: Option<&BTreeMap<(String, String), DocumentEntry>>,
    tables: &Tables,
    run: &Run,
) -> Result<(), ImportError> {
    let bar = run.bar("files");
    let total: u64 = new
        .iter()
        .filter_map(|s| files.get(*s).map(|(_, i, _)| i.size))
        .sum();
    bar.set_length(total);
    for sha in new {
        let Some((path, inspected, relative)) = files.get(*sha) else {
            continue;
        };
        match files::store(tx, path, inspected, &bar).await {
            Ok(()) => {}
            Err(StoreError::Failed(e)) => return Err(e.into()),
            Err(StoreError::Changed) => {
                let line = rows
                    .and_then(|r| {
                        r.values()
                            .filter(|e| e.relative == *relative)
                            .map(|e| e.line)
                            .min()
                    })
                    .unwrap_or(1);
                let table = tables.documents.as_ref().ok_or(AppError::NotFound)?;
                let expected = Expected::MatchingChecksum(relative.clone());
                return Err(ImportError::invalid(vec![
                    table.error(line, "sha256", expected),
                ]));
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}
