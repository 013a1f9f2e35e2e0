//! Lambda functions on this machine: a Lambda ARN used as a `Resource`, and
//! `arn:aws:states:::lambda:invoke` (`FunctionName`, `Payload`), resolved to a configured
//! command (event JSON on stdin, result JSON on stdout), HTTP endpoint (event POSTed, result
//! in the body), or handler (`runtime`, `handler`, `code`: the function as written, run by
//! `baton-lambda` in warm processes behind Lambda's Runtime API; its errors are the payloads
//! the runtime posted, named and caused as a command's are).
//!
//! [`Functions::invoke_raw`] answers as Lambda's Invoke API does (a function error is a payload
//! flagged `function_error`), for every kind; [`Functions::invoke`] builds the task's result
//! or failure from the same answers.
//!
//! Failures take the names Lambda and Step Functions give them:
//!
//! * the function reports an error (non-zero exit or non-2xx answer with Lambda's error shape
//!   `{"errorType", "errorMessage", …}` on stdout, stderr or in the body): error = `errorType`,
//!   cause = that JSON as the function wrote it;
//! * an error payload without `errorType`: `Lambda.Unknown`, with the cause Step Functions
//!   writes ("The cause could not be determined because Lambda did not return an error type.");
//! * a process that exits non-zero without that shape: `Runtime.ExitError`, as Lambda reports a
//!   runtime that exited;
//! * success with stdout that is not JSON, or a command that prints nothing:
//!   `Runtime.MarshalError`, naming the function;
//! * the function's `timeout_seconds` passes: the process is killed, `Sandbox.Timedout`;
//! * no such function: `Lambda.ResourceNotFoundException` with Lambda's "Function not found"
//!   message; an HTTP endpoint that cannot be reached: `Lambda.ServiceException`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::config::{Command, Config, Function, Handler, Target, DEFAULT_MEMORY_MB};
use crate::Failure;

/// Where a call comes from: the execution's region and account (for ARNs and the SDK
/// environment given to processes) and the endpoint Baton serves.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub region: String,
    pub account: String,
    /// `AWS_ENDPOINT_URL` for processes Baton starts.
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_S3` for processes Baton starts (`baton serve`'s S3 endpoint, or the
    /// `[storage] endpoint`); without it they keep the one they inherit.
    pub s3_endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>` for the services `[aws]` sends elsewhere (variable, URL).
    pub service_endpoints: std::sync::Arc<Vec<(String, String)>>,
    /// The server's keys, when requests must be signed: processes then get a key of their
    /// execution's account ([`baton_auth::Keys::process_key`]) instead of dummies.
    pub keys: Option<std::sync::Arc<baton_auth::Keys>>,
    /// The trace the call continues (the task attempt's span as parent), when the execution
    /// is traced: functions get it as `_X_AMZN_TRACE_ID` and `TRACEPARENT`.
    pub trace: Option<baton_engine::trace::TraceContext>,
}

impl CallContext {
    /// The environment an AWS SDK inside a started process needs to talk to Baton.
    pub fn sdk_env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        if let Some(url) = &self.endpoint_url {
            env.insert("AWS_ENDPOINT_URL".into(), url.clone());
        }
        // Read by the AWS SDKs (boto3, JS v3, Java v2, Go v2, Rust) before AWS_ENDPOINT_URL for
        // S3: Baton's own S3 endpoint, or the `[storage] endpoint` the Task buckets are on. An
        // endpoint whose host is an IP address is addressed path-style without being told;
        // for one named by a host name the program must ask for path style itself (there is
        // no standard variable for it). The credentials below are dummies (or, with keys, a
        // key of the execution's account for Baton's own APIs): an external endpoint's are
        // Baton's own and are not handed on (a function's or task's `env` can set others).
        if let Some(url) = &self.s3_endpoint_url {
            env.insert("AWS_ENDPOINT_URL_S3".into(), url.clone());
        }
        // The services Task states reach elsewhere, the programs reach there too.
        for (var, url) in self.service_endpoints.iter() {
            env.insert(var.clone(), url.clone());
        }
        let (key_id, secret) = match &self.keys {
            Some(keys) => keys.process_key(&self.account),
            None => (self.account.clone(), "baton".to_string()),
        };
        env.insert("AWS_ACCESS_KEY_ID".into(), key_id);
        env.insert("AWS_SECRET_ACCESS_KEY".into(), secret);
        env.insert("AWS_SESSION_TOKEN".into(), String::new());
        env.insert("AWS_REGION".into(), self.region.clone());
        env.insert("AWS_DEFAULT_REGION".into(), self.region.clone());
        env
    }
}

/// A function reference parsed from a Lambda ARN or a `FunctionName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    pub qualifier: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
}

impl FunctionRef {
    /// `my-function`, `my-function:v1`, `123456789012:function:my-function[:v1]`,
    /// `arn:aws:lambda:us-east-1:123456789012:function:my-function[:v1]`.
    pub fn parse(text: &str) -> Option<FunctionRef> {
        let parts: Vec<&str> = text.split(':').collect();
        let (region, account, rest) = match parts.as_slice() {
            ["arn", _partition, "lambda", region, account, "function", rest @ ..] => {
                (Some(*region), Some(*account), rest)
            }
            [account, "function", rest @ ..] => (None, Some(*account), rest),
            rest => (None, None, rest),
        };
        let (name, qualifier) = match rest {
            [name] => (*name, None),
            [name, qualifier] if !qualifier.is_empty() => (*name, Some(*qualifier)),
            _ => return None,
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 140
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !valid(name) {
            return None;
        }
        Some(FunctionRef {
            name: name.to_string(),
            qualifier: qualifier.map(str::to_string),
            region: region.filter(|r| !r.is_empty()).map(str::to_string),
            account: account.filter(|a| !a.is_empty()).map(str::to_string),
        })
    }

    /// The qualified ARN Lambda names in its messages.
    fn arn(&self, cx: &CallContext) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}:{}",
            self.region.as_deref().unwrap_or(&cx.region),
            self.account.as_deref().unwrap_or(&cx.account),
            self.name,
            self.qualifier.as_deref().unwrap_or("$LATEST")
        )
    }
}

/// What the function answered: its result payload, and the version that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoked {
    pub payload: Value,
    /// Bytes of the payload as the function wrote them.
    pub length: usize,
    pub executed_version: String,
    pub request_id: String,
}

/// What Lambda's Invoke API answers for one invocation, whatever the function's kind: a
/// function error is a payload (`X-Amz-Function-Error: Unhandled`), not a Rust error. The API's
/// own type, so Lambda's API on Baton's port hands it on as it is.
pub use baton_server::lambda::Invocation;

/// A configured function as GetFunction and ListFunctions describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    /// `command`, `url` or `handler`.
    pub kind: &'static str,
    /// A handler's runtime (`nodejs20.x`, …).
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub timeout_seconds: u64,
    /// A handler's `memory_mb`; Lambda's default for the other kinds.
    pub memory_mb: u32,
    /// The variables the function's configuration sets (a handler's `environment`, a
    /// command's `env`).
    pub environment: BTreeMap<String, String>,
}

/// How many command-function processes run at once; further invocations wait for one to end.
/// A Map of thousands of iterations (`baton run` and `baton serve` start a step's tasks
/// together) must not start thousands of processes.
pub const MAX_COMMAND_PROCESSES: usize = 64;

/// The configured functions.
pub struct Functions {
    functions: BTreeMap<String, Function>,
    /// Where each function's output is appended (`<NAME>.log`), if anywhere.
    log_dir: Option<PathBuf>,
    /// The warm processes of each handler function, made on first use.
    pools: std::sync::Mutex<BTreeMap<String, Arc<baton_lambda::Pool>>>,
    /// Baton's bootstraps for the handler runtimes, written on first use.
    runtimes: tokio::sync::OnceCell<Arc<baton_lambda::Runtimes>>,
    /// Another Lambda Invoke API for the functions not configured here.
    remote: Option<String>,
    /// Permits for command-function processes ([`MAX_COMMAND_PROCESSES`]).
    commands: Arc<tokio::sync::Semaphore>,
    /// Where the runtimes' bootstraps are written (`None`: the temporary folder).
    runtime_dir: Option<PathBuf>,
}

impl Functions {
    pub fn new(config: &Config, log_dir: Option<PathBuf>) -> Functions {
        Functions {
            functions: config.functions.clone(),
            log_dir,
            pools: Default::default(),
            runtimes: tokio::sync::OnceCell::new(),
            remote: config.lambda_endpoint.clone(),
            commands: Arc::new(tokio::sync::Semaphore::new(MAX_COMMAND_PROCESSES)),
            runtime_dir: None,
        }
    }

    /// Writes the handler runtimes' bootstraps under `dir` (e.g. `<data>/lambda`) rather than
    /// in the temporary folder.
    pub fn with_runtime_dir(mut self, dir: PathBuf) -> Functions {
        self.runtime_dir = Some(dir);
        self
    }

    /// The configured functions, by name.
    pub fn list(&self) -> Vec<FunctionInfo> {
        self.functions
            .iter()
            .map(|(name, f)| {
                let (kind, runtime, handler, memory_mb, environment) = match &f.target {
                    Target::Command(c) => ("command", None, None, DEFAULT_MEMORY_MB, c.env.clone()),
                    Target::Url(_) => ("url", None, None, DEFAULT_MEMORY_MB, BTreeMap::new()),
                    Target::Handler(h) => (
                        "handler",
                        Some(h.runtime.clone()),
                        Some(h.handler.clone()),
                        h.memory_mb,
                        h.environment.clone(),
                    ),
                };
                FunctionInfo {
                    name: name.clone(),
                    kind,
                    runtime,
                    handler,
                    timeout_seconds: f.timeout_seconds,
                    memory_mb,
                    environment,
                }
            })
            .collect()
    }

    /// The names of the configured functions.
    pub fn names(&self) -> Vec<String> {
        self.functions.keys().cloned().collect()
    }

    /// A Lambda ARN as the `Resource`: the effective input is the event, the result is the
    /// function's payload.
    pub async fn invoke_arn(
        &self,
        cx: &CallContext,
        arn: &str,
        input: &Value,
    ) -> Result<Value, Failure> {
        let Some(f) = FunctionRef::parse(arn) else {
            return Err(not_found_text(arn));
        };
        let event = input.to_string();
        self.invoke(cx, &f, event.as_bytes())
            .await
            .map(|i| i.payload)
    }

    /// `arn:aws:states:::lambda:invoke`: `FunctionName` and `Payload` from the parameters;
    /// the result as Step Functions shapes Lambda's Invoke response.
    pub async fn invoke_service(&self, cx: &CallContext, params: &Value) -> Result<Value, Failure> {
        let Some(name) = params.get("FunctionName").and_then(Value::as_str) else {
            return Err(lambda_client_error(
                "InvalidParameterValueException",
                400,
                "FunctionName is required",
            ));
        };
        let Some(mut f) = FunctionRef::parse(name) else {
            return Err(not_found_text(name));
        };
        if let Some(q) = params.get("Qualifier").and_then(Value::as_str) {
            f.qualifier = Some(q.to_string());
        }
        // A string Payload is sent as its text (AWS: `"Payload": "0"` reaches the function
        // as the number 0); anything else as JSON; none as `{}`.
        let event = match params.get("Payload") {
            None => "{}".to_string(),
            Some(Value::String(s)) => {
                if serde_json::from_str::<Value>(s).is_err() {
                    return Err(lambda_client_error(
                        "InvalidRequestContentException",
                        400,
                        "Could not parse request body into json: Unexpected character: was expecting a JSON value",
                    ));
                }
                s.clone()
            }
            Some(v) => v.to_string(),
        };
        let invoked = self.invoke(cx, &f, event.as_bytes()).await?;
        Ok(invoke_response(&invoked))
    }

    /// Runs the function `f` with `event`: its result, or its error as Step Functions names
    /// it.
    pub async fn invoke(
        &self,
        cx: &CallContext,
        f: &FunctionRef,
        event: &[u8],
    ) -> Result<Invoked, Failure> {
        let Some(function) = self.functions.get(&f.name) else {
            let Some(endpoint) = &self.remote else {
                return Err(not_found(f, cx));
            };
            // Answered by another Lambda API, taken as a task takes a handler's answer.
            let done = crate::lambda_remote::invoke(endpoint, cx, f, event, false).await?;
            if done.function_error {
                return Err(error_of_payload(&String::from_utf8_lossy(&done.payload)));
            }
            let text = String::from_utf8_lossy(&done.payload);
            return Ok(Invoked {
                payload: parse_payload(&f.name, text.trim(), false)?,
                length: done.payload.len(),
                executed_version: done.executed_version,
                request_id: done.request_id,
            });
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        if let Target::Handler(handler) = &function.target {
            let reply = self
                .run_handler(cx, f, function, handler, event, &request_id, None)
                .await?;
            if reply.function_error {
                return Err(error_of_payload(&String::from_utf8_lossy(&reply.payload)));
            }
            let text = String::from_utf8_lossy(&reply.payload);
            let payload = parse_payload(&f.name, text.trim(), false)?;
            return Ok(Invoked {
                payload,
                length: reply.payload.len(),
                executed_version: executed_version(f).to_string(),
                request_id,
            });
        }
        let answer = self.answer(cx, f, function, event, &request_id).await?;
        if !answer.ok {
            return Err(function_error(&answer, &request_id));
        }
        let text = String::from_utf8_lossy(&answer.out);
        let trimmed = text.trim();
        let payload = parse_payload(
            &f.name,
            trimmed,
            matches!(function.target, Target::Command(_)),
        )?;
        Ok(Invoked {
            payload,
            length: trimmed.len(),
            executed_version: executed_version(f).to_string(),
            request_id,
        })
    }

    /// Runs the function `f` with `event` as Lambda's Invoke API does: the payload as the
    /// function wrote it, a function error flagged rather than raised. `Err` is left for an
    /// unknown function and for failures of the service itself.
    pub async fn invoke_raw(
        &self,
        cx: &CallContext,
        f: &FunctionRef,
        event: &[u8],
        log_tail: bool,
    ) -> Result<Invocation, Failure> {
        self.invoke_raw_with(cx, f, event, log_tail, None).await
    }

    /// [`Functions::invoke_raw`] with the caller's client context (Invoke's
    /// `X-Amz-Client-Context`, base64-decoded JSON), which a handler sees as
    /// `context.clientContext`.
    /// Whether `name` (a function name or ARN) is served here: configured, or sent to the
    /// configured Lambda endpoint.
    pub(crate) fn serves(&self, name: &str) -> bool {
        self.remote.is_some()
            || FunctionRef::parse(name).is_some_and(|f| self.functions.contains_key(&f.name))
    }

    pub async fn invoke_raw_with(
        &self,
        cx: &CallContext,
        f: &FunctionRef,
        event: &[u8],
        log_tail: bool,
        client_context: Option<String>,
    ) -> Result<Invocation, Failure> {
        let Some(function) = self.functions.get(&f.name) else {
            return match &self.remote {
                Some(endpoint) => {
                    crate::lambda_remote::invoke(endpoint, cx, f, event, log_tail).await
                }
                None => Err(not_found(f, cx)),
            };
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let invocation = |payload: Vec<u8>, function_error: bool, tail: &[u8]| Invocation {
            payload,
            function_error,
            executed_version: executed_version(f).to_string(),
            request_id: request_id.clone(),
            log_tail: log_tail.then(|| baton_lambda::logs::tail(tail)),
        };
        if let Target::Handler(handler) = &function.target {
            let reply = self
                .run_handler(cx, f, function, handler, event, &request_id, client_context)
                .await?;
            return Ok(invocation(
                reply.payload,
                reply.function_error,
                reply.log_tail.as_bytes(),
            ));
        }
        let answer = match self.answer(cx, f, function, event, &request_id).await {
            Ok(answer) => answer,
            // A timeout is the function's error, as Lambda's Invoke API reports it.
            Err((error, cause)) if error == "Sandbox.Timedout" => {
                return Ok(invocation(cause.into_bytes(), true, b""))
            }
            Err(e) => return Err(e),
        };
        if answer.ok {
            let payload = match &function.target {
                Target::Command(_) => String::from_utf8_lossy(&answer.out)
                    .trim()
                    .as_bytes()
                    .to_vec(),
                _ => answer.out.clone(),
            };
            return Ok(invocation(payload, false, &answer.err));
        }
        let payload = error_payload(&answer, &request_id);
        Ok(invocation(payload.into_bytes(), true, &answer.err))
    }

    /// A command's or URL's answer, within the function's timeout; its stderr appended to the
    /// function's log.
    async fn answer(
        &self,
        cx: &CallContext,
        f: &FunctionRef,
        function: &Function,
        event: &[u8],
        request_id: &str,
    ) -> Result<Answer, Failure> {
        let timeout = Duration::from_secs(function.timeout_seconds);
        let answer = match &function.target {
            Target::Command(command) => {
                let mut env = cx.sdk_env();
                if let Some(trace) = cx.trace {
                    let parent = trace.parent.unwrap_or_default();
                    env.insert("_X_AMZN_TRACE_ID".into(), trace.xray(parent));
                    env.insert("TRACEPARENT".into(), trace.traceparent(parent));
                }
                env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), f.name.clone());
                env.insert(
                    "AWS_LAMBDA_FUNCTION_VERSION".into(),
                    executed_version(f).to_string(),
                );
                env.insert(
                    "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
                    function.timeout_seconds.to_string(),
                );
                // Waiting for a process slot is not the function's time.
                let _slot = self.commands.acquire().await;
                tokio::time::timeout(timeout, run_command(command, &env, event)).await
            }
            Target::Url(url) => tokio::time::timeout(timeout, post(url, event, request_id)).await,
            Target::Handler(_) => Ok(Err("a handler is not a command".to_string())),
        };
        let answer = match answer {
            Ok(a) => a,
            Err(_) => return Err(timed_out(request_id, function.timeout_seconds)),
        };
        if let (Ok(a), Some(dir)) = (&answer, &self.log_dir) {
            if !a.err.is_empty() {
                append_log(dir, &f.name, request_id, &a.err).await;
            }
        }
        answer.map_err(|message| service_exception(&message, request_id))
    }

    /// One invocation of a handler function through its pool of warm processes.
    #[allow(clippy::too_many_arguments)]
    async fn run_handler(
        &self,
        cx: &CallContext,
        f: &FunctionRef,
        function: &Function,
        handler: &Handler,
        event: &[u8],
        request_id: &str,
        client_context: Option<String>,
    ) -> Result<baton_lambda::Reply, Failure> {
        let pool = self
            .pool(&f.name, function, handler)
            .await
            .map_err(|message| service_exception(&message, request_id))?;
        let invoke = baton_lambda::Invoke {
            request_id: request_id.to_string(),
            event: bytes::Bytes::copy_from_slice(event),
            invoked_arn: f.arn(cx),
            sdk_env: cx.sdk_env(),
            client_context,
            cognito_identity: None,
            trace_header: cx.trace.map(|t| t.xray(t.parent.unwrap_or_default())),
        };
        pool.invoke(invoke).await.map_err(|refusal| match refusal {
            // Lambda's throttling error (the Invoke API's TooManyRequestsException).
            baton_lambda::Refusal::TooManyRequests => {
                lambda_client_error("TooManyRequestsException", 429, "Rate Exceeded.")
            }
            baton_lambda::Refusal::Start(message) => service_exception(&message, request_id),
        })
    }

    async fn pool(
        &self,
        name: &str,
        function: &Function,
        handler: &Handler,
    ) -> Result<Arc<baton_lambda::Pool>, String> {
        if let Some(pool) = lock(&self.pools).get(name) {
            return Ok(pool.clone());
        }
        let runtimes = self
            .runtimes
            .get_or_try_init(|| async {
                baton_lambda::Runtimes::new(self.runtime_dir.as_deref())
                    .map(Arc::new)
                    .map_err(|e| format!("cannot write the handler runtimes: {e}"))
            })
            .await?
            .clone();
        let spec = baton_lambda::Function {
            name: name.to_string(),
            runtime: handler.runtime.clone(),
            handler: handler.handler.clone(),
            code: handler.code.clone(),
            environment: handler.environment.clone(),
            memory_mb: handler.memory_mb,
            max_concurrency: handler.max_concurrency,
            timeout: Duration::from_secs(function.timeout_seconds),
            version: "$LATEST".to_string(),
        };
        let log = self.log_dir.as_ref().map(|d| d.join(format!("{name}.log")));
        let mut pools = lock(&self.pools);
        let pool = pools
            .entry(name.to_string())
            .or_insert_with(|| baton_lambda::Pool::new(spec, runtimes, log));
        Ok(pool.clone())
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn service_exception(message: &str, request_id: &str) -> Failure {
    failure(
        "Lambda.ServiceException",
        format!(
            "{message} (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: {request_id}; Proxy: null)"
        ),
    )
}

/// A successful answer's text as the task's result: JSON, `null` for an empty answer from an
/// endpoint; `Runtime.MarshalError` naming the function otherwise.
fn parse_payload(name: &str, trimmed: &str, empty_is_error: bool) -> Result<Value, Failure> {
    let marshal_error = |why: String| {
        let message = format!("Unable to marshal response of function '{name}': {why}");
        failure(
            "Runtime.MarshalError",
            json!({"errorType": "Runtime.MarshalError", "errorMessage": message}).to_string(),
        )
    };
    if trimmed.is_empty() {
        // A handler's result is always written, `null` for none; a program that writes
        // nothing has not answered as a function does. An HTTP answer with no body: Lambda's
        // `null` payload.
        if empty_is_error {
            return Err(marshal_error(
                "the program printed nothing on stdout (a function prints its result as JSON, \
                 `null` for none)"
                    .to_string(),
            ));
        }
        return Ok(Value::Null);
    }
    serde_json::from_str(trimmed)
        .map_err(|e| marshal_error(format!("the output is not JSON ({e})")))
}

fn executed_version(f: &FunctionRef) -> &str {
    match f.qualifier.as_deref() {
        Some(q) if q.chars().all(|c| c.is_ascii_digit()) => q,
        _ => "$LATEST",
    }
}

/// Lambda's Invoke response as Step Functions' `lambda:invoke` returns it.
fn invoke_response(invoked: &Invoked) -> Value {
    let date = http_date();
    let trace = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0;Lineage=1:{}:0",
        crate::now_millis() / 1000,
        &uuid::Uuid::new_v4().simple().to_string()[..24],
        &uuid::Uuid::new_v4().simple().to_string()[..16],
        &uuid::Uuid::new_v4().simple().to_string()[..8],
    );
    let length = invoked.length.to_string();
    json!({
        "ExecutedVersion": invoked.executed_version,
        "Payload": invoked.payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": [invoked.executed_version],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [invoked.request_id],
                "Content-Length": [length],
                "Date": [date],
                "X-Amzn-Trace-Id": [trace],
                "Content-Type": ["application/json"]
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": invoked.executed_version,
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": invoked.request_id,
                "X-Amzn-Trace-Id": trace
            },
            "HttpStatusCode": 200
        },
        "SdkResponseMetadata": { "RequestId": invoked.request_id },
        "StatusCode": 200
    })
}

/// `Date` header form: `Tue, 05 Mar 2024 10:00:00 GMT`.
pub(crate) fn http_date() -> String {
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn failure(error: &str, cause: String) -> Failure {
    (error.to_string(), cause)
}

fn lambda_client_error(code: &str, status: u16, message: &str) -> Failure {
    let request_id = uuid::Uuid::new_v4();
    failure(
        &format!("Lambda.{code}"),
        format!(
            "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
        ),
    )
}

fn not_found(f: &FunctionRef, cx: &CallContext) -> Failure {
    not_found_text(&f.arn(cx))
}

fn not_found_text(what: &str) -> Failure {
    lambda_client_error(
        "ResourceNotFoundException",
        404,
        &format!("Function not found: {what}"),
    )
}

fn timed_out(request_id: &str, seconds: u64) -> Failure {
    failure(
        "Sandbox.Timedout",
        json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!("RequestId: {request_id} Error: Task timed out after {seconds}.00 seconds"),
        })
        .to_string(),
    )
}

/// What a function answered: `ok` (exit 0 / 2xx), its output and its diagnostics.
struct Answer {
    ok: bool,
    out: Vec<u8>,
    err: Vec<u8>,
    /// How it ended, for `Runtime.ExitError`'s message: `exit status 3`, `signal: 9`.
    status: String,
}

/// The error a failed function reports, as Step Functions names it.
fn function_error(answer: &Answer, request_id: &str) -> Failure {
    error_of_payload(&error_payload(answer, request_id))
}

/// The error payload of a failed command or endpoint: Lambda's error shape where the output
/// holds one (`errorType` preferred), else `Runtime.ExitError`, as Lambda reports a runtime that
/// exited.
fn error_payload(answer: &Answer, request_id: &str) -> String {
    let out = String::from_utf8_lossy(&answer.out);
    let err = String::from_utf8_lossy(&answer.err);
    let candidates = [out.trim(), last_line(&out), err.trim(), last_line(&err)];
    let mut untyped = None;
    for text in candidates {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        match map.get("errorType") {
            Some(Value::String(t)) if !t.is_empty() => return text.to_string(),
            _ if map.contains_key("errorMessage") && untyped.is_none() => {
                untyped = Some(text.to_string())
            }
            _ => {}
        }
    }
    if let Some(payload) = untyped {
        return payload;
    }
    json!({
        "errorType": "Runtime.ExitError",
        "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {}", answer.status),
    })
    .to_string()
}

/// A function error payload as Step Functions names it: error = `errorType`, cause = the
/// payload as written; without a type, `Lambda.Unknown` with Step Functions' cause.
pub(crate) fn error_of_payload(payload: &str) -> Failure {
    let trimmed = payload.trim();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) {
        if let Some(Value::String(t)) = map.get("errorType") {
            if !t.is_empty() {
                return failure(t, trimmed.to_string());
            }
        }
    }
    failure(
        "Lambda.Unknown",
        format!(
            "The cause could not be determined because Lambda did not return an error type. Returned payload: {trimmed}"
        ),
    )
}

/// Appends one invocation's stderr to `<dir>/<NAME>.log`; logging never fails a task.
async fn append_log(dir: &std::path::Path, name: &str, request_id: &str, err: &[u8]) {
    let write = async {
        tokio::fs::create_dir_all(dir).await?;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))
            .await?;
        let mut text = format!("--- RequestId: {request_id}\n").into_bytes();
        text.extend_from_slice(err);
        if !err.ends_with(b"\n") {
            text.push(b'\n');
        }
        file.write_all(&text).await
    };
    if let Err(e) = write.await {
        tracing::warn!(function = name, error = %e, "cannot write the function's log");
    }
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Runs `command` with `event` on stdin (never through a shell); killed when dropped.
async fn run_command(
    command: &Command,
    sdk_env: &BTreeMap<String, String>,
    event: &[u8],
) -> Result<Answer, String> {
    let mut child = tokio::process::Command::new(&command.argv[0])
        .args(&command.argv[1..])
        .current_dir(&command.cwd)
        .envs(sdk_env)
        .envs(&command.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {:?} in {}: {e}",
                command.argv[0],
                command.cwd.display()
            )
        })?;
    let stdin = child.stdin.take();
    let event = event.to_vec();
    let writer = async move {
        if let Some(mut stdin) = stdin {
            // A function that does not read its event closes the pipe: not an error.
            let _ = stdin.write_all(&event).await;
            let _ = stdin.shutdown().await;
        }
    };
    let (_, output) = tokio::join!(writer, child.wait_with_output());
    let output = output.map_err(|e| format!("waiting for {:?}: {e}", command.argv[0]))?;
    Ok(Answer {
        ok: output.status.success(),
        out: output.stdout,
        err: output.stderr,
        status: exit_status(&output.status),
    })
}

pub(crate) fn exit_status(status: &std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {signal}");
        }
    }
    "unknown exit status".to_string()
}

/// POSTs `event` to `url` (`http://host[:port]/path`).
async fn post(url: &str, event: &[u8], request_id: &str) -> Result<Answer, String> {
    let headers = [
        ("content-type".to_string(), "application/json".to_string()),
        (
            "lambda-runtime-aws-request-id".to_string(),
            request_id.to_string(),
        ),
    ];
    let response = crate::client::send("POST", url, &headers, event.to_vec(), None).await?;
    Ok(Answer {
        ok: response.status.is_success(),
        out: response.body.to_vec(),
        err: Vec::new(),
        status: format!("HTTP status {}", response.status.as_u16()),
    })
}
