//! Request limits: what one GraphQL request may ask of the server, checked before anything runs.
//!
//! The checks are layered so that each one bounds the work of the next: the query text is
//! measured (bytes, tokens, bracket nesting) by a linear lexer pass before the recursive parser
//! sees it; the parsed document is measured (depth, aliases, root fields, directives, fields
//! after fragment expansion, page sizes) with fragments memoized, so "fragment bombs" cost
//! linear time; only then does validation compute the complexity. Callers who are not signed in
//! learn only that a limit was exceeded, never which one or its number.

use std::collections::HashMap;

use apollo_parser::{Lexer, TokenKind};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Request, ServerError, Variables};
use async_graphql_value::Value;

use crate::domain::lang::Lang;
use crate::store::page::{DEFAULT_PAGE, MAX_PAGE};

/// What one request may ask. The defaults are safe for a public endpoint; each is a `serve`
/// option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest query text, in bytes.
    pub max_query_bytes: usize,
    /// Most significant tokens (names, punctuators, values) in the query text.
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `[` and `(` in the query text.
    pub max_nesting: usize,
    /// Deepest field nesting, fragments expanded (the standard introspection query needs 15).
    pub max_depth: usize,
    /// Most aliases in the document.
    pub max_aliases: usize,
    /// Most fields at the root of an operation.
    pub max_root_fields: usize,
    /// Most directives on one field.
    pub max_directives: usize,
    /// Most field selections after fragment expansion.
    pub max_fields: usize,
    /// Highest complexity: one per field, list fields multiplied by their page size.
    pub max_complexity: usize,
    /// How large a budget filter may be.
    pub filter: crate::store::filter::FilterLimits,
    /// Whether each object field gets a tracing span of its own (`--trace-fields`): for
    /// finding a slow field; off by default because the per-field hook costs about a twentieth
    /// of a 100-row page's server time (BENCHMARKS.md).
    pub trace_fields: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_query_bytes: 64 * 1024,
            max_tokens: 10_000,
            max_nesting: 64,
            max_depth: 16,
            max_aliases: 100,
            max_root_fields: 32,
            max_directives: 16,
            max_fields: 5_000,
            max_complexity: 50_000,
            filter: crate::store::filter::FilterLimits::default(),
            trace_fields: false,
        }
    }
}

/// Complexity of a paginated field: its page size times the cost of one item. A page size out of
/// range is refused before validation; clamping here keeps the arithmetic total.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .map(|f| usize::try_from(f.max(1)).unwrap_or(1))
        .unwrap_or(DEFAULT_PAGE as usize)
        .min(MAX_PAGE as usize);
    size.saturating_mul(child_complexity.max(1))
}

/// Nominal fan-out of a list that is not paginated (an object's documents, funding lines, ...).
pub const NESTED_LIST_FANOUT: usize = 10;

/// Complexity of an unpaginated nested list.
pub fn list_cost(child_complexity: usize) -> usize {
    NESTED_LIST_FANOUT.saturating_mul(child_complexity.max(1))
}

/// Complexity of a grouped aggregate: a fixed charge for the scan plus the groups' fields.
pub fn aggregate_cost(child_complexity: usize) -> usize {
    1_000usize.saturating_add(list_cost(child_complexity))
}

/// Which limit a request exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// Query text too long.
    QueryBytes,
    /// Too many tokens.
    Tokens,
    /// Brackets nested too deep.
    Nesting,
    /// Fields nested too deep.
    Depth,
    /// Too many aliases.
    Aliases,
    /// Too many root fields.
    RootFields,
    /// Too many directives on one field.
    Directives,
    /// Too many fields after fragment expansion.
    Fields,
    /// Too complex.
    Complexity,
}

impl Exceeded {
    /// Name of the limit, as in the `serve` option that sets it.
    pub fn name(self) -> &'static str {
        match self {
            Exceeded::QueryBytes => "query-bytes",
            Exceeded::Tokens => "tokens",
            Exceeded::Nesting => "nesting",
            Exceeded::Depth => "depth",
            Exceeded::Aliases => "aliases",
            Exceeded::RootFields => "root-fields",
            Exceeded::Directives => "directives",
            Exceeded::Fields => "fields",
            Exceeded::Complexity => "complexity",
        }
    }

    fn noun(self, lang: Lang) -> &'static str {
        match self {
            Exceeded::QueryBytes => lang.pick("сұрау ұзындығы", "длина запроса", "query length"),
            Exceeded::Tokens => lang.pick("лексемалар саны", "число лексем", "number of tokens"),
            Exceeded::Nesting => lang.pick(
                "жақшалар тереңдігі",
                "вложенность скобок",
                "bracket nesting",
            ),
            Exceeded::Depth => lang.pick("өрістер тереңдігі", "глубина полей", "field depth"),
            Exceeded::Aliases => lang.pick("бүркеншік аттар саны", "число псевдонимов", "aliases"),
            Exceeded::RootFields => {
                lang.pick("түбір өрістер саны", "число корневых полей", "root fields")
            }
            Exceeded::Directives => lang.pick(
                "өрістегі директивалар саны",
                "число директив на поле",
                "directives on one field",
            ),
            Exceeded::Fields => lang.pick("өрістер саны", "число полей", "fields"),
            Exceeded::Complexity => lang.pick("күрделілік", "сложность", "complexity"),
        }
    }
}

/// The error for an exceeded limit. Signed-in callers are told which limit and its number;
/// anonymous callers only that a limit was exceeded.
pub fn exceeded_error(
    what: Exceeded,
    found: usize,
    limit: usize,
    lang: Lang,
    reveal: bool,
) -> ServerError {
    let message = if reveal {
        let noun = what.noun(lang);
        match lang {
            Lang::Kk => format!("{noun}: {found}, ең көбі {limit} рұқсат етіледі"),
            Lang::Ru => format!("{noun}: {found}, допускается не более {limit}"),
            Lang::En => format!("{noun}: {found}, at most {limit} allowed"),
        }
    } else {
        lang.pick(
            "сұрау сервер шектеуінен асады",
            "запрос превышает ограничение сервера",
            "the request exceeds a server limit",
        )
        .to_owned()
    };
    let mut e = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "LIMIT_EXCEEDED");
    if reveal {
        ext.set("limit", what.name());
    }
    e.extensions = Some(ext);
    e
}

/// The error for a page size out of range; it names the argument and its range (the page size
/// is part of the API's documented contract, not a defensive limit).
fn page_size_error(found: i64, lang: Lang) -> ServerError {
    let e = crate::error::AppError::invalid(
        "first",
        crate::error::Expected::IntegerIn(0, MAX_PAGE as i64),
    );
    let mut err = ServerError::new(format!("{} ({found})", e.message(lang)), None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", e.wire_code());
    ext.set("field", "first");
    err.extensions = Some(ext);
    err
}

/// Measures the query text in one pass of the lexer: bytes, significant tokens and bracket
/// nesting. Stops at the first limit exceeded; lexical errors are left to the parser.
pub fn check_text(query: &str, limits: &QueryLimits) -> Result<(), (Exceeded, usize, usize)> {
    if query.len() > limits.max_query_bytes {
        return Err((Exceeded::QueryBytes, query.len(), limits.max_query_bytes));
    }
    let mut tokens = 0usize;
    let mut nesting = 0usize;
    for token in Lexer::new(query).flatten() {
        match token.kind() {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Comma | TokenKind::Eof => {
                continue;
            }
            TokenKind::LCurly | TokenKind::LBracket | TokenKind::LParen => {
                nesting += 1;
                if nesting > limits.max_nesting {
                    return Err((Exceeded::Nesting, nesting, limits.max_nesting));
                }
            }
            TokenKind::RCurly | TokenKind::RBracket | TokenKind::RParen => {
                nesting = nesting.saturating_sub(1);
            }
            _ => {}
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err((Exceeded::Tokens, tokens, limits.max_tokens));
        }
    }
    Ok(())
}

/// Shape of a selection set with fragments expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    /// Deepest field nesting below (a leaf field is 1).
    depth: usize,
    /// Field selections, fragments expanded.
    fields: usize,
    /// Fields at this level, fragments spread here included (for an operation: its root fields).
    top: usize,
}

/// Measures a parsed document against the limits. Fragment shapes are memoized, so the work is
/// linear in the document however often fragments are spread.
pub fn check_document(
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: &QueryLimits,
) -> Result<(), Refusal> {
    let mut walker = Walker {
        doc,
        variables,
        limits,
        memo: HashMap::new(),
        aliases: 0,
        open_sets: 0,
    };
    for (_, op) in doc.operations.iter() {
        let shape = walker.selection_set(&op.node.selection_set, 0)?;
        if shape.top > limits.max_root_fields {
            return Err(Refusal::Limit(
                Exceeded::RootFields,
                shape.top,
                limits.max_root_fields,
            ));
        }
        if shape.depth > limits.max_depth {
            return Err(Refusal::Limit(
                Exceeded::Depth,
                shape.depth,
                limits.max_depth,
            ));
        }
        if shape.fields > limits.max_fields {
            return Err(Refusal::Limit(
                Exceeded::Fields,
                shape.fields,
                limits.max_fields,
            ));
        }
    }
    for name in doc.fragments.keys() {
        walker.fragment(name)?;
    }
    Ok(())
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A limit, the amount found and the limit.
    Limit(Exceeded, usize, usize),
    /// A `first` argument outside 0..=MAX_PAGE.
    PageSize(i64),
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: &'a QueryLimits,
    /// Shapes of fragments already measured; `None` while one is being measured (a cycle, which
    /// validation reports; it counts as empty here).
    memo: HashMap<Name, Option<Shape>>,
    aliases: usize,
    /// Selection sets entered and not yet left, through fragments too: bounds the walk's own
    /// recursion (a chain of thousands of fragments must not exhaust the stack).
    open_sets: usize,
}

impl Walker<'_> {
    fn selection_set(
        &mut self,
        set: &Positioned<SelectionSet>,
        level: usize,
    ) -> Result<Shape, Refusal> {
        self.open_sets += 1;
        if self.open_sets > self.limits.max_nesting {
            return Err(Refusal::Limit(
                Exceeded::Nesting,
                self.open_sets,
                self.limits.max_nesting,
            ));
        }
        let shape = self.items(set, level);
        self.open_sets -= 1;
        shape
    }

    fn items(&mut self, set: &Positioned<SelectionSet>, level: usize) -> Result<Shape, Refusal> {
        let mut shape = Shape::default();
        for item in &set.node.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    if f.alias.is_some() {
                        self.aliases += 1;
                        if self.aliases > self.limits.max_aliases {
                            return Err(Refusal::Limit(
                                Exceeded::Aliases,
                                self.aliases,
                                self.limits.max_aliases,
                            ));
                        }
                    }
                    if f.directives.len() > self.limits.max_directives {
                        return Err(Refusal::Limit(
                            Exceeded::Directives,
                            f.directives.len(),
                            self.limits.max_directives,
                        ));
                    }
                    if let Some(first) = f.get_argument("first") {
                        self.check_page_size(&first.node)?;
                    }
                    let children = self.selection_set(&f.selection_set, level + 1)?;
                    Shape {
                        depth: children.depth + 1,
                        fields: children.fields.saturating_add(1),
                        top: 1,
                    }
                }
                Selection::InlineFragment(f) => self.selection_set(&f.node.selection_set, level)?,
                Selection::FragmentSpread(s) => self.fragment(&s.node.fragment_name.node)?,
            };
            shape.depth = shape.depth.max(inner.depth);
            shape.fields = shape.fields.saturating_add(inner.fields);
            shape.top = shape.top.saturating_add(inner.top);
            // Checked as we go, so a huge document stops at the first excess.
            if shape.fields > self.limits.max_fields {
                return Err(Refusal::Limit(
                    Exceeded::Fields,
                    shape.fields,
                    self.limits.max_fields,
                ));
            }
            if level + shape.depth > self.limits.max_depth {
                return Err(Refusal::Limit(
                    Exceeded::Depth,
                    level + shape.depth,
                    self.limits.max_depth,
                ));
            }
        }
        Ok(shape)
    }

    fn fragment(&mut self, name: &Name) -> Result<Shape, Refusal> {
        match self.memo.get(name) {
            Some(Some(shape)) => return Ok(*shape),
            Some(None) => return Ok(Shape::default()),
            None => {}
        }
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Shape::default());
        };
        self.memo.insert(name.clone(), None);
        // Measured from level 0 so the memo does not depend on where it is first spread; the
        // caller adds its own level when comparing with the depth limit.
        let shape = self.selection_set(&fragment.node.selection_set, 0)?;
        self.memo.insert(name.clone(), Some(shape));
        Ok(shape)
    }

    fn check_page_size(&self, value: &Value) -> Result<(), Refusal> {
        let resolved = match value {
            Value::Number(n) => n.as_i64(),
            Value::Variable(name) => match self.variables.get(name) {
                Some(async_graphql::Value::Number(n)) => n.as_i64(),
                _ => None,
            },
            _ => None,
        };
        match resolved {
            Some(n) if n < 0 || n > MAX_PAGE as i64 => Err(Refusal::PageSize(n)),
            _ => Ok(()),
        }
    }
}

/// `e` with `code`, unless it has a code already: parse and validation errors of async-graphql
/// come without one, and clients branch on codes, not messages.
fn with_code(mut e: ServerError, code: &str) -> ServerError {
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

/// async-graphql's refusal of a document over the schema's complexity limit
/// (`SchemaBuilder::limit_complexity`, checked during validation).
const COMPLEXITY_REFUSAL: &str = "Query is too complex.";

/// Admits a request before it runs: measures the text (a text parsed before passed already and
/// is not measured again), parses it once (the document stays with the request, so execution does
/// not parse it again), and measures the document; async-graphql's
/// validation then sees only documents already within the limits (some of its rules expand
/// fragments without memoizing). `reveal`: the caller is signed in and may learn which limit.
///
/// The checks run here, before the schema, rather than in a schema extension: any extension
/// puts every field of every row through its per-field hook and a registry lookup, which on a
/// page of 100 rows was a measurable share of the server's time (BENCHMARKS.md).
pub fn admit(
    request: &mut Request,
    limits: &QueryLimits,
    lang: Lang,
    reveal: bool,
    documents: &super::parsed::ParsedDocuments,
) -> Result<(), ServerError> {
    let variables = request.variables.clone();
    // The text is measured only when it is not among the documents parsed before (which all
    // passed these limits). A refusal for a limit carries its own code already.
    let doc = documents
        .parse(request, |text| {
            check_text(text, limits)
                .map_err(|(what, found, limit)| exceeded_error(what, found, limit, lang, reveal))
        })
        .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
    match check_document(doc, &variables, limits) {
        Ok(()) => Ok(()),
        Err(Refusal::Limit(what, found, limit)) => {
            Err(exceeded_error(what, found, limit, lang, reveal))
        }
        Err(Refusal::PageSize(n)) => Err(page_size_error(n, lang)),
    }
}

/// Names the refusals of validation, which ran before anything executed and so carry no path:
/// the complexity limit in the hub's own words (as [`exceeded_error`], without the document's
/// complexity, which async-graphql does not report), every other with
/// `GRAPHQL_VALIDATION_FAILED`. Errors of execution (with a path) keep their own codes.
pub fn name_refusals(errors: &mut [ServerError], limits: &QueryLimits, lang: Lang, reveal: bool) {
    for e in errors.iter_mut().filter(|e| e.path.is_empty()) {
        if e.message == COMPLEXITY_REFUSAL {
            *e = over_error(Exceeded::Complexity, limits.max_complexity, lang, reveal);
        } else if e.extensions.as_ref().and_then(|x| x.get("code")).is_none() {
            *e = with_code(e.clone(), "GRAPHQL_VALIDATION_FAILED");
        }
    }
}

/// The error for a limit exceeded by an amount not known here.
fn over_error(what: Exceeded, limit: usize, lang: Lang, reveal: bool) -> ServerError {
    let mut e = exceeded_error(what, limit, limit, lang, reveal);
    if reveal {
        let noun = what.noun(lang);
        e.message = match lang {
            Lang::Kk => format!("{noun}: рұқсат етілген {limit} шегінен асады"),
            Lang::Ru => format!("{noun}: больше допустимых {limit}"),
            Lang::En => format!("{noun}: over the {limit} allowed"),
        };
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).expect("parses")
    }

    fn check(q: &str) -> Result<(), Refusal> {
        check_document(&doc(q), &Variables::default(), &QueryLimits::default())
    }

    #[test]
    fn text_checks_name_the_limit() {
        let l = QueryLimits::default();
        let cases: Vec<(&str, String, Option<Exceeded>)> = vec![
            ("small query", "{ me { user { id } } }".into(), None),
            (
                "string contents are one token",
                format!("{{ a(x: \"{}\") }}", "{ ".repeat(1000)),
                None,
            ),
            (
                "comments are not tokens",
                format!("# {}\n{{ me }}", "{ ".repeat(1000)),
                None,
            ),
            (
                "too long",
                "{ a }".repeat(20_000),
                Some(Exceeded::QueryBytes),
            ),
            (
                "too many tokens",
                format!("{{ {} }}", "a ".repeat(10_001)),
                Some(Exceeded::Tokens),
            ),
            ("nested too deep", "{a".repeat(65), Some(Exceeded::Nesting)),
            (
                "nested lists",
                format!("{{a(x:{})}}", "[".repeat(70)),
                Some(Exceeded::Nesting),
            ),
        ];
        for (name, q, want) in cases {
            assert_eq!(check_text(&q, &l).err().map(|e| e.0), want, "{name}");
        }
    }

    #[test]
    fn document_checks_name_the_limit() {
        let aliases: String = (0..101).map(|i| format!("a{i}: me ")).collect();
        let root: String = (0..33).map(|_| "me ".to_owned()).collect();
        let directives = format!("{{ me {} }}", "@include(if: true) ".repeat(17));
        let deep = format!("{}{}", "{a".repeat(17), "}".repeat(17));
        // Ten fragments each spreading the next ten times: 10^10 fields once expanded.
        let mut bomb = String::from("{ ...F0 }\n");
        for i in 0..10 {
            bomb.push_str(&format!(
                "fragment F{i} on Query {{ {} }}\n",
                format!("...F{} ", i + 1).repeat(10)
            ));
        }
        bomb.push_str("fragment F10 on Query { me }\n");
        let mut chain = String::from("{ ...C0 }\n");
        for i in 0..5000 {
            chain.push_str(&format!("fragment C{i} on Query {{ ...C{} }}\n", i + 1));
        }
        chain.push_str("fragment C5000 on Query { me }\n");
        let cases: Vec<(&str, String, Option<Exceeded>)> = vec![
            ("plain", "{ me { user { id } } }".into(), None),
            (
                "101 aliases",
                format!("{{ me {{ user {{ {aliases} }} }} }}"),
                Some(Exceeded::Aliases),
            ),
            (
                "33 root fields",
                format!("{{ {root} }}"),
                Some(Exceeded::RootFields),
            ),
            ("17 directives", directives, Some(Exceeded::Directives)),
            ("depth 17", deep, Some(Exceeded::Depth)),
            ("fragment bomb", bomb, Some(Exceeded::Fields)),
            ("chain of 5 000 fragments", chain, Some(Exceeded::Nesting)),
        ];
        for (name, q, want) in cases {
            let got = match check(&q) {
                Ok(()) => None,
                Err(Refusal::Limit(e, _, _)) => Some(e),
                Err(other) => panic!("{name}: {other:?}"),
            };
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn page_sizes_out_of_range_are_refused() {
        let limits = QueryLimits::default();
        let vars = Variables::from_json(serde_json::json!({ "n": 5000 }));
        let cases = [
            (
                "literal in range",
                "{ budgetLines(first: 1000) { totalCount } }",
                Ok(()),
            ),
            (
                "literal too large",
                "{ budgetLines(first: 1001) { totalCount } }",
                Err(Refusal::PageSize(1001)),
            ),
            (
                "negative",
                "{ budgetLines(first: -1) { totalCount } }",
                Err(Refusal::PageSize(-1)),
            ),
            (
                "variable too large",
                "query($n: Int) { budgetLines(first: $n) { totalCount } }",
                Err(Refusal::PageSize(5000)),
            ),
        ];
        for (name, q, want) in cases {
            assert_eq!(check_document(&doc(q), &vars, &limits), want, "{name}");
        }
    }

    #[test]
    fn page_cost_multiplies_by_page_size() {
        assert_eq!(page_cost(Some(10), 3), 30);
        assert_eq!(page_cost(None, 2), 200);
        assert_eq!(page_cost(Some(i32::MAX), 1), 1000);
        assert_eq!(page_cost(Some(-5), 0), 1);
    }
}
