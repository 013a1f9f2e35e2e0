//! TestState per state type, as AWS's TestState documentation describes it: one table row per
//! behaviour (a request and the whole answer), checked by one function. Answers are compared
//! as JSON with the JSON-text members parsed, so every member present must be right and no
//! other member may appear.

use std::sync::Arc;

mod botocore;

use baton_engine::teststate::{
    test_state, ServiceModel, TaskOutcome, TestStateEnv, TestStateRequest, TestStateStep,
};
use serde_json::{json, Map, Value};

/// 2025-11-20T10:00:00.000Z.
const NOW: i64 = 1_763_632_800_000;
const TIME: &str = "2025-11-20T10:00:00.000Z";

fn env() -> TestStateEnv {
    let mut env = TestStateEnv::new("eu-west-1", "123456789012", NOW, 1);
    env.state_machine_name = Some("Machine".into());
    env.execution_name = Some("exec".into());
    env
}

/// The context object TestState makes up for a state of this kind (`retry`: Task, Parallel
/// and Map states show `RetryCount`).
fn made_up_context(input: Value, retry: Option<u64>) -> Value {
    let mut state = json!({"Name": "StateName", "EnteredTime": TIME});
    if let Some(n) = retry {
        state["RetryCount"] = json!(n);
    }
    json!({
        "Execution": {
            "Id": "arn:aws:states:eu-west-1:123456789012:express:Machine:exec",
            "Input": input,
            "Name": "exec",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "StartTime": TIME,
        },
        "StateMachine": {
            "Id": "arn:aws:states:eu-west-1:123456789012:stateMachine:Machine",
            "Name": "Machine",
        },
        "State": state,
    })
}

/// A request from a JSON object whose JSON-text members are given as JSON values.
fn request(r: Value) -> TestStateRequest {
    let mut r = r;
    let obj = r.as_object_mut().expect("a request object");
    for key in ["definition", "input", "variables", "context"] {
        if let Some(v) = obj.get_mut(key) {
            if !v.is_string() {
                *v = Value::String(v.to_string());
            }
        }
    }
    if let Some(Value::Object(mock)) = obj.get_mut("mock") {
        if let Some(v) = mock.get_mut("result") {
            *v = Value::String(v.to_string());
        }
    }
    if let Some(Value::Object(c)) = obj.get_mut("stateConfiguration") {
        if let Some(v) = c.get_mut("mapItemReaderData") {
            *v = Value::String(v.to_string());
        }
    }
    obj.entry("roleArn")
        .or_insert_with(|| json!("arn:aws:iam::123456789012:role/r"));
    serde_json::from_value(r).expect("a TestState request")
}

/// The answer as JSON: a response with its JSON text parsed, a refusal as `{code, message}`,
/// or a pending call as `{call: {resource, input}}`.
fn answer(req: &TestStateRequest, env: &TestStateEnv) -> Value {
    match test_state(req, env) {
        Err(e) => json!({"code": e.code(), "message": e.message()}),
        Ok(TestStateStep::Task(p)) => {
            json!({"call": {"resource": p.request().resource, "input": p.request().input}})
        }
        Ok(TestStateStep::Done(r)) => response_json(&r),
    }
}

fn response_json(r: &baton_engine::teststate::TestStateResponse) -> Value {
    let mut v = serde_json::to_value(r).expect("serializable");
    let parse = |v: &mut Value| {
        if let Value::String(s) = v {
            *v = serde_json::from_str(s).expect("JSON text");
        }
    };
    if let Some(o) = v.get_mut("output") {
        parse(o);
    }
    if let Some(Value::Object(d)) = v.get_mut("inspectionData") {
        for (k, m) in d.iter_mut() {
            if !matches!(
                k.as_str(),
                "errorDetails"
                    | "maxConcurrency"
                    | "toleratedFailureCount"
                    | "toleratedFailurePercentage"
            ) {
                parse(m);
            }
        }
    }
    v
}

struct Case {
    name: &'static str,
    request: Value,
    expected: Value,
}

fn check(cases: &[Case], env: &TestStateEnv) {
    let mut failures = Vec::new();
    for case in cases {
        let got = answer(&request(case.request.clone()), env);
        if got != case.expected {
            failures.push(format!(
                "{}:\n  got      {got}\n  expected {}",
                case.name, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pass_succeed_fail_choice_and_wait() {
    let input = json!({"a": {"b": 1}, "c": "x"});
    check(
        &[
            Case {
                name: "pass: every JSONPath step shown at DEBUG",
                request: json!({
                    "definition": {"Type": "Pass", "InputPath": "$.a", "Parameters": {"v.$": "$.b"},
                                   "ResultPath": "$.r", "OutputPath": "$.r", "Next": "N"},
                    "input": input, "inspectionLevel": "DEBUG"}),
                expected: json!({"status": "SUCCEEDED", "output": {"v": 1}, "nextState": "N",
                    "inspectionData": {"input": input, "afterInputPath": {"b": 1},
                        "afterParameters": {"v": 1}, "afterResultSelector": {"v": 1},
                        "afterResultPath": {"a": {"b": 1}, "c": "x", "r": {"v": 1}}}}),
            },
            Case {
                name: "pass: INFO shows no inspection data",
                request: json!({"definition": {"Type": "Pass", "End": true}, "input": input}),
                expected: json!({"status": "SUCCEEDED", "output": input}),
            },
            Case {
                name: "pass: Result is the result; InputPath and Parameters do not apply",
                request: json!({
                    "definition": {"Type": "Pass", "InputPath": "$.a", "Parameters": {"p": 1},
                                   "Result": {"k": 2}, "ResultPath": "$.r", "End": true},
                    "input": input, "inspectionLevel": "TRACE"}),
                expected: json!({"status": "SUCCEEDED",
                    "output": {"a": {"b": 1}, "c": "x", "r": {"k": 2}},
                    "inspectionData": {"input": input, "result": {"k": 2},
                        "afterResultSelector": {"k": 2},
                        "afterResultPath": {"a": {"b": 1}, "c": "x", "r": {"k": 2}}}}),
            },
            Case {
                name: "pass: JSONata Output and Assign; variables shown after the assignment",
                request: json!({
                    "definition": {"Type": "Pass", "QueryLanguage": "JSONata",
                        "Assign": {"total": "{% $states.input.a.b + $start %}"},
                        "Output": {"seen": "{% $start %}"}, "Next": "N"},
                    "input": input, "variables": {"start": 10}, "inspectionLevel": "DEBUG"}),
                expected: json!({"status": "SUCCEEDED", "output": {"seen": 10}, "nextState": "N",
                    "inspectionData": {"input": input, "variables": {"start": 10, "total": 11}}}),
            },
            Case {
                name: "pass: the made-up context object",
                request: json!({
                    "definition": {"Type": "Pass", "Parameters": {"c.$": "$$"}, "End": true},
                    "input": {"x": 1}}),
                expected: json!({"status": "SUCCEEDED",
                    "output": {"c": made_up_context(json!({"x": 1}), None)}}),
            },
            Case {
                name: "pass: a bad InputPath fails without an event-id prefix",
                request: json!({"definition": {"Type": "Pass", "InputPath": "$.nope", "End": true},
                    "input": input}),
                expected: json!({"status": "FAILED", "error": "States.Runtime",
                    "cause": "Invalid path '$.nope' : No results for path: $['nope']"}),
            },
            Case {
                name: "succeed: InputPath and OutputPath",
                request: json!({"definition": {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"},
                    "input": input, "inspectionLevel": "DEBUG"}),
                expected: json!({"status": "SUCCEEDED", "output": 1,
                    "inspectionData": {"input": input, "afterInputPath": {"b": 1}}}),
            },
            Case {
                name: "fail: ErrorPath and CausePath",
                request: json!({"definition": {"Type": "Fail", "ErrorPath": "$.c", "CausePath": "States.Format('b={}', $.a.b)"},
                    "input": input}),
                expected: json!({"status": "FAILED", "error": "x", "cause": "b=1"}),
            },
            Case {
                name: "choice: the chosen rule's Next",
                request: json!({
                    "definition": {"Type": "Choice", "Choices": [
                        {"Variable": "$.c", "StringEquals": "y", "Next": "Y"},
                        {"Variable": "$.a.b", "NumericGreaterThan": 0, "Next": "Positive"}],
                        "Default": "D"},
                    "input": input, "inspectionLevel": "DEBUG"}),
                expected: json!({"status": "SUCCEEDED", "output": input, "nextState": "Positive",
                    "inspectionData": {"input": input, "afterInputPath": input}}),
            },
            Case {
                name: "choice: Default when no rule matches",
                request: json!({
                    "definition": {"Type": "Choice", "Choices": [
                        {"Variable": "$.c", "StringEquals": "y", "Next": "Y"}], "Default": "D"},
                    "input": input}),
                expected: json!({"status": "SUCCEEDED", "output": input, "nextState": "D"}),
            },
            Case {
                name: "choice: no match and no Default",
                request: json!({
                    "definition": {"Type": "Choice", "Choices": [
                        {"Variable": "$.c", "StringEquals": "y", "Next": "Y"}]},
                    "input": input}),
                expected: json!({"status": "FAILED", "error": "States.NoChoiceMatched",
                    "cause": "No Matches!"}),
            },
            Case {
                name: "choice: JSONata condition and rule Output",
                request: json!({
                    "definition": {"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [
                        {"Condition": "{% $states.input.a.b = 1 %}", "Output": "{% $states.input.c %}",
                         "Next": "One"}], "Default": "D"},
                    "input": input}),
                expected: json!({"status": "SUCCEEDED", "output": "x", "nextState": "One"}),
            },
            Case {
                name: "wait: answers at once with the next state",
                request: json!({"definition": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
                    "input": input}),
                expected: json!({"status": "SUCCEEDED", "output": input, "nextState": "After"}),
            },
            Case {
                name: "wait: a SecondsPath that is not a number",
                request: json!({"definition": {"Type": "Wait", "SecondsPath": "$.c", "End": true},
                    "input": input}),
                expected: json!({"status": "FAILED", "error": "States.Runtime",
                    "cause": "The SecondsPath parameter cannot be parsed as a long value: $.c == \"x\""}),
            },
        ],
        &env(),
    );
}

#[test]
fn tasks() {
    let lambda = "arn:aws:states:::lambda:invoke";
    let input = json!({"n": 2});
    check(
        &[
            Case {
                name: "mocked result through Parameters, ResultSelector, ResultPath, OutputPath",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda,
                        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                        "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.out",
                        "OutputPath": "$.out", "Next": "N"},
                    "input": input, "inspectionLevel": "DEBUG",
                    "mock": {"result": {"Payload": {"ok": true}, "StatusCode": 200}}}),
                expected: json!({"status": "SUCCEEDED", "output": {"p": {"ok": true}}, "nextState": "N",
                    "inspectionData": {"input": input, "afterInputPath": input,
                        "afterParameters": {"FunctionName": "f", "Payload": {"n": 2}},
                        "result": {"Payload": {"ok": true}, "StatusCode": 200},
                        "afterResultSelector": {"p": {"ok": true}},
                        "afterResultPath": {"n": 2, "out": {"p": {"ok": true}}}}}),
            },
            Case {
                name: "JSONata Arguments and Output",
                request: json!({
                    "definition": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": lambda,
                        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.n * 2 %}"},
                        "Output": "{% $states.result.Payload %}", "End": true},
                    "input": input, "inspectionLevel": "TRACE",
                    "mock": {"result": {"Payload": 4}}}),
                expected: json!({"status": "SUCCEEDED", "output": 4,
                    "inspectionData": {"input": input,
                        "afterArguments": {"FunctionName": "f", "Payload": 4},
                        "result": {"Payload": 4}}}),
            },
            Case {
                name: "mocked error caught: ResultPath keeps the input",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda, "Parameters": {"FunctionName": "f"},
                        "Catch": [{"ErrorEquals": ["Other"], "Next": "A"},
                                  {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "B"}],
                        "End": true},
                    "input": input, "inspectionLevel": "DEBUG",
                    "mock": {"errorOutput": {"error": "Boom", "cause": "it broke"}}}),
                expected: json!({"status": "CAUGHT_ERROR", "error": "Boom", "cause": "it broke",
                    "nextState": "B",
                    "output": {"n": 2, "err": {"Error": "Boom", "Cause": "it broke"}},
                    "inspectionData": {"input": input, "afterInputPath": input,
                        "afterParameters": {"FunctionName": "f"}, "errorDetails": {"catchIndex": 1}}}),
            },
            Case {
                name: "retriable: back-off of the third retry, capped by MaxDelaySeconds",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda, "Parameters": {"FunctionName": "f"},
                        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 2.0,
                                   "MaxAttempts": 5, "MaxDelaySeconds": 10}],
                        "End": true},
                    "input": input, "inspectionLevel": "DEBUG",
                    "stateConfiguration": {"retrierRetryCount": 2},
                    "mock": {"errorOutput": {"error": "Boom", "cause": "again"}}}),
                expected: json!({"status": "RETRIABLE", "error": "Boom", "cause": "again",
                    "inspectionData": {"input": input, "afterInputPath": input,
                        "afterParameters": {"FunctionName": "f"},
                        "errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 10}}}),
            },
            Case {
                name: "retries used up: the catcher decides",
                request: json!({
                    "definition": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": lambda,
                        "Arguments": {"FunctionName": "f"},
                        "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
                        "Catch": [{"ErrorEquals": ["Boom"], "Output": "{% $states.errorOutput.Cause %}",
                                   "Next": "Handle"}],
                        "End": true},
                    "input": input, "inspectionLevel": "DEBUG",
                    "stateConfiguration": {"retrierRetryCount": 2},
                    "mock": {"errorOutput": {"error": "Boom", "cause": "third time"}}}),
                expected: json!({"status": "CAUGHT_ERROR", "error": "Boom", "cause": "third time",
                    "nextState": "Handle", "output": "third time",
                    "inspectionData": {"input": input, "afterArguments": {"FunctionName": "f"},
                        "errorDetails": {"retryIndex": 0, "catchIndex": 0}}}),
            },
            Case {
                name: "States.Runtime is neither retried nor caught",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda, "InputPath": "$.missing",
                        "Retry": [{"ErrorEquals": ["States.ALL"]}],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true},
                    "input": input, "mock": {"result": {}}}),
                expected: json!({"status": "FAILED", "error": "States.Runtime",
                    "cause": "Invalid path '$.missing' : No results for path: $['missing']"}),
            },
            Case {
                name: "callback task: the mock stands for SendTaskSuccess; $$.Task.Token exists",
                request: json!({
                    "definition": {"Type": "Task", "QueryLanguage": "JSONata",
                        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                        "Arguments": {"QueueUrl": "q",
                                      "MessageBody": "{% $exists($states.context.Task.Token) %}"},
                        "Output": "{% $states.input %}", "End": true},
                    "input": input, "inspectionLevel": "DEBUG", "mock": {"result": {"any": "thing"}}}),
                expected: json!({"status": "SUCCEEDED", "output": input,
                    "inspectionData": {"input": input,
                        "afterArguments": {"QueueUrl": "q", "MessageBody": true},
                        "result": {"any": "thing"}}}),
            },
            Case {
                name: "no mock: the caller makes the call",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda,
                        "Parameters": {"FunctionName": "f", "Payload.$": "$.n"}, "End": true},
                    "input": input}),
                expected: json!({"call": {"resource": lambda, "input": {"FunctionName": "f", "Payload": 2}}}),
            },
            Case {
                name: "a supplied context object replaces the made-up one",
                request: json!({
                    "definition": {"Type": "Task", "Resource": lambda,
                        "Parameters": {"FunctionName.$": "$$.Execution.Name"}, "ResultSelector": {"ctx.$": "$$"},
                        "End": true},
                    "input": input, "context": {"Execution": {"Name": "mine"}},
                    "mock": {"result": {}}}),
                expected: json!({"status": "SUCCEEDED", "output": {"ctx": {"Execution": {"Name": "mine"}}}}),
            },
        ],
        &env(),
    );
}

#[test]
fn a_task_resumed_with_the_services_answer() {
    let req = request(json!({
        "definition": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "ResultSelector": {"v.$": "$.Payload"},
            "Catch": [{"ErrorEquals": ["Lambda.Unknown"], "Next": "Oops"}], "Next": "Then"},
        "input": {}}));
    let outcomes = [
        (
            TaskOutcome::Succeeded(json!({"Payload": 5})),
            json!({"status": "SUCCEEDED", "output": {"v": 5}, "nextState": "Then"}),
        ),
        (
            TaskOutcome::Failed {
                error: Some("Lambda.Unknown".into()),
                cause: Some("c".into()),
            },
            json!({"status": "CAUGHT_ERROR", "error": "Lambda.Unknown", "cause": "c",
                   "nextState": "Oops", "output": {"Error": "Lambda.Unknown", "Cause": "c"}}),
        ),
    ];
    for (outcome, expected) in outcomes {
        let Ok(TestStateStep::Task(pending)) = test_state(&req, &env()) else {
            panic!("a Task without a mock asks for the call");
        };
        assert_eq!(response_json(&pending.resume(outcome)), expected);
    }
}

#[test]
fn parallel_and_map_with_mocks() {
    let branches = json!([
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]);
    let processor = json!({"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": true}}});
    let input = json!({"items": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}], "k": "v"});
    check(
        &[
            Case {
                name: "parallel: the mock is the branches' results",
                request: json!({
                    "definition": {"Type": "Parallel", "Branches": branches,
                        "ResultSelector": {"first.$": "$[0]"}, "ResultPath": "$.r", "End": true},
                    "input": input, "inspectionLevel": "DEBUG", "mock": {"result": [1, 2]}}),
                expected: json!({"status": "SUCCEEDED",
                    "output": {"items": input["items"], "k": "v", "r": {"first": 1}},
                    "inspectionData": {"input": input, "afterResultSelector": {"first": 1},
                        "afterResultPath": {"items": input["items"], "k": "v", "r": {"first": 1}}}}),
            },
            Case {
                name: "map: items, selection and settings shown; the mock is the result",
                request: json!({
                    "definition": {"Type": "Map", "ItemProcessor": processor, "ItemsPath": "$.items",
                        "ItemSelector": {"id.$": "$$.Map.Item.Value.id", "k.$": "$.k"},
                        "MaxConcurrency": 2, "ToleratedFailurePercentage": 50, "End": true},
                    "input": input, "inspectionLevel": "DEBUG", "mock": {"result": ["a", "b", "c", "d"]}}),
                expected: json!({"status": "SUCCEEDED", "output": ["a", "b", "c", "d"],
                    "inspectionData": {"input": input, "afterInputPath": input,
                        "afterItemsPath": input["items"],
                        "afterItemSelector": [{"id": 1, "k": "v"}, {"id": 2, "k": "v"},
                                              {"id": 3, "k": "v"}, {"id": 4, "k": "v"}],
                        "afterResultSelector": ["a", "b", "c", "d"],
                        "afterResultPath": ["a", "b", "c", "d"],
                        "maxConcurrency": 2, "toleratedFailurePercentage": 50.0}}),
            },
            Case {
                name: "map: failures within the tolerated percentage",
                request: json!({
                    "definition": {"Type": "Map", "ItemProcessor": processor, "ItemsPath": "$.items",
                        "ToleratedFailurePercentage": 50, "End": true},
                    "input": input, "stateConfiguration": {"mapIterationFailureCount": 2},
                    "mock": {"result": [1, 2, 3, 4]}}),
                expected: json!({"status": "SUCCEEDED", "output": [1, 2, 3, 4]}),
            },
            Case {
                name: "map: failures past the tolerated count are caught",
                request: json!({
                    "definition": {"Type": "Map", "QueryLanguage": "JSONata", "ItemProcessor": processor,
                        "Items": "{% $states.input.items %}", "ToleratedFailureCount": 1,
                        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                                   "Output": "{% $states.errorOutput.Error %}", "Next": "TooMany"}],
                        "End": true},
                    "input": input, "stateConfiguration": {"mapIterationFailureCount": 2},
                    "inspectionLevel": "DEBUG", "mock": {"result": [1, 2, 3, 4]}}),
                expected: json!({"status": "CAUGHT_ERROR",
                    "error": "States.ExceedToleratedFailureThreshold",
                    "cause": "The specified tolerated failure threshold was exceeded",
                    "nextState": "TooMany", "output": "States.ExceedToleratedFailureThreshold",
                    "inspectionData": {"input": input, "maxConcurrency": 0,
                        "toleratedFailureCount": 1, "errorDetails": {"catchIndex": 0}}}),
            },
            Case {
                name: "map: items that are not an array",
                request: json!({
                    "definition": {"Type": "Map", "ItemProcessor": processor, "ItemsPath": "$.k", "End": true},
                    "input": input, "mock": {"result": []}}),
                expected: json!({"status": "FAILED", "error": "States.Runtime",
                    "cause": "Reference path \"$.k\" must point to array."}),
            },
            Case {
                name: "map: a ResultWriter's result is an object",
                request: json!({
                    "definition": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                        "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                        "ItemsPath": "$.items",
                        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                         "Parameters": {"Bucket": "b", "Prefix": "p"}}, "End": true},
                    "input": input, "mock": {"result": {"ResultWriterDetails": {"Bucket": "b"}}}}),
                expected: json!({"status": "SUCCEEDED", "output": {"ResultWriterDetails": {"Bucket": "b"}}}),
            },
            Case {
                name: "map in a machine: items from mapItemReaderData",
                request: json!({
                    "definition": {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
                        "Type": "Map", "ItemReader": {"ReaderConfig": {"InputType": "JSON"},
                            "Resource": "arn:aws:states:::s3:getObject",
                            "Arguments": {"Bucket": "b", "Key": "k"}},
                        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                        "ToleratedFailureCount": 0,
                        "End": true}}},
                    "stateName": "M", "input": {},
                    "stateConfiguration": {"mapItemReaderData": [1, 2], "mapIterationFailureCount": 1},
                    "mock": {"result": [1, 2]}}),
                expected: json!({"status": "FAILED",
                    "error": "States.ExceedToleratedFailureThreshold",
                    "cause": "The specified tolerated failure threshold was exceeded"}),
            },
        ],
        &env(),
    );
}

#[test]
fn states_picked_out_of_a_machine() {
    let machine = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "Next": "P"},
        "P": {"Type": "Parallel", "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "ResultPath": "$.seen", "Next": "Last"},
                                            "Last": {"Type": "Succeed"}}}],
            "End": true}}});
    check(
        &[
            Case {
                name: "top-level state",
                request: json!({"definition": machine, "stateName": "A", "input": {}}),
                expected: json!({"status": "SUCCEEDED", "output": 1, "nextState": "P"}),
            },
            Case {
                name: "a state inside a Parallel branch, with its Next",
                request: json!({"definition": machine, "stateName": "Inner", "input": {"x": 1}}),
                expected: json!({"status": "SUCCEEDED", "output": {"x": 1, "seen": {"x": 1}},
                    "nextState": "Last"}),
            },
        ],
        &env(),
    );
}

#[test]
fn requests_refused() {
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "End": true});
    let refusal = |code: &str, message: &str| json!({"code": code, "message": message});
    check(
        &[
            Case {
                name: "definition is not JSON",
                request: json!({"definition": "{\"Type\": ", "input": {}}),
                expected: refusal("InvalidDefinition",
                    "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Unexpected end-of-input: expected a valid value at null'"),
            },
            Case {
                name: "stateName not in the machine",
                request: json!({"definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    "stateName": "B"}),
                expected: refusal("ValidationException", "State not found in definition"),
            },
            Case {
                name: "a Map without a mock",
                request: json!({"definition": {"Type": "Map", "ItemProcessor": {"StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}),
                expected: refusal("InvalidDefinition",
                    "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"),
            },
            Case {
                name: "a mock on a Pass state",
                request: json!({"definition": {"Type": "Pass", "End": true}, "mock": {"result": 1}}),
                expected: refusal("ValidationException",
                    "State type 'Pass' is not supported when a mock is specified"),
            },
            Case {
                name: "a mock with both a result and an error",
                request: json!({"definition": task,
                    "mock": {"result": {}, "errorOutput": {"error": "E"}}}),
                expected: refusal("ValidationException",
                    "A test mock should have only one of the following fields: [result, errorOutput]."),
            },
            Case {
                name: "a mock with neither a result nor an error",
                request: json!({"definition": task, "mock": {"fieldValidationMode": "NONE"}}),
                expected: refusal("ValidationException",
                    "A test mock should have one of the following fields: [result, errorOutput]."),
            },
            Case {
                name: "revealSecrets with a mock",
                request: json!({"definition": task, "revealSecrets": true, "mock": {"result": {}}}),
                expected: refusal("ValidationException",
                    "TestState does not support RevealSecrets when a mock is specified."),
            },
            Case {
                name: "mapIterationFailureCount without a mock",
                request: json!({"definition": task, "stateConfiguration": {"mapIterationFailureCount": 1}}),
                expected: refusal("ValidationException",
                    "TestState does not support MapIterationFailureCount when a mock is not specified."),
            },
            Case {
                name: "a context object without a mock",
                request: json!({"definition": {"Type": "Pass", "End": true},
                    "context": {"State": {"RetryCount": 1}}}),
                expected: refusal("ValidationException",
                    "TestState does not support Context when a mock is not specified."),
            },
            Case {
                name: "input that is not JSON",
                request: json!({"definition": {"Type": "Pass", "End": true}, "input": "{'a': 1}"}),
                expected: refusal("InvalidExecutionInput",
                    "Invalid State Machine Execution Input: 'Unexpected character (''' (code 39)): was expecting double-quote to start field name'"),
            },
            Case {
                name: "a context object with a member AWS does not know",
                request: json!({"definition": task, "context": {"State": {"Retries": 1}},
                    "mock": {"result": {}}}),
                expected: refusal("ValidationException",
                    "Invalid Context object provided: Field 'Retries' is not allowed"),
            },
            Case {
                name: "a context object with a member of the wrong type",
                request: json!({"definition": task, "context": {"State": {"RetryCount": "1"}},
                    "mock": {"result": {}}}),
                expected: refusal("ValidationException",
                    "Invalid Context object provided: State.RetryCount must be an integer"),
            },
        ],
        &env(),
    );
}

#[test]
fn mocked_results_checked_against_the_api_model() {
    // A service of our own, in botocore's format, added next to the built-in models.
    let model = json!({
        "operations": {"GetThing": {"output": {"shape": "GetThingOutput"}}},
        "shapes": {
            "GetThingOutput": {"type": "structure", "required": ["thingId"],
                "members": {"thingId": {"shape": "Id"}, "size": {"shape": "Size"},
                            "color": {"shape": "Color"}, "tags": {"shape": "Tags"}}},
            "Id": {"type": "string", "min": 3},
            "Size": {"type": "integer", "min": 1, "max": 10},
            "Color": {"type": "string", "enum": ["RED", "BLUE"]},
            "Tags": {"type": "list", "member": {"shape": "Tag"}},
            "Tag": {"type": "structure", "members": {"key": {"shape": "Key"}}},
            "Key": {"type": "string"}
        }
    });
    let Some(mut models) = botocore::models() else {
        return;
    };
    models.insert(
        "things",
        ServiceModel::from_botocore(&model).expect("a botocore model"),
    );
    let mut env = env();
    env.models = Arc::new(models);
    let task = |resource: &str| json!({"Type": "Task", "Resource": resource, "End": true});
    let things = task("arn:aws:states:::aws-sdk:things:getThing");
    let error = |m: &str| {
        json!({"code": "ValidationException",
               "message": format!("Mock result schema validation error: {m}")})
    };
    let ok = |v: Value| json!({"status": "SUCCEEDED", "output": v});
    let mock = |v: Value, mode: Option<&str>| {
        let mut m = Map::new();
        m.insert("result".into(), v);
        if let Some(mode) = mode {
            m.insert("fieldValidationMode".into(), json!(mode));
        }
        Value::Object(m)
    };
    let case = |name, v: Value, mode, expected| Case {
        name,
        request: json!({"definition": things, "mock": mock(v, mode)}),
        expected,
    };
    check(
        &[
            case(
                "all fine",
                json!({"ThingId": "abc", "Size": 3, "Color": "RED"}),
                None,
                ok(json!({"ThingId": "abc", "Size": 3, "Color": "RED"})),
            ),
            case(
                "STRICT: a required member is missing",
                json!({"Size": 3}),
                None,
                error("Required field 'ThingId' is missing"),
            ),
            case(
                "PRESENT: missing members are fine",
                json!({"Size": 3}),
                Some("PRESENT"),
                ok(json!({"Size": 3})),
            ),
            case(
                "members the model does not know are let through",
                json!({"ThingId": "abc", "Extra": [1]}),
                None,
                ok(json!({"ThingId": "abc", "Extra": [1]})),
            ),
            case(
                "a string too short",
                json!({"ThingId": "ab"}),
                None,
                error("Field 'ThingId' is smaller than the minimum length"),
            ),
            case(
                "an integer as text",
                json!({"ThingId": "abc", "Size": "3"}),
                None,
                error("Field 'Size' must be a number"),
            ),
            case(
                "an integer below its minimum",
                json!({"ThingId": "abc", "Size": 0}),
                None,
                error("Field 'Size' is less than the minimum value"),
            ),
            case(
                "an integer above its maximum",
                json!({"ThingId": "abc", "Size": 11}),
                None,
                error("Field 'Size' exceeds the maximum value"),
            ),
            case(
                "a value outside the enum",
                json!({"ThingId": "abc", "Color": "GREEN"}),
                None,
                error("Field 'Color' is not an expected value"),
            ),
            case(
                "a nested member of the wrong type",
                json!({"ThingId": "abc", "Tags": [{"Key": 1}]}),
                None,
                error("Field 'Key' must be a string"),
            ),
            case(
                "a list that is not an array",
                json!({"ThingId": "abc", "Tags": {}}),
                None,
                error("Field 'Tags' must be an array"),
            ),
            case(
                "NONE checks nothing",
                json!({"Size": "big"}),
                Some("NONE"),
                ok(json!({"Size": "big"})),
            ),
            Case {
                name: "the optimized Lambda integration returns its Payload as JSON",
                request: json!({"definition": task("arn:aws:states:::lambda:invoke"),
                    "mock": {"result": {"Payload": {"a": 1}, "StatusCode": 200}}}),
                expected: ok(json!({"Payload": {"a": 1}, "StatusCode": 200})),
            },
            Case {
                name: "the SDK's Lambda integration returns it as a blob",
                request: json!({"definition": task("arn:aws:states:::aws-sdk:lambda:invoke"),
                    "mock": {"result": {"Payload": {"a": 1}}}}),
                expected: error("Field 'Payload' must be a string"),
            },
            Case {
                name: ".sync results are not the API's response: not checked",
                request: json!({"definition": task("arn:aws:states:::states:startExecution.sync:2"),
                    "mock": {"result": {"Status": 1}}}),
                expected: ok(json!({"Status": 1})),
            },
        ],
        &env,
    );
}

/// A supplied context object by member and value class. The rules (their words are AWS's
/// recorded refusals: "Field 'pokemon' is not allowed", "Execution.Id must be a string",
/// "'Map' field is not supported when mocking a Context object"): the context is an object of
/// the context object's own members (`Execution`, `State`, `StateMachine`, `Task`; not `Map`),
/// each an object (or null) of its own fields; a text field takes a string or null, a count
/// (`RetryCount`, `RedriveCount`) a whole number or null, with no conversion from other types
/// (a numeric string is no count); `Execution.Input` takes any value.
#[test]
fn context_members_by_value_class() {
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "End": true});
    let classes: [(&str, Value); 9] = [
        ("string", json!("x")),
        ("empty string", json!("")),
        ("numeric string", json!("1")),
        ("integer", json!(1)),
        ("non-integer", json!(1.5)),
        ("boolean", json!(true)),
        ("null", json!(null)),
        ("array", json!([1])),
        ("object", json!({"a": 1})),
    ];
    let text = |class: &str| matches!(class, "string" | "empty string" | "numeric string" | "null");
    let count = |class: &str| matches!(class, "integer" | "null");
    // (member, field, which classes it takes, what it must be otherwise)
    type Field<'a> = (&'a str, &'a str, &'a dyn Fn(&str) -> bool, &'a str);
    let fields: [Field; 5] = [
        ("Execution", "Id", &text, "a string"),
        ("Execution", "RedriveCount", &count, "an integer"),
        ("State", "Name", &text, "a string"),
        ("State", "RetryCount", &count, "an integer"),
        ("Task", "Token", &text, "a string"),
    ];
    let mut failures = Vec::new();
    let mut cells = 0;
    let refusal = |message: String| json!({"code": "ValidationException", "message": message});
    for (member, field, takes, must_be) in fields {
        for (class, value) in &classes {
            cells += 1;
            let context = json!({ member: { field: value } });
            let got = answer(
                &request(json!({"definition": task, "context": context,
                    "mock": {"result": {"ok": true}}})),
                &env(),
            );
            let accepted = got.get("status").is_some();
            let expected_refusal = refusal(format!(
                "Invalid Context object provided: {member}.{field} must be {must_be}"
            ));
            let ok = if takes(class) {
                accepted
            } else {
                got == expected_refusal
            };
            if !ok {
                failures.push(format!("{member}.{field} × {class}: {got}"));
            }
        }
    }
    // Execution.Input takes anything.
    for (class, value) in &classes {
        cells += 1;
        let got = answer(
            &request(
                json!({"definition": task, "context": {"Execution": {"Input": value}},
                "mock": {"result": {"ok": true}}}),
            ),
            &env(),
        );
        if got.get("status").is_none() {
            failures.push(format!("Execution.Input × {class}: {got}"));
        }
    }
    assert_eq!(cells, 6 * 9);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
