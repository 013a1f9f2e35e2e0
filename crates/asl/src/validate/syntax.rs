//! The syntax of expressions inside a definition, checked with the parsers the engine runs:
//! JSONPath paths and reference paths, payload templates (`.$` keys) and intrinsic calls,
//! Choice rules, JSONata `{% %}` expressions, variable names in `Assign`, and timestamps.
//!
//! Every call into another module's parser is in this file, so that what validates is exactly
//! what the engine can load.

use serde_json::{Map, Value};

use super::ctx::{Ctx, Loc, Ql};
use crate::intrinsics::Intrinsic;
use crate::jsonata::{self, JsonataTemplate};
use crate::path::{Path, ReferencePath};
use crate::template::Template;

/// Deeper JSON than this inside a template is not walked (the parser already caps documents
/// read from text; this guards values built in memory).
const MAX_VALUE_DEPTH: usize = 1000;

/// The longest variable name, in UTF-16 code units.
const MAX_VARIABLE_NAME: usize = 80;

/// `InputPath` or `OutputPath`: a path, or `null` (which discards the value).
pub(super) fn path_field(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, key: &str) {
    let Some(v) = obj.get(key) else { return };
    let at = loc.key(key);
    match v {
        Value::Null => {}
        Value::String(s) => {
            if Path::parse(s).is_err() {
                cx.schema(&at, "Value must be a valid JSONPath.".to_string());
            }
        }
        _ => cx.wrong_type(&at, "STRING"),
    }
}

/// A path to one value (`ItemsPath`, `SecondsPath`, `TimeoutSecondsPath`, `MaxConcurrencyPath`,
/// …): it may start at the input, the context object or a variable, but must be definite.
pub(super) fn value_path_field(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, key: &str) {
    let Some(v) = obj.get(key) else { return };
    let at = loc.key(key);
    match v {
        Value::String(s) => match Path::parse(s) {
            Ok(p) if p.is_definite() => {}
            Ok(_) => cx.schema(&at, reference_path_message(s)),
            Err(_) => cx.schema(&at, "Value must be a valid JSONPath.".to_string()),
        },
        _ => cx.wrong_type(&at, "STRING"),
    }
}

/// A reference path field (`ResultPath`); `null` discards the result.
pub(super) fn reference_path_field(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
) {
    let Some(v) = obj.get(key) else { return };
    let at = loc.key(key);
    match v {
        Value::Null => {}
        Value::String(s) => {
            if ReferencePath::parse(s).is_err() {
                cx.schema(&at, reference_path_message(s));
            }
        }
        _ => cx.wrong_type(&at, "STRING"),
    }
}

fn reference_path_message(s: &str) -> String {
    if s.starts_with('$') {
        "Value is not a Reference Path".to_string()
    } else {
        "Value is not a Reference Path: Reference path didn't start with '$'".to_string()
    }
}

/// The `Variable` of a Choice rule and the operand of a `…Path` operator.
pub(super) fn choice_path(cx: &mut Ctx<'_>, s: &str, at: &Loc) {
    if Path::parse(s).is_err() {
        cx.schema(at, reference_path_message(s));
    }
}

/// `ErrorPath`/`CausePath` of a Fail state: a path or an intrinsic function call.
pub(super) fn path_or_intrinsic_field(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
) {
    let Some(v) = obj.get(key) else { return };
    let at = loc.key(key);
    match v {
        Value::String(s) => {
            if !path_or_intrinsic(s) {
                cx.schema(
                    &at,
                    format!(
                        "The value for the field '{key}' must be a valid JSONPath or a valid \
                         intrinsic function call"
                    ),
                );
            }
        }
        _ => cx.wrong_type(&at, "STRING"),
    }
}

fn path_or_intrinsic(s: &str) -> bool {
    if Intrinsic::looks_like_call(s) {
        Intrinsic::parse(s).is_ok()
    } else {
        Path::parse(s).is_ok()
    }
}

/// A payload template field (`Parameters`, `ResultSelector`, `ItemSelector`, …): a JSON object
/// in which every `key.$` must hold a path or an intrinsic call.
pub(super) fn payload_template_field(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
) {
    let Some(v) = obj.get(key) else { return };
    let at = loc.key(key);
    if !v.is_object() {
        cx.wrong_type(&at, "OBJECT");
        return;
    }
    let before = cx.count();
    template_value(cx, v, &at, 0);
    if cx.count() == before {
        if let Err(e) = Template::parse(v) {
            cx.schema(&at, e.message);
        }
    }
}

fn template_value(cx: &mut Ctx<'_>, v: &Value, at: &Loc, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k.ends_with(".$") {
                    template_dollar_member(cx, k, child, at);
                } else {
                    template_value(cx, child, &at.key(k), depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                template_value(cx, child, &at.index(i), depth + 1);
            }
        }
        _ => {}
    }
}

/// A `key.$` member; AWS reports it at the object holding it.
fn template_dollar_member(cx: &mut Ctx<'_>, key: &str, value: &Value, holder: &Loc) {
    let ok = match value {
        Value::String(s) => path_or_intrinsic(s),
        _ => false,
    };
    if !ok {
        cx.schema(
            holder,
            format!(
                "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic \
                 function call"
            ),
        );
    }
}

/// `Assign`: variable names, and their values (a payload template in JSONPath, JSONata
/// expressions in JSONata).
pub(super) fn assign(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let Some(v) = obj.get("Assign") else { return };
    let at = loc.key("Assign");
    let Value::Object(vars) = v else {
        cx.wrong_type(&at, "OBJECT");
        return;
    };
    for key in vars.keys() {
        let name = match ql {
            Ql::JsonPath => key.strip_suffix(".$").unwrap_or(key),
            Ql::Jsonata => key.as_str(),
        };
        if name == "states" {
            cx.error(
                "RESERVED_VARIABLE_NAME",
                &at,
                "Cannot assign to reserved variable '$states'.".to_string(),
            );
        } else if !is_variable_name(name) {
            cx.error(
                "INVALID_VARIABLE_NAME",
                &at,
                format!("Invalid variable name '{name}': the variable name contains invalid characters."),
            );
        }
    }
    match ql {
        Ql::JsonPath => payload_template_field(cx, obj, loc, "Assign"),
        Ql::Jsonata => jsonata_value(cx, v, &at),
    }
}

/// A Unicode identifier (UAX #31: `ID_Start` then `ID_Continue`), at most 80 long.
pub(super) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    unicode_ident::is_xid_start(first)
        && chars.all(unicode_ident::is_xid_continue)
        && name.encode_utf16().count() <= MAX_VARIABLE_NAME
}

/// Every `{% %}` string anywhere inside `v` must be a valid JSONata expression.
pub(super) fn jsonata_value(cx: &mut Ctx<'_>, v: &Value, at: &Loc) {
    let before = cx.count();
    jsonata_walk(cx, v, at, 0);
    if cx.count() == before {
        if let Err(e) = JsonataTemplate::parse(v) {
            invalid_jsonata(cx, at, &e);
        }
    }
}

fn jsonata_walk(cx: &mut Ctx<'_>, v: &Value, at: &Loc, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match v {
        // Only a string that starts with `{%` is meant as an expression: `" {% x %}"` is text.
        Value::String(s) if s.starts_with("{%") => jsonata_string(cx, v, at),
        Value::Object(m) => {
            for (k, child) in m {
                jsonata_walk(cx, child, &at.key(k), depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                jsonata_walk(cx, child, &at.index(i), depth + 1);
            }
        }
        _ => {}
    }
}

/// A string that must be one JSONata expression, `{% … %}`.
pub(super) fn jsonata_string(cx: &mut Ctx<'_>, v: &Value, at: &Loc) {
    let Value::String(s) = v else {
        cx.wrong_type(at, "STRING");
        return;
    };
    if !jsonata::is_expression(s) {
        cx.schema(
            at,
            "JSONata string must start with {% and end with %}".to_string(),
        );
        return;
    }
    if let Err(e) = JsonataTemplate::parse(v) {
        invalid_jsonata(cx, at, &e);
    }
}

/// A JSONata expression that does not parse: AWS gives the parser's message without its
/// `S0207:`-style code, at the string.
fn invalid_jsonata(cx: &mut Ctx<'_>, at: &Loc, error: &str) {
    let message = match error.split_once(": ") {
        Some((code, rest)) if is_jsonata_code(code) => rest,
        _ => error,
    };
    cx.error("INVALID_JSONATA_EXPRESSION", at, message.to_string());
}

fn is_jsonata_code(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('S' | 'T' | 'D' | 'U'))
        && s.len() == 5
        && chars.all(|c| c.is_ascii_digit())
}

/// A top-level JSONPath Choice rule that passed the structural checks must also be one the
/// engine's rule parser accepts.
pub(super) fn choice_rule_runtime(cx: &mut Ctx<'_>, rule: &Map<String, Value>, at: &Loc) {
    if let Err(e) = crate::choice::Condition::parse(&Value::Object(rule.clone())) {
        cx.schema(at, e);
    }
}

/// An RFC 3339 date-time with an upper-case `T` and a zone (`Z` or `±hh:mm`), and every field in
/// range.
pub(super) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let date_time = digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19);
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    let zone_ok = match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len() && digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6)
        }
        _ => false,
    };
    zone_ok && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}
