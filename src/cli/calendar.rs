//! `calendar`: deadlines in working days, and the transfers that change them.

use serde_json::json;

use super::Context;
use crate::clock::Clock;
use crate::store::calendar;

/// What to do with the calendar.
#[derive(Debug, clap::Subcommand)]
pub enum CalendarCommand {
    /// Print the date whose end is the deadline N working days after FROM (the day of receipt).
    Due {
        /// Day of receipt (YYYY-MM-DD).
        from: chrono::NaiveDate,
        /// Working days.
        n: u32,
    },
    /// Set a date as worked or off by a transfer (a Government decree, a minister's order).
    Set {
        /// The date (YYYY-MM-DD).
        date: chrono::NaiveDate,
        /// The day is worked (e.g. a transferred Saturday).
        #[arg(long, conflicts_with = "off", required_unless_present = "off")]
        working: bool,
        /// The day is off (e.g. a transferred weekday).
        #[arg(long)]
        off: bool,
        /// The legal basis: the act, its date and number.
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a date's transfer: the rules apply again.
    Clear {
        /// The date (YYYY-MM-DD).
        date: chrono::NaiveDate,
    },
}

/// An operator's change on the record: the command and its arguments, with no user (it runs on
/// the server itself, as the deployment's operator).
fn operator_step(
    command: &str,
    arguments: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::audit::Event {
    crate::audit::Event {
        at,
        operation: Some(command.to_owned()),
        variables: Some(arguments.to_string()),
        outcome: "OK".to_owned(),
        ..Default::default()
    }
}

/// Prints a deadline, or sets or clears a transfer (each change an audit event).
pub(super) async fn run(cx: &Context<'_>, what: CalendarCommand) -> anyhow::Result<i32> {
    let db = cx.open().await?;
    match what {
        CalendarCommand::Due { from, n } => {
            let cal = calendar::load(&db).await?;
            let due = cal
                .add_working_days(from, n)
                .ok_or_else(|| anyhow::anyhow!("date out of range"))?;
            println!("{due}");
        }
        CalendarCommand::Set {
            date,
            working,
            off: _,
            note,
        } => {
            let now = Clock::default().now();
            let mut tx = db.begin().await?;
            calendar::set(
                &mut tx,
                date,
                working,
                calendar::KIND_TRANSFER,
                note.as_deref(),
                None,
                now,
            )
            .await?;
            let arguments = json!({ "date": date.to_string(), "working": working, "note": note });
            crate::audit::append(
                &mut tx,
                operator_step("audit-hub calendar set", arguments, now),
            )
            .await?;
            tx.commit().await?;
            eprintln!(
                "{date} is now a {} day",
                if working { "working" } else { "non-working" }
            );
        }
        CalendarCommand::Clear { date } => {
            let now = Clock::default().now();
            let mut tx = db.begin().await?;
            let removed = calendar::clear(&mut tx, date).await?;
            let arguments = json!({ "date": date.to_string(), "removed": removed });
            crate::audit::append(
                &mut tx,
                operator_step("audit-hub calendar clear", arguments, now),
            )
            .await?;
            tx.commit().await?;
            eprintln!(
                "{}",
                if removed {
                    "transfer removed"
                } else {
                    "no transfer on that date"
                }
            );
        }
    }
    Ok(0)
}
