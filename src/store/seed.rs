//! The reads and writes of seeding: whether a database already holds reference or budget data,
//! whether the demo seed made it, the heads the demo grants go to, and what the reference seed
//! adds to its imported files (the Republic, English names, contacts).

use sea_query::{Expr, ExprTrait, Func, Iden, Query};

use super::row::insert_row;
use super::schema::{BudgetLines, DemoMarker, Organizations, Territories, Users};
use super::{Db, Tx};
use crate::domain::org::BodyKind;
use crate::domain::territory::{REPUBLIC_KATO, TerritoryKind};
use crate::error::AppResult;

/// The alias of the heads' `users` rows in [`heads_of`].
const USER: &str = "u";

/// `SELECT COUNT(column) FROM table`, `table` a table enum's `Table` variant.
fn count_of<T: Iden + Copy + 'static>(table: T, column: T) -> sea_query::SelectStatement {
    Query::select()
        .expr(Func::count(Expr::col(column)))
        .from(table)
        .to_owned()
}

/// Whether the reference data is present (any territory).
pub async fn has_reference(tx: &mut Tx) -> AppResult<bool> {
    Ok(tx
        .scalar_i64(&count_of(Territories::Table, Territories::Kato))
        .await?
        > 0)
}

/// Whether any budget line is stored (inside a seeding transaction).
pub async fn has_budget_lines_in(tx: &mut Tx) -> AppResult<bool> {
    Ok(tx
        .scalar_i64(&count_of(BudgetLines::Table, BudgetLines::Id))
        .await?
        > 0)
}

/// Whether any budget line is stored.
pub async fn has_budget_lines(db: &Db) -> AppResult<bool> {
    Ok(db
        .scalar_i64(&count_of(BudgetLines::Table, BudgetLines::Id))
        .await?
        > 0)
}

/// Marks the database as made by the demo seed.
pub async fn mark_demo(tx: &mut Tx, at: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    let q = insert_row(
        DemoMarker::Table,
        [DemoMarker::Id, DemoMarker::SeededAt],
        [1.into(), at.into()],
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Whether the demo seed made this database (its mark is there).
pub async fn is_demo(db: &Db) -> AppResult<bool> {
    Ok(db
        .scalar_i64(&count_of(DemoMarker::Table, DemoMarker::Id))
        .await?
        > 0)
}

/// The ids of the heads of the bodies of `kinds` that the law does not exclude.
pub async fn heads_of(tx: &mut Tx, kinds: &[BodyKind]) -> AppResult<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: i64,
    }
    let q = Query::select()
        .column((USER, Users::Id))
        .from_as(Users::Table, USER)
        .inner_join(
            Organizations::Table,
            Expr::col((Organizations::Table, Organizations::Id))
                .equals((USER, Users::OrganizationId)),
        )
        .and_where(Expr::col((USER, Users::IsHead)).eq(true))
        .and_where(Expr::col((Organizations::Table, Organizations::AuditExcluded)).eq(false))
        .and_where(
            Expr::col((Organizations::Table, Organizations::Kind)).is_in(kinds.iter().copied()),
        )
        .to_owned();
    Ok(tx
        .all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Inserts the Republic, the root of the territory tree (the KATO classifier has no row for
/// it), with its names in kk, ru and en.
pub async fn put_republic(tx: &mut Tx, names: [&str; 3]) -> AppResult<()> {
    let [kk, ru, en] = names;
    super::bulk::insert_rows(
        tx,
        Territories::Table,
        &[
            Territories::Kato,
            Territories::Kind,
            Territories::NameKk,
            Territories::NameRu,
            Territories::NameEn,
        ],
        vec![vec![
            REPUBLIC_KATO.into(),
            TerritoryKind::Republic.into(),
            kk.into(),
            ru.into(),
            en.into(),
        ]],
    )
    .await
}

/// Sets the English names of territories (the hub's own: the classifier has none).
pub async fn set_english_names(tx: &mut Tx, names: &[(String, String)]) -> AppResult<()> {
    for (kato, en) in names {
        let q = Query::update()
            .table(Territories::Table)
            .value(Territories::NameEn, en.as_str())
            .and_where(Expr::col(Territories::Kato).eq(kato.as_str()))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Sets the phone, e-mail and eQyzmet code of the heads of bodies: (body id, phone, e-mail,
/// code) each.
pub async fn set_head_contacts(
    tx: &mut Tx,
    contacts: &[(i64, String, String, String)],
) -> AppResult<()> {
    for (org, phone, email, qr) in contacts {
        let q = Query::update()
            .table(Users::Table)
            .values([
                (Users::Phone, phone.as_str().into()),
                (Users::Email, email.as_str().into()),
                (Users::EqyzmetQr, qr.as_str().into()),
            ])
            .and_where(Expr::col(Users::OrganizationId).eq(*org))
            .and_where(Expr::col(Users::IsHead).eq(true))
            .to_owned();
        tx.execute(&q).await?;
    }
    Ok(())
}
