//! The `baton` binary as a user runs it: the `--output json` contract, exit codes (0
//! succeeded, 1 another final status, 2 invalid definition or input), `--history`,
//! `--time virtual`, mocked responses, and `baton validate`.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::{baton, example, Ran};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

/// One JSON object on stdout and nothing else.
fn json_out(r: &Ran) -> Value {
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        )
    });
    assert_eq!(
        r.stdout.trim().lines().count(),
        1,
        "exactly one line: {}",
        r.stdout
    );
    v
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    code: i32,
    /// Expected `status`, `output` (parsed), `error` in the JSON result; None when the run must
    /// not produce one (exit 2).
    result: Option<(&'static str, Option<Value>, Option<&'static str>)>,
    /// Text the diagnostics on stderr must contain.
    stderr: Vec<&'static str>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn run_cases() {
    let cases = vec![
        Case {
            name: "the README example succeeds",
            args: s(&[
                "run",
                &example("hello.asl.json"),
                "--time",
                "virtual",
                "--output",
                "json",
                "--input",
                r#"{"orders":[{"id":1,"total":40},{"id":2,"total":1200}]}"#,
            ]),
            code: 0,
            result: Some((
                "SUCCEEDED",
                Some(serde_json::json!({
                "greeting": "Pricing 2 orders", "count": 2, "total": 1240, "needApproval": [2]})),
                None,
            )),
            stderr: vec![],
        },
        Case {
            name: "the README example with no orders",
            args: s(&[
                "run",
                &example("hello.asl.json"),
                "--time",
                "virtual",
                "--output",
                "json",
                "--input",
                r#"{"orders":[]}"#,
            ]),
            code: 0,
            result: Some((
                "SUCCEEDED",
                Some(serde_json::json!({
                "greeting": "Pricing 0 orders", "count": 0, "total": 0, "needApproval": []})),
                None,
            )),
            stderr: vec![],
        },
        Case {
            name: "a year-long wait finishes at once under virtual time",
            args: s(&[
                "run",
                &data("year-wait.asl.json"),
                "--time",
                "virtual",
                "--output",
                "json",
                "--input",
                "[1]",
            ]),
            code: 0,
            result: Some(("SUCCEEDED", Some(serde_json::json!([1])), None)),
            stderr: vec![],
        },
        Case {
            name: "mocked task, happy path",
            args: s(&[
                "run",
                &data("order.asl.json"),
                "--name",
                "order",
                "--time",
                "virtual",
                "--output",
                "json",
                "--mock-config",
                &data("mock-config.json"),
                "--test-case",
                "HappyPath",
            ]),
            code: 0,
            result: Some(("SUCCEEDED", Some(serde_json::json!({"charged": 42})), None)),
            stderr: vec![],
        },
        Case {
            name: "mocked task retried twice, then succeeds",
            args: s(&[
                "run",
                &data("order.asl.json"),
                "--name",
                "order",
                "--time",
                "virtual",
                "--output",
                "json",
                "--mock-config",
                &data("mock-config.json"),
                "--test-case",
                "RetryThenOk",
            ]),
            code: 0,
            result: Some(("SUCCEEDED", Some(serde_json::json!({"charged": 42})), None)),
            stderr: vec![],
        },
        Case {
            name: "input of the wrong type fails the execution with AWS's error",
            args: s(&[
                "run",
                &data("map-needs-array.asl.json"),
                "--output",
                "json",
                "--input",
                r#"{"items": 5}"#,
            ]),
            code: 1,
            result: Some(("FAILED", None, Some("States.Runtime"))),
            stderr: vec![],
        },
        Case {
            name: "invalid JSON in the definition: exit 2 with line and column",
            args: s(&["run", &data("bad-json.asl.json"), "--output", "json"]),
            code: 2,
            result: None,
            stderr: vec!["bad-json.asl.json:3:", "INVALID_JSON_DESCRIPTION"],
        },
        Case {
            name: "unknown field, unknown state type, broken path, missing target: all reported",
            args: s(&["run", &data("bad-structure.asl.json"), "--output", "json"]),
            code: 2,
            result: None,
            stderr: vec![
                "MISSING_TRANSITION_TARGET",
                "/States/A/Next",
                "Colour",
                "/States/B/Type",
                "/States/C/InputPath",
            ],
        },
        Case {
            name: "invalid execution input: exit 2",
            args: s(&["run", &data("year-wait.asl.json"), "--input", "{not json"]),
            code: 2,
            result: None,
            stderr: vec!["invalid execution input"],
        },
        Case {
            name: "a test case the mock config lacks: exit 2",
            args: s(&[
                "run",
                &data("order.asl.json"),
                "--name",
                "order",
                "--mock-config",
                &data("mock-config.json"),
                "--test-case",
                "NoSuchCase",
            ]),
            code: 2,
            result: None,
            stderr: vec!["NoSuchCase"],
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let r = baton(&args);
        let mut problems = Vec::new();
        if r.code != case.code {
            problems.push(format!("exit {} (stderr: {})", r.code, r.stderr.trim()));
        }
        match &case.result {
            Some((status, output, error)) => {
                let v = json_out(&r);
                if v["status"] != *status {
                    problems.push(format!("status {}", v["status"]));
                }
                if let Some(expected) = output {
                    let got: Option<Value> = v["output"]
                        .as_str()
                        .and_then(|t| serde_json::from_str(t).ok());
                    if got.as_ref() != Some(expected) {
                        problems.push(format!("output {}", v["output"]));
                    }
                }
                if v["error"].as_str() != *error {
                    problems.push(format!("error {}", v["error"]));
                }
                for key in ["status", "output", "error", "cause"] {
                    if v.get(key).is_none() {
                        problems.push(format!("no {key} member"));
                    }
                }
            }
            None => {
                if !r.stdout.trim().is_empty() {
                    problems.push(format!("stdout should be empty: {}", r.stdout));
                }
            }
        }
        for needle in &case.stderr {
            if !r.stderr.contains(needle) {
                problems.push(format!("stderr lacks {needle:?}: {}", r.stderr.trim()));
            }
        }
        if r.stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn execution_type_sets_the_execution_identity() {
    let run = |ty: &str| {
        let r = baton(&[
            "run",
            &data("context.asl.json"),
            "--name",
            "m",
            "--execution-name",
            "e",
            "--type",
            ty,
            "--output",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out: Value =
            serde_json::from_str(json_out(&r)["output"].as_str().expect("output")).expect("JSON");
        out
    };
    let standard = run("STANDARD");
    assert_eq!(
        standard["id"],
        "arn:aws:states:us-east-1:123456789012:execution:m:e"
    );
    assert_eq!(standard["execution"]["RedriveCount"], 0);
    let express = run("EXPRESS");
    let id = express["id"].as_str().expect("id");
    assert!(
        id.starts_with("arn:aws:states:us-east-1:123456789012:express:m:e:"),
        "{id}"
    );
    assert!(
        express["execution"].get("RedriveCount").is_none(),
        "Express executions have no RedriveCount"
    );
}

/// `order.asl.json` with its history, in virtual time, the charge mocked to fail twice.
fn retry_then_ok(extra: &[&str]) -> Ran {
    let (machine, mocks) = (data("order.asl.json"), data("mock-config.json"));
    let mut args = vec![
        "run",
        &machine,
        "--name",
        "order",
        "--time",
        "virtual",
        "--history",
        "--mock-config",
        &mocks,
        "--test-case",
        "RetryThenOk",
    ];
    args.extend_from_slice(extra);
    baton(&args)
}

#[test]
fn history_is_aws_shaped() {
    let r = retry_then_ok(&["--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_out(&r);
    let events = v["events"].as_array().expect("events");
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let scheduled = &events[2];
    assert_eq!(
        scheduled["taskScheduledEventDetails"]["resourceType"],
        "lambda"
    );
    assert_eq!(scheduled["taskScheduledEventDetails"]["resource"], "invoke");
    let params: Value = serde_json::from_str(
        scheduled["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap(),
    )
    .expect("parameters are JSON text");
    assert_eq!(params["FunctionName"], "charge");
    assert_eq!(
        events[4]["taskFailedEventDetails"]["error"],
        "Payment.Unavailable"
    );
    // Retries wait 60 s then 120 s (BackoffRate 2.0): virtual time moved, the ids chain.
    let t = |i: usize| events[i]["timestamp"].as_f64().unwrap();
    assert_eq!(t(5) - t(4), 60.0);
    assert_eq!(t(8) - t(7), 120.0);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], i + 1);
    }
    assert_eq!(
        events[5]["previousEventId"], 5,
        "a retry's TaskScheduled follows the TaskFailed"
    );
}

/// The text history shows each event's time and, for a failure, its error name.
#[test]
fn the_text_history_shows_times_and_error_names() {
    let r = retry_then_ok(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    let failed: Vec<&&str> = lines.iter().filter(|l| l.contains("TaskFailed")).collect();
    assert_eq!(failed.len(), 2, "{}", r.stderr);
    for line in &failed {
        assert!(line.trim_end().ends_with("Payment.Unavailable"), "{line}");
    }
    // `id prev time type …`: the time is ISO 8601 in UTC, and virtual time moved by the
    // back-off (60 s) between the first failure and the retry.
    let time = |line: &str| line.split_whitespace().nth(2).unwrap_or("").to_string();
    let retried = lines
        .iter()
        .position(|l| std::ptr::eq(*l, *failed[0]))
        .map(|i| lines[i + 1])
        .expect("a line after the failure");
    let (at_failure, at_retry) = (time(failed[0]), time(retried));
    assert!(
        at_failure.ends_with('Z') && at_failure.contains('T'),
        "{at_failure}"
    );
    let seconds = |t: &str| -> u32 {
        let hms = &t[11..19];
        hms.split(':')
            .fold(0, |acc, p| acc * 60 + p.parse::<u32>().unwrap())
    };
    assert_eq!(
        (seconds(&at_retry) + 86_400 - seconds(&at_failure)) % 86_400,
        60,
        "{at_failure} → {at_retry}"
    );
}

/// Writes `text` to `name` in `dir`; answers its path.
fn written(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

/// `baton validate` for people: the name a misspelled transition or field probably meant, a
/// template placeholder named as such with the flags that fill it, and no cascade of "not
/// reachable" from one typo. The diagnostics themselves stay AWS's.
#[test]
fn validate_helps_with_typos_and_placeholders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = written(
        &dir,
        "typos.asl.json",
        r#"{"StartAt": "First", "States": {
            "First": {"Type": "Pass", "Next": "Secnd"},
            "Second": {"Type": "Pass", "Next": "Third"},
            "Third": {"Type": "Task", "Resource": "${FnArn}", "Nxt": "Fourth"},
            "Fourth": {"Type": "Succeed"},
            "Orphan": {"Type": "Succeed"}}}"#,
    );
    let r = baton(&["validate", &file]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let after = |needle: &str| -> &str {
        let i = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{}", r.stdout));
        lines.get(i + 1).copied().unwrap_or("")
    };
    assert_eq!(
        after("Missing 'Next' target: Secnd"),
        "  help: did you mean 'Second'?"
    );
    assert_eq!(
        after("Field 'Nxt' is not supported"),
        "  help: did you mean 'Next'?"
    );
    assert!(
        after("(at /States/Third/Resource)").contains("--substitute FnArn=VALUE"),
        "{}",
        r.stdout
    );
    // Second, Third and Fourth are unreachable only because of the typos; Orphan truly is.
    let unreachable: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("is not reachable"))
        .collect();
    assert_eq!(unreachable.len(), 1, "{}", r.stdout);
    assert!(unreachable[0].contains("\"Orphan\""), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("(3 state(s) reported as not reachable only because"));
    // As JSON, the diagnostics are AWS's, all of them.
    let json = baton(&["validate", &file, "--output", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).expect("JSON diagnostics");
    let reachability = v
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| {
            d["message"]
                .as_str()
                .unwrap_or("")
                .ends_with("is not reachable.")
        })
        .count();
    assert_eq!(reachability, 4);
}

/// `${Name}` placeholders filled from `--substitutions FILE` and `--substitute NAME=VALUE`
/// (which wins), in `validate`, `run` and `graph` alike; a value is written as JSON string
/// content.
#[test]
fn substitutions_fill_template_placeholders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let machine = written(
        &dir,
        "template.asl.json",
        r#"{"StartAt": "Hold", "States": {
            "Hold": {"Type": "Wait", "Seconds": ${Delay}, "Next": "Say"},
            "Say": {"Type": "Pass", "Result": {"greeting": "${Greeting}", "stage": "${Stage}"},
                "End": true}}}"#,
    );
    let values = written(
        &dir,
        "values.json",
        r#"{"Delay": 5, "Greeting": "say \"hi\"", "Stage": "from the file"}"#,
    );
    let unfilled = baton(&["validate", &machine]);
    assert_eq!(unfilled.code, 1, "{}", unfilled.stdout);
    let filled = [
        "--substitutions",
        values.as_str(),
        "--substitute",
        "Stage=prod",
    ];
    let mut validate = vec!["validate", machine.as_str()];
    validate.extend(filled);
    let ok = baton(&validate);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    let mut run = vec![
        "run",
        machine.as_str(),
        "--time",
        "virtual",
        "--output",
        "json",
    ];
    run.extend(filled);
    let r = baton(&run);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let output: Value =
        serde_json::from_str(json_out(&r)["output"].as_str().expect("output")).expect("JSON");
    assert_eq!(
        output,
        serde_json::json!({"greeting": "say \"hi\"", "stage": "prod"})
    );
    let mut graph = vec!["graph", machine.as_str(), "--format", "dot"];
    graph.extend(filled);
    let g = baton(&graph);
    assert_eq!(g.code, 0, "{}", g.stderr);
    assert!(g.stdout.contains("Say"), "{}", g.stdout);
    let bad = baton(&["validate", &machine, "--substitute", "Delay"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("expected NAME=VALUE"), "{}", bad.stderr);
}

#[test]
fn validate_reports_every_problem() {
    let r = baton(&["validate", &data("bad-structure.asl.json")]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines.len() >= 4,
        "several diagnostics in one pass: {}",
        r.stdout
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains("bad-structure.asl.json:") && l.contains("(at /")),
        "{}",
        r.stdout
    );
    let ok = baton(&["validate", &example("hello.asl.json")]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    let json = baton(&[
        "validate",
        &data("bad-structure.asl.json"),
        "--output",
        "json",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).expect("JSON diagnostics");
    let first = &v.as_array().expect("array")[0];
    for key in ["code", "pointer", "line", "column", "message", "severity"] {
        assert!(first.get(key).is_some(), "diagnostic lacks {key}: {first}");
    }
}
