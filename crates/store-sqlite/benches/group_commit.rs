//! Group commit under load: 32 concurrent producers each committing one small batch at a time
//! and waiting for it to be durable — a 3-state Pass execution's worth (the execution row, its
//! 8 history events as the engine writes them, its journal entry). Prints batches per second,
//! commit latency and the writer's average group size; asserts nothing about time.
//!
//! `cargo bench -p baton-store-sqlite`; `BATON_BENCH_BATCHES` sets the batches per producer,
//! `BATON_BENCH_ONLY=Normal/tokio` picks runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_asl::model::StateMachine as Model;
use baton_engine::driver::{run_to_end, NoTasks, VirtualClock};
use baton_engine::{Execution as Run, ExecutionInfo, Limits, Status};
use baton_store::testing::execution;
use baton_store::{ExecutionStatus, HistoryRecord, JournalEntry, Op, Store, WriteBatch};
use baton_store_sqlite::{Options, SqliteStore, Synchronous};
use serde_json::json;

const PRODUCERS: usize = 32;

/// The history and journal of one run of a 3-state Pass machine, as the runtime would store
/// them, and its output.
struct Template {
    history: Vec<HistoryRecord>,
    journal: Vec<JournalEntry>,
    input: String,
    output: String,
}

fn template() -> Template {
    let def = json!({"StartAt": "One", "States": {
        "One": {"Type": "Pass", "Result": {"step": 1}, "ResultPath": "$.one", "Next": "Two"},
        "Two": {"Type": "Pass", "Parameters": {"order.$": "$.order", "one.$": "$.one"}, "Next": "Three"},
        "Three": {"Type": "Pass", "End": true}}});
    let input = json!({"order": {"id": 7, "items": [1, 2, 3], "customer": "c-42"}});
    let machine = Arc::new(Model::from_value(&def).expect("valid definition"));
    let mut run = Run::new(machine, Limits::default());
    let info = ExecutionInfo::standard("aws", "us-east-1", "123456789012", "bench", "run");
    let mut clock = VirtualClock::starting_at(1_700_000_000_000);
    let outcome = run_to_end(
        &mut run,
        info.clone(),
        input.clone(),
        7,
        &mut clock,
        &mut NoTasks,
    );
    assert_eq!(outcome.status, Status::Succeeded, "{outcome:?}");
    let history: Vec<HistoryRecord> = run
        .history()
        .iter()
        .map(|e| HistoryRecord {
            id: e.id,
            json: e.to_json(true).to_string(),
        })
        .collect();
    // The journal's one input event: the start, with what replaying it needs.
    let started = json!({"Started": {"info": {
        "execution_arn": info.execution_arn, "execution_name": info.execution_name,
        "state_machine_arn": info.state_machine_arn, "state_machine_name": info.state_machine_name,
        "role_arn": info.role_arn, "region": info.region, "account": info.account,
        "partition": info.partition, "redrive_count": 0, "express": false},
        "input": input, "time": 1_700_000_000_000_i64, "seed": 7}});
    Template {
        history,
        journal: vec![JournalEntry {
            seq: 1,
            json: started.to_string(),
        }],
        input: input.to_string(),
        output: outcome.output.unwrap_or_default(),
    }
}

fn batch(t: &Template, producer: usize, i: usize) -> WriteBatch {
    let mut e = execution("bench", &format!("p{producer}-{i}"), 1_700_000_000_000);
    e.input = t.input.clone();
    e.status = ExecutionStatus::Succeeded;
    e.output = Some(t.output.clone());
    e.stop_date = Some(1_700_000_000_005);
    let arn = e.arn.clone();
    [
        Op::CreateExecution(e),
        Op::AppendHistory {
            execution_arn: arn.clone(),
            events: t.history.clone(),
        },
        Op::AppendJournal {
            execution_arn: arn,
            entries: t.journal.clone(),
        },
    ]
    .into_iter()
    .collect()
}

/// Producers as OS threads, each blocking on its commit.
fn on_threads(store: &Arc<SqliteStore>, t: &Arc<Template>, per: usize) -> Vec<Duration> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (store, t) = (store.clone(), t.clone());
                scope.spawn(move || {
                    (0..per)
                        .map(|i| {
                            let b = batch(&t, p, i);
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (store, t) = (store.clone(), t.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per);
                    for i in 0..per {
                        let b = batch(&t, p, i);
                        let start = Instant::now();
                        store.commit(b).await.expect("commit");
                        latencies.push(start.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.await.expect("producer"));
        }
        all
    })
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
