//! `baton serve` with aws-sdk-sfn over loopback: the main flows end to end, a graceful stop, and
//! crash safety — kill -9 with executions in flight (activity tasks taken and not, Wait states,
//! callbacks, Map iterations, a distributed Map reading and writing storage), restart, finish
//! the work: every execution ends with the result and history it has without a crash; none
//! lost, none doubled.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{create_machine, Server};

const ACCOUNT: &str = "111111111111";

async fn start(client: &Client, machine: &str, name: &str, input: &Value) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("start {name}: {:?}", e.into_service_error()))
        .execution_arn
}

async fn history(client: &Client, arn: &str) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .expect("history");
        events.extend(page.events);
        token = page.next_token;
        if token.is_none() {
            return events;
        }
    }
}

/// How the execution ended: its status and output.
async fn finished(client: &Client, arn: &str) -> (ExecutionStatus, Option<Value>) {
    let d = support::server::finished(client, arn).await;
    let output = d
        .output
        .map(|o| serde_json::from_str(&o).expect("JSON output"));
    (d.status, output)
}

/// The token in a callback task's `TaskScheduled` parameters (`MessageBody.token`).
async fn callback_token(client: &Client, arn: &str) -> String {
    for _ in 0..100 {
        for e in history(client, arn).await {
            if let Some(d) = e.task_scheduled_event_details {
                let p: Value = serde_json::from_str(&d.parameters).expect("parameters");
                return p["MessageBody"]["token"]
                    .as_str()
                    .expect("token")
                    .to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no TaskScheduled for {arn}");
}

/// One activity task, taken with a short poll; `None` when there is none.
async fn take(client: &Client, activity: &str, worker: &str) -> Option<(String, Value)> {
    let out = client
        .get_activity_task()
        .activity_arn(activity)
        .worker_name(worker)
        .send()
        .await
        .expect("poll");
    let token = out.task_token.filter(|t| !t.is_empty())?;
    let input = serde_json::from_str(out.input.as_deref().unwrap_or("null")).expect("input");
    Some((token, input))
}

/// What a worker answers for an input: its `n`, doubled.
fn work(input: &Value) -> Value {
    json!({"doubled": input["n"].as_i64().unwrap_or(0) * 2})
}

async fn complete(client: &Client, token: &str, input: &Value) {
    client
        .send_task_success()
        .task_token(token)
        .output(work(input).to_string())
        .send()
        .await
        .expect("send task success");
}

/// The machines of the crash test, by kind.
fn machines(activity: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "activity",
            json!({"StartAt": "Work", "States": {
                "Work": {"Type": "Task", "Resource": activity, "ResultPath": "$.result", "Next": "Done"},
                "Done": {"Type": "Pass", "End": true}}}),
        ),
        (
            "wait",
            json!({"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 2, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"waited.$": "$.n"}, "End": true}}}),
        ),
        (
            "callback",
            json!({"StartAt": "Ask", "States": {"Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
                "End": true}}}),
        ),
        (
            "map",
            json!({"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                "ItemProcessor": {"StartAt": "Nap", "States": {
                    "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Inc"},
                    "Inc": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": true}}},
                "End": true}}}),
        ),
        (
            // Items read from the server's storage, children on timers, results written back.
            "dmap",
            json!({"StartAt": "Each", "States": {"Each": {
                "Type": "Map",
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": DMAP_BUCKET, "Key.$": "$.key"}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Nap", "States": {
                    "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Inc"},
                    "Inc": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": true}}},
                "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": DMAP_BUCKET, "Prefix": "results"}},
                "End": true}}}),
        ),
    ]
}

/// The bucket the `dmap` machine reads its items from and writes its results to.
const DMAP_BUCKET: &str = "crash-items";

fn input_for(kind: &str, i: i64) -> Value {
    match kind {
        "map" => json!({"items": [i, i + 1, i + 2, i + 3, i + 4]}),
        "dmap" => json!({"key": format!("in-{i}.json")}),
        _ => json!({"n": i}),
    }
}

/// What the crash test compares: status, output, and the history's event types (in order,
/// except for Map, whose iterations may interleave differently from run to run).
#[derive(Debug, PartialEq)]
struct Ending {
    status: ExecutionStatus,
    output: Option<Value>,
    events: Vec<String>,
    /// A distributed Map's child executions, sorted: status, input, output, event types.
    children: Vec<(String, Value, Option<Value>, Vec<String>)>,
}

async fn ending(client: &Client, kind: &str, arn: &str, data: &std::path::Path) -> Ending {
    let (status, mut output) = finished(client, arn).await;
    let mut children = Vec::new();
    if kind == "dmap" {
        let map_run = output.as_ref().and_then(|o| o["MapRunArn"].as_str());
        children = child_endings(client, map_run.expect("a map run")).await;
        // The map run's id differs from run to run: compare what was written under it.
        output = output.map(|o| written_outputs(data, &o));
    }
    let events = history(client, arn).await;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as i64 + 1, "{arn}: event ids run 1, 2, 3…");
    }
    let mut types: Vec<String> = events
        .iter()
        .map(|e| e.r#type.as_str().to_string())
        .collect();
    if kind == "map" || kind == "dmap" {
        types.sort();
    }
    Ending {
        status,
        output,
        events: types,
        children,
    }
}

/// Every child execution of a map run, described, with its history (ids 1, 2, 3…).
async fn child_endings(
    client: &Client,
    map_run: &str,
) -> Vec<(String, Value, Option<Value>, Vec<String>)> {
    let listed = client
        .list_executions()
        .map_run_arn(map_run)
        .send()
        .await
        .expect("children");
    let mut out = Vec::new();
    for child in listed.executions {
        let d = client
            .describe_execution()
            .execution_arn(&child.execution_arn)
            .send()
            .await
            .expect("a child");
        let events = history(client, &child.execution_arn).await;
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                e.id,
                i as i64 + 1,
                "{}: ids run 1, 2, 3…",
                child.execution_arn
            );
        }
        let parse = |t: &str| serde_json::from_str::<Value>(t).expect("JSON");
        out.push((
            d.status.as_str().to_string(),
            parse(d.input.as_deref().unwrap_or("null")),
            d.output.as_deref().map(parse),
            events
                .iter()
                .map(|e| e.r#type.as_str().to_string())
                .collect(),
        ));
    }
    out.sort_by_key(|c| c.1.to_string());
    out
}

/// The children's outputs a distributed Map wrote (its output names the manifest).
fn written_outputs(data: &std::path::Path, output: &Value) -> Value {
    let bucket = data.join("storage").join(DMAP_BUCKET);
    let read = |key: &str| -> Value {
        serde_json::from_slice(&std::fs::read(bucket.join(key)).expect("a written file"))
            .expect("JSON")
    };
    let manifest = read(
        output["ResultWriterDetails"]["Key"]
            .as_str()
            .expect("a manifest key"),
    );
    let file = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("a results file");
    let outputs: Vec<Value> = read(file)
        .as_array()
        .expect("records")
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().expect("an output")).expect("JSON"))
        .collect();
    json!({"written": outputs, "failed": manifest["ResultFiles"]["FAILED"]})
}

/// Runs `per_kind` executions of every kind; with `crash`, kills the server with all of them in
/// flight (some activity tasks already taken) and finishes the work on a restarted server.
async fn run_workload(per_kind: i64, crash: bool) -> BTreeMap<(String, i64), Ending> {
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("storage").join(DMAP_BUCKET);
    std::fs::create_dir_all(&items).unwrap();
    for i in 0..per_kind {
        std::fs::write(
            items.join(format!("in-{i}.json")),
            json!([i, i + 1, i + 2]).to_string(),
        )
        .unwrap();
    }
    let server = Server::start(dir.path(), &["--activity-poll-seconds", "1"]);
    let client = server.client(ACCOUNT);
    let activity = client
        .create_activity()
        .name("crash-work")
        .send()
        .await
        .expect("activity")
        .activity_arn;
    let mut started = Vec::new();
    for (kind, definition) in machines(&activity) {
        let machine = create_machine(&client, kind, &definition).await;
        for i in 0..per_kind {
            let arn = start(
                &client,
                &machine,
                &format!("{kind}-{i}"),
                &input_for(kind, i),
            )
            .await;
            started.push((kind.to_string(), i, arn));
        }
    }
    // Before the crash: half the activity tasks are taken (and not answered), every callback
    // token is read.
    let mut held = Vec::new();
    for _ in 0..per_kind / 2 {
        held.push(take(&client, &activity, "before").await.expect("a task"));
    }
    let mut tokens = Vec::new();
    for (kind, i, arn) in &started {
        if kind == "callback" {
            tokens.push((callback_token(&client, arn).await, json!({"n": i})));
        }
    }
    let (server, client) = if crash {
        server.kill_9();
        let server = Server::start(dir.path(), &["--activity-poll-seconds", "1"]);
        let client = server.client(ACCOUNT);
        (server, client)
    } else {
        (server, client)
    };
    for (token, input) in held.iter().chain(tokens.iter()) {
        complete(&client, token, input).await;
    }
    while let Some((token, input)) = take(&client, &activity, "after").await {
        complete(&client, &token, &input).await;
    }
    let mut endings = BTreeMap::new();
    for (kind, i, arn) in &started {
        endings.insert(
            (kind.clone(), *i),
            ending(&client, kind, arn, dir.path()).await,
        );
    }
    // None lost, none doubled: each machine lists exactly the executions started on it.
    let machines = client.list_state_machines().send().await.unwrap();
    for m in machines.state_machines {
        let listed = client
            .list_executions()
            .state_machine_arn(&m.state_machine_arn)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.executions.len() as i64, per_kind, "{}", m.name);
    }
    assert_eq!(server.terminate().code(), Some(0));
    endings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_and_doubles_nothing() {
    let per_kind = 4;
    let reference = run_workload(per_kind, false).await;
    let crashed = run_workload(per_kind, true).await;
    assert_eq!(reference.len(), crashed.len());
    for (key, expected) in &reference {
        assert_eq!(expected.status, ExecutionStatus::Succeeded, "{key:?}");
        assert_eq!(crashed.get(key), Some(expected), "{key:?}");
    }
    // The outputs are the work's, not just equal to each other.
    assert_eq!(
        reference[&("activity".to_string(), 3)].output,
        Some(json!({"n": 3, "result": {"doubled": 6}}))
    );
    assert_eq!(
        reference[&("map".to_string(), 1)].output,
        Some(json!([{"v": 2}, {"v": 3}, {"v": 4}, {"v": 5}, {"v": 6}]))
    );
    assert_eq!(
        reference[&("dmap".to_string(), 2)].output,
        Some(json!({"written": [{"v": 3}, {"v": 4}, {"v": 5}], "failed": []}))
    );
    let children = &reference[&("dmap".to_string(), 2)].children;
    assert_eq!(children.len(), 3);
    for (n, (status, input, output, events)) in children.iter().enumerate() {
        assert_eq!(status, "SUCCEEDED");
        assert_eq!(*input, json!(2 + n));
        assert_eq!(*output, Some(json!({"v": 3 + n})));
        assert_eq!(events.first().map(String::as_str), Some("ExecutionStarted"));
        assert_eq!(
            events.last().map(String::as_str),
            Some("ExecutionSucceeded")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_drives_a_workflow_and_gets_modeled_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--activity-poll-seconds", "1"]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "hello",
        &json!({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.who)"}, "End": true}}}),
    )
    .await;
    assert_eq!(
        machine,
        "arn:aws:states:us-east-1:111111111111:stateMachine:hello"
    );
    let arn = start(&client, &machine, "first", &json!({"who": "world"})).await;
    let (status, output) = finished(&client, &arn).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, Some(json!({"greeting": "Hello, world!"})));
    let types: Vec<_> = history(&client, &arn)
        .await
        .iter()
        .map(|e| e.r#type.as_str().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let for_execution = client
        .describe_state_machine_for_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(for_execution.definition.contains("Hello, {}!"));

    // Errors arrive as the SDK's modeled variants.
    let err = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("first")
        .input("{}")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_execution_already_exists(), "{err:?}");
    let err = client
        .describe_execution()
        .execution_arn(arn.replace(":first", ":absent"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_execution_does_not_exist(), "{err:?}");
    let err = client
        .create_state_machine()
        .name("broken")
        .definition(r#"{"StartAt": "Nowhere", "States": {}}"#)
        .role_arn("arn:aws:iam::111111111111:role/baton")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_definition(), "{err:?}");
    let err = client
        .start_execution()
        .state_machine_arn(machine.replace(":hello", ":absent"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_state_machine_does_not_exist(), "{err:?}");
    let err = client
        .send_task_success()
        .task_token("nonsense")
        .output("{}")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_token(), "{err:?}");
    assert_eq!(err.message(), Some("Invalid Token: 'Invalid token'"));

    // Another account sees none of this account's machines.
    let other = server.client("222222222222");
    let listed = other.list_state_machines().send().await.unwrap();
    assert!(listed.state_machines.is_empty());
    let err = other
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_state_machine_does_not_exist(), "{err:?}");
    let err = other
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_execution_does_not_exist(), "{err:?}");

    // Ctrl-C / SIGTERM: a clean exit.
    assert_eq!(server.terminate().code(), Some(0));
}

/// `--wait-time-scale 0` (Step Functions Local's `WAIT_TIME_SCALE`): an hour's Wait and ten
/// minutes between retries end at once; the history still has every Wait and retry, at the
/// times they happened. A scale that is no share of a duration stops the server at start.
#[tokio::test]
async fn scaled_time_ends_waits_and_retry_intervals_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &["--wait-time-scale", "0"]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(
        &client,
        "scaled",
        &json!({"StartAt": "Hour", "States": {
            "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "Flaky"},
            "Flaky": {"Type": "Parallel", "Branches": [{"StartAt": "Oops",
                    "States": {"Oops": {"Type": "Fail", "Error": "Oops"}}}],
                "Retry": [{"ErrorEquals": ["Oops"], "IntervalSeconds": 600,
                    "MaxAttempts": 2, "BackoffRate": 1}],
                "Catch": [{"ErrorEquals": ["Oops"], "Next": "Done"}], "End": true},
            "Done": {"Type": "Succeed"}}}),
    )
    .await;
    let arn = start(&client, &machine, "now", &json!({})).await;
    let (status, _) = finished(&client, &arn).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let types: Vec<String> = history(&client, &arn)
        .await
        .iter()
        .map(|e| e.r#type.as_str().to_string())
        .collect();
    assert!(types.contains(&"WaitStateExited".to_string()), "{types:?}");
    let attempts = types
        .iter()
        .filter(|t| *t == "ParallelStateStarted")
        .count();
    assert_eq!(attempts, 3, "the first try and two retries: {types:?}");
    drop(server);

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        // The defaults these tests expect, whatever the shell exports.
        .env_remove("AWS_ACCOUNT_ID")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("SFN_MOCK_CONFIG")
        .arg(dir.path().join("other"))
        .env("WAIT_TIME_SCALE", "-1")
        .output()
        .expect("baton serve runs");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("must be a number, zero or more"),
        "{stderr}"
    );
}
