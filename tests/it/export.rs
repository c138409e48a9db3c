//! Exports: for several bodies and filters, the rows of `/export/budget-lines.csv` and
//! `/export/budget-summary.csv` equal what GraphQL gives the same caller for the same filter, and
//! the workbooks (`.xlsx`, read back) hold the same numbers; refusals and bad parameters are
//! answered like the API's, and every export is audited.

use crate::common;

use common::{TestDb, TestServer, grant_both_systems, user_of};
use serde_json::{Value, json};

const LINES: &str = "query($f: BudgetLineFilter, $after: String) { budgetLines(filter: $f, first: 1000, after: $after) { edges { node { id year level territory region administrator program subprogram specific functionalGroup phase system asOf amount } } pageInfo { hasNextPage endCursor } } }";

/// Every row GraphQL gives, as CSV-shaped records.
async fn graphql_lines(s: &TestServer, filter: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = s.data(LINES, json!({ "f": filter, "after": after })).await;
        let conn = &d["budgetLines"];
        for e in conn["edges"].as_array().expect("edges") {
            let n = &e["node"];
            let field = |k: &str| match &n[k] {
                Value::String(s) => s.clone(),
                Value::Number(x) => x.to_string(),
                _ => String::new(),
            };
            out.push(
                [
                    "id",
                    "year",
                    "level",
                    "territory",
                    "region",
                    "administrator",
                    "program",
                    "subprogram",
                    "specific",
                    "functionalGroup",
                    "phase",
                    "system",
                    "asOf",
                    "amount",
                ]
                .iter()
                .map(|k| field(k))
                .collect(),
            );
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            return out;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

async fn get_csv(s: &TestServer, path: &str, params: &[(&str, String)]) -> (u16, String) {
    let query = serde_urlencoded::to_string(params).expect("query string");
    let req = s
        .get(&format!("{path}?{query}"))
        .header("Accept-Language", "en");
    let resp = req.send().await.expect("export");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn records(csv_text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn server_as(t: &TestDb, kind: &str, kato: &str) -> TestServer {
    let user = user_of(&t.db, kind, kato, true).await;
    grant_both_systems(&t.db, user.id).await;
    TestServer::start(&t.db).await.with_user(&user.iin)
}

#[tokio::test]
async fn exports_equal_graphql_for_the_same_caller_and_filter() {
    let t = TestDb::with_demo(1).await;
    let callers = [
        ("Parliament", "PARLIAMENT", ""),
        ("Akmola region maslikhat", "MASLIKHAT", "110000000"),
        (
            "Karaganda police internal audit",
            "POLICE_INTERNAL_AUDIT",
            "35",
        ),
    ];
    let filters = [
        (
            "approved amounts of 2025",
            json!({ "years": [2025], "phases": ["APPROVED"] }),
        ),
        (
            "one execution snapshot or a program, nested",
            json!({ "years": [2026], "or": [{ "asOf": "2026-03-31" }, { "programs": ["001"] }] }),
        ),
    ];
    for (who, kind, kato) in callers {
        let s = server_as(&t, kind, kato).await;
        for (what, filter) in &filters {
            let (status, text) = get_csv(
                &s,
                "/export/budget-lines.csv",
                &[("filter", filter.to_string())],
            )
            .await;
            assert_eq!(status, 200, "{who}, {what}: {text}");
            let (header, rows) = records(&text);
            assert_eq!(header[0], "id");
            let expected = graphql_lines(&s, filter).await;
            assert!(
                !expected.is_empty(),
                "{who}, {what}: the case must find rows"
            );
            assert_eq!(rows, expected, "{who}, {what}: lines");

            let (status, text) = get_csv(
                &s,
                "/export/budget-summary.csv",
                &[
                    ("filter", filter.to_string()),
                    ("groupBy", "REGION,ADMINISTRATOR,PHASE".to_owned()),
                ],
            )
            .await;
            assert_eq!(status, 200, "{who}, {what}: {text}");
            let (header, rows) = records(&text);
            assert_eq!(
                header,
                ["region", "administrator", "phase", "amount", "line_count"]
            );
            let d = s
                .data(
                    "query($f: BudgetLineFilter) { budgetSummary(groupBy: [REGION, ADMINISTRATOR, PHASE], filter: $f) { key { region administrator phase } amount lineCount } }",
                    json!({ "f": filter }),
                )
                .await;
            let expected: Vec<Vec<String>> = d["budgetSummary"]
                .as_array()
                .expect("groups")
                .iter()
                .map(|g| {
                    vec![
                        g["key"]["region"].as_str().unwrap_or_default().to_owned(),
                        g["key"]["administrator"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        g["key"]["phase"].as_str().unwrap_or_default().to_owned(),
                        g["amount"].as_str().unwrap_or_default().to_owned(),
                        g["lineCount"].to_string(),
                    ]
                })
                .collect();
            assert_eq!(rows, expected, "{who}, {what}: summary");
        }
    }
}

/// (name, path, parameters, status, code, field named in the message).
type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    u16,
    &'static str,
    Option<&'static str>,
);

#[tokio::test]
async fn refusals_and_bad_parameters_are_answered_like_the_api_and_audited() {
    let t = TestDb::with_demo(1).await;
    let s = server_as(&t, "PARLIAMENT", "").await;
    let cases: [Case; 6] = [
        (
            "not JSON",
            "/export/budget-lines.csv",
            vec![("filter", "{years".into())],
            400,
            "BAD_USER_INPUT",
            Some("filter"),
        ),
        (
            "a bad code inside the filter",
            "/export/budget-lines.csv",
            vec![("filter", json!({ "programs": ["1"] }).to_string())],
            400,
            "BAD_USER_INPUT",
            Some("filter.programs[0]"),
        ),
        (
            "an unknown dimension",
            "/export/budget-summary.csv",
            vec![("groupBy", "REGION,COLOUR".into())],
            400,
            "BAD_USER_INPUT",
            Some("groupBy[1]"),
        ),
        (
            "a good request",
            "/export/budget-summary.csv",
            vec![("groupBy", "LEVEL".into())],
            200,
            "",
            None,
        ),
        (
            "a bad code inside the filter of a workbook",
            "/export/budget-lines.xlsx",
            vec![("filter", json!({ "programs": ["1"] }).to_string())],
            400,
            "BAD_USER_INPUT",
            Some("filter.programs[0]"),
        ),
        (
            "a good workbook request",
            "/export/budget-summary.xlsx",
            vec![("groupBy", "LEVEL".into())],
            200,
            "",
            None,
        ),
    ];
    for (name, path, params, status, code, field) in cases {
        let (got, body) = get_csv(&s, path, &params).await;
        assert_eq!(got, status, "{name}");
        if status != 200 {
            let v: Value = serde_json::from_str(&body).expect("json problem");
            assert_eq!(v["code"], code, "{name}: {v}");
            let message = v["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(field.unwrap_or_default()),
                "{name}: {message}"
            );
        }
    }
    let anonymous = s
        .client
        .get(s.url("/export/budget-lines.csv"))
        .send()
        .await
        .expect("anonymous");
    assert_eq!(anonymous.status(), 401);

    let events = s
        .data(
            "{ auditEvents(first: 10) { edges { node { operation outcome rowsReturned } } } }",
            json!({}),
        )
        .await;
    let seen: Vec<(String, String)> = events["auditEvents"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["node"]["operation"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["node"]["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .filter(|(op, _)| op.starts_with("GET /export/"))
        .collect();
    assert_eq!(
        seen,
        // Newest first; the anonymous refusal is recorded too, but without an organization it
        // is not among the events a body's head may read.
        vec![
            (
                "GET /export/budget-summary.xlsx".to_owned(),
                "OK".to_owned()
            ),
            (
                "GET /export/budget-lines.xlsx".to_owned(),
                "BAD_USER_INPUT".to_owned()
            ),
            ("GET /export/budget-summary.csv".to_owned(), "OK".to_owned()),
            (
                "GET /export/budget-summary.csv".to_owned(),
                "BAD_USER_INPUT".to_owned()
            ),
            (
                "GET /export/budget-lines.csv".to_owned(),
                "BAD_USER_INPUT".to_owned()
            ),
            (
                "GET /export/budget-lines.csv".to_owned(),
                "BAD_USER_INPUT".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn exports_beyond_the_free_slots_are_asked_to_retry() {
    let t = TestDb::with_demo(1).await;
    let slots = usize::try_from(t.db.max_connections() / 4)
        .expect("slots")
        .max(1);
    // One caller allowed every slot, to see the server-wide bound.
    let national = TestServer::start_national(&t.db).await;
    let s = TestServer::start_with(&t.db, |st| {
        st.with_limits(audit_hub::config::ServerLimits {
            exports_per_caller: slots,
            ..Default::default()
        })
    })
    .await
    .with_token(national.token.clone());
    drop(national);
    // Whole-country exports (megabytes) that nobody reads yet: each holds its slot.
    let mut open = Vec::new();
    for _ in 0..slots {
        let r = s
            .get("/export/budget-lines.csv")
            .send()
            .await
            .expect("export");
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let refused = s
        .get("/export/budget-lines.csv")
        .header("Accept-Language", "ru")
        .send()
        .await
        .expect("one export too many");
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body = refused.text().await.expect("body");
    assert!(body.contains("RATE_LIMITED"), "{body}");
    // The summary export holds no snapshot and is never refused for want of a slot.
    let (status, _) = get_csv(
        &s,
        "/export/budget-summary.csv",
        &[("groupBy", "LEVEL".into())],
    )
    .await;
    assert_eq!(status, 200);

    // A client that goes away gives its slot back.
    drop(open);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = s
            .get("/export/budget-lines.csv")
            .send()
            .await
            .expect("export");
        if r.status() == 200 {
            let text = r.text().await.expect("whole export");
            assert!(text.lines().count() > 1000, "rows after the header");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "slots came back");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A caller runs one line export at a time, so a slow or stalled client cannot take every slot
/// from the others; and an export whose client stops reading ends after the idle cut-off, on
/// both backends, giving its slot back.
#[tokio::test]
async fn a_stalled_exporter_holds_one_slot_and_only_for_a_while() {
    let t = TestDb::with_demo(1).await;
    let limits = || audit_hub::config::ServerLimits {
        export_idle: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let national = TestServer::start_national(&t.db).await;
    let stalled = TestServer::start_with(&t.db, |st| st.with_limits(limits()))
        .await
        .with_token(national.token.clone());
    let other = {
        let user = user_of(&t.db, "MASLIKHAT", "110000000", true).await;
        grant_both_systems(&t.db, user.id).await;
        stalled.clone_as(&user.iin)
    };
    // The whole country (megabytes), never read.
    let open = stalled
        .get("/export/budget-lines.csv")
        .send()
        .await
        .expect("export");
    assert_eq!(open.status(), 200);
    let second = stalled
        .get("/export/budget-lines.csv")
        .send()
        .await
        .expect("a second export");
    assert_eq!(second.status(), 429, "one export at a time per caller");
    let (status, body) = get_csv(&other, "/export/budget-lines.csv", &[]).await;
    assert_eq!(status, 200, "another caller is served");
    assert!(body.lines().count() > 1, "{} lines", body.lines().count());

    // Past the idle cut-off the stalled export is ended and its slot comes back.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let again = stalled
            .get("/export/budget-summary.csv?groupBy=LEVEL")
            .send()
            .await
            .expect("summary");
        assert_eq!(again.status(), 200, "summaries are never held up");
        let r = stalled
            .get("/export/budget-lines.csv?filter=%7B%22years%22%3A%5B2024%5D%7D")
            .send()
            .await
            .expect("export");
        if r.status() == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stalled export was cut off"
        );
    }
    // The stalled transfer was cut short, not completed.
    let whole = open.bytes().await;
    assert!(
        whole.is_err() || whole.as_ref().is_ok_and(|b| b.len() < 64 * 1024 * 1024),
        "the stalled export ended"
    );
}

/// Unknown parameters and filter keys are refused naming them: a misspelt key never exports
/// the whole slice.
#[tokio::test]
async fn unknown_parameters_and_filter_keys_are_refused() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start_national(&t.db).await;
    let cases = [
        (
            "an unknown filter key",
            "filter=%7B%22unknownField%22%3A1%7D",
            "filter.unknownField",
        ),
        (
            "a misspelt key inside or",
            "filter=%7B%22or%22%3A%5B%7B%22yeers%22%3A%5B1%5D%7D%5D%7D",
            "filter.or[0].yeers",
        ),
        ("a misspelt parameter", "fitler=%7B%7D", "fitler"),
    ];
    for (name, query, field) in cases {
        for path in ["/export/budget-lines.csv", "/export/budget-summary.csv"] {
            let r = s
                .get(&format!("{path}?{query}"))
                .send()
                .await
                .expect("export");
            assert_eq!(r.status(), 400, "{name} at {path}");
            let v: Value = r.json().await.expect("json");
            assert!(
                v["message"].as_str().is_some_and(|m| m.contains(field)),
                "{name} at {path}: {v}"
            );
        }
    }
}

/// A workbook export's status, media type and first sheet as text cells (numbers as a
/// spreadsheet would print them: whole numbers without a decimal point).
pub(crate) async fn get_xlsx(
    s: &TestServer,
    path: &str,
    params: &[(&str, String)],
    lang: &str,
) -> (u16, String, Vec<Vec<String>>) {
    use calamine::{Data, Reader};
    let query = serde_urlencoded::to_string(params).expect("query string");
    let resp = s
        .get(&format!("{path}?{query}"))
        .header("Accept-Language", lang)
        .send()
        .await
        .expect("export");
    let status = resp.status().as_u16();
    let media = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.bytes().await.expect("body");
    if status != 200 {
        return (status, media, Vec::new());
    }
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .expect("a workbook");
    let sheet = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    let rows = sheet
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    (status, media, rows)
}

/// A CSV amount as the workbook's number prints it (`12.0` → `12`).
fn as_number(amount: &str) -> String {
    let f: f64 = amount.parse().expect("an amount");
    if f.fract() == 0.0 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

#[tokio::test]
async fn workbook_exports_hold_the_csv_exports_numbers_for_three_bodies() {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let t = TestDb::with_demo(1).await;
    let callers = [
        ("Parliament", "PARLIAMENT", "", "ru", "Год"),
        (
            "Akmola region maslikhat",
            "MASLIKHAT",
            "110000000",
            "kk",
            "Жыл",
        ),
        (
            "Karaganda police internal audit",
            "POLICE_INTERNAL_AUDIT",
            "35",
            "en",
            "Year",
        ),
    ];
    let filter = json!({ "years": [2025], "phases": ["APPROVED", "EXECUTED"] }).to_string();
    for (who, kind, kato, lang, year_header) in callers {
        let s = server_as(&t, kind, kato).await;
        let params = [("filter", filter.clone())];
        let (status, csv_text) = get_csv(&s, "/export/budget-lines.csv", &params).await;
        assert_eq!(status, 200, "{who}: {csv_text}");
        let (_, csv_rows) = records(&csv_text);
        assert!(!csv_rows.is_empty(), "{who}: the case must find rows");
        let (status, media, sheet) = get_xlsx(&s, "/export/budget-lines.xlsx", &params, lang).await;
        assert_eq!((status, media.as_str()), (200, XLSX), "{who}");
        assert_eq!(
            sheet[0][1], year_header,
            "{who}: headers in the request's language"
        );
        // The same rows: codes as text with their zeros, numbers as numbers.
        let expected: Vec<Vec<String>> = csv_rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let last = r.len() - 1;
                r[last] = as_number(&r[last]);
                r
            })
            .collect();
        assert_eq!(sheet[1..].to_vec(), expected, "{who}: lines");

        let params = [
            ("filter", filter.clone()),
            ("groupBy", "REGION,ADMINISTRATOR,PHASE".to_owned()),
        ];
        let (status, csv_text) = get_csv(&s, "/export/budget-summary.csv", &params).await;
        assert_eq!(status, 200, "{who}: {csv_text}");
        let (_, csv_rows) = records(&csv_text);
        let (status, media, sheet) =
            get_xlsx(&s, "/export/budget-summary.xlsx", &params, lang).await;
        assert_eq!((status, media.as_str()), (200, XLSX), "{who}");
        let expected: Vec<Vec<String>> = csv_rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r[3] = as_number(&r[3]);
                r
            })
            .collect();
        assert_eq!(sheet[1..].to_vec(), expected, "{who}: summary");
        assert_eq!(sheet[0].len(), 5, "{who}: {:?}", sheet[0]);
    }
}
