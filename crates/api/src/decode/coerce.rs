//! Member types, checked as AWS's Java JSON reader checks them: its messages for a value of
//! the wrong JSON type, numbers narrowed to the member's type.

use serde_json::{Number, Value};

use crate::schema::{Kind, Shape};

// AWS's reader reports numbers by their Java class.
const NUMBER_CLASS: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
const START_OF_LIST: &str = "Start of list found where not expected";
const START_OF_STRUCTURE: &str = "Start of structure or map found where not expected.";

/// Checks `value`'s JSON types against `shape`, narrows numbers in place, and drops `null`
/// members of structures. The error is the `SerializationException` message.
pub(super) fn coerce(shape: &Shape, value: &mut Value) -> Result<(), String> {
    match &shape.kind {
        Kind::Structure(members) => {
            let object = match value {
                Value::Object(object) => object,
                Value::Array(_) => return Err(START_OF_LIST.into()),
                _ => return Err("Expected null".into()),
            };
            object.retain(|_, v| !v.is_null());
            for member in members.iter() {
                if let Some(v) = object.get_mut(member.name) {
                    coerce(member.shape, v)?;
                }
            }
            Ok(())
        }
        Kind::List { member, .. } => match value {
            Value::Array(items) => items
                .iter_mut()
                .filter(|item| !item.is_null())
                .try_for_each(|item| coerce(member, item)),
            Value::Object(_) => Err(START_OF_STRUCTURE.into()),
            _ => Err("Expected list or null".into()),
        },
        Kind::Map { value: member, .. } => match value {
            Value::Object(entries) => entries
                .values_mut()
                .filter(|v| !v.is_null())
                .try_for_each(|v| coerce(member, v)),
            Value::Array(_) => Err(START_OF_LIST.into()),
            _ => Err("Expected map or null".into()),
        },
        Kind::String { .. } => match value {
            Value::String(_) => Ok(()),
            other => Err(not_convertible(other, "an String")),
        },
        Kind::Integer { .. } => match value {
            Value::Number(n) => {
                // Java narrows a long to an int by keeping the low 32 bits.
                *value = Value::from(java_long(n) as i32);
                Ok(())
            }
            other => Err(not_convertible(other, "an Integer")),
        },
        Kind::Long { .. } => match value {
            Value::Number(n) => {
                *value = Value::from(java_long(n));
                Ok(())
            }
            other => Err(not_convertible(other, "an Long")),
        },
        Kind::Float { .. } => match value {
            Value::Number(n) => {
                let narrowed = n.as_f64().unwrap_or(0.0) as f32;
                *value = Number::from_f64(f64::from(narrowed)).map_or(Value::Null, Value::Number);
                Ok(())
            }
            other => Err(not_convertible(other, "an Float")),
        },
        Kind::Boolean => match value {
            Value::Bool(_) => Ok(()),
            Value::String(s) => Err(format!("'{s}' can not be converted to an Boolean")),
            other => Err(not_convertible(other, "an Boolean")),
        },
        Kind::Timestamp => match value {
            Value::Number(_) => Ok(()),
            other => Err(not_convertible(other, "an Date")),
        },
    }
}

/// AWS's message for a value its reader cannot turn into `target` ("an Integer").
fn not_convertible(value: &Value, target: &str) -> String {
    match value {
        Value::Array(_) => START_OF_LIST.into(),
        Value::Object(_) => START_OF_STRUCTURE.into(),
        Value::Bool(_) => format!("class java.lang.Boolean can not be converted to {target}"),
        Value::Number(_) => format!("{NUMBER_CLASS} can not be converted to {target}"),
        Value::String(_) => format!("class java.lang.String can not be converted to {target}"),
        Value::Null => format!("null can not be converted to {target}"),
    }
}

/// The number as a Java `long`: fractions truncated, larger values wrapped (or, beyond what
/// a double holds exactly, saturated).
fn java_long(n: &Number) -> i64 {
    if let Some(i) = n.as_i64() {
        i
    } else if let Some(u) = n.as_u64() {
        u as i64
    } else {
        n.as_f64().map_or(0, |f| f.trunc() as i64)
    }
}
