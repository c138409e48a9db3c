//! The territory tree as the KATO import reads and writes it: every code with its kind, region,
//! parent, names and retirement date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Query};

use super::Tx;
use super::schema::Territories as T;
use crate::domain::territory::TerritoryKind;
use crate::error::AppResult;

/// A territory as the classifier describes it (its English name is the hub's own and is left
/// out: an import neither compares nor overwrites it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Territory {
    /// 9-digit KATO code.
    pub kato: String,
    /// Kind, from the code's level.
    #[sqlx(try_from = "String")]
    pub kind: TerritoryKind,
    /// Its region's code (its own for a region; none for the Republic).
    pub region_kato: Option<String>,
    /// The code one level up (none for regions and the Republic).
    pub parent_kato: Option<String>,
    /// Name in Kazakh.
    pub name_kk: String,
    /// Name in Russian.
    pub name_ru: String,
    /// The day it left the classifier, if it has.
    pub retired_on: Option<NaiveDate>,
}

/// Serializes imports of the territory tree.
pub async fn lock(tx: &mut Tx) -> AppResult<()> {
    super::bulk::lock_for_import(tx, T::Table).await
}

/// Every territory, by code.
pub async fn all(tx: &mut Tx) -> AppResult<BTreeMap<String, Territory>> {
    let q = Query::select()
        .columns([
            T::Kato,
            T::Kind,
            T::RegionKato,
            T::ParentKato,
            T::NameKk,
            T::NameRu,
            T::RetiredOn,
        ])
        .from(T::Table)
        .to_owned();
    Ok(tx
        .all::<Territory>(&q)
        .await?
        .into_iter()
        .map(|t| (t.kato.clone(), t))
        .collect())
}

/// Inserts new territories, parents before children.
pub async fn insert(tx: &mut Tx, rows: &[Territory]) -> AppResult<()> {
    let mut rows: Vec<&Territory> = rows.iter().collect();
    rows.sort_by_key(|t| (depth(t), t.kato.clone()));
    let values = rows.into_iter().map(|t| {
        vec![
            t.kato.clone().into(),
            t.kind.into(),
            t.region_kato.clone().into(),
            t.parent_kato.clone().into(),
            t.name_kk.clone().into(),
            t.name_ru.clone().into(),
            t.retired_on.into(),
        ]
    });
    for q in super::bulk::chunked_inserts(
        T::Table,
        &[
            T::Kato,
            T::Kind,
            T::RegionKato,
            T::ParentKato,
            T::NameKk,
            T::NameRu,
            T::RetiredOn,
        ],
        values.collect::<Vec<_>>(),
        None,
    ) {
        tx.execute(&q?).await?;
    }
    Ok(())
}

/// Rewrites changed territories (and brings retired ones back).
pub async fn update(tx: &mut Tx, rows: &[Territory]) -> AppResult<()> {
    for t in rows {
        let q = Query::update()
            .table(T::Table)
            .values([
                (T::Kind, t.kind.into()),
                (T::RegionKato, t.region_kato.clone().into()),
                (T::ParentKato, t.parent_kato.clone().into()),
                (T::NameKk, t.name_kk.clone().into()),
                (T::NameRu, t.name_ru.clone().into()),
                (T::RetiredOn, t.retired_on.into()),
            ])
            .and_where(Expr::col(T::Kato).eq(t.kato.as_str()))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Marks the territories `codes` retired on `day`.
pub async fn retire(tx: &mut Tx, codes: &[String], day: NaiveDate) -> AppResult<()> {
    for chunk in codes.chunks(1000) {
        let q = Query::update()
            .table(T::Table)
            .value(T::RetiredOn, day)
            .and_where(Expr::col(T::Kato).is_in(chunk.iter().map(String::as_str)))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Orders parents before children: a parent's code is its child's with the last non-zero
/// segment zeroed, so it has strictly fewer digits before its trailing zeros.
fn depth(t: &Territory) -> usize {
    t.kato.trim_end_matches('0').len()
}
