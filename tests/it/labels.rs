//! Enum labels: every value of every enum in the schema has a label in Kazakh, Russian and
//! English (and none is left for a value that is gone), and `enumLabels` answers in the
//! language of `Accept-Language`.

use crate::common;

use std::collections::BTreeSet;

use audit_hub::graphql::labels;
use common::{TestDb, TestServer};
use serde_json::json;

/// (type, value) of every enum value the schema declares, introspection's aside.
fn schema_enum_values() -> BTreeSet<(String, String)> {
    let sdl = audit_hub::graphql::build_schema().sdl();
    let mut out = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in sdl.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("enum ") {
            current = rest.split_whitespace().next().map(str::to_owned);
        } else if line == "}" {
            current = None;
        } else if let Some(t) = &current
            && !line.is_empty()
            && line
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        {
            out.insert((t.clone(), line.to_owned()));
        }
    }
    out
}

#[test]
fn every_enum_value_has_three_labels_and_no_label_is_stale() {
    let values = schema_enum_values();
    assert!(values.len() > 60, "{} enum values found", values.len());
    let mut labelled = BTreeSet::new();
    for [t, v, kk, ru, en] in labels::all() {
        assert!(
            !kk.trim().is_empty() && !ru.trim().is_empty() && !en.trim().is_empty(),
            "{t}.{v}"
        );
        assert!(
            labelled.insert((t.to_owned(), v.to_owned())),
            "{t}.{v} twice"
        );
    }
    assert_eq!(
        values.difference(&labelled).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "values without labels"
    );
    assert_eq!(
        labelled.difference(&values).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "labels of values the schema no longer has"
    );
}

#[tokio::test]
async fn enum_labels_follow_accept_language() {
    let t = TestDb::with_reference().await;
    let s = TestServer::start(&t.db).await;
    let q = "{ enumLabels(types: [\"BudgetPhase\"]) { type value label kk ru en } }";
    for lang in ["kk", "ru", "en"] {
        let v = s.gql_lang(q, json!({}), Some(lang)).await;
        let rows = v["data"]["enumLabels"].as_array().expect("labels");
        assert_eq!(rows.len(), 5, "{v}");
        for r in rows {
            assert_eq!(r["type"], "BudgetPhase");
            assert_eq!(r["label"], r[lang], "{lang}: {r}");
        }
    }
}
