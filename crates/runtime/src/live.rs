//! Running Standard executions: one engine per execution in memory, stepped one event at a
//! time under the execution's lock. Each step is committed as one write batch before any of its
//! effects is acted on.

use std::collections::HashMap;
use std::sync::Arc;

use baton_api::arn::MapRunArn;
use baton_engine::EventDetails;
use baton_engine::{
    resource_kind, Effect, Event, Execution as Engine, HistoryEvent, Status, TaskId, TaskRequest,
    TimerId,
};
use baton_store::{
    Execution as Record, ExecutionStatus, HistoryRecord, JournalEntry, MapRun, MapRunCounts,
    MapRunStatus, Millis, Op, Task, TaskKind, TaskStatus, Timer, WriteBatch,
};

use crate::children::OpenChildren;
use serde_json::Value;

use crate::integration::TaskResult;
use crate::{journal, Runtime, Sharded};

/// An open task, as the runtime must remember it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenTask {
    pub kind: TaskKind,
    pub activity_arn: Option<String>,
    /// Whether its start (`TaskStarted`: a worker took it) was applied.
    pub started: bool,
}

/// One running execution.
pub(crate) struct Live {
    pub engine: Engine,
    pub record: Record,
    /// The sequence number of the last journal entry written.
    pub journal_seq: u64,
    /// How many of the engine's history events are in the store.
    pub history_len: usize,
    pub open_tasks: HashMap<TaskId, OpenTask>,
    pub timers: HashMap<TimerId, Millis>,
    /// Distributed Map runs started and not ended, by ARN.
    pub map_runs: HashMap<String, MapRun>,
    /// The rows of its distributed Maps' children that have not ended.
    pub children: OpenChildren,
    /// The server's mock configuration, and the test case this execution answers its Task
    /// states from (see [`crate::mocks`]), taken when it starts.
    mocks: Option<Arc<baton_mock::MockConfig>>,
    mock: Option<baton_mock::MockSession>,
    /// When it last took a step: the executions idle longest leave memory first.
    pub touched: std::time::Instant,
    /// Where its events are counted (`GET /metrics`); `None` while a journal is replayed.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    pub tracker: crate::metrics::Tracker,
    /// Where its events are logged (its `LoggingConfiguration`); `None` while a journal is
    /// replayed.
    pub log: Option<Arc<crate::execution_log::ExecutionLog>>,
    /// Its spans, when it is traced; muted while a journal is replayed (see
    /// [`crate::traces::Spans::muted`]).
    pub spans: Option<Box<crate::traces::Spans>>,
    /// The spans of its distributed Maps' children that have not ended, when it is traced.
    child_spans: HashMap<String, crate::traces::Spans>,
    /// Where its status changes go; `None` while a journal is replayed, and for executions
    /// that send none.
    pub status_events: Option<Arc<dyn crate::status::StatusEvents>>,
}

pub(crate) type Handle = Arc<tokio::sync::Mutex<Live>>;

/// A live execution, locked.
pub(crate) type Locked = tokio::sync::OwnedMutexGuard<Live>;

/// [`Live::step`], on the blocking pool when it may run for long (see [`crate::offload`]), the
/// lock held throughout.
pub(crate) async fn step_off(
    mut live: Locked,
    event: Event,
    ops: Vec<Op>,
) -> Result<(Locked, WriteBatch, Vec<Act>), crate::StoreError> {
    crate::offload::run_if(live.engine.may_run_long(), move || {
        let (batch, acts) = live.step(event, ops);
        (live, batch, acts)
    })
    .await
}

/// The running executions by ARN.
#[derive(Default)]
pub(crate) struct Registry(Sharded<Handle>);

impl Registry {
    pub fn get(&self, arn: &str) -> Option<Handle> {
        self.0.get(arn)
    }
    /// Inserts unless the ARN is present; `Err` holds the handle already there.
    pub fn insert_new(&self, arn: String, handle: Handle) -> Result<(), Handle> {
        let mut inserted = false;
        let present = self.0.get_or_insert_with(&arn, || {
            inserted = true;
            handle
        });
        if inserted {
            Ok(())
        } else {
            Err(present)
        }
    }
    pub fn remove(&self, arn: &str) {
        self.0.remove(arn);
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Every running execution, by ARN, as it is now.
    pub fn all(&self) -> Vec<(String, Handle)> {
        self.0.entries()
    }
}

/// What acting on a committed step means.
pub(crate) enum Act {
    StartTimer(TimerId, Millis),
    CancelTimer(TimerId, Millis),
    /// A worker may take this activity's task (if the activity exists).
    Activity {
        activity: String,
        task: TaskId,
    },
    /// Hand this task to the integrations, or answer it with its mocked response.
    Invoke {
        request: Box<TaskRequest>,
        callback: bool,
        mocked: Option<TaskResult>,
        /// A `.sync` task's start call's answer, recorded before a restart: only its end is
        /// awaited.
        resumed: Option<Value>,
    },
    /// The execution ended; its final record, committed.
    Finished(Box<baton_store::Execution>),
}

/// The outcome of offering an event to an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Yes,
    /// The execution is not running (it ended, or never existed here).
    NotRunning,
    /// The task or timer the event is about is no longer open.
    Stale,
    /// Another node runs the execution: it lives in this partition.
    Elsewhere(u32),
    /// Another node runs the execution; the event is in its inbox, for it to apply.
    Queued,
    /// The event was applied already: a task's start, which rebuilding the execution applied
    /// from the task's row.
    Already,
}

impl Live {
    pub fn new(engine: Engine, record: Record, mocks: Option<Arc<baton_mock::MockConfig>>) -> Live {
        Live {
            mocks,
            mock: None,
            engine,
            record,
            journal_seq: 0,
            history_len: 0,
            open_tasks: HashMap::new(),
            timers: HashMap::new(),
            map_runs: HashMap::new(),
            children: OpenChildren::default(),
            touched: std::time::Instant::now(),
            metrics: None,
            tracker: Default::default(),
            log: None,
            spans: None,
            child_spans: HashMap::new(),
            status_events: None,
        }
    }

    /// Counts, logs and traces its steps from here on, as the server is configured and its
    /// machine's `loggingConfiguration` and `tracingConfiguration` (texts) ask; set after a
    /// replay, so what was replayed is not observed again.
    pub fn observe(
        &mut self,
        rt: &crate::Runtime,
        logging: Option<&str>,
        tracing: Option<&str>,
        trace_header: Option<&str>,
    ) {
        let arn = self.record.arn.clone();
        let machine_name = self
            .record
            .state_machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default();
        self.metrics = rt.config.metrics.clone();
        self.log = crate::execution_log::ExecutionLog::open(
            rt.config.logs.as_ref(),
            logging,
            machine_name,
            &arn,
            rt.config.ownership.is_some(),
        )
        .map(Arc::new);
        self.spans = match self.spans.take() {
            // Built while its journal was replayed: what is still open ends from here on.
            Some(mut replayed) => {
                replayed.unmute();
                for child in self.child_spans.values_mut() {
                    child.unmute();
                }
                Some(replayed)
            }
            None => {
                crate::traces::for_execution(rt.config.spans.as_ref(), &arn, trace_header, tracing)
                    .map(Box::new)
            }
        };
        // A distributed Map's children are the map run's, not the account's executions.
        self.status_events = rt
            .config
            .status_events
            .clone()
            .filter(|_| self.record.map_run_arn.is_none());
    }

    /// Logs and traces what its distributed Maps' children wrote in this step, each child
    /// under its own ARN, as the parent is logged and traced.
    fn observe_children(
        &mut self,
        children: &[baton_engine::ChildHistory],
        tasks: &HashMap<String, Vec<TaskId>>,
    ) {
        if self.log.is_none() && self.spans.is_none() {
            return;
        }
        for child in children {
            let arn = baton_engine::child_execution_arn(&child.map_run_arn, &child.name);
            if let Some(log) = &self.log {
                let redrive_count = child
                    .redriven
                    .as_ref()
                    .map(|r| r.2)
                    .or_else(|| self.children.redrive_count(&arn))
                    .unwrap_or(0);
                log.write_as(&arn, &child.events, redrive_count);
            }
            if let Some(spans) = &self.spans {
                let mine = self
                    .child_spans
                    .entry(arn.clone())
                    .or_insert_with(|| spans.child(&child.map_run_arn, &arn));
                mine.observe(&child.events, tasks.get(&arn).map_or(&[], Vec::as_slice));
                if child.ended {
                    self.child_spans.remove(&arn);
                }
            }
        }
    }

    /// Whether it may leave memory and be rebuilt from the store when something happens to it:
    /// it waits only for timers, workers and callbacks already called. Not while a task's call
    /// is in flight (rebuilt, it would be made again) or a mock session counts its answers.
    pub fn evictable(&self) -> bool {
        self.mock.is_none()
            && self.open_tasks.values().all(|t| match t.kind {
                TaskKind::Activity => true,
                TaskKind::Callback => t.started,
                TaskKind::Other => false,
            })
    }

    /// Whether `event` still means something to this execution: its task is open, its timer
    /// set (at `fire_at`, for timers).
    pub fn accepts(&self, event: &Event, fire_at: Option<Millis>) -> bool {
        match event {
            // A task starts once.
            Event::TaskStarted { task, .. } => {
                self.open_tasks.get(task).is_some_and(|t| !t.started)
            }
            Event::TaskHeartbeat { task, .. }
            | Event::TaskSubmitted { task, .. }
            | Event::TaskSucceeded { task, .. }
            | Event::TaskFailed { task, .. }
            | Event::TaskRejected { task, .. } => self.open_tasks.contains_key(task),
            Event::TimerFired { timer, .. } => match (self.timers.get(timer), fire_at) {
                (Some(at), Some(want)) => *at == want,
                (Some(_), None) => true,
                (None, _) => false,
            },
            Event::MapRunUpdated { map_run_arn, .. } => self.map_runs.contains_key(map_run_arn),
            Event::ChildStopRequested { execution_arn, .. } => {
                self.engine.has_running_child(execution_arn)
            }
            Event::Started { .. } | Event::StopRequested { .. } | Event::Redriven { .. } => true,
        }
    }

    /// Applies `event` and returns the batch that makes the step durable and what to do once
    /// it is. `ops` go first in the batch (the execution row of a new execution).
    pub fn step(&mut self, event: Event, ops: Vec<Op>) -> (WriteBatch, Vec<Act>) {
        let arn = self.record.arn.clone();
        let mut batch = WriteBatch::from(ops);
        let mut acts = Vec::new();
        self.touched = std::time::Instant::now();
        self.journal_seq += 1;
        batch.push(Op::AppendJournal {
            execution_arn: arn.clone(),
            entries: vec![JournalEntry {
                seq: self.journal_seq,
                json: journal::encode(&event),
            }],
        });
        if let Event::TaskStarted { task, .. } = &event {
            if let Some(open) = self.open_tasks.get_mut(task) {
                open.started = true;
            }
        }
        // What the event itself closes.
        match &event {
            Event::TaskSucceeded { task, .. }
            | Event::TaskFailed { task, .. }
            | Event::TaskRejected { task, .. }
                if self.open_tasks.remove(task).is_some() =>
            {
                batch.push(Op::CompleteTask {
                    execution_arn: arn.clone(),
                    task_id: *task,
                });
            }
            Event::MapRunUpdated {
                map_run_arn,
                max_concurrency,
                tolerated_count,
                tolerated_percentage,
                ..
            } => {
                if let Some(run) = self.map_runs.get_mut(map_run_arn) {
                    if let Some(n) = max_concurrency {
                        run.max_concurrency = u32::try_from(*n).unwrap_or(u32::MAX);
                    }
                    if let Some(n) = tolerated_count {
                        run.tolerated_failure_count = *n;
                    }
                    if let Some(p) = tolerated_percentage {
                        run.tolerated_failure_percentage = *p;
                    }
                    batch.push(Op::UpdateMapRun(run.clone()));
                }
            }
            Event::TimerFired { timer, .. } if self.timers.remove(timer).is_some() => {
                batch.push(Op::DeleteTimer {
                    execution_arn: arn.clone(),
                    timer_id: *timer,
                });
            }
            _ => {}
        }
        if let Event::Started { info, .. } = &event {
            self.mock = crate::mocks::session(self.mocks.as_deref(), info);
        }
        let time = event_time(&event);
        let effects = self.engine.apply(event);
        let written = self.engine.take_history();
        if let Some(metrics) = &self.metrics {
            metrics.observe(
                &self.record.state_machine_arn,
                self.record.start_date,
                &mut self.tracker,
                &written,
            );
        }
        if let Some(log) = &self.log {
            log.write(&written, self.record.redrive_count);
        }
        // The tasks each run scheduled: the execution's own, and each child's (its ARN).
        let mut own_tasks = Vec::new();
        let mut child_tasks: HashMap<String, Vec<TaskId>> = HashMap::new();
        if self.spans.is_some() {
            for task in crate::traces::scheduled_tasks(&effects) {
                match self.engine.task_child(task) {
                    Some(child) => child_tasks.entry(child).or_default().push(task),
                    None => own_tasks.push(task),
                }
            }
        }
        if let Some(spans) = &mut self.spans {
            spans.observe(&written, &own_tasks);
        }
        if let Some(sink) = &self.status_events {
            for change in crate::status::changes(&self.record, &written) {
                sink.changed(change);
            }
        }
        let history: Vec<HistoryRecord> = written.iter().map(record_of).collect();
        self.history_len = self.engine.history_len();
        if !history.is_empty() {
            batch.push(Op::AppendHistory {
                execution_arn: arn.clone(),
                events: history,
            });
        }
        // Map runs start, their children's rows and counts follow, then map runs end (with
        // the counts of children that ended in this same step).
        batch.extend(map_runs_started(&arn, &mut self.map_runs, &written));
        batch.extend(map_runs_redriven(&mut self.map_runs, &written));
        let children = self.engine.take_child_histories();
        if !children.is_empty() {
            self.observe_children(&children, &child_tasks);
            let ops = self
                .children
                .record(&self.record, children, &mut self.map_runs);
            batch.extend(ops);
        }
        batch.extend(map_runs_ended(&mut self.map_runs, &written));
        let region = self.engine.info().region.clone();
        for effect in effects {
            match effect {
                Effect::ScheduleTask(mut request) => {
                    if let Some(spans) = &self.spans {
                        // A child's call goes on in the child's task span.
                        let child = self
                            .engine
                            .task_child(request.id)
                            .and_then(|arn| self.child_spans.get(&arn));
                        let context = match child {
                            Some(child) => child.call_context(request.id),
                            None => spans.call_context(request.id),
                        };
                        request.trace = Some(Box::new(context));
                    }
                    let kind = resource_kind(&request.resource, &region);
                    // A mocked task is answered at once, whatever its resource: no worker,
                    // callback or service takes it.
                    let mocked = self
                        .mock
                        .as_mut()
                        .and_then(|m| crate::mocks::answer(m, &request));
                    let (task_kind, activity_arn) = match kind.resource.family {
                        _ if mocked.is_some() => (TaskKind::Other, None),
                        baton_engine::history::TaskFamily::Activity => {
                            (TaskKind::Activity, Some(request.resource.clone()))
                        }
                        _ if kind.wait_for_token => (TaskKind::Callback, None),
                        _ => (TaskKind::Other, None),
                    };
                    batch.push(Op::CreateTask(Task {
                        execution_arn: arn.clone(),
                        task_id: request.id,
                        kind: task_kind,
                        token: request.token.clone(),
                        activity_arn: activity_arn.clone(),
                        input: request.input.to_string(),
                        status: TaskStatus::Scheduled,
                        worker_name: None,
                        scheduled_at: time,
                        started_at: None,
                        heartbeat_deadline: None,
                        timeout_deadline: None,
                    }));
                    self.open_tasks.insert(
                        request.id,
                        OpenTask {
                            kind: task_kind,
                            activity_arn: activity_arn.clone(),
                            started: false,
                        },
                    );
                    match activity_arn {
                        Some(a) => acts.push(Act::Activity {
                            activity: a,
                            task: request.id,
                        }),
                        None => acts.push(Act::Invoke {
                            callback: kind.wait_for_token && mocked.is_none(),
                            request: Box::new(request),
                            mocked,
                            resumed: None,
                        }),
                    }
                }
                Effect::CancelTask(task) => {
                    if self.open_tasks.remove(&task).is_some() {
                        batch.push(Op::CompleteTask {
                            execution_arn: arn.clone(),
                            task_id: task,
                        });
                    }
                }
                Effect::StartTimer { timer, at } => {
                    if let Some(old) = self.timers.insert(timer, at) {
                        acts.push(Act::CancelTimer(timer, old));
                    }
                    batch.push(Op::PutTimer(Timer {
                        execution_arn: arn.clone(),
                        timer_id: timer,
                        fire_at: at,
                    }));
                    acts.push(Act::StartTimer(timer, at));
                }
                Effect::CancelTimer(timer) => {
                    if let Some(at) = self.timers.remove(&timer) {
                        batch.push(Op::DeleteTimer {
                            execution_arn: arn.clone(),
                            timer_id: timer,
                        });
                        acts.push(Act::CancelTimer(timer, at));
                    }
                }
                Effect::Finished(_) => {}
            }
        }
        if self.engine.status() != Status::Running {
            // Whatever is still open ends with the execution.
            for (task, _) in self.open_tasks.drain() {
                batch.push(Op::CompleteTask {
                    execution_arn: arn.clone(),
                    task_id: task,
                });
            }
            for (timer, at) in self.timers.drain() {
                batch.push(Op::DeleteTimer {
                    execution_arn: arn.clone(),
                    timer_id: timer,
                });
                acts.push(Act::CancelTimer(timer, at));
            }
            for (_, mut run) in self.map_runs.drain() {
                run.status = MapRunStatus::Aborted;
                run.stop_date = Some(time);
                batch.push(Op::UpdateMapRun(run));
            }
            let outcome = self.engine.outcome().cloned();
            let r = &mut self.record;
            r.status = status_of(self.engine.status());
            if let Some(o) = outcome {
                r.output = o.output;
                r.error = o.error;
                r.cause = o.cause;
            }
            r.stop_date = Some(time);
            batch.push(Op::UpdateExecution(self.record.clone()));
            acts.push(Act::Finished(Box::new(self.record.clone())));
        }
        (batch.in_partition(self.record.partition), acts)
    }
}

/// The map run records the new history events start.
fn map_runs_started(
    execution_arn: &str,
    open: &mut HashMap<String, MapRun>,
    events: &[HistoryEvent],
) -> Vec<Op> {
    let mut ops = Vec::new();
    for event in events {
        if let EventDetails::MapRunStarted {
            map_run_arn,
            items,
            max_concurrency,
            tolerated_count,
            tolerated_percentage,
        } = &event.details
        {
            // Recorded children move items to running, then to how they ended.
            let counts = MapRunCounts {
                pending: *items,
                total: *items,
                ..MapRunCounts::default()
            };
            let state_machine_arn = MapRunArn::parse(map_run_arn)
                .map(|a| a.child_state_machine_arn().to_string())
                .unwrap_or_default();
            let run = MapRun {
                arn: map_run_arn.clone(),
                execution_arn: execution_arn.to_string(),
                state_machine_arn,
                status: MapRunStatus::Running,
                max_concurrency: u32::try_from(*max_concurrency).unwrap_or(u32::MAX),
                tolerated_failure_percentage: tolerated_percentage.unwrap_or(0.0),
                tolerated_failure_count: tolerated_count.unwrap_or(0),
                item_counts: counts,
                execution_counts: counts,
                start_date: event.timestamp,
                stop_date: None,
                redrive_count: 0,
                redrive_date: None,
            };
            ops.push(Op::CreateMapRun(run.clone()));
            open.insert(map_run_arn.clone(), run);
        }
    }
    ops
}

/// The map run records a redrive continues: running again, with their redrive count and date;
/// the items that succeeded stay counted, the rest wait for their children again.
fn map_runs_redriven(open: &mut HashMap<String, MapRun>, events: &[HistoryEvent]) -> Vec<Op> {
    let mut ops = Vec::new();
    for event in events {
        if let EventDetails::MapRunRedriven {
            map_run_arn,
            redrive_count,
        } = &event.details
        {
            let Some(run) = open.get_mut(map_run_arn) else {
                continue;
            };
            let total = run.item_counts.total;
            let succeeded = run.item_counts.succeeded;
            let counts = MapRunCounts {
                pending: total.saturating_sub(succeeded),
                succeeded,
                total,
                ..MapRunCounts::default()
            };
            run.status = MapRunStatus::Running;
            run.item_counts = counts;
            run.execution_counts = counts;
            run.stop_date = None;
            run.redrive_count = *redrive_count;
            run.redrive_date = Some(event.timestamp);
            ops.push(Op::UpdateMapRun(run.clone()));
        }
    }
    ops
}

/// The map run records the new history events end. A run whose children were recorded keeps
/// their counts; otherwise the counts follow from the end event.
fn map_runs_ended(open: &mut HashMap<String, MapRun>, events: &[HistoryEvent]) -> Vec<Op> {
    let mut ops = Vec::new();
    for event in events {
        match &event.details {
            EventDetails::MapRunSucceeded {
                map_run_arn,
                results_written,
            } => {
                if let Some(mut run) = open.remove(map_run_arn) {
                    let total = run.item_counts.total;
                    let mut counts = ended_counts(&run.item_counts, true).unwrap_or(MapRunCounts {
                        succeeded: total,
                        total,
                        ..MapRunCounts::default()
                    });
                    counts.results_written = *results_written;
                    run.status = MapRunStatus::Succeeded;
                    run.item_counts = counts;
                    run.execution_counts = counts;
                    run.stop_date = Some(event.timestamp);
                    ops.push(Op::UpdateMapRun(run));
                }
            }
            EventDetails::MapRunFailed {
                map_run_arn,
                failed,
                total,
                results_written,
                ..
            } => {
                if let Some(mut run) = open.remove(map_run_arn) {
                    let succeeded = total.saturating_sub(*failed);
                    let mut counts =
                        ended_counts(&run.item_counts, false).unwrap_or(MapRunCounts {
                            succeeded,
                            failed: *failed,
                            total: *total,
                            ..MapRunCounts::default()
                        });
                    counts.results_written = *results_written;
                    run.status = MapRunStatus::Failed;
                    run.item_counts = counts;
                    run.execution_counts = counts;
                    run.stop_date = Some(event.timestamp);
                    ops.push(Op::UpdateMapRun(run));
                }
            }
            _ => {}
        }
    }
    ops
}

/// The final counts of a map run whose children were recorded: nothing runs any more. A map
/// run that succeeded has every item done: those a redrive kept from the attempt before ran no
/// child this time and count as succeeded.
fn ended_counts(counts: &MapRunCounts, succeeded: bool) -> Option<MapRunCounts> {
    let ended = counts.succeeded + counts.failed + counts.aborted + counts.timed_out;
    if ended == 0 && counts.running == 0 {
        return None;
    }
    let mut out = MapRunCounts {
        running: 0,
        aborted: counts.aborted + counts.running,
        ..*counts
    };
    if succeeded {
        out.pending = 0;
        out.succeeded = counts
            .total
            .saturating_sub(out.failed + out.aborted + out.timed_out);
    }
    Some(out)
}

fn event_time(event: &Event) -> Millis {
    match event {
        Event::Started { time, .. }
        | Event::TaskStarted { time, .. }
        | Event::TaskHeartbeat { time, .. }
        | Event::TaskSubmitted { time, .. }
        | Event::TaskSucceeded { time, .. }
        | Event::TaskFailed { time, .. }
        | Event::TaskRejected { time, .. }
        | Event::TimerFired { time, .. }
        | Event::StopRequested { time, .. }
        | Event::Redriven { time }
        | Event::MapRunUpdated { time, .. }
        | Event::ChildStopRequested { time, .. } => *time,
    }
}

pub(crate) fn record_of(event: &HistoryEvent) -> HistoryRecord {
    HistoryRecord {
        id: event.id,
        json: event.to_json(true).to_string(),
    }
}

pub(crate) fn status_of(status: Status) -> ExecutionStatus {
    match status {
        Status::Running => ExecutionStatus::Running,
        Status::Succeeded => ExecutionStatus::Succeeded,
        Status::Failed => ExecutionStatus::Failed,
        Status::TimedOut => ExecutionStatus::TimedOut,
        Status::Aborted => ExecutionStatus::Aborted,
    }
}

impl Runtime {
    /// Offers `event` to the running execution `arn`: applies it, commits the step, then acts.
    /// `fire_at` identifies a timer's setting (a timer moved since is stale).
    pub(crate) async fn offer(
        &self,
        arn: &str,
        event: Event,
        fire_at: Option<Millis>,
    ) -> Result<Applied, crate::StoreError> {
        self.offer_with(arn, event, fire_at, Vec::new()).await
    }

    /// [`Runtime::offer`], with `ops` written in the step's batch (an inbox entry it consumes).
    /// An execution that is not in memory is loaded when it runs here; when another node runs
    /// it, nothing is written and the answer names its partition (a timer's event then goes
    /// nowhere: the node that runs it has set the timer).
    pub(crate) async fn offer_with(
        &self,
        arn: &str,
        event: Event,
        fire_at: Option<Millis>,
        ops: Vec<Op>,
    ) -> Result<Applied, crate::StoreError> {
        let handle = match self.live.get(arn) {
            Some(handle) => handle,
            // Boxed: rebuilding may offer the execution an event of its own.
            None => match Box::pin(crate::recovery::load(&self.arc(), arn)).await? {
                crate::recovery::Loaded::Here(handle) => handle,
                crate::recovery::Loaded::NotRunning => return Ok(Applied::NotRunning),
                crate::recovery::Loaded::Elsewhere(partition) => {
                    return Ok(Applied::Elsewhere(partition))
                }
            },
        };
        let live = handle.lock_owned().await;
        if live.engine.status() != Status::Running {
            return Ok(Applied::NotRunning);
        }
        if let Event::TaskStarted { task, .. } = &event {
            if live.open_tasks.get(task).is_some_and(|t| t.started) {
                return Ok(Applied::Already);
            }
        }
        if !live.accepts(&event, fire_at) {
            return Ok(Applied::Stale);
        }
        let live = match self.start_taken_elsewhere(arn, live, &event).await {
            Ok(live) => live,
            Err(e) => {
                self.live.remove(arn);
                crate::recovery::reload(self, arn).await;
                return Err(e);
            }
        };
        let (live, batch, acts) = step_off(live, event, ops).await?;
        if let Err(e) = self.store.commit(batch).await {
            // The engine moved on but the store did not: forget this copy; the store's is
            // the truth, and the execution is rebuilt from it.
            drop(live);
            self.live.remove(arn);
            crate::recovery::reload(self, arn).await;
            return Err(e);
        }
        let info = live.engine.info().clone();
        drop(live);
        self.act(arn, &info, acts);
        Ok(Applied::Yes)
    }

    /// Applies the start of an activity task a worker took on another node, before the task's
    /// result or heartbeat, when that result reached this node first: its start waits in the
    /// inbox, and the worker could not have the task's token without it. The start is taken
    /// from the task's row (as recovery does); the inbox entry is then stale.
    async fn start_taken_elsewhere(
        &self,
        arn: &str,
        live: Locked,
        event: &Event,
    ) -> Result<Locked, crate::StoreError> {
        let task = match event {
            Event::TaskSucceeded { task, .. }
            | Event::TaskFailed { task, .. }
            | Event::TaskHeartbeat { task, .. } => *task,
            _ => return Ok(live),
        };
        let unstarted = live
            .open_tasks
            .get(&task)
            .is_some_and(|t| t.kind == TaskKind::Activity && !t.started);
        if !unstarted || !self.ownership.is_shared() {
            return Ok(live);
        }
        let Some(row) = self.store.task(arn, task).await? else {
            return Ok(live);
        };
        let Some(time) = row.started_at else {
            return Ok(live);
        };
        let started = Event::TaskStarted {
            task,
            time,
            worker: row.worker_name,
        };
        let (live, batch, acts) = step_off(live, started, Vec::new()).await?;
        self.store.commit(batch).await?;
        let info = live.engine.info().clone();
        self.act(arn, &info, acts);
        Ok(live)
    }

    /// [`Runtime::offer`], and when another node runs the execution, the event goes to its
    /// inbox ([`Applied::Queued`]); with `claim`, that task's result is taken in the same
    /// batch, so no other result is accepted ([`baton_store::Op::ClaimTask`]).
    pub(crate) async fn deliver(
        &self,
        arn: &str,
        event: Event,
        claim: Option<TaskId>,
    ) -> Result<Applied, crate::StoreError> {
        match self.offer(arn, event.clone(), None).await? {
            Applied::Elsewhere(partition) => {
                crate::inbox::send(self, partition, arn, &event, claim).await?;
                Ok(Applied::Queued)
            }
            applied => Ok(applied),
        }
    }

    /// Acts on a committed step's effects.
    pub(crate) fn act(&self, arn: &str, info: &baton_engine::ExecutionInfo, acts: Vec<Act>) {
        for act in acts {
            match act {
                Act::StartTimer(timer, at) => self.timers.schedule(arn, timer, at),
                Act::CancelTimer(timer, at) => self.timers.cancel(arn, timer, at),
                Act::Activity { activity, task } => {
                    self.activities.notify(&activity);
                    self.tell(baton_store::Topic::Activity(activity.clone()));
                    let runtime = self.arc();
                    let arn = arn.to_string();
                    tokio::spawn(async move {
                        runtime.reject_if_missing(arn, activity, task).await;
                    });
                }
                Act::Invoke {
                    request,
                    callback,
                    mocked,
                    resumed,
                } => {
                    let runtime = self.arc();
                    let arn = arn.to_string();
                    let info = info.clone();
                    tokio::spawn(async move {
                        runtime
                            .invoke(arn, info, *request, callback, mocked, resumed)
                            .await;
                    });
                }
                Act::Finished(record) => {
                    self.finished.put(*record);
                    self.live.remove(arn);
                }
            }
        }
    }

    /// Runs one task through the integrations and feeds its result back.
    async fn invoke(
        &self,
        arn: String,
        info: baton_engine::ExecutionInfo,
        request: TaskRequest,
        callback: bool,
        mocked: Option<TaskResult>,
        resumed: Option<Value>,
    ) {
        let result = match mocked {
            Some(result) => {
                // A mocked activity is taken at once, as if by a worker (`ActivityStarted`).
                let kind = resource_kind(&request.resource, &info.region);
                if kind.resource.family == baton_engine::history::TaskFamily::Activity {
                    let started = Event::TaskStarted {
                        task: request.id,
                        time: crate::now(),
                        worker: None,
                    };
                    if let Err(e) = self.deliver(&arn, started, None).await {
                        tracing::error!(%arn, error = %e, "could not record a mocked activity's start");
                    }
                }
                result
            }
            None if !callback && crate::integration::is_sync(&request.resource) => {
                self.invoke_sync(&arn, &info, &request, resumed).await
            }
            None => {
                self.config
                    .integrations
                    .invoke(&info, &request, callback)
                    .await
            }
        };
        let time = crate::now();
        let event = match result {
            TaskResult::AwaitingCallback => {
                if let Err(e) = self.mark_called(&arn, request.id).await {
                    tracing::error!(%arn, error = %e, "could not record a callback's call");
                }
                return;
            }
            // Marked called first: a crash in between leaves no second call on recovery, only
            // a history without this event.
            TaskResult::Submitted(output) => {
                if let Err(e) = self.mark_called(&arn, request.id).await {
                    tracing::error!(%arn, error = %e, "could not record a callback's call");
                }
                Event::TaskSubmitted {
                    task: request.id,
                    output,
                    time,
                }
            }
            TaskResult::Succeeded(output) => Event::TaskSucceeded {
                task: request.id,
                output,
                time,
            },
            TaskResult::Failed { error, cause } => Event::TaskFailed {
                task: request.id,
                error,
                cause,
                time,
            },
            TaskResult::Rejected(cause) => Event::TaskRejected {
                task: request.id,
                cause,
                time,
            },
        };
        // Tried again while the store fails (a dropped connection): the result is all the
        // execution waits for.
        let mut backoff = crate::Backoff::new();
        loop {
            match self.deliver(&arn, event.clone(), None).await {
                Ok(_) | Err(crate::StoreError::Fenced { .. }) => return,
                Err(e) => {
                    tracing::warn!(%arn, error = %e, "could not record a task's result: trying again");
                    if !backoff.wait().await {
                        tracing::error!(%arn, "a task's result could not be recorded");
                        return;
                    }
                }
            }
        }
    }

    /// Fails an activity task whose activity does not exist, as AWS does when the state
    /// schedules it.
    async fn reject_if_missing(&self, arn: String, activity: String, task: TaskId) {
        match self.store.activity(&activity).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let event = Event::TaskRejected {
                    task,
                    cause: format!("The activity {activity} does not exist."),
                    time: crate::now(),
                };
                if let Err(e) = self.deliver(&arn, event, None).await {
                    tracing::error!(%arn, error = %e, "could not fail a task of a missing activity");
                }
            }
            Err(e) => tracing::error!(%arn, error = %e, "could not look up an activity"),
        }
    }

    /// Runs a `.sync` task: its start call's answer is recorded (`TaskSubmitted`, journaled, as
    /// AWS writes it) as soon as it comes, so that after a restart the task waits for the
    /// work it started instead of starting it again.
    async fn invoke_sync(
        &self,
        arn: &str,
        info: &baton_engine::ExecutionInfo,
        request: &TaskRequest,
        resumed: Option<Value>,
    ) -> TaskResult {
        let (sender, mut submitted) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let runtime = self.arc();
        let task = request.id;
        let recorder_arn = arn.to_string();
        let recorder = tokio::spawn(async move {
            while let Some(output) = submitted.recv().await {
                let event = Event::TaskSubmitted {
                    task,
                    output,
                    time: crate::now(),
                };
                if let Err(e) = runtime.deliver(&recorder_arn, event, None).await {
                    tracing::error!(arn = %recorder_arn, error = %e, "could not record a task's submission");
                }
            }
        });
        let progress = crate::integration::SyncProgress {
            submitted: resumed.is_none().then_some(sender),
            resumed,
        };
        let result = self
            .config
            .integrations
            .invoke_sync(info, request, progress)
            .await;
        // The submission is recorded before the end (the sender went with `progress`).
        if let Err(e) = recorder.await {
            tracing::error!(%arn, error = %e, "a task's submission recorder failed");
        }
        result
    }

    /// Records that a callback task's call was made (its row turns `STARTED`), so recovery
    /// does not make it again.
    async fn mark_called(&self, arn: &str, task_id: TaskId) -> Result<(), crate::StoreError> {
        let Some(handle) = self.live.get(arn) else {
            return Ok(());
        };
        let mut live = handle.lock().await;
        if !live.open_tasks.contains_key(&task_id) {
            return Ok(());
        }
        let Some(mut task) = self.store.task(arn, task_id).await? else {
            return Ok(());
        };
        task.status = TaskStatus::Started;
        task.started_at = Some(crate::now());
        let result = self
            .store
            .commit(
                WriteBatch::new()
                    .with(Op::UpdateTask(task))
                    .in_partition(live.record.partition),
            )
            .await;
        if result.is_ok() {
            // Called: rebuilt from the store, it would wait for the token, not call again.
            if let Some(open) = live.open_tasks.get_mut(&task_id) {
                open.started = true;
            }
        }
        drop(live);
        result
    }
}
