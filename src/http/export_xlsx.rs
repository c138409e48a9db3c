//! XLSX workbooks of the exports (`/export/budget-lines.xlsx`, `/export/budget-summary.xlsx`):
//! headers in the request's language, codes as text (their leading zeros kept), years and
//! counts as numbers, amounts as numeric cells in thousands of tenge with the tenths format.
//! The sheet is written in constant memory (rows go to a temporary file as they come) and the
//! finished workbook is streamed from a temporary file.

use std::io::{Seek, SeekFrom};

use poem::Body;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::domain::lang::Lang;
use crate::error::{AppError, Expected};
use crate::store::budget::{AggregateRow, BudgetDimension, BudgetLineRow};

/// Data rows one sheet holds (Excel's 1 048 576 rows, the header aside).
pub const MAX_ROWS: i64 = 1_048_575;

/// A cell of a row.
pub enum Cell {
    /// Text, written as it is (codes keep their leading zeros).
    Text(String),
    /// A whole number.
    Number(i64),
    /// An amount in tenths of a thousand tenge, shown with one decimal.
    Tenths(i64),
    /// Nothing.
    Empty,
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing XLSX: {e}"))
}

/// A workbook of one sheet being written row by row.
pub struct Sheet {
    workbook: Workbook,
    row: u32,
    header: Format,
    tenths: Format,
}

impl Sheet {
    /// A sheet with the header row `headers`.
    pub fn new(headers: &[&str]) -> Result<Sheet, AppError> {
        let mut workbook = Workbook::new();
        workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        let mut sheet = Sheet {
            workbook,
            row: 0,
            header: Format::new().set_bold(),
            tenths: Format::new().set_num_format("#,##0.0"),
        };
        let header = sheet.header.clone();
        let ws = sheet.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for (col, h) in headers.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, *h, &header)
                .map_err(xlsx_error)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet.row = 1;
        Ok(sheet)
    }

    /// Appends a row.
    pub fn push(&mut self, cells: Vec<Cell>) -> Result<(), AppError> {
        let row = self.row;
        let tenths = self.tenths.clone();
        let ws = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(t) => ws.write_string(row, col, t).map(|_| ()),
                // Whole numbers of the exports (ids, years, counts) are far below 2^53.
                Cell::Number(n) => ws.write_number(row, col, n as f64).map(|_| ()),
                Cell::Tenths(t) => ws
                    .write_number_with_format(row, col, t as f64 / 10.0, &tenths)
                    .map(|_| ()),
                Cell::Empty => Ok(()),
            }
            .map_err(xlsx_error)?;
        }
        self.row += 1;
        Ok(())
    }

    /// The finished workbook as a body streamed from a temporary file.
    pub async fn finish(mut self) -> Result<Body, AppError> {
        let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, AppError> {
            let io = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("XLSX file: {e}"));
            let mut file = tempfile::tempfile().map_err(io)?;
            self.workbook
                .save_to_writer(&mut file)
                .map_err(xlsx_error)?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            Ok(file)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing XLSX: {e}")))??;
        Ok(Body::from_async_read(tokio::fs::File::from_std(file)))
    }
}

/// Refuses a lines export too long for one sheet (the CSV export has no such bound).
pub fn check_rows(rows: i64) -> Result<(), AppError> {
    if rows > MAX_ROWS {
        return Err(AppError::Invalid {
            field: "filter".to_owned(),
            expected: Expected::AtMostItems(usize::try_from(MAX_ROWS).unwrap_or(usize::MAX)),
        });
    }
    Ok(())
}

/// The headers of the lines export, in `lang` (the CSV's columns, in order).
pub fn line_headers(lang: Lang) -> [&'static str; 14] {
    match lang {
        Lang::Kk => [
            "Id",
            "Жыл",
            "Бюджет деңгейі",
            "Аумақ (КАТО)",
            "Өңір (КАТО)",
            "Әкімші",
            "Бағдарлама",
            "Кіші бағдарлама",
            "Ерекшелік",
            "Функционалдық топ",
            "Кезең",
            "Жүйе",
            "Күні",
            "Сома, мың теңге",
        ],
        Lang::Ru => [
            "Id",
            "Год",
            "Уровень бюджета",
            "Территория (КАТО)",
            "Регион (КАТО)",
            "Администратор",
            "Программа",
            "Подпрограмма",
            "Специфика",
            "Функциональная группа",
            "Этап",
            "Система",
            "Дата",
            "Сумма, тыс. тенге",
        ],
        Lang::En => [
            "Id",
            "Year",
            "Budget level",
            "Territory (KATO)",
            "Region (KATO)",
            "Administrator",
            "Program",
            "Subprogram",
            "Specific",
            "Functional group",
            "Phase",
            "System",
            "As of",
            "Amount, thousand tenge",
        ],
    }
}

/// A line's cells, in the order of [`line_headers`].
pub fn line_cells(r: &BudgetLineRow) -> Vec<Cell> {
    let text = |s: &str| {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_owned())
        }
    };
    vec![
        Cell::Number(r.id),
        Cell::Number(i64::from(r.year)),
        text(r.level.as_str()),
        text(&r.kato),
        text(r.region_kato.as_deref().unwrap_or_default()),
        text(&r.administrator),
        text(&r.program),
        text(&r.subprogram),
        text(&r.specific),
        text(&r.functional_group),
        text(r.phase.as_str()),
        text(r.phase.system().as_str()),
        r.as_of.map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
        Cell::Tenths(r.amount_tenths),
    ]
}

/// The header of a summary column in `lang`.
fn dimension_header(d: BudgetDimension, lang: Lang) -> &'static str {
    use BudgetDimension as D;
    let [kk, ru, en] = match d {
        D::Year => ["Жыл", "Год", "Year"],
        D::Level => ["Бюджет деңгейі", "Уровень бюджета", "Budget level"],
        D::Territory => ["Аумақ (КАТО)", "Территория (КАТО)", "Territory (KATO)"],
        D::Region => ["Өңір (КАТО)", "Регион (КАТО)", "Region (KATO)"],
        D::Administrator => ["Әкімші", "Администратор", "Administrator"],
        D::Program => ["Бағдарлама", "Программа", "Program"],
        D::Subprogram => ["Кіші бағдарлама", "Подпрограмма", "Subprogram"],
        D::Specific => ["Ерекшелік", "Специфика", "Specific"],
        D::FunctionalGroup => [
            "Функционалдық топ",
            "Функциональная группа",
            "Functional group",
        ],
        D::Phase => ["Кезең", "Этап", "Phase"],
    };
    lang.pick(kk, ru, en)
}

/// The summary workbook: one row per group, the grouping's columns first.
pub async fn summary(
    dims: &[BudgetDimension],
    groups: &[AggregateRow],
    lang: Lang,
) -> Result<Body, AppError> {
    let mut headers: Vec<&str> = dims.iter().map(|d| dimension_header(*d, lang)).collect();
    headers.push(lang.pick(
        "Сома, мың теңге",
        "Сумма, тыс. тенге",
        "Amount, thousand tenge",
    ));
    headers.push(lang.pick("Жолдар саны", "Число строк", "Lines"));
    let mut sheet = Sheet::new(&headers)?;
    for g in groups {
        let mut cells: Vec<Cell> = dims
            .iter()
            .map(|d| match g.key(*d) {
                k if k.is_empty() => Cell::Empty,
                k if *d == BudgetDimension::Year => k.parse().map_or(Cell::Text(k), Cell::Number),
                k => Cell::Text(k),
            })
            .collect();
        cells.push(Cell::Tenths(g.amount_tenths));
        cells.push(Cell::Number(g.line_count));
        sheet.push(cells)?;
    }
    sheet.finish().await
}
