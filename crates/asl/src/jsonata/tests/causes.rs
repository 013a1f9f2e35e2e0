//! The causes, word for word as AWS writes them (recorded in the conformance corpus), and the
//! error name they are raised with.

use serde_json::{json, Value};

use super::{eval_with, states};
use crate::error::ErrorName;
use crate::jsonata::{JsonType, JsonataEnv, JsonataExpr, JsonataTemplate};
use crate::vars::SeededEntropy;

#[test]
fn template_failures_carry_aws_causes() {
    let vars = json!({"count": 10, "ItemsVar": [1]});
    // (template, field, cause)
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!("{% $doesNotExist %}"),
            "Output",
            "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined).",
        ),
        (
            json!({"result": "{% $doesNotExist %}"}),
            "Output",
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
        ),
        (
            json!({"result": "{% $doesNotExist %}"}),
            "Assign",
            "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined).",
        ),
        (
            json!({"FunctionName": "{% $doesNotExist %}", "Payload": {"a": 1}}),
            "Arguments",
            "The JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined).",
        ),
        (
            json!({"a": {"b": [1, "{% $nothing %}"]}}),
            "Output",
            "The JSONata expression '$nothing' specified for the field 'Output/a/b/1' returned nothing (undefined).",
        ),
        (
            json!({"FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}"}),
            "Output",
            "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function",
        ),
        (
            json!("{% $fn := function($x){$x} %}"),
            "Items",
            "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type.",
        ),
        (
            json!({"r": "{% /ab+/ %}"}),
            "Output",
            "The JSONata expression '/ab+/' specified for the field 'Output/r' returned an unsupported result type.",
        ),
        (
            json!("{% 'a' + 1 %}"),
            "Output",
            "The JSONata expression ''a' + 1' specified for the field 'Output' threw an error during evaluation. T2001: The left side of the \"+\" operator must evaluate to a number",
        ),
        (
            json!("{% $substring('abc', 'x') %}"),
            "Output",
            "The JSONata expression '$substring('abc', 'x')' specified for the field 'Output' threw an error during evaluation. T0410: Argument 2 of function \"substring\" does not match function signature",
        ),
        (
            json!("{% $join([1, 2]) %}"),
            "Output",
            "The JSONata expression '$join([1, 2])' specified for the field 'Output' threw an error during evaluation. T0412: Argument 1 of function \"join\" must be an array of \"strings\"",
        ),
        (
            json!("{% $uppercase('a', 'b') %}"),
            "Output",
            "The JSONata expression '$uppercase('a', 'b')' specified for the field 'Output' threw an error during evaluation. T0410: Argument 2 of function \"uppercase\" does not match function signature",
        ),
        (
            json!("{% {'a': 1, 'a': 2} %}"),
            "Output",
            "The JSONata expression '{'a': 1, 'a': 2}' specified for the field 'Output' threw an error during evaluation. D1009: Multiple key definitions evaluate to same key: \"a\"",
        ),
        (
            json!("{% $number('abc') %}"),
            "Output",
            "The JSONata expression '$number('abc')' specified for the field 'Output' threw an error during evaluation. D3030: Unable to cast value to a number: \"abc\"",
        ),
        (
            json!("{% $error('stop here') %}"),
            "Output",
            "The JSONata expression '$error('stop here')' specified for the field 'Output' threw an error during evaluation. D3137: stop here",
        ),
        // A workflow variable hides the built-in function of the same name.
        (
            json!("{% $count([1, 2]) %}"),
            "Output",
            "The JSONata expression '$count([1, 2])' specified for the field 'Output' threw an error during evaluation. T1006: Attempted to invoke a non-function",
        ),
    ];
    for (template, field, cause) in cases {
        let got = eval_with(
            &template,
            field,
            &states(json!({"FunctionInput": "fst"})),
            &vars,
            1,
        );
        let failure = got.expect_err("expected a failure");
        assert_eq!(failure.error, ErrorName::QueryEvaluationError, "{template}");
        assert_eq!(failure.cause, cause, "{template}");
    }
}

#[test]
fn items_of_the_wrong_type_carry_aws_causes() {
    let vars = json!({"ItemsVar": "string"});
    // (expression, expected type, cause; None when the value is admitted)
    let cases: Vec<(&str, JsonType, Option<&str>)> = vec![
        ("{% true %}", JsonType::Array, Some("The JSONata expression 'true' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'boolean' for value: true")),
        ("{% null %}", JsonType::Array, Some("The JSONata expression 'null' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null")),
        ("{% 1 %}", JsonType::Array, Some("The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1")),
        ("{% 'string' %}", JsonType::Array, Some("The JSONata expression ''string'' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"string\"")),
        ("{% {'foo': 'bar'} %}", JsonType::Array, Some("The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}")),
        ("{% $ItemsVar %}", JsonType::Array, Some("The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: \"string\"")),
        ("{% [0] %}", JsonType::Array, None),
        ("{% 2.5 %}", JsonType::Integer, Some("The JSONata expression '2.5' specified for the field 'Items' returned an unexpected result type. Expected 'integer', but was 'number' for value: 2.5")),
        ("{% 2.0 %}", JsonType::Integer, None),
        ("{% 1 = 1 %}", JsonType::Boolean, None),
    ];
    for (source, expected, cause) in cases {
        let states = states(json!({}));
        let vars = vars.as_object().cloned().unwrap_or_default();
        let env = JsonataEnv {
            states: crate::jsonata::States::of(&states),
            vars: &vars,
        };
        let expr = JsonataExpr::parse(source).expect("compiles");
        let template = JsonataTemplate::parse(&json!(source)).expect("compiles");
        for got in [
            expr.eval_as("Items", expected, &env, &mut SeededEntropy::new(1)),
            template.eval_as("Items", expected, &env, &mut SeededEntropy::new(1)),
        ] {
            match cause {
                None => assert!(got.is_ok(), "{source}: {got:?}"),
                Some(cause) => {
                    let failure = got.expect_err("expected a failure");
                    assert_eq!(failure.error, ErrorName::QueryEvaluationError);
                    assert_eq!(failure.cause, cause);
                }
            }
        }
    }
}

#[test]
fn a_single_expression_must_be_written_in_its_delimiters() {
    assert!(JsonataExpr::parse("$x").is_err());
    let expr = JsonataExpr::parse("{%  $states.input.n * 2  %}").expect("compiles");
    assert_eq!(expr.text(), "$states.input.n * 2");
    let states = states(json!({"n": 21}));
    let vars = serde_json::Map::new();
    let env = JsonataEnv {
        states: crate::jsonata::States::of(&states),
        vars: &vars,
    };
    assert_eq!(
        expr.eval("TimeoutSeconds", &env, &mut SeededEntropy::new(1)),
        Ok(json!(42))
    );
}

#[test]
fn a_value_too_deep_to_bind_fails_the_first_expression() {
    let mut deep = json!(1);
    for _ in 0..1001 {
        deep = json!([deep]);
    }
    let vars = json!({"deep": deep});
    // A predicate, so that the evaluator binds `$deep` (the direct evaluator reads values in
    // place and binds nothing).
    let template = json!({"a": 1, "b": {"c": "{% $count($deep[0]) %}", "d": "{% 2 %}"}});
    let failure = eval_with(&template, "Output", &states(json!({})), &vars, 1)
        .expect_err("expected a failure");
    assert_eq!(failure.error, ErrorName::QueryEvaluationError);
    assert_eq!(
        failure.cause,
        "The JSONata expression '$count($deep[0])' specified for the field 'Output/b/c' threw an error during evaluation. The value is nested more than 1000 levels deep"
    );
}
