//! The generated model against AWS's wire form: outputs encode as AWS sends them, recorded
//! execution histories and TestState requests decode and re-encode unchanged, and every
//! pattern of the model compiles.

use std::fs;
use std::path::{Path, PathBuf};

use baton_api::model::*;
use baton_api::schema::{Kind, Shape};
use baton_api::{decode_input, encode_output, Operation, Timestamp};
use serde_json::{json, Value};

/// `<workspace root>/../shared/conformance/<sub>`, or the same under any ancestor.
fn corpus(sub: &str) -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = workspace.canonicalize().ok().and_then(|w| {
        w.ancestors()
            .skip(1)
            .map(|a| a.join("shared/conformance").join(sub))
            .find(|p| p.is_dir())
    });
    if dir.is_none() {
        let strict = std::env::var("BATON_CI_STRICT").as_deref() == Ok("1");
        assert!(!strict, "corpus {sub} not found and BATON_CI_STRICT=1");
        eprintln!("skipping: corpus {sub} not found next to the workspace");
    }
    dir
}

fn case_files(dir: &Path, file: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join(file))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn walk(shape: &'static Shape, seen: &mut Vec<&'static str>, out: &mut Vec<&'static Shape>) {
    if seen.contains(&shape.name) {
        return;
    }
    seen.push(shape.name);
    out.push(shape);
    match &shape.kind {
        Kind::Structure(members) => members.iter().for_each(|m| walk(m.shape, seen, out)),
        Kind::List { member, .. } => walk(member, seen, out),
        Kind::Map { key, value, .. } => {
            walk(key, seen, out);
            walk(value, seen, out);
        }
        _ => {}
    }
}

#[test]
fn every_pattern_of_the_model_compiles() {
    let (mut seen, mut shapes) = (Vec::new(), Vec::new());
    for op in Operation::ALL {
        walk(op.input_shape(), &mut seen, &mut shapes);
        walk(op.output_shape(), &mut seen, &mut shapes);
    }
    let patterns: Vec<_> = shapes
        .iter()
        .filter_map(|s| match &s.kind {
            Kind::String {
                pattern: Some(p), ..
            } => Some((s.name, p)),
            _ => None,
        })
        .collect();
    assert!(
        patterns.len() >= 3,
        "the model has name, token and trace header patterns"
    );
    for (name, pattern) in patterns {
        assert!(pattern.compiles(), "{name}: {}", pattern.source);
    }
}

#[test]
fn operations_are_named_as_in_the_target_header() {
    assert_eq!(Operation::ALL.len(), 37);
    for op in Operation::ALL {
        assert_eq!(Operation::from_name(op.name()), Some(*op));
    }
    assert_eq!(Operation::from_name("startExecution"), None);
    let prefixed: Vec<_> = Operation::ALL
        .iter()
        .filter(|op| op.host_prefix().is_some())
        .collect();
    assert_eq!(
        prefixed,
        [&Operation::StartSyncExecution, &Operation::TestState]
    );
}

#[test]
fn outputs_leave_out_absent_members_and_send_epoch_seconds() {
    let cases: Vec<(Vec<u8>, Value)> = vec![
        (
            encode_output(&DescribeExecutionOutput {
                execution_arn: "arn:e".into(),
                state_machine_arn: "arn:m".into(),
                status: ExecutionStatus::Running,
                start_date: Timestamp::from_millis(1_700_000_000_123),
                input: Some("{}".into()),
                ..blank_execution()
            })
            .unwrap(),
            json!({"executionArn": "arn:e", "stateMachineArn": "arn:m", "status": "RUNNING",
                   "startDate": 1_700_000_000.123, "input": "{}"}),
        ),
        (
            encode_output(&ListStateMachinesOutput::default()).unwrap(),
            json!({"stateMachines": []}),
        ),
        (
            encode_output(&DeleteActivityOutput::default()).unwrap(),
            json!({}),
        ),
    ];
    for (bytes, expected) in cases {
        let got: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(got, expected);
    }
}

fn blank_execution() -> DescribeExecutionOutput {
    DescribeExecutionOutput {
        execution_arn: String::new(),
        state_machine_arn: String::new(),
        name: None,
        status: ExecutionStatus::Succeeded,
        start_date: Timestamp::default(),
        stop_date: None,
        input: None,
        input_details: None,
        output: None,
        output_details: None,
        trace_header: None,
        error: None,
        cause: None,
        map_run_arn: None,
        state_machine_version_arn: None,
        state_machine_alias_arn: None,
        redrive_count: None,
        redrive_date: None,
        redrive_status: None,
        redrive_status_reason: None,
    }
}

/// Undoes the recording's masking so that the value is again what AWS sent: JSON texts that
/// the recorder parsed become strings again, masked timestamps become numbers.
fn unmask(shape: &Shape, value: &mut Value) {
    match (&shape.kind, value) {
        (Kind::Structure(members), Value::Object(object)) => {
            for member in members.iter() {
                if let Some(v) = object.get_mut(member.name) {
                    unmask(member.shape, v);
                }
            }
        }
        (Kind::List { member, .. }, Value::Array(items)) => {
            items.iter_mut().for_each(|item| unmask(member, item))
        }
        (Kind::Map { value: member, .. }, Value::Object(entries)) => {
            entries.values_mut().for_each(|v| unmask(member, v))
        }
        (Kind::String { .. }, v) if !v.is_string() => *v = Value::String(v.to_string()),
        (Kind::Timestamp, v) if v.is_string() => *v = json!(1_700_000_000.123),
        _ => {}
    }
}

#[test]
fn recorded_histories_round_trip_through_the_model() {
    let Some(dir) = corpus("aws-recorded/public") else {
        return;
    };
    let files = case_files(&dir, "history.json");
    assert!(!files.is_empty(), "no history.json under {}", dir.display());
    let mut failures = Vec::new();
    let (mut events, mut skipped) = (0, 0);
    for path in &files {
        // The recorder rewrote some histories (the case says so); they are not AWS's wire form.
        let expected = read_json(&path.with_file_name("expected.json"));
        if expected["events_comparable"] == json!(false) {
            skipped += 1;
            continue;
        }
        let mut wire = json!({"events": read_json(path)});
        unmask(Operation::GetExecutionHistory.output_shape(), &mut wire);
        let again = serde_json::from_value::<GetExecutionHistoryOutput>(wire.clone())
            .map_err(|e| e.to_string())
            .and_then(|typed| {
                events += typed.events.len();
                serde_json::to_value(typed).map_err(|e| e.to_string())
            });
        match again {
            Ok(again) if again == wire => {}
            Ok(again) => failures.push(format!(
                "{}: re-encoded differently\n{again}",
                path.display()
            )),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    println!(
        "{} histories, {events} events round-tripped; {skipped} rewritten by the recorder skipped",
        files.len() - skipped
    );
    assert!(skipped * 10 < files.len(), "most histories must be usable");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn recorded_test_state_requests_decode() {
    let Some(dir) = corpus("aws-recorded-teststate/public") else {
        return;
    };
    let files = case_files(&dir, "request.json");
    assert!(!files.is_empty(), "no request.json under {}", dir.display());
    let mut failures = Vec::new();
    for path in &files {
        let request = read_json(path);
        let body = serde_json::to_vec(&request).unwrap();
        match decode_input::<TestStateInput>(&body) {
            Ok(input) if serde_json::to_value(&input).unwrap() == request => {}
            Ok(input) => failures.push(format!("{}: decoded as {input:?}", path.display())),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    println!("{} TestState requests decoded", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
