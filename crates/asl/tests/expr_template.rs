//! Payload templates through the public API: every form of `.$` value, nesting through
//! objects and arrays, and the load-time and run-time failures AWS reports.

use baton_asl::error::ErrorName;
use baton_asl::template::Template;
use baton_asl::vars::{Env, SeededEntropy};
use serde_json::{json, Map, Value};

fn eval(template: &Value, input: &Value) -> Result<Value, (ErrorName, String)> {
    let t = Template::parse(template).unwrap_or_else(|e| panic!("{template} should parse: {e}"));
    let context = json!({
        "Execution": {"Input": {"fromContext": "ctx"}, "Name": "exec-1"},
        "Map": {"Item": {"Index": 3, "Value": {"id": "i-1"}}}
    });
    let mut vars = Map::new();
    vars.insert("x".into(), json!({"deep": [10, 20]}));
    let env = Env {
        input,
        context: &context,
        vars: &vars,
    };
    t.eval(&env, &mut SeededEntropy::new(1))
        .map_err(|f| (f.error, f.cause))
}

#[test]
fn templates_build_values() {
    let input = json!({"name": "Ada", "vals": [0, 10, 20, 30, 40, 50], "flagged": 7});
    let table = [
        // The ASL specification's Parameters example.
        (
            json!({"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"}}),
            json!({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]}}),
        ),
        (json!({"all.$": "$"}), json!({"all": input.clone()})),
        (
            json!({"who.$": "$.name", "n": 1}),
            json!({"who": "Ada", "n": 1}),
        ),
        (
            json!({"ctx.$": "$$.Execution.Input.fromContext"}),
            json!({"ctx": "ctx"}),
        ),
        (
            json!({"item.$": "$$.Map.Item.Value.id"}),
            json!({"item": "i-1"}),
        ),
        (json!({"v.$": "$x.deep[1]"}), json!({"v": 20})),
        (
            json!({"greeting.$": "States.Format('Hello, {}!', $.name)"}),
            json!({"greeting": "Hello, Ada!"}),
        ),
        (
            json!({"ids.$": "States.Array($.name, $$.Map.Item.Index)"}),
            json!({"ids": ["Ada", 3]}),
        ),
        // Objects inside arrays are templates too (ECS ContainerOverrides style).
        (
            json!({"Overrides": {"ContainerOverrides": [
                {"Name": "app", "Environment": [{"Name": "WHO", "Value.$": "$.name"}]}
            ]}}),
            json!({"Overrides": {"ContainerOverrides": [
                {"Name": "app", "Environment": [{"Name": "WHO", "Value": "Ada"}]}
            ]}}),
        ),
        // A template may itself be an array.
        (
            json!([{"a.$": "$.flagged"}, 2, "x"]),
            json!([{"a": 7}, 2, "x"]),
        ),
        // Keys without `.$` are copied as written, even when their value looks like a path.
        (
            json!({"literal": "$.name", "nested": {"list": [1, {"k": "States.UUID()"}]}}),
            json!({"literal": "$.name", "nested": {"list": [1, {"k": "States.UUID()"}]}}),
        ),
        (json!("just a string"), json!("just a string")),
        (json!({}), json!({})),
    ];
    for (template, want) in table {
        assert_eq!(eval(&template, &input), Ok(want), "{template}");
    }
}

#[test]
fn a_path_that_matches_nothing_names_field_and_input() {
    let table = [
        (
            json!({"value.$": "$.no_such_jsonpath"}),
            json!({"int-literal": 0}),
            "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'",
        ),
        (
            json!({"value.$": "$$.Execution.Input.no_such_jsonpath"}),
            json!({"int-literal": 0}),
            "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'",
        ),
        (
            json!({"outer": {"inner.$": "$.a.b"}}),
            json!({"a": {"c": [1.5, "é"]}}),
            "The JSONPath '$.a.b' specified for the field 'inner.$' could not be found in the input '{\"a\":{\"c\":[1.5,\"é\"]}}'",
        ),
        (
            json!({"v.$": "$undefined"}),
            json!({}),
            "The JSONPath '$undefined' specified for the field 'v.$' could not be found in the input '{}'",
        ),
    ];
    for (template, input, cause) in table {
        assert_eq!(
            eval(&template, &input),
            Err((ErrorName::Runtime, cause.to_string())),
            "{template}"
        );
    }
}

#[test]
fn a_null_input_takes_no_path() {
    assert_eq!(
        eval(&json!({"Input.$": "$", "ApiEndpoint": "x"}), &Value::Null),
        Err((
            ErrorName::Runtime,
            "Unable to apply Path transformation to null or empty input.".to_string()
        ))
    );
    assert_eq!(
        eval(&json!({"ctx.$": "$$.Execution.Name"}), &Value::Null),
        Ok(json!({"ctx": "exec-1"}))
    );
}

#[test]
fn an_indefinite_path_that_matches_nothing_is_an_empty_list() {
    assert_eq!(
        eval(&json!({"item.$": "$.items[*]"}), &json!({})),
        Ok(json!({"item": []}))
    );
}

#[test]
fn intrinsic_failures_pass_through() {
    let got = eval(
        &json!({"n.$": "States.MathAdd($.a, 1)"}),
        &json!({"a": "x"}),
    );
    assert_eq!(
        got,
        Err((
            ErrorName::Runtime,
            "There was an error while evaluating the intrinsic function: States.MathAdd($.a, 1). Invalid arguments in States.MathAdd".to_string()
        ))
    );
}

#[test]
fn parse_errors_name_the_key() {
    let table = [
        (
            json!({"parsed.$": "States.StringToJson('{\"text\":\"An \\\"escaped double quote\\\" here\"}')"}),
            "The value for the field 'parsed.$' must be a valid JSONPath or a valid intrinsic function call",
        ),
        (
            json!({"arrayField.$": ["$.output.type"]}),
            "The value for the field 'arrayField.$' must be a STRING that contains a JSONPath but was an ARRAY",
        ),
        (
            json!({"n.$": 5}),
            "The value for the field 'n.$' must be a STRING that contains a JSONPath but was an NUMBER",
        ),
        (
            json!({"deep": [{"p.$": "$..."}]}),
            "The value for the field 'p.$' must be a valid JSONPath or a valid intrinsic function call",
        ),
        (
            json!({"p.$": "not a path"}),
            "The value for the field 'p.$' must be a valid JSONPath or a valid intrinsic function call",
        ),
        (
            json!({"p.$": "States.Nope()"}),
            "The value for the field 'p.$' must be a valid JSONPath or a valid intrinsic function call",
        ),
    ];
    for (template, message) in table {
        let err = Template::parse(&template).expect_err(&template.to_string());
        assert_eq!(err.message, message, "{template}");
    }
}

#[test]
fn source_is_kept_as_written() {
    let src = json!({"a.$": "$.x", "b": [1, 2]});
    assert_eq!(Template::parse(&src).unwrap().source(), &src);
}
