//! The unified budget classification, year by year: what the classification import reads and
//! writes, and the codes a budget import checks its rows against.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, OnConflict, Query};

use super::Tx;
use super::schema::BudgetClassification as C;
use crate::domain::budget::{BudgetLevel, ClassificationKind};
use crate::error::AppResult;

/// The current codes of each year that has a classification: `(kind, level, code)`.
pub type Codes = BTreeMap<i32, BTreeSet<(ClassificationKind, Option<BudgetLevel>, String)>>;

/// An entry's natural key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Budget year.
    pub year: i32,
    /// What the code classifies.
    pub kind: ClassificationKind,
    /// Budget level (administrators, programs and subprograms only).
    pub level: Option<BudgetLevel>,
    /// The full code (a program's includes its administrator's).
    pub code: String,
}

/// An entry with its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key.
    pub key: Key,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// The day a newer file of its year left it out, if one has.
    pub retired_on: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct Stored {
    year: i32,
    #[sqlx(try_from = "String")]
    kind: ClassificationKind,
    level: String,
    code: String,
    name_kk: String,
    name_ru: String,
    retired_on: Option<NaiveDate>,
}

impl Stored {
    fn entry(self) -> Option<Entry> {
        let level = match self.level.as_str() {
            "" => None,
            l => Some(l.parse().ok()?),
        };
        Some(Entry {
            key: Key {
                year: self.year,
                kind: self.kind,
                level,
                code: self.code,
            },
            name_kk: self.name_kk,
            name_ru: self.name_ru,
            retired_on: self.retired_on,
        })
    }
}

/// The columns every read and write of an entry names, in this order.
const COLUMNS: [C; 7] = [
    C::Year,
    C::Kind,
    C::Level,
    C::Code,
    C::NameKk,
    C::NameRu,
    C::RetiredOn,
];

fn level_text(level: Option<BudgetLevel>) -> &'static str {
    level.map_or("", BudgetLevel::as_str)
}

/// Serializes classification imports.
pub async fn lock(tx: &mut Tx) -> AppResult<()> {
    super::bulk::lock_for_import(tx, C::Table).await
}

/// Every entry of the given years, by key.
pub async fn of_years(tx: &mut Tx, years: &BTreeSet<i32>) -> AppResult<BTreeMap<Key, Entry>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(C::Table)
        .and_where(Expr::col(C::Year).is_in(years.iter().copied()))
        .to_owned();
    Ok(tx
        .all::<Stored>(&q)
        .await?
        .into_iter()
        .filter_map(Stored::entry)
        .map(|e| (e.key.clone(), e))
        .collect())
}

/// Inserts new entries and rewrites changed ones (a retired entry the file has again is
/// current again).
pub async fn upsert<'a>(tx: &mut Tx, entries: impl Iterator<Item = &'a Entry>) -> AppResult<()> {
    let rows: Vec<Vec<sea_query::Value>> = entries
        .map(|e| {
            vec![
                e.key.year.into(),
                e.key.kind.into(),
                level_text(e.key.level).into(),
                e.key.code.clone().into(),
                e.name_kk.clone().into(),
                e.name_ru.clone().into(),
                e.retired_on.into(),
            ]
        })
        .collect();
    let conflict = OnConflict::columns([C::Year, C::Kind, C::Level, C::Code])
        .update_columns([C::NameKk, C::NameRu, C::RetiredOn])
        .to_owned();
    for q in super::bulk::chunked_inserts(C::Table, &COLUMNS, rows, Some(&conflict)) {
        tx.execute(&q?).await?;
    }
    Ok(())
}

/// Marks entries retired on `day`.
pub async fn retire(tx: &mut Tx, keys: &[Key], day: NaiveDate) -> AppResult<()> {
    for k in keys {
        let q = Query::update()
            .table(C::Table)
            .value(C::RetiredOn, day)
            .and_where(Expr::col(C::Year).eq(k.year))
            .and_where(Expr::col(C::Kind).eq(k.kind.as_str()))
            .and_where(Expr::col(C::Level).eq(level_text(k.level)))
            .and_where(Expr::col(C::Code).eq(k.code.as_str()))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The current codes of every year that has a classification, for checking budget rows.
pub async fn current(db: &super::Db) -> AppResult<Codes> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(C::Table)
        .and_where(Expr::col(C::RetiredOn).is_null())
        .to_owned();
    let mut out = Codes::new();
    for e in db
        .all::<Stored>(&q)
        .await?
        .into_iter()
        .filter_map(Stored::entry)
    {
        out.entry(e.key.year)
            .or_default()
            .insert((e.key.kind, e.key.level, e.key.code));
    }
    Ok(out)
}
