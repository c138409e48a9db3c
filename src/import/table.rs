//! Tabular import files: a CSV file or an XLSX workbook's first sheet, read as a header and rows
//! of text cells, each row with the line a person sees in a text editor or a spreadsheet.

use std::io::Cursor;

use calamine::{Data, Reader};
use indicatif::ProgressBar;

use super::report::{ImportError, RowError};
use crate::domain::TextEnum;
use crate::domain::form::{self, Rule};
use crate::error::{AppError, Expected};

/// Longest header name reported back (an unread column's name is the file's text).
const MAX_HEADER_NAME: usize = 64;

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 text, comma-separated, header first.
    Csv,
    /// An Office Open XML workbook: the first sheet, header first.
    Xlsx,
}

impl Format {
    /// The format of `bytes`: a ZIP container is a workbook, anything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// One cell's text, and whether the workbook stored it as a number (a spreadsheet drops a
/// code's leading zeros when it does; [`Fields::digits`] puts them back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Cell {
    text: String,
    numeric: bool,
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based line (CSV) or row (XLSX) number; the header is line 1.
    pub line: u64,
    cells: Vec<Cell>,
}

/// A column an import reads.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name in the header (matched without regard to case or surrounding spaces).
    pub name: &'static str,
    /// Whether the header must have it.
    pub required: bool,
}

impl Column {
    /// A column the header must have.
    pub const fn required(name: &'static str) -> Column {
        Column {
            name,
            required: true,
        }
    }

    /// A column the header may leave out (its cells then read as empty).
    pub const fn optional(name: &'static str) -> Column {
        Column {
            name,
            required: false,
        }
    }
}

/// A file read whole: where each wanted column sits, and the data rows.
#[derive(Debug)]
pub struct Table {
    columns: &'static [Column],
    /// For each wanted column, its 0-based position in the file, if the header has it.
    positions: Vec<Option<usize>>,
    /// Header names this import does not read (reported, not refused: official files carry
    /// extra columns from time to time).
    pub ignored: Vec<String>,
    /// The data rows in file order (blank rows dropped).
    pub records: Vec<Record>,
    /// Advanced by one for every record checked (hidden unless an import shows it).
    progress: ProgressBar,
    /// The table's name when a file holds several (a workbook's sheet, a CSV file of a set):
    /// errors then name the field as `table.column`.
    name: Option<&'static str>,
}

impl Table {
    /// Reads `bytes` as XLSX (a ZIP container) or else as CSV, and matches the header against
    /// `columns`.
    pub fn parse(bytes: &[u8], columns: &'static [Column]) -> Result<Table, ImportError> {
        let rows = match Format::sniff(bytes) {
            Format::Xlsx => xlsx_rows(bytes, None)?.unwrap_or_default(),
            Format::Csv => csv_rows(bytes)?,
        };
        Table::from_rows(rows, columns)
    }

    /// Reads the sheet called `name` (case aside) of the workbook `bytes` as the table `name`;
    /// `None` when the workbook has no such sheet.
    pub fn parse_sheet(
        bytes: &[u8],
        name: &'static str,
        columns: &'static [Column],
    ) -> Result<Option<Table>, ImportError> {
        let Some(rows) = xlsx_rows(bytes, Some(name)).map_err(|e| named(e, name))? else {
            return Ok(None);
        };
        let table = Table::from_rows(rows, columns).map_err(|e| named(e, name))?;
        Ok(Some(Table {
            name: Some(name),
            ..table
        }))
    }

    /// Reads the CSV file `bytes` as the table `name` of a set of files.
    pub fn parse_csv_named(
        bytes: &[u8],
        name: &'static str,
        columns: &'static [Column],
    ) -> Result<Table, ImportError> {
        let rows = csv_rows(bytes).map_err(|e| named(e, name))?;
        let table = Table::from_rows(rows, columns).map_err(|e| named(e, name))?;
        Ok(Table {
            name: Some(name),
            ..table
        })
    }

    /// The field name errors give for the column `column`: `table.column` in a named table.
    pub fn field(&self, column: &str) -> String {
        match self.name {
            Some(t) => format!("{t}.{column}"),
            None => column.to_owned(),
        }
    }

    /// The error of the value of `column` on `line`.
    pub fn error(&self, line: u64, column: &str, expected: Expected) -> RowError {
        RowError {
            line,
            column: self.column_number(column),
            field: self.field(column),
            expected,
        }
    }

    fn from_rows(mut rows: Rows, columns: &'static [Column]) -> Result<Table, ImportError> {
        if rows.is_empty() {
            return Err(header_error(1, columns[0].name, Expected::Present));
        }
        let (_, header) = rows.remove(0);
        let names: Vec<String> = header
            .iter()
            .map(|c| c.text.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect();
        let mut positions = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter().enumerate() {
            let found: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_str() == col.name)
                .map(|(p, _)| p)
                .collect();
            match found.as_slice() {
                [] if col.required => {
                    return Err(header_error(names.len() + 1, col.name, Expected::Present));
                }
                [] => positions.push(None),
                [p] => positions.push(Some(*p)),
                [_, second, ..] => {
                    return Err(header_error(second + 1, columns[i].name, Expected::Unique));
                }
            }
        }
        // Reported back to the operator: cut short and with unsafe characters escaped.
        let ignored = names
            .iter()
            .filter(|n| !n.is_empty() && !columns.iter().any(|c| c.name == n.as_str()))
            .map(|n| {
                let short: String = n.chars().take(MAX_HEADER_NAME).collect();
                crate::domain::text::escaped(&short).into_owned()
            })
            .collect();
        let records = rows
            .into_iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.text.is_empty()))
            .map(|(line, cells)| Record { line, cells })
            .collect();
        Ok(Table {
            columns,
            positions,
            ignored,
            records,
            progress: ProgressBar::hidden(),
            name: None,
        })
    }

    /// The 1-based column of `name` in the file; for a column the header lacks, the one just
    /// past the last.
    pub fn column_number(&self, name: &str) -> usize {
        let i = self
            .columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or(0);
        match self.positions.get(i).copied().flatten() {
            Some(p) => p + 1,
            None => self.positions.iter().flatten().max().map_or(1, |m| m + 2),
        }
    }

    /// Shows the checking of the records on `bar`.
    pub fn with_progress(mut self, bar: ProgressBar) -> Table {
        bar.set_length(self.records.len() as u64);
        self.progress = bar;
        self
    }

    /// Clears the progress bar once the checking is over.
    pub fn checked(&self) {
        self.progress.finish_and_clear();
    }

    /// The text of `record`'s cell in the column `name` (empty when absent), read without
    /// checking it or counting the record as checked.
    pub fn text_of<'a>(&'a self, record: &'a Record, name: &str) -> &'a str {
        let Some(i) = self.columns.iter().position(|c| c.name == name) else {
            return "";
        };
        self.positions
            .get(i)
            .copied()
            .flatten()
            .and_then(|p| record.cells.get(p))
            .map_or("", |c| c.text.as_str())
    }

    /// The checker of one record: reads its cells by column and collects what is wrong.
    pub fn fields<'a>(&'a self, record: &'a Record, errors: &'a mut Vec<RowError>) -> Fields<'a> {
        self.progress.inc(1);
        Fields {
            table: self,
            record,
            errors,
        }
    }
}

fn header_error(column: usize, field: &str, expected: Expected) -> ImportError {
    ImportError::Invalid {
        errors: vec![RowError {
            line: 1,
            column,
            field: field.to_owned(),
            expected,
        }],
        more: 0,
    }
}

/// `e` with its fields named as columns of the table `table`.
fn named(e: ImportError, table: &str) -> ImportError {
    match e {
        ImportError::Invalid { mut errors, more } => {
            for err in &mut errors {
                err.field = format!("{table}.{}", err.field);
            }
            ImportError::Invalid { errors, more }
        }
        other => other,
    }
}

/// A table's rows with their line numbers.
type Rows = Vec<(u64, Vec<Cell>)>;

fn csv_rows(bytes: &[u8]) -> Result<Rows, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(i as u64 + 1, |p| p.line());
                let cells = r
                    .iter()
                    .map(|t| Cell {
                        text: t.trim().to_owned(),
                        numeric: false,
                    })
                    .collect();
                rows.push((line, cells));
            }
            // Not UTF-8 or broken quoting: the line as a whole is unreadable.
            Err(e) => errors.push(RowError {
                line: e.position().map_or(i as u64 + 1, |p| p.line()),
                column: 1,
                field: "line".to_owned(),
                expected: Expected::Utf8Csv,
            }),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::invalid(errors))
    }
}

/// The rows of one sheet of a workbook: the first, or the one called `sheet` (`None` when the
/// workbook has none of that name).
fn xlsx_rows(bytes: &[u8], sheet: Option<&str>) -> Result<Option<Rows>, ImportError> {
    let unreadable = || header_error(1, "workbook", Expected::Workbook);
    let mut book =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = match sheet {
        None => book.worksheet_range_at(0).ok_or_else(unreadable)?,
        Some(wanted) => {
            let found = book
                .sheet_names()
                .into_iter()
                .find(|n| n.trim().eq_ignore_ascii_case(wanted));
            let Some(found) = found else {
                return Ok(None);
            };
            book.worksheet_range(&found)
        }
    }
    .map_err(|_| unreadable())?;
    // Line numbers as the spreadsheet shows them: the used range may start below row 1.
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    Ok(Some(
        range
            .rows()
            .enumerate()
            .map(|(i, row)| {
                let mut cells = vec![Cell::default(); first_col];
                cells.extend(row.iter().map(cell));
                (first_row + i as u64 + 1, cells)
            })
            .collect(),
    ))
}

/// A workbook cell as text: whole numbers without a decimal point, dates as ISO dates.
fn cell(data: &Data) -> Cell {
    let (text, numeric) = match data {
        Data::Int(i) => (i.to_string(), true),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (format!("{f:.0}"), true),
        Data::Float(f) => (f.to_string(), true),
        Data::String(s) => (s.trim().to_owned(), false),
        Data::Bool(b) => (b.to_string(), false),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => (t.date().to_string(), false),
            Some(t) => (t.to_string(), false),
            None => (d.to_string(), false),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => (s.clone(), false),
        // An error cell (#N/A, #REF!) has no value: it reads as text that fails every check.
        Data::Error(e) => (format!("#{e:?}"), false),
        Data::Empty => (String::new(), false),
    };
    Cell { text, numeric }
}

/// Reads one record's cells by column name, recording what is wrong with each.
pub struct Fields<'a> {
    table: &'a Table,
    record: &'a Record,
    errors: &'a mut Vec<RowError>,
}

impl Fields<'_> {
    /// The record's line.
    pub fn line(&self) -> u64 {
        self.record.line
    }

    fn index(&self, name: &str) -> usize {
        self.table
            .columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or(0)
    }

    fn cell(&self, name: &str) -> Option<&Cell> {
        let position = self.table.positions.get(self.index(name)).copied()??;
        self.record.cells.get(position)
    }

    /// The cell's text (empty when the column or the cell is absent).
    pub fn raw(&self, name: &str) -> &str {
        self.cell(name).map_or("", |c| c.text.as_str())
    }

    /// Records that the value of `name` is not what `expected` says.
    pub fn fail(&mut self, name: &str, expected: Expected) {
        self.errors
            .push(self.table.error(self.record.line, name, expected));
    }

    /// Required text of 1 to `max` characters without control characters.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let v = self.raw(name);
        // Control characters and bidirectional marks never reach the store or a terminal.
        let unsafe_char = v.chars().any(crate::domain::text::is_unsafe);
        if v.is_empty() || v.chars().count() > max || unsafe_char {
            self.fail(name, Expected::Text(max));
            None
        } else {
            Some(v.to_owned())
        }
    }

    /// Optional text: `Some(None)` when empty, else as [`Fields::text`].
    pub fn optional_text(&mut self, name: &str, max: usize) -> Option<Option<String>> {
        if self.raw(name).is_empty() {
            Some(None)
        } else {
            self.text(name, max).map(Some)
        }
    }

    /// Exactly `n` digits. A workbook's numeric cell that lost its leading zeros gets them back.
    pub fn digits(&mut self, name: &str, n: usize) -> Option<String> {
        let (text, numeric) = self
            .cell(name)
            .map_or(("", false), |c| (c.text.as_str(), c.numeric));
        let all_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        if all_digits && text.len() == n {
            Some(text.to_owned())
        } else if all_digits && numeric && text.len() < n {
            Some(format!("{text:0>n$}"))
        } else {
            self.fail(name, Expected::Digits(n));
            None
        }
    }

    /// Optional digits: `Some(None)` when empty, else as [`Fields::digits`].
    pub fn optional_digits(&mut self, name: &str, n: usize) -> Option<Option<String>> {
        if self.raw(name).is_empty() {
            Some(None)
        } else {
            self.digits(name, n).map(Some)
        }
    }

    /// A whole number from `min` to `max`.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let v = self
            .raw(name)
            .parse::<i64>()
            .ok()
            .filter(|v| (min..=max).contains(v));
        if v.is_none() {
            self.fail(name, Expected::IntegerIn(min, max));
        }
        v
    }

    /// Text that keeps one of the form's rules (names, titles): trimmed, required.
    pub fn rule(&mut self, name: &str, rule: Rule) -> Option<String> {
        match form::text(name, self.raw(name), rule) {
            Ok(v) => Some(v),
            Err(AppError::Invalid { expected, .. }) => {
                self.fail(name, expected);
                None
            }
            Err(_) => {
                self.fail(name, Expected::Present);
                None
            }
        }
    }

    /// Optional text under a rule: `Some(None)` when empty, else as [`Fields::rule`].
    pub fn optional_rule(&mut self, name: &str, rule: Rule) -> Option<Option<String>> {
        if self.raw(name).is_empty() {
            Some(None)
        } else {
            self.rule(name, rule).map(Some)
        }
    }

    /// One of a text enumeration's words.
    pub fn variant<T: TextEnum + std::str::FromStr>(&mut self, name: &str) -> Option<T> {
        let v = self.raw(name).parse::<T>().ok();
        if v.is_none() {
            self.fail(
                name,
                Expected::OneOf(T::all().iter().map(|t| t.as_str()).collect()),
            );
        }
        v
    }

    /// A value that must be empty here.
    pub fn absent(&mut self, name: &str) -> bool {
        let empty = self.raw(name).is_empty();
        if !empty {
            self.fail(name, Expected::Absent);
        }
        empty
    }

    /// One of the words `parse` accepts (`words` are listed in the error).
    pub fn word<T>(
        &mut self,
        name: &str,
        words: Vec<&'static str>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = parse(self.raw(name));
        if v.is_none() {
            self.fail(name, Expected::OneOf(words));
        }
        v
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `да`/`нет`, `иә`/`жоқ`); empty is `false`.
    pub fn flag(&mut self, name: &str) -> Option<bool> {
        match self.raw(name).to_lowercase().as_str() {
            "" | "false" | "0" | "no" | "нет" | "жоқ" => Some(false),
            "true" | "1" | "yes" | "да" | "иә" => Some(true),
            _ => {
                self.fail(name, Expected::OneOf(vec!["true", "false"]));
                None
            }
        }
    }

    /// An ISO date (YYYY-MM-DD); a workbook's date cell is one.
    pub fn date(&mut self, name: &str) -> Option<chrono::NaiveDate> {
        let v = self.raw(name).parse().ok();
        if v.is_none() {
            self.fail(name, Expected::Date);
        }
        v
    }

    /// Optional date: `Some(None)` when empty, else as [`Fields::date`].
    pub fn optional_date(&mut self, name: &str) -> Option<Option<chrono::NaiveDate>> {
        if self.raw(name).is_empty() {
            Some(None)
        } else {
            self.date(name).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column::required("code"),
        Column::required("name"),
        Column::optional("note"),
    ];

    fn read(text: &str) -> Result<Table, ImportError> {
        Table::parse(text.as_bytes(), COLUMNS)
    }

    fn first_error(r: Result<Table, ImportError>) -> RowError {
        match r {
            Err(ImportError::Invalid { errors, .. }) => errors[0].clone(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn headers_match_by_name_in_any_order_and_case() {
        let t = read("\u{feff}Name , CODE,extra\nx,007,1\n\n").unwrap();
        assert_eq!(t.ignored, vec!["extra".to_owned()]);
        assert_eq!(t.records.len(), 1, "the blank line is dropped");
        let mut errors = Vec::new();
        let mut f = t.fields(&t.records[0], &mut errors);
        assert_eq!(f.digits("code", 3).as_deref(), Some("007"));
        assert_eq!(f.text("name", 10).as_deref(), Some("x"));
        assert_eq!(f.optional_text("note", 10), Some(None));
        assert!(errors.is_empty());
    }

    #[test]
    fn header_problems_name_the_column() {
        for (name, text, column, field, expected) in [
            ("missing column", "code\n1\n", 2, "name", Expected::Present),
            (
                "repeated column",
                "code,name,code\n",
                3,
                "code",
                Expected::Unique,
            ),
            ("empty file", "", 1, "code", Expected::Present),
        ] {
            let e = first_error(read(text));
            assert_eq!(
                (e.line, e.column, e.field.as_str(), e.expected),
                (1, column, field, expected),
                "{name}"
            );
        }
    }

    #[test]
    fn cell_errors_carry_line_and_column() {
        let t = read("name,code\nok,12\n").unwrap();
        let mut errors = Vec::new();
        let mut f = t.fields(&t.records[0], &mut errors);
        assert_eq!(f.digits("code", 3), None, "text keeps its length");
        assert_eq!(
            (errors[0].line, errors[0].column, errors[0].field.as_str()),
            (2, 2, "code")
        );
    }

    #[test]
    fn unreadable_csv_lines_are_named() {
        let mut bytes = b"code,name\n1,ok\n2,".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        let e = first_error(Table::parse(&bytes, COLUMNS));
        assert_eq!((e.line, e.expected), (3, Expected::Utf8Csv));
    }

    #[test]
    fn workbook_cells_read_as_text() {
        for (data, text, numeric) in [
            (Data::Int(7), "7", true),
            (Data::Float(110000000.0), "110000000", true),
            (Data::Float(1.5), "1.5", true),
            (Data::String(" Абай ".into()), "Абай", false),
            (Data::Empty, "", false),
        ] {
            assert_eq!(
                cell(&data),
                Cell {
                    text: text.to_owned(),
                    numeric
                },
                "{data:?}"
            );
        }
    }

    #[test]
    fn flags_read_in_three_languages() {
        let t = read("code,name,note\n1,a,да\n2,b,жоқ\n3,c,maybe\n").unwrap();
        let mut errors = Vec::new();
        let got: Vec<Option<bool>> = t
            .records
            .iter()
            .map(|r| t.fields(r, &mut errors).flag("note"))
            .collect();
        assert_eq!(got, vec![Some(true), Some(false), None]);
        assert_eq!(errors.len(), 1);
    }
}
