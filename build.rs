//! Build-time facts: rebuilds when a migration is added or changed (`sqlx::migrate!` embeds the
//! migration files at compile time, and cargo does not otherwise watch them), and marks the tests
//! that cannot run on this machine, so that `cargo test` reports them as ignored with the reason
//! rather than as passed: `no_browser` (no `chromium` and `chromedriver` on the PATH) and
//! `no_http_audit` (the npm audit not installed in `tests/graphql-http`). Where CI requires a
//! tool (`AUDIT_HUB_BROWSER_TESTS=required`, `AUDIT_HUB_GRAPHQL_HTTP_AUDIT=required`) the test is
//! never marked, and fails if the tool is missing.

use std::path::Path;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn required(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("required")
}

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(no_browser)");
    println!("cargo::rustc-check-cfg=cfg(no_http_audit)");
    println!("cargo:rerun-if-env-changed=AUDIT_HUB_BROWSER_TESTS");
    println!("cargo:rerun-if-env-changed=AUDIT_HUB_GRAPHQL_HTTP_AUDIT");
    // Installing a package changes dpkg's status file: look again then (not on every build).
    if Path::new("/var/lib/dpkg/status").exists() {
        println!("cargo:rerun-if-changed=/var/lib/dpkg/status");
    }
    // The audit's folder (committed, so it exists): `npm ci` there changes it.
    println!("cargo:rerun-if-changed=tests/graphql-http");
    let browser = on_path("chromium") && on_path("chromedriver");
    if !(browser || required("AUDIT_HUB_BROWSER_TESTS")) {
        println!("cargo:rustc-cfg=no_browser");
    }
    let audit = Path::new("tests/graphql-http/node_modules/graphql-http").exists();
    if !(audit || required("AUDIT_HUB_GRAPHQL_HTTP_AUDIT")) {
        println!("cargo:rustc-cfg=no_http_audit");
    }
}
