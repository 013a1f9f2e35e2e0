//! The JSONata fields whose result must be of one type, one table: each result class
//! (integer, zero, non-integer, negative, a whole number past any count, numeric string, other
//! string, boolean, null, array, object, nothing) for each field, with what the execution
//! does. The rules (the causes are the wording of AWS's recorded executions:
//! `States.QueryEvaluationError` "… returned an unexpected result type. Expected '<type>', but
//! was '<type>' for value: …", "… returned a negative number: …", "… returned nothing
//! (undefined).", and `States.Runtime` "ToleratedFailurePercentage must be between 0 and
//! 100."):
//!
//! * **Counts** (`Seconds`, `MaxConcurrency`, `ToleratedFailureCount`, `MaxItemsPerBatch`,
//!   `MaxInputBytesPerBatch`, the `ItemReader`'s `MaxItems`, `TimeoutSeconds`,
//!   `HeartbeatSeconds`): a whole non-negative number; a negative one is
//!   refused as negative; a whole number past what a Java number holds is no integer.
//! * **`Items`**: an array. **`Condition`**: a boolean. **`ToleratedFailurePercentage`**: a
//!   number, then 0 to 100. **`Timestamp`**: an ISO-8601 string (no class here is one).
//! * **`Output`** takes any JSON value; nothing (`undefined`) fails every field.

mod support;

use baton_engine::Outcome;
use serde_json::{json, Value};

fn run(definition: &Value) -> Outcome {
    support::run(definition, json!({}))
}

/// The expression for each class.
const CLASSES: [(&str, &str); 12] = [
    ("integer", "3"),
    ("zero", "0"),
    ("non-integer", "1.5"),
    ("negative", "-1"),
    ("huge", "1e20"),
    ("numeric string", "'3'"),
    ("string", "'x'"),
    ("boolean", "true"),
    ("null", "null"),
    ("array", "[1]"),
    ("object", "{'a': 1}"),
    ("nothing", "$states.input.missing"),
];

fn machine(states: Value) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": states})
}

fn processor(mode: &str) -> Value {
    json!({"ProcessorConfig": {"Mode": mode, "ExecutionType": "STANDARD"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})
}

/// Field, the definition for an expression, and the class → outcome rule.
type Row = (&'static str, fn(&str) -> Value, fn(&str) -> Expect);

#[derive(Debug, PartialEq)]
enum Expect {
    Succeeds,
    /// The error name and a part of the cause.
    Fails(&'static str, &'static str),
}
use Expect::{Fails, Succeeds};

const QUERY: &str = "States.QueryEvaluationError";
const NOTHING: &str = "returned nothing (undefined).";

fn count(class: &str) -> Expect {
    match class {
        "integer" | "zero" => Succeeds,
        "negative" => Fails(QUERY, "returned a negative number: -1"),
        "nothing" => Fails(QUERY, NOTHING),
        _ => Fails(
            QUERY,
            "returned an unexpected result type. Expected 'integer'",
        ),
    }
}

fn only(class: &str, ok: &str, expected: &'static str) -> Expect {
    match class {
        c if c == ok => Succeeds,
        "nothing" => Fails(QUERY, NOTHING),
        _ => Fails(QUERY, expected),
    }
}

fn rows() -> Vec<Row> {
    vec![
        (
            "Seconds",
            |e| {
                machine(
                    json!({"S": {"Type": "Wait", "Seconds": format!("{{% {e} %}}"), "End": true}}),
                )
            },
            count,
        ),
        (
            "MaxConcurrency",
            |e| {
                machine(json!({"S": {"Type": "Map", "Items": [1], "End": true,
                    "MaxConcurrency": format!("{{% {e} %}}"), "ItemProcessor": processor("INLINE")}}))
            },
            count,
        ),
        (
            "ToleratedFailureCount",
            |e| {
                machine(json!({"S": {"Type": "Map", "Items": [1], "End": true,
                    "ToleratedFailureCount": format!("{{% {e} %}}"),
                    "ItemProcessor": processor("DISTRIBUTED")}}))
            },
            count,
        ),
        (
            "MaxItemsPerBatch",
            |e| {
                machine(json!({"S": {"Type": "Map", "Items": [1], "End": true,
                    "ItemBatcher": {"MaxItemsPerBatch": format!("{{% {e} %}}")},
                    "ItemProcessor": processor("DISTRIBUTED")}}))
            },
            count,
        ),
        (
            "MaxInputBytesPerBatch",
            |e| {
                machine(json!({"S": {"Type": "Map", "Items": [1], "End": true,
                    "ItemBatcher": {"MaxInputBytesPerBatch": format!("{{% {e} %}}")},
                    "ItemProcessor": processor("DISTRIBUTED")}}))
            },
            count,
        ),
        (
            "ItemReader MaxItems",
            |e| {
                machine(json!({"S": {"Type": "Map", "End": true,
                    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "JSON", "MaxItems": format!("{{% {e} %}}")},
                        "Arguments": {"Bucket": "b", "Key": "k"}},
                    "ItemProcessor": processor("DISTRIBUTED")}}))
            },
            count,
        ),
        (
            "TimeoutSeconds",
            |e| {
                machine(
                    json!({"S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": {"FunctionName": "f"}, "End": true,
                    "TimeoutSeconds": format!("{{% {e} %}}")}}),
                )
            },
            count,
        ),
        (
            "HeartbeatSeconds",
            |e| {
                machine(json!({"S": {"Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Arguments": {"FunctionName": "f"}, "End": true,
                    "HeartbeatSeconds": format!("{{% {e} %}}")}}))
            },
            count,
        ),
        (
            "Items",
            |e| {
                machine(
                    json!({"S": {"Type": "Map", "Items": format!("{{% {e} %}}"), "End": true,
                    "ItemProcessor": processor("INLINE")}}),
                )
            },
            |c| only(c, "array", "Expected 'array'"),
        ),
        (
            "Condition",
            |e| {
                machine(json!({"S": {"Type": "Choice", "Default": "Y",
                    "Choices": [{"Condition": format!("{{% {e} %}}"), "Next": "Y"}]},
                    "Y": {"Type": "Succeed"}}))
            },
            |c| only(c, "boolean", "Expected 'boolean'"),
        ),
        (
            "ToleratedFailurePercentage",
            |e| {
                machine(json!({"S": {"Type": "Map", "Items": [1], "End": true,
                    "ToleratedFailurePercentage": format!("{{% {e} %}}"),
                    "ItemProcessor": processor("DISTRIBUTED")}}))
            },
            |c| match c {
                "integer" | "zero" | "non-integer" => Succeeds,
                "negative" | "huge" => Fails(
                    "States.Runtime",
                    "ToleratedFailurePercentage must be between 0 and 100.",
                ),
                "nothing" => Fails(QUERY, NOTHING),
                _ => Fails(QUERY, "Expected 'number'"),
            },
        ),
        (
            "Timestamp",
            |e| {
                machine(
                    json!({"S": {"Type": "Wait", "Timestamp": format!("{{% {e} %}}"), "End": true}}),
                )
            },
            |c| match c {
                "nothing" => Fails(QUERY, NOTHING),
                _ => Fails(
                    QUERY,
                    "cannot be parsed as an ISO-8601 extended offset date-time",
                ),
            },
        ),
        (
            "Output",
            |e| {
                machine(
                    json!({"S": {"Type": "Pass", "Output": format!("{{% {e} %}}"), "End": true}}),
                )
            },
            |c| match c {
                "nothing" => Fails(QUERY, NOTHING),
                _ => Succeeds,
            },
        ),
    ]
}

#[test]
fn every_typed_jsonata_field_by_result_class() {
    let mut failures = Vec::new();
    let mut cells = 0;
    for (field, definition, rule) in rows() {
        for (class, expression) in CLASSES {
            cells += 1;
            let outcome = run(&definition(expression));
            let ok = match rule(class) {
                Succeeds => outcome.status.as_str() == "SUCCEEDED",
                Fails(error, cause) => {
                    outcome.status.as_str() == "FAILED"
                        && outcome.error.as_deref() == Some(error)
                        && outcome.cause.as_deref().is_some_and(|c| c.contains(cause))
                }
            };
            if !ok {
                failures.push(format!(
                    "{field} × {class}: {} {:?} {:?}",
                    outcome.status.as_str(),
                    outcome.error,
                    outcome.cause
                ));
            }
        }
    }
    assert_eq!(cells, 13 * 12);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
