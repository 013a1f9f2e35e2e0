//! A 3-state Pass execution's writes, as the runtime commits them in one step: the execution
//! row, its history events as the engine writes them, its journal entry. Shared by the stores'
//! group-commit benches (included with `#[path]`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_asl::model::StateMachine as Model;
use baton_engine::driver::{run_to_end, NoTasks, VirtualClock};
use baton_engine::{Execution as Run, ExecutionInfo, Limits, Status};
use baton_store::testing::execution;
use baton_store::{ExecutionStatus, HistoryRecord, JournalEntry, Op, Store, WriteBatch};
use serde_json::json;

/// The history and journal of one run of a 3-state Pass machine, as the runtime would store
/// them, and its output.
pub struct Template {
    pub history: Vec<HistoryRecord>,
    pub journal: Vec<JournalEntry>,
    pub input: String,
    pub output: String,
}

pub fn template() -> Template {
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

/// The batch of the execution named `name`.
pub fn batch(t: &Template, name: &str) -> WriteBatch {
    let mut e = execution("bench", name, 1_700_000_000_000);
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

/// `producers` tasks on a 2-thread tokio runtime, as the server runs them, each committing
/// `per` batches one at a time (the executions named `name(producer, i)`); every commit's
/// latency.
pub fn on_tokio<S: Store>(
    store: &Arc<S>,
    t: &Arc<Template>,
    producers: usize,
    per: usize,
    name: impl Fn(usize, usize) -> String + Send + Sync + 'static,
) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let name = Arc::new(name);
    rt.block_on(async {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let (store, t, name) = (store.clone(), t.clone(), name.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per);
                    for i in 0..per {
                        let b = batch(&t, &name(p, i));
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
