//! The validated mock configuration: test cases, mocked responses and their attempt tables.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{LookupError, TestCaseError};

/// What a mocked Task invocation does instead of calling its service.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    /// The raw service result, as the real call would have returned it: `ResultSelector`,
    /// `ResultPath` and `OutputPath` still apply to it. Any JSON value.
    Return(Value),
    /// The task fails with this error and cause, exactly as if the service had failed:
    /// Retry and Catch see `error`. Either may be absent: a `Throw` of `{}` is a failure
    /// with no error name and no cause, whose Catch output is `{"Error": null, "Cause": null}`
    /// in the recorded corpus. Its `Throw`s with an `Error` but no `Cause` all stand for
    /// timeouts, and there the Catch output has `"Cause": ""`.
    Throw {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// An inclusive range of attempt numbers, the key of one entry of a mocked response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptRange {
    pub start: u32,
    pub end: u32,
}

impl AttemptRange {
    pub fn contains(&self, attempt: u32) -> bool {
        self.start <= attempt && attempt <= self.end
    }
}

impl fmt::Display for AttemptRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// One named entry of `MockedResponses`: what each attempt returns or throws.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    /// Sorted by range start; ranges do not overlap. Gaps are allowed (see the crate docs).
    pub(crate) entries: Vec<(AttemptRange, MockResponse)>,
}

impl MockedResponse {
    /// The response for this attempt (0-based), if an entry covers it.
    pub fn get(&self, attempt: u32) -> Option<&MockResponse> {
        let after = self.entries.partition_point(|(r, _)| r.start <= attempt);
        let (range, response) = self.entries.get(after.checked_sub(1)?)?;
        range.contains(attempt).then_some(response)
    }

    /// The entries in attempt order.
    pub fn entries(&self) -> impl Iterator<Item = (AttemptRange, &MockResponse)> {
        self.entries.iter().map(|(r, m)| (*r, m))
    }
}

/// A state's mock within a test case: the response's name and its table.
#[derive(Debug, Clone, PartialEq)]
struct StateMock {
    response_name: String,
    response: Arc<MockedResponse>,
}

/// One test case of one state machine: which states are mocked, with which responses.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    state_machine: String,
    name: String,
    states: BTreeMap<String, StateMock>,
}

impl TestCase {
    pub fn state_machine(&self) -> &str {
        &self.state_machine
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the test case mocks this state. A state that is not mocked would call its
    /// real service in Step Functions Local.
    pub fn is_mocked(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }

    /// The mocked states and the name of the response each uses, by state name.
    pub fn states(&self) -> impl Iterator<Item = (&str, &str)> {
        self.states
            .iter()
            .map(|(s, m)| (s.as_str(), m.response_name.as_str()))
    }

    /// The mocked response table a state uses.
    pub fn mocked_response(&self, state: &str) -> Option<&MockedResponse> {
        self.states.get(state).map(|m| m.response.as_ref())
    }

    /// What invocation number `attempt` (0-based, counted per state over the whole execution;
    /// see the crate docs) of `state` returns or throws.
    pub fn response(&self, state: &str, attempt: u32) -> Result<MockResponse, LookupError> {
        let mock = self
            .states
            .get(state)
            .ok_or_else(|| LookupError::NotMocked {
                state: state.to_owned(),
            })?;
        mock.response
            .get(attempt)
            .cloned()
            .ok_or_else(|| LookupError::NoResponseForAttempt {
                state: state.to_owned(),
                response: mock.response_name.clone(),
                attempt,
            })
    }
}

/// The test cases of one state machine.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct StateMachineMocks {
    /// Test case name → (state name → response name).
    pub(crate) test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

/// A parsed and validated Step Functions Local mock configuration file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MockConfig {
    pub(crate) state_machines: BTreeMap<String, StateMachineMocks>,
    pub(crate) responses: BTreeMap<String, Arc<MockedResponse>>,
}

impl MockConfig {
    /// Parses and validates the text of a mock configuration file. Never panics.
    pub fn parse(text: &str) -> Result<MockConfig, crate::ParseError> {
        crate::parse::parse(text)
    }

    /// The state machine names, in sorted order.
    pub fn state_machines(&self) -> impl Iterator<Item = &str> {
        self.state_machines.keys().map(String::as_str)
    }

    /// The test case names of a state machine, in sorted order (empty if it is unknown).
    pub fn test_cases<'a>(&'a self, state_machine: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.state_machines
            .get(state_machine)
            .into_iter()
            .flat_map(|sm| sm.test_cases.keys().map(String::as_str))
    }

    /// A named entry of `MockedResponses`.
    pub fn mocked_response(&self, name: &str) -> Option<&MockedResponse> {
        self.responses.get(name).map(Arc::as_ref)
    }

    /// The test case `case` of state machine `state_machine`, with its responses resolved.
    pub fn test_case(&self, state_machine: &str, case: &str) -> Result<TestCase, TestCaseError> {
        let sm = self.state_machines.get(state_machine).ok_or_else(|| {
            TestCaseError::UnknownStateMachine {
                state_machine: state_machine.to_owned(),
            }
        })?;
        let mapping = sm
            .test_cases
            .get(case)
            .ok_or_else(|| TestCaseError::UnknownTestCase {
                state_machine: state_machine.to_owned(),
                test_case: case.to_owned(),
            })?;
        let states = mapping
            .iter()
            .filter_map(|(state, response_name)| {
                // Validation guarantees every name resolves; a miss is skipped, not a panic.
                let response = Arc::clone(self.responses.get(response_name)?);
                let mock = StateMock {
                    response_name: response_name.clone(),
                    response,
                };
                Some((state.clone(), mock))
            })
            .collect();
        Ok(TestCase {
            state_machine: state_machine.to_owned(),
            name: case.to_owned(),
            states,
        })
    }
}

/// One execution's use of a test case: counts the invocations of each mocked state, so that
/// each call to [`MockSession::next`] gets the next attempt's response.
#[derive(Debug, Clone)]
pub struct MockSession {
    case: TestCase,
    invocations: HashMap<String, u32>,
}

impl MockSession {
    pub fn new(case: TestCase) -> MockSession {
        MockSession {
            case,
            invocations: HashMap::new(),
        }
    }

    pub fn test_case(&self) -> &TestCase {
        &self.case
    }

    /// How many times `state` has been invoked so far (its next attempt number).
    pub fn invocations(&self, state: &str) -> u32 {
        self.invocations.get(state).copied().unwrap_or(0)
    }

    /// Records one invocation of `state` and returns its response: `None` when the state is
    /// not mocked (nothing is counted), else the response for this invocation's number or
    /// the error the execution fails with (`States.Runtime`).
    pub fn next(&mut self, state: &str) -> Option<Result<MockResponse, LookupError>> {
        if !self.case.is_mocked(state) {
            return None;
        }
        let count = self.invocations.entry(state.to_owned()).or_insert(0);
        let attempt = *count;
        *count = count.saturating_add(1);
        Some(self.case.response(state, attempt))
    }
}
