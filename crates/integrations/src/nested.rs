//! `arn:aws:states:::states:startExecution` (and `.sync`, `.sync:2`, `.waitForTaskToken`):
//! a child execution started through the Step Functions API of the runtime that runs the
//! parent, in the parent's account and region.
//!
//! The runtime is built with the integrations inside it, so the handle to it is bound late
//! ([`Nested::attach`], once `Runtime::open` has answered) and held weakly: the runtime owns
//! the integrations, not the other way round.
//!
//! Results as Step Functions shapes them: StartExecution's `ExecutionArn` and `StartDate`
//! (epoch milliseconds) without `.sync`; with `.sync`, DescribeExecution's fields in
//! PascalCase, `Input` and `Output` as JSON text (`.sync`) or as JSON (`.sync:2`). A child
//! that fails, times out or is aborted fails the task with `States.TaskFailed` and that
//! description as JSON text in the cause. `.sync` polls DescribeExecution every 100 ms.

use std::sync::{OnceLock, Weak};
use std::time::Duration;

use baton_api::model::{
    DescribeExecutionInput, DescribeExecutionOutput, ExecutionStatus, StartExecutionInput,
};
use baton_api::{ApiError, RequestContext, StepFunctions};
use baton_engine::ExecutionInfo;
use serde_json::{json, Map, Value};

use crate::Failure;
use baton_runtime::integration::SyncProgress;

/// How often `.sync` asks whether the child has ended.
const POLL: Duration = Duration::from_millis(100);

/// How long a task waits for the service to be attached (see [`Nested::service`]).
const ATTACH_WAIT: Duration = Duration::from_secs(5);

/// How the child is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `startExecution` (and `.waitForTaskToken`): answer once started.
    Start,
    /// `startExecution.sync`: answer at the end, `Input`/`Output` as JSON text.
    Sync,
    /// `startExecution.sync:2`: answer at the end, `Input`/`Output` as JSON.
    Sync2,
}

/// The late-bound handle to the Step Functions service children are started on.
#[derive(Default)]
pub struct Nested {
    service: OnceLock<Weak<dyn StepFunctions>>,
}

impl Nested {
    /// Binds the service; the first call wins.
    pub fn attach(&self, service: Weak<dyn StepFunctions>) {
        let _ = self.service.set(service);
    }

    /// The service, once attached. Tasks resumed while the runtime opens run before
    /// `attach` can be called, so they wait for it a little (up to `ATTACH_WAIT`).
    async fn service(&self) -> Option<std::sync::Arc<dyn StepFunctions>> {
        let deadline = tokio::time::Instant::now() + ATTACH_WAIT;
        loop {
            if let Some(weak) = self.service.get() {
                return weak.upgrade();
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// One Step Functions request made in process, in the execution's account and region:
    /// `body` is the operation's AWS JSON 1.0 input; the answer is the status and JSON body
    /// the API would send (`aws-sdk:sfn:*`).
    pub(crate) async fn invoke_api(
        &self,
        info: &ExecutionInfo,
        operation: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), Failure> {
        let Some(service) = self.service().await else {
            return Err((
                "States.Runtime".into(),
                "aws-sdk:sfn is served by `baton serve` only (no Step Functions service is attached)".into(),
            ));
        };
        let Some(operation) = baton_api::Operation::from_name(operation) else {
            return Err((
                "States.Runtime".into(),
                format!("Step Functions has no operation {operation}"),
            ));
        };
        let ctx = RequestContext::new(info.account.clone(), info.region.clone());
        Ok(
            match baton_api::invoke(&*service, &ctx, operation, body).await {
                Ok(out) => (200, out),
                Err(e) => (e.status(), e.body().to_string().into_bytes()),
            },
        )
    }

    /// Starts the child `params` describes (`StateMachineArn`, `Input`, `Name`). For `.sync`,
    /// the start's answer goes to `progress.submitted` (AWS's `TaskSubmitted`), and with
    /// `progress.resumed` (that answer, recorded before a restart) the child it names is only
    /// waited for.
    pub async fn start_execution(
        &self,
        info: &ExecutionInfo,
        params: &Value,
        mode: Mode,
        progress: SyncProgress,
    ) -> Result<Value, Failure> {
        let ctx = RequestContext::new(info.account.clone(), info.region.clone());
        let resumed = progress
            .resumed
            .as_ref()
            .and_then(|r| r.get("ExecutionArn"))
            .and_then(Value::as_str);
        let execution_arn = match resumed {
            Some(arn) if mode != Mode::Start => arn.to_string(),
            _ => {
                let answer = self.start(&ctx, params).await?;
                if mode == Mode::Start {
                    return Ok(answer);
                }
                if let Some(submitted) = &progress.submitted {
                    let _ = submitted.send(answer.clone());
                }
                answer["ExecutionArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            }
        };
        // The service goes away when Baton stops; the task is then offered again at the
        // next start, so there is nothing to answer here.
        loop {
            // After a restart the task may run before the service is attached: wait for it.
            let Some(service) = self.service().await else {
                return std::future::pending().await;
            };
            let described = service
                .describe_execution(
                    &ctx,
                    DescribeExecutionInput {
                        execution_arn: execution_arn.clone(),
                        included_data: None,
                    },
                )
                .await
                .map_err(|e| api_failure(&e))?;
            drop(service);
            match described.status {
                ExecutionStatus::Running | ExecutionStatus::PendingRedrive => {}
                ExecutionStatus::Succeeded => return Ok(describe_shape(&described, mode)),
                ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted => {
                    return Err((
                        "States.TaskFailed".into(),
                        describe_shape(&described, mode).to_string(),
                    ))
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// StartExecution, answered as Step Functions' optimized integration answers it.
    async fn start(&self, ctx: &RequestContext, params: &Value) -> Result<Value, Failure> {
        let Some(service) = self.service().await else {
            return Err((
                "States.Runtime".into(),
                "Nested executions are served by `baton serve` only (no Step Functions service is attached)".into(),
            ));
        };
        let Some(machine) = params.get("StateMachineArn").and_then(Value::as_str) else {
            return Err(sfn_error(
                "ValidationException",
                "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null",
            ));
        };
        // AWS passes a string Input as it is, anything else as its JSON text.
        let input = match params.get("Input") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        };
        let name = match params.get("Name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        let started = service
            .start_execution(
                ctx,
                StartExecutionInput {
                    state_machine_arn: machine.to_string(),
                    name,
                    input,
                    trace_header: None,
                },
            )
            .await
            .map_err(|e| api_failure(&e))?;
        let request_id = uuid::Uuid::new_v4().to_string();
        Ok(json!({
                "ExecutionArn": started.execution_arn,
                "StartDate": started.start_date.as_millis(),
                "SdkHttpMetadata": {
                    "HttpHeaders": {
                        "Content-Type": "application/x-amz-json-1.0",
                        "Date": crate::functions::http_date(),
                        "x-amzn-RequestId": request_id,
                    },
                    "HttpStatusCode": 200
                },
                "SdkResponseMetadata": { "RequestId": request_id },
        }))
    }
}

/// DescribeExecution as Step Functions' `.sync` integrations write it: PascalCase keys,
/// dates in epoch milliseconds, `Input`/`Output` parsed for `.sync:2`.
fn describe_shape(d: &DescribeExecutionOutput, mode: Mode) -> Value {
    let wire = serde_json::to_value(d).unwrap_or(Value::Null);
    let mut out = Map::new();
    if let Value::Object(map) = wire {
        for (key, value) in map {
            out.insert(pascal(&key), pascal_keys(value));
        }
    }
    out.insert("StartDate".into(), json!(d.start_date.as_millis()));
    if let Some(stop) = d.stop_date {
        out.insert("StopDate".into(), json!(stop.as_millis()));
    }
    if let Some(redrive) = d.redrive_date {
        out.insert("RedriveDate".into(), json!(redrive.as_millis()));
    }
    if mode == Mode::Sync2 {
        for key in ["Input", "Output"] {
            if let Some(Value::String(text)) = out.get(key) {
                if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                    out.insert(key.into(), parsed);
                }
            }
        }
    }
    Value::Object(out)
}

/// Nested objects of a description (`inputDetails.included`) in PascalCase too.
fn pascal_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (pascal(&k), pascal_keys(v)))
                .collect(),
        ),
        other => other,
    }
}

fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// An API error as Step Functions reports a failed service call: `StepFunctions.<Code>`, and
/// the SDK's message form.
fn api_failure(e: &ApiError) -> Failure {
    sfn_error(e.code(), e.message().unwrap_or_default())
}

fn sfn_error(code: &str, message: &str) -> Failure {
    let request_id = uuid::Uuid::new_v4();
    (
        format!("StepFunctions.{code}"),
        format!(
            "{message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
        ),
    )
}
