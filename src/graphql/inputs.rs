//! The API's filter inputs and grouping dimension, converted at this edge into the store's own
//! types (ids parsed, dates unwrapped), so the repositories know nothing of GraphQL.

use async_graphql::{Enum, ID, InputObject};

use crate::domain::budget::{BudgetLevel, BudgetPhase};
use crate::domain::object::{
    AccessLevel, DocumentFormat, DocumentLanguage, DocumentType, LifecycleStage, ObjectKind,
};
use crate::domain::org::BodyKind;
use crate::error::{AppError, AppResult, Expected};
use crate::graphql::date::Date;
use crate::store::budget::BudgetDimension;
use crate::store::documents::DocumentFilter;
use crate::store::filter::BudgetLineFilter;
use crate::store::objects::InformatizationObjectFilter;
use crate::store::orgs::OrganizationFilter;

/// Filter on budget amount rows. Fields combine with AND; lists match any of their values.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "BudgetLineFilter")]
pub struct BudgetLineFilterInput {
    /// Budget years.
    pub years: Option<Vec<i32>>,
    /// Budget levels.
    pub levels: Option<Vec<BudgetLevel>>,
    /// Rows whose territory's KATO code starts with this prefix (1–9 digits).
    pub kato_prefix: Option<String>,
    /// Administrator codes (3 digits).
    pub administrators: Option<Vec<String>>,
    /// Program codes (3 digits).
    pub programs: Option<Vec<String>>,
    /// Subprogram codes (3 digits).
    pub subprograms: Option<Vec<String>>,
    /// Economic classification specifics (3 digits).
    pub specifics: Option<Vec<String>>,
    /// Functional groups (2 digits).
    pub functional_groups: Option<Vec<String>>,
    /// Phases.
    pub phases: Option<Vec<BudgetPhase>>,
    /// Execution snapshot date: EXECUTED rows are kept only when cumulative as of this date;
    /// rows of other phases are not affected.
    pub as_of: Option<Date>,
    /// All of these filters must match.
    pub and: Option<Vec<BudgetLineFilterInput>>,
    /// At least one of these filters must match.
    pub or: Option<Vec<BudgetLineFilterInput>>,
    /// This filter must not match.
    pub not: Option<Box<BudgetLineFilterInput>>,
}

impl From<BudgetLineFilterInput> for BudgetLineFilter {
    fn from(f: BudgetLineFilterInput) -> Self {
        let all = |v: Option<Vec<BudgetLineFilterInput>>| {
            v.map(|v| v.into_iter().map(BudgetLineFilter::from).collect())
        };
        BudgetLineFilter {
            years: f.years,
            levels: f.levels,
            kato_prefix: f.kato_prefix,
            administrators: f.administrators,
            programs: f.programs,
            subprograms: f.subprograms,
            specifics: f.specifics,
            functional_groups: f.functional_groups,
            phases: f.phases,
            as_of: f.as_of.map(|d| d.0),
            and: all(f.and),
            or: all(f.or),
            not: f.not.map(|n| Box::new(BudgetLineFilter::from(*n))),
        }
    }
}

/// Filter on informatization objects.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "InformatizationObjectFilter")]
pub struct InformatizationObjectFilterInput {
    /// Kinds.
    pub kinds: Option<Vec<ObjectKind>>,
    /// Current stages.
    pub stages: Option<Vec<LifecycleStage>>,
    /// Access levels.
    pub access_levels: Option<Vec<AccessLevel>>,
    /// Owner organization ids.
    pub owner_ids: Option<Vec<ID>>,
    /// Objects whose owner's territory KATO starts with this prefix.
    pub kato_prefix: Option<String>,
}

impl TryFrom<InformatizationObjectFilterInput> for InformatizationObjectFilter {
    type Error = AppError;
    fn try_from(f: InformatizationObjectFilterInput) -> AppResult<Self> {
        Ok(InformatizationObjectFilter {
            kinds: f.kinds,
            stages: f.stages,
            access_levels: f.access_levels,
            owner_ids: ids("filter.ownerIds", f.owner_ids)?,
            kato_prefix: f.kato_prefix,
        })
    }
}

/// Filter on documents.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "DocumentFilter")]
pub struct DocumentFilterInput {
    /// Document types.
    pub types: Option<Vec<DocumentType>>,
    /// Objects documented.
    pub object_ids: Option<Vec<ID>>,
    /// Formats.
    pub formats: Option<Vec<DocumentFormat>>,
    /// Languages.
    pub languages: Option<Vec<DocumentLanguage>>,
}

impl TryFrom<DocumentFilterInput> for DocumentFilter {
    type Error = AppError;
    fn try_from(f: DocumentFilterInput) -> AppResult<Self> {
        Ok(DocumentFilter {
            types: f.types,
            object_ids: ids("filter.objectIds", f.object_ids)?,
            formats: f.formats,
            languages: f.languages,
        })
    }
}

/// Filter on organizations.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "OrganizationFilter")]
pub struct OrganizationFilterInput {
    /// Kinds of organization.
    pub kinds: Option<Vec<BodyKind>>,
    /// Organizations whose territory's KATO code starts with this prefix.
    pub kato_prefix: Option<String>,
    /// BINs.
    pub bins: Option<Vec<String>>,
}

impl From<OrganizationFilterInput> for OrganizationFilter {
    fn from(f: OrganizationFilterInput) -> Self {
        OrganizationFilter {
            kinds: f.kinds,
            kato_prefix: f.kato_prefix,
            bins: f.bins,
        }
    }
}

/// Parses GraphQL ids as row ids; a malformed one names its position in `field`.
fn ids(field: &str, ids: Option<Vec<ID>>) -> AppResult<Option<Vec<i64>>> {
    ids.map(|ids| {
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                id.parse::<i64>().map_err(|_| {
                    AppError::invalid(format!("{field}[{i}]"), Expected::IntegerIn(1, i64::MAX))
                })
            })
            .collect()
    })
    .transpose()
}

/// A dimension to group amounts by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "BudgetDimension", remote = "BudgetDimension")]
pub enum Dimension {
    /// Budget year.
    Year,
    /// Budget level.
    Level,
    /// The row's region (`XX0000000`), null for the republican budget.
    Region,
    /// The row's own territory (KATO).
    Territory,
    /// Administrator code.
    Administrator,
    /// Program code.
    Program,
    /// Subprogram code.
    Subprogram,
    /// Economic specific.
    Specific,
    /// Functional group.
    FunctionalGroup,
    /// Phase.
    Phase,
}

impl Dimension {
    /// The GraphQL names of the dimensions.
    pub const NAMES: [&'static str; 10] = [
        "YEAR",
        "LEVEL",
        "REGION",
        "TERRITORY",
        "ADMINISTRATOR",
        "PROGRAM",
        "SUBPROGRAM",
        "SPECIFIC",
        "FUNCTIONAL_GROUP",
        "PHASE",
    ];
}
