//! How Step Functions' Java runtime prints JSON values: `Object.toString` of the Java
//! collections a JSON document becomes (`{a=1, b=[x, y]}`, used by `States.Format` and in
//! JSONPath error texts), `Double.toString` for numbers, and Jackson's compact JSON text (used
//! by `States.JsonToString` and for inputs quoted inside causes).

use std::fmt::Write;

use serde_json::{Number, Value};

/// Rendering stops descending below this depth so a pathological value cannot exhaust the
/// stack; parsed JSON is far shallower (serde_json refuses more than 128 levels).
const MAX_DEPTH: usize = 512;

/// `String.valueOf` of the Java object a JSON value maps to: strings bare, numbers as Java
/// prints them, objects as `{k=v, k2=v2}`, arrays as `[a, b]`.
pub fn to_java_string(v: &Value) -> String {
    let mut out = String::new();
    write_java(&mut out, v, 0);
    out
}

fn write_java(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            if depth < MAX_DEPTH {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_java(out, item, depth + 1);
                }
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            if depth < MAX_DEPTH {
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    write_java(out, item, depth + 1);
                }
            }
            out.push('}');
        }
    }
}

/// A JSON number as Java prints the boxed value Jackson reads it into: integers plainly,
/// fractions and exponents through `Double.toString` (`1.0`, `1.5E-5`, `1.0E10`).
pub fn java_number(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    java_double(n.as_f64().unwrap_or(0.0))
}

/// `Double.toString(d)` of JDK 19 and later (shortest digits that round-trip).
pub fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Rust's `{:e}` yields the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if d < 0.0 {
        out.push('-');
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exp}");
    }
    out
}

/// Compact JSON as Jackson writes it: no spaces, numbers as [`java_number`], control
/// characters as `\b \t \n \f \r` or upper-case `\u00XX`.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, v, 0);
    out
}

fn write_json(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&java_number(n)),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            if depth < MAX_DEPTH {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json(out, item, depth + 1);
                }
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            if depth < MAX_DEPTH {
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, k);
                    out.push(':');
                    write_json(out, item, depth + 1);
                }
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn java_double_matches_double_to_string() {
        let table: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (1.1, "1.1"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1234567.0, "1234567.0"),
            (12345678.0, "1.2345678E7"),
            (1e10, "1.0E10"),
            (1.5e-5, "1.5E-5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
        ];
        for (d, want) in table {
            assert_eq!(java_double(*d), *want, "Double.toString({d})");
        }
    }

    #[test]
    fn to_java_string_prints_collections_like_java() {
        let table = [
            (json!(null), "null"),
            (json!("a b"), "a b"),
            (json!(1), "1"),
            (json!(1.0), "1.0"),
            (json!(-7), "-7"),
            (json!([]), "[]"),
            (json!([1, "x", null, [true]]), "[1, x, null, [true]]"),
            (json!({"Arg1": 1, "Arg2": []}), "{Arg1=1, Arg2=[]}"),
            (json!({"a": {"b": "c"}}), "{a={b=c}}"),
        ];
        for (v, want) in table {
            assert_eq!(to_java_string(&v), want, "toString of {v}");
        }
    }

    #[test]
    fn to_json_is_compact_jackson_text() {
        let table = [
            (json!({"Arg1": 1, "Arg2": []}), r#"{"Arg1":1,"Arg2":[]}"#),
            (json!([1, 2, "HelloWorld"]), r#"[1,2,"HelloWorld"]"#),
            (json!("HelloWorld"), r#""HelloWorld""#),
            (json!(1.1), "1.1"),
            (json!(1e20), "1.0E20"),
            (json!("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#),
            (json!({"k": "é/"}), r#"{"k":"é/"}"#),
        ];
        for (v, want) in table {
            assert_eq!(to_json(&v), want, "JSON of {v}");
        }
    }
}
