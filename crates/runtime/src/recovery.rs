//! Recovery: every unfinished execution is rebuilt by replaying its journal into a new engine,
//! then its open timers are set again and its open tasks offered again (commit, then act: a
//! crash between the two leaves durable rows whose effects were never carried out).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use baton_engine::{Event, Execution as Engine, TaskId};
use baton_store::{
    Error, Execution as Record, ExecutionStatus, PageRequest, Result, TaskKind, TaskStatus,
};

use crate::live::{Act, Live};
use crate::{journal, Runtime};

/// Resumes every unfinished execution of `partitions` (on a store of its own: every one).
pub(crate) async fn recover(rt: &Arc<Runtime>, partitions: &[u32]) -> Result<()> {
    let records = if rt.ownership.is_shared() {
        if partitions.is_empty() {
            return Ok(());
        }
        rt.store.unfinished_executions_in(partitions).await?
    } else {
        rt.store.unfinished_executions().await?
    };
    for record in records {
        // Given up again meanwhile: its next owner resumes it.
        if !rt.ownership.runs(record.partition) {
            continue;
        }
        let arn = record.arn.clone();
        // At open nothing else runs yet: no other caller can be rebuilding it.
        if let Err(e) = resume(rt, record.clone()).await {
            tracing::error!(%arn, error = %e, "could not resume an execution");
            if e.to_string().contains(UNRESUMABLE) {
                fail_unresumable(rt, record, &e.to_string()).await;
            }
        }
    }
    Ok(())
}

/// Ends an execution that cannot be rebuilt: `ExecutionFailed` (`States.Runtime`) after the
/// history it has, and the row FAILED, so that it neither runs nor waits forever where no API
/// call can reach it.
async fn fail_unresumable(rt: &Runtime, mut record: Record, why: &str) {
    let arn = record.arn.clone();
    let last = match rt.store.history(&arn, true, &PageRequest::first(1)).await {
        Ok(page) => page.items.first().map_or(0, |h| h.id),
        Err(e) => {
            tracing::error!(%arn, error = %e, "could not read the history of an execution to fail it");
            return;
        }
    };
    let now = crate::now();
    let error = "States.Runtime".to_string();
    let cause = format!("The execution could not be resumed after a restart: {why}");
    let event = baton_engine::HistoryEvent {
        id: last + 1,
        previous_event_id: last,
        timestamp: now,
        details: baton_engine::EventDetails::ExecutionFailed {
            error: Some(error.clone()),
            cause: Some(cause.clone()),
        },
    };
    record.status = ExecutionStatus::Failed;
    record.error = Some(error);
    record.cause = Some(cause);
    record.stop_date = Some(now);
    let partition = record.partition;
    // Its open tasks end with it: no worker or callback may take them any more.
    let open_tasks = rt.store.tasks(&arn).await.unwrap_or_default();
    let mut batch = baton_store::WriteBatch::new();
    for task in open_tasks {
        batch.push(baton_store::Op::CompleteTask {
            execution_arn: arn.clone(),
            task_id: task.task_id,
        });
    }
    let batch = batch
        .with(baton_store::Op::AppendHistory {
            execution_arn: arn.clone(),
            events: vec![crate::live::record_of(&event)],
        })
        .with(baton_store::Op::UpdateExecution(record))
        .in_partition(partition);
    match rt.store.commit(batch).await {
        Ok(()) => tracing::warn!(%arn, "an execution that could not be resumed was failed"),
        Err(e) => {
            tracing::error!(%arn, error = %e, "could not fail an execution that cannot be resumed")
        }
    }
}

/// Rebuilds one execution after its in-memory copy was dropped (a failed commit).
pub(crate) fn reload<'a>(
    rt: &'a Runtime,
    arn: &'a str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
    Box::pin(reload_now(rt, arn))
}

async fn reload_now(rt: &Runtime, arn: &str) {
    let rt = rt.arc();
    let Err(e) = load(&rt, arn).await else {
        return;
    };
    if !retryable(&e) {
        tracing::error!(%arn, error = %e, "could not reload an execution");
        return;
    }
    // The commit that failed may have landed (its answer was lost with the connection): then
    // the store holds a step whose timers and calls nothing in memory carries out. Until a
    // read says what is there, the execution is read again in the background, for as long
    // as this node runs: a store that is down comes back, and an execution whose partition
    // moved meanwhile is the next owner's (`load` says so and this ends).
    tracing::warn!(%arn, error = %e, "could not reload an execution: trying again");
    let arn = arn.to_string();
    tokio::spawn(async move {
        let mut patience = crate::Patience::new();
        loop {
            patience.wait().await;
            if *rt.stopping.borrow() {
                return;
            }
            match load(&rt, &arn).await {
                Ok(_) => return,
                Err(e) if retryable(&e) => {
                    tracing::warn!(%arn, error = %e, "could not reload an execution: trying again")
                }
                Err(e) => {
                    tracing::error!(%arn, error = %e, "could not reload an execution");
                    return;
                }
            }
        }
    });
}

/// A store that failed (a dropped connection, a database restarting), not an execution that
/// cannot be rebuilt.
fn retryable(e: &Error) -> bool {
    matches!(e, Error::Backend(_)) && !e.to_string().contains(UNRESUMABLE)
}

/// An execution rebuilt from its journal, with what its replay asked for.
pub(crate) struct Rebuilt {
    pub live: Live,
    /// The last request of every task the replay scheduled.
    invokes: HashMap<TaskId, Act>,
    /// Tasks whose start the journal records.
    journaled_starts: HashSet<TaskId>,
}

/// The words every error that means "this execution cannot be rebuilt" carries; [`recover`]
/// fails such an execution rather than leave it running where nothing can reach it.
const UNRESUMABLE: &str = "cannot be resumed";

/// What replaying a journal made.
struct Replayed {
    live: Live,
    invokes: HashMap<TaskId, Act>,
    journaled_starts: HashSet<TaskId>,
    /// `.sync` tasks' start calls' answers (`TaskSubmitted`).
    submitted: HashMap<TaskId, serde_json::Value>,
    /// Whether an evaluation budget stopped an expression during the replay.
    stopped: bool,
}

/// Feeds every journal entry to `live`, in order.
fn replay(mut live: Live, journal: Vec<baton_store::JournalEntry>) -> Result<Replayed> {
    let arn = live.record.arn.clone();
    let stopped_before = baton_asl::budget::stopped_count();
    let mut invokes: HashMap<TaskId, Act> = HashMap::new();
    let mut journaled_starts: HashSet<TaskId> = HashSet::new();
    let mut submitted: HashMap<TaskId, serde_json::Value> = HashMap::new();
    for entry in journal {
        let event = journal::decode(&entry.json).map_err(|e| Error::Backend(e.to_string()))?;
        match &event {
            Event::TaskStarted { task, .. } => {
                journaled_starts.insert(*task);
            }
            Event::TaskSubmitted { task, output, .. } => {
                submitted.insert(*task, output.clone());
            }
            _ => {}
        }
        let (_, acts) = live.step(event, Vec::new());
        for act in acts {
            if let Act::Invoke { request, .. } = &act {
                invokes.insert(request.id, act);
            }
        }
        if live.journal_seq != entry.seq {
            return Err(Error::Backend(format!(
                "{arn}: {UNRESUMABLE}: journal entry {} out of sequence",
                entry.seq
            )));
        }
    }
    Ok(Replayed {
        live,
        invokes,
        journaled_starts,
        submitted,
        stopped: baton_asl::budget::stopped_count() != stopped_before,
    })
}

/// Rebuilds an execution by replaying its journal into a new engine, and checks that the
/// replay wrote exactly the history the store has.
pub(crate) async fn rebuild(rt: &Runtime, record: Record) -> Result<Rebuilt> {
    let arn = record.arn.clone();
    let revision = rt
        .store
        .revision(&record.state_machine_arn, &record.revision_id)
        .await?
        .ok_or_else(|| Error::not_found(baton_store::Record::Revision, &record.revision_id))?;
    let logging = revision.logging_configuration.clone();
    let tracing = revision.tracing_configuration.clone();
    let machine = rt
        .definitions
        .get(
            &record.state_machine_arn,
            &record.revision_id,
            &revision.definition,
        )
        .map_err(|e| Error::Backend(format!("definition of {arn}: {e:?}")))?;
    let stored = record.clone();
    let mut live = Live::new(
        Engine::new(machine, rt.config.limits),
        record,
        rt.config.mocks.clone(),
    );
    // A traced execution's spans follow the replay, muted (see `Spans::muted`).
    live.spans = crate::traces::for_execution(
        rt.config.spans.as_ref(),
        &arn,
        stored.trace_header.as_deref(),
        tracing.as_deref(),
    )
    .map(|spans| Box::new(spans.muted()));
    let journal = rt.store.journal(&arn).await?;
    // Replayed off the async workers: every step evaluates its expressions again, within the
    // same budget as the first time.
    let replayed = crate::offload::run(move || replay(live, journal)).await??;
    let Replayed {
        mut live,
        mut invokes,
        journaled_starts,
        submitted,
        stopped,
    } = replayed;
    // A `.sync` task whose start call answered before the crash waits for that work.
    for (task, output) in submitted {
        if let Some(Act::Invoke { resumed, .. }) = invokes.get_mut(&task) {
            *resumed = Some(output);
        }
    }
    // The replay must write exactly the history the store has: anything else means the
    // engine is not deterministic for this execution.
    let last = rt
        .store
        .history(&arn, true, &PageRequest::first(1))
        .await?
        .items
        .first()
        .map_or(0, |h| h.id);
    if last != live.history_len as u64 {
        let why = if stopped {
            "a step ran out of its evaluation budget while being replayed"
        } else {
            "its replay did not write the history the store has"
        };
        return Err(Error::Backend(format!(
            "{arn}: {UNRESUMABLE}: {why} (replay: {} events, store: {last})",
            live.history_len
        )));
    }
    // The replay rewrote the row's fields as it went; the store's row is the current one.
    live.record = stored;
    // Counted from here on: what the replay wrote was counted when it first happened.
    let trace_header = live.record.trace_header.clone();
    live.observe(
        rt,
        logging.as_deref(),
        tracing.as_deref(),
        trace_header.as_deref(),
    );
    // A map run a redrive continued was closed and reopened during the replay, which lost
    // track of it: the store's record is the current one.
    if live.engine.status() == baton_engine::Status::Running {
        let runs = rt.store.map_runs(&arn, &PageRequest::first(1000)).await?;
        for run in runs.items {
            if run.status == baton_store::MapRunStatus::Running {
                live.map_runs.entry(run.arn.clone()).or_insert(run);
            }
        }
    }
    Ok(Rebuilt {
        live,
        invokes,
        journaled_starts,
    })
}

/// Where an execution that was not in memory is, once [`load`] has looked.
pub(crate) enum Loaded {
    Here(crate::live::Handle),
    NotRunning,
    /// Another node runs it: it lives in this partition.
    Elsewhere(u32),
}

/// An execution that is not in memory (it left to make room, its partition was taken without
/// loading it, a commit failed): rebuilt when it runs and its partition runs here. One caller
/// at a time per execution ([`Runtime::loading`]); the row is read under that lock, so it is
/// never older than the last step.
pub(crate) async fn load(rt: &Arc<Runtime>, arn: &str) -> Result<Loaded> {
    if let Some(handle) = rt.live.get(arn) {
        return Ok(Loaded::Here(handle));
    }
    let lock = rt.loading.get_or_insert_with(arn, Default::default);
    let guard = lock.lock().await;
    let result = async {
        if let Some(handle) = rt.live.get(arn) {
            return Ok(Loaded::Here(handle));
        }
        let Some(record) = rt.store.execution(arn).await? else {
            return Ok(Loaded::NotRunning);
        };
        // A distributed Map's child runs inside its parent's engine: events name the parent.
        if record.status != ExecutionStatus::Running || record.map_run_arn.is_some() {
            return Ok(Loaded::NotRunning);
        }
        if !rt.ownership.runs(record.partition) {
            return Ok(Loaded::Elsewhere(record.partition));
        }
        resume(rt, record).await?;
        Ok(rt.live.get(arn).map_or(Loaded::NotRunning, Loaded::Here))
    }
    .await;
    drop(guard);
    rt.loading.remove(arn);
    result
}

async fn resume(rt: &Arc<Runtime>, record: Record) -> Result<()> {
    // Another node's to run.
    if !rt.ownership.runs(record.partition) {
        return Ok(());
    }
    // PENDING_REDRIVE is never left behind: a redrive's first step is one batch. A distributed
    // Map's child runs inside its parent, which resumes it.
    if record.status != ExecutionStatus::Running || record.map_run_arn.is_some() {
        return Ok(());
    }
    let arn = record.arn.clone();
    let Rebuilt {
        live,
        mut invokes,
        journaled_starts,
    } = rebuild(rt, record).await?;
    if live.engine.status() != baton_engine::Status::Running {
        return Err(Error::Backend(format!(
            "{arn}: {UNRESUMABLE}: the journal ends the execution but its row says RUNNING"
        )));
    }
    let info = live.engine.info().clone();
    let partition = live.record.partition;
    let mut acts = Vec::new();
    for (timer, at) in &live.timers {
        acts.push(Act::StartTimer(*timer, *at));
    }
    let stored: HashMap<TaskId, baton_store::Task> = rt
        .store
        .tasks(&arn)
        .await?
        .into_iter()
        .map(|t| (t.task_id, t))
        .collect();
    let mut unjournaled_starts = Vec::new();
    let mut called = Vec::new();
    for (task, open) in &live.open_tasks {
        let row = stored.get(task);
        match open.kind {
            TaskKind::Activity => {
                if let Some(activity) = &open.activity_arn {
                    acts.push(Act::Activity {
                        activity: activity.clone(),
                        task: *task,
                    });
                }
                // A worker took it but the crash came before its start was journaled.
                if let Some(r) = row.filter(|r| r.status == TaskStatus::Started) {
                    if !journaled_starts.contains(task) {
                        unjournaled_starts.push(Event::TaskStarted {
                            task: *task,
                            time: r.started_at.unwrap_or(r.scheduled_at),
                            worker: r.worker_name.clone(),
                        });
                    }
                }
            }
            // A callback whose call was made waits for its token; one whose call may not have
            // been made is made again.
            // (Or its result was taken on another node and waits in the inbox.)
            TaskKind::Callback
                if row.is_some_and(|r| {
                    matches!(r.status, TaskStatus::Started | TaskStatus::Completing)
                }) =>
            {
                called.push(*task);
            }
            TaskKind::Callback | TaskKind::Other => {
                if let Some(act) = invokes.remove(task) {
                    acts.push(act);
                }
            }
        }
    }
    let mut live = live;
    for task in called {
        if let Some(open) = live.open_tasks.get_mut(&task) {
            open.started = true;
        }
    }
    // Loaded meanwhile by an event for it: that copy runs, this one goes.
    if rt
        .live
        .insert_new(arn.clone(), Arc::new(tokio::sync::Mutex::new(live)))
        .is_err()
    {
        return Ok(());
    }
    // Given up while it was being rebuilt: its next owner resumes it.
    if !rt.ownership.runs(partition) {
        rt.live.remove(&arn);
        return Ok(());
    }
    rt.act(&arn, &info, acts);
    for event in unjournaled_starts {
        rt.offer(&arn, event, None).await?;
    }
    Ok(())
}

impl Runtime {
    /// This node now owns `partitions`. Their executions are not loaded (lazy residency: an
    /// execution is rebuilt when something happens to it): their timers are set, and only
    /// those with a call to make again (a task whose call may not have been made) are loaded
    /// at once; then their inboxes are read. A store that fails meanwhile (a dropped
    /// connection) is tried again, in the background, for as long as the partitions are this
    /// node's: a partition whose timers were not set would keep its executions waiting.
    pub async fn take_partitions(&self, partitions: &[u32]) {
        let first = self.take_lazily(partitions).await;
        self.inbox_wake.notify_one();
        let Err(e) = first else {
            return;
        };
        tracing::warn!(?partitions, error = %e, "could not take up the executions of partitions taken: trying again");
        let rt = self.arc();
        let partitions = partitions.to_vec();
        tokio::spawn(async move {
            let mut patience = crate::Patience::new();
            loop {
                patience.wait().await;
                let still: Vec<u32> = partitions
                    .iter()
                    .copied()
                    .filter(|p| rt.ownership.runs(*p))
                    .collect();
                if still.is_empty() || *rt.stopping.borrow() {
                    return;
                }
                match rt.take_lazily(&still).await {
                    Ok(()) => {
                        rt.inbox_wake.notify_one();
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(partitions = ?still, error = %e, "could not take up the executions of partitions taken: trying again")
                    }
                }
            }
        });
    }

    async fn take_lazily(&self, partitions: &[u32]) -> Result<()> {
        let began = std::time::Instant::now();
        let timers = self.store.timers_in(partitions).await?;
        let armed = timers.len();
        for t in timers {
            self.timers
                .schedule(&t.execution_arn, t.timer_id, t.fire_at);
        }
        tracing::info!(
            ?partitions,
            timers = armed,
            ms = began.elapsed().as_millis() as u64,
            "timers of partitions taken set"
        );
        let mut eager = HashSet::new();
        for task in self.store.open_tasks_in(partitions).await? {
            let call_again = match task.kind {
                TaskKind::Other => true,
                TaskKind::Callback => task.status == TaskStatus::Scheduled,
                TaskKind::Activity => {
                    if let Some(activity) = &task.activity_arn {
                        self.activities.notify(activity);
                    }
                    false
                }
            };
            if call_again {
                eager.insert(task.execution_arn);
            }
        }
        let rt = self.arc();
        let mut failed = None;
        for arn in eager {
            if let Err(e) = load(&rt, &arn).await {
                tracing::error!(%arn, error = %e, "could not resume an execution");
                // A store that failed: the whole take is tried again (what is in memory
                // already stays, timers set twice are one).
                if retryable(&e) {
                    failed = Some(e);
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Keeps at most `max` executions in memory: every second, those idle longest that wait
    /// only for timers, workers or callbacks leave it ([`Live::evictable`]); they are rebuilt
    /// from the store when something happens to them.
    pub(crate) fn spawn_evictor(self: &Arc<Self>, max: usize) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let Some(rt) = weak.upgrade() else {
                    return;
                };
                if *rt.stopping.borrow() {
                    return;
                }
                if rt.live.len() > max {
                    rt.evict_down_to(max);
                }
            }
        });
    }

    fn evict_down_to(&self, max: usize) {
        let mut idle: Vec<(std::time::Instant, String)> = self
            .live
            .all()
            .into_iter()
            .filter_map(|(arn, handle)| {
                let live = handle.try_lock().ok()?;
                live.evictable().then_some((live.touched, arn))
            })
            .collect();
        idle.sort();
        let excess = self.live.len().saturating_sub(max);
        for (_, arn) in idle.into_iter().take(excess) {
            let Some(handle) = self.live.get(&arn) else {
                continue;
            };
            // Under its lock, so no step is half done; one that began meanwhile keeps it.
            let evicted = match handle.try_lock() {
                Ok(live) if live.evictable() => {
                    self.live.remove(&arn);
                    true
                }
                _ => false,
            };
            if evicted {
                tracing::trace!(%arn, "left memory");
            }
        }
    }

    /// This node is giving `partitions` up: nothing new is placed or loaded there, and their
    /// executions leave memory once their step in flight is durable. Their timers are dropped
    /// as they come due; what they wait for reaches the next owner (the inbox).
    pub async fn give_up_partitions(&self, partitions: &[u32]) {
        for p in partitions {
            self.ownership.draining(*p);
        }
        for (arn, handle) in self.live.all() {
            let live = handle.lock().await;
            if partitions.contains(&live.record.partition) {
                self.live.remove(&arn);
            }
        }
    }
}
