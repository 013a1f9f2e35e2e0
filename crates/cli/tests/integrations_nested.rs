//! Nested executions through `baton serve` with aws-sdk-sfn: `states:startExecution`, `.sync`
//! and `.sync:2` with AWS's result shapes, a failed child caught as `States.TaskFailed`, an
//! unknown child machine, and `.waitForTaskToken` answered by a client holding the child's
//! token.

mod support;

use std::time::Duration;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{create_machine, finished, Server};

const ACCOUNT: &str = "111111111111";
const START: &str = "arn:aws:states:::states:startExecution";

struct Env {
    _dir: tempfile::TempDir,
    _server: Server,
    client: Client,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("baton.toml");
    std::fs::write(&config, "").expect("config written");
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let client = server.client(ACCOUNT);
    Env {
        _dir: dir,
        _server: server,
        client,
    }
}

async fn run(client: &Client, machine: &str, input: Value) -> DescribeExecutionOutput {
    let arn = client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("start")
        .execution_arn;
    finished(client, &arn).await
}

fn output(d: &DescribeExecutionOutput) -> Value {
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    serde_json::from_str(d.output.as_deref().expect("output")).expect("JSON output")
}

/// A child that answers what it was given.
fn echo_child() -> Value {
    json!({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "Parameters": {
        "seen.$": "$.x",
        "parent.$": "$.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"
    }, "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sync_and_sync2_answer_as_aws_does() {
    let env = start();
    let child = create_machine(&env.client, "child", &echo_child()).await;
    let params = json!({
        "StateMachineArn": child,
        "Input": {"x": 1, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
    });
    let parent = create_machine(
        &env.client,
        "parent",
        &json!({"StartAt": "Start", "States": {
            "Start": {"Type": "Task", "Resource": START, "Parameters": params, "ResultPath": "$.start", "Next": "Sync"},
            "Sync": {"Type": "Task", "Resource": format!("{START}.sync"), "Parameters": params, "ResultPath": "$.sync", "Next": "Sync2"},
            "Sync2": {"Type": "Task", "Resource": format!("{START}.sync:2"), "Parameters": params, "ResultPath": "$.sync2", "End": true}
        }}),
    )
    .await;
    let d = run(&env.client, &parent, json!({})).await;
    let parent_arn = d.execution_arn.clone();
    let out = output(&d);

    let started = &out["start"];
    let prefix = format!("arn:aws:states:us-east-1:{ACCOUNT}:execution:child:");
    assert!(
        started["ExecutionArn"]
            .as_str()
            .is_some_and(|a| a.starts_with(&prefix)),
        "{started}"
    );
    assert!(started["StartDate"].is_i64(), "{started}");

    let expected = json!({"seen": 1, "parent": parent_arn});
    let sync = &out["sync"];
    assert_eq!(sync["Status"], "SUCCEEDED", "{sync}");
    assert_eq!(sync["StateMachineArn"], child.as_str());
    assert!(
        sync["StartDate"].is_i64() && sync["StopDate"].is_i64(),
        "{sync}"
    );
    let text: Value = serde_json::from_str(sync["Output"].as_str().expect("Output as text"))
        .expect("Output is JSON text");
    assert_eq!(text, expected);
    assert!(sync["Input"].is_string(), "{sync}");
    assert_eq!(sync["OutputDetails"], json!({"Included": true}));

    let sync2 = &out["sync2"];
    assert_eq!(sync2["Status"], "SUCCEEDED", "{sync2}");
    assert_eq!(sync2["Output"], expected);
    assert_eq!(sync2["Input"]["x"], 1);
    assert!(sync2["ExecutionArn"]
        .as_str()
        .is_some_and(|a| a.starts_with(&prefix)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_child_is_caught_as_task_failed() {
    let env = start();
    let child = create_machine(
        &env.client,
        "failing",
        &json!({"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "bad input"}}}),
    )
    .await;
    let missing = format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:missing");
    let task = |machine: &str, result: &str, next: &str| {
        json!({"Type": "Task", "Resource": format!("{START}.sync:2"),
            "Parameters": {"StateMachineArn": machine, "Input": "{\"from\": \"text\"}"},
            "Catch": [{"ErrorEquals": ["States.TaskFailed", "StepFunctions.StateMachineDoesNotExist"], "ResultPath": result, "Next": next}],
            "Next": next})
    };
    let parent = create_machine(
        &env.client,
        "catcher",
        &json!({"StartAt": "Child", "States": {
            "Child": task(&child, "$.child", "Missing"),
            "Missing": task(&missing, "$.missing", "Done"),
            "Done": {"Type": "Succeed"}
        }}),
    )
    .await;
    let out = output(&run(&env.client, &parent, json!({})).await);

    assert_eq!(out["child"]["Error"], "States.TaskFailed", "{out}");
    let cause: Value = serde_json::from_str(out["child"]["Cause"].as_str().expect("cause"))
        .expect("the cause is the child's description");
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Boom");
    assert_eq!(cause["Cause"], "bad input");
    // A string Input reaches the child as it is.
    assert_eq!(cause["Input"], json!({"from": "text"}));

    assert_eq!(
        out["missing"]["Error"], "StepFunctions.StateMachineDoesNotExist",
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_task_token_ends_by_callback() {
    let env = start();
    let child = create_machine(
        &env.client,
        "worker",
        &json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let parent = create_machine(
        &env.client,
        "waiter",
        &json!({"StartAt": "Child", "States": {"Child": {"Type": "Task",
            "Resource": format!("{START}.waitForTaskToken"),
            "Parameters": {"StateMachineArn": child, "Input": {"token.$": "$$.Task.Token"}},
            "End": true}}}),
    )
    .await;
    let parent_arn = env
        .client
        .start_execution()
        .state_machine_arn(&parent)
        .send()
        .await
        .expect("start")
        .execution_arn;

    // The child carries the token in its input; a client sends it back.
    let mut token = None;
    for _ in 0..600 {
        let listed = env
            .client
            .list_executions()
            .state_machine_arn(&child)
            .send()
            .await
            .expect("list");
        if let Some(e) = listed.executions.first() {
            let d = finished(&env.client, &e.execution_arn).await;
            let input: Value =
                serde_json::from_str(d.input.as_deref().expect("input")).expect("JSON input");
            token = input["token"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.expect("the child started with the token");
    let d = env
        .client
        .describe_execution()
        .execution_arn(&parent_arn)
        .send()
        .await
        .expect("describe");
    assert_eq!(d.status, ExecutionStatus::Running);
    env.client
        .send_task_success()
        .task_token(token)
        .output(json!({"answered": true}).to_string())
        .send()
        .await
        .expect("send task success");
    let d = finished(&env.client, &parent_arn).await;
    assert_eq!(output(&d), json!({"answered": true}));
}

#[test]
fn baton_run_starts_children_on_the_configured_machines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, value: Value| {
        std::fs::write(dir.path().join(name), value.to_string()).expect("written");
    };
    write(
        "child.asl.json",
        json!({"StartAt": "Double", "States": {"Double": {"Type": "Pass",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}),
    );
    write(
        "failing.asl.json",
        json!({"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Child.Broken", "Cause": "no"}}}),
    );
    std::fs::write(
        dir.path().join("baton.toml"),
        "[machines.Child]\ndefinition = \"child.asl.json\"\n[machines.Failing]\ndefinition = \"failing.asl.json\"\n",
    )
    .expect("config written");
    let machine = |name: &str| format!("arn:aws:states:us-east-1:111111111111:stateMachine:{name}");
    write(
        "parent.asl.json",
        json!({"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": format!("{START}.sync:2"),
                "Parameters": {"StateMachineArn": machine("Child"), "Input": {"n.$": "$.n"}},
                "ResultSelector": {"child.$": "$.Output", "status.$": "$.Status"},
                "Next": "Fail"},
            "Fail": {"Type": "Task", "Resource": format!("{START}.sync"),
                "Parameters": {"StateMachineArn": machine("Failing")},
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught", "Next": "Done"}],
                "ResultPath": null, "Next": "Done"},
            "Done": {"Type": "Pass", "End": true}}}),
    );
    let output = support::baton_in(
        dir.path(),
        &[
            "run",
            "parent.asl.json",
            "--input",
            r#"{"n": 21}"#,
            "--output",
            "json",
            "--account",
            "111111111111",
            "--region",
            "us-east-1",
        ],
    )
    .succeeded_output();
    assert_eq!(output["child"], json!({"doubled": 42}));
    assert_eq!(output["status"], "SUCCEEDED");
    assert_eq!(output["caught"]["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(output["caught"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.Broken");

    // A machine whose definition cannot be read: the run does not start.
    std::fs::write(
        dir.path().join("baton.toml"),
        "[machines.Gone]\ndefinition = \"nothing.json\"\n",
    )
    .expect("config written");
    let ran = support::baton_in(dir.path(), &["run", "parent.asl.json", "--output", "json"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("machines.Gone"), "{}", ran.stderr);
}

/// AWS records a `.sync` child's start as `TaskSubmitted` (its answer: `ExecutionArn`,
/// `StartDate`, the SDK metadata) before the task's end (`callback-start-execution-sync` in the
/// mocked corpus). Journaled, it lets a restart wait for that child instead of starting
/// another: killed while the child waits, the parent ends with the one child's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_child_is_submitted_once_and_awaited_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("baton.toml");
    std::fs::write(&config, "").expect("config written");
    let data = dir.path().join("data");
    let args = ["--config", config.to_str().expect("utf-8")];
    let server = Server::start(&data, &args);
    let client = server.client(ACCOUNT);
    let child = create_machine(
        &client,
        "slow-child",
        &json!({"StartAt": "Wait", "States": {
            "Wait": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": {"done": true}, "End": true}
        }}),
    )
    .await;
    let parent = create_machine(
        &client,
        "sync-parent",
        &json!({"StartAt": "Sync", "States": {
            "Sync": {"Type": "Task", "Resource": format!("{START}.sync:2"),
                     "Parameters": {"StateMachineArn": child}, "End": true}
        }}),
    )
    .await;
    let arn = support::server::start(&client, &parent, None).await;
    let submitted = |types: &[aws_sdk_sfn::types::HistoryEventType]| {
        types
            .iter()
            .filter(|t| **t == aws_sdk_sfn::types::HistoryEventType::TaskSubmitted)
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while submitted(&support::server::event_types(&client, &arn).await) == 0 {
        assert!(std::time::Instant::now() < deadline, "no TaskSubmitted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_9();

    let server = Server::start(&data, &args);
    let client = server.client(ACCOUNT);
    let d = finished(&client, &arn).await;
    let out = output(&d);
    assert_eq!(out["Output"], json!({"done": true}), "{out}");
    let types = support::server::event_types(&client, &arn).await;
    assert_eq!(submitted(&types), 1, "{types:?}");
    let children = client
        .list_executions()
        .state_machine_arn(&child)
        .send()
        .await
        .expect("children")
        .executions;
    assert_eq!(children.len(), 1, "one child, awaited after the restart");
    let events = support::server::history(&client, &arn).await;
    let details = events
        .iter()
        .find_map(|e| e.task_submitted_event_details.as_ref())
        .expect("TaskSubmitted details");
    let answer: Value =
        serde_json::from_str(details.output.as_deref().expect("output")).expect("JSON");
    assert_eq!(answer["ExecutionArn"], out["ExecutionArn"]);
    assert!(answer["StartDate"].is_i64() && answer["SdkHttpMetadata"].is_object());
}
