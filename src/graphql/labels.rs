//! Labels of the API's enum values in Kazakh, Russian and English (`enum_labels.tsv`), so that
//! dashboards and consoles show "Бекітілген бюджет" rather than `APPROVED`.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::context::req;

const TSV: &str = include_str!("enum_labels.tsv");

/// The label of one enum value.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct EnumLabel {
    /// The enum type (`BudgetPhase`).
    #[graphql(name = "type")]
    pub type_name: String,
    /// The value (`APPROVED`).
    pub value: String,
    /// The label in the request's language (`Accept-Language`).
    pub label: String,
    /// In Kazakh.
    pub kk: String,
    /// In Russian.
    pub ru: String,
    /// In English.
    pub en: String,
}

/// Every label: (type, value, kk, ru, en), in the file's order.
pub fn all() -> impl Iterator<Item = [&'static str; 5]> {
    TSV.lines().skip(1).filter_map(|line| {
        let mut f = line.split('\t');
        Some([f.next()?, f.next()?, f.next()?, f.next()?, f.next()?])
    })
}

/// Queries for enum labels.
#[derive(Default)]
pub struct LabelsQuery;

#[Object]
impl LabelsQuery {
    /// Labels of the API's enum values in Kazakh, Russian and English, and in the request's
    /// language; for the given enum types (`["BudgetPhase", "BodyKind"]`), or all.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn enum_labels(
        &self,
        ctx: &Context<'_>,
        types: Option<Vec<String>>,
    ) -> Result<Vec<EnumLabel>> {
        let lang = req(ctx)?.lang;
        Ok(all()
            .filter(|[t, ..]| types.as_ref().is_none_or(|ts| ts.iter().any(|x| x == t)))
            .map(|[t, v, kk, ru, en]| EnumLabel {
                type_name: t.to_owned(),
                value: v.to_owned(),
                label: lang.pick(kk, ru, en).to_owned(),
                kk: kk.to_owned(),
                ru: ru.to_owned(),
                en: en.to_owned(),
            })
            .collect())
    }
}

/// The label of `type_name.value` in `lang`, or the value itself where the file has none.
pub fn label(
    type_name: &str,
    value: &'static str,
    lang: crate::domain::lang::Lang,
) -> &'static str {
    all()
        .find(|[t, v, ..]| *t == type_name && *v == value)
        .map_or(value, |[.., kk, ru, en]| lang.pick(kk, ru, en))
}
