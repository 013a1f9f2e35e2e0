//! The model's constraints, checked all at once and reported as AWS's request validator words
//! them: required members, lengths, patterns, enumerations and numeric ranges.

use serde_json::Value;

use crate::schema::{Kind, Member, Shape};
use crate::{Violation, ViolationValue};

/// Every constraint `value` breaks, in member order; within a string, the pattern before the
/// length, as AWS lists them.
pub(super) fn check(shape: &Shape, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let (Kind::Structure(members), Value::Object(_)) = (&shape.kind, value) {
        structure(members, value, None, &mut out);
    }
    out
}

fn structure(members: &[Member], value: &Value, prefix: Option<&str>, out: &mut Vec<Violation>) {
    for member in members {
        let path = match prefix {
            Some(prefix) => format!("{prefix}.{}", member.name),
            None => member.name.to_owned(),
        };
        match value.get(member.name) {
            None | Some(Value::Null) => {
                if member.required {
                    out.push(not_null(path));
                }
            }
            Some(v) => shape(member.shape, member.utf8_bytes, v, &path, out),
        }
    }
}

fn not_null(path: String) -> Violation {
    Violation {
        path,
        value: ViolationValue::Null,
        constraint: "Member must not be null".into(),
    }
}

fn shape(shape: &Shape, utf8_bytes: bool, value: &Value, path: &str, out: &mut Vec<Violation>) {
    let mut fail = |constraint: String| {
        out.push(Violation {
            path: path.to_owned(),
            value: quote(shape, value),
            constraint,
        })
    };
    match (&shape.kind, value) {
        (
            Kind::String {
                min,
                max,
                pattern,
                enumeration,
            },
            Value::String(s),
        ) => {
            if let Some(pattern) = pattern {
                if !pattern.is_match(s) {
                    fail(format!(
                        "Member must satisfy regular expression pattern: {}",
                        pattern.source
                    ));
                }
            }
            if utf8_bytes {
                let size = s.len() as i64;
                if let Some(min) = min.filter(|min| size < *min) {
                    fail(format!(
                        "Member must have size greater than or equal to {min} bytes in UTF-8 encoding"
                    ));
                }
                if let Some(max) = max.filter(|max| size > *max) {
                    fail(format!(
                        "Member must have size less than or equal to {max} bytes in UTF-8 encoding"
                    ));
                }
            } else {
                length(s.chars().count(), *min, *max, &mut fail);
            }
            if let Some(enumeration) = enumeration {
                if !enumeration.values.contains(&s.as_str()) {
                    fail(format!(
                        "Member must satisfy enum value set: [{}]",
                        enumeration.message_order.join(", ")
                    ));
                }
            }
        }
        (Kind::Integer { min, max } | Kind::Long { min, max }, Value::Number(n)) => {
            if let Some(v) = n.as_i64() {
                range(v as f64, *min, *max, &mut fail);
            }
        }
        (Kind::Float { min, max }, Value::Number(n)) => {
            if let Some(v) = n.as_f64() {
                range(v, *min, *max, &mut fail);
            }
        }
        (Kind::List { member, min, max }, Value::Array(items)) => {
            length(items.len(), *min, *max, &mut fail);
            for (i, item) in items.iter().enumerate() {
                let path = format!("{path}.{}.member", i + 1);
                if item.is_null() {
                    out.push(not_null(path));
                } else {
                    self::shape(member, false, item, &path, out);
                }
            }
        }
        (
            Kind::Map {
                value: member,
                min,
                max,
                ..
            },
            Value::Object(entries),
        ) => {
            length(entries.len(), *min, *max, &mut fail);
            for (key, item) in entries {
                let path = format!("{path}.{key}");
                if item.is_null() {
                    out.push(not_null(path));
                } else {
                    self::shape(member, false, item, &path, out);
                }
            }
        }
        (Kind::Structure(members), Value::Object(_)) => structure(members, value, Some(path), out),
        // Types were checked when the body was read; nothing else carries constraints.
        _ => {}
    }
}

fn length(len: usize, min: Option<i64>, max: Option<i64>, fail: &mut impl FnMut(String)) {
    let len = len as i64;
    if let Some(min) = min.filter(|min| len < *min) {
        fail(format!(
            "Member must have length greater than or equal to {min}"
        ));
    }
    if let Some(max) = max.filter(|max| len > *max) {
        fail(format!(
            "Member must have length less than or equal to {max}"
        ));
    }
}

fn range(value: f64, min: Option<i64>, max: Option<i64>, fail: &mut impl FnMut(String)) {
    if let Some(min) = min.filter(|min| value < *min as f64) {
        fail(format!(
            "Member must have value greater than or equal to {min}"
        ));
    }
    if let Some(max) = max.filter(|max| value > *max as f64) {
        fail(format!(
            "Member must have value less than or equal to {max}"
        ));
    }
}

/// How a violation quotes the value: sensitive values are left out.
fn quote(shape: &Shape, value: &Value) -> ViolationValue {
    if shape.sensitive {
        ViolationValue::Hidden
    } else {
        ViolationValue::Shown(render(shape, value))
    }
}

/// The value as AWS's Java validator prints it (`toString`): strings bare, floats as Java
/// writes them, lists as `[a, b]`.
fn render(shape: &Shape, value: &Value) -> String {
    match (&shape.kind, value) {
        (_, Value::String(s)) => s.clone(),
        (Kind::Float { .. }, Value::Number(n)) => java_float(n.as_f64().unwrap_or(0.0) as f32),
        (Kind::List { member, .. }, Value::Array(items)) => {
            let items: Vec<String> = items.iter().map(|item| render(member, item)).collect();
            format!("[{}]", items.join(", "))
        }
        (Kind::Structure(members), Value::Object(object)) => {
            let fields: Vec<String> = members
                .iter()
                .filter_map(|m| object.get(m.name).map(|v| (m, v)))
                .map(|(m, v)| {
                    let text = if m.shape.sensitive {
                        "*** Sensitive Data Redacted ***".to_owned()
                    } else {
                        render(m.shape, v)
                    };
                    format!("{}={text}", m.name)
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        (_, Value::Null) => "null".into(),
        (_, other) => other.to_string(),
    }
}

/// Java's `Float.toString`: `100.0`, `33.3`, `1.0E7`, `1.0E-4`.
fn java_float(f: f32) -> String {
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let text = f.to_string();
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

#[cfg(test)]
mod tests {
    use super::java_float;

    #[test]
    fn floats_print_as_java_prints_them() {
        let cases: &[(f32, &str)] = &[
            (100.0, "100.0"),
            (33.3, "33.3"),
            (-0.5, "-0.5"),
            (0.0, "0.0"),
            (1e7, "1.0E7"),
            (1.5e-4, "1.5E-4"),
            (123456.7, "123456.7"),
        ];
        for (f, expected) in cases {
            assert_eq!(java_float(*f), *expected, "{f}");
        }
    }
}
