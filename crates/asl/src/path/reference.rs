//! Reference paths (`ResultPath`): a `$`-rooted chain of member names and non-negative
//! indexes naming one place to write a value.

use serde_json::{Map, Value};

use super::compile::{compile, ArrayOp, Token};
use super::java::to_json;
use super::{PathError, PathFailure};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
}

/// A reference path (`ResultPath`): definite, rooted at `$`, names where to put a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePath {
    text: String,
    steps: Vec<Step>,
}

impl ReferencePath {
    pub fn parse(text: &str) -> Result<ReferencePath, PathError> {
        let invalid = |why: &str| PathError {
            message: format!("'{text}' is not a valid reference path: {why}"),
        };
        let t = text.trim();
        if !t.starts_with('$') || t.starts_with("$$") {
            return Err(invalid("it must start with '$'"));
        }
        let compiled = compile(t, 0).map_err(|m| invalid(&m))?;
        let mut steps = Vec::new();
        for token in compiled.tokens.iter().skip(1) {
            match token {
                Token::Property(names) if names.len() == 1 => {
                    steps.push(Step::Field(names[0].clone()));
                }
                Token::Array(ArrayOp::Single(n)) if *n >= 0 => {
                    steps.push(Step::Index(*n as usize));
                }
                _ => {
                    return Err(invalid(
                        "only member names and non-negative indexes are allowed",
                    ))
                }
            }
        }
        Ok(ReferencePath {
            text: text.to_string(),
            steps,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Puts `value` into `target` at this path, creating objects on the way as AWS does
    /// (`$` replaces the whole target). Fails when the path runs through a value that is not
    /// an object (for example `$.a.b` where `a` is a string), or names an array element that
    /// does not exist.
    pub fn set(&self, mut target: Value, value: Value) -> Result<Value, PathFailure> {
        if self.steps.is_empty() {
            return Ok(value);
        }
        if !self.applies_to(&target) {
            return Err(PathFailure::ReferenceMismatch {
                path: self.text.clone(),
                input: to_json(&target),
            });
        }
        let mut node = &mut target;
        let last = self.steps.len() - 1;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Field(name) => {
                    let Value::Object(map) = node else {
                        break;
                    };
                    if i == last {
                        map.insert(name.clone(), value);
                        break;
                    }
                    node = map
                        .entry(name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                Step::Index(k) => {
                    let Some(slot) = node.as_array_mut().and_then(|a| a.get_mut(*k)) else {
                        break;
                    };
                    if i == last {
                        *slot = value;
                        break;
                    }
                    node = slot;
                }
            }
        }
        Ok(target)
    }

    /// Whether [`set`](Self::set) can succeed, checked without touching `target` so a
    /// failure can still quote the input unchanged.
    fn applies_to(&self, target: &Value) -> bool {
        let mut node = Some(target);
        for step in &self.steps {
            match (step, node) {
                // Below a member that does not exist yet, every member is created.
                (Step::Field(_), None) => {}
                (Step::Field(name), Some(Value::Object(map))) => node = map.get(name),
                (Step::Index(k), Some(Value::Array(items))) => match items.get(*k) {
                    Some(v) => node = Some(v),
                    None => return false,
                },
                _ => return false,
            }
        }
        true
    }
}
