//! Enumerations of the domain stored as their text form.

macro_rules! stored_as_text {
    ($($t:ty),+ $(,)?) => {
        $(impl From<$t> for sea_query::Value {
            fn from(v: $t) -> Self {
                v.as_str().into()
            }
        })+
    };
}

crate::domain::every_text_enum!(stored_as_text);
