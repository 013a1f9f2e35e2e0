//! The official JSONata test suite (jsonata-js v2.2.2), run through Baton's JSONata layer: the
//! `JsonataEvaluator` seam, with AWS's changes (no `$eval`, no operators newer than 2.0.6, the
//! clock and randomness from the session). Cases that do not apply to AWS's JSONata, and the
//! ones still failing, are listed with their reason in `jsonata_known_differences.txt`; the test
//! fails when an unlisted case fails, when a listed failure passes, or when fewer than 99% of
//! the applicable cases pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use baton_asl::jsonata::engine::{
    Engine, EvalSession, Evaluated, JsonataError, JsonataEvaluator, Limits, Scope,
};
use baton_asl::vars::SeededEntropy;
use serde_json::{Map, Value};

const KNOWN: &str = include_str!("jsonata_known_differences.txt");

/// Share of applicable cases that must pass.
const BAR_PERCENT: usize = 99;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listed {
    /// Not AWS's behaviour: not run.
    NotApplicable,
    /// Runs, and is expected to fail.
    Fails,
    /// Too heavy for an unoptimised build: runs, and must pass, with `BATON_JSONATA_SLOW=1`.
    Slow,
}

struct Case {
    id: String,
    group: String,
    spec: Value,
}

/// `<ancestor>/shared/conformance/jsonata/test-suite` for the nearest ancestor of this crate
/// that has one (the workspace root's parent in the main checkout).
fn suite_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/conformance/jsonata/test-suite"))
        .find(|p| p.join("groups").is_dir())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
}

fn load_cases(suite: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for group_dir in sorted_entries(&suite.join("groups")) {
        if !group_dir.is_dir() {
            continue;
        }
        let group = group_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        for file in sorted_entries(&group_dir) {
            if file.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            match read_json(&file) {
                // A case Rust's JSON cannot read (a lone UTF-16 surrogate) stays in, failing.
                Err(why) => {
                    let spec = serde_json::json!({ "unreadable": why });
                    cases.push(Case {
                        id: format!("{group}/{name}"),
                        group: group.clone(),
                        spec,
                    });
                }
                Ok(Value::Array(specs)) => {
                    for (i, mut spec) in specs.into_iter().enumerate() {
                        resolve_expr_file(&mut spec, &group_dir);
                        let id = format!("{group}/{name}#{i}");
                        cases.push(Case {
                            id,
                            group: group.clone(),
                            spec,
                        });
                    }
                }
                Ok(mut spec) => {
                    resolve_expr_file(&mut spec, &group_dir);
                    let id = format!("{group}/{name}");
                    cases.push(Case {
                        id,
                        group: group.clone(),
                        spec,
                    });
                }
            }
        }
    }
    cases
}

fn resolve_expr_file(spec: &mut Value, group_dir: &Path) {
    let file = spec
        .get("expr-file")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(file), Some(obj)) = (file, spec.as_object_mut()) {
        let text =
            fs::read_to_string(group_dir.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        obj.insert("expr".to_string(), Value::String(text));
    }
}

fn load_datasets(suite: &Path) -> BTreeMap<String, Value> {
    sorted_entries(&suite.join("datasets"))
        .into_iter()
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_string();
            let value = read_json(&p).unwrap_or_else(|e| panic!("{e}"));
            Some((stem, value))
        })
        .collect()
}

fn parse_known() -> BTreeMap<String, (Listed, String)> {
    let mut known = BTreeMap::new();
    for (n, line) in KNOWN.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(id), Some(kind), Some(reason)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!(
                "known differences line {}: expected `<case> <kind> <reason>`",
                n + 1
            )
        };
        let kind = match kind {
            "n/a" => Listed::NotApplicable,
            "fail" => Listed::Fails,
            "slow" => Listed::Slow,
            other => panic!("known differences line {}: unknown kind {other}", n + 1),
        };
        assert!(
            known
                .insert(id.to_string(), (kind, reason.to_string()))
                .is_none(),
            "known differences line {}: {id} listed twice",
            n + 1
        );
    }
    known
}

/// Deep equality as chai's `deep.equal`: numbers by value, object members in any order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (x, y) => x == y,
    }
}

fn same_unordered(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            let mut unused: Vec<&Value> = y.iter().collect();
            x.iter()
                .all(|p| match unused.iter().position(|q| same(p, q)) {
                    Some(i) => {
                        unused.swap_remove(i);
                        true
                    }
                    None => false,
                })
        }
        (x, y) => same(x, y),
    }
}

fn error_matches(spec: &Value, err: &JsonataError, guarded: bool) -> Result<(), String> {
    let mut code = err.code.clone().unwrap_or_default();
    // The suite's harness stops runaway expressions with U1001; the evaluator's own guards for
    // the same limits report D1011 (depth) and D1012 (time).
    if guarded && (code == "D1011" || code == "D1012") {
        code = "U1001".to_string();
    }
    let expected = spec
        .get("code")
        .or_else(|| spec.pointer("/error/code"))
        .and_then(Value::as_str);
    if expected != Some(code.as_str()) {
        return Err(format!("expected error {expected:?}, got {err}"));
    }
    if let Some(message) = spec.pointer("/error/message").and_then(Value::as_str) {
        if message != err.message {
            return Err(format!(
                "expected message {message:?}, got {:?}",
                err.message
            ));
        }
    }
    Ok(())
}

fn run_case(case: &Case, datasets: &BTreeMap<String, Value>, seed: u64) -> Result<(), String> {
    let spec = &case.spec;
    if let Some(why) = spec.get("unreadable").and_then(Value::as_str) {
        return Err(format!("unreadable: {why}"));
    }
    let expr = spec
        .get("expr")
        .and_then(Value::as_str)
        .ok_or("no expression")?;
    let expects_error = spec.get("code").is_some() || spec.get("error").is_some();
    let compiled = match Engine::compile(expr) {
        Ok(c) => c,
        Err(e) if expects_error => return error_matches(spec, &e, false),
        Err(e) => return Err(format!("does not compile: {e}")),
    };
    let input = match (spec.get("data"), spec.get("dataset")) {
        (Some(data), _) => Some(data),
        (None, Some(Value::String(name))) => Some(
            datasets
                .get(name)
                .ok_or_else(|| format!("no dataset {name}"))?,
        ),
        _ => None,
    };
    let empty = Map::new();
    let bindings = spec
        .get("bindings")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let limits = match (spec.get("timelimit"), spec.get("depth")) {
        (Some(t), Some(d)) => Limits {
            timeout_ms: t.as_u64(),
            max_depth: d.as_u64().and_then(|d| usize::try_from(d).ok()),
        },
        _ => Limits::default(),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut entropy = SeededEntropy::new(seed);
    let scope = Scope {
        input,
        states: None,
        vars: bindings,
        entropy: &mut entropy,
        now_millis: i64::try_from(now).ok(),
        limits,
    };
    let outcome = Engine::session(Engine::needs(&compiled), scope)
        .and_then(|mut session| session.eval(&compiled));
    let guarded = limits != Limits::default();
    match outcome {
        Err(e) if expects_error => error_matches(spec, &e, guarded),
        Err(e) => Err(format!("unexpected error {e}")),
        Ok(_) if expects_error => Err("expected an error, got a result".to_string()),
        Ok(Evaluated::Undefined) if spec.get("undefinedResult").is_some() => Ok(()),
        Ok(Evaluated::Value(v)) => match spec.get("result") {
            Some(expected) => {
                let unordered = spec.get("unordered").and_then(Value::as_bool) == Some(true);
                let ok = if unordered {
                    same_unordered(&v, expected)
                } else {
                    same(&v, expected)
                };
                ok.then_some(())
                    .ok_or_else(|| format!("expected {expected}, got {v}"))
            }
            None => Err(format!("expected undefined, got {v}")),
        },
        Ok(other) => Err(format!("got {other:?}")),
    }
}

/// Runs the cases `runs` admits on two threads (the suite's cases are independent); `None`
/// for the others.
fn run_all(
    cases: &[Case],
    datasets: &BTreeMap<String, Value>,
    runs: &(dyn Fn(&Case) -> bool + Sync),
) -> Vec<Option<Result<(), String>>> {
    const WORKERS: usize = 2;
    let mut outcomes: Vec<Option<Result<(), String>>> = Vec::new();
    outcomes.resize_with(cases.len(), || None);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                scope.spawn(move || {
                    let mine = cases.iter().enumerate().skip(w).step_by(WORKERS);
                    mine.filter(|(_, c)| runs(c))
                        .map(|(n, c)| (n, run_case(c, datasets, n as u64)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (n, outcome) in worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
            {
                if let Some(slot) = outcomes.get_mut(n) {
                    *slot = Some(outcome);
                }
            }
        }
    });
    outcomes
}

#[test]
fn jsonata_test_suite() {
    let Some(suite) = suite_dir() else {
        let strict = std::env::var("BATON_CI_STRICT").is_ok_and(|v| v == "1");
        assert!(
            !strict,
            "the JSONata test suite (shared/conformance/jsonata) was not found"
        );
        println!("skipped: the JSONata test suite (shared/conformance/jsonata) was not found");
        return;
    };
    let cases = load_cases(&suite);
    let datasets = load_datasets(&suite);
    let known = parse_known();

    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let stale: Vec<&String> = known.keys().filter(|k| !ids.contains(k.as_str())).collect();

    let run_slow = std::env::var("BATON_JSONATA_SLOW").is_ok_and(|v| v == "1");
    let listed = |case: &Case| known.get(&case.id).map(|(kind, _)| *kind);
    let runs = |case: &Case| match listed(case) {
        Some(Listed::NotApplicable) => false,
        Some(Listed::Slow) => run_slow,
        _ => true,
    };
    let outcomes = run_all(&cases, &datasets, &runs);

    let mut by_group: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let (mut passed, mut failed, mut not_applicable, mut slow) = (0usize, 0usize, 0usize, 0usize);
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        let tally = by_group.entry(case.group.as_str()).or_default();
        let Some(outcome) = outcome else {
            match listed(case) {
                Some(Listed::Slow) => slow += 1,
                _ => {
                    not_applicable += 1;
                    tally.2 += 1;
                }
            }
            continue;
        };
        match (outcome, listed(case)) {
            (Ok(()), Some(Listed::Fails)) => {
                passed += 1;
                tally.0 += 1;
                now_passing.push(case.id.clone());
            }
            (Ok(()), _) => {
                passed += 1;
                tally.0 += 1;
            }
            (Err(why), listed) => {
                failed += 1;
                tally.1 += 1;
                if listed != Some(Listed::Fails) {
                    let expr = case.spec.get("expr").and_then(Value::as_str).unwrap_or("");
                    unexpected.push(format!("{}: {why}\n    expr: {}", case.id, expr.trim()));
                }
            }
        }
    }
    for (group, (p, f, s)) in &by_group {
        let na = if *s > 0 {
            format!(" ({s} not applicable)")
        } else {
            String::new()
        };
        println!("{group}: {p}/{}{na}", p + f);
    }
    println!("{not_applicable} cases not applicable to AWS's JSONata");
    if slow > 0 {
        println!("{slow} slow cases not run (BATON_JSONATA_SLOW=1 runs them)");
    }
    for line in &unexpected {
        println!("UNLISTED FAILURE {line}");
    }
    for id in &now_passing {
        println!("LISTED AS FAILING BUT PASSES {id}");
    }
    for id in &stale {
        println!("LISTED BUT NOT IN THE SUITE {id}");
    }
    let total = format!("JSONata test suite: {passed} passed, {failed} failed");
    println!("{total}");
    // CI shows the figure after the whole suite (BATON_FIGURES names the file).
    if let Some(path) = std::env::var_os("BATON_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(format!("{total}\n").as_bytes());
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} unlisted failures",
        unexpected.len()
    );
    assert!(
        now_passing.is_empty(),
        "{} listed failures now pass",
        now_passing.len()
    );
    assert!(
        stale.is_empty(),
        "{} listed cases are not in the suite",
        stale.len()
    );
    assert!(
        passed * 100 >= (passed + failed) * BAR_PERCENT,
        "{passed} of {} applicable cases pass, under {BAR_PERCENT}%",
        passed + failed
    );
}
