//! Which fields each state type accepts, and in which query language.

use serde_json::{Map, Value};

use super::ctx::{Ctx, Loc, Ql};

/// The query languages a field belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Both,
    JsonPath,
    Jsonata,
}

use Lang::{Both, JsonPath as P, Jsonata as A};

pub(super) const STATE_TYPES: [&str; 8] = [
    "Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map",
];

const COMMON: &[(&str, Lang)] = &[("Type", Both), ("Comment", Both), ("QueryLanguage", Both)];

const PASS: &[(&str, Lang)] = &[
    ("Next", Both),
    ("End", Both),
    ("InputPath", P),
    ("OutputPath", P),
    ("Parameters", P),
    ("ResultPath", P),
    ("Result", P),
    ("Assign", Both),
    ("Output", A),
];

const TASK: &[(&str, Lang)] = &[
    ("Next", Both),
    ("End", Both),
    ("Resource", Both),
    ("InputPath", P),
    ("OutputPath", P),
    ("Parameters", P),
    ("ResultPath", P),
    ("ResultSelector", P),
    ("Arguments", A),
    ("Output", A),
    ("Assign", Both),
    ("Retry", Both),
    ("Catch", Both),
    ("TimeoutSeconds", Both),
    ("TimeoutSecondsPath", P),
    ("HeartbeatSeconds", Both),
    ("HeartbeatSecondsPath", P),
    ("Credentials", Both),
];

const CHOICE: &[(&str, Lang)] = &[
    ("Choices", Both),
    ("Default", Both),
    ("InputPath", P),
    ("OutputPath", P),
    ("Assign", Both),
    ("Output", A),
];

const WAIT: &[(&str, Lang)] = &[
    ("Next", Both),
    ("End", Both),
    ("InputPath", P),
    ("OutputPath", P),
    ("Seconds", Both),
    ("Timestamp", Both),
    ("SecondsPath", P),
    ("TimestampPath", P),
    ("Assign", Both),
    ("Output", A),
];

const SUCCEED: &[(&str, Lang)] = &[("InputPath", P), ("OutputPath", P), ("Output", A)];

const FAIL: &[(&str, Lang)] = &[
    ("Error", Both),
    ("Cause", Both),
    ("ErrorPath", P),
    ("CausePath", P),
];

const PARALLEL: &[(&str, Lang)] = &[
    ("Next", Both),
    ("End", Both),
    ("Branches", Both),
    ("InputPath", P),
    ("OutputPath", P),
    ("Parameters", P),
    ("ResultPath", P),
    ("ResultSelector", P),
    ("Arguments", A),
    ("Output", A),
    ("Assign", Both),
    ("Retry", Both),
    ("Catch", Both),
];

const MAP: &[(&str, Lang)] = &[
    ("Next", Both),
    ("End", Both),
    ("Iterator", Both),
    ("ItemProcessor", Both),
    ("ItemsPath", P),
    ("Items", A),
    ("ItemSelector", Both),
    ("Parameters", P),
    ("MaxConcurrency", Both),
    ("MaxConcurrencyPath", P),
    ("InputPath", P),
    ("OutputPath", P),
    ("ResultPath", P),
    ("ResultSelector", P),
    ("Output", A),
    ("Assign", Both),
    ("Retry", Both),
    ("Catch", Both),
    ("ItemReader", Both),
    ("ItemBatcher", Both),
    ("ResultWriter", Both),
    ("ToleratedFailurePercentage", Both),
    ("ToleratedFailurePercentagePath", P),
    ("ToleratedFailureCount", Both),
    ("ToleratedFailureCountPath", P),
    ("Label", Both),
];

fn table(state_type: &str) -> &'static [(&'static str, Lang)] {
    match state_type {
        "Pass" => PASS,
        "Task" => TASK,
        "Choice" => CHOICE,
        "Wait" => WAIT,
        "Succeed" => SUCCEED,
        "Fail" => FAIL,
        "Parallel" => PARALLEL,
        "Map" => MAP,
        _ => &[],
    }
}

/// Every field a state of `state_type` may have, in either query language (none for a type
/// that does not exist).
pub fn state_fields(state_type: &str) -> Vec<&'static str> {
    let own = table(state_type);
    if own.is_empty() {
        return Vec::new();
    }
    COMMON.iter().chain(own).map(|(f, _)| *f).collect()
}

/// The language a field of `state_type` belongs to, or `None` when the type has no such field.
pub(super) fn lang_of(state_type: &str, field: &str) -> Option<Lang> {
    COMMON
        .iter()
        .chain(table(state_type))
        .find(|(f, _)| *f == field)
        .map(|(_, l)| *l)
}

/// Reports every field the state type does not have and, with `languages`, every field of the
/// other query language.
pub(super) fn check_state_fields(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    state_type: &str,
    ql: Ql,
    languages: bool,
) {
    for key in obj.keys() {
        match lang_of(state_type, key) {
            None => cx.schema(loc, format!("Field '{key}' is not supported")),
            Some(lang) if languages => wrong_language(cx, loc, key, lang, ql),
            Some(_) => {}
        }
    }
}

/// Reports `key` when it belongs to the other query language.
pub(super) fn wrong_language(cx: &mut Ctx<'_>, loc: &Loc, key: &str, lang: Lang, ql: Ql) {
    let other = match (lang, ql) {
        (P, Ql::Jsonata) => Ql::JsonPath,
        (A, Ql::JsonPath) => Ql::Jsonata,
        _ => return,
    };
    cx.schema(
        loc,
        format!(
            "The QueryLanguage is set to '{}', but field '{key}' is only supported for the '{}' \
             QueryLanguage",
            ql.name(),
            other.name()
        ),
    );
}
