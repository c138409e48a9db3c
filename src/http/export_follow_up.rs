//! The office console's follow-up lists as downloads: `GET /export/follow-up.csv` and
//! `GET /export/follow-up.xlsx` with `list` one of `overdue-applications`,
//! `pending-block-requests`, `unreported-trainings` or `expiring-grants` (with `withinDays`, 0
//! to 366, default 30); the pending lists mark the rows past their due time. Each list is read with the caller's own permissions, through the same
//! store functions as the GraphQL fields the console shows (`accessApplications(filter:
//! {overdue: true})`, `pendingBlockRequests`, `trainingReports`, `expiringGrants`), so a
//! download holds exactly what the caller's screen does. Headers and labels are in the
//! request's language; the gate limits, resolves the caller and records the event.

use std::collections::HashMap;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Asia::Almaty;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use super::export_xlsx::{Cell, Sheet};
use super::{AppState, request_lang};
use crate::authz::Permissions;
use crate::authz::principal::local_day;
use crate::domain::lang::Lang;
use crate::error::{AppError, Expected};
use crate::graphql::labels::label;
use crate::graphql::types::localized;
use crate::store::applications::{self, ApplicationQuery, FollowUps};
use crate::store::page::{MAX_PAGE, PageRequest};
use crate::store::users::{self, UserRow};
use crate::store::{Db, orgs};

/// The lists, by their `list` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Applications past their review or grant deadline.
    OverdueApplications,
    /// Block requests not yet executed, those past due marked.
    PendingBlockRequests,
    /// Trainings not yet reported to the authorized body, those past due marked.
    UnreportedTrainings,
    /// Active grants ending within `withinDays` days.
    ExpiringGrants(u64),
}

const KEYS: &str = "list, withinDays";
const LISTS: [&str; 4] = [
    "overdue-applications",
    "pending-block-requests",
    "unreported-trainings",
    "expiring-grants",
];

/// The query string as a list, naming the parameter at fault.
pub fn parse(query: &str) -> Result<List, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| AppError::invalid("query", Expected::KnownKeys(KEYS)))?;
    let (mut list, mut days) = (None, None);
    for (key, value) in pairs {
        match key.as_str() {
            "list" => list = Some(value),
            "withinDays" => days = Some(value),
            _ => {
                return Err(AppError::invalid(
                    crate::domain::text::escaped_within(&key, 64),
                    Expected::KnownKeys(KEYS),
                ));
            }
        }
    }
    let days = match days {
        None => 30,
        Some(d) => d
            .parse::<u64>()
            .ok()
            .filter(|d| *d <= 366)
            .ok_or_else(|| AppError::invalid("withinDays", Expected::IntegerIn(0, 366)))?,
    };
    match list.as_deref() {
        Some("overdue-applications") => Ok(List::OverdueApplications),
        Some("pending-block-requests") => Ok(List::PendingBlockRequests),
        Some("unreported-trainings") => Ok(List::UnreportedTrainings),
        Some("expiring-grants") => Ok(List::ExpiringGrants(days)),
        _ => Err(AppError::invalid("list", Expected::OneOf(LISTS.to_vec()))),
    }
}

/// A list's header row and cells.
pub struct Table {
    /// Column headers in the request's language.
    pub headers: Vec<&'static str>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
}

fn time(t: DateTime<Utc>) -> Cell {
    Cell::Text(
        t.with_timezone(&Almaty)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    )
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The people these rows are about, as the caller reads them.
async fn people_of(
    db: &Db,
    caller: &Permissions,
    mut ids: Vec<i64>,
) -> Result<HashMap<i64, UserRow>, AppError> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = users::by_ids(db, caller.people()?, &ids).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// Rows about people: each item's id, then the person's name and IIN (empty where the caller
/// does not read them), then the cells `cells` gives it. `cells` answers the item's id, its
/// person's id and its other cells.
async fn about_people<T>(
    db: &Db,
    caller: &Permissions,
    found: Vec<T>,
    cells: impl Fn(T) -> (i64, i64, Vec<Cell>),
) -> Result<Vec<Vec<Cell>>, AppError> {
    let described: Vec<(i64, i64, Vec<Cell>)> = found.into_iter().map(cells).collect();
    let people = people_of(db, caller, described.iter().map(|(_, u, _)| *u).collect()).await?;
    Ok(described
        .into_iter()
        .map(|(id, user, rest)| {
            let mut row = vec![Cell::Number(id)];
            match people.get(&user) {
                Some(u) => row.extend([text(u.full_name()), text(u.iin.clone())]),
                None => row.extend([Cell::Empty, Cell::Empty]),
            }
            row.extend(rest);
            row
        })
        .collect())
}

/// Reads `list` with the caller's permissions, at `now`.
pub async fn table(
    db: &Db,
    caller: &Permissions,
    list: List,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Table, AppError> {
    let h = |kk, ru, en| lang.pick(kk, ru, en);
    let person = [
        h("Қызметкер", "Сотрудник", "Person"),
        h("ЖСН", "ИИН", "IIN"),
    ];
    let overdue_header = h("Мерзімі өтті", "Просрочено", "Overdue");
    let overdue = |late: bool| text(if late { h("иә", "да", "yes") } else { "" });
    match list {
        List::OverdueApplications => {
            let reach = caller.applications()?;
            let q = ApplicationQuery {
                organization_id: None,
                statuses: None,
                overdue_at: Some(now),
            };
            let mut found = Vec::new();
            let mut after = None;
            loop {
                let page = PageRequest::new(i32::try_from(MAX_PAGE).ok(), after);
                let rows = applications::list(db, reach, &q, page).await?;
                after = rows.items.last().map(|a| a.id);
                found.extend(rows.items);
                if !rows.has_next {
                    break;
                }
            }
            let mut ids: Vec<i64> = found.iter().map(|a| a.organization_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let bodies: HashMap<i64, String> = orgs::by_ids(db, caller.organizations()?, &ids)
                .await?
                .into_iter()
                .map(|o| {
                    let name = localized(lang, &o.name_kk, &o.name_ru, o.name_en.as_deref());
                    (o.id, name)
                })
                .collect();
            let rows = found
                .into_iter()
                .map(|a| {
                    let due = match a.status {
                        crate::domain::workflow::ApplicationStatus::Submitted => Some(a.review_due),
                        _ => a.grant_due,
                    };
                    vec![
                        Cell::Number(a.id),
                        bodies
                            .get(&a.organization_id)
                            .cloned()
                            .map_or(Cell::Empty, text),
                        text(label("ApplicationStatus", a.status.as_str(), lang)),
                        time(a.received_at),
                        due.map_or(Cell::Empty, time),
                    ]
                })
                .collect();
            Ok(Table {
                headers: vec![
                    "Id",
                    h("Ұйым", "Организация", "Organization"),
                    h("Мәртебесі", "Статус", "Status"),
                    h("Түскен уақыты", "Поступила", "Received"),
                    h("Мерзімі", "Срок", "Due"),
                ],
                rows,
            })
        }
        List::PendingBlockRequests => {
            let found =
                applications::block_requests(db, caller.block_requests()?, FollowUps::Pending)
                    .await?;
            let rows = about_people(db, caller, found, |b| {
                let late = overdue(now > b.due);
                (
                    b.id,
                    b.user_id,
                    vec![
                        text(b.terminated_on.to_string()),
                        text(b.reason),
                        time(b.due),
                        late,
                    ],
                )
            })
            .await?;
            Ok(Table {
                headers: vec![
                    "Id",
                    person[0],
                    person[1],
                    h(
                        "Жұмыстан босатылған күні",
                        "Дата увольнения",
                        "Terminated on",
                    ),
                    h("Себебі", "Причина", "Reason"),
                    h("Мерзімі", "Срок", "Due"),
                    overdue_header,
                ],
                rows,
            })
        }
        List::UnreportedTrainings => {
            let found = applications::trainings(db, caller.people()?, FollowUps::Pending).await?;
            let rows = about_people(db, caller, found, |t| {
                let late = overdue(now > t.report_due);
                (
                    t.id,
                    t.user_id,
                    vec![text(t.completed_on.to_string()), time(t.report_due), late],
                )
            })
            .await?;
            Ok(Table {
                headers: vec![
                    "Id",
                    person[0],
                    person[1],
                    h("Оқу күні", "Дата обучения", "Trained on"),
                    h("Есеп беру мерзімі", "Срок отчёта", "Report due"),
                    overdue_header,
                ],
                rows,
            })
        }
        List::ExpiringGrants(days) => {
            let people = caller.people()?;
            let today = local_day(now);
            let until = today.checked_add_days(Days::new(days)).unwrap_or(today);
            let grants = applications::expiring_grants(db, people, today, until).await?;
            let grants =
                crate::graphql::viewer::grants_with_status(db, people, grants, today).await?;
            let rows = grants
                .into_iter()
                .map(|g| {
                    vec![
                        Cell::Number(g.row.id),
                        text(g.user.full_name()),
                        text(g.user.iin.clone()),
                        text(label("InformationSystem", g.row.system.as_str(), lang)),
                        text(g.row.valid_until.to_string()),
                        text(label("GrantStatus", g.status.as_str(), lang)),
                    ]
                })
                .collect();
            Ok(Table {
                headers: vec![
                    "Id",
                    person[0],
                    person[1],
                    h("Жүйе", "Система", "System"),
                    h("Қолданылу мерзімі", "Действует до", "Valid until"),
                    h("Мәртебесі", "Статус", "Status"),
                ],
                rows,
            })
        }
    }
}

/// A text cell as a spreadsheet opening the CSV must show it: text a spreadsheet would take for
/// a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return; a block request's
/// reason is free text) is prefixed with an apostrophe. The workbook writes text cells as text
/// and needs no such care.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn csv(t: &Table) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.headers).map_err(fail)?;
    for row in &t.rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => inert(s),
                Cell::Number(n) => n.to_string(),
                Cell::Tenths(n) => crate::domain::budget::tenths_to_decimal(*n).to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        w.write_record(&fields).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

async fn xlsx(t: Table) -> Result<Body, AppError> {
    let mut sheet = Sheet::new(&t.headers)?;
    for row in t.rows {
        sheet.push(row)?;
    }
    sheet.finish().await
}

async fn produce(
    req: &Request,
    state: &AppState,
    caller: &Permissions,
    workbook: bool,
) -> Result<(i64, Body), AppError> {
    let list = parse(req.uri().query().unwrap_or(""))?;
    // Workflow rows are read on the primary, as the GraphQL fields the console shows them with:
    // a replica's copy may lag behind a transfer, a block or a report.
    let t = table(
        &state.db,
        caller,
        list,
        state.clock.now(),
        request_lang(req),
    )
    .await?;
    let rows = i64::try_from(t.rows.len()).unwrap_or(i64::MAX);
    let body = if workbook {
        xlsx(t).await?
    } else {
        Body::from_vec(csv(&t)?)
    };
    Ok((rows, body))
}

/// `GET /export/follow-up.csv`.
#[handler]
pub async fn follow_up_csv(req: &Request, Data(state): Data<&AppState>) -> Response {
    super::export::serve(req, "GET /export/follow-up.csv", |caller| async move {
        produce(req, state, &caller, false).await
    })
    .await
}

/// `GET /export/follow-up.xlsx`.
#[handler]
pub async fn follow_up_xlsx(req: &Request, Data(state): Data<&AppState>) -> Response {
    super::export::serve(req, "GET /export/follow-up.xlsx", |caller| async move {
        produce(req, state, &caller, true).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn text_a_spreadsheet_would_run_is_written_as_text() {
        for (text, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+7 701 555 44 33", "'+7 701 555 44 33"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("уволен", "уволен"),
            ("2026-12-03", "2026-12-03"),
        ] {
            assert_eq!(inert(text), written, "{text}");
        }
    }
}
