//! How Step Functions' Java runtime reads values from text: Jackson's `ObjectMapper.readTree`
//! for a JSON document given as a string (`States.StringToJson`), a JSON node's text
//! (`JsonNode.textValue()` of a string, `toString()` of anything else, quoted in causes), and
//! `Integer.parseInt` / `Float.parseFloat` for the `*Path` fields that name a count or a
//! percentage. Each rule cites the Java behaviour it follows.

use serde_json::Value;

use crate::path::java;

/// `ObjectMapper.readTree(text)` with Jackson's defaults (`DeserializationFeature` and
/// `JsonReadFeature` as shipped):
///
/// * text that is empty or only whitespace has no content: Jackson 2.10+ answers a
///   `MissingNode`, which Jackson writes as `null`;
/// * one root value is read; what follows it is not (`FAIL_ON_TRAILING_TOKENS` is off by
///   default), except that a number or literal must end at a separator (`1x` and `truex`
///   are one malformed token, Jackson's "Expected space separating root-level values");
/// * an integer token is an integer node, so `-0` is the integer `0` (only `-0.0` keeps the
///   sign, as a double).
pub fn read_tree(text: &str) -> Result<Value, serde_json::Error> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = match values.next() {
        None => return Ok(Value::Null),
        Some(v) => v?,
    };
    let read = &text[..values.byte_offset()];
    if !read.contains("-0") {
        return Ok(value);
    }
    let zeros = negative_zero_integers(read);
    if zeros.is_empty() {
        return Ok(value);
    }
    // Rare: read the same value again with each `-0` integer token written `0`.
    serde_json::from_str(&without_signs_at(read, &zeros))
}

/// The positions of `-0` integer tokens (not `-0.5`, `-0e1`) outside strings.
fn negative_zero_integers(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'0') {
            let next = bytes.get(i + 2).copied();
            if !matches!(next, Some(b'.' | b'e' | b'E' | b'0'..=b'9')) {
                found.push(i);
            }
        }
        i += 1;
    }
    found
}

/// `text` without the `-` at each of `positions`.
fn without_signs_at(text: &str, positions: &[usize]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &at in positions {
        out.push_str(&text[last..at]);
        last = at + 1; // drop the `-`
    }
    out.push_str(&text[last..]);
    out
}

/// A JSON node as Step Functions quotes it in a cause: a string's own text
/// (`JsonNode.textValue()`), anything else as Jackson writes it (`JsonNode.toString()`:
/// `{}`, `[1,2]`, `1.5`, `1.0E20`, `true`, `null`).
pub fn node_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => java::to_json(other),
    }
}

/// `Integer.parseInt(text)`: an optional `+` or `-`, then ASCII digits only (no spaces, no
/// fraction, no exponent), within a Java `int`. `None` where Java throws
/// `NumberFormatException`.
pub fn parse_int(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Rust's `i32::from_str` takes the same grammar (sign, ASCII digits) and range.
    text.parse().ok()
}

/// `Float.parseFloat(text)`: leading and trailing characters up to `' '` are trimmed
/// (`String.trim`); then an optional sign and `NaN`, `Infinity`, or a decimal number
/// (digits with an optional `.` and fraction, at least one digit, an optional exponent) with an
/// optional `f`, `F`, `d` or `D` suffix, rounded to the nearest `float`. Java's hexadecimal
/// form (`0x1.8p1`) is refused here: nothing in a state machine writes one.
pub fn parse_float(text: &str) -> Option<f32> {
    let t = text.trim_matches(|c: char| c <= ' ');
    let (negative, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = match unsigned {
        "NaN" => f32::NAN,
        "Infinity" => f32::INFINITY,
        _ => {
            let body = unsigned
                .strip_suffix(['f', 'F', 'd', 'D'])
                .unwrap_or(unsigned);
            if !is_java_decimal(body) {
                return None;
            }
            body.parse::<f32>().ok()?
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Digits, an optional fraction, at least one digit overall, an optional signed exponent.
fn is_java_decimal(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `ObjectMapper.readTree` by input class.
    #[test]
    fn read_tree_follows_jackson() {
        let rows: &[(&str, Option<Value>)] = &[
            ("", Some(json!(null))),
            (" \t\n\r", Some(json!(null))),
            ("null", Some(json!(null))),
            ("1", Some(json!(1))),
            ("-0", Some(json!(0))),
            ("[-0, -0.0, \"-0\"]", Some(json!([0, -0.0, "-0"]))),
            ("-0.0", Some(json!(-0.0))),
            ("1.1", Some(json!(1.1))),
            ("true", Some(json!(true))),
            ("\"HelloWorld\"", Some(json!("HelloWorld"))),
            (" {\"a\": [1, {}]} ", Some(json!({"a": [1, {}]}))),
            ("1 2", Some(json!(1))),
            ("{}x", Some(json!({}))),
            ("1x", None),
            ("truex", None),
            ("{", None),
            ("'a'", None),
            ("NaN", None),
        ];
        for (text, want) in rows {
            let got = read_tree(text).ok();
            assert_eq!(&got, want, "readTree({text:?})");
        }
        // The sign survives where it is part of a double, not only where it is an integer.
        let v = read_tree("-0").unwrap();
        assert!(!v.as_f64().unwrap().is_sign_negative());
        let v = read_tree("-0.0").unwrap();
        assert!(v.as_f64().unwrap().is_sign_negative());
    }

    #[test]
    fn node_text_is_textvalue_or_jackson_json() {
        assert_eq!(node_text(&json!("NoNumber")), "NoNumber");
        assert_eq!(node_text(&json!({})), "{}");
        assert_eq!(node_text(&json!([1, "a"])), "[1,\"a\"]");
        assert_eq!(node_text(&json!(1.5)), "1.5");
        assert_eq!(node_text(&json!(1e20)), "1.0E20");
        assert_eq!(node_text(&json!(null)), "null");
    }

    /// `Integer.parseInt` by input class.
    #[test]
    fn parse_int_follows_java() {
        let rows: &[(&str, Option<i32>)] = &[
            ("0", Some(0)),
            ("12", Some(12)),
            ("+12", Some(12)),
            ("-12", Some(-12)),
            ("007", Some(7)),
            ("2147483647", Some(i32::MAX)),
            ("2147483648", None),
            ("-2147483648", Some(i32::MIN)),
            (" 1", None),
            ("1 ", None),
            ("1.5", None),
            ("1.0", None),
            ("1e2", None),
            ("", None),
            ("+", None),
            ("-", None),
            ("NoNumber", None),
            ("{}", None),
            ("true", None),
            ("null", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_int(text), *want, "Integer.parseInt({text:?})");
        }
    }

    /// `Float.parseFloat` by input class.
    #[test]
    fn parse_float_follows_java() {
        let rows: &[(&str, Option<f32>)] = &[
            ("0", Some(0.0)),
            ("50", Some(50.0)),
            ("12.5", Some(12.5)),
            (" 12.5\n", Some(12.5)),
            ("+1", Some(1.0)),
            ("-1", Some(-1.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1e2", Some(100.0)),
            ("1E-1", Some(0.1)),
            ("2.5f", Some(2.5)),
            ("2.5D", Some(2.5)),
            ("100.0000001", Some(100.0)),
            ("Infinity", Some(f32::INFINITY)),
            ("-Infinity", Some(f32::NEG_INFINITY)),
            ("", None),
            (".", None),
            ("e5", None),
            ("1e", None),
            ("1,5", None),
            ("inf", None),
            ("NoNumber", None),
            ("{}", None),
            ("true", None),
            ("null", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_float(text), *want, "Float.parseFloat({text:?})");
        }
        assert!(parse_float("NaN").unwrap().is_nan());
    }
}
