//! One table per Choice operator family, from the AWS documentation of Choice rules: matches,
//! non-matches, type mismatches (false) and missing variables (`States.Runtime`).

use serde_json::{json, Map, Value};

use super::*;
use crate::error::ErrorName;

enum Want {
    Match,
    NoMatch,
    /// Fails naming this path.
    Invalid(&'static str),
}
use Want::{Invalid, Match, NoMatch};

fn check(table: Vec<(Value, Value, Want)>) {
    let mut vars = Map::new();
    vars.insert("guess".into(), json!("the_answer"));
    vars.insert("answer".into(), json!("the_answer"));
    let context = json!({"State": {"RetryCount": 0}});
    for (rule, input, want) in table {
        let condition =
            Condition::parse(&rule).unwrap_or_else(|e| panic!("{rule} should parse: {e}"));
        let env = Env {
            input: &input,
            context: &context,
            vars: &vars,
        };
        let got = condition.eval(&env);
        match want {
            Match => assert_eq!(got, Ok(true), "{rule} on {input}"),
            NoMatch => assert_eq!(got, Ok(false), "{rule} on {input}"),
            Invalid(path) => {
                let f = got.expect_err(&format!("{rule} on {input} should fail"));
                assert_eq!(f.error, ErrorName::Runtime);
                assert_eq!(
                    f.cause,
                    format!("Invalid path '{path}': The choice state's condition path references an invalid value."),
                    "{rule} on {input}"
                );
            }
        }
    }
}

fn rule(op: &str, operand: Value) -> Value {
    json!({"Variable": "$.v", op: operand, "Next": "X"})
}

#[test]
fn string_comparisons() {
    check(vec![
        (
            rule("StringEquals", json!("Hello")),
            json!({"v": "Hello"}),
            Match,
        ),
        (
            rule("StringEquals", json!("     ")),
            json!({"v": " "}),
            NoMatch,
        ),
        (
            rule("StringEquals", json!("\t\r\n")),
            json!({"v": "\t\n"}),
            NoMatch,
        ),
        (rule("StringEquals", json!("1")), json!({"v": 1}), NoMatch),
        (
            rule("StringEquals", json!("null")),
            json!({"v": null}),
            NoMatch,
        ),
        (
            rule("StringLessThan", json!("AB")),
            json!({"v": "A"}),
            Match,
        ),
        (rule("StringLessThan", json!("")), json!({"v": ""}), NoMatch),
        (
            rule("StringGreaterThan", json!("A ")),
            json!({"v": "A"}),
            NoMatch,
        ),
        (
            rule("StringGreaterThan", json!("a")),
            json!({"v": "B"}),
            NoMatch,
        ),
        (
            rule("StringLessThanEquals", json!("")),
            json!({"v": ""}),
            Match,
        ),
        (
            rule("StringGreaterThanEquals", json!("A")),
            json!({"v": "AB"}),
            Match,
        ),
        // UTF-16 order, as Java compares strings.
        (
            rule("StringLessThan", json!("\u{ff61}")),
            json!({"v": "\u{1f600}"}),
            Match,
        ),
        (
            rule("StringEqualsPath", json!("$.w")),
            json!({"v": "x", "w": "x"}),
            Match,
        ),
        (
            rule("StringGreaterThanEqualsPath", json!("$.w")),
            json!({"v": "A", "w": "AB"}),
            NoMatch,
        ),
        (
            rule("StringLessThanEqualsPath", json!("$.w")),
            json!({"v": "A", "w": "AB"}),
            Match,
        ),
        (
            rule("StringEqualsPath", json!("$.w")),
            json!({"v": "x", "w": 1}),
            NoMatch,
        ),
        (
            rule("StringEqualsPath", json!("$.w")),
            json!({"v": "x"}),
            Invalid("$.w"),
        ),
    ]);
}

#[test]
fn string_matches() {
    check(vec![
        (
            rule("StringMatches", json!("log-*.txt")),
            json!({"v": "log-2024.txt"}),
            Match,
        ),
        (
            rule("StringMatches", json!("log-*.txt")),
            json!({"v": "log-.txt"}),
            Match,
        ),
        (
            rule("StringMatches", json!("log-*.txt")),
            json!({"v": "log-1.txt.bak"}),
            NoMatch,
        ),
        (rule("StringMatches", json!("*")), json!({"v": ""}), Match),
        (
            rule("StringMatches", json!("a*b*c")),
            json!({"v": "aXbYbZc"}),
            Match,
        ),
        (
            rule("StringMatches", json!("a*b*c")),
            json!({"v": "aXbYbZ"}),
            NoMatch,
        ),
        (
            rule("StringMatches", json!("*.log")),
            json!({"v": "app.log"}),
            Match,
        ),
        (
            rule("StringMatches", json!("exact")),
            json!({"v": "Exact"}),
            NoMatch,
        ),
        (
            rule("StringMatches", json!("a\\*b")),
            json!({"v": "a*b"}),
            Match,
        ),
        (
            rule("StringMatches", json!("a\\*b")),
            json!({"v": "aXb"}),
            NoMatch,
        ),
        (
            rule("StringMatches", json!("a\\\\*")),
            json!({"v": "a\\xyz"}),
            Match,
        ),
        (rule("StringMatches", json!("*")), json!({"v": 5}), NoMatch),
    ]);
}

#[test]
fn numeric_comparisons() {
    check(vec![
        (rule("NumericEquals", json!(0)), json!({"v": 0.0}), Match),
        (rule("NumericEquals", json!(1.0)), json!({"v": 1}), Match),
        (
            rule("NumericEquals", json!(2.22)),
            json!({"v": 2.22}),
            Match,
        ),
        (rule("NumericEquals", json!(1)), json!({"v": 1.1}), NoMatch),
        (rule("NumericEquals", json!(0)), json!({"v": "0"}), NoMatch),
        (
            rule("NumericEquals", json!(0)),
            json!({"v": false}),
            NoMatch,
        ),
        (rule("NumericEquals", json!(0)), json!({"v": null}), NoMatch),
        (rule("NumericEquals", json!(0)), json!({"v": [0]}), NoMatch),
        (
            rule("NumericEquals", json!(9007199254740993_i64)),
            json!({"v": 9007199254740992_i64}),
            NoMatch,
        ),
        (rule("NumericLessThan", json!(30)), json!({"v": 22}), Match),
        (
            rule("NumericGreaterThan", json!(-1.5)),
            json!({"v": -1}),
            Match,
        ),
        (
            rule("NumericLessThanEquals", json!(1)),
            json!({"v": 1}),
            Match,
        ),
        (
            rule("NumericGreaterThanEquals", json!(1)),
            json!({"v": 0}),
            NoMatch,
        ),
        (
            rule("NumericEqualsPath", json!("$.w")),
            json!({"v": 1, "w": 1.0}),
            Match,
        ),
        (
            rule("NumericLessThanPath", json!("$.w")),
            json!({"v": 0, "w": 1}),
            Match,
        ),
        (
            rule("NumericLessThanEqualsPath", json!("$.w")),
            json!({"v": 1, "w": 0}),
            NoMatch,
        ),
        (
            rule("NumericGreaterThanPath", json!("$.w")),
            json!({"v": 8, "w": {"value": 8}}),
            NoMatch,
        ),
        (rule("NumericEquals", json!(1)), json!({}), Invalid("$.v")),
    ]);
}

#[test]
fn boolean_comparisons() {
    check(vec![
        (
            rule("BooleanEquals", json!(true)),
            json!({"v": true}),
            Match,
        ),
        (
            rule("BooleanEquals", json!(false)),
            json!({"v": false}),
            Match,
        ),
        (
            rule("BooleanEquals", json!(true)),
            json!({"v": false}),
            NoMatch,
        ),
        (
            rule("BooleanEquals", json!(true)),
            json!({"v": "true"}),
            NoMatch,
        ),
        (
            rule("BooleanEquals", json!(false)),
            json!({"v": 0}),
            NoMatch,
        ),
        (
            rule("BooleanEqualsPath", json!("$.w")),
            json!({"v": false, "w": false}),
            Match,
        ),
        (
            rule("BooleanEqualsPath", json!("$.w")),
            json!({"v": null, "w": true}),
            NoMatch,
        ),
        (
            rule("BooleanEqualsPath", json!("$.w")),
            json!({"v": true}),
            Invalid("$.w"),
        ),
    ]);
}

#[test]
fn timestamp_comparisons() {
    let t = "2012-10-09T19:00:55Z";
    check(vec![
        (rule("TimestampEquals", json!(t)), json!({"v": t}), Match),
        (
            rule("TimestampEquals", json!(t)),
            json!({"v": "2012-10-09T20:00:55+01:00"}),
            Match,
        ),
        (
            rule("TimestampEquals", json!(t)),
            json!({"v": "2012-10-09T19:00:55.000Z"}),
            Match,
        ),
        (
            rule("TimestampEquals", json!(t)),
            json!({"v": "2012-10-09T19:00:56Z"}),
            NoMatch,
        ),
        (
            rule("TimestampEquals", json!(t)),
            json!({"v": "not-a-timestamp"}),
            NoMatch,
        ),
        (
            rule("TimestampEquals", json!(t)),
            json!({"v": "2012-10-09"}),
            NoMatch,
        ),
        (rule("TimestampEquals", json!(t)), json!({"v": 5}), NoMatch),
        (
            rule("TimestampLessThan", json!(t)),
            json!({"v": "2012-10-09T19:00:54.999Z"}),
            Match,
        ),
        (
            rule("TimestampGreaterThan", json!(t)),
            json!({"v": t}),
            NoMatch,
        ),
        (
            rule("TimestampLessThanEquals", json!(t)),
            json!({"v": t}),
            Match,
        ),
        (
            rule("TimestampGreaterThanEquals", json!(t)),
            json!({"v": "2012-10-09T19:00:56Z"}),
            Match,
        ),
        (
            rule("TimestampEqualsPath", json!("$.w")),
            json!({"v": t, "w": "2012-10-09T19:00:55Z"}),
            Match,
        ),
        (
            rule("TimestampLessThanPath", json!("$.w")),
            json!({"v": "2012-10-09T19:00:56Z", "w": t}),
            NoMatch,
        ),
        (
            rule("TimestampGreaterThanEqualsPath", json!("$.w")),
            json!({"v": t, "w": "bad"}),
            NoMatch,
        ),
        (
            rule("TimestampLessThanEqualsPath", json!("$.w")),
            json!({"v": t}),
            Invalid("$.w"),
        ),
    ]);
}

#[test]
fn type_tests() {
    check(vec![
        (rule("IsNull", json!(true)), json!({"v": null}), Match),
        (rule("IsNull", json!(true)), json!({"v": "null"}), NoMatch),
        (rule("IsNull", json!(false)), json!({"v": 0}), Match),
        (rule("IsPresent", json!(true)), json!({"v": null}), Match),
        (rule("IsPresent", json!(false)), json!({}), Match),
        (rule("IsPresent", json!(true)), json!({}), NoMatch),
        (
            json!({"Variable": "$.a.b.c", "IsPresent": false}),
            json!({"a": 1}),
            Match,
        ),
        (rule("IsNumeric", json!(true)), json!({"v": 1.5}), Match),
        (rule("IsNumeric", json!(true)), json!({"v": "1"}), NoMatch),
        (rule("IsString", json!(true)), json!({"v": ""}), Match),
        (rule("IsString", json!(false)), json!({"v": [""]}), Match),
        (rule("IsBoolean", json!(true)), json!({"v": false}), Match),
        (
            rule("IsBoolean", json!(false)),
            json!({"v": false}),
            NoMatch,
        ),
        (
            rule("IsTimestamp", json!(true)),
            json!({"v": "2012-10-09T19:00:55+01:00"}),
            Match,
        ),
        (
            rule("IsTimestamp", json!(true)),
            json!({"v": "2012-10-09T19:00:55"}),
            NoMatch,
        ),
        (
            rule("IsTimestamp", json!(true)),
            json!({"v": "2023-02-24"}),
            NoMatch,
        ),
        (rule("IsNull", json!(true)), json!({}), Invalid("$.v")),
        (rule("IsString", json!(false)), json!({}), Invalid("$.v")),
    ]);
}

#[test]
fn boolean_operators() {
    let twenties = json!({"And": [
        {"Variable": "$.value", "NumericGreaterThanEquals": 20},
        {"Variable": "$.value", "NumericLessThan": 30}
    ], "Next": "ValueInTwenties"});
    let public =
        json!({"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"});
    let either = json!({"Or": [
        {"Variable": "$.a", "BooleanEquals": true},
        {"Variable": "$.b", "BooleanEquals": true}
    ]});
    check(vec![
        (twenties.clone(), json!({"value": 22}), Match),
        (twenties.clone(), json!({"value": 30}), NoMatch),
        (
            public.clone(),
            json!({"type": "Private", "value": 22}),
            NoMatch,
        ),
        (public, json!({"type": "Public"}), Match),
        (
            json!({"And": [{"Variable": "$.type", "StringEquals": "Public"}], "Next": "P"}),
            json!({"type": "Public"}),
            Match,
        ),
        (either.clone(), json!({"a": false, "b": true}), Match),
        (either.clone(), json!({"a": false, "b": false}), NoMatch),
        // Evaluation stops at the first deciding operand, as AWS's does.
        (either.clone(), json!({"a": true}), Match),
        (either, json!({"a": false}), Invalid("$.b")),
        (twenties, json!({"value": "22"}), NoMatch),
    ]);
}

#[test]
fn variables_may_be_context_paths_or_workflow_variables() {
    check(vec![
        (
            json!({"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "Right"}),
            json!({}),
            Match,
        ),
        (
            json!({"Variable": "$$.State.RetryCount", "NumericEquals": 0}),
            json!({}),
            Match,
        ),
        (
            json!({"Variable": "$undefinedVariable", "StringEquals": "value"}),
            json!({}),
            Invalid("$undefinedVariable"),
        ),
        (
            json!({"Variable": "$undefinedVariable", "IsPresent": false}),
            json!({}),
            Match,
        ),
    ]);
}

#[test]
fn parse_rejects_malformed_rules() {
    let table = [
        json!("not an object"),
        json!({"Next": "X"}),
        json!({"Variable": "$.a"}),
        json!({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1}),
        json!({"Variable": "$.a", "StringEquals": 1}),
        json!({"Variable": "$.a", "NumericEquals": "1"}),
        json!({"Variable": "$.a", "BooleanEquals": "true"}),
        json!({"Variable": "$.a", "IsNull": "yes"}),
        json!({"Variable": "$.a", "TimestampEquals": "2016-12-05T21:29:29"}),
        json!({"Variable": "$.a", "TimestampLessThan": "2016-12-05T21:29Z"}),
        json!({"Variable": "$.a", "StringMatchesPath": "$.b"}),
        json!({"Variable": "$.a", "StringEqualsPath": "not a path"}),
        json!({"Variable": "a.b", "StringEquals": "x"}),
        json!({"Variable": "$.a", "Frobnicate": 1}),
        json!({"And": []}),
        json!({"Or": {"Variable": "$.a", "IsNull": true}}),
        json!({"Not": "x"}),
    ];
    for rule in table {
        assert!(Condition::parse(&rule).is_err(), "{rule} should not parse");
    }
}
