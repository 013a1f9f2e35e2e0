//! Task integrations through `baton serve --config` with aws-sdk-sfn: command functions as
//! Lambda ARNs and `lambda:invoke`, their errors under Retry and Catch, timeouts, unknown
//! functions, ECS task definitions as processes, unknown resources; and `baton run --config`.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{event_types, http_get, Server};

const ACCOUNT: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/baton";
const LAMBDA: &str = "arn:aws:lambda:us-east-1:111111111111:function:";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../integrations/tests/fixtures")
}

/// A `baton.toml` in `dir` naming the fixture programs.
fn write_config(dir: &Path) -> PathBuf {
    let f = fixtures();
    let f = f.display();
    let text = format!(
        r#"
[functions.Echo]
command = ["python3", "{f}/echo.py"]
[functions.Validate]
command = ["python3", "{f}/fail.py", "ValidationError"]
[functions.Flaky]
command = ["python3", "{f}/flaky.py", "3", "flaky-count"]
[functions.Slow]
command = ["python3", "{f}/sleep.py", "30"]
timeout_seconds = 1
[functions.Sleepy]
command = ["python3", "{f}/sleep.py", "30"]

[ecs.math]
command = ["python3", "{f}/task.py"]
allow_env = ["EXIT_CODE", "INPUT_KEY"]
"#
    );
    let path = dir.join("baton.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

struct Env {
    _dir: tempfile::TempDir,
    server: Server,
    client: Client,
}

fn start() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--config", config.to_str().expect("utf-8")]);
    let client = server.client(ACCOUNT);
    Env {
        _dir: dir,
        server,
        client,
    }
}

/// Creates a machine, runs it with `input` and waits up to 30 s for the end.
async fn run(
    client: &Client,
    name: &str,
    definition: Value,
    input: Value,
) -> DescribeExecutionOutput {
    let machine = client
        .create_state_machine()
        .name(name)
        .definition(definition.to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {:?}", e.into_service_error()))
        .state_machine_arn;
    let arn = client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("start")
        .execution_arn;
    support::server::finished(client, &arn).await
}

fn output(d: &DescribeExecutionOutput) -> Value {
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    serde_json::from_str(d.output.as_deref().expect("output")).expect("JSON output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_arn_and_lambda_invoke_tasks_succeed() {
    let env = start();
    let d = run(
        &env.client,
        "functions",
        json!({"StartAt": "Direct", "States": {
            "Direct": {"Type": "Task", "Resource": format!("{LAMBDA}Echo"), "ResultPath": "$.direct", "Next": "Service"},
            "Service": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Echo", "Payload": {"n.$": "$.n"}},
                "ResultSelector": {"payload.$": "$.Payload", "status.$": "$.StatusCode"},
                "ResultPath": "$.service", "End": true}}}),
        json!({"n": 5}),
    )
    .await;
    let out = output(&d);
    assert_eq!(out["direct"]["event"], json!({"n": 5}));
    assert_eq!(
        out["direct"]["env"]["AWS_ENDPOINT_URL"],
        env.server.endpoint.as_str()
    );
    assert_eq!(out["service"]["payload"]["event"], json!({"n": 5}));
    assert_eq!(out["service"]["status"], 200);
    let types = event_types(&env.client, d.execution_arn.as_str()).await;
    assert!(
        types.contains(&HistoryEventType::LambdaFunctionSucceeded),
        "{types:?}"
    );
    assert!(
        types.contains(&HistoryEventType::TaskSucceeded),
        "{types:?}"
    );
    // Each invocation's stderr, in the function's log, through Baton.
    let endpoint = &env.server.endpoint;
    let (status, log) = http_get(endpoint, "/console/api/logs/functions/Echo");
    assert_eq!(status, 200);
    assert_eq!(log.matches("echo: got an event").count(), 2, "{log}");
    let request_id = log
        .lines()
        .find_map(|l| l.strip_prefix("--- RequestId: "))
        .expect("a request id");
    let one = format!("/console/api/logs/functions/Echo?requestId={request_id}");
    assert_eq!(
        http_get(endpoint, &one),
        (200, "echo: got an event\n".into())
    );
    assert_eq!(
        http_get(endpoint, "/console/api/logs/functions/Nobody").0,
        404
    );
    assert_eq!(http_get(endpoint, "/console/api/logs/functions/a.b").0, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_error_is_caught_by_its_error_type() {
    let env = start();
    let d = run(
        &env.client,
        "catch",
        json!({"StartAt": "Validate", "States": {
            "Validate": {"Type": "Task", "Resource": format!("{LAMBDA}Validate"),
                "Catch": [{"ErrorEquals": ["ValidationError"], "ResultPath": "$.error", "Next": "Rejected"}],
                "End": true},
            "Rejected": {"Type": "Pass", "End": true}}}),
        json!({"message": "no items"}),
    )
    .await;
    let out = output(&d);
    assert_eq!(out["error"]["Error"], "ValidationError");
    let cause: Value =
        serde_json::from_str(out["error"]["Cause"].as_str().expect("cause")).expect("JSON");
    assert_eq!(cause["errorMessage"], "no items");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_on_an_error_type_until_the_function_succeeds() {
    let env = start();
    let d = run(
        &env.client,
        "retry",
        json!({"StartAt": "Pay", "States": {
            "Pay": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "Flaky", "Payload": {}},
                "OutputPath": "$.Payload",
                "Retry": [{"ErrorEquals": ["ServiceError"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}],
                "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(output(&d), json!({"calls": 3}));
    let types = event_types(&env.client, d.execution_arn.as_str()).await;
    let failed = types
        .iter()
        .filter(|t| **t == HistoryEventType::TaskFailed)
        .count();
    assert_eq!(failed, 2, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_of_the_function_and_of_the_state() {
    let env = start();
    let d = run(
        &env.client,
        "timeouts",
        json!({"StartAt": "Own", "States": {
            "Own": {"Type": "Task", "Resource": format!("{LAMBDA}Slow"),
                "Catch": [{"ErrorEquals": ["Sandbox.Timedout"], "ResultPath": "$.own", "Next": "State"}],
                "End": true},
            "State": {"Type": "Task", "Resource": format!("{LAMBDA}Sleepy"), "TimeoutSeconds": 1,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.state", "Next": "Done"}],
                "End": true},
            "Done": {"Type": "Pass", "End": true}}}),
        json!({}),
    )
    .await;
    let out = output(&d);
    assert_eq!(out["own"]["Error"], "Sandbox.Timedout");
    assert!(
        out["own"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("Task timed out after 1.00 seconds")),
        "{out}"
    );
    assert_eq!(out["state"]["Error"], "States.Timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_function_fails_as_lambda_reports_it() {
    let env = start();
    let d = run(
        &env.client,
        "unknown-function",
        json!({"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "NoSuchFunction", "Payload": {}},
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}],
                "End": true},
            "Handled": {"Type": "Pass", "End": true}}}),
        json!({}),
    )
    .await;
    let out = output(&d);
    assert_eq!(out["Error"], "Lambda.ResourceNotFoundException");
    assert!(
        out["Cause"].as_str().is_some_and(|c| c.starts_with(
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:NoSuchFunction:$LATEST (Service: AWSLambda; Status Code: 404"
        )),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_run_task_sync_success_and_non_zero_exit() {
    let env = start();
    let definition = json!({"StartAt": "Calc", "States": {
        "Calc": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
            "Parameters": {"LaunchType": "FARGATE", "Cluster": "calc", "TaskDefinition": "math:3",
                "Overrides": {"ContainerOverrides": [{"Name": "calculator", "Environment": [
                    {"Name": "EXIT_CODE", "Value.$": "$.exit"},
                    {"Name": "INPUT_KEY", "Value": "input/5.json"}]}]}},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Failed"}],
            "End": true},
        "Failed": {"Type": "Pass", "End": true}}});
    let d = run(&env.client, "ecs", definition.clone(), json!({"exit": "0"})).await;
    let task = output(&d);
    assert_eq!(task["LastStatus"], "STOPPED");
    assert_eq!(task["Containers"][0]["ExitCode"], 0);
    // The task's output is in its log, under the data folder.
    let id = task["TaskArn"]
        .as_str()
        .and_then(|a| a.rsplit('/').next())
        .expect("id");
    let log = std::fs::read_to_string(env.server.data_dir.join(format!("logs/ecs/{id}.log")))
        .expect("the task's log");
    assert!(log.contains("\"INPUT_KEY\": \"input/5.json\""), "{log}");
    // The same log through Baton, as the console reads it.
    let endpoint = &env.server.endpoint;
    let (status, served) = http_get(endpoint, &format!("/console/api/logs/ecs/{id}"));
    assert_eq!((status, served.as_str()), (200, log.as_str()));
    assert!(log.contains("task stderr line"), "{log}");
    let other = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        http_get(endpoint, &format!("/console/api/logs/ecs/{other}")).0,
        404
    );
    assert_eq!(
        http_get(endpoint, "/console/api/logs/ecs/..%2F..%2Fbaton.toml").0,
        400
    );
    assert!(
        log.contains(&format!(
            "\"AWS_ENDPOINT_URL\": \"{}\"",
            env.server.endpoint
        )),
        "{log}"
    );

    let machine = d.state_machine_arn;
    let arn = env
        .client
        .start_execution()
        .state_machine_arn(machine)
        .input(json!({"exit": "2"}).to_string())
        .send()
        .await
        .expect("start")
        .execution_arn;
    let mut out = Value::Null;
    for _ in 0..600 {
        let d = env
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .expect("describe");
        if d.status != ExecutionStatus::Running {
            out = output(&d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(out["Error"], "States.TaskFailed", "{out}");
    let stopped: Value =
        serde_json::from_str(out["Cause"].as_str().expect("cause")).expect("the task as JSON");
    assert_eq!(stopped["Containers"][0]["ExitCode"], 2);
    assert_eq!(stopped["StopCode"], "EssentialContainerExited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_resource_fails_the_execution() {
    let env = start();
    let d = run(
        &env.client,
        "unknown-resource",
        json!({"StartAt": "Send", "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": true},
            "Caught": {"Type": "Pass", "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed, "{d:?}");
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert!(
        d.cause
            .as_deref()
            .is_some_and(|c| c.contains("arn:aws:states:::sqs:sendMessage")),
        "{d:?}"
    );
}

/// `baton run DEFINITION --output json --config CONFIG EXTRA…` in `dir`, which must succeed:
/// its JSON result.
fn baton_run(dir: &Path, definition: &Path, config: &Path, extra: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(dir)
        .arg("run")
        .arg(definition)
        .args(extra)
        .args(["--output", "json", "--config"])
        .arg(config)
        .output()
        .expect("baton run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("JSON")
}

#[test]
fn baton_run_with_config_uses_the_functions_and_virtual_time_skips_back_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let definition = dir.path().join("flaky.asl.json");
    std::fs::write(
        &definition,
        json!({"StartAt": "Pay", "States": {
            "Pay": {"Type": "Task", "Resource": format!("{LAMBDA}Flaky"),
                "Retry": [{"ErrorEquals": ["ServiceError"], "IntervalSeconds": 600, "MaxAttempts": 3, "BackoffRate": 2}],
                "End": true}}})
        .to_string(),
    )
    .expect("definition written");
    let started = Instant::now();
    let result = baton_run(dir.path(), &definition, &config, &["--time", "virtual"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"], json!({"calls": 3}).to_string());
}

#[test]
fn baton_run_without_config_reads_items_and_writes_results_in_the_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bucket = dir.path().join("data/storage/numbers");
    std::fs::create_dir_all(&bucket).expect("bucket folder");
    std::fs::write(bucket.join("in.csv"), "n,name\n1,one\n2,two\n3,three\n").expect("object");
    let definition = dir.path().join("map.asl.json");
    std::fs::write(
        &definition,
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "numbers", "Key.$": "$.key"}},
            "ItemSelector": {"name.$": "$$.Map.Item.Value.name", "at.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Same", "States": {"Same": {"Type": "Pass", "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "numbers", "Prefix": "out"}},
            "End": true}}})
        .to_string(),
    )
    .expect("definition written");
    let output = support::baton_in(
        dir.path(),
        &[
            "run",
            "map.asl.json",
            "--input",
            r#"{"key": "in.csv"}"#,
            "--output",
            "json",
            "--data-dir",
            "data",
        ],
    )
    .succeeded_output();
    let manifest_key = output["ResultWriterDetails"]["Key"].as_str().expect("key");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bucket.join(manifest_key)).expect("manifest"))
            .unwrap();
    let file = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("file");
    let records: Vec<Value> =
        serde_json::from_slice(&std::fs::read(bucket.join(file)).expect("results")).unwrap();
    let outputs: Vec<Value> = records
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        outputs,
        vec![
            json!({"name": "one", "at": 0}),
            json!({"name": "two", "at": 1}),
            json!({"name": "three", "at": 2})
        ]
    );
}

/// A `.waitForTaskToken` call that returns is recorded as AWS records it: `TaskScheduled`,
/// `TaskStarted`, `TaskSubmitted` with the call's answer, and after the callback
/// `TaskSucceeded`; the submission survives a kill -9 once, not twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_call_is_submitted_once_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let data = dir.path().join("data");
    let args = ["--config", config.to_str().expect("utf-8")];
    let server = Server::start(&data, &args);
    let client = server.client(ACCOUNT);
    let machine = support::server::create_machine(
        &client,
        "submitted",
        &json!({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "Echo", "Payload": {"token.$": "$$.Task.Token"}},
            "End": true
        }}}),
    )
    .await;
    let arn = support::server::start(&client, &machine, None).await;
    let mut submitted = None;
    for _ in 0..200 {
        submitted = support::server::history(&client, &arn)
            .await
            .into_iter()
            .find(|e| e.r#type == HistoryEventType::TaskSubmitted);
        if submitted.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let submitted = submitted.expect("a TaskSubmitted event");
    let details = submitted
        .task_submitted_event_details
        .expect("taskSubmittedEventDetails");
    assert_eq!(details.resource_type, "lambda");
    assert_eq!(details.resource, "invoke.waitForTaskToken");
    let answer: Value = serde_json::from_str(details.output.as_deref().unwrap()).unwrap();
    assert_eq!(answer["StatusCode"], 200);
    let token = answer["Payload"]["event"]["token"]
        .as_str()
        .expect("the function saw the token")
        .to_string();
    server.kill_9();
    let server = Server::start(&data, &args);
    let client = server.client(ACCOUNT);
    client
        .send_task_success()
        .task_token(token)
        .output(r#"{"done": true}"#)
        .send()
        .await
        .expect("SendTaskSuccess");
    let d = support::server::finished(&client, &arn).await;
    assert_eq!(output(&d), json!({"done": true}));
    let types = event_types(&client, &arn).await;
    use HistoryEventType as T;
    assert_eq!(
        types,
        [
            T::ExecutionStarted,
            T::TaskStateEntered,
            T::TaskScheduled,
            T::TaskStarted,
            T::TaskSubmitted,
            T::TaskSucceeded,
            T::TaskStateExited,
            T::ExecutionSucceeded
        ]
    );
}

/// `baton run` runs the tasks a step schedules together, as `baton serve` does: the two
/// branches of a Parallel call a function that waits until both have arrived, which one at a
/// time could never do.
#[test]
fn baton_run_runs_a_steps_tasks_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let meeting = dir.path().join("meeting");
    let config = dir.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[functions.Meet]\ncommand = [\"python3\", \"{}\", \"{}\", \"2\"]\n",
            fixtures().join("rendezvous.py").display(),
            meeting.display()
        ),
    )
    .expect("config written");
    let branch = |who: &str| {
        let name = format!("Call-{who}");
        json!({"StartAt": name, "States": {name.clone(): {
            "Type": "Task", "Resource": format!("{LAMBDA}Meet"),
            "Parameters": {"who": who}, "End": true}}})
    };
    let definition = dir.path().join("meet.asl.json");
    std::fs::write(
        &definition,
        json!({"StartAt": "Both", "States": {"Both": {
            "Type": "Parallel", "Branches": [branch("a"), branch("b")], "End": true}}})
        .to_string(),
    )
    .expect("definition written");
    let result = baton_run(dir.path(), &definition, &config, &[]);
    let output: Value = serde_json::from_str(result["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!([{"who": "a", "met": true}, {"who": "b", "met": true}])
    );
}

/// However many tasks run at once, at most `MAX_COMMAND_PROCESSES` (64) command-function
/// processes do: 150 iterations of an unbounded Map of a function that watches how many of its
/// kind are running never see more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_functions_run_at_most_64_processes_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crowd = dir.path().join("crowd");
    let config = dir.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[functions.Crowd]\ncommand = [\"python3\", \"{}\", \"{}\", \"64\"]\n",
            fixtures().join("crowd.py").display(),
            crowd.display()
        ),
    )
    .expect("config written");
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let client = server.client(ACCOUNT);
    let d = run(
        &client,
        "crowd",
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": format!("{LAMBDA}Crowd"),
                "OutputPath": "$.over", "End": true}}},
            "End": true}}}),
        json!({"items": vec![0; 150]}),
    )
    .await;
    assert_eq!(output(&d), json!(vec![false; 150]));
}
