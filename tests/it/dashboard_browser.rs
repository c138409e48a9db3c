//! The auditor dashboard in a real browser (headless Chromium), for a maslikhat and for
//! Parliament: the bars drawn are the groups the API returns for the same query, the table's
//! totals are the API's, the CSV and XLSX downloads hold the same numbers (read back), and a
//! bar drills down to the administrator's programs. Screenshots are saved and printed.

use crate::common;

use std::collections::BTreeMap;

use common::TestDb;
use common::browser::Browser;
use fantoccini::Locator;
use serde_json::{Value, json};

/// An amount as tenths (`"123.4"` → 1234), exactly.
fn tenths(s: &str) -> i64 {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let negative = whole.starts_with('-');
    let v = whole.trim_start_matches('-').parse::<i64>().expect("whole") * 10
        + frac[..1].parse::<i64>().expect("tenth");
    if negative { -v } else { v }
}

fn decimal(t: i64) -> String {
    format!(
        "{}{}.{}",
        if t < 0 { "-" } else { "" },
        t.abs() / 10,
        t.abs() % 10
    )
}

/// (plan, execution) totals of a summary export's rows (phase in `phase_col`, amount in
/// `amount_col`).
fn totals(rows: &[Vec<String>], phase_col: usize, amount_col: usize) -> (i64, i64) {
    let mut out = (0, 0);
    for r in rows {
        let t = tenths(&r[amount_col]);
        if r[phase_col] == "APPROVED" {
            out.0 += t;
        } else {
            out.1 += t;
        }
    }
    out
}

async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap_or_default()
}

async fn attr_of(c: &fantoccini::Client, css: &str, name: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .attr(name)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[tokio::test]
#[cfg_attr(
    no_browser,
    ignore = "needs chromium and chromedriver on the PATH (Debian chromium, chromium-driver)"
)]
async fn the_dashboard_draws_the_apis_groups_and_downloads_the_same_numbers() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let c = &browser.client;
    let t = TestDb::with_demo(1).await;
    let server = common::TestServer::start(&t.db).await;
    let cases = [
        ("Akmola region maslikhat", "MASLIKHAT", "110000000", "ru"),
        ("Parliament", "PARLIAMENT", "", "kk"),
    ];
    for (who, kind, kato, lang) in cases {
        let user = common::user_of(&t.db, kind, kato, true).await;
        common::grant_both_systems(&t.db, user.id).await;
        let s = server.clone_as(&user.iin);
        c.goto(&s.url("/dashboard")).await.expect("open");
        c.execute(
            "localStorage.setItem('audit-hub-token', arguments[0]); localStorage.setItem('audit-hub-lang', arguments[1]);",
            vec![json!(common::token(&user.iin)), json!(lang)],
        )
        .await
        .expect("sign in");
        c.goto(&s.url("/dashboard")).await.expect("open again");
        browser
            .wait_for_text("#total-plan", |t| !t.is_empty())
            .await;
        let year = c
            .execute(
                "return Number(document.getElementById('year').value);",
                vec![],
            )
            .await
            .expect("year")
            .as_i64()
            .expect("a year");
        let groups: usize = attr_of(c, "#bars", "data-groups")
            .await
            .parse()
            .expect("groups");
        let drawn = c
            .execute(
                "const ch = Chart.getChart('bars'); return ch.data.datasets.map((d) => d.data.length);",
                vec![],
            )
            .await
            .expect("chart");
        assert_eq!(
            drawn,
            json!([groups, groups]),
            "{who}: plan and execution bars"
        );

        // The same query through the API: its groups and its totals.
        let href = attr_of(c, "#summary-csv", "data-href").await;
        let filter: Value = {
            let query = href.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let pairs: BTreeMap<String, String> =
                serde_urlencoded::from_str(query).expect("export parameters");
            serde_json::from_str(&pairs["filter"]).expect("filter json")
        };
        assert_eq!(filter["years"], json!([year]), "{who}: {filter}");
        let d = s
            .data(
                "query($f: BudgetLineFilter) { budgetSummary(groupBy: [ADMINISTRATOR, PHASE], filter: $f) { key { administrator phase } amount } }",
                json!({ "f": filter }),
            )
            .await;
        let api = d["budgetSummary"].as_array().expect("groups");
        let mut keys: Vec<&str> = api
            .iter()
            .map(|g| g["key"]["administrator"].as_str().unwrap_or_default())
            .collect();
        keys.dedup();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(groups, keys.len(), "{who}: bars against the API's groups");
        let rows: Vec<Vec<String>> = api
            .iter()
            .map(|g| {
                vec![
                    g["key"]["phase"].as_str().unwrap_or_default().to_owned(),
                    g["amount"].as_str().unwrap_or_default().to_owned(),
                ]
            })
            .collect();
        let (plan, execution) = totals(&rows, 0, 1);
        assert_eq!(
            text_of(c, "#total-plan").await,
            decimal(plan),
            "{who}: plan total"
        );
        assert_eq!(
            text_of(c, "#total-execution").await,
            decimal(execution),
            "{who}: execution total"
        );

        // The downloads behind the buttons hold the same numbers.
        let resp = s.get(&href).send().await.expect("csv");
        assert_eq!(resp.status().as_u16(), 200, "{who}: csv");
        let text = resp.text().await.expect("csv text");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let csv_rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("row").iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            totals(&csv_rows, 1, 2),
            (plan, execution),
            "{who}: csv totals"
        );
        let href = attr_of(c, "#summary-xlsx", "data-href").await;
        let resp = s.get(&href).send().await.expect("xlsx");
        assert_eq!(resp.status().as_u16(), 200, "{who}: xlsx");
        let bytes = resp.bytes().await.expect("xlsx bytes");
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .expect("a workbook");
        use calamine::Reader;
        let sheet = book
            .worksheet_range_at(0)
            .expect("sheet")
            .expect("readable");
        let xlsx_rows: Vec<Vec<String>> = sheet
            .rows()
            .skip(1)
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        calamine::Data::Float(f) => format!("{f:.1}"),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            totals(&xlsx_rows, 1, 2),
            (plan, execution),
            "{who}: xlsx totals"
        );
        browser
            .screenshot(&format!("dashboard-{}", who.replace(' ', "-")))
            .await;
        browser.accessibility(&format!("dashboard, {who}")).await;
    }

    // Drill down: a bar of an administrator shows its programs.
    let first_key = attr_of(c, "#summary tbody tr", "data-key").await;
    c.execute(
        "const ch = Chart.getChart('bars'); const meta = ch.getDatasetMeta(0); const bar = meta.data[0]; \
         const r = ch.canvas.getBoundingClientRect(); \
         ch.canvas.dispatchEvent(new MouseEvent('click', { clientX: r.left + bar.x, clientY: r.top + bar.y + 2, bubbles: true }));",
        vec![],
    )
    .await
    .expect("click a bar");
    browser.wait_for_text("#crumbs", |t| !t.is_empty()).await;
    // The table follows once the programs' query has answered.
    let header = browser
        .wait_for_text("#key-header", |t| t == "Бағдарлама")
        .await;
    assert_eq!(header, "Бағдарлама", "programs of {first_key}");
    browser.screenshot("dashboard-drill-down").await;
    browser.accessibility("dashboard, drill-down").await;
    browser.close().await;
}
