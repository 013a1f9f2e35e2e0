//! A distributed Map's `ItemReader` and `ResultWriter` as the engine asks for them: the reader
//! and writer tasks it schedules (resource, evaluated arguments, reader config, the records to
//! write), what it does with their answers and failures, the history they leave (none of their
//! own), and the same requests on every replay.

use std::sync::Arc;

use baton_asl::model::StateMachine;
use baton_engine::driver::{run_to_end, TaskHandler, TaskReply, VirtualClock};
use baton_engine::{Execution, ExecutionInfo, Limits, Outcome, TaskPurpose, TaskRequest};
use serde_json::{json, Value};

/// Serves the reader with `items` and the writer with `details`, recording every request.
struct Storage {
    items: TaskReply,
    written: TaskReply,
    requests: Vec<TaskRequest>,
}

impl TaskHandler for Storage {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        self.requests.push(request.clone());
        match request.purpose {
            TaskPurpose::ItemReader { .. } => self.items.clone(),
            TaskPurpose::ResultWriter(_) => self.written.clone(),
            TaskPurpose::State => panic!("no Task state in these machines: {request:?}"),
        }
    }
}

fn machine(map: Value, tail: Value) -> Value {
    let mut states = json!({"Each": map});
    if let (Some(s), Value::Object(more)) = (states.as_object_mut(), tail) {
        s.extend(more);
    }
    json!({"StartAt": "Each", "States": states})
}

fn distributed(fields: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice",
                    "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": "Broken"},
                        {"Variable": "$.slow", "IsPresent": true, "Next": "Slow"}],
                    "Default": "Fine"},
                "Slow": {"Type": "Wait", "Seconds": 60, "Next": "Fine"},
                "Fine": {"Type": "Pass", "End": true},
                "Broken": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"}
            }
        },
        "End": true
    });
    if let (Some(m), Value::Object(more)) = (map.as_object_mut(), fields) {
        m.extend(more);
    }
    map
}

fn run(definition: &Value, input: Value, storage: &mut Storage) -> (Outcome, Vec<String>) {
    let machine = StateMachine::from_value(definition).expect("model");
    let mut execution = Execution::new(Arc::new(machine), Limits::default());
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "m", "e");
    let outcome = run_to_end(&mut execution, info, input, 7, &mut clock, storage);
    let types = execution
        .history()
        .iter()
        .map(|e| e.details.type_name().to_string())
        .collect();
    (outcome, types)
}

fn storage(items: TaskReply, written: TaskReply) -> Storage {
    Storage {
        items,
        written,
        requests: Vec::new(),
    }
}

fn reader() -> Value {
    json!({"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON", "MaxItemsPath": "$.limit"},
        "Parameters": {"Bucket.$": "$.where.bucket", "Key": "items.json"}})
}

#[test]
fn the_reader_is_asked_with_evaluated_arguments_and_its_items_are_iterated() {
    let definition = machine(
        distributed(json!({"ItemReader": reader(), "InputPath": "$.job",
            "ItemSelector": {"value.$": "$$.Map.Item.Value", "from.$": "$.where.bucket"}})),
        json!({}),
    );
    let mut s = storage(TaskReply::Succeeded(json!([1, 2, 3])), TaskReply::Pending);
    let input = json!({"job": {"where": {"bucket": "b1"}, "limit": 3}});
    let (outcome, types) = run(&definition, input, &mut s);
    assert_eq!(outcome.status.as_str(), "SUCCEEDED", "{outcome:?}");
    let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output,
        json!([{"value": 1, "from": "b1"}, {"value": 2, "from": "b1"}, {"value": 3, "from": "b1"}])
    );
    let [request] = s.requests.as_slice() else {
        panic!("one reader request: {:?}", s.requests)
    };
    assert_eq!(request.resource, "arn:aws:states:::s3:getObject");
    assert_eq!(request.state_name, "Each");
    assert_eq!(request.input, json!({"Bucket": "b1", "Key": "items.json"}));
    assert_eq!(
        request.purpose,
        TaskPurpose::ItemReader {
            reader_config: Box::new(json!({"InputType": "JSON", "MaxItems": 3}))
        }
    );
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[test]
fn a_reader_failure_is_the_map_state_failure_and_catch_sees_it() {
    let mut map = distributed(json!({"ItemReader": reader(),
        "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.error", "Next": "Caught"}]}));
    map.as_object_mut().unwrap().remove("End");
    map["Next"] = json!("Caught");
    let definition = machine(map, json!({"Caught": {"Type": "Pass", "End": true}}));
    let reply = TaskReply::Failed {
        error: Some("States.ItemReaderFailed".into()),
        cause: Some("The specified key does not exist.".into()),
    };
    let mut s = storage(reply, TaskReply::Pending);
    let (outcome, types) = run(
        &definition,
        json!({"where": {"bucket": "b"}, "limit": 0}),
        &mut s,
    );
    assert_eq!(outcome.status.as_str(), "SUCCEEDED", "{outcome:?}");
    let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["error"]["Error"], "States.ItemReaderFailed");
    assert!(!types.iter().any(|t| t == "MapStateStarted"), "{types:?}");
    assert!(types.iter().any(|t| t == "MapStateFailed"), "{types:?}");

    let mut s = storage(
        TaskReply::Succeeded(json!({"not": "an array"})),
        TaskReply::Pending,
    );
    let (outcome, _) = run(
        &definition,
        json!({"where": {"bucket": "b"}, "limit": 0}),
        &mut s,
    );
    let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["error"]["Error"], "States.ItemReaderFailed");
}

fn writer_machine(writer_config: Option<Value>) -> Value {
    let mut writer = json!({"Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "out", "Prefix.$": "$.prefix"}});
    if let Some(c) = writer_config {
        writer["WriterConfig"] = c;
    }
    machine(
        distributed(json!({"ItemsPath": "$.items", "ToleratedFailureCount": 1,
            "Label": "Checks", "ResultWriter": writer})),
        json!({}),
    )
}

#[test]
fn the_writer_gets_every_child_record_and_the_map_returns_where_they_went() {
    let details = json!({"Bucket": "out", "Key": "p/x/manifest.json"});
    let mut s = storage(TaskReply::Pending, TaskReply::Succeeded(details.clone()));
    let input = json!({"prefix": "p", "items": [{"n": 1}, {"bad": true}, {"n": 3}]});
    let (outcome, types) = run(&writer_machine(None), input.clone(), &mut s);
    assert_eq!(outcome.status.as_str(), "SUCCEEDED", "{outcome:?}");
    let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    let map_run_arn = output["MapRunArn"].as_str().expect("MapRunArn").to_string();
    assert!(map_run_arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:m/Checks:"));
    assert_eq!(output["ResultWriterDetails"], details);
    assert!(types.ends_with(&[
        "MapRunSucceeded".to_string(),
        "MapStateSucceeded".into(),
        "MapStateExited".into(),
        "ExecutionSucceeded".into()
    ]));

    let [request] = s.requests.as_slice() else {
        panic!("one writer request: {:?}", s.requests)
    };
    assert_eq!(request.input, json!({"Bucket": "out", "Prefix": "p"}));
    let TaskPurpose::ResultWriter(export) = &request.purpose else {
        panic!("a writer request: {request:?}")
    };
    assert_eq!(export.map_run_arn, map_run_arn);
    assert_eq!(export.output_type, "JSON");
    let statuses: Vec<&str> = export.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, ["SUCCEEDED", "FAILED", "SUCCEEDED"]);
    // Without a WriterConfig the records are whole (Transformation NONE).
    let [ok, bad, _] = &export.results[..] else {
        unreachable!()
    };
    assert_eq!(ok.value["Input"], json!({"n": 1}).to_string());
    assert_eq!(ok.value["Output"], json!({"n": 1}).to_string());
    assert_eq!(ok.value["Status"], "SUCCEEDED");
    assert_eq!(
        ok.value["StateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:m/Checks"
    );
    let name = ok.value["Name"].as_str().unwrap();
    let child_prefix = "arn:aws:states:us-east-1:123456789012:execution:m/Checks:";
    assert_eq!(ok.value["ExecutionArn"], format!("{child_prefix}{name}"));
    assert_eq!(bad.value["Error"], "Item.Bad");
    assert_eq!(bad.value["Cause"], "a bad item");
    assert!(bad.value.get("Output").is_none());

    // The same seed and replies ask for the same writes: replay after a crash writes the same.
    let mut again = storage(TaskReply::Pending, TaskReply::Succeeded(details));
    let (second, _) = run(&writer_machine(None), input, &mut again);
    assert_eq!(second, outcome);
    assert_eq!(again.requests, s.requests);
}

#[test]
fn writer_config_shapes_the_records_and_a_writer_failure_fails_the_map_run() {
    let input = json!({"prefix": "p", "items": [{"n": 1}, {"bad": true}]});
    let config = json!({"Transformation": "COMPACT", "OutputType": "JSONL"});
    let failed = TaskReply::Failed {
        error: Some("States.ResultWriterFailed".into()),
        cause: Some("The specified bucket does not exist".into()),
    };
    let mut s = storage(TaskReply::Pending, failed);
    let (outcome, types) = run(&writer_machine(Some(config)), input, &mut s);
    assert_eq!(outcome.status.as_str(), "FAILED");
    assert_eq!(outcome.error.as_deref(), Some("States.ResultWriterFailed"));
    assert!(types.iter().any(|t| t == "MapRunFailed"), "{types:?}");
    let TaskPurpose::ResultWriter(export) = &s.requests[0].purpose else {
        panic!("a writer request")
    };
    assert_eq!(export.output_type, "JSONL");
    // COMPACT: a succeeded child is its output; a failed one keeps its record.
    assert_eq!(export.results[0].value, json!({"n": 1}));
    assert_eq!(export.results[1].value["Status"], "FAILED");

    // Only a WriterConfig: nothing is written and the Map returns the shaped results.
    let flatten = machine(
        distributed(json!({"ItemsPath": "$.items",
            "ItemSelector": {"pair.$": "$$.Map.Item.Value"},
            "ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}})),
        json!({}),
    );
    let mut flatten_machine = flatten;
    flatten_machine["States"]["Each"]["ItemProcessor"]["States"]["Fine"]["OutputPath"] =
        json!("$.pair");
    let mut s = storage(TaskReply::Pending, TaskReply::Pending);
    let (outcome, _) = run(
        &flatten_machine,
        json!({"items": [[1, 2], [3], []]}),
        &mut s,
    );
    assert!(s.requests.is_empty(), "{:?}", s.requests);
    let output: Value = serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!([1, 2, 3]));
}

/// A map run that fails beyond its tolerance still writes its results, as AWS does:
/// "FAILED_n.json – … all failed, timed out, and aborted child workflow executions";
/// "PENDING_n.json – … child workflow executions that weren't started because the Map Run
/// failed or aborted" (the developer guide's "ResultWriter (Map)"). The Map then fails with the
/// map run's own error, whether or not the results could be written.
#[test]
fn a_map_run_that_fails_beyond_its_tolerance_writes_its_results() {
    let definition = machine(
        distributed(json!({"ItemsPath": "$.items", "ToleratedFailureCount": 0,
            "MaxConcurrency": 2, "Label": "Checks",
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "out", "Prefix": "p"}}})),
        json!({}),
    );
    let input = json!({"items": [{"n": 1}, {"slow": true}, {"bad": true}, {"n": 4}]});
    let details = json!({"Bucket": "out", "Key": "p/x/manifest.json"});
    let written = TaskReply::Succeeded(details.clone());
    let failed = TaskReply::Failed {
        error: Some("States.ResultWriterFailed".into()),
        cause: Some("The specified bucket does not exist".into()),
    };
    for reply in [written, failed] {
        let mut s = storage(TaskReply::Pending, reply);
        let (outcome, types) = run(&definition, input.clone(), &mut s);
        assert_eq!(outcome.status.as_str(), "FAILED");
        assert_eq!(
            outcome.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold"),
            "{outcome:?}"
        );
        assert!(types.ends_with(&[
            "MapRunFailed".to_string(),
            "MapStateFailed".into(),
            "ExecutionFailed".into()
        ]));
        let [request] = s.requests.as_slice() else {
            panic!("one writer request: {:?}", s.requests)
        };
        assert_eq!(request.input, json!({"Bucket": "out", "Prefix": "p"}));
        let TaskPurpose::ResultWriter(export) = &request.purpose else {
            panic!("a writer request: {request:?}")
        };
        let files: Vec<&str> = export.results.iter().map(|r| r.status).collect();
        assert_eq!(files, ["SUCCEEDED", "FAILED", "FAILED", "PENDING"]);
        let shown: Vec<&Value> = export.results.iter().map(|r| &r.value["Status"]).collect();
        assert_eq!(shown, ["SUCCEEDED", "ABORTED", "FAILED", "PENDING"]);
        let pending = &export.results[3].value;
        assert_eq!(pending["Input"], json!({"n": 4}).to_string());
        assert!(pending.get("ExecutionArn").is_none() && pending.get("Output").is_none());
        assert_eq!(export.results[2].value["Error"], "Item.Bad");
    }
}
