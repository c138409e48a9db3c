//! The working-day calendar over GraphQL: reading it, computing deadlines, and the integrator's
//! corrections (`setCalendarDay`).

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::{Datelike, Days, NaiveDate};

use super::context::req;
use crate::authz::Action;
use crate::domain::calendar::{Calendar, DayKind};
use crate::error::{AppError, Expected};
use crate::graphql::date::Date;
use crate::store::calendar as store;

/// What kind of day a calendar day is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarDayKind {
    /// An ordinary working day.
    Working,
    /// Saturday or Sunday.
    Weekend,
    /// A public holiday.
    Holiday,
    /// The working day a weekend holiday moved to.
    CarryOver,
    /// A day off that does not move (7 January, Kurban Ait).
    DayOffNoCarry,
    /// A day off transferred for this date by a legal act (a weekday off, or a weekend day
    /// worked); `note` names the act.
    Transfer,
}

/// One day of the calendar.
#[derive(SimpleObject)]
pub struct CalendarDay {
    /// The date.
    pub date: Date,
    /// Whether it is a working day.
    pub working: bool,
    /// Why.
    pub kind: CalendarDayKind,
    /// The legal basis of a transfer (the act, its date and number), or the name of a holiday.
    pub note: Option<String>,
}

fn day(cal: &Calendar, date: NaiveDate, note: Option<String>) -> CalendarDay {
    let kind = cal.kind(date);
    CalendarDay {
        date: Date(date),
        working: kind.is_working(),
        kind: match kind {
            DayKind::Working => CalendarDayKind::Working,
            DayKind::Weekend => CalendarDayKind::Weekend,
            DayKind::Holiday => CalendarDayKind::Holiday,
            DayKind::CarryOver => CalendarDayKind::CarryOver,
            DayKind::DayOffNoCarry => CalendarDayKind::DayOffNoCarry,
            DayKind::Transfer { .. } => CalendarDayKind::Transfer,
        },
        note,
    }
}

/// Calendar queries.
#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// Every day of `year` that is not an ordinary working day or ordinary weekend: holidays,
    /// carry-overs, days off without carry-over and transfers.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn calendar(&self, ctx: &Context<'_>, year: i32) -> Result<Vec<CalendarDay>> {
        let r = req(ctx)?;
        r.allowed(r.permissions().calendar())?;
        if !(1990..=2100).contains(&year) {
            return Err(r.error(AppError::invalid("year", Expected::IntegerIn(1990, 2100))));
        }
        let cal = store::load(r.db()).await.map_err(|e| r.error(e))?;
        let notes = store::rows(r.db()).await.map_err(|e| r.error(e))?;
        let mut out = Vec::new();
        let mut date = NaiveDate::from_ymd_opt(year, 1, 1);
        while let Some(d) = date.filter(|d| d.year() == year) {
            if !matches!(cal.kind(d), DayKind::Working | DayKind::Weekend) {
                let note = notes
                    .iter()
                    .find(|n| n.day == d)
                    .and_then(|n| n.note.clone());
                out.push(day(&cal, d, note));
            }
            date = d.checked_add_days(Days::new(1));
        }
        Ok(out)
    }

    /// The date whose end is the deadline `days` working days after `from` (the day of receipt).
    async fn working_day_deadline(&self, ctx: &Context<'_>, from: Date, days: i32) -> Result<Date> {
        let r = req(ctx)?;
        r.allowed(r.permissions().calendar())?;
        let n = u32::try_from(days)
            .ok()
            .filter(|n| *n <= 366)
            .ok_or_else(|| r.error(AppError::invalid("days", Expected::IntegerIn(0, 366))))?;
        let cal = store::load(r.db()).await.map_err(|e| r.error(e))?;
        cal.add_working_days(from.0, n)
            .map(Date)
            .ok_or_else(|| r.error(AppError::invalid("from", Expected::Date)))
    }
}

/// Calendar corrections.
#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Sets `date` as a working day (`working: true`) or a day off (`false`) by a transfer whose
    /// legal basis `note` names, or with `working` omitted removes the transfer so the rules apply
    /// again. Integrator only.
    async fn set_calendar_day(
        &self,
        ctx: &Context<'_>,
        date: Date,
        working: Option<bool>,
        note: Option<String>,
    ) -> Result<CalendarDay> {
        let r = req(ctx)?;
        let step = super::workflow::step(r, Action::UpdateCalendar)?;
        crate::service::workflow::set_calendar_day(step, date.0, working, note.as_deref())
            .await
            .map_err(|e| r.error(e))?;
        let cal = store::load(r.db()).await.map_err(|e| r.error(e))?;
        Ok(day(&cal, date.0, note.filter(|_| working.is_some())))
    }
}
