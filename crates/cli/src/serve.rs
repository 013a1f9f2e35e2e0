//! `baton serve`: the AWS Step Functions API on a local port, executions kept in an embedded
//! SQLite store in a data folder, and an S3-compatible endpoint over the Task buckets on another
//! port (unless the buckets are on an external endpoint already, `[storage] endpoint`). Ctrl-C (or SIGTERM) stops accepting requests, answers those in flight and exits;
//! unfinished executions resume at the next start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use baton_runtime::{Config, Runtime};
use baton_store::Store;
use baton_store_postgres::PgStore;
use baton_store_sqlite::SqliteStore;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8083")]
    bind: SocketAddr,
    /// The folder for Baton's local files (created if needed): the store, unless --store puts
    /// it elsewhere, and the logs of the processes tasks start.
    #[arg(long, default_value = ".baton")]
    data_dir: PathBuf,
    /// Where executions are kept: `sqlite` (the default, a file in --data-dir) or a PostgreSQL
    /// URL (`postgres://USER:PASSWORD@HOST:5432/DATABASE`), whose schema is created or upgraded
    /// at start.
    #[arg(
        long,
        value_name = "URL",
        env = "BATON_STORE",
        default_value = "sqlite"
    )]
    store: String,
    /// Seconds a node's lease on a PostgreSQL store lasts without renewal (renewed every
    /// fifth of it): how long the other nodes on the same store wait before they take over
    /// from a node that stopped answering.
    #[arg(long, value_name = "SECONDS", env = "BATON_LEASE", default_value = "10", value_parser = seconds)]
    lease: Duration,
    /// The most Standard executions kept in memory; past it, those idle longest that wait only
    /// for timers, workers or callbacks leave memory and are rebuilt from the store when
    /// something happens to them.
    #[arg(
        long,
        value_name = "N",
        env = "BATON_MAX_RESIDENT",
        default_value = "10000"
    )]
    max_resident: usize,
    /// The account of callers whose access key id is not a 12-digit account id
    /// (`AWS_ACCOUNT_ID`, as Step Functions Local reads it).
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "123456789012")]
    account: String,
    /// The region of callers whose requests are not signed (`AWS_DEFAULT_REGION`, as Step
    /// Functions Local reads it).
    #[arg(long, env = "AWS_DEFAULT_REGION", default_value = "us-east-1")]
    region: String,
    /// A Step Functions Local mock configuration (MockConfigFile): `StartExecution` and
    /// `StartSyncExecution` on `STATE_MACHINE_ARN#TestCase` answer that test case's Task states
    /// from it; a plain ARN runs the real resources.
    #[arg(long, value_name = "FILE", env = "SFN_MOCK_CONFIG")]
    mock_config: Option<PathBuf>,
    /// The longest a `GetActivityTask` call waits for a task, in seconds (AWS: 60).
    #[arg(long, default_value_t = 60)]
    activity_poll_seconds: u64,
    /// The Task resources (functions, ECS task definitions, storage) definitions may reach
    /// (default: ./baton.toml when it exists; `BATON_*` variables apply either way).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The address of the S3-compatible endpoint over the same buckets (port 0: any free
    /// port); processes Baton starts get it as `AWS_ENDPOINT_URL_S3`. Not started when
    /// `[storage] endpoint` puts the buckets on an external endpoint: processes get that one.
    /// Default: the API's address with the next port (`127.0.0.1:8084`), or any free port
    /// when the API's port is 0.
    #[arg(long)]
    s3_bind: Option<SocketAddr>,
    /// Also answer requests whose `Host` is NAME (a host name or address, with or without a
    /// port; its `sync-` form too). Loopback addresses, `localhost` and the bound address are
    /// always answered; any other host is refused with HTTP 403 (DNS rebinding). Repeatable.
    #[arg(
        long = "allow-host",
        value_name = "NAME",
        env = "BATON_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    allow_hosts: Vec<String>,
    /// Answer any `Host`: turns the host check off (behind a proxy that checks it, say).
    #[arg(long, env = "BATON_ALLOW_ANY_HOST")]
    allow_any_host: bool,
    /// Seconds a client has from the first byte of a request to the end of its headers
    /// before the connection is closed (fractions allowed).
    #[arg(long, value_name = "SECONDS", env = "BATON_HEADER_READ_TIMEOUT", default_value = "10", value_parser = seconds)]
    header_read_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, value_name = "SECONDS", env = "BATON_IDLE_TIMEOUT", default_value = "60", value_parser = seconds)]
    idle_timeout: Duration,
    /// Connections each listener (API, S3) keeps open at once; past it, new connections wait
    /// in the kernel's backlog until one closes.
    #[arg(
        long,
        value_name = "N",
        env = "BATON_MAX_CONNECTIONS",
        default_value_t = 1024
    )]
    max_connections: usize,
    /// Seconds a request's body may take to arrive once its head has (the API; the S3
    /// endpoint's uploads may take as long as they need).
    #[arg(long, value_name = "SECONDS", env = "BATON_BODY_READ_TIMEOUT", default_value = "60", value_parser = seconds)]
    body_read_timeout: Duration,
    /// Seconds one step of an execution (one event applied) may spend evaluating its
    /// expressions; past it the expression fails with `States.QueryEvaluationError`.
    #[arg(long, value_name = "SECONDS", env = "BATON_EVALUATION_BUDGET", default_value = "5", value_parser = seconds)]
    evaluation_budget: Duration,
    /// Mebibytes one expression may hold while it is evaluated; past it the expression fails with
    /// `States.QueryEvaluationError`.
    #[arg(
        long,
        value_name = "MIB",
        env = "BATON_EVALUATION_MEMORY",
        default_value_t = 256
    )]
    evaluation_memory: usize,
    /// What Wait states and Retry intervals last, as a share of what definitions say, as Step
    /// Functions Local's `WAIT_TIME_SCALE`: 0 makes them end at once, 0.01 a hundred times
    /// shorter. Task timeouts, heartbeats and execution timeouts are not scaled; the history
    /// shows the times things happened.
    #[arg(long, value_name = "F", env = "WAIT_TIME_SCALE", default_value = "1", value_parser = scale)]
    wait_time_scale: f64,
    /// How fast EventBridge Scheduler's clock runs, as a share of real time: at 0.01 a
    /// `rate(1 minute)` schedule ticks every 0.6 s, and the times schedules are given and
    /// shown are read on that clock, which starts at the real time. For tests; 1 by default.
    #[arg(long, value_name = "F", env = "BATON_SCHEDULE_TIME_SCALE", default_value = "1", value_parser = schedule_scale)]
    schedule_time_scale: f64,
    /// Delete closed executions (and their histories) this many days after they closed, in
    /// the background; fractions allowed. AWS keeps them 90 days. Default: kept.
    #[arg(long, value_name = "DAYS", env = "BATON_RETENTION_DAYS", value_parser = days)]
    retention_days: Option<Duration>,
    /// How the log on stderr is written: `text` lines for people, or `json`, one object per
    /// line. Levels and targets from `RUST_LOG`.
    #[arg(long, value_enum, env = "BATON_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    /// Count what executions and requests do and answer `GET /metrics` (Prometheus' text
    /// format, no signature needed): Step Functions' CloudWatch metrics per state machine,
    /// activity, Lambda function and service integration, and Baton's own.
    #[arg(long, env = "BATON_METRICS")]
    metrics: bool,
    /// A PEM file with the server's certificate chain (leaf first): the API, the console and
    /// the S3 endpoint are served over TLS (HTTPS). Needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        env = "BATON_TLS_CERT",
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// A PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "FILE",
        env = "BATON_TLS_KEY",
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    templates: crate::templates::ServeTemplates,
}

/// What `GET /metrics` shows of the runtime and the store.
struct RuntimeMetrics {
    executions: Arc<baton_runtime::metrics::Metrics>,
    runtime: Arc<Runtime>,
    logs: baton_logs::Logs,
    ticker: Arc<baton_scheduler::Ticker>,
}

#[async_trait::async_trait]
impl baton_server::metrics::Exposition for RuntimeMetrics {
    async fn render(&self, out: &mut String) {
        use std::fmt::Write;
        self.executions.render(out);
        let mut gauge = |name: &str, help: &str, kind: &str, value: Option<u64>| {
            if let Some(value) = value {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
                );
            }
        };
        gauge(
            "baton_execution_log_events_dropped_total",
            "Execution log events dropped because the log writer was too far behind.",
            "counter",
            Some(self.logs.dropped()),
        );
        gauge(
            "baton_executions_in_memory",
            "Standard executions running in this process's memory.",
            "gauge",
            Some(self.runtime.running() as u64),
        );
        // Read when scraped; a store that cannot answer leaves its lines out.
        let store = match self.runtime.store().gauges().await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!("metrics: the store's gauges: {e}");
                baton_store::StoreGauges::default()
            }
        };
        gauge(
            "baton_timers_pending",
            "Timers waiting to fire (Wait states, retries, timeouts).",
            "gauge",
            store.timers,
        );
        gauge(
            "baton_tasks_open",
            "Activity and callback tasks scheduled or started and not closed.",
            "gauge",
            store.open_tasks,
        );
        gauge(
            "baton_store_bytes",
            "Bytes the store takes: the SQLite files, or the PostgreSQL database.",
            "gauge",
            store.bytes,
        );
        gauge(
            "baton_store_commits_total",
            "Transactions the store's writers committed.",
            "counter",
            store.commits,
        );
        gauge(
            "baton_store_batches_total",
            "Batches those transactions carried (over commits: the group commit's size).",
            "counter",
            store.batches,
        );
        if let Some(h) = &store.commit_seconds {
            h.render(
                out,
                "baton_store_commit_seconds",
                "How long the store's writers' transactions took, first statement to commit.",
            );
        }
        if let Some(h) = &store.commit_batches {
            h.render(
                out,
                "baton_store_commit_batches",
                "Batches per transaction (the group commit's size).",
            );
        }
        self.render_schedules(out);
    }
}

impl RuntimeMetrics {
    /// EventBridge Scheduler's ticks on this node.
    fn render_schedules(&self, out: &mut String) {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Relaxed;
        let figures = self.ticker.figures();
        for (name, help, value) in [
            (
                "baton_schedule_ticks_fired_total",
                "Schedule ticks this node claimed and handed over to their targets.",
                figures.fired.load(Relaxed),
            ),
            (
                "baton_schedule_ticks_expired_total",
                "Spans of schedule ticks let go because they were older than their target's maximum event age when reached.",
                figures.expired.load(Relaxed),
            ),
            (
                "baton_schedule_claims_lost_total",
                "Claims of a tick that another node (or a change to the schedule) won.",
                figures.lost.load(Relaxed),
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }
        let mut late = self.ticker.lateness();
        if late.is_empty() {
            return;
        }
        late.sort_unstable();
        let name = "baton_schedule_tick_lateness_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} From when a tick was due to when its claim committed, over the last ticks fired here.\n# TYPE {name} summary"
        );
        for q in [0.5, 0.9, 0.99, 1.0] {
            let i = ((late.len() as f64 * q).ceil() as usize).clamp(1, late.len()) - 1;
            let _ = writeln!(
                out,
                "{name}{{quantile=\"{q}\"}} {}",
                late[i] as f64 / 1000.0
            );
        }
        let sum: u64 = late.iter().sum();
        let _ = writeln!(out, "{name}_sum {}", sum as f64 / 1000.0);
        let _ = writeln!(out, "{name}_count {}", late.len());
    }
}

/// The store `--store` names: SQLite in the data folder, or a PostgreSQL database (and how to
/// name it in messages, without its password).
async fn open_store(
    store: &str,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Arc<dyn Store>, Option<String>)> {
    let store = store.trim();
    if store.is_empty() || store.eq_ignore_ascii_case("sqlite") {
        let sqlite = SqliteStore::open(data_dir)
            .with_context(|| format!("opening the store in {}", data_dir.display()))?;
        return Ok((Arc::new(sqlite), None));
    }
    if store.starts_with("postgres://") || store.starts_with("postgresql://") {
        let pg = PgStore::open(store)
            .await
            .context("opening the PostgreSQL store")?;
        let text = pg.location().to_string();
        return Ok((Arc::new(pg), Some(text)));
    }
    // Not echoed: it may hold a password.
    anyhow::bail!(
        "--store (BATON_STORE) is neither `sqlite` nor a PostgreSQL URL \
         (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
    )
}

/// A positive number of days, fractions allowed.
fn days(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days"))?;
    match Duration::try_from_secs_f64(value * 86_400.0) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("{text:?} must be more than zero days")),
    }
}

/// A share of a duration: a finite number, zero or more.
fn scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{text:?} must be a number, zero or more")),
    }
}

fn schedule_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{text:?} must be a number above 0, at most 1")),
    }
}

/// The S3 endpoint's default address: `api`'s with the next port, or port 0 (any free port)
/// when `api`'s is 0 or the last.
fn next_port(api: SocketAddr) -> SocketAddr {
    let port = match api.port() {
        0 => 0,
        p => p.checked_add(1).unwrap_or(0),
    };
    SocketAddr::new(api.ip(), port)
}

/// What the printed client setup depends on besides the addresses.
struct Setup<'a> {
    account: &'a str,
    region: &'a str,
    /// `http` or `https`.
    scheme: &'a str,
    /// Requests must be signed with a configured key.
    keyed: bool,
    /// The TLS certificate file, for clients to trust.
    ca_file: Option<&'a std::path::Path>,
}

/// What a client needs, ready to paste into a shell: the endpoints (an address that listens
/// everywhere is reached on loopback), the region for both AWS CLI versions (v1 reads only
/// `AWS_DEFAULT_REGION`), dummy credentials (a 12-digit access key id acts in that account),
/// and the SDKs' host prefix turned off (`StartSyncExecution` is otherwise sent to
/// `sync-<host>`, which does not resolve for an address or `localhost`).
fn client_setup(api: SocketAddr, s3: Option<SocketAddr>, setup: &Setup<'_>) -> String {
    let Setup {
        account,
        region,
        scheme,
        keyed,
        ca_file,
    } = *setup;
    let reachable = |a: SocketAddr| {
        let ip = match a.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
            }
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
            }
            ip => ip,
        };
        format!("{scheme}://{}", SocketAddr::new(ip, a.port()))
    };
    let api = reachable(api);
    let mut lines = vec![
        String::new(),
        "To use it from another terminal (AWS CLI v1 or v2, any AWS SDK), paste:".to_string(),
        String::new(),
        format!("export AWS_ENDPOINT_URL={api}"),
    ];
    if let Some(s3) = s3 {
        lines.push(format!("export AWS_ENDPOINT_URL_S3={}", reachable(s3)));
    }
    if let Some(ca) = ca_file {
        // For a certificate the system does not trust (one made for this server).
        lines.push(format!("export AWS_CA_BUNDLE={}", ca.display()));
    }
    lines.push(format!(
        "export AWS_REGION={region} AWS_DEFAULT_REGION={region}"
    ));
    lines.push(if keyed {
        "export AWS_ACCESS_KEY_ID=<one of [[auth.keys]]> AWS_SECRET_ACCESS_KEY=<its secret>"
            .to_string()
    } else {
        format!("export AWS_ACCESS_KEY_ID={account} AWS_SECRET_ACCESS_KEY=baton")
    });
    lines.extend([
        "export AWS_DISABLE_HOST_PREFIX_INJECTION=true".to_string(),
        String::new(),
        format!("The console: {api}/"),
    ]);
    lines.join("\n")
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    match Duration::try_from_secs_f64(value) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("{text:?} must be more than zero seconds")),
    }
}

impl ServeArgs {
    /// The edge of a listener bound to `bind`: the limits and host policy of the flags.
    fn edge(
        &self,
        protocol: baton_http::Protocol,
        tls: Option<&baton_http::Tls>,
    ) -> anyhow::Result<baton_http::Edge> {
        let limits = baton_http::Limits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
            ..baton_http::Limits::default()
        };
        limits.check()?;
        let mut hosts = baton_http::HostPolicy::only(
            self.allow_hosts
                .iter()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
        );
        hosts.any = self.allow_any_host;
        Ok(baton_http::Edge {
            limits,
            hosts,
            protocol,
            tls: tls.cloned(),
        })
    }
}

/// How `baton serve` writes its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people: time, level, target, message, fields.
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`…), for a log
    /// collector.
    Json,
}

/// The log: lines on stderr in `format`, filtered by `RUST_LOG` (tracing-subscriber's
/// `EnvFilter` syntax); without it, Baton's own crates at `info` and everything else at `warn`.
fn install_log(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,baton=info"));
    // A second `serve` in the same process (tests) keeps the first subscriber.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

pub fn main(args: ServeArgs) -> anyhow::Result<u8> {
    install_log(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(0)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            baton_http::Tls::from_pem_files(cert, key)
                .map_err(|e| anyhow::anyhow!("--tls-cert/--tls-key: {e}"))?,
        ),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let api_edge = args.edge(baton_http::Protocol::AwsJson, tls.as_ref())?;
    let s3_edge = args.edge(baton_http::Protocol::S3Xml, tls.as_ref())?;
    let mut resources = baton_integrations::config::Config::load(
        crate::config_file(args.config.as_deref())?.as_deref(),
    )?;
    let stacks = args
        .templates
        .load(&args.account, &args.region, &mut resources)?;
    // Bound before the runtime opens: resumed tasks may start processes that need the addresses.
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let addr = listener.local_addr()?;
    // Baton's own S3 endpoint serves buckets in a local folder; buckets on an external
    // endpoint are reached there, by tasks and processes alike.
    let s3_listener = match &resources.storage.endpoint {
        Some(_) => None,
        None => {
            let s3_bind = args.s3_bind.unwrap_or_else(|| next_port(args.bind));
            Some(
                tokio::net::TcpListener::bind(s3_bind)
                    .await
                    .with_context(|| {
                        format!("listening on {s3_bind} (S3; --s3-bind chooses another address)")
                    })?,
            )
        }
    };
    let s3_addr = s3_listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let integrations = Arc::new(baton_integrations::Resources::new(
        &resources,
        baton_integrations::Environment {
            endpoint_url: Some(format!("{scheme}://{addr}")),
            s3_endpoint_url: s3_addr.map(|a| format!("{scheme}://{a}")),
            data_dir: std::path::absolute(&args.data_dir).unwrap_or(args.data_dir.clone()),
        },
    ));
    let (store, store_text) = open_store(&args.store, &args.data_dir).await?;
    // A store several processes can open: join the nodes on it; this one runs the executions
    // of the partitions that fall to it, and every write for one is fenced.
    let node = match &store_text {
        Some(_) => {
            let options = baton_runtime::node::NodeOptions {
                id: uuid::Uuid::new_v4().to_string(),
                address: format!("{scheme}://{addr}"),
                lease: args.lease,
            };
            let node = baton_runtime::node::Node::join(store.clone(), options)
                .await
                .context("joining the nodes on the store")?;
            Some(node)
        }
        None => None,
    };
    let store = node.as_ref().map_or(store, |n| n.store());
    let service_models = baton_runtime::botocore::installed().unwrap_or_else(|| {
        eprintln!(
            "baton: botocore not found (pip install botocore): TestState will not check mocked results against AWS's service models"
        );
        baton_engine::teststate::ServiceModels::empty()
    });
    let mocks = args.mock_config.as_deref().map(load_mocks).transpose()?;
    let limits = Config::default().limits;
    // CloudWatch Logs' groups (execution logs), beside the console's task logs (`logs/`).
    let cloudwatch_dir = args.data_dir.join("cloudwatch-logs");
    let cloudwatch = baton_logs::Logs::open(&cloudwatch_dir)
        .with_context(|| format!("opening the log groups in {}", cloudwatch_dir.display()))?;
    let exporter = match &resources.otlp_endpoint {
        Some(url) => Some(Arc::new(crate::otlp::Exporter::start(url)?)),
        None => None,
    };
    let config = Config {
        mocks,
        service_models,
        activity_poll: Duration::from_secs(args.activity_poll_seconds),
        integrations: integrations.clone(),
        limits: baton_engine::Limits {
            budget: Some(baton_asl::budget::Budget {
                time: args.evaluation_budget,
                memory_bytes: args.evaluation_memory.saturating_mul(1024 * 1024),
            }),
            wait_time_scale: args.wait_time_scale,
            ..limits
        },
        ownership: node.as_ref().map(|n| n.ownership()),
        max_resident: Some(args.max_resident.max(1)),
        metrics: args
            .metrics
            .then(|| Arc::new(baton_runtime::metrics::Metrics::default())),
        retention: args.retention_days,
        logs: Some(cloudwatch.clone()),
        spans: exporter
            .clone()
            .map(|e| e as Arc<dyn baton_runtime::traces::SpanSink>),
        status_events: None,
    };
    let execution_metrics = config.metrics.clone();
    // EventBridge: buses and rules in the store, matched events delivered on this node;
    // Standard executions' status changes go to the default bus.
    let (deliveries, delivery_queue) = baton_events::Deliveries::new(store.clone());
    // EventBridge Scheduler's ticks are handed over as deliveries too.
    let ticker = baton_scheduler::Ticker::new(
        store.clone(),
        deliveries.clone(),
        baton_scheduler::Clock::shared(&*store, args.schedule_time_scale)
            .await
            .context("reading the scheduler's clock")?,
    );
    let scheduler = Arc::new(baton_scheduler::SchedulerService::new(
        store.clone(),
        ticker.clone(),
    ));
    let events = Arc::new(baton_events::EventsService::new(
        store.clone(),
        deliveries.clone(),
    ));
    let config = Config {
        status_events: Some(Arc::new(crate::status_events::ToEventBridge(
            events.clone(),
        ))),
        ..config
    };
    let runtime = Runtime::open(store, config)
        .await
        .context("resuming unfinished executions")?;
    let mut node = node;
    if let Some(node) = &mut node {
        node.run(runtime.clone());
        // Each schedule's ticks are claimed first by the node that owns its ARN's partition.
        let ownership = node.ownership();
        ticker.prefer(Arc::new(move |arn| {
            ownership.epoch(baton_store::partition_of(arn)).is_some()
        }));
    }

    // Nested executions (`states:startExecution`) start their children on this runtime; it
    // can only be handed over now that it exists. Weak: the runtime owns the integrations.
    let service: Arc<dyn baton_api::StepFunctions> = runtime.clone();
    integrations.attach(Arc::downgrade(&service));
    drop(service);
    integrations
        .storage()
        .events()
        .attach(Arc::new(crate::status_events::ToEventBridge(
            events.clone(),
        )));
    let events_api: Arc<dyn baton_api::JsonService> = events.clone();
    integrations.attach_events(Arc::downgrade(&events_api));
    drop(events_api);
    // EventBridge API destinations call out through the HTTP task's client: they reach what
    // `[http] allow` lets an `http:invoke` task reach.
    deliveries.attach_outbound(baton_integrations::destinations::outbound(&resources));
    // Lambda, SQS, SNS and universal targets are the Tasks the configuration serves.
    deliveries.attach_tasks(Arc::new(baton_integrations::destinations::EventTargets(
        integrations.clone(),
    )));
    baton_events::deliver::start(
        delivery_queue,
        &deliveries,
        runtime.clone(),
        Arc::downgrade(&events),
    );
    ticker.start();
    if node.is_some() {
        ticker
            .listen()
            .await
            .context("listening for other nodes' schedules")?;
    }
    let data = std::fs::canonicalize(&args.data_dir).unwrap_or(args.data_dir.clone());
    println!("baton: listening on {scheme}://{addr}");
    match (s3_addr, integrations.storage().endpoint_url()) {
        (Some(s3_addr), _) => println!("baton: S3 on {scheme}://{s3_addr}"),
        (None, Some(url)) => println!("baton: Task buckets at {url} (no S3 endpoint started)"),
        (None, None) => {}
    }
    println!("baton: data in {}", data.display());
    if let Some(text) = store_text {
        println!("baton: store {text}");
    }
    match &resources.auth {
        Some(keys) => println!("baton: requests must be signed with one of {keys:?}"),
        None if !addr.ip().is_loopback() => eprintln!(
            "baton: warning: listening beyond loopback ({addr}) without authentication: anyone \
             who reaches the port can start executions and read every account's data; add \
             [[auth.keys]] to baton.toml"
        ),
        None => {}
    }
    if addr.ip().is_unspecified() && args.allow_hosts.is_empty() && !args.allow_any_host {
        eprintln!(
            "baton: listening on every address, but only loopback and localhost hosts are answered: \
             name the others with --allow-host (or BATON_ALLOW_HOSTS)"
        );
    }
    if node.is_none() {
        println!(
            "baton: {} unfinished execution(s) resumed",
            runtime.running()
        );
    } else {
        println!("baton: joined the nodes on this store: executions run on the node their partition falls to");
    }
    crate::templates::create(
        &*runtime,
        Some(&cloudwatch),
        &args.account,
        &args.region,
        &stacks,
    )
    .await?;
    println!(
        "{}",
        client_setup(
            addr,
            s3_addr,
            &Setup {
                account: &args.account,
                region: &args.region,
                scheme,
                keyed: resources.auth.is_some(),
                ca_file: args.tls_cert.as_deref(),
            }
        )
    );
    let keys = resources.auth.clone().map(Arc::new);
    let api_metrics = args
        .metrics
        .then(|| Arc::new(baton_server::metrics::ApiMetrics::default()));
    let (server_account, server_region) = (args.account.clone(), args.region.clone());
    let server_config = baton_server::Config {
        account_id: args.account,
        region: args.region,
        body_read_timeout: args.body_read_timeout,
        auth: keys.clone(),
        api_metrics: api_metrics.clone(),
        services: baton_server::Services(vec![
            Arc::new(baton_logs::LogsService::new(cloudwatch.clone())),
            events.clone(),
        ]),
        ..Default::default()
    };
    // Lambda's API for the configured functions, on the same port.
    let functions: Arc<dyn baton_server::lambda::LambdaFunctions> = integrations.clone();
    let logs = baton_server::auth::require(
        baton_console::logs::router(data.join("logs")),
        keys.clone(),
        baton_server::auth::Guard {
            service: "states",
            dialect: baton_server::auth::Dialect::AwsJson,
            body_limit: 0,
            action: |_, _| Some("logs:GetLogEvents"),
        },
    );
    // `[[http_triggers]]`: routes that start executions, as API Gateway's integration does.
    let triggers: Vec<baton_server::triggers::Trigger> = resources
        .http_triggers
        .iter()
        .map(|t| baton_server::triggers::Trigger {
            method: t.method.to_ascii_uppercase(),
            path: t.path.clone(),
            state_machine_arn: t
                .state_machine_arn(&server_config.account_id, &server_config.region),
            sync: t.sync,
        })
        .collect();
    let triggers = baton_server::triggers::router(
        &triggers,
        runtime.clone(),
        &server_config.account_id,
        &server_config.region,
    );
    let scheduler_api =
        baton_server::rest::router(scheduler, server_config.clone(), |method, path| {
            baton_scheduler::api::action(method.as_str(), path)
        });
    // The console's list of schedules and rules, with their next and last ticks.
    let overview = baton_server::rest::router(
        Arc::new(baton_scheduler::Overview::new(runtime.store().clone())),
        server_config.clone(),
        |_, _| Some("scheduler:ListSchedules"),
    );
    let mut app = baton_server::app(runtime.clone(), server_config.clone())
        .merge(overview)
        .merge(baton_server::lambda::router(functions, server_config))
        .merge(scheduler_api)
        .merge(logs)
        .merge(triggers);
    if let (Some(executions), Some(api)) = (execution_metrics, api_metrics) {
        let sources: Vec<Arc<dyn baton_server::metrics::Exposition>> = vec![
            Arc::new(RuntimeMetrics {
                executions,
                runtime: runtime.clone(),
                logs: cloudwatch.clone(),
                ticker: ticker.clone(),
            }),
            api,
        ];
        app = app.merge(baton_server::metrics::router(sources));
    }
    let (s3_stop, s3_stopped) = tokio::sync::oneshot::channel::<()>();
    let local_root = integrations.storage().local_root().map(|r| r.to_path_buf());
    let s3_keys = keys.clone();
    let notifications = baton_integrations::s3_endpoint::Notifications {
        sink: integrations.storage().events().clone(),
        account: server_account.clone(),
        region: server_region.clone(),
    };
    let s3 = match (s3_listener, local_root) {
        (Some(s3_listener), Some(root)) => Some(tokio::spawn(async move {
            let stopped = async {
                let _ = s3_stopped.await;
            };
            if let Err(e) = baton_integrations::s3_endpoint::serve_with_events(
                s3_listener,
                &root,
                s3_edge,
                s3_keys,
                notifications,
                stopped,
            )
            .await
            {
                tracing::error!("S3 endpoint stopped: {e}");
            }
        })),
        _ => None,
    };
    let stopping = runtime.clone();
    let node = node.map(Arc::new);
    let holder = node.clone();
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<String>();
    let shutdown = async move {
        let lost = async {
            match &holder {
                Some(node) => node.lost().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown_signal() => {}
            why = lost => {
                eprintln!("baton: stopping: this node lost its hold on the store: {why}");
                let _ = lost_tx.send(why);
            }
        }
        // Long polls answer now, so the graceful stop does not wait for them.
        stopping.shutdown();
        let _ = s3_stop.send(());
    };
    baton_server::serve_with(listener, app, api_edge, shutdown).await?;
    if let Some(s3) = s3 {
        if let Err(e) = s3.await {
            tracing::error!("S3 endpoint: {e}");
        }
    }
    runtime.shutdown();
    if let Some(exporter) = &exporter {
        exporter.flush().await;
    }
    if let Ok(why) = lost_rx.await {
        anyhow::bail!("lost the store to another node: {why}");
    }
    // A graceful stop hands the partitions over at once: the other nodes need not wait out
    // the lease.
    if let Some(node) = node.and_then(Arc::into_inner) {
        if let Err(e) = node.release().await {
            tracing::warn!("releasing the store's partitions: {e}");
        }
    }
    println!("baton: stopped");
    Ok(())
}

/// Reads and checks a mock configuration; what is wrong with it stops the server, named by
/// the file and the JSON pointer in it.
fn load_mocks(path: &std::path::Path) -> anyhow::Result<Arc<baton_mock::MockConfig>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the mock configuration {}", path.display()))?;
    baton_mock::parse(&text)
        .map(Arc::new)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
