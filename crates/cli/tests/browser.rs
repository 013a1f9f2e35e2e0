//! The web console in headless Chromium: `baton serve` on loopback, state machines and
//! executions created through the API with aws-sdk-sfn (one that succeeds, one that fails, one
//! whose failure is caught, one waiting, a Map whose history has about 1,000 events, one that
//! times out and is redriven, one with an ECS task and a function whose logs show, a Parallel
//! with branches waiting, and a 60-state machine), then
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
    let activity = client
        .create_activity()
        .name("console-activity")
        .send()
        .await
        .expect("create activity")
        .activity_arn;
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
    for arn in &ended {
        finished(client, arn).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_machines_executions_and_histories() {
    if let Some(reason) = missing() {
        let msg = format!("browser test skipped: {reason}");
        if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
            panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
        }
        eprintln!("SKIP: {msg}");
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let fixtures = workspace().join("crates/integrations/tests/fixtures");
    let config = data.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[ecs.console-task]\ncommand = [\"python3\", \"{f}/task.py\"]\n\
             [functions.ConsoleEcho]\ncommand = [\"python3\", \"{f}/echo.py\"]\n",
            f = fixtures.display()
        ),
    )
    .expect("config written");
    let server = Server::start(
        &data.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    populate(&server.client(ACCOUNT)).await;

    let root = workspace();
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let status = Command::new("node")
        .arg(root.join("tests/browser/console.mjs"))
        .arg(&server.endpoint)
        .env("BATON_BROWSER_ARTIFACTS", &artifacts)
        .env("BATON_CHROMIUM", CHROMIUM)
        .status()
        .expect("node runs");
    assert!(status.success(), "the browser checks failed: {status}");
}
