//! A step writes at most `Limits::step_events` events or `Limits::step_history_bytes` bytes of
//! event data, then yields and continues in a step of its own: the history and the result are
//! the same as in one step, and no step holds more than its share.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{
    Effect, Event, Execution, ExecutionInfo, HistoryEvent, Limits, Status, TaskRequest,
};
use proptest::prelude::*;
use serde_json::{json, Value};

struct NoTasks;

impl TaskHandler for NoTasks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        panic!("no Task state in these machines: {request:?}")
    }
}

/// A JSONPath loop that carries `$.blob` through `rounds` Pass states, with a Parallel of two
/// branches inside each round (so a yield can fall between branches).
fn looping(rounds: u32) -> StateMachine {
    StateMachine::from_value(&json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Parameters": {"n": 0, "blob.$": "$.blob"}, "Next": "Loop"},
            "Loop": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)", "blob.$": "$.blob"},
                "Next": "Both"},
            "Both": {"Type": "Parallel", "ResultPath": null, "Next": "Check", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]},
            "Check": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": rounds, "Next": "Loop"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }))
    .expect("model")
}

/// The same loop without the Parallel: one run going from state to state.
fn linear(rounds: u32) -> StateMachine {
    StateMachine::from_value(&json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Parameters": {"n": 0, "blob.$": "$.blob"}, "Next": "Loop"},
            "Loop": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)", "blob.$": "$.blob"},
                "Next": "Check"},
            "Check": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": rounds, "Next": "Loop"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }))
    .expect("model")
}

fn info() -> ExecutionInfo {
    ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e")
}

fn run(machine: StateMachine, limits: Limits, input: Value) -> Execution {
    let mut execution = Execution::new(Arc::new(machine), limits);
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    run_to_end(&mut execution, info(), input, 7, &mut clock, &mut NoTasks);
    execution
}

fn limited(events: usize, bytes: usize) -> Limits {
    Limits {
        step_events: events,
        step_history_bytes: bytes,
        ..Limits::default()
    }
}

fn unlimited() -> Limits {
    limited(usize::MAX, usize::MAX)
}

fn history(execution: &Execution) -> Vec<HistoryEvent> {
    execution.history().to_vec()
}

#[test]
fn a_loop_over_a_large_input_yields_and_writes_the_same_history() {
    let input = json!({"blob": "x".repeat(10_000)});
    let whole = run(looping(50), unlimited(), input.clone());
    let yielding = run(looping(50), limited(usize::MAX, 100_000), input);
    assert_eq!(whole.status(), Status::Succeeded);
    assert_eq!(yielding.outcome(), whole.outcome());
    assert_eq!(history(&yielding), history(&whole));
}

#[test]
fn no_step_writes_more_than_its_share() {
    for machine in [looping(200), linear(200)] {
        steps_within_share(machine);
    }
}

fn steps_within_share(machine: StateMachine) {
    let mut execution = Execution::new(Arc::new(machine), limited(40, usize::MAX));
    let mut events = vec![Event::Started {
        info: Box::new(info()),
        input: json!({"blob": "y"}),
        time: 1_700_000_000_000,
        seed: 7,
    }];
    let mut steps = 0;
    let mut biggest = 0;
    while let Some(event) = events.pop() {
        steps += 1;
        for effect in execution.apply(event) {
            if let Effect::StartTimer { timer, at } = effect {
                events.push(Event::TimerFired { timer, time: at });
            }
        }
        let written = execution.take_history();
        // One action past the share at most: a step stops between actions.
        biggest = biggest.max(written.len());
    }
    assert_eq!(execution.status(), Status::Succeeded);
    assert!(steps > 10, "the execution ran in {steps} steps");
    assert!(biggest <= 40 + 8, "a step wrote {biggest} events");
}

#[test]
fn a_stop_between_yielded_steps_ends_the_execution() {
    let mut execution = Execution::new(Arc::new(looping(200)), limited(40, usize::MAX));
    let effects = execution.apply(Event::Started {
        info: Box::new(info()),
        input: json!({"blob": "y"}),
        time: 1,
        seed: 7,
    });
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::StartTimer { .. })));
    execution.apply(Event::StopRequested {
        error: Some("E".into()),
        cause: None,
        time: 2,
    });
    assert_eq!(execution.status(), Status::Aborted);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Wherever a step yields, the history and the result are those of one step.
    #[test]
    fn yielding_never_changes_the_history(
        rounds in 1u32..30, events in 1usize..60, size in 0usize..2_000, bytes in 1usize..20_000,
        parallel: bool
    ) {
        let input = json!({"blob": "z".repeat(size)});
        let machine = || if parallel { looping(rounds) } else { linear(rounds) };
        let whole = run(machine(), unlimited(), input.clone());
        let yielding = run(machine(), limited(events, bytes), input);
        prop_assert_eq!(yielding.outcome(), whole.outcome());
        prop_assert_eq!(history(&yielding), history(&whole));
    }
}

/// `Limits::wait_time_scale` brings a Wait's end and a retry's closer by its share; a Task's
/// timeout is not scaled.
#[test]
fn waits_and_retry_intervals_are_scaled() {
    let machine = StateMachine::from_value(&json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 100, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "TimeoutSeconds": 50,
            "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 20}], "End": true}}}))
    .expect("model");
    let limits = Limits {
        wait_time_scale: 0.01,
        ..Limits::default()
    };
    let mut execution = Execution::new(Arc::new(machine), limits);
    let start = 1_000_000;
    let timers = |effects: &[Effect]| -> Vec<i64> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::StartTimer { at, .. } => Some(*at),
                _ => None,
            })
            .collect()
    };
    let effects = execution.apply(Event::Started {
        info: Box::new(info()),
        input: json!({}),
        time: start,
        seed: 7,
    });
    assert_eq!(timers(&effects), [start + 1_000], "100 s × 0.01");
    let [Effect::StartTimer { timer, at }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let effects = execution.apply(Event::TimerFired {
        timer: *timer,
        time: *at,
    });
    // The task's own timeout (50 s) is as written.
    assert_eq!(timers(&effects), [at + 50_000]);
    let task = effects
        .iter()
        .find_map(|e| match e {
            Effect::ScheduleTask(t) => Some(t.id),
            _ => None,
        })
        .expect("the task is scheduled");
    let effects = execution.apply(Event::TaskFailed {
        task,
        error: Some("E".into()),
        cause: None,
        time: at + 10,
    });
    // The retry's 20 s interval, scaled.
    assert_eq!(timers(&effects), [at + 10 + 200]);
}
