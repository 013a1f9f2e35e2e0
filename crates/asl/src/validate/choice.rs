//! The Choice state and its rules: in JSONPath, a `Variable` with exactly one comparison
//! operator, or `And`/`Or` (non-empty) or `Not` (one rule), nested; in JSONata, a `Condition`.
//! Only a top-level rule has `Next` (and `Assign`, and in JSONata `Output`).

use serde_json::{Map, Value};

use super::ctx::{list, require, Ctx, Loc, Ql};
use super::fields::{wrong_language, Lang};
use super::machine::{StateInfo, Transition};
use super::{syntax, values};

/// Deeper And/Or/Not nesting than this is refused rather than walked.
const MAX_RULE_DEPTH: usize = 100;

/// What a comparison operator compares with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    /// `StringMatches`: a string pattern.
    Pattern,
    /// `…Path` operators: a path to the value.
    Path,
    /// `IsNull`, `IsPresent`, …: `true` or `false`.
    TypeTest,
}

const OPERATORS: [(&str, Operand); 39] = [
    ("StringEquals", Operand::String),
    ("StringEqualsPath", Operand::Path),
    ("StringLessThan", Operand::String),
    ("StringLessThanPath", Operand::Path),
    ("StringGreaterThan", Operand::String),
    ("StringGreaterThanPath", Operand::Path),
    ("StringLessThanEquals", Operand::String),
    ("StringLessThanEqualsPath", Operand::Path),
    ("StringGreaterThanEquals", Operand::String),
    ("StringGreaterThanEqualsPath", Operand::Path),
    ("StringMatches", Operand::Pattern),
    ("NumericEquals", Operand::Number),
    ("NumericEqualsPath", Operand::Path),
    ("NumericLessThan", Operand::Number),
    ("NumericLessThanPath", Operand::Path),
    ("NumericGreaterThan", Operand::Number),
    ("NumericGreaterThanPath", Operand::Path),
    ("NumericLessThanEquals", Operand::Number),
    ("NumericLessThanEqualsPath", Operand::Path),
    ("NumericGreaterThanEquals", Operand::Number),
    ("NumericGreaterThanEqualsPath", Operand::Path),
    ("BooleanEquals", Operand::Boolean),
    ("BooleanEqualsPath", Operand::Path),
    ("TimestampEquals", Operand::Timestamp),
    ("TimestampEqualsPath", Operand::Path),
    ("TimestampLessThan", Operand::Timestamp),
    ("TimestampLessThanPath", Operand::Path),
    ("TimestampGreaterThan", Operand::Timestamp),
    ("TimestampGreaterThanPath", Operand::Path),
    ("TimestampLessThanEquals", Operand::Timestamp),
    ("TimestampLessThanEqualsPath", Operand::Path),
    ("TimestampGreaterThanEquals", Operand::Timestamp),
    ("TimestampGreaterThanEqualsPath", Operand::Path),
    ("IsNull", Operand::TypeTest),
    ("IsPresent", Operand::TypeTest),
    ("IsNumeric", Operand::TypeTest),
    ("IsString", Operand::TypeTest),
    ("IsBoolean", Operand::TypeTest),
    ("IsTimestamp", Operand::TypeTest),
];

const SELECTORS: [&str; 5] = ["And", "Or", "Not", "Variable", "Condition"];

pub(super) fn check_choice(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    ql: Ql,
    info: &mut StateInfo,
) {
    require(cx, obj, loc, &["Choices"]);
    if let Some(default) = values::string(cx, obj, loc, "Default") {
        info.transitions.push(Transition {
            target: default.to_string(),
            at: loc.key("Default"),
        });
    }
    let Some(rules) = values::array(cx, obj, loc, "Choices", true) else {
        return;
    };
    let rules_loc = loc.key("Choices");
    for (i, rule) in rules.iter().enumerate() {
        let at = rules_loc.index(i);
        let Value::Object(rule) = rule else {
            cx.wrong_type(&at, "OBJECT");
            continue;
        };
        require(cx, rule, &at, &["Next"]);
        if let Some(next) = values::string(cx, rule, &at, "Next") {
            info.transitions.push(Transition {
                target: next.to_string(),
                at: at.key("Next"),
            });
        }
        syntax::assign(cx, rule, &at, ql);
        match ql {
            Ql::JsonPath => {
                let before = cx.count();
                check_rule(cx, rule, &at, true, 0);
                if cx.count() == before {
                    syntax::choice_rule_runtime(cx, rule, &at);
                }
            }
            Ql::Jsonata => check_jsonata_rule(cx, rule, &at),
        }
    }
}

fn check_jsonata_rule(cx: &mut Ctx<'_>, rule: &Map<String, Value>, at: &Loc) {
    for key in rule.keys() {
        let lang = match key.as_str() {
            "Condition" | "Output" => Lang::Jsonata,
            "Next" | "Comment" | "Assign" => Lang::Both,
            "And" | "Or" | "Not" | "Variable" => Lang::JsonPath,
            k if OPERATORS.iter().any(|(o, _)| *o == k) => Lang::JsonPath,
            _ => {
                cx.schema(at, format!("Field '{key}' is not supported"));
                continue;
            }
        };
        wrong_language(cx, at, key, lang, Ql::Jsonata);
    }
    require(cx, rule, at, &["Condition"]);
    values::string(cx, rule, at, "Comment");
    if let Some(c) = rule.get("Condition") {
        match c {
            Value::Bool(_) => {}
            Value::String(_) => syntax::jsonata_string(cx, c, &at.key("Condition")),
            _ => cx.wrong_type(&at.key("Condition"), "STRING"),
        }
    }
    if let Some(v) = rule.get("Output") {
        syntax::jsonata_value(cx, v, &at.key("Output"));
    }
}

/// One JSONPath rule; `top` for a member of `Choices` (which has `Next`).
fn check_rule(cx: &mut Ctx<'_>, rule: &Map<String, Value>, at: &Loc, top: bool, depth: usize) {
    if depth > MAX_RULE_DEPTH {
        cx.error(
            super::ctx::TOO_DEEPLY_NESTED,
            at,
            "The states are too deeply nested".into(),
        );
        return;
    }
    for key in rule.keys() {
        let known = SELECTORS.contains(&key.as_str())
            || OPERATORS.iter().any(|(o, _)| o == key)
            || key == "Comment"
            || (top && matches!(key.as_str(), "Next" | "Assign"));
        if !known {
            cx.schema(at, format!("Field '{key}' is not supported"));
        } else if key == "Condition" {
            wrong_language(cx, at, key, Lang::Jsonata, Ql::JsonPath);
        }
    }
    values::string(cx, rule, at, "Comment");
    let selectors: Vec<&str> = SELECTORS
        .iter()
        .copied()
        .filter(|s| *s != "Condition" && rule.contains_key(*s))
        .collect();
    let [selector] = selectors.as_slice() else {
        // A lone JSONata `Condition` has been reported as such already.
        if !(selectors.is_empty() && rule.contains_key("Condition")) {
            cx.schema(
                at,
                format!(
                    "The object must have only one of the following fields, {}",
                    list(&SELECTORS)
                ),
            );
        }
        return;
    };
    match *selector {
        key @ ("And" | "Or") => {
            let Some(subs) = values::array(cx, rule, at, key, true) else {
                return;
            };
            let subs_at = at.key(key);
            for (i, sub) in subs.iter().enumerate() {
                let sub_at = subs_at.index(i);
                match sub {
                    Value::Object(s) => check_rule(cx, s, &sub_at, false, depth + 1),
                    _ => cx.wrong_type(&sub_at, "OBJECT"),
                }
            }
            no_operators(cx, rule, at);
        }
        "Not" => {
            if let Some(sub) = values::object(cx, rule, at, "Not") {
                check_rule(cx, sub, &at.key("Not"), false, depth + 1);
            }
            no_operators(cx, rule, at);
        }
        _ => check_comparison(cx, rule, at),
    }
}

fn no_operators(cx: &mut Ctx<'_>, rule: &Map<String, Value>, at: &Loc) {
    for (op, _) in OPERATORS.iter().filter(|(o, _)| rule.contains_key(*o)) {
        cx.schema(at, format!("Field '{op}' is not supported"));
    }
}

fn check_comparison(cx: &mut Ctx<'_>, rule: &Map<String, Value>, at: &Loc) {
    if let Some(Value::String(v)) = rule.get("Variable") {
        syntax::choice_path(cx, v, &at.key("Variable"));
    } else if rule.contains_key("Variable") {
        cx.wrong_type(&at.key("Variable"), "STRING");
    }
    let ops: Vec<(&str, Operand)> = OPERATORS
        .iter()
        .copied()
        .filter(|(o, _)| rule.contains_key(*o))
        .collect();
    if ops.len() != 1 {
        let names: Vec<&str> = OPERATORS.iter().map(|(o, _)| *o).collect();
        cx.schema(
            at,
            format!(
                "There should only be one of the following fields: {}",
                list(&names)
            ),
        );
    }
    for (op, operand) in ops {
        let Some(v) = rule.get(op) else { continue };
        let op_at = at.key(op);
        let ok = match operand {
            Operand::String | Operand::Pattern => v.is_string(),
            Operand::Number => v.is_number(),
            Operand::Boolean | Operand::TypeTest => v.is_boolean(),
            Operand::Timestamp => match v.as_str() {
                Some(s) => {
                    if !syntax::is_rfc3339(s) {
                        cx.schema(
                            &op_at,
                            "String does not match RFC3339 timestamp".to_string(),
                        );
                    }
                    true
                }
                None => false,
            },
            Operand::Path => match v.as_str() {
                Some(s) => {
                    syntax::choice_path(cx, s, &op_at);
                    true
                }
                None => false,
            },
        };
        if !ok {
            let json_type = match operand {
                Operand::Number => "NUMBER",
                Operand::Boolean | Operand::TypeTest => "BOOLEAN",
                _ => "STRING",
            };
            cx.wrong_type(&op_at, json_type);
        }
    }
}
