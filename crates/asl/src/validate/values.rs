//! Typed reads of definition fields: each reports a wrong type or an out-of-range value at the
//! field, in AWS's words (`Expected value of type [STRING]`, `Value cannot be empty`, `Value
//! should be one of the following: […]`), and yields the value only when it is usable.

use serde_json::{Map, Value};

use super::ctx::{list, Ctx, Loc, Ql};
use super::syntax;

pub(super) fn string<'v>(
    cx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    loc: &Loc,
    key: &str,
) -> Option<&'v str> {
    match obj.get(key)? {
        Value::String(s) => Some(s),
        _ => {
            cx.wrong_type(&loc.key(key), "STRING");
            None
        }
    }
}

pub(super) fn boolean(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        _ => {
            cx.wrong_type(&loc.key(key), "BOOLEAN");
            None
        }
    }
}

pub(super) fn object<'v>(
    cx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    loc: &Loc,
    key: &str,
) -> Option<&'v Map<String, Value>> {
    match obj.get(key)? {
        Value::Object(m) => Some(m),
        _ => {
            cx.wrong_type(&loc.key(key), "OBJECT");
            None
        }
    }
}

/// An array; with `non_empty`, an empty one is reported (and still returned).
pub(super) fn array<'v>(
    cx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    loc: &Loc,
    key: &str,
    non_empty: bool,
) -> Option<&'v Vec<Value>> {
    match obj.get(key)? {
        Value::Array(a) => {
            if non_empty && a.is_empty() {
                cx.schema(&loc.key(key), "Value cannot be empty".to_string());
            }
            Some(a)
        }
        _ => {
            cx.wrong_type(&loc.key(key), "ARRAY");
            None
        }
    }
}

/// A string among `allowed`.
pub(super) fn enumeration<'v>(
    cx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    loc: &Loc,
    key: &str,
    allowed: &[&str],
) -> Option<&'v str> {
    match obj.get(key)?.as_str() {
        Some(s) if allowed.contains(&s) => Some(s),
        Some(_) => {
            cx.schema(
                &loc.key(key),
                format!("Value should be one of the following: {}", list(allowed)),
            );
            None
        }
        None => {
            cx.wrong_type(&loc.key(key), "STRING");
            None
        }
    }
}

/// An integer in `min..=max`. Jackson keeps `1.0` a floating-point node, so it is not an
/// integer here either.
pub(super) fn integer(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
    min: i64,
    max: i64,
) -> Option<i64> {
    let v = obj.get(key)?;
    check_integer(cx, v, &loc.key(key), min, max)
}

pub(super) fn check_integer(
    cx: &mut Ctx<'_>,
    v: &Value,
    at: &Loc,
    min: i64,
    max: i64,
) -> Option<i64> {
    let n = match v {
        Value::Number(n) if n.is_i64() => n.as_i64(),
        // Beyond i64: certainly above any maximum used here.
        Value::Number(n) if n.is_u64() => Some(i64::MAX),
        _ => None,
    };
    let Some(n) = n else {
        cx.wrong_type(at, "INTEGER");
        return None;
    };
    range(
        cx,
        at,
        n as f64,
        min as f64,
        max as f64,
        &min.to_string(),
        &max.to_string(),
    )
    .then_some(n)
}

/// A number in `min..=max`.
pub(super) fn number(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
    min: f64,
    max: f64,
) -> Option<f64> {
    let at = loc.key(key);
    let Some(n) = obj.get(key)?.as_f64() else {
        cx.wrong_type(&at, "NUMBER");
        return None;
    };
    range(cx, &at, n, min, max, &fmt_num(min), &fmt_num(max)).then_some(n)
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn range(cx: &mut Ctx<'_>, at: &Loc, n: f64, min: f64, max: f64, lo: &str, hi: &str) -> bool {
    if n < min {
        cx.schema(at, format!("Value should be greater than or equal to {lo}"));
        false
    } else if n > max {
        cx.schema(at, format!("Value should be less than or equal to {hi}"));
        false
    } else {
        true
    }
}

/// A number field that a JSONata state may also give as a `{% %}` expression. Returns the
/// value when it is a literal in range.
pub(super) fn integer_or_expr(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
    ql: Ql,
    min: i64,
    max: i64,
) -> Option<i64> {
    let v = obj.get(key)?;
    if ql == Ql::Jsonata {
        if let Value::String(_) = v {
            syntax::jsonata_string(cx, v, &loc.key(key));
            return None;
        }
    }
    integer(cx, obj, loc, key, min, max)
}

/// Like [`integer_or_expr`] for non-integral numbers.
pub(super) fn number_or_expr(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    key: &str,
    ql: Ql,
    min: f64,
    max: f64,
) -> Option<f64> {
    let v = obj.get(key)?;
    if ql == Ql::Jsonata {
        if let Value::String(_) = v {
            syntax::jsonata_string(cx, v, &loc.key(key));
            return None;
        }
    }
    number(cx, obj, loc, key, min, max)
}
