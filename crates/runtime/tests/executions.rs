//! Executions through the `StepFunctions` trait on a runtime over a real SQLite store: starting,
//! timers, activity workers, callbacks, stopping, Express, and resuming after a restart.

use std::sync::Arc;
use std::time::Duration;

use baton_api::model::*;
use baton_api::{ApiError, RequestContext, StepFunctions};
use baton_runtime::{Config, Runtime};
use baton_store::{Activity, MachineStatus, MachineType, Op, StateMachineRevision, Store};
use baton_store_sqlite::SqliteStore;
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn ctx() -> RequestContext {
    RequestContext::new(ACCOUNT, REGION)
}

async fn open(store: Arc<dyn Store>, poll: Duration) -> Arc<Runtime> {
    let config = Config {
        activity_poll: poll,
        ..Config::default()
    };
    Runtime::open(store, config).await.expect("open")
}

async fn setup() -> (tempfile::TempDir, Arc<dyn Store>, Arc<Runtime>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    (dir, store, rt)
}

/// Writes a state machine straight to the store (the control plane has its own tests).
async fn machine(store: &Arc<dyn Store>, name: &str, ty: MachineType, definition: Value) -> String {
    let arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}");
    let definition = definition.to_string();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/r");
    store
        .commit(
            vec![
                Op::CreateStateMachine(baton_store::StateMachine {
                    arn: arn.clone(),
                    name: name.into(),
                    account: ACCOUNT.into(),
                    region: REGION.into(),
                    definition: definition.clone(),
                    role_arn: role.clone(),
                    machine_type: ty,
                    status: MachineStatus::Active,
                    description: None,
                    logging_configuration: None,
                    tracing_configuration: None,
                    encryption_configuration: None,
                    revision_id: "r1".into(),
                    last_version_number: 0,
                    creation_date: 1,
                }),
                Op::PutRevision(StateMachineRevision {
                    state_machine_arn: arn.clone(),
                    revision_id: "r1".into(),
                    definition,
                    role_arn: role,
                    logging_configuration: None,
                    tracing_configuration: None,
                    encryption_configuration: None,
                    creation_date: 1,
                }),
            ]
            .into(),
        )
        .await
        .unwrap();
    arn
}

async fn activity(store: &Arc<dyn Store>, name: &str) -> String {
    let arn = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}");
    store
        .commit(
            vec![Op::CreateActivity(Activity {
                arn: arn.clone(),
                name: name.into(),
                account: ACCOUNT.into(),
                region: REGION.into(),
                encryption_configuration: None,
                creation_date: 1,
            })]
            .into(),
        )
        .await
        .unwrap();
    arn
}

async fn start(rt: &Runtime, machine: &str, name: &str, input: Value) -> String {
    rt.start_execution(
        &ctx(),
        StartExecutionInput {
            state_machine_arn: machine.into(),
            name: Some(name.into()),
            input: Some(input.to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("start")
    .execution_arn
}

async fn describe(rt: &Runtime, arn: &str) -> DescribeExecutionOutput {
    rt.describe_execution(
        &ctx(),
        DescribeExecutionInput {
            execution_arn: arn.into(),
            included_data: None,
        },
    )
    .await
    .expect("describe")
}

/// Waits (up to 20 s) until the execution is no longer running.
async fn finished(rt: &Runtime, arn: &str) -> DescribeExecutionOutput {
    for _ in 0..400 {
        let d = describe(rt, arn).await;
        if d.status != ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{arn} still running");
}

async fn history(rt: &Runtime, arn: &str) -> Vec<Value> {
    let out = rt
        .get_execution_history(
            &ctx(),
            GetExecutionHistoryInput {
                execution_arn: arn.into(),
                max_results: Some(1000),
                ..Default::default()
            },
        )
        .await
        .expect("history");
    out.events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// Ids run 1, 2, 3… with no gap and no repeat.
fn assert_ids_consecutive(events: &[Value]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["id"], json!(i + 1), "{events:#?}");
    }
}

/// Completes a task by its token with `output` (JSON text).
async fn succeed(rt: &Runtime, token: impl Into<String>, output: impl Into<String>) {
    rt.send_task_success(
        &ctx(),
        SendTaskSuccessInput {
            task_token: token.into(),
            output: output.into(),
        },
    )
    .await
    .expect("send task success");
}

async fn redrive(rt: &Runtime, arn: impl Into<String>) {
    rt.redrive_execution(
        &ctx(),
        RedriveExecutionInput {
            execution_arn: arn.into(),
            client_token: None,
        },
    )
    .await
    .expect("redrive");
}

/// The parameters of the first task the execution scheduled (its `TaskScheduled` event).
async fn scheduled_parameters(rt: &Runtime, arn: &str) -> Value {
    let events = history(rt, arn).await;
    // The latest: a redriven child's history holds its first attempt's too.
    let scheduled = events
        .iter()
        .rev()
        .find(|e| e["type"] == "TaskScheduled")
        .expect("scheduled");
    serde_json::from_str(
        scheduled["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

async fn describe_run(rt: &Runtime, map_run_arn: impl Into<String>) -> DescribeMapRunOutput {
    rt.describe_map_run(
        &ctx(),
        DescribeMapRunInput {
            map_run_arn: map_run_arn.into(),
        },
    )
    .await
    .expect("describe map run")
}

async fn map_runs(rt: &Runtime, arn: &str) -> ListMapRunsOutput {
    rt.list_map_runs(
        &ctx(),
        ListMapRunsInput {
            execution_arn: arn.into(),
            ..Default::default()
        },
    )
    .await
    .expect("list map runs")
}

fn pass_chain() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a.n, $.x)"}, "Next": "C"},
        "C": {"Type": "Pass", "End": true}}})
}

fn activity_machine(activity: &str) -> Value {
    json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 60, "End": true}}})
}

async fn poll(rt: &Runtime, activity: &str, worker: &str) -> GetActivityTaskOutput {
    rt.get_activity_task(
        &ctx(),
        GetActivityTaskInput {
            activity_arn: activity.into(),
            worker_name: Some(worker.into()),
        },
    )
    .await
    .expect("poll")
}

#[tokio::test]
async fn a_pass_chain_succeeds_with_its_history() {
    let (_d, store, rt) = setup().await;
    let m = machine(&store, "chain", MachineType::Standard, pass_chain()).await;
    let arn = start(&rt, &m, "e1", json!({"x": 41})).await;
    assert_eq!(
        arn,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:chain:e1")
    );
    let d = describe(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!({"sum": 42}));
    assert_eq!(d.input.as_deref(), Some(r#"{"x":41}"#));
    assert!(d.stop_date.is_some());
    let events = history(&rt, &arn).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_ids_consecutive(&events);

    // Without data, payloads are left out but their details stay.
    let bare = rt
        .get_execution_history(
            &ctx(),
            GetExecutionHistoryInput {
                execution_arn: arn.clone(),
                include_execution_data: Some(false),
                reverse_order: Some(true),
                max_results: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bare.events.len(), 2);
    let last = serde_json::to_value(&bare.events[0]).unwrap();
    assert_eq!(last["type"], "ExecutionSucceeded");
    assert!(last["executionSucceededEventDetails"]
        .get("output")
        .is_none());
    assert_eq!(
        last["executionSucceededEventDetails"]["outputDetails"]["truncated"],
        false
    );
    let rest = rt
        .get_execution_history(
            &ctx(),
            GetExecutionHistoryInput {
                execution_arn: arn.clone(),
                reverse_order: Some(true),
                max_results: Some(100),
                next_token: bare.next_token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.events.len(), 6);
    assert_eq!(rest.events[0].id, 6);

    let listed = rt
        .list_executions(
            &ctx(),
            ListExecutionsInput {
                state_machine_arn: Some(m.clone()),
                status_filter: Some(ExecutionStatus::Succeeded),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 1);
    assert_eq!(listed.executions[0].execution_arn, arn);
    let running = rt
        .list_executions(
            &ctx(),
            ListExecutionsInput {
                state_machine_arn: Some(m),
                status_filter: Some(ExecutionStatus::Running),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(running.executions.is_empty());
}

#[tokio::test]
async fn bad_requests_get_aws_errors() {
    let (_d, store, rt) = setup().await;
    let m = machine(&store, "m", MachineType::Standard, pass_chain()).await;
    let start_with = |arn: &str, name: Option<&str>, input: &str| StartExecutionInput {
        state_machine_arn: arn.into(),
        name: name.map(Into::into),
        input: Some(input.into()),
        ..Default::default()
    };
    let err = rt
        .start_execution(&ctx(), start_with(&m, None, "{not json"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::InvalidExecutionInput { .. }),
        "{err:?}"
    );
    let err = rt
        .start_execution(&ctx(), start_with(&m, Some("bad name?"), "{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InvalidName { .. }), "{err:?}");
    let missing = m.replace(":m", ":nope");
    let err = rt
        .start_execution(&ctx(), start_with(&missing, None, "{}"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::StateMachineDoesNotExist { .. }),
        "{err:?}"
    );
    let err = rt
        .start_execution(&ctx(), start_with("arn:nope", None, "{}"))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InvalidArn { .. }), "{err:?}");
    let err = rt
        .describe_execution(
            &ctx(),
            DescribeExecutionInput {
                execution_arn: format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:m:none"),
                included_data: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::ExecutionDoesNotExist { .. }),
        "{err:?}"
    );
    let err = rt
        .start_sync_execution(
            &ctx(),
            StartSyncExecutionInput {
                state_machine_arn: m.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::StateMachineTypeNotSupported { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_name_is_idempotent_only_for_the_same_input_while_running() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "hold").await;
    let m = machine(&store, "m", MachineType::Standard, activity_machine(&act)).await;
    let first = rt
        .start_execution(
            &ctx(),
            StartExecutionInput {
                state_machine_arn: m.clone(),
                name: Some("same".into()),
                input: Some(r#"{"a":1}"#.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let again = rt
        .start_execution(
            &ctx(),
            StartExecutionInput {
                state_machine_arn: m.clone(),
                name: Some("same".into()),
                input: Some(r#"{"a":1}"#.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(first, again);
    let err = rt
        .start_execution(
            &ctx(),
            StartExecutionInput {
                state_machine_arn: m.clone(),
                name: Some("same".into()),
                input: Some(r#"{"a":2}"#.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::ExecutionAlreadyExists { .. }),
        "{err:?}"
    );
    // Only one execution, with one ExecutionStarted.
    let events = history(&rt, &first.execution_arn).await;
    assert_eq!(
        types(&events),
        ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled"]
    );
}

#[tokio::test]
async fn an_activity_worker_takes_heartbeats_and_completes_a_task() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "work").await;
    let m = machine(&store, "m", MachineType::Standard, activity_machine(&act)).await;
    let arn = start(&rt, &m, "e", json!({"job": 7})).await;
    let task = poll(&rt, &act, "w1").await;
    let token = task.task_token.expect("a task");
    assert_eq!(
        serde_json::from_str::<Value>(task.input.as_deref().unwrap()).unwrap(),
        json!({"job": 7})
    );
    rt.send_task_heartbeat(
        &ctx(),
        SendTaskHeartbeatInput {
            task_token: token.clone(),
        },
    )
    .await
    .unwrap();
    succeed(&rt, token.clone(), r#"{"done":true}"#).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output.as_deref(), Some(r#"{"done":true}"#));
    let events = history(&rt, &arn).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(events[3]["activityStartedEventDetails"]["workerName"], "w1");

    // The task is closed now.
    let err = rt
        .send_task_success(
            &ctx(),
            SendTaskSuccessInput {
                task_token: token,
                output: "{}".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::TaskTimedOut { .. }), "{err:?}");
    let err = rt
        .send_task_success(
            &ctx(),
            SendTaskSuccessInput {
                task_token: "not-a-token".into(),
                output: "{}".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::InvalidToken { .. }), "{err:?}");
    let err = rt
        .send_task_failure(
            &ctx(),
            SendTaskFailureInput {
                task_token: "0".repeat(64),
                error: None,
                cause: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::TaskDoesNotExist { .. }), "{err:?}");
}

#[tokio::test]
async fn a_poll_with_no_task_ends_empty_and_a_waiting_poll_gets_the_next_task() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_millis(300)).await;
    let act = activity(&store, "idle").await;
    let empty = poll(&rt, &act, "w").await;
    assert_eq!(empty.task_token, None);
    let err = rt
        .get_activity_task(
            &ctx(),
            GetActivityTaskInput {
                activity_arn: act.replace(":idle", ":absent"),
                worker_name: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::ActivityDoesNotExist { .. }),
        "{err:?}"
    );

    // A poll already waiting is woken by the task scheduled after it began.
    let rt2 = open(store.clone(), Duration::from_secs(10)).await;
    rt.shutdown();
    let m = machine(&store, "m", MachineType::Standard, activity_machine(&act)).await;
    let waiting = {
        let rt2 = rt2.clone();
        let act = act.clone();
        tokio::spawn(async move { poll(&rt2, &act, "w").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    start(&rt2, &m, "e", json!({})).await;
    let got = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting poll was woken")
        .unwrap();
    assert!(got.task_token.is_some());
}

#[tokio::test]
async fn a_callback_task_ends_by_its_token() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "cb",
        MachineType::Standard,
        json!({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Handled"}],
            "End": true},
            "Handled": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let params = scheduled_parameters(&rt, &arn).await;
    let token = params["MessageBody"]["token"].as_str().unwrap().to_string();
    rt.send_task_failure(
        &ctx(),
        SendTaskFailureInput {
            task_token: token,
            error: Some("Rejected".into()),
            cause: Some("no".into()),
        },
    )
    .await
    .unwrap();
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["error"], json!({"Error": "Rejected", "Cause": "no"}));
}

#[tokio::test]
async fn wait_states_fire_from_the_timer_task() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "w",
        MachineType::Standard,
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({"k": 1})).await;
    assert_eq!(describe(&rt, &arn).await.status, ExecutionStatus::Running);
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let waited = d.stop_date.unwrap().as_millis() - d.start_date.as_millis();
    assert!(waited >= 1000, "waited {waited} ms");
}

#[tokio::test]
async fn stopping_aborts_the_execution_and_closes_its_task() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "slow").await;
    let m = machine(&store, "m", MachineType::Standard, activity_machine(&act)).await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let task = poll(&rt, &act, "w").await;
    rt.stop_execution(
        &ctx(),
        StopExecutionInput {
            execution_arn: arn.clone(),
            error: Some("Halt".into()),
            cause: Some("by test".into()),
        },
    )
    .await
    .unwrap();
    let d = describe(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Aborted);
    assert_eq!(d.error.as_deref(), Some("Halt"));
    let events = history(&rt, &arn).await;
    assert_eq!(types(&events).last().unwrap(), "ExecutionAborted");
    let err = rt
        .send_task_success(
            &ctx(),
            SendTaskSuccessInput {
                task_token: task.task_token.unwrap(),
                output: "{}".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::TaskTimedOut { .. }), "{err:?}");
    // Stopping again answers the time it stopped.
    let again = rt
        .stop_execution(
            &ctx(),
            StopExecutionInput {
                execution_arn: arn.clone(),
                error: None,
                cause: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(Some(again.stop_date), d.stop_date);
}

#[tokio::test]
async fn express_runs_in_memory_and_answers_synchronously() {
    let (_d, store, rt) = setup().await;
    let m = machine(&store, "x", MachineType::Express, pass_chain()).await;
    let out = rt
        .start_sync_execution(
            &ctx(),
            StartSyncExecutionInput {
                state_machine_arn: m.clone(),
                input: Some(r#"{"x":1}"#.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.status, SyncExecutionStatus::Succeeded);
    assert_eq!(
        serde_json::from_str::<Value>(out.output.as_deref().unwrap()).unwrap(),
        json!({"sum": 2})
    );
    assert!(out.execution_arn.contains(":express:x:"));
    // An asynchronous Express start is described once done, and never stored.
    let arn = rt
        .start_execution(
            &ctx(),
            StartExecutionInput {
                state_machine_arn: m.clone(),
                input: Some(r#"{"x":2}"#.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .execution_arn;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert!(store.execution(&arn).await.unwrap().is_none());
}

#[tokio::test]
async fn unfinished_executions_resume_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    let act = activity(&store, "later").await;
    let on_activity = machine(&store, "a", MachineType::Standard, activity_machine(&act)).await;
    let on_wait = machine(
        &store,
        "w",
        MachineType::Standard,
        json!({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let a1 = start(&rt, &on_activity, "taken", json!({"i": 1})).await;
    let a2 = start(&rt, &on_activity, "waiting", json!({"i": 2})).await;
    let w = start(&rt, &on_wait, "w", json!({})).await;
    // One task is taken before the restart, the other after.
    let taken = poll(&rt, &act, "before").await;
    assert_eq!(
        serde_json::from_str::<Value>(taken.input.as_deref().unwrap()).unwrap(),
        json!({"i": 1})
    );
    rt.shutdown();
    drop(rt);

    let rt = open(store.clone(), Duration::from_secs(5)).await;
    assert_eq!(rt.running(), 3);
    let other = poll(&rt, &act, "after").await;
    assert_eq!(
        serde_json::from_str::<Value>(other.input.as_deref().unwrap()).unwrap(),
        json!({"i": 2})
    );
    for token in [taken.task_token.unwrap(), other.task_token.unwrap()] {
        rt.send_task_success(
            &ctx(),
            SendTaskSuccessInput {
                task_token: token,
                output: r#"{"ok":1}"#.into(),
            },
        )
        .await
        .unwrap();
    }
    for arn in [&a1, &a2, &w] {
        let d = finished(&rt, arn).await;
        assert_eq!(d.status, ExecutionStatus::Succeeded, "{arn}");
        let events = history(&rt, arn).await;
        assert_ids_consecutive(&events);
    }
    let events = history(&rt, &a1).await;
    assert_eq!(
        types(&events),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        events[3]["activityStartedEventDetails"]["workerName"],
        "before"
    );
    assert_eq!(rt.running(), 0);
}

#[tokio::test]
async fn a_failed_execution_is_redriven_from_the_state_it_failed_in() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "flaky").await;
    let m = machine(
        &store,
        "redrive",
        MachineType::Standard,
        json!({"StartAt": "Before", "States": {
            "Before": {"Type": "Pass", "Result": 1, "ResultPath": "$.before", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": act, "ResultPath": "$.work", "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {
                "before.$": "$.before", "work.$": "$.work", "redrives.$": "$$.Execution.RedriveCount"},
                "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let first = poll(&rt, &act, "w").await;
    rt.send_task_failure(
        &ctx(),
        SendTaskFailureInput {
            task_token: first.task_token.unwrap(),
            error: Some("Boom".into()),
            cause: Some("first try".into()),
        },
    )
    .await
    .unwrap();
    let failed = finished(&rt, &arn).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert_eq!(
        failed.redrive_status,
        Some(ExecutionRedriveStatus::Redrivable)
    );

    redrive(&rt, arn.clone()).await;
    assert_eq!(describe(&rt, &arn).await.status, ExecutionStatus::Running);
    let second = poll(&rt, &act, "w").await;
    assert_eq!(
        serde_json::from_str::<Value>(second.input.as_deref().unwrap()).unwrap(),
        json!({"before": 1}),
        "the failed state runs again with the input it had"
    );
    succeed(&rt, second.task_token.unwrap(), r#""ok""#).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.redrive_count, Some(1));
    assert!(d.redrive_date.is_some());
    assert_eq!(
        serde_json::from_str::<Value>(d.output.as_deref().unwrap()).unwrap(),
        json!({"before": 1, "work": "ok", "redrives": 1})
    );
    let events = history(&rt, &arn).await;
    assert_ids_consecutive(&events);
    let types = types(&events);
    let failed_at = types.iter().position(|t| t == "ExecutionFailed").unwrap();
    assert_eq!(
        types[failed_at..],
        [
            "ExecutionFailed",
            "ExecutionRedriven",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        events[failed_at + 1]["executionRedrivenEventDetails"]["redriveCount"],
        1
    );
    // Only the Before state's first run: it is not run again.
    assert_eq!(types.iter().filter(|t| *t == "PassStateEntered").count(), 2);

    let err = rt
        .redrive_execution(
            &ctx(),
            RedriveExecutionInput {
                execution_arn: arn.clone(),
                client_token: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::ExecutionNotRedrivable { .. }),
        "{err:?}"
    );
    let listed = rt
        .list_executions(
            &ctx(),
            ListExecutionsInput {
                state_machine_arn: Some(m),
                redrive_filter: Some(ExecutionRedriveFilter::Redriven),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.executions.len(), 1);
}

#[tokio::test]
async fn a_stopped_execution_is_redriven_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    let act = activity(&store, "stop-me").await;
    let m = machine(&store, "m", MachineType::Standard, activity_machine(&act)).await;
    let arn = start(&rt, &m, "e", json!({"k": 1})).await;
    rt.stop_execution(
        &ctx(),
        StopExecutionInput {
            execution_arn: arn.clone(),
            error: None,
            cause: None,
        },
    )
    .await
    .unwrap();
    redrive(&rt, arn.clone()).await;
    rt.shutdown();
    drop(rt);
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    assert_eq!(rt.running(), 1);
    let task = poll(&rt, &act, "w").await;
    succeed(&rt, task.task_token.unwrap(), "{}").await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_ids_consecutive(&history(&rt, &arn).await);
}

#[tokio::test]
async fn a_distributed_map_keeps_a_map_run_record() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "dmap",
        MachineType::Standard,
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Label": "Items", "MaxConcurrency": 3,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Double",
                "States": {"Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": true}}},
            "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!([1, 2, 3, 4])).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let runs = map_runs(&rt, &arn).await;
    assert_eq!(runs.map_runs.len(), 1);
    let run = &runs.map_runs[0];
    assert_eq!(
        run.state_machine_arn,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:dmap/Items")
    );
    let events = history(&rt, &arn).await;
    let started = events
        .iter()
        .find(|e| e["type"] == "MapRunStarted")
        .expect("MapRunStarted");
    assert_eq!(
        started["mapRunStartedEventDetails"]["mapRunArn"],
        json!(run.map_run_arn)
    );
    let described = describe_run(&rt, run.map_run_arn.clone()).await;
    assert_eq!(described.status, MapRunStatus::Succeeded);
    assert_eq!(described.execution_arn, arn);
    assert_eq!(described.max_concurrency, 3);
    assert_eq!(described.item_counts.total, 4);
    assert_eq!(described.item_counts.succeeded, 4);
    assert!(described.stop_date.is_some());
}

#[tokio::test]
async fn update_map_run_raises_a_running_distributed_maps_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_millis(300)).await;
    let act = activity(&store, "item").await;
    let m = machine(
        &store,
        "throttled",
        MachineType::Standard,
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": act, "End": true}}},
            "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!([1, 2, 3])).await;
    let first = poll(&rt, &act, "w").await;
    assert!(first.task_token.is_some());
    assert_eq!(
        poll(&rt, &act, "w").await.task_token,
        None,
        "one item at a time"
    );
    let runs = map_runs(&rt, &arn).await;
    let run_arn = runs.map_runs[0].map_run_arn.clone();
    rt.update_map_run(
        &ctx(),
        UpdateMapRunInput {
            map_run_arn: run_arn.clone(),
            max_concurrency: Some(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut tokens = vec![first.task_token.unwrap()];
    for _ in 0..2 {
        tokens.push(
            poll(&rt, &act, "w")
                .await
                .task_token
                .expect("started by the update"),
        );
    }
    for token in tokens {
        rt.send_task_success(
            &ctx(),
            SendTaskSuccessInput {
                task_token: token,
                output: "1".into(),
            },
        )
        .await
        .unwrap();
    }
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output.as_deref(), Some("[1,1,1]"));
    let described = describe_run(&rt, run_arn.clone()).await;
    assert_eq!(described.max_concurrency, 3);
    assert_eq!(described.status, MapRunStatus::Succeeded);
    let err = rt
        .update_map_run(
            &ctx(),
            UpdateMapRunInput {
                map_run_arn: run_arn,
                max_concurrency: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::ValidationException { .. }),
        "{err:?}"
    );
}

/// Fails the task `token` with `Nope`, waits for the execution to fail, and redrives it.
async fn fail_then_redrive(rt: &Runtime, arn: &str, token: String) {
    rt.send_task_failure(
        &ctx(),
        SendTaskFailureInput {
            task_token: token,
            error: Some("Nope".into()),
            cause: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(finished(rt, arn).await.status, ExecutionStatus::Failed);
    redrive(rt, arn.to_string()).await;
}

#[tokio::test]
async fn a_redriven_parallel_runs_only_its_failed_branches() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "branch").await;
    let m = machine(
        &store,
        "par",
        MachineType::Standard,
        json!({"StartAt": "Both", "States": {"Both": {
            "Type": "Parallel", "End": true,
            "Branches": [
                {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": true}}},
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": act, "End": true}}}
            ]}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let task = poll(&rt, &act, "w").await;
    fail_then_redrive(&rt, &arn, task.task_token.unwrap()).await;
    let again = poll(&rt, &act, "w").await;
    succeed(&rt, again.task_token.unwrap(), r#""slow""#).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output.as_deref(), Some(r#"["quick","slow"]"#));
    let events = history(&rt, &arn).await;
    assert_ids_consecutive(&events);
    let types = types(&events);
    assert_eq!(
        types.iter().filter(|t| *t == "PassStateEntered").count(),
        1,
        "the branch that succeeded does not run again: {types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "ActivityScheduled").count(),
        2
    );
}

/// A redrive continues each unsuccessful branch from the state it did not leave, at every level
/// (AWS: the steps that succeeded are not rerun): the branch's first state and the nested
/// Parallel's branch that succeeded run once.
#[tokio::test]
async fn a_redrive_continues_nested_branches_where_they_stopped() {
    let (_d, store, rt) = setup().await;
    let act = activity(&store, "nested").await;
    let m = machine(
        &store,
        "nested",
        MachineType::Standard,
        json!({"StartAt": "Both", "States": {"Both": {
            "Type": "Parallel", "End": true,
            "Branches": [
                {"StartAt": "Quick", "States": {"Quick": {"Type": "Pass", "Result": "quick", "End": true}}},
                {"StartAt": "Before", "States": {
                    "Before": {"Type": "Pass", "Result": {"n": 1}, "Next": "Inner"},
                    "Inner": {"Type": "Parallel", "End": true, "Branches": [
                        {"StartAt": "InnerQuick", "States": {"InnerQuick": {"Type": "Pass", "Result": "inner", "End": true}}},
                        {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": act, "End": true}}}
                    ]}}}
            ]}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let task = poll(&rt, &act, "w").await;
    assert_eq!(task.input.as_deref(), Some(r#"{"n":1}"#));
    fail_then_redrive(&rt, &arn, task.task_token.unwrap()).await;
    let again = poll(&rt, &act, "w").await;
    assert_eq!(again.input.as_deref(), Some(r#"{"n":1}"#), "the same input");
    succeed(&rt, again.task_token.unwrap(), r#""slow""#).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output.as_deref(), Some(r#"["quick",["inner","slow"]]"#));
    let events = history(&rt, &arn).await;
    assert_ids_consecutive(&events);
    let entered = |name: &str| {
        events
            .iter()
            .filter(|e| {
                e["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("StateEntered"))
                    && e["stateEnteredEventDetails"]["name"] == name
            })
            .count()
    };
    assert_eq!(entered("Quick"), 1);
    assert_eq!(
        entered("Before"),
        1,
        "the branch continues after its first state"
    );
    assert_eq!(
        entered("InnerQuick"),
        1,
        "the nested branch that succeeded is kept"
    );
    assert_eq!(entered("Both"), 2);
    assert_eq!(entered("Inner"), 2);
    assert_eq!(entered("Slow"), 2);
}

#[tokio::test]
async fn a_failing_distributed_map_fails_its_map_run() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "dfail",
        MachineType::Standard,
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Check",
                "States": {
                    "Check": {"Type": "Choice", "Choices": [
                        {"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Good"},
                    "Bad": {"Type": "Fail", "Error": "Two"},
                    "Good": {"Type": "Succeed"}}},
            "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!([1, 2, 3])).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    let types = types(&history(&rt, &arn).await);
    let run_failed = types
        .iter()
        .position(|t| t == "MapRunFailed")
        .expect("MapRunFailed");
    let state_failed = types
        .iter()
        .position(|t| t == "MapStateFailed")
        .expect("MapStateFailed");
    assert!(run_failed < state_failed, "{types:?}");
    let runs = map_runs(&rt, &arn).await;
    let described = describe_run(&rt, runs.map_runs[0].map_run_arn.clone()).await;
    assert_eq!(described.status, MapRunStatus::Failed);
    assert_eq!(described.item_counts.failed, 1);
    assert_eq!(described.item_counts.total, 3);
}

#[tokio::test]
async fn a_task_on_an_activity_that_does_not_exist_fails_the_execution() {
    let (_d, store, rt) = setup().await;
    let missing = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:gone");
    let m = machine(
        &store,
        "m",
        MachineType::Standard,
        activity_machine(&missing),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        d.cause,
        Some(format!(
            "An error occurred while executing the state 'Work' (entered at the event id #2). The activity {missing} does not exist."
        ))
    );
    // As AWS: the state fails before anything is scheduled.
    assert_eq!(
        types(&history(&rt, &arn).await),
        ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    );

    // An activity deleted after the execution started fails the task once it is scheduled.
    let doomed = activity(&store, "doomed").await;
    let m = machine(
        &store,
        "later",
        MachineType::Standard,
        json!({"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Work"},
            "Work": {"Type": "Task", "Resource": doomed, "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!({})).await;
    rt.delete_activity(
        &ctx(),
        DeleteActivityInput {
            activity_arn: doomed.clone(),
        },
    )
    .await
    .unwrap();
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        d.cause,
        Some(format!(
            "An error occurred while executing the state 'Work' (entered at the event id #4). The activity {doomed} does not exist."
        ))
    );
    assert!(types(&history(&rt, &arn).await).contains(&"ActivityScheduled".to_string()));
}

async fn children(rt: &Runtime, map_run_arn: &str) -> Vec<ExecutionListItem> {
    rt.list_executions(
        &ctx(),
        ListExecutionsInput {
            map_run_arn: Some(map_run_arn.into()),
            ..Default::default()
        },
    )
    .await
    .expect("list children")
    .executions
}

fn checking_dmap(wait_seconds: u64) -> Value {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Items", "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Hold",
            "States": {
                "Hold": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Check"},
                "Check": {"Type": "Choice",
                    "Choices": [{"Variable": "$.bad", "IsPresent": true, "Next": "Broken"}],
                    "Default": "Fine"},
                "Fine": {"Type": "Pass", "Result": "done", "ResultPath": "$.r", "End": true},
                "Broken": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"}}},
        "End": true}}})
}

#[tokio::test]
async fn a_distributed_maps_children_are_executions_of_their_own() {
    let (_d, store, rt) = setup().await;
    let m = machine(&store, "kids", MachineType::Standard, checking_dmap(0)).await;
    let arn = start(&rt, &m, "e", json!([{"n": 1}, {"bad": true}, {"n": 3}])).await;
    assert_eq!(finished(&rt, &arn).await.status, ExecutionStatus::Succeeded);
    let run = map_runs(&rt, &arn).await.map_runs[0].map_run_arn.clone();
    let child_machine = format!("{m}/Items");

    let listed = children(&rt, &run).await;
    assert_eq!(listed.len(), 3);
    let mut statuses: Vec<ExecutionStatus> = listed.iter().map(|c| c.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [
            ExecutionStatus::Succeeded,
            ExecutionStatus::Succeeded,
            ExecutionStatus::Failed
        ]
    );
    for child in &listed {
        assert_eq!(child.state_machine_arn, child_machine);
        assert_eq!(child.map_run_arn.as_deref(), Some(run.as_str()));
        assert_eq!(
            child.execution_arn,
            format!(
                "arn:aws:states:{REGION}:{ACCOUNT}:execution:kids/Items:{}",
                child.name
            )
        );
        assert!(child.stop_date.is_some());
    }
    // The machine's own list has the parent only.
    let own = rt
        .list_executions(
            &ctx(),
            ListExecutionsInput {
                state_machine_arn: Some(m.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(own.executions.len(), 1);
    assert_eq!(own.executions[0].execution_arn, arn);

    for child in &listed {
        let d = describe(&rt, &child.execution_arn).await;
        assert_eq!(d.map_run_arn.as_deref(), Some(run.as_str()));
        assert_eq!(d.state_machine_arn, child_machine);
        let input: Value = serde_json::from_str(d.input.as_deref().unwrap()).unwrap();
        let events = history(&rt, &child.execution_arn).await;
        assert_ids_consecutive(&events);
        assert_eq!(events[0]["type"], "ExecutionStarted");
        if input == json!({"bad": true}) {
            assert_eq!(d.status, ExecutionStatus::Failed);
            assert_eq!(d.error.as_deref(), Some("Item.Bad"));
            assert_eq!(d.cause.as_deref(), Some("a bad item"));
            assert_eq!(
                d.redrive_status,
                Some(ExecutionRedriveStatus::NotRedrivable)
            );
            assert_eq!(events.last().unwrap()["type"], "ExecutionFailed");
        } else {
            assert_eq!(d.status, ExecutionStatus::Succeeded);
            let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
            assert_eq!(output["r"], "done");
            assert_eq!(
                types(&events),
                [
                    "ExecutionStarted",
                    "WaitStateEntered",
                    "WaitStateExited",
                    "ChoiceStateEntered",
                    "ChoiceStateExited",
                    "PassStateEntered",
                    "PassStateExited",
                    "ExecutionSucceeded"
                ]
            );
        }
    }
    // The parent's history holds none of the children's states.
    let parent = types(&history(&rt, &arn).await);
    assert!(!parent
        .iter()
        .any(|t| t.starts_with("Wait") || t.starts_with("Pass")));

    let described = describe_run(&rt, run.clone()).await;
    assert_eq!(described.status, MapRunStatus::Succeeded);
    assert_eq!(described.execution_counts.succeeded, 2);
    assert_eq!(described.execution_counts.failed, 1);
    assert_eq!(described.execution_counts.running, 0);
    assert_eq!(described.execution_counts.total, 3);

    let definition = rt
        .describe_state_machine_for_execution(
            &ctx(),
            DescribeStateMachineForExecutionInput {
                execution_arn: listed[0].execution_arn.clone(),
                included_data: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(definition.state_machine_arn, child_machine);
    assert_eq!(definition.label.as_deref(), Some("Items"));
    assert_eq!(definition.map_run_arn.as_deref(), Some(run.as_str()));
    let processor: Value = serde_json::from_str(&definition.definition).unwrap();
    assert_eq!(processor["StartAt"], "Hold");
    assert!(processor.get("ProcessorConfig").is_none());
}

#[tokio::test]
async fn running_children_resume_with_their_parent_and_stop_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    let m = machine(&store, "kids", MachineType::Standard, checking_dmap(1)).await;
    let held = machine(&store, "held", MachineType::Standard, checking_dmap(600)).await;
    let arn = start(&rt, &m, "e", json!([{"n": 1}, {"n": 2}])).await;
    let stopped = start(&rt, &held, "s", json!([{"n": 1}, {"n": 2}])).await;
    let run = map_runs(&rt, &arn).await.map_runs[0].map_run_arn.clone();
    let listed = children(&rt, &run).await;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|c| c.status == ExecutionStatus::Running));
    rt.shutdown();
    drop(rt);

    let rt = open(store.clone(), Duration::from_secs(5)).await;
    // The children resume inside their parents.
    assert_eq!(rt.running(), 2);
    assert_eq!(finished(&rt, &arn).await.status, ExecutionStatus::Succeeded);
    for child in children(&rt, &run).await {
        assert_eq!(child.status, ExecutionStatus::Succeeded);
        let events = history(&rt, &child.execution_arn).await;
        assert_ids_consecutive(&events);
        assert_eq!(events.len(), 8, "{events:#?}");
    }

    // StopExecution on one resumed child aborts it alone, with the error and cause given;
    // within its tolerated failure the Map runs on, and the parent's own stop ends the rest.
    let held_run = map_runs(&rt, &stopped).await.map_runs[0]
        .map_run_arn
        .clone();
    let held_children = children(&rt, &held_run).await;
    let target = held_children[0].execution_arn.clone();
    rt.stop_execution(
        &ctx(),
        StopExecutionInput {
            execution_arn: target.clone(),
            error: Some("Operator.Cancelled".into()),
            cause: Some("enough".into()),
        },
    )
    .await
    .unwrap();
    let alone = finished(&rt, &target).await;
    assert_eq!(alone.status, ExecutionStatus::Aborted);
    assert_eq!(alone.error.as_deref(), Some("Operator.Cancelled"));
    assert_eq!(alone.cause.as_deref(), Some("enough"));
    assert_eq!(
        describe(&rt, &stopped).await.status,
        ExecutionStatus::Running
    );
    let sibling = &held_children[1].execution_arn;
    assert_eq!(
        describe(&rt, sibling).await.status,
        ExecutionStatus::Running
    );
    rt.stop_execution(
        &ctx(),
        StopExecutionInput {
            execution_arn: stopped.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for child in children(&rt, &held_run).await {
        assert_eq!(child.status, ExecutionStatus::Aborted);
        let events = history(&rt, &child.execution_arn).await;
        assert_eq!(events.last().unwrap()["type"], "ExecutionAborted");
    }
    let d = describe_run(&rt, held_run).await;
    assert_eq!(d.status, MapRunStatus::Aborted);
    assert_eq!(d.execution_counts.aborted, 2);
}

/// A distributed Map inside a Parallel branch continues its own map run on a redrive too.
#[tokio::test]
async fn a_nested_distributed_map_continues_its_map_run_on_a_redrive() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "nestedmap",
        MachineType::Standard,
        json!({"StartAt": "Both", "States": {"Both": {
            "Type": "Parallel", "End": true,
            "Branches": [{"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "Label": "Inner",
                "ItemProcessor": asking_processor(),
                "End": true}}}]}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!([{"n": 0}, {"n": 1}])).await;
    let run = map_runs(&rt, &arn).await.map_runs[0].map_run_arn.clone();
    let tokens = child_tokens(&rt, &run).await;
    succeed(&rt, tokens[0].1.clone(), r#"{"ok":0}"#).await;
    fail_then_redrive(&rt, &arn, tokens[1].1.clone()).await;
    let runs = map_runs(&rt, &arn).await.map_runs;
    assert_eq!(runs.len(), 1, "the same map run");
    let described = describe_run(&rt, run.clone()).await;
    assert_eq!(described.status, MapRunStatus::Running);
    assert_eq!(described.redrive_count, Some(1));
    let tokens = child_tokens(&rt, &run).await;
    assert_eq!(tokens.iter().map(|t| t.0).collect::<Vec<_>>(), [1]);
    succeed(&rt, tokens[0].1.clone(), r#"{"ok":1}"#).await;
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.output.as_deref(), Some(r#"[[{"ok":0},{"ok":1}]]"#));
    assert_eq!(describe_run(&rt, run).await.status, MapRunStatus::Succeeded);
}

/// A distributed Map's processor whose one Task waits for a token, sent with the item's `n`.
fn asking_processor() -> Value {
    json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Ask",
        "States": {"Ask": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q",
                "MessageBody": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
            "End": true}}
    })
}

/// The task tokens the running children of a map run wait with, by the child's input `n`.
async fn child_tokens(rt: &Runtime, map_run_arn: &str) -> Vec<(i64, String)> {
    let mut tokens = Vec::new();
    for child in children(rt, map_run_arn).await {
        if child.status != ExecutionStatus::Running {
            continue;
        }
        let params = scheduled_parameters(rt, &child.execution_arn).await;
        let n = params["MessageBody"]["n"].as_i64().unwrap();
        let token = params["MessageBody"]["token"].as_str().unwrap().to_string();
        tokens.push((n, token));
    }
    tokens.sort();
    tokens
}

#[tokio::test]
async fn a_redriven_distributed_map_continues_its_map_run_and_redrives_the_children_that_failed() {
    let (_d, store, rt) = setup().await;
    let m = machine(
        &store,
        "asks",
        MachineType::Standard,
        json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Label": "Asking",
            "ItemProcessor": asking_processor(),
            "End": true}}}),
    )
    .await;
    let arn = start(&rt, &m, "e", json!([{"n": 0}, {"n": 1}, {"n": 2}])).await;
    let first = map_runs(&rt, &arn).await.map_runs[0].map_run_arn.clone();
    let tokens = child_tokens(&rt, &first).await;
    assert_eq!(tokens.len(), 3);
    succeed(&rt, tokens[0].1.clone(), r#"{"ok":0}"#).await;
    rt.send_task_failure(
        &ctx(),
        SendTaskFailureInput {
            task_token: tokens[1].1.clone(),
            error: Some("Rejected".into()),
            cause: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(finished(&rt, &arn).await.status, ExecutionStatus::Failed);
    let listed_first = children(&rt, &first).await;
    let mut ends: Vec<ExecutionStatus> = listed_first.iter().map(|c| c.status).collect();
    ends.sort_unstable();
    assert_eq!(
        ends,
        [
            ExecutionStatus::Succeeded,
            ExecutionStatus::Failed,
            ExecutionStatus::Aborted
        ]
    );

    redrive(&rt, &arn).await;
    // The redrive continues the same map run (AWS: a redriven parent redrives its Map Run):
    // one run, redriven once, `MapRunRedriven` in the parent's history.
    let runs = map_runs(&rt, &arn).await.map_runs;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].map_run_arn, first);
    let redriven = describe_run(&rt, first.clone()).await;
    assert_eq!(redriven.status, MapRunStatus::Running);
    assert_eq!(redriven.redrive_count, Some(1));
    assert!(redriven.redrive_date.is_some());
    let events = history(&rt, &arn).await;
    let details = events
        .iter()
        .find(|e| e["type"] == "MapRunRedriven")
        .expect("a MapRunRedriven event");
    assert_eq!(
        details["mapRunRedrivenEventDetails"],
        json!({"mapRunArn": first, "redriveCount": 1})
    );
    // The redriven run carries on across a restart.
    rt.shutdown();
    drop(rt);
    let rt = open(store.clone(), Duration::from_secs(5)).await;
    let second = first.clone();
    let tokens = child_tokens(&rt, &second).await;
    assert_eq!(
        tokens.iter().map(|t| t.0).collect::<Vec<_>>(),
        [1, 2],
        "only what did not succeed runs again"
    );
    for (n, token) in tokens {
        succeed(&rt, token, format!(r#"{{"ok":{n}}}"#)).await;
    }
    let d = finished(&rt, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, json!([{"ok": 0}, {"ok": 1}, {"ok": 2}]));
    let described = describe_run(&rt, second.clone()).await;
    assert_eq!(described.status, MapRunStatus::Succeeded);
    assert_eq!(described.redrive_count, Some(1));
    assert_eq!(described.execution_counts.succeeded, 3);
    assert_eq!(described.execution_counts.pending, 0);
    assert_eq!(described.execution_counts.total, 3);
    // The children that did not succeed were redriven themselves: the same three executions,
    // two of them redriven once, their histories continued by `ExecutionRedriven`.
    let all = children(&rt, &second).await;
    assert_eq!(all.len(), 3);
    let first_names: Vec<String> = listed_first
        .iter()
        .map(|c| c.execution_arn.clone())
        .collect();
    let mut redrive_counts = Vec::new();
    for child in &all {
        assert!(
            first_names.contains(&child.execution_arn),
            "{}",
            child.execution_arn
        );
        assert_eq!(child.status, ExecutionStatus::Succeeded);
        let d = describe(&rt, &child.execution_arn).await;
        let events = history(&rt, &child.execution_arn).await;
        assert_ids_consecutive(&events);
        let redriven = events
            .iter()
            .filter(|e| e["type"] == "ExecutionRedriven")
            .count();
        let count = d.redrive_count.unwrap_or(0);
        assert_eq!(count as usize, redriven);
        redrive_counts.push(count);
    }
    redrive_counts.sort_unstable();
    assert_eq!(redrive_counts, [0, 1, 1]);
}

/// The first step of an execution may end some of a distributed Map's children and leave the
/// execution running: the execution's row is still the one created (a child's end is not
/// taken for the execution's own).
#[tokio::test]
async fn a_first_step_that_ends_a_child_but_not_the_execution_starts_it() {
    let (_d, store, rt) = setup().await;
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Items",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice",
                    "Choices": [{"Variable": "$.hold", "IsPresent": true, "Next": "Hold"}],
                    "Default": "Fine"},
                "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Fine"},
                "Fine": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let m = machine(&store, "first", MachineType::Standard, definition).await;
    let arn = start(&rt, &m, "e", json!([{"n": 1}, {"hold": true}])).await;
    assert_eq!(describe(&rt, &arn).await.status, ExecutionStatus::Running);
    let run = map_runs(&rt, &arn).await.map_runs[0].map_run_arn.clone();
    let mut statuses: Vec<ExecutionStatus> =
        children(&rt, &run).await.iter().map(|c| c.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [ExecutionStatus::Running, ExecutionStatus::Succeeded]
    );
}

#[tokio::test]
async fn idle_executions_leave_memory_past_the_limit_and_come_back_when_woken() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let rt = Runtime::open(
        store.clone(),
        Config {
            activity_poll: Duration::from_secs(5),
            max_resident: Some(3),
            ..Config::default()
        },
    )
    .await
    .expect("open");
    let work = activity(&store, "work").await;
    let m = machine(
        &store,
        "parked",
        MachineType::Standard,
        json!({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": work, "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let mut arns = Vec::new();
    for i in 0..12 {
        arns.push(start(&rt, &m, &format!("e{i}"), json!({"i": i})).await);
    }
    // Each waits for a worker: all but three leave memory.
    let mut waited = 0;
    while rt.running() > 3 {
        assert!(waited < 400, "{} still in memory", rt.running());
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    // A worker's start and result reach each, in memory or not; their timers fire.
    for _ in 0..arns.len() {
        let task = poll(&rt, &work, "w").await;
        let input: Value = serde_json::from_str(task.input.as_deref().unwrap()).unwrap();
        succeed(
            &rt,
            task.task_token.unwrap(),
            json!({"done": input["i"]}).to_string(),
        )
        .await;
    }
    for arn in &arns {
        let d = finished(&rt, arn).await;
        assert_eq!(d.status, ExecutionStatus::Succeeded, "{arn}");
        let events = history(&rt, arn).await;
        assert_ids_consecutive(&events);
        let t = types(&events);
        for once in ["ActivityStarted", "ActivitySucceeded", "WaitStateExited"] {
            assert_eq!(t.iter().filter(|x| *x == once).count(), 1, "{arn}: {t:?}");
        }
    }
}

/// A node whose partitions another node took over (it was paused, or cut off, past its lease)
/// writes no execution any more, a new one least of all: its start is refused by the store's
/// fence, so the node that took over can never miss an execution (and its timer) written
/// after it read the partition. A start that also ends in its first step is refused alike.
#[tokio::test]
async fn a_node_taken_over_starts_nothing() {
    use baton_runtime::node::{Node, NodeOptions};
    let dir = tempfile::tempdir().unwrap();
    let raw: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let options = NodeOptions {
        id: "first".into(),
        address: "http://127.0.0.1:1".into(),
        lease: Duration::from_secs(60),
    };
    let mut node = Node::join(raw.clone(), options).await.unwrap();
    let config = Config {
        ownership: Some(node.ownership()),
        ..Config::default()
    };
    let rt = Runtime::open(node.store(), config).await.unwrap();
    node.run(rt.clone());
    for _ in 0..400 {
        if node.ownership().running().len() == baton_store::PARTITIONS as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        node.ownership().running().len(),
        baton_store::PARTITIONS as usize
    );
    let wait = machine(
        &raw,
        "wait",
        MachineType::Standard,
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
    )
    .await;
    let pass = machine(&raw, "pass", MachineType::Standard, pass_chain()).await;
    let before = start(&rt, &wait, "before", json!({})).await;
    assert_eq!(
        describe(&rt, &before).await.status,
        ExecutionStatus::Running
    );

    // Another node takes every partition over.
    for p in 0..baton_store::PARTITIONS {
        assert!(raw.take_over("second", p, "first").await.unwrap().is_some());
    }
    for (machine, name) in [(&wait, "after"), (&pass, "ended-at-once")] {
        let refused = rt
            .start_execution(
                &ctx(),
                StartExecutionInput {
                    state_machine_arn: machine.clone(),
                    name: Some(name.into()),
                    input: Some("{}".into()),
                    ..Default::default()
                },
            )
            .await;
        assert!(refused.is_err(), "{name}: {refused:?}");
        let arn = machine.replace(":stateMachine:", ":execution:") + ":" + name;
        assert_eq!(raw.execution(&arn).await.unwrap(), None, "{name}");
        assert!(raw.journal(&arn).await.unwrap().is_empty(), "{name}");
    }
    // Nor does the execution it started before move on here: its timer's step is refused.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let row = raw.execution(&before).await.unwrap().expect("row");
    assert_eq!(row.status, baton_store::ExecutionStatus::Running);
    rt.shutdown();
}
