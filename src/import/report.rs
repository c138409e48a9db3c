//! What an import says back: the problems of a refused file (line, column, field, what was
//! expected, in kk/ru/en), and for an accepted one what it inserted, updated, left unchanged and
//! retired.

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::lang::Lang;
use crate::error::{AppError, Expected};

/// Most row errors reported at once; the rest are counted.
pub const MAX_REPORTED: usize = 50;

/// One problem in the file: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// 1-based column number.
    pub column: usize,
    /// Column name.
    pub field: String,
    /// What the value should have been.
    pub expected: Expected,
}

impl RowError {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let what = self.expected.describe(lang);
        let (line, col, field) = (self.line, self.column, &self.field);
        match lang {
            Lang::Kk => format!("{line}-жол, {col}-баған ({field}): күтілгені — {what}"),
            Lang::Ru => format!("строка {line}, столбец {col} ({field}): ожидается {what}"),
            Lang::En => format!("line {line}, column {col} ({field}): expected {what}"),
        }
    }
}

/// Why an import was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has bad rows; nothing was written.
    #[error("{} invalid value(s); nothing imported", .errors.len() + .more)]
    Invalid {
        /// The first problems found.
        errors: Vec<RowError>,
        /// How many more were not listed.
        more: usize,
    },
    /// The file is larger than an import reads.
    #[error("the file is larger than {limit} bytes; nothing imported")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Writing failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] AppError),
}

impl ImportError {
    /// The refusal listing `errors` (the first [`MAX_REPORTED`] of them, the rest counted).
    pub fn invalid(mut errors: Vec<RowError>) -> ImportError {
        let more = errors.len().saturating_sub(MAX_REPORTED);
        errors.truncate(MAX_REPORTED);
        ImportError::Invalid { errors, more }
    }

    /// `Ok` when `errors` is empty, else the refusal listing them.
    pub fn check(errors: Vec<RowError>) -> Result<(), ImportError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ImportError::invalid(errors))
        }
    }

    /// The lines an operator reads, in `lang` (the store's cause goes to the log, not here).
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        match self {
            ImportError::Invalid { errors, more } => {
                let mut out: Vec<String> = errors.iter().map(|e| e.message(lang)).collect();
                if *more > 0 {
                    out.push(match lang {
                        Lang::Kk => format!("… және тағы {more}"),
                        Lang::Ru => format!("… и ещё {more}"),
                        Lang::En => format!("… and {more} more"),
                    });
                }
                out
            }
            ImportError::TooLarge { limit } => vec![match lang {
                Lang::Kk => format!("файл {limit} байттан үлкен"),
                Lang::Ru => format!("файл больше {limit} байт"),
                Lang::En => format!("the file is larger than {limit} bytes"),
            }],
            ImportError::Store(e) => vec![e.message(lang)],
        }
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(e.into())
    }
}

/// What an import did (or, dry, would do), counted by natural key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// Keys new to the database.
    pub inserted: usize,
    /// Keys whose row changed.
    pub updated: usize,
    /// Keys whose row is as in the file.
    pub unchanged: usize,
    /// Keys absent from the file, kept and marked retired.
    pub retired: usize,
    /// Keys absent from the file and deleted (parts of an object the file replaces whole: its
    /// stage history, funding links and documents; nothing refers to them).
    #[serde(skip_serializing_if = "is_zero")]
    pub removed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Changes {
    /// The counts in `lang`, on one line.
    pub fn describe(&self, lang: Lang) -> String {
        let Changes {
            inserted,
            updated,
            unchanged,
            retired,
            removed,
        } = self;
        let counts = match lang {
            Lang::Kk => format!(
                "қосылды {inserted}, өзгертілді {updated}, өзгеріссіз {unchanged}, күші жойылды {retired}"
            ),
            Lang::Ru => format!(
                "добавлено {inserted}, изменено {updated}, без изменений {unchanged}, выведено {retired}"
            ),
            Lang::En => format!(
                "inserted {inserted}, updated {updated}, unchanged {unchanged}, retired {retired}"
            ),
        };
        if *removed == 0 {
            return counts;
        }
        let removed = match lang {
            Lang::Kk => format!(", жойылды {removed}"),
            Lang::Ru => format!(", удалено {removed}"),
            Lang::En => format!(", removed {removed}"),
        };
        format!("{counts}{removed}")
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

/// The rows an import writes, found by comparing the file's rows with the database's by key.
#[derive(Debug)]
pub struct Plan<K, R> {
    /// Rows whose key is new.
    pub insert: Vec<R>,
    /// Rows whose key exists with other values.
    pub update: Vec<R>,
    /// Keys in the database, not in the file, not yet retired: to retire.
    pub retire: Vec<K>,
    /// The counts.
    pub changes: Changes,
}

impl<K: Ord + Clone, R: PartialEq> Plan<K, R> {
    /// Compares `file` with `existing`; `is_retired` says which existing rows are retired
    /// already (they are neither retired again nor, when the file has them, unchanged: the file
    /// brings them back, which is an update). With `retire_absent` false, absent keys are left
    /// alone.
    pub fn compare(
        file: BTreeMap<K, R>,
        existing: &BTreeMap<K, R>,
        is_retired: impl Fn(&R) -> bool,
        retire_absent: bool,
    ) -> Plan<K, R> {
        let mut plan = Plan {
            insert: Vec::new(),
            update: Vec::new(),
            retire: Vec::new(),
            changes: Changes::default(),
        };
        if retire_absent {
            plan.retire = existing
                .iter()
                .filter(|(k, r)| !file.contains_key(*k) && !is_retired(r))
                .map(|(k, _)| k.clone())
                .collect();
        }
        for (key, row) in file {
            match existing.get(&key) {
                None => plan.insert.push(row),
                Some(old) if *old == row => plan.changes.unchanged += 1,
                Some(_) => plan.update.push(row),
            }
        }
        plan.changes.inserted = plan.insert.len();
        plan.changes.updated = plan.update.len();
        plan.changes.retired = plan.retire.len();
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_count_each_kind_of_change() {
        // (value, retired)
        let existing: BTreeMap<u8, (char, bool)> = [
            (1, ('a', false)),
            (2, ('b', false)),
            (3, ('c', false)),
            (4, ('d', true)),
            (5, ('e', true)),
        ]
        .into();
        let file: BTreeMap<u8, (char, bool)> = [
            (1, ('a', false)),
            (2, ('B', false)),
            (5, ('e', false)),
            (6, ('f', false)),
        ]
        .into();
        let plan = Plan::compare(file.clone(), &existing, |r| r.1, true);
        assert_eq!(
            plan.changes,
            Changes {
                inserted: 1,
                updated: 2,
                unchanged: 1,
                retired: 1,
                removed: 0,
            }
        );
        assert_eq!(plan.retire, vec![3], "4 was retired before");
        let kept = Plan::compare(file, &existing, |r| r.1, false);
        assert_eq!(kept.changes.retired, 0);
    }

    #[test]
    fn refusals_list_fifty_and_count_the_rest() {
        let errors: Vec<RowError> = (0..60)
            .map(|i| RowError {
                line: i + 2,
                column: 1,
                field: "te".into(),
                expected: Expected::Digits(9),
            })
            .collect();
        let e = ImportError::invalid(errors);
        let lines = e.lines(Lang::Ru);
        assert_eq!(lines.len(), 51);
        assert_eq!(lines[0], "строка 2, столбец 1 (te): ожидается ровно 9 цифр");
        assert_eq!(lines[50], "… и ещё 10");
    }
}
