//! Text to `MockConfig`: JSON parsing, then shape validation with a typed error per problem.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{AttemptKeyProblem, JsonKind, ParseError};
use crate::model::{AttemptRange, MockConfig, MockResponse, MockedResponse, StateMachineMocks};
use crate::tree::{pointer_push, Tree};

const STATE_MACHINES: &str = "StateMachines";
const MOCKED_RESPONSES: &str = "MockedResponses";
const TEST_CASES: &str = "TestCases";
const RETURN: &str = "Return";
const THROW: &str = "Throw";
const ERROR: &str = "Error";
const CAUSE: &str = "Cause";

pub(crate) fn parse(text: &str) -> Result<MockConfig, ParseError> {
    // serde_json caps nesting at 128 levels, so hostile input cannot exhaust the stack here.
    let tree: Tree = serde_json::from_str(text).map_err(|e| ParseError::Json {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    // One check for the whole file, payloads included: a key given twice is ambiguous.
    if let Some((path, key)) = tree.first_duplicate("") {
        return Err(ParseError::DuplicateKey { path, key });
    }

    let top = object(tree, "")?;
    let mut state_machines = None;
    let mut responses = None;
    for (key, value) in top {
        match key.as_str() {
            STATE_MACHINES => state_machines = Some(value),
            MOCKED_RESPONSES => responses = Some(value),
            _ => {
                return Err(ParseError::UnknownField {
                    path: String::new(),
                    field: key,
                    expected: "\"StateMachines\" or \"MockedResponses\"",
                })
            }
        }
    }
    let state_machines = state_machines.ok_or(ParseError::MissingField {
        path: String::new(),
        field: STATE_MACHINES,
    })?;
    let responses = responses.ok_or(ParseError::MissingField {
        path: String::new(),
        field: MOCKED_RESPONSES,
    })?;

    let responses = mocked_responses(responses)?;
    let state_machines = state_machines_section(state_machines, &responses)?;
    Ok(MockConfig {
        state_machines,
        responses,
    })
}

fn object(tree: Tree, path: &str) -> Result<Vec<(String, Tree)>, ParseError> {
    match tree {
        Tree::Object(members) => Ok(members),
        other => Err(ParseError::WrongType {
            path: path.to_owned(),
            expected: JsonKind::Object,
            found: other.kind(),
        }),
    }
}

fn string(tree: Tree, path: &str) -> Result<String, ParseError> {
    match tree {
        Tree::String(s) => Ok(s),
        other => Err(ParseError::WrongType {
            path: path.to_owned(),
            expected: JsonKind::String,
            found: other.kind(),
        }),
    }
}

fn state_machines_section(
    tree: Tree,
    responses: &BTreeMap<String, Arc<MockedResponse>>,
) -> Result<BTreeMap<String, StateMachineMocks>, ParseError> {
    let base = pointer_push("", STATE_MACHINES);
    let mut out = BTreeMap::new();
    for (sm_name, sm) in object(tree, &base)? {
        let sm_path = pointer_push(&base, &sm_name);
        let mut test_cases = None;
        for (key, value) in object(sm, &sm_path)? {
            if key == TEST_CASES {
                test_cases = Some(value);
            } else {
                return Err(ParseError::UnknownField {
                    path: sm_path,
                    field: key,
                    expected: "\"TestCases\"",
                });
            }
        }
        let test_cases = test_cases.ok_or_else(|| ParseError::MissingField {
            path: sm_path.clone(),
            field: TEST_CASES,
        })?;
        let cases_path = pointer_push(&sm_path, TEST_CASES);
        let mut cases = BTreeMap::new();
        for (case_name, case) in object(test_cases, &cases_path)? {
            let case_path = pointer_push(&cases_path, &case_name);
            let mut states = BTreeMap::new();
            for (state, response) in object(case, &case_path)? {
                let response = string(response, &pointer_push(&case_path, &state))?;
                if !responses.contains_key(&response) {
                    return Err(ParseError::UnknownResponse {
                        state_machine: sm_name,
                        test_case: case_name,
                        state,
                        response,
                    });
                }
                states.insert(state, response);
            }
            cases.insert(case_name, states);
        }
        out.insert(sm_name, StateMachineMocks { test_cases: cases });
    }
    Ok(out)
}

fn mocked_responses(tree: Tree) -> Result<BTreeMap<String, Arc<MockedResponse>>, ParseError> {
    let base = pointer_push("", MOCKED_RESPONSES);
    let mut out = BTreeMap::new();
    for (name, table) in object(tree, &base)? {
        let table_path = pointer_push(&base, &name);
        let mut entries: Vec<(AttemptRange, String, MockResponse)> = Vec::new();
        for (key, entry) in object(table, &table_path)? {
            let range = attempt_range(&key).map_err(|problem| ParseError::BadAttemptKey {
                response: name.clone(),
                key: key.clone(),
                problem,
            })?;
            let response = outcome(entry, &pointer_push(&table_path, &key))?;
            entries.push((range, key, response));
        }
        entries.sort_by_key(|(range, _, _)| *range);
        // Sorted by start, any overlap shows up between neighbours.
        for pair in entries.windows(2) {
            if let [(a, a_key, _), (b, b_key, _)] = pair {
                if b.start <= a.end {
                    return Err(ParseError::OverlappingAttempts {
                        response: name,
                        first: a_key.clone(),
                        second: b_key.clone(),
                        attempt: b.start,
                    });
                }
            }
        }
        let entries = entries.into_iter().map(|(r, _, m)| (r, m)).collect();
        out.insert(name, Arc::new(MockedResponse { entries }));
    }
    Ok(out)
}

/// `"N"` or `"N-M"` (inclusive), decimal digits only.
pub(crate) fn attempt_range(key: &str) -> Result<AttemptRange, AttemptKeyProblem> {
    let (start, end) = match key.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(key)?;
            (n, n)
        }
    };
    if end < start {
        return Err(AttemptKeyProblem::Reversed);
    }
    Ok(AttemptRange { start, end })
}

fn number(digits: &str) -> Result<u32, AttemptKeyProblem> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AttemptKeyProblem::Syntax);
    }
    // Only digits remain, so the one way to fail is overflow.
    digits.parse().map_err(|_| AttemptKeyProblem::TooLarge)
}

fn outcome(tree: Tree, path: &str) -> Result<MockResponse, ParseError> {
    let mut returned = None;
    let mut thrown = None;
    for (key, value) in object(tree, path)? {
        match key.as_str() {
            RETURN => returned = Some(value),
            THROW => thrown = Some(value),
            _ => {
                return Err(ParseError::UnknownField {
                    path: path.to_owned(),
                    field: key,
                    expected: "\"Return\" or \"Throw\"",
                })
            }
        }
    }
    match (returned, thrown) {
        (Some(value), None) => Ok(MockResponse::Return(value.into_value())),
        (None, Some(throw)) => throw_outcome(throw, &pointer_push(path, THROW)),
        (Some(_), Some(_)) => Err(ParseError::BothOutcomes {
            path: path.to_owned(),
        }),
        (None, None) => Err(ParseError::NoOutcome {
            path: path.to_owned(),
        }),
    }
}

fn throw_outcome(tree: Tree, path: &str) -> Result<MockResponse, ParseError> {
    let mut error = None;
    let mut cause = None;
    for (key, value) in object(tree, path)? {
        match key.as_str() {
            ERROR => error = Some(string(value, &pointer_push(path, ERROR))?),
            CAUSE => cause = Some(string(value, &pointer_push(path, CAUSE))?),
            _ => {
                return Err(ParseError::UnknownField {
                    path: path.to_owned(),
                    field: key,
                    expected: "\"Error\" or \"Cause\"",
                })
            }
        }
    }
    Ok(MockResponse::Throw { error, cause })
}
