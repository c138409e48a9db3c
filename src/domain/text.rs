//! Text a client sent, made safe to store and to print: control characters (C0, DEL, C1, line
//! breaks included) and the invisible bidirectional marks, overrides and isolates are written as
//! JSON-style `\uXXXX` escapes, so a stored value can neither forge a line of a log, a table or
//! an exposition nor reorder what a reader sees — and inside a JSON text the escape still decodes
//! to the character that was sent. Also the shape of a GraphQL name.

use std::borrow::Cow;

/// Whether `c` must not reach a store or a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character escaped as `\uXXXX` (all of them lie in the BMP).
pub fn escaped(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON text (pretty-printed or not) with every unsafe character escaped but its structural
/// line breaks: inside JSON strings control characters are escaped already, so what remains raw
/// there (DEL, C1, bidi marks) is written as `\uXXXX`, and the text stays the same JSON.
pub fn escaped_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(json);
    }
    Cow::Owned(json.lines().map(escaped).collect::<Vec<_>>().join("\n"))
}

/// [`escaped`], cut to at most `max` characters (an ellipsis marks the cut).
pub fn escaped_within(text: &str, max: usize) -> String {
    let safe = escaped(text);
    if safe.chars().count() <= max {
        return safe.into_owned();
    }
    let mut cut: String = safe.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Whether `name` is a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) of at most `max` characters.
pub fn is_graphql_name(name: &str, max: usize) -> bool {
    let mut chars = name.chars();
    name.len() <= max
        && chars
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_escaped_and_the_rest_kept() {
        let cases = [
            (
                "plain Kazakh text",
                "Қазақстан Республикасы",
                "Қазақстан Республикасы",
            ),
            (
                "NUL and CR/LF",
                "grantAccess\0\r\nFORGED",
                "grantAccess\\u0000\\u000d\\u000aFORGED",
            ),
            ("an ANSI escape", "\u{1b}[31mred", "\\u001b[31mred"),
            (
                "DEL and a C1 control",
                "a\u{7f}b\u{85}c",
                "a\\u007fb\\u0085c",
            ),
            (
                "a right-to-left override",
                "abc\u{202e}fed",
                "abc\\u202efed",
            ),
            (
                "an isolate and a mark",
                "\u{2066}x\u{2069}\u{200f}",
                "\\u2066x\\u2069\\u200f",
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(escaped(input), expected, "{name}");
        }
    }

    #[test]
    fn escapes_inside_json_strings_decode_to_what_was_sent() {
        let sent = "x\u{202e}y\u{7f}";
        let json = serde_json::json!({ "name": sent }).to_string();
        let stored = escaped(&json);
        let back: serde_json::Value = serde_json::from_str(&stored).expect("still JSON");
        assert_eq!(back["name"], sent);
        assert!(!stored.chars().any(is_unsafe));
    }

    #[test]
    fn pretty_json_keeps_its_lines_and_meaning() {
        let sent = "a\u{202e}b\u{85}";
        let pretty = serde_json::to_string_pretty(&serde_json::json!({ "name": sent, "n": 1 }))
            .expect("json");
        let safe = escaped_json(&pretty);
        assert_eq!(safe.lines().count(), pretty.lines().count());
        assert!(!safe.chars().any(|c| c != '\n' && is_unsafe(c)));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["name"], sent);
    }

    #[test]
    fn long_text_is_cut_with_a_mark() {
        assert_eq!(escaped_within("abcdef", 4), "abc…");
        assert_eq!(escaped_within("abc", 4), "abc");
    }

    #[test]
    fn graphql_names() {
        let cases = [
            ("a simple name", "RegionDashboard", true),
            ("leading underscore", "_x1", true),
            ("leading digit", "1x", false),
            ("a quote and newline", "x\"} 1\n", false),
            ("empty", "", false),
            ("too long", &"a".repeat(101), false),
        ];
        for (name, input, ok) in cases {
            assert_eq!(is_graphql_name(input, 100), ok, "{name}");
        }
    }
}
