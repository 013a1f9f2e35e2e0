//! The template walk and the bindings it evaluates with.

use serde_json::{json, Value};

use super::{eval_with, states};
use crate::jsonata::{expression_text, is_expression, JsonataTemplate};

#[test]
fn templates_evaluate_every_expression_in_place() {
    let input = json!({"x": 7, "items": [1, 2, 3], "name": "Ada"});
    let vars = json!({"greeting": "hello", "limit": 2, "total": 10});
    // (template, expected value)
    let cases: Vec<(Value, Value)> = vec![
        (
            json!({"a": 1, "b": [true, "x", null]}),
            json!({"a": 1, "b": [true, "x", null]}),
        ),
        (json!("{% $states.input.x %}"), json!(7)),
        (json!("{% $states.input.items[1] %}"), json!(2)),
        (
            json!({"sum": "{% $sum($states.input.items) %}", "list": ["{% $greeting %}", 2], "deep": {"n": "{% $states.input.name %}"}}),
            json!({"sum": 6, "list": ["hello", 2], "deep": {"n": "Ada"}}),
        ),
        // Not expressions: AWS wants `{%` first and `%}` last.
        (json!(" {% 1 %}"), json!(" {% 1 %}")),
        (json!("{% 1 %} "), json!("{% 1 %} ")),
        (json!("{%"), json!("{%")),
        (json!("%}"), json!("%}")),
        // Integral results are integers, whatever arithmetic made them.
        (json!("{% 3 / 2 * 2 %}"), json!(3)),
        (json!("{% 6.0 %}"), json!(6)),
        (json!("{% -0 %}"), json!(0)),
        (json!("{% 1.5 %}"), json!(1.5)),
        (json!("{% 1e300 %}"), json!(1e300)),
        // Beyond 2^53 an integral number keeps JavaScript's digits.
        (
            json!("{% 12345678901234567890 %}"),
            json!(12345678901234567000_u64),
        ),
        (
            json!("{% -9007199254740993 %}"),
            json!(-9007199254740992_i64),
        ),
        (json!("{% 5e20 %}"), json!(5e20)),
        // Inside a value, undefined and functions are dropped as JSON.stringify drops them.
        (json!("{% {'a': $nothing, 'b': 1} %}"), json!({"b": 1})),
        (json!("{% [1, function($x){$x}] %}"), json!([1, null])),
        (json!("{% {'f': $uppercase} %}"), json!({})),
        // Workflow variables, a local binding over one, and `$states` beside them.
        (json!("{% $limit + $total %}"), json!(12)),
        (json!("{% ($limit := 5; $limit) %}"), json!(5)),
        (json!("{% $count($states.input.items) %}"), json!(3)),
        (json!("{% $states.context.State.Name %}"), json!("S")),
        // `$states` read whole and by member in one template.
        (
            json!(["{% $states.input.x %}", "{% $keys($states) %}"]),
            json!([7, ["input", "context"]]),
        ),
        (json!("{% $states.input[0].x %}"), json!(7)),
        (json!("{% $lookup($states.input, 'name') %}"), json!("Ada")),
    ];
    for (template, expected) in cases {
        let got = eval_with(&template, "Output", &states(input.clone()), &vars, 1);
        assert_eq!(got, Ok(expected), "template {template}");
    }
}

/// Variables are bound with only the parts an expression's paths reach; whatever the path, the
/// result must be what the whole value gives.
#[test]
fn narrowed_bindings_give_the_results_of_whole_ones() {
    let input = json!({
        "order": {
            "id": "o-1",
            "customer": {"name": "Ada", "tier": "gold"},
            "items": [
                {"sku": "a", "price": 5, "tags": ["x", "y"], "dims": [[1, 2], [3]]},
                {"sku": "b", "price": 15, "tags": [], "dims": []},
                [{"sku": "c", "price": 1}]
            ]
        },
        "list": [{"v": 1}, {"v": 2}]
    });
    // (expression, value)
    let cases: Vec<(&str, Value)> = vec![
        ("$states.input.order.id", json!("o-1")),
        ("$states.input.order.items.sku", json!(["a", "b", "c"])),
        (
            "$states.input.order.items[price < 10].sku",
            json!(["a", "c"]),
        ),
        (
            "$states.input.order.items[0]",
            json!({"sku": "a", "price": 5, "tags": ["x", "y"], "dims": [[1, 2], [3]]}),
        ),
        ("$states.input.order.items.tags", json!(["x", "y"])),
        ("$states.input.order.items.dims", json!([[1, 2], [3]])),
        ("$sum($states.input.order.items.price)", json!(21)),
        (
            "$keys($states.input.order.customer)",
            json!(["name", "tier"]),
        ),
        (
            "$states.input.order.items.{'s': sku, 'c': %.id}",
            json!([{"s": "a", "c": "o-1"}, {"s": "b", "c": "o-1"}, {"s": "c", "c": "o-1"}]),
        ),
        (
            "$states.input.order.items@$i.$i.sku",
            json!(["a", "b", "c"]),
        ),
        ("$states.input.order.items#$n[$n = 1].sku", json!("b")),
        (
            "$states.input.order.(customer.name & ' ' & id)",
            json!("Ada o-1"),
        ),
        ("$states.input.order.*.name", json!("Ada")),
        ("$states.input.**.v", json!([1, 2])),
        ("$states.input.list.v", json!([1, 2])),
        (
            "[$states.input.order.id, $states.input.order.customer]",
            json!(["o-1", {"name": "Ada", "tier": "gold"}]),
        ),
        (
            "$string($states.input.order.customer)",
            json!("{\"name\":\"Ada\",\"tier\":\"gold\"}"),
        ),
    ];
    for (expr, expected) in cases {
        let narrowed = json!(format!("{{% {expr} %}}"));
        // Read through a local alias, `$states` is used whole.
        let whole = json!(format!(
            "{{% ($all := $states; {}) %}}",
            expr.replace("$states", "$all")
        ));
        for template in [narrowed, whole] {
            let got = eval_with(&template, "Output", &states(input.clone()), &json!({}), 1);
            assert_eq!(got, Ok(expected.clone()), "{template}");
        }
    }
}

#[test]
fn results_keep_member_order_and_print_integers_as_integers() {
    let template = json!({"z": "{% 1 %}", "a": 2, "m": "{% 6 / 2 %}", "f": "{% 0.5 %}"});
    let got = eval_with(&template, "Output", &states(json!({})), &json!({}), 1);
    let text = got.map(|v| v.to_string());
    assert_eq!(text.as_deref(), Ok(r#"{"z":1,"a":2,"m":3,"f":0.5}"#));
}

#[test]
fn states_binding_carries_result_and_error_output_when_given() {
    let mut s = states(json!({"in": 1}));
    s["result"] = json!({"Payload": {"ok": true}});
    s["errorOutput"] = json!({"Error": "E", "Cause": "c"});
    let template =
        json!({"r": "{% $states.result.Payload.ok %}", "e": "{% $states.errorOutput.Error %}"});
    assert_eq!(
        eval_with(&template, "Output", &s, &json!({}), 1),
        Ok(json!({"r": true, "e": "E"}))
    );
}

#[test]
fn a_variable_named_states_does_not_hide_the_states_binding() {
    let vars = json!({"states": {"input": "from a variable"}});
    let got = eval_with(
        &json!("{% $states.input %}"),
        "Output",
        &states(json!("real")),
        &vars,
        1,
    );
    assert_eq!(got, Ok(json!("real")));
}

#[test]
fn literal_templates_are_recognised_and_returned_as_written() {
    let cases: Vec<(Value, bool)> = vec![
        (json!({"a": [1, {"b": "x"}]}), true),
        (json!("{% 1 %}"), false),
        (json!([1, "{% 2 %}"]), false),
        (json!({"deep": {"deeper": ["{% 3 %}"]}}), false),
    ];
    for (source, literal) in cases {
        let t = JsonataTemplate::parse(&source).expect("compiles");
        assert_eq!(t.is_literal(), literal, "{source}");
        assert_eq!(t.source(), &source);
        assert_eq!(t.expression().is_some(), source.is_string(), "{source}");
    }
}

#[test]
fn expression_strings_are_recognised_and_trimmed() {
    let cases: Vec<(&str, Option<&str>)> = vec![
        ("{% $x %}", Some("$x")),
        ("{%$x%}", Some("$x")),
        (
            "{%   $fn := function($x){$x}  %}",
            Some("$fn := function($x){$x}"),
        ),
        ("{%%}", Some("")),
        ("{%}", None),
        (" {% $x %}", None),
        ("{% $x %} ", None),
        ("$x", None),
    ];
    for (s, text) in cases {
        assert_eq!(is_expression(s), text.is_some(), "{s:?}");
        assert_eq!(expression_text(s), text, "{s:?}");
    }
}

#[test]
fn syntax_errors_are_reported_at_parse_with_jsonata_codes() {
    let cases: Vec<(Value, &str)> = vec![
        (json!("{% 1 + %}"), "S0207: Unexpected end of expression"),
        (
            json!({"a": ["{% 'open %}"]}),
            "S0101: String literal must be terminated by a matching quote",
        ),
        (json!("{% /* open %}"), "S0106: Comment has no closing tag"),
        (
            json!("{% $a ?? 1 %}"),
            "S0211: The symbol \"?\" cannot be used as a unary operator",
        ),
        (
            json!("{% $a ?: 1 %}"),
            "S0211: The symbol \":\" cannot be used as a unary operator",
        ),
        (json!("{%%}"), "S0207: Unexpected end of expression"),
    ];
    for (source, message) in cases {
        assert_eq!(
            JsonataTemplate::parse(&source).err().as_deref(),
            Some(message),
            "{source}"
        );
    }
}

#[test]
fn templates_nested_too_deep_are_refused() {
    let mut v = json!("{% 1 %}");
    for _ in 0..=crate::jsonata::MAX_TEMPLATE_DEPTH {
        v = json!([v]);
    }
    let err = JsonataTemplate::parse(&v).err();
    assert!(
        err.is_some_and(|e| e.contains("nested")),
        "deep template accepted"
    );
}

#[test]
fn compiled_templates_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>(_: &T) {}
    let template = JsonataTemplate::parse(&json!({"a": "{% $states.input %}"})).expect("compiles");
    shareable(&template);
    let copy = template.clone();
    let handle = std::thread::spawn(move || {
        let (states, vars) = (states(json!(5)), serde_json::Map::new());
        let env = crate::jsonata::JsonataEnv {
            states: crate::jsonata::States::of(&states),
            vars: &vars,
        };
        copy.eval("Output", &env, &mut crate::vars::SeededEntropy::new(1))
    });
    assert_eq!(handle.join().ok(), Some(Ok(json!({"a": 5}))));
}

#[test]
fn several_templates_share_one_evaluation() {
    let assign =
        JsonataTemplate::parse(&json!({"seen": "{% $states.input.n %}", "id": "{% $uuid() %}"}))
            .expect("compiles");
    let output =
        JsonataTemplate::parse(&json!({"double": "{% $states.input.n * 2 %}", "v": "{% $v %}"}))
            .expect("compiles");
    let literal = JsonataTemplate::parse(&json!({"k": 1})).expect("compiles");
    let (states, vars) = (states(json!({"n": 4})), json!({"v": "old"}));
    let vars = vars.as_object().cloned().unwrap_or_default();
    let env = crate::jsonata::JsonataEnv {
        states: crate::jsonata::States::of(&states),
        vars: &vars,
    };
    let run = |seed| {
        let mut entropy = crate::vars::SeededEntropy::new(seed);
        JsonataTemplate::eval_all(
            &[
                (&assign, "Assign"),
                (&output, "Output"),
                (&literal, "Parameters"),
            ],
            &env,
            &mut entropy,
        )
    };
    let Ok(values) = run(3) else {
        panic!("evaluation failed: {:?}", run(3))
    };
    assert_eq!(values.get(1), Some(&json!({"double": 8, "v": "old"})));
    assert_eq!(values.get(2), Some(&json!({"k": 1})));
    assert_eq!(values.first().and_then(|v| v.get("seen")), Some(&json!(4)));
    assert_eq!(run(3), run(3), "the same entropy gives the same values");
    // Each template keeps its own field in causes.
    let broken = JsonataTemplate::parse(&json!({"x": "{% $missing %}"})).expect("compiles");
    let mut entropy = crate::vars::SeededEntropy::new(1);
    let failure = JsonataTemplate::eval_all(
        &[(&output, "Output"), (&broken, "Assign")],
        &env,
        &mut entropy,
    )
    .expect_err("expected a failure");
    assert_eq!(
        failure.cause,
        "The JSONata expression '$missing' specified for the field 'Assign/x' returned nothing (undefined)."
    );
}
