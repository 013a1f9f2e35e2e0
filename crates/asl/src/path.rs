//! AWS's JSONPath dialect (Jayway-like, not RFC 9535): paths (`InputPath`, `OutputPath`,
//! `ItemsPath`, `*Path` fields and `.$` values) and reference paths (`ResultPath`).
//!
//! A path starts at `$` (the input), `$$` (the context object) or `$name` (a variable).
//! A *definite* path (no wildcard, filter, slice, union or deep scan) selects one value and a
//! miss is an error; an indefinite path selects a list, possibly empty.

use serde_json::Value;

use crate::vars::Env;

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

/// A path that selected nothing, or that could not be applied, at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathFailure {
    /// A definite path matched nothing. `normalized` is Jayway's bracket form
    /// (`$['a']['b'][0]`), which AWS quotes in its causes.
    #[error("No results for path: {normalized}")]
    NoResults { normalized: String },
    /// A variable the path names is not defined.
    #[error("undefined variable {name}")]
    UndefinedVariable { name: String },
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
}

impl Path {
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let _ = text;
        unimplemented!("path parser")
    }

    /// The path as written in the definition.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        unimplemented!()
    }

    /// True when the path can select at most one value.
    pub fn is_definite(&self) -> bool {
        unimplemented!()
    }

    /// Evaluates the path: a definite path yields its value (or `NoResults`); an indefinite
    /// path yields an array of every match, in document order (possibly empty).
    pub fn eval(&self, env: &Env<'_>) -> Result<Value, PathFailure> {
        let _ = env;
        unimplemented!()
    }
}

/// A reference path (`ResultPath`): definite, rooted at `$`, names where to put a value.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    text: String,
}

impl ReferencePath {
    pub fn parse(text: &str) -> Result<ReferencePath, PathError> {
        let _ = text;
        unimplemented!()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Puts `value` into `target` at this path, creating objects on the way as AWS does
    /// (`$` replaces the whole target). Fails when the path runs through a value that is not
    /// an object (for example `$.a.b` where `a` is a string).
    pub fn set(&self, target: Value, value: Value) -> Result<Value, PathFailure> {
        let _ = (target, value);
        unimplemented!()
    }
}
