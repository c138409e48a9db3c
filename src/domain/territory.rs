//! Territories by KATO code, and the prefix test that "within a territory" means.

use super::text_enum;

text_enum!(
    /// Kind of territorial unit.
    TerritoryKind {
        /// The Republic as a whole (KATO `000000000`), seat of the republican budget.
        Republic => "REPUBLIC",
        /// An oblast.
        Oblast => "OBLAST",
        /// A city of republican significance.
        CityRepublican => "CITY_REPUBLICAN",
        /// The capital.
        Capital => "CAPITAL",
        /// A district or city of oblast significance.
        District => "DISTRICT",
        /// A district within a city of republican significance (no budget of its own).
        CityDistrict => "CITY_DISTRICT",
        /// A rural district, village, settlement or city of district significance.
        Rural => "RURAL",
    }
);

/// KATO code of the Republic, carried by rows of the republican budget.
pub const REPUBLIC_KATO: &str = "000000000";

/// Whether `s` is a 9-digit KATO code.
pub fn is_kato(s: &str) -> bool {
    s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The KATO code of the region (`XX0000000`) that a code lies in, `None` for the Republic.
pub fn region_of(kato: &str) -> Option<String> {
    if kato == REPUBLIC_KATO || kato.len() < 2 {
        None
    } else {
        Some(format!("{}0000000", &kato[..2]))
    }
}

/// The prefix that every code within the territory `kato` starts with. KATO is segmented
/// 2-2-2-3 (region, district, rural district, settlement): zero segments at the end are dropped.
pub fn scope_prefix(kato: &str) -> &str {
    for end in [2, 4, 6] {
        if kato.len() > end && kato[end..].bytes().all(|b| b == b'0') {
            return &kato[..end];
        }
    }
    kato
}

/// A 9-digit KATO code, segmented 2-2-2-3: region, district, rural district or town,
/// settlement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kato(String);

impl Kato {
    /// The capital's code (Astana).
    pub const CAPITAL: &'static str = "710000000";

    /// The code, or `None` unless `s` is 9 ASCII digits.
    pub fn parse(s: &str) -> Option<Kato> {
        is_kato(s).then(|| Kato(s.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments' ends: 2, 4, 6 and 9 digits.
    const ENDS: [usize; 4] = [2, 4, 6, 9];

    /// 0 for the Republic (all zeros); else 1 (region) to 4 (settlement), the last non-zero
    /// segment.
    pub fn level(&self) -> usize {
        let mut start = 0;
        let mut level = 0;
        for (i, end) in Self::ENDS.into_iter().enumerate() {
            if self.0[start..end].bytes().any(|b| b != b'0') {
                level = i + 1;
            }
            start = end;
        }
        level
    }

    /// The code one level up: this one with its last non-zero segment zeroed (`None` for a
    /// region and for the Republic).
    pub fn parent(&self) -> Option<Kato> {
        let level = self.level();
        if level <= 1 {
            return None;
        }
        let keep = Self::ENDS[level - 2];
        Some(Kato(format!("{:0<9}", &self.0[..keep])))
    }

    /// The region the code lies in (itself for a region; `None` for the Republic).
    pub fn region(&self) -> Option<Kato> {
        region_of(&self.0).map(Kato)
    }
}

impl std::fmt::Display for Kato {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A KATO prefix a caller narrows by: 1 to 9 digits, checked once where it enters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KatoPrefix(String);

impl KatoPrefix {
    /// The prefix, or `None` unless `s` is 1 to 9 ASCII digits.
    pub fn parse(s: &str) -> Option<KatoPrefix> {
        (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| KatoPrefix(s.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The codes that start with `prefix` (digits), as a half-open range `[lower, upper)`; `upper`
/// is `None` when every code from `lower` on qualifies (a prefix of nines). Equivalent to
/// "starts with" for digit strings in any collation, and unlike `LIKE 'p%'` it is an index range
/// on both backends (PostgreSQL rewrites `LIKE` only under the plain C collation, SQLite only when
/// `LIKE` is case-sensitive).
pub fn prefix_range(prefix: &str) -> (String, Option<String>) {
    let kept = prefix.trim_end_matches('9');
    let upper = kept.char_indices().last().map(|(i, c)| {
        let next = char::from_digit(c.to_digit(10).map_or(0, |d| d + 1), 10).unwrap_or('0');
        format!("{}{next}", &kept[..i])
    });
    (prefix.to_owned(), upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_hold_exactly_the_codes_with_the_prefix() {
        for (prefix, upper) in [
            ("35", Some("36")),
            ("350000000", Some("350000001")),
            ("39", Some("4")),
            ("1199", Some("12")),
            ("99", None),
            ("", None),
        ] {
            assert_eq!(
                prefix_range(prefix),
                (prefix.to_owned(), upper.map(str::to_owned)),
                "{prefix}"
            );
        }
        // Against "starts with" over a sample of codes.
        for prefix in ["1", "19", "75", "999", "113235100"] {
            let (lower, upper) = prefix_range(prefix);
            for code in [
                "000000000",
                "110000000",
                "199999999",
                "200000000",
                "750000000",
                "759999999",
                "760000000",
                "999999999",
                "113235100",
                "113235101",
            ] {
                let in_range = code >= lower.as_str() && upper.as_deref().is_none_or(|u| code < u);
                assert_eq!(in_range, code.starts_with(prefix), "{prefix} / {code}");
            }
        }
    }

    #[test]
    fn prefixes_follow_kato_levels() {
        for (kato, prefix) in [
            ("110000000", "11"),
            ("113200000", "1132"),
            ("113230000", "113230"),
            ("113235100", "113235100"),
            ("750000000", "75"),
        ] {
            assert_eq!(scope_prefix(kato), prefix, "{kato}");
        }
    }

    #[test]
    fn prefixes_are_one_to_nine_digits() {
        for (text, ok) in [
            ("1", true),
            ("113235100", true),
            ("", false),
            ("1132351000", false),
            ("11%", false),
            ("1_", false),
            ("１１", false),
        ] {
            assert_eq!(KatoPrefix::parse(text).is_some(), ok, "{text}");
        }
    }

    #[test]
    fn regions() {
        assert_eq!(region_of("113200000").as_deref(), Some("110000000"));
        assert_eq!(region_of(REPUBLIC_KATO), None);
    }

    #[test]
    fn kato_codes_know_their_level_parent_and_region() {
        // (code, level, parent, region), from the 2-2-2-3 segmentation by hand.
        for (code, level, parent, region) in [
            ("000000000", 0, None, None),
            ("350000000", 1, None, Some("350000000")),
            ("353200000", 2, Some("350000000"), Some("350000000")),
            ("353222000", 3, Some("353200000"), Some("350000000")),
            ("353222100", 4, Some("353222000"), Some("350000000")),
            ("353200100", 4, Some("353200000"), Some("350000000")),
            ("350020000", 3, Some("350000000"), Some("350000000")),
        ] {
            let k = Kato::parse(code).expect("a code");
            assert_eq!(k.level(), level, "{code}");
            assert_eq!(k.parent().as_ref().map(Kato::as_str), parent, "{code}");
            assert_eq!(k.region().as_ref().map(Kato::as_str), region, "{code}");
        }
        for bad in ["", "35000000", "3500000000", "35000000a", "３５0000000"] {
            assert!(Kato::parse(bad).is_none(), "{bad}");
        }
    }
}
