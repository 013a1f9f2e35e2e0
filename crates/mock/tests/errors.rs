//! Every malformed shape of a mock file is rejected with its own typed error and location.

use baton_mock::{
    AttemptKeyProblem, JsonKind, JsonKind as K, MockConfig, ParseError, TestCaseError,
};

/// A file with one response `R` (whose attempt table is `table`) used by `SM`/`Case`/`S`.
fn with_table(table: &str) -> String {
    format!(
        r#"{{"StateMachines":{{"SM":{{"TestCases":{{"Case":{{"S":"R"}}}}}}}},
            "MockedResponses":{{"R":{table}}}}}"#
    )
}

fn s(x: &str) -> String {
    x.to_owned()
}

fn wrong(path: &str, expected: JsonKind, found: JsonKind) -> ParseError {
    ParseError::WrongType {
        path: s(path),
        expected,
        found,
    }
}

fn bad_key(key: &str, problem: AttemptKeyProblem) -> ParseError {
    ParseError::BadAttemptKey {
        response: s("R"),
        key: s(key),
        problem,
    }
}

fn unknown(path: &str, field: &str, expected: &'static str) -> ParseError {
    ParseError::UnknownField {
        path: s(path),
        field: s(field),
        expected,
    }
}

#[test]
fn malformed_files_give_typed_errors() {
    use AttemptKeyProblem::*;
    const TOP: &str = "\"StateMachines\" or \"MockedResponses\"";
    const OUTCOME: &str = "\"Return\" or \"Throw\"";
    let ok_case = r#""StateMachines":{"SM":{"TestCases":{"Case":{}}}}"#;
    let cases: Vec<(&str, String, ParseError)> = vec![
        // The document.
        ("array at top", s("[]"), wrong("", K::Object, K::Array)),
        (
            "string at top",
            s(r#""x""#),
            wrong("", K::Object, K::String),
        ),
        (
            "missing StateMachines",
            s(r#"{"MockedResponses":{}}"#),
            ParseError::MissingField {
                path: s(""),
                field: "StateMachines",
            },
        ),
        (
            "missing MockedResponses",
            format!("{{{ok_case}}}"),
            ParseError::MissingField {
                path: s(""),
                field: "MockedResponses",
            },
        ),
        (
            "unknown top-level field",
            format!(r#"{{{ok_case},"MockedResponses":{{}},"MockedResponse":{{}}}}"#),
            unknown("", "MockedResponse", TOP),
        ),
        (
            "duplicate top-level key",
            format!(r#"{{{ok_case},"MockedResponses":{{}},"MockedResponses":{{}}}}"#),
            ParseError::DuplicateKey {
                path: s(""),
                key: s("MockedResponses"),
            },
        ),
        // StateMachines.
        (
            "StateMachines not an object",
            s(r#"{"StateMachines":[],"MockedResponses":{}}"#),
            wrong("/StateMachines", K::Object, K::Array),
        ),
        (
            "state machine not an object",
            s(r#"{"StateMachines":{"SM":1},"MockedResponses":{}}"#),
            wrong("/StateMachines/SM", K::Object, K::Number),
        ),
        (
            "missing TestCases",
            s(r#"{"StateMachines":{"SM":{}},"MockedResponses":{}}"#),
            ParseError::MissingField {
                path: s("/StateMachines/SM"),
                field: "TestCases",
            },
        ),
        (
            "misspelt TestCases",
            s(r#"{"StateMachines":{"SM":{"TestCase":{}}},"MockedResponses":{}}"#),
            unknown("/StateMachines/SM", "TestCase", "\"TestCases\""),
        ),
        (
            "TestCases not an object",
            s(r#"{"StateMachines":{"SM":{"TestCases":null}},"MockedResponses":{}}"#),
            wrong("/StateMachines/SM/TestCases", K::Object, K::Null),
        ),
        (
            "test case not an object",
            s(r#"{"StateMachines":{"SM":{"TestCases":{"C":"R"}}},"MockedResponses":{}}"#),
            wrong("/StateMachines/SM/TestCases/C", K::Object, K::String),
        ),
        (
            "response name not a string",
            s(r#"{"StateMachines":{"SM":{"TestCases":{"C":{"S":{"R":1}}}}},"MockedResponses":{}}"#),
            wrong("/StateMachines/SM/TestCases/C/S", K::String, K::Object),
        ),
        (
            "pointer escapes / and ~ in names",
            s(r#"{"StateMachines":{"a/b":{"TestCases":{"c~d":{"S":true}}}},"MockedResponses":{}}"#),
            wrong(
                "/StateMachines/a~1b/TestCases/c~0d/S",
                K::String,
                K::Boolean,
            ),
        ),
        (
            "unknown response name",
            s(
                r#"{"StateMachines":{"SM":{"TestCases":{"Case":{"S":"Nope"}}}},"MockedResponses":{"R":{}}}"#,
            ),
            ParseError::UnknownResponse {
                state_machine: s("SM"),
                test_case: s("Case"),
                state: s("S"),
                response: s("Nope"),
            },
        ),
        (
            "duplicate state in a test case",
            s(
                r#"{"StateMachines":{"SM":{"TestCases":{"C":{"S":"R","S":"R"}}}},"MockedResponses":{"R":{}}}"#,
            ),
            ParseError::DuplicateKey {
                path: s("/StateMachines/SM/TestCases/C"),
                key: s("S"),
            },
        ),
        // MockedResponses.
        (
            "MockedResponses not an object",
            format!(r#"{{{ok_case},"MockedResponses":[]}}"#),
            wrong("/MockedResponses", K::Object, K::Array),
        ),
        (
            "response not an object",
            with_table("[]"),
            wrong("/MockedResponses/R", K::Object, K::Array),
        ),
        // Attempt keys.
        (
            "empty key",
            with_table(r#"{"":{"Return":1}}"#),
            bad_key("", Syntax),
        ),
        (
            "negative key",
            with_table(r#"{"-1":{"Return":1}}"#),
            bad_key("-1", Syntax),
        ),
        (
            "signed key",
            with_table(r#"{"+1":{"Return":1}}"#),
            bad_key("+1", Syntax),
        ),
        (
            "spaces in key",
            with_table(r#"{" 0":{"Return":1}}"#),
            bad_key(" 0", Syntax),
        ),
        (
            "word key",
            with_table(r#"{"first":{"Return":1}}"#),
            bad_key("first", Syntax),
        ),
        (
            "open range end",
            with_table(r#"{"1-":{"Return":1}}"#),
            bad_key("1-", Syntax),
        ),
        (
            "three-part range",
            with_table(r#"{"1-2-3":{"Return":1}}"#),
            bad_key("1-2-3", Syntax),
        ),
        (
            "en dash range",
            with_table(r#"{"1–2":{"Return":1}}"#),
            bad_key("1–2", Syntax),
        ),
        (
            "fractional key",
            with_table(r#"{"1.0":{"Return":1}}"#),
            bad_key("1.0", Syntax),
        ),
        (
            "key overflows",
            with_table(r#"{"4294967296":{"Return":1}}"#),
            bad_key("4294967296", TooLarge),
        ),
        (
            "range end overflows",
            with_table(r#"{"0-99999999999":{"Return":1}}"#),
            bad_key("0-99999999999", TooLarge),
        ),
        (
            "reversed range",
            with_table(r#"{"3-1":{"Return":1}}"#),
            bad_key("3-1", Reversed),
        ),
        (
            "overlapping ranges",
            with_table(r#"{"0-2":{"Return":1},"2-3":{"Return":2}}"#),
            ParseError::OverlappingAttempts {
                response: s("R"),
                first: s("0-2"),
                second: s("2-3"),
                attempt: 2,
            },
        ),
        (
            "range containing a single key",
            with_table(r#"{"5":{"Return":1},"1-9":{"Return":2}}"#),
            ParseError::OverlappingAttempts {
                response: s("R"),
                first: s("1-9"),
                second: s("5"),
                attempt: 5,
            },
        ),
        (
            "same attempt spelt twice",
            with_table(r#"{"1":{"Return":1},"01":{"Return":2}}"#),
            ParseError::OverlappingAttempts {
                response: s("R"),
                first: s("1"),
                second: s("01"),
                attempt: 1,
            },
        ),
        (
            "duplicate attempt key",
            with_table(r#"{"0":{"Return":1},"0":{"Return":2}}"#),
            ParseError::DuplicateKey {
                path: s("/MockedResponses/R"),
                key: s("0"),
            },
        ),
        // Attempt entries.
        (
            "entry not an object",
            with_table(r#"{"0":1}"#),
            wrong("/MockedResponses/R/0", K::Object, K::Number),
        ),
        (
            "neither Return nor Throw",
            with_table(r#"{"0":{}}"#),
            ParseError::NoOutcome {
                path: s("/MockedResponses/R/0"),
            },
        ),
        (
            "both Return and Throw",
            with_table(r#"{"0-1":{"Return":1,"Throw":{"Error":"E"}}}"#),
            ParseError::BothOutcomes {
                path: s("/MockedResponses/R/0-1"),
            },
        ),
        (
            "misspelt Return",
            with_table(r#"{"0":{"Returns":1}}"#),
            unknown("/MockedResponses/R/0", "Returns", OUTCOME),
        ),
        (
            "lower-case throw",
            with_table(r#"{"0":{"throw":{"Error":"E"}}}"#),
            unknown("/MockedResponses/R/0", "throw", OUTCOME),
        ),
        (
            "Throw not an object",
            with_table(r#"{"0":{"Throw":"E"}}"#),
            wrong("/MockedResponses/R/0/Throw", K::Object, K::String),
        ),
        (
            "Error not a string",
            with_table(r#"{"0":{"Throw":{"Error":1}}}"#),
            wrong("/MockedResponses/R/0/Throw/Error", K::String, K::Number),
        ),
        (
            "Error null",
            with_table(r#"{"0":{"Throw":{"Error":null}}}"#),
            wrong("/MockedResponses/R/0/Throw/Error", K::String, K::Null),
        ),
        (
            "Cause not a string",
            with_table(r#"{"0":{"Throw":{"Error":"E","Cause":{"a":1}}}}"#),
            wrong("/MockedResponses/R/0/Throw/Cause", K::String, K::Object),
        ),
        (
            "unknown field in Throw",
            with_table(r#"{"0":{"Throw":{"Error":"E","Message":"m"}}}"#),
            unknown(
                "/MockedResponses/R/0/Throw",
                "Message",
                "\"Error\" or \"Cause\"",
            ),
        ),
        (
            "duplicate key inside a Return payload",
            with_table(r#"{"0":{"Return":{"a":[{"b":1,"b":2}]}}}"#),
            ParseError::DuplicateKey {
                path: s("/MockedResponses/R/0/Return/a/0"),
                key: s("b"),
            },
        ),
    ];
    for (name, text, expected) in cases {
        let got = MockConfig::parse(&text);
        assert_eq!(got.as_ref().err(), Some(&expected), "{name}: {text}");
        // Every message names the problem in words, not just a variant.
        let message = expected.to_string();
        assert!(message.len() > 20, "{name}: {message}");
    }
}

#[test]
fn text_that_is_not_json_is_a_json_error_with_a_position() {
    let cases = [
        ("", 1, 0),
        ("{", 1, 1),
        ("{\"StateMachines\":}", 1, 18),
        ("{}\n{}", 2, 1),
        ("{\"a\":1,}", 1, 8),
    ];
    for (text, line, column) in cases {
        match MockConfig::parse(text) {
            Err(ParseError::Json {
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!((l, c), (line, column), "{text:?}: {message}");
            }
            other => panic!("{text:?}: expected a JSON error, got {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let payload = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = with_table(&format!(r#"{{"0":{{"Return":{payload}}}}}"#));
    assert!(matches!(
        MockConfig::parse(&text),
        Err(ParseError::Json { .. })
    ));
}

#[test]
fn unknown_state_machine_or_test_case_says_which() {
    let config = MockConfig::parse(&with_table(r#"{"0":{"Return":1}}"#)).expect("valid");
    let cases = [
        (
            "Other",
            "Case",
            TestCaseError::UnknownStateMachine {
                state_machine: s("Other"),
            },
        ),
        (
            "SM",
            "Other",
            TestCaseError::UnknownTestCase {
                state_machine: s("SM"),
                test_case: s("Other"),
            },
        ),
    ];
    for (sm, case, expected) in cases {
        assert_eq!(
            config.test_case(sm, case).err(),
            Some(expected),
            "{sm}/{case}"
        );
    }
}
