//! The AWS-recorded API corpora run through the Step Functions API layer on a runtime over a
//! temporary SQLite store: every request body is decoded and checked as the server does
//! (`baton_api::invoke`), so ARNs, error codes and messages are the API's. Cases are compared
//! as the reference runner (`shared/tools/conformance/run_api.py`) compares a server's answers:
//!
//! * `aws-recorded-validation`: CreateStateMachine (expected `InvalidDefinition`),
//!   StartExecution on a freshly created machine (expected `InvalidExecutionInput`) or
//!   ValidateStateMachineDefinition (result and diagnostics); error code and message exact.
//! * `aws-recorded-teststate`: one TestState call per case, the request as recorded; status,
//!   output (as JSON), error, cause and next state, or the refusal's code and message;
//!   `inspectionData` is reported as its own figure.
//!
//! Each suite prints `N passed, M failed`, must reach the issue's floor, and lists every case
//! that differs from AWS with the reason (a listed case that passes, or an unlisted one that
//! fails, fails the test).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use baton_api::{invoke, ApiError, Operation};
use baton_runtime::Config;
use serde_json::{json, Value};

use support::matcher::{
    is_iso8601, is_number, is_region, is_role_arn, is_uuid, message_core, Matcher, Shape,
};
use support::{case_dirs, corpus, ctx, Harness, ROLE};

/// The share of the validation corpus that must match AWS (the issue's floor).
const VALIDATION_FLOOR: f64 = 0.90;
/// The share of the TestState corpus that must match AWS (the issue's floor).
const TESTSTATE_FLOOR: f64 = 0.97;

/// Validation cases where Baton's answer differs from AWS's, with why.
const VALIDATION_KNOWN: &[(&str, &str)] = &[];

/// TestState cases where Baton's answer differs from AWS's, with why.
const TESTSTATE_KNOWN: &[(&str, &str)] = &[(
    "teststate-present-mode-aws-sdk-lambda-get-function-task-integer-more-than-maximu-d81295bb",
    "The Lambda API model now allows MemorySize up to 32768 (botocore 1.44.5); AWS checked against 10240 when this was recorded.",
)];

/// What the API answered: an error as the server renders it, or the output as JSON.
enum Answer {
    Error {
        code: String,
        message: Option<String>,
        status: u16,
    },
    Output(Value),
}

async fn call(rt: &baton_runtime::Runtime, op: Operation, body: &Value) -> Answer {
    let bytes = serde_json::to_vec(body).expect("request body");
    match invoke(rt, &ctx(), op, &bytes).await {
        Ok(out) => Answer::Output(serde_json::from_slice(&out).expect("the output is JSON")),
        Err(e) => error_answer(&e),
    }
}

fn error_answer(e: &ApiError) -> Answer {
    let body = e.body();
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Answer::Error {
        code: e.code().to_string(),
        message,
        status: e.status(),
    }
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn case_name(case: &Path) -> String {
    case.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// How one case went: the primary verdict's reasons (empty: passed) and the separate figures.
#[derive(Default)]
struct Verdict {
    reasons: Vec<String>,
    /// Secondary checks by name: `message_core`, `http_status`, `truncated`, `inspectionData`…
    checks: BTreeMap<&'static str, bool>,
}

/// A validation case as `run_api.py`'s `run_validation` runs and compares it.
async fn validation_case(rt: &baton_runtime::Runtime, case: &Path) -> Verdict {
    let expected = read_json(&case.join("expected.json"));
    let api = expected["api"].as_str().unwrap_or_default();
    let definition = match expected["definition_text"].as_str() {
        Some(t) => t.to_string(),
        None => {
            let raw = fs::read_to_string(case.join("definition.json")).unwrap_or_default();
            raw.strip_suffix('\n').unwrap_or(&raw).to_string()
        }
    };
    let machine_type = expected["state_machine_type"]
        .as_str()
        .unwrap_or("STANDARD");
    let mut verdict = Verdict::default();
    let answer = if api == "ValidateStateMachineDefinition" {
        call(
            rt,
            Operation::ValidateStateMachineDefinition,
            &json!({"definition": definition, "type": machine_type}),
        )
        .await
    } else {
        let name = format!(
            "sfn_api_corpus_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let created = call(
            rt,
            Operation::CreateStateMachine,
            &json!({"name": name, "definition": definition, "roleArn": ROLE, "type": machine_type}),
        )
        .await;
        let machine_arn = match &created {
            Answer::Output(out) => out["stateMachineArn"].as_str().map(str::to_string),
            Answer::Error { .. } => None,
        };
        let answer = if api == "StartExecution" {
            match &machine_arn {
                Some(arn) => {
                    call(
                        rt,
                        Operation::StartExecution,
                        &json!({"stateMachineArn": arn, "input": expected["execution_input"]}),
                    )
                    .await
                }
                None => {
                    let why = match &created {
                        Answer::Error { code, message, .. } => format!("{code}: {message:?}"),
                        Answer::Output(_) => "no ARN".into(),
                    };
                    verdict
                        .reasons
                        .push(format!("harness: CreateStateMachine failed: {why}"));
                    return verdict;
                }
            }
        } else {
            created
        };
        if let Some(arn) = machine_arn {
            call(
                rt,
                Operation::DeleteStateMachine,
                &json!({"stateMachineArn": arn}),
            )
            .await;
        }
        answer
    };

    let mut m = Matcher::new(&expected["masked"]);
    if expected["outcome"] == "error" {
        let want = &expected["error"];
        let want_code = want["code"].as_str().unwrap_or_default();
        match answer {
            Answer::Output(out) => verdict.reasons.push(format!(
                "expected error {want_code}: {}, but {api} succeeded ({})",
                want["message"], out
            )),
            Answer::Error {
                code,
                message,
                status,
            } => {
                if code != want_code {
                    verdict
                        .reasons
                        .push(format!("error code: expected {want_code}, got {code}"));
                }
                let got = message.map(Value::String).unwrap_or(Value::Null);
                let diffs = m.value(&want["message"], &got, "error.message");
                let exact = diffs.is_empty();
                verdict.reasons.extend(diffs);
                if let Some(core) = want["message"].as_str().and_then(message_core) {
                    let same = exact || got.as_str().and_then(message_core) == Some(core);
                    verdict.checks.insert("message_core", same);
                }
                if let Some(s) = want["http_status"].as_u64() {
                    verdict.checks.insert("http_status", u64::from(status) == s);
                }
            }
        }
    } else {
        match answer {
            Answer::Error { code, message, .. } => verdict.reasons.push(format!(
                "expected result {}, got error {code}: {message:?}",
                expected["result"]
            )),
            Answer::Output(out) => {
                if out["result"] != expected["result"] {
                    verdict.reasons.push(format!(
                        "result: expected {}, got {}",
                        expected["result"], out["result"]
                    ));
                }
                let want = match &expected["diagnostics"] {
                    Value::Null => json!([]),
                    d => d.clone(),
                };
                let got = match &out["diagnostics"] {
                    Value::Null => json!([]),
                    d => d.clone(),
                };
                verdict.reasons.extend(m.value(&want, &got, "diagnostics"));
                if !expected["truncated"].is_null() {
                    verdict
                        .checks
                        .insert("truncated", out["truncated"] == expected["truncated"]);
                }
            }
        }
    }
    verdict
}

/// inspectionData members that the API returns as JSON text (the corpus holds them parsed).
const JSON_TEXT_MEMBERS: &[&str] = &[
    "input",
    "afterArguments",
    "afterInputPath",
    "afterParameters",
    "result",
    "afterResultSelector",
    "afterResultPath",
    "variables",
    "afterItemsPath",
    "afterItemSelector",
    "afterItemBatcher",
    "afterItemsPointer",
];

/// `(parsed, value)`: JSON text parsed, anything else as it is.
fn parse_json_text(v: &Value) -> (bool, Value) {
    match v {
        Value::String(s) => match serde_json::from_str(s) {
            Ok(parsed) => (true, parsed),
            Err(_) => (false, v.clone()),
        },
        other => (true, other.clone()),
    }
}

fn none_like(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A TestState case as `run_api.py`'s `run_teststate` runs and compares it.
async fn teststate_case(rt: &baton_runtime::Runtime, case: &Path) -> Verdict {
    let expected = read_json(&case.join("expected.json"));
    let request = read_json(&case.join("request.json"));
    let answer = call(rt, Operation::TestState, &request).await;
    let mut m = Matcher::new(&expected["masked"]);
    let mut verdict = Verdict::default();
    if expected["outcome"] == "error" {
        let want = &expected["exception"];
        let want_code = want["code"].as_str().unwrap_or_default();
        match answer {
            Answer::Output(out) => verdict.reasons.push(format!(
                "expected error {want_code}: {}, got a response with status {} ({}: {})",
                want["message"], out["status"], out["error"], out["cause"]
            )),
            Answer::Error {
                code,
                message,
                status,
            } => {
                if code != want_code {
                    verdict
                        .reasons
                        .push(format!("error code: expected {want_code}, got {code}"));
                }
                let got = message.map(Value::String).unwrap_or(Value::Null);
                verdict
                    .reasons
                    .extend(m.value(&want["message"], &got, "exception.message"));
                if let Some(s) = want["http_status"].as_u64() {
                    verdict.checks.insert("http_status", u64::from(status) == s);
                }
            }
        }
        return verdict;
    }
    let out = match answer {
        Answer::Error { code, message, .. } => {
            verdict.reasons.push(format!(
                "expected a response with status {}, got error {code}: {message:?}",
                expected["status"]
            ));
            verdict.checks.insert("inspectionData", false);
            return verdict;
        }
        Answer::Output(out) => out,
    };
    if out["status"] != expected["status"] {
        verdict.reasons.push(format!(
            "status: expected {}, got {} ({}: {})",
            expected["status"], out["status"], out["error"], out["cause"]
        ));
    }
    match parse_json_text(&out["output"]) {
        (false, v) => verdict
            .reasons
            .push(format!("output: not valid JSON text: {v}")),
        (true, v) if expected["output"].is_null() => {
            if !v.is_null() {
                verdict
                    .reasons
                    .push(format!("output: expected none, got {v}"));
            }
        }
        (true, v) => verdict
            .reasons
            .extend(m.value(&expected["output"], &v, "output")),
    }
    for field in ["error", "cause", "nextState"] {
        let (want, got) = (&expected[field], &out[field]);
        if !(want.is_null() && none_like(got)) {
            verdict.reasons.extend(m.value(want, got, field));
        }
    }
    let mut inspection = out["inspectionData"].clone();
    if let Value::Object(members) = &mut inspection {
        for (k, v) in members.iter_mut() {
            if JSON_TEXT_MEMBERS.contains(&k.as_str()) {
                *v = parse_json_text(v).1;
            }
        }
    }
    let want = &expected["inspectionData"];
    let inspection_ok = if none_like(want) {
        none_like(&inspection)
    } else {
        let got = if inspection.is_null() {
            json!({})
        } else {
            inspection
        };
        m.value(want, &got, "inspectionData").is_empty()
    };
    verdict.checks.insert("inspectionData", inspection_ok);
    verdict
}

/// Prints the suite's figures and failures, and checks them against the known differences and
/// the floor.
fn report(suite: &str, results: &BTreeMap<String, Verdict>, known: &[(&str, &str)], floor: f64) {
    let passed = results.values().filter(|v| v.reasons.is_empty()).count();
    let failed = results.len() - passed;
    let mut figures: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for v in results.values() {
        for (name, ok) in &v.checks {
            let f = figures.entry(name).or_default();
            f.0 += usize::from(*ok);
            f.1 += 1;
        }
    }
    let figures: Vec<String> = figures
        .iter()
        .map(|(name, (ok, n))| format!("{name} {ok}/{n}"))
        .collect();
    println!("{suite}: {}", figures.join(", "));
    for (case, v) in results.iter().filter(|(_, v)| !v.reasons.is_empty()) {
        println!("FAIL {case}: {}", v.reasons.join("; "));
    }
    println!("{suite}: {passed} passed, {failed} failed");
    assert!(!results.is_empty(), "{suite}: no cases found");

    let known: BTreeMap<&str, &str> = known.iter().copied().collect();
    let unlisted: Vec<&String> = results
        .iter()
        .filter(|(case, v)| !v.reasons.is_empty() && !known.contains_key(case.as_str()))
        .map(|(case, _)| case)
        .collect();
    let fixed: Vec<&&str> = known
        .keys()
        .filter(|case| results.get(**case).is_some_and(|v| v.reasons.is_empty()))
        .collect();
    let stale: Vec<&&str> = known
        .keys()
        .filter(|case| !results.contains_key(**case))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{suite}: failures not in the known differences: {unlisted:#?}"
    );
    assert!(
        fixed.is_empty(),
        "{suite}: known differences that now pass (remove them): {fixed:#?}"
    );
    assert!(
        stale.is_empty(),
        "{suite}: known differences not in the corpus: {stale:#?}"
    );
    let rate = passed as f64 / results.len() as f64;
    assert!(
        rate >= floor,
        "{suite}: pass rate {rate:.3} below the floor {floor}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_corpus_answers_as_aws_did() {
    let Some(dir) = corpus("aws-recorded-validation/public") else {
        return;
    };
    let h = Harness::new().await;
    let mut results = BTreeMap::new();
    // As the reference runner: a folder with an input is an execution case (run.py's).
    let cases = case_dirs(&dir)
        .into_iter()
        .filter(|c| c.join("definition.json").is_file() && !c.join("input.json").is_file());
    for case in cases {
        let verdict = validation_case(&h.rt, &case).await;
        results.insert(case_name(&case), verdict);
    }
    report("validation", &results, VALIDATION_KNOWN, VALIDATION_FLOOR);
}

#[tokio::test(flavor = "multi_thread")]
async fn teststate_corpus_answers_as_aws_did() {
    let Some(dir) = corpus("aws-recorded-teststate/public") else {
        return;
    };
    // Mocked results are checked against AWS's service models, read from an installed botocore
    // (Baton does not ship them).
    let Some(models) = support::botocore::models() else {
        return;
    };
    let h = Harness::with_config(Config {
        service_models: models,
        ..Config::default()
    })
    .await;
    let mut results = BTreeMap::new();
    let cases = case_dirs(&dir)
        .into_iter()
        .filter(|c| c.join("request.json").is_file());
    for case in cases {
        let verdict = teststate_case(&h.rt, &case).await;
        results.insert(case_name(&case), verdict);
    }
    report("teststate", &results, TESTSTATE_KNOWN, TESTSTATE_FLOOR);
}

// --- the comparison itself -------------------------------------------------------------------

#[test]
fn masked_templates_bind_their_tokens() {
    let masked = json!([
        {"field": "output", "path": "/Id", "kinds": ["placeholder", "account-id"]},
        {"field": "output", "path": "/Again", "kinds": ["placeholder", "account-id"]},
        {"field": "output", "path": "/At", "kinds": ["iso8601-as-date"]},
    ]);
    let mut m = Matcher::new(&masked);
    let expected = json!({
        "Id": "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:x",
        "Again": "arn:aws:states:us-east-1:111111111111:execution:<ArnPart_0idx>:y",
        "At": "date",
    });
    let actual = json!({
        "Id": "arn:aws:states:us-east-1:123456789012:execution:Machine-1:x",
        "Again": "arn:aws:states:us-east-1:123456789012:execution:Machine-1:y",
        "At": "2025-11-20T10:00:00.000Z",
    });
    assert_eq!(m.value(&expected, &actual, "output"), Vec::<String>::new());
    let other = json!({
        "Id": "arn:aws:states:us-east-1:123456789012:execution:Machine-1:x",
        "Again": "arn:aws:states:us-east-1:123456789012:execution:Machine-2:y",
        "At": "yesterday",
    });
    let mut m = Matcher::new(&masked);
    assert_eq!(m.value(&expected, &other, "output").len(), 2);
}

#[test]
fn values_compare_exactly_outside_masks() {
    let mut m = Matcher::new(&Value::Null);
    assert!(m
        .value(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]}), "x")
        .is_empty());
    assert!(!m
        .value(&json!({"a": 1}), &json!({"a": 1, "b": 2}), "x")
        .is_empty());
    assert!(!m.value(&json!(null), &json!(false), "x").is_empty());
    assert!(!m
        .value(&json!("date"), &json!("2020-01-01T00:00:00Z"), "x")
        .is_empty());
}

#[test]
fn message_cores_are_the_code_text_path_items() {
    assert_eq!(
        message_core("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'X' is wrong at /States/A, MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next'"),
        Some(vec![
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next".to_string(),
            "SCHEMA_VALIDATION_FAILED: The field 'X' is wrong at /States/A".to_string(),
        ])
    );
    assert_eq!(message_core("no core here"), None);
}

#[test]
fn shapes_follow_the_runner_patterns() {
    assert!(is_iso8601("2016-03-14T01:59:00Z"));
    assert!(is_iso8601("2016-03-14T01:59:00.123+01:00"));
    assert!(is_iso8601("2016-03-14T01:59+0100"));
    assert!(!is_iso8601("2016-03-14 01:59:00Z"));
    assert!(is_region("us-east-1") && is_region("us-gov-west-1") && !is_region("useast1"));
    assert!(is_uuid("0b1b4b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b") && !is_uuid("x"));
    assert!(is_number("-1.5e+3") && !is_number("1.") && !is_number("e3"));
    assert!(
        is_role_arn("arn:aws:iam::111111111111:role/r") && !is_role_arn("arn:aws:iam::1:role/r")
    );
    assert!(Shape::Partition.matches("aws") && Shape::Partition.matches("aws-us-gov"));
    assert!(!Shape::Partition.matches("aws-"));
}
