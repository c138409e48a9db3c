//! The GraphiQL playground page with the example operations from `playground/examples`, and
//! its vendored assets (no CDN needed).

use poem::http::{StatusCode, header};
use poem::web::{Html, Path};
use poem::{Response, handler};

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

/// Vendored assets: name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/vendor/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../playground/vendor/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/vendor/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/vendor/react-dom.production.min.js"),
    ),
];

/// `GET /playground/assets/{name}`.
#[handler]
pub fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, bytes)) => Response::builder()
            .header(header::CONTENT_TYPE, *media_type)
            // Versioned vendored files: they change only with a new release.
            .header(header::CACHE_CONTROL, "public, max-age=86400")
            .body(*bytes),
        None => Response::builder().status(StatusCode::NOT_FOUND).finish(),
    }
}
