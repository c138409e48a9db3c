//! Pure types and rules of the domain: identifiers, budget classification, bodies, objects.

pub mod budget;
pub mod calendar;
pub mod form;
pub mod grant;
pub mod ident;
pub mod identity;
pub mod lang;
pub mod object;
pub mod org;
pub mod territory;
pub mod text;
pub mod workflow;

/// A text value that names no variant of the expected enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownVariant {
    /// The enumeration that was expected.
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
}

/// Declares an enumeration stored as text: its variants, their text form and parsing, and the
/// documentation the API shows for it (the doc comments, kept as [`TextEnum::DOCS`] and
/// [`TextEnum::docs`], so the schema is built from the same words).
///
/// The text form is the stored value, the CSV value and the API's name alike.
macro_rules! text_enum {
    ($(#[doc = $doc:expr])* $name:ident { $($(#[doc = $vdoc:expr])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[doc = $vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and displayed text of this variant.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl $crate::domain::TextEnum for $name {
            const NAME: &'static str = stringify!($name);
            const DOCS: &'static [&'static str] = &[$($doc),*];
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn docs(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$($vdoc),*]),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownVariant { kind: stringify!($name), value: s.to_owned() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::UnknownVariant;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}
pub(crate) use text_enum;

/// Calls `$m!` with every text enumeration of the domain: the one list from which the store
/// (stored text) and the API (GraphQL enums) implement their traits for each.
macro_rules! every_text_enum {
    ($m:ident) => {
        $m!(
            $crate::domain::budget::BudgetLevel,
            $crate::domain::budget::BudgetPhase,
            $crate::domain::budget::ClassificationKind,
            $crate::domain::budget::InformationSystem,
            $crate::domain::grant::GrantState,
            $crate::domain::identity::ConflictKind,
            $crate::domain::identity::EmployeeOutcome,
            $crate::domain::identity::RegistrationKind,
            $crate::domain::identity::UserStatus,
            $crate::domain::object::AccessLevel,
            $crate::domain::object::AttestationStatus,
            $crate::domain::object::DocumentFormat,
            $crate::domain::object::DocumentLanguage,
            $crate::domain::object::DocumentType,
            $crate::domain::object::LifecycleStage,
            $crate::domain::object::ObjectKind,
            $crate::domain::org::BodyKind,
            $crate::domain::territory::TerritoryKind,
            $crate::domain::workflow::ApplicationStatus,
            $crate::domain::workflow::Language,
            $crate::domain::workflow::ReviewDecision
        );
    };
}
pub(crate) use every_text_enum;

/// An enumeration stored as text (declared with `text_enum!`): what the store and the API need
/// to speak it without the domain knowing either.
pub trait TextEnum: Copy + Eq + Send + Sync + 'static {
    /// The type's name.
    const NAME: &'static str;
    /// The type's doc comment, line by line.
    const DOCS: &'static [&'static str];
    /// Every variant, in declaration order.
    fn all() -> &'static [Self];
    /// The text form of a variant.
    fn as_str(self) -> &'static str;
    /// A variant's doc comment, line by line.
    fn docs(self) -> &'static [&'static str];
}
