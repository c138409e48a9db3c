//! Grant validity: access is given for one calendar year.

use super::text_enum;

use chrono::{Months, NaiveDate};

/// The last day of a grant starting on `from`: the day before the same date a year later
/// (a grant from 29 February ends on 27 February of the next year: the day before 28 February,
/// the anniversary's nearest valid date).
pub fn valid_until(from: NaiveDate) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(12))?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_calendar_year() {
        for (from, until) in [
            ("2026-03-27", "2027-03-26"),
            ("2026-01-01", "2026-12-31"),
            ("2028-02-29", "2029-02-27"),
        ] {
            let from: NaiveDate = from.parse().unwrap();
            assert_eq!(valid_until(from), Some(until.parse().unwrap()), "{from}");
        }
    }
}

text_enum!(
    /// Whether a grant row stands or was revoked (a block revokes it). Its state on a given day,
    /// which also weighs its dates and the holder's training, is `authz::principal::GrantStatus`.
    GrantState {
        /// Not revoked.
        Active => "ACTIVE",
        /// Revoked by a block.
        Revoked => "REVOKED",
    }
);
