//! The row types read in bulk (budget lines, summary groups, documents, funding lines) as
//! [`PlainRow`]s: each
//! plain field gives exactly what the type's own resolver gives, which `tests` checks field by
//! field for every field the schema lists.

use async_graphql::parser::types::Field;
use async_graphql::{ContextSelectionSet, ID, Value};

use super::date::Date;
use super::plain::{PlainRow, object, value};
use super::plain_json as json;
use super::types::{BudgetAggregate, BudgetKey, BudgetLine, Document, FundingLine, non_empty};
use crate::domain::budget::tenths_to_decimal;

impl PlainRow for BudgetLine {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        let r = &self.0;
        Some(match name {
            "id" => value(ID(r.id.to_string())),
            "year" => value(r.year),
            "level" => value(r.level),
            "territory" => value(r.kato.clone()),
            "region" => value(r.region_kato.clone()),
            "administrator" => value(r.administrator.clone()),
            "program" => value(r.program.clone()),
            "subprogram" => value(non_empty(&r.subprogram)),
            "specific" => value(non_empty(&r.specific)),
            "functionalGroup" => value(r.functional_group.clone()),
            "phase" => value(r.phase),
            "system" => value(r.phase.system()),
            "asOf" => value(r.as_of.map(Date)),
            "amount" => value(tenths_to_decimal(r.amount_tenths)),
            _ => return None,
        })
    }

    /// The hot fields written without building their values: a page of lines is mostly these.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        let r = &self.0;
        let text =
            |out: &mut Vec<u8>, s: &str| json::write_opt_str(out, (!s.is_empty()).then_some(s));
        match name {
            "id" => json::write_id(out, r.id),
            "year" => json::write_int(out, r.year),
            "level" => json::write_str(out, r.level.as_str()),
            "territory" => json::write_str(out, &r.kato),
            "region" => json::write_opt_str(out, r.region_kato.as_deref()),
            "administrator" => json::write_str(out, &r.administrator),
            "program" => json::write_str(out, &r.program),
            "subprogram" => text(out, &r.subprogram),
            "specific" => text(out, &r.specific),
            "functionalGroup" => json::write_str(out, &r.functional_group),
            "phase" => json::write_str(out, r.phase.as_str()),
            "amount" => json::write_tenths(out, r.amount_tenths),
            _ => return json::write_some(out, self.plain_field(ctx, name)),
        }
        true
    }
}

impl PlainRow for BudgetKey {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        Some(match name {
            "year" => value(self.year),
            "level" => value(self.level),
            "region" => value(self.region.clone()),
            "territory" => value(self.territory.clone()),
            "administrator" => value(self.administrator.clone()),
            "program" => value(self.program.clone()),
            "subprogram" => value(self.subprogram.clone()),
            "specific" => value(self.specific.clone()),
            "functionalGroup" => value(self.functional_group.clone()),
            "phase" => value(self.phase),
            _ => return None,
        })
    }
}

impl PlainRow for BudgetAggregate {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        Some(match name {
            "amount" => value(self.amount),
            "lineCount" => value(self.line_count),
            _ => return None,
        })
    }

    fn plain_object(&self, ctx: &ContextSelectionSet<'_>, field: &Field) -> Option<Value> {
        match field.name.node.as_str() {
            "key" => object(ctx, &field.selection_set.node, &self.key),
            _ => None,
        }
    }

    fn write_object_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Field,
        out: &mut Vec<u8>,
    ) -> bool {
        match field.name.node.as_str() {
            "key" => json::write_object(ctx, &field.selection_set.node, &self.key, out),
            _ => false,
        }
    }
}

impl PlainRow for Document {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        let r = &self.0;
        Some(match name {
            "id" => value(ID(r.id.to_string())),
            "type" => value(r.doc_type),
            "title" => value(r.title.clone()),
            "number" => value(r.number.clone()),
            "approvedOn" => value(r.approved_on.map(Date)),
            "version" => value(r.version.clone()),
            "language" => value(r.language),
            "format" => value(r.format),
            "fileName" => value(r.file_name.clone()),
            "sizeBytes" => value(r.size_bytes),
            "sha256" => value(r.sha256.clone()),
            "downloadUrl" => value(Document::download_path(r.id)),
            // `object` loads another row.
            _ => return None,
        })
    }

    /// The text fields written without copying them into values: an object page holds a few
    /// documents per object.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        let r = &self.0;
        match name {
            "id" => json::write_id(out, r.id),
            "type" => json::write_str(out, r.doc_type.as_str()),
            "title" => json::write_str(out, &r.title),
            "number" => json::write_opt_str(out, r.number.as_deref()),
            "version" => json::write_str(out, &r.version),
            "language" => json::write_str(out, r.language.as_str()),
            "format" => json::write_str(out, r.format.as_str()),
            "fileName" => json::write_str(out, &r.file_name),
            "sizeBytes" => json::write_int(out, r.size_bytes),
            "sha256" => json::write_str(out, &r.sha256),
            _ => return json::write_some(out, self.plain_field(ctx, name)),
        }
        true
    }
}

impl PlainRow for FundingLine {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        Some(match name {
            "id" => value(self.id.clone()),
            "year" => value(self.year),
            "level" => value(self.level),
            "territory" => value(self.territory.clone()),
            "administrator" => value(self.administrator.clone()),
            "program" => value(self.program.clone()),
            "subprogram" => value(self.subprogram.clone()),
            "specific" => value(self.specific.clone()),
            "functionalGroup" => value(self.functional_group.clone()),
            _ => return None,
        })
    }

    /// The codes written without copying them into values.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        match name {
            "id" => json::write_str(out, &self.id),
            "year" => json::write_int(out, self.year),
            "level" => json::write_str(out, self.level.as_str()),
            "territory" => json::write_str(out, &self.territory),
            "administrator" => json::write_str(out, &self.administrator),
            "program" => json::write_str(out, &self.program),
            "subprogram" => json::write_opt_str(out, self.subprogram.as_deref()),
            "specific" => json::write_opt_str(out, self.specific.as_deref()),
            "functionalGroup" => json::write_str(out, &self.functional_group),
            _ => return json::write_some(out, self.plain_field(ctx, name)),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use chrono::NaiveDate;

    use async_graphql::connection::{Connection, Edge};

    use super::super::plain::Plain;
    use super::super::plain_connection::PlainConn;
    use super::super::query::ConnectionTotals;
    use super::*;
    use crate::domain::budget::{BudgetLevel, BudgetPhase};
    use crate::domain::object::{DocumentFormat, DocumentLanguage, DocumentType};
    use crate::graphql::plain_list::PlainList;
    use crate::store::budget::BudgetLineRow;
    use crate::store::documents::DocumentRow;

    fn day(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 3, d)
    }

    /// Rows with every optional value both present and absent.
    fn lines() -> Vec<BudgetLine> {
        let row = |id, region: Option<&str>, sub: &str, as_of: Option<NaiveDate>, amount_tenths| {
            BudgetLineRow {
                id,
                year: 2026,
                level: if region.is_some() {
                    BudgetLevel::Regional
                } else {
                    BudgetLevel::Republican
                },
                kato: region.unwrap_or("000000000").to_owned(),
                region_kato: region.map(str::to_owned),
                administrator: "252".to_owned(),
                program: "001".to_owned(),
                subprogram: sub.to_owned(),
                specific: sub.to_owned(),
                functional_group: "03".to_owned(),
                phase: if as_of.is_some() {
                    BudgetPhase::Executed
                } else {
                    BudgetPhase::Approved
                },
                as_of,
                amount_tenths,
            }
        };
        vec![
            BudgetLine(row(1, Some("350000000"), "011", day(1), 123_456_789)),
            BudgetLine(row(2, None, "", None, -5)),
            BudgetLine(row(3, Some("750000000"), "", None, 0)),
        ]
    }

    fn documents() -> Vec<Document> {
        let row = |id, number: Option<&str>, approved_on| {
            Document(DocumentRow {
                id,
                object_id: 7,
                doc_type: DocumentType::ALL[id as usize % DocumentType::ALL.len()],
                title: format!("Техникалық құжат «{id}»"),
                number: number.map(str::to_owned),
                approved_on,
                version: "1.0".to_owned(),
                language: DocumentLanguage::ALL[id as usize % DocumentLanguage::ALL.len()],
                format: DocumentFormat::ALL[id as usize % DocumentFormat::ALL.len()],
                file_name: "tz.pdf".to_owned(),
                size_bytes: 1 << 40,
                sha256: "ab".repeat(32),
            })
        };
        vec![row(1, Some("№ 12"), day(2)), row(2, None, None)]
    }

    fn funding() -> Vec<FundingLine> {
        let line = |id: &str, sub: Option<&str>| FundingLine {
            id: ID(id.to_owned()),
            year: 2027,
            level: BudgetLevel::District,
            territory: "751210000".to_owned(),
            administrator: "123".to_owned(),
            program: "002".to_owned(),
            subprogram: sub.map(str::to_owned),
            specific: sub.map(str::to_owned),
            functional_group: "01".to_owned(),
        };
        vec![line("5", Some("015")), line("6", None)]
    }

    fn aggregates() -> Vec<BudgetAggregate> {
        let empty = BudgetKey {
            year: None,
            level: None,
            region: None,
            territory: None,
            administrator: None,
            program: None,
            subprogram: None,
            specific: None,
            functional_group: None,
            phase: None,
        };
        let full = BudgetKey {
            year: Some(2026),
            level: Some(BudgetLevel::Rural),
            region: Some("350000000".to_owned()),
            territory: Some("351010000".to_owned()),
            administrator: Some("123".to_owned()),
            program: Some("001".to_owned()),
            subprogram: Some("015".to_owned()),
            specific: Some("159".to_owned()),
            functional_group: Some("01".to_owned()),
            phase: Some(BudgetPhase::Executed),
        };
        vec![
            BudgetAggregate {
                key: full,
                amount: tenths_to_decimal(98_765_432_109),
                line_count: 3,
            },
            BudgetAggregate {
                key: empty,
                amount: tenths_to_decimal(-1),
                line_count: 0,
            },
        ]
    }

    fn connection<T: PlainRow>(rows: Vec<T>) -> PlainConn<T> {
        let mut c = Connection::with_additional_fields(false, false, ConnectionTotals::default());
        c.edges = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| Edge::new(crate::graphql::query::IdCursor(i as i64), Plain(r)))
            .collect();
        PlainConn(c)
    }

    struct Root;

    #[Object]
    impl Root {
        async fn plain_lines(&self) -> Vec<Plain<BudgetLine>> {
            lines().into_iter().map(Plain).collect()
        }
        async fn lines(&self) -> Vec<BudgetLine> {
            lines()
        }
        async fn plain_documents(&self) -> Vec<Plain<Document>> {
            documents().into_iter().map(Plain).collect()
        }
        async fn documents(&self) -> Vec<Document> {
            documents()
        }
        async fn plain_aggregates(&self) -> Vec<Plain<BudgetAggregate>> {
            aggregates().into_iter().map(Plain).collect()
        }
        async fn aggregates(&self) -> Vec<BudgetAggregate> {
            aggregates()
        }
        async fn text_lines(&self) -> PlainConn<BudgetLine> {
            connection(lines())
        }
        async fn text_documents(&self) -> PlainConn<Document> {
            connection(documents())
        }
        async fn text_aggregates(&self) -> PlainList<BudgetAggregate> {
            PlainList(aggregates().into_iter().map(Plain).collect())
        }
        async fn plain_funding(&self) -> Vec<Plain<FundingLine>> {
            funding().into_iter().map(Plain).collect()
        }
        async fn funding(&self) -> Vec<FundingLine> {
            funding()
        }
    }

    /// Every argument-less scalar or enum field the schema lists for `type_name`, read through
    /// introspection so that a field added later is compared too.
    async fn plain_fields(
        schema: &Schema<Root, EmptyMutation, EmptySubscription>,
        type_name: &str,
    ) -> Vec<String> {
        let q = format!(
            r#"{{ __type(name: "{type_name}") {{ fields {{ name args {{ name }} type {{ kind ofType {{ kind }} }} }} }} }}"#
        );
        let data = schema.execute(q).await.data.into_json().unwrap_or_default();
        let fields = data["__type"]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        fields
            .iter()
            .filter(|f| f["args"].as_array().is_some_and(Vec::is_empty))
            .filter(|f| {
                let kind = |t: &serde_json::Value| t["kind"].as_str().map(str::to_owned);
                let leaf = |k: Option<String>| matches!(k.as_deref(), Some("SCALAR" | "ENUM"));
                leaf(kind(&f["type"])) || leaf(kind(&f["type"]["ofType"]))
            })
            .filter_map(|f| f["name"].as_str().map(str::to_owned))
            .collect()
    }

    #[tokio::test]
    async fn every_plain_field_equals_its_resolver() {
        let schema = Schema::new(Root, EmptyMutation, EmptySubscription);
        let keys = plain_fields(&schema, "BudgetKey").await;
        assert_eq!(keys.len(), 10, "{keys:?}");
        let key = format!("key {{ __typename {} }}", keys.join(" "));
        let cases = [
            ("BudgetLine", "plainLines", "lines", 14, ""),
            (
                "BudgetAggregate",
                "plainAggregates",
                "aggregates",
                2,
                key.as_str(),
            ),
            ("Document", "plainDocuments", "documents", 12, ""),
            ("FundingLine", "plainFunding", "funding", 9, ""),
        ];
        for (type_name, plain, generic, count, nested) in cases {
            let fields = plain_fields(&schema, type_name).await;
            assert_eq!(fields.len(), count, "{type_name}: {fields:?}");
            let selection = format!("{{ __typename {} {nested} }}", fields.join(" "));
            let q = format!("{{ p: {plain} {selection} g: {generic} {selection} }}");
            let response = schema.execute(q).await;
            assert!(
                response.errors.is_empty(),
                "{type_name}: {:?}",
                response.errors
            );
            let data = response.data.into_json().unwrap_or_default();
            let text = |k: &str| serde_json::to_string(&data[k]).unwrap_or_default();
            assert_eq!(text("p"), text("g"), "{type_name}");
            // Each field of each row answered, none null where the row holds a value.
            assert!(text("g").contains(&format!("\"__typename\":\"{type_name}\"")));
        }
    }

    #[tokio::test]
    async fn a_nested_object_asked_for_twice_is_merged_as_the_executor_merges_it() {
        let schema = Schema::new(Root, EmptyMutation, EmptySubscription);
        let cases = [
            (
                "twice in one selection",
                "{ key { year } key { level phase } amount }",
                "",
            ),
            (
                "once in a fragment, once beside it",
                "{ ...A key { year } }",
                "fragment A on BudgetAggregate { amount key { level } }",
            ),
            (
                "inline fragment",
                "{ key { region } ... on BudgetAggregate { key { region territory } } }",
                "",
            ),
        ];
        for (name, selection, fragments) in cases {
            let q = format!(
                "{{ p: plainAggregates {selection} g: aggregates {selection} }} {fragments}"
            );
            let response = schema.execute(q).await;
            assert!(response.errors.is_empty(), "{name}: {:?}", response.errors);
            let data = response.data.into_json().unwrap_or_default();
            let text = |k: &str| serde_json::to_string(&data[k]).unwrap_or_default();
            assert_eq!(text("p"), text("g"), "{name}");
            assert!(text("g").contains("\"key\":{"), "{name}: {}", text("g"));
        }
    }

    #[tokio::test]
    async fn every_plain_field_written_as_text_equals_its_resolver() {
        let schema = Schema::new(Root, EmptyMutation, EmptySubscription);
        let cases = [
            ("BudgetLine", "textLines", "lines"),
            ("Document", "textDocuments", "documents"),
        ];
        for (type_name, text, generic) in cases {
            let fields = plain_fields(&schema, type_name).await;
            let selection = format!("{{ __typename {} }}", fields.join(" "));
            let q = format!("{{ t: {text} {{ nodes {selection} }} g: {generic} {selection} }}");
            let request = async_graphql::Request::new(q).data(json::JsonLane);
            let response = schema.execute(request).await;
            assert!(
                response.errors.is_empty(),
                "{type_name}: {:?}",
                response.errors
            );
            let body = String::from_utf8(json::response_body(&response)).unwrap_or_default();
            let Value::Object(data) = &response.data else {
                panic!("{type_name}: no data");
            };
            assert!(
                matches!(data.get("t"), Some(Value::Binary(_))),
                "{type_name}: written as text"
            );
            // The executor's answer, serialized in its own order.
            let g = serde_json::to_string(&data.get("g")).unwrap_or_default();
            assert_eq!(
                body,
                format!(r#"{{"data":{{"t":{{"nodes":{g}}},"g":{g}}}}}"#),
                "{type_name}"
            );
        }
    }

    #[tokio::test]
    async fn a_summary_written_as_text_equals_its_resolvers() {
        let schema = Schema::new(Root, EmptyMutation, EmptySubscription);
        let keys = plain_fields(&schema, "BudgetKey").await;
        let fields = plain_fields(&schema, "BudgetAggregate").await;
        let every = format!(
            "{{ __typename {} key {{ __typename {} }} }}",
            fields.join(" "),
            keys.join(" ")
        );
        // (case, selection, fragments, written as text)
        let cases = [
            ("every field", every.as_str(), "", true),
            (
                "a fragment",
                "{ ...A lineCount }",
                "fragment A on BudgetAggregate { amount key { phase } }",
                true,
            ),
            (
                "the key asked twice",
                "{ key { year } key { level } }",
                "",
                false,
            ),
            (
                "@include and @skip",
                "{ amount @include(if: true) lineCount @skip(if: true) }",
                "",
                true,
            ),
        ];
        for (name, selection, fragments, as_text) in cases {
            let q = format!(
                "{{ t: textAggregates {selection} g: aggregates {selection} }} {fragments}"
            );
            let request = async_graphql::Request::new(q).data(json::JsonLane);
            let response = schema.execute(request).await;
            assert!(response.errors.is_empty(), "{name}: {:?}", response.errors);
            let body = String::from_utf8(json::response_body(&response)).unwrap_or_default();
            let Value::Object(data) = &response.data else {
                panic!("{name}: no data");
            };
            assert_eq!(
                matches!(data.get("t"), Some(Value::Binary(_))),
                as_text,
                "{name}: written as text"
            );
            // The executor's answer, serialized in its own order.
            let g = serde_json::to_string(&data.get("g")).unwrap_or_default();
            assert_eq!(body, format!(r#"{{"data":{{"t":{g},"g":{g}}}}}"#), "{name}");
            assert!(
                g.contains("lineCount") || g.contains("key") || g.contains("amount"),
                "{name}: {g}"
            );
        }
    }
}
