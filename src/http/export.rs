//! Exports for dashboards: `GET /export/budget-lines.csv` and `GET /export/budget-summary.csv`,
//! and the same as workbooks (`.xlsx`, written by [`super::export_xlsx`]), read through the same
//! scope, filter and store functions as `budgetLines` and `budgetSummary`, recorded in the audit
//! trail like any request, and streamed.
//!
//! Parameters: `filter`, a `BudgetLineFilter` as JSON (the GraphQL field names); `groupBy`, the
//! summary's dimensions separated by commas (`REGION,PHASE`). Amounts are in thousands of tenge,
//! written exactly as GraphQL writes them.

use async_graphql::InputType;
use futures::stream;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::Deserialize;

use super::{AppState, export_xlsx, request_lang};
use std::sync::Arc;

use crate::authz::{Permissions, Scope};
use crate::domain::budget::tenths_to_decimal;
use crate::domain::lang::Lang;
use crate::error::{AppError, ErrorCode, Expected};
use crate::graphql::inputs::Dimension;
use crate::store::budget::{self, AggregateRow, BudgetDimension, BudgetLineRow};
use crate::store::filter::BudgetLineFilter;
use crate::store::page::PageRequest;

/// Rows read per statement while streaming the lines.
const PAGE: u64 = 1000;

/// The query string of both exports.
#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    filter: Option<String>,
    #[serde(rename = "groupBy")]
    group_by: Option<String>,
}

/// The keys of a `BudgetLineFilter` in JSON (its GraphQL field names); a test holds them to
/// the schema.
pub const FILTER_KEYS: [&str; 13] = [
    "years",
    "levels",
    "katoPrefix",
    "administrators",
    "programs",
    "subprograms",
    "specifics",
    "functionalGroups",
    "phases",
    "asOf",
    "and",
    "or",
    "not",
];

/// The query string as parameters, refusing any parameter but `filter` and `groupBy` (naming
/// it), so a misspelt `filter` cannot export the whole slice.
fn params(req: &Request) -> Result<ExportParams, AppError> {
    let query = req.uri().query().unwrap_or("");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| AppError::invalid("query", Expected::KnownKeys("filter, groupBy")))?;
    let mut out = ExportParams::default();
    for (key, value) in pairs {
        match key.as_str() {
            "filter" => out.filter = Some(value),
            "groupBy" => out.group_by = Some(value),
            _ => {
                return Err(AppError::invalid(
                    crate::domain::text::escaped_within(&key, 64),
                    Expected::KnownKeys("filter, groupBy"),
                ));
            }
        }
    }
    Ok(out)
}

/// The first key of a filter's JSON (at any depth) that is not a filter field, with its path.
fn unknown_key(value: &serde_json::Value, path: &str) -> Option<String> {
    let map = value.as_object()?;
    for (key, v) in map {
        let here = format!("{path}.{}", crate::domain::text::escaped_within(key, 64));
        if !FILTER_KEYS.contains(&key.as_str()) {
            return Some(here);
        }
        match (key.as_str(), v) {
            ("and" | "or", serde_json::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(bad) = unknown_key(item, &format!("{here}[{i}]")) {
                        return Some(bad);
                    }
                }
            }
            ("not", inner) => {
                if let Some(bad) = unknown_key(inner, &here) {
                    return Some(bad);
                }
            }
            _ => {}
        }
    }
    None
}

/// The columns of the lines export.
const LINE_COLUMNS: [&str; 14] = [
    "id",
    "year",
    "level",
    "territory",
    "region",
    "administrator",
    "program",
    "subprogram",
    "specific",
    "functional_group",
    "phase",
    "system",
    "as_of",
    "amount",
];

/// The lines export's start: its parameters checked, an export slot taken, and the snapshot
/// every page is read in, with the number of rows it will hold.
async fn open_lines(
    req: &Request,
    state: &AppState,
    scope: &Scope,
    caller: i64,
) -> Result<(Snapshot, Option<BudgetLineFilter>, i64), AppError> {
    let params = params(req)?;
    let filter = parse_filter(params.filter.as_deref(), state)?;
    let slot = state
        .exports
        .try_take(caller)
        .ok_or(AppError::RateLimited)?;
    // One snapshot for the count and every page: the file is the data of one moment, whatever
    // imports commit while it streams.
    let mut snapshot = state.reads().begin_snapshot().await?;
    // A backstop to the idle cut-off of the stream itself: the database ends the session once
    // it idles twice as long mid-export.
    let backstop = state.limits.export_idle.saturating_mul(2);
    crate::store::end_when_idle(&mut snapshot, backstop).await?;
    let rows = budget::count_lines_in(&mut snapshot, scope, filter.as_ref()).await?;
    let snapshot = Snapshot {
        tx: snapshot,
        _slot: slot,
    };
    Ok((snapshot, filter, rows))
}

/// `GET /export/budget-lines.csv`: every amount row in scope matching the filter, in the order of
/// `budgetLines`.
#[handler]
pub async fn budget_lines(req: &Request, Data(state): Data<&AppState>) -> Response {
    run(
        req,
        "GET /export/budget-lines.csv",
        |scope, caller| async move {
            let (snapshot, filter, rows) = open_lines(req, state, &scope, caller).await?;
            let body = lines_stream(snapshot, scope, filter, state.limits.export_idle);
            Ok((rows, body))
        },
    )
    .await
}

/// `GET /export/budget-lines.xlsx`: the rows of the CSV export as a workbook (at most one
/// sheet's rows), written while the snapshot is read and then streamed.
#[handler]
pub async fn budget_lines_xlsx(req: &Request, Data(state): Data<&AppState>) -> Response {
    let lang = request_lang(req);
    run(
        req,
        "GET /export/budget-lines.xlsx",
        |scope, caller| async move {
            let (mut snapshot, filter, rows) = open_lines(req, state, &scope, caller).await?;
            export_xlsx::check_rows(rows)?;
            let mut sheet = export_xlsx::Sheet::new(&export_xlsx::line_headers(lang))?;
            let mut after = None;
            loop {
                let page = PageRequest { first: PAGE, after };
                let listed =
                    budget::list_lines_in(&mut snapshot.tx, &scope, filter.as_ref(), page).await?;
                for r in &listed.items {
                    sheet.push(export_xlsx::line_cells(r))?;
                }
                after = listed.items.last().map(|r| r.id);
                if !listed.has_next {
                    break;
                }
            }
            // Read only: the snapshot and the slot end here, before the file goes out.
            snapshot.tx.commit().await?;
            let body = sheet.finish().await?;
            Ok((rows, body))
        },
    )
    .await
}

/// `GET /export/budget-summary.csv`: the groups of `budgetSummary` for the same grouping and
/// filter.
#[handler]
pub async fn budget_summary(req: &Request, Data(state): Data<&AppState>) -> Response {
    run(
        req,
        "GET /export/budget-summary.csv",
        |scope, _| async move {
            let (group_by, groups) = summary_groups(req, state, &scope).await?;
            let csv = summary_csv(&group_by, &groups)?;
            let rows = i64::try_from(groups.len()).unwrap_or(i64::MAX);
            Ok((rows, Body::from_vec(csv)))
        },
    )
    .await
}

/// `GET /export/budget-summary.xlsx`: the groups of the CSV summary as a workbook.
#[handler]
pub async fn budget_summary_xlsx(req: &Request, Data(state): Data<&AppState>) -> Response {
    let lang = request_lang(req);
    run(
        req,
        "GET /export/budget-summary.xlsx",
        |scope, _| async move {
            let (group_by, groups) = summary_groups(req, state, &scope).await?;
            let body = export_xlsx::summary(&group_by, &groups, lang).await?;
            let rows = i64::try_from(groups.len()).unwrap_or(i64::MAX);
            Ok((rows, body))
        },
    )
    .await
}

/// The summary's grouping (each dimension once, in the order asked) and its groups.
async fn summary_groups(
    req: &Request,
    state: &AppState,
    scope: &Scope,
) -> Result<(Vec<BudgetDimension>, Vec<AggregateRow>), AppError> {
    let params = params(req)?;
    let filter = parse_filter(params.filter.as_deref(), state)?;
    let asked = parse_group_by(params.group_by.as_deref())?;
    let groups = budget::summary(state.reads(), scope, &asked, filter.as_ref()).await?;
    let mut group_by: Vec<BudgetDimension> = Vec::new();
    for d in asked {
        if !group_by.contains(&d) {
            group_by.push(d);
        }
    }
    Ok((group_by, groups))
}

/// The body `produce` makes from the caller's scope, as a CSV attachment; the gate has limited,
/// resolved the caller, and records the event (before the first byte leaves: a download that
/// cannot be recorded is not served).
async fn run<F, Fut>(req: &Request, operation: &str, produce: F) -> Response
where
    F: FnOnce(Arc<Scope>, i64) -> Fut,
    Fut: std::future::Future<Output = Result<(i64, Body), AppError>>,
{
    serve(req, operation, |caller| async move {
        let scope = caller.budget()?.clone();
        let user = caller.caller()?.user.id;
        produce(scope, user).await
    })
    .await
}

/// The body `produce` makes with the caller's permissions, as an attachment named after the
/// operation's path; `produce` answers the number of rows and the body.
pub(super) async fn serve<F, Fut>(req: &Request, operation: &str, produce: F) -> Response
where
    F: FnOnce(Arc<Permissions>) -> Fut,
    Fut: std::future::Future<Output = Result<(i64, Body), AppError>>,
{
    let lang = request_lang(req);
    let event = super::gate::recorder_of(req);
    event.update(|e| e.variables = req.uri().query().map(str::to_owned));
    let produced = match super::gate::caller_of(req) {
        Some(caller) => produce(caller.clone()).await,
        None => Err(AppError::Internal(anyhow::anyhow!(
            "an export without a resolved caller"
        ))),
    };
    match produced {
        Ok((rows, body)) => {
            event.update(|e| e.rows_returned = Some(rows));
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, media_type(operation))
                .header(header::CACHE_CONTROL, "private, no-store")
                .header(
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        operation.rsplit('/').next().unwrap_or("export.csv")
                    ),
                )
                .body(body)
        }
        Err(e) => {
            event.update(|ev| ev.outcome = e.code().as_str().to_owned());
            if e.code() == ErrorCode::Internal {
                tracing::error!(error = %e, operation, "export failed");
            }
            error_response(&e, lang)
        }
    }
}

/// The media type of an export, by its path's extension.
fn media_type(operation: &str) -> &'static str {
    if operation.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    }
}

fn error_response(e: &AppError, lang: Lang) -> Response {
    // A 429 here means every export slot is taken: try again shortly.
    super::error_response(e, lang)
}

/// The `filter` parameter as a [`BudgetLineFilter`]: no key but the filter's fields, at any
/// depth, and within the server's filter limits; its values are checked when compiled.
fn parse_filter(
    text: Option<&str>,
    state: &AppState,
) -> Result<Option<BudgetLineFilter>, AppError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let invalid = || AppError::invalid("filter", Expected::JsonObject("BudgetLineFilter"));
    let json: serde_json::Value = serde_json::from_str(text).map_err(|_| invalid())?;
    if let Some(key) = unknown_key(&json, "filter") {
        return Err(AppError::invalid(
            key,
            Expected::KnownKeys("the fields of BudgetLineFilter"),
        ));
    }
    let value = async_graphql::Value::from_json(json).map_err(|_| invalid())?;
    let filter: BudgetLineFilter =
        crate::graphql::inputs::BudgetLineFilterInput::parse(Some(value))
            .map_err(|_| invalid())?
            .into();
    filter.check_size("filter", &state.limits.query.filter)?;
    Ok(Some(filter))
}

/// The `groupBy` parameter: dimension names separated by commas.
fn parse_group_by(text: Option<&str>) -> Result<Vec<BudgetDimension>, AppError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .enumerate()
        .map(|(i, name)| {
            let value = async_graphql::Value::Enum(async_graphql::Name::new(name.trim()));
            Dimension::parse(Some(value)).map(Into::into).map_err(|_| {
                AppError::invalid(
                    format!("groupBy[{i}]"),
                    Expected::OneOf(Dimension::NAMES.to_vec()),
                )
            })
        })
        .collect()
}

fn csv_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing CSV: {e}"))
}

fn line_record(r: &BudgetLineRow) -> [String; 14] {
    [
        r.id.to_string(),
        r.year.to_string(),
        r.level.as_str().to_owned(),
        r.kato.clone(),
        r.region_kato.clone().unwrap_or_default(),
        r.administrator.clone(),
        r.program.clone(),
        r.subprogram.clone(),
        r.specific.clone(),
        r.functional_group.clone(),
        r.phase.as_str().to_owned(),
        r.phase.system().as_str().to_owned(),
        r.as_of.map(|d| d.to_string()).unwrap_or_default(),
        tenths_to_decimal(r.amount_tenths).to_string(),
    ]
}

/// An export's read transaction and the slot it occupies, released together when the stream
/// ends or the client goes away.
struct Snapshot {
    tx: crate::store::Tx,
    _slot: super::export_slots::Slot,
}

/// The lines CSV, a page of rows per chunk, all read in `snapshot`; a failure half-way ends the
/// stream with an error (the client sees a cut transfer, never a silently short file).
fn lines_stream(
    snapshot: Snapshot,
    scope: Arc<Scope>,
    filter: Option<BudgetLineFilter>,
    idle: std::time::Duration,
) -> Body {
    struct Cursor {
        snapshot: Option<Snapshot>,
        scope: Arc<Scope>,
        filter: Option<BudgetLineFilter>,
        after: Option<i64>,
        header: bool,
    }
    let start = Cursor {
        snapshot: Some(snapshot),
        scope,
        filter,
        after: None,
        header: true,
    };
    let chunks = stream::unfold(start, |mut c| async move {
        let mut snapshot = c.snapshot.take()?;
        let mut w = csv::Writer::from_writer(Vec::new());
        if c.header {
            c.header = false;
            if let Err(e) = w.write_record(LINE_COLUMNS) {
                return Some((Err(std::io::Error::other(e)), c));
            }
        }
        let page = PageRequest {
            first: PAGE,
            after: c.after,
        };
        let listed =
            budget::list_lines_in(&mut snapshot.tx, &c.scope, c.filter.as_ref(), page).await;
        let rows = match listed {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "export stream failed");
                return Some((Err(std::io::Error::other("export failed")), c));
            }
        };
        for r in &rows.items {
            if let Err(e) = w.write_record(line_record(r)) {
                return Some((Err(std::io::Error::other(e)), c));
            }
        }
        c.after = rows.items.last().map(|r| r.id);
        if rows.has_next {
            c.snapshot = Some(snapshot);
        } else if let Err(e) = snapshot.tx.commit().await {
            // Read only: nothing is lost, the connection just goes back the slow way.
            tracing::warn!(error = %e, "ending an export's snapshot failed");
        }
        match w.into_inner() {
            Ok(bytes) => Some((Ok(bytes), c)),
            Err(e) => {
                c.snapshot = None;
                Some((Err(std::io::Error::other(e.to_string())), c))
            }
        }
    });
    super::export_slots::with_idle_cutoff(chunks, idle)
}

/// The summary CSV; `dims` each once (as [`summary_groups`] gives them).
fn summary_csv(dims: &[BudgetDimension], groups: &[AggregateRow]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = dims.iter().map(|d| d.column_name()).collect();
    header.extend(["amount", "line_count"]);
    w.write_record(&header).map_err(csv_error)?;
    for g in groups {
        let mut record: Vec<String> = dims.iter().map(|d| g.key(*d)).collect();
        record.push(tenths_to_decimal(g.amount_tenths).to_string());
        record.push(g.line_count.to_string());
        w.write_record(&record).map_err(csv_error)?;
    }
    w.into_inner().map_err(|e| csv_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys the export accepts are exactly the fields of `BudgetLineFilter` in the schema.
    #[test]
    fn filter_keys_are_the_schema_fields() {
        let sdl = crate::graphql::sdl();
        let start = sdl
            .find("input BudgetLineFilter {")
            .expect("the input type");
        let body = &sdl[start..];
        let body = &body[body.find('{').unwrap_or(0) + 1..body.find('}').unwrap_or(0)];
        // Field lines only: descriptions are the lines between a pair of `"""`.
        let mut in_description = false;
        let mut fields: Vec<&str> = Vec::new();
        for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line == "\"\"\"" {
                in_description = !in_description;
            } else if !in_description && !line.starts_with('"') {
                fields.extend(line.split(':').next());
            }
        }
        let mut keys = FILTER_KEYS.to_vec();
        fields.sort();
        keys.sort();
        assert_eq!(fields, keys);
    }

    #[test]
    fn unknown_keys_are_named_at_any_depth() {
        let cases = [
            (
                "a known filter",
                serde_json::json!({ "years": [2025] }),
                None,
            ),
            (
                "an unknown key",
                serde_json::json!({ "unknownField": 1 }),
                Some("filter.unknownField"),
            ),
            (
                "inside or",
                serde_json::json!({ "or": [{ "years": [1] }, { "yeers": [1] }] }),
                Some("filter.or[1].yeers"),
            ),
            (
                "inside not",
                serde_json::json!({ "not": { "x": 1 } }),
                Some("filter.not.x"),
            ),
        ];
        for (name, json, expected) in cases {
            assert_eq!(unknown_key(&json, "filter").as_deref(), expected, "{name}");
        }
    }
}
