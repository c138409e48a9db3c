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

/// `text` (a file's code outside `#[cfg(test)]`, comment lines dropped) on one line, whitespace
/// runs made one space and none after an opening bracket, so that a call split over lines reads
/// as written on one: `.join_as(JoinType::InnerJoin, "t", ...`.
fn one_line(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let joined = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::with_capacity(joined.len());
    for c in joined.chars() {
        if c.is_whitespace() {
            if !out.ends_with([' ', '(', '[']) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `code` contains `pattern`, where each `*` in it stands for an identifier (one or
/// more of `[A-Za-z0-9_]`).
fn contains_pattern(code: &str, pattern: &str) -> bool {
    fn at(rest: &str, parts: &[&str]) -> bool {
        let Some((first, more)) = parts.split_first() else {
            return true;
        };
        let Some(rest) = rest.strip_prefix(first) else {
            return false;
        };
        if more.is_empty() {
            return true;
        }
        let ident = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        ident > 0 && at(&rest[ident..], more)
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    code.match_indices(parts[0])
        .any(|(i, _)| at(&code[i..], &parts))
}

#[test]
fn sql_names_tables_and_columns_through_the_schema_enums() {
    // What a sea-query builder call looks like when it names a table (or a column) by a string
    // literal instead of an enum of `store/schema.rs`. Table aliases stay strings, so a pair
    // is flagged only when both its parts are.
    let forbidden: [(&str, &[&str]); 6] = [
        (
            "a table read, deleted from, inserted into or updated by a string",
            &[
                ".from(\"",
                ".from_as(\"",
                ".from_table(\"",
                ".into_table(\"",
                ".table(\"",
            ],
        ),
        (
            "a table joined by a string",
            // `left_join("t", …)`, `inner_join(…)`; `join` and `join_as` name it after the
            // join type.
            &["_join(\"", "Join, \""],
        ),
        ("a (table, column) pair of strings", &["(\"*\", \"*\")"]),
        (
            "a column selected, ordered or grouped by a string",
            &[
                "Expr::col(\"",
                ".column(\"",
                ".columns([\"",
                "order_by(\"",
                "group_by_col(\"",
                "returning_col(\"",
            ],
        ),
        (
            "a column written by a string",
            &[
                ".value(\"",
                ".values([(\"",
                "update_column(\"",
                "update_columns([\"",
            ],
        ),
        (
            "a conflict target named by a string",
            &["OnConflict::column(\"", "OnConflict::columns([\""],
        ),
    ];
    let root = src();
    let files: Vec<(String, String)> = sources(&root)
        .into_iter()
        .map(|(p, text)| {
            let name = p
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            (name, one_line(&text))
        })
        .filter(|(_, code)| code.contains("sea_query"))
        .collect();
    // The scan sees what it must: the repositories, calls split over lines as one.
    let users = files
        .iter()
        .find(|(f, _)| f == "store/users.rs")
        .expect("store/users.rs uses sea_query");
    assert!(users.1.contains(".from(Users::Table)"));
    assert!(one_line("q.join_as(\n    JoinType::InnerJoin,\n    \"t\",").contains("Join, \"t\""));
    assert!(contains_pattern(
        "Expr::col((\"g\", \"id\"))",
        "(\"*\", \"*\")"
    ));
    assert!(!contains_pattern(
        "Expr::col((ORG, Organizations::Id)).eq(\"x\")",
        "(\"*\", \"*\")"
    ));
    for (rule, patterns) in forbidden {
        let offenders: Vec<String> = files
            .iter()
            .filter_map(|(file, code)| {
                let hits: Vec<&str> = patterns
                    .iter()
                    .copied()
                    .filter(|p| contains_pattern(code, p))
                    .collect();
                (!hits.is_empty()).then(|| format!("{file}: {hits:?}"))
            })
            .collect();
        assert!(
            offenders.is_empty(),
            "{rule} (name it through store::schema): {offenders:?}"
        );
    }
}
