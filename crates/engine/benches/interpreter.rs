//! The interpreter in-process, history included: state transitions per second for a Pass
//! chain, a Choice loop with `States.MathAdd`, an inline Map over 10,000 items and a
//! JSONata-heavy chain. `cargo bench -p baton-engine`.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, NoTasks, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits, Status};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};

fn pass_chain(n: usize) -> Value {
    let mut states = Map::new();
    for i in 0..n {
        let mut s = json!({"Type": "Pass"});
        if i + 1 < n {
            s["Next"] = json!(format!("S{}", i + 1));
        } else {
            s["End"] = json!(true);
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"StartAt": "S0", "States": states})
}

fn choice_loop(limit: u64) -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
        "Check": {"Type": "Choice",
            "Choices": [{"Variable": "$.i", "NumericLessThan": limit, "Next": "Increment"}],
            "Default": "Done"},
        "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}})
}

fn map_over(n: usize) -> (Value, Value) {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 0, "End": true,
        "ItemProcessor": {"StartAt": "Item", "States": {
            "Item": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": true}}}}}});
    (def, Value::Array((0..n).map(|i| json!(i)).collect()))
}

fn jsonata_chain(n: usize) -> Value {
    let mut states = Map::new();
    for i in 0..n {
        let mut s = json!({"Type": "Pass", "Output": {
            "total": "{% $states.input.total + $sum($states.input.items.price) %}",
            "items": "{% $states.input.items %}",
            "label": "{% $uppercase('step ' & $string($states.input.total)) %}"}});
        if i + 1 < n {
            s["Next"] = json!(format!("J{}", i + 1));
        } else {
            s["End"] = json!(true);
        }
        states.insert(format!("J{i}"), s);
    }
    json!({"QueryLanguage": "JSONata", "StartAt": "J0", "States": states})
}

/// Runs one execution; returns its number of state transitions (entered events).
fn run(machine: &Arc<StateMachine>, input: &Value) -> usize {
    let mut execution = Execution::new(
        machine.clone(),
        Limits {
            max_history_events: usize::MAX,
            ..Limits::default()
        },
    );
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "bench", "run");
    let mut clock = VirtualClock::starting_at(0);
    let outcome = run_to_end(
        &mut execution,
        info,
        input.clone(),
        1,
        &mut clock,
        &mut NoTasks,
    );
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    execution
        .history()
        .iter()
        .filter(|e| e.details.type_name().ends_with("StateEntered"))
        .count()
}

fn bench(c: &mut Criterion) {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "pass_chain_100",
            pass_chain(100),
            json!({"order": {"id": 7, "items": [1, 2, 3]}}),
        ),
        ("choice_loop_10000", choice_loop(10_000), json!({})),
        {
            let (d, i) = map_over(10_000);
            ("inline_map_10000", d, i)
        },
        (
            "jsonata_chain_20",
            jsonata_chain(20),
            json!({"total": 1, "items": [{"price": 2}, {"price": 3}]}),
        ),
    ];
    let mut group = c.benchmark_group("interpreter");
    for (name, def, input) in cases {
        let machine = Arc::new(StateMachine::from_value(&def).expect("valid definition"));
        let transitions = run(&machine, &input);
        group.throughput(Throughput::Elements(transitions as u64));
        group.bench_function(name, |b| b.iter(|| run(&machine, &input)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
