//! The examples that use task integrations, run through `baton serve --config` with
//! aws-sdk-sfn: `examples/order-processing` (seed 001).

mod support;

use std::path::PathBuf;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::Server;

const ACCOUNT: &str = "123456789012";

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

async fn execute(
    client: &Client,
    machine: &str,
    input: &Value,
) -> (DescribeExecutionOutput, Vec<HistoryEvent>) {
    let arn = client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("start")
        .execution_arn;
    let d = support::server::finished(client, &arn).await;
    let events = client
        .get_execution_history()
        .execution_arn(&arn)
        .max_results(1000)
        .send()
        .await
        .expect("history")
        .events;
    (d, events)
}

fn entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            e.state_entered_event_details
                .as_ref()
                .map(|d| d.name.clone())
        })
        .collect()
}

fn order(id: &str, items: Value, total: f64) -> Value {
    json!({"orderId": id, "customerId": "c-42", "items": items, "totalAmount": total, "status": "PENDING"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_processing_every_path() {
    let dir = example("order-processing");
    let data = tempfile::tempdir().expect("tempdir");
    let config = dir.join("baton.toml");
    let server = Server::start(data.path(), &["--config", config.to_str().expect("utf-8")]);
    let client = server.client(ACCOUNT);
    let definition =
        std::fs::read_to_string(dir.join("order-processing.asl.json")).expect("definition");
    let machine = client
        .create_state_machine()
        .name("orders")
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/baton")
        .send()
        .await
        .expect("create")
        .state_machine_arn;
    // Unique order ids: ProcessPayment counts attempts per order in the temporary folder.
    let run = format!("{}-{}", std::process::id(), support_now());
    let id = |n: &str| format!("{n}-{run}");

    // The happy path: the sample order.
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("order.json")).expect("order.json"))
            .expect("JSON");
    let (d, _) = execute(&client, &machine, &sample).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    let out: Value = serde_json::from_str(d.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(out["status"], "COMPLETED");
    assert_eq!(out["shipmentId"], "ship-o-1001");
    assert_eq!(out["notifications"][0]["sent"], true);
    assert_eq!(out["notifications"][1]["amount"], 35);

    // ValidationError is caught and ends in OrderFailed.
    let bad = order(
        &id("bad"),
        json!([{"productId": "a", "quantity": 1, "price": 5}]),
        99.0,
    );
    let (d, events) = execute(&client, &machine, &bad).await;
    assert_eq!(d.status, ExecutionStatus::Failed, "{d:?}");
    assert_eq!(d.cause.as_deref(), Some("Order processing failed"));
    assert_eq!(entered(&events), ["ValidateOrder", "OrderFailed"]);

    // ServiceError twice, retried with back-off, then paid; a large order needs approval.
    let mut flaky = order(
        &id("flaky"),
        json!([{"productId": "tv", "quantity": 1, "price": 1500}]),
        1500.0,
    );
    flaky["simulate"] = json!({"paymentFailures": 2});
    let (d, events) = execute(&client, &machine, &flaky).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    let failed: Vec<String> = events
        .iter()
        .filter_map(|e| e.lambda_function_failed_event_details.as_ref())
        .map(|f| f.error.clone().unwrap_or_default())
        .collect();
    assert_eq!(failed, ["ServiceError", "ServiceError"]);
    assert!(entered(&events).contains(&"RequireAdditionalApproval".to_string()));

    // Out of stock: the payment is refunded and the execution fails with OutOfStock.
    let soldout = order(
        &id("soldout"),
        json!([{"productId": "SOLDOUT-1", "quantity": 1, "price": 10}]),
        10.0,
    );
    let (d, events) = execute(&client, &machine, &soldout).await;
    assert_eq!(d.status, ExecutionStatus::Failed, "{d:?}");
    assert_eq!(d.error.as_deref(), Some("OutOfStock"));
    let refund: Vec<Value> = events
        .iter()
        .filter_map(|e| e.task_succeeded_event_details.as_ref())
        .filter_map(|s| s.output.as_deref())
        .map(|o| serde_json::from_str(o).expect("JSON"))
        .collect();
    assert_eq!(refund.len(), 1);
    assert_eq!(
        refund[0]["Payload"],
        json!({"orderId": id("soldout"), "refunded": format!("pay-{}", id("soldout")), "amount": 10.0})
    );
}

fn support_now() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
