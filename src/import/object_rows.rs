//! The rows of an objects file, table by table: their columns, what each cell must be, and the
//! checks across tables (each row of stages, funding and documents names an object of the
//! file's objects table).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::report::RowError;
use super::table::{Column, Fields, Table};
use crate::domain::budget::BudgetLevel;
use crate::domain::ident::Bin;
use crate::domain::object::{
    AccessLevel, AttestationStatus, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage,
    ObjectKind,
};
use crate::error::Expected;
use crate::store::Tx;
use crate::store::budget::{self, NaturalKey};
use crate::store::object_register::{Document, Object, StageKey};

/// The objects table: one row per object.
pub const OBJECT_COLUMNS: &[Column] = &[
    Column::required("account_code"),
    Column::required("kind"),
    Column::required("class"),
    Column::required("name_kk"),
    Column::required("name_ru"),
    Column::optional("name_en"),
    Column::required("owner_bin"),
    Column::required("possessor_bin"),
    Column::required("stage"),
    Column::required("stage_date"),
    Column::optional("stage_basis"),
    Column::required("access_level"),
    Column::required("registered_on"),
    Column::required("attestation"),
    Column::optional("attested_on"),
];

/// The stages table: earlier steps of an object's lifecycle.
pub const STAGE_COLUMNS: &[Column] = &[
    Column::required("account_code"),
    Column::required("stage"),
    Column::required("started_on"),
    Column::optional("basis"),
];

/// The funding table: the budget lines funding an object, by their natural key.
pub const FUNDING_COLUMNS: &[Column] = &[
    Column::required("account_code"),
    Column::required("year"),
    Column::required("level"),
    Column::required("kato"),
    Column::required("administrator"),
    Column::required("program"),
    Column::optional("subprogram"),
    Column::optional("specific"),
];

/// The documents table: an object's documents and their files.
pub const DOCUMENT_COLUMNS: &[Column] = &[
    Column::required("account_code"),
    Column::required("doc_type"),
    Column::required("title"),
    Column::optional("number"),
    Column::optional("approved_on"),
    Column::required("version"),
    Column::required("language"),
    Column::required("format"),
    Column::required("file_name"),
    Column::optional("path"),
    Column::optional("sha256"),
];

/// Longest object name or document title kept.
const MAX_NAME: usize = 1000;
/// Longest basis of a stage (the act or order it rests on).
const MAX_BASIS: usize = 500;
/// Longest document number or version.
const MAX_NUMBER: usize = 64;
/// Longest file name.
const MAX_FILE_NAME: usize = 255;
/// Longest relative path.
const MAX_PATH: usize = 1000;

/// One row of the objects table.
#[derive(Debug, Clone)]
pub struct ObjectEntry {
    /// Its line.
    pub line: u64,
    /// The object.
    pub object: Object,
    /// When its current stage began.
    pub stage_on: NaiveDate,
    /// What the current stage rests on.
    pub stage_basis: Option<String>,
}

/// One row of the documents table.
#[derive(Debug, Clone)]
pub struct DocumentEntry {
    /// Its line.
    pub line: u64,
    /// The document (size and SHA-256 filled once its file is checked).
    pub document: Document,
    /// The file's path in the documents directory (the `path` column, else the file name).
    pub relative: String,
    /// The column the path came from.
    pub path_column: &'static str,
    /// The SHA-256 the row gives, lowercase.
    pub given_sha: Option<String>,
}

fn account_code(f: &mut Fields<'_>) -> Option<String> {
    let v = f.raw("account_code");
    let ok = !v.is_empty()
        && v.chars().count() <= 64
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Some(v.to_owned())
    } else {
        f.fail("account_code", Expected::AccountCode);
        None
    }
}

fn known_bin(f: &mut Fields<'_>, name: &str, orgs: &HashMap<String, i64>) -> Option<String> {
    match Bin::parse(f.raw(name)) {
        Ok(b) if orgs.contains_key(b.as_str()) => Some(b.as_str().to_owned()),
        Ok(_) => {
            f.fail(name, Expected::KnownBody);
            None
        }
        Err(_) => {
            f.fail(name, Expected::ValidIdentifier);
            None
        }
    }
}

fn read_object(f: &mut Fields<'_>, orgs: &HashMap<String, i64>) -> Option<ObjectEntry> {
    let code = account_code(f);
    let kind = f.variant::<ObjectKind>("kind");
    let class = f.integer("class", 1, 3);
    let name_kk = f.text("name_kk", MAX_NAME);
    let name_ru = f.text("name_ru", MAX_NAME);
    let name_en = f.optional_text("name_en", MAX_NAME);
    let owner = known_bin(f, "owner_bin", orgs);
    let possessor = known_bin(f, "possessor_bin", orgs);
    let stage = f.variant::<LifecycleStage>("stage");
    let stage_on = f.date("stage_date");
    let stage_basis = f.optional_text("stage_basis", MAX_BASIS);
    let access_level = f.variant::<AccessLevel>("access_level");
    let registered_on = f.date("registered_on");
    let attestation = f.variant::<AttestationStatus>("attestation");
    let attested_on = f.optional_date("attested_on");
    // A date goes with an attestation, and only with one.
    if let (Some(a), Some(on)) = (attestation, attested_on)
        && (a == AttestationStatus::Attested) != on.is_some()
    {
        f.fail("attested_on", Expected::ConsistentWith("attestation"));
        return None;
    }
    Some(ObjectEntry {
        line: f.line(),
        object: Object {
            account_code: code?,
            kind: kind?,
            object_class: i32::try_from(class?).ok()?,
            name_kk: name_kk?,
            name_ru: name_ru?,
            name_en: name_en?,
            owner_bin: owner?,
            possessor_bin: possessor?,
            stage: stage?,
            access_level: access_level?,
            registered_on: registered_on?,
            attestation: attestation?,
            attested_on: attested_on?,
        },
        stage_on: stage_on?,
        stage_basis: stage_basis?,
    })
}

/// The objects table's rows by account code (each code once, owner and possessor registered).
pub fn check_objects(
    table: &Table,
    orgs: &HashMap<String, i64>,
    errors: &mut Vec<RowError>,
) -> BTreeMap<String, ObjectEntry> {
    let mut found = Vec::new();
    let mut entries = BTreeMap::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut found);
        let Some(entry) = read_object(&mut f, orgs) else {
            continue;
        };
        if entries.contains_key(&entry.object.account_code) {
            f.fail("account_code", Expected::Unique);
            continue;
        }
        entries.insert(entry.object.account_code.clone(), entry);
    }
    table.checked();
    errors.extend(found);
    entries
}

/// The object a row of a dependent table names: its code, when the objects table has it.
fn object_of<'a>(
    f: &mut Fields<'_>,
    objects: &'a BTreeMap<String, ObjectEntry>,
) -> Option<&'a ObjectEntry> {
    let code = account_code(f)?;
    let found = objects.get(&code);
    if found.is_none() {
        f.fail("account_code", Expected::KnownObject);
    }
    found
}

/// The stages table's steps by (code, date, stage), with their lines and bases. A step later
/// than the object's current stage, or the current step with another basis, is refused.
pub fn check_stages(
    table: &Table,
    objects: &BTreeMap<String, ObjectEntry>,
    errors: &mut Vec<RowError>,
) -> BTreeMap<StageKey, (u64, Option<String>)> {
    let mut found = Vec::new();
    let mut steps = BTreeMap::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut found);
        let object = object_of(&mut f, objects);
        let stage = f.variant::<LifecycleStage>("stage");
        let on = f.date("started_on");
        let basis = f.optional_text("basis", MAX_BASIS);
        let (Some(object), Some(stage), Some(on), Some(basis)) = (object, stage, on, basis) else {
            continue;
        };
        if on > object.stage_on {
            f.fail("started_on", Expected::ConsistentWith("objects.stage_date"));
            continue;
        }
        let current = on == object.stage_on && stage == object.object.stage;
        if current && basis.is_some() && basis != object.stage_basis {
            f.fail("basis", Expected::ConsistentWith("objects.stage_basis"));
            continue;
        }
        let key = (object.object.account_code.clone(), on, stage.as_str());
        if steps.contains_key(&key) {
            f.fail("started_on", Expected::Unique);
            continue;
        }
        // The current step's basis is the objects table's.
        let basis = if current {
            object.stage_basis.clone()
        } else {
            basis
        };
        steps.insert(key, (f.line(), basis));
    }
    table.checked();
    found.sort_by_key(|e| (e.line, e.column));
    errors.extend(found);
    steps
}

/// The funding table's links (code, budget line id); each line must be in the hub already.
pub async fn check_funding(
    table: &Table,
    objects: &BTreeMap<String, ObjectEntry>,
    tx: &mut Tx,
    errors: &mut Vec<RowError>,
) -> Result<BTreeSet<(String, i64)>, crate::error::AppError> {
    let mut found = Vec::new();
    let mut rows: Vec<(u64, String, NaturalKey)> = Vec::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut found);
        let object = object_of(&mut f, objects);
        let year = f.integer("year", 1990, 2100);
        let level = f.variant::<BudgetLevel>("level");
        let kato = f.digits("kato", 9);
        let administrator = f.digits("administrator", 3);
        let program = f.digits("program", 3);
        let subprogram = f.optional_digits("subprogram", 3);
        let specific = f.optional_digits("specific", 3);
        let (Some(o), Some(y), Some(l), Some(k), Some(a), Some(p), Some(s), Some(sp)) = (
            object,
            year,
            level,
            kato,
            administrator,
            program,
            subprogram,
            specific,
        ) else {
            continue;
        };
        let year = i32::try_from(y).unwrap_or_default();
        let key = (
            year,
            l.as_str(),
            k,
            a,
            p,
            s.unwrap_or_default(),
            sp.unwrap_or_default(),
        );
        rows.push((f.line(), o.object.account_code.clone(), key));
    }
    table.checked();
    let keys: BTreeSet<NaturalKey> = rows.iter().map(|(_, _, k)| k.clone()).collect();
    let ids = budget::line_ids(tx, &keys).await?;
    let mut links = BTreeSet::new();
    for (line, code, key) in rows {
        match ids.get(&key) {
            None => found.push(table.error(line, "program", Expected::KnownBudgetLine)),
            Some(id) if !links.insert((code.clone(), *id)) => {
                found.push(table.error(line, "program", Expected::Unique));
            }
            Some(_) => {}
        }
    }
    found.sort_by_key(|e| (e.line, e.column));
    errors.extend(found);
    Ok(links)
}

fn file_name(f: &mut Fields<'_>) -> Option<String> {
    let v = f.raw("file_name");
    let ok = !v.is_empty()
        && v.chars().count() <= MAX_FILE_NAME
        && v != "."
        && v != ".."
        && !v
            .chars()
            .any(|c| crate::domain::text::is_unsafe(c) || c == '/' || c == '\\');
    if ok {
        Some(v.to_owned())
    } else {
        f.fail("file_name", Expected::FileName);
        None
    }
}

fn sha256(f: &mut Fields<'_>) -> Option<Option<String>> {
    let v = f.raw("sha256");
    if v.is_empty() {
        return Some(None);
    }
    if v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        Some(Some(v.to_ascii_lowercase()))
    } else {
        f.fail("sha256", Expected::Sha256Hex);
        None
    }
}

fn read_document(
    f: &mut Fields<'_>,
    objects: &BTreeMap<String, ObjectEntry>,
) -> Option<DocumentEntry> {
    let object = object_of(f, objects);
    let doc_type = f.variant::<DocumentType>("doc_type");
    let title = f.text("title", MAX_NAME);
    let number = f.optional_text("number", MAX_NUMBER);
    let approved_on = f.optional_date("approved_on");
    let version = f.text("version", MAX_NUMBER);
    let language = f.variant::<DocumentLanguage>("language");
    let format = f.variant::<DocumentFormat>("format");
    let name = file_name(f);
    let path = if f.raw("path").is_empty() {
        Some(None)
    } else {
        f.optional_text("path", MAX_PATH)
    };
    let given_sha = sha256(f);
    let name = name?;
    let (relative, path_column) = match path? {
        Some(p) => (p, "path"),
        None => (name.clone(), "file_name"),
    };
    Some(DocumentEntry {
        line: f.line(),
        document: Document {
            account_code: object?.object.account_code.clone(),
            doc_type: doc_type?,
            title: title?,
            number: number?,
            approved_on: approved_on?,
            version: version?,
            language: language?,
            format: format?,
            file_name: name,
            size_bytes: 0,
            sha256: String::new(),
        },
        relative,
        path_column,
        given_sha: given_sha?,
    })
}

/// The paths of the files the documents table names (its `path`, else its `file_name`), as
/// written, for reading the files before the import's transaction; the rows are checked later.
pub fn document_paths(table: &Table) -> Vec<String> {
    table
        .records
        .iter()
        .filter_map(|record| {
            let path = match table.text_of(record, "path") {
                "" => table.text_of(record, "file_name"),
                p => p,
            };
            (!path.is_empty()).then(|| path.to_owned())
        })
        .collect()
}

/// The documents table's rows by (code, file name), each pair once.
pub fn check_documents(
    table: &Table,
    objects: &BTreeMap<String, ObjectEntry>,
    errors: &mut Vec<RowError>,
) -> BTreeMap<(String, String), DocumentEntry> {
    let mut found = Vec::new();
    let mut entries = BTreeMap::new();
    for record in &table.records {
        let mut f = table.fields(record, &mut found);
        let Some(entry) = read_document(&mut f, objects) else {
            continue;
        };
        let key = (
            entry.document.account_code.clone(),
            entry.document.file_name.clone(),
        );
        if entries.contains_key(&key) {
            f.fail("file_name", Expected::Unique);
            continue;
        }
        entries.insert(key, entry);
    }
    table.checked();
    errors.extend(found);
    entries
}
