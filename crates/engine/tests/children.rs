//! A distributed Map's children as executions of their own (`Limits::child_executions`): each
//! child writes its own history, numbered from 1, from `ExecutionStarted` to its end; the
//! parent's history is the same as when the children are silent; stopping or failing ends the
//! children that still run with `ExecutionAborted`.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{
    child_execution_arn, ChildHistory, Event, EventDetails, Execution, ExecutionInfo, HistoryEvent,
    Limits, Status, TaskRequest,
};
use serde_json::{json, Value};

struct NoTasks;

impl TaskHandler for NoTasks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        panic!("no Task state in these machines: {request:?}")
    }
}

fn limits(children: bool) -> Limits {
    Limits {
        child_executions: children,
        ..Limits::default()
    }
}

fn info() -> ExecutionInfo {
    ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e")
}

/// A distributed Map over `$.items` whose processor is `processor`.
fn machine(processor: Value, extra: Value) -> StateMachine {
    let mut map = json!({
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": processor,
        "End": true
    });
    if let (Some(m), Value::Object(more)) = (map.as_object_mut(), extra) {
        m.extend(more);
    }
    StateMachine::from_value(&json!({"StartAt": "Each", "States": {"Each": map}})).expect("model")
}

fn checking_processor(execution_type: &str) -> Value {
    json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice",
                "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": "Broken"}],
                "Default": "Fine"},
            "Fine": {"Type": "Pass", "End": true},
            "Broken": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"}
        }
    })
}

fn types(events: &[HistoryEvent]) -> Vec<String> {
    events.iter().map(|e| e.details.type_name()).collect()
}

fn run(machine: StateMachine, children: bool, input: Value) -> (Execution, Vec<ChildHistory>) {
    let mut execution = Execution::new(Arc::new(machine), limits(children));
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    run_to_end(&mut execution, info(), input, 7, &mut clock, &mut NoTasks);
    let written = execution.take_child_histories();
    (execution, written)
}

fn map_run_arn(parent: &[HistoryEvent]) -> String {
    parent
        .iter()
        .find_map(|e| match &e.details {
            EventDetails::MapRunStarted { map_run_arn, .. } => Some(map_run_arn.clone()),
            _ => None,
        })
        .expect("MapRunStarted")
}

/// Ids run 1, 2, … and every event follows one written before it.
fn assert_numbered(child: &ChildHistory) {
    for (i, e) in child.events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1, "{}", child.name);
        assert!(e.previous_event_id < e.id, "{e:?}");
    }
    assert_eq!(child.events[0].previous_event_id, 0);
}

#[test]
fn each_child_writes_its_own_history_and_the_parent_history_is_unchanged() {
    let items = json!({"items": [{"n": 1}, {"bad": true}, {"n": 3}]});
    let def = machine(
        checking_processor("STANDARD"),
        json!({"ToleratedFailureCount": 1}),
    );
    let (silent, none) = run(def.clone(), false, items.clone());
    assert!(none.is_empty(), "children are silent without the flag");
    let (parent, children) = run(def, true, items);
    assert_eq!(parent.status(), Status::Succeeded);
    assert_eq!(types(parent.history()), types(silent.history()));
    assert_eq!(
        parent.outcome().and_then(|o| o.output.clone()),
        silent.outcome().and_then(|o| o.output.clone())
    );

    let arn = map_run_arn(parent.history());
    assert_eq!(children.len(), 3);
    let mut names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 3, "every child has a name of its own");
    let mut ended = Vec::new();
    for child in &children {
        assert!(child.ended);
        assert_eq!(child.map_run_arn, arn);
        assert_numbered(child);
        let EventDetails::ExecutionStarted { input, .. } = &child.events[0].details else {
            panic!("{:?}", child.events[0]);
        };
        let input: Value = serde_json::from_str(input).expect("json");
        match child.events.last().map(|e| &e.details) {
            Some(EventDetails::ExecutionSucceeded { output }) => {
                assert_eq!(
                    types(&child.events),
                    [
                        "ExecutionStarted",
                        "ChoiceStateEntered",
                        "ChoiceStateExited",
                        "PassStateEntered",
                        "PassStateExited",
                        "ExecutionSucceeded"
                    ]
                );
                assert_eq!(serde_json::from_str::<Value>(output).expect("json"), input);
                ended.push("succeeded");
            }
            Some(EventDetails::ExecutionFailed { error, cause }) => {
                assert_eq!(input, json!({"bad": true}));
                assert_eq!(error.as_deref(), Some("Item.Bad"));
                assert_eq!(cause.as_deref(), Some("a bad item"));
                ended.push("failed");
            }
            other => panic!("{other:?}"),
        }
    }
    ended.sort_unstable();
    assert_eq!(ended, ["failed", "succeeded", "succeeded"]);
    assert_eq!(
        child_execution_arn(&arn, "c1"),
        arn.rsplit_once(':')
            .unwrap()
            .0
            .replace(":mapRun:", ":execution:")
            + ":c1"
    );
}

#[test]
fn nested_states_of_a_child_write_into_the_child_history() {
    let processor = json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Inner",
        "States": {
            "Inner": {"Type": "Map", "ItemsPath": "$.parts",
                "ItemProcessor": {"StartAt": "Part", "States": {"Part": {"Type": "Pass", "End": true}}},
                "End": true}
        }
    });
    let (parent, children) = run(
        machine(processor, json!({})),
        true,
        json!({"items": [{"parts": [1, 2]}]}),
    );
    assert_eq!(parent.status(), Status::Succeeded);
    assert!(!types(parent.history())
        .iter()
        .any(|t| t == "MapIterationStarted"));
    let [child] = children.as_slice() else {
        panic!("{children:?}");
    };
    assert_numbered(child);
    let t = types(&child.events);
    assert_eq!(t.iter().filter(|t| **t == "MapIterationStarted").count(), 2);
    assert_eq!(
        t.iter().filter(|t| **t == "MapIterationSucceeded").count(),
        2
    );
    assert_eq!(t.last().map(String::as_str), Some("ExecutionSucceeded"));
}

#[test]
fn express_children_are_not_recorded() {
    let (parent, children) = run(
        machine(checking_processor("EXPRESS"), json!({})),
        true,
        json!({"items": [{"n": 1}]}),
    );
    assert_eq!(parent.status(), Status::Succeeded);
    assert!(children.is_empty());
}

fn waiting_processor() -> Value {
    json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice",
                "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": "Broken"}],
                "Default": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 100, "End": true},
            "Broken": {"Type": "Fail", "Error": "Item.Bad"}
        }
    })
}

fn start(machine: StateMachine, input: Value) -> Execution {
    let mut execution = Execution::new(Arc::new(machine), limits(true));
    execution.apply(Event::Started {
        info: Box::new(info()),
        input,
        time: 1_000,
        seed: 3,
    });
    execution
}

#[test]
fn stopping_the_parent_aborts_the_children_that_run() {
    let mut parent = start(
        machine(waiting_processor(), json!({})),
        json!({"items": [{"n": 1}, {"n": 2}]}),
    );
    let started = parent.take_child_histories();
    assert_eq!(started.len(), 2);
    assert!(started.iter().all(|c| !c.ended));
    parent.apply(Event::StopRequested {
        error: Some("E".into()),
        cause: None,
        time: 2_000,
    });
    assert_eq!(parent.status(), Status::Aborted);
    let ended = parent.take_child_histories();
    assert_eq!(ended.len(), 2);
    for (before, after) in started.iter().zip(&ended) {
        assert_eq!(before.name, after.name);
        assert!(after.ended);
        let last = after.events.last().expect("an end");
        assert_eq!(last.details.type_name(), "ExecutionAborted");
        assert_eq!(last.id, before.events.last().expect("events").id + 1);
        assert_eq!(last.timestamp, 2_000);
    }
    assert!(parent.take_child_histories().is_empty(), "taken once");
}

/// `StopExecution` on one child: that child alone ends `ExecutionAborted` with the error and
/// cause given, and its Map takes it as a failed item: within `ToleratedFailureCount` the
/// others run on; without a tolerance the Map fails and the sibling is aborted.
#[test]
fn stopping_one_child_aborts_it_alone_and_counts_as_a_failed_item() {
    for (tolerance, parent_status, sibling_end) in [
        (json!({"ToleratedFailureCount": 1}), Status::Running, None),
        (json!({}), Status::Failed, Some("ExecutionAborted")),
    ] {
        let mut parent = start(
            machine(waiting_processor(), tolerance.clone()),
            json!({"items": [{"n": 1}, {"n": 2}]}),
        );
        let started = parent.take_child_histories();
        let map_run = map_run_arn(parent.history());
        let target = child_execution_arn(&map_run, &started[0].name);
        assert!(parent.has_running_child(&target));
        parent.apply(Event::ChildStopRequested {
            execution_arn: target.clone(),
            error: Some("Operator.Cancelled".into()),
            cause: Some("enough".into()),
            time: 2_000,
        });
        assert_eq!(parent.status(), parent_status, "{tolerance}");
        assert!(!parent.has_running_child(&target));
        let ended = parent.take_child_histories();
        let stopped = ended
            .iter()
            .find(|c| c.name == started[0].name)
            .expect("the stopped child wrote its end");
        let last = stopped.events.last().expect("an end");
        assert!(stopped.ended);
        assert_eq!(last.previous_event_id, 0);
        assert_eq!(
            last.details,
            EventDetails::ExecutionAborted {
                error: Some("Operator.Cancelled".into()),
                cause: Some("enough".into()),
            }
        );
        let sibling = ended.iter().find(|c| c.name == started[1].name);
        assert_eq!(
            sibling.map(|c| c.events.last().expect("events").details.type_name()),
            sibling_end.map(str::to_string),
            "{tolerance}"
        );
        // A second stop finds no running child and changes nothing.
        parent.apply(Event::ChildStopRequested {
            execution_arn: target,
            error: None,
            cause: None,
            time: 3_000,
        });
        assert!(parent.take_child_histories().is_empty());
    }
}

#[test]
fn a_failure_beyond_tolerance_aborts_the_running_siblings() {
    let (parent, children) = run(
        machine(waiting_processor(), json!({"MaxConcurrency": 3})),
        true,
        json!({"items": [{"n": 1}, {"n": 2}, {"bad": true}]}),
    );
    assert_eq!(parent.status(), Status::Failed);
    let mut ends: Vec<String> = children
        .iter()
        .map(|c| c.events.last().expect("events").details.type_name())
        .collect();
    ends.sort_unstable();
    assert_eq!(
        ends,
        ["ExecutionAborted", "ExecutionAborted", "ExecutionFailed"]
    );
    assert!(children.iter().all(|c| c.ended));
}

#[test]
fn a_child_sees_its_own_execution_in_the_context_object() {
    let processor = json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Who",
        "States": {"Who": {"Type": "Pass", "End": true, "Parameters": {
            "id.$": "$$.Execution.Id",
            "name.$": "$$.Execution.Name",
            "input.$": "$$.Execution.Input",
            "machine.$": "$$.StateMachine.Id",
            "machineName.$": "$$.StateMachine.Name"}}}
    });
    let (parent, children) = run(
        machine(processor, json!({"Label": "Items"})),
        true,
        json!({"items": [{"n": 1}]}),
    );
    let arn = map_run_arn(parent.history());
    let [child] = children.as_slice() else {
        panic!("{children:?}");
    };
    let Some(EventDetails::ExecutionSucceeded { output }) = child.events.last().map(|e| &e.details)
    else {
        panic!("{child:?}");
    };
    let seen: Value = serde_json::from_str(output).unwrap();
    assert_eq!(seen["id"], json!(child_execution_arn(&arn, &child.name)));
    assert_eq!(seen["name"], json!(child.name));
    assert_eq!(seen["input"], json!({"n": 1}));
    assert_eq!(
        seen["machine"],
        json!("arn:aws:states:us-east-1:123456789012:stateMachine:m/Items")
    );
    assert_eq!(seen["machineName"], json!("m/Items"));
}

/// Applies `first` and everything it leads to, answering every task with `"ok"`; counts the
/// tasks.
fn drive(execution: &mut Execution, first: Event, calls: &mut usize) {
    let mut queue = std::collections::VecDeque::from([first]);
    while let Some(event) = queue.pop_front() {
        for effect in execution.apply(event) {
            if let baton_engine::Effect::ScheduleTask(request) = effect {
                *calls += 1;
                queue.push_back(Event::TaskSucceeded {
                    task: request.id,
                    output: json!("ok"),
                    time: 2_000,
                });
            }
        }
    }
}

/// The start of an execution whose Map has one item.
fn one_item_start() -> Event {
    Event::Started {
        info: Box::new(info()),
        input: json!({"items": [{"n": 1}]}),
        time: 1_000,
        seed: 3,
    }
}

/// A redriven map run continues a Standard child from the state it did not leave, and starts
/// an Express child again ("restarted using the StartExecution API action"): the Task before
/// the failing state runs again only for the Express child.
#[test]
fn a_redrive_continues_standard_children_and_restarts_express_ones() {
    for (execution_type, calls_after_redrive) in [("STANDARD", 0), ("EXPRESS", 1)] {
        let processor = json!({
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": "Call",
            "States": {
                "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "f"}, "Next": "Broken"},
                "Broken": {"Type": "Fail", "Error": "Item.Bad"}
            }
        });
        let mut execution = Execution::new(Arc::new(machine(processor, json!({}))), limits(true));
        let mut calls = 0;
        drive(&mut execution, one_item_start(), &mut calls);
        assert_eq!(execution.status(), Status::Failed);
        assert_eq!(calls, 1);
        assert!(execution.can_redrive());
        let mut again = 0;
        drive(&mut execution, Event::Redriven { time: 3_000 }, &mut again);
        assert_eq!(execution.status(), Status::Failed, "{execution_type}");
        assert_eq!(again, calls_after_redrive, "{execution_type}");
    }
}

/// A map run is redriven at most 1,000 times ("You haven't exceeded the hard limit of 1000
/// redrives of a given Map Run. If you've exceeded this limit, you'll see the States.Runtime
/// error.": AWS's "Redriving Map Runs"). The redrive past the limit fails the Map with
/// `States.Runtime`, and keeps the map run for the record.
#[test]
fn a_map_run_is_redriven_at_most_a_thousand_times() {
    let processor = json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Broken",
        "States": {"Broken": {"Type": "Fail", "Error": "Item.Bad"}}
    });
    let mut execution = Execution::new(Arc::new(machine(processor, json!({}))), limits(true));
    let mut calls = 0;
    drive(&mut execution, one_item_start(), &mut calls);
    let arn = map_run_arn(execution.history());
    let failure = |execution: &Execution| match execution.history().last().map(|e| &e.details) {
        Some(EventDetails::ExecutionFailed { error, cause }) => (
            error.clone().unwrap_or_default(),
            cause.clone().unwrap_or_default(),
        ),
        other => panic!("{other:?}"),
    };
    for n in 1..=baton_engine::MAP_RUN_REDRIVE_LIMIT {
        drive(&mut execution, Event::Redriven { time: 3_000 }, &mut calls);
        assert_eq!(failure(&execution).0, "Item.Bad");
        let last_redrive = execution
            .history()
            .iter()
            .rev()
            .find_map(|e| match &e.details {
                EventDetails::MapRunRedriven {
                    map_run_arn,
                    redrive_count,
                } => Some((map_run_arn.clone(), *redrive_count)),
                _ => None,
            });
        assert_eq!(last_redrive, Some((arn.clone(), n)));
    }
    for _ in 0..2 {
        let before = execution.history().len();
        drive(&mut execution, Event::Redriven { time: 4_000 }, &mut calls);
        let (error, cause) = failure(&execution);
        assert_eq!(error, "States.Runtime");
        assert!(
            cause.contains(&arn) && cause.contains("limit of 1000 redrives"),
            "{cause}"
        );
        let fresh: Vec<String> = execution.history()[before..]
            .iter()
            .map(|e| e.details.type_name())
            .collect();
        assert!(
            !fresh
                .iter()
                .any(|t| t == "MapRunRedriven" || t == "MapRunStarted"),
            "{fresh:?}"
        );
    }
}
