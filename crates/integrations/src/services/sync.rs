//! `.sync` on AWS: after the start call, the job, build, query, training job, task or execution
//! is described until it ends, as Step Functions waits for it ("Run a Job (.sync)", AWS Step
//! Functions Developer Guide: "Step Functions will wait for a request to complete before
//! progressing to the next state"). The task's result is the final description, in the
//! optimized integrations' shapes; an unsuccessful end fails the task with `States.TaskFailed`
//! and the description as the cause.
//!
//! Each service's description and its ends, from its API reference:
//! `batch` DescribeJobs (`Status` SUCCEEDED | FAILED); `glue` GetJobRun (`JobRunState`
//! SUCCEEDED | FAILED, STOPPED, TIMEOUT, ERROR); `codebuild` BatchGetBuilds (`BuildStatus`
//! SUCCEEDED | FAILED, FAULT, TIMED_OUT, STOPPED); `athena` GetQueryExecution
//! (`Status.State` SUCCEEDED | FAILED, CANCELLED); `sagemaker` DescribeTrainingJob
//! (`TrainingJobStatus` Completed | Failed, Stopped); `ecs` DescribeTasks (`LastStatus`
//! STOPPED, succeeded when every essential container exited 0); `states` DescribeExecution
//! (`Status` SUCCEEDED | FAILED, TIMED_OUT, ABORTED).

use std::time::Duration;

use baton_aws::client::{Call, Client};
use serde_json::{json, Value};

use baton_aws::registry::Service;

use super::optimized;
use super::v1;
use crate::Failure;

/// How `.sync:2` differs: a nested execution's `Output` as JSON rather than text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    One,
    Two,
}

/// The first pause between descriptions, doubled up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// What to describe, how to read its state, and what a finished one answers.
struct Poll {
    operation: &'static str,
    input: Value,
    /// Where the described object is in the description.
    select: fn(&Value) -> Option<Value>,
    /// `None` while running; `Some(true)` when it succeeded.
    ended: fn(&Value) -> Option<bool>,
    /// The task's result from the described object.
    result: fn(Value, Version) -> Value,
}

/// Waits for what the start call of `service` answered with `started` (its result as the
/// task's `TaskSubmitted` records it).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn wait(
    client: &Client,
    resource_type: &str,
    service: &Service,
    started: &Value,
    params: &Value,
    region: &str,
    role_arn: Option<&str>,
    version: Version,
) -> Result<Value, Failure> {
    let names = v1::names(resource_type).expect("every optimized integration has its names");
    let out = started;
    let missing = || {
        (
            "States.Runtime".to_string(),
            format!("{resource_type}: the start call's answer does not name what it started"),
        )
    };
    let poll = match resource_type {
        "batch" => Poll {
            operation: "DescribeJobs",
            input: json!({ "Jobs": [out.get("JobId").ok_or_else(missing)?] }),
            select: |d| d.get("Jobs")?.get(0).cloned(),
            ended: |j| match j.get("Status")?.as_str()? {
                "SUCCEEDED" => Some(true),
                "FAILED" => Some(false),
                _ => None,
            },
            result: |j, _| j,
        },
        "glue" => Poll {
            operation: "GetJobRun",
            input: json!({
                "JobName": params.get("JobName").ok_or_else(missing)?,
                "RunId": out.get("JobRunId").ok_or_else(missing)?,
            }),
            select: |d| d.get("JobRun").cloned(),
            ended: |r| match r.get("JobRunState")?.as_str()? {
                "SUCCEEDED" => Some(true),
                "FAILED" | "STOPPED" | "TIMEOUT" | "ERROR" => Some(false),
                _ => None,
            },
            result: |r, _| r,
        },
        "codebuild" => Poll {
            operation: "BatchGetBuilds",
            input: json!({ "Ids": [out.pointer("/Build/Id").ok_or_else(missing)?] }),
            select: |d| d.get("Builds")?.get(0).cloned(),
            ended: |b| match b.get("BuildStatus")?.as_str()? {
                "SUCCEEDED" => Some(true),
                "IN_PROGRESS" => None,
                _ => Some(false),
            },
            result: |b, _| json!({ "Build": b }),
        },
        "athena" => Poll {
            operation: "GetQueryExecution",
            input: json!({ "QueryExecutionId": out.get("QueryExecutionId").ok_or_else(missing)? }),
            select: |d| Some(d.clone()),
            ended: |q| match q.pointer("/QueryExecution/Status/State")?.as_str()? {
                "SUCCEEDED" => Some(true),
                "FAILED" | "CANCELLED" => Some(false),
                _ => None,
            },
            result: |q, _| q,
        },
        "sagemaker" => Poll {
            operation: "DescribeTrainingJob",
            input: json!({ "TrainingJobName": params.get("TrainingJobName").ok_or_else(missing)? }),
            select: |d| Some(d.clone()),
            ended: |t| match t.get("TrainingJobStatus")?.as_str()? {
                "Completed" => Some(true),
                "Failed" | "Stopped" => Some(false),
                _ => None,
            },
            result: |t, _| t,
        },
        "ecs" => {
            let mut input =
                json!({ "Tasks": [out.pointer("/Tasks/0/TaskArn").ok_or_else(missing)?] });
            if let Some(cluster) = params.get("Cluster") {
                input["Cluster"] = cluster.clone();
            }
            Poll {
                operation: "DescribeTasks",
                input,
                select: |d| d.get("Tasks")?.get(0).cloned(),
                ended: |t| {
                    if t.get("LastStatus")?.as_str()? != "STOPPED" {
                        return None;
                    }
                    let containers = t.get("Containers").and_then(Value::as_array);
                    Some(containers.is_some_and(|cs| {
                        cs.iter()
                            .all(|c| c.get("ExitCode").and_then(Value::as_i64) == Some(0))
                    }))
                },
                result: |t, _| t,
            }
        }
        "states" => Poll {
            operation: "DescribeExecution",
            input: json!({ "ExecutionArn": out.get("ExecutionArn").ok_or_else(missing)? }),
            select: |d| Some(d.clone()),
            ended: |e| match e.get("Status")?.as_str()? {
                "SUCCEEDED" => Some(true),
                "RUNNING" | "PENDING_REDRIVE" => None,
                _ => Some(false),
            },
            result: |mut e, version| {
                if version == Version::Two {
                    for member in ["Input", "Output"] {
                        if let Some(Value::String(text)) = e.get(member) {
                            if let Ok(parsed) = serde_json::from_str::<Value>(text) {
                                e[member] = parsed;
                            }
                        }
                    }
                }
                e
            },
        },
        _ => {
            return Err((
                "States.Runtime".into(),
                format!("{resource_type} has no .sync on AWS in Baton"),
            ))
        }
    };
    let op = service
        .model
        .operation(poll.operation)
        .ok_or_else(|| {
            (
                "States.Runtime".to_string(),
                format!(
                    "the model of {} has no {}",
                    service.sfn_name, poll.operation
                ),
            )
        })?
        .clone();
    let output_shape = op.output.as_ref().map(|r| r.shape.as_str());
    let mut pause = FIRST_PAUSE;
    loop {
        let call = Call {
            service: &service.sfn_name,
            operation: poll.operation,
            params: &poll.input,
            region,
            role_arn,
        };
        let described = client
            .call(call)
            .await
            .map_err(|e| optimized::failure(resource_type, names, e))?;
        let rendered = v1::render(&service.model, output_shape, described.output, None);
        if let Some(object) = (poll.select)(&rendered) {
            if let Some(succeeded) = (poll.ended)(&object) {
                let result = (poll.result)(object, version);
                return if succeeded {
                    Ok(result)
                } else {
                    Err(("States.TaskFailed".to_string(), result.to_string()))
                };
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
