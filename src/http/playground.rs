//! The GraphiQL playground page with the example operations from `playground/examples`.

use poem::handler;
use poem::web::Html;

const PAGE: &str = include_str!("../../playground/index.html");

/// Example operations offered as tabs, in display order.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "budget summary by region",
        include_str!("../../playground/examples/budget_summary_by_region.graphql"),
    ),
    (
        "region dashboard",
        include_str!("../../playground/examples/region_dashboard.graphql"),
    ),
    (
        "budget lines page",
        include_str!("../../playground/examples/budget_lines_page.graphql"),
    ),
    (
        "objects with documents",
        include_str!("../../playground/examples/objects_with_documents.graphql"),
    ),
    (
        "organizations",
        include_str!("../../playground/examples/organizations.graphql"),
    ),
];

/// Renders the page once: the examples are inlined as JSON.
pub fn render() -> String {
    let examples: Vec<serde_json::Value> = EXAMPLES
        .iter()
        .map(|(name, query)| serde_json::json!({ "name": name, "query": query }))
        .collect();
    let json = serde_json::to_string(&examples).unwrap_or_else(|_| "[]".to_owned());
    // `</` inside a script block would end it early.
    PAGE.replace("/*EXAMPLES*/[]", &json.replace("</", "<\\/"))
}

/// `GET /playground`.
#[handler]
pub fn page() -> Html<String> {
    Html(render())
}
