//! `examples/serverless-math` (seed 000): the seed's state machine running the calculator (a
//! boto3 program) as its ECS task, input and output in Baton's buckets through its S3
//! endpoint. The happy path runs the example's own command (`run.py`, through `baton serve`);
//! the missing-input path runs through `baton run --time virtual`, so the seed's 15 s and
//! 22.5 s back-off take no real time, with the S3 endpoint `baton run` serves over its own
//! buckets (no endpoint given: the calculator must not reach real S3).

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/serverless-math")
}

#[test]
fn run_py_writes_f_of_5_to_the_output_bucket() {
    let data = tempfile::tempdir().expect("tempdir");
    let out = Command::new("python3")
        .arg(example().join("run.py"))
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env("BATON_DATA_DIR", data.path())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run.py failed:\n{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("the output object is JSON");
    assert_eq!(result["input_x"], 5, "{result}");
    assert_eq!(result["result_fx"], 30, "{result}");
    assert_eq!(result["function_expression"], "f(x) = x^2 + x");
    assert!(result["calculatedAt"].is_string(), "{result}");
    // The object the calculator wrote through the S3 endpoint is a file in the bucket folder.
    let stored = data
        .path()
        .join("storage/math-output/output/result-for-5.json");
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).expect("written")).expect("JSON");
    assert_eq!(on_disk, result);
}

#[test]
fn a_missing_input_key_is_tried_three_times_then_fails_through_the_pass_state() {
    let run = tempfile::tempdir().expect("tempdir");
    // A bucket is a folder: the input bucket exists, the key does not.
    std::fs::create_dir_all(run.path().join("storage/math-input")).expect("bucket");
    let input = json!({
        "inputDetails": {"bucket": "math-input", "key": "input/nonexistent-file.json"},
        "outputDetails": {"bucket": "math-output", "key": "output/result.json"}
    });
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("run")
        .arg(example().join("math-workflow.asl.json"))
        .arg("--config")
        .arg(example().join("baton.toml"))
        .args(["--time", "virtual", "--history", "--output", "json"])
        .arg("--data-dir")
        .arg(run.path())
        .args(["--input", &input.to_string()])
        .output()
        .expect("baton run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["error"], "CalculationJobFailedError");
    let events = result["events"].as_array().expect("events");
    let of_type = |t: &str| -> Vec<&Value> { events.iter().filter(|e| e["type"] == t).collect() };
    let scheduled = of_type("TaskScheduled");
    let failed = of_type("TaskFailed");
    assert_eq!((scheduled.len(), failed.len()), (3, 3), "{events:#?}");
    for f in &failed {
        assert_eq!(f["taskFailedEventDetails"]["error"], "States.TaskFailed");
    }
    // The seed's back-off, in the virtual clock: 15 s, then 15 × 1.5 = 22.5 s.
    let at = |e: &Value| e["timestamp"].as_f64().expect("timestamp");
    let gaps: Vec<f64> = (0..2)
        .map(|i| at(scheduled[i + 1]) - at(failed[i]))
        .collect();
    assert!((gaps[0] - 15.0).abs() < 0.01, "{gaps:?}");
    assert!((gaps[1] - 22.5).abs() < 0.01, "{gaps:?}");
    let entered: Vec<&str> = events
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .collect();
    assert_eq!(
        entered,
        [
            "RunFargateMathTask",
            "CalculationFailedNotification",
            "CalculationFailedFinal"
        ]
    );
    // Each attempt's log shows the calculator's S3 error: from the endpoint over the run's
    // own buckets.
    let logs: Vec<String> = std::fs::read_dir(run.path().join("logs/ecs"))
        .expect("task logs")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("log"))
        .collect();
    assert_eq!(logs.len(), 3);
    for log in &logs {
        assert!(log.contains("NoSuchKey"), "{log}");
    }
}

/// The seed's next steps (`on_upload.py`): an upload to the input bucket starts the workflow
/// through S3's EventBridge notifications and a rule, and the execution a bad file fails is
/// sent to a webhook through an API destination.
#[test]
fn on_upload_py_starts_the_workflow_on_upload_and_sends_its_failure_to_a_webhook() {
    let data = tempfile::tempdir().expect("tempdir");
    let out = Command::new("python3")
        .arg(example().join("on_upload.py"))
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env("BATON_DATA_DIR", data.path())
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "on_upload.py failed:\n{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(summary["result"]["result_fx"], 30, "{summary}");
    assert_eq!(
        summary["failed_input"]["inputDetails"],
        json!({"bucket": "math-input", "key": "input/not-a-number.json"})
    );
    let hook = &summary["webhook"];
    assert_eq!(hook["path"], "/alerts");
    assert_eq!(hook["api_key"], "alerts-secret");
    assert_eq!(hook["status"], "FAILED");
    assert_eq!(hook["executionArn"], summary["failed_execution"]);
}
