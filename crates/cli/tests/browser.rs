//! The web console in headless Chromium: `baton serve` on loopback, state machines and
//! executions created through the API with aws-sdk-sfn (one that succeeds, one that fails, one
//! whose failure is caught, one waiting, a Map whose history has about 1,000 events, one that
//! times out and is redriven, one with an ECS task and a function whose logs show, a Parallel
//! with branches waiting, a 60-state machine, the status matrix (each state kind succeeded,
//! failed, caught, retried, timed out, aborted, running or waiting on a token or an activity),
//! Map iterations that fail, a distributed Map, a Choice with many rules and a function
//! without a log), then
//! `node tests/browser/console.mjs <endpoint>` drives the pages with `playwright-core` and
//! checks what they show. Screenshots go to `target/browser-artifacts/`.
//!
//! Needs `node`, `tests/browser/node_modules/playwright-core` (`cd tests/browser && npm ci`)
//! and `/usr/bin/chromium` (Debian's `chromium`); without them the test prints why it skips,
//! and fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use support::server::{create_machine, finished, Server};

/// The account the browser acts in: its requests are unsigned, so they get the server's default.
const ACCOUNT: &str = "123456789012";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Map items: four events each (iteration started, Pass entered and exited, iteration
/// succeeded) give a history of just over 1,000 events.
const MAP_ITEMS: usize = 250;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why the browser test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let browser_dir = workspace().join("tests/browser");
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "{} is missing (cd tests/browser && npm ci)",
            browser_dir.join("node_modules/playwright-core").display()
        ));
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    None
}

/// Whether the browser test cannot run here: it says why (and fails under
/// `BATON_CI_STRICT=1`).
fn skipped() -> bool {
    let Some(reason) = missing() else {
        return false;
    };
    let msg = format!("browser test skipped: {reason}");
    if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
        panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
    }
    eprintln!("SKIP: {msg}");
    true
}

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

/// `state` with the fields of `extra` added.
fn with(mut state: Value, extra: Value) -> Value {
    let fields = extra.as_object().expect("an object").clone();
    state.as_object_mut().expect("an object").extend(fields);
    state
}

/// A Task invoking a function, with `extra` fields (`Next`, `End`, `Retry`, …).
fn invoke(function: &str, extra: Value) -> Value {
    with(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"}, "ResultPath": null}),
        extra,
    )
}

async fn create_activity(client: &Client, name: &str) -> String {
    client
        .create_activity()
        .name(name)
        .send()
        .await
        .expect("create activity")
        .activity_arn
}

/// Polls the history of `arn` until `ready` takes its event types.
async fn events_until(client: &Client, arn: &str, ready: impl Fn(&[String]) -> bool) {
    for _ in 0..400 {
        let history = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .send()
            .await
            .expect("history");
        let types: Vec<String> = history
            .events
            .iter()
            .map(|e| e.r#type.as_str().to_string())
            .collect();
        if ready(&types) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{arn}: the expected events did not come");
}

/// One execution per state kind and outcome, named after its machine (`console-matrix-…`),
/// and the machines the detail views are checked on. Answers the ones that end by themselves.
async fn populate_matrix(client: &Client) -> Vec<String> {
    let activity = create_activity(client, "console-matrix-activity").await;
    let fail_item = |name: &str| {
        json!({"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": name}], "Default": "Fine"},
            "Fine": {"Type": "Pass", "End": true},
            name: {"Type": "Fail", "Error": "ItemError", "Cause": "a bad item"}
        }})
    };
    let items = json!([{"n": 0}, {"bad": 1}, {"n": 2}, {"n": 3}, {"bad": 4}, {"n": 5}]);
    let ending = [
        (
            "console-matrix-succeeded",
            json!({"StartAt": "Start", "States": {
                "Start": {"Type": "Pass", "Next": "Decide"},
                "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "Call"}], "Default": "Nope"},
                "Nope": {"Type": "Fail", "Error": "Unreached"},
                "Call": invoke("ConsoleEcho", json!({"Next": "Pause"})),
                "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
                "Both": {"Type": "Parallel", "ResultPath": null, "Next": "Each",
                    "Branches": [{"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}}]},
                "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": null, "Next": "Done",
                    "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}},
                "Done": {"Type": "Succeed"}
            }}),
            json!({"go": true, "items": [1, 2]}),
        ),
        (
            "console-matrix-task-failed",
            json!({"StartAt": "Call", "States": {"Call": invoke("ConsoleFails", json!({"End": true}))}}),
            json!({}),
        ),
        (
            "console-matrix-choice-failed",
            json!({"StartAt": "Decide", "States": {
            "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.go", "IsPresent": true, "Next": "Go"}]},
            "Go": {"Type": "Pass", "End": true}}}),
            json!({}),
        ),
        (
            "console-matrix-pass-failed",
            json!({"StartAt": "Shape", "States": {
            "Shape": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}),
            json!({}),
        ),
        (
            "console-matrix-wait-failed",
            json!({"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "SecondsPath": "$.missing", "End": true}}}),
            json!({}),
        ),
        (
            "console-matrix-parallel-failed",
            json!({"StartAt": "Both", "States": {
            "Both": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "Inner", "States": {
                "Inner": {"Type": "Fail", "Error": "InnerError", "Cause": "an inner cause"}}}]}}}),
            json!({}),
        ),
        (
            "console-matrix-map-failed",
            json!({"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "MaxConcurrency": 1, "End": true, "ItemProcessor": fail_item("Bad")}}}),
            json!([{"n": 0}, {"bad": 1}, {"n": 2}]),
        ),
        (
            "console-matrix-caught",
            json!({"StartAt": "TaskC", "States": {
            "TaskC": invoke("ConsoleFails", json!({"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MapC"}], "Next": "MapC"})),
            "MapC": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped", "Next": "ParC",
                "ItemProcessor": {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "MapItemError"}}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ParC"}]},
            "ParC": {"Type": "Parallel", "Next": "After", "ResultPath": null,
                "Branches": [{"StartAt": "Crash", "States": {"Crash": {"Type": "Fail", "Error": "BranchError"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"}]},
            "After": {"Type": "Pass", "End": true}}}),
            json!({"items": [1]}),
        ),
        (
            "console-matrix-retried-succeeded",
            json!({"StartAt": "Call", "States": {
            "Call": invoke("ConsoleFlaky", json!({"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}], "End": true}))}}),
            json!({}),
        ),
        (
            "console-matrix-retried-failed",
            json!({"StartAt": "Call", "States": {
            "Call": invoke("ConsoleFails", json!({"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}], "End": true}))}}),
            json!({}),
        ),
        (
            "console-matrix-task-timed-out",
            json!({"StartAt": "Call", "States": {
            "Call": invoke("ConsoleSleepy", json!({"TimeoutSeconds": 1, "End": true}))}}),
            json!({}),
        ),
        (
            "console-matrix-execution-timed-out",
            json!({"TimeoutSeconds": 1, "StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
            json!({}),
        ),
        (
            "console-iterations",
            json!({"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ToleratedFailurePercentage": 100, "End": true, "ItemProcessor": fail_item("Reject")}}}),
            items.clone(),
        ),
        (
            "console-distributed",
            json!({"StartAt": "Spread", "States": {
            "Spread": {"Type": "Map", "ToleratedFailurePercentage": 100, "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Check", "States": {
                        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": "Refuse"}], "Default": "Accept"},
                        "Accept": {"Type": "Pass", "End": true},
                        "Refuse": {"Type": "Fail", "Error": "ChildError"}}}}}}),
            items.clone(),
        ),
        (
            "console-nolog",
            json!({"StartAt": "Call", "States": {"Call": invoke("ConsoleMissing", json!({"End": true}))}}),
            json!({}),
        ),
    ];
    let mut ended = Vec::new();
    for (name, definition, input) in &ending {
        let machine = create_machine(client, name, definition).await;
        ended.push(start(client, &machine, &format!("{name}-1"), input).await);
    }

    // Running: a Task waiting for an activity worker, a Wait, a Map of Waits; the same one
    // stopped is aborted.
    let waiting = json!({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": true}}},
        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}},
        {"StartAt": "Spread", "States": {"Spread": {"Type": "Map", "ItemsPath": "$.items", "End": true,
            "ItemProcessor": {"StartAt": "Doze", "States": {"Doze": {"Type": "Wait", "Seconds": 3600, "End": true}}}}}}
    ]}}});
    let all_waiting = |types: &[String]| {
        types.iter().any(|t| t == "ActivityScheduled")
            && types.iter().filter(|t| *t == "WaitStateEntered").count() == 3
    };
    for name in ["console-matrix-running", "console-matrix-aborted"] {
        let machine = create_machine(client, name, &waiting).await;
        let arn = start(
            client,
            &machine,
            &format!("{name}-1"),
            &json!({"items": [1, 2]}),
        )
        .await;
        events_until(client, &arn, all_waiting).await;
        if name.ends_with("aborted") {
            client
                .stop_execution()
                .execution_arn(&arn)
                .error("Stopped")
                .cause("stopped by the browser test")
                .send()
                .await
                .expect("stop");
        }
    }
    // Waiting for two callbacks, which the script sends from the page.
    let token = |next: Value| {
        with(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "ConsoleEcho", "Payload": {"token.$": "$$.Task.Token", "step.$": "$$.State.Name"}}}),
            next,
        )
    };
    let callback = create_machine(
        client,
        "console-matrix-callback",
        &json!({"StartAt": "Approve", "States": {
            "Approve": token(json!({"Next": "Review"})),
            "Review": token(json!({"End": true}))}}),
    )
    .await;
    let arn = start(client, &callback, "console-matrix-callback-1", &json!({})).await;
    events_until(client, &arn, |types| {
        types.iter().any(|t| t == "TaskStarted")
    })
    .await;
    // Many rules: their labels must not overlap.
    let rule = |value: &str, next: &str| json!({"Variable": "$.kind", "StringEquals": value, "Next": next});
    create_machine(
        client,
        "console-choices",
        &json!({"StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Default": "Other", "Choices": [
                rule("alpha-long-value", "A"), rule("beta-long-value", "B"), rule("gamma-long-value", "C"),
                {"And": [{"Variable": "$.n", "NumericGreaterThan": 3}, {"Variable": "$.m", "NumericLessThan": 9}], "Next": "D"},
                {"Variable": "$.flag", "BooleanEquals": true, "Next": "A"}]},
            "A": {"Type": "Pass", "End": true}, "B": {"Type": "Pass", "End": true},
            "C": {"Type": "Pass", "End": true}, "D": {"Type": "Pass", "End": true},
            "Other": {"Type": "Pass", "End": true}}}),
    )
    .await;
    ended
}

/// The machines and executions the script looks for by name.
async fn populate(client: &Client) {
    let ok = create_machine(
        client,
        "console-ok",
        &json!({
            "Comment": "Succeeds through a Choice",
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "label": "prepared"}, "Next": "Route"},
                "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Big"}], "Default": "Small"},
                "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Done"},
                "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "Next": "Done"},
                "Done": {"Type": "Succeed"}
            }
        }),
    )
    .await;
    let fail = create_machine(
        client,
        "console-fail",
        &json!({
            "StartAt": "Begin",
            "States": {
                "Begin": {"Type": "Pass", "Next": "Broken"},
                "Broken": {"Type": "Fail", "Error": "Boom", "Cause": "broken on purpose"}
            }
        }),
    )
    .await;
    let caught = create_machine(
        client,
        "console-caught",
        &json!({
            "StartAt": "Try",
            "States": {
                "Try": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "Explode", "States": {"Explode": {"Type": "Fail", "Error": "Oops", "Cause": "inner"}}}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}],
                    "Next": "Unreached"
                },
                "Handle": {"Type": "Pass", "End": true},
                "Unreached": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    let wait = create_machine(
        client,
        "console-wait",
        &json!({
            "StartAt": "Before",
            "States": {
                "Before": {"Type": "Pass", "Next": "Warm"},
                "Warm": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": null, "Next": "Sleep",
                    "ItemProcessor": {"StartAt": "Touch", "States": {"Touch": {"Type": "Pass", "End": true}}}},
                "Sleep": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
                "After": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    let map = create_machine(
        client,
        "console-map",
        &json!({
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                    "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": true}}},
                    "End": true
                }
            }
        }),
    )
    .await;
    let activity = create_activity(client, "console-activity").await;
    // Times out waiting for a worker; the script redrives it and works the task.
    let redrive = create_machine(
        client,
        "console-redrive",
        &json!({
            "StartAt": "Work",
            "States": {
                "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 2, "Next": "Finish"},
                "Finish": {"Type": "Pass", "End": true}
            }
        }),
    )
    .await;
    // An ECS task and a command function: their logs show in the inspector.
    let logs = create_machine(
        client,
        "console-logs",
        &json!({
            "StartAt": "Container",
            "States": {
                "Container": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                    "Parameters": {"Cluster": "console", "TaskDefinition": "console-task"},
                    "ResultPath": null, "Next": "Function"},
                "Function": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "ConsoleEcho", "Payload": {"from": "console"}},
                    "End": true}
            }
        }),
    )
    .await;
    // Three branches that wait different times: the Parallel shows their progress.
    let parallel = create_machine(
        client,
        "console-parallel",
        &json!({
            "StartAt": "Fan",
            "States": {
                "Fan": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "End": true}}},
                    {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 3600, "End": true}}},
                    {"StartAt": "Slower", "States": {"Slower": {"Type": "Wait", "Seconds": 7200, "End": true}}}
                ]}
            }
        }),
    )
    .await;
    // Sixty states: the picture must stay readable.
    let mut states = serde_json::Map::new();
    for i in 0..60 {
        let next = if i == 59 {
            json!({"End": true})
        } else {
            json!({"Next": format!("Step{:02}", i + 1)})
        };
        let mut state = json!({"Type": "Pass"});
        state
            .as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        if i % 10 == 5 {
            state = json!({"Type": "Choice", "Default": format!("Step{:02}", i + 1),
                "Choices": [{"Variable": "$.skip", "IsPresent": true, "Next": format!("Step{:02}", (i + 3).min(59))}]});
        }
        states.insert(format!("Step{i:02}"), state);
    }
    let big = create_machine(
        client,
        "console-big",
        &json!({"StartAt": "Step00", "States": states}),
    )
    .await;

    let items: Vec<usize> = (0..MAP_ITEMS).collect();
    let ended = [
        start(client, &ok, "ok-1", &json!({"n": 5})).await,
        start(client, &fail, "fail-1", &json!({"why": "testing"})).await,
        start(client, &caught, "caught-1", &json!({"k": 1})).await,
        start(client, &map, "map-1", &json!({"items": items})).await,
        start(client, &redrive, "redrive-1", &json!({"job": 7})).await,
        start(client, &logs, "logs-1", &json!({})).await,
        start(client, &big, "big-1", &json!({})).await,
    ];
    // About 125 events before it waits: more than a poll's page of new events.
    let warm: Vec<usize> = (0..30).collect();
    start(client, &wait, "wait-1", &json!({"items": warm})).await;
    start(client, &parallel, "parallel-1", &json!({})).await;
    let matrix = populate_matrix(client).await;
    for arn in ended.iter().chain(&matrix) {
        finished(client, arn).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_machines_executions_and_histories() {
    if skipped() {
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let fixtures = workspace().join("crates/integrations/tests/fixtures");
    let config = data.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[ecs.console-task]\ncommand = [\"python3\", \"{f}/task.py\"]\n\
             [functions.ConsoleEcho]\ncommand = [\"python3\", \"{f}/echo.py\"]\n\
             [functions.ConsoleFails]\ncommand = [\"python3\", \"{f}/fail.py\", \"Broken\"]\n\
             [functions.ConsoleFlaky]\ncommand = [\"python3\", \"{f}/flaky.py\", \"2\", \"{d}/flaky-count\"]\n\
             [functions.ConsoleSleepy]\ncommand = [\"python3\", \"{f}/sleep.py\", \"5\"]\n",
            f = fixtures.display(),
            d = data.path().display()
        ),
    )
    .expect("config written");
    let server = Server::start(
        &data.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    populate(&server.client(ACCOUNT)).await;
    // A schedule and a scheduled rule, for the Schedules page.
    let target = format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:console-pass");
    let (status, out) = support::server::rest_call(
        &server.endpoint,
        "POST",
        "/schedules/console-nightly",
        &json!({"ScheduleExpression": "cron(0 3 * * ? *)", "FlexibleTimeWindow": {"Mode": "OFF"},
                "Target": {"Arn": target, "RoleArn": format!("arn:aws:iam::{ACCOUNT}:role/r")}}),
    );
    assert_eq!(status, 200, "{out}");
    let (status, out) = support::server::json_post(
        &server.endpoint,
        "AWSEvents.PutRule",
        &json!({"Name": "console-hourly", "ScheduleExpression": "rate(1 hour)"}),
    );
    assert_eq!(status, 200, "{out}");

    let root = workspace();
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    // Only this run's failure picture, if any.
    let _ = std::fs::remove_file(artifacts.join("failure.png"));
    let status = Command::new("node")
        .arg(root.join("tests/browser/console.mjs"))
        .arg(&server.endpoint)
        .env("BATON_BROWSER_ARTIFACTS", &artifacts)
        .env("BATON_CHROMIUM", CHROMIUM)
        .status()
        .expect("node runs");
    assert!(status.success(), "the browser checks failed: {status}");
}

/// The key the signed console test's server accepts, and the account it acts in.
const KEY_ID: &str = "AKIACONSOLETEST00001";
const KEY_SECRET: &str = "console/secret+key";
const KEY_ACCOUNT: &str = "111111111111";

#[tokio::test(flavor = "multi_thread")]
async fn the_console_signs_in_and_signs_its_calls() {
    if skipped() {
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let fixtures = workspace().join("crates/integrations/tests/fixtures");
    let config = data.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[functions.SignedEcho]\ncommand = [\"python3\", \"{f}/echo.py\"]\n\
             [[auth.keys]]\naccess_key_id = \"{KEY_ID}\"\nsecret_access_key = \"{KEY_SECRET}\"\n\
             account = \"{KEY_ACCOUNT}\"\n",
            f = fixtures.display(),
        ),
    )
    .expect("config written");
    let server = Server::start(
        &data.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let client = support::server::client_with_key(&server.endpoint, KEY_ID, KEY_SECRET);
    let machine = create_machine(
        &client,
        "console-signed",
        &json!({"StartAt": "Call", "States": {"Call": invoke("SignedEcho", json!({"End": true}))}}),
    )
    .await;
    assert!(machine.contains(&format!(":{KEY_ACCOUNT}:")), "{machine}");
    let execution = start(&client, &machine, "signed-run", &json!({"who": "browser"})).await;
    let done = finished(&client, &execution).await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);

    let root = workspace();
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let _ = std::fs::remove_file(artifacts.join("signin-failure.png"));
    let status = Command::new("node")
        .arg(root.join("tests/browser/signin.mjs"))
        .args([&server.endpoint, KEY_ID, KEY_SECRET, &execution])
        .env("BATON_BROWSER_ARTIFACTS", &artifacts)
        .env("BATON_CHROMIUM", CHROMIUM)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the signed console checks failed: {status}"
    );
}
