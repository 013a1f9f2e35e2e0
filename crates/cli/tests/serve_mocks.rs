//! `baton serve --mock-config` (or `SFN_MOCK_CONFIG`) as Step Functions Local serves mocked
//! responses: `STATE_MACHINE_ARN#TestCase` runs that test case, a plain ARN the real resources;
//! retries count invocations; the responses survive a kill -9; a malformed file stops the
//! server. And Step Functions Local's `AWS_ACCOUNT_ID` / `AWS_DEFAULT_REGION`.

mod support;

use std::process::{Command, Stdio};

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateMachineType};
use serde_json::{json, Value};
use support::server::{create_machine, event_types, finished, http_post, start, Server};

const ACCOUNT: &str = "111111111111";

/// A payment, retried on a busy service and caught when declined, then a notification.
fn orders() -> Value {
    json!({
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:charge",
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Refused"}],
                "ResultPath": "$.charge",
                "Next": "Notify"
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/q", "MessageBody.$": "$.charge"},
                "ResultSelector": {"id.$": "$.MessageId"},
                "ResultPath": "$.sent",
                "End": true
            },
            "Refused": {"Type": "Fail", "Error": "Refused", "Cause": "card declined"}
        }
    })
}

/// A state visited twice, a Wait between the visits.
fn twice() -> Value {
    json!({
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:111111111111:function:charge",
                "ResultPath": "$.last",
                "Next": "Check"
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.last.n", "NumericEquals": 2, "Next": "Done"}],
                "Default": "Pause"
            },
            "Pause": {"Type": "Wait", "Seconds": 3, "Next": "Charge"},
            "Done": {"Type": "Succeed"}
        }
    })
}

/// An activity that does not exist: a mocked state never calls it.
fn worker() -> Value {
    json!({
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:us-east-1:111111111111:activity:nobody",
                "End": true
            }
        }
    })
}

fn mock_config() -> Value {
    json!({
        "StateMachines": {
            "orders": {"TestCases": {
                "Happy": {"Charge": "ChargeOk", "Notify": "Sent"},
                "Flaky": {"Charge": "ChargeFlaky", "Notify": "Sent"},
                "Declined": {"Charge": "ChargeDeclined"}
            }},
            "orders-express": {"TestCases": {"Happy": {"Charge": "ChargeOk", "Notify": "Sent"}}},
            "twice": {"TestCases": {"Count": {"Charge": "Counted"}}},
            "worker": {"TestCases": {"Done": {"Work": "Worked"}}}
        },
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"paid": 10}}},
            "ChargeFlaky": {
                "0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "busy"}},
                "2": {"Return": {"paid": 10}}
            },
            "ChargeDeclined": {"0": {"Throw": {"Error": "Declined", "Cause": "no funds"}}},
            "Sent": {"0": {"Return": {"MessageId": "m-1"}}},
            "Counted": {"0": {"Return": {"n": 1}}, "1": {"Return": {"n": 2}}},
            "Worked": {"0": {"Return": {"done": true}}}
        }
    })
}

fn write_mocks(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("MockConfigFile.json");
    std::fs::write(&path, mock_config().to_string()).expect("write the mock configuration");
    path
}

/// StartExecution on `arn`, which must be refused with `InvalidArn`: the error.
async fn refused_start(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> aws_sdk_sfn::error::SdkError<aws_sdk_sfn::operation::start_execution::StartExecutionError> {
    let err = client
        .start_execution()
        .state_machine_arn(arn)
        .send()
        .await
        .expect_err("a start to refuse");
    assert_eq!(err.code(), Some("InvalidArn"), "{err:?}");
    err
}

fn count(types: &[HistoryEventType], t: HistoryEventType) -> usize {
    types.iter().filter(|x| **x == t).count()
}

fn output(d: &aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput) -> Value {
    serde_json::from_str(d.output.as_deref().expect("an output")).expect("JSON output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_cases_answer_their_states_and_plain_arns_run_the_resources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mocks = write_mocks(dir.path());
    // Retry intervals end at once; the attempts still count.
    let server = Server::start(
        &dir.path().join("data"),
        &[
            "--mock-config",
            mocks.to_str().unwrap(),
            "--wait-time-scale",
            "0",
            // The account of the unsigned StartSyncExecution below.
            "--account",
            ACCOUNT,
        ],
    );
    let client = server.client(ACCOUNT);
    let machine = create_machine(&client, "orders", &orders()).await;
    let input = Some(json!({"order": 7}).to_string());

    let happy = start(&client, &format!("{machine}#Happy"), input.clone()).await;
    let d = finished(&client, &happy).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    assert_eq!(
        output(&d),
        json!({"order": 7, "charge": {"paid": 10}, "sent": {"id": "m-1"}})
    );
    // The execution is the machine's, named without the test case.
    assert_eq!(d.state_machine_arn, machine);
    let types = event_types(&client, &happy).await;
    use HistoryEventType as T;
    assert_eq!(count(&types, T::LambdaFunctionScheduled), 1);
    assert_eq!(count(&types, T::LambdaFunctionSucceeded), 1);
    assert_eq!(count(&types, T::TaskSucceeded), 1);

    // Attempts 0 and 1 throw, the Retry's two retries take attempt 2.
    let flaky = start(&client, &format!("{machine}#Flaky"), input.clone()).await;
    let d = finished(&client, &flaky).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    let types = event_types(&client, &flaky).await;
    assert_eq!(count(&types, T::LambdaFunctionFailed), 2);
    assert_eq!(count(&types, T::LambdaFunctionSucceeded), 1);

    // A thrown error reaches the Catch by its name.
    let declined = start(&client, &format!("{machine}#Declined"), input.clone()).await;
    let d = finished(&client, &declined).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("Refused"));

    // A plain ARN calls the real function, which this server does not have.
    let real = start(&client, &machine, input.clone()).await;
    let d = finished(&client, &real).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        d.error.as_deref(),
        Some("Lambda.ResourceNotFoundException"),
        "{d:?}"
    );

    // A test case the file does not have is refused before anything runs.
    let err = refused_start(&client, &format!("{machine}#Nope")).await;
    assert!(
        err.message().unwrap_or_default().contains("\"Nope\""),
        "{err:?}"
    );

    // StartSyncExecution on an Express machine.
    let express = client
        .create_state_machine()
        .name("orders-express")
        .definition(orders().to_string())
        .role_arn("arn:aws:iam::111111111111:role/baton")
        .r#type(StateMachineType::Express)
        .send()
        .await
        .expect("create express")
        .state_machine_arn;
    // Sent as a client that adds no `sync-` prefix to the host.
    let (status, sync) = http_post(
        &server.endpoint,
        "StartSyncExecution",
        &json!({"stateMachineArn": format!("{express}#Happy"), "input": json!({"order": 8}).to_string()}),
    );
    assert_eq!(status, 200, "{sync}");
    assert_eq!(sync["status"], "SUCCEEDED", "{sync}");
    assert_eq!(
        serde_json::from_str::<Value>(sync["output"].as_str().unwrap()).unwrap(),
        json!({"order": 8, "charge": {"paid": 10}, "sent": {"id": "m-1"}})
    );

    // A mocked activity needs no activity and no worker.
    let worker = create_machine(&client, "worker", &worker()).await;
    let done = start(&client, &format!("{worker}#Done"), None).await;
    let d = finished(&client, &done).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    assert_eq!(output(&d), json!({"done": true}));
    let types = event_types(&client, &done).await;
    assert_eq!(count(&types, T::ActivityStarted), 1);
    // Without the test case the missing activity fails the state, as on AWS.
    let plain = start(&client, &worker, None).await;
    assert_eq!(
        finished(&client, &plain).await.status,
        ExecutionStatus::Failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_are_counted_across_a_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mocks = write_mocks(dir.path());
    let data = dir.path().join("data");
    let mocks = mocks.to_str().unwrap().to_string();
    // From the environment variable Step Functions Local reads.
    let vars = [("SFN_MOCK_CONFIG", mocks.as_str())];
    let server = Server::start_env(&data, &[], &vars);
    let client = server.client(ACCOUNT);
    let machine = create_machine(&client, "twice", &twice()).await;
    let arn = start(&client, &format!("{machine}#Count"), None).await;
    // Killed while it waits between the first and the second invocation.
    for _ in 0..200 {
        if event_types(&client, &arn)
            .await
            .contains(&HistoryEventType::WaitStateEntered)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    server.kill_9();
    let server = Server::start_env(&data, &[], &vars);
    let client = server.client(ACCOUNT);
    let d = finished(&client, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    assert_eq!(output(&d), json!({"last": {"n": 2}}));
    // The second visit took response 1: a count started again would have looped once more.
    let types = event_types(&client, &arn).await;
    assert_eq!(count(&types, HistoryEventType::LambdaFunctionScheduled), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_case_needs_a_mock_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"), &[]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(&client, "orders", &orders()).await;
    refused_start(&client, &format!("{machine}#Happy")).await;
}

#[test]
fn a_malformed_mock_configuration_stops_the_server_where_it_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mocks.json");
    std::fs::write(
        &path,
        json!({
            "StateMachines": {"m": {"TestCases": {"c": {"S": "Missing"}}}},
            "MockedResponses": {}
        })
        .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--s3-bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--mock-config")
        .arg(&path)
        .env_remove("AWS_ACCOUNT_ID")
        .env_remove("AWS_DEFAULT_REGION")
        .stdin(Stdio::null())
        .output()
        .expect("baton serve runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("/StateMachines/m/TestCases/c/S"),
        "{stderr}"
    );
    assert!(stderr.contains("\"Missing\""), "{stderr}");
}

#[test]
fn the_account_and_region_come_from_step_functions_locals_variables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_env(
        &dir.path().join("data"),
        &[],
        &[
            ("AWS_ACCOUNT_ID", "210987654321"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ],
    );
    // An unsigned request acts in the default account and region.
    let (status, body) = http_post(
        &server.endpoint,
        "CreateStateMachine",
        &json!({
            "name": "here",
            "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string(),
            "roleArn": "arn:aws:iam::210987654321:role/baton"
        }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["stateMachineArn"],
        "arn:aws:states:eu-west-1:210987654321:stateMachine:here"
    );
}
