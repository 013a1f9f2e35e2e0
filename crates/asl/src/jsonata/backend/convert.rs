//! Values across the seam: `serde_json::Value` to jsonata-core's `JValue` and back, keeping
//! member order, and writing integral numbers as integers (`6`, never `6.0`), as AWS does.

use std::rc::Rc;

use indexmap::IndexMap;
use jsonata_core::value::{JArray, JValue};
use serde_json::{Map, Number, Value};

use super::analyze::Reach;
use crate::jsonata::engine::{Evaluated, JsonataError};

/// Deepest value either conversion walks; JSON text that serde_json parses is at most 128 deep.
pub const MAX_DEPTH: usize = 1000;

/// Largest magnitude below which every integral `f64` is exactly an integer (2^53).
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

pub fn to_jvalue(value: &Value) -> Result<JValue, JsonataError> {
    to_jvalue_at(value, 0)
}

fn to_jvalue_at(value: &Value, depth: usize) -> Result<JValue, JsonataError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::String(Rc::from(s.as_str())),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut flat = true;
            for item in items {
                flat &= !item.is_array();
                out.push(to_jvalue_at(item, depth + 1)?);
            }
            JValue::Array(JArray::new_flat(out, flat))
        }
        Value::Object(members) => {
            let mut out = IndexMap::with_capacity(members.len());
            for (k, v) in members {
                out.insert(k.clone(), to_jvalue_at(v, depth + 1)?);
            }
            JValue::object(out)
        }
    })
}

/// The parts of `value` that `reach` covers: of an object only the members named, of an
/// array each item so narrowed (a named path step maps over arrays); the rest as it is.
pub fn to_jvalue_reach(value: &Value, reach: &Reach) -> Result<JValue, JsonataError> {
    to_jvalue_reach_at(value, reach, 0)
}

fn to_jvalue_reach_at(value: &Value, reach: &Reach, depth: usize) -> Result<JValue, JsonataError> {
    let Reach::Members(members) = reach else {
        return to_jvalue_at(value, depth);
    };
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        Value::Object(all) => {
            let mut out = IndexMap::with_capacity(members.len());
            for (name, inner) in members {
                if let Some(v) = all.get(name) {
                    out.insert(name.clone(), to_jvalue_reach_at(v, inner, depth + 1)?);
                }
            }
            JValue::object(out)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut flat = true;
            for item in items {
                flat &= !item.is_array();
                out.push(to_jvalue_reach_at(item, reach, depth + 1)?);
            }
            JValue::Array(JArray::new_flat(out, flat))
        }
        other => to_jvalue_at(other, depth)?,
    })
}

/// What an evaluation returned, as JSON. Inside arrays and objects a function or an undefined
/// value is written as `JSON.stringify` writes it: `null` in an array, left out of an object.
pub fn from_jvalue(value: &JValue) -> Result<Evaluated, JsonataError> {
    Ok(match value {
        JValue::Undefined => Evaluated::Undefined,
        v if v.is_function() => Evaluated::Function,
        v => Evaluated::Value(from_jvalue_at(v, 0)?),
    })
}

fn from_jvalue_at(value: &JValue, depth: usize) -> Result<Value, JsonataError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                out.push(from_jvalue_at(item, depth + 1)?);
            }
            Value::Array(out)
        }
        JValue::Object(members) => {
            let mut out = Map::with_capacity(members.len());
            for (k, v) in members.iter() {
                if !matches!(v, JValue::Undefined) && !v.is_function() {
                    out.insert(k.clone(), from_jvalue_at(v, depth + 1)?);
                }
            }
            Value::Object(out)
        }
        _ => Value::Null,
    })
}

/// A JSONata number as JSON, written as JavaScript writes it where JSON allows: integral
/// values as integers (`-0` as `0`; beyond 2^53 with JavaScript's digits, `12345678901234567000`),
/// others as floats, and the non-finite ones as `null`.
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < EXACT_INTEGER_LIMIT {
        // In range and integral, so the cast is exact.
        return Value::Number(Number::from(n as i64));
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        let digits = super::messages::js_number(n);
        if let Ok(i) = digits.parse::<i64>() {
            return Value::Number(Number::from(i));
        }
        if let Ok(u) = digits.parse::<u64>() {
            return Value::Number(Number::from(u));
        }
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

fn too_deep() -> JsonataError {
    JsonataError::new(
        None,
        format!("The value is nested more than {MAX_DEPTH} levels deep"),
    )
}
