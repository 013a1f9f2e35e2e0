//! Values across the seam: `serde_json::Value` to jsonata-core's `JValue` and back, keeping
//! member order, and writing integral numbers as integers (`6`, never `6.0`), as AWS does.
//! Both walks keep their own stack rather than recursing, so a deep value costs heap, not the
//! caller's thread stack.

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

static WHOLE: Reach = Reach::Whole;

/// A container being converted to a `JValue`: the children still to do, and those done.
enum IntoFrame<'a> {
    Array {
        items: std::slice::Iter<'a, Value>,
        reach: &'a Reach,
        out: Vec<JValue>,
        flat: bool,
    },
    Object {
        members: Members<'a>,
        out: IndexMap<String, JValue>,
        key: &'a String,
    },
}

/// The members of an object to convert: all of them, or those a reach names.
enum Members<'a> {
    All(serde_json::map::Iter<'a>),
    Named(
        &'a serde_json::Map<String, Value>,
        std::collections::btree_map::Iter<'a, String, Reach>,
    ),
}

impl<'a> Members<'a> {
    fn next(&mut self) -> Option<(&'a String, &'a Value, &'a Reach)> {
        match self {
            Members::All(iter) => iter.next().map(|(k, v)| (k, v, &WHOLE)),
            Members::Named(object, names) => names
                .by_ref()
                .find_map(|(k, reach)| object.get_key_value(k).map(|(k, v)| (k, v, reach))),
        }
    }
}

impl<'a> IntoFrame<'a> {
    /// Takes the converted child, and gives the next child to convert, if any.
    fn accept(&mut self, child: JValue) -> Option<(&'a Value, &'a Reach)> {
        match self {
            IntoFrame::Array {
                items, reach, out, ..
            } => {
                out.push(child);
                items.next().map(|v| (v, *reach))
            }
            IntoFrame::Object { members, out, key } => {
                out.insert((*key).clone(), child);
                let (k, v, reach) = members.next()?;
                *key = k;
                Some((v, reach))
            }
        }
    }

    fn finish(self) -> JValue {
        match self {
            IntoFrame::Array { out, flat, .. } => JValue::Array(JArray::new_flat(out, flat)),
            IntoFrame::Object { out, .. } => JValue::object(out),
        }
    }
}

/// `$states` as one object of the parts `reach` covers.
pub fn states_to_jvalue(
    states: &crate::jsonata::States<'_>,
    reach: &Reach,
) -> Result<JValue, JsonataError> {
    let mut out = IndexMap::new();
    for (name, value) in states.members() {
        let inner = match reach {
            Reach::Whole => &WHOLE,
            Reach::Members(named) => match named.get(name) {
                Some(inner) => inner,
                None => continue,
            },
        };
        out.insert(name.to_string(), to_jvalue_reach(value, inner)?);
    }
    Ok(JValue::object(out))
}

pub fn to_jvalue(value: &Value) -> Result<JValue, JsonataError> {
    to_jvalue_reach(value, &WHOLE)
}

/// The parts of `value` that `reach` covers: of an object only the members named, of an
/// array each item so narrowed (a named path step maps over arrays); the rest as it is.
pub fn to_jvalue_reach(value: &Value, reach: &Reach) -> Result<JValue, JsonataError> {
    let mut stack: Vec<IntoFrame<'_>> = Vec::new();
    let (mut value, mut reach) = (value, reach);
    loop {
        // Either a leaf (or empty container) is done, or a container is opened and its first
        // child becomes the next value.
        let mut done = match value {
            Value::Null => JValue::Null,
            Value::Bool(b) => JValue::Bool(*b),
            Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => JValue::String(Rc::from(s.as_str())),
            Value::Array(items) => {
                let mut iter = items.iter();
                match iter.next() {
                    None => JValue::Array(JArray::new_flat(Vec::new(), true)),
                    Some(first) => {
                        let flat = !items.iter().any(Value::is_array);
                        let out = Vec::with_capacity(items.len());
                        open(
                            &mut stack,
                            IntoFrame::Array {
                                items: iter,
                                reach,
                                out,
                                flat,
                            },
                        )?;
                        value = first;
                        continue;
                    }
                }
            }
            Value::Object(object) => {
                let mut members = match reach {
                    Reach::Whole => Members::All(object.iter()),
                    Reach::Members(named) => Members::Named(object, named.iter()),
                };
                match members.next() {
                    None => JValue::object(IndexMap::new()),
                    Some((key, first, inner)) => {
                        let out = IndexMap::with_capacity(match reach {
                            Reach::Whole => object.len(),
                            Reach::Members(named) => named.len(),
                        });
                        open(&mut stack, IntoFrame::Object { members, out, key })?;
                        (value, reach) = (first, inner);
                        continue;
                    }
                }
            }
        };
        // Hand finished values up until a container has another child to do.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(done);
            };
            if let Some(next) = top.accept(done) {
                (value, reach) = next;
                break;
            }
            match stack.pop() {
                Some(finished) => done = finished.finish(),
                None => return Err(too_deep()),
            }
        }
    }
}

fn open<'a>(stack: &mut Vec<IntoFrame<'a>>, frame: IntoFrame<'a>) -> Result<(), JsonataError> {
    if stack.len() >= MAX_DEPTH {
        return Err(too_deep());
    }
    stack.push(frame);
    Ok(())
}

/// What an evaluation returned, as JSON. Inside arrays and objects a function or an undefined
/// value is written as `JSON.stringify` writes it: `null` in an array, left out of an object.
pub fn from_jvalue(value: &JValue) -> Result<Evaluated, JsonataError> {
    Ok(match value {
        JValue::Undefined => Evaluated::Undefined,
        v if v.is_function() => Evaluated::Function,
        v => Evaluated::Value(from_jvalue_inner(v)?),
    })
}

/// A container being converted from a `JValue`.
enum FromFrame<'a> {
    Array {
        items: std::slice::Iter<'a, JValue>,
        out: Vec<Value>,
    },
    Object {
        members: indexmap::map::Iter<'a, String, JValue>,
        out: Map<String, Value>,
        key: &'a String,
    },
}

impl<'a> FromFrame<'a> {
    fn accept(&mut self, child: Value) -> Option<&'a JValue> {
        match self {
            FromFrame::Array { items, out } => {
                out.push(child);
                items.next()
            }
            FromFrame::Object { members, out, key } => {
                out.insert((*key).clone(), child);
                let (k, v) = next_member(members)?;
                *key = k;
                Some(v)
            }
        }
    }

    fn finish(self) -> Value {
        match self {
            FromFrame::Array { out, .. } => Value::Array(out),
            FromFrame::Object { out, .. } => Value::Object(out),
        }
    }
}

/// The next member JSON has a place for (not undefined, not a function).
fn next_member<'a>(
    members: &mut indexmap::map::Iter<'a, String, JValue>,
) -> Option<(&'a String, &'a JValue)> {
    members.find(|(_, v)| !matches!(v, JValue::Undefined) && !v.is_function())
}

fn from_jvalue_inner(value: &JValue) -> Result<Value, JsonataError> {
    let mut stack: Vec<FromFrame<'_>> = Vec::new();
    let mut value = value;
    loop {
        let mut done = match value {
            JValue::Bool(b) => Value::Bool(*b),
            JValue::Number(n) => number(*n),
            JValue::String(s) => Value::String(s.to_string()),
            JValue::Array(items) => {
                let mut iter = items.iter();
                match iter.next() {
                    None => Value::Array(Vec::new()),
                    Some(first) => {
                        let out = Vec::with_capacity(items.len());
                        open_from(&mut stack, FromFrame::Array { items: iter, out })?;
                        value = first;
                        continue;
                    }
                }
            }
            JValue::Object(object) => {
                let mut members = object.iter();
                match next_member(&mut members) {
                    None => Value::Object(Map::new()),
                    Some((key, first)) => {
                        let out = Map::with_capacity(object.len());
                        open_from(&mut stack, FromFrame::Object { members, out, key })?;
                        value = first;
                        continue;
                    }
                }
            }
            // Null; and, inside an array, what JSON cannot hold.
            _ => Value::Null,
        };
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(done);
            };
            if let Some(next) = top.accept(done) {
                value = next;
                break;
            }
            match stack.pop() {
                Some(finished) => done = finished.finish(),
                None => return Err(too_deep()),
            }
        }
    }
}

fn open_from<'a>(stack: &mut Vec<FromFrame<'a>>, frame: FromFrame<'a>) -> Result<(), JsonataError> {
    if stack.len() >= MAX_DEPTH {
        return Err(too_deep());
    }
    stack.push(frame);
    Ok(())
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
