//! A Task's parameters checked against an operation's input, as Step Functions checks them for
//! its AWS SDK integrations before calling (it reads them into the AWS SDK for Java 2.x's
//! request object): each field must be a member of its structure, each value of its member's
//! JSON type. Lengths, ranges, patterns, required members and enum values are the service's to
//! check, as the Java SDK leaves them to it.

use serde_json::{Map, Value};

use super::{timestamp, Cx, ParamError};
use crate::model::{Shape, ShapeRef};
use crate::names::member_name;

/// The top-level parameters against the input structure.
pub(crate) fn structure(
    cx: &Cx<'_>,
    shape: &Shape,
    object: &Map<String, Value>,
) -> Result<(), ParamError> {
    for (key, value) in object {
        let r = member(shape, key).ok_or_else(|| ParamError::UnknownField(key.clone()))?;
        check(cx, r, value, key)?;
    }
    Ok(())
}

/// `object` with JSON given for a text member replaced by its JSON text: Step Functions
/// serialises it implicitly (recorded from AWS: `aws-sdk:sfn:startExecution` with `"Input":
/// {"key": "value"}` succeeds, `services-sfn-start-execution-implicit-json-serialisation`).
pub(crate) fn text_members(
    cx: &Cx<'_>,
    shape: &Shape,
    object: &Map<String, Value>,
) -> Map<String, Value> {
    object
        .iter()
        .map(|(key, value)| {
            let value = match member(shape, key).and_then(|r| cx.shape_of(r).ok()) {
                Some(s) => text_value(cx, s, value),
                None => value.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

fn text_value(cx: &Cx<'_>, shape: &Shape, value: &Value) -> Value {
    match (shape.kind.as_str(), value) {
        ("string", Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_))
            if !shape.document =>
        {
            Value::String(value.to_string())
        }
        ("structure", Value::Object(object)) => Value::Object(text_members(cx, shape, object)),
        ("list", Value::Array(items)) => {
            match shape.member.as_deref().and_then(|m| cx.shape_of(m).ok()) {
                Some(member) => {
                    Value::Array(items.iter().map(|v| text_value(cx, member, v)).collect())
                }
                None => value.clone(),
            }
        }
        ("map", Value::Object(entries)) => {
            match shape.value.as_deref().and_then(|m| cx.shape_of(m).ok()) {
                Some(inner) => Value::Object(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), text_value(cx, inner, v)))
                        .collect(),
                ),
                None => value.clone(),
            }
        }
        _ => value.clone(),
    }
}

/// The member of `shape` whose Step Functions name is `key`.
pub(crate) fn member<'s>(shape: &'s Shape, key: &str) -> Option<&'s ShapeRef> {
    shape
        .members
        .iter()
        .find(|(name, _)| member_name(name) == key)
        .map(|(_, r)| r)
}

/// `value` against the member `r`; `field` is the top-level field it is within.
fn check(cx: &Cx<'_>, r: &ShapeRef, value: &Value, field: &str) -> Result<(), ParamError> {
    if value.is_null() {
        return Ok(());
    }
    let shape = cx.shape_of(r)?;
    let wrong = || ParamError::InvalidFormat(field.to_string());
    if shape.document || r.json_value {
        return Ok(());
    }
    match shape.kind.as_str() {
        "structure" => {
            let Value::Object(object) = value else {
                return Err(wrong());
            };
            for (key, value) in object {
                let r = member(shape, key).ok_or_else(|| ParamError::UnknownField(key.clone()))?;
                check(cx, r, value, field)?;
            }
        }
        "list" => {
            let Value::Array(items) = value else {
                return Err(wrong());
            };
            let member = shape.member.as_deref().ok_or_else(wrong)?;
            for item in items {
                check(cx, member, item, field)?;
            }
        }
        "map" => {
            let Value::Object(entries) = value else {
                return Err(wrong());
            };
            let member = shape.value.as_deref().ok_or_else(wrong)?;
            for item in entries.values() {
                check(cx, member, item, field)?;
            }
        }
        kind => {
            let fits = match kind {
                "string" | "blob" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" | "long" | "short" | "byte" => {
                    value.is_i64()
                        || value.is_u64()
                        || value.as_f64().is_some_and(|f| f.fract() == 0.0)
                }
                "float" | "double" | "bigdecimal" | "biginteger" => value.is_number(),
                "timestamp" => timestamp::from_param(value).is_some(),
                _ => true,
            };
            if !fits {
                return Err(wrong());
            }
        }
    }
    Ok(())
}
