//! `arn:aws:states:::ecs:runTask` (and `.sync`, `.waitForTaskToken`): an ECS task
//! definition family, configured as a command, started as a local process.
//!
//! The configured `command` plays the container's ENTRYPOINT: a `Command` container override
//! is appended to it as arguments (as ECS does for an image with an ENTRYPOINT), so a
//! definition passes arguments but never chooses the program, and only when the family sets
//! `allow_command`. `Environment` overrides are added to the process's environment, after the
//! configured `env` and after `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3` and dummy credentials
//! that point an AWS SDK at Baton, and only for the names the family's `allow_env` lists.
//! stdout and stderr go to `<log folder>/<task id>.log`.
//!
//! Why the allowlists: on AWS a container's environment and command reach only that
//! container's image; here they reach a process of the Baton user, where `LD_PRELOAD`,
//! `PYTHONPATH`, `NODE_OPTIONS` or an interpreter's argument loads code from any file the
//! user can read, such as an object uploaded through the S3 endpoint. A refused override fails
//! the task before anything starts, as RunTask refuses a request it cannot accept: with
//! `ECS.AmazonECSException` and an `InvalidParameterException` message
//! (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html#API_RunTask_Errors>).
//!
//! Results are shaped as ECS answers: RunTask's `{"Tasks": [...], "Failures": []}` at once
//! without `.sync`; with `.sync`, the stopped task as DescribeTasks describes it. A task whose
//! container exits non-zero fails with `States.TaskFailed` and the stopped task as the cause,
//! as Step Functions reports it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::config::{Config, EcsTask};
use crate::functions::{exit_status, CallContext};
use crate::process::{self, Guarded};
use crate::Failure;

/// How the task is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `runTask`: answer once the process started.
    Start,
    /// `runTask.sync`: answer once it stopped.
    Sync,
}

/// The configured task definitions.
pub struct Ecs {
    tasks: BTreeMap<String, EcsTask>,
    log_dir: PathBuf,
    /// Slots for processes, shared with Batch and Glue: at most this many run at once, a
    /// Map of thousands of tasks waits for slots rather than starting thousands of processes.
    slots: std::sync::Arc<tokio::sync::Semaphore>,
}

/// One started task: what its descriptions name.
struct Started {
    id: String,
    family: String,
    revision: String,
    cluster: String,
    container: String,
    overrides: Value,
    created_at: i64,
}

impl Ecs {
    /// Whether the task definition `params` names is configured here.
    pub(crate) fn serves(&self, params: &Value) -> bool {
        params
            .get("TaskDefinition")
            .and_then(Value::as_str)
            .is_some_and(|d| self.tasks.contains_key(&parse_task_definition(d).0))
    }

    pub fn new(config: &Config, log_dir: PathBuf) -> Ecs {
        Ecs {
            tasks: config.ecs.clone(),
            log_dir,
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(process::MAX_JOB_PROCESSES)),
        }
    }

    /// The same, its processes counted in `slots` (shared with Batch and Glue jobs).
    pub fn with_slots(mut self, slots: std::sync::Arc<tokio::sync::Semaphore>) -> Ecs {
        self.slots = slots;
        self
    }

    /// The log file of task `id` (its 32-hex-digit id, the last part of its ARN).
    pub fn log_path(&self, id: &str) -> PathBuf {
        process::log_path(&self.log_dir, id)
    }

    /// Runs the task `params` describes (RunTask's parameters).
    pub async fn run_task(
        &self,
        cx: &CallContext,
        params: &Value,
        mode: Mode,
    ) -> Result<Value, Failure> {
        let Some(definition) = params.get("TaskDefinition").and_then(Value::as_str) else {
            return Err(ecs_error(
                "InvalidParameterException",
                "TaskDefinition can not be blank.",
            ));
        };
        let (family, revision) = parse_task_definition(definition);
        let Some(task) = self.tasks.get(&family) else {
            return Err(ecs_error("ClientException", "TaskDefinition not found."));
        };
        let cluster = params
            .get("Cluster")
            .and_then(Value::as_str)
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_string())
            .unwrap_or_else(|| "default".into());
        let overrides = params
            .get("Overrides")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let container_overrides: &[Value] = overrides
            .get("ContainerOverrides")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut argv = task.command.argv.clone();
        let mut env = cx.sdk_env();
        env.extend(task.command.env.clone());
        let mut container = family.clone();
        let what = format!("the task definition family {family}");
        let section = format!("ecs.{family}");
        let guarded = Guarded {
            what: &what,
            section: &section,
        };
        let refused = |message: String| ecs_error("InvalidParameterException", &message);
        for o in container_overrides {
            if let Some(name) = o.get("Name").and_then(Value::as_str) {
                container = name.to_string();
            }
            if let Some(args) = o.get("Command").and_then(Value::as_array) {
                process::append_command(args, task.allow_command, &guarded, &mut argv)
                    .map_err(refused)?;
            }
            let environment = o
                .get("Environment")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            process::add_environment(environment, &task.allow_env, &guarded, &mut env)
                .map_err(refused)?;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        env.insert("ECS_TASK_ID".into(), id.clone());
        let started = Started {
            id: id.clone(),
            family: family.clone(),
            revision,
            cluster,
            container,
            overrides,
            created_at: crate::now_millis(),
        };
        let log = process::open_log(&self.log_dir, &id).map_err(|e| {
            ecs_error(
                "ServerException",
                &format!(
                    "cannot create the task's log in {}: {e}",
                    self.log_dir.display()
                ),
            )
        })?;
        // A slot for the process, held until it exits (RunTask answers once it started).
        let permit = self.slots.clone().acquire_owned().await.ok();
        let spawned = process::spawn(&argv, &task.command.cwd, &env, log);
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let reason = format!(
                    "CannotStartContainerError: cannot start {:?} in {}: {e}",
                    argv[0],
                    task.command.cwd.display()
                );
                let stopped = task_json(
                    cx,
                    &started,
                    Phase::Stopped {
                        exit: None,
                        reason,
                        code: "TaskFailedToStart",
                    },
                );
                return Err(("States.TaskFailed".into(), stopped.to_string()));
            }
        };
        tracing::info!(task = %id, family = %family, "ECS task started");
        match mode {
            Mode::Start => {
                tokio::spawn(async move {
                    // Reaps the process; the definition already has its RunTask answer.
                    let _ = child.wait().await;
                    drop(permit);
                });
                Ok(run_task_response(cx, &started))
            }
            Mode::Sync => {
                let status = child.wait().await.map_err(|e| {
                    ecs_error("ServerException", &format!("waiting for the task: {e}"))
                })?;
                drop(permit);
                let reason = "Essential container in task exited".to_string();
                let stopped = task_json(
                    cx,
                    &started,
                    Phase::Stopped {
                        code: "EssentialContainerExited",
                        exit: status.code(),
                        reason: if status.code().is_some() {
                            reason
                        } else {
                            format!(
                                "Essential container in task exited ({})",
                                exit_status(&status)
                            )
                        },
                    },
                );
                if status.success() {
                    Ok(stopped)
                } else {
                    Err(("States.TaskFailed".into(), stopped.to_string()))
                }
            }
        }
    }
}

/// `family`, `family:3`, `arn:aws:ecs:REGION:ACCOUNT:task-definition/family:3` → (family,
/// revision; `1` when none is given).
fn parse_task_definition(text: &str) -> (String, String) {
    let tail = match text.split_once("task-definition/") {
        Some((_, t)) if text.starts_with("arn:") => t,
        _ => text,
    };
    match tail.split_once(':') {
        Some((family, revision)) => (family.to_string(), revision.to_string()),
        None => (tail.to_string(), "1".to_string()),
    }
}

/// An ECS service error as Step Functions names it (the service's exception class), with
/// the AWS SDK's message suffix.
fn ecs_error(code: &str, message: &str) -> Failure {
    let status = if code == "ServerException" { 500 } else { 400 };
    process::service_error("ECS.AmazonECSException", "AmazonECS", status, code, message)
}

enum Phase {
    Provisioning,
    Stopped {
        exit: Option<i32>,
        reason: String,
        /// `StopCode`: `EssentialContainerExited`, `TaskFailedToStart`.
        code: &'static str,
    },
}

fn task_json(cx: &CallContext, t: &Started, phase: Phase) -> Value {
    let prefix = format!("arn:aws:ecs:{}:{}", cx.region, cx.account);
    let task_arn = format!("{prefix}:task/{}/{}", t.cluster, t.id);
    let mut container = json!({
        "ContainerArn": format!("{prefix}:container/{}/{}/{}", t.cluster, t.id, uuid::Uuid::new_v4()),
        "Cpu": "0",
        "Image": format!("baton-local/{}", t.family),
        "Name": t.container,
        "NetworkBindings": [],
        "NetworkInterfaces": [],
        "TaskArn": task_arn,
    });
    let mut task = json!({
        "Attachments": [],
        "Attributes": [{"Name": "ecs.cpu-architecture", "Value": std::env::consts::ARCH}],
        "AvailabilityZone": format!("{}a", cx.region),
        "ClusterArn": format!("{prefix}:cluster/{}", t.cluster),
        "Containers": [],
        "Cpu": "256",
        "CreatedAt": t.created_at,
        "EnableExecuteCommand": false,
        "Group": format!("family:{}", t.family),
        "LaunchType": "FARGATE",
        "Memory": "512",
        "Overrides": {
            "ContainerOverrides": t.overrides.get("ContainerOverrides").cloned().unwrap_or_else(|| json!([])),
            "InferenceAcceleratorOverrides": []
        },
        "PlatformVersion": "1.4.0",
        "StartedBy": "AWS Step Functions",
        "Tags": [],
        "TaskArn": task_arn,
        "TaskDefinitionArn": format!("{prefix}:task-definition/{}:{}", t.family, t.revision),
        "Version": 1,
    });
    match phase {
        Phase::Provisioning => {
            container["LastStatus"] = json!("PENDING");
            task["DesiredStatus"] = json!("RUNNING");
            task["LastStatus"] = json!("PROVISIONING");
        }
        Phase::Stopped { exit, reason, code } => {
            let now = crate::now_millis();
            container["LastStatus"] = json!("STOPPED");
            if let Some(code) = exit {
                container["ExitCode"] = json!(code);
            }
            task["Connectivity"] = json!("CONNECTED");
            task["ConnectivityAt"] = json!(t.created_at);
            task["DesiredStatus"] = json!("STOPPED");
            task["ExecutionStoppedAt"] = json!(now);
            task["LastStatus"] = json!("STOPPED");
            task["PullStartedAt"] = json!(t.created_at);
            task["PullStoppedAt"] = json!(t.created_at);
            task["StartedAt"] = json!(t.created_at);
            task["StopCode"] = json!(code);
            task["StoppedAt"] = json!(now);
            task["StoppedReason"] = json!(reason);
            task["StoppingAt"] = json!(now);
            task["Version"] = json!(5);
        }
    }
    task["Containers"] = json!([container]);
    task
}

/// RunTask's answer, with the SDK metadata Step Functions adds.
fn run_task_response(cx: &CallContext, t: &Started) -> Value {
    let body = json!({
        "Failures": [],
        "Tasks": [task_json(cx, t, Phase::Provisioning)],
    });
    process::with_sdk_metadata(body, "application/x-amz-json-1.1")
}

#[cfg(test)]
mod tests {
    use super::parse_task_definition;

    #[test]
    fn task_definition_forms() {
        let cases = [
            ("math", ("math", "1")),
            ("math:7", ("math", "7")),
            (
                "arn:aws:ecs:us-east-1:123456789012:task-definition/math:3",
                ("math", "3"),
            ),
        ];
        for (text, (family, revision)) in cases {
            assert_eq!(
                parse_task_definition(text),
                (family.to_string(), revision.to_string()),
                "{text}"
            );
        }
    }
}
