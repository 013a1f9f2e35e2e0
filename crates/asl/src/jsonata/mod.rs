//! JSONata as a query language: `{% … %}` expressions in `Arguments`, `Output`, `Assign`,
//! `Items`, `Condition` and the other JSONata fields, evaluated with `$states` and the
//! variables in scope, with AWS's extension functions.
//!
//! AWS runs JSONata 2.0.6 without `$eval` and with `$partition`, `$range`, `$hash`, `$random`
//! (optionally seeded), `$uuid` and `$parse`. The evaluator sits behind
//! [`engine::JsonataEvaluator`]; `$random`, `$uuid` and `$shuffle` draw from the caller's
//! [`Entropy`](crate::vars::Entropy), and `$now` and `$millis` report the time the state was
//! entered (from the context object), so evaluation is deterministic.

mod backend;
mod cause;
pub mod engine;
mod template;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::vars::Vars;

pub use cause::JsonType;
pub use engine::JsonataError;
pub use template::{JsonataExpr, JsonataTemplate, MAX_TEMPLATE_DEPTH};

/// What `$states` and the variables are during one evaluation.
pub struct JsonataEnv<'a> {
    /// The `$states` object: `input`, `context`, and where the phase has them, `result` and
    /// `errorOutput`.
    pub states: &'a Value,
    pub vars: &'a dyn Vars,
}

/// True when `s` is a JSONata expression string: it starts with `{%` and ends with `%}`, with
/// nothing before or after (AWS treats `" {% x %}"` as a plain string).
pub fn is_expression(s: &str) -> bool {
    s.starts_with("{%") && s.ends_with("%}") && s.len() >= 4
}

/// The expression inside a `{% … %}` string, trimmed, as AWS quotes it in causes.
pub fn expression_text(s: &str) -> Option<&str> {
    if !is_expression(s) {
        return None;
    }
    s.get(2..s.len() - 2).map(str::trim)
}
