//! Enumerations of the domain stored as their text form.

use crate::domain::budget::{BudgetLevel, BudgetPhase, InformationSystem};
use crate::domain::grant::GrantState;
use crate::domain::identity::{ConflictKind, EmployeeOutcome, RegistrationKind, UserStatus};
use crate::domain::object::{
    AccessLevel, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage, ObjectKind,
};
use crate::domain::org::BodyKind;
use crate::domain::territory::TerritoryKind;
use crate::domain::workflow::{ApplicationStatus, Language, ReviewDecision};

macro_rules! stored_as_text {
    ($($t:ty),+ $(,)?) => {
        $(impl From<$t> for sea_query::Value {
            fn from(v: $t) -> Self {
                v.as_str().into()
            }
        })+
    };
}

stored_as_text!(
    BudgetLevel,
    BudgetPhase,
    InformationSystem,
    ConflictKind,
    EmployeeOutcome,
    RegistrationKind,
    AccessLevel,
    DocumentFormat,
    DocumentLanguage,
    DocumentType,
    LifecycleStage,
    ObjectKind,
    BodyKind,
    TerritoryKind,
    ApplicationStatus,
    Language,
    ReviewDecision,
    GrantState,
    UserStatus,
);
