//! `arn:aws:states:::glue:startJobRun` (and `.sync`, `.waitForTaskToken`): a Glue job,
//! configured as a command (`[glue.NAME]`), run as a local process.
//!
//! The parameters are StartJobRun's, as Step Functions' optimized integration takes them
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html>,
//! <https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html#aws-glue-api-jobs-runs-StartJobRun>).
//! A run's `Arguments` (`{"--day": "2024-05-01"}`) reach the script as Glue hands them to a
//! job script: on its command line, `--name value` after the script, where
//! `getResolvedOptions(sys.argv, [...])` reads them, together with the `--JOB_ID`,
//! `--JOB_RUN_ID` and `--JOB_NAME` Glue adds
//! (<https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-pyspark-extensions-get-resolved-options.html>).
//! They are appended to the configured command, so a run passes data and never chooses the
//! program, and only for the names the job's `allow_arguments` lists: an argument can be code
//! to a program that reads it so. `Timeout` (minutes) kills a run that takes longer.
//!
//! Results are Glue's: StartJobRun's `{"JobRunId"}` with the `JobName` Step Functions adds
//! and its SDK metadata; with `.sync`, the finished run as GetJobRun's `JobRun` describes it
//! (`JobRunState` `SUCCEEDED`, `StartedOn`, `CompletedOn`, `ExecutionTime`, `Arguments`, …). A
//! run that exits non-zero, times out or cannot start fails the task with `States.TaskFailed`
//! and that `JobRun` (`JobRunState` `FAILED` or `TIMEOUT`, `ErrorMessage`) as JSON text in the
//! cause. StartJobRun's refusals are `Glue.<exception>` (`Glue.EntityNotFoundException`,
//! `Glue.InvalidInputException`), with the AWS SDK's message suffix.
//!
//! stdout and stderr go to `<log folder>/<run id>.log`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::config::{Config, GlueJob};
use crate::functions::{exit_status, CallContext};
use crate::process::{self, Ended, Outcome};
use crate::Failure;

/// How the run is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `startJobRun`: answer once the run is started.
    Start,
    /// `startJobRun.sync`: answer once it finished.
    Sync,
}

/// Glue's default job run timeout, in minutes.
const DEFAULT_TIMEOUT_MINUTES: u64 = 2880;

/// The arguments Glue passes to every job script itself.
const RESERVED: [&str; 3] = ["--JOB_ID", "--JOB_RUN_ID", "--JOB_NAME"];

/// The configured Glue jobs.
pub struct Glue {
    jobs: BTreeMap<String, GlueJob>,
    log_dir: PathBuf,
    slots: Arc<Semaphore>,
}

/// A started run: what its description names, and how to run it.
struct Run {
    id: String,
    job_name: String,
    arguments: Map<String, Value>,
    argv: Vec<String>,
    cwd: PathBuf,
    env: BTreeMap<String, String>,
    timeout_minutes: u64,
    /// StartJobRun's members the run's description repeats (`WorkerType`, …).
    echoed: Map<String, Value>,
}

impl Glue {
    pub fn new(config: &Config, log_dir: PathBuf, slots: Arc<Semaphore>) -> Glue {
        Glue {
            jobs: config.glue.clone(),
            log_dir,
            slots,
        }
    }

    /// The log file of run `id` (its `JobRunId`, `jr_…`).
    pub fn log_path(&self, id: &str) -> PathBuf {
        process::log_path(&self.log_dir, id)
    }

    /// Starts a run of the job `params` names (StartJobRun's parameters). `NotConfigured`
    /// when the job is not in the configuration.
    pub async fn start_job_run(&self, cx: &CallContext, params: &Value, mode: Mode) -> Outcome {
        let name = match params.get("JobName") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Outcome::Ran(Err(glue_error(
                    "InvalidInputException",
                    "JobName is required and must be a string.",
                )))
            }
        };
        let Some(job) = self.jobs.get(&name) else {
            return Outcome::NotConfigured(glue_error(
                "EntityNotFoundException",
                "Failed to start job run due to missing metadata.",
            ));
        };
        let run = match prepare(cx, params, &name, job) {
            Ok(run) => run,
            Err(failure) => return Outcome::Ran(Err(failure)),
        };
        let log = match process::create_log(&self.log_dir, &run.id) {
            Ok(file) => file,
            Err(e) => {
                return Outcome::Ran(Err(glue_error(
                    "InternalServiceException",
                    &format!(
                        "cannot create the run's log in {}: {e}",
                        self.log_dir.display()
                    ),
                )))
            }
        };
        tracing::info!(run = %run.id, job = %name, "Glue job run started");
        match mode {
            Mode::Start => {
                let answer = process::with_sdk_metadata(
                    json!({ "JobName": run.job_name, "JobRunId": run.id }),
                    "application/x-amz-json-1.1",
                );
                let slots = self.slots.clone();
                tokio::spawn(async move {
                    // The definition already has StartJobRun's answer; the run goes on.
                    let _ = execute(&run, &log, &slots).await;
                });
                Outcome::Ran(Ok(answer))
            }
            Mode::Sync => Outcome::Ran(execute(&run, &log, &self.slots).await),
        }
    }
}

/// Checks StartJobRun's parameters against the configuration and builds the run.
fn prepare(cx: &CallContext, params: &Value, name: &str, job: &GlueJob) -> Result<Run, Failure> {
    let arguments = match params.get("Arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(glue_error(
                "InvalidInputException",
                "Arguments must be a map of strings to strings.",
            ))
        }
    };
    let timeout_minutes = match params.get("Timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT_MINUTES,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(glue_error(
                    "InvalidInputException",
                    "Timeout must be a positive number of minutes.",
                ))
            }
        },
    };
    let id = format!(
        "jr_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut argv = job.command.argv.clone();
    for (flag, value) in [
        ("--JOB_ID", format!("j_{}", job_id(name))),
        ("--JOB_RUN_ID", id.clone()),
        ("--JOB_NAME", name.to_string()),
    ] {
        argv.push(flag.into());
        argv.push(value);
    }
    for (key, value) in &arguments {
        let flag = format!("--{}", key.strip_prefix("--").unwrap_or(key));
        if RESERVED.contains(&flag.as_str()) {
            return Err(glue_error(
                "InvalidInputException",
                &format!("{key} is an argument Glue sets itself; a job run cannot pass it."),
            ));
        }
        if !job.allow_arguments.contains(&flag) {
            return Err(glue_error(
                "InvalidInputException",
                &format!(
                    "The argument {key} cannot be passed to the job {name}: it is not in allow_arguments of [glue.{name}] in Baton's configuration (baton.toml)."
                ),
            ));
        }
        let Some(value) = value.as_str().filter(|v| !v.contains('\0')) else {
            return Err(glue_error(
                "InvalidInputException",
                &format!("The value of the argument {key} must be a string without NUL."),
            ));
        };
        argv.push(flag);
        argv.push(value.to_string());
    }
    let mut env = cx.sdk_env();
    env.extend(job.command.env.clone());
    let mut echoed = Map::new();
    for key in [
        "AllocatedCapacity",
        "MaxCapacity",
        "WorkerType",
        "NumberOfWorkers",
        "SecurityConfiguration",
        "NotificationProperty",
        "ExecutionClass",
    ] {
        if let Some(v) = params.get(key).filter(|v| !v.is_null()) {
            echoed.insert(key.into(), v.clone());
        }
    }
    if let Some(previous) = params.get("JobRunId").filter(|v| v.is_string()) {
        echoed.insert("PreviousRunId".into(), previous.clone());
    }
    Ok(Run {
        id,
        job_name: name.to_string(),
        arguments,
        argv,
        cwd: job.command.cwd.clone(),
        env,
        timeout_minutes,
        echoed,
    })
}

/// Runs the job (after waiting for a process slot); its finished `JobRun`, or
/// `States.TaskFailed` with it.
async fn execute(run: &Run, log: &std::fs::File, slots: &Semaphore) -> Result<Value, Failure> {
    // The semaphore is never closed.
    let _permit = slots.acquire().await.ok();
    let started_on = crate::now_millis();
    let spawned = process::log_stdio(log)
        .and_then(|stdio| process::spawn(&run.argv, &run.cwd, &run.env, stdio));
    let (state, error) = match spawned {
        Err(e) => (
            "FAILED",
            Some(format!(
                "cannot start {:?} in {}: {e}",
                run.argv[0],
                run.cwd.display()
            )),
        ),
        Ok(mut child) => {
            let limit = Duration::from_secs(run.timeout_minutes * 60);
            match process::wait(&mut child, Some(limit)).await {
                Ok(Ended::Exited(status)) if status.success() => ("SUCCEEDED", None),
                Ok(Ended::Exited(status)) => (
                    "FAILED",
                    Some(match status.code() {
                        Some(code) => format!("Command failed with exit code {code}"),
                        None => format!("Command failed: {}", exit_status(&status)),
                    }),
                ),
                Ok(Ended::TimedOut) => (
                    "TIMEOUT",
                    Some(format!(
                        "Job run timed out after {} minutes",
                        run.timeout_minutes
                    )),
                ),
                Err(e) => ("FAILED", Some(format!("waiting for the job run: {e}"))),
            }
        }
    };
    let completed_on = crate::now_millis();
    let mut job_run = json!({
        "Arguments": run.arguments,
        "Attempt": 0,
        "CompletedOn": completed_on,
        "ExecutionTime": (completed_on - started_on) / 1000,
        "Id": run.id,
        "JobMode": "SCRIPT",
        "JobName": run.job_name,
        "JobRunState": state,
        "LastModifiedOn": completed_on,
        "LogGroupName": "/aws-glue/jobs",
        "PredecessorRuns": [],
        "StartedOn": started_on,
        "Timeout": run.timeout_minutes,
    });
    let fields = job_run.as_object_mut().expect("an object");
    fields.extend(run.echoed.clone());
    if let Some(message) = error {
        fields.insert("ErrorMessage".into(), json!(message));
    }
    tracing::info!(run = %run.id, state, "Glue job run finished");
    if state == "SUCCEEDED" {
        Ok(job_run)
    } else {
        Err(("States.TaskFailed".into(), job_run.to_string()))
    }
}

/// A stable `j_…` id for job `name` (Glue's `--JOB_ID`).
fn job_id(name: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A StartJobRun refusal as Step Functions names it: the AWS SDK for Java v1 exception class
/// of Glue's error code.
fn glue_error(code: &str, message: &str) -> Failure {
    let status = if code == "InternalServiceException" {
        500
    } else {
        400
    };
    process::service_error(&format!("Glue.{code}"), "AWSGlue", status, code, message)
}
