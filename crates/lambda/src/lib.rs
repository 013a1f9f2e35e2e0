//! Lambda functions as written: handlers run in warm local processes behind Lambda's Runtime
//! API.
//!
//! A function (`runtime`, `handler`, `code`) gets a [`Pool`] of processes. Each process is a
//! runtime as Lambda starts one: for `nodejs*` and `python3.*`, Baton's own bootstrap for that
//! language (embedded in this crate, written once to a folder of their own, the
//! `LAMBDA_RUNTIME_DIR`, under the data folder or the temporary one), which loads the handler from `LAMBDA_TASK_ROOT` and serves
//! invocations; for `provided*`, the function's own `<code>/bootstrap`, unchanged, so a binary
//! built with Rust's `lambda_runtime` or Go's `aws-lambda-go` runs as it does on Lambda.
//!
//! **One Runtime API per process.** Every process gets its own loopback listener
//! (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT`), so the port says which process is asking and no
//! routing by header or path is needed; a process's requests go over one kept-alive
//! connection. Baton's bootstraps write HTTP/1.1 themselves and send an invocation's result and
//! the request for the next one in one write (pipelined; the server answers in order), which
//! is most of their speed. See [`api`] for the endpoints.
//!
//! **Lifecycle.** A process starts on its function's first invocation (a cold start) and then
//! takes one invocation at a time, for as long as it stays healthy: at most `max_concurrency`
//! are busy at once and further invocations wait (bounded, [`pool::MAX_WAITING`]); a process
//! unused for [`pool::IDLE_TIMEOUT`] is stopped. A timeout kills the process
//! (`Sandbox.Timedout`), an exit in the middle of an invocation is `Runtime.ExitError`, an
//! `/init/error` fails the invocation with the error the runtime posted; in each case the next
//! invocation starts a fresh process. Every process is killed when its pool is dropped
//! (`kill_on_drop`), so none outlives Baton.
//!
//! **Output.** A process's stdout and stderr go to the function's log file, each line under
//! the request id of the invocation that printed it ([`logs`]).

pub mod api;
mod env;
pub mod logs;
pub mod pool;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use env::RESERVED;
pub use pool::{Pool, Refusal};

/// One handler function, as the pool runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    /// `nodejs20.x`, `python3.12`, `provided.al2023`, …
    pub runtime: String,
    pub handler: String,
    /// `LAMBDA_TASK_ROOT`, the process's working folder.
    pub code: PathBuf,
    pub environment: BTreeMap<String, String>,
    pub memory_mb: u32,
    pub max_concurrency: usize,
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_VERSION` (`$LATEST`).
    pub version: String,
}

/// One invocation.
#[derive(Debug, Clone)]
pub struct Invoke {
    pub request_id: String,
    /// The event (cheap to clone: a warm process that ends before taking it hands it on).
    pub event: bytes::Bytes,
    /// The ARN the caller named (`Lambda-Runtime-Invoked-Function-Arn`).
    pub invoked_arn: String,
    /// The SDK environment a process started for this invocation gets (endpoints, region,
    /// dummy credentials); a warm process keeps the one it started with.
    pub sdk_env: BTreeMap<String, String>,
    pub client_context: Option<String>,
    pub cognito_identity: Option<String>,
    /// The X-Ray trace header the invocation continues (`Lambda-Runtime-Trace-Id`, which
    /// runtimes put in `_X_AMZN_TRACE_ID`); `None`: a new, unsampled one.
    pub trace_header: Option<String>,
}

/// What an invocation answered, as Lambda's Invoke API returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The result as the function wrote it, or the error (`{"errorType", "errorMessage", …}`).
    pub payload: Vec<u8>,
    /// The payload is an error (`X-Amz-Function-Error: Unhandled`).
    pub function_error: bool,
    /// The last 4 KB of the lines the invocation printed.
    pub log_tail: String,
    /// A process was started for this invocation.
    pub cold_start: bool,
}

/// The runtimes' files: Baton's bootstraps, written once to a folder that is removed with it.
pub struct Runtimes {
    dir: tempfile::TempDir,
    /// The Python interpreter found for each `python3.N` runtime.
    pythons: std::sync::Mutex<BTreeMap<String, String>>,
}

const NODE_BOOTSTRAP: &str = include_str!("bootstrap/node.cjs");
const PYTHON_BOOTSTRAP: &str = include_str!("bootstrap/python.py");

impl Runtimes {
    /// Writes the bootstraps to a new folder (`runtimes-<pid>-…` under `parent`, else
    /// `baton-runtimes-<pid>-…` in the temporary folder), removed when the `Runtimes` are
    /// dropped. Folders left by processes that no longer run (killed before they could remove
    /// theirs) are removed first.
    pub fn new(parent: Option<&Path>) -> std::io::Result<Runtimes> {
        let (parent, base) = match parent {
            Some(p) => (p.to_path_buf(), "runtimes-"),
            None => (std::env::temp_dir(), "baton-runtimes-"),
        };
        std::fs::create_dir_all(&parent)?;
        remove_abandoned(&parent, base);
        let prefix = format!("{base}{}-", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)?;
        for (folder, file, text) in [
            ("nodejs", "bootstrap.cjs", NODE_BOOTSTRAP),
            ("python", "bootstrap.py", PYTHON_BOOTSTRAP),
        ] {
            let folder = dir.path().join(folder);
            std::fs::create_dir_all(&folder)?;
            std::fs::write(folder.join(file), text)?;
        }
        Ok(Runtimes {
            dir,
            pythons: Default::default(),
        })
    }

    /// `LAMBDA_RUNTIME_DIR` for a runtime.
    fn dir_of(&self, runtime: &str) -> PathBuf {
        if runtime.starts_with("nodejs") {
            self.dir.path().join("nodejs")
        } else if runtime.starts_with("python") {
            self.dir.path().join("python")
        } else {
            self.dir.path().to_path_buf()
        }
    }

    /// The interpreter of Python `version` (`3.12`) when one runs, else `python3`; asked once.
    fn python(&self, version: &str) -> String {
        let mut found = self.pythons.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = found.get(version) {
            return p.clone();
        }
        let versioned = format!("python{version}");
        // A version manager's shim may be on PATH without that version behind it: try it.
        let runs = std::process::Command::new(&versioned)
            .args(["-c", "pass"])
            .env_clear()
            .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
            .envs(std::env::var_os("HOME").map(|p| ("HOME", p)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let program = if runs {
            versioned
        } else {
            "python3".to_string()
        };
        found.insert(version.to_string(), program.clone());
        program
    }

    /// The program and arguments that start a process of `function`.
    fn program(&self, function: &Function) -> Result<(PathBuf, Vec<String>), String> {
        let runtime = function.runtime.as_str();
        if runtime.starts_with("nodejs") {
            let script = self.dir_of(runtime).join("bootstrap.cjs");
            return Ok((PathBuf::from("node"), vec![script.display().to_string()]));
        }
        if let Some(version) = runtime.strip_prefix("python") {
            let script = self.dir_of(runtime).join("bootstrap.py");
            let program = self.python(version);
            return Ok((
                PathBuf::from(program),
                vec!["-u".into(), script.display().to_string()],
            ));
        }
        let bootstrap = function.code.join("bootstrap");
        if !bootstrap.is_file() {
            return Err(format!(
                "the {} runtime runs <code>/bootstrap, and {} is not a file",
                function.runtime,
                bootstrap.display()
            ));
        }
        Ok((bootstrap, Vec::new()))
    }
}

/// Removes the `<base><pid>-…` folders in `parent` whose process no longer runs.
fn remove_abandoned(parent: &Path, base: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(base))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub(crate) fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
