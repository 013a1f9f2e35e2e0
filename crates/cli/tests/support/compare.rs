//! The corpus comparison rules: outputs as JSON values, error and cause as exact strings, and
//! masked expected values as templates whose tokens stand for values of the right shape.

use regex::Regex;
use serde_json::Value;

/// One expected result (`expected.json`).
pub struct Expected {
    pub status: String,
    pub output: Value,
    pub error: Option<String>,
    /// A string, or (where the corpus stored a JSON cause parsed) any JSON value.
    pub cause: Value,
    pub events: Option<Vec<(String, Option<String>)>>,
    pub events_comparable: bool,
    /// `(field, pointer)` of each masked value.
    pub masked: Vec<(String, String)>,
}

impl Expected {
    pub fn read(v: &Value) -> Expected {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Expected {
            status: s("status").unwrap_or_default(),
            output: v.get("output").cloned().unwrap_or(Value::Null),
            error: s("error"),
            cause: v.get("cause").cloned().unwrap_or(Value::Null),
            events: v.get("events").and_then(Value::as_array).map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e.get("type")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            e.get("name").and_then(Value::as_str).map(str::to_string),
                        )
                    })
                    .collect()
            }),
            events_comparable: v
                .get("events_comparable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            masked: v
                .get("masked")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|m| {
                            (
                                m.get("field")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                                m.get("path")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// What the engine produced.
pub struct Actual {
    pub status: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub events: Vec<(String, Option<String>)>,
}

/// `Ok(())` when the outcome matches, else why not.
pub fn outcome(expected: &Expected, actual: &Actual) -> Result<(), String> {
    if expected.status != actual.status {
        return Err(format!(
            "status {} != expected {} (error {:?}, cause {:?})",
            actual.status, expected.status, actual.error, actual.cause
        ));
    }
    if expected.status == "SUCCEEDED" {
        let out: Value = match actual.output.as_deref().map(serde_json::from_str) {
            Some(Ok(v)) => v,
            other => return Err(format!("output is not JSON: {other:?}")),
        };
        let masked: Vec<&str> = expected
            .masked
            .iter()
            .filter(|(f, _)| f == "output")
            .map(|(_, p)| p.as_str())
            .collect();
        if !json_equal(&expected.output, &out, "", &masked) {
            return Err(format!("output {out} != expected {}", expected.output));
        }
        return Ok(());
    }
    let masked = |field: &str| expected.masked.iter().any(|(f, _)| f == field);
    let error_ok = match (&expected.error, &actual.error) {
        (Some(e), Some(a)) if masked("error") => template_matches(e, a),
        (e, a) => e == a,
    };
    if !error_ok {
        return Err(format!(
            "error {:?} != expected {:?}",
            actual.error, expected.error
        ));
    }
    let cause_ok = match (&expected.cause, &actual.cause) {
        (Value::Null, a) => a.is_none(),
        (Value::String(e), Some(a)) if masked("cause") => template_matches(e, a),
        (Value::String(e), Some(a)) => e == a,
        // A JSON cause the corpus stored parsed: compare as JSON values.
        (e, Some(a)) => {
            let pointers: Vec<&str> = expected
                .masked
                .iter()
                .filter(|(f, _)| f == "cause")
                .map(|(_, p)| p.as_str())
                .collect();
            serde_json::from_str::<Value>(a).is_ok_and(|a| json_equal(e, &a, "", &pointers))
        }
        (_, None) => false,
    };
    if !cause_ok {
        return Err(format!(
            "cause {:?} != expected {}",
            actual.cause, expected.cause
        ));
    }
    Ok(())
}

/// JSON equality: member order ignored, numbers by value; strings at masked pointers (or
/// below them) compared as templates.
pub fn json_equal(expected: &Value, actual: &Value, pointer: &str, masked: &[&str]) -> bool {
    let here_masked = masked
        .iter()
        .any(|m| pointer == *m || pointer.starts_with(&format!("{m}/")));
    match (expected, actual) {
        (Value::String(e), a) if here_masked => match a {
            Value::String(a) => template_matches(e, a),
            // Test-specific tokens may stand for numbers (a generated random number).
            Value::Number(n) => template_matches(e, &n.to_string()),
            _ => false,
        },
        (Value::Number(e), Value::Number(a)) => match (e.as_f64(), a.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => e == a,
        },
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len()
                && e.iter()
                    .zip(a)
                    .enumerate()
                    .all(|(i, (x, y))| json_equal(x, y, &format!("{pointer}/{i}"), masked))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter().all(|(k, v)| {
                    a.get(k).is_some_and(|w| {
                        let key = k.replace('~', "~0").replace('/', "~1");
                        json_equal(v, w, &format!("{pointer}/{key}"), masked)
                    })
                })
        }
        (e, a) => e == a,
    }
}

/// Placeholder tokens of the corpus and the shapes they stand for.
const TOKENS: &[(&str, &str)] = &[
    ("<partition>", r"aws[a-z-]*"),
    ("<region>", r"[a-z]{2}(?:-[a-z]+)+-\d"),
    ("111111111111", r"\d{12}"),
    ("<SyncExecArn_Part1_0idx>", r"[^:\s\[\]]+"),
    ("<SyncExecArn_Part2_0idx>", r"[^:\s\[\]]+"),
    ("<MapRunArnPart0_0idx>", r"[^:\s\[\]]+"),
    ("<MapRunArnPart1_0idx>", r"[^:\s\[\]]+"),
    ("snf_role_arn", r"arn:aws[a-z-]*:iam::\d{12}:role/\S+"),
    ("sfn_role_arn", r"arn:aws[a-z-]*:iam::\d{12}:role/\S+"),
    (
        "start-time",
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)",
    ),
    (
        "entered-time",
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)",
    ),
    ("generated-uuid", r"[0-9a-fA-F-]{36}"),
    ("RandomNumberGenerated", r"-?[0-9.eE+-]+"),
    ("timestamp", r".+"),
    (
        "date",
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)",
    ),
];

/// Matches `actual` against a masked template.
pub fn template_matches(template: &str, actual: &str) -> bool {
    if template == actual {
        return true;
    }
    let generic = Regex::new(r"<(?:ArnPart|ExecArnPart)_\d+idx>|<uuid:\d+>|<json-input:\d+>")
        .expect("valid regex");
    let mut pattern = String::from("^");
    let mut rest = template;
    'outer: while !rest.is_empty() {
        if let Some(m) = generic.find(rest) {
            if m.start() == 0 {
                let tok = m.as_str();
                pattern.push_str(if tok.starts_with("<uuid") {
                    r"[0-9a-fA-F-]{36}"
                } else if tok.starts_with("<json-input") {
                    r".*"
                } else {
                    r"[^:\s\[\]]+"
                });
                rest = &rest[m.end()..];
                continue;
            }
        }
        for (tok, re) in TOKENS {
            if rest.starts_with(tok) {
                pattern.push_str(&format!("(?:{re})"));
                rest = &rest[tok.len()..];
                continue 'outer;
            }
        }
        let ch = rest.chars().next().expect("non-empty");
        pattern.push_str(&regex::escape(&ch.to_string()));
        rest = &rest[ch.len_utf8()..];
    }
    pattern.push('$');
    Regex::new(&pattern).is_ok_and(|r| r.is_match(actual))
}

/// Event sequences: exact, or equal as multisets (branches and iterations may interleave).
pub fn events(expected: &[(String, Option<String>)], actual: &[(String, Option<String>)]) -> bool {
    if expected == actual {
        return true;
    }
    let mut e = expected.to_vec();
    let mut a = actual.to_vec();
    e.sort();
    a.sort();
    e == a
}
