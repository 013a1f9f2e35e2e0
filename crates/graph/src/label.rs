//! Short labels for edges: a Choice rule as a one-line expression (`$.x > 10`), a Catcher's
//! error names. Read from the rule as written, so the label says what the author wrote.

use baton_asl::model::{ChoiceCondition, ChoiceRule, Dynamic};
use serde_json::Value;

/// Labels longer than this many characters are cut (the full text stays in the model).
pub const MAX_LABEL: usize = 48;

/// The label of one Choice rule.
pub(crate) fn choice_rule(rule: &ChoiceRule) -> String {
    let text = match &rule.condition {
        ChoiceCondition::JsonPath(c) => {
            let source = c.source();
            match source.get("Comment").and_then(Value::as_str) {
                // A rule's comment is the author's own name for it.
                Some(comment) if !comment.trim().is_empty() => comment.trim().to_string(),
                _ => expr(source, 0),
            }
        }
        ChoiceCondition::Jsonata(d) => match d {
            Dynamic::Literal(b) => b.to_string(),
            Dynamic::Jsonata(t) => match t.source() {
                Value::String(s) => strip_braces(s),
                other => other.to_string(),
            },
            Dynamic::Path(p) => p.text().to_string(),
            Dynamic::Intrinsic(i) => i.text().to_string(),
        },
    };
    shorten(&text)
}

/// `{% $x > 1 %}` → `$x > 1`.
fn strip_braces(s: &str) -> String {
    let t = s.trim();
    let t = t.strip_prefix("{%").unwrap_or(t);
    let t = t.strip_suffix("%}").unwrap_or(t);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts a label to [`MAX_LABEL`] characters.
pub(crate) fn shorten(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().count() <= MAX_LABEL {
        return s;
    }
    let mut out: String = s.chars().take(MAX_LABEL - 1).collect();
    out.push('…');
    out
}

/// Nested rules deeper than this are shown as `…`.
const MAX_DEPTH: usize = 6;

/// One JSONPath rule object as an expression.
fn expr(rule: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".to_string();
    }
    let Some(obj) = rule.as_object() else {
        return "?".to_string();
    };
    if let Some(Value::Array(items)) = obj.get("And") {
        return join(items, " and ", depth);
    }
    if let Some(Value::Array(items)) = obj.get("Or") {
        return join(items, " or ", depth);
    }
    if let Some(inner) = obj.get("Not") {
        return format!("not ({})", expr(inner, depth + 1));
    }
    let variable = obj.get("Variable").and_then(Value::as_str).unwrap_or("?");
    for (key, value) in obj {
        if matches!(
            key.as_str(),
            "Variable" | "Next" | "Comment" | "Assign" | "Output"
        ) {
            continue;
        }
        if let Some(text) = test(variable, key, value) {
            return text;
        }
    }
    variable.to_string()
}

fn join(items: &[Value], sep: &str, depth: usize) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| {
            let inner = expr(item, depth + 1);
            let compound = item
                .as_object()
                .is_some_and(|o| o.contains_key("And") || o.contains_key("Or"));
            if compound {
                format!("({inner})")
            } else {
                inner
            }
        })
        .collect();
    parts.join(sep)
}

/// One comparison or type test: `(operator, operand)` as written in the rule.
fn test(variable: &str, key: &str, value: &Value) -> Option<String> {
    let checks = [
        ("IsNull", "null"),
        ("IsPresent", "present"),
        ("IsNumeric", "numeric"),
        ("IsString", "a string"),
        ("IsBoolean", "a boolean"),
        ("IsTimestamp", "a timestamp"),
    ];
    for (name, what) in checks {
        if key == name {
            let not = if value.as_bool() == Some(false) {
                "not "
            } else {
                ""
            };
            return Some(format!("{variable} is {not}{what}"));
        }
    }
    if key == "StringMatches" {
        return Some(format!("{variable} matches {}", operand(value)));
    }
    let (base, by_path) = match key.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (key, false),
    };
    let op = [
        "Equals",
        "GreaterThanEquals",
        "LessThanEquals",
        "GreaterThan",
        "LessThan",
    ]
    .into_iter()
    .find(|suffix| {
        base.strip_suffix(suffix)
            .is_some_and(|kind| matches!(kind, "String" | "Numeric" | "Boolean" | "Timestamp"))
    })?;
    let symbol = match op {
        "Equals" => "==",
        "GreaterThanEquals" => ">=",
        "LessThanEquals" => "<=",
        "GreaterThan" => ">",
        _ => "<",
    };
    let rhs = match (by_path, value) {
        (true, Value::String(p)) => p.clone(),
        _ => operand(value),
    };
    Some(format!("{variable} {symbol} {rhs}"))
}

fn operand(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn label(rule: Value) -> String {
        expr(&rule, 0)
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            label(json!({"Variable": "$.x", "NumericGreaterThan": 10, "Next": "A"})),
            "$.x > 10"
        );
        assert_eq!(
            label(json!({"Variable": "$.s", "StringEquals": "ok"})),
            "$.s == \"ok\""
        );
        assert_eq!(
            label(json!({"Variable": "$.a", "NumericLessThanEqualsPath": "$.b"})),
            "$.a <= $.b"
        );
        assert_eq!(
            label(json!({"Variable": "$.t", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"})),
            "$.t >= \"2024-01-01T00:00:00Z\""
        );
    }

    #[test]
    fn tests_and_combinators() {
        assert_eq!(
            label(json!({"Variable": "$.x", "IsPresent": false})),
            "$.x is not present"
        );
        assert_eq!(
            label(json!({"And": [
                {"Variable": "$.a", "BooleanEquals": true},
                {"Or": [{"Variable": "$.b", "IsNull": true}, {"Variable": "$.c", "StringMatches": "x*"}]}
            ]})),
            "$.a == true and ($.b is null or $.c matches \"x*\")"
        );
        assert_eq!(
            label(json!({"Not": {"Variable": "$.x", "NumericEquals": 1}})),
            "not ($.x == 1)"
        );
    }

    #[test]
    fn jsonata_braces_are_dropped() {
        assert_eq!(strip_braces("{%  $x >   1 %}"), "$x > 1");
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), MAX_LABEL);
    }
}
