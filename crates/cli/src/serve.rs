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
use baton_store_sqlite::SqliteStore;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8083")]
    bind: SocketAddr,
    /// The folder the store lives in (created if needed).
    #[arg(long, default_value = ".baton")]
    data_dir: PathBuf,
    /// The account of callers whose access key id is not a 12-digit account id.
    #[arg(long, default_value = "123456789012")]
    account: String,
    /// The region of callers whose requests are not signed.
    #[arg(long, default_value = "us-east-1")]
    region: String,
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
    #[arg(long, default_value = "127.0.0.1:0")]
    s3_bind: SocketAddr,
}

pub fn main(args: ServeArgs) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(0)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let resources = baton_integrations::config::Config::load(
        crate::config_file(args.config.as_deref())?.as_deref(),
    )?;
    // Bound before the runtime opens: resumed tasks may start processes that need the addresses.
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let addr = listener.local_addr()?;
    // Baton's own S3 endpoint serves buckets in a local folder; buckets on an external
    // endpoint are reached there, by tasks and processes alike.
    let s3_listener = match &resources.storage.endpoint {
        Some(_) => None,
        None => Some(
            tokio::net::TcpListener::bind(args.s3_bind)
                .await
                .with_context(|| format!("listening on {} (S3)", args.s3_bind))?,
        ),
    };
    let s3_addr = s3_listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let integrations = Arc::new(baton_integrations::Resources::new(
        &resources,
        baton_integrations::Environment {
            endpoint_url: Some(format!("http://{addr}")),
            s3_endpoint_url: s3_addr.map(|a| format!("http://{a}")),
            data_dir: std::path::absolute(&args.data_dir).unwrap_or(args.data_dir.clone()),
        },
    ));
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&args.data_dir)
            .with_context(|| format!("opening the store in {}", args.data_dir.display()))?,
    );
    let service_models = baton_runtime::botocore::installed().unwrap_or_else(|| {
        eprintln!(
            "baton: botocore not found (pip install botocore): TestState will not check mocked results against AWS's service models"
        );
        baton_engine::teststate::ServiceModels::empty()
    });
    let config = Config {
        service_models,
        activity_poll: Duration::from_secs(args.activity_poll_seconds),
        integrations: integrations.clone(),
        ..Config::default()
    };
    let runtime = Runtime::open(store, config)
        .await
        .context("resuming unfinished executions")?;
    // Nested executions (`states:startExecution`) start their children on this runtime; it
    // can only be handed over now that it exists. Weak: the runtime owns the integrations.
    let service: Arc<dyn baton_api::StepFunctions> = runtime.clone();
    integrations.attach(Arc::downgrade(&service));
    drop(service);
    let data = std::fs::canonicalize(&args.data_dir).unwrap_or(args.data_dir.clone());
    println!("baton: listening on http://{addr}");
    match (s3_addr, integrations.storage().endpoint_url()) {
        (Some(s3_addr), _) => println!("baton: S3 on http://{s3_addr}"),
        (None, Some(url)) => println!("baton: Task buckets at {url} (no S3 endpoint started)"),
        (None, None) => {}
    }
    println!("baton: data in {}", data.display());
    println!(
        "baton: {} unfinished execution(s) resumed",
        runtime.running()
    );
    let app = baton_server::app(
        runtime.clone(),
        baton_server::Config {
            account_id: args.account,
            region: args.region,
        },
    )
    .merge(baton_console::logs::router(data.join("logs")));
    let (s3_stop, s3_stopped) = tokio::sync::oneshot::channel::<()>();
    let local_root = integrations.storage().local_root().map(|r| r.to_path_buf());
    let s3 = match (s3_listener, local_root) {
        (Some(s3_listener), Some(root)) => Some(tokio::spawn(async move {
            let stopped = async {
                let _ = s3_stopped.await;
            };
            baton_integrations::s3_endpoint::serve(s3_listener, &root, stopped).await;
        })),
        _ => None,
    };
    let stopping = runtime.clone();
    let shutdown = async move {
        shutdown_signal().await;
        // Long polls answer now, so the graceful stop does not wait for them.
        stopping.shutdown();
        let _ = s3_stop.send(());
    };
    baton_server::serve(listener, app, shutdown).await?;
    if let Some(s3) = s3 {
        let _ = s3.await;
    }
    runtime.shutdown();
    println!("baton: stopped");
    Ok(())
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
