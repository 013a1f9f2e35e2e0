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
mod direct;
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
    pub states: States<'a>,
    pub vars: &'a dyn Vars,
}

/// The `$states` object by its parts: `input`, `context`, and where the phase has them,
/// `result` and `errorOutput`. It is never built as one value: an evaluation reads the parts
/// its expressions reach, where they are.
#[derive(Debug, Clone, Copy)]
pub struct States<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
}

static NULL: Value = Value::Null;

impl<'a> States<'a> {
    /// `$states` with its input and context only.
    pub fn new(input: &'a Value, context: &'a Value) -> States<'a> {
        States {
            input,
            context,
            result: None,
            error_output: None,
        }
    }

    /// The parts of a `$states` object written out as one (`input` and `context` are null
    /// when it has none).
    pub fn of(object: &'a Value) -> States<'a> {
        States {
            input: object.get("input").unwrap_or(&NULL),
            context: object.get("context").unwrap_or(&NULL),
            result: object.get("result"),
            error_output: object.get("errorOutput"),
        }
    }

    /// The member `name` of `$states`, as `$states.name` reads it.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        match name {
            "input" => Some(self.input),
            "context" => Some(self.context),
            "result" => self.result,
            "errorOutput" => self.error_output,
            _ => None,
        }
    }

    /// Every member, in the order `$states` lists them.
    pub fn members(&self) -> impl Iterator<Item = (&'static str, &'a Value)> {
        [
            ("input", Some(self.input)),
            ("context", Some(self.context)),
            ("result", self.result),
            ("errorOutput", self.error_output),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
    }
}

/// True when `s` is a JSONata expression string: it starts with `{%` and ends with `%}`, with
/// nothing before or after (AWS treats `" {% x %}"` as a plain string).
pub fn is_expression(s: &str) -> bool {
    s.starts_with("{%") && s.ends_with("%}") && s.len() >= 4
}

/// True when the `{% %}` expression `s` may read `$states.context` (or `$now()`/`$millis()`,
/// which report the context's entered time). An expression that does not compile counts as
/// reading it.
pub fn reads_context(s: &str) -> bool {
    template::compiled(s).map_or(true, |e| e.reads_context())
}

/// The expression inside a `{% … %}` string, trimmed, as AWS quotes it in causes.
pub fn expression_text(s: &str) -> Option<&str> {
    if !is_expression(s) {
        return None;
    }
    s.get(2..s.len() - 2).map(str::trim)
}
