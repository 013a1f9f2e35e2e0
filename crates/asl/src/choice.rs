//! Choice rules in JSONPath mode: comparison operators and their `…Path` forms, `And`, `Or`,
//! `Not`, the type tests, `StringMatches`, timestamp comparisons.

use serde_json::Value;

use crate::error::Failure;
use crate::vars::Env;

/// A Boolean expression of a Choice rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: Value,
}

impl Condition {
    /// Parses one rule object (the top-level rule's `Next` and `Comment`/`Assign`/`Output`
    /// members are ignored here; the model reads them).
    pub fn parse(rule: &Value) -> Result<Condition, String> {
        let _ = rule;
        unimplemented!()
    }

    pub fn eval(&self, env: &Env<'_>) -> Result<bool, Failure> {
        let _ = env;
        unimplemented!()
    }
}
