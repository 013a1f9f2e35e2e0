//! TestState against what AWS answered: every recorded call of `aws-recorded-teststate` run
//! in-process, compared on status, error, cause and next state (exactly), output and each
//! `inspectionData` member (as JSON values, masked values as wildcards), and refusals on the
//! API error code and message.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod botocore;

use baton_engine::teststate::{
    test_state, InspectionData, ServiceModels, TestStateEnv, TestStateRequest, TestStateStep,
};
use regex::Regex;
use serde_json::{Map, Value};

/// The share of the corpus that must match AWS: the issue asks for 97%; this is what Baton
/// reaches (118 of 119), so a regression fails.
const PASS_BAR: f64 = 0.99;

/// Cases known to differ from AWS, with the reason; kept honest in both directions.
const KNOWN_DIFFERENCES: &str = include_str!("teststate_known_differences.txt");

/// 2025-11-20T10:00:00Z, when the state is entered.
const NOW: i64 = 1_763_632_800_000;

fn corpus_root() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().ok()?;
    workspace
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/conformance"))
        .find(|p| p.is_dir())
}

fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = corpus_root().map(|r| r.join(sub)).filter(|d| d.is_dir());
    if dir.is_none() {
        let strict = std::env::var("BATON_CI_STRICT").as_deref() == Ok("1");
        assert!(!strict, "corpus {sub} not found and BATON_CI_STRICT=1");
        eprintln!("skipping: corpus {sub} not found next to the workspace");
    }
    dir
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Placeholder tokens that stand for any value of their shape; tokens that can repeat within a
/// case (`<resource:1>`) must stand for the same value each time.
struct Masks {
    /// `(field, JSON pointer)` of each masked value.
    places: Vec<(String, String)>,
    /// Test-specific tokens and the pattern of the value they replaced.
    specific: Vec<(String, String)>,
}

impl Masks {
    fn read(expected: &Value) -> Masks {
        let places = expected["masked"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        (
                            m["field"].as_str().unwrap_or_default().to_string(),
                            m["path"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let specific = expected["test_transformers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|t| t["kind"] == "RegexTransformer")
                    .filter_map(|t| {
                        let pattern = t["args"][0].as_str()?;
                        let token = t["args"][1].as_str()?;
                        Some((token.to_string(), pattern.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Masks { places, specific }
    }

    fn pointers(&self, field: &str) -> Vec<&str> {
        self.places
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, p)| p.as_str())
            .collect()
    }
}

struct Matcher<'a> {
    masks: &'a Masks,
    bindings: HashMap<String, String>,
}

impl Matcher<'_> {
    /// JSON equality: member order ignored, numbers by value; strings at masked pointers
    /// compared as templates.
    fn json(&mut self, expected: &Value, actual: &Value, pointer: &str, masked: &[&str]) -> bool {
        let here = masked
            .iter()
            .any(|m| pointer == *m || pointer.starts_with(&format!("{m}/")));
        match (expected, actual) {
            (Value::String(e), Value::String(a)) if here => self.template(e, a),
            (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
            (Value::Array(e), Value::Array(a)) => {
                e.len() == a.len()
                    && e.iter()
                        .zip(a)
                        .enumerate()
                        .all(|(i, (x, y))| self.json(x, y, &format!("{pointer}/{i}"), masked))
            }
            (Value::Object(e), Value::Object(a)) => {
                e.len() == a.len()
                    && e.iter().all(|(k, v)| {
                        a.get(k).is_some_and(|w| {
                            let key = k.replace('~', "~0").replace('/', "~1");
                            self.json(v, w, &format!("{pointer}/{key}"), masked)
                        })
                    })
            }
            (e, a) => e == a,
        }
    }

    fn template(&mut self, template: &str, actual: &str) -> bool {
        if template == actual {
            return true;
        }
        let token =
            Regex::new(r"<(?:resource|uuid):\d+>|<partition>|<region>|111111111111|\bdate\b")
                .expect("valid regex");
        let mut pattern = String::from("^");
        let mut bound = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some((tok, re)) = self
                .masks
                .specific
                .iter()
                .find(|(t, _)| rest.starts_with(t.as_str()))
            {
                pattern.push_str(&format!("(?:{re})"));
                rest = &rest[tok.len()..];
                continue;
            }
            if let Some(m) = token.find(rest).filter(|m| m.start() == 0) {
                let tok = m.as_str();
                let re = match tok {
                    "<partition>" => r"aws[a-z-]*",
                    "<region>" => r"[a-z]{2}(?:-[a-z]+)+-\d",
                    "111111111111" => r"\d{12}",
                    "date" => r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)",
                    t if t.starts_with("<uuid") => r"[0-9a-fA-F-]{36}",
                    _ => r"[^:\s\[\]]+",
                };
                if tok.starts_with("<resource") || tok.starts_with("<uuid") {
                    pattern.push_str(&format!("({re})"));
                    bound.push(tok.to_string());
                } else {
                    pattern.push_str(&format!("(?:{re})"));
                }
                rest = &rest[m.end()..];
                continue;
            }
            let ch = rest.chars().next().expect("non-empty");
            pattern.push_str(&regex::escape(&ch.to_string()));
            rest = &rest[ch.len_utf8()..];
        }
        pattern.push('$');
        let Some(caps) = Regex::new(&pattern).ok().and_then(|r| r.captures(actual)) else {
            return false;
        };
        for (i, tok) in bound.iter().enumerate() {
            let value = caps.get(i + 1).map_or("", |m| m.as_str()).to_string();
            match self.bindings.get(tok) {
                Some(v) if *v != value => return false,
                Some(_) => {}
                None => {
                    self.bindings.insert(tok.clone(), value);
                }
            }
        }
        true
    }
}

/// The inspection data with its JSON-text members parsed, as the corpus stores it.
fn inspection_value(data: &InspectionData) -> Result<Value, String> {
    let raw = serde_json::to_value(data).map_err(|e| e.to_string())?;
    let Value::Object(members) = raw else {
        return Err("inspectionData is not an object".into());
    };
    let mut out = Map::new();
    for (k, v) in members {
        let parsed = match (&k[..], v) {
            (
                "errorDetails"
                | "maxConcurrency"
                | "toleratedFailureCount"
                | "toleratedFailurePercentage"
                | "request"
                | "response",
                v,
            ) => v,
            (_, Value::String(s)) => serde_json::from_str(&s)
                .map_err(|e| format!("inspectionData.{k} is not JSON: {e}"))?,
            (_, v) => v,
        };
        out.insert(k, parsed);
    }
    Ok(Value::Object(out))
}

/// `None` when our answer is AWS's, else why not.
fn compare(case: &Path, models: &Arc<ServiceModels>) -> Option<String> {
    let text = fs::read_to_string(case.join("request.json")).ok()?;
    let request: TestStateRequest = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return Some(format!("request not understood: {e}")),
    };
    let expected = read_json(&case.join("expected.json"));
    let masks = Masks::read(&expected);
    let mut m = Matcher {
        masks: &masks,
        bindings: HashMap::new(),
    };
    let mut env = TestStateEnv::new("us-east-1", "111111111111", NOW, 7);
    env.models = models.clone();
    let answer = test_state(&request, &env);
    if expected["outcome"] == "error" {
        let code = expected["exception"]["code"].as_str().unwrap_or_default();
        let message = expected["exception"]["message"]
            .as_str()
            .unwrap_or_default();
        return match answer {
            Err(e) if e.code() == code && e.message() == message => None,
            Err(e) => Some(format!(
                "refused with {} {:?}, expected {code} {message:?}",
                e.code(),
                e.message()
            )),
            Ok(step) => Some(format!("answered {step:?}, expected {code} {message:?}")),
        };
    }
    let response = match answer {
        Ok(TestStateStep::Done(r)) => r,
        Ok(TestStateStep::Task(p)) => {
            return Some(format!("asks for a real call: {:?}", p.request()))
        }
        Err(e) => return Some(format!("refused with {} {:?}", e.code(), e.message())),
    };
    let mut why = Vec::new();
    let s = |k: &str| expected[k].as_str().map(str::to_string);
    if Some(response.status.as_str().to_string()) != s("status") {
        why.push(format!(
            "status {} != {:?}",
            response.status.as_str(),
            s("status")
        ));
    }
    for (name, got, want) in [
        ("error", &response.error, s("error")),
        ("cause", &response.cause, s("cause")),
        ("nextState", &response.next_state, s("nextState")),
    ] {
        if *got != want {
            why.push(format!("{name} {got:?} != {want:?}"));
        }
    }
    let output = match response
        .output
        .as_deref()
        .map(serde_json::from_str::<Value>)
    {
        None => Value::Null,
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            why.push(format!("output is not JSON: {e}"));
            Value::Null
        }
    };
    if !m.json(&expected["output"], &output, "", &masks.pointers("output")) {
        why.push(format!("output {output} != {}", expected["output"]));
    }
    let inspection = match &response.inspection_data {
        None => Value::Null,
        Some(d) => inspection_value(d).unwrap_or_else(|e| {
            why.push(e);
            Value::Null
        }),
    };
    let want = &expected["inspectionData"];
    if !m.json(want, &inspection, "", &masks.pointers("inspectionData")) {
        why.push(format!("inspectionData {inspection} != {want}"));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

fn known_differences() -> BTreeMap<String, String> {
    KNOWN_DIFFERENCES
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(case, reason)| (case.to_string(), reason.to_string()))
        .collect()
}

#[test]
fn teststate_answers_as_aws_did() {
    let Some(dir) = corpus("aws-recorded-teststate/public") else {
        return;
    };
    // Mocked results are checked against AWS's service models, read from an installed botocore
    // (Baton does not ship them).
    let Some(models) = botocore::models() else {
        return;
    };
    let models = Arc::new(models);
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    let known = known_differences();
    let mut passed = 0;
    let mut failed = BTreeMap::new();
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match compare(case, &models) {
            None => passed += 1,
            Some(why) => {
                failed.insert(name, why);
            }
        }
    }
    let total = passed + failed.len();
    println!("{passed} passed, {} failed", failed.len());
    for (case, why) in &failed {
        println!("FAIL {case}: {why}");
    }
    assert!(total > 0, "no cases found");
    let unlisted: Vec<&String> = failed.keys().filter(|c| !known.contains_key(*c)).collect();
    let fixed: Vec<&String> = known.keys().filter(|c| !failed.contains_key(*c)).collect();
    assert!(
        unlisted.is_empty(),
        "failures not in the known differences: {unlisted:#?}"
    );
    assert!(
        fixed.is_empty(),
        "known differences that now pass (remove them): {fixed:#?}"
    );
    let rate = passed as f64 / total as f64;
    assert!(rate >= PASS_BAR, "pass rate {rate:.3} below {PASS_BAR}");
}
