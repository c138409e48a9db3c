//! The layering rules, read from the source itself: permissions are decided in `authz/` and the
//! all-powerful value stays with operator tooling; SQL is written in `store/`; request context
//! types expose no database or scope field. Each known exception is listed with its reason, so a
//! new one fails here instead of slipping in.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The source files (relative to `src/`, `/`-separated) whose code outside `#[cfg(test)]`
/// contains any of `needles`.
fn files_with(needles: &[&str]) -> Vec<String> {
    let root = src();
    sources(&root)
        .into_iter()
        .filter(|(_, text)| {
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            code.lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| needles.iter().any(|n| l.contains(n)))
        })
        .map(|(p, _)| {
            p.strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

fn allowed(file: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| file.starts_with(p))
}

#[test]
fn layering_rules_hold() {
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "the all-powerful permissions are for operator tooling alone",
            &["Permissions::operator(", "Scope::operator("],
            &[
                "authz/permissions.rs",
                "authz/scope.rs",
                "cli/",
                "seed/",
                "import/",
            ],
        ),
        (
            "unrestricted rows are named only where permissions are decided, rendered or the \
             hub reads for itself (who calls, a step's target, its own metrics)",
            &["OrgRows::All", "PeopleRows::All", "BodyRows::All"],
            &[
                "authz/permissions.rs",
                "authz/rows.rs",
                // The grant counts of /metrics: the hub's own figures, whoever asks.
                "authz/principal.rs",
                // `of_caller` (before any permission exists) and `find` (a step's target).
                "store/orgs.rs",
            ],
        ),
        (
            "SQL statements are written in store/",
            &[
                "Query::select(",
                "Query::insert(",
                "Query::update(",
                "Query::delete(",
                "sqlx::query",
                "raw_sql",
            ],
            &[
                "store/",
                // The subquery of "the people of one body" in the one renderer of row rules.
                "authz/rows.rs",
            ],
        ),
        (
            "store/ knows nothing of GraphQL",
            &["async_graphql"],
            &[
                "audit/", "authz/", "graphql/", "http/", "cli/", "service/", "app.rs",
            ],
        ),
    ];
    // The scan sees what it must: statements in the repositories, the operator value in the CLI.
    assert!(files_with(&["Query::select("]).contains(&"store/users.rs".to_owned()));
    assert!(files_with(&["Permissions::operator("]).contains(&"cli/users.rs".to_owned()));
    for (rule, needles, exceptions) in cases {
        let offenders: Vec<String> = files_with(needles)
            .into_iter()
            .filter(|f| !allowed(f, exceptions))
            .collect();
        assert!(offenders.is_empty(), "{rule}: {offenders:?}");
    }
}

#[test]
fn the_domain_knows_nothing_of_graphql_or_sql() {
    let leaks: Vec<String> = files_with(&["async_graphql", "sea_query", "sqlx"])
        .into_iter()
        .filter(|f| f.starts_with("domain/"))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
}

#[test]
fn request_context_types_expose_no_database_or_scope() {
    for file in ["graphql/context.rs", "http/auth.rs", "authz/permissions.rs"] {
        let text = std::fs::read_to_string(src().join(file)).expect("source");
        for field in ["pub db:", "pub scope:", "pub budget:", "pub policy:"] {
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with(field)),
                "{file} has a public `{field}` field"
            );
        }
    }
}
