//! The state machine and its scopes (the top level, each Parallel branch, each Map item
//! processor): `StartAt`, `States`, state names, transitions that stay inside their scope,
//! reachability and the existence of a terminal state.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::ctx::{
    only, require, Ctx, Loc, Ql, DUPLICATE_STATE_NAME, INVALID_STATE_NAME, MISSING_END_STATE,
    MISSING_TARGET, TOO_DEEPLY_NESTED,
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

/// What a scope needs to know about one of its states.
#[derive(Default)]
pub(super) struct StateInfo {
    pub transitions: Vec<Transition>,
    /// `End: true`, or a Succeed or Fail state.
    pub terminal: bool,
    /// The state is too broken to tell whether it ends the scope (no usable `Type`, or neither
    /// `Next` nor `End`): a missing terminal state would only repeat its own diagnostic.
    pub unknown_end: bool,
}

pub(super) fn check_definition(cx: &mut Ctx<'_>, value: &Value) {
    let Value::Object(root) = value else {
        cx.push(
            super::ctx::SCHEMA,
            &Loc::root(),
            false,
            not_object_message(),
        );
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
    if let Some(q) = values::enumeration(cx, root, &loc, "QueryLanguage", &["JSONPath", "JSONata"])
    {
        cx.top_ql = Ql::parse(q).unwrap_or(Ql::JsonPath);
    }
    values::string(cx, root, &loc, "Comment");
    values::string(cx, root, &loc, "Version");
    values::integer(cx, root, &loc, "TimeoutSeconds", 1, 99_999_999);
    check_scope(cx, root, &loc, 0);
}

pub(super) fn check_lone_state(cx: &mut Ctx<'_>, value: &Value) {
    if !value.is_object() {
        cx.push(
            super::ctx::SCHEMA,
            &Loc::root(),
            false,
            not_object_message(),
        );
        return;
    }
    states::check_state(cx, value, &Loc::root(), 0);
}

fn not_object_message() -> String {
    "Definition must be a valid JSON object".to_string()
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
        infos.push((name, at, info));
    }

    for (_, _, info) in &infos {
        for t in &info.transitions {
            if !states.contains_key(&t.target) {
                cx.error(
                    MISSING_TARGET,
                    &t.at,
                    format!("Missing 'Next' target: {}", t.target),
                );
            }
        }
    }
    if let Some(start) = start_at {
        if !states.contains_key(start) {
            cx.error(
                MISSING_TARGET,
                &loc.key("StartAt"),
                format!("Missing 'Next' target: {start}"),
            );
        } else {
            report_unreachable(cx, start, &infos);
        }
    }
    if !infos.is_empty() && !infos.iter().any(|(_, _, i)| i.terminal || i.unknown_end) {
        cx.push(
            MISSING_END_STATE,
            &states_loc,
            false,
            "Workflow has no terminal state".into(),
        );
    }
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

fn report_unreachable(cx: &mut Ctx<'_>, start: &str, infos: &[(&String, Loc, StateInfo)]) {
    let by_name: HashMap<&str, &StateInfo> =
        infos.iter().map(|(n, _, i)| (n.as_str(), i)).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    seen.insert(start);
    queue.push_back(start);
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
                false,
                format!("State \"{name}\" is not reachable."),
            );
        }
    }
}

/// Checks a Parallel branch or a Map item processor (`ItemProcessor`/`Iterator`) object, then
/// the scope it holds.
pub(super) fn check_sub_machine(
    cx: &mut Ctx<'_>,
    value: &Value,
    loc: &Loc,
    allowed: &[&str],
    depth: usize,
) {
    let Value::Object(obj) = value else {
        cx.schema(loc, "Value should be an object".to_string());
        return;
    };
    only(cx, obj, loc, allowed);
    require(cx, obj, loc, &["States", "StartAt"]);
    values::string(cx, obj, loc, "Comment");
    check_scope(cx, obj, loc, depth + 1);
}
