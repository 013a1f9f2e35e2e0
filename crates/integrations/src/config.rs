//! `baton.toml`: the Task resources an operator makes reachable (functions, ECS task
//! definitions, object storage), each key also settable by a `BATON_*` environment variable.
//!
//! ```toml
//! [functions.ValidateOrder]
//! command = ["python3", "functions/validate_order.py"]   # argv, never through a shell
//! cwd = "."                       # default: the folder of baton.toml
//! env = { STAGE = "local" }
//! timeout_seconds = 30            # default 900 (Lambda's maximum)
//!
//! [functions.Remote]
//! url = "http://127.0.0.1:9000/invoke"
//!
//! [functions.validate-order]      # a Lambda handler as written, in warm processes
//! runtime = "nodejs20.x"          # nodejs18.x|20.x|22.x, python3.9–3.13, provided(.al2|.al2023)
//! handler = "validateOrder.handler"   # file.export (Node.js), module.function (Python)
//! code = "dist"                   # the folder with the code (LAMBDA_TASK_ROOT)
//! environment = { TABLE = "orders" }  # Lambda's Environment.Variables (`env` also works)
//! memory_mb = 128                 # default 128, as Lambda's; 128 to 10240
//! max_concurrency = 4             # warm processes at most (default twice the cores)
//!
//! [ecs.fargate-math-task]         # a task definition family
//! command = ["node", "dist/index.js"]
//! cwd = "calculator"
//! env = { NODE_ENV = "production" }
//! allow_env = ["INPUT_KEY"]       # names a ContainerOverrides Environment may set (default none)
//! allow_command = true            # ContainerOverrides Command may append arguments (default false)
//!
//! [batch.nightly-report]          # a Batch job definition (JobDefinition's name)
//! command = ["python3", "report.py", "--day", "Ref::day"]   # Ref::NAME: a SubmitJob Parameter
//! parameters = { day = "today" }  # the job definition's parameter defaults
//! allow_env = ["REPORT_BUCKET"]   # as for ECS (ContainerOverrides Environment)
//! allow_command = false           # as for ECS (ContainerOverrides Command appends arguments)
//!
//! [glue.load-orders]              # a Glue job (JobName)
//! command = ["python3", "load_orders.py"]
//! allow_arguments = ["--day"]     # Arguments names a run may pass (default none)
//!
//! [storage]                       # the Task buckets: a folder (default: <data>/storage) …
//! root = "buckets"
//! # … or an S3-compatible endpoint (not both):
//! # endpoint = "http://127.0.0.1:9000"
//! # region = "us-east-1"           # default us-east-1
//! # access_key_id = "..."          # the key pair requests are signed with (default: a
//! # secret_access_key = "..."      # placeholder, for endpoints that do not check signatures)
//! # session_token = "..."          # optional
//! # force_path_style = true        # default true: http://host/bucket/key
//!
//! [machines.Child]                # for `baton run`: a machine nested executions can start
//! definition = "child.asl.json"   # type = "EXPRESS" (default STANDARD)
//!
//! [http]                          # the HTTP task (`arn:aws:states:::http:invoke`) and
//!                                 # EventBridge API destinations (and their OAuth endpoints)
//! allow = ["http://127.0.0.1:"]   # URL prefixes they may reach; default: any http(s) URL
//! ca_file = "certs/ca.pem"        # certificates trusted for https:// besides the system's
//!
//! [http.connections.orders-api]   # an EventBridge connection, by name
//! username = "baton"              # basic authentication, or
//! password = "secret"
//! # api_key_name = "x-api-key"    # an API key header (neither: no authentication)
//! # api_key_value = "..."
//!
//! [[auth.keys]]                   # requests to Baton's APIs must be signed (none: unchecked)
//! access_key_id = "AKIAIOSFODNN7EXAMPLE"
//! secret_access_key = "..."       # or secret_access_key_env = "VARIABLE"
//! account = "123456789012"        # the account the key acts in
//! # actions = ["states:Describe*", "states:List*"]   # what it may do (default: everything)
//!
//! [telemetry]                     # traced executions' spans, over OTLP/HTTP (JSON)
//! otlp_endpoint = "http://127.0.0.1:4318"
//!
//! [[http_triggers]]               # a route that starts an execution with the body as input
//! path = "/orders"
//! method = "POST"                 # the default
//! state_machine = "orders"        # a name (in the server's account and region) or an ARN
//! # sync = true                   # Express: StartSyncExecution, answered with its result
//! ```
//!
//! Environment variables: `BATON_<SECTION>__<NAME>__<KEY>` (sections `FUNCTIONS`, `ECS`,
//! `BATCH`, `GLUE`, `MACHINES`; `NAME` as written in the definition, case kept; `KEY` in any case), or
//! `BATON_STORAGE__<KEY>` (`ROOT`, `ENDPOINT`, `REGION`, `ACCESS_KEY_ID`, `SECRET_ACCESS_KEY`,
//! `SESSION_TOKEN`, `FORCE_PATH_STYLE`; the endpoint, region and credentials are always read as
//! text), `BATON_HTTP__ALLOW`, `BATON_HTTP__CA_FILE`,
//! `BATON_HTTP__CONNECTIONS__<NAME>__<KEY>`;
//! `BATON_FUNCTIONS__Hello__ENV__STAGE=dev` sets one `env` entry. A
//! value is read as a TOML value when it is one (`["python3","f.py"]`, `30`), as a string
//! otherwise. Variables win over the file. Relative paths resolve against the folder of the
//! file (the current folder when there is no file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Lambda's longest timeout, the default for a function without `timeout_seconds`.
pub const DEFAULT_FUNCTION_TIMEOUT_SECONDS: u64 = 900;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// The configured resources, paths resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub functions: BTreeMap<String, Function>,
    pub ecs: BTreeMap<String, EcsTask>,
    /// Batch job definitions run as local processes, by job definition name.
    pub batch: BTreeMap<String, BatchJob>,
    /// Glue jobs run as local processes, by job name.
    pub glue: BTreeMap<String, GlueJob>,
    pub storage: Storage,
    pub http: Http,
    /// State machines `baton run` creates for nested executions (`states:startExecution`) to
    /// start, by name.
    pub machines: BTreeMap<String, Machine>,
    /// Another Lambda Invoke API (`http://HOST:PORT`) for the functions this configuration
    /// does not name: `[lambda] endpoint`, or Step Functions Local's `LAMBDA_ENDPOINT`.
    pub lambda_endpoint: Option<String>,
    /// AWS services Task states call (`[aws]`): endpoints, credentials and what is allowed.
    pub aws: baton_aws::config::AwsConfig,
    /// `[[auth.keys]]`: the keys requests to Baton's APIs must be signed with; `None`:
    /// signatures are not checked.
    pub auth: Option<baton_auth::Keys>,
    /// `[telemetry] otlp_endpoint`: where the spans of traced executions are sent
    /// (OTLP/HTTP, `http://HOST:PORT`); `None`: no execution is traced.
    pub otlp_endpoint: Option<String>,
    /// `[[http_triggers]]`: routes that start executions.
    pub http_triggers: Vec<HttpTrigger>,
}

/// A route that starts an execution with the request's body as input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    pub path: String,
    #[serde(default = "post")]
    pub method: String,
    /// A state machine's name, or an ARN (of a machine, version or alias).
    pub state_machine: String,
    #[serde(default)]
    pub sync: bool,
}

fn post() -> String {
    "POST".into()
}

impl HttpTrigger {
    /// The machine's ARN: the one given, or the name's in `account` and `region`.
    pub fn state_machine_arn(&self, account: &str, region: &str) -> String {
        if self.state_machine.starts_with("arn:") {
            self.state_machine.clone()
        } else {
            format!(
                "arn:{}:states:{region}:{account}:stateMachine:{}",
                baton_api::arn::partition_of(region),
                self.state_machine
            )
        }
    }

    /// What is wrong with it, if anything.
    fn check(&self, reserved: impl Fn(&str) -> bool) -> Result<(), String> {
        let path_ok = self.path.starts_with('/')
            && self.path.len() <= 1024
            && self
                .path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
        if !path_ok {
            return Err(format!(
                "http_triggers: path {:?} must start with / and hold only letters, digits and -_.~/",
                self.path
            ));
        }
        if reserved(&self.path) {
            return Err(format!(
                "http_triggers: {} is a path Baton answers itself",
                self.path
            ));
        }
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
        if !methods.contains(&self.method.to_ascii_uppercase().as_str()) {
            return Err(format!(
                "http_triggers: method {} is not one of {}",
                self.method,
                methods.join(", ")
            ));
        }
        if self.state_machine.is_empty() {
            return Err("http_triggers: state_machine is empty".into());
        }
        Ok(())
    }
}

/// A state machine from a definition file.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub definition: PathBuf,
    /// `STANDARD` or `EXPRESS`.
    pub machine_type: String,
}

/// The HTTP task: which URLs it may reach and the connections (authentication) it may use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Http {
    /// URL prefixes `ApiEndpoint` must start with (`None`: any `http://` or `https://` URL).
    pub allow: Option<Vec<String>>,
    /// PEM certificates trusted for `https://` besides the system's roots.
    pub ca_file: Option<PathBuf>,
    pub connections: BTreeMap<String, Connection>,
}

/// An EventBridge connection: how the HTTP task authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    None,
    Basic { username: String, password: String },
    ApiKey { name: String, value: String },
}

/// A local process: argv (the program first), its working folder and extra environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Command(Command),
    /// The event is POSTed to this `http://` or `https://` URL.
    Url(String),
    /// A handler as written, run by Lambda's runtime for its language in warm processes.
    Handler(Handler),
}

/// The runtimes a handler function may name (Lambda's `Runtime` identifiers).
pub const HANDLER_RUNTIMES: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "provided",
    "provided.al2",
    "provided.al2023",
];

/// Lambda's default memory size (`MemorySize`, 128 MB), and its range, 128 to 10,240 MB
/// (Lambda developer guide, "Configure Lambda function memory").
pub const DEFAULT_MEMORY_MB: u32 = 128;
pub const MAX_MEMORY_MB: u32 = 10_240;

/// A Lambda handler: the runtime, the handler string, the code folder and the function's
/// environment (`Environment.Variables`), as a SAM `AWS::Serverless::Function` names them.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// One of [`HANDLER_RUNTIMES`].
    pub runtime: String,
    /// `file.export` (Node.js, the file relative to `code`, folders allowed), `module.function`
    /// (Python, a dotted module path allowed); for `provided*` whatever the bootstrap reads
    /// from `_HANDLER`.
    pub handler: String,
    /// The folder with the code, absolute: `LAMBDA_TASK_ROOT`.
    pub code: PathBuf,
    pub environment: BTreeMap<String, String>,
    /// Reported to the handler (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `memoryLimitInMB`); not
    /// enforced.
    pub memory_mb: u32,
    /// Warm processes at most, each running one invocation at a time.
    pub max_concurrency: usize,
}

/// Warm processes per handler function when `max_concurrency` is not given: twice the cores
/// (a handler waiting on I/O leaves its core to another).
pub fn default_max_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(2)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub target: Target,
    pub timeout_seconds: u64,
}

/// An ECS task definition family run as a local process.
#[derive(Debug, Clone, PartialEq)]
pub struct EcsTask {
    pub command: Command,
    /// The environment names a definition's `ContainerOverrides[].Environment` may set. Any
    /// other name fails the task: names such as `LD_PRELOAD`, `PYTHONPATH` or `NODE_OPTIONS`
    /// choose code, so only the operator decides which ones are data.
    pub allow_env: std::collections::BTreeSet<String>,
    /// Whether a definition's `ContainerOverrides[].Command` may append arguments to
    /// `command` (default no: an argument can choose code when the program interprets it so,
    /// e.g. a script path given to an interpreter).
    pub allow_command: bool,
}

/// A Batch job definition run as a local process: guarded as an ECS family is.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchJob {
    pub command: Command,
    /// The job definition's parameter defaults, for `Ref::NAME` placeholders in the command;
    /// a SubmitJob's `Parameters` override them.
    pub parameters: BTreeMap<String, String>,
    /// The environment names `ContainerOverrides.Environment` may set.
    pub allow_env: std::collections::BTreeSet<String>,
    /// Whether `ContainerOverrides.Command` may append arguments to `command`.
    pub allow_command: bool,
}

/// A Glue job run as a local process: the configured command is the script, a run's
/// `Arguments` are appended to it as `--name value` pairs (Glue hands them to the script in
/// `sys.argv`), for the names `allow_arguments` lists only.
#[derive(Debug, Clone, PartialEq)]
pub struct GlueJob {
    pub command: Command,
    /// Argument names (`--day`) a run's `Arguments` may pass, `--` included.
    pub allow_arguments: std::collections::BTreeSet<String>,
}

/// Where the Task buckets are: a folder, or an S3-compatible endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Storage {
    /// The folder buckets live in (`None`: the caller's default, under the data folder).
    pub root: Option<PathBuf>,
    /// An S3-compatible endpoint the buckets are on instead (never together with `root`).
    pub endpoint: Option<StorageEndpoint>,
}

/// An S3-compatible endpoint (`[storage] endpoint`) and how to sign requests to it.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageEndpoint {
    /// `http://host:port` or `https://…`.
    pub url: String,
    /// The region requests are signed for (default `us-east-1`).
    pub region: String,
    /// `None`: requests are signed with a placeholder key pair, which endpoints that do not
    /// check signatures (Baton's own) accept.
    pub credentials: Option<StorageCredentials>,
    /// `http://host/bucket/key` rather than `http://bucket.host/key` (default true: most
    /// S3-compatible servers and any endpoint named by an IP address need it).
    pub force_path_style: bool,
}

/// The key pair (and optional session token) Baton signs storage requests with.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageCredentials {
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// A credential: compared and cloned like a string, but never printed (`Debug` shows
/// `"<redacted>"`), so a configuration can be logged without it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that signs with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// The region storage requests are signed for when none is configured.
pub const DEFAULT_STORAGE_REGION: &str = "us-east-1";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    functions: BTreeMap<String, RawFunction>,
    #[serde(default)]
    ecs: BTreeMap<String, RawEcsTask>,
    #[serde(default)]
    batch: BTreeMap<String, RawBatchJob>,
    #[serde(default)]
    glue: BTreeMap<String, RawGlueJob>,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    machines: BTreeMap<String, RawMachine>,
    #[serde(default)]
    lambda: RawLambda,
    #[serde(default)]
    aws: baton_aws::config::AwsConfig,
    #[serde(default)]
    auth: baton_auth::AuthConfig,
    #[serde(default)]
    telemetry: RawTelemetry,
    #[serde(default)]
    http_triggers: Vec<HttpTrigger>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTelemetry {
    otlp_endpoint: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLambda {
    endpoint: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachine {
    definition: PathBuf,
    #[serde(rename = "type")]
    machine_type: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    allow: Option<Vec<String>>,
    ca_file: Option<PathBuf>,
    #[serde(default)]
    connections: BTreeMap<String, RawConnection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    username: Option<String>,
    password: Option<String>,
    api_key_name: Option<String>,
    api_key_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    command: Option<Vec<String>>,
    url: Option<String>,
    cwd: Option<PathBuf>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Lambda's name for `env` (`Environment.Variables`).
    environment: Option<BTreeMap<String, String>>,
    timeout_seconds: Option<u64>,
    runtime: Option<String>,
    handler: Option<String>,
    code: Option<PathBuf>,
    memory_mb: Option<u32>,
    max_concurrency: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEcsTask {
    command: Vec<String>,
    cwd: Option<PathBuf>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    allow_env: Vec<String>,
    #[serde(default)]
    allow_command: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatchJob {
    command: Vec<String>,
    cwd: Option<PathBuf>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    allow_env: Vec<String>,
    #[serde(default)]
    allow_command: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlueJob {
    command: Vec<String>,
    cwd: Option<PathBuf>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    allow_arguments: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    root: Option<PathBuf>,
    endpoint: Option<String>,
    region: Option<String>,
    // Read as any TOML value so that a mistyped credential is refused without its value being
    // quoted in the message (serde's type errors quote it).
    access_key_id: Option<toml::Value>,
    secret_access_key: Option<toml::Value>,
    session_token: Option<toml::Value>,
    force_path_style: Option<bool>,
}

impl Config {
    /// Reads `path` (when given) and the `BATON_*` variables of this process.
    pub fn load(path: Option<&Path>) -> Result<Config, Error> {
        let (text, origin, base) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| Error::Read {
                    path: p.to_path_buf(),
                    source,
                })?;
                let base = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."));
                (text, p.display().to_string(), base)
            }
            None => (String::new(), "environment".to_string(), PathBuf::from(".")),
        };
        let base = std::path::absolute(&base).unwrap_or(base);
        Config::parse(&text, &origin, &base, std::env::vars())
    }

    /// Parses `text` (TOML) and then applies `vars`; relative paths resolve against `base`.
    /// `origin` names the text in messages.
    pub fn parse(
        text: &str,
        origin: &str,
        base: &Path,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, Error> {
        let invalid = |origin: &str, message: String| Error::Invalid {
            origin: origin.to_string(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| invalid(origin, e.to_string()))?;
        let mut vars: Vec<(String, String)> = vars.into_iter().collect();
        vars.sort();
        for (name, value) in vars {
            let Some(path) = env_path(&name) else {
                continue;
            };
            let value = if is_text_key(&path) {
                toml::Value::String(value)
            } else {
                parse_value(&value)
            };
            set(&mut table, &path, value).map_err(|m| invalid(&name, m))?;
        }
        let raw: RawConfig = toml::Table::try_into(table)
            .map_err(|e| invalid(origin, e.to_string().trim_end().to_string()))?;
        let mut config = Config::default();
        for (name, f) in raw.functions {
            let place = format!("functions.{name}");
            let mut f = f;
            // `environment` and `env` are one table (a variable may set either).
            if let Some(environment) = f.environment.take() {
                f.env.extend(environment);
            }
            let handler_keys = [
                ("runtime", f.runtime.is_some()),
                ("handler", f.handler.is_some()),
                ("code", f.code.is_some()),
                ("memory_mb", f.memory_mb.is_some()),
                ("max_concurrency", f.max_concurrency.is_some()),
            ];
            let handler_key = handler_keys.iter().find(|(_, set)| *set).map(|(k, _)| *k);
            if let Some(key) = handler_key {
                let other = if f.command.is_some() {
                    Some("command")
                } else if f.url.is_some() {
                    Some("url")
                } else if f.cwd.is_some() {
                    Some("cwd")
                } else {
                    None
                };
                if let Some(other) = other {
                    return Err(invalid(
                        origin,
                        format!(
                            "{place}: `{key}` makes a handler function, which has no `{other}`; \
                             give either `runtime`, `handler` and `code`, or `command`, or `url`"
                        ),
                    ));
                }
            }
            let timeout_seconds = f.timeout_seconds;
            let target =
                if handler_key.is_some() {
                    Target::Handler(handler(base, &place, f).map_err(|m| invalid(origin, m))?)
                } else {
                    match (f.command, f.url) {
                        (Some(argv), None) => Target::Command(
                            command(base, &place, argv, f.cwd, f.env)
                                .map_err(|m| invalid(origin, m))?,
                        ),
                        (None, Some(url)) => {
                            if f.cwd.is_some() || !f.env.is_empty() {
                                return Err(invalid(
                            origin,
                            format!("{place}: `cwd` and `env` apply to a `command`, not a `url`"),
                        ));
                            }
                            if !url.starts_with("http://") && !url.starts_with("https://") {
                                return Err(invalid(
                                    origin,
                                    format!(
                                "{place}: `url` must start with http:// or https:// (got {url:?})"
                            ),
                                ));
                            }
                            Target::Url(url)
                        }
                        (Some(_), Some(_)) => {
                            return Err(invalid(
                                origin,
                                format!("{place}: give either `command` or `url`, not both"),
                            ))
                        }
                        (None, None) => {
                            return Err(invalid(
                                origin,
                                format!(
                                    "{place}: missing `command` (argv list), `url`, or `runtime`, \
                             `handler` and `code` (a handler)"
                                ),
                            ))
                        }
                    }
                };
            // The same default for every kind: Lambda's own default (3 s) would time out
            // handlers that run longer locally than they would on Lambda.
            let timeout_seconds = timeout_seconds.unwrap_or(DEFAULT_FUNCTION_TIMEOUT_SECONDS);
            if timeout_seconds == 0 {
                return Err(invalid(
                    origin,
                    format!("{place}: `timeout_seconds` must be at least 1"),
                ));
            }
            config.functions.insert(
                name,
                Function {
                    target,
                    timeout_seconds,
                },
            );
        }
        for (family, t) in raw.ecs {
            let place = format!("ecs.{family}");
            let command =
                command(base, &place, t.command, t.cwd, t.env).map_err(|m| invalid(origin, m))?;
            check_allow_env(&place, &t.allow_env).map_err(|m| invalid(origin, m))?;
            config.ecs.insert(
                family,
                EcsTask {
                    command,
                    allow_env: t.allow_env.into_iter().collect(),
                    allow_command: t.allow_command,
                },
            );
        }
        for (name, j) in raw.batch {
            let place = format!("batch.{name}");
            let command =
                command(base, &place, j.command, j.cwd, j.env).map_err(|m| invalid(origin, m))?;
            check_allow_env(&place, &j.allow_env).map_err(|m| invalid(origin, m))?;
            config.batch.insert(
                name,
                BatchJob {
                    command,
                    parameters: j.parameters,
                    allow_env: j.allow_env.into_iter().collect(),
                    allow_command: j.allow_command,
                },
            );
        }
        for (name, j) in raw.glue {
            let place = format!("glue.{name}");
            let command =
                command(base, &place, j.command, j.cwd, j.env).map_err(|m| invalid(origin, m))?;
            let mut allow_arguments = std::collections::BTreeSet::new();
            for a in j.allow_arguments {
                let bare = a.strip_prefix("--").unwrap_or(&a);
                if bare.is_empty() || bare.starts_with('-') || bare.contains(['\0', ' ', '=']) {
                    return Err(invalid(
                        origin,
                        format!("{place}: `allow_arguments` holds {a:?}, which is no argument name (write it as \"--name\")"),
                    ));
                }
                allow_arguments.insert(format!("--{bare}"));
            }
            config.glue.insert(
                name,
                GlueJob {
                    command,
                    allow_arguments,
                },
            );
        }
        config.storage = storage(base, raw.storage).map_err(|m| invalid(origin, m))?;
        for (name, m) in raw.machines {
            let machine_type = m.machine_type.unwrap_or_else(|| "STANDARD".into());
            if machine_type != "STANDARD" && machine_type != "EXPRESS" {
                return Err(invalid(
                    origin,
                    format!(
                        "machines.{name}: `type` is STANDARD or EXPRESS (got {machine_type:?})"
                    ),
                ));
            }
            let definition = base.join(m.definition);
            config.machines.insert(
                name,
                Machine {
                    definition,
                    machine_type,
                },
            );
        }
        if let Some(endpoint) = raw.lambda.endpoint {
            if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
                return Err(invalid(
                    origin,
                    format!(
                        "lambda: `endpoint` must start with http:// or https:// (got {endpoint:?})"
                    ),
                ));
            }
            config.lambda_endpoint = Some(endpoint);
        }
        let mut aws = raw.aws;
        aws.validate()
            .map_err(|m| invalid(origin, format!("aws: {m}")))?;
        aws.models = aws.models.into_iter().map(|d| base.join(d)).collect();
        aws.ca_file = aws.ca_file.map(|f| base.join(f));
        config.aws = aws;
        config.auth = raw
            .auth
            .resolve(|var| std::env::var(var).ok())
            .map_err(|m| invalid(origin, m))?;
        if let Some(url) = raw.telemetry.otlp_endpoint {
            if !url.starts_with("http://") {
                return Err(invalid(
                    origin,
                    format!("telemetry: otlp_endpoint must be an http:// URL (got {url})"),
                ));
            }
            config.otlp_endpoint = Some(url);
        }
        let mut routes = std::collections::BTreeSet::new();
        for trigger in &raw.http_triggers {
            trigger
                .check(baton_server::triggers::reserved)
                .map_err(|m| invalid(origin, m))?;
            if !routes.insert((trigger.path.clone(), trigger.method.to_ascii_uppercase())) {
                return Err(invalid(
                    origin,
                    format!(
                        "http_triggers: {} {} is given twice",
                        trigger.method, trigger.path
                    ),
                ));
            }
        }
        config.http_triggers = raw.http_triggers;
        config.http.allow = raw.http.allow;
        config.http.ca_file = raw.http.ca_file.map(|f| base.join(f));
        for (name, c) in raw.http.connections {
            let connection = match (c.username, c.password, c.api_key_name, c.api_key_value) {
                (None, None, None, None) => Connection::None,
                (Some(username), Some(password), None, None) => {
                    Connection::Basic { username, password }
                }
                (None, None, Some(name), Some(value)) if !name.is_empty() => {
                    Connection::ApiKey { name, value }
                }
                _ => {
                    return Err(invalid(
                        origin,
                        format!("http.connections.{name}: give `username` and `password` (basic), or `api_key_name` and `api_key_value`, or neither"),
                    ))
                }
            };
            config.http.connections.insert(name, connection);
        }
        Ok(config)
    }
}

/// `[storage]`: a folder or an endpoint, and the endpoint's settings only with an endpoint.
fn storage(base: &Path, raw: RawStorage) -> Result<Storage, String> {
    let root = raw.root.map(|r| base.join(r));
    let Some(url) = raw.endpoint else {
        let endpoint_only = [
            ("region", raw.region.is_some()),
            ("access_key_id", raw.access_key_id.is_some()),
            ("secret_access_key", raw.secret_access_key.is_some()),
            ("session_token", raw.session_token.is_some()),
            ("force_path_style", raw.force_path_style.is_some()),
        ];
        if let Some((key, _)) = endpoint_only.iter().find(|(_, set)| *set) {
            return Err(format!(
                "storage: `{key}` applies to an S3-compatible `endpoint`, and none is set"
            ));
        }
        return Ok(Storage {
            root,
            endpoint: None,
        });
    };
    if root.is_some() {
        return Err(
            "storage: `root` (buckets in a local folder) and `endpoint` (buckets on an \
             S3-compatible endpoint) cannot both be set; remove one (BATON_STORAGE__ROOT and \
             BATON_STORAGE__ENDPOINT set them too)"
                .into(),
        );
    }
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return Err(format!(
            "storage: `endpoint` must start with http:// or https:// (got {url:?})"
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        // Printed at start-up and given to processes: no place for credentials.
        return Err(
            "storage: `endpoint` must not hold credentials; set `access_key_id` and \
             `secret_access_key`"
                .into(),
        );
    }
    if authority.is_empty() {
        return Err(format!("storage: `endpoint` has no host (got {url:?})"));
    }
    let region = raw
        .region
        .unwrap_or_else(|| DEFAULT_STORAGE_REGION.to_string());
    if region.is_empty() {
        return Err("storage: `region` must not be empty".into());
    }
    let secret = |key: &str, value: Option<toml::Value>| match value {
        None => Ok(None),
        Some(toml::Value::String(s)) if !s.is_empty() => Ok(Some(Secret(s))),
        Some(_) => Err(format!("storage: `{key}` must be a non-empty string")),
    };
    let access_key_id = secret("access_key_id", raw.access_key_id)?;
    let secret_access_key = secret("secret_access_key", raw.secret_access_key)?;
    let session_token = secret("session_token", raw.session_token)?;
    let credentials = match (access_key_id, secret_access_key, session_token) {
        (Some(access_key_id), Some(secret_access_key), session_token) => Some(StorageCredentials {
            access_key_id,
            secret_access_key,
            session_token,
        }),
        (None, None, None) => None,
        (None, None, Some(_)) => {
            return Err(
                "storage: `session_token` needs `access_key_id` and `secret_access_key`".into(),
            )
        }
        (Some(_), None, _) | (None, Some(_), _) => {
            return Err(
                "storage: give both `access_key_id` and `secret_access_key`, or neither".into(),
            )
        }
    };
    Ok(Storage {
        root: None,
        endpoint: Some(StorageEndpoint {
            url,
            region,
            credentials,
            force_path_style: raw.force_path_style.unwrap_or(true),
        }),
    })
}

/// Variables whose value is text whatever it looks like: an endpoint, a region, credentials
/// (a secret of digits stays a string), environment entries.
fn is_text_key(path: &[String]) -> bool {
    // An environment entry is text too (`…__ENV__PORT=8080`).
    if let [_, _, key, _] = path {
        if key == "env" || key == "environment" || key == "parameters" {
            return true;
        }
    }
    matches!(
        path,
        [section, key] if section == "storage" && matches!(
            key.as_str(),
            "endpoint" | "region" | "access_key_id" | "secret_access_key" | "session_token"
        )
    ) || matches!(path, [section, key] if section == "lambda" && key == "endpoint")
}

/// `[functions.NAME]` with `runtime`, `handler` and `code`: a handler function.
fn handler(base: &Path, place: &str, f: RawFunction) -> Result<Handler, String> {
    let Some(runtime) = f.runtime else {
        return Err(format!(
            "{place}: a handler function needs `runtime` (one of {})",
            HANDLER_RUNTIMES.join(", ")
        ));
    };
    if !HANDLER_RUNTIMES.contains(&runtime.as_str()) {
        return Err(format!(
            "{place}: unknown `runtime` {runtime:?}; Baton runs {}",
            HANDLER_RUNTIMES.join(", ")
        ));
    }
    let provided = runtime.starts_with("provided");
    let handler = match f.handler {
        Some(h) => h,
        // An OS-only runtime's bootstrap need not read `_HANDLER`; SAM templates often name
        // it `bootstrap`.
        None if provided => "bootstrap".to_string(),
        None => {
            return Err(format!(
                "{place}: `handler` is missing (`file.export` for Node.js, `module.function` \
                 for Python)"
            ))
        }
    };
    if !provided {
        // Node.js: `path/file.export` (the export after the file name's first dot); Python:
        // `package.module.function` (the function after the last dot).
        let file = handler.rsplit('/').next().unwrap_or_default();
        let well_formed = match file.split_once('.') {
            Some((module, export)) => !module.is_empty() && !export.is_empty(),
            None => false,
        };
        if !well_formed || handler.contains('\0') {
            return Err(format!(
                "{place}: `handler` {handler:?} is not `file.function` (e.g. \
                 \"index.handler\")"
            ));
        }
    }
    let Some(code) = f.code else {
        return Err(format!(
            "{place}: `handler` needs `code`, the folder the handler's code is in (relative \
             to baton.toml)"
        ));
    };
    let memory_mb = f.memory_mb.unwrap_or(DEFAULT_MEMORY_MB);
    if !(DEFAULT_MEMORY_MB..=MAX_MEMORY_MB).contains(&memory_mb) {
        return Err(format!(
            "{place}: `memory_mb` is between {DEFAULT_MEMORY_MB} and {MAX_MEMORY_MB}, as \
             Lambda's MemorySize (got {memory_mb})"
        ));
    }
    let max_concurrency = f.max_concurrency.unwrap_or_else(default_max_concurrency);
    if max_concurrency == 0 {
        return Err(format!("{place}: `max_concurrency` must be at least 1"));
    }
    Ok(Handler {
        runtime,
        handler,
        code: base.join(code),
        environment: f.env,
        memory_mb,
        max_concurrency,
    })
}

/// `allow_env` holds environment variable names only.
fn check_allow_env(place: &str, names: &[String]) -> Result<(), String> {
    match names
        .iter()
        .find(|n| n.is_empty() || n.contains(['=', '\0']))
    {
        Some(bad) => Err(format!(
            "{place}: `allow_env` holds {bad:?}, which is no environment variable name"
        )),
        None => Ok(()),
    }
}

fn command(
    base: &Path,
    place: &str,
    mut argv: Vec<String>,
    cwd: Option<PathBuf>,
    env: BTreeMap<String, String>,
) -> Result<Command, String> {
    if argv.first().is_none_or(|p| p.is_empty()) {
        return Err(format!(
            "{place}: `command` needs at least the program, e.g. [\"python3\", \"handler.py\"]"
        ));
    }
    let cwd = match cwd {
        Some(c) => base.join(c),
        None => base.to_path_buf(),
    };
    // A relative program with a folder in it (`./bin/f`, `bin/f`) is relative to `cwd`; a
    // bare name (`python3`) is looked up on PATH.
    let program = Path::new(&argv[0]);
    if program.is_relative() && program.components().count() > 1 {
        argv[0] = cwd.join(program).display().to_string();
    }
    Ok(Command { argv, cwd, env })
}

/// `BATON_FUNCTIONS__Hello__COMMAND` → `["functions", "Hello", "command"]`; `None` for a
/// variable that is not configuration (`BATON_CI_STRICT`, …).
fn env_path(name: &str) -> Option<Vec<String>> {
    // Step Functions Local's name for the endpoint Lambda tasks go to.
    if name == "LAMBDA_ENDPOINT" {
        return Some(vec!["lambda".into(), "endpoint".into()]);
    }
    let rest = name.strip_prefix("BATON_")?;
    let parts: Vec<&str> = rest.split("__").collect();
    let section = parts[0].to_ascii_lowercase();
    let path = match (section.as_str(), parts.len()) {
        ("storage" | "http" | "lambda", 2) => vec![section, parts[1].to_ascii_lowercase()],
        ("http", 4) if parts[1].eq_ignore_ascii_case("connections") => vec![
            section,
            "connections".to_string(),
            parts[2].to_string(),
            parts[3].to_ascii_lowercase(),
        ],
        ("functions" | "ecs" | "batch" | "glue" | "machines", 3) => {
            vec![section, parts[1].to_string(), parts[2].to_ascii_lowercase()]
        }
        // `…__ENV__NAME`: one environment entry, its name as written.
        ("functions" | "ecs" | "batch" | "glue", 4) if parts[2].eq_ignore_ascii_case("env") => {
            vec![
                section,
                parts[1].to_string(),
                "env".to_string(),
                parts[3].to_string(),
            ]
        }
        // `BATON_BATCH__<NAME>__PARAMETERS__NAME`: one parameter default, its name as written.
        ("batch", 4) if parts[2].eq_ignore_ascii_case("parameters") => vec![
            section,
            parts[1].to_string(),
            "parameters".to_string(),
            parts[3].to_string(),
        ],
        // `BATON_FUNCTIONS__<NAME>__ENVIRONMENT__NAME`: the same, by Lambda's word.
        ("functions", 4) if parts[2].eq_ignore_ascii_case("environment") => vec![
            section,
            parts[1].to_string(),
            "environment".to_string(),
            parts[3].to_string(),
        ],
        (
            "storage" | "functions" | "ecs" | "batch" | "glue" | "http" | "machines" | "lambda",
            _,
        ) => {
            vec![section, String::new()]
        }
        _ => return None,
    };
    Some(path)
}

fn parse_value(text: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {text}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    if path.iter().any(String::is_empty) {
        return Err(
            "not a configuration key: use BATON_FUNCTIONS__<NAME>__<KEY>, BATON_ECS__<FAMILY>__<KEY>, BATON_BATCH__<NAME>__<KEY>, BATON_GLUE__<NAME>__<KEY>, BATON_MACHINES__<NAME>__<KEY>, BATON_STORAGE__<KEY> (ROOT, ENDPOINT, REGION, ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, FORCE_PATH_STYLE), BATON_HTTP__ALLOW, BATON_HTTP__CA_FILE or BATON_HTTP__CONNECTIONS__<NAME>__<KEY>"
                .into(),
        );
    }
    let (last, parents) = path.split_last().ok_or("an empty key")?;
    let mut here = table;
    for key in parents {
        let entry = here
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        here = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(format!("`{key}` is not a table")),
        };
    }
    here.insert(last.clone(), value);
    Ok(())
}
