//! Budget levels, phases, source systems and exact amounts.

use rust_decimal::Decimal;

use super::text_enum;

text_enum!(
    /// Level of a budget in the budget system.
    BudgetLevel {
        /// The republican budget.
        Republican => "REPUBLICAN",
        /// An oblast, city of republican significance or capital budget.
        Regional => "REGIONAL",
        /// A district (city of oblast significance) budget.
        District => "DISTRICT",
        /// A budget of a city of district significance, village, settlement or rural district.
        Rural => "RURAL",
    }
);

text_enum!(
    /// What a code of the unified budget classification classifies.
    ClassificationKind {
        /// A functional group (2 digits).
        FunctionalGroup => "FUNCTIONAL_GROUP",
        /// A functional subgroup (3 digits: its group's 2 and 1).
        FunctionalSubgroup => "FUNCTIONAL_SUBGROUP",
        /// A budget program administrator (3 digits), per budget level.
        Administrator => "ADMINISTRATOR",
        /// A budget program (6 digits: its administrator's 3 and 3), per budget level.
        Program => "PROGRAM",
        /// A budget subprogram (9 digits: its program's 6 and 3), per budget level.
        Subprogram => "SUBPROGRAM",
        /// A class of the economic classification (1 digit).
        EconomicClass => "ECONOMIC_CLASS",
        /// A subclass of the economic classification (2 digits: its class's 1 and 1).
        EconomicSubclass => "ECONOMIC_SUBCLASS",
        /// A specific of the economic classification (3 digits: its subclass's 2 and 1).
        EconomicSpecific => "ECONOMIC_SPECIFIC",
    }
);

impl ClassificationKind {
    /// Whether codes of this kind belong to a budget level (administrators and their programs).
    pub fn has_level(self) -> bool {
        matches!(
            self,
            ClassificationKind::Administrator
                | ClassificationKind::Program
                | ClassificationKind::Subprogram
        )
    }

    /// How many digits a full code of this kind has.
    pub fn digits(self) -> usize {
        match self {
            ClassificationKind::EconomicClass => 1,
            ClassificationKind::FunctionalGroup | ClassificationKind::EconomicSubclass => 2,
            ClassificationKind::FunctionalSubgroup
            | ClassificationKind::Administrator
            | ClassificationKind::EconomicSpecific => 3,
            ClassificationKind::Program => 6,
            ClassificationKind::Subprogram => 9,
        }
    }
}

text_enum!(
    /// Phase of the budget process an amount belongs to.
    BudgetPhase {
        /// Budget request (State Planning).
        Requested => "REQUESTED",
        /// Approved budget.
        Approved => "APPROVED",
        /// Specified (refined) budget.
        Specified => "SPECIFIED",
        /// Corrected budget.
        Corrected => "CORRECTED",
        /// Execution, cumulative as of a date (Analytical Center).
        Executed => "EXECUTED",
    }
);

text_enum!(
    /// A source information system that access is granted to.
    InformationSystem {
        /// The Analytical Center subsystem of e-Minfin.
        AnalyticsCenter => "ANALYTICS_CENTER",
        /// The State Planning information system.
        StatePlanning => "STATE_PLANNING",
    }
);

impl BudgetPhase {
    /// The system whose data this phase is: budget requests come from State Planning, the rest
    /// from the Analytical Center.
    pub fn system(self) -> InformationSystem {
        match self {
            BudgetPhase::Requested => InformationSystem::StatePlanning,
            _ => InformationSystem::AnalyticsCenter,
        }
    }

    /// The phases whose rows come from `system`.
    pub fn of_system(system: InformationSystem) -> Vec<BudgetPhase> {
        BudgetPhase::ALL
            .iter()
            .copied()
            .filter(|p| p.system() == system)
            .collect()
    }

    /// The phases a grant to `system` reads. Paragraph 4 of the access rules: the Analytical
    /// Center subsystem carries the State Planning data through integration, so it reads every
    /// phase; State Planning alone reads what it holds (budget requests).
    pub fn readable_through(system: InformationSystem) -> Vec<BudgetPhase> {
        match system {
            InformationSystem::AnalyticsCenter => BudgetPhase::ALL.to_vec(),
            InformationSystem::StatePlanning => BudgetPhase::of_system(system),
        }
    }
}

/// Why a text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a decimal number.
    #[error("not a decimal number")]
    NotANumber,
    /// More than one digit after the decimal point.
    #[error("more than one decimal place")]
    TooPrecise,
    /// Larger than the store can hold.
    #[error("out of range")]
    OutOfRange,
}

/// Parses an amount in thousands of tenge with at most one decimal into integer tenths.
///
/// Only plain decimal notation is accepted (an optional minus sign, digits, an optional point and
/// one digit): exponents, thousands separators and a decimal comma are refused so that nothing is
/// guessed.
pub fn parse_amount_tenths(s: &str) -> Result<i64, AmountError> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty()
        || !digits_only(int)
        || !digits_only(frac)
        || (s.contains('.') && frac.is_empty())
    {
        return Err(AmountError::NotANumber);
    }
    if frac.len() > 1 {
        return Err(AmountError::TooPrecise);
    }
    let d: Decimal = s.parse().map_err(|_| AmountError::OutOfRange)?;
    let tenths = d.checked_mul(Decimal::TEN).ok_or(AmountError::OutOfRange)?;
    i64::try_from(tenths).map_err(|_| AmountError::OutOfRange)
}

/// An amount in integer tenths of a thousand tenge, as an exact decimal.
pub fn tenths_to_decimal(tenths: i64) -> Decimal {
    Decimal::new(tenths, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        for (input, tenths) in [
            ("0", 0),
            ("12345.6", 123_456),
            ("-7.5", -75),
            ("100", 1000),
            ("100.0", 1000),
            ("922337203685477.5", 9_223_372_036_854_775),
        ] {
            assert_eq!(parse_amount_tenths(input), Ok(tenths), "{input}");
        }
    }

    #[test]
    fn bad_amounts_are_refused() {
        for (input, err) in [
            ("", AmountError::NotANumber),
            ("12a", AmountError::NotANumber),
            ("1,5", AmountError::NotANumber),
            ("1e3", AmountError::NotANumber),
            (" 1", AmountError::NotANumber),
            ("1.", AmountError::NotANumber),
            (".5", AmountError::NotANumber),
            ("1.25", AmountError::TooPrecise),
            ("99999999999999999999999", AmountError::OutOfRange),
        ] {
            assert_eq!(parse_amount_tenths(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn decimal_rendering_keeps_one_place() {
        assert_eq!(tenths_to_decimal(123_456).to_string(), "12345.6");
        assert_eq!(tenths_to_decimal(-5).to_string(), "-0.5");
    }

    #[test]
    fn requested_rows_come_from_state_planning() {
        assert_eq!(
            BudgetPhase::of_system(InformationSystem::StatePlanning),
            vec![BudgetPhase::Requested]
        );
        assert_eq!(
            BudgetPhase::of_system(InformationSystem::AnalyticsCenter).len(),
            4
        );
    }
}
