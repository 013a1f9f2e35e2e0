//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`, Fail/Task fields): a
//! JSON value whose keys ending in `.$` hold a path, a context path, a variable or an
//! intrinsic call that is evaluated against the input. Objects nested in objects and in
//! arrays are templates too.

use serde_json::{Map, Value};

use crate::error::Failure;
use crate::intrinsics::Intrinsic;
use crate::path::java::to_json;
use crate::path::{Path, PathError, PathFailure};
use crate::vars::{Entropy, Env};

/// A template deeper than this is refused when parsed.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A subtree with no `.$` key anywhere inside, copied as is.
    Literal(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// `"key.$": "$..."`; `field` is the key as written (with `.$`), which causes name.
    Path {
        field: String,
        path: Path,
    },
    Call(Intrinsic),
}

/// A payload template, parsed once when the definition is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: Value,
    node: Node,
}

impl Template {
    /// Parses every `.$` value in `source` (recursively, through objects and arrays).
    /// The error names the offending key.
    pub fn parse(source: &Value) -> Result<Template, PathError> {
        Ok(Template {
            source: source.clone(),
            node: parse_node(source, 0)?,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Builds the value. A definite path that matches nothing fails with `States.Runtime` and
    /// AWS's cause: `The JSONPath '$.x' specified for the field 'key.$' could not be found in
    /// the input '<input as JSON>'` (the engine adds the "An error occurred while executing
    /// the state …" prefix).
    pub fn eval(&self, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
        eval_node(&self.node, env, entropy)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(_) => "NUMBER",
        Value::String(_) => "STRING",
        Value::Array(_) => "ARRAY",
        Value::Object(_) => "OBJECT",
    }
}

fn parse_node(v: &Value, depth: usize) -> Result<Node, PathError> {
    if depth > MAX_DEPTH {
        return Err(PathError {
            message: "The payload template is nested too deeply".to_string(),
        });
    }
    match v {
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            let mut dynamic = false;
            for (key, value) in map {
                let node = match key.strip_suffix(".$") {
                    Some(name) => {
                        dynamic = true;
                        (name.to_string(), parse_dynamic(key, value)?)
                    }
                    None => {
                        let node = parse_node(value, depth + 1)?;
                        dynamic |= !matches!(node, Node::Literal(_));
                        (key.clone(), node)
                    }
                };
                entries.push(node);
            }
            Ok(if dynamic {
                Node::Object(entries)
            } else {
                Node::Literal(v.clone())
            })
        }
        Value::Array(items) => {
            let nodes = items
                .iter()
                .map(|item| parse_node(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if nodes.iter().all(|n| matches!(n, Node::Literal(_))) {
                Node::Literal(v.clone())
            } else {
                Node::Array(nodes)
            })
        }
        other => Ok(Node::Literal(other.clone())),
    }
}

fn parse_dynamic(key: &str, value: &Value) -> Result<Node, PathError> {
    let Value::String(text) = value else {
        return Err(PathError {
            message: format!(
                "The value for the field '{key}' must be a STRING that contains a JSONPath but was an {}",
                type_name(value)
            ),
        });
    };
    let invalid = || {
        PathError {
        message: format!(
            "The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
        ),
    }
    };
    if text.starts_with('$') {
        let path = Path::parse(text).map_err(|_| invalid())?;
        Ok(Node::Path {
            field: key.to_string(),
            path,
        })
    } else if Intrinsic::looks_like_call(text) {
        Intrinsic::parse(text)
            .map(Node::Call)
            .map_err(|_| invalid())
    } else {
        Err(invalid())
    }
}

fn eval_node(node: &Node, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
    match node {
        Node::Literal(v) => Ok(v.clone()),
        Node::Object(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (key, child) in entries {
                out.insert(key.clone(), eval_node(child, env, entropy)?);
            }
            Ok(Value::Object(out))
        }
        Node::Array(items) => items
            .iter()
            .map(|n| eval_node(n, env, entropy))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Node::Path { field, path } => match path.eval_ref(env) {
            Ok(v) => Ok(v.into_owned()),
            Err(PathFailure::NullInput) => Err(Failure::runtime(PathFailure::NullInput.to_string())),
            Err(_) => Err(Failure::runtime(format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                path.text(),
                to_json(env.input)
            ))),
        },
        Node::Call(call) => call.eval(env, entropy),
    }
}
