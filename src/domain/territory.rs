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

/// The prefix that every code within the territory `kato` starts with: trailing zero pairs are
/// dropped (region `XX`, district `XXYY`, rural district `XXYYZZ`), keeping at least the region.
pub fn scope_prefix(kato: &str) -> &str {
    let mut end = kato.len();
    while end > 2 && kato[..end].ends_with("00") {
        end -= 2;
    }
    if end == 9 {
        kato
    } else {
        &kato[..end.max(2)]
    }
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
            ("113235100", "1132351"),
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
