//! The AWS-recorded corpora run in-process through the interpreter: every case's outcome
//! compared with what AWS returned, per suite and in total, with event sequences as a second
//! figure. Every remaining failure is listed, with its reason, in `tests/conformance/`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use baton_asl::validate::MachineType;
use baton_cli::exec::{execute, load, Options};
use baton_engine::ExecutionInfo;
use serde_json::Value;
use support::compare::{self, Actual, Expected};

struct Result {
    suite: String,
    outcome: std::result::Result<(), String>,
    events: Option<bool>,
}

fn run_case(dir: &Path, mocked: bool) -> Result {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let expected_json: Value = serde_json::from_str(&read("expected.json")).expect("expected.json");
    let expected = Expected::read(&expected_json);
    let source = read("source.txt");
    let suite = source
        .lines()
        .find_map(|l| l.strip_prefix("suite:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "?".into());
    let express = expected_json.get("execution_type").and_then(Value::as_str) == Some("EXPRESS");
    let machine_type = if express {
        MachineType::Express
    } else {
        MachineType::Standard
    };
    let outcome = (|| -> std::result::Result<Actual, String> {
        let (machine, _) = load(&read("definition.json"), false, machine_type)
            .map_err(|e| format!("load: {e:?}"))?;
        let input: Value =
            serde_json::from_str(&read("input.json")).map_err(|e| format!("input: {e}"))?;
        let name = if mocked {
            "SM"
        } else {
            "statemachine_conformance"
        };
        let mocks = if mocked {
            let config = baton_mock::parse(&read("mock-config.json")).map_err(|e| e.to_string())?;
            Some(baton_mock::MockSession::new(
                config.test_case("SM", "Case").map_err(|e| e.to_string())?,
            ))
        } else {
            None
        };
        let execution_name = "3f6b1a8e-1c1d-4b8e-9a57-0c5d2f1e9b21";
        let info = if expected_json.get("execution_type").and_then(Value::as_str) == Some("EXPRESS")
        {
            let id = "9d2e0c4b-7a51-4f0e-8c63-5b1a2d3e4f60";
            ExecutionInfo::express("aws", "us-east-1", "111111111111", name, execution_name, id)
        } else {
            ExecutionInfo::standard("aws", "us-east-1", "111111111111", name, execution_name)
        };
        let executed = execute(
            machine,
            Options {
                info,
                input,
                seed: 7,
                virtual_time: true,
                mocks,
            },
        );
        Ok(Actual {
            status: executed.outcome.status.as_str().to_string(),
            output: executed.outcome.output,
            error: executed.outcome.error,
            cause: executed.outcome.cause,
            events: executed
                .history
                .iter()
                .map(|e| {
                    (
                        e.details.type_name(),
                        e.details.state_name().map(str::to_string),
                    )
                })
                .collect(),
        })
    })();
    match outcome {
        Err(e) => Result {
            suite,
            outcome: Err(e),
            events: None,
        },
        Ok(actual) => {
            let events = match (&expected.events, expected.events_comparable) {
                (Some(exp), true) => {
                    // `TaskSubmitted` is optional for a mocked engine (the corpus README).
                    let exp: Vec<_> = exp
                        .iter()
                        .filter(|(t, _)| t != "TaskSubmitted")
                        .cloned()
                        .collect();
                    Some(compare::events(&exp, &actual.events))
                }
                _ => None,
            };
            Result {
                suite,
                outcome: compare::outcome(&expected, &actual),
                events,
            }
        }
    }
}

fn run_corpus(corpus: &str, mocked: bool, known_file: &str, bar: f64) {
    let Some(dir) = support::corpus(corpus) else {
        return;
    };
    let known = support::known_differences(known_file);
    let mut per_suite: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut passed, mut failed, mut ev_ok, mut ev_total) = (0usize, 0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut ev_differ = Vec::new();
    let mut stale = Vec::new();
    for case in support::cases(&dir) {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let r = std::panic::catch_unwind(|| run_case(&case, mocked)).unwrap_or_else(|p| Result {
            suite: "?".into(),
            outcome: Err(format!(
                "panic: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            )),
            events: None,
        });
        let entry = per_suite.entry(r.suite.clone()).or_default();
        if let Some(ok) = r.events {
            ev_total += 1;
            ev_ok += usize::from(ok);
            if !ok {
                ev_differ.push(name.clone());
            }
        }
        match &r.outcome {
            Ok(()) => {
                passed += 1;
                entry.0 += 1;
                if known.contains_key(&name) {
                    stale.push(name);
                }
            }
            Err(why) => {
                failed += 1;
                entry.1 += 1;
                if !known.contains_key(&name) {
                    unexpected.push(format!("{name}: {why}"));
                }
            }
        }
    }
    let mut lines = format!("{corpus}:");
    for (suite, (p, f)) in &per_suite {
        lines.push_str(&format!("\n  {suite:<22} {p} passed, {f} failed"));
    }
    lines.push_str(&format!(
        "\n  event sequences: {ev_ok} of {ev_total} comparable cases match"
    ));
    for name in &ev_differ {
        lines.push_str(&format!("\n    events differ: {name}"));
    }
    lines.push_str(&format!("\n{passed} passed, {failed} failed"));
    // One append: the two corpora's tests run at once.
    support::figure(&lines);
    let total = (passed + failed).max(1) as f64;
    assert!(
        unexpected.is_empty(),
        "{} case(s) fail that {known_file} does not list:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed in {known_file} but passing now (remove them): {stale:?}"
    );
    assert!(
        passed as f64 / total >= bar,
        "pass rate {:.1}% is below the bar {:.1}%",
        100.0 * passed as f64 / total,
        100.0 * bar
    );
}

#[test]
fn aws_recorded() {
    run_corpus("aws-recorded", false, "aws-recorded.tsv", 0.99);
}

#[test]
fn aws_recorded_mocked() {
    run_corpus("aws-recorded-mocked", true, "aws-recorded-mocked.tsv", 0.95);
}
