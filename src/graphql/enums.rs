//! The domain's enumerations as GraphQL enums: names, descriptions (the domain's doc comments)
//! and values from [`TextEnum`], so the domain itself knows nothing of GraphQL.

use std::borrow::Cow;
use std::sync::LazyLock;

use async_graphql::registry::{Deprecation, MetaEnumValue, MetaType, MetaTypeId, Registry};
use async_graphql::resolver_utils::EnumItem;

use crate::domain::TextEnum;

/// Doc comment lines as a description, the way the derive macros join them: each line
/// trimmed, joined by newlines, the whole trimmed; none when empty.
fn description(lines: &[&str]) -> Option<String> {
    let text = lines
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Registers the enumeration `T` (once) and returns its name.
fn register<T: TextEnum + async_graphql::InputType>(registry: &mut Registry) -> String {
    registry.create_input_type::<T, _>(MetaTypeId::Enum, |_| MetaType::Enum {
        name: T::NAME.to_owned(),
        description: description(T::DOCS),
        enum_values: T::all()
            .iter()
            .map(|v| {
                (
                    v.as_str().to_owned(),
                    MetaEnumValue {
                        name: v.as_str().to_owned(),
                        description: description(v.docs()),
                        deprecation: Deprecation::NoDeprecated,
                        visible: None,
                        inaccessible: false,
                        tags: Vec::new(),
                        directive_invocations: Vec::new(),
                    },
                )
            })
            .collect(),
        visible: None,
        inaccessible: false,
        tags: Vec::new(),
        rust_typename: Some(std::any::type_name::<T>()),
        directive_invocations: Vec::new(),
        requires_scopes: Vec::new(),
    })
}

macro_rules! graphql_enum {
    ($($t:ty),+ $(,)?) => {
        $(
            impl async_graphql::resolver_utils::EnumType for $t {
                fn items() -> &'static [EnumItem<$t>] {
                    static ITEMS: LazyLock<Vec<EnumItem<$t>>> = LazyLock::new(|| {
                        <$t>::ALL
                            .iter()
                            .map(|v| EnumItem { name: v.as_str(), value: *v })
                            .collect()
                    });
                    &ITEMS
                }
            }

            impl async_graphql::InputType for $t {
                type RawValueType = Self;

                fn type_name() -> Cow<'static, str> {
                    Cow::Borrowed(<$t as TextEnum>::NAME)
                }

                fn create_type_info(registry: &mut Registry) -> String {
                    register::<$t>(registry)
                }

                fn parse(value: Option<async_graphql::Value>) -> async_graphql::InputValueResult<Self> {
                    async_graphql::resolver_utils::parse_enum(value.unwrap_or_default())
                }

                fn to_value(&self) -> async_graphql::Value {
                    async_graphql::resolver_utils::enum_value(*self)
                }

                fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                    Some(self)
                }
            }

            impl async_graphql::OutputType for $t {
                fn type_name() -> Cow<'static, str> {
                    Cow::Borrowed(<$t as TextEnum>::NAME)
                }

                fn create_type_info(registry: &mut Registry) -> String {
                    register::<$t>(registry)
                }

                async fn resolve(
                    &self,
                    _: &async_graphql::ContextSelectionSet<'_>,
                    _: &async_graphql::Positioned<async_graphql::parser::types::Field>,
                ) -> async_graphql::ServerResult<async_graphql::Value> {
                    Ok(async_graphql::resolver_utils::enum_value(*self))
                }
            }
        )+
    };
}

crate::domain::every_text_enum!(graphql_enum);
