//! Pure types and rules of the domain: identifiers, budget classification, bodies, objects.

pub mod budget;
pub mod calendar;
pub mod date;
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

/// Declares an enumeration stored as text: its GraphQL enum, its text form and parsing.
///
/// The text form equals the GraphQL name, so the database, the CSV format and the API speak the
/// same words.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[graphql(name = $text)] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and displayed text of this variant.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
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

        impl From<$name> for sea_query::Value {
            fn from(v: $name) -> Self {
                v.as_str().into()
            }
        }
    };
}
pub(crate) use text_enum;
