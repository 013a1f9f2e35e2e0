//! One state: its `Type`, its query language, the fields its type allows, `Next`/`End`, and
//! the rules of each type (Task, Map and Choice have their own modules).

use serde_json::{Map, Value};

use super::ctx::{exclusive, one_of_required, require, Ctx, Loc, Ql};
use super::fields::{self, STATE_TYPES};
use super::machine::{check_sub_machine, StateInfo, Transition};
use super::{choice, map, retry, syntax, task, values, warnings};

pub(super) fn check_state(cx: &mut Ctx<'_>, value: &Value, loc: &Loc, depth: usize) -> StateInfo {
    let mut info = StateInfo::default();
    let Value::Object(obj) = value else {
        cx.wrong_type(loc, "OBJECT");
        return info;
    };
    let top = cx.top_ql;
    let ql = query_language(cx, obj, loc, top);
    // A JSONata machine cannot go back to JSONPath state by state; that refusal is the whole
    // answer about the state's language (its JSONPath fields are not named on top of it).
    let downgraded =
        top == Ql::Jsonata && obj.get("QueryLanguage").and_then(Value::as_str) == Some("JSONPath");
    if downgraded {
        cx.schema(
            loc,
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
                .to_string(),
        );
    }
    let state_type = match obj.get("Type") {
        None => {
            require(cx, obj, loc, &["Type"]);
            None
        }
        Some(Value::String(t)) if STATE_TYPES.contains(&t.as_str()) => Some(t.as_str()),
        Some(_) => {
            cx.schema(
                &loc.key("Type"),
                format!(
                    "The field 'Type' should have one of these values: [{}]",
                    STATE_TYPES.join(", ")
                ),
            );
            None
        }
    };
    values::string(cx, obj, loc, "Comment");
    let Some(state_type) = state_type else {
        // Without a type the fields mean nothing, but the transitions still tell which states
        // are reachable.
        for key in ["Next", "Default"] {
            if let Some(Value::String(t)) = obj.get(key) {
                info.transitions.push(Transition {
                    target: t.clone(),
                    at: loc.key(key),
                });
            }
        }
        return info;
    };
    fields::check_state_fields(cx, obj, loc, state_type, ql, !downgraded);

    if !matches!(state_type, "Succeed" | "Fail" | "Choice") {
        next_or_end(cx, obj, loc, &mut info);
    }
    io_fields(cx, obj, loc, state_type, ql);
    if ql == Ql::JsonPath {
        warnings::check(cx, obj, loc, state_type);
    }
    match state_type {
        "Task" => task::check_task(cx, obj, loc, ql),
        "Choice" => choice::check_choice(cx, obj, loc, ql, &mut info),
        "Wait" => check_wait(cx, obj, loc, ql),
        "Fail" => check_fail(cx, obj, loc, ql),
        "Parallel" => check_parallel(cx, obj, loc, depth),
        "Map" => map::check_map(cx, obj, loc, ql, depth),
        _ => {}
    }
    if matches!(state_type, "Task" | "Parallel" | "Map") {
        retry::check_retry(cx, obj, loc);
        retry::check_catch(cx, obj, loc, ql, &mut info);
    }
    info
}

/// The query language of a state (or of the machine): its own `QueryLanguage` when it has one,
/// else `inherited`. AWS takes anything but exactly `JSONPath` as JSONata, and reports a value
/// outside the two names at the field.
pub(super) fn query_language(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    inherited: Ql,
) -> Ql {
    let Some(declared) = obj.get("QueryLanguage") else {
        return inherited;
    };
    let at = loc.key("QueryLanguage");
    match declared.as_str() {
        Some("JSONPath") => return Ql::JsonPath,
        Some("JSONata") => {}
        Some(_) => cx.schema(
            &at,
            "Value should be one of the following: [JSONPath, JSONata]".into(),
        ),
        None => cx.wrong_type(&at, "STRING"),
    }
    Ql::Jsonata
}

fn next_or_end(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, info: &mut StateInfo) {
    let end = values::boolean(cx, obj, loc, "End");
    if let Some(target) = values::string(cx, obj, loc, "Next") {
        info.transitions.push(Transition {
            target: target.to_string(),
            at: loc.key("Next"),
        });
    }
    match (obj.contains_key("Next"), end) {
        (true, Some(true)) => exclusive(cx, obj, loc, &["Next", "End"]),
        (false, Some(false)) => cx.schema(
            loc,
            "Exactly one of these fields is required: [Next, End]".to_string(),
        ),
        (false, None) if !obj.contains_key("End") => {
            one_of_required(cx, obj, loc, &["Next", "End"])
        }
        _ => {}
    }
}

/// The input and output fields a state may have, by query language.
fn io_fields(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, state_type: &str, ql: Ql) {
    let allowed = |f: &str| fields::lang_of(state_type, f).is_some();
    if ql == Ql::JsonPath {
        for key in ["InputPath", "OutputPath"] {
            if allowed(key) {
                syntax::path_field(cx, obj, loc, key);
            }
        }
        if allowed("ResultPath") {
            syntax::reference_path_field(cx, obj, loc, "ResultPath");
        }
        for key in ["Parameters", "ResultSelector"] {
            if allowed(key) {
                syntax::payload_template_field(cx, obj, loc, key);
            }
        }
    } else {
        for key in ["Arguments", "Output"] {
            if allowed(key) {
                if let Some(v) = obj.get(key) {
                    syntax::jsonata_value(cx, v, &loc.key(key));
                }
            }
        }
    }
    if allowed("Assign") {
        syntax::assign(cx, obj, loc, ql);
    }
}

fn check_wait(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    let group: &[&str] = match ql {
        Ql::JsonPath => &["Seconds", "Timestamp", "SecondsPath", "TimestampPath"],
        Ql::Jsonata => &["Seconds", "Timestamp"],
    };
    one_of_required(cx, obj, loc, group);
    exclusive(cx, obj, loc, group);
    values::integer_or_expr(cx, obj, loc, "Seconds", ql, 0, 99_999_999);
    if let Some(v) = obj.get("Timestamp") {
        let at = loc.key("Timestamp");
        match v {
            Value::String(s) if ql == Ql::Jsonata && crate::jsonata::is_expression(s) => {
                syntax::jsonata_string(cx, v, &at);
            }
            Value::String(s) => {
                if !syntax::is_rfc3339(s) {
                    cx.schema(&at, "String does not match RFC3339 timestamp".to_string());
                }
            }
            _ => cx.wrong_type(&at, "STRING"),
        }
    }
    if ql == Ql::JsonPath {
        syntax::value_path_field(cx, obj, loc, "SecondsPath");
        syntax::value_path_field(cx, obj, loc, "TimestampPath");
    }
}

fn check_fail(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, ql: Ql) {
    exclusive(cx, obj, loc, &["Error", "ErrorPath"]);
    exclusive(cx, obj, loc, &["Cause", "CausePath"]);
    for key in ["Error", "Cause"] {
        if let Some(s) = values::string(cx, obj, loc, key) {
            if ql == Ql::Jsonata && crate::jsonata::is_expression(s) {
                if let Some(v) = obj.get(key) {
                    syntax::jsonata_string(cx, v, &loc.key(key));
                }
            }
        }
    }
    if ql == Ql::JsonPath {
        for key in ["ErrorPath", "CausePath"] {
            syntax::path_or_intrinsic_field(cx, obj, loc, key);
        }
    }
}

fn check_parallel(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, depth: usize) {
    require(cx, obj, loc, &["Branches"]);
    let Some(branches) = values::array(cx, obj, loc, "Branches", true) else {
        return;
    };
    let branches_loc = loc.key("Branches");
    for (i, branch) in branches.iter().enumerate() {
        check_sub_machine(
            cx,
            branch,
            &branches_loc.index(i),
            &["StartAt", "States", "Comment"],
            depth,
        );
    }
}
