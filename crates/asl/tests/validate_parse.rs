//! Reading definition text: where each value is, and how a syntax error is described (as
//! Jackson, which AWS uses, describes it) and where.
//!
//! `«` in a row's text marks the position expected (of the value at the pointer, or of the
//! error); it is removed before parsing.

use baton_asl::parse::{json_syntax_error, parse};
use serde_json::json;

enum Want {
    /// The value at this pointer starts at the marker.
    At(&'static str),
    /// Parsing fails at the marker with this message and code.
    Error(&'static str, &'static str),
}

const BAD: &str = "INVALID_JSON_DESCRIPTION";
const EXPECTING_VALUE: &str =
    "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

fn rows() -> Vec<(&'static str, &'static str, bool, Want)> {
    use Want::{At, Error};
    vec![
        ("root", "«{}", false, At("")),
        ("member", "{\"a\": «1}", false, At("/a")),
        ("second line", "{\n  \"a\": [1,\n    «true]}", false, At("/a/1")),
        ("escaped pointer", "{\"a/b\": {\"c~d\": «null}}", false, At("/a~1b/c~0d")),
        ("columns count characters", "{\"é\": \"ü\", \"x\": «2}", false, At("/x")),
        ("line comment", "{\n  // the start\n  \"StartAt\": «\"A\"\n}", true, At("/StartAt")),
        ("block comment", "{/* a\n b */ \"a\": «[]}", true, At("/a")),
        ("CRLF lines", "{\r\n\"a\":\r\n«1}", false, At("/a")),
        ("comment in strict mode", "{«// x\n}", false, Error(BAD,
            "Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)")),
        ("single-quoted name", "{«'not': 'json'", false, Error(BAD,
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name")),
        ("bare word", "«not some json", false, Error(BAD,
            "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        ("misspelt literal", "[«tru]", false, Error(BAD,
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        ("trailing comma in object", "{\"a\": 1,«}", false, Error(BAD,
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field name")),
        ("trailing comma in array", "[1,«]", false, Error(BAD,
            "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        ("missing colon", "{\"a\" «1}", false, Error(BAD,
            "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value")),
        ("missing comma", "{\"a\": 1 «\"b\": 2}", false, Error(BAD,
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries")),
        ("missing array comma", "[1 «2]", false, Error(BAD,
            "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries")),
        ("unclosed object", "{\"a\": 1«", false, Error(BAD,
            "Unexpected end-of-input: expected close marker for Object (start marker at line: 1, column: 1)")),
        ("unclosed string", "[\"abc«", false, Error(BAD,
            "Unexpected end-of-input: was expecting closing quote for a string value")),
        ("control character in string", "[\"a«\tb\"]", false, Error(BAD,
            "Illegal unquoted character ((CTRL-CHAR, code 9)): has to be escaped using backslash to be included in string value")),
        ("bad escape", "[\"a\\«x\"]", false, Error(BAD, "Unrecognized character escape 'x' (code 120)")),
        ("leading zero", "[«01]", false, Error(BAD, "Invalid numeric value: Leading zeroes not allowed")),
        ("mismatched close", "{\"a\": 1«]", false, Error(BAD,
            "Unexpected close marker ']': expected '}' (for Object starting at line: 1, column: 1)")),
        ("trailing content", "{} «x", false, Error(BAD, "Unexpected character ('x' (code 120)): expected end-of-input")),
        ("value expected", "{\"a\": «}", false, Error(BAD, leak(format!("Unexpected character ('}}' (code 125)): {EXPECTING_VALUE}")))),
        ("empty text", "«", false, Error("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")),
        ("only a comment", "«/* nothing */", true, Error("SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")),
    ]
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn strip_marker(text: &str) -> (String, (u32, u32)) {
    let (mut line, mut col, mut at) = (1u32, 1u32, (0, 0));
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '«' {
            at = (line, col);
            continue;
        }
        out.push(c);
        match c {
            '\n' => (line, col) = (line + 1, 1),
            '\r' if chars.peek() != Some(&'\n') => (line, col) = (line + 1, 1),
            _ => col += 1,
        }
    }
    (out, at)
}

#[test]
fn positions_and_syntax_errors() {
    let mut failures = Vec::new();
    for (name, marked, comments, want) in rows() {
        let (text, at) = strip_marker(marked);
        let got = parse(&text, comments);
        let ok = match (&want, &got) {
            (Want::At(p), Ok(doc)) => doc.positions.get(*p) == Some(&at),
            (Want::Error(code, msg), Err(d)) => {
                d.code == *code && d.message == *msg && (d.line, d.column) == at
            }
            _ => false,
        };
        if !ok {
            let got = got.map(|d| {
                d.positions
                    .get(match want {
                        Want::At(p) => p,
                        _ => "",
                    })
                    .copied()
            });
            failures.push(format!("{name}: want at {at:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn values_and_duplicate_keys() {
    let rows: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        (
            "{\"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\", null, true, false, {}]}",
            json!({"a": [1, -2500.0, "xé😀", null, true, false, {}]}),
            vec![],
        ),
        ("{\"a\": 1, \"a\": 2}", json!({"a": 2}), vec!["/a"]),
        (
            "{\"States\": {\"x/y\": 1, \"x/y\": 2}}",
            json!({"States": {"x/y": 2}}),
            vec!["/States/x~1y"],
        ),
    ];
    for (text, value, dups) in rows {
        let doc = parse(text, false).unwrap_or_else(|d| panic!("{text}: {d:?}"));
        assert_eq!(doc.value, value, "{text}");
        assert_eq!(doc.duplicate_keys, dups, "{text}");
    }
}

#[test]
fn nesting_is_capped() {
    let deep = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
    let err = parse(&deep, false).err().map(|d| d.message);
    assert_eq!(
        err.as_deref(),
        Some(
            "Document nesting depth (1001) exceeds the maximum allowed (1000, from \
             `StreamReadConstraints.getMaxNestingDepth()`)"
        )
    );
    let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(parse(&ok, false).is_ok());
}

#[test]
fn execution_input_errors_read_like_aws() {
    // StartExecution inputs recorded in the validation corpus, and what AWS said of them.
    let rows = [
        ("{'not': 'json'", Some("Unexpected character (''' (code 39)): was expecting double-quote to start field name")),
        ("not some json", Some("Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")),
        ("{\"a\": 1}", None),
    ];
    for (text, want) in rows {
        assert_eq!(json_syntax_error(text).as_deref(), want, "{text}");
    }
}
