//! Handler functions end to end through `baton run --config`: a Task whose Resource is the
//! function's Lambda ARN, its custom error caught by name, and a Map of `lambda:invoke` calls
//! served by warm Python processes.

mod support;

use serde_json::{json, Value};

fn have(program: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        support::skip(&format!("{program} is not on PATH"));
    }
    found
}

fn setup(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("dist")).expect("dist");
    std::fs::write(
        dir.join("dist/validateOrder.js"),
        r#"
class ValidationError extends Error {
  constructor(m) { super(m); this.name = 'ValidationError'; }
}
exports.handler = async (order) => {
  console.log('checking order', order.id);
  if (!order.items || order.items.length === 0) {
    throw new ValidationError(`order ${order.id} has no items`);
  }
  return { ...order, valid: true, table: process.env.TABLE };
};
"#,
    )
    .expect("node handler");
    std::fs::create_dir_all(dir.join("py")).expect("py");
    std::fs::write(
        dir.join("py/price.py"),
        "calls = 0\ndef handler(event, context):\n    global calls\n    calls += 1\n    return {'price': event['n'] * 10, 'warm': calls > 1}\n",
    )
    .expect("python handler");
    std::fs::write(
        dir.join("baton.toml"),
        r#"
[functions.validate-order]
runtime = "nodejs20.x"
handler = "validateOrder.handler"
code = "dist"
environment = { TABLE = "orders" }
timeout_seconds = 10

[functions.price]
runtime = "python3.12"
handler = "price.handler"
code = "py"
max_concurrency = 2
"#,
    )
    .expect("config");
    std::fs::write(
        dir.join("order.asl.json"),
        json!({
            "StartAt": "Validate",
            "States": {
                "Validate": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:validate-order",
                    "Catch": [{"ErrorEquals": ["ValidationError"], "ResultPath": "$.error", "Next": "Rejected"}],
                    "Next": "Price"
                },
                "Price": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemProcessor": {
                        "StartAt": "Quote",
                        "States": {
                            "Quote": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": "price", "Payload": {"n.$": "$"}},
                                "OutputPath": "$.Payload.price",
                                "End": true
                            }
                        }
                    },
                    "ResultPath": "$.prices",
                    "End": true
                },
                "Rejected": {"Type": "Pass", "End": true}
            }
        })
        .to_string(),
    )
    .expect("definition");
}

fn run(dir: &std::path::Path, input: Value) -> Value {
    support::baton_in(
        dir,
        &[
            "run",
            "order.asl.json",
            "--config",
            "baton.toml",
            "--input",
            &input.to_string(),
            "--output",
            "json",
            "--data-dir",
            "data",
        ],
    )
    .succeeded_output()
}

#[test]
fn a_handler_task_succeeds_and_its_custom_error_is_caught_by_name() {
    if !have("node") || !have("python3") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp");
    setup(dir.path());
    let out = run(dir.path(), json!({"id": 1, "items": [1, 2, 3, 4, 5, 6]}));
    assert_eq!(out["valid"], true);
    assert_eq!(out["table"], "orders");
    assert_eq!(out["prices"], json!([10, 20, 30, 40, 50, 60]));

    let out = run(dir.path(), json!({"id": 2, "items": []}));
    assert_eq!(out["error"]["Error"], "ValidationError");
    let cause: Value =
        serde_json::from_str(out["error"]["Cause"].as_str().expect("cause")).expect("JSON cause");
    assert_eq!(cause["errorType"], "ValidationError");
    assert_eq!(cause["errorMessage"], "order 2 has no items");
    assert!(cause["trace"].is_array());

    let log = std::fs::read_to_string(dir.path().join("data/logs/functions/validate-order.log"))
        .expect("the function's log");
    assert!(log.contains("INFO\tchecking order 2"), "{log}");
}
