//! Validation against what AWS did with real definitions: every definition that ran on AWS must
//! validate without errors, and every definition AWS refused must get AWS's code and message.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use baton_asl::parse;
use baton_asl::validate::{
    invalid_definition_message, validate_state, validate_text, validate_with, Diagnostic,
    MachineType, Options, Severity,
};
use serde_json::Value;

/// The share of the validation corpus that must match AWS exactly.
const PASS_BAR: f64 = 1.0;

/// Cases known to differ from AWS, with the reason; kept honest in both directions.
const KNOWN_DIFFERENCES: &str = include_str!("validate_known_differences.txt");

/// `<workspace root>/../shared/conformance`, or the same under any ancestor (worktrees live
/// one level deeper than the main checkout).
fn corpus_root() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().ok()?;
    workspace
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/conformance"))
        .find(|p| p.is_dir())
}

/// The corpus directory, or `None` (with the reason printed) when it is absent and the run is
/// not strict.
fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = corpus_root().map(|r| r.join(sub)).filter(|d| d.is_dir());
    if dir.is_none() {
        let strict = std::env::var("BATON_CI_STRICT").as_deref() == Ok("1");
        assert!(!strict, "corpus {sub} not found and BATON_CI_STRICT=1");
        eprintln!("skipping: corpus {sub} not found next to the workspace");
    }
    dir
}

fn case_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
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

fn machine_type(name: Option<&str>) -> MachineType {
    match name {
        Some("EXPRESS") => MachineType::Express,
        _ => MachineType::Standard,
    }
}

#[test]
fn every_definition_that_ran_on_aws_is_valid() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for sub in ["aws-recorded/public", "aws-recorded-mocked/public"] {
        let Some(dir) = corpus(sub) else { return };
        for case in case_dirs(&dir) {
            let def = case.join("definition.json");
            let Ok(text) = fs::read_to_string(&def) else {
                continue;
            };
            let expected = read_json(&case.join("expected.json"));
            let options = Options {
                machine_type: machine_type(expected["execution_type"].as_str()),
            };
            let diags = match parse::parse(&text, false) {
                Ok(doc) => validate_with(&doc, &options),
                Err(d) => vec![d],
            };
            checked += 1;
            let errors: Vec<&Diagnostic> = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            if !errors.is_empty() {
                failures.push(format!("{}: {:#?}", case.display(), errors));
            }
        }
    }
    println!(
        "{checked} recorded definitions checked, {} with errors",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "definitions AWS ran were refused:\n{}",
        failures.join("\n")
    );
    assert!(checked > 0, "no definitions found");
}

#[test]
fn every_definition_tested_on_aws_is_valid() {
    let Some(dir) = corpus("aws-recorded-teststate/public") else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in case_dirs(&dir) {
        let request = read_json(&case.join("request.json"));
        let expected = read_json(&case.join("expected.json"));
        // TestState's own refusals (Map and Parallel states, mocks) are not about the definition.
        if expected["exception"]["code"] == "InvalidDefinition" {
            continue;
        }
        let Some(text) = request["definition"].as_str() else {
            continue;
        };
        let doc = match parse::parse(text, false) {
            Ok(doc) => doc,
            Err(d) => {
                failures.push(format!("{}: {d:?}", case.display()));
                continue;
            }
        };
        let diags = if doc.value.get("StartAt").is_some() {
            validate_with(&doc, &Options::default())
        } else {
            validate_state(&doc, &Options::default())
        };
        checked += 1;
        let errors: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{}: {:#?}", case.display(), errors));
        }
    }
    println!(
        "{checked} tested definitions checked, {} with errors",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "definitions AWS tested were refused:\n{}",
        failures.join("\n")
    );
    assert!(checked > 0, "no definitions found");
}

/// One recorded answer compared with ours: `None` when equal, else why not.
fn compare(case: &Path) -> Option<Option<String>> {
    let expected = read_json(&case.join("expected.json"));
    let api = expected["api"].as_str().unwrap_or_default();
    if api != "CreateStateMachine" && api != "ValidateStateMachineDefinition" {
        return None;
    }
    let text = match expected["definition_text"].as_str() {
        Some(t) => t.to_string(),
        None => {
            let raw = fs::read_to_string(case.join("definition.json")).unwrap_or_default();
            raw.strip_suffix('\n').unwrap_or(&raw).to_string()
        }
    };
    let options = Options {
        machine_type: machine_type(expected["state_machine_type"].as_str()),
    };
    let diags = validate_text(&text, false, &options);
    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let verdict = if api == "CreateStateMachine" {
        let want_code = expected["error"]["code"].as_str();
        let want = expected["error"]["message"].as_str();
        let got = invalid_definition_message(&diags);
        match (want_code, want, got) {
            (Some("InvalidDefinition"), Some(w), Some(g)) if w == g => None,
            (_, w, g) => Some(format!("expected {w:?}, got {g:?}")),
        }
    } else {
        let want: Vec<(String, Option<String>, String)> = expected["diagnostics"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|d| d["severity"] == "ERROR")
                    .map(|d| {
                        (
                            d["code"].as_str().unwrap_or_default().to_string(),
                            d["location"].as_str().map(str::to_string),
                            d["message"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let got: Vec<(String, Option<String>, String)> = errors
            .iter()
            .map(|d| (d.code.to_string(), d.location.clone(), d.message.clone()))
            .collect();
        let result_ok = (expected["result"] == "OK") == errors.is_empty();
        if result_ok && want == got {
            None
        } else {
            Some(format!("expected {want:?}, got {got:?}"))
        }
    };
    Some(verdict)
}

#[test]
fn refused_definitions_get_aws_code_and_message() {
    let Some(dir) = corpus("aws-recorded-validation/public") else {
        return;
    };
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for case in case_dirs(&dir) {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        seen.push(name.clone());
        let Some(verdict) = compare(&case) else {
            continue;
        };
        match (verdict, known.get(name.as_str())) {
            (None, None) => passed += 1,
            (None, Some(_)) => {
                passed += 1;
                problems.push(format!(
                    "{name}: passes now, remove it from the known differences"
                ));
            }
            (Some(why), None) => {
                failed += 1;
                problems.push(format!("{name}: {why}"));
            }
            (Some(_), Some(_)) => failed += 1,
        }
    }
    for name in known.keys() {
        if !seen.iter().any(|s| s == name) {
            problems.push(format!(
                "{name}: listed as a known difference but not in the corpus"
            ));
        }
    }
    let total = passed + failed;
    println!("{passed} passed, {failed} failed");
    assert!(total > 0, "no validation cases found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let rate = passed as f64 / total as f64;
    assert!(
        rate >= PASS_BAR,
        "pass rate {rate:.3} below the bar {PASS_BAR}"
    );
}
