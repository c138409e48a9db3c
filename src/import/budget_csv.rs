//! The budget CSV import (DESIGN §5): validate every row first, then write all rows in one
//! transaction with a natural-key upsert, chunk by chunk, so a file either lands whole or not at
//! all, a second import of the same file changes nothing, and memory stays bounded.

use std::collections::{BTreeSet, HashSet};
use std::io::Read;

use chrono::NaiveDate;

use super::classified::Classified;
pub use super::report::{ImportError, MAX_REPORTED, RowError};
use crate::domain::budget::{BudgetLevel, BudgetPhase, parse_amount_tenths};
use crate::domain::territory::{REPUBLIC_KATO, TerritoryKind, is_kato, region_of};
use crate::error::{AppError, Expected};
use crate::store::budget::{LineKey, NewAmount, upsert_amounts, upsert_lines};
use crate::store::{Db, Tx};
use crate::store::{classification, reference, rollup};

/// The columns, in order.
pub const COLUMNS: [&str; 11] = [
    "year",
    "level",
    "kato",
    "administrator",
    "program",
    "subprogram",
    "specific",
    "functional_group",
    "phase",
    "as_of",
    "amount",
];

/// A validated row.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    key: LineKey,
    phase: BudgetPhase,
    as_of: Option<NaiveDate>,
    amount_tenths: i64,
}

/// How many rows an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
}

/// How a budget file is checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Codes missing from the year's budget classification refuse the file (by default they
    /// are warnings and the file is imported).
    pub strict: bool,
}

/// A budget import's result: what it wrote, and the rows' codes the budget classification of
/// their year lacks (the first [`MAX_REPORTED`], the rest counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The rows written.
    pub report: ImportReport,
    /// Codes missing from the classification.
    pub warnings: Vec<RowError>,
    /// Warnings not listed.
    pub more_warnings: usize,
}

struct Checker<'a> {
    line: u64,
    record: &'a csv::StringRecord,
    errors: &'a mut Vec<RowError>,
}

impl Checker<'_> {
    fn fail(&mut self, col: usize, expected: Expected) {
        self.errors.push(RowError {
            line: self.line,
            column: col + 1,
            field: COLUMNS[col].to_owned(),
            expected,
        });
    }

    fn get(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("")
    }

    fn digits(&mut self, col: usize, n: usize, optional: bool) -> Option<String> {
        let v = self.get(col);
        if optional && v.is_empty() {
            return Some(String::new());
        }
        if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) {
            Some(v.to_owned())
        } else {
            self.fail(col, Expected::Digits(n));
            None
        }
    }

    fn parse<T: std::str::FromStr>(&mut self, col: usize, expected: Expected) -> Option<T> {
        let parsed = self.get(col).parse().ok();
        if parsed.is_none() {
            self.fail(col, expected);
        }
        parsed
    }

    fn row(&mut self, regions: &HashSet<String>) -> Option<Row> {
        let year: Option<i32> = self
            .parse(0, Expected::IntegerIn(1990, 2100))
            .filter(|y| (1990..=2100).contains(y));
        if year.is_none()
            && self
                .errors
                .last()
                .is_none_or(|e| e.line != self.line || e.column != 1)
        {
            self.fail(0, Expected::IntegerIn(1990, 2100));
        }
        let levels: Vec<&'static str> = BudgetLevel::ALL.iter().map(|l| l.as_str()).collect();
        let level: Option<BudgetLevel> = self.parse(1, Expected::OneOf(levels));
        let kato = self.get(2).to_owned();
        let kato_ok = is_kato(&kato);
        if !kato_ok {
            self.fail(2, Expected::Digits(9));
        }
        let administrator = self.digits(3, 3, false);
        let program = self.digits(4, 3, false);
        let subprogram = self.digits(5, 3, true);
        let specific = self.digits(6, 3, true);
        let functional_group = self.digits(7, 2, false);
        let phases: Vec<&'static str> = BudgetPhase::ALL.iter().map(|p| p.as_str()).collect();
        let phase: Option<BudgetPhase> = self.parse(8, Expected::OneOf(phases));
        let as_of = match (phase, self.get(9)) {
            (Some(BudgetPhase::Executed), "") => {
                self.fail(9, Expected::Date);
                None
            }
            (Some(BudgetPhase::Executed), s) => match s.parse::<NaiveDate>() {
                Ok(d) => Some(Some(d)),
                Err(_) => {
                    self.fail(9, Expected::Date);
                    None
                }
            },
            (Some(_), "") => Some(None),
            (Some(_), _) => {
                self.fail(9, Expected::Absent);
                None
            }
            (None, _) => None,
        };
        let amount = match parse_amount_tenths(self.get(10)) {
            Ok(a) => Some(a),
            Err(_) => {
                self.fail(10, Expected::Amount);
                None
            }
        };
        // Where the budget sits must agree with its level, and its region must exist.
        let region = region_of(&kato);
        if let (Some(level), true) = (level, kato_ok) {
            let consistent = match level {
                BudgetLevel::Republican => kato == REPUBLIC_KATO,
                BudgetLevel::Regional => region.as_deref() == Some(kato.as_str()),
                BudgetLevel::District | BudgetLevel::Rural => {
                    kato != REPUBLIC_KATO && region.as_deref() != Some(kato.as_str())
                }
            };
            if !consistent {
                self.fail(2, Expected::ConsistentWith("level"));
            } else if let Some(r) = &region
                && !regions.contains(r)
            {
                self.fail(2, Expected::KnownRegion);
            }
        }
        Some(Row {
            line: self.line,
            key: LineKey {
                year: year?,
                level: level?,
                kato: kato_ok.then_some(kato)?,
                region_kato: region,
                administrator: administrator?,
                program: program?,
                subprogram: subprogram?,
                specific: specific?,
                functional_group: functional_group?,
            },
            phase: phase?,
            as_of: as_of?,
            amount_tenths: amount?,
        })
    }
}

/// The rows of a file in order, each checked; the problems found are kept in `errors` and their
/// rows skipped.
struct RowReader<'a> {
    records: csv::StringRecordsIntoIter<&'a [u8]>,
    regions: &'a HashSet<String>,
    errors: Vec<RowError>,
    index: u64,
}

impl<'a> RowReader<'a> {
    /// Opens the file and checks its header.
    fn open(bytes: &'a [u8], regions: &'a HashSet<String>) -> Result<Self, ImportError> {
        let mut records = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes)
            .into_records();
        let header = match records.next() {
            Some(Ok(h)) => h,
            _ => csv::StringRecord::new(),
        };
        let header_error = |column: usize, field: &str, expected: Expected| {
            Err(ImportError::Invalid {
                errors: vec![RowError {
                    line: 1,
                    column,
                    field: field.to_owned(),
                    expected,
                }],
                more: 0,
            })
        };
        for (i, name) in COLUMNS.iter().enumerate() {
            if header.get(i).map(|h| h.trim_start_matches('\u{feff}')) != Some(name) {
                return header_error(i + 1, name, Expected::OneOf(vec![name]));
            }
        }
        if header.len() != COLUMNS.len() {
            return header_error(
                COLUMNS.len() + 1,
                "header",
                Expected::Columns(COLUMNS.len()),
            );
        }
        Ok(RowReader {
            records,
            regions,
            errors: Vec::new(),
            index: 0,
        })
    }

    /// The problems found so far, as the error of the whole file (`Ok` when none).
    fn verdict(mut self) -> Result<(), ImportError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        let more = self.errors.len().saturating_sub(MAX_REPORTED);
        self.errors.truncate(MAX_REPORTED);
        Err(ImportError::Invalid {
            errors: self.errors,
            more,
        })
    }
}

impl Iterator for RowReader<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let record = self.records.next()?;
            self.index += 1;
            let line = self.index + 1;
            let record = match record {
                Ok(r) => r,
                Err(_) => {
                    // Not valid UTF-8 or broken quoting: the line as a whole is unreadable.
                    self.errors.push(RowError {
                        line,
                        column: 1,
                        field: "line".into(),
                        expected: Expected::Columns(COLUMNS.len()),
                    });
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(line);
            if record.len() != COLUMNS.len() {
                self.errors.push(RowError {
                    line,
                    column: record.len().min(COLUMNS.len()) + 1,
                    field: COLUMNS
                        .get(record.len())
                        .copied()
                        .unwrap_or("line")
                        .to_owned(),
                    expected: Expected::Columns(COLUMNS.len()),
                });
                continue;
            }
            let mut checker = Checker {
                line,
                record: &record,
                errors: &mut self.errors,
            };
            if let Some(row) = checker.row(self.regions) {
                return Some(row);
            }
        }
    }
}

/// Checks every row of a file; returns how many there are, or every problem found.
#[cfg(test)]
fn check_rows(bytes: &[u8], regions: &HashSet<String>) -> Result<usize, ImportError> {
    check_classified(bytes, regions, &mut Classified::default(), &mut Vec::new())
}

/// As [`check_rows`], also collecting in `warnings` the codes `classified` lacks.
fn check_classified(
    bytes: &[u8],
    regions: &HashSet<String>,
    classified: &mut Classified,
    warnings: &mut Vec<RowError>,
) -> Result<usize, ImportError> {
    let mut rows = RowReader::open(bytes, regions)?;
    let mut count = 0;
    for row in rows.by_ref() {
        count += 1;
        if warnings.len() <= MAX_REPORTED {
            classified.check(&row.key, row.line, warnings);
        }
    }
    rows.verdict().map(|()| count)
}

/// Rows written per round of statements: bounds the memory an import holds, whatever the size
/// of the file.
pub const CHUNK_ROWS: usize = 20_000;

/// Imports a budget CSV: all rows or none.
pub async fn import(db: &Db, input: impl Read) -> Result<ImportReport, ImportError> {
    import_with(db, input, Options::default())
        .await
        .map(|i| i.report)
}

/// Imports a budget CSV, checking its codes against the budget classification: all rows or
/// none; codes the classification lacks are warnings, or refuse the file when `strict`.
pub async fn import_with(
    db: &Db,
    input: impl Read,
    options: Options,
) -> Result<Imported, ImportError> {
    let regions = reference::region_codes(db).await?;
    let mut classified = Classified::new(classification::current(db).await?);
    // Two passes over the text (held in memory: a tenth of what the parsed rows would take):
    // the first checks every row and reports every problem before anything is written, the
    // second writes the rows chunk by chunk inside one transaction.
    let mut bytes = Vec::new();
    let mut input = input;
    input
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::from(anyhow::anyhow!("reading the file: {e}")))?;
    let mut warnings = Vec::new();
    let count = check_classified(&bytes, &regions, &mut classified, &mut warnings)?;
    if options.strict {
        ImportError::check(warnings.clone())?;
    }

    let mut rows = RowReader::open(&bytes, &regions)?;
    let mut tx = db.begin().await?;
    rollup::lock_writers(&mut tx).await?;
    let mut groups = BTreeSet::new();
    loop {
        let chunk: Vec<Row> = rows.by_ref().take(CHUNK_ROWS).collect();
        if chunk.is_empty() {
            break;
        }
        write_chunk(&mut tx, &chunk, &mut groups).await?;
    }
    rollup::refresh(&mut tx, &groups).await?;
    tx.commit().await?;
    crate::store::analyze(db).await?;
    let more_warnings = warnings.len().saturating_sub(MAX_REPORTED);
    warnings.truncate(MAX_REPORTED);
    Ok(Imported {
        report: ImportReport { rows: count },
        warnings,
        more_warnings,
    })
}

/// Writes rows (already checked) and notes the rollup groups they touch. Chunks are written in
/// file order, so across chunks as within one the later row for a slot wins.
async fn write_chunk(
    tx: &mut Tx,
    chunk: &[Row],
    groups: &mut BTreeSet<rollup::Group>,
) -> Result<(), ImportError> {
    ensure_reference(tx, chunk).await?;
    let ids = upsert_lines(tx, chunk.iter().map(|r| &r.key)).await?;
    let mut amounts = Vec::with_capacity(chunk.len());
    for row in chunk {
        let line_id = *ids
            .get(&row.key.natural())
            .ok_or_else(|| AppError::from(anyhow::anyhow!("imported line without an id")))?;
        let group = rollup::Group {
            year: row.key.year,
            level: row.key.level,
            kato: row.key.kato.clone(),
            administrator: row.key.administrator.clone(),
        };
        if !groups.contains(&group) {
            groups.insert(group.clone());
        }
        amounts.push(NewAmount {
            line_id,
            group,
            phase: row.phase,
            as_of: row.as_of,
            amount_tenths: row.amount_tenths,
        });
    }
    upsert_amounts(tx, amounts).await?;
    Ok(())
}

/// Creates the territories, administrators and programs the rows name but the reference lacks.
async fn ensure_reference(tx: &mut Tx, rows: &[Row]) -> Result<(), ImportError> {
    let territories: BTreeSet<(String, BudgetLevel)> = rows
        .iter()
        .filter(|r| matches!(r.key.level, BudgetLevel::District | BudgetLevel::Rural))
        .map(|r| (r.key.kato.clone(), r.key.level))
        .collect();
    for (kato, level) in territories {
        let kind = if level == BudgetLevel::District {
            TerritoryKind::District
        } else {
            TerritoryKind::Rural
        };
        reference::ensure_territory(tx, &kato, kind, region_of(&kato)).await?;
    }
    let admins: BTreeSet<(BudgetLevel, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.key.level,
                r.key.kato.as_str(),
                r.key.administrator.as_str(),
            )
        })
        .collect();
    for (level, kato, code) in admins {
        reference::ensure_administrator(tx, level, kato, code).await?;
    }
    let programs: BTreeSet<(BudgetLevel, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.key.level,
                r.key.kato.as_str(),
                r.key.administrator.as_str(),
                r.key.program.as_str(),
            )
        })
        .collect();
    for (level, kato, admin, program) in programs {
        reference::ensure_program(tx, level, kato, admin, program).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;

    fn regions() -> HashSet<String> {
        ["110000000".to_owned()].into_iter().collect()
    }

    const HEADER: &str = "year,level,kato,administrator,program,subprogram,specific,functional_group,phase,as_of,amount\n";

    fn errors_of(body: &str) -> Vec<(u64, usize, String)> {
        match check_rows(format!("{HEADER}{body}").as_bytes(), &regions()) {
            Err(ImportError::Invalid { errors, .. }) => errors
                .into_iter()
                .map(|e| (e.line, e.column, e.field))
                .collect(),
            Ok(_) => vec![],
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn row_errors_name_line_and_column() {
        for (name, body, want) in [
            (
                "wrong level",
                "2025,OBLAST,110000000,252,001,,,03,APPROVED,,10\n",
                (2, 2, "level"),
            ),
            (
                "8-digit kato",
                "2025,REGIONAL,11000000,252,001,,,03,APPROVED,,10\n",
                (2, 3, "kato"),
            ),
            (
                "letters in amount",
                "2025,REGIONAL,110000000,252,001,,,03,APPROVED,,1O.5\n",
                (2, 11, "amount"),
            ),
            (
                "two decimals",
                "2025,REGIONAL,110000000,252,001,,,03,APPROVED,,10.55\n",
                (2, 11, "amount"),
            ),
            (
                "unknown phase",
                "2025,REGIONAL,110000000,252,001,,,03,PLANNED,,10\n",
                (2, 9, "phase"),
            ),
            (
                "missing column",
                "2025,REGIONAL,110000000,252,001,,,03,APPROVED,10\n",
                (2, 11, "amount"),
            ),
            (
                "executed without date",
                "2025,REGIONAL,110000000,252,001,,,03,EXECUTED,,10\n",
                (2, 10, "as_of"),
            ),
            (
                "date on a plan row",
                "2025,REGIONAL,110000000,252,001,,,03,APPROVED,2025-01-31,10\n",
                (2, 10, "as_of"),
            ),
            (
                "unknown region",
                "2025,REGIONAL,990000000,252,001,,,03,APPROVED,,10\n",
                (2, 3, "kato"),
            ),
            (
                "republican with local kato",
                "2025,REPUBLICAN,110000000,201,001,,,03,APPROVED,,10\n",
                (2, 3, "kato"),
            ),
        ] {
            let got = errors_of(body);
            assert_eq!(got, vec![(want.0, want.1, want.2.to_owned())], "{name}");
        }
    }

    #[test]
    fn error_on_a_later_line_names_that_line() {
        let body = "2025,REGIONAL,110000000,252,001,,,03,APPROVED,,10\n2025,REGIONAL,110000000,252,001,,,03,APPROVED,,x\n";
        assert_eq!(errors_of(body), vec![(3, 11, "amount".to_owned())]);
    }

    #[test]
    fn messages_in_three_languages() {
        let e = RowError {
            line: 4,
            column: 11,
            field: "amount".into(),
            expected: Expected::Amount,
        };
        assert!(
            e.message(Lang::En)
                .starts_with("line 4, column 11 (amount)")
        );
        assert!(
            e.message(Lang::Ru)
                .starts_with("строка 4, столбец 11 (amount)")
        );
        assert!(e.message(Lang::Kk).starts_with("4-жол, 11-баған (amount)"));
    }

    #[test]
    fn bad_header_is_reported_on_line_one() {
        let got = match check_rows("year,level\n".as_bytes(), &regions()) {
            Err(ImportError::Invalid { errors, .. }) => errors[0].clone(),
            _ => panic!("expected an error"),
        };
        assert_eq!((got.line, got.column, got.field.as_str()), (1, 3, "kato"));
    }
}
