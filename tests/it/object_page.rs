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

/// Every funding line of the objects `caller` sees, by object and line, with every field.
async fn full_funding(caller: &TestServer) -> std::collections::HashMap<(String, String), Value> {
    let q = "query($id: ID!) { informatizationObject(id: $id) { fundingLines { __typename id year \
             level territory administrator program subprogram specific functionalGroup } } }";
    let page = caller
        .data(
            "{ informatizationObjects(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    let mut all = std::collections::HashMap::new();
    for o in page["informatizationObjects"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let id = o["id"].as_str().unwrap_or_default().to_owned();
        let data = caller.data(q, json!({ "id": id })).await;
        for f in data["informatizationObject"]["fundingLines"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let line = f["id"].as_str().unwrap_or_default().to_owned();
            all.insert((id.clone(), line), f);
        }
    }
    all
}

/// Every document `caller` sees, by id, with every text field.
async fn full_documents(caller: &TestServer) -> std::collections::HashMap<String, Value> {
    let q = "query($after: String) { documents(first: 1000, after: $after) { \
             pageInfo { hasNextPage endCursor } nodes { id type title number approvedOn version \
             language format fileName sizeBytes sha256 downloadUrl } } }";
    let mut all = std::collections::HashMap::new();
    let mut after = Value::Null;
    loop {
        let data = caller.data(q, json!({ "after": after })).await;
        let page = &data["documents"];
        for d in page["nodes"].as_array().cloned().unwrap_or_default() {
            all.insert(d["id"].as_str().unwrap_or_default().to_owned(), d);
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return all;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// The document objects of an object page's answer: every element of a list under a key that
/// names documents (`documents` or an alias starting with `docs`).
fn documents_in<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "documents" || k.starts_with("docs") {
                    out.extend(child.as_array().into_iter().flatten());
                } else {
                    documents_in(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| documents_in(i, out)),
        _ => {}
    }
}

/// An object page reads only the document and funding columns its selection asks for: every
/// selection shape that reaches the page's children (fragments, aliases, `edges` and `nodes`
/// asking for different fields) answers each field exactly as the documents list and each
/// object read by id do.
#[tokio::test]
async fn an_object_page_answers_every_document_field_its_selection_asks_for() {
    let t = TestDb::with_demo(1).await;
    let server = TestServer::start_national_uncached(&t.db).await;
    let user = user_of(&t.db, "PARLIAMENT", "", true).await;
    grant_both_systems(&t.db, user.id).await;
    let caller = server.clone_as(&user.iin);
    let full = full_documents(&caller).await;
    assert!(!full.is_empty(), "documents exist");
    let funding = full_funding(&caller).await;
    assert!(!funding.is_empty(), "funding lines exist");
    let cases = [
        (
            "three fields, as the benchmark asks",
            "edges { node { id documents { id title sizeBytes } } }",
            "",
        ),
        (
            "no text at all",
            "edges { node { id documents { __typename id type sizeBytes downloadUrl } } }",
            "",
        ),
        (
            "through a named fragment and an inline fragment",
            "edges { node { id ...Docs } }",
            "fragment Docs on InformatizationObject { documents { id ... on Document { sha256 fileName } } }",
        ),
        (
            "the same list asked twice under aliases",
            "edges { node { id docsA: documents { id title } docsB: documents { id number approvedOn version } } }",
            "",
        ),
        (
            "edges and nodes asking for different text",
            "edges { node { id documents { id title } } } nodes { id documents { id sha256 fileName version } }",
            "",
        ),
        (
            "funding lines' program only, and all their codes through nodes",
            "edges { node { id fundingLines { id year program } } } nodes { id fundingLines { id territory administrator subprogram specific functionalGroup level } }",
            "",
        ),
        (
            "funding lines through a fragment under an alias",
            "edges { node { id fundsA: fundingLines { ...Codes } } }",
            "fragment Codes on FundingLine { id functionalGroup specific }",
        ),
        (
            "every field",
            "edges { node { id documents { id type title number approvedOn version language format fileName sizeBytes sha256 downloadUrl } } }",
            "",
        ),
    ];
    for (name, page, fragments) in cases {
        let q = format!("{{ informatizationObjects(first: 100) {{ {page} }} }} {fragments}");
        let data = caller.data(&q, json!({})).await;
        let mut compared = funding_compared(name, &data, &funding);
        let mut docs = Vec::new();
        documents_in(&data, &mut docs);
        for d in docs {
            let id = d["id"].as_str().unwrap_or_default();
            let Some(whole) = full.get(id) else {
                panic!("{name}: document {id} is not in the caller's list");
            };
            for (field, v) in d.as_object().into_iter().flatten() {
                if field != "__typename" {
                    assert_eq!(v, &whole[field], "{name}: document {id}, {field}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 40, "{name}: {compared} fields compared");
    }
}

/// Compares every funding line of a page's answer (a list under `fundingLines` or an alias
/// starting with `funds`, within an object that has its `id`) with the same line read by id;
/// how many fields it compared.
fn funding_compared(
    name: &str,
    data: &Value,
    full: &std::collections::HashMap<(String, String), Value>,
) -> usize {
    let mut compared = 0;
    let page = &data["informatizationObjects"];
    let objects = page["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .chain(page["nodes"].as_array().into_iter().flatten());
    for o in objects {
        let id = o["id"].as_str().unwrap_or_default();
        for (key, lines) in o.as_object().into_iter().flatten() {
            if key != "fundingLines" && !key.starts_with("funds") {
                continue;
            }
            for line in lines.as_array().into_iter().flatten() {
                let line_id = line["id"].as_str().unwrap_or_default();
                let Some(whole) = full.get(&(id.to_owned(), line_id.to_owned())) else {
                    panic!("{name}: funding line {line_id} of object {id} not read by id");
                };
                for (field, v) in line.as_object().into_iter().flatten() {
                    assert_eq!(
                        v, &whole[field],
                        "{name}: object {id}, line {line_id}, {field}"
                    );
                    compared += 1;
                }
            }
        }
    }
    compared
}
