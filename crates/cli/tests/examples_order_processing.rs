//! `examples/order-processing` (seed 001): a SAM application whose TypeScript handlers are
//! installed and compiled with the example's own npm scripts, then run by
//! `baton run --template … --state-machine OrderProcessingStateMachine` as Node.js handler
//! functions. The example is copied to a temporary folder first, so nothing is written into the
//! checkout; `run.sh` does the one `npm ci` and build and runs the sample order, and each
//! other path is one more `baton run` on the built copy: ValidationError caught, ServiceError
//! retried, the large-order approval, and the refund when stock is missing. Without node or
//! npm the test skips with the reason, or fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const MACHINE: &str = "OrderProcessingStateMachine";

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/order-processing")
}

fn stdout_of(what: &str, out: &Output) -> String {
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{what}: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One execution of the built copy: `{status, output, error, cause, events}`.
fn run(app: &Path, data: &Path, input: &Value) -> Value {
    let file = data.join("input.json");
    std::fs::write(&file, input.to_string()).expect("input");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("run")
        .arg("--template")
        .arg(app.join("template.yaml"))
        .args(["--state-machine", MACHINE, "--time", "virtual"])
        .args(["--output", "json", "--history"])
        .arg("--input")
        .arg(format!("@{}", file.display()))
        .arg("--data-dir")
        .arg(data.join("baton"))
        .output()
        .expect("baton runs");
    serde_json::from_str(&stdout_of("baton run", &out)).expect("baton run --output json")
}

fn events<'a>(result: &'a Value, kind: &str) -> Vec<&'a Value> {
    result["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

fn entered(result: &Value) -> Vec<String> {
    result["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .map(str::to_string)
        .collect()
}

/// An order of one item (`productId`, `quantity`, `price`) with the total it claims.
fn order(id: &str, (product, quantity, price): (&str, u64, u64), total: u64) -> Value {
    let items = json!([{"productId": product, "quantity": quantity, "price": price}]);
    json!({"orderId": id, "customerId": "c-42", "items": items, "totalAmount": total, "status": "PENDING"})
}

/// A JSON document held in a string field of the history (an output, a cause).
fn parsed(text: &Value) -> Value {
    serde_json::from_str(text.as_str().expect("a string")).expect("JSON")
}

#[test]
fn the_sam_application_runs_every_path_with_its_typescript_handlers() {
    if let Some(why) = support::missing_tools(&["node", "npm"]) {
        support::skip(&why);
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = tmp.path().join("order-processing");
    support::copy_example(&example(), &app);

    // The one command: npm ci, tsc, and the sample order through baton run.
    let out = Command::new(app.join("run.sh"))
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .output()
        .expect("run.sh runs");
    let text = stdout_of("run.sh", &out);
    assert!(out.status.success(), "run.sh:\n{text}");
    for built in [
        "validateOrder",
        "processPayment",
        "fulfillOrder",
        "refundPayment",
    ] {
        assert!(
            app.join(format!("dist/functions/{built}.js")).is_file(),
            "{built}"
        );
    }
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(status.contains(": SUCCEEDED"), "{status}");
    let out: Value = serde_json::from_str(&text).expect("the output is JSON");
    assert_eq!(
        out,
        json!({
            "orderId": "o-1001",
            "status": "COMPLETED",
            "paymentId": "pay-o-1001",
            "shipmentId": "ship-o-1001",
            "notifications": [
                {"to": "c-42", "orderId": "o-1001", "sent": true},
                {"metric": "OrdersCompleted", "amount": 35}
            ]
        })
    );

    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    // Unique order ids: ProcessPayment counts simulated failures per order in the system's
    // temporary folder.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let id = |n: &str| format!("{n}-{}-{nanos}", std::process::id());

    // The handlers' results as the history records them: ValidateOrder's, ProcessPayment's,
    // FulfillOrder's.
    let happy = run(&app, &data, &order(&id("ok"), ("book-1", 2, 15), 30));
    assert_eq!(happy["status"], "SUCCEEDED", "{happy}");
    let results: Vec<Value> = events(&happy, "LambdaFunctionSucceeded")
        .iter()
        .map(|e| parsed(&e["lambdaFunctionSucceededEventDetails"]["output"]))
        .collect();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["VALIDATED", "PAID", "FULFILLED"]);
    assert_eq!(results[2]["paymentId"], format!("pay-{}", id("ok")));
    assert_eq!(results[2]["shipmentId"], format!("ship-{}", id("ok")));
    assert!(!entered(&happy).contains(&"RequireAdditionalApproval".to_string()));

    // ValidationError (the total does not match the items) is caught and ends in OrderFailed.
    let bad = run(&app, &data, &order(&id("bad"), ("a", 1, 5), 99));
    assert_eq!(bad["status"], "FAILED", "{bad}");
    assert_eq!(bad["cause"], "Order processing failed");
    assert_eq!(entered(&bad), ["ValidateOrder", "OrderFailed"]);
    let failed = events(&bad, "LambdaFunctionFailed");
    assert_eq!(failed.len(), 1);
    let details = &failed[0]["lambdaFunctionFailedEventDetails"];
    assert_eq!(details["error"], "ValidationError");
    let cause = parsed(&details["cause"]);
    assert_eq!(
        cause["errorMessage"],
        "Order validation failed: totalAmount 99 does not match the items (5)"
    );

    // ServiceError twice, retried with back-off, then paid; a total over 1000 needs approval.
    let mut flaky = order(&id("flaky"), ("tv", 1, 1500), 1500);
    flaky["simulate"] = json!({"paymentFailures": 2});
    let flaky = run(&app, &data, &flaky);
    assert_eq!(flaky["status"], "SUCCEEDED", "{flaky}");
    let errors: Vec<&Value> = events(&flaky, "LambdaFunctionFailed")
        .iter()
        .map(|e| &e["lambdaFunctionFailedEventDetails"]["error"])
        .collect();
    assert_eq!(errors, ["ServiceError", "ServiceError"]);
    assert_eq!(
        events(&flaky, "LambdaFunctionScheduled").len(),
        5,
        "ValidateOrder, ProcessPayment ×3, FulfillOrder"
    );
    let path = entered(&flaky);
    assert_eq!(
        &path[..5],
        [
            "ValidateOrder",
            "ProcessPayment",
            "CheckAmount",
            "RequireAdditionalApproval",
            "FulfillOrder"
        ]
    );
    let output = parsed(&flaky["output"]);
    assert_eq!(output["status"], "COMPLETED");
    assert_eq!(output["paymentId"], format!("pay-{}", id("flaky")));
    assert_eq!(output["notifications"][1]["amount"], 1500);

    // Out of stock: OutOfStockError caught, the payment refunded, the execution fails with
    // OutOfStock.
    let soldout = run(
        &app,
        &data,
        &order(&id("soldout"), ("SOLDOUT-1", 1, 10), 10),
    );
    assert_eq!(soldout["status"], "FAILED", "{soldout}");
    assert_eq!(soldout["error"], "OutOfStock");
    assert_eq!(
        events(&soldout, "LambdaFunctionFailed")[0]["lambdaFunctionFailedEventDetails"]["error"],
        "OutOfStockError"
    );
    let refunds: Vec<Value> = events(&soldout, "TaskSucceeded")
        .iter()
        .map(|e| parsed(&e["taskSucceededEventDetails"]["output"]))
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0]["Payload"],
        json!({"orderId": id("soldout"), "refunded": format!("pay-{}", id("soldout")), "amount": 10})
    );
    assert_eq!(
        entered(&soldout)[entered(&soldout).len() - 2..],
        ["CompensatePayment", "NotifyOutOfStock"]
    );
}
