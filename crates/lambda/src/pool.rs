//! The warm processes of one function: started on first use, reused, at most
//! `max_concurrency` busy at once, stopped after [`IDLE_TIMEOUT`] unused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::json;
use tokio::sync::{oneshot, Semaphore};

use crate::api::{self, Delivery, Posted, Shared};
use crate::logs::{self, LogFile, Output};
use crate::{Function, Invoke, Reply, Runtimes};

/// A warm process unused this long is stopped (Lambda keeps an idle execution environment for
/// minutes, without a documented figure; ten minutes keeps a local edit-run loop warm without
/// holding processes all day).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Invocations that may wait for a free process, per function, beyond those running. Past it
/// an invocation is refused (`TooManyRequestsException`), so that waiting is bounded; a
/// waiting invocation holds only its event.
pub const MAX_WAITING: usize = 100_000;

/// The bytes of events that may wait, per function, beyond those running (256 MiB): past it an
/// invocation is refused as past [`MAX_WAITING`].
pub const MAX_WAITING_BYTES: usize = 256 * 1024 * 1024;

/// How long, after a result, Baton waits for the process's output of that invocation to be
/// read (its runtime wrote it before the result; this is only the pipe's delay).
const OUTPUT_PATIENCE: Duration = Duration::from_secs(2);

/// Why an invocation did not reach the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More than [`MAX_WAITING`] invocations are waiting.
    TooManyRequests,
    /// The process could not be started (no such program, the code folder is missing, …).
    Start(String),
}

/// One function's processes.
pub struct Pool {
    function: Arc<Function>,
    runtimes: Arc<Runtimes>,
    busy: Semaphore,
    waiting: AtomicUsize,
    waiting_bytes: AtomicUsize,
    idle: Mutex<Vec<Sandbox>>,
    log: Arc<LogFile>,
}

impl Pool {
    /// A pool for `function`; no process starts until the first invocation. A task stops idle
    /// processes while the pool lives.
    pub fn new(function: Function, runtimes: Arc<Runtimes>, log: Option<PathBuf>) -> Arc<Pool> {
        let permits = function.max_concurrency.max(1);
        let pool = Arc::new(Pool {
            function: Arc::new(function),
            runtimes,
            busy: Semaphore::new(permits),
            waiting: AtomicUsize::new(0),
            waiting_bytes: AtomicUsize::new(0),
            idle: Mutex::new(Vec::new()),
            log: Arc::new(LogFile::new(log)),
        });
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(reap(Arc::downgrade(&pool)));
        }
        pool
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    /// The idle processes' ids, for tests and diagnostics.
    pub fn idle_pids(&self) -> Vec<u32> {
        lock(&self.idle).iter().filter_map(|s| s.pid).collect()
    }

    /// Stops every idle process now.
    pub fn stop_idle(&self) {
        self.stop_idle_since(Duration::ZERO);
    }

    /// Stops the processes unused for `idle` or longer.
    pub fn stop_idle_since(&self, idle: Duration) {
        let stale: Vec<Sandbox> = {
            let mut sandboxes = lock(&self.idle);
            let (stale, fresh) = std::mem::take(&mut *sandboxes)
                .into_iter()
                .partition(|s| s.last_used.elapsed() >= idle);
            *sandboxes = fresh;
            stale
        };
        drop(stale);
    }

    /// Runs one invocation: waits for a free process (starting one if none is warm), hands it
    /// the event and waits for its result, the function's timeout at most.
    pub async fn invoke(&self, invoke: Invoke) -> Result<Reply, Refusal> {
        let bytes = invoke.event.len();
        let waiting = self.waiting.fetch_add(1, Ordering::AcqRel);
        let waiting_bytes = self.waiting_bytes.fetch_add(bytes, Ordering::AcqRel);
        let release = || {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.waiting_bytes.fetch_sub(bytes, Ordering::AcqRel);
        };
        // The first waiting invocation is taken whatever its size (the size limit is the
        // caller's); after it, both bounds hold.
        if waiting >= MAX_WAITING || (waiting > 0 && waiting_bytes + bytes > MAX_WAITING_BYTES) {
            release();
            return Err(Refusal::TooManyRequests);
        }
        let permit = self.busy.acquire().await;
        release();
        let Ok(_permit) = permit else {
            return Err(Refusal::Start("the function's pool is closed".into()));
        };
        let warm = loop {
            // The most recently used first: its caches are the warmest. Only a process started
            // with this invocation's SDK environment (its account's credentials, its region):
            // as on Lambda, a sandbox serves one account and region.
            let taken = {
                let mut idle = lock(&self.idle);
                idle.iter()
                    .rposition(|s| s.sdk_env == invoke.sdk_env)
                    .map(|at| idle.remove(at))
            };
            let Some(mut s) = taken else {
                break None;
            };
            // One that ended while idle is not handed an invocation.
            if matches!(s.child.try_wait(), Ok(None)) {
                break Some(s);
            }
        };
        let (mut sandbox, reply, healthy) = match warm {
            Some(mut s) => match s.run(&self.function, invoke.clone(), false).await {
                Ran::Done(reply, healthy) => (s, reply, healthy),
                // The warm process ended before it took the invocation (it was exiting after
                // its last one): the invocation goes to a fresh process.
                Ran::NotTaken => {
                    drop(s);
                    self.cold(invoke).await?
                }
            },
            None => self.cold(invoke).await?,
        };
        if healthy {
            sandbox.last_used = Instant::now();
            lock(&self.idle).push(sandbox);
        }
        Ok(reply)
    }

    /// Runs `invoke` on a process started for it.
    async fn cold(&self, invoke: Invoke) -> Result<(Sandbox, Reply, bool), Refusal> {
        let mut sandbox = self.start(&invoke.sdk_env).map_err(Refusal::Start)?;
        match sandbox.run(&self.function, invoke, true).await {
            Ran::Done(reply, healthy) => Ok((sandbox, reply, healthy)),
            Ran::NotTaken => Err(Refusal::Start(
                "the process ended before it took the invocation".into(),
            )),
        }
    }

    fn start(&self, sdk_env: &BTreeMap<String, String>) -> Result<Sandbox, String> {
        Sandbox::start(&self.function, &self.runtimes, sdk_env, self.log.clone())
    }
}

/// Stops processes idle longer than [`IDLE_TIMEOUT`], every minute, while the pool lives.
async fn reap(pool: Weak<Pool>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let Some(pool) = pool.upgrade() else { return };
        pool.stop_idle_since(IDLE_TIMEOUT);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How an invocation handed to a process ended.
enum Ran {
    /// Its reply, and whether the process may take another.
    Done(Reply, bool),
    /// The process (a warm one) ended without taking it.
    NotTaken,
}

/// One warm process, its Runtime API and its output.
struct Sandbox {
    child: tokio::process::Child,
    pid: Option<u32>,
    shared: Arc<Shared>,
    deliveries: tokio::sync::mpsc::Sender<Delivery>,
    server: tokio::task::JoinHandle<()>,
    output: Arc<Output>,
    last_used: Instant,
    /// The SDK environment it was started with (see [`Pool::invoke`]).
    sdk_env: BTreeMap<String, String>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The process is killed by `kill_on_drop`; its Runtime API goes with it.
        self.server.abort();
        let _ = self.child.start_kill();
    }
}

impl Sandbox {
    fn start(
        function: &Function,
        runtimes: &Runtimes,
        sdk_env: &BTreeMap<String, String>,
        log: Arc<LogFile>,
    ) -> Result<Sandbox, String> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot open the Runtime API: {e}"))?;
        let port = std_listener
            .local_addr()
            .map_err(|e| format!("cannot open the Runtime API: {e}"))?
            .port();
        std_listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot open the Runtime API: {e}"))?;
        let listener = tokio::net::TcpListener::from_std(std_listener)
            .map_err(|e| format!("cannot open the Runtime API: {e}"))?;
        let (program, args) = runtimes.program(function)?;
        let env = crate::env::environment(function, runtimes, sdk_env, port);
        let (reader, writer) =
            std::io::pipe().map_err(|e| format!("cannot open the output pipe: {e}"))?;
        let writer2 = writer
            .try_clone()
            .map_err(|e| format!("cannot open the output pipe: {e}"))?;
        let mut command = tokio::process::Command::new(&program);
        command
            .args(&args)
            .current_dir(&function.code)
            .env_clear()
            .envs(&env)
            .stdin(std::process::Stdio::null())
            .stdout(writer)
            .stderr(writer2)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| {
            format!(
                "cannot start {} for the {} runtime in {}: {e}",
                program.display(),
                function.runtime,
                function.code.display()
            )
        })?;
        // The parent's copies of the pipe's write end went with `command`: the pipe closes
        // when the process (and whatever it started) is gone.
        drop(command);
        let pipe =
            tokio::net::unix::pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(reader))
                .map_err(|e| format!("cannot read the process's output: {e}"))?;
        let output = Output::new(log);
        tokio::spawn(logs::read(pipe, output.clone()));
        let (shared, deliveries) = Shared::new();
        let server = tokio::spawn(api::serve(listener, shared.clone()));
        Ok(Sandbox {
            pid: child.id(),
            child,
            shared,
            deliveries,
            server,
            output,
            last_used: Instant::now(),
            sdk_env: sdk_env.clone(),
        })
    }

    /// Runs one invocation on this process.
    async fn run(&mut self, function: &Function, invoke: Invoke, cold: bool) -> Ran {
        let request_id = invoke.request_id.clone();
        let timeout = function.timeout;
        let deadline = Instant::now() + timeout;
        let deadline_ms = crate::now_millis() + timeout.as_millis() as u64;
        let (tx, rx) = oneshot::channel();
        self.shared.expect(&request_id, tx);
        self.output.begin(&request_id);
        let delivery = Delivery {
            request_id: request_id.clone(),
            event: invoke.event,
            deadline_ms,
            invoked_arn: invoke.invoked_arn,
            trace_id: invoke.trace_header.unwrap_or_else(trace_id),
            client_context: invoke.client_context,
            cognito_identity: invoke.cognito_identity,
        };
        let reply = |payload: Vec<u8>, function_error: bool, log_tail: String| Reply {
            payload,
            function_error,
            log_tail,
            cold_start: cold,
        };
        if self.deliveries.send(delivery).await.is_err() {
            self.shared.forget();
            let tail = self.output.finish(&request_id, false, Duration::ZERO).await;
            return Ran::Done(
                reply(
                    exit_error(&request_id, "the runtime API closed"),
                    true,
                    tail,
                ),
                false,
            );
        }
        let ended = tokio::select! {
            biased;
            posted = rx => Ok(posted),
            status = self.child.wait() => Err(status),
            _ = tokio::time::sleep_until(deadline.into()) => {
                self.shared.forget();
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                let tail = self.output.finish(&request_id, true, OUTPUT_PATIENCE).await;
                let payload = json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!(
                        "RequestId: {request_id} Error: Task timed out after {}.00 seconds",
                        timeout.as_secs()
                    ),
                });
                return Ran::Done(reply(payload.to_string().into_bytes(), true, tail), false);
            }
        };
        match ended {
            Ok(Ok(Posted::Response { body, marked })) => {
                let tail = self
                    .output
                    .finish(&request_id, marked, OUTPUT_PATIENCE)
                    .await;
                Ran::Done(reply(body.to_vec(), false, tail), true)
            }
            Ok(Ok(Posted::Error {
                body,
                error_type,
                marked,
            })) => {
                let tail = self
                    .output
                    .finish(&request_id, marked, OUTPUT_PATIENCE)
                    .await;
                Ran::Done(reply(error_body(body, error_type), true, tail), true)
            }
            Ok(Ok(Posted::TooLarge { marked })) => {
                let tail = self
                    .output
                    .finish(&request_id, marked, OUTPUT_PATIENCE)
                    .await;
                // Lambda's wording for a result over the limit (the developer guide, "Lambda
                // quotas"; Function.ResponseSizeTooLarge as the Invoke API reports it).
                let payload = json!({
                    "errorMessage": format!(
                        "Response payload size exceeded maximum allowed payload size ({} bytes).",
                        api::MAX_RESPONSE_BYTES
                    ),
                    "errorType": "Function.ResponseSizeTooLarge",
                });
                // The runtime's connection was cut mid-body: start afresh next time.
                Ran::Done(reply(payload.to_string().into_bytes(), true, tail), false)
            }
            Ok(Ok(Posted::InitError { body, error_type })) => {
                // The runtime could not load the function: this process is done; the next
                // invocation starts a fresh one.
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                let tail = self.output.finish(&request_id, true, OUTPUT_PATIENCE).await;
                Ran::Done(reply(error_body(body, error_type), true, tail), false)
            }
            Ok(Err(_)) => {
                let tail = self.output.finish(&request_id, false, Duration::ZERO).await;
                Ran::Done(
                    reply(
                        exit_error(&request_id, "the runtime API closed"),
                        true,
                        tail,
                    ),
                    false,
                )
            }
            Err(status) => {
                self.shared.forget();
                if !cold && !self.shared.taken.load(std::sync::atomic::Ordering::Acquire) {
                    self.output.finish(&request_id, false, Duration::ZERO).await;
                    return Ran::NotTaken;
                }
                let status = match status {
                    Ok(s) => exit_status(&s),
                    Err(e) => e.to_string(),
                };
                let tail = self.output.finish(&request_id, true, OUTPUT_PATIENCE).await;
                Ran::Done(reply(exit_error(&request_id, &status), true, tail), false)
            }
        }
    }
}

/// An error body as posted; one that is not JSON with an `errorType` is given the type of the
/// `Lambda-Runtime-Function-Error-Type` header, as Lambda reads it.
fn error_body(body: Bytes, error_type: Option<String>) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(map)) if map.contains_key("errorType") => body.to_vec(),
        Ok(serde_json::Value::Object(mut map)) => {
            if let Some(t) = error_type {
                map.insert("errorType".into(), t.into());
            }
            serde_json::Value::Object(map).to_string().into_bytes()
        }
        _ => json!({
            "errorType": error_type.unwrap_or_else(|| "Unhandled".to_string()),
            "errorMessage": String::from_utf8_lossy(&body),
        })
        .to_string()
        .into_bytes(),
    }
}

/// `Runtime.ExitError` as Lambda words it: `RequestId: <id> Error: Runtime exited with error:
/// exit status 1` (the status in Go's `ProcessState` form: `exit status N`, `signal: killed`).
fn exit_error(request_id: &str, status: &str) -> Vec<u8> {
    json!({
        "errorType": "Runtime.ExitError",
        "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
    })
    .to_string()
    .into_bytes()
}

/// A process's end in Go's `ProcessState.String()` form, which Lambda's messages use.
pub(crate) fn exit_status(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    let name = match status.signal() {
        Some(1) => "hangup",
        Some(2) => "interrupt",
        Some(6) => "aborted",
        Some(9) => "killed",
        Some(11) => "segmentation fault",
        Some(13) => "broken pipe",
        Some(15) => "terminated",
        Some(n) => return format!("signal: {n}"),
        None => return "unknown exit status".to_string(),
    };
    format!("signal: {name}")
}

/// An X-Ray trace header of the form Lambda passes (`Root=1-<time>-<24 hex>;Parent=…;Sampled=0`).
fn trace_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        crate::now_millis() / 1000,
        &id[..24],
        &id[16..32]
    )
}
