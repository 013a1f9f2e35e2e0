//! The errors of this crate: a malformed mock file, an unknown test case, a failed lookup.

use std::fmt;

use thiserror::Error;

use crate::tree::pointer_push;
pub use crate::tree::JsonKind;

/// Why a mock configuration file was rejected. Every variant names where the problem is:
/// `path` is a JSON Pointer into the file (`/MockedResponses/MyResponse/0-2/Throw`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("not valid JSON: {message} (line {line}, column {column})")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },

    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: JsonKind,
        found: JsonKind,
    },

    #[error("{path}: missing required field \"{field}\"")]
    MissingField { path: String, field: &'static str },

    #[error("{path}: unknown field \"{field}\" (expected {expected})")]
    UnknownField {
        path: String,
        field: String,
        expected: &'static str,
    },

    #[error("{path}: the key \"{key}\" occurs more than once")]
    DuplicateKey { path: String, key: String },

    #[error(
        "{}: mocked response \"{response}\": bad attempt key \"{key}\": {problem}",
        response_pointer(.response, Some(.key))
    )]
    BadAttemptKey {
        response: String,
        key: String,
        problem: AttemptKeyProblem,
    },

    #[error(
        "{}: mocked response \"{response}\": attempt keys \"{first}\" and \"{second}\" both \
         cover attempt {attempt}",
        response_pointer(.response, None)
    )]
    OverlappingAttempts {
        response: String,
        first: String,
        second: String,
        attempt: u32,
    },

    #[error("{path}: an attempt needs one of \"Return\" or \"Throw\", found neither")]
    NoOutcome { path: String },

    #[error("{path}: an attempt has either \"Return\" or \"Throw\", not both")]
    BothOutcomes { path: String },

    #[error(
        "{}: state machine \"{state_machine}\", test case \"{test_case}\": state \"{state}\" uses \
         the mocked response \"{response}\", which \"MockedResponses\" does not define",
        state_pointer(.state_machine, .test_case, .state)
    )]
    UnknownResponse {
        state_machine: String,
        test_case: String,
        state: String,
        response: String,
    },
}

/// `/MockedResponses/<response>[/<key>]`, as a JSON Pointer.
fn response_pointer(response: &str, key: Option<&str>) -> String {
    let p = pointer_push("/MockedResponses", response);
    match key {
        Some(k) => pointer_push(&p, k),
        None => p,
    }
}

/// `/StateMachines/<machine>/TestCases/<case>/<state>`, as a JSON Pointer.
fn state_pointer(machine: &str, case: &str, state: &str) -> String {
    let p = pointer_push(&pointer_push("/StateMachines", machine), "TestCases");
    pointer_push(&pointer_push(&p, case), state)
}

/// What is wrong with an attempt key such as `"0"` or `"1-2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKeyProblem {
    /// Not `N` or `N-M` with decimal digits only (no sign, no spaces).
    Syntax,
    /// A number does not fit in 32 bits.
    TooLarge,
    /// `N-M` with `M < N`.
    Reversed,
}

impl fmt::Display for AttemptKeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttemptKeyProblem::Syntax => {
                "expected an attempt number (\"0\") or an inclusive range (\"1-2\") of decimal digits"
            }
            AttemptKeyProblem::TooLarge => "attempt number is too large",
            AttemptKeyProblem::Reversed => "the range ends before it starts",
        })
    }
}

/// `MockConfig::test_case` found no such state machine or test case.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TestCaseError {
    #[error("the mock configuration has no state machine \"{state_machine}\"")]
    UnknownStateMachine { state_machine: String },

    #[error(
        "the mock configuration has no test case \"{test_case}\" for state machine \
         \"{state_machine}\""
    )]
    UnknownTestCase {
        state_machine: String,
        test_case: String,
    },
}

/// A lookup for one invocation of a state found no mocked response.
///
/// Step Functions Local fails the execution with `States.Runtime` when a mocked state has no
/// response for an invocation; the engine should do the same with this error's text as the
/// cause.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LookupError {
    #[error("state \"{state}\" is not mocked in this test case")]
    NotMocked { state: String },

    #[error(
        "the mocked response \"{response}\" for state \"{state}\" has no entry for attempt \
         {attempt}"
    )]
    NoResponseForAttempt {
        state: String,
        response: String,
        attempt: u32,
    },
}
