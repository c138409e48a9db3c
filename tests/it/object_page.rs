//! A page of objects written in one pass (the objects with their owners, possessors, documents,
//! funding lines and stages read ahead for the whole page) answers exactly what the resolvers
//! answer for each object read by id through the request's loaders: every field the schema
//! lists, as bodies of different scope, in each language.

use crate::common::{TestDb, TestServer, grant_both_systems, user_of};

use serde_json::{Value, json};

/// The argument-less scalar and enum fields the schema lists for `type_name`, read through
/// introspection so that a field added later is compared too.
async fn leaf_fields(server: &TestServer, type_name: &str) -> String {
    let q = r#"query($t: String!) { __type(name: $t) { fields { name args { name } type { kind ofType { kind } } } } }"#;
    let data = server.data(q, json!({ "t": type_name })).await;
    let leaf = |t: &Value| matches!(t["kind"].as_str(), Some("SCALAR" | "ENUM"));
    let names: Vec<&str> = data["__type"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter(|f| f["args"].as_array().is_some_and(Vec::is_empty))
                .filter(|f| leaf(&f["type"]) || leaf(&f["type"]["ofType"]))
                .filter_map(|f| f["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(names.len() >= 3, "{type_name}: {names:?}");
    format!("__typename {}", names.join(" "))
}

/// Every field of an object, nested objects' fields included.
async fn object_selection(server: &TestServer) -> String {
    let object = leaf_fields(server, "InformatizationObject").await;
    let org = leaf_fields(server, "Organization").await;
    let document = leaf_fields(server, "Document").await;
    let funding = leaf_fields(server, "FundingLine").await;
    let stage = leaf_fields(server, "StageChange").await;
    format!(
        "{{ {object} owner {{ {org} }} possessor {{ {org} }} documents {{ {document} }} \
         fundingLines {{ {funding} }} stageHistory {{ {stage} }} }}"
    )
}

/// Every object `caller` sees, page by page, in `lang`.
async fn pages(caller: &TestServer, selection: &str, lang: &str) -> Vec<Value> {
    let q = format!(
        "query($after: String) {{ informatizationObjects(first: 100, after: $after) {{ \
         pageInfo {{ hasNextPage endCursor }} edges {{ node {selection} }} }} }}"
    );
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let a = caller
            .gql_lang(&q, json!({ "after": after }), Some(lang))
            .await;
        assert!(a.get("errors").is_none(), "{lang}: {a}");
        let page = &a["data"]["informatizationObjects"];
        let edges = page["edges"].as_array().cloned().unwrap_or_default();
        nodes.extend(edges.into_iter().map(|e| e["node"].clone()));
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The same objects read one by one (aliased, ten to a request), in `lang`.
async fn by_id(caller: &TestServer, selection: &str, lang: &str, ids: &[&str]) -> Vec<Value> {
    let mut nodes = Vec::new();
    for chunk in ids.chunks(10) {
        let fields: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| format!("o{i}: informatizationObject(id: \"{id}\") {selection}"))
            .collect();
        let a = caller
            .gql_lang(
                &format!("{{ {} }}", fields.join(" ")),
                json!({}),
                Some(lang),
            )
            .await;
        assert!(a.get("errors").is_none(), "{lang}: {a}");
        nodes.extend((0..chunk.len()).map(|i| a["data"][format!("o{i}")].clone()));
    }
    nodes
}

#[tokio::test]
async fn an_object_page_in_one_pass_equals_each_object_read_by_id() {
    let t = TestDb::with_demo(1).await;
    let server = TestServer::start_national_uncached(&t.db).await;
    let selection = object_selection(&server).await;
    let mut hidden_possessors = 0;
    for (name, kind, kato) in [
        ("Parliament", "PARLIAMENT", ""),
        ("Almaty city maslikhat", "MASLIKHAT", "75"),
        ("a revision commission", "REVISION_COMMISSION", ""),
    ] {
        let user = user_of(&t.db, kind, kato, true).await;
        grant_both_systems(&t.db, user.id).await;
        let caller = server.clone_as(&user.iin);
        for lang in ["kk", "ru", "en"] {
            let page = pages(&caller, &selection, lang).await;
            assert!(!page.is_empty(), "{name} sees objects");
            let ids: Vec<&str> = page.iter().filter_map(|n| n["id"].as_str()).collect();
            let one_by_one = by_id(&caller, &selection, lang, &ids).await;
            for (p, o) in page.iter().zip(&one_by_one) {
                assert_eq!(p, o, "{name}, {lang}, object {}", p["id"]);
            }
            let any = |f: &dyn Fn(&Value) -> bool| page.iter().any(f);
            let non_empty = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
            assert!(any(&|n| non_empty(&n["documents"])), "{name}: documents");
            assert!(any(&|n| non_empty(&n["fundingLines"])), "{name}: funding");
            assert!(any(&|n| non_empty(&n["stageHistory"])), "{name}: stages");
            assert!(any(&|n| n["owner"]["name"].is_string()), "{name}: owners");
            hidden_possessors += page.iter().filter(|n| n["possessor"].is_null()).count();
        }
    }
    // A possessor outside a body's view is null on both paths, and the case occurs.
    assert!(
        hidden_possessors > 0,
        "no possessor was hidden from any caller"
    );
}
