//! The admin console at `/admin`: one page over the GraphQL API where the authorized body reviews
//! applications and the integrator grants access, records training, blocks users, and both see
//! overdue deadlines and expiring grants; and the auditor dashboard at `/dashboard`. Neither
//! holds rights of its own: every action is a GraphQL operation that the API authorizes for the
//! caller's token, and is audited as such.

use poem::http::header;
use poem::web::Data;
use poem::{Response, handler};

use super::AppState;

const PAGE: &str = include_str!("../../playground/admin.html");

/// The GraphQL operations the console sends, by name (`playground/admin-operations.json`).
pub const OPERATIONS: &str = include_str!("../../playground/admin-operations.json");

/// NCALayer's own address: the WebSocket it serves on the operator's computer.
pub const NCALAYER: &str = "wss://127.0.0.1:13579";

/// `address` as NCALayer's WebSocket address (`ws://` or `wss://`, on 127.0.0.1 or localhost,
/// with a port and no path), or what is wrong with it. NCALayer runs beside the browser, so
/// the console's pages may connect to the operator's own computer and nowhere else.
pub fn ncalayer_address(address: &str) -> anyhow::Result<String> {
    let uri = address.parse::<poem::http::Uri>().ok();
    let ok = uri.as_ref().is_some_and(|u| {
        let host = u.host().unwrap_or_default();
        matches!(u.scheme_str(), Some("ws" | "wss"))
            && matches!(host, "127.0.0.1" | "localhost")
            // No user part (`x'+y@127.0.0.1`): the authority is exactly host and port.
            && u.port_u16().is_some_and(|port| {
                u.authority().map(|a| a.as_str()) == Some(format!("{host}:{port}").as_str())
            })
            && u.path_and_query().is_none_or(|p| p.as_str() == "/")
    });
    anyhow::ensure!(
        ok && !address.ends_with('/'),
        "--ncalayer-url: `{}` is not NCALayer's address; write it as wss://127.0.0.1:PORT",
        crate::domain::text::escaped_within(address, 100)
    );
    Ok(address.to_owned())
}

/// The page with its operations and NCALayer's address inlined.
pub fn render(ncalayer: &str) -> String {
    // `</` inside a script block would end it early. The address is checked (scheme, host,
    // port, nothing else) and is written as a JSON string all the same.
    let literal = serde_json::to_string(ncalayer).unwrap_or_else(|_| "''".to_owned());
    PAGE.replace("/*OPERATIONS*/{}", &OPERATIONS.replace("</", "<\\/"))
        .replace("/*NCALAYER*/''", &literal.replace("</", "<\\/"))
}

/// `GET /admin`.
#[handler]
pub fn page(Data(state): Data<&AppState>) -> Response {
    let ncalayer = state.ncalayer.as_ref();
    page_response(render(ncalayer), &format!("connect-src 'self' {ncalayer}"))
}

/// The auditor dashboard: charts and tables of the caller's own budget slice, every number
/// read from the public GraphQL API with the caller's token (no rights of its own either).
const DASHBOARD: &str = include_str!("../../playground/dashboard.html");

/// `GET /dashboard`.
#[handler]
pub fn dashboard() -> Response {
    page_response(DASHBOARD.to_owned(), "connect-src 'self'")
}

/// A page of the hub's own, scripts only from itself, connecting where `connect` says.
fn page_response(body: String, connect: &str) -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(
            "Content-Security-Policy",
            format!(
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; {connect}; frame-ancestors 'none'"
            ),
        )
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::ncalayer_address;

    #[test]
    fn ncalayer_is_found_on_this_computer_only() {
        for (case, address, accepted) in [
            ("NCALayer's own address", "wss://127.0.0.1:13579", true),
            ("localhost, plain WebSocket", "ws://localhost:5999", true),
            ("another host", "wss://signer.example.kz:13579", false),
            (
                "a user part hiding script",
                "wss://x'+alert(1)+'@127.0.0.1:13579",
                false,
            ),
            ("a user part", "wss://operator@127.0.0.1:13579", false),
            ("no port", "wss://127.0.0.1", false),
            ("a path", "wss://127.0.0.1:13579/sign", false),
            ("a trailing slash", "wss://127.0.0.1:13579/", false),
            ("HTTP", "http://127.0.0.1:13579", false),
            ("a quote", "wss://127.0.0.1:13579'", false),
        ] {
            assert_eq!(ncalayer_address(address).is_ok(), accepted, "{case}");
        }
    }

    #[test]
    fn the_address_is_inlined_as_a_string() {
        let page = super::render("wss://127.0.0.1:13579");
        assert!(page.contains("const NCALAYER = \"wss://127.0.0.1:13579\";"));
    }
}
