//! The state machine and its scopes (the top level, each Parallel branch, each Map item
//! processor): `StartAt`, `States`, state names, transitions that stay inside their scope,
//! reachability, and the terminal state a workflow needs.
//!
//! As AWS does it: a dangling transition is reported where it is written; the states nothing
//! reaches are reported after the scope's other findings; a top level with no terminal state
//! gets `MISSING_END_STATE` (last, without a location) instead of reachability findings, and
//! sub-machines are only walked for reachability.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::ctx::{
    only, require, Ctx, Loc, Place, Ql, DUPLICATE_STATE_NAME, INVALID_STATE_NAME,
    MISSING_END_STATE, MISSING_TARGET, SCHEMA, TOO_DEEPLY_NESTED,
};
use super::{states, values};

/// Nesting of Parallel and Map scopes beyond which a definition is refused.
const MAX_SCOPE_DEPTH: usize = 64;

/// The longest state name, in UTF-16 code units as AWS counts.
const MAX_STATE_NAME: usize = 80;

/// A transition out of a state: the target name and where it is written.
pub(super) struct Transition {
    pub target: String,
    pub at: Loc,
}

/// The transitions out of one state.
#[derive(Default)]
pub(super) struct StateInfo {
    pub transitions: Vec<Transition>,
}

pub(super) fn check_definition(cx: &mut Ctx<'_>, value: &Value) {
    let Value::Object(root) = value else {
        cx.push(SCHEMA, &Loc::root(), Place::Unlocated, not_object_message());
        return;
    };
    let loc = Loc::root();
    only(
        cx,
        root,
        &loc,
        &[
            "Comment",
            "StartAt",
            "States",
            "TimeoutSeconds",
            "Version",
            "QueryLanguage",
        ],
    );
    require(cx, root, &loc, &["States", "StartAt"]);
    cx.top_ql = states::query_language(cx, root, &loc, Ql::JsonPath);
    values::string(cx, root, &loc, "Comment");
    values::string(cx, root, &loc, "Version");
    values::integer(cx, root, &loc, "TimeoutSeconds", 1, 99_999_999);
    check_scope(cx, root, &loc, 0);
}

pub(super) fn check_lone_state(cx: &mut Ctx<'_>, value: &Value) {
    if !value.is_object() {
        cx.push(SCHEMA, &Loc::root(), Place::Unlocated, not_object_message());
        return;
    }
    states::check_state(cx, value, &Loc::root(), 0);
}

fn not_object_message() -> String {
    "Definition must be a valid JSON object".to_string()
}

/// True when the state ends its workflow: a Succeed or Fail state, or `"End": true`.
fn is_terminal(state: &Value) -> bool {
    matches!(
        state.get("Type").and_then(Value::as_str),
        Some("Succeed" | "Fail")
    ) || state.get("End") == Some(&Value::Bool(true))
}

/// Checks the states of one scope. The caller has checked the scope object's own fields.
pub(super) fn check_scope(cx: &mut Ctx<'_>, scope: &Map<String, Value>, loc: &Loc, depth: usize) {
    if depth > MAX_SCOPE_DEPTH {
        cx.error(
            TOO_DEEPLY_NESTED,
            loc,
            "The states are too deeply nested".to_string(),
        );
        return;
    }
    let start_at = values::string(cx, scope, loc, "StartAt");
    let states_loc = loc.key("States");
    let Some(states) = values::object(cx, scope, loc, "States") else {
        return;
    };
    if states.is_empty() {
        cx.schema(&states_loc, "Value cannot be empty".to_string());
    }
    for dup in cx.duplicate_keys(&states_loc) {
        let name = dup.replace("~1", "/").replace("~0", "~");
        let at = states_loc.key(&name);
        cx.error(
            DUPLICATE_STATE_NAME,
            &at,
            format!("Duplicate State name: {name}"),
        );
    }

    let mut infos: Vec<(&String, Loc, StateInfo)> = Vec::with_capacity(states.len());
    for (name, state) in states {
        let at = states_loc.key(name);
        check_name(cx, name, &at);
        let info = states::check_state(cx, state, &at, depth);
        for t in &info.transitions {
            if !states.contains_key(&t.target) {
                cx.error(
                    MISSING_TARGET,
                    &t.at,
                    format!("Missing 'Next' target: {}", t.target),
                );
            }
        }
        infos.push((name, at, info));
    }

    let top = depth == 0;
    if top && !states.is_empty() && !states.values().any(is_terminal) {
        cx.push(
            MISSING_END_STATE,
            &states_loc,
            Place::ScopeEndUnlocated,
            "Workflow has no terminal state".to_string(),
        );
        return;
    }
    let Some(start) = start_at else { return };
    if !states.contains_key(start) {
        cx.push(
            MISSING_TARGET,
            &loc.key("StartAt"),
            Place::ScopeEnd,
            format!("Missing 'Next' target: {start}"),
        );
    }
    report_unreachable(cx, start, &infos);
}

fn check_name(cx: &mut Ctx<'_>, name: &str, at: &Loc) {
    let len = name.encode_utf16().count();
    if len == 0 || len > MAX_STATE_NAME {
        cx.error(
            INVALID_STATE_NAME,
            at,
            format!(
                "Invalid State name: '{name}' must be between 1 and {MAX_STATE_NAME} characters"
            ),
        );
    }
    if !cx.names.insert(name.to_string()) {
        cx.error(
            DUPLICATE_STATE_NAME,
            at,
            format!("Duplicate State name: {name}"),
        );
    }
}

/// Every state not reachable from `start` (all of them when `start` names no state).
fn report_unreachable(cx: &mut Ctx<'_>, start: &str, infos: &[(&String, Loc, StateInfo)]) {
    let by_name: HashMap<&str, &StateInfo> =
        infos.iter().map(|(n, _, i)| (n.as_str(), i)).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    if by_name.contains_key(start) {
        seen.insert(start);
        queue.push_back(start);
    }
    while let Some(name) = queue.pop_front() {
        let Some(info) = by_name.get(name) else {
            continue;
        };
        for t in &info.transitions {
            if by_name.contains_key(t.target.as_str()) && seen.insert(t.target.as_str()) {
                queue.push_back(t.target.as_str());
            }
        }
    }
    for (name, at, _) in infos {
        if !seen.contains(name.as_str()) {
            cx.push(
                MISSING_TARGET,
                at,
                Place::ScopeEnd,
                format!("State \"{name}\" is not reachable."),
            );
        }
    }
}

/// Checks a Parallel branch or a Map item processor (`ItemProcessor`/`Iterator`) object, then
/// the scope it holds. Its states take the machine's query language, not the enclosing state's.
pub(super) fn check_sub_machine(
    cx: &mut Ctx<'_>,
    value: &Value,
    loc: &Loc,
    allowed: &[&str],
    depth: usize,
) {
    let Value::Object(obj) = value else {
        cx.wrong_type(loc, "OBJECT");
        return;
    };
    cx.enter_scope(loc);
    only(cx, obj, loc, allowed);
    require(cx, obj, loc, &["States", "StartAt"]);
    values::string(cx, obj, loc, "Comment");
    check_scope(cx, obj, loc, depth + 1);
    cx.leave_scope();
}
