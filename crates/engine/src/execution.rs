//! One execution as a deterministic state machine: `apply(event) -> effects`, with the
//! history it writes. Threads of control ("runs": the top level, each Parallel branch, each
//! Map iteration) live in a slab; a run steps synchronously until it must wait for a task, a
//! timer or its children.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use baton_asl::model::{StateMachine, StateSet};
use baton_asl::vars::SeededEntropy;
use baton_asl::{ErrorName, Failure, Vars};
use serde_json::{Map, Value};

use crate::children::{Children, Sink};
use crate::fanout::Fanout;
use crate::history::{EventDetails, HistoryEvent, Millis, TaskResource};
use crate::signal::{Effect, Event, ExecutionInfo, Outcome, Status, TaskId, TimerId};

/// Limits AWS enforces, configurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Events in one execution's history (AWS: 25,000).
    pub max_history_events: usize,
    /// Bytes of one input, output or result (AWS: 256 KiB).
    pub max_payload_bytes: usize,
    /// Whether a distributed Map's Standard children write histories of their own, which
    /// the caller takes with [`Execution::take_child_histories`] (see `children`). Off, they
    /// run silently inside this execution.
    pub child_executions: bool,
    /// What one event's step may spend evaluating expressions (see `baton_asl::budget`);
    /// `None` leaves the evaluations unbounded.
    pub budget: Option<baton_asl::budget::Budget>,
    /// History one step writes before it yields (16 MiB): past this many bytes of event data
    /// (inputs, outputs, parameters), or [`Limits::step_events`] events (5,000), the step stops
    /// where it is and
    /// continues in a step of its own (an internal timer due at once, which writes no history
    /// event). A loop over a large input would otherwise build gigabytes of history in one
    /// step, before the history limit ends it; the history and the result are the same either
    /// way.
    pub step_history_bytes: usize,
    /// Events one step writes before it yields (see [`Limits::step_history_bytes`]).
    pub step_events: usize,
    /// What Wait states and Retry intervals last, as a share of what the definition says:
    /// Step Functions Local's `WAIT_TIME_SCALE` (1: as written; 0: at once; 0.01: a hundred
    /// times shorter). Timeouts and heartbeats are not scaled.
    pub wait_time_scale: f64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_history_events: 25_000,
            max_payload_bytes: 256 * 1024,
            child_executions: false,
            budget: Some(baton_asl::budget::Budget::default()),
            step_history_bytes: 16 * 1024 * 1024,
            step_events: 5_000,
            wait_time_scale: 1.0,
        }
    }
}

pub(crate) type RunId = usize;

/// The longest an Express execution runs: five minutes.
pub const EXPRESS_MAX_SECONDS: u64 = 5 * 60;

/// How to find a run's `StateSet` from the machine's top level: for each level, the index of
/// the Parallel/Map state and the branch (0 for a Map's processor).
pub(crate) type SetPath = Arc<[(u32, u32)]>;

/// Variables visible in one run: its own, then those of the scopes around it (a snapshot
/// taken when the run was forked; outer variables cannot change while children run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub own: Map<String, Value>,
    pub outer: Option<Arc<Map<String, Value>>>,
}

impl Vars for Scope {
    fn get_var(&self, name: &str) -> Option<&Value> {
        self.own
            .get(name)
            .or_else(|| self.outer.as_ref().and_then(|o| o.get(name)))
    }
}

impl Scope {
    /// Everything visible, for the scope of forked children.
    pub fn snapshot(&self) -> Arc<Map<String, Value>> {
        match &self.outer {
            None => Arc::new(self.own.clone()),
            Some(outer) if self.own.is_empty() => outer.clone(),
            Some(outer) => {
                let mut all = (**outer).clone();
                for (k, v) in &self.own {
                    all.insert(k.clone(), v.clone());
                }
                Arc::new(all)
            }
        }
    }
}

/// What a run is waiting for.
#[derive(Debug)]
pub(crate) enum Pending {
    None,
    Task(TaskWait),
    /// A Wait state's timer; the output is ready.
    Wait {
        timer: TimerId,
        output: Value,
        assigned: Option<Map<String, Value>>,
    },
    /// A retry back-off.
    Backoff {
        timer: TimerId,
    },
    /// Parallel branches or Map iterations.
    Fanout(Box<Fanout>),
    /// A distributed Map's ItemReader or ResultWriter task.
    Io(Box<IoWait>),
}

/// A distributed Map waiting on its item reader or result writer.
#[derive(Debug)]
pub(crate) struct IoWait {
    pub id: TaskId,
    pub kind: IoKind,
}

#[derive(Debug)]
pub(crate) enum IoKind {
    /// Reading the items; the Map starts once they are read.
    Reader,
    /// Writing the `written` results of the map run `map_run_arn`; the Map ends once they
    /// are written.
    Writer { map_run_arn: String, written: u64 },
    /// Writing the `written` results of the map run `map_run_arn`, which failed with `fault`
    /// (`failed` of `total` items); the Map fails once they are written.
    FailedWriter {
        map_run_arn: String,
        written: u64,
        failed: u64,
        total: u64,
        fault: Box<Fault>,
    },
}

#[derive(Debug)]
pub(crate) struct TaskWait {
    pub id: TaskId,
    pub resource: TaskResource,
    pub timeout_timer: Option<TimerId>,
    pub heartbeat: Option<(TimerId, u64)>,
    /// Whether `TaskStarted` was written (at once, but for an activity: when a worker takes it).
    pub started: bool,
    /// `.waitForTaskToken`: AWS writes `TaskSubmitted`, with what the call returned, once.
    pub submitted: bool,
}

/// A thread of control.
#[derive(Debug)]
pub(crate) struct Run {
    pub set: SetPath,
    pub state: usize,
    /// The raw input of the current state.
    pub input: Value,
    /// `input` as JSON text, when the previous state's exit already wrote it.
    pub input_text: Option<String>,
    /// The last event this run wrote (`previousEventId` of its next one).
    pub prev: u64,
    pub scope: Scope,
    /// The parent run and this run's slot in it (branch or iteration index).
    pub parent: Option<(RunId, usize)>,
    pub entered_id: u64,
    /// The `previousEventId` of the state's entered event (`EvaluationFailed` follows it).
    pub entered_prev: u64,
    pub entered_time: Millis,
    /// Retries used so far in the current state, per retrier.
    pub retry_counts: Vec<u32>,
    pub retry_total: u32,
    pub pending: Pending,
    /// Where its events go: this history, a child execution's, or nowhere.
    pub sink: Sink,
}

/// Where a run goes next when it is resumed.
#[derive(Debug)]
pub(crate) enum Action {
    Enter,
    Execute,
    TaskResult(Result<Value, Fault>),
    /// The task's `TimeoutSeconds` or heartbeat deadline passed.
    TaskTimedOut(Fault),
    /// The runtime could not run the task.
    TaskRejected(String),
    WaitElapsed,
    FanoutDone(Result<Value, Fault>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum TimerPurpose {
    Wait(RunId),
    Backoff(RunId),
    TaskTimeout(RunId, TaskId),
    Heartbeat(RunId, TaskId),
    ExecutionTimeout,
    /// A step that wrote as much history as one step may (see [`Limits::step_events`]):
    /// the work left in the ready queue continues when it fires.
    Continue,
}

/// One execution.
pub struct Execution {
    pub(crate) machine: Arc<StateMachine>,
    pub(crate) info: ExecutionInfo,
    pub(crate) input: Value,
    pub(crate) start_time: Millis,
    pub(crate) now: Millis,
    pub(crate) entropy: SeededEntropy,
    pub(crate) limits: Limits,
    history: Vec<HistoryEvent>,
    pub(crate) runs: Vec<Option<Run>>,
    free_runs: Vec<RunId>,
    /// Runs dropped during this drain: their ids are reused only once the ready queue is
    /// empty, so a queued action for a dropped run finds an empty slot and is skipped.
    retired_runs: Vec<RunId>,
    pub(crate) tasks: HashMap<TaskId, RunId>,
    pub(crate) timers: HashMap<TimerId, TimerPurpose>,
    next_id: u64,
    next_handle: u64,
    status: Status,
    outcome: Option<Outcome>,
    pub(crate) effects: Vec<Effect>,
    pub(crate) ready: VecDeque<(RunId, Action)>,
    /// `$$` without its `State` member: built when a state first reads the context object, and
    /// dropped when the execution waits (most executions never need it).
    base_context: std::cell::OnceCell<Map<String, Value>>,
    /// History events handed to the caller by [`Execution::take_history`].
    history_taken: usize,
    /// The id of the last history event written (0: none).
    last_event_id: u64,
    /// Where a redrive continues: the top-level state the execution was in when it failed,
    /// was stopped or timed out, with its input and variables.
    pub(crate) redrive_point: Option<RedrivePoint>,
    /// What each Parallel or Map that failed had finished, by the run it failed in, while that
    /// run lives: what a redrive point takes of it.
    pub(crate) failed_fanouts: HashMap<RunId, FanoutRemains>,
    /// What a redriven Parallel or Map continues, by the run it is entered in.
    pub(crate) resume_fanouts: HashMap<RunId, FanoutRemains>,
    /// The histories of a distributed Map's children, with `Limits::child_executions`.
    pub(crate) children: Children,
    /// History events and bytes of event data written in the current step.
    pub(crate) step_written: (usize, usize),
}

/// A distributed Map's run and how many times it has been redriven.
pub(crate) type MapRunAttempt = (String, u32);

/// Where a run that did not succeed stopped: the state it did not leave, with its input and
/// variables; for a Parallel or Map state, what it had finished. A redrive continues there
/// (AWS: "Step Functions preserves the results … of the successful steps, which are not
/// rerun"; a state is unsuccessful when its `…Exited` event is missing), at every level.
#[derive(Debug, Clone)]
pub(crate) struct RedrivePoint {
    pub state: usize,
    pub input: Value,
    pub scope: Scope,
    pub fanout: Option<FanoutRemains>,
}

/// What a Parallel or Map state had finished when it stopped.
#[derive(Debug, Clone)]
pub(crate) struct FanoutRemains {
    /// The state (in its run's set).
    pub state: usize,
    /// The results of the branches or iterations that succeeded, by slot.
    pub done: Vec<Option<Value>>,
    /// For a distributed Map: its map run and that run's redrives so far.
    pub map_run: Option<MapRunAttempt>,
    /// Where each branch or iteration that started and did not succeed stopped, by slot.
    pub branches: HashMap<usize, RedrivePoint>,
}

impl Execution {
    /// A new execution of `machine`; nothing happens until [`Event::Started`] is applied.
    pub fn new(machine: Arc<StateMachine>, limits: Limits) -> Execution {
        Execution {
            machine,
            info: ExecutionInfo::standard("aws", "us-east-1", "000000000000", "", ""),
            input: Value::Null,
            start_time: 0,
            now: 0,
            entropy: SeededEntropy::new(0),
            limits,
            history: Vec::new(),
            // Most executions have one run: no room reserved for more.
            runs: Vec::with_capacity(1),
            free_runs: Vec::new(),
            retired_runs: Vec::new(),
            tasks: HashMap::new(),
            timers: HashMap::new(),
            next_id: 1,
            next_handle: 0,
            status: Status::Running,
            outcome: None,
            effects: Vec::new(),
            ready: VecDeque::new(),
            base_context: std::cell::OnceCell::new(),
            history_taken: 0,
            last_event_id: 0,
            redrive_point: None,
            failed_fanouts: HashMap::new(),
            resume_fanouts: HashMap::new(),
            children: Children::default(),
            step_written: (0, 0),
        }
    }

    /// Every history event written so far, in order, except those already taken with
    /// [`Execution::take_history`].
    pub fn history(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// Moves the history events written since the last call out of the execution (a durable
    /// driver persists them and keeps no copy). Ids and limits are unaffected.
    pub fn take_history(&mut self) -> Vec<HistoryEvent> {
        self.history_taken += self.history.len();
        std::mem::take(&mut self.history)
    }

    /// How many history events the execution has written in all.
    pub fn history_len(&self) -> usize {
        self.history_taken + self.history.len()
    }

    /// `$$` without its `State` member.
    pub(crate) fn base_context(&self) -> &Map<String, Value> {
        self.base_context
            .get_or_init(|| crate::context::base(&self.info, &self.input, self.start_time))
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// How the execution ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Whether a step may run for long: only a machine that evaluates JSONata can spend more
    /// than a bounded time in one step (up to its budget); any other step ends after at most
    /// the history limit's events, each bounded by the payload limit.
    pub fn may_run_long(&self) -> bool {
        self.machine.uses_jsonata
    }

    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// Applies one event and returns what must happen next. The history events this step
    /// wrote are `history()[before..]`, where `before` is the length before the call.
    pub fn apply(&mut self, event: Event) -> Vec<Effect> {
        let _budget = self.limits.budget.map(baton_asl::budget::enter);
        self.step_written = (0, 0);
        if let Event::Redriven { time } = event {
            if self.can_redrive() {
                self.now = self.now.max(time);
                self.redrive();
                self.drain();
                self.idle();
            }
            return std::mem::take(&mut self.effects);
        }
        if self.status != Status::Running {
            return Vec::new();
        }
        match event {
            Event::Started {
                info,
                input,
                time,
                seed,
            } => self.start(*info, input, time, seed),
            Event::TaskStarted { task, time, worker } => {
                self.now = self.now.max(time);
                self.task_started(task, worker);
            }
            Event::TaskHeartbeat { task, time } => {
                self.now = self.now.max(time);
                self.task_heartbeat(task);
            }
            Event::TaskSubmitted { task, output, time } => {
                self.now = self.now.max(time);
                self.task_submitted(task, &output);
            }
            Event::TaskSucceeded { task, output, time } => {
                self.now = self.now.max(time);
                if let Some(rid) = self.tasks.remove(&task) {
                    self.ready.push_back((rid, Action::TaskResult(Ok(output))));
                }
            }
            Event::TaskFailed {
                task,
                error,
                cause,
                time,
            } => {
                self.now = self.now.max(time);
                if let Some(rid) = self.tasks.remove(&task) {
                    let fault = Fault::new(error, cause);
                    self.ready.push_back((rid, Action::TaskResult(Err(fault))));
                }
            }
            Event::TaskRejected { task, cause, time } => {
                self.now = self.now.max(time);
                if let Some(rid) = self.tasks.remove(&task) {
                    self.ready.push_back((rid, Action::TaskRejected(cause)));
                }
            }
            Event::TimerFired { timer, time } => {
                self.now = self.now.max(time);
                self.timer_fired(timer);
            }
            Event::StopRequested { error, cause, time } => {
                self.now = self.now.max(time);
                self.stop(error, cause);
            }
            Event::Redriven { .. } => {}
            Event::ChildStopRequested {
                execution_arn,
                error,
                cause,
                time,
            } => {
                self.now = self.now.max(time);
                self.stop_child(&execution_arn, error, cause);
            }
            Event::MapRunUpdated {
                map_run_arn,
                max_concurrency,
                tolerated_count,
                tolerated_percentage,
                time,
            } => {
                self.now = self.now.max(time);
                self.update_map_run(
                    &map_run_arn,
                    max_concurrency,
                    tolerated_count,
                    tolerated_percentage,
                );
            }
        }
        self.drain();
        self.idle();
        std::mem::take(&mut self.effects)
    }

    /// Between events: what only a step needs is dropped, so a waiting execution stays small.
    fn idle(&mut self) {
        self.base_context.take();
        // A step that yielded keeps its queue for the step that continues it.
        if self.ready.is_empty() && self.ready.capacity() > 0 {
            self.ready = VecDeque::new();
        }
    }

    fn start(&mut self, info: ExecutionInfo, input: Value, time: Millis, seed: u64) {
        self.info = info;
        self.start_time = time;
        self.now = time;
        self.entropy = SeededEntropy::new(seed);
        self.base_context = std::cell::OnceCell::new();
        let input_text = input.to_string();
        self.input = input.clone();
        self.emit(
            0,
            EventDetails::ExecutionStarted {
                input: input_text,
                role_arn: self.info.role_arn.clone(),
            },
        );
        if let Some(secs) = self.time_limit() {
            let at = time + secs as Millis * 1000;
            self.start_timer(at, TimerPurpose::ExecutionTimeout);
        }
        let start_at = self.machine.states.start_at;
        let root = self.new_run(Run {
            set: Arc::from(Vec::new()),
            state: start_at,
            input,
            input_text: None,
            prev: 0,
            scope: Scope::default(),
            parent: None,
            entered_id: 0,
            entered_prev: 0,
            entered_time: time,
            retry_counts: Vec::new(),
            retry_total: 0,
            pending: Pending::None,
            sink: Sink::Main,
        });
        self.ready.push_back((root, Action::Enter));
    }

    pub(crate) fn drain(&mut self) {
        while let Some((rid, action)) = self.ready.pop_front() {
            if self.status != Status::Running {
                self.ready.clear();
                break;
            }
            if self.runs.get(rid).is_some_and(Option::is_some) {
                self.step(rid, action);
            }
            if !self.ready.is_empty() && self.status == Status::Running && self.step_share_spent() {
                // Yield: what is left runs in a step of its own (see `Limits::step_events`).
                // Retired runs stay retired: queued actions may still name them.
                if !self
                    .timers
                    .values()
                    .any(|p| matches!(p, TimerPurpose::Continue))
                {
                    self.start_timer(self.now, TimerPurpose::Continue);
                }
                return;
            }
        }
        self.free_runs.append(&mut self.retired_runs);
    }

    /// Whether this step wrote as much history as one step may (see `Limits::step_events`).
    pub(crate) fn step_share_spent(&self) -> bool {
        let (events, bytes) = self.step_written;
        events >= self.limits.step_events || bytes >= self.limits.step_history_bytes
    }

    /// Counts an event written in this step toward what one step may write.
    pub(crate) fn note_written(&mut self, details: &EventDetails) {
        self.step_written.0 += 1;
        self.step_written.1 += details.data_len();
    }

    /// Appends a history event and returns its id.
    pub(crate) fn emit(&mut self, prev: u64, details: EventDetails) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.last_event_id = id;
        self.note_written(&details);
        self.history.push(HistoryEvent {
            id,
            previous_event_id: prev,
            timestamp: self.now,
            details,
        });
        id
    }

    /// Appends an event after `prev` to the history `rid` writes to (this one, a child
    /// execution's, or none); returns its id, or `prev` when nothing was written.
    pub(crate) fn emit_for(&mut self, rid: RunId, prev: u64, details: EventDetails) -> u64 {
        match self.run(rid).sink {
            Sink::Main => self.emit(prev, details),
            Sink::Silent => prev,
            Sink::Child(c) => self.emit_child(c, prev, details),
        }
    }

    /// Appends an event that follows the run's last one (see [`Execution::emit_for`]);
    /// returns the run's new last event id.
    pub(crate) fn emit_in(&mut self, rid: RunId, details: EventDetails) -> u64 {
        let prev = self.run(rid).prev;
        let id = self.emit_for(rid, prev, details);
        self.run_mut(rid).prev = id;
        id
    }

    /// True when the history has no room for more events; the caller fails the execution.
    pub(crate) fn history_full(&self) -> bool {
        self.history_len() >= self.limits.max_history_events
    }

    pub(crate) fn new_run(&mut self, run: Run) -> RunId {
        if let Some(rid) = self.free_runs.pop() {
            self.runs[rid] = Some(run);
            rid
        } else {
            self.runs.push(Some(run));
            self.runs.len() - 1
        }
    }

    pub(crate) fn drop_run(&mut self, rid: RunId) -> Option<Run> {
        let run = self.runs.get_mut(rid).and_then(Option::take);
        if run.is_some() {
            self.retired_runs.push(rid);
            self.failed_fanouts.remove(&rid);
            self.resume_fanouts.remove(&rid);
        }
        run
    }

    /// Where the live run `rid` stands, for a redrive: its state, input and variables, and for
    /// a Parallel or Map what it finished and where its unfinished branches stand (the running
    /// ones included).
    pub(crate) fn point_of(&self, rid: RunId) -> Option<RedrivePoint> {
        let run = self.runs.get(rid)?.as_ref()?;
        let fanout = match &run.pending {
            Pending::Fanout(f) => {
                let mut branches = f.stopped_branches.clone();
                for (slot, child) in &f.running {
                    if let Some(p) = self.point_of(*child) {
                        branches.insert(*slot, p);
                    }
                }
                Some(FanoutRemains {
                    state: run.state,
                    done: f.succeeded(),
                    map_run: f.map_run_arn.clone().map(|a| (a, f.map_run_redrives)),
                    branches,
                })
            }
            _ => self
                .failed_fanouts
                .get(&rid)
                .filter(|r| r.state == run.state)
                .cloned(),
        };
        Some(RedrivePoint {
            state: run.state,
            input: run.input.clone(),
            scope: run.scope.clone(),
            fanout,
        })
    }

    pub(crate) fn run(&self, rid: RunId) -> &Run {
        self.runs[rid].as_ref().expect("live run")
    }

    pub(crate) fn run_mut(&mut self, rid: RunId) -> &mut Run {
        self.runs[rid].as_mut().expect("live run")
    }

    /// `at`, a Wait's end or a retry's, brought closer by [`Limits::wait_time_scale`].
    pub(crate) fn scaled(&self, at: Millis) -> Millis {
        let scale = self.limits.wait_time_scale;
        if scale == 1.0 || !scale.is_finite() || scale < 0.0 || at <= self.now {
            return at;
        }
        self.now + ((at - self.now) as f64 * scale).round() as Millis
    }

    pub(crate) fn start_timer(&mut self, at: Millis, purpose: TimerPurpose) -> TimerId {
        let id = self.next_timer_id();
        self.timers.insert(id, purpose);
        self.effects.push(Effect::StartTimer { timer: id, at });
        id
    }

    /// Timers and tasks draw ids from one counter: unique, never reused (a late event for a
    /// cancelled timer must not hit a new one), and deterministic.
    fn next_timer_id(&mut self) -> TimerId {
        self.next_handle += 1;
        self.next_handle
    }

    pub(crate) fn next_task_id(&mut self) -> TaskId {
        self.next_timer_id()
    }

    pub(crate) fn cancel_timer(&mut self, timer: TimerId) {
        if self.timers.remove(&timer).is_some() {
            self.effects.push(Effect::CancelTimer(timer));
        }
    }

    /// Resolves a run's state set.
    pub(crate) fn set_of<'m>(machine: &'m StateMachine, path: &[(u32, u32)]) -> &'m StateSet {
        let mut set = &machine.states;
        for &(state, branch) in path {
            set = match &set.states[state as usize].kind {
                baton_asl::model::StateKind::Parallel(p) => &p.branches[branch as usize],
                baton_asl::model::StateKind::Map(m) => &m.processor,
                _ => unreachable!("set paths only go through Parallel and Map states"),
            };
        }
        set
    }

    /// How long the execution may run, in seconds: the definition's `TimeoutSeconds`, and for
    /// an Express execution at most five minutes ("Maximum duration: Express 5 minutes",
    /// choosing-workflow-type). Past it the execution times out as past `TimeoutSeconds`.
    /// (A Standard execution's year is left unenforced: it would cost every execution a
    /// durable timer.)
    fn time_limit(&self) -> Option<u64> {
        if self.info.express {
            let most = EXPRESS_MAX_SECONDS;
            Some(self.machine.timeout_seconds.map_or(most, |t| t.min(most)))
        } else {
            self.machine.timeout_seconds
        }
    }

    fn timer_fired(&mut self, timer: TimerId) {
        let Some(purpose) = self.timers.remove(&timer) else {
            return;
        };
        match purpose {
            TimerPurpose::Wait(rid) => self.ready.push_back((rid, Action::WaitElapsed)),
            TimerPurpose::Backoff(rid) => self.ready.push_back((rid, Action::Execute)),
            TimerPurpose::TaskTimeout(rid, task) | TimerPurpose::Heartbeat(rid, task) => {
                if self.tasks.remove(&task).is_some() {
                    self.effects.push(Effect::CancelTask(task));
                    // AWS reports a missed heartbeat as `States.Timeout` too.
                    let fault = Fault {
                        error: Some(ErrorName::Timeout),
                        cause: None,
                        evaluation: false,
                        terminal: false,
                        heartbeat: matches!(purpose, TimerPurpose::Heartbeat(..)),
                    };
                    self.ready.push_back((rid, Action::TaskTimedOut(fault)));
                }
            }
            // The queue the yielding step left is drained after this.
            TimerPurpose::Continue => {}
            TimerPurpose::ExecutionTimeout => {
                let prev = self.last_event_id;
                self.capture_root();
                self.abort_all();
                self.emit(
                    prev,
                    EventDetails::ExecutionTimedOut {
                        error: None,
                        cause: None,
                    },
                );
                self.finish(Status::TimedOut, None, None, None);
            }
        }
    }

    fn task_started(&mut self, task: TaskId, worker: Option<String>) {
        self.task_event_once(
            task,
            |w| &mut w.started,
            |resource| EventDetails::TaskStarted {
                resource,
                worker_name: worker,
            },
        );
    }

    /// `TaskSubmitted` (as AWS writes it after the call of a `.waitForTaskToken` task returns,
    /// before the callback: the recorded histories show `TaskScheduled`, `TaskStarted`,
    /// `TaskSubmitted`, then `TaskSucceeded`, `TaskFailed` or `TaskTimedOut`), once per task.
    fn task_submitted(&mut self, task: TaskId, output: &Value) {
        self.task_event_once(
            task,
            |w| &mut w.submitted,
            |resource| EventDetails::TaskSubmitted {
                resource,
                output: output.to_string(),
            },
        );
    }

    /// Writes the history event `details` makes for the open task `task`, unless the flag
    /// `written` picks says it was written already (and then sets it).
    fn task_event_once(
        &mut self,
        task: TaskId,
        written: impl Fn(&mut TaskWait) -> &mut bool,
        details: impl FnOnce(TaskResource) -> EventDetails,
    ) {
        let Some(&rid) = self.tasks.get(&task) else {
            return;
        };
        let run = self.run_mut(rid);
        let Pending::Task(w) = &mut run.pending else {
            return;
        };
        if *written(w) {
            return;
        }
        let resource = w.resource.clone();
        let prev = run.prev;
        let id = self.emit_for(rid, prev, details(resource));
        let run = self.run_mut(rid);
        run.prev = id;
        if let Pending::Task(w) = &mut run.pending {
            *written(w) = true;
        }
    }

    fn task_heartbeat(&mut self, task: TaskId) {
        let Some(&rid) = self.tasks.get(&task) else {
            return;
        };
        let now = self.now;
        let hb = match &self.run(rid).pending {
            Pending::Task(w) => w.heartbeat,
            _ => None,
        };
        if let Some((timer, secs)) = hb {
            self.cancel_timer(timer);
            let new = self.start_timer(
                now + secs as Millis * 1000,
                TimerPurpose::Heartbeat(rid, task),
            );
            if let Pending::Task(w) = &mut self.run_mut(rid).pending {
                w.heartbeat = Some((new, secs));
            }
        }
    }

    fn stop(&mut self, error: Option<String>, cause: Option<String>) {
        self.capture_root();
        self.abort_all();
        // AWS chains `ExecutionAborted` to nothing (previousEventId 0).
        self.emit(
            0,
            EventDetails::ExecutionAborted {
                error: error.clone(),
                cause: cause.clone(),
            },
        );
        self.finish(Status::Aborted, None, error, cause);
    }

    /// Cancels every task and timer of the execution.
    fn abort_all(&mut self) {
        let mut tasks: Vec<TaskId> = self.tasks.drain().map(|(t, _)| t).collect();
        tasks.sort_unstable();
        for t in tasks {
            self.effects.push(Effect::CancelTask(t));
        }
        let mut timers: Vec<TimerId> = self.timers.drain().map(|(t, _)| t).collect();
        timers.sort_unstable();
        for t in timers {
            self.effects.push(Effect::CancelTimer(t));
        }
    }

    /// Records the end of the execution.
    pub(crate) fn finish(
        &mut self,
        status: Status,
        output: Option<String>,
        error: Option<String>,
        cause: Option<String>,
    ) {
        self.abort_all();
        self.abort_open_children();
        self.status = status;
        let outcome = Outcome {
            status,
            output,
            error,
            cause,
        };
        self.outcome = Some(outcome.clone());
        self.effects.push(Effect::Finished(outcome));
        self.ready.clear();
    }

    /// The top-level run ended.
    pub(crate) fn root_done(&mut self, prev: u64, result: Result<Value, Fault>) {
        match result {
            Ok(output) => {
                let text = output.to_string();
                self.emit(
                    prev,
                    EventDetails::ExecutionSucceeded {
                        output: text.clone(),
                    },
                );
                self.finish(Status::Succeeded, Some(text), None, None);
            }
            Err(f) => {
                let (error, cause) = (f.error_text(), f.cause.clone());
                self.emit(
                    prev,
                    EventDetails::ExecutionFailed {
                        error: error.clone(),
                        cause: cause.clone(),
                    },
                );
                self.finish(Status::Failed, None, error, cause);
            }
        }
    }

    /// The execution fails at once (history limit, internal inconsistency).
    pub(crate) fn fail_execution(&mut self, failure: Fault) {
        let prev = self.last_event_id;
        self.root_done(prev, Err(failure));
    }

    /// Remembers where the top-level run is, before an abort or a timeout drops it.
    fn capture_root(&mut self) {
        let root = self
            .runs
            .iter()
            .enumerate()
            .find(|(_, r)| {
                r.as_ref()
                    .is_some_and(|r| r.parent.is_none() && r.sink == Sink::Main)
            })
            .map(|(rid, _)| rid);
        if let Some(point) = root.and_then(|rid| self.point_of(rid)) {
            self.redrive_point = Some(point);
        }
    }

    /// The map runs a redrive would continue: every distributed Map that did not succeed on
    /// the way to where the execution stopped.
    pub fn map_runs_to_redrive(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack: Vec<&RedrivePoint> = self.redrive_point.iter().collect();
        while let Some(point) = stack.pop() {
            if let Some(f) = &point.fanout {
                if let Some((arn, _)) = &f.map_run {
                    out.push(arn.as_str());
                }
                stack.extend(f.branches.values());
            }
        }
        out
    }

    /// Whether `Event::Redriven` would continue this execution: it failed, was stopped or
    /// timed out in a state, and its history has room for more.
    pub fn can_redrive(&self) -> bool {
        matches!(
            self.status,
            Status::Failed | Status::Aborted | Status::TimedOut
        ) && self.redrive_point.is_some()
            && !self.history_full()
    }

    /// Continues an unsuccessful execution at the top-level state it did not leave, with that
    /// state's input and variables. The execution timeout starts again.
    ///
    /// A Parallel or Map state is entered again and runs only the branches or iterations that
    /// did not succeed, each from the state it did not leave, at every level of nesting.
    fn redrive(&mut self) {
        let Some(point) = self.redrive_point.take() else {
            return;
        };
        self.status = Status::Running;
        self.outcome = None;
        self.info.redrive_count += 1;
        self.base_context = std::cell::OnceCell::new();
        let prev = self.last_event_id;
        let id = self.emit(
            prev,
            EventDetails::ExecutionRedriven {
                redrive_count: self.info.redrive_count,
            },
        );
        if let Some(secs) = self.time_limit() {
            let at = self.now + secs as Millis * 1000;
            self.start_timer(at, TimerPurpose::ExecutionTimeout);
        }
        let now = self.now;
        let root = self.new_run(Run {
            set: Arc::from(Vec::new()),
            state: point.state,
            input: point.input,
            input_text: None,
            prev: id,
            scope: point.scope,
            parent: None,
            entered_id: 0,
            entered_prev: 0,
            entered_time: now,
            retry_counts: Vec::new(),
            retry_total: 0,
            pending: Pending::None,
            sink: Sink::Main,
        });
        if let Some(fanout) = point.fanout {
            self.resume_fanouts.insert(root, fanout);
        }
        self.ready.push_back((root, Action::Enter));
    }
}

/// A failure inside the engine. AWS writes no `error` or `cause` member when a state raised
/// none (a Fail state without `Error`, a task failing without a name), so both are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub error: Option<ErrorName>,
    pub cause: Option<String>,
    /// Raised while evaluating a JSONata expression of the state (not by a task): AWS writes
    /// an `EvaluationFailed` event for these before the failure propagates.
    pub evaluation: bool,
    /// Raised by the engine itself for a limit (a state's output too large): no Retry or
    /// Catch sees it. (The same error name reported by a task is an ordinary error.)
    pub terminal: bool,
    /// A missed heartbeat: reported as `States.Timeout`, and also matched by a Retry or Catch
    /// that names `States.HeartbeatTimeout` ("A Task state failed to send a heartbeat for a
    /// period longer than the HeartbeatSeconds value … only available inside the Catch and
    /// Retry fields": AWS's error names, concepts-error-handling).
    pub heartbeat: bool,
}

impl Fault {
    pub fn new(error: Option<String>, cause: Option<String>) -> Fault {
        Fault {
            error: error.map(|e| ErrorName::parse(&e)),
            cause,
            evaluation: false,
            terminal: false,
            heartbeat: false,
        }
    }

    pub fn of(error: ErrorName, cause: impl Into<String>) -> Fault {
        Fault {
            error: Some(error),
            cause: Some(cause.into()),
            evaluation: false,
            terminal: false,
            heartbeat: false,
        }
    }

    /// A state's data over the payload limit: `States.DataLimitExceeded` with the cause AWS
    /// writes for a result over it, which no Retry or Catch sees.
    pub fn result_too_large(state: &str) -> Fault {
        let mut fault = Fault::of(
            ErrorName::DataLimitExceeded,
            format!(
                "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        );
        fault.terminal = true;
        fault
    }

    /// The name `ErrorEquals` is matched against.
    pub fn name(&self) -> ErrorName {
        self.error
            .clone()
            .unwrap_or_else(|| ErrorName::Custom(String::new()))
    }

    /// True when a Retry's or Catch's `ErrorEquals` takes this failure: by its name, and a
    /// missed heartbeat by `States.HeartbeatTimeout` as well. (`States.TaskFailed` never
    /// takes it: a heartbeat timeout is a timeout.)
    pub fn caught_by(&self, error_equals: &[ErrorName]) -> bool {
        baton_asl::model::error_matches(error_equals, &self.name())
            || (self.heartbeat && error_equals.contains(&ErrorName::HeartbeatTimeout))
    }

    pub fn error_text(&self) -> Option<String> {
        self.error.as_ref().map(|e| e.as_str().to_string())
    }
}

impl From<Failure> for Fault {
    fn from(f: Failure) -> Fault {
        let evaluation = matches!(f.error, ErrorName::QueryEvaluationError);
        Fault {
            error: Some(f.error),
            cause: Some(f.cause),
            evaluation,
            terminal: false,
            heartbeat: false,
        }
    }
}
