//! Properties that hold for any generated definition and input: the run ends (or hits the
//! history limit) without panicking, event ids count up from 1 with `previousEventId` pointing
//! backwards, the history ends with exactly one execution-level terminal event that agrees with
//! the outcome, and the same seed reproduces the same history.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, NoTasks, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits, Status};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A JSON value of bounded size.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "[a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One state's body (without its transition), possibly nesting a state set.
#[derive(Debug, Clone)]
enum Body {
    Pass(Option<Value>),
    PassParams,
    Wait(u64),
    Fail,
    Choice,
    Parallel(Vec<Vec<Body>>),
    Map(Vec<Body>, u64),
}

fn arb_body() -> impl Strategy<Value = Body> {
    let leaf = prop_oneof![
        prop::option::of(arb_json()).prop_map(Body::Pass),
        Just(Body::PassParams),
        (0u64..100_000).prop_map(Body::Wait),
        Just(Body::Fail),
        Just(Body::Choice),
    ];
    leaf.prop_recursive(2, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(prop::collection::vec(inner.clone(), 1..3), 1..3)
                .prop_map(Body::Parallel),
            (prop::collection::vec(inner, 1..3), 0u64..3).prop_map(|(b, c)| Body::Map(b, c)),
        ]
    })
}

/// A chain of states `S0 → S1 → … → Send` (a Succeed state); Choice states may also jump back
/// to the first state.
fn set(bodies: &[Body], prefix: &str) -> Value {
    let mut states = Map::new();
    let name = |i: usize| {
        if i == bodies.len() {
            format!("{prefix}end")
        } else {
            format!("{prefix}{i}")
        }
    };
    for (i, b) in bodies.iter().enumerate() {
        let next = |mut s: Value| {
            s["Next"] = json!(name(i + 1));
            s
        };
        let state = match b {
            Body::Pass(Some(r)) => next(json!({"Type": "Pass", "Result": r, "ResultPath": "$.r"})),
            Body::Pass(None) => next(json!({"Type": "Pass"})),
            Body::PassParams => next(json!({"Type": "Pass", "Parameters": {
                "kind.$": "States.Format('{}', States.JsonToString($))", "n.$": "States.MathRandom(1, 9)"}})),
            Body::Wait(s) => next(json!({"Type": "Wait", "Seconds": s})),
            // A branch to a Fail state, taken when the payload is null, so the rest of the chain
            // stays reachable.
            Body::Fail => {
                let fail = format!("{}f", name(i));
                states.insert(
                    fail.clone(),
                    json!({"Type": "Fail", "Error": "Generated", "Cause": "generated"}),
                );
                json!({"Type": "Choice", "Choices": [{"Variable": "$.payload", "IsNull": true, "Next": fail}],
                    "Default": name(i + 1)})
            }
            Body::Choice => {
                let target = name(i + 1);
                json!({"Type": "Choice", "Choices": [
                    {"Variable": "$.b", "IsPresent": true, "Next": target},
                    {"Variable": "$.r", "IsString": true, "Next": name(0)}],
                    "Default": target})
            }
            Body::Parallel(branches) => next(json!({"Type": "Parallel", "ResultPath": "$.par",
                "Branches": branches.iter().enumerate()
                    .map(|(k, b)| set(b, &format!("{prefix}{i}b{k}x"))).collect::<Vec<_>>(),
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": name(0)}]})),
            Body::Map(b, c) => next(
                json!({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": c,
                "ResultPath": "$.mapped", "ItemProcessor": set(b, &format!("{prefix}{i}m")),
                "Retry": [{"ErrorEquals": ["Generated"], "MaxAttempts": 1}]}),
            ),
        };
        states.insert(name(i), state);
    }
    states.insert(name(bodies.len()), json!({"Type": "Succeed"}));
    json!({"StartAt": name(0), "States": states})
}

fn run(
    machine: &Arc<StateMachine>,
    input: &Value,
    seed: u64,
) -> (Status, Vec<baton_engine::HistoryEvent>) {
    let limits = Limits {
        max_history_events: 400,
        ..Limits::default()
    };
    let mut execution = Execution::new(machine.clone(), limits);
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "prop", "run");
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    let outcome = run_to_end(
        &mut execution,
        info,
        input.clone(),
        seed,
        &mut clock,
        &mut NoTasks,
    );
    (outcome.status, execution.history().to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_definition_runs_to_a_consistent_end(
        bodies in prop::collection::vec(arb_body(), 1..5),
        payload in arb_json(),
        items in prop::collection::vec(arb_json(), 0..4),
        seed in any::<u64>(),
    ) {
        let definition = set(&bodies, "S");
        let diagnostics = baton_asl::validate::validate(
            &baton_asl::parse::Document::from_value(definition.clone()));
        prop_assert!(baton_asl::validate::is_valid(&diagnostics), "generated an invalid definition: {diagnostics:?}");
        let machine = Arc::new(StateMachine::from_value(&definition).expect("model"));
        let input = json!({"payload": payload, "items": items});
        let (status, history) = run(&machine, &input, seed);
        prop_assert!(status != Status::Running, "the run must end");
        for (i, e) in history.iter().enumerate() {
            prop_assert_eq!(e.id, i as u64 + 1);
            prop_assert!(e.previous_event_id < e.id);
        }
        let terminal: Vec<String> = history.iter().map(|e| e.details.type_name())
            .filter(|t| matches!(t.as_str(), "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted"))
            .collect();
        prop_assert_eq!(terminal.len(), 1);
        let last = history.last().map(|e| e.details.type_name()).unwrap_or_default();
        let expected = match status {
            Status::Succeeded => "ExecutionSucceeded",
            Status::Failed => "ExecutionFailed",
            Status::TimedOut => "ExecutionTimedOut",
            _ => "ExecutionAborted",
        };
        prop_assert_eq!(last.as_str(), expected);
        let (again_status, again) = run(&machine, &input, seed);
        prop_assert_eq!(again_status, status);
        prop_assert_eq!(again, history, "same seed, same history");
    }
}
