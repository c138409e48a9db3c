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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn regions() {
        assert_eq!(region_of("113200000").as_deref(), Some("110000000"));
        assert_eq!(region_of(REPUBLIC_KATO), None);
    }
}
