//! Which response an invocation gets: attempt keys and ranges, gaps, the end of the table,
//! and the per-state invocation counter of a `MockSession`.

use baton_mock::{AttemptRange, LookupError, MockConfig, MockResponse, MockSession, TestCase};
use serde_json::{json, Value};

const CONFIG: &str = r#"{
  "StateMachines": {
    "LambdaSQSIntegration": {
      "TestCases": {
        "RetryPath": { "LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess" },
        "Gaps": { "LambdaState": "Gappy", "Other": "Empty" },
        "Shared": { "A": "MockedSQSSuccess", "B": "MockedSQSSuccess" }
      }
    }
  },
  "MockedResponses": {
    "MockedSQSSuccess": { "0": { "Return": { "MessageId": "m-1" } } },
    "MockedLambdaRetry": {
      "3": { "Return": { "StatusCode": 200, "Payload": "done" } },
      "0": { "Throw": { "Error": "Lambda.ResourceNotReadyException", "Cause": "not ready" } },
      "1-2": { "Throw": { "Error": "Lambda.TimeoutException" } }
    },
    "Gappy": { "0": { "Return": null }, "2-4": { "Return": [1, 2] }, "7": { "Throw": {} } },
    "Empty": {}
  }
}"#;

fn ret(v: Value) -> Result<MockResponse, LookupError> {
    Ok(MockResponse::Return(v))
}

fn throw(error: Option<&str>, cause: Option<&str>) -> Result<MockResponse, LookupError> {
    Ok(MockResponse::Throw {
        error: error.map(str::to_owned),
        cause: cause.map(str::to_owned),
    })
}

fn missing(state: &str, response: &str, attempt: u32) -> Result<MockResponse, LookupError> {
    Err(LookupError::NoResponseForAttempt {
        state: state.to_owned(),
        response: response.to_owned(),
        attempt,
    })
}

fn case(name: &str) -> TestCase {
    let config = MockConfig::parse(CONFIG).expect("the table's config is valid");
    config
        .test_case("LambdaSQSIntegration", name)
        .expect("the test case exists")
}

#[test]
fn response_for_each_attempt() {
    let not_ready = Some("Lambda.ResourceNotReadyException");
    let timeout = Some("Lambda.TimeoutException");
    let cases = [
        (
            "RetryPath",
            "LambdaState",
            0,
            throw(not_ready, Some("not ready")),
        ),
        ("RetryPath", "LambdaState", 1, throw(timeout, None)),
        ("RetryPath", "LambdaState", 2, throw(timeout, None)),
        (
            "RetryPath",
            "LambdaState",
            3,
            ret(json!({"StatusCode": 200, "Payload": "done"})),
        ),
        // Nothing repeats past the last key.
        (
            "RetryPath",
            "LambdaState",
            4,
            missing("LambdaState", "MockedLambdaRetry", 4),
        ),
        (
            "RetryPath",
            "LambdaState",
            u32::MAX,
            missing("LambdaState", "MockedLambdaRetry", u32::MAX),
        ),
        ("RetryPath", "SQSState", 0, ret(json!({"MessageId": "m-1"}))),
        (
            "RetryPath",
            "SQSState",
            1,
            missing("SQSState", "MockedSQSSuccess", 1),
        ),
        (
            "RetryPath",
            "Unmocked",
            0,
            Err(LookupError::NotMocked {
                state: "Unmocked".to_owned(),
            }),
        ),
        // Gaps in the numbering are lookups that find nothing.
        ("Gaps", "LambdaState", 0, ret(Value::Null)),
        ("Gaps", "LambdaState", 1, missing("LambdaState", "Gappy", 1)),
        ("Gaps", "LambdaState", 2, ret(json!([1, 2]))),
        ("Gaps", "LambdaState", 4, ret(json!([1, 2]))),
        ("Gaps", "LambdaState", 5, missing("LambdaState", "Gappy", 5)),
        ("Gaps", "LambdaState", 7, throw(None, None)),
        ("Gaps", "LambdaState", 8, missing("LambdaState", "Gappy", 8)),
        ("Gaps", "Other", 0, missing("Other", "Empty", 0)),
        // A state name is case-sensitive.
        (
            "Gaps",
            "lambdastate",
            0,
            Err(LookupError::NotMocked {
                state: "lambdastate".to_owned(),
            }),
        ),
    ];
    for (test_case, state, attempt, expected) in cases {
        let got = case(test_case).response(state, attempt);
        assert_eq!(got, expected, "{test_case}/{state} attempt {attempt}");
    }
}

#[test]
fn entries_come_back_in_attempt_order() {
    let config = MockConfig::parse(CONFIG).expect("valid");
    let cases = [
        ("MockedLambdaRetry", vec![(0, 0), (1, 2), (3, 3)]),
        ("Gappy", vec![(0, 0), (2, 4), (7, 7)]),
        ("Empty", vec![]),
    ];
    for (name, expected) in cases {
        let table = config.mocked_response(name).expect("defined");
        let got: Vec<(u32, u32)> = table.entries().map(|(r, _)| (r.start, r.end)).collect();
        assert_eq!(got, expected, "{name}");
    }
    let shown: Vec<String> = [(0, 0), (1, 2)]
        .iter()
        .map(|&(start, end)| AttemptRange { start, end }.to_string())
        .collect();
    assert_eq!(shown, ["0", "1-2"]);
}

/// A session hands out attempt numbers per state across the whole execution: a sequence of
/// invocations (state names, in the order they happen) and what each one gets.
#[test]
fn a_session_counts_invocations_per_state() {
    type Step = (&'static str, Option<Result<MockResponse, LookupError>>);
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            // Three failures then success, whether they are retries or re-entries.
            "RetryPath",
            vec![
                (
                    "LambdaState",
                    Some(throw(
                        Some("Lambda.ResourceNotReadyException"),
                        Some("not ready"),
                    )),
                ),
                (
                    "LambdaState",
                    Some(throw(Some("Lambda.TimeoutException"), None)),
                ),
                ("SQSState", Some(ret(json!({"MessageId": "m-1"})))),
                (
                    "LambdaState",
                    Some(throw(Some("Lambda.TimeoutException"), None)),
                ),
                ("Unmocked", None),
                (
                    "LambdaState",
                    Some(ret(json!({"StatusCode": 200, "Payload": "done"}))),
                ),
                (
                    "LambdaState",
                    Some(missing("LambdaState", "MockedLambdaRetry", 4)),
                ),
                ("SQSState", Some(missing("SQSState", "MockedSQSSuccess", 1))),
            ],
        ),
        (
            // Two states using one response each keep their own counter.
            "Shared",
            vec![
                ("A", Some(ret(json!({"MessageId": "m-1"})))),
                ("B", Some(ret(json!({"MessageId": "m-1"})))),
                ("A", Some(missing("A", "MockedSQSSuccess", 1))),
            ],
        ),
    ];
    for (test_case, steps) in cases {
        let mut session = MockSession::new(case(test_case));
        for (i, (state, expected)) in steps.into_iter().enumerate() {
            let got = session.next(state);
            assert_eq!(got, expected, "{test_case} step {i}: {state}");
        }
    }
}

#[test]
fn a_session_reports_how_many_invocations_it_has_seen() {
    let mut session = MockSession::new(case("RetryPath"));
    let calls = ["LambdaState", "LambdaState", "SQSState", "Unmocked"];
    for state in calls {
        let _ = session.next(state);
    }
    let expected = [("LambdaState", 2), ("SQSState", 1), ("Unmocked", 0)];
    for (state, n) in expected {
        assert_eq!(session.invocations(state), n, "{state}");
    }
}

#[test]
fn listing_names() {
    let config = MockConfig::parse(CONFIG).expect("valid");
    let machines: Vec<&str> = config.state_machines().collect();
    assert_eq!(machines, ["LambdaSQSIntegration"]);
    let cases: Vec<&str> = config.test_cases("LambdaSQSIntegration").collect();
    assert_eq!(cases, ["Gaps", "RetryPath", "Shared"]);
    assert_eq!(config.test_cases("Nope").count(), 0);
    let retry = case("RetryPath");
    let states: Vec<(&str, &str)> = retry.states().collect();
    assert_eq!(
        states,
        [
            ("LambdaState", "MockedLambdaRetry"),
            ("SQSState", "MockedSQSSuccess")
        ]
    );
    let tc = case("Gaps");
    assert_eq!(
        (tc.state_machine(), tc.name()),
        ("LambdaSQSIntegration", "Gaps")
    );
}

#[test]
fn return_payloads_keep_numbers_and_member_order() {
    let text = r#"{"StateMachines":{},"MockedResponses":{"R":{"0":{"Return":
        {"z":1,"a":1.0,"big":18446744073709551615,"neg":-7,"f":0.30000000000000004}}}}}"#;
    let config = MockConfig::parse(text).expect("valid");
    let table = config.mocked_response("R").expect("defined");
    let Some(MockResponse::Return(v)) = table.get(0) else {
        panic!("attempt 0 returns");
    };
    assert_eq!(
        v.to_string(),
        r#"{"z":1,"a":1.0,"big":18446744073709551615,"neg":-7,"f":0.30000000000000004}"#
    );
}
