//! What ECS tasks, Batch jobs and Glue job runs share as local processes: the log file each
//! writes to, starting the configured command, the container overrides a configuration
//! admits, waiting with an optional time limit, and the SDK metadata an optimized
//! integration's answer carries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::Failure;

/// How many ECS tasks, Batch jobs and Glue job runs run at once, all together; further ones
/// wait for a slot (a Batch
/// job stays `RUNNABLE` meanwhile, as on a compute environment without room), so a Map of
/// thousands of iterations does not start thousands of processes.
pub const MAX_JOB_PROCESSES: usize = 64;

/// A call to a job service that Baton may or may not serve here: the local result, or the
/// sign that the job (definition) is not configured locally, with the failure the service
/// itself gives for it (used when nothing else can run the job).
#[derive(Debug)]
pub enum Outcome {
    Ran(Result<Value, Failure>),
    NotConfigured(Failure),
}

impl Outcome {
    /// The result, an unconfigured job failing as the service fails an unknown one.
    pub fn into_result(self) -> Result<Value, Failure> {
        match self {
            Outcome::Ran(result) => result,
            Outcome::NotConfigured(failure) => Err(failure),
        }
    }
}

/// `<dir>/<id>.log`.
pub(crate) fn log_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.log"))
}

/// Creates `<dir>/<id>.log` (and `dir`).
pub(crate) fn create_log(dir: &Path, id: &str) -> std::io::Result<std::fs::File> {
    std::fs::create_dir_all(dir)?;
    std::fs::File::create(log_path(dir, id))
}

/// `file` as a process's stdout and stderr.
pub(crate) fn log_stdio(file: &std::fs::File) -> std::io::Result<(Stdio, Stdio)> {
    Ok((
        Stdio::from(file.try_clone()?),
        Stdio::from(file.try_clone()?),
    ))
}

/// Creates `<dir>/<id>.log` for a process's stdout and stderr.
pub(crate) fn open_log(dir: &Path, id: &str) -> std::io::Result<(Stdio, Stdio)> {
    let file = create_log(dir, id)?;
    let err = file.try_clone()?;
    Ok((Stdio::from(file), Stdio::from(err)))
}

/// Starts `argv` in `cwd` with `env` added to Baton's environment, stdin empty, stdout and
/// stderr to `log`. Never through a shell.
pub(crate) fn spawn(
    argv: &[String],
    cwd: &Path,
    env: &BTreeMap<String, String>,
    log: (Stdio, Stdio),
) -> std::io::Result<tokio::process::Child> {
    let (out, err) = log;
    tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(cwd)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
}

/// How a waited-for process ended.
pub(crate) enum Ended {
    Exited(ExitStatus),
    /// The time limit passed; the process was killed.
    TimedOut,
}

/// Waits for `child`, killing it once `limit` (when given) passes.
pub(crate) async fn wait(
    child: &mut tokio::process::Child,
    limit: Option<Duration>,
) -> std::io::Result<Ended> {
    let Some(limit) = limit else {
        return child.wait().await.map(Ended::Exited);
    };
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.map(Ended::Exited),
        Err(_) => {
            let _ = child.kill().await;
            Ok(Ended::TimedOut)
        }
    }
}

/// Whom a refused override is about, for its message: `the task definition family math` and
/// the configuration section `ecs.math`.
pub(crate) struct Guarded<'a> {
    pub what: &'a str,
    pub section: &'a str,
}

/// Appends a `Command` override to `argv` when the configuration sets `allow_command`: the
/// configured command plays the container's ENTRYPOINT, so an override passes arguments and
/// never chooses the program. `Err`: the message the service's refusal carries.
pub(crate) fn append_command(
    args: &[Value],
    allow_command: bool,
    guarded: &Guarded,
    argv: &mut Vec<String>,
) -> Result<(), String> {
    if !args.is_empty() && !allow_command {
        return Err(format!(
            "Command overrides are not allowed for {}: Baton's configuration ([{}] in baton.toml) does not set allow_command = true.",
            guarded.what, guarded.section
        ));
    }
    for a in args {
        match a.as_str() {
            Some(s) if !s.contains('\0') => argv.push(s.to_string()),
            _ => return Err("Command entries must be strings.".to_string()),
        }
    }
    Ok(())
}

/// Adds `Environment` overrides (`[{"Name", "Value"}]`) to `env`, only for the names `allow`
/// lists: a name such as `LD_PRELOAD` or `PYTHONPATH` chooses code. Returns the entries
/// added. `Err`: the message the service's refusal carries.
pub(crate) fn add_environment(
    entries: &[Value],
    allow: &BTreeSet<String>,
    guarded: &Guarded,
    env: &mut BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, String> {
    let mut added = Vec::new();
    for e in entries {
        let (name, value) =
            match (
                e.get("Name").and_then(Value::as_str),
                e.get("Value").and_then(Value::as_str),
            ) {
                (Some(n), v) if !n.is_empty() && !n.contains(['=', '\0']) => (n, v.unwrap_or("")),
                _ => return Err(
                    "Environment entries need a Name (a string without '=') and a string Value."
                        .to_string(),
                ),
            };
        if !allow.contains(name) {
            return Err(format!(
                "The environment variable {name} cannot be overridden for {}: it is not in allow_env of [{}] in Baton's configuration (baton.toml).",
                guarded.what, guarded.section
            ));
        }
        if value.contains('\0') {
            return Err(format!(
                "The value of the environment variable {name} contains NUL."
            ));
        }
        env.insert(name.to_string(), value.to_string());
        added.push((name.to_string(), value.to_string()));
    }
    Ok(added)
}

/// `body` with the `SdkHttpMetadata` and `SdkResponseMetadata` Step Functions adds to an
/// optimized integration's answer (as recorded from AWS for its SDK-v1 integrations).
pub(crate) fn with_sdk_metadata(body: Value, content_type: &str) -> Value {
    let request_id = uuid::Uuid::new_v4().to_string();
    let length = body.to_string().len().to_string();
    let date = crate::functions::http_date();
    let mut out = body;
    out["SdkHttpMetadata"] = json!({
        "AllHttpHeaders": {
            "x-amzn-RequestId": [request_id],
            "Content-Length": [length],
            "Date": [date],
            "Content-Type": [content_type]
        },
        "HttpHeaders": {
            "Content-Length": length,
            "Content-Type": content_type,
            "Date": date,
            "x-amzn-RequestId": request_id
        },
        "HttpStatusCode": 200
    });
    out["SdkResponseMetadata"] = json!({ "RequestId": request_id });
    out
}

/// A service error as Step Functions names an optimized integration's (`<Service>.<the AWS
/// SDK for Java v1 exception class>`), with that SDK's message suffix.
pub(crate) fn service_error(
    error: &str,
    service: &str,
    status: u16,
    code: &str,
    message: &str,
) -> Failure {
    let request_id = uuid::Uuid::new_v4();
    (
        error.to_string(),
        format!(
            "{message} (Service: {service}; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
        ),
    )
}
