//! Kazakhstan's working-day calendar and the law's deadlines.
//!
//! Saturdays and Sundays are off. Public holidays are off, and one that falls on a weekend moves
//! to the next working day. 7 January (Orthodox Christmas) and the first day of Kurban Ait are off
//! without carry-over. Days off are also transferred by a legal act (a Government decree, or an
//! order of the Minister of Labour and Social Protection): such per-date transfers
//! (a weekday off, a Saturday worked) win over the rules. Kurban Ait dates are data, not rules.
//! Deadlines end at the end of the Nth working day after the day of receipt, Asia/Almaty time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Almaty;

/// Public holidays (month, day) that carry over to the next working day from a weekend.
pub const HOLIDAYS: [(u32, u32); 13] = [
    (1, 1),
    (1, 2),
    (3, 8),
    (3, 21),
    (3, 22),
    (3, 23),
    (5, 1),
    (5, 7),
    (5, 9),
    (7, 6),
    (8, 30),
    (10, 25),
    (12, 16),
];

/// Days off (month, day) that do not carry over.
pub const FIXED_NO_CARRY: [(u32, u32); 1] = [(1, 7)];

/// First days of Kurban Ait known at release; the operator adds later years as data.
pub const KURBAN_AIT: [(i32, u32, u32); 7] = [
    (2024, 6, 16),
    (2025, 6, 6),
    (2026, 5, 27),
    (2027, 5, 16),
    (2028, 5, 5),
    (2029, 4, 24),
    (2030, 4, 13),
];

/// Transfers of days off known at release: (year, month, day, worked, legal basis). The
/// integrator adds later ones as data.
pub const KNOWN_TRANSFERS: [(i32, u32, u32, bool, &str); 2] = [
    (
        2025,
        1,
        3,
        false,
        "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрінің 2024 жылғы 21 қарашадағы бұйрығы / Приказ Министра труда и социальной защиты населения Республики Казахстан от 21 ноября 2024 года: 3 қаңтар → 5 қаңтар / перенос выходного с 3 на 5 января",
    ),
    (
        2025,
        1,
        5,
        true,
        "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрінің 2024 жылғы 21 қарашадағы бұйрығы / Приказ Министра труда и социальной защиты населения Республики Казахстан от 21 ноября 2024 года: 3 қаңтар → 5 қаңтар / перенос выходного с 3 на 5 января",
    ),
];

/// Why a day is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary working day.
    Working,
    /// Saturday or Sunday.
    Weekend,
    /// A public holiday.
    Holiday,
    /// The working day a weekend holiday moved to.
    CarryOver,
    /// A day off that does not move (7 January, Kurban Ait).
    DayOffNoCarry,
    /// Transferred for this date by a legal act.
    Transfer {
        /// Whether the day is worked.
        working: bool,
    },
}

impl DayKind {
    /// Whether people work that day.
    pub fn is_working(self) -> bool {
        match self {
            DayKind::Working => true,
            DayKind::Transfer { working } => working,
            _ => false,
        }
    }
}

/// The calendar: the rules plus Kurban Ait dates and per-date overrides.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    kurban_ait: BTreeSet<NaiveDate>,
    overrides: BTreeMap<NaiveDate, bool>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// A calendar with these Kurban Ait dates and overrides (`true` = working).
    pub fn new(
        kurban_ait: impl IntoIterator<Item = NaiveDate>,
        overrides: impl IntoIterator<Item = (NaiveDate, bool)>,
    ) -> Self {
        Calendar {
            kurban_ait: kurban_ait.into_iter().collect(),
            overrides: overrides.into_iter().collect(),
        }
    }

    /// The calendar with the built-in Kurban Ait dates and transfers.
    pub fn with_known_dates() -> Self {
        Calendar::new(
            KURBAN_AIT
                .iter()
                .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d)),
            KNOWN_TRANSFERS.iter().filter_map(|(y, m, d, worked, _)| {
                Some((NaiveDate::from_ymd_opt(*y, *m, *d)?, *worked))
            }),
        )
    }

    /// The rules' days off of `year` (before overrides), with their kinds.
    fn rule_days_off(&self, year: i32) -> BTreeMap<NaiveDate, DayKind> {
        let mut off = BTreeMap::new();
        let date = |(m, d): &(u32, u32)| NaiveDate::from_ymd_opt(year, *m, *d);
        for d in FIXED_NO_CARRY
            .iter()
            .filter_map(date)
            .chain(self.kurban_ait.iter().copied().filter(|d| d.year() == year))
        {
            off.insert(d, DayKind::DayOffNoCarry);
        }
        let holidays: Vec<NaiveDate> = HOLIDAYS.iter().filter_map(date).collect();
        for d in &holidays {
            off.insert(*d, DayKind::Holiday);
        }
        // Each holiday on a weekend moves to the first later day that is neither a weekend nor
        // already off — in date order, so consecutive carry-overs queue up (Nauryz 2026: 21 and
        // 22 March move to 24 and 25).
        for d in holidays.iter().filter(|d| is_weekend(**d)) {
            let mut c = *d;
            while let Some(next) = c.checked_add_days(Days::new(1)) {
                c = next;
                if !is_weekend(c) && !off.contains_key(&c) {
                    off.insert(c, DayKind::CarryOver);
                    break;
                }
            }
        }
        off
    }

    /// What `day` is.
    pub fn kind(&self, day: NaiveDate) -> DayKind {
        if let Some(working) = self.overrides.get(&day) {
            return DayKind::Transfer { working: *working };
        }
        if let Some(kind) = self.rule_days_off(day.year()).get(&day) {
            return *kind;
        }
        // A holiday of late December can carry over into January.
        if let Some(DayKind::CarryOver) = self.rule_days_off(day.year() - 1).get(&day) {
            return DayKind::CarryOver;
        }
        if is_weekend(day) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.kind(day).is_working()
    }

    /// The Nth working day after `from` (`from` itself never counts; `n = 0` gives `from`).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Option<NaiveDate> {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.checked_add_days(Days::new(1))?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// The deadline for something received at `received`: the end of the Nth working day after
    /// the day of receipt, in Asia/Almaty, as an instant (the last moment of that day).
    pub fn deadline(&self, received: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        end_of_day(self.add_working_days(received.with_timezone(&Almaty).date_naive(), n)?)
    }

    /// The deadline N working days after a calendar day (a training or a termination date).
    pub fn deadline_after_day(&self, day: NaiveDate, n: u32) -> Option<DateTime<Utc>> {
        end_of_day(self.add_working_days(day, n)?)
    }
}

/// The first moment of `day` in Asia/Almaty (when only the day of an event is known).
pub fn start_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    Almaty
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The last moment of `day` in Asia/Almaty.
pub fn end_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    let end = day.and_time(NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?);
    Almaty
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn deadlines_over_2025_and_2026() {
        let cal = Calendar::with_known_dates();
        for (name, from, n, due) in [
            (
                "Nauryz 2026 with two carried days (design example)",
                "2026-03-20",
                2,
                "2026-03-27",
            ),
            ("ordinary week", "2026-02-02", 2, "2026-02-04"),
            ("across a weekend", "2026-02-05", 2, "2026-02-09"),
            (
                "New Year 2026 (Thu, Fri) and 7 January",
                "2025-12-31",
                3,
                "2026-01-08",
            ),
            (
                "Victory Day 2026 on Saturday moves to Monday 11 May",
                "2026-05-08",
                1,
                "2026-05-12",
            ),
            (
                "Kurban Ait 2026 (27 May) is off",
                "2026-05-26",
                1,
                "2026-05-28",
            ),
            (
                "30 August 2026 on Sunday moves to Monday 31",
                "2026-08-28",
                1,
                "2026-09-01",
            ),
            (
                "Republic Day 2026 on Sunday moves to Monday 26 October",
                "2026-10-23",
                1,
                "2026-10-27",
            ),
            (
                "Independence Day 2026 (Wednesday 16 December)",
                "2026-12-15",
                1,
                "2026-12-17",
            ),
            (
                "Nauryz 2025 (Fri 21, Sat 22, Sun 23 → Mon 24, Tue 25)",
                "2025-03-20",
                1,
                "2025-03-26",
            ),
            (
                "8 March 2025 on Saturday moves to Monday 10",
                "2025-03-07",
                1,
                "2025-03-11",
            ),
            (
                "Kurban Ait 2025 (Friday 6 June)",
                "2025-06-05",
                1,
                "2025-06-09",
            ),
            (
                "Capital Day 2025 (Sunday 6 July) moves to Monday 7",
                "2025-07-04",
                1,
                "2025-07-08",
            ),
            (
                "7 January 2024 on Sunday does not move",
                "2024-01-05",
                1,
                "2024-01-08",
            ),
            (
                "5 working days for a training report",
                "2026-03-16",
                5,
                "2026-03-26",
            ),
            (
                "3 working days for a blocking request",
                "2026-04-29",
                3,
                "2026-05-05",
            ),
        ] {
            assert_eq!(cal.add_working_days(d(from), n), Some(d(due)), "{name}");
        }
    }

    #[test]
    fn day_kinds() {
        let cal = Calendar::with_known_dates();
        for (day, kind) in [
            ("2026-03-21", DayKind::Holiday),
            ("2026-03-24", DayKind::CarryOver),
            ("2026-03-25", DayKind::CarryOver),
            ("2026-01-07", DayKind::DayOffNoCarry),
            ("2026-05-27", DayKind::DayOffNoCarry),
            ("2026-05-11", DayKind::CarryOver),
            ("2026-03-28", DayKind::Weekend),
            ("2026-03-26", DayKind::Working),
        ] {
            assert_eq!(cal.kind(d(day)), kind, "{day}");
        }
    }

    #[test]
    fn a_transferred_working_saturday_and_a_weekday_off() {
        // A transfer moves the day off: Saturday 2026-01-03 worked, Monday 2026-01-05 off.
        let cal = Calendar::new(
            KURBAN_AIT
                .iter()
                .filter_map(|(y, m, dd)| NaiveDate::from_ymd_opt(*y, *m, *dd)),
            [(d("2026-01-03"), true), (d("2026-01-05"), false)],
        );
        assert!(cal.is_working_day(d("2026-01-03")));
        assert!(!cal.is_working_day(d("2026-01-05")));
        // Received Friday 2 January (a holiday): Saturday 3 counts, Monday 5 does not.
        assert_eq!(
            cal.add_working_days(d("2026-01-02"), 2),
            Some(d("2026-01-06"))
        );
        let plain = Calendar::with_known_dates();
        assert_eq!(
            plain.add_working_days(d("2026-01-02"), 2),
            Some(d("2026-01-06"))
        );
        assert_eq!(
            cal.add_working_days(d("2026-01-02"), 1),
            Some(d("2026-01-03"))
        );
        assert_eq!(
            plain.add_working_days(d("2026-01-02"), 1),
            Some(d("2026-01-05"))
        );
    }

    #[test]
    fn deadline_is_the_end_of_the_day_in_almaty() {
        let cal = Calendar::with_known_dates();
        // 20 March 2026, 19:30 UTC is already 21 March in Almaty (UTC+5): counting starts there.
        let received = Utc.with_ymd_and_hms(2026, 3, 20, 19, 30, 0).unwrap();
        let due = cal.deadline(received, 2).unwrap();
        assert_eq!(due.with_timezone(&Almaty).date_naive(), d("2026-03-27"));
        let received = Utc.with_ymd_and_hms(2026, 3, 20, 10, 0, 0).unwrap();
        let due = cal.deadline(received, 2).unwrap();
        assert_eq!(
            due.with_timezone(&Almaty)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2026-03-27 23:59"
        );
    }
}
