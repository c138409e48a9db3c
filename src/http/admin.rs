//! The admin console at `/admin`: one page over the GraphQL API where the authorized body reviews
//! applications and the integrator grants access, records training, blocks users, and both see
//! overdue deadlines and expiring grants. It holds no rights of its own: every action is a
//! GraphQL operation that the API authorizes for the caller's token, and is audited as such.

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
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        .header(header::CACHE_CONTROL, "no-cache")
        .body(render())
}
