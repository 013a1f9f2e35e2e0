//! Every mock file of the recorded mocked corpus parses, and replaying each recorded history's
//! service calls through a `MockSession` gives back the recorded outcome of every call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use baton_mock::{LookupError, MockConfig, MockResponse, MockSession};
use serde_json::Value;

const CORPUS: &str = "conformance/aws-recorded-mocked/public";

/// `<workspace root>/../shared/...` first, then `shared/` beside any ancestor of the root
/// (a worktree nested one level deeper still finds the shared corpus).
fn corpus_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let first = root.join("../shared").join(CORPUS);
    std::iter::once(first)
        .chain(root.ancestors().map(|a| a.join("shared").join(CORPUS)))
        .find(|p| p.is_dir())
}

fn strict() -> bool {
    std::env::var("BATON_CI_STRICT").is_ok_and(|v| v == "1")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recorded snapshot keeps object outputs parsed and other values as JSON text.
fn recorded_value(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// Causes were stored parsed when they were JSON objects and may have been re-serialised,
/// so they are compared as JSON when both sides are JSON.
fn same_cause(mocked: Option<&str>, recorded: Option<&Value>) -> bool {
    match (mocked, recorded) {
        (None, None) | (None, Some(Value::Null)) => true,
        (Some(m), Some(Value::String(r))) if m == r => true,
        (Some(m), Some(r)) => {
            let m: Option<Value> = serde_json::from_str(m).ok();
            m.is_some_and(|m| m == recorded_value(r))
        }
        _ => false,
    }
}

fn details(event: &Value) -> Option<&Value> {
    event
        .as_object()?
        .iter()
        .find(|(k, _)| k.ends_with("EventDetails"))
        .map(|(_, v)| v)
}

const SCHEDULED: [&str; 3] = [
    "TaskScheduled",
    "LambdaFunctionScheduled",
    "ActivityScheduled",
];

fn is_outcome(ty: &str) -> bool {
    let service = ["Task", "LambdaFunction", "Activity"]
        .iter()
        .any(|p| ty.starts_with(p) && !ty.starts_with("TaskState"));
    let end = [
        "Succeeded",
        "Failed",
        "TimedOut",
        "StartFailed",
        "ScheduleFailed",
    ]
    .iter()
    .any(|s| ty.ends_with(s));
    service && end
}

/// One service call of the history: its state, and its outcome event.
struct Call<'a> {
    state: String,
    outcome: &'a Value,
}

/// Ties each `*Scheduled` event to its state (back along `previousEventId` to the
/// `*StateEntered`) and to its outcome (the outcome whose chain leads back to it).
fn calls(events: &[Value]) -> Result<Vec<Call<'_>>, String> {
    let by_id: HashMap<i64, &Value> = events
        .iter()
        .filter_map(|e| Some((e.get("id")?.as_i64()?, e)))
        .collect();
    let ty = |e: &Value| {
        e.get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let back = |e: &Value| {
        e.get("previousEventId")
            .and_then(Value::as_i64)
            .and_then(|p| by_id.get(&p).copied())
    };
    let mut outcome_of: HashMap<i64, &Value> = HashMap::new();
    for e in events.iter().filter(|e| is_outcome(&ty(e))) {
        let mut cur = back(e);
        while let Some(c) = cur {
            if SCHEDULED.contains(&ty(c).as_str()) {
                let id = c.get("id").and_then(Value::as_i64).unwrap_or(-1);
                outcome_of.insert(id, e);
                break;
            }
            cur = back(c);
        }
    }
    let mut out = Vec::new();
    for e in events
        .iter()
        .filter(|e| SCHEDULED.contains(&ty(e).as_str()))
    {
        let id = e.get("id").and_then(Value::as_i64).unwrap_or(-1);
        let mut cur = back(e);
        let state = loop {
            let c = cur.ok_or_else(|| format!("event {id}: no *StateEntered before it"))?;
            if ty(c).ends_with("StateEntered") {
                let name = details(c)
                    .and_then(|d| d.get("name"))
                    .and_then(Value::as_str);
                break name.unwrap_or("").to_owned();
            }
            cur = back(c);
        };
        let outcome = *outcome_of
            .get(&id)
            .ok_or_else(|| format!("event {id}: no recorded outcome"))?;
        out.push(Call { state, outcome });
    }
    Ok(out)
}

/// What the mock must give for this recorded outcome, or why it does not.
fn check_outcome(got: &MockResponse, outcome: &Value) -> Result<(), String> {
    let ty = outcome.get("type").and_then(Value::as_str).unwrap_or("");
    let d = details(outcome);
    let field = |k: &str| d.and_then(|d| d.get(k));
    match got {
        MockResponse::Return(v) if ty.ends_with("Succeeded") => {
            let recorded = field("output").map(recorded_value);
            (recorded.as_ref() == Some(v))
                .then_some(())
                .ok_or_else(|| format!("Return {v} but {ty} output {recorded:?}"))
        }
        MockResponse::Throw { error, cause } if ty.ends_with("TimedOut") => {
            let ok = error.as_deref() == Some("States.Timeout") && cause.is_none();
            ok.then_some(())
                .ok_or_else(|| format!("{ty} but Throw {error:?}"))
        }
        MockResponse::Throw { error, cause } if ty.ends_with("Failed") => {
            let rec_error = field("error").and_then(Value::as_str);
            let ok = error.as_deref() == rec_error && same_cause(cause.as_deref(), field("cause"));
            ok.then_some(()).ok_or_else(|| {
                format!(
                    "Throw {error:?}/{cause:?} but {ty} {rec_error:?}/{:?}",
                    field("cause")
                )
            })
        }
        other => Err(format!("mock {other:?} for a {ty} event")),
    }
}

fn check_case(dir: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(dir.join("mock-config.json")).map_err(|e| e.to_string())?;
    let config = MockConfig::parse(&text).map_err(|e| format!("parse: {e}"))?;
    let case = config.test_case("SM", "Case").map_err(|e| e.to_string())?;
    let history = read_json(&dir.join("history.json"));
    let events = history.as_array().ok_or("history.json is not an array")?;
    let calls = calls(events)?;

    let called: BTreeSet<&str> = calls.iter().map(|c| c.state.as_str()).collect();
    let mocked: BTreeSet<&str> = case.states().map(|(s, _)| s).collect();
    if called != mocked {
        return Err(format!("called {called:?} but mocked {mocked:?}"));
    }

    // Replaying in event order checks the attempt numbering: one counter per state for the
    // whole execution, through retries and re-entries alike.
    let mut session = MockSession::new(case.clone());
    for (i, call) in calls.iter().enumerate() {
        let got = session
            .next(&call.state)
            .ok_or_else(|| format!("call {i}: {} is not mocked", call.state))?
            .map_err(|e| format!("call {i}: {e}"))?;
        check_outcome(&got, call.outcome).map_err(|e| format!("call {i} ({}): {e}", call.state))?;
    }
    // One invocation more than recorded has no response: nothing repeats.
    let mut per_state: BTreeMap<&str, u32> = BTreeMap::new();
    for call in &calls {
        *per_state.entry(call.state.as_str()).or_default() += 1;
    }
    for (state, n) in per_state {
        match case.response(state, n) {
            Err(LookupError::NoResponseForAttempt { attempt, .. }) if attempt == n => {}
            other => {
                return Err(format!(
                    "{state} attempt {n}: expected no response, got {other:?}"
                ))
            }
        }
    }
    Ok(calls.len())
}

#[test]
fn every_recorded_mock_config_parses_and_replays_its_history() {
    let Some(dir) = corpus_dir() else {
        assert!(
            !strict(),
            "BATON_CI_STRICT=1 but the corpus {CORPUS} was not found"
        );
        eprintln!("skipping: corpus {CORPUS} not found beside the workspace");
        return;
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("mock-config.json").is_file())
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    let mut total_calls = 0;
    for case in &cases {
        match check_case(case) {
            Ok(n) => total_calls += n,
            Err(e) => failures.push(format!("{}: {e}", case.display())),
        }
    }
    eprintln!(
        "{} mock configs, {total_calls} recorded service calls replayed",
        cases.len()
    );
    assert!(!cases.is_empty(), "no cases under {}", dir.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
