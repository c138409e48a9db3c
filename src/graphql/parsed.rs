//! Parsed query documents by text, so a text that is sent again (a dashboard, a persisted query,
//! a page after page) is parsed once per process rather than once per request.
//!
//! Parsing is a pure function of the text: a cached document is exactly what parsing the text
//! again would give. Only documents that parsed are kept, and only texts that already passed the
//! text limits get here ([`super::limits::admit`]); memory is bounded by an estimate of each
//! document's size.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};

/// Default memory bound, in estimated bytes.
pub const DEFAULT_BYTES: u64 = 32 * 1024 * 1024;

/// A parsed document takes about this many bytes per byte of its text (names, positions and
/// the nodes around them).
const BYTES_PER_TEXT_BYTE: u64 = 16;

/// Parsed documents by their text.
pub struct ParsedDocuments(Option<moka::sync::Cache<String, ExecutableDocument>>);

impl ParsedDocuments {
    /// A cache of at most `max_bytes` estimated bytes (0: every text is parsed each time).
    pub fn new(max_bytes: u64) -> ParsedDocuments {
        ParsedDocuments((max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|text: &String, _: &ExecutableDocument| {
                    u32::try_from(text.len() as u64 * BYTES_PER_TEXT_BYTE).unwrap_or(u32::MAX)
                })
                .build()
        }))
    }

    /// The request's document: the one parsed from the same text before, else — once `admit`
    /// let the text through — parsed now (and kept when it parsed). The document stays with the
    /// request, so execution uses it.
    ///
    /// `admit` judges a text not seen before (the text limits, [`super::limits::check_text`]):
    /// a text that is kept passed it once, and passes it again (the limits are the server's;
    /// a state given other limits starts with none kept, `AppState::with_limits`), so a text
    /// sent again is not measured again. A text `admit` refuses is neither parsed nor kept.
    pub fn parse<'r>(
        &self,
        request: &'r mut Request,
        admit: impl FnOnce(&str) -> Result<(), ServerError>,
    ) -> Result<&'r ExecutableDocument, ServerError> {
        match &self.0 {
            Some(cache) => {
                if let Some(doc) = cache.get(&request.query) {
                    request.set_parsed_query(doc);
                } else {
                    admit(&request.query)?;
                    if let Ok(doc) = request.parsed_query() {
                        let doc = doc.clone();
                        cache.insert(request.query.clone(), doc);
                    }
                }
            }
            None => admit(&request.query)?,
        }
        request.parsed_query()
    }
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        ParsedDocuments::new(DEFAULT_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_sent_again_gets_the_document_parsing_it_gives() {
        let texts = [
            "{ budgetLines(first: 5) { totalCount } }",
            "query Q($f: BudgetLineFilter) { budgetSummary(groupBy: [LEVEL], filter: $f) { amount } }",
        ];
        let cache = ParsedDocuments::default();
        for text in texts {
            let fresh = format!("{:?}", Request::new(text).parsed_query().expect("parses"));
            for round in ["first", "again"] {
                let mut r = Request::new(text);
                let doc = format!("{:?}", cache.parse(&mut r, |_| Ok(())).expect("parses"));
                assert_eq!(doc, fresh, "{text}, {round}");
            }
        }
        let mut bad = Request::new("{ budgetLines(");
        assert!(
            cache.parse(&mut bad, |_| Ok(())).is_err(),
            "a text that does not parse is refused"
        );
        assert!(
            cache
                .parse(&mut Request::new("{ budgetLines("), |_| Ok(()))
                .is_err(),
            "and not kept"
        );
    }

    /// `admit` judges each text until it is kept: once per kept text, every time for a text it
    /// refuses (never kept), and always when nothing is kept.
    #[test]
    fn a_text_is_admitted_until_it_is_kept() {
        let ok = "{ budgetLines(first: 5) { totalCount } }";
        let refused = "{ budgetLines(first: 6) { totalCount } }";
        let cases = [
            ("kept", ParsedDocuments::default(), ok, 1, true),
            ("refused", ParsedDocuments::default(), refused, 3, false),
            ("nothing kept", ParsedDocuments::new(0), ok, 3, true),
        ];
        for (name, cache, text, admitted, passes) in cases {
            let mut calls = 0;
            for _ in 0..3 {
                let result = cache
                    .parse(&mut Request::new(text), |t| {
                        calls += 1;
                        if t == refused {
                            Err(ServerError::new("over a limit", None))
                        } else {
                            Ok(())
                        }
                    })
                    .map(|_| ());
                assert_eq!(result.is_ok(), passes, "{name}");
            }
            assert_eq!(calls, admitted, "{name}: how often admit was asked");
        }
    }
}
