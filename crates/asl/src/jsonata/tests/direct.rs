//! The direct evaluator against the full one: wherever it answers, its answer is the full
//! evaluator's, for generated expressions over generated data; and it does answer for the
//! shapes state fields commonly hold.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::jsonata::direct::{self, Direct};
use crate::jsonata::engine::{Engine, EvalSession, Evaluated, JsonataEvaluator, Limits, Scope};
use crate::jsonata::{JsonataEnv, States};
use crate::vars::SeededEntropy;

/// What the full evaluator gives, as the direct evaluator would say it; `None` for an error.
fn full(source: &str, states: States<'_>, vars: &Map<String, Value>) -> Option<Direct> {
    let compiled = Engine::compile(source).ok()?;
    let mut entropy = SeededEntropy::new(1);
    let scope = Scope {
        input: None,
        states: Some(states),
        vars,
        entropy: &mut entropy,
        now_millis: None,
        limits: Limits::default(),
    };
    let mut session = Engine::session(Engine::needs(&compiled), scope).ok()?;
    match session.eval(&compiled).ok()? {
        Evaluated::Value(v) => Some(Direct::Value(v)),
        Evaluated::Undefined => Some(Direct::Undefined),
        Evaluated::Function => None,
    }
}

/// What the direct evaluator gives; `None` when it declines (or has no form for it).
fn direct(source: &str, states: States<'_>, vars: &Map<String, Value>) -> Option<Direct> {
    let compiled = Engine::compile(source).ok()?;
    let expr = Engine::direct(&compiled)?;
    direct::eval(expr, &JsonataEnv { states, vars })
}

fn data() -> Value {
    json!({
        "total": 1,
        "n": 21,
        "f": 2.5,
        "big": 12345678901234567890u64,
        "whole": 3.0,
        "s": "step",
        "u": "straße",
        "t": true,
        "z": null,
        "items": [{"price": 2, "name": "a"}, {"price": 3, "name": "b", "tags": [1, [2, 3]]}],
        "one": [{"price": 7}],
        "nested": [[{"price": 1}], [{"price": 2}, {"other": 1}]],
        "empty": [],
        "obj": {"a": {"b": [1, 2]}, "c": {}}
    })
}

#[test]
fn common_shapes_are_answered_directly_and_as_the_evaluator_answers() {
    let input = data();
    let vars: Map<String, Value> = json!({"x": 5, "name": "n", "list": [1, 2, 3]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let states = States::new(&input, &Value::Null);
    for source in [
        "$states.input.total + $sum($states.input.items.price)",
        "$states.input.items",
        "$uppercase('step ' & $string($states.input.total))",
        "$states.input.items.price",
        "$states.input.one.price",
        "$states.input.nested.price",
        "$states.input.obj.a.b",
        "$states.input.missing",
        "$count($states.input.items)",
        "$count($states.input.empty)",
        "$states.input.n > 20 and $states.input.s = 'step'",
        "$states.input.t ? 'yes' : 'no'",
        "{'a': $states.input.n, 'b': $states.input.missing, 'c': [1, [2], $states.input.items.price]}",
        "$x * 2 - $states.input.f",
        "$list",
        "$states.input.whole",
        "$states.input.big",
        "$lowercase($states.input.s) & $states.input.z",
        "-$states.input.n % 4",
    ] {
        let d = direct(source, states, &vars);
        assert!(d.is_some(), "{source}: not answered directly");
        assert_eq!(d, full(source, states, &vars), "{source}");
    }
}

#[test]
fn what_the_direct_evaluator_leaves_to_the_evaluator() {
    let input = data();
    let vars = Map::new();
    let states = States::new(&input, &Value::Null);
    for source in [
        // Errors are the evaluator's to word.
        "$states.input.s + 1",
        "$states.input.s < 1",
        "$sum($states.input.items)",
        "1 / 0",
        // Text whose printing is subtle.
        "$string($states.input.f)",
        "$string($states.input.big)",
        "'' & $states.input.items",
        "$states.input.u < 'z'",
        // Names it does not know, and `$states` whole.
        "$unknown",
        "$states",
        "$states.input.items[0]",
        "$random()",
    ] {
        assert_eq!(direct(source, states, &vars), None, "{source}");
    }
}

/// Expression text over the data above, parenthesised so that precedence is never in doubt.
fn expression() -> impl Strategy<Value = String> {
    let path = prop::collection::vec(
        prop::sample::select(vec![
            "total", "n", "f", "big", "whole", "s", "u", "t", "z", "items", "price", "name",
            "tags", "one", "nested", "empty", "obj", "a", "b", "c", "other",
        ]),
        0..4,
    )
    .prop_map(|steps| {
        let mut p = "$states.input".to_string();
        for s in steps {
            p.push('.');
            p.push_str(s);
        }
        p
    });
    let leaf = prop_oneof![
        path,
        prop::sample::select(vec![
            "0",
            "1",
            "-2",
            "2.5",
            "1e20",
            "'a'",
            "'ß'",
            "''",
            "true",
            "false",
            "null",
            "$x",
            "$list",
            "$name",
            "$states.context.Name",
        ])
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "&", "=", "!=", "<", "<=", ">", ">=", "and", "or",
                ]),
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            inner.clone().prop_map(|e| format!("-({e})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (
                prop::sample::select(vec!["sum", "count", "string", "uppercase", "lowercase"]),
                inner.clone()
            )
                .prop_map(|(f, a)| format!("${f}({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{'k': {a}, 'l': {b}}}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("[{a}, [{b}], {a}]")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn wherever_the_direct_evaluator_answers_it_agrees(source in expression()) {
        let input = data();
        let context = json!({"Name": "S"});
        let vars: Map<String, Value> = json!({"x": 5, "name": "n", "list": [1, 2.0, 3]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let states = States::new(&input, &context);
        if let Some(d) = direct(&source, states, &vars) {
            prop_assert_eq!(Some(d), full(&source, states, &vars), "{}", source);
        }
    }
}
