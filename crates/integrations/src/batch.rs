//! `arn:aws:states:::batch:submitJob` (and `.sync`, `.waitForTaskToken`): a Batch job
//! definition, configured as a command (`[batch.NAME]`), run as a local process.
//!
//! The parameters are SubmitJob's, as Step Functions' optimized integration takes them
//! (<https://docs.aws.amazon.com/step-functions/latest/dg/connect-batch.html>,
//! <https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html>): `JobName`,
//! `JobQueue` and `JobDefinition` (a name, `name:revision` or an ARN) are required;
//! `Parameters` fill the command's `Ref::NAME` entries over the configured defaults, as Batch
//! substitutes placeholders in a job definition's command
//! (<https://docs.aws.amazon.com/batch/latest/userguide/example-use-parameters.html>);
//! `ContainerOverrides` `Command` and `Environment` are admitted as for an ECS family
//! (`allow_command`, `allow_env`; the configured command is the ENTRYPOINT, so an override
//! appends arguments and never chooses the program); `ResourceRequirements`, `Tags`,
//! `DependsOn` and the like are recorded in the job's description; `RetryStrategy.Attempts`
//! runs a failing job again (up to 10 attempts, as Batch); `Timeout.AttemptDurationSeconds`
//! kills an attempt that runs longer. An array job (`ArrayProperties.Size`, 2 to 10,000) runs
//! that many child jobs `<job id>:<index>`, each with `AWS_BATCH_JOB_ARRAY_INDEX`, its own
//! attempts and its own log; it succeeds when every child does.
//!
//! Results are Batch's: SubmitJob's `{JobArn, JobId, JobName}` with the SDK metadata Step
//! Functions adds; with `.sync`, the finished job as DescribeJobs describes it (`Status`
//! `SUCCEEDED`, `Attempts`, `Container.ExitCode`, `Container.LogStreamName`, …). A job that
//! fails (its last attempt exits non-zero, times out or cannot start) fails the task with
//! `States.TaskFailed` and that description (`Status` `FAILED`, `StatusReason`) as JSON text
//! in the cause. SubmitJob's refusals are `Batch.ClientException`, the AWS SDK for Java v1
//! class of Batch's `ClientException`, with the SDK's message suffix.
//!
//! stdout and stderr of every attempt go to `<log folder>/<job id>.log` (an array job's
//! children: `<job id>:<index>.log`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::config::{BatchJob, Config};
use crate::functions::{exit_status, CallContext};
use crate::process::{self, Ended, Guarded, Outcome};
use crate::Failure;

/// How the job is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `submitJob`: answer once the job is submitted.
    Submit,
    /// `submitJob.sync`: answer once it finished.
    Sync,
}

/// Batch's most attempts for a job (`RetryStrategy.Attempts`).
const MAX_ATTEMPTS: u64 = 10;

/// Batch's bounds on an array job's size.
const ARRAY_SIZES: std::ops::RangeInclusive<u64> = 2..=10_000;

/// The configured job definitions.
pub struct Batch {
    jobs: BTreeMap<String, BatchJob>,
    log_dir: PathBuf,
    slots: Arc<Semaphore>,
}

/// A submitted job: what its descriptions name, and how to run it.
struct Job {
    id: String,
    name: String,
    definition: String,
    revision: String,
    queue_arn: String,
    parameters: BTreeMap<String, String>,
    argv: Vec<String>,
    cwd: PathBuf,
    env: BTreeMap<String, String>,
    environment: Vec<(String, String)>,
    resource_requirements: Value,
    retry_strategy: Option<Value>,
    timeout: Option<Value>,
    tags: Value,
    propagate_tags: bool,
    depends_on: Value,
    attempts: u64,
    attempt_limit: Option<Duration>,
    /// An array job's size.
    array_size: Option<u64>,
    created_at: i64,
}

/// How one attempt ended.
struct Attempt {
    task_id: String,
    started_at: i64,
    stopped_at: i64,
    exit_code: Option<i32>,
    /// The container's `Reason` (a signal, a start failure).
    reason: Option<String>,
    status_reason: String,
    succeeded: bool,
}

impl Batch {
    pub fn new(config: &Config, log_dir: PathBuf, slots: Arc<Semaphore>) -> Batch {
        Batch {
            jobs: config.batch.clone(),
            log_dir,
            slots,
        }
    }

    /// The log file of job `id` (its `JobId`).
    pub fn log_path(&self, id: &str) -> PathBuf {
        process::log_path(&self.log_dir, id)
    }

    /// Submits the job `params` describes (SubmitJob's parameters). `NotConfigured` when its
    /// job definition is not in the configuration.
    pub async fn submit_job(&self, cx: &CallContext, params: &Value, mode: Mode) -> Outcome {
        let text = match params.get("JobDefinition") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => {
                return Outcome::Ran(Err(client_error(
                    "JobDefinition is required and must be a string.",
                )))
            }
        };
        let (name, revision) = parse_job_definition(text);
        let Some(config) = self.jobs.get(&name) else {
            let message = if text.starts_with("arn:") {
                format!("JobDefinition {text} not found.")
            } else {
                format!("JobDefinition name {name} does not exist or is not in ACTIVE status")
            };
            return Outcome::NotConfigured(client_error(&message));
        };
        let job = match prepare(cx, params, &name, revision, config) {
            Ok(job) => job,
            Err(failure) => return Outcome::Ran(Err(failure)),
        };
        // An array job's children make their own logs; the folder must be there for them.
        let log = match job.array_size {
            None => process::create_log(&self.log_dir, &job.id).map(Some),
            Some(_) => std::fs::create_dir_all(&self.log_dir).map(|()| None),
        };
        let log = match log {
            Ok(log) => log,
            Err(e) => {
                return Outcome::Ran(Err(process::service_error(
                    "Batch.ServerException",
                    "AWSBatch",
                    500,
                    "ServerException",
                    &format!(
                        "cannot create the job's log in {}: {e}",
                        self.log_dir.display()
                    ),
                )))
            }
        };
        tracing::info!(job = %job.id, definition = %name, "Batch job submitted");
        match mode {
            Mode::Submit => {
                let answer = process::with_sdk_metadata(
                    json!({
                        "JobArn": job_arn(cx, &job.id),
                        "JobId": job.id,
                        "JobName": job.name,
                    }),
                    "application/json",
                );
                let slots = self.slots.clone();
                let cx = cx.clone();
                let log_dir = self.log_dir.clone();
                tokio::spawn(async move {
                    // The definition already has SubmitJob's answer; the job runs on.
                    let _ = run(&cx, Arc::new(job), log, log_dir, slots).await;
                });
                Outcome::Ran(Ok(answer))
            }
            Mode::Sync => {
                let (job, log_dir, slots) =
                    (Arc::new(job), self.log_dir.clone(), self.slots.clone());
                Outcome::Ran(run(cx, job, log, log_dir, slots).await)
            }
        }
    }
}

/// Checks SubmitJob's parameters against the configuration and builds the job.
fn prepare(
    cx: &CallContext,
    params: &Value,
    name: &str,
    revision: String,
    config: &BatchJob,
) -> Result<Job, Failure> {
    let job_name = match params.get("JobName") {
        Some(Value::String(s)) if valid_job_name(s) => s.clone(),
        _ => {
            return Err(client_error(
                "JobName is required: up to 128 letters (uppercase and lowercase), numbers, hyphens and underscores, starting with a letter or number.",
            ))
        }
    };
    let queue = match params.get("JobQueue") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(client_error("JobQueue is required and must be a string.")),
    };
    let queue_arn = if queue.starts_with("arn:") {
        queue
    } else {
        format!(
            "arn:aws:batch:{}:{}:job-queue/{queue}",
            cx.region, cx.account
        )
    };
    let array_size = match params.pointer("/ArrayProperties/Size") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if ARRAY_SIZES.contains(&n) => Some(n),
            _ => {
                return Err(client_error(
                    "ArrayProperties.Size must be an integer from 2 to 10000.",
                ))
            }
        },
    };
    let mut parameters = config.parameters.clone();
    match params.get("Parameters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let Some(v) = v.as_str() else {
                    return Err(client_error(&format!(
                        "Parameters: the value of {k} must be a string."
                    )));
                };
                parameters.insert(k.clone(), v.to_string());
            }
        }
        Some(_) => {
            return Err(client_error(
                "Parameters must be a map of strings to strings.",
            ))
        }
    }
    let overrides = match params.get("ContainerOverrides") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(client_error("ContainerOverrides must be an object.")),
    };
    let what = format!("the job definition {name}");
    let section = format!("batch.{name}");
    let guarded = Guarded {
        what: &what,
        section: &section,
    };
    // Placeholders are filled in the arguments, never in the program.
    let mut argv = config.command.argv.clone();
    let program = argv.remove(0);
    let command: &[Value] = match overrides.get("Command") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(_) => return Err(client_error("Command entries must be strings.")),
    };
    process::append_command(command, config.allow_command, &guarded, &mut argv)
        .map_err(|m| client_error(&m))?;
    let argv: Vec<String> = std::iter::once(program)
        .chain(argv.into_iter().map(|a| substitute(a, &parameters)))
        .collect();
    let mut env = cx.sdk_env();
    env.extend(config.command.env.clone());
    let environment: &[Value] = match overrides.get("Environment") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(client_error(
                "Environment entries need a Name (a string without '=') and a string Value.",
            ))
        }
    };
    let environment = process::add_environment(environment, &config.allow_env, &guarded, &mut env)
        .map_err(|m| client_error(&m))?;
    let attempts = match params.pointer("/RetryStrategy/Attempts") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=MAX_ATTEMPTS) => n,
            _ => {
                return Err(client_error(
                    "RetryStrategy.Attempts must be an integer from 1 to 10.",
                ))
            }
        },
    };
    let attempt_limit = match params.pointer("/Timeout/AttemptDurationSeconds") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(Duration::from_secs(n)),
            _ => {
                return Err(client_error(
                    "Timeout.AttemptDurationSeconds must be a positive integer.",
                ))
            }
        },
    };
    let id = uuid::Uuid::new_v4().to_string();
    env.insert("AWS_BATCH_JOB_ID".into(), id.clone());
    env.insert(
        "AWS_BATCH_JQ_NAME".into(),
        queue_arn.rsplit('/').next().unwrap_or_default().to_string(),
    );
    env.insert("AWS_BATCH_CE_NAME".into(), "baton-local".into());
    Ok(Job {
        id,
        name: job_name,
        definition: name.to_string(),
        revision,
        queue_arn,
        parameters,
        argv,
        cwd: config.command.cwd.clone(),
        env,
        environment,
        resource_requirements: overrides
            .get("ResourceRequirements")
            .cloned()
            .unwrap_or_else(|| json!([])),
        retry_strategy: params.get("RetryStrategy").cloned(),
        timeout: params.get("Timeout").cloned(),
        tags: params.get("Tags").cloned().unwrap_or_else(|| json!({})),
        propagate_tags: params
            .get("PropagateTags")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        depends_on: params
            .get("DependsOn")
            .cloned()
            .unwrap_or_else(|| json!([])),
        attempts,
        attempt_limit,
        array_size,
        created_at: crate::now_millis(),
    })
}

/// Runs the job (an array job: its children, together) until it succeeds or fails; the
/// finished job as DescribeJobs describes it, or `States.TaskFailed` with it.
async fn run(
    cx: &CallContext,
    job: Arc<Job>,
    log: Option<std::fs::File>,
    log_dir: PathBuf,
    slots: Arc<Semaphore>,
) -> Result<Value, Failure> {
    let described = match (job.array_size, log) {
        (None, Some(log)) => {
            let attempts = run_attempts(&job, None, &log, &slots).await;
            describe(cx, &job, &attempts, None)
        }
        (None, None) => unreachable!("a job that is not an array has its log"),
        (Some(size), _) => {
            let mut children = tokio::task::JoinSet::new();
            for index in 0..size {
                let (job, log_dir, slots) = (job.clone(), log_dir.clone(), slots.clone());
                children.spawn(async move {
                    let id = format!("{}:{index}", job.id);
                    match process::create_log(&log_dir, &id) {
                        Ok(log) => {
                            let attempts = run_attempts(&job, Some(index), &log, &slots).await;
                            attempts.last().is_some_and(|a| a.succeeded)
                        }
                        Err(e) => {
                            tracing::warn!(job = %id, "cannot create the job's log: {e}");
                            false
                        }
                    }
                });
            }
            let mut succeeded = 0;
            while let Some(child) = children.join_next().await {
                succeeded += u64::from(child.unwrap_or(false));
            }
            describe(cx, &job, &[], Some((succeeded, size - succeeded)))
        }
    };
    tracing::info!(job = %job.id, status = %described["Status"], "Batch job finished");
    if described["Status"] == "SUCCEEDED" {
        Ok(described)
    } else {
        Err(("States.TaskFailed".into(), described.to_string()))
    }
}

/// Runs attempts of the job (or of its child `index`) until one succeeds or none is left.
async fn run_attempts(
    job: &Job,
    index: Option<u64>,
    log: &std::fs::File,
    slots: &Semaphore,
) -> Vec<Attempt> {
    let mut attempts = Vec::new();
    for number in 1..=job.attempts {
        let attempt = run_attempt(job, index, number, log, slots).await;
        let succeeded = attempt.succeeded;
        attempts.push(attempt);
        if succeeded {
            break;
        }
    }
    attempts
}

async fn run_attempt(
    job: &Job,
    index: Option<u64>,
    number: u64,
    log: &std::fs::File,
    slots: &Semaphore,
) -> Attempt {
    // The semaphore is never closed.
    let _permit = slots.acquire().await.ok();
    let task_id = uuid::Uuid::new_v4().simple().to_string();
    let started_at = crate::now_millis();
    let failed_to_start = |reason: String| Attempt {
        task_id: task_id.clone(),
        started_at,
        stopped_at: crate::now_millis(),
        exit_code: None,
        reason: Some(reason),
        status_reason: "Task failed to start".into(),
        succeeded: false,
    };
    let mut env = job.env.clone();
    env.insert("AWS_BATCH_JOB_ATTEMPT".into(), number.to_string());
    if let Some(index) = index {
        env.insert("AWS_BATCH_JOB_ID".into(), format!("{}:{index}", job.id));
        env.insert("AWS_BATCH_JOB_ARRAY_INDEX".into(), index.to_string());
    }
    let spawned =
        process::log_stdio(log).and_then(|stdio| process::spawn(&job.argv, &job.cwd, &env, stdio));
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return failed_to_start(format!(
                "CannotStartContainerError: cannot start {:?} in {}: {e}",
                job.argv[0],
                job.cwd.display()
            ))
        }
    };
    let ended = process::wait(&mut child, job.attempt_limit).await;
    let stopped_at = crate::now_millis();
    let essential = "Essential container in task exited".to_string();
    match ended {
        Ok(Ended::Exited(status)) => Attempt {
            task_id,
            started_at,
            stopped_at,
            exit_code: status.code(),
            reason: status.code().is_none().then(|| exit_status(&status)),
            status_reason: essential,
            succeeded: status.success(),
        },
        Ok(Ended::TimedOut) => Attempt {
            task_id,
            started_at,
            stopped_at,
            exit_code: None,
            reason: None,
            status_reason: "Job attempt duration exceeded timeout".into(),
            succeeded: false,
        },
        Err(e) => Attempt {
            reason: Some(format!("waiting for the container: {e}")),
            ..failed_to_start(String::new())
        },
    }
}

/// The job as DescribeJobs describes it, in Step Functions' PascalCase; an array job with how
/// many children succeeded and failed.
fn describe(
    cx: &CallContext,
    job: &Job,
    attempts: &[Attempt],
    children: Option<(u64, u64)>,
) -> Value {
    let log_stream = |a: &Attempt| format!("{}/default/{}", job.definition, a.task_id);
    let task_arn = |a: &Attempt| {
        format!(
            "arn:aws:ecs:{}:{}:task/baton-local/{}",
            cx.region, cx.account, a.task_id
        )
    };
    let container_of = |a: &Attempt| {
        let mut c = json!({
            "LogStreamName": log_stream(a),
            "NetworkInterfaces": [],
            "TaskArn": task_arn(a),
        });
        if let Some(code) = a.exit_code {
            c["ExitCode"] = json!(code);
        }
        if let Some(reason) = &a.reason {
            c["Reason"] = json!(reason);
        }
        c
    };
    let last = attempts.last();
    let mut container = json!({
        "Command": job.argv[1..],
        "Environment": job.environment.iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect::<Vec<_>>(),
        "Image": format!("baton-local/{}", job.definition),
        "MountPoints": [],
        "NetworkInterfaces": [],
        "ResourceRequirements": job.resource_requirements,
        "Secrets": [],
        "Ulimits": [],
        "Volumes": [],
    });
    if let Some(a) = last {
        if let Value::Object(more) = container_of(a) {
            container.as_object_mut().expect("an object").extend(more);
        }
    }
    let succeeded = match children {
        Some((_, failed)) => failed == 0,
        None => last.is_some_and(|a| a.succeeded),
    };
    let mut out = json!({
        "Attempts": attempts.iter().map(|a| json!({
            "Container": container_of(a),
            "StartedAt": a.started_at,
            "StatusReason": a.status_reason,
            "StoppedAt": a.stopped_at,
        })).collect::<Vec<_>>(),
        "Container": container,
        "CreatedAt": job.created_at,
        "DependsOn": job.depends_on,
        "EksAttempts": [],
        "JobArn": job_arn(cx, &job.id),
        "JobDefinition": format!(
            "arn:aws:batch:{}:{}:job-definition/{}:{}",
            cx.region, cx.account, job.definition, job.revision
        ),
        "JobId": job.id,
        "JobName": job.name,
        "JobQueue": job.queue_arn,
        "Parameters": job.parameters,
        "PlatformCapabilities": [],
        "PropagateTags": job.propagate_tags,
        "Status": if succeeded { "SUCCEEDED" } else { "FAILED" },
        "Tags": job.tags,
    });
    if let Some(first) = attempts.first() {
        out["StartedAt"] = json!(first.started_at);
    }
    if let Some(a) = last {
        out["StoppedAt"] = json!(a.stopped_at);
        out["StatusReason"] = json!(a.status_reason);
    }
    if let (Some(size), Some((ok, failed))) = (job.array_size, children) {
        out["ArrayProperties"] = json!({
            "Size": size,
            "StatusSummary": {
                "FAILED": failed, "PENDING": 0, "RUNNABLE": 0, "RUNNING": 0,
                "STARTING": 0, "SUBMITTED": 0, "SUCCEEDED": ok,
            },
        });
        out["StoppedAt"] = json!(crate::now_millis());
        out["StatusReason"] = json!(if failed == 0 {
            "All child jobs succeeded".to_string()
        } else {
            format!("{failed} of {size} child jobs failed")
        });
    }
    if let Some(r) = &job.retry_strategy {
        out["RetryStrategy"] = r.clone();
    }
    if let Some(t) = &job.timeout {
        out["Timeout"] = t.clone();
    }
    out
}

fn job_arn(cx: &CallContext, id: &str) -> String {
    format!("arn:aws:batch:{}:{}:job/{id}", cx.region, cx.account)
}

/// `Ref::NAME` → the parameter's value, as Batch fills a command entry that is a placeholder;
/// an entry naming no parameter stays as it is.
fn substitute(arg: String, parameters: &BTreeMap<String, String>) -> String {
    match arg
        .strip_prefix("Ref::")
        .and_then(|name| parameters.get(name))
    {
        Some(value) => value.clone(),
        None => arg,
    }
}

/// Batch's job names: up to 128 letters, numbers, hyphens and underscores, the first a letter
/// or number.
fn valid_job_name(name: &str) -> bool {
    name.len() <= 128
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `name`, `name:3`, `arn:aws:batch:REGION:ACCOUNT:job-definition/name:3` → (name, revision;
/// `1` when none is given).
fn parse_job_definition(text: &str) -> (String, String) {
    let tail = match text.split_once("job-definition/") {
        Some((_, t)) if text.starts_with("arn:") => t,
        _ => text,
    };
    match tail.split_once(':') {
        Some((name, revision)) => (name.to_string(), revision.to_string()),
        None => (tail.to_string(), "1".to_string()),
    }
}

/// SubmitJob's refusal (`ClientException`) as Step Functions names it.
fn client_error(message: &str) -> Failure {
    process::service_error(
        "Batch.ClientException",
        "AWSBatch",
        400,
        "ClientException",
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::{parse_job_definition, substitute, valid_job_name};
    use std::collections::BTreeMap;

    #[test]
    fn job_definition_forms() {
        let cases = [
            ("report", ("report", "1")),
            ("report:7", ("report", "7")),
            (
                "arn:aws:batch:us-east-1:123456789012:job-definition/report:3",
                ("report", "3"),
            ),
        ];
        for (text, (name, revision)) in cases {
            assert_eq!(
                parse_job_definition(text),
                (name.to_string(), revision.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn placeholders_are_whole_entries() {
        let parameters = BTreeMap::from([("day".to_string(), "2024-01-02".to_string())]);
        assert_eq!(substitute("Ref::day".into(), &parameters), "2024-01-02");
        assert_eq!(substitute("Ref::other".into(), &parameters), "Ref::other");
        assert_eq!(substitute("x-Ref::day".into(), &parameters), "x-Ref::day");
    }

    #[test]
    fn job_names() {
        assert!(valid_job_name("nightly-report_1"));
        assert!(!valid_job_name("-report"));
        assert!(!valid_job_name("a b"));
        assert!(!valid_job_name(&"a".repeat(129)));
    }
}
