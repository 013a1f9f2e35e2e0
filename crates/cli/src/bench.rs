//! `baton bench`: load a Step Functions endpoint over HTTP and report what it sustains —
//! durable Standard executions, synchronous Express executions, and the memory and recovery
//! time of many parked executions. Figures only: nothing here asserts on time.
//!
//! Without `--endpoint` it starts its own server (this binary's `baton serve` on a free
//! loopback port over a temporary data folder), which also lets it read the server's memory
//! and kill and restart it. The client is deliberately raw (one keep-alive HTTP/1.1
//! connection per client task, unsigned requests) so that it can saturate a fast server: an
//! AWS SDK spends more per call than the server does.

mod callback;
mod client;
mod describe;
mod dmap;
mod events;
mod express;
mod function;
mod parked;
mod report;
mod schedules;
mod server;
mod standard;
mod stats;

use std::future::Future;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use client::{Client, Endpoint};
use report::Report;
use server::{Machine, Spawned};

#[derive(Args)]
pub struct BenchArgs {
    /// The server to load, `http://HOST:PORT`. Without it, bench starts its own `baton serve
    /// --bind 127.0.0.1:0` over a temporary data folder and stops it at the end.
    #[arg(long)]
    endpoint: Option<String>,
    /// Concurrent clients, each a task with its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds of load for each throughput workload (standard, and each express machine).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// The workloads to run, in this order.
    #[arg(long, value_delimiter = ',', default_value = "standard,express,parked")]
    workloads: Vec<Workload>,
    /// How many executions the parked workload starts (half on a 1-hour Wait, half on a
    /// callback task).
    #[arg(long, default_value_t = 10_000)]
    parked: u64,
    /// The Pass-chain lengths the express workload runs, one after the other.
    #[arg(long, value_delimiter = ',', default_value = "3,10")]
    express_states: Vec<usize>,
    /// How many objects the dmap workload's bucket holds.
    #[arg(long, default_value_t = 10_000)]
    dmap_objects: u64,
    /// How many times the dmap workload runs each of its machines.
    #[arg(long, default_value_t = 3)]
    dmap_rounds: usize,
    /// The store of the server bench starts: `sqlite` (in its temporary data folder) or a
    /// PostgreSQL URL, as `baton serve --store` takes it.
    #[arg(long, value_name = "URL", default_value = "sqlite")]
    store: String,
    /// Pin the spawned server to these CPUs (`taskset -c LIST`).
    #[arg(long, value_name = "LIST")]
    server_cpus: Option<String>,
    /// Pin the benchmark client itself to these CPUs (`taskset -p -c LIST`).
    #[arg(long, value_name = "LIST")]
    client_cpus: Option<String>,
    /// The process id of the server at `--endpoint`, to read its memory (`/proc/PID/status`).
    #[arg(long)]
    server_pid: Option<u32>,
    /// How many servers bench starts on the `--store` (a PostgreSQL URL when more than one):
    /// the clients spread over them, and the parked workload's executions too.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// How many callbacks the callback workload answers, one after another.
    #[arg(long, default_value_t = 200)]
    callbacks: usize,
    /// How many rules that miss the events workload has beside the one that matches.
    #[arg(long, default_value_t = 999)]
    event_rules: usize,
    /// How many `rate(1 minute)` schedules the schedules workload makes.
    #[arg(long, default_value_t = 1000)]
    schedules: usize,
    /// The scheduler clock's speed on the servers bench starts (`baton serve
    /// --schedule-time-scale`): at 0.1 a scheduled minute lasts 6 s.
    #[arg(long, value_name = "F", default_value_t = 0.1)]
    schedule_time_scale: f64,
    /// One JSON object per workload on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Sign every request with this key (`ACCESS_KEY_ID:SECRET`), for a server with
    /// `[[auth.keys]]` (at --endpoint); without it requests are unsigned.
    #[arg(long, value_name = "ID:SECRET", env = "BATON_BENCH_KEY")]
    key: Option<String>,
    /// Give the standard and express workloads' machines a `LoggingConfiguration` at this
    /// level (ALL, ERROR, FATAL), sending their executions' events to a log group bench
    /// creates on the server (CloudWatch Logs' API).
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
    /// With --log-level: `includeExecutionData` (inputs and outputs in the log events).
    #[arg(long)]
    log_data: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// StartExecution of a 3-state Pass chain, then DescribeExecution until SUCCEEDED.
    Standard,
    /// StartSyncExecution of Pass chains.
    Express,
    /// Executions that wait (Wait of an hour, callback task): memory, liveness, recovery.
    Parked,
    /// StartSyncExecution of a Task on a command function (`cat`; a server bench starts has it
    /// configured as `Echo`; one named by --endpoint needs `[functions.Echo] command = ["cat"]`).
    Function,
    /// One distributed Map over a bucket of objects in the server's local storage (needs a
    /// server bench starts).
    Dmap,
    /// Activity tasks answered one at a time: the execution started on one node, the task
    /// taken on the next, its result sent to the one after (with several nodes), and how long
    /// from `SendTaskSuccess` until the history has `ActivitySucceeded`.
    Callback,
    /// DescribeStateMachine of one machine in a loop: the cost of a request itself (with
    /// `--key`, of its signature too).
    Describe,
    /// PutEvents matched against `--event-rules` + 1 rules, the matching one starting a
    /// STANDARD 3-Pass chain per event.
    Events,
    /// `--schedules` schedules ticking once a scheduled minute (on a clock at
    /// `--schedule-time-scale`), each tick starting a STANDARD 1-Pass chain: ticks fired and
    /// their lateness, from the servers' `/metrics`.
    Schedules,
}

/// What every workload needs: where the server is, and how hard to load it.
pub struct Ctx {
    pub endpoint: Endpoint,
    /// Every node's endpoint, `endpoint` first (one, unless bench started several).
    pub endpoints: Vec<Endpoint>,
    /// The server bench started, if it did.
    pub server: Option<Spawned>,
    /// The other servers bench started on the same store (`--nodes`).
    pub others: Vec<Spawned>,
    server_pid: Option<u32>,
    pub clients: usize,
    pub duration: Duration,
    /// A prefix that makes this run's machine and execution names unique.
    pub run_id: String,
    /// The `loggingConfiguration` the standard and express workloads' machines get.
    pub logging: Option<Value>,
}

impl Ctx {
    /// The server's process id, when known (and bench loads one server only).
    pub fn server_pid(&self) -> Option<u32> {
        if !self.others.is_empty() {
            return None;
        }
        self.server.as_ref().map(Spawned::pid).or(self.server_pid)
    }

    /// The endpoint client `c` talks to: the nodes in turn.
    pub fn endpoint_for(&self, c: usize) -> Endpoint {
        self.endpoints[c % self.endpoints.len()].clone()
    }

    /// The process ids of every server bench started.
    pub fn pids(&self) -> Vec<u32> {
        self.server
            .iter()
            .chain(&self.others)
            .map(Spawned::pid)
            .collect()
    }
}

pub fn main(args: BenchArgs) -> anyhow::Result<u8> {
    if args.clients == 0 {
        bail!("--clients must be at least 1");
    }
    if args.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    if args.nodes > 1 && (args.store == "sqlite" || args.endpoint.is_some()) {
        bail!("--nodes needs a PostgreSQL --store, and no --endpoint: several nodes share one database");
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        bail!("--duration must be a positive number of seconds");
    }
    if let Some(cpus) = &args.client_cpus {
        // Before the async runtime exists, so that its threads inherit the affinity.
        server::pin_self(cpus)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(args))
}

async fn run(args: BenchArgs) -> anyhow::Result<u8> {
    let machine = Machine::read();
    let date = server::utc_now();
    // Kept until the end: the spawned server's store lives in it.
    let mut data_dirs = Vec::new();
    let mut spawned = Vec::new();
    let signer = args
        .key
        .as_deref()
        .map(client::Signer::parse)
        .transpose()?
        .map(std::sync::Arc::new);
    let endpoint = match &args.endpoint {
        Some(url) => Endpoint::parse(url)?.signed(signer.clone()),
        None => {
            for _ in 0..args.nodes {
                let dir = tempfile::Builder::new()
                    .prefix("baton-bench.")
                    .tempdir()
                    .context("creating a data folder")?;
                let path = dir.path().to_owned();
                let cpus = args.server_cpus.clone();
                let store = (args.store != "sqlite").then(|| args.store.clone());
                // The schedules workload reads its figures from `/metrics`.
                let extra: Vec<String> = if args.workloads.contains(&Workload::Schedules) {
                    vec![
                        "--metrics".into(),
                        "--schedule-time-scale".into(),
                        args.schedule_time_scale.to_string(),
                    ]
                } else {
                    Vec::new()
                };
                spawned.push(
                    tokio::task::spawn_blocking(move || {
                        Spawned::start(&path, cpus.as_deref(), store.as_deref(), &extra)
                    })
                    .await??,
                );
                data_dirs.push(dir);
            }
            spawned[0].endpoint.clone()
        }
    };
    let endpoints: Vec<Endpoint> = if spawned.is_empty() {
        vec![endpoint.clone()]
    } else {
        spawned.iter().map(|s| s.endpoint.clone()).collect()
    };
    if args.nodes > 1 {
        server::settled(&args.store, args.nodes).await?;
    }
    let mut spawned = spawned.into_iter();
    let first = spawned.next();
    let others: Vec<Spawned> = spawned.collect();
    if args.endpoint.is_some() && args.store != "sqlite" {
        eprintln!("bench: --store applies only to a server bench starts; ignored");
    }
    if args.endpoint.is_some() && args.server_cpus.is_some() {
        eprintln!("bench: --server-cpus applies only to a server bench starts; ignored");
    }
    let mut ctx = Ctx {
        endpoint,
        endpoints,
        server: first,
        others,
        server_pid: args.server_pid,
        clients: args.clients,
        duration: Duration::from_secs_f64(args.duration),
        run_id: run_id(),
        logging: None,
    };
    // A server bench started has said it listens; one named by --endpoint should be up.
    let patience = if ctx.server.is_some() { 60 } else { 5 };
    wait_healthy(&ctx.endpoint, Duration::from_secs(patience)).await?;
    if let Some(level) = &args.log_level {
        let group = format!("/aws/vendedlogs/states/bench-{}", ctx.run_id);
        let mut client = Client::new(&ctx.endpoint);
        let created = client
            .call_target(
                "Logs_20140328.CreateLogGroup",
                json!({ "logGroupName": group }).to_string(),
            )
            .await?;
        if !created.ok() {
            bail!("CreateLogGroup: {}", created.error_text());
        }
        ctx.logging = Some(json!({
            "level": level.to_uppercase(),
            "includeExecutionData": args.log_data,
            "destinations": [{"cloudWatchLogsLogGroup": {
                "logGroupArn": format!("arn:aws:logs:us-east-1:123456789012:log-group:{group}:*")
            }}],
        }));
        eprintln!(
            "bench: machines log at {level} (data: {}) to {group}",
            args.log_data
        );
    }

    let server_text = match &ctx.server {
        Some(s) if !ctx.others.is_empty() => format!(
            "{} `baton serve` nodes on one store (pids {:?}, CPUs {}){}",
            ctx.others.len() + 1,
            ctx.pids(),
            s.cpus().unwrap_or("any"),
            s.store
                .as_deref()
                .map(|url| format!(", store {}", baton_store_postgres::redacted(url)))
                .unwrap_or_default()
        ),
        Some(s) => format!(
            "spawned `baton serve` (pid {}, CPUs {}), data in {}{}",
            s.pid(),
            s.cpus().unwrap_or("any"),
            s.data_dir.display(),
            s.store
                .as_deref()
                .map(|url| format!(", store {}", baton_store_postgres::redacted(url)))
                .unwrap_or_default()
        ),
        None => format!(
            "{}{}",
            ctx.endpoint.url(),
            ctx.server_pid
                .map(|p| format!(" (pid {p})"))
                .unwrap_or_default()
        ),
    };
    let machine_json = json!({
        "date": date,
        "cpus": machine.cpus,
        "cpus_available_to_bench": machine.available,
        "cpu_model": machine.model,
        "memory_gib": stats::round1(machine.memory_gib),
        "kernel": machine.kernel,
        "baton_version": env!("CARGO_PKG_VERSION"),
        "server": server_text,
        "server_cpus": ctx.server.as_ref().and_then(|s| s.cpus().map(str::to_owned)),
        "client_cpus": args.client_cpus,
        "clients": ctx.clients,
        "duration_s": args.duration,
    });
    if !args.json {
        println!("baton bench, {date}");
        println!(
            "machine: {} CPUs ({}; {} available to bench), {:.1} GiB, Linux {}",
            machine.cpus, machine.model, machine.available, machine.memory_gib, machine.kernel
        );
        println!("server:  {server_text}");
        println!(
            "client:  {} clients (one keep-alive HTTP/1.1 connection each), CPUs {}, {} s per throughput workload",
            ctx.clients,
            args.client_cpus.as_deref().unwrap_or("any"),
            args.duration
        );
    }

    let mut all_ok = true;
    let mut emit = |workload: Workload, report: anyhow::Result<Report>| {
        let report = report.unwrap_or_else(|e| {
            let mut r = Report::new(workload_name(workload), "could not run");
            r.problem(format!("{e:#}"));
            r
        });
        all_ok &= report.ok();
        if args.json {
            println!("{}", report.json(&machine_json));
        } else {
            print!("{}", report.table());
        }
    };
    for &workload in &args.workloads {
        match workload {
            Workload::Standard => emit(workload, standard::run(&ctx).await),
            Workload::Express => {
                for &states in &args.express_states {
                    emit(workload, express::run(&ctx, states).await);
                }
            }
            Workload::Parked => emit(workload, parked::run(&mut ctx, args.parked).await),
            Workload::Function => emit(workload, function::run(&ctx).await),
            Workload::Dmap => emit(
                workload,
                dmap::run(&ctx, args.dmap_objects, args.dmap_rounds).await,
            ),
            Workload::Callback => emit(workload, callback::run(&ctx, args.callbacks).await),
            Workload::Describe => emit(workload, describe::run(&ctx).await),
            Workload::Events => emit(workload, events::run(&ctx, args.event_rules).await),
            Workload::Schedules => emit(workload, schedules::run(&ctx, args.schedules).await),
        }
    }
    drop(ctx);
    drop(data_dirs);
    Ok(if all_ok { 0 } else { 1 })
}

fn workload_name(w: Workload) -> &'static str {
    match w {
        Workload::Standard => "standard",
        Workload::Express => "express",
        Workload::Parked => "parked",
        Workload::Function => "function",
        Workload::Dmap => "dmap",
        Workload::Callback => "callback",
        Workload::Describe => "describe",
        Workload::Events => "events",
        Workload::Schedules => "schedules",
    }
}

/// Short, and unique enough between runs against one server: seconds and process id.
fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{:x}{:x}", secs % 0x100_0000, std::process::id() % 0x1_0000)
}

/// Polls `GET /health` until it answers 2xx, for at most `patience`.
pub async fn wait_healthy(endpoint: &Endpoint, patience: Duration) -> anyhow::Result<()> {
    let mut client = Client::new(endpoint);
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let last = match client.get("/health").await {
            Ok(reply) if reply.ok() => return Ok(()),
            Ok(reply) => reply.error_text(),
            Err(e) => format!("{e:#}"),
        };
        if tokio::time::Instant::now() > deadline {
            bail!(
                "{}/health did not answer within {patience:?}: {last}",
                endpoint.url()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `task(i)` for `i` in `0..n` as concurrent tasks and collects what they return.
pub async fn fan_out<T, F>(n: usize, mut task: impl FnMut(usize) -> F) -> anyhow::Result<Vec<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut out = Vec::with_capacity(n);
    for handle in handles {
        out.push(handle.await.context("a client task failed")?);
    }
    Ok(out)
}

/// A chain of `n` Pass states, as the shared loadgen builds it: state `Pi` sets `$.last` to
/// `i`, so the output is the input plus `"last": n`.
pub fn pass_chain(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 1..=n {
        let mut state = json!({"Type": "Pass", "Result": i, "ResultPath": "$.last"});
        if i < n {
            state["Next"] = Value::from(format!("P{}", i + 1));
        } else {
            state["End"] = Value::from(true);
        }
        states.insert(format!("P{i}"), state);
    }
    json!({"Comment": format!("chain of {n} Pass states"), "StartAt": "P1", "States": states})
}

/// Whether `output` (JSON text) is `{"x": x, "last": n}`, the output of [`pass_chain`] for
/// the input `{"x": x}`.
pub fn pass_chain_output_ok(output: Option<&str>, x: u64, n: usize) -> bool {
    output
        .and_then(|o| serde_json::from_str::<Value>(o).ok())
        .is_some_and(|v| v == json!({"x": x, "last": n}))
}
