//! Kazakhstan's 12-digit individual (IIN) and business (BIN) identification numbers.
//!
//! Both share one check-digit rule: the weighted sum of the first 11 digits modulo 11 with weights
//! 1..=11; if that gives 10, a second pass with weights 3..=11,1,2; if that also gives 10 the
//! number is not valid.

use std::fmt;

/// Why a text is not a valid IIN or BIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    /// Not exactly twelve ASCII digits.
    #[error("must be exactly 12 digits")]
    Format,
    /// The twelfth digit does not match the first eleven.
    #[error("check digit does not match")]
    Checksum,
}

const WEIGHTS_1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit for the first eleven digits, or `None` when no digit can be valid.
pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    let weighted = |w: &[u32; 11]| {
        first11
            .iter()
            .zip(w)
            .map(|(d, w)| u32::from(*d) * w)
            .sum::<u32>()
            % 11
    };
    match weighted(&WEIGHTS_1) {
        10 => match weighted(&WEIGHTS_2) {
            10 => None,
            d => Some(d as u8),
        },
        d => Some(d as u8),
    }
}

fn validate(s: &str) -> Result<(), IdentError> {
    let bytes = s.as_bytes();
    if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(IdentError::Format);
    }
    let mut first = [0u8; 11];
    for (d, b) in first.iter_mut().zip(bytes) {
        *d = b - b'0';
    }
    match check_digit(&first) {
        Some(c) if c == bytes[11] - b'0' => Ok(()),
        _ => Err(IdentError::Checksum),
    }
}

/// Completes eleven digits with their check digit, if one exists.
pub fn complete(first11: [u8; 11]) -> Option<String> {
    let c = check_digit(&first11)?;
    Some(
        first11
            .iter()
            .chain(std::iter::once(&c))
            .map(|d| char::from(b'0' + d))
            .collect(),
    )
}

macro_rules! ident_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses and checks a 12-digit number.
            pub fn parse(s: &str) -> Result<Self, IdentError> {
                validate(s).map(|()| Self(s.to_owned()))
            }
            /// The twelve digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

ident_type!(
    /// Individual identification number of a person.
    Iin
);
ident_type!(
    /// Business identification number of a legal entity.
    Bin
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_pass() {
        // Check digits worked by hand from the two-pass rule.
        for (name, s) in [
            ("first pass", "000000000000"),
            ("first pass, digits", "123456789013"),
            ("second pass needed", "000000000101"),
        ] {
            assert!(validate(s).is_ok(), "{name}: {s}");
        }
    }

    #[test]
    fn invalid_numbers_fail() {
        for (name, s, err) in [
            ("too short", "12345678901", IdentError::Format),
            ("too long", "1234567890123", IdentError::Format),
            ("letters", "12345678901a", IdentError::Format),
            ("non-ascii digit", "١٢٣٤٥٦٧٨٩٠١٢", IdentError::Format),
            ("wrong check digit", "123456789012", IdentError::Checksum),
            ("second pass wrong", "000000000100", IdentError::Checksum),
        ] {
            assert_eq!(validate(s), Err(err), "{name}: {s}");
        }
    }

    #[test]
    fn second_pass_value_of_ten_has_no_valid_check_digit() {
        let found = (0u64..2_000_000).find_map(|n| {
            let digits: Vec<u8> = format!("{n:011}").bytes().map(|b| b - b'0').collect();
            let arr: [u8; 11] = digits.try_into().ok()?;
            check_digit(&arr).is_none().then_some(arr)
        });
        let arr = found.expect("some prefix has no check digit");
        for d in 0..10u8 {
            let s: String = arr
                .iter()
                .chain(std::iter::once(&d))
                .map(|d| char::from(b'0' + d))
                .collect();
            assert_eq!(validate(&s), Err(IdentError::Checksum), "{s}");
        }
    }

    #[test]
    fn complete_then_parse_round_trips() {
        let s = complete([9, 1, 0, 3, 1, 5, 3, 0, 1, 2, 3]).expect("check digit");
        assert_eq!(Iin::parse(&s).map(|i| i.to_string()), Ok(s.clone()));
        assert!(Bin::parse(&s).is_ok());
    }
}
