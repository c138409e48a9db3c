//! Reference rows a budget import names but the reference lacks: territories, administrators
//! and programs, created with placeholder names (never overwriting a real one), and the region
//! codes an import checks rows against.

use std::collections::HashSet;

use sea_query::{Expr, ExprTrait, OnConflict, Query};

use super::row::insert_row;
use super::schema::{Administrators, BudgetPrograms, Territories};
use super::{Db, Tx};
use crate::domain::budget::BudgetLevel;
use crate::domain::territory::TerritoryKind;
use crate::error::AppResult;

/// The KATO codes of the regions (oblasts, cities of republican significance, the capital).
pub async fn region_codes(db: &Db) -> AppResult<HashSet<String>> {
    #[derive(sqlx::FromRow)]
    struct KatoRow {
        kato: String,
    }
    let q = Query::select()
        .column(Territories::Kato)
        .from(Territories::Table)
        .and_where(Expr::col(Territories::Kind).is_in([
            TerritoryKind::Oblast.as_str(),
            TerritoryKind::CityRepublican.as_str(),
            TerritoryKind::Capital.as_str(),
        ]))
        .to_owned();
    Ok(db
        .all::<KatoRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.kato)
        .collect())
}

/// A territory of `kind` under its region, unless it exists.
pub async fn ensure_territory(
    tx: &mut Tx,
    kato: &str,
    kind: TerritoryKind,
    region: Option<String>,
) -> AppResult<()> {
    let q = insert_row(
        Territories::Table,
        [
            Territories::Kato,
            Territories::Kind,
            Territories::RegionKato,
            Territories::ParentKato,
            Territories::NameKk,
            Territories::NameRu,
            Territories::NameEn,
        ],
        [
            kato.into(),
            kind.into(),
            region.clone().into(),
            region.into(),
            format!("Аумақ {kato}").into(),
            format!("Территория {kato}").into(),
            format!("Territory {kato}").into(),
        ],
    )
    .on_conflict(
        OnConflict::column(Territories::Kato)
            .do_nothing()
            .to_owned(),
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// An administrator of a budget, unless it exists.
pub async fn ensure_administrator(
    tx: &mut Tx,
    level: BudgetLevel,
    kato: &str,
    code: &str,
) -> AppResult<()> {
    let q = insert_row(
        Administrators::Table,
        [
            Administrators::Level,
            Administrators::Kato,
            Administrators::Code,
            Administrators::NameKk,
            Administrators::NameRu,
            Administrators::NameEn,
        ],
        [
            level.into(),
            kato.into(),
            code.into(),
            format!("{code} әкімшісі").into(),
            format!("Администратор {code}").into(),
            format!("Administrator {code}").into(),
        ],
    )
    .on_conflict(
        OnConflict::columns([
            Administrators::Level,
            Administrators::Kato,
            Administrators::Code,
        ])
        .do_nothing()
        .to_owned(),
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// A budget program of an administrator, unless it exists.
pub async fn ensure_program(
    tx: &mut Tx,
    level: BudgetLevel,
    kato: &str,
    administrator: &str,
    program: &str,
) -> AppResult<()> {
    let q = insert_row(
        BudgetPrograms::Table,
        [
            BudgetPrograms::Level,
            BudgetPrograms::Kato,
            BudgetPrograms::Administrator,
            BudgetPrograms::Program,
            BudgetPrograms::NameKk,
            BudgetPrograms::NameRu,
            BudgetPrograms::NameEn,
        ],
        [
            level.into(),
            kato.into(),
            administrator.into(),
            program.into(),
            format!("{program} бюджеттік бағдарламасы").into(),
            format!("Бюджетная программа {program}").into(),
            format!("Budget program {program}").into(),
        ],
    )
    .on_conflict(
        OnConflict::columns([
            BudgetPrograms::Level,
            BudgetPrograms::Kato,
            BudgetPrograms::Administrator,
            BudgetPrograms::Program,
        ])
        .do_nothing()
        .to_owned(),
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}
