//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, Fail/Task fields): a
//! JSON value whose keys ending in `.$` hold a path, a context path, a variable or an
//! intrinsic call that is evaluated against the input.

use serde_json::Value;

use crate::error::Failure;
use crate::path::PathError;
use crate::vars::{Entropy, Env};

/// A payload template, parsed once when the definition is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: Value,
}

impl Template {
    /// Parses every `.$` value in `source` (recursively, through objects and arrays).
    /// The error names the offending key.
    pub fn parse(source: &Value) -> Result<Template, PathError> {
        let _ = source;
        unimplemented!()
    }

    /// The template as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Builds the value. A definite path that matches nothing fails with `States.Runtime` and
    /// AWS's cause: `The JSONPath '$.x' specified for the field 'key.$' could not be found in
    /// the input '<input as JSON>'` (the engine adds the "An error occurred while executing
    /// the state …" prefix).
    pub fn eval(&self, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
        let _ = (env, entropy);
        unimplemented!()
    }
}
