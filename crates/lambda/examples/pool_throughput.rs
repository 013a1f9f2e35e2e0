//! Invocations per second through one pool, without the engine: a trivial Node.js handler,
//! `N` invocations (default 10,000) with `CONCURRENCY` processes (default 2), 64 callers; then
//! the median of 21 cold starts (a fresh process's first invocation) and the resident memory of
//! the warm processes.
//!
//! `cargo run --release -p baton-lambda --example pool_throughput -- [N] [CONCURRENCY] [RUNTIME]`
//! (`RUNTIME`: `nodejs20.x`, the default, or `python3.12`)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_lambda::{Function, Invoke, Pool, Runtimes};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let runtime = args.next().unwrap_or_else(|| "nodejs20.x".into());
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("h.js"),
        "exports.handler = async (e) => ({ n: e.n * 2 });",
    )
    .expect("handler");
    std::fs::write(
        dir.path().join("h.py"),
        "def handler(e, context):\n    return {'n': e['n'] * 2}\n",
    )
    .expect("handler");
    let runtimes = Arc::new(Runtimes::new(None).expect("runtimes"));
    let function = Function {
        name: "double".into(),
        runtime,
        handler: "h.handler".into(),
        code: dir.path().to_path_buf(),
        environment: BTreeMap::new(),
        memory_mb: 128,
        max_concurrency: concurrency,
        timeout: Duration::from_secs(30),
        version: "$LATEST".into(),
    };
    let pool = Pool::new(function, runtimes, None);
    let invoke = |i: usize| Invoke {
        request_id: uuid::Uuid::new_v4().to_string(),
        event: format!("{{\"n\":{i}}}").into_bytes().into(),
        invoked_arn: "arn:aws:lambda:us-east-1:123456789012:function:double".into(),
        sdk_env: BTreeMap::new(),
        client_context: None,
        cognito_identity: None,
        trace_header: None,
    };
    // Cold starts first, timed on their own.
    let cold = Instant::now();
    let warmups: Vec<_> = (0..concurrency)
        .map(|i| {
            let pool = pool.clone();
            let invoke = invoke(i);
            tokio::spawn(async move { pool.invoke(invoke).await })
        })
        .collect();
    for w in warmups {
        let reply = w.await.expect("joined").expect("invoked");
        assert!(!reply.function_error);
    }
    println!(
        "cold start ({concurrency} processes at once): {:?}",
        cold.elapsed()
    );
    let start = Instant::now();
    // CALLERS (default 64): 1 measures one invocation's round trip, as `baton run` makes them.
    let callers: usize = std::env::var("CALLERS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let pool = pool.clone();
            let invokes: Vec<Invoke> = (0..n).filter(|i| i % callers == c).map(invoke).collect();
            tokio::spawn(async move {
                for i in invokes {
                    let reply = pool.invoke(i).await.expect("invoked");
                    assert!(!reply.function_error);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("joined");
    }
    let took = start.elapsed();
    println!(
        "{n} warm invocations, {concurrency} processes: {took:?}, {:.0}/s",
        n as f64 / took.as_secs_f64()
    );
    let mut colds = Vec::new();
    for i in 0..21 {
        pool.stop_idle();
        let start = Instant::now();
        let reply = pool.invoke(invoke(i)).await.expect("invoked");
        assert!(reply.cold_start);
        colds.push(start.elapsed());
    }
    colds.sort();
    println!("cold start p50 (21 runs): {:?}", colds[colds.len() / 2]);
    for pid in pool.idle_pids() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if let Some(rss) = status.lines().find(|l| l.starts_with("VmRSS")) {
            println!("process {pid}: {rss}");
        }
    }
}
