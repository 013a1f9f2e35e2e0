//! The 18 intrinsic functions (`States.Format`, `States.Array`, … `States.UUID`): parsing of a
//! call expression and its evaluation, with AWS's failure causes.
//!
//! AWS checks argument counts and types when the call runs, not when the definition is
//! created, and reports every failure as `States.Runtime` with a cause of the form
//! `There was an error while evaluating the intrinsic function: <call>. <reason>` (observed
//! against AWS; the ASL specification's `States.IntrinsicFailure` is not what AWS raises).

mod functions;
mod parse;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::error::{ErrorName, Failure};
use crate::path::java::to_json;
use crate::path::{PathError, PathFailure};
use crate::vars::{Entropy, Env};

use parse::{parse_call, Arg, Call};

/// The error AWS raises when an intrinsic call fails at run time.
pub const INTRINSIC_ERROR: ErrorName = ErrorName::Runtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    const NAMES: [(Func, &'static str); 18] = [
        (Func::Format, "Format"),
        (Func::StringToJson, "StringToJson"),
        (Func::JsonToString, "JsonToString"),
        (Func::Array, "Array"),
        (Func::ArrayPartition, "ArrayPartition"),
        (Func::ArrayContains, "ArrayContains"),
        (Func::ArrayRange, "ArrayRange"),
        (Func::ArrayGetItem, "ArrayGetItem"),
        (Func::ArrayLength, "ArrayLength"),
        (Func::ArrayUnique, "ArrayUnique"),
        (Func::Base64Encode, "Base64Encode"),
        (Func::Base64Decode, "Base64Decode"),
        (Func::Hash, "Hash"),
        (Func::JsonMerge, "JsonMerge"),
        (Func::MathRandom, "MathRandom"),
        (Func::MathAdd, "MathAdd"),
        (Func::StringSplit, "StringSplit"),
        (Func::Uuid, "UUID"),
    ];

    fn from_name(name: &str) -> Option<Func> {
        Func::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }

    /// `States.Format` etc.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Func::Format => "States.Format",
            Func::StringToJson => "States.StringToJson",
            Func::JsonToString => "States.JsonToString",
            Func::Array => "States.Array",
            Func::ArrayPartition => "States.ArrayPartition",
            Func::ArrayContains => "States.ArrayContains",
            Func::ArrayRange => "States.ArrayRange",
            Func::ArrayGetItem => "States.ArrayGetItem",
            Func::ArrayLength => "States.ArrayLength",
            Func::ArrayUnique => "States.ArrayUnique",
            Func::Base64Encode => "States.Base64Encode",
            Func::Base64Decode => "States.Base64Decode",
            Func::Hash => "States.Hash",
            Func::JsonMerge => "States.JsonMerge",
            Func::MathRandom => "States.MathRandom",
            Func::MathAdd => "States.MathAdd",
            Func::StringSplit => "States.StringSplit",
            Func::Uuid => "States.UUID",
        }
    }
}

/// A parsed intrinsic function call, such as `States.Format('{}', $.name)`.
#[derive(Debug, Clone)]
pub struct Intrinsic {
    text: String,
    call: Call,
}

impl PartialEq for Intrinsic {
    fn eq(&self, other: &Intrinsic) -> bool {
        self.text == other.text
    }
}

impl Intrinsic {
    /// True when `text` is written as an intrinsic call (starts with `States.` and a name
    /// followed by `(`), so a `.$` value is parsed as one rather than as a path.
    pub fn looks_like_call(text: &str) -> bool {
        text.trim_start().starts_with("States.")
    }

    pub fn parse(text: &str) -> Result<Intrinsic, PathError> {
        Ok(Intrinsic {
            text: text.to_string(),
            call: parse_call(text)?,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the call. A failure is `States.Runtime` with AWS's cause text; the engine
    /// adds the "An error occurred while executing the state …" prefix.
    pub fn eval(&self, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
        eval_call(&self.call, env, entropy)
    }
}

/// `There was an error while evaluating the intrinsic function: <call>. <reason>`
fn failure(call: &Call, reason: &str) -> Failure {
    Failure::new(
        INTRINSIC_ERROR,
        format!(
            "There was an error while evaluating the intrinsic function: {}. {reason}",
            call.text
        ),
    )
}

fn eval_call(call: &Call, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
    let mut args: Vec<Cow<'_, Value>> = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        args.push(match arg {
            Arg::Str(lit) => Cow::Borrowed(&lit.value),
            Arg::Value(v) => Cow::Borrowed(v),
            Arg::Path(path) => path.eval_ref(env).map_err(|e| match e {
                PathFailure::NullInput => Failure::new(INTRINSIC_ERROR, e.to_string()),
                _ => failure(
                    call,
                    &format!(
                        "The JsonPath argument for the field '{}' could not be found in the input '{}'",
                        path.text(),
                        to_json(env.input)
                    ),
                )
            })?,
            Arg::Call(inner) => Cow::Owned(eval_call(inner, env, entropy)?),
        });
    }
    functions::apply(call, args, entropy).map_err(|reason| failure(call, &reason))
}
