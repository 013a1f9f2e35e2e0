//! Runaway definitions through `baton serve` and real clients: an expression that never ends
//! or that allocates without bound fails its execution with `States.QueryEvaluationError`
//! within the step's budget (`--evaluation-budget`, `--evaluation-memory`), whichever API
//! started it (StartExecution, StartSyncExecution, TestState), while `/health` and
//! DescribeStateMachine keep answering; after kill -9, recovery neither hangs nor leaves an
//! execution that cannot be replayed running where nothing can reach it.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{create_machine, finished, http_get, http_post, start, start_named, Server};

const ACCOUNT: &str = "123456789012";
const FOREVER: &str = "{% ($f := function($x){$f($x)}; $f(1)) %}";

fn jsonata_pass(output: &str) -> Value {
    json!({
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": output, "End": true}}
    })
}

/// While `work` runs, keeps asking `/health`, the S3 endpoint (ListBuckets) and
/// DescribeStateMachine; answers how many times all three answered before `work` ended.
async fn answering_meanwhile<T>(
    server: &Server,
    client: &Client,
    machine: &str,
    work: impl std::future::Future<Output = T>,
) -> (T, usize) {
    let done = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let prober = {
        let (done, answered) = (done.clone(), answered.clone());
        let (endpoint, s3, client, machine) = (
            server.endpoint.clone(),
            server.s3_endpoint(),
            client.clone(),
            machine.to_string(),
        );
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let (endpoint, s3) = (endpoint.clone(), s3.clone());
                let (health, buckets) = tokio::task::spawn_blocking(move || {
                    (http_get(&endpoint, "/health"), http_get(&s3, "/"))
                })
                .await
                .expect("probes");
                assert_eq!(health.0, 200, "/health: {health:?}");
                assert_eq!(buckets.0, 200, "S3 ListBuckets: {buckets:?}");
                client
                    .describe_state_machine()
                    .state_machine_arn(&machine)
                    .send()
                    .await
                    .expect("DescribeStateMachine answers");
                if !done.load(Ordering::SeqCst) {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    let out = work.await;
    done.store(true, Ordering::SeqCst);
    prober.await.expect("the prober ran");
    (out, answered.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_ending_expression_fails_its_execution_and_the_server_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--evaluation-budget", "2"]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(&client, "forever", &jsonata_pass(FOREVER)).await;

    // Two at once: each holds a step for its whole budget, and neither holds the server.
    let (arns, answered) = answering_meanwhile(&server, &client, &machine, async {
        tokio::join!(
            start_named(&client, &machine, "one"),
            start_named(&client, &machine, "two")
        )
    })
    .await;
    assert!(
        answered > 0,
        "the server answered nothing while the steps ran"
    );
    for arn in [arns.0, arns.1] {
        let d = finished(&client, &arn).await;
        assert_eq!(d.status, ExecutionStatus::Failed);
        assert_eq!(d.error.as_deref(), Some("States.QueryEvaluationError"));
        let cause = d.cause.unwrap_or_default();
        assert!(cause.contains("budget of 2000 ms"), "{cause}");
    }

    // TestState stops the same way.
    let endpoint = server.endpoint.clone();
    let (sync, answered) = answering_meanwhile(&server, &client, &machine, async {
        let endpoint = endpoint.clone();
        tokio::task::spawn_blocking(move || {
            http_post(
                &endpoint,
                "TestState",
                &json!({
                    "definition": json!({"Type": "Pass", "QueryLanguage": "JSONata",
                        "Output": FOREVER, "End": true}).to_string(),
                    "roleArn": "arn:aws:iam::123456789012:role/baton"
                }),
            )
        })
        .await
        .unwrap()
    })
    .await;
    assert!(answered > 0);
    assert_eq!(sync.0, 200, "{sync:?}");
    assert_eq!(sync.1["status"], "FAILED", "{sync:?}");
    assert_eq!(sync.1["error"], "States.QueryEvaluationError", "{sync:?}");

    // SIGTERM stops the server while runaway steps are in flight.
    let starts: Vec<_> = ["three", "four"]
        .into_iter()
        .map(|name| {
            let (client, machine) = (client.clone(), machine.clone());
            tokio::spawn(async move {
                let _ = client
                    .start_execution()
                    .state_machine_arn(machine)
                    .name(name)
                    .send()
                    .await;
            })
        })
        .collect();
    assert_eq!(http_get(&server.endpoint, "/health").0, 200);
    assert!(server.terminate().success(), "SIGTERM stops the server");
    for start in starts {
        start.await.expect("the client task ends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sync_execution_of_a_never_ending_expression_fails() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--evaluation-budget", "1"]);
    let client = server.client(ACCOUNT);
    let definition = jsonata_pass(FOREVER);
    let machine = client
        .create_state_machine()
        .name("forever-express")
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::111111111111:role/baton")
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .expect("create")
        .state_machine_arn;
    let endpoint = server.endpoint.clone();
    let arn = machine.clone();
    let (sync, answered) = answering_meanwhile(&server, &client, &machine, async move {
        tokio::task::spawn_blocking(move || {
            http_post(
                &endpoint,
                "StartSyncExecution",
                &json!({"stateMachineArn": arn, "input": "{}"}),
            )
        })
        .await
        .unwrap()
    })
    .await;
    assert!(answered > 0);
    assert_eq!(sync.0, 200, "{sync:?}");
    assert_eq!(sync.1["status"], "FAILED", "{sync:?}");
    assert_eq!(sync.1["error"], "States.QueryEvaluationError", "{sync:?}");
}

/// Peak resident memory of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expressions_that_would_take_gigabytes_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--evaluation-memory", "128"]);
    let client = server.client(ACCOUNT);
    let cases = [
        (
            "pad",
            "{% $length($pad('', 2000000000)) %}",
            "States.QueryEvaluationError",
        ),
        (
            "join",
            "{% $join([1..10000000].$string()) %}",
            "States.QueryEvaluationError",
        ),
        (
            "double",
            "{% ($d := function($s){$d($s & $s)}; $d('x')) %}",
            "States.QueryEvaluationError",
        ),
    ];
    for (name, expression, error) in cases {
        let machine = create_machine(&client, name, &jsonata_pass(expression)).await;
        let (d, _) = answering_meanwhile(&server, &client, &machine, async {
            let arn = start(&client, &machine, None).await;
            finished(&client, &arn).await
        })
        .await;
        assert_eq!(d.status, ExecutionStatus::Failed, "{name}");
        assert_eq!(d.error.as_deref(), Some(error), "{name}: {:?}", d.cause);
    }
    // An inline Map over a million computed items is refused before any iteration runs.
    let map = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "Items": "{% [1..1000000] %}",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}
    });
    let machine = create_machine(&client, "million", &map).await;
    let arn = start(&client, &machine, None).await;
    let d = finished(&client, &arn).await;
    assert_eq!(d.error.as_deref(), Some("States.DataLimitExceeded"));
    // Nothing came near the gigabytes these took without a budget.
    let peak = peak_rss_kib(server.pid());
    assert!(peak < 1024 * 1024, "peak resident memory {peak} KiB");
    assert_eq!(http_get(&server.endpoint, "/health").0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_execution_open_at_kill_9_fails_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--evaluation-budget", "1"]);
    let client = server.client(ACCOUNT);
    // The runaway step comes after a timer, so the execution is durable before it.
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Later",
        "States": {
            "Later": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {"Type": "Pass", "Output": FOREVER, "End": true}
        }
    });
    let machine = create_machine(&client, "pill", &definition).await;
    let arn = start(&client, &machine, None).await;
    server.kill_9();
    let server = Server::start(dir.path(), &["--evaluation-budget", "1"]);
    let client = server.client(ACCOUNT);
    assert_eq!(http_get(&server.endpoint, "/health").0, 200);
    let d = finished(&client, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.QueryEvaluationError"));
    // SIGTERM stops it.
    assert!(server.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_that_runs_out_of_budget_fails_its_execution_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--evaluation-budget", "60"]);
    let client = server.client(ACCOUNT);
    // A caught runaway, then honest work, then a long wait: replaying the first step
    // evaluates both again.
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Try",
        "States": {
            "Try": {"Type": "Parallel", "Branches": [{"StartAt": "Work", "States": {
                    "Work": {"Type": "Pass", "Output": "{% $sum([1..300000].($ * 2)) %}", "End": true}}}],
                "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 3600, "End": true}
        }
    });
    let machine = create_machine(&client, "heavy", &definition).await;
    let arn = start(&client, &machine, None).await;
    let d = client
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
    server.kill_9();
    // The same journal under a budget its first step cannot meet again.
    let server = Server::start(dir.path(), &["--evaluation-budget", "0.001"]);
    let client = server.client(ACCOUNT);
    let d = finished(&client, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    let cause = d.cause.unwrap_or_default();
    assert!(cause.contains("could not be resumed"), "{cause}");
    // Its history ends with the failure, numbered after what was there.
    let history = client
        .get_execution_history()
        .execution_arn(&arn)
        .reverse_order(true)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        history.events[0].r#type,
        aws_sdk_sfn::types::HistoryEventType::ExecutionFailed
    );
    assert!(server.terminate().success());
}

/// Regression: a JSONPath loop carrying a large input built its whole history in the one step
/// StartExecution ran (10 GB for 25,000 events of 200 KB). Each step now writes a bounded
/// share and yields; the server's memory stays far below the history's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_over_a_large_input_holds_a_bounded_share_of_history() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let client = server.client(ACCOUNT);
    let rounds = 400;
    let definition = json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Parameters": {"n": 0, "blob.$": "$.blob"}, "Next": "Loop"},
            "Loop": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)", "blob.$": "$.blob"},
                "Next": "Check"},
            "Check": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": rounds, "Next": "Loop"}],
                "Default": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": true}
        }
    });
    let machine = create_machine(&client, "big-loop", &definition).await;
    let before = peak_rss_kib(server.pid());
    let input = json!({"blob": "x".repeat(200_000)}).to_string();
    let (arn, answered) = answering_meanwhile(&server, &client, &machine, async {
        let arn = client
            .start_execution()
            .state_machine_arn(&machine)
            .input(input)
            .send()
            .await
            .expect("start")
            .execution_arn;
        finished(&client, &arn).await;
        arn
    })
    .await;
    assert!(answered > 0);
    let d = client
        .describe_execution()
        .execution_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(
        d.output.as_deref(),
        Some(format!("{{\"n\":{rounds}}}").as_str())
    );
    // About 1,200 events of 200 to 400 KB: some 400 MB of history went through the server.
    let grew = peak_rss_kib(server.pid()).saturating_sub(before);
    assert!(grew < 200 * 1024, "peak resident memory grew by {grew} KiB");
}
