//! `baton run FILE`: one execution in-process, its result on stdout.

use anyhow::{bail, Context};
use baton_asl::validate::MachineType;
use baton_asl::vars::{Entropy, SeededEntropy};
use baton_cli::exec::{execute_with, load, Executed, LoadError, Options};
use baton_cli::local::system_now;
use baton_cli::local::Integrated;
use baton_engine::{ExecutionInfo, Status};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;

use crate::validate::render;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeMode {
    /// Waits and retry back-off take real time.
    Real,
    /// Time jumps to the next timer: waits take no real time.
    Virtual,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ExecutionType {
    Standard,
    Express,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct RunArgs {
    /// The definition (JSON; comments allowed); not with `--template`.
    #[arg(required_unless_present = "template", conflicts_with = "template")]
    file: Option<PathBuf>,
    /// The execution input: JSON text, or @FILE.
    #[arg(long, default_value = "{}")]
    input: String,
    #[arg(long, value_enum, default_value = "real")]
    time: TimeMode,
    /// Also print the execution history.
    #[arg(long)]
    history: bool,
    #[arg(long, value_enum, default_value = "text")]
    output: OutputFormat,
    /// The state machine's type: Express machines refuse some resources, and their executions
    /// have an `express:` ARN (default: STANDARD, or the template's type).
    #[arg(long = "type", value_enum, ignore_case = true)]
    machine_type: Option<ExecutionType>,
    /// The state machine's name (default: the file's stem, or the template's name).
    #[arg(long)]
    name: Option<String>,
    /// The execution's name (default: a UUID).
    #[arg(long)]
    execution_name: Option<String>,
    /// A Step Functions Local mock configuration (MockConfigFile).
    #[arg(long, requires = "test_case")]
    mock_config: Option<PathBuf>,
    /// The test case of the mock configuration to use.
    #[arg(long, requires = "mock_config")]
    test_case: Option<String>,
    /// Seed for every random value (UUIDs, $random, jitter), for reproducible runs.
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// Task resources for tasks without a mock (default: ./baton.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// `AWS_ENDPOINT_URL` for the processes tasks start (e.g. a running `baton serve`).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_S3` for the processes tasks start (e.g. a running `baton serve`'s S3
    /// endpoint); without it, the `[storage] endpoint` when one is configured, else the one in
    /// Baton's environment; else `baton run` serves the local buckets itself, on a free
    /// loopback port, while it runs.
    #[arg(long)]
    s3_endpoint_url: Option<String>,
    /// Where ECS task logs and default buckets go.
    #[arg(long, default_value = ".baton")]
    data_dir: PathBuf,
    #[command(flatten)]
    substitutions: crate::substitute::Substitutions,
    #[command(flatten)]
    template: crate::templates::RunTemplate,
}

/// Exit codes: 0 succeeded, 1 another final status, 2 invalid definition or input.
pub fn main(mut args: RunArgs) -> anyhow::Result<u8> {
    // Parameters Step Functions refuses fail the state before anything is scheduled.
    baton_engine::set_parameter_check(baton_runtime::parameters::validate);
    let (text, path, stack) = match (&args.file, &args.template.template) {
        (Some(file), _) => (
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?,
            file.display().to_string(),
            None,
        ),
        (None, Some(_)) => match args.template.machine(&args.account, &args.region) {
            Ok((machine, stack)) => {
                args.name.get_or_insert(machine.name);
                if args.machine_type.is_none() && machine.machine_type == "EXPRESS" {
                    args.machine_type = Some(ExecutionType::Express);
                }
                (machine.definition, machine.origin, Some(stack))
            }
            Err(e) => {
                eprintln!("baton: {e:#}");
                return Ok(2);
            }
        },
        (None, None) => bail!("no definition: give a FILE or --template"),
    };
    let text = args.substitutions.apply(text)?;
    let kind = args.machine_type.unwrap_or(ExecutionType::Standard);
    let machine_type = match kind {
        ExecutionType::Standard => MachineType::Standard,
        ExecutionType::Express => MachineType::Express,
    };
    let machine = match load(&text, true, machine_type) {
        Ok((machine, warnings)) => {
            for d in &warnings {
                eprintln!("{}", render(&path, d));
            }
            machine
        }
        Err(LoadError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{}", render(&path, d));
            }
            return Ok(2);
        }
        Err(LoadError::Model(e)) => {
            eprintln!("{path}: error: {e}");
            return Ok(2);
        }
    };
    let input_text = match args.input.strip_prefix('@') {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?
        }
        None => args.input.clone(),
    };
    let input: Value = match serde_json::from_str(&input_text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("baton: invalid execution input: {e}");
            return Ok(2);
        }
    };
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .file
            .as_deref()
            .and_then(|f| f.file_stem())
            .map(|s| s.to_string_lossy().trim_end_matches(".asl").to_string())
            .unwrap_or_else(|| "StateMachine".into()),
    };
    let mocks = match (&args.mock_config, &args.test_case) {
        (Some(file), Some(case)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let config = match baton_mock::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}: error: {e}", file.display());
                    return Ok(2);
                }
            };
            match config.test_case(&name, case) {
                Ok(tc) => Some(baton_mock::MockSession::new(tc)),
                Err(e) => {
                    eprintln!("{}: error: {e}", file.display());
                    return Ok(2);
                }
            }
        }
        _ => None,
    };
    let seed = args.seed.unwrap_or_else(random_seed);
    let execution_name = match &args.execution_name {
        Some(n) => n.clone(),
        None => SeededEntropy::new(seed ^ 0x5eed).uuid_v4(),
    };
    let info = match kind {
        ExecutionType::Standard => {
            ExecutionInfo::standard("aws", &args.region, &args.account, &name, &execution_name)
        }
        ExecutionType::Express => {
            let id = SeededEntropy::new(seed ^ 0xe7).uuid_v4();
            ExecutionInfo::express(
                "aws",
                &args.region,
                &args.account,
                &name,
                &execution_name,
                &id,
            )
        }
    };
    let mut config = match crate::config_file(args.config.as_deref())
        .and_then(|f| Ok(baton_integrations::config::Config::load(f.as_deref())?))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baton: {e:#}");
            return Ok(2);
        }
    };
    if let Some(stack) = &stack {
        for note in crate::templates::add_functions(&mut config, stack) {
            eprintln!("baton: {note}");
        }
    }
    // Without any configuration, a Task state without a mock fails with `States.Runtime`;
    // a distributed Map still reads and writes the buckets under the data folder.
    let data_dir = std::path::absolute(&args.data_dir).unwrap_or(args.data_dir.clone());
    // The processes a configuration starts reach the same buckets the Task states use, never
    // the real S3 their SDKs would call by default.
    let s3_endpoint_url = match &args.s3_endpoint_url {
        Some(url) => Some(url.clone()),
        None if config.storage.endpoint.is_some()
            || config == baton_integrations::config::Config::default()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() =>
        {
            None
        }
        None => match serve_buckets(baton_integrations::local_root(&config, &data_dir)) {
            Ok(url) => Some(url),
            Err(e) => {
                eprintln!("baton: cannot serve the buckets to the processes: {e:#}");
                return Ok(2);
            }
        },
    };
    let resources = std::sync::Arc::new(baton_integrations::Resources::new(
        &config,
        baton_integrations::Environment {
            endpoint_url: args.endpoint_url.clone(),
            s3_endpoint_url,
            data_dir,
        },
    ));
    let integrated = if config == baton_integrations::config::Config::default() {
        Integrated::storage_only(resources.clone(), info.clone())
    } else {
        Integrated::new(resources.clone(), info.clone())
    };
    let mut integrated = integrated.context("starting the async runtime")?;
    if !config.machines.is_empty() {
        if let Err(e) = nested_machines(&mut integrated, &resources, &config, &info) {
            eprintln!("baton: {e:#}");
            return Ok(2);
        }
    }
    let integrated = Some(integrated);
    let executed = execute_with(
        machine,
        Options {
            info,
            input,
            seed,
            virtual_time: args.time == TimeMode::Virtual,
            mocks,
        },
        integrated,
    );
    if executed.outcome.status == Status::Running {
        bail!("the execution cannot make progress: a task never answered and has no timeout");
    }
    print_outcome(&args, &executed)?;
    Ok(if executed.outcome.status == Status::Succeeded {
        0
    } else {
        1
    })
}

/// Serves the buckets under `root` as an S3-compatible endpoint on a free loopback port, on a
/// thread of its own, for as long as the process lives; answers its URL.
fn serve_buckets(root: PathBuf) -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding the S3 endpoint")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("s3-endpoint".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        let edge = baton_http::Edge::new(baton_http::Protocol::S3Xml);
                        baton_integrations::s3_endpoint::serve(
                            listener,
                            &root,
                            edge,
                            None,
                            std::future::pending(),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = served {
                    eprintln!("baton: the S3 endpoint stopped: {e}");
                }
            })
        })?;
    Ok(url)
}

fn print_outcome(args: &RunArgs, executed: &Executed) -> anyhow::Result<()> {
    let outcome = &executed.outcome;
    match args.output {
        OutputFormat::Json => {
            let mut out = json!({
                "status": outcome.status.as_str(),
                "output": outcome.output,
                "error": outcome.error,
                "cause": outcome.cause,
            });
            if args.history {
                let events: Vec<Value> = executed.history.iter().map(|e| e.to_json(true)).collect();
                out["events"] = Value::Array(events);
            }
            println!("{out}");
        }
        OutputFormat::Text => {
            if args.history {
                for e in &executed.history {
                    let name = e.details.state_name().unwrap_or("");
                    let error = e.details.error_name().unwrap_or("");
                    let line = format!(
                        "{:>5} {:>5}  {}  {:<28} {:<20} {}",
                        e.id,
                        e.previous_event_id,
                        baton_engine::iso_time(e.timestamp),
                        e.details.type_name(),
                        name,
                        error
                    );
                    eprintln!("{}", line.trim_end());
                }
            }
            eprintln!("{}: {}", executed.execution_arn, outcome.status.as_str());
            if let Some(output) = &outcome.output {
                let pretty = serde_json::from_str::<Value>(output)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| output.clone());
                println!("{pretty}");
            }
            if let Some(error) = &outcome.error {
                eprintln!("error: {error}");
            }
            if let Some(cause) = &outcome.cause {
                eprintln!("cause: {cause}");
            }
        }
    }
    Ok(())
}

/// A seed from the standard library's per-process random keys: no extra dependency.
fn random_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(system_now() as u64);
    h.finish()
}

/// The `[machines]` of the configuration, created on a runtime of this run's own (its store in
/// a temporary folder) that nested executions (`states:startExecution`) start their children
/// on, in the run's account and region.
fn nested_machines(
    integrated: &mut Integrated,
    resources: &std::sync::Arc<baton_integrations::Resources>,
    config: &baton_integrations::config::Config,
    info: &ExecutionInfo,
) -> anyhow::Result<()> {
    use baton_api::model::{CreateStateMachineInput, StateMachineType};
    use baton_api::{RequestContext, StepFunctions};
    let dir = tempfile::Builder::new()
        .prefix("baton-run.")
        .tempdir()
        .context("creating a folder for nested executions")?;
    let store: std::sync::Arc<dyn baton_store::Store> = std::sync::Arc::new(
        baton_store_sqlite::SqliteStore::open(dir.path())
            .context("opening a store for nested executions")?,
    );
    let runtime_config = baton_runtime::Config {
        integrations: resources.clone(),
        ..baton_runtime::Config::default()
    };
    let runtime = integrated
        .block_on(baton_runtime::Runtime::open(store, runtime_config))
        .context("starting the runtime for nested executions")?;
    let service: std::sync::Arc<dyn StepFunctions> = runtime.clone();
    resources.attach(std::sync::Arc::downgrade(&service));
    let ctx = RequestContext {
        account_id: info.account.clone(),
        region: info.region.clone(),
        request_id: "baton-run".into(),
        trace_header: None,
    };
    for (name, machine) in &config.machines {
        let definition = std::fs::read_to_string(&machine.definition).with_context(|| {
            format!(
                "machines.{name}: cannot read {}",
                machine.definition.display()
            )
        })?;
        let input = CreateStateMachineInput {
            name: name.clone(),
            definition,
            role_arn: format!("arn:aws:iam::{}:role/baton-run", info.account),
            r#type: Some(if machine.machine_type == "EXPRESS" {
                StateMachineType::Express
            } else {
                StateMachineType::Standard
            }),
            ..CreateStateMachineInput::default()
        };
        integrated
            .block_on(service.create_state_machine(&ctx, input))
            .map_err(|e| anyhow::anyhow!("machines.{name}: {e}"))?;
    }
    integrated.keep(Box::new((dir, runtime, service)));
    Ok(())
}
