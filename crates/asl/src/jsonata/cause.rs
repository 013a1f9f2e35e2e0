//! The causes AWS writes when a JSONata expression fails (the engine prefixes them with
//! "An error occurred while executing the state …"), all raised as
//! `States.QueryEvaluationError`.

use std::fmt;

use serde_json::Value;

use super::engine::JsonataError;
use crate::error::{ErrorName, Failure};

/// A JSON type as AWS names it in "Expected 'array', but was 'object'".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonType {
    Null,
    Boolean,
    Number,
    /// A number with no fractional part; only ever expected, never reported as found.
    Integer,
    String,
    Array,
    Object,
}

impl JsonType {
    pub fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }

    /// The type of `value` (numbers are `Number`, integral or not).
    pub fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// Whether `value` is of this type.
    pub fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (JsonType::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (expected, v) => expected == JsonType::of(v),
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn failure(expr: &str, field: &str, what: fmt::Arguments<'_>) -> Failure {
    Failure::new(
        ErrorName::QueryEvaluationError,
        format!("The JSONata expression '{expr}' specified for the field '{field}' {what}"),
    )
}

/// The expression gave `undefined` where a value is needed.
pub fn returned_nothing(expr: &str, field: &str) -> Failure {
    failure(expr, field, format_args!("returned nothing (undefined)."))
}

/// The expression failed; AWS appends JSONata's `code: message`.
pub fn threw(expr: &str, field: &str, error: &JsonataError) -> Failure {
    failure(
        expr,
        field,
        format_args!("threw an error during evaluation. {error}"),
    )
}

/// The expression gave a function, which has no JSON form.
pub fn unsupported_type(expr: &str, field: &str) -> Failure {
    failure(
        expr,
        field,
        format_args!("returned an unsupported result type."),
    )
}

/// The expression gave a value of another type than the field takes.
pub fn unexpected_type(expr: &str, field: &str, expected: JsonType, value: &Value) -> Failure {
    failure(
        expr,
        field,
        format_args!(
            "returned an unexpected result type. Expected '{expected}', but was '{}' for value: {value}",
            JsonType::of(value)
        ),
    )
}
