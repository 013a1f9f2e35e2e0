//! The `json` protocol (awsJson 1.0 and 1.1) against botocore's models of DynamoDB, SQS
//! (1.0), EventBridge, Glue and ECS (1.1). Expected requests are what botocore 1.43.11
//! serialises for the same input.

mod protocol_support;

use baton_aws::protocol::{parse, serialize};
use serde_json::json;

use protocol_support::*;

#[test]
fn dynamodb_put_item() {
    let Some(model) = botocore_model("dynamodb") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "PutItem"),
        &json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": "hi"}},
                "ReturnValues": "ALL_OLD"}),
    )
    .unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/");
    assert_eq!(
        header(&req, "X-Amz-Target"),
        Some("DynamoDB_20120810.PutItem")
    );
    assert_eq!(
        header(&req, "Content-Type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(
        body_json(&req),
        json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": "aGk="}},
               "ReturnValues": "ALL_OLD"})
    );
    assert_eq!(req.host_prefix, None);
}

#[test]
fn dynamodb_empty_input_is_an_empty_object() {
    let Some(model) = botocore_model("dynamodb") else {
        return;
    };
    let req = serialize(&model, op(&model, "ListTables"), &serde_json::Value::Null).unwrap();
    assert_eq!(body_text(&req), "{}");
}

#[test]
fn dynamodb_answers_and_errors() {
    let Some(model) = botocore_model("dynamodb") else {
        return;
    };
    let get = op(&model, "GetItem");
    let answer = response(
        200,
        &[("x-amzn-RequestId", "R1")],
        r#"{"Item": {"pk": {"S": "a"}, "b": {"B": "aGk="}, "l": {"L": [{"N": "1"}, {"NULL": true}]}},
            "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}}"#,
    );
    let result = parse(&model, get, &answer).unwrap();
    assert_eq!(
        result,
        json!({"Item": {"pk": {"S": "a"}, "b": {"B": "hi"}, "l": {"L": [{"N": "1"}, {"NULL": true}]}},
               "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}})
    );
    // The model's order, whatever the answer's.
    assert_eq!(keys(&result), ["Item", "ConsumedCapacity"]);

    // An answer without the item: nothing written for it.
    let result = parse(&model, get, &response(200, &[], "{}")).unwrap();
    assert_eq!(result, json!({}));

    let err = parse(
        &model,
        get,
        &response(
            400,
            &[("x-amzn-RequestId", "R2")],
            r#"{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                "message": "Requested resource not found"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ResourceNotFoundException");
    assert_eq!(err.message.as_deref(), Some("Requested resource not found"));
    assert_eq!(err.status, 400);
    assert_eq!(err.request_id.as_deref(), Some("R2"));

    // The service's own validation comes back as its error.
    let err = parse(
        &model,
        op(&model, "PutItem"),
        &response(
            400,
            &[],
            r#"{"__type": "com.amazon.coral.validate#ValidationException",
                "message": "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationException");
    assert!(err
        .message
        .unwrap()
        .starts_with("1 validation error detected"));
}

#[test]
fn sqs_send_and_receive() {
    let Some(model) = botocore_model("sqs") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "SendMessage"),
        &json!({"QueueUrl": "https://q", "MessageBody": "hi", "DelaySeconds": 3,
                "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "hi"}}}),
    )
    .unwrap();
    assert_eq!(header(&req, "X-Amz-Target"), Some("AmazonSQS.SendMessage"));
    assert_eq!(
        header(&req, "Content-Type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(
        body_json(&req),
        json!({"QueueUrl": "https://q", "MessageBody": "hi", "DelaySeconds": 3,
               "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "aGk="}}})
    );

    let result = parse(
        &model,
        op(&model, "ReceiveMessage"),
        &response(
            200,
            &[],
            r#"{"Messages": [{"MessageId": "m1", "ReceiptHandle": "h", "Body": "hello",
                "Attributes": {"SentTimestamp": "1700000000000"}}]}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Messages": [{"MessageId": "m1", "ReceiptHandle": "h", "Body": "hello",
               "Attributes": {"SentTimestamp": "1700000000000"}}]})
    );
    // An empty list the service sends is kept.
    let result = parse(
        &model,
        op(&model, "ReceiveMessage"),
        &response(200, &[], r#"{"Messages": []}"#),
    )
    .unwrap();
    assert_eq!(result, json!({"Messages": []}));

    // Query-compatible errors: the wire's code is kept.
    let err = parse(
        &model,
        op(&model, "SendMessage"),
        &response(
            400,
            &[("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender")],
            r#"{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "QueueDoesNotExist");
    assert_eq!(
        err.message.as_deref(),
        Some("The specified queue does not exist.")
    );
}

#[test]
fn events_put_events_timestamps_are_epoch_seconds() {
    let Some(model) = botocore_model("events") else {
        return;
    };
    let put = op(&model, "PutEvents");
    for time in [json!(1700000000), json!("2023-11-14T22:13:20Z")] {
        let req = serialize(
            &model,
            put,
            &json!({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": time}]}),
        )
        .unwrap();
        assert_eq!(header(&req, "X-Amz-Target"), Some("AWSEvents.PutEvents"));
        assert_eq!(
            header(&req, "Content-Type"),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(
            body_json(&req),
            json!({"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "Time": 1700000000}]})
        );
    }
    let result = parse(
        &model,
        put,
        &response(
            200,
            &[],
            r#"{"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}]}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}]})
    );
}

#[test]
fn glue_job_runs() {
    let Some(model) = botocore_model("glue") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "StartJobRun"),
        &json!({"JobName": "j", "Arguments": {"--a": "b"}, "Timeout": 5}),
    )
    .unwrap();
    assert_eq!(header(&req, "X-Amz-Target"), Some("AWSGlue.StartJobRun"));
    assert_eq!(
        body_json(&req),
        json!({"JobName": "j", "Arguments": {"--a": "b"}, "Timeout": 5})
    );

    let result = parse(
        &model,
        op(&model, "GetJobRun"),
        &response(
            200,
            &[],
            r#"{"JobRun": {"Id": "jr_1", "JobName": "j", "StartedOn": 1377219735.422,
                "CompletedOn": 1377219800, "JobRunState": "SUCCEEDED", "ExecutionTime": 65,
                "MaxCapacity": 0.0625}}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"JobRun": {"Id": "jr_1", "JobName": "j", "StartedOn": "2013-08-23T01:02:15.422Z",
               "CompletedOn": "2013-08-23T01:03:20Z", "JobRunState": "SUCCEEDED",
               "ExecutionTime": 65, "MaxCapacity": 0.0625}})
    );

    let err = parse(
        &model,
        op(&model, "GetJobRun"),
        &response(
            400,
            &[("x-amzn-RequestId", "R")],
            r#"{"__type": "EntityNotFoundException", "Message": "Job not found"}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "EntityNotFoundException");
    assert_eq!(err.message.as_deref(), Some("Job not found"));
}

#[test]
fn ecs_run_task() {
    let Some(model) = botocore_model("ecs") else {
        return;
    };
    let req = serialize(
        &model,
        op(&model, "RunTask"),
        &json!({"Cluster": "c", "TaskDefinition": "t", "Count": 1,
                "Overrides": {"ContainerOverrides": [{"Name": "n",
                    "Environment": [{"Name": "a", "Value": "b"}]}]}}),
    )
    .unwrap();
    assert_eq!(
        header(&req, "X-Amz-Target"),
        Some("AmazonEC2ContainerServiceV20141113.RunTask")
    );
    let mut body = body_json(&req);
    // RunTask's clientToken is an idempotency token: a fresh UUID when left out.
    let token = body.as_object_mut().unwrap().remove("clientToken").unwrap();
    assert_eq!(token.as_str().unwrap().len(), 36);
    assert_eq!(
        body,
        json!({"cluster": "c", "taskDefinition": "t", "count": 1,
               "overrides": {"containerOverrides": [{"name": "n",
                   "environment": [{"name": "a", "value": "b"}]}]}})
    );

    let result = parse(
        &model,
        op(&model, "RunTask"),
        &response(
            200,
            &[],
            r#"{"tasks": [{"taskArn": "arn:t", "createdAt": 1.377219735E9, "lastStatus": "PROVISIONING",
                "containers": []}], "failures": []}"#,
        ),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"Tasks": [{"Containers": [], "CreatedAt": "2013-08-23T01:02:15Z",
               "LastStatus": "PROVISIONING", "TaskArn": "arn:t"}], "Failures": []})
    );

    let err = parse(
        &model,
        op(&model, "RunTask"),
        &response(
            400,
            &[(
                "x-amzn-ErrorType",
                "ClusterNotFoundException:http://internal.amazon.com/coral/",
            )],
            r#"{"message": "Cluster not found."}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(err.code, "ClusterNotFoundException");
    assert_eq!(err.message.as_deref(), Some("Cluster not found."));
}
