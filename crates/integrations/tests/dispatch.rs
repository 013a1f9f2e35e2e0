//! `Resources`: each resource form reaches its module, callbacks wait for their token, and
//! nothing the configuration does not name is reachable.

use std::path::Path;

use baton_engine::{ExecutionInfo, TaskRequest};
use baton_integrations::config::Config;
use baton_integrations::{Environment, Resources};
use baton_runtime::integration::{Integrations, TaskResult};
use serde_json::{json, Value};

fn resources(data: &Path) -> Resources {
    let fixtures = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let text = r#"
        [functions.Echo]
        command = ["python3", "echo.py"]
        [ecs.math]
        command = ["python3", "task.py"]
    "#;
    let config = Config::parse(text, "test", fixtures, Vec::new()).expect("valid config");
    Resources::new(
        &config,
        Environment {
            endpoint_url: Some("http://127.0.0.1:1".into()),
            s3_endpoint_url: None,
            data_dir: data.to_path_buf(),
        },
    )
}

fn info() -> ExecutionInfo {
    ExecutionInfo::standard("aws", "us-east-1", "111111111111", "machine", "run")
}

fn request(resource: &str, input: Value) -> TaskRequest {
    TaskRequest {
        id: 1,
        state_name: "Step".into(),
        resource: resource.into(),
        input,
        token: None,
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        purpose: Default::default(),
        trace: None,
    }
}

async fn invoke(r: &Resources, resource: &str, input: Value, callback: bool) -> TaskResult {
    r.invoke(&info(), &request(resource, input), callback).await
}

#[tokio::test]
async fn resources_reach_their_module() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = resources(dir.path());
    let TaskResult::Succeeded(out) = invoke(
        &r,
        "arn:aws:lambda:us-east-1:111111111111:function:Echo",
        json!({"a": 1}),
        false,
    )
    .await
    else {
        panic!("a Lambda ARN succeeds")
    };
    assert_eq!(out["event"], json!({"a": 1}));
    assert_eq!(out["env"]["AWS_ENDPOINT_URL"], "http://127.0.0.1:1");

    let TaskResult::Succeeded(out) = invoke(
        &r,
        "arn:aws:states:::lambda:invoke",
        json!({"FunctionName": "Echo", "Payload": {"b": 2}}),
        false,
    )
    .await
    else {
        panic!("lambda:invoke succeeds")
    };
    assert_eq!(out["Payload"]["event"], json!({"b": 2}));

    let TaskResult::Succeeded(out) = invoke(
        &r,
        "arn:aws:states:::ecs:runTask.sync",
        json!({"TaskDefinition": "math"}),
        false,
    )
    .await
    else {
        panic!("ecs:runTask.sync succeeds")
    };
    assert_eq!(out["LastStatus"], "STOPPED");
    // ECS logs live under the data folder.
    let id = out["TaskArn"]
        .as_str()
        .and_then(|a| a.rsplit('/').next())
        .expect("id");
    assert!(dir
        .path()
        .join("logs/ecs")
        .join(format!("{id}.log"))
        .is_file());
    assert_eq!(
        r.ecs_log(id),
        dir.path().join("logs/ecs").join(format!("{id}.log"))
    );
}

#[tokio::test]
async fn callbacks_invoke_then_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = resources(dir.path());
    let result = invoke(
        &r,
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "Echo", "Payload": {"token": "t"}}),
        true,
    )
    .await;
    // The call's answer is what the history's TaskSubmitted shows; the task waits on.
    let TaskResult::Submitted(answer) = result else {
        panic!("submitted: {result:?}")
    };
    assert_eq!(answer["StatusCode"], 200);
    assert_eq!(answer["Payload"]["event"], json!({"token": "t"}));
    // The call itself failing fails the task.
    let result = invoke(
        &r,
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "Nope", "Payload": {}}),
        true,
    )
    .await;
    let TaskResult::Failed { error, .. } = result else {
        panic!("fails: {result:?}")
    };
    assert_eq!(error.as_deref(), Some("Lambda.ResourceNotFoundException"));
    // A service Baton does not serve: the token may still come from a worker.
    let result = invoke(
        &r,
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        json!({}),
        true,
    )
    .await;
    assert_eq!(result, TaskResult::AwaitingCallback);
}

#[tokio::test]
async fn unknown_resources_fail_and_reach_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = resources(dir.path());
    for resource in [
        "arn:aws:states:::sqs:sendMessage",
        "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::sns:publish",
        "arn:aws:states:::ecs:runTask.sync:2",
        "not-an-arn",
    ] {
        let result = invoke(&r, resource, json!({}), false).await;
        let TaskResult::Failed { error, cause } = result else {
            panic!("{resource}: fails, got {result:?}")
        };
        assert_eq!(error.as_deref(), Some("States.Runtime"), "{resource}");
        assert!(
            cause.as_deref().is_some_and(|c| c.contains(resource)),
            "{resource}: {cause:?}"
        );
    }
}
