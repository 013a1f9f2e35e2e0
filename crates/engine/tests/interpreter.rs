//! The interpreter driven end to end by the local driver with a virtual clock and scripted task
//! replies: one table row per behaviour, each checked for status, output, error and the
//! sequence of history event types, and for how much virtual time passed.

use std::collections::HashMap;
use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits, TaskRequest};
use serde_json::{json, Value};

/// Replies per state name, in call order; the last one repeats.
struct Script {
    replies: HashMap<String, Vec<TaskReply>>,
    calls: Vec<(String, Value)>,
}

impl TaskHandler for Script {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        self.calls
            .push((request.state_name.clone(), request.input.clone()));
        let list = self
            .replies
            .get_mut(&request.state_name)
            .expect("a scripted state");
        if list.len() > 1 {
            list.remove(0)
        } else {
            list[0].clone()
        }
    }
}

fn ok(v: Value) -> TaskReply {
    TaskReply::Succeeded(v)
}

fn fail(error: &str, cause: &str) -> TaskReply {
    TaskReply::Failed {
        error: Some(error.into()),
        cause: Some(cause.into()),
    }
}

struct Case {
    name: &'static str,
    definition: Value,
    input: Value,
    replies: Vec<(&'static str, Vec<TaskReply>)>,
    status: &'static str,
    output: Option<Value>,
    error: Option<&'static str>,
    /// Event types in order.
    events: Vec<&'static str>,
    /// Virtual milliseconds from start to end.
    elapsed_ms: i64,
}

const START: i64 = 1_700_000_000_000;

fn run(
    case: &Case,
) -> (
    baton_engine::Outcome,
    Vec<baton_engine::HistoryEvent>,
    i64,
    Script,
) {
    let machine = StateMachine::from_value(&case.definition).expect("model");
    let mut execution = Execution::new(Arc::new(machine), Limits::default());
    let mut clock = VirtualClock::starting_at(START);
    let mut script = Script {
        replies: case
            .replies
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        calls: Vec::new(),
    };
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e");
    let outcome = run_to_end(
        &mut execution,
        info,
        case.input.clone(),
        1,
        &mut clock,
        &mut script,
    );
    use baton_engine::driver::Clock;
    let elapsed = clock.now() - START;
    (outcome, execution.history().to_vec(), elapsed, script)
}

fn cases() -> Vec<Case> {
    let task = |extra: Value| {
        let mut t =
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
        if let (Some(t), Some(e)) = (t.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                t.insert(k.clone(), v.clone());
            }
        }
        t
    };
    vec![
        Case {
            name: "pass chain passes its input on and writes entered/exited pairs",
            definition: json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Result": {"x": 1}, "End": true}}}),
            input: json!({"in": true}),
            replies: vec![],
            status: "SUCCEEDED",
            output: Some(json!({"x": 1})),
            error: None,
            events: vec![
                "ExecutionStarted",
                "PassStateEntered",
                "PassStateExited",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "wait seconds takes virtual time only",
            definition: json!({"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 31536000, "Next": "S"},
                "S": {"Type": "Succeed"}}}),
            input: json!([1, 2]),
            replies: vec![],
            status: "SUCCEEDED",
            output: Some(json!([1, 2])),
            error: None,
            events: vec![
                "ExecutionStarted",
                "WaitStateEntered",
                "WaitStateExited",
                "SucceedStateEntered",
                "SucceedStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 31_536_000_000,
        },
        Case {
            name: "fail state ends the execution with its error and cause",
            definition: json!({"StartAt": "F", "States": {
                "F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}),
            input: json!({}),
            replies: vec![],
            status: "FAILED",
            output: None,
            error: Some("Boom"),
            events: vec!["ExecutionStarted", "FailStateEntered", "ExecutionFailed"],
            elapsed_ms: 0,
        },
        Case {
            name: "task result replaces the input by default",
            definition: json!({"StartAt": "T", "States": {"T": task(json!({}))}}),
            input: json!({"a": 1}),
            replies: vec![("T", vec![ok(json!({"r": 2}))])],
            status: "SUCCEEDED",
            output: Some(json!({"r": 2})),
            error: None,
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "retry backs off by IntervalSeconds times BackoffRate, then succeeds",
            definition: json!({"StartAt": "T", "States": {"T": task(json!({"Retry": [
                {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 15, "MaxAttempts": 2, "BackoffRate": 1.5}]}))}}),
            input: json!({}),
            replies: vec![(
                "T",
                vec![
                    fail("States.TaskFailed", "x"),
                    fail("States.TaskFailed", "y"),
                    ok(json!("done")),
                ],
            )],
            status: "SUCCEEDED",
            output: Some(json!("done")),
            error: None,
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 15_000 + 22_500,
        },
        Case {
            name: "retries exhausted, then the catcher's ResultPath keeps the input",
            definition: json!({"StartAt": "T", "States": {
                "T": task(json!({"End": null, "Next": "Done",
                    "Retry": [{"ErrorEquals": ["Custom"], "MaxAttempts": 1, "IntervalSeconds": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]})),
                "Done": {"Type": "Succeed"},
                "Handled": {"Type": "Pass", "End": true}}}),
            input: json!({"k": "v"}),
            replies: vec![("T", vec![fail("Custom", "first"), fail("Custom", "second")])],
            status: "SUCCEEDED",
            output: Some(json!({"Error": "Custom", "Cause": "second"})),
            error: None,
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "TaskStateExited",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 2_000,
        },
        Case {
            name: "States.ALL does not retry States.Runtime",
            definition: json!({"StartAt": "T", "States": {"T": task(json!({
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}]}))}}),
            input: json!({}),
            replies: vec![("T", vec![fail("States.Runtime", "bad")])],
            status: "FAILED",
            output: None,
            error: Some("States.Runtime"),
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "ExecutionFailed",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "task timeout fails with States.Timeout after TimeoutSeconds",
            definition: json!({"StartAt": "T", "States": {"T": task(json!({"TimeoutSeconds": 5}))}}),
            input: json!({}),
            replies: vec![("T", vec![TaskReply::Pending])],
            status: "FAILED",
            output: None,
            error: Some("States.Timeout"),
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskTimedOut",
                "ExecutionFailed",
            ],
            elapsed_ms: 5_000,
        },
        Case {
            name: "a missed heartbeat is States.Timeout, and States.HeartbeatTimeout catches it",
            definition: json!({"StartAt": "T", "States": {
                "T": task(json!({"TimeoutSeconds": 60, "HeartbeatSeconds": 2, "End": null, "Next": "Done",
                    "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}]})),
                "Done": {"Type": "Succeed"},
                "Caught": {"Type": "Pass", "End": true}}}),
            input: json!({}),
            replies: vec![("T", vec![TaskReply::Pending])],
            status: "SUCCEEDED",
            output: Some(json!({"Error": "States.Timeout", "Cause": ""})),
            error: None,
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskTimedOut",
                "TaskStateExited",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 2_000,
        },
        Case {
            name: "States.HeartbeatTimeout does not catch a task's own timeout",
            definition: json!({"StartAt": "T", "States": {
                "T": task(json!({"TimeoutSeconds": 5, "HeartbeatSeconds": 60, "End": null, "Next": "Done",
                    "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Done"}]})),
                "Done": {"Type": "Succeed"}}}),
            input: json!({}),
            replies: vec![("T", vec![TaskReply::Pending])],
            status: "FAILED",
            output: None,
            error: Some("States.Timeout"),
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskTimedOut",
                "ExecutionFailed",
            ],
            elapsed_ms: 5_000,
        },
        Case {
            name: "States.TaskFailed does not catch a missed heartbeat; States.Timeout does",
            definition: json!({"StartAt": "T", "States": {
                "T": task(json!({"HeartbeatSeconds": 3, "End": null, "Next": "Done",
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Done"},
                              {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e", "Next": "Caught"}]})),
                "Done": {"Type": "Succeed"},
                "Caught": {"Type": "Pass", "End": true}}}),
            input: json!({"x": 1}),
            replies: vec![("T", vec![TaskReply::Pending])],
            status: "SUCCEEDED",
            output: Some(json!({"x": 1, "e": {"Error": "States.Timeout", "Cause": ""}})),
            error: None,
            events: vec![
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskTimedOut",
                "TaskStateExited",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 3_000,
        },
        Case {
            name: "parallel branches' outputs are joined in branch order",
            definition: json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 3, "End": true}}}]}}}),
            input: json!({"x": 1}),
            replies: vec![],
            status: "SUCCEEDED",
            output: Some(json!(["a", {"x": 1}])),
            error: None,
            events: vec![
                "ExecutionStarted",
                "ParallelStateEntered",
                "ParallelStateStarted",
                "PassStateEntered",
                "PassStateExited",
                "WaitStateEntered",
                "WaitStateExited",
                "ParallelStateSucceeded",
                "ParallelStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 3_000,
        },
        Case {
            name: "a failing branch fails the parallel with its error",
            definition: json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}]}}}),
            input: json!({}),
            replies: vec![],
            status: "FAILED",
            output: None,
            error: Some("E"),
            events: vec![
                "ExecutionStarted",
                "ParallelStateEntered",
                "ParallelStateStarted",
                "FailStateEntered",
                "ParallelStateFailed",
                "ExecutionFailed",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "inline map runs one iteration per item, one at a time with MaxConcurrency 1",
            definition: json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1, "End": true,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}),
            input: json!([1, 2]),
            replies: vec![],
            status: "SUCCEEDED",
            output: Some(json!([1, 2])),
            error: None,
            events: vec![
                "ExecutionStarted",
                "MapStateEntered",
                "MapStateStarted",
                "MapIterationStarted",
                "PassStateEntered",
                "PassStateExited",
                "MapIterationSucceeded",
                "MapIterationStarted",
                "PassStateEntered",
                "PassStateExited",
                "MapIterationSucceeded",
                "MapStateSucceeded",
                "MapStateExited",
                "ExecutionSucceeded",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "map with a tolerated failure count keeps going",
            definition: json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 1,
                "ToleratedFailureCount": 1, "End": true,
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Fail", "Error": "X"}}}}}}),
            input: json!([1, 2]),
            replies: vec![],
            status: "FAILED",
            output: None,
            error: Some("States.ExceedToleratedFailureThreshold"),
            events: vec![
                "ExecutionStarted",
                "MapStateEntered",
                "MapStateStarted",
                "MapIterationStarted",
                "FailStateEntered",
                "MapIterationFailed",
                "MapIterationStarted",
                "FailStateEntered",
                "MapIterationFailed",
                "MapStateFailed",
                "ExecutionFailed",
            ],
            elapsed_ms: 0,
        },
        Case {
            name: "execution TimeoutSeconds times the execution out",
            definition: json!({"StartAt": "W", "TimeoutSeconds": 10, "States": {
                "W": {"Type": "Wait", "Seconds": 60, "End": true}}}),
            input: json!({}),
            replies: vec![],
            status: "TIMED_OUT",
            output: None,
            error: None,
            events: vec!["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"],
            elapsed_ms: 10_000,
        },
    ]
}

#[test]
fn interpreter_cases() {
    let mut failures = Vec::new();
    for case in cases() {
        let (outcome, history, elapsed, _) = run(&case);
        let types: Vec<String> = history.iter().map(|e| e.details.type_name()).collect();
        let output: Option<Value> = outcome
            .output
            .as_deref()
            .map(|o| serde_json::from_str(o).expect("JSON output"));
        let problems: Vec<String> = [
            (outcome.status.as_str() != case.status)
                .then(|| format!("status {}", outcome.status.as_str())),
            (output != case.output).then(|| format!("output {output:?}")),
            (outcome.error.as_deref() != case.error).then(|| format!("error {:?}", outcome.error)),
            (types != case.events).then(|| format!("events {types:?}")),
            (elapsed != case.elapsed_ms).then(|| format!("elapsed {elapsed} ms")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn history_ids_chain_and_replay_is_deterministic() {
    let case = &cases()[4];
    let (_, first, _, _) = run(case);
    let (_, second, _, _) = run(case);
    assert_eq!(first, second, "the same events must give the same history");
    for (i, e) in first.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert!(e.previous_event_id < e.id);
    }
}

/// An Express execution runs at most five minutes ("Maximum duration: Express 5 minutes",
/// AWS's choosing-workflow-type): past that, or past a shorter `TimeoutSeconds`, it times out.
/// A Standard execution has only its `TimeoutSeconds`.
#[test]
fn express_executions_time_out_after_five_minutes() {
    let wait = |seconds: u64, timeout: Option<u64>| {
        let mut d = json!({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": seconds, "End": true}}});
        if let Some(t) = timeout {
            d["TimeoutSeconds"] = json!(t);
        }
        d
    };
    for (definition, express, status, elapsed) in [
        (wait(400, None), true, "TIMED_OUT", 300_000),
        (wait(400, Some(1000)), true, "TIMED_OUT", 300_000),
        (wait(400, Some(60)), true, "TIMED_OUT", 60_000),
        (wait(299, None), true, "SUCCEEDED", 299_000),
        (wait(400, None), false, "SUCCEEDED", 400_000),
    ] {
        let machine = StateMachine::from_value(&definition).expect("model");
        let mut execution = Execution::new(Arc::new(machine), Limits::default());
        let mut clock = VirtualClock::starting_at(START);
        let info = if express {
            ExecutionInfo::express("aws", "us-east-1", "123456789012", "m", "e", "id")
        } else {
            ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e")
        };
        let mut script = Script {
            replies: HashMap::new(),
            calls: Vec::new(),
        };
        let outcome = run_to_end(&mut execution, info, json!({}), 1, &mut clock, &mut script);
        use baton_engine::driver::Clock;
        assert_eq!(
            outcome.status.as_str(),
            status,
            "{definition} express={express}"
        );
        assert_eq!(
            clock.now() - START,
            elapsed,
            "{definition} express={express}"
        );
    }
}

/// `$toMillis` with a time-only picture takes the date from the state's time, as jsonata-js
/// 2.0.6 takes it from the evaluation's `$now()`: the same result on every replay.
#[test]
fn to_millis_fills_a_missing_date_from_the_state_time() {
    let case = Case {
        name: "toMillis",
        definition: json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
            "Type": "Pass", "Output": "{% $toMillis('10:30', '[H]:[m]') %}", "End": true}}}),
        input: json!({}),
        replies: vec![],
        status: "SUCCEEDED",
        output: None,
        error: None,
        events: vec![],
        elapsed_ms: 0,
    };
    // START is 2023-11-14T22:13:20Z; that day's 10:30 is 1699957800000.
    let (first, ..) = run(&case);
    let (second, ..) = run(&case);
    assert_eq!(first.output.as_deref(), Some("1699957800000"));
    assert_eq!(first.output, second.output);
}
