//! The working-day calendar as data: Kurban Ait dates and transfers of days off.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};

use super::row::insert_row;
use super::schema::CalendarDays;
use super::{Db, Tx};
use crate::domain::calendar::{Calendar, KNOWN_TRANSFERS, KURBAN_AIT};
use crate::error::AppResult;

/// Row kind of a Kurban Ait date.
pub const KIND_KURBAN_AIT: &str = "KURBAN_AIT";
/// Row kind of a transfer of a day off by a legal act (a Government decree, a minister's order).
pub const KIND_TRANSFER: &str = "TRANSFER";

/// A stored calendar row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CalendarRow {
    /// The date.
    pub day: NaiveDate,
    /// Whether it is worked.
    pub is_working: bool,
    /// `KURBAN_AIT` or `TRANSFER`.
    pub kind: String,
    /// The legal basis of a transfer (act, date, number), or the holiday's name.
    pub note: Option<String>,
}

/// Every stored row, by date.
pub async fn rows(db: &Db) -> AppResult<Vec<CalendarRow>> {
    let q = Query::select()
        .columns([
            CalendarDays::Day,
            CalendarDays::IsWorking,
            CalendarDays::Kind,
            CalendarDays::Note,
        ])
        .from(CalendarDays::Table)
        .order_by(CalendarDays::Day, Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}

/// The calendar: stored Kurban Ait dates (the built-in ones fill years with none stored) and
/// stored overrides.
pub async fn load(db: &Db) -> AppResult<Calendar> {
    let rows = rows(db).await?;
    let stored: Vec<NaiveDate> = rows
        .iter()
        .filter(|r| r.kind == KIND_KURBAN_AIT)
        .map(|r| r.day)
        .collect();
    let years: BTreeSet<i32> = stored.iter().map(|d| d.year()).collect();
    let builtin = KURBAN_AIT
        .iter()
        .filter(|(y, _, _)| !years.contains(y))
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d));
    let overrides = rows
        .iter()
        .filter(|r| r.kind == KIND_TRANSFER)
        .map(|r| (r.day, r.is_working));
    Ok(Calendar::new(
        stored.iter().copied().chain(builtin),
        overrides,
    ))
}

/// Stores (or replaces) a row for `day`.
pub async fn set(
    tx: &mut Tx,
    day: NaiveDate,
    is_working: bool,
    kind: &str,
    note: Option<&str>,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let q = insert_row(
        CalendarDays::Table,
        [
            CalendarDays::Day,
            CalendarDays::IsWorking,
            CalendarDays::Kind,
            CalendarDays::Note,
            CalendarDays::UpdatedBy,
            CalendarDays::UpdatedAt,
        ],
        [
            day.into(),
            is_working.into(),
            kind.into(),
            note.map(str::to_owned).into(),
            by.into(),
            at.into(),
        ],
    )
    .on_conflict(
        OnConflict::column(CalendarDays::Day)
            .update_columns([
                CalendarDays::IsWorking,
                CalendarDays::Kind,
                CalendarDays::Note,
                CalendarDays::UpdatedBy,
                CalendarDays::UpdatedAt,
            ])
            .to_owned(),
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Removes the transfer of `day` (the rules apply again); `false` when there was none.
pub async fn clear(tx: &mut Tx, day: NaiveDate) -> AppResult<bool> {
    let q = Query::delete()
        .from_table(CalendarDays::Table)
        .and_where(Expr::col(CalendarDays::Day).eq(day))
        .and_where(Expr::col(CalendarDays::Kind).eq(KIND_TRANSFER))
        .to_owned();
    Ok(tx.execute(&q).await? > 0)
}

/// Stores the built-in Kurban Ait dates and transfers (reference seed).
pub async fn seed_known_days(tx: &mut Tx, at: DateTime<Utc>) -> AppResult<()> {
    for (y, m, d, worked, basis) in KNOWN_TRANSFERS {
        if let Some(day) = NaiveDate::from_ymd_opt(y, m, d) {
            set(tx, day, worked, KIND_TRANSFER, Some(basis), None, at).await?;
        }
    }
    for (y, m, d) in KURBAN_AIT {
        if let Some(day) = NaiveDate::from_ymd_opt(y, m, d) {
            set(
                tx,
                day,
                false,
                KIND_KURBAN_AIT,
                Some("Құрбан айт / Курбан айт"),
                None,
                at,
            )
            .await?;
        }
    }
    Ok(())
}
