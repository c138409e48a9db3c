//! Field rules for what people type into the workflow's forms: each text field has a length, a
//! character class and, where it has one, a format; each date a window. A value that breaks its
//! rule is refused as `BAD_USER_INPUT` naming the field, in the caller's language, before
//! anything is written; a value that passes is returned trimmed, as it is stored.

use chrono::NaiveDate;

use super::text::is_unsafe;
use crate::error::{AppError, Expected};

/// The day the access rules were approved (order No. 270 of the Minister of Finance, 30 May
/// 2025): no application to them can be dated earlier.
pub const RULES_APPROVED: NaiveDate = match NaiveDate::from_ymd_opt(2025, 5, 30) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The rule of one text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A person's name part: letters (any script), spaces, hyphens, apostrophes and dots, with
    /// at least one letter; at most this many characters.
    PersonName(usize),
    /// One line of text without control characters or bidi marks; at most this many characters.
    Line(usize),
    /// Text that may run over several lines (line breaks allowed, no other control characters
    /// or bidi marks); at most this many characters.
    Paragraph(usize),
    /// An e-mail address (`local@domain.tld`, ASCII, at most 254 characters).
    Email,
    /// A phone number: 10 to 15 digits with `+`, spaces, hyphens and brackets; at most 32
    /// characters.
    Phone,
}

/// Surnames, names and patronymics.
pub const NAME: Rule = Rule::PersonName(100);
/// A head's full name.
pub const FULL_NAME: Rule = Rule::PersonName(300);
/// Positions and structural units.
pub const TITLE: Rule = Rule::Line(300);
/// Document numbers (outgoing, incoming).
pub const DOCUMENT_NUMBER: Rule = Rule::Line(64);
/// The identification code from the E-Qyzmet HR system.
pub const HR_CODE: Rule = Rule::Line(1000);
/// Purposes, reasons and comments.
pub const REASON: Rule = Rule::Paragraph(1000);

impl Rule {
    fn expected(self) -> Expected {
        match self {
            Rule::PersonName(n) => Expected::PersonName(n),
            Rule::Line(n) | Rule::Paragraph(n) => Expected::Text(n),
            Rule::Email => Expected::Email,
            Rule::Phone => Expected::Phone,
        }
    }

    fn accepts(self, v: &str) -> bool {
        let chars = v.chars().count();
        match self {
            Rule::PersonName(n) => {
                chars <= n
                    && v.chars().any(char::is_alphabetic)
                    && v.chars()
                        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
            }
            Rule::Line(n) => chars <= n && !v.chars().any(is_unsafe),
            Rule::Paragraph(n) => chars <= n && !v.chars().any(|c| c != '\n' && is_unsafe(c)),
            Rule::Email => email(v),
            Rule::Phone => {
                let digits = v.chars().filter(char::is_ascii_digit).count();
                chars <= 32
                    && v.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
                    && (10..=15).contains(&digits)
            }
        }
    }
}

/// `local@domain.tld` in ASCII: a local part of letters, digits and `.!#$%&'*+/=?^_`{|}~-` (no
/// leading, trailing or doubled dot), a domain of at least two labels of letters, digits and
/// hyphens, the last alphabetic.
fn email(v: &str) -> bool {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    v.len() <= 254 && local_ok && domain_ok
}

/// `value` trimmed, if it is present and keeps `rule`; else the refusal naming `field`.
pub fn text(field: impl Into<String>, value: &str, rule: Rule) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, Expected::Present));
    }
    if rule.accepts(v) {
        Ok(v.to_owned())
    } else {
        Err(AppError::invalid(field, rule.expected()))
    }
}

/// An optional field: `None` when absent or blank, else as [`text`].
pub fn optional_text(
    field: impl Into<String>,
    value: Option<&str>,
    rule: Rule,
) -> Result<Option<String>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, v, rule).map(Some),
    }
}

/// `day` if it lies in `earliest..=latest`; else the refusal naming `field` and the window.
pub fn date_within(
    field: impl Into<String>,
    day: NaiveDate,
    earliest: NaiveDate,
    latest: NaiveDate,
) -> Result<NaiveDate, AppError> {
    if (earliest..=latest).contains(&day) {
        Ok(day)
    } else {
        Err(AppError::invalid(
            field,
            Expected::DateWithin(earliest, latest),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let long = "а".repeat(101);
        let cases: [(&str, &str, Rule, bool); 22] = [
            ("a Kazakh surname", "Әбілқайырұлы", NAME, true),
            ("a double-barrelled name", "Иванова-Петрова", NAME, true),
            ("an apostrophe", "O’Neil", NAME, true),
            ("a name with a digit", "Иван2", NAME, false),
            ("a name with CR/LF", "Иван\r\nFORGED", NAME, false),
            ("a name with an ANSI escape", "\u{1b}[31mИван", NAME, false),
            ("a right-to-left override", "Иван\u{202e}", NAME, false),
            ("punctuation only", "-.'", NAME, false),
            ("a 101-letter name", &long, NAME, false),
            ("a position", "Бас маман (аудит)", TITLE, true),
            ("a position with NUL", "маман\0", TITLE, false),
            ("a number", "01-12/345", DOCUMENT_NUMBER, true),
            (
                "a 65-character number",
                &"1".repeat(65),
                DOCUMENT_NUMBER,
                false,
            ),
            ("a reason over lines", "бірінші\nекінші", REASON, true),
            ("a reason with a tab", "a\tb", REASON, false),
            ("an e-mail", "a.b+c@minfin.gov.kz", Rule::Email, true),
            ("an e-mail with NUL", "a\0@b.kz", Rule::Email, false),
            (
                "an e-mail without a domain dot",
                "a@localhost",
                Rule::Email,
                false,
            ),
            (
                "an e-mail with a doubled dot",
                "a..b@x.kz",
                Rule::Email,
                false,
            ),
            ("a phone", "+7 (717) 270-00-00", Rule::Phone, true),
            ("a short phone", "12345", Rule::Phone, false),
            ("a phone with letters", "+7 717 CALL ME", Rule::Phone, false),
        ];
        for (name, value, rule, ok) in cases {
            assert_eq!(text("f", value, rule).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn blank_is_absent_and_values_are_trimmed() {
        assert!(matches!(
            text("input.name", "   ", NAME),
            Err(AppError::Invalid {
                expected: Expected::Present,
                ..
            })
        ));
        assert_eq!(text("f", "  Асқар ", NAME).ok().as_deref(), Some("Асқар"));
        assert_eq!(optional_text("f", Some(" "), NAME).ok(), Some(None));
    }

    #[test]
    fn dates_keep_their_window() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let (lo, hi) = (day("2025-05-30"), day("2026-12-02"));
        let cases = [
            ("the first day", "2025-05-30", true),
            ("the last day", "2026-12-02", true),
            ("year one", "0001-01-01", false),
            ("before the rules", "2025-05-29", false),
            ("tomorrow", "2026-12-03", false),
        ];
        for (name, d, ok) in cases {
            assert_eq!(date_within("f", day(d), lo, hi).is_ok(), ok, "{name}");
        }
    }
}
