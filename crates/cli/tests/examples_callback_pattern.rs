//! `examples/callback-pattern` (seed 002): three Node.js handlers, SimulatedApi, CreateJob (the
//! `.waitForTaskToken` Task, which invokes SimulatedApi through the AWS SDK's Lambda client)
//! and the Poller (which calls SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat through
//! the SDK's Step Functions client), all reaching Baton by the `AWS_ENDPOINT_URL` it gives
//! them. The example is copied to a temporary folder first, so nothing is written into the
//! checkout. `run.sh` does the one `npm ci` and build and runs every path; then every path runs
//! again through `baton serve --config` on the built copy, the Poller invoked by `aws lambda
//! invoke` as run.sh does, with the checks run.sh cannot show: the success path, a transient
//! failure retried until MaxAttempts ends in FailedState, a job that never ends caught as
//! `States.Timeout`, idempotent completion (a second SendTaskSuccess answers TaskTimedOut,
//! which the Poller takes as "already done"), and a job id from the input that would name a
//! file outside the tables, which is refused. Without node, npm or the AWS CLI the test skips
//! with the reason, or fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{create_machine, finished, history, Server};

const ACCOUNT: &str = "123456789012";
const FUNCTIONS: [&str; 3] = ["SimulatedApi", "CreateJob", "Poller"];

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/callback-pattern")
}

/// The AWS CLI with dummy credentials (the access key id is the account) and nothing from the
/// shell's AWS settings.
fn aws(args: &[&str]) -> Command {
    let mut cmd = Command::new("aws");
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", ACCOUNT)
        .env("AWS_SECRET_ACCESS_KEY", "baton")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL");
    cmd
}

/// One scan by the Poller, invoked through Baton's Lambda API as run.sh does: the lines it
/// answers, one per job it acted on.
fn poll(endpoint: &str, out: &Path) -> Vec<String> {
    let result = aws(&[
        "lambda",
        "invoke",
        "--endpoint-url",
        endpoint,
        "--function-name",
        "Poller",
        "--output",
        "json",
        out.to_str().expect("utf-8"),
    ])
    .output()
    .expect("aws lambda invoke runs");
    let payload = std::fs::read_to_string(out).unwrap_or_default();
    assert!(
        result.status.success(),
        "aws lambda invoke: {}\n{}\n{payload}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let answer: Value = serde_json::from_slice(&result.stdout).expect("JSON from the CLI");
    assert_eq!(answer["StatusCode"], 200, "{answer}\n{payload}");
    assert!(answer.get("FunctionError").is_none(), "{answer}\n{payload}");
    let payload: Value = serde_json::from_str(&payload).expect("the Poller's JSON answer");
    payload["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a.as_str().expect("a line").to_string())
        .collect()
}

/// The schedule: a scan every half second on a thread of its own until `stop`, every line
/// the Poller answered collected in order.
fn schedule(
    server: &Server,
    dir: &Path,
    stop: Arc<AtomicBool>,
) -> (std::thread::JoinHandle<()>, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let endpoint = server.endpoint.clone();
    let out = dir.join("poll.json");
    let collected = Arc::clone(&lines);
    let handle = std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let actions = poll(&endpoint, &out);
            collected.lock().expect("lines").extend(actions);
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    (handle, lines)
}

async fn start(client: &Client, machine: &str, app: &Path, name: &str) -> String {
    let input =
        std::fs::read_to_string(app.join(format!("inputs/{name}.json"))).expect("example input");
    client
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(input)
        .send()
        .await
        .expect("start")
        .execution_arn
}

/// The errors of the task's failed attempts, in order.
fn task_failures(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e.task_failed_event_details.as_ref())
        .map(|f| f.error.clone().unwrap_or_default())
        .collect()
}

fn entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e.state_entered_event_details.as_ref())
        .map(|d| d.name.clone())
        .collect()
}

/// An item of one of the functions' tables (`jobs`: SimulatedApi's, `task-tokens`: CreateJob's
/// and the Poller's).
fn item(jobs: &Path, table: &str, id: &str) -> Value {
    let path = jobs.join(table).join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON item")
}

fn output(d: &DescribeExecutionOutput) -> Value {
    serde_json::from_str(d.output.as_deref().expect("output")).expect("JSON output")
}

#[test]
fn callback_pattern_every_path() {
    if let Some(why) = support::missing_tools(&["node", "npm", "aws"]) {
        support::skip(&format!(
            "the example needs node, npm and the AWS CLI: {why}"
        ));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("callback-pattern");
    support::copy_example(&example(), &app);

    run_sh(&app);

    let jobs = dir.path().join("jobs");
    let vars: Vec<(String, String)> = FUNCTIONS
        .iter()
        .map(|f| {
            (
                format!("BATON_FUNCTIONS__{f}__ENVIRONMENT__JOBS_DIR"),
                jobs.display().to_string(),
            )
        })
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = app.join("baton.toml");
    let server = Server::start_env(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
        &vars,
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(every_path(&server, &app, &jobs, dir.path()));
}

/// `run.sh` on the copy: it installs and builds the handlers, runs every path and prints each
/// result, then the idempotent completion.
fn run_sh(app: &Path) {
    let out = Command::new("bash")
        .arg(app.join("run.sh"))
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run.sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "run.sh: {}\n{stdout}\n{stderr}",
        out.status
    );
    let result = |name: &str| -> Vec<&str> {
        stdout
            .lines()
            .map(str::split_whitespace)
            .map(|words| words.collect::<Vec<_>>())
            .find(|words| words.first() == Some(&name))
            .unwrap_or_else(|| panic!("no result for {name}:\n{stdout}"))
    };
    let success = result("success");
    assert_eq!(success[1], "SUCCEEDED", "{stdout}");
    let success_output: Value = serde_json::from_str(success[2]).expect("JSON output");
    assert_eq!(success_output["jobId"], "report-1-1", "{stdout}");
    assert_eq!(result("retried")[1], "SUCCEEDED", "{stdout}");
    assert_eq!(
        result("transient-failure")[1..],
        ["FAILED", "JobFailed"],
        "{stdout}"
    );
    assert_eq!(result("never")[1..], ["FAILED", "JobTimedOut"], "{stdout}");
    assert!(
        stdout.contains("poller: report-1-1: SendTaskSuccess"),
        "{stdout}"
    );
    assert!(
        stdout.contains("report-1-1: CLOSED (TaskTimedOut)"),
        "{stdout}"
    );
    // Nothing but the install and the build is written into the copy.
    let mut written: Vec<String> = std::fs::read_dir(app)
        .expect("the copy")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = std::fs::read_dir(example())
        .expect("the example")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "node_modules" && n != "dist")
        .chain(["node_modules".to_string(), "dist".to_string()])
        .collect();
    expected.sort();
    assert_eq!(written, expected);
}

async fn every_path(server: &Server, app: &Path, jobs: &Path, dir: &Path) {
    let client = server.client(ACCOUNT);
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("callback-pattern.asl.json")).expect("definition"),
    )
    .expect("JSON definition");
    let machine = create_machine(&client, "callback-pattern", &definition).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (scheduler, lines) = schedule(server, dir, Arc::clone(&stop));
    let mut arns = Vec::new();
    for name in ["success", "retried", "transient-failure", "never"] {
        arns.push(start(&client, &machine, app, name).await);
    }
    let mut ended = Vec::new();
    for arn in &arns {
        ended.push(finished(&client, arn).await);
    }
    stop.store(true, Ordering::SeqCst);
    scheduler.join().expect("the schedule ends");
    let log = lines.lock().expect("lines").join("\n");
    let [success, retried, failure, never] = &ended[..] else {
        unreachable!("four executions")
    };

    // Success: CreateJob's SDK Invoke reached SimulatedApi, which created the job; the
    // Poller's checks (SDK Invokes too) completed it on its second poll; its SendTaskSuccess
    // ended the task with the job's result, which reaches the output.
    assert_eq!(
        success.status,
        ExecutionStatus::Succeeded,
        "{success:?}\n{log}"
    );
    let result = json!({"jobId": "report-1-1", "status": "COMPLETED", "result": {"records": 42}, "polls": 2});
    assert_eq!(output(success), result);
    let job = item(jobs, "jobs", "report-1-1");
    assert_eq!(
        (&job["status"], &job["pollCount"]),
        (&json!("COMPLETED"), &json!(2))
    );
    let token = item(jobs, "task-tokens", "report-1-1");
    assert_eq!(token["status"], "SUCCEEDED");
    assert_eq!(token["executionId"], json!(arns[0]));
    assert!(log.contains("report-1-1: SendTaskSuccess"), "{log}");
    let events = history(&client, &arns[0]).await;
    let succeeded: Vec<Value> = events
        .iter()
        .filter_map(|e| e.task_succeeded_event_details.as_ref())
        .map(|d| serde_json::from_str(d.output.as_deref().expect("output")).expect("JSON"))
        .collect();
    assert_eq!(succeeded, [result]);

    // One transient failure, retried: the second job completes.
    assert_eq!(
        retried.status,
        ExecutionStatus::Succeeded,
        "{retried:?}\n{log}"
    );
    assert_eq!(output(retried)["jobId"], "report-4-2");
    let events = history(&client, &arns[1]).await;
    assert_eq!(task_failures(&events), ["JobTransientError"]);
    assert_eq!(item(jobs, "jobs", "report-4-1")["status"], "FAILED");
    assert_eq!(item(jobs, "jobs", "report-4-2")["status"], "COMPLETED");

    // Transient failures every time: the first attempt and MaxAttempts (2) retries, each a new
    // job with a new token, then the Catch leads to FailedState.
    assert_eq!(
        failure.status,
        ExecutionStatus::Failed,
        "{failure:?}\n{log}"
    );
    assert_eq!(failure.error.as_deref(), Some("JobFailed"));
    let events = history(&client, &arns[2]).await;
    assert_eq!(task_failures(&events), ["JobTransientError"; 3]);
    assert_eq!(entered(&events), ["CreateJob", "FailedState"]);
    let mut tokens = Vec::new();
    for attempt in 1..=3 {
        let token = item(jobs, "task-tokens", &format!("report-2-{attempt}"));
        assert_eq!(token["status"], "FAILED");
        tokens.push(token["taskToken"].clone());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "a new token for each attempt");

    // A job that never ends: heartbeats keep the task alive until TimeoutSeconds, then
    // States.Timeout is caught and leads to TimeoutState.
    assert_eq!(never.status, ExecutionStatus::Failed, "{never:?}\n{log}");
    assert_eq!(never.error.as_deref(), Some("JobTimedOut"));
    let events = history(&client, &arns[3]).await;
    let timed_out: Vec<String> = events
        .iter()
        .filter_map(|e| e.task_timed_out_event_details.as_ref())
        .map(|t| t.error.clone().unwrap_or_default())
        .collect();
    assert_eq!(timed_out, ["States.Timeout"]);
    assert_eq!(entered(&events), ["CreateJob", "TimeoutState"]);
    assert!(
        log.contains("report-3-1: running (poll 2), SendTaskHeartbeat"),
        "{log}"
    );
    assert_eq!(item(jobs, "jobs", "report-3-1")["status"], "IN_PROGRESS");

    // Idempotent completion: as if the Poller had stopped after its SendTaskSuccess but before
    // recording it, the finished job is COMPLETING again. The next scan sends SendTaskSuccess a
    // second time, Baton answers TaskTimedOut, and the Poller closes the item; the execution
    // does not change.
    let before = history(&client, &arns[0]).await.len();
    let mut token = item(jobs, "task-tokens", "report-1-1");
    token["status"] = json!("COMPLETING");
    std::fs::write(jobs.join("task-tokens/report-1-1.json"), token.to_string())
        .expect("item written");
    let once = poll(&server.endpoint, &dir.join("once.json"));
    assert!(
        once.contains(&"report-1-1: TaskTimedOut: the task has already ended; closed".to_string()),
        "{once:?}"
    );
    let token = item(jobs, "task-tokens", "report-1-1");
    assert_eq!(
        (&token["status"], &token["closedBecause"]),
        (&json!("CLOSED"), &json!("TaskTimedOut"))
    );
    assert_eq!(history(&client, &arns[0]).await.len(), before);
    assert_eq!(
        finished(&client, &arns[0]).await.status,
        ExecutionStatus::Succeeded
    );
    // The timed-out job is closed too (by a heartbeat answered TaskTimedOut); nothing is left
    // pending.
    assert_eq!(item(jobs, "task-tokens", "report-3-1")["status"], "CLOSED");

    // The execution's input is untrusted: a job id that could name a file outside the tables
    // fails CreateJob with ValidationError (caught, FailedState), and SimulatedApi refuses it
    // too when invoked directly; nothing is written outside the tables' folders.
    let input = json!({"jobId": "../escaped", "simulate": {}}).to_string();
    let arn = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("escape")
        .input(input)
        .send()
        .await
        .expect("start")
        .execution_arn;
    let escaped = finished(&client, &arn).await;
    assert_eq!(escaped.error.as_deref(), Some("JobFailed"), "{escaped:?}");
    assert_eq!(
        task_failures(&history(&client, &arn).await),
        ["ValidationError"]
    );
    // `fileb://`: the payload's bytes as they are, for the AWS CLI v1 and v2 alike.
    let payload = dir.join("refused-request.json");
    std::fs::write(
        &payload,
        r#"{"action": "CREATE_JOB", "jobId": "../escaped"}"#,
    )
    .expect("payload written");
    let payload = format!("fileb://{}", payload.display());
    let refused = aws(&[
        "lambda",
        "invoke",
        "--endpoint-url",
        &server.endpoint,
        "--function-name",
        "SimulatedApi",
        "--payload",
        &payload,
        "--output",
        "json",
        dir.join("refused.json").to_str().expect("utf-8"),
    ])
    .output()
    .expect("aws lambda invoke runs");
    let answer: Value = serde_json::from_slice(&refused.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&refused.stderr)));
    assert_eq!(answer["FunctionError"], "Unhandled", "{answer}");
    let error: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("refused.json")).expect("the error"),
    )
    .expect("JSON error");
    assert_eq!(error["errorType"], "ValidationError", "{error}");
    assert!(!jobs.join("escaped.json").exists());
    let mut tables: Vec<String> = std::fs::read_dir(jobs)
        .expect("the tables")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    tables.sort();
    assert_eq!(tables, ["jobs", "task-tokens"]);
}
