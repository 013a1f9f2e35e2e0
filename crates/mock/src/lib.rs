//! Step Functions Local mocked responses (MockConfigFile): parsing, validation and lookup.
//!
//! # The file
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "<StateMachine>": { "TestCases": { "<TestCase>": { "<StateName>": "<ResponseName>" } } }
//!   },
//!   "MockedResponses": {
//!     "<ResponseName>": {
//!       "0":   { "Return": { "StatusCode": 200 } },
//!       "1-2": { "Throw": { "Error": "Lambda.TimeoutException", "Cause": "Lambda timed out." } }
//!     }
//!   }
//! }
//! ```
//!
//! A test case maps Task state names to response names. A response maps attempt keys to
//! exactly one of `Return` (any JSON value: the raw service result, before `ResultSelector`,
//! `ResultPath` and `OutputPath`) or `Throw` (`Error` and `Cause`, both strings). A key is an
//! attempt number (`"3"`) or an inclusive range (`"0-2"`), 0-based.
//!
//! # What an "attempt" counts
//!
//! The attempt number is the **invocation number of the state within the execution**: a
//! counter per mocked state name that starts at 0 and goes up by one every time the state
//! invokes its resource, whatever the reason. It is not the Retry count and it is not reset
//! when the state is entered again:
//!
//! * a retry is the next invocation (`"0"` fails, the first retry gets `"1"`, ...);
//! * a state entered again, in a loop (`Choice` back to it) or after a `Catch` that leads
//!   back, continues the count: the corpus case `comments-comments-as-per-docs` enters its
//!   Task twice and needs `"0"` then `"1"`;
//! * a state inside a Map runs once per iteration and every iteration shares the one counter,
//!   in the order the invocations happen. AWS's documentation says so indirectly: it tells
//!   Map users to set `MaxConcurrency` to 1, because concurrent iterations make "the overall
//!   execution order of states across iterations" unpredictable and may "use different
//!   mocked responses for iteration states from one execution to the next". Users report
//!   that Step Functions Local gives the first iteration `"0"` and later ones `"1-3"`
//!   (LocalStack issue 12846), and LocalStack switched from the Retry count to a per-state
//!   counter shared by Map iterations to match (LocalStack PR 13693). Parallel branches are
//!   the same: one counter per state name, shared by every branch and iteration.
//!
//! Counting per state name is well defined because ASL state names are unique in the whole
//! state machine. [`MockSession`] keeps these counters for one execution; [`TestCase::response`]
//! is the pure lookup for a given attempt.
//!
//! # When no entry covers the attempt
//!
//! Nothing repeats: an invocation that no key covers has no response, and Step Functions
//! Local then **fails the execution** ("If you do not specify a mocked response for a
//! specific retry attempt, for example, retry "3", the state machine execution will fail").
//! Emulators checked against Step Functions Local 2.0.0 report that failure as
//! `States.Runtime`, which Retry and Catch do not handle. The lookup returns
//! [`LookupError::NoResponseForAttempt`]; the engine turns it into that failure.
//!
//! # Validation, and where Baton differs from Step Functions Local
//!
//! [`MockConfig::parse`] rejects, with a [`ParseError`] that names the place (a JSON Pointer):
//! text that is not JSON; a wrong JSON type anywhere in the structure; a missing
//! `StateMachines`, `MockedResponses` or `TestCases`; an unknown field; a key given twice
//! (anywhere, payloads included); an attempt key that is not `N` or `N-M` (digits only, no
//! sign or spaces), that overflows 32 bits, or whose range is reversed; two keys covering the
//! same attempt; an entry with neither or both of `Return`/`Throw`; a non-string `Error` or
//! `Cause`; and a test case naming a response that `MockedResponses` does not define.
//!
//! Step Functions Local resolves a test case's responses only when an execution uses them,
//! so a broken entry that no execution reaches goes unnoticed there; Baton checks the whole
//! file up front. Two things stay lookups that find nothing rather than parse errors, as in
//! Step Functions Local: a response with no entries (`{}`), and gaps in the numbering (`"0"`
//! and `"2"` without `"1"`).
//!
//! `Error` and `Cause` are each optional, although AWS's page describes both. Real services
//! can fail without either (a task token failed with no error name), the recorded corpus
//! contains such a `Throw: {}`, and Retry/Catch then see an error with no name whose Catch
//! output is `{"Error": null, "Cause": null}`. Step Functions Local refuses to mock Activity
//! states; Baton mocks them like any other Task, as the recorded corpus needs.

mod error;
mod model;
mod parse;
mod tree;

pub use error::{AttemptKeyProblem, JsonKind, LookupError, ParseError, TestCaseError};
pub use model::{AttemptRange, MockConfig, MockResponse, MockSession, MockedResponse, TestCase};

/// Parses and validates the text of a mock configuration file (same as [`MockConfig::parse`]).
pub fn parse(text: &str) -> Result<MockConfig, ParseError> {
    parse::parse(text)
}
