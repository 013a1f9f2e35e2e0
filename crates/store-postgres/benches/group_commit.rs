//! Group commit on PostgreSQL under load: concurrent producers each committing one small batch
//! at a time and waiting for it to be durable — a 3-state Pass execution's worth (the execution
//! row, its 8 history events as the engine writes them, its journal entry), as SQLite's
//! `group_commit` bench commits. Prints batches per second, commit latency, the writers'
//! average group size and the machine's CPU per batch (this process and the database
//! together); asserts nothing about time.
//!
//! `cargo bench -p baton-store-postgres` on the test server (`BATON_TEST_POSTGRES`), in a
//! schema of its own; `BATON_BENCH_BATCHES` sets the batches per producer,
//! `BATON_BENCH_PRODUCERS` the producers (default 32,128), `BATON_BENCH_WRITERS` the writer
//! connections (default 1,2,4).

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_store::Store;
use baton_store_postgres::testing::TestSchema;
use baton_store_postgres::{Options, PgStore};

#[path = "../../store-sqlite/benches/common/three_pass.rs"]
mod three_pass;
use three_pass::{on_tokio, template};

/// Reads every execution written back (as `DescribeExecution` would), `producers` tasks at a
/// time; how many were read.
fn read_back(store: &Arc<PgStore>, run: usize, producers: usize, per: usize) -> usize {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..per {
                        let arn = baton_store::testing::execution_arn(
                            "bench",
                            &format!("r{run}-p{p}-{i}"),
                        );
                        let found = store.execution(&arn).await.expect("read");
                        assert!(found.is_some(), "{arn} was written");
                    }
                    per
                })
            })
            .collect();
        let mut n = 0;
        for h in handles {
            n += h.await.expect("reader");
        }
        n
    })
}

/// The whole machine's busy CPU time so far (`/proc/stat`: every CPU's non-idle ticks).
fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal…: all but idle and iowait.
    let busy: u64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    Some(Duration::from_millis(busy * 10))
}

fn list(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn main() {
    // `cargo test --benches` runs this too: keep that run short.
    let per: usize = std::env::var("BATON_BENCH_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            300
        } else {
            5
        });
    let Some(schema) = TestSchema::create("bench") else {
        return;
    };
    let t = Arc::new(template());
    println!(
        "batch: 1 execution row + {} history events + {} journal entry; {per} batches per producer",
        t.history.len(),
        t.journal.len()
    );
    let mut run = 0;
    for writers in list("BATON_BENCH_WRITERS", &[1, 2, 4]) {
        for producers in list("BATON_BENCH_PRODUCERS", &[32, 128]) {
            run += 1;
            let options = Options {
                writers,
                ..Options::default()
            };
            let store = Arc::new(
                pollster::block_on(PgStore::open_with(&schema.url, options)).expect("open"),
            );
            let (start, busy_start) = (Instant::now(), machine_busy());
            let mut latencies = on_tokio(&store, &t, producers, per, move |p, i| {
                format!("r{run}-p{p}-{i}")
            });
            let elapsed = start.elapsed();
            let busy = machine_busy()
                .zip(busy_start)
                .map(|(end, start)| end.saturating_sub(start));
            let stats = store.writer_stats();
            let (read_start, read_busy_start) = (Instant::now(), machine_busy());
            let reads = read_back(&store, run, producers, per);
            let read_elapsed = read_start.elapsed();
            let read_busy = machine_busy()
                .zip(read_busy_start)
                .map(|(end, start)| end.saturating_sub(start));
            drop(store);
            latencies.sort();
            let pct = |p: f64| {
                let i = ((latencies.len() as f64 * p) as usize).min(latencies.len() - 1);
                latencies[i].as_secs_f64() * 1_000.0
            };
            let n = latencies.len() as f64;
            println!(
                "writers={writers} producers={producers}: {:.0} batches/s, commit p50 {:.2} ms \
                 p99 {:.2} ms, {:.1} batches per transaction, {} µs of machine CPU per batch",
                n / elapsed.as_secs_f64(),
                pct(0.50),
                pct(0.99),
                stats.requests as f64 / stats.groups.max(1) as f64,
                busy.map_or("?".to_string(), |c| format!(
                    "{:.0}",
                    c.as_micros() as f64 / n
                )),
            );
            println!(
                "  reads (each execution read back, {producers} at a time): {:.0}/s, {} µs of machine CPU per read",
                reads as f64 / read_elapsed.as_secs_f64(),
                read_busy.map_or("?".to_string(), |c| format!(
                    "{:.0}",
                    c.as_micros() as f64 / reads as f64
                )),
            );
        }
    }
    drop(schema);
}
