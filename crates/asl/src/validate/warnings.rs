//! Warnings (severity WARNING): definitions that are valid but probably not what was meant.
//! A static value that looks like a path (`NO_DOLLAR`, `NO_PATH`), and a `.$` key in a Pass
//! state's `Result`, which is never evaluated (`PASS_RESULT_IS_STATIC`).

use serde_json::{Map, Value};

use super::ctx::{Ctx, Loc};

/// Deeper JSON than this is not searched for warnings.
const MAX_DEPTH: usize = 64;

/// Warnings for a JSONPath state of `state_type`.
pub(super) fn check(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, state_type: &str) {
    for key in ["Parameters", "ResultSelector", "ItemSelector"] {
        if let Some(v) = obj.get(key) {
            no_dollar(cx, v, &loc.key(key), 0);
        }
    }
    if state_type == "Fail" {
        for key in ["Error", "Cause"] {
            if let Some(Value::String(s)) = obj.get(key) {
                if looks_like_path(s) {
                    cx.warn(
                        "NO_PATH",
                        &loc.key(key),
                        format!(
                            "The value of the field '{key}' looks like a path, but the field \
                             name does not end with 'Path'"
                        ),
                    );
                }
            }
        }
    }
    if state_type == "Pass" {
        if let Some(v) = obj.get("Result") {
            static_result(cx, v, &loc.key("Result"), 0);
        }
    }
}

fn looks_like_path(s: &str) -> bool {
    s == "$" || s == "$$" || s.starts_with("$.") || s.starts_with("$$.") || s.starts_with("$[")
}

fn looks_like_call(s: &str) -> bool {
    s.strip_prefix("States.")
        .is_some_and(|rest| rest.contains('(') && rest.trim_end().ends_with(')'))
}

fn no_dollar(cx: &mut Ctx<'_>, v: &Value, at: &Loc, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k.ends_with(".$") {
                    continue;
                }
                if let Value::String(s) = child {
                    if looks_like_path(s) || looks_like_call(s) {
                        cx.warn(
                            "NO_DOLLAR",
                            &at.key(k),
                            format!(
                                "The value of the field '{k}' looks like a JSONPath or an \
                                 intrinsic function, but the field name does not end with '.$'"
                            ),
                        );
                    }
                }
                no_dollar(cx, child, &at.key(k), depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                no_dollar(cx, child, &at.index(i), depth + 1);
            }
        }
        _ => {}
    }
}

fn static_result(cx: &mut Ctx<'_>, v: &Value, at: &Loc, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k.ends_with(".$") {
                    cx.warn(
                        "PASS_RESULT_IS_STATIC",
                        &at.key(k),
                        format!(
                            "The field '{k}' is in a Pass state's 'Result', which is not \
                             evaluated: use 'Parameters' to select values with a path"
                        ),
                    );
                }
                static_result(cx, child, &at.key(k), depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                static_result(cx, child, &at.index(i), depth + 1);
            }
        }
        _ => {}
    }
}
