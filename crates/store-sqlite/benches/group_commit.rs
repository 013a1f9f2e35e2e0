//! Group commit under load: 32 concurrent producers each committing one small batch at a time
//! and waiting for it to be durable — a 3-state Pass execution's worth (the execution row, its
//! 8 history events as the engine writes them, its journal entry). Prints batches per second,
//! commit latency and the writer's average group size; asserts nothing about time.
//!
//! `cargo bench -p baton-store-sqlite`; `BATON_BENCH_BATCHES` sets the batches per producer,
//! `BATON_BENCH_ONLY=Normal/tokio` picks runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_store::Store;
use baton_store_sqlite::{Options, SqliteStore, Synchronous};

#[path = "common/three_pass.rs"]
mod three_pass;
use three_pass::{batch, template, Template};

const PRODUCERS: usize = 32;

/// Producers as OS threads, each blocking on its commit.
fn on_threads(store: &Arc<SqliteStore>, t: &Arc<Template>, per: usize) -> Vec<Duration> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (store, t) = (store.clone(), t.clone());
                scope.spawn(move || {
                    (0..per)
                        .map(|i| {
                            let b = batch(&t, &format!("p{p}-{i}"));
                            let start = Instant::now();
                            pollster::block_on(store.commit(b)).expect("commit");
                            start.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("producer"))
            .collect()
    })
}

/// Producers as tasks on a 2-thread tokio runtime, as the server runs them.
fn on_tokio(store: &Arc<SqliteStore>, t: &Arc<Template>, per: usize) -> Vec<Duration> {
    three_pass::on_tokio(store, t, PRODUCERS, per, |p, i| format!("p{p}-{i}"))
}

/// CPU time this process has used (all threads), where the OS says (Linux `/proc`).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces): utime, stime are 12th, 13th.
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Clock ticks are 1/100 s on Linux.
    Some(Duration::from_millis(ticks * 10))
}

type Producers = fn(&Arc<SqliteStore>, &Arc<Template>, usize) -> Vec<Duration>;

fn main() {
    // `cargo test --benches` runs this too: keep that run short.
    let per: usize = std::env::var("BATON_BENCH_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            1_500
        } else {
            20
        });
    let t = Arc::new(template());
    let bytes: usize = t.history.iter().map(|h| h.json.len()).sum::<usize>()
        + t.journal.iter().map(|j| j.json.len()).sum::<usize>()
        + t.input.len()
        + t.output.len();
    println!(
        "batch: 1 execution row + {} history events + {} journal entry, {bytes} bytes of JSON; \
         {PRODUCERS} producers x {per} batches",
        t.history.len(),
        t.journal.len()
    );
    let modes: [(&str, Producers); 2] = [("threads", on_threads), ("tokio", on_tokio)];
    let only = std::env::var("BATON_BENCH_ONLY").unwrap_or_default();
    for synchronous in [Synchronous::Normal, Synchronous::Full] {
        for (mode, producers) in modes {
            if !format!("{synchronous:?}/{mode}").contains(&only) {
                continue;
            }
            let dir = tempfile::tempdir().expect("temporary directory");
            let options = Options {
                synchronous,
                ..Options::default()
            };
            let store = Arc::new(SqliteStore::open_with(dir.path(), options).expect("open"));
            let (start, cpu_start) = (Instant::now(), cpu_time());
            let mut latencies = producers(&store, &t, per);
            let elapsed = start.elapsed();
            let cpu = cpu_time()
                .zip(cpu_start)
                .map(|(end, start)| end.saturating_sub(start));
            let stats = store.writer_stats();
            let mut wal = store.path().as_os_str().to_owned();
            wal.push("-wal");
            let wal_mib = std::fs::metadata(&wal).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64;
            drop(store);
            latencies.sort();
            let pct = |p: f64| {
                let i = ((latencies.len() as f64 * p) as usize).min(latencies.len() - 1);
                latencies[i].as_secs_f64() * 1_000.0
            };
            let n = latencies.len() as f64;
            println!(
                "synchronous={synchronous:?} producers={mode}: {:.0} batches/s ({:.0} rows/s), \
                 commit p50 {:.2} ms p99 {:.2} ms, {:.1} batches per transaction, \
                 {} µs of CPU per batch (all threads), WAL file {wal_mib:.0} MiB",
                n / elapsed.as_secs_f64(),
                n * (2 + t.history.len()) as f64 / elapsed.as_secs_f64(),
                pct(0.50),
                pct(0.99),
                stats.requests as f64 / stats.groups.max(1) as f64,
                cpu.map_or("?".to_string(), |c| format!(
                    "{:.0}",
                    c.as_micros() as f64 / n
                )),
            );
        }
    }
}
