//! Handler functions through `Functions`: results and errors in the shapes the command kind
//! gives them (so Retry and Catch match custom error names), the Invoke API's raw form, and the
//! list of configured functions.

use std::path::Path;

use baton_integrations::config::Config;
use baton_integrations::functions::{CallContext, FunctionRef, Functions};
use serde_json::{json, Value};

fn have(program: &str) -> bool {
    let found = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let msg = format!("{program} is not on PATH; skipping");
        if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
            panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
        }
        eprintln!("SKIP: {msg}");
    }
    found
}

fn cx() -> CallContext {
    CallContext {
        region: "eu-west-1".into(),
        account: "111111111111".into(),
        endpoint_url: Some("http://127.0.0.1:8083".into()),
        s3_endpoint_url: None,
        service_endpoints: Default::default(),
        keys: None,
        trace: None,
    }
}

fn setup(dir: &Path) -> Functions {
    std::fs::create_dir_all(dir.join("dist")).expect("dist");
    std::fs::write(
        dir.join("dist/orders.js"),
        r#"
class ValidationError extends Error {
  constructor(m) { super(m); this.name = 'ValidationError'; }
}
exports.handler = async (event) => {
  console.log('validating', event.id);
  if (!event.items) throw new ValidationError(`order ${event.id} has no items`);
  return { id: event.id, ok: true, table: process.env.TABLE };
};
"#,
    )
    .expect("handler");
    let text = r#"
        [functions.validate-order]
        runtime = "nodejs20.x"
        handler = "orders.handler"
        code = "dist"
        environment = { TABLE = "orders" }
        timeout_seconds = 5
        max_concurrency = 2

        [functions.Echo]
        command = ["python3", "-c", "import sys; print(sys.stdin.read())"]
        "#;
    let config = Config::parse(text, "test", dir, Vec::new()).expect("valid config");
    Functions::new(&config, Some(dir.join("logs")))
}

#[tokio::test]
async fn a_handler_answers_and_fails_as_a_command_does() {
    if !have("node") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp");
    let functions = setup(dir.path());
    let arn = "arn:aws:lambda:eu-west-1:111111111111:function:validate-order";
    let out = functions
        .invoke_arn(&cx(), arn, &json!({"id": 7, "items": [1]}))
        .await
        .expect("succeeds");
    assert_eq!(out, json!({"id": 7, "ok": true, "table": "orders"}));
    let (error, cause) = functions
        .invoke_arn(&cx(), arn, &json!({"id": 8}))
        .await
        .expect_err("fails");
    assert_eq!(error, "ValidationError");
    let cause: Value = serde_json::from_str(&cause).expect("the cause is the error JSON");
    assert_eq!(cause["errorType"], "ValidationError");
    assert_eq!(cause["errorMessage"], "order 8 has no items");
    let service = functions
        .invoke_service(
            &cx(),
            &json!({"FunctionName": "validate-order", "Payload": {"id": 9, "items": []}}),
        )
        .await
        .expect("succeeds");
    assert_eq!(service["Payload"]["id"], 9);
    assert_eq!(service["StatusCode"], 200);
    let log = std::fs::read_to_string(dir.path().join("logs/validate-order.log")).expect("log");
    assert!(log.contains("INFO\tvalidating 8"), "{log}");
}

#[tokio::test]
async fn invoke_raw_returns_a_function_error_as_a_payload() {
    if !have("node") || !have("python3") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp");
    let functions = setup(dir.path());
    let f = FunctionRef::parse("validate-order").expect("name");
    let raw = functions
        .invoke_raw(&cx(), &f, br#"{"id": 1}"#, true)
        .await
        .expect("reaches the function");
    assert!(raw.function_error);
    assert_eq!(raw.executed_version, "$LATEST");
    let payload: Value = serde_json::from_slice(&raw.payload).expect("JSON");
    assert_eq!(payload["errorType"], "ValidationError");
    let tail = raw.log_tail.expect("tail asked for");
    assert!(
        tail.contains(&format!("\t{}\tINFO\tvalidating 1", raw.request_id)),
        "{tail}"
    );
    let raw = functions
        .invoke_raw(&cx(), &f, br#"{"id": 2, "items": [1]}"#, false)
        .await
        .expect("reaches the function");
    assert!(!raw.function_error);
    assert_eq!(raw.log_tail, None);
    assert_eq!(
        serde_json::from_slice::<Value>(&raw.payload).expect("JSON"),
        json!({"id": 2, "ok": true, "table": "orders"})
    );
    let echo = FunctionRef::parse("Echo").expect("name");
    let raw = functions
        .invoke_raw(&cx(), &echo, br#"{"a": 1}"#, false)
        .await
        .expect("runs");
    assert_eq!(raw.payload, br#"{"a": 1}"#);
    let missing = FunctionRef::parse("nope").expect("name");
    let (error, _) = functions
        .invoke_raw(&cx(), &missing, b"{}", false)
        .await
        .expect_err("unknown");
    assert_eq!(error, "Lambda.ResourceNotFoundException");
}

#[test]
fn the_configured_functions_are_listed() {
    let dir = tempfile::tempdir().expect("temp");
    let functions = setup(dir.path());
    let list = functions.list();
    assert_eq!(functions.names(), ["Echo", "validate-order"]);
    assert_eq!(list[0].kind, "command");
    assert_eq!(list[1].kind, "handler");
    assert_eq!(list[1].runtime.as_deref(), Some("nodejs20.x"));
    assert_eq!(list[1].handler.as_deref(), Some("orders.handler"));
    assert_eq!(list[1].timeout_seconds, 5);
    assert_eq!(list[1].memory_mb, 128);
    assert_eq!(list[1].environment["TABLE"], "orders");
}
