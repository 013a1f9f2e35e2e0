//! AWS's JSONPath dialect (Jayway JsonPath 2.0.0, not RFC 9535): paths (`InputPath`,
//! `OutputPath`, `ItemsPath`, `*Path` fields and `.$` values) and reference paths
//! (`ResultPath`).
//!
//! A path starts at `$` (the input), `$$` (the context object) or `$name` (a variable).
//! A *definite* path (no wildcard, filter, slice, union or deep scan) selects one value and a
//! miss is an error; an indefinite path selects a list, possibly empty.

mod compile;
mod eval;
mod filter;
pub(crate) mod java;
mod reference;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::error::ErrorName;
use crate::vars::Env;

use compile::{compile, Compiled};
use eval::{Evaluator, JErr};
pub use reference::ReferencePath;

pub(crate) use filter::{decimal_cmp, java_string_cmp};

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`
    Input,
    /// `$$`
    Context,
    /// `$name`
    Variable(String),
}

/// A syntax error in a path, found when the definition is loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PathError {
    pub message: String,
}

/// A path that selected nothing, or that could not be applied, at run time. The `Display`
/// text is Jayway's exception message, which AWS quotes after `Invalid path '<path>' : `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathFailure {
    /// A definite path matched nothing. `normalized` is Jayway's bracket form
    /// (`$['a']['b'][0]`), which AWS quotes in its causes.
    #[error("No results for path: {normalized}")]
    NoResults { normalized: String },
    /// A variable the path names is not defined.
    #[error("undefined variable {name}")]
    UndefinedVariable { name: String },
    /// Another miss Jayway reports (`Missing property in path $['a']`,
    /// `Index out of bounds when evaluating path $['a'][3]`, ...).
    #[error("{message}")]
    NotFound { message: String },
    /// The path cannot be applied to this document at all (`Filter: [0] can only be applied to
    /// arrays. ...`, `Multi properties can only be used as path leafs: ...`).
    #[error("{message}")]
    Invalid { message: String },
    /// A reference path runs through something that is not an object (or a missing array
    /// element). `input` is the target as compact JSON.
    #[error("Unable to apply ReferencePath {path} to input {input}")]
    ReferenceMismatch { path: String, input: String },
    /// The document is `null`: AWS refuses to apply any path to it (Jayway itself would
    /// throw `root can not be null`).
    #[error("Unable to apply Path transformation to null or empty input.")]
    NullInput,
}

impl PathFailure {
    /// The error a state raises for this failure: `States.ResultPathMatchFailure` for a
    /// reference path that does not fit, `States.Runtime` otherwise.
    pub fn error_name(&self) -> ErrorName {
        match self {
            PathFailure::ReferenceMismatch { .. } => ErrorName::ResultPathMatchFailure,
            _ => ErrorName::Runtime,
        }
    }
}

impl From<JErr> for PathFailure {
    fn from(e: JErr) -> PathFailure {
        match e {
            JErr::NoResults(normalized) => PathFailure::NoResults { normalized },
            JErr::NotFound(message) => PathFailure::NotFound { message },
            JErr::Invalid(message) => PathFailure::Invalid { message },
        }
    }
}

/// A parsed JSONPath. Parse once; evaluating never re-parses.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    compiled: Compiled,
}

impl PartialEq for Path {
    fn eq(&self, other: &Path) -> bool {
        self.text == other.text
    }
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let err = |message: String| PathError { message };
        let t = text.trim_matches(|c: char| c <= ' ');
        let (root, jayway): (Root, Cow<'_, str>) = if let Some(rest) = t.strip_prefix("$$") {
            (Root::Context, Cow::Owned(format!("${rest}")))
        } else if let Some(rest) = t.strip_prefix('$') {
            match rest.chars().next() {
                None | Some('.') | Some('[') => (Root::Input, Cow::Borrowed(t)),
                Some(_) => {
                    let end = rest.find(['.', '[']).unwrap_or(rest.len());
                    let name = &rest[..end];
                    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        return Err(err(format!("Invalid path {t}")));
                    }
                    (
                        Root::Variable(name.to_string()),
                        Cow::Owned(format!("${}", &rest[end..])),
                    )
                }
            }
        } else {
            return Err(err(format!("Invalid path {t}: a path must start with '$'")));
        };
        let compiled = compile(&jayway, 0).map_err(err)?;
        Ok(Path {
            text: text.to_string(),
            root,
            compiled,
        })
    }

    /// The path as written in the definition.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// True when the path can select at most one value.
    pub fn is_definite(&self) -> bool {
        self.compiled.is_definite()
    }

    /// Jayway's normalized form of the path after its root, e.g. `$['a'][0]`.
    pub fn normalized(&self) -> String {
        self.compiled.normalized()
    }

    /// Evaluates the path: a definite path yields its value (or `NoResults`); an indefinite
    /// path yields an array of every match, in document order (possibly empty).
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, PathFailure> {
        self.eval_ref(env).map(Cow::into_owned)
    }

    /// Like [`eval`](Self::eval), but a definite path borrows its value from the document
    /// instead of copying it.
    pub fn eval_ref<'a>(&self, env: &Env<'a>) -> Result<Cow<'a, Value>, PathFailure> {
        let doc: &'a Value = match &self.root {
            Root::Input => env.input,
            Root::Context => env.context,
            Root::Variable(name) => {
                let value = env
                    .vars
                    .get_var(name)
                    .ok_or_else(|| PathFailure::UndefinedVariable { name: name.clone() })?;
                // A bare `$name` is the variable itself, whatever its value, null included.
                if self.compiled.tokens.len() == 1 {
                    return Ok(Cow::Borrowed(value));
                }
                value
            }
        };
        self.apply(doc)
    }

    /// Applies the path to `doc`, whatever root the path was written with.
    pub fn apply<'a>(&self, doc: &'a Value) -> Result<Cow<'a, Value>, PathFailure> {
        if doc.is_null() {
            return Err(PathFailure::NullInput);
        }
        if let Some(v) = self.compiled.quick_get(doc) {
            return Ok(Cow::Borrowed(v));
        }
        let results = Evaluator::new(doc, false).run(&self.compiled, doc)?;
        if self.compiled.is_definite() {
            results
                .into_iter()
                .next()
                .ok_or_else(|| PathFailure::NoResults {
                    normalized: self.compiled.normalized(),
                })
        } else {
            Ok(Cow::Owned(Value::Array(
                results.into_iter().map(Cow::into_owned).collect(),
            )))
        }
    }

    /// The cause AWS gives when an `InputPath`, `OutputPath` or `ItemsPath` fails:
    /// `Invalid path '$.x' : No results for path: $['x']`.
    pub fn invalid_path_cause(&self, failure: &PathFailure) -> String {
        format!("Invalid path '{}' : {failure}", self.text)
    }
}

/// A member of an object. Small objects are scanned rather than hashed, which is faster
/// for the handful of members a state's data usually has.
pub(crate) fn member<'a>(map: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= 8 {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}
