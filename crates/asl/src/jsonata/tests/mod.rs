//! Unit tests of the JSONata layer: the template walk, the bindings, AWS's functions, the
//! causes, jsonata-js's message wording, and that no input makes the compiler panic.

mod causes;
mod direct;
mod functions;
mod messages;
mod robustness;
mod template;

use serde_json::{json, Map, Value};

use super::{JsonataEnv, JsonataTemplate};
use crate::error::Failure;
use crate::vars::SeededEntropy;

/// A `$states` object with a fixed input and a context whose state was entered at
/// 2024-03-05T10:20:30.123Z.
fn states(input: Value) -> Value {
    json!({
        "input": input,
        "context": {
            "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm:run", "StartTime": "2024-03-05T10:20:00.000Z"},
            "State": {"Name": "S", "EnteredTime": "2024-03-05T10:20:30.123Z", "RetryCount": 0}
        }
    })
}

/// Evaluates `template` for `field` with `$states` and `vars`, drawing from a generator seeded
/// with `seed`.
fn eval_with(
    template: &Value,
    field: &str,
    states: &Value,
    vars: &Value,
    seed: u64,
) -> Result<Value, Failure> {
    let template = JsonataTemplate::parse(template).expect("template compiles");
    let empty = Map::new();
    let vars = vars.as_object().unwrap_or(&empty);
    let env = JsonataEnv {
        states: super::States::of(states),
        vars,
    };
    template.eval(field, &env, &mut SeededEntropy::new(seed))
}

/// Evaluates the single expression `expr` (without `{% %}`) with an empty input and no
/// variables.
fn eval_expr(expr: &str) -> Result<Value, Failure> {
    eval_with(
        &json!(format!("{{% {expr} %}}")),
        "Output",
        &states(json!({})),
        &json!({}),
        1,
    )
}
