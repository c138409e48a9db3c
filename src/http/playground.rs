//! The GraphiQL playground page with the example operations from `playground/examples`, and
//! its vendored assets (no CDN needed).

use poem::http::{StatusCode, header};
use poem::web::{Data, Html, Path};
use poem::{Response, handler};

use super::AppState;
use crate::authz::token::Method;

const PAGE: &str = include_str!("../../playground/index.html");

/// An example operation offered as a tab.
pub struct Example {
    /// Title.
    pub name: &'static str,
    /// The body kind it is written for (`BodyKind` name): its tabs come first for that body's
    /// demo user.
    pub body_kind: &'static str,
    /// The operation.
    pub query: &'static str,
}

/// Example operations, one or more for every body kind, in display order.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "national summary by region",
        body_kind: "PARLIAMENT",
        query: include_str!("../../playground/examples/budget_summary_by_region.graphql"),
    },
    Example {
        name: "bodies of a region",
        body_kind: "SUPREME_AUDIT_CHAMBER",
        query: include_str!("../../playground/examples/organizations.graphql"),
    },
    Example {
        name: "execution by region",
        body_kind: "INTERNAL_STATE_AUDIT_AUTHORITY",
        query: include_str!("../../playground/examples/execution_by_region.graphql"),
    },
    Example {
        name: "region dashboard",
        body_kind: "MASLIKHAT",
        query: include_str!("../../playground/examples/region_dashboard.graphql"),
    },
    Example {
        name: "objects with documents",
        body_kind: "REVISION_COMMISSION",
        query: include_str!("../../playground/examples/objects_with_documents.graphql"),
    },
    Example {
        name: "republican budget by program",
        body_kind: "CENTRAL_BODY_INTERNAL_AUDIT",
        query: include_str!("../../playground/examples/central_body_republican_budget.graphql"),
    },
    Example {
        name: "local budgets by territory",
        body_kind: "REGIONAL_EXECUTIVE_INTERNAL_AUDIT",
        query: include_str!("../../playground/examples/local_budgets_by_territory.graphql"),
    },
    Example {
        name: "police budget lines page",
        body_kind: "POLICE_INTERNAL_AUDIT",
        query: include_str!("../../playground/examples/budget_lines_page.graphql"),
    },
    Example {
        name: "applications to review",
        body_kind: "AUTHORIZED_BODY",
        query: include_str!("../../playground/examples/applications_to_review.graphql"),
    },
    Example {
        name: "grants expiring soon",
        body_kind: "INTEGRATOR",
        query: include_str!("../../playground/examples/grants_expiring_soon.graphql"),
    },
    Example {
        name: "who am I (central state body)",
        body_kind: "CENTRAL_STATE_BODY",
        query: include_str!("../../playground/examples/who_am_i.graphql"),
    },
    Example {
        name: "who am I (local executive body)",
        body_kind: "LOCAL_EXECUTIVE_BODY",
        query: include_str!("../../playground/examples/who_am_i.graphql"),
    },
    Example {
        name: "who am I (police department)",
        body_kind: "POLICE_DEPARTMENT",
        query: include_str!("../../playground/examples/who_am_i.graphql"),
    },
];

/// Renders the page once: the examples are inlined as JSON.
pub fn render() -> String {
    let examples: Vec<serde_json::Value> = EXAMPLES
        .iter()
        .map(|e| serde_json::json!({ "name": e.name, "bodyKind": e.body_kind, "query": e.query }))
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
        "chart.umd.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/vendor/chart.umd.min.js"),
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

/// `GET /playground/demo-users`: in demo mode only, one user of every body kind with a fresh
/// token, for the playground's picker; 404 otherwise.
#[handler]
pub async fn demo_users(Data(state): Data<&AppState>) -> Response {
    if !state.demo {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    }
    let users = match crate::seed::demo_users(&state.db).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "listing demo users failed");
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish();
        }
    };
    let ttl = std::time::Duration::from_secs(8 * 3600);
    let list: Vec<serde_json::Value> = users
        .into_iter()
        .filter_map(|(kind, user, org)| {
            let token = state
                .keys
                .issue(&user.iin, Method::Operator, ttl, state.clock.now())
                .ok()?
                .token;
            Some(serde_json::json!({ "kind": kind.as_str(), "iin": user.iin, "organization": org, "token": token }))
        })
        .collect();
    Response::builder()
        .content_type("application/json")
        .body(serde_json::Value::from(list).to_string())
}
