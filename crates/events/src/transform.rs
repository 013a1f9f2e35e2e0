//! What a target receives: the whole event, a constant `Input`, the part an `InputPath`
//! selects, or an `InputTransformer`'s template filled from the event (EventBridge User
//! Guide, "Transforming target input").

use serde_json::Value;

use crate::model::{InputTransformer, Target};

/// Most variables an `InputPathsMap` may define (User Guide: "up to 100 variables").
pub const MAX_VARIABLES: usize = 100;

/// A path of `InputPath` or `InputPathsMap`: `$`, then `.name` or `['name']` or `[index]`
/// steps; `None` when it is not one.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '.' => {
                let start = i + 1;
                let mut end = rest.len();
                while let Some(&(j, n)) = chars.peek() {
                    if n == '.' || n == '[' {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let name = &rest[start..end];
                if name.is_empty() {
                    return None;
                }
                steps.push(Step::Field(name.to_string()));
            }
            '[' => {
                let close = rest[i..].find(']')? + i;
                let inner = &rest[i + 1..close];
                if let Some(quoted) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    steps.push(Step::Field(quoted.to_string()));
                } else {
                    steps.push(Step::Index(inner.parse().ok()?));
                }
                while chars.peek().is_some_and(|&(j, _)| j <= close) {
                    chars.next();
                }
            }
            _ => return None,
        }
    }
    Some(steps)
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Field(String),
    Index(usize),
}

/// What `steps` select in `value`, if anything.
pub fn select<'a>(value: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(value, |v, step| match step {
        Step::Field(name) => v.get(name.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

/// What the target is given for `event` matched by the rule (`rule_name`, `rule_arn`).
pub fn target_input(target: &Target, event: &Value, rule_name: &str, rule_arn: &str) -> String {
    if let Some(input) = &target.input {
        return input.clone();
    }
    if let Some(path) = &target.input_path {
        // A path selecting nothing gives nothing: the target gets an empty object.
        return parse_path(path)
            .and_then(|steps| select(event, &steps).cloned())
            .map_or_else(|| "{}".to_string(), |v| v.to_string());
    }
    if let Some(t) = &target.input_transformer {
        return transform(t, event, rule_name, rule_arn);
    }
    event.to_string()
}

/// Fills `t.input_template`: each `<name>` of the paths map, or of the predefined variables
/// (`aws.events.rule-arn`, `aws.events.rule-name`, `aws.events.event`,
/// `aws.events.event.json`, `aws.events.event.ingestion-time`), is replaced by its value.
/// Inside a JSON string a value goes in as text (a string without its quotes); outside, as
/// JSON (User Guide, "Transforming target input": `"<instance> is in state <state>"` gives
/// `"i-0123 is in state RUNNING"`, `{"instance": <instance>}` gives `{"instance": "i-0123"}`).
/// A variable whose path selects nothing becomes `null` outside strings and nothing inside.
pub fn transform(t: &InputTransformer, event: &Value, rule_name: &str, rule_arn: &str) -> String {
    let template = &t.input_template;
    let mut out = String::with_capacity(template.len() + 64);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template.as_str();
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                if let Some(value) = variable(t, event, name, rule_name, rule_arn) {
                    put(&mut out, value.as_ref(), in_string);
                    rest = &rest[end + 1..];
                    escaped = false;
                    continue;
                }
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The value of a template variable, if `name` is one; a path that selects nothing is
/// `Some(None)`.
fn variable<'a>(
    t: &InputTransformer,
    event: &'a Value,
    name: &str,
    rule_name: &str,
    rule_arn: &str,
) -> Option<std::borrow::Cow<'a, Option<Value>>> {
    use std::borrow::Cow;
    let owned = |v: Value| Some(Cow::Owned(Some(v)));
    match name {
        "aws.events.rule-name" => return owned(Value::String(rule_name.into())),
        "aws.events.rule-arn" => return owned(Value::String(rule_arn.into())),
        "aws.events.event" | "aws.events.event.json" => return owned(event.clone()),
        "aws.events.event.ingestion-time" => {
            return owned(event.get("time").cloned().unwrap_or(Value::Null))
        }
        _ => {}
    }
    let path = t.input_paths_map.as_ref()?.get(name)?;
    let selected = parse_path(path).and_then(|steps| select(event, &steps).cloned());
    Some(Cow::Owned(selected))
}

fn put(out: &mut String, value: &Option<Value>, in_string: bool) {
    match (value, in_string) {
        (None, true) => {}
        (None, false) => out.push_str("null"),
        (Some(Value::String(s)), true) => {
            let quoted = Value::String(s.clone()).to_string();
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
        (Some(v), true) => {
            let text = Value::String(v.to_string()).to_string();
            out.push_str(&text[1..text.len() - 1]);
        }
        (Some(v), false) => out.push_str(&v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transformer(map: Value, template: &str) -> InputTransformer {
        InputTransformer {
            input_paths_map: Some(serde_json::from_value(map).unwrap()),
            input_template: template.into(),
        }
    }

    #[test]
    fn paths_select_fields_and_indexes() {
        let event = json!({"detail": {"a": [1, {"b": "x"}], "c d": 2}});
        let get = |p: &str| parse_path(p).and_then(|s| select(&event, &s).cloned());
        assert_eq!(get("$"), Some(event.clone()));
        assert_eq!(get("$.detail.a[1].b"), Some(json!("x")));
        assert_eq!(get("$.detail['c d']"), Some(json!(2)));
        assert_eq!(get("$.detail.missing"), None);
        assert_eq!(parse_path("detail"), None);
        assert_eq!(parse_path("$..a"), None);
    }

    #[test]
    fn a_template_takes_text_inside_strings_and_json_outside() {
        let event = json!({"detail": {"instance": "i-0123", "state": "RUNNING", "n": 3}});
        let t = transformer(
            json!({"instance": "$.detail.instance", "state": "$.detail.state", "n": "$.detail.n"}),
            r#""<instance> is in state <state>""#,
        );
        assert_eq!(
            transform(&t, &event, "r", "arn"),
            r#""i-0123 is in state RUNNING""#
        );
        let t = transformer(
            json!({"instance": "$.detail.instance", "n": "$.detail.n", "gone": "$.x"}),
            r#"{"instance": <instance>, "n": <n>, "text": "n=<n>", "gone": <gone>, "rule": "<aws.events.rule-name>"}"#,
        );
        let out: Value = serde_json::from_str(&transform(&t, &event, "r1", "arn")).unwrap();
        assert_eq!(
            out,
            json!({"instance": "i-0123", "n": 3, "text": "n=3", "gone": null, "rule": "r1"})
        );
        // A `<` that names no variable stays.
        let t = transformer(json!({}), r#"{"a": "1 < 2 > 0"}"#);
        assert_eq!(transform(&t, &event, "r", "arn"), r#"{"a": "1 < 2 > 0"}"#);
    }

    #[test]
    fn quotes_inside_values_stay_escaped() {
        let event = json!({"detail": {"q": "say \"hi\""}});
        let t = transformer(json!({"q": "$.detail.q"}), r#"{"text": "<q>", "raw": <q>}"#);
        let out: Value = serde_json::from_str(&transform(&t, &event, "r", "a")).unwrap();
        assert_eq!(out, json!({"text": "say \"hi\"", "raw": "say \"hi\""}));
    }
}
