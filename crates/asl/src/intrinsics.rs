//! The 18 intrinsic functions (`States.Format`, `States.Array`, … `States.UUID`): parsing of a
//! call expression and its evaluation, with AWS's `States.IntrinsicFailure` causes.

use serde_json::Value;

use crate::error::Failure;
use crate::path::PathError;
use crate::vars::{Entropy, Env};

/// A parsed intrinsic function call, such as `States.Format('{}', $.name)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    text: String,
}

impl Intrinsic {
    /// True when `text` is written as an intrinsic call (starts with `States.` and a name
    /// followed by `(`), so a `.$` value is parsed as one rather than as a path.
    pub fn looks_like_call(text: &str) -> bool {
        text.trim_start().starts_with("States.")
    }

    pub fn parse(text: &str) -> Result<Intrinsic, PathError> {
        let _ = text;
        unimplemented!()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the call. `field` is the payload template key (such as `value.$`) AWS names in
    /// causes.
    pub fn eval(&self, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
        let _ = (env, entropy);
        unimplemented!()
    }
}
