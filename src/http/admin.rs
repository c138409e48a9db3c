//! The admin console at `/admin`: one page over the GraphQL API where the authorized body reviews
//! applications and the integrator grants access, records training, blocks users, and both see
//! overdue deadlines and expiring grants; and the auditor dashboard at `/dashboard`. Neither
//! holds rights of its own: every action is a GraphQL operation that the API authorizes for the
//! caller's token, and is audited as such.

use poem::http::header;
use poem::{Response, handler};

const PAGE: &str = include_str!("../../playground/admin.html");

/// The GraphQL operations the console sends, by name (`playground/admin-operations.json`).
pub const OPERATIONS: &str = include_str!("../../playground/admin-operations.json");

/// The page with its operations inlined.
pub fn render() -> String {
    // `</` inside a script block would end it early.
    PAGE.replace("/*OPERATIONS*/{}", &OPERATIONS.replace("</", "<\\/"))
}

/// `GET /admin`.
#[handler]
pub fn page() -> Response {
    html(render())
}

/// The auditor dashboard: charts and tables of the caller's own budget slice, every number
/// read from the public GraphQL API with the caller's token (no rights of its own either).
const DASHBOARD: &str = include_str!("../../playground/dashboard.html");

/// `GET /dashboard`.
#[handler]
pub fn dashboard() -> Response {
    html(DASHBOARD.to_owned())
}

/// A page of the hub's own, scripts only from itself.
fn html(body: String) -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}
