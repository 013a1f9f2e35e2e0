//! A YAML template read into JSON values, CloudFormation's short-form tags (`!Ref X`,
//! `!GetAtt A.B`, `!Sub ...`) turned into their long forms (`{"Ref": "X"}`,
//! `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": ...}`), as the CloudFormation User Guide's
//! "Intrinsic function reference" defines each short form.
//!
//! Built from `yaml-rust2`'s event parser (it keeps every node's tag and position) on an
//! explicit stack, so nesting costs heap, not stack; nesting is capped at [`MAX_DEPTH`] and the
//! nodes aliases copy at [`MAX_NODES`] (an alias bomb is an error, not gigabytes).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The deepest nesting a template may have (serde_json's own limit for JSON templates).
pub const MAX_DEPTH: usize = 128;
/// The most nodes a template may hold once its aliases are expanded.
pub const MAX_NODES: usize = 1_000_000;

/// The functions with a short form (`!Name`), and the long form each stands for.
fn long_form(short: &str) -> Option<&'static str> {
    Some(match short {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "FindInMap" => "Fn::FindInMap",
        "GetAtt" => "Fn::GetAtt",
        "GetAZs" => "Fn::GetAZs",
        "ImportValue" => "Fn::ImportValue",
        "Join" => "Fn::Join",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "Sub" => "Fn::Sub",
        "Transform" => "Fn::Transform",
        "And" => "Fn::And",
        "Equals" => "Fn::Equals",
        "If" => "Fn::If",
        "Not" => "Fn::Not",
        "Or" => "Fn::Or",
        "ToJsonString" => "Fn::ToJsonString",
        "Length" => "Fn::Length",
        _ => return None,
    })
}

enum Frame {
    Seq {
        items: Vec<Value>,
        tag: Option<Tag>,
        anchor: usize,
        mark: Marker,
        size: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        tag: Option<Tag>,
        anchor: usize,
        mark: Marker,
        size: usize,
    },
}

fn at(mark: Marker) -> String {
    format!("line {} column {}", mark.line(), mark.col() + 1)
}

/// The first document of `text` as JSON, short-form tags in their long forms.
pub fn to_json(text: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| e.to_string())?;
        let (value, anchor, size, fresh) = match event {
            Event::StreamEnd => return Ok(Value::Null),
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                continue
            }
            Event::Alias(id) => {
                let Some((value, size)) = anchors.get(&id) else {
                    return Err(format!("an alias to an unknown anchor at {}", at(mark)));
                };
                (value.clone(), 0, *size, true)
            }
            Event::Scalar(text, style, anchor, tag) => {
                (scalar(text, style, tag.as_ref(), mark)?, anchor, 1, true)
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "nested deeper than {MAX_DEPTH} levels at {}",
                        at(mark)
                    ));
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    tag,
                    anchor,
                    mark,
                    size: 1,
                });
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "nested deeper than {MAX_DEPTH} levels at {}",
                        at(mark)
                    ));
                }
                stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    tag,
                    anchor,
                    mark,
                    size: 1,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    tag,
                    anchor,
                    mark,
                    size,
                }) => (
                    tagged(Value::Array(items), tag.as_ref(), mark)?,
                    anchor,
                    size,
                    false,
                ),
                _ => return Err(format!("unbalanced sequence at {}", at(mark))),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    map,
                    key: None,
                    tag,
                    anchor,
                    mark,
                    size,
                }) => (
                    tagged(Value::Object(map), tag.as_ref(), mark)?,
                    anchor,
                    size,
                    false,
                ),
                _ => return Err(format!("unbalanced mapping at {}", at(mark))),
            },
        };
        // A collection's nodes were counted as they arrived; an alias's copy counts again.
        if fresh {
            nodes = nodes.saturating_add(size);
        }
        if nodes > MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} values once aliases are expanded (at {})",
                at(mark)
            ));
        }
        if anchor > 0 {
            anchors.insert(anchor, (value.clone(), size));
        }
        match stack.last_mut() {
            None => return Ok(value),
            Some(Frame::Seq {
                items, size: total, ..
            }) => {
                *total = total.saturating_add(size);
                items.push(value)
            }
            Some(Frame::Map {
                map,
                key,
                size: total,
                ..
            }) => match key.take() {
                None => {
                    let k = match value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => return Err(format!("a key that is not a scalar at {}", at(mark))),
                    };
                    if map.contains_key(&k) {
                        return Err(format!("duplicate key {k:?} at {}", at(mark)));
                    }
                    *key = Some(k);
                }
                Some(k) => {
                    *total = total.saturating_add(size);
                    map.insert(k, value);
                }
            },
        }
    }
}

/// A scalar's value: a tagged one is text; a plain one is typed by YAML 1.2's core schema,
/// except that digits with a leading zero stay text (an account id such as `012345678901`
/// must not lose its zero) and `.inf`/`.nan`, which JSON cannot hold, stay text too.
fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: Marker,
) -> Result<Value, String> {
    let value = match tag {
        Some(t) if is_core(t) => match t.suffix.as_str() {
            "str" => Value::String(text),
            "null" => Value::Null,
            "bool" | "int" | "float" => match plain(&text) {
                v @ (Value::Bool(_) | Value::Number(_)) => v,
                _ => return Err(format!("{text:?} is not a !!{} at {}", t.suffix, at(mark))),
            },
            _ => Value::String(text),
        },
        Some(t) => return tagged(Value::String(text), Some(t), mark),
        None if style == TScalarStyle::Plain => plain(&text),
        None => Value::String(text),
    };
    Ok(value)
}

fn is_core(tag: &Tag) -> bool {
    tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!"
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let is_number = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.as_bytes()[0] != b'e'
        && digits.as_bytes()[0] != b'E';
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if is_number && !leading_zero {
        let normalised = text.strip_prefix('+').unwrap_or(text);
        let normalised = if normalised.starts_with('.') || normalised.starts_with("-.") {
            normalised.replacen('.', "0.", 1)
        } else {
            normalised.to_string()
        };
        let normalised = normalised.replace(".e", ".0e").replace(".E", ".0E");
        let normalised = match normalised.strip_suffix('.') {
            Some(n) => format!("{n}.0"),
            None => normalised,
        };
        if let Ok(n) = serde_json::from_str::<Number>(&normalised) {
            return Value::Number(n);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return Value::Number(n.into());
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(n) = u64::from_str_radix(oct, 8) {
            return Value::Number(n.into());
        }
    }
    Value::String(text.to_string())
}

/// `value` under `tag`: a CloudFormation short form becomes its long form.
fn tagged(value: Value, tag: Option<&Tag>, mark: Marker) -> Result<Value, String> {
    let Some(tag) = tag else { return Ok(value) };
    if is_core(tag) {
        return Ok(value);
    }
    let name = if tag.handle == "!" {
        tag.suffix.as_str()
    } else if tag.handle.is_empty() {
        tag.suffix.trim_start_matches('!')
    } else {
        return Err(format!(
            "unknown tag {}{} at {}",
            tag.handle,
            tag.suffix,
            at(mark)
        ));
    };
    let Some(long) = long_form(name) else {
        return Err(format!("unknown tag !{name} at {}", at(mark)));
    };
    let value = match (name, value) {
        // `!GetAtt Resource.Attribute`: the attribute may itself hold dots
        // (`!GetAtt Db.Endpoint.Address`), so the first dot separates them.
        ("GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![
                Value::String(resource.to_string()),
                Value::String(attribute.to_string()),
            ]),
            None => {
                return Err(format!(
                    "!GetAtt {s:?} is not Resource.Attribute at {}",
                    at(mark)
                ))
            }
        },
        (_, value) => value,
    };
    let mut map = Map::new();
    map.insert(long.to_string(), value);
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let v = to_json(
            "a: !Ref X\nb: !GetAtt A.B.C\nc: !Sub '${X}'\nd: !Join [',', [a, b]]\ne: !GetAtt [A, B]\nf: !Condition C\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": {"Ref": "X"},
                "b": {"Fn::GetAtt": ["A", "B.C"]},
                "c": {"Fn::Sub": "${X}"},
                "d": {"Fn::Join": [",", ["a", "b"]]},
                "e": {"Fn::GetAtt": ["A", "B"]},
                "f": {"Condition": "C"},
            })
        );
    }

    #[test]
    fn scalars_are_typed_by_the_core_schema() {
        let v = to_json(
            "a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: 012345678901\ng: .inf\nh: !!str 2\ni: -3\nj: 1e3\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": 1.5, "c": true, "d": null, "e": "1", "f": "012345678901",
                   "g": ".inf", "h": "2", "i": -3, "j": 1000.0})
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(to_json("a: !Nope x")
            .unwrap_err()
            .contains("unknown tag !Nope"));
        assert!(to_json("a: 1\na: 2").unwrap_err().contains("duplicate key"));
        assert!(to_json("a: [").is_err());
        let deep = "[".repeat(10_000);
        assert!(to_json(&deep).is_err());
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                    g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        assert!(to_json(bomb).unwrap_err().contains("aliases"));
    }
}
