//! Events in: EventBridge deliveries survive the node (a delivery stored by a node that died,
//! its lease run out, is made by the next server on the store, and a delivered one's record
//! is gone); HTTP triggers start executions with the request's body.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_store::{Op, ServiceResource, Store, WriteBatch};
use serde_json::{json, Value};
use support::server::{contiguous_minutes, create_machine, exchange, json_post, rest_call, Server};

const ACCOUNT: &str = "123456789012";

fn events_call(server: &Server, op: &str, body: &Value) -> Value {
    let (status, answer) = json_post(&server.endpoint, &format!("AWSEvents.{op}"), body);
    assert_eq!(status, 200, "{op}: {answer}");
    answer
}

/// The inputs of the machine's executions, once there are `count` (or after a minute).
async fn inputs(client: &aws_sdk_sfn::Client, machine: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut listed = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_executions()
                .state_machine_arn(machine)
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .expect("listed");
            token = page.next_token().map(str::to_string);
            listed.extend(page.executions);
            if token.is_none() {
                break;
            }
        }
        if listed.len() >= count || Instant::now() > deadline {
            let mut out = Vec::new();
            for e in listed {
                let described = client
                    .describe_execution()
                    .execution_arn(e.execution_arn)
                    .send()
                    .await
                    .expect("described");
                out.push(serde_json::from_str(described.input().unwrap_or("null")).unwrap());
            }
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The distinct `field`s of the machine's executions' inputs, once there are `count` of them
/// (or after a minute): deliveries are at least once, so an input may start two executions.
async fn distinct_inputs(
    client: &aws_sdk_sfn::Client,
    machine: &str,
    field: &str,
    count: usize,
) -> std::collections::BTreeSet<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen: std::collections::BTreeSet<String> = inputs(client, machine, 0)
            .await
            .iter()
            .map(|input| input[field].to_string())
            .collect();
        if seen.len() >= count || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn stored_deliveries(dir: &std::path::Path) -> Vec<ServiceResource> {
    let store = baton_store_sqlite::SqliteStore::open(dir).expect("the store");
    let store: Arc<dyn Store> = Arc::new(store);
    pollster::block_on(store.service_resources("events:delivery", None)).expect("read")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_of_a_node_that_died_is_made_by_the_next_and_delivered_ones_are_forgotten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "target",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    server.kill_9();

    // A delivery as a node writes it before answering PutEvents, whose node died before
    // making it: its lease ran out.
    {
        let store = baton_store_sqlite::SqliteStore::open(dir.path()).expect("the store");
        let now = chrono::Utc::now().timestamp_millis();
        let record = json!({
            "delivery": {
                "account": ACCOUNT, "region": "us-east-1",
                "rule_arn": format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/r"),
                "target": {"Id": "t", "Arn": machine},
                "input": r#"{"from": "the store"}"#, "event": {}, "hops": 0,
                "attempts": 0, "since": now,
            },
            "node": "a node that died",
            "lease_until": now - 1,
        });
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: ServiceResource {
                kind: "events:delivery".into(),
                arn: format!("arn:aws:events:us-east-1:{ACCOUNT}:delivery/d1"),
                account: ACCOUNT.into(),
                body: record.to_string(),
                version: 1,
            },
            expected: None,
        });
        pollster::block_on(baton_store::Store::commit(&store, batch)).expect("written");
    }

    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    assert_eq!(
        inputs(&client, &machine, 1).await,
        vec![json!({"from": "the store"})]
    );
    // And the deliveries of a PutEvents are made, then forgotten.
    events_call(
        &server,
        "PutRule",
        &json!({"Name": "r", "EventPattern": r#"{"source": ["shop"]}"#}),
    );
    events_call(
        &server,
        "PutTargets",
        &json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": machine, "InputPath": "$.detail"}]}),
    );
    let entries: Vec<Value> = (0..3)
        .map(|n| json!({"Source": "shop", "DetailType": "Order", "Detail": format!("{{\"n\": {n}}}")}))
        .collect();
    let out = events_call(&server, "PutEvents", &json!({ "Entries": entries }));
    assert_eq!(out["FailedEntryCount"], 0);
    assert_eq!(inputs(&client, &machine, 4).await.len(), 4);
    // Records are deleted just after their delivery: give the deletion a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.terminate().success());
    let left = stored_deliveries(dir.path());
    assert!(left.is_empty(), "{left:?}");
}

/// `method path` with `body` on `server`: the status and the answer as JSON.
fn http(server: &Server, method: &str, path: &str, body: &str) -> (u16, Value) {
    let authority = server.endpoint.trim_start_matches("http://");
    let (status, answer) = support::server::exchange(
        authority,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (status, serde_json::from_str(&answer).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn http_triggers_start_executions_with_the_body_as_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("baton.toml");
    std::fs::write(
        &config,
        "[[http_triggers]]\npath = \"/orders\"\nstate_machine = \"orders\"\n\n\
         [[http_triggers]]\npath = \"/quote\"\nmethod = \"PUT\"\nsync = true\n\
         state_machine = \"arn:aws:states:us-east-1:123456789012:stateMachine:quote\"\n",
    )
    .expect("config");
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--config", config.to_str().expect("utf-8")]);
    let client = server.client(ACCOUNT);
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"total.$": "$.total", "ok": true}, "End": true}}});
    let orders = create_machine(&client, "orders", &pass).await;
    client
        .create_state_machine()
        .name("quote")
        .role_arn("arn:aws:iam::123456789012:role/r")
        .definition(pass.to_string())
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .expect("the express machine");

    let (status, answer) = http(&server, "POST", "/orders", r#"{"total": 5}"#);
    assert_eq!(status, 200, "{answer}");
    let arn = answer["executionArn"].as_str().expect("an execution ARN");
    assert!(arn.starts_with(&orders.replace(":stateMachine:", ":execution:")));
    assert!(answer["startDate"].is_number());
    assert_eq!(inputs(&client, &orders, 1).await, vec![json!({"total": 5})]);

    // Synchronous (Express): the execution's result.
    let (status, answer) = http(&server, "PUT", "/quote", r#"{"total": 7}"#);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "SUCCEEDED");
    let output: Value = serde_json::from_str(answer["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"total": 7, "ok": true}));

    // What a route refuses.
    let (status, answer) = http(&server, "POST", "/orders", "not json");
    assert_eq!(status, 400, "{answer}");
    let (status, _) = http(&server, "GET", "/orders", "");
    assert_eq!(status, 405);
    let (status, _) = http(&server, "POST", "/nowhere", "{}");
    assert_eq!(status, 404);
    // An empty body is `{}`.
    let (status, _) = http(&server, "POST", "/orders", "");
    assert_eq!(status, 200);
    assert_eq!(inputs(&client, &orders, 2).await.len(), 2);
    assert!(server.terminate().success());

    // A route on one of the server's own paths is refused when the configuration is read.
    std::fs::write(
        &config,
        "[[http_triggers]]\npath = \"/console/x\"\nstate_machine = \"orders\"\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--config")
        .arg(&config)
        .output()
        .expect("baton serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("a path Baton answers itself"), "{stderr}");
}

fn create_schedule(endpoint: &str, name: &str, target: Value) {
    let (status, out) = rest_call(
        endpoint,
        "POST",
        &format!("/schedules/{name}"),
        &json!({
            "ScheduleExpression": "rate(1 minute)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target,
        }),
    );
    assert_eq!(status, 200, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_neither_loses_nor_doubles_a_tick_across_a_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A scheduled minute is 0.6 s.
    let args = ["--schedule-time-scale", "0.01"];
    let server = Server::start(dir.path(), &args);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "ticks",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    create_schedule(
        &server.endpoint,
        "every-minute",
        json!({"Arn": machine, "RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/r"),
               "Input": r#"{"at": "<aws.scheduler.scheduled-time>"}"#}),
    );
    let before = inputs(&client, &machine, 3).await;
    assert!(before.len() >= 3, "{before:?}");
    server.kill_9();
    // Ticks fall due while no server runs; the next one fires them, each once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let server = Server::start(dir.path(), &args);
    let client = server.client(ACCOUNT);
    let after = inputs(&client, &machine, before.len() + 8).await;
    assert!(after.len() >= before.len() + 8, "{after:?}");
    contiguous_minutes(after.iter().map(|i| &i["at"]));
    // Every invocation made, its delivery record is gone.
    let (status, out) = rest_call(
        &server.endpoint,
        "DELETE",
        "/schedules/every-minute",
        &Value::Null,
    );
    assert_eq!(status, 200, "{out}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.terminate();
    let left = stored_deliveries(dir.path());
    assert!(left.is_empty(), "left: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_put_is_delivered_though_the_node_is_killed_while_delivering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "load",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    events_call(
        &server,
        "PutRule",
        &json!({"Name": "load", "EventPattern": r#"{"source": ["load"]}"#}),
    );
    events_call(
        &server,
        "PutTargets",
        &json!({"Rule": "load", "Targets": [{"Id": "t", "Arn": machine, "InputPath": "$.detail"}]}),
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // 500 events from four clients at once; the node is killed as soon as the last call is
    // answered, its deliveries in flight or still queued.
    const CALLS: usize = 50;
    let endpoint = server.endpoint.clone();
    let putters: Vec<_> = (0..4)
        .map(|c| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || {
                for call in (c..CALLS).step_by(4) {
                    let entries: Vec<Value> = (0..10)
                        .map(|i| {
                            json!({"Source": "load", "DetailType": "Tick",
                            "Detail": format!("{{\"n\": {}}}", call * 10 + i)})
                        })
                        .collect();
                    let (status, out) = json_post(
                        &endpoint,
                        "AWSEvents.PutEvents",
                        &json!({ "Entries": entries }),
                    );
                    assert_eq!(status, 200, "{out}");
                    assert_eq!(out["FailedEntryCount"], 0, "{out}");
                }
            })
        })
        .collect();
    for p in putters {
        p.join().expect("the putters");
    }
    server.kill_9();
    // The next server on the store takes over the deliveries whose lease ran out.
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let seen = distinct_inputs(&client, &machine, "n", CALLS * 10).await;
    let missing: Vec<u64> = (0..(CALLS * 10) as u64)
        .filter(|n| !seen.contains(&n.to_string()))
        .collect();
    assert!(missing.is_empty(), "never delivered: {missing:?}");
}

/// Sends `method path` with `body` to the server's S3 endpoint, unsigned: the status.
fn s3_call(server: &Server, method: &str, path: &str, body: &str) -> u16 {
    let endpoint = server.s3_endpoint();
    let authority = endpoint.trim_start_matches("http://");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(authority, &request).0
}

#[tokio::test(flavor = "multi_thread")]
async fn every_upload_starts_its_workflow_though_the_node_is_killed_as_it_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "uploads",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    assert_eq!(s3_call(&server, "PUT", "/inbox", ""), 200);
    let notifications = "<NotificationConfiguration \
        xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><EventBridgeConfiguration>\
        </EventBridgeConfiguration></NotificationConfiguration>";
    assert_eq!(
        s3_call(&server, "PUT", "/inbox?notification", notifications),
        200
    );
    events_call(
        &server,
        "PutRule",
        &json!({"Name": "uploads", "EventPattern":
            r#"{"source": ["aws.s3"], "detail-type": ["Object Created"]}"#}),
    );
    events_call(
        &server,
        "PutTargets",
        &json!({"Rule": "uploads", "Targets": [
            {"Id": "t", "Arn": machine, "InputPath": "$.detail.object"}]}),
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // 200 uploads from four clients at once; the node is killed as soon as the last is
    // answered: each answer came after its event's deliveries were written.
    const UPLOADS: usize = 200;
    let uploaders: Vec<_> = (0..4)
        .map(|c| {
            let server_s3 = server.s3_endpoint();
            std::thread::spawn(move || {
                let authority = server_s3.trim_start_matches("http://").to_string();
                for n in (c..UPLOADS).step_by(4) {
                    let request = format!(
                        "PUT /inbox/file-{n} HTTP/1.1\r\nHost: {authority}\r\n\
                         Content-Length: 5\r\nConnection: close\r\n\r\nhello"
                    );
                    assert_eq!(exchange(&authority, &request).0, 200);
                }
            })
        })
        .collect();
    for u in uploaders {
        u.join().expect("the uploaders");
    }
    server.kill_9();
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let keys = distinct_inputs(&client, &machine, "key", UPLOADS).await;
    let missing: Vec<usize> = (0..UPLOADS)
        .filter(|n| !keys.contains(&format!("\"file-{n}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "uploads that started nothing: {missing:?}"
    );
    assert_eq!(keys.len(), UPLOADS);
}
