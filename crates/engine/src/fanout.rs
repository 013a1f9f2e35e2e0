//! Parallel branches and Map iterations: forking child runs, MaxConcurrency, tolerated
//! failures, and joining their results in order.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use baton_asl::jackson;
use baton_asl::jsonata::JsonType;
use baton_asl::model::{
    BatchInput, DataFlow, Dynamic, ItemSelector, Map as MapState, MapMode, State, StateKind,
    StateSet,
};
use baton_asl::vars::Entropy;
use baton_asl::ErrorName;
use serde_json::{Map, Value};

use crate::children::{EndedChild, Sink};
use crate::context::{self, StateContext};
use crate::dataflow::{error_output, Ctx};
use crate::distributed::ChildMeta;
use crate::execution::{
    Action, Execution, Fault, Pending, RedrivePoint, Run, RunId, Scope, SetPath,
};
use crate::history::EventDetails;
use crate::states::Step;

#[derive(Debug)]
pub(crate) struct Fanout {
    pub is_map: bool,
    /// Distributed Map: children write no events in this history.
    pub distributed: bool,
    pub results: Vec<Option<Value>>,
    /// Iterations not started yet.
    pub queue: VecDeque<(usize, Value)>,
    /// Running children by slot.
    /// Running children by slot (ordered, so aborts happen in slot order).
    pub running: BTreeMap<usize, RunId>,
    pub max_concurrency: usize,
    pub failures: usize,
    pub tolerated_count: Option<u64>,
    pub tolerated_percentage: Option<f64>,
    /// A distributed Map's bad tolerance setting, raised once `MapStateStarted` is written.
    pub tolerance_error: Option<Fault>,
    /// The event the next iteration's first event follows.
    pub last_child_event: u64,
    /// The latest `MapIterationSucceeded`, which `MapStateSucceeded` follows.
    pub last_done_event: u64,
    pub set: SetPath,
    pub scope: Arc<Map<String, Value>>,
    /// A distributed Map's run, once `MapRunStarted` is written.
    pub map_run_arn: Option<String>,
    /// How many times that map run has been redriven.
    pub map_run_redrives: u32,
    /// For a redriven map run: the children that did not succeed, by slot, to continue.
    pub redriven_children: HashMap<usize, EndedChild>,
    /// Where each branch or iteration that did not succeed stopped, by slot.
    pub stopped_branches: HashMap<usize, RedrivePoint>,
    /// For a redriven state: where each branch or iteration to continue stopped, by slot.
    pub resume: HashMap<usize, RedrivePoint>,
    /// Slots whose child failed (their result, if any, is the error output).
    pub failed_slots: Vec<usize>,
    /// A distributed Map with a `ResultWriter`: what it writes of each child execution.
    pub export: Option<Vec<ChildMeta>>,
    /// A distributed Map whose children write histories of their own (see `children`).
    pub child_executions: bool,
}

/// The most times one map run may be redriven (AWS's "Redriving Map Runs": a hard limit).
pub const MAP_RUN_REDRIVE_LIMIT: u32 = 1_000;

impl Fanout {
    /// The results of the children that succeeded, by slot: what a redrive keeps.
    pub(crate) fn succeeded(&self) -> Vec<Option<Value>> {
        self.results
            .iter()
            .enumerate()
            .map(|(i, r)| r.clone().filter(|_| !self.failed_slots.contains(&i)))
            .collect()
    }
}

impl Execution {
    pub(crate) fn start_fanout(&mut self, rid: RunId, state: &State, _set: &StateSet) -> Step {
        if let StateKind::Map(m) = &state.kind {
            if let (MapMode::Distributed, Some(reader)) = (m.mode, &m.item_reader) {
                return self.start_reader(rid, state, reader);
            }
        }
        self.start_fanout_with(rid, state, None)
    }

    /// Starts the branches or iterations; `read` holds the items an ItemReader read.
    pub(crate) fn start_fanout_with(
        &mut self,
        rid: RunId,
        state: &State,
        read: Option<Vec<Value>>,
    ) -> Step {
        let prepared = self.prepare_fanout(rid, state, read);
        let (inputs, mut fanout) = match prepared {
            Ok(p) => p,
            Err(f) => return Step::Fail(f),
        };
        let started = if fanout.is_map {
            EventDetails::MapStateStarted {
                length: inputs.len(),
            }
        } else {
            EventDetails::ParallelStateStarted
        };
        let mut last = self.emit_in(rid, started);
        if let Some(fault) = fanout.tolerance_error.take() {
            return Step::Fail(fault);
        }
        // A redrive continues a distributed Map's run that did not succeed: the same map run,
        // redriven (AWS's "Redriving Map Runs": a redriven parent redrives its Map Run, up to
        // 1,000 times per run).
        let state_idx = self.run(rid).state;
        let resumed = self
            .resume_fanouts
            .remove(&rid)
            .filter(|r| r.state == state_idx);
        let redriven = match resumed.as_ref().and_then(|r| r.map_run.clone()) {
            Some(run) if fanout.distributed => Some(run),
            _ => None,
        };
        if let Some((arn, redrives)) = redriven {
            if redrives >= MAP_RUN_REDRIVE_LIMIT {
                // "You haven't exceeded the hard limit of 1000 redrives of a given Map Run. If
                // you've exceeded this limit, you'll see the States.Runtime error." (AWS's
                // "Redriving Map Runs", redrive eligibility).
                let message = format!(
                    "The Map Run '{arn}' cannot be redriven: it has reached the limit of \
                     {MAP_RUN_REDRIVE_LIMIT} redrives."
                );
                // What the earlier attempts finished stays for a later look (and is the same
                // point a further redrive stops at).
                if let Some(r) = resumed {
                    self.failed_fanouts.insert(rid, r);
                }
                return Step::Terminal(self.runtime_fault(rid, state, &message));
            }
            fanout.map_run_redrives = redrives + 1;
            fanout.redriven_children = self.children.unsuccessful.remove(&arn).unwrap_or_default();
            last = self.emit_in(
                rid,
                EventDetails::MapRunRedriven {
                    map_run_arn: arn.clone(),
                    redrive_count: fanout.map_run_redrives,
                },
            );
            fanout.map_run_arn = Some(arn);
        } else if fanout.distributed {
            let label = match &state.kind {
                StateKind::Map(m) => m.label.clone(),
                _ => None,
            };
            let run_id = self.entropy.uuid_v4();
            let name = label.unwrap_or_else(|| self.entropy.uuid_v4());
            let arn = format!(
                "arn:{}:states:{}:{}:mapRun:{}/{}:{}",
                self.info.partition,
                self.info.region,
                self.info.account,
                self.info.state_machine_name,
                name,
                run_id
            );
            last = self.emit_in(
                rid,
                EventDetails::MapRunStarted {
                    map_run_arn: arn.clone(),
                    items: inputs.len() as u64,
                    max_concurrency: fanout.max_concurrency as u64,
                    tolerated_count: fanout.tolerated_count,
                    tolerated_percentage: fanout.tolerated_percentage,
                },
            );
            fanout.map_run_arn = Some(arn);
        }
        if fanout.distributed {
            // Express children are not recorded, on AWS either (their histories go to logs).
            fanout.child_executions = self.limits.child_executions
                && self.run(rid).sink == Sink::Main
                && !matches!(&state.kind,
                    StateKind::Map(m) if m.execution_type.as_deref() == Some("EXPRESS"));
            if matches!(&state.kind, StateKind::Map(m) if m.result_writer.is_some()) {
                fanout.export = Some(inputs.iter().map(ChildMeta::new).collect());
            }
        }
        fanout.last_child_event = last;
        fanout.last_done_event = last;
        fanout.results = vec![None; inputs.len()];
        fanout.queue = inputs.into_iter().enumerate().collect();
        // A redrive keeps what succeeded in the attempt before, if the state has the same
        // branches or items, and continues the others where they stopped.
        if let Some(r) = resumed {
            if r.done.len() == fanout.results.len() {
                fanout.results = r.done;
                let results = &fanout.results;
                fanout.queue.retain(|(slot, _)| results[*slot].is_none());
                fanout.resume = r.branches;
            }
        }
        if fanout.queue.is_empty() {
            self.run_mut(rid).pending = Pending::Fanout(Box::new(fanout));
            return self.join(rid, state);
        }
        self.run_mut(rid).pending = Pending::Fanout(Box::new(fanout));
        self.launch(rid, state);
        Step::Block
    }

    /// Evaluates the state's input side: branch input, or the Map's items and settings.
    fn prepare_fanout(
        &mut self,
        rid: RunId,
        state: &State,
        read: Option<Vec<Value>>,
    ) -> Result<(Vec<Value>, Fanout), Fault> {
        let context = self.context_for(rid, state, None);
        let run = self.runs[rid].as_ref().expect("live run");
        let ctx = Ctx::of(run, state, &context, self.now);
        let entropy = &mut self.entropy;
        let raw = run.input.clone();
        let state_index = run.state as u32;
        let mut path: Vec<(u32, u32)> = run.set.to_vec();
        let scope = run.scope.snapshot();
        let base = Fanout {
            is_map: false,
            distributed: false,
            results: Vec::new(),
            queue: VecDeque::new(),
            running: BTreeMap::new(),
            max_concurrency: 0,
            failures: 0,
            tolerated_count: None,
            tolerated_percentage: None,
            tolerance_error: None,
            last_child_event: 0,
            last_done_event: 0,
            set: Arc::from(Vec::new()),
            scope,
            map_run_arn: None,
            map_run_redrives: 0,
            redriven_children: HashMap::new(),
            stopped_branches: HashMap::new(),
            resume: HashMap::new(),
            failed_slots: Vec::new(),
            export: None,
            child_executions: false,
        };
        match &state.kind {
            StateKind::Parallel(p) => {
                let input = match &state.flow {
                    DataFlow::JsonPath(flow) => {
                        let effective = ctx.select(&flow.input_path, raw)?;
                        match &flow.parameters {
                            Some(t) => ctx.template(t, &effective, entropy)?,
                            None => effective,
                        }
                    }
                    DataFlow::Jsonata(flow) => match &flow.arguments {
                        Some(t) => {
                            let states = ctx.states(&raw, None, None);
                            ctx.jsonata(t, "Arguments", &states, entropy)?
                        }
                        None => raw,
                    },
                };
                path.push((state_index, 0));
                let n = p.branches.len();
                Ok((
                    vec![input; n],
                    Fanout {
                        set: Arc::from(path),
                        ..base
                    },
                ))
            }
            StateKind::Map(m) => {
                let from_reader = read.is_some();
                let (items, input) = map_items(&ctx, state, m, raw, read, entropy)?;
                // Items an expression computed are state data like any other, so they are held
                // to the payload limit a state's result is (a JSONata `Items` such as
                // `[1..1000000]` would otherwise start a run per item). Not from a recording:
                // the cause is the one AWS gives for a result over the limit.
                if !from_reader && serialized_len(&items) > self.limits.max_payload_bytes {
                    return Err(Fault::result_too_large(&state.name));
                }
                let max_concurrency = ctx
                    .count(
                        m.max_concurrency.as_ref(),
                        "MaxConcurrency",
                        &input,
                        entropy,
                    )?
                    .unwrap_or(0) as usize;
                // A distributed Map reads its tolerance when its map run starts, after
                // `MapStateStarted`: an error there is reported after that event.
                let tolerance = ctx
                    .count(
                        m.tolerated_failure_count.as_ref(),
                        "ToleratedFailureCount",
                        &input,
                        entropy,
                    )
                    .and_then(|count| Ok((count, tolerated_percentage(&ctx, &input, m, entropy)?)));
                let distributed = m.mode == MapMode::Distributed;
                let (tolerated_count, tolerated_percentage, tolerance_error) = match tolerance {
                    Ok((c, p)) => (c, p, None),
                    Err(f) if distributed => (None, None, Some(f)),
                    Err(f) => return Err(f),
                };
                let selector_input = input;
                let inputs = select_items(&ctx, state, m, items, &selector_input, entropy)?;
                path.push((state_index, 0));
                Ok((
                    inputs,
                    Fanout {
                        is_map: true,
                        distributed,
                        max_concurrency,
                        tolerated_count,
                        tolerated_percentage,
                        tolerance_error,
                        set: Arc::from(path),
                        ..base
                    },
                ))
            }
            _ => unreachable!("a Parallel or Map state"),
        }
    }

    /// Starts children up to MaxConcurrency.
    /// New limits for the running distributed Map `map_run_arn`; a higher concurrency starts
    /// more children at once.
    pub(crate) fn update_map_run(
        &mut self,
        map_run_arn: &str,
        max_concurrency: Option<u64>,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
    ) {
        let found = self.runs.iter().position(|r| {
            r.as_ref().is_some_and(|r| {
                matches!(&r.pending, Pending::Fanout(f)
                    if f.map_run_arn.as_deref() == Some(map_run_arn))
            })
        });
        let Some(rid) = found else { return };
        if let Pending::Fanout(f) = &mut self.run_mut(rid).pending {
            if let Some(n) = max_concurrency {
                f.max_concurrency = usize::try_from(n).unwrap_or(usize::MAX);
            }
            if tolerated_count.is_some() {
                f.tolerated_count = tolerated_count;
            }
            if tolerated_percentage.is_some() {
                f.tolerated_percentage = tolerated_percentage;
            }
        }
        let machine = self.machine.clone();
        let run = self.run(rid);
        let set = Execution::set_of(&machine, &run.set);
        let state = &set.states[run.state];
        self.launch(rid, state);
    }

    fn launch(&mut self, rid: RunId, state: &State) {
        let machine = self.machine.clone();
        let parent_sink = self.run(rid).sink;
        loop {
            let Pending::Fanout(f) = &mut self.run_mut(rid).pending else {
                return;
            };
            let limit = if f.max_concurrency == 0 {
                usize::MAX
            } else {
                f.max_concurrency
            };
            if f.running.len() >= limit {
                return;
            }
            let Some((slot, input)) = f.queue.pop_front() else {
                return;
            };
            let (is_map, set) = (f.is_map, f.set.clone());
            let distributed = f.distributed;
            let recorded = f.child_executions;
            let scope = f.scope.clone();
            let mut prev = f.last_child_event;
            if is_map && !distributed {
                prev = self.emit_for(
                    rid,
                    prev,
                    EventDetails::MapIterationStarted {
                        index: slot,
                        name: state.name.clone(),
                    },
                );
            }
            // Every Map iteration runs the same processor; a Parallel branch is its own set.
            let branch_set = if is_map {
                set
            } else {
                let mut p = set.to_vec();
                if let Some(last) = p.last_mut() {
                    last.1 = slot as u32;
                }
                Arc::<[(u32, u32)]>::from(p)
            };
            let start_at = Execution::set_of(&machine, &branch_set).start_at;
            // A redriven branch or iteration continues from the state it did not leave; a
            // distributed Map's Express children start again ("restarted using the
            // StartExecution API action", AWS's redrive of Map Runs).
            let express_children = distributed
                && matches!(&state.kind,
                    StateKind::Map(m) if m.execution_type.as_deref() == Some("EXPRESS"));
            let resume = match &mut self.run_mut(rid).pending {
                Pending::Fanout(f) => f.resume.remove(&slot),
                _ => None,
            }
            .filter(|_| !express_children);
            let (state_at, input, scope, nested) = match resume {
                Some(p) => (p.state, p.input, p.scope, p.fanout),
                None => (
                    start_at,
                    input,
                    Scope {
                        own: Map::new(),
                        outer: Some(scope),
                    },
                    None,
                ),
            };
            let child = self.new_run(Run {
                set: branch_set,
                state: state_at,
                input,
                input_text: None,
                prev,
                scope,
                parent: Some((rid, slot)),
                entered_id: 0,
                entered_prev: 0,
                entered_time: self.now,
                retry_counts: Vec::new(),
                retry_total: 0,
                pending: Pending::None,
                // A recorded child's own history is opened below, once the run has its id.
                sink: if distributed {
                    Sink::Silent
                } else {
                    parent_sink
                },
            });
            let now = self.now;
            let (named, map_run_arn) = match &self.run(rid).pending {
                Pending::Fanout(f) => (f.export.is_some() || recorded, f.map_run_arn.clone()),
                _ => (false, None),
            };
            // A redrive continues the child that did not succeed in this slot, if there is one.
            let ended = match &mut self.run_mut(rid).pending {
                Pending::Fanout(f) => f.redriven_children.remove(&slot),
                _ => None,
            };
            let name = match &ended {
                Some(e) => Some(e.name().to_string()),
                None => named.then(|| self.entropy.uuid_v4()),
            };
            if let (true, Some(arn), Some(name)) = (recorded, &map_run_arn, &name) {
                let (c, started) = match ended {
                    Some(e) => self.reopen_child(arn, e, (child, slot)),
                    None => {
                        let input = self.run(child).input.clone();
                        self.open_child(arn, name.clone(), &input, (child, slot))
                    }
                };
                let run = self.run_mut(child);
                run.sink = Sink::Child(c);
                run.prev = started;
            }
            if let Pending::Fanout(f) = &mut self.run_mut(rid).pending {
                f.running.insert(slot, child);
                if let Some(meta) = f.export.as_mut().and_then(|e| e.get_mut(slot)) {
                    meta.started(name.unwrap_or_default(), now);
                }
            }
            if let Some(nested) = nested {
                self.resume_fanouts.insert(child, nested);
            }
            self.ready.push_back((child, Action::Enter));
        }
    }

    /// A child run ended.
    pub(crate) fn child_done(
        &mut self,
        parent: RunId,
        slot: usize,
        last: u64,
        result: Result<Value, Fault>,
    ) {
        let machine = self.machine.clone();
        let (set_path, state_idx) = {
            let run = self.run(parent);
            (run.set.clone(), run.state)
        };
        let state = &Execution::set_of(&machine, &set_path).states[state_idx];
        let now = self.now;
        let Pending::Fanout(f) = &mut self.run_mut(parent).pending else {
            return;
        };
        f.running.remove(&slot);
        if let Some(meta) = f.export.as_mut().and_then(|e| e.get_mut(slot)) {
            meta.stopped(now, result.as_ref().err());
        }
        let is_map = f.is_map;
        let distributed = f.distributed;
        let Pending::Fanout(f) = &mut self.run_mut(parent).pending else {
            return;
        };
        let name = state.name.clone();
        match result {
            Ok(output) => {
                if let Some(r) = f.results.get_mut(slot) {
                    *r = Some(output);
                }
                f.last_child_event = last;
                if is_map && !distributed {
                    let id = self.emit_for(
                        parent,
                        last,
                        EventDetails::MapIterationSucceeded { index: slot, name },
                    );
                    if let Pending::Fanout(f) = &mut self.run_mut(parent).pending {
                        f.last_done_event = id;
                    }
                } else if let Pending::Fanout(f) = &mut self.run_mut(parent).pending {
                    f.last_done_event = last;
                }
            }
            Err(fault) => {
                let tolerated = is_map && {
                    f.failures += 1;
                    let total = f.results.len().max(1);
                    let within_count = f.tolerated_count.is_some_and(|c| f.failures as u64 <= c);
                    let within_pct = f
                        .tolerated_percentage
                        .is_some_and(|p| (f.failures as f64) * 100.0 / total as f64 <= p);
                    within_count || within_pct
                };
                let has_tolerance = f.tolerated_count.is_some() || f.tolerated_percentage.is_some();
                if let Some(r) = f.results.get_mut(slot) {
                    *r = Some(error_output(&fault));
                }
                f.failed_slots.push(slot);
                f.last_child_event = last;
                f.last_done_event = last;
                if is_map && !distributed {
                    self.emit_for(
                        parent,
                        last,
                        EventDetails::MapIterationFailed { index: slot, name },
                    );
                }
                if !tolerated {
                    self.abort_children(parent, state);
                    if let Some(remains) = self.point_of(parent).and_then(|p| p.fanout) {
                        self.failed_fanouts.insert(parent, remains);
                    }
                    let fault = if is_map && has_tolerance {
                        Fault::of(
                            ErrorName::ExceedToleratedFailureThreshold,
                            "The specified tolerated failure threshold was exceeded",
                        )
                    } else {
                        fault
                    };
                    self.run_mut(parent).prev = last;
                    let Pending::Fanout(f) =
                        std::mem::replace(&mut self.run_mut(parent).pending, Pending::None)
                    else {
                        return;
                    };
                    let counts = (f.failures as u64, f.results.len() as u64);
                    let map_run_arn = f.map_run_arn.clone();
                    let fault = match self.export_failed_results(parent, state, *f, counts, fault) {
                        Ok(()) => return,
                        Err(fault) => fault,
                    };
                    if let Some(map_run_arn) = map_run_arn {
                        self.emit_in(
                            parent,
                            EventDetails::MapRunFailed {
                                map_run_arn,
                                failed: counts.0,
                                total: counts.1,
                                results_written: 0,
                                error: fault.error_text(),
                                cause: fault.cause.clone(),
                            },
                        );
                    }
                    self.ready
                        .push_back((parent, Action::FanoutDone(Err(fault))));
                    return;
                }
            }
        }
        let done = match &self.run(parent).pending {
            Pending::Fanout(f) => f.running.is_empty() && f.queue.is_empty(),
            _ => false,
        };
        if done {
            self.ready
                .push_back((parent, Action::FanoutDone(Ok(Value::Null))));
        } else {
            self.launch(parent, state);
        }
    }

    /// Every child of `rid` is stopped (a sibling failed).
    fn abort_children(&mut self, rid: RunId, state: &State) {
        let running = match &mut self.run_mut(rid).pending {
            Pending::Fanout(f) => std::mem::take(&mut f.running),
            _ => return,
        };
        let (is_map, distributed) = match &self.run(rid).pending {
            Pending::Fanout(f) => (f.is_map, f.distributed),
            _ => (false, false),
        };
        for (slot, child) in running {
            let prev = self
                .runs
                .get(child)
                .and_then(|r| r.as_ref())
                .map_or(0, |r| r.prev);
            let point = self.point_of(child);
            let now = self.now;
            if let Pending::Fanout(f) = &mut self.run_mut(rid).pending {
                if let Some(p) = point {
                    f.stopped_branches.insert(slot, p);
                }
                if let Some(meta) = f.export.as_mut().and_then(|e| e.get_mut(slot)) {
                    meta.aborted(now);
                }
            }
            self.abort_run(child);
            if is_map && !distributed {
                self.emit_for(
                    rid,
                    prev,
                    EventDetails::MapIterationAborted {
                        index: slot,
                        name: state.name.clone(),
                    },
                );
            }
        }
    }

    /// Stops a run and everything under it: its task, its timers, its children.
    pub(crate) fn abort_run(&mut self, rid: RunId) {
        let Some(run) = self.drop_run(rid) else {
            return;
        };
        if let Sink::Child(c) = run.sink {
            if self.is_child_top(c, rid) {
                self.abort_child(c);
            }
        }
        match run.pending {
            Pending::Task(w) => {
                if self.tasks.remove(&w.id).is_some() {
                    self.effects.push(crate::signal::Effect::CancelTask(w.id));
                }
                if let Some(t) = w.timeout_timer {
                    self.cancel_timer(t);
                }
                if let Some((t, _)) = w.heartbeat {
                    self.cancel_timer(t);
                }
            }
            Pending::Wait { timer, .. } | Pending::Backoff { timer } => self.cancel_timer(timer),
            Pending::Fanout(f) => {
                for (_, child) in f.running {
                    self.abort_run(child);
                }
            }
            Pending::Io(w) => {
                if self.tasks.remove(&w.id).is_some() {
                    self.effects.push(crate::signal::Effect::CancelTask(w.id));
                }
            }
            Pending::None => {}
        }
    }

    /// Every child is done: the results in order become the state's result.
    fn join(&mut self, rid: RunId, state: &State) -> Step {
        let Pending::Fanout(f) = std::mem::replace(&mut self.run_mut(rid).pending, Pending::None)
        else {
            return Step::Block;
        };
        let writer = match &state.kind {
            StateKind::Map(m) if f.distributed => m.result_writer.as_ref(),
            _ => None,
        };
        let map_run_arn = f.map_run_arn.clone();
        let results: Vec<Value> = match writer {
            Some(w) => match self.export_results(rid, state, w, *f) {
                Ok(results) => results,
                Err(step) => return *step,
            },
            None => {
                let done = f.last_done_event;
                let map_run_arn = f.map_run_arn.filter(|_| f.distributed);
                let results = f
                    .results
                    .into_iter()
                    .map(|r| r.unwrap_or(Value::Null))
                    .collect();
                return self.finish_fanout(rid, state, map_run_arn, 0, done, Value::Array(results));
            }
        };
        self.finish_fanout(rid, state, map_run_arn, 0, 0, Value::Array(results))
    }

    /// The last events of a Parallel or Map that succeeded (`MapRunSucceeded` for a distributed
    /// Map), then its result; `done` is the event a Parallel's or inline Map's end follows.
    pub(crate) fn finish_fanout(
        &mut self,
        rid: RunId,
        state: &State,
        map_run_arn: Option<String>,
        results_written: u64,
        done: u64,
        result: Value,
    ) -> Step {
        if let Some(map_run_arn) = map_run_arn {
            // Nothing of a map run that succeeded is redriven.
            self.children.unsuccessful.remove(&map_run_arn);
            let id = self.emit_in(
                rid,
                EventDetails::MapRunSucceeded {
                    map_run_arn,
                    results_written,
                },
            );
            self.run_mut(rid).prev = id;
        } else {
            self.run_mut(rid).prev = done;
        }
        let prev = self.run(rid).prev;
        let details = if matches!(state.kind, StateKind::Map(_)) {
            EventDetails::MapStateSucceeded
        } else {
            EventDetails::ParallelStateSucceeded
        };
        self.emit_for(rid, prev, details);
        self.complete_with_result(rid, state, result)
    }

    pub(crate) fn fanout_done(
        &mut self,
        rid: RunId,
        state: &State,
        result: Result<Value, Fault>,
    ) -> Step {
        match result {
            Ok(_) => self.join(rid, state),
            Err(fault) => Step::Fail(fault),
        }
    }

    /// `ParallelStateFailed` / `MapStateFailed`, written when a failed Parallel or Map is not
    /// retried.
    pub(crate) fn fanout_failed_event(&mut self, rid: RunId, state: &State) {
        let details = match &state.kind {
            StateKind::Parallel(_) => EventDetails::ParallelStateFailed,
            StateKind::Map(_) => EventDetails::MapStateFailed,
            _ => return,
        };
        self.emit_in(rid, details);
    }
}

/// The length of `items` as a JSON array, counted without building the text.
fn serialized_len(items: &[Value]) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, items) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// The Map's items, and the value `$` is in ItemSelector (JSONPath: the effective input).
pub(crate) fn map_items(
    ctx: &Ctx<'_>,
    state: &State,
    m: &MapState,
    raw: Value,
    read: Option<Vec<Value>>,
    entropy: &mut dyn Entropy,
) -> Result<(Vec<Value>, Value), Fault> {
    if let Some(items) = read {
        let input = match &state.flow {
            DataFlow::JsonPath(flow) => ctx.select(&flow.input_path, raw)?,
            DataFlow::Jsonata(_) => raw,
        };
        return Ok((items, input));
    }
    match &state.flow {
        DataFlow::JsonPath(flow) => {
            let effective = ctx.select(&flow.input_path, raw)?;
            let items = match &m.items {
                Some(Dynamic::Path(p)) => ctx.path(p, &effective)?,
                Some(Dynamic::Literal(v)) => v.clone(),
                _ => effective.clone(),
            };
            match items {
                Value::Array(a) => Ok((a, effective)),
                other => Err(ctx.runtime(&format!(
                    "Map state input must be an array but was: {other}"
                ))),
            }
        }
        DataFlow::Jsonata(_) => {
            let items = match &m.items {
                Some(Dynamic::Jsonata(t)) => {
                    let states = ctx.states(&raw, None, None);
                    match ctx.jsonata_as(t, "Items", JsonType::Array, &states, entropy)? {
                        Value::Array(a) => a,
                        _ => Vec::new(),
                    }
                }
                Some(Dynamic::Literal(Value::Array(a))) => a.clone(),
                Some(_) => return Err(ctx.query_error("The Items field must be an array")),
                None => match &raw {
                    Value::Array(a) => a.clone(),
                    other => {
                        return Err(ctx.query_error(&format!(
                            "Map state input must be an array but was: {other}"
                        )))
                    }
                },
            };
            Ok((items, raw))
        }
    }
}

/// ItemSelector per item, then ItemBatcher.
pub(crate) fn select_items(
    ctx: &Ctx<'_>,
    state: &State,
    m: &MapState,
    items: Vec<Value>,
    selector_input: &Value,
    entropy: &mut dyn Entropy,
) -> Result<Vec<Value>, Fault> {
    let mut out = Vec::with_capacity(items.len());
    // The context is built once (its `Execution.Input` may hold every item) and each item
    // only replaces its `Map.Item`: building it per item copied the whole input per item.
    let mut context = m.item_selector.as_ref().map(|_| {
        let base = match ctx.context {
            Value::Object(o) => o.clone(),
            _ => Map::new(),
        };
        context::build(
            &base,
            &StateContext {
                name: &state.name,
                entered: ctx.now,
                retry_count: None,
                token: None,
                map_item: None,
            },
        )
    });
    for (index, item) in items.into_iter().enumerate() {
        let selected = match (&m.item_selector, context.as_mut()) {
            (Some(sel), Some(context)) => {
                context::set_map_item(context, index, item);
                let item_ctx = Ctx {
                    state,
                    entered_id: ctx.entered_id,
                    context,
                    vars: ctx.vars,
                    now: ctx.now,
                };
                match sel {
                    ItemSelector::JsonPath(t) => item_ctx.template(t, selector_input, entropy)?,
                    ItemSelector::Jsonata(t) => {
                        let states = item_ctx.states(selector_input, None, None);
                        item_ctx.jsonata(t, "ItemSelector", &states, entropy)?
                    }
                }
            }
            _ => item,
        };
        out.push(selected);
    }
    match &m.item_batcher {
        None => Ok(out),
        Some(b) => {
            let max_items = ctx
                .count(
                    b.max_items_per_batch.as_ref(),
                    "MaxItemsPerBatch",
                    selector_input,
                    entropy,
                )?
                .filter(|&n| n > 0)
                .unwrap_or(u64::MAX) as usize;
            let batch_input = match &b.batch_input {
                None => None,
                Some(BatchInput::JsonPath(t)) => Some(ctx.template(t, selector_input, entropy)?),
                Some(BatchInput::Jsonata(t)) => {
                    let states = ctx.states(selector_input, None, None);
                    Some(ctx.jsonata(t, "BatchInput", &states, entropy)?)
                }
            };
            // `MaxInputBytesPerBatch` bounds each batch's JSON text (the child's whole input,
            // `BatchInput` included); where both limits are set, the lower one ends a batch
            // (AWS's ItemBatcher guide). A single item larger than the limit still makes a
            // batch of its own rather than being dropped.
            let max_bytes = ctx
                .count(
                    b.max_input_bytes_per_batch.as_ref(),
                    "MaxInputBytesPerBatch",
                    selector_input,
                    entropy,
                )?
                .filter(|&n| n > 0)
                .map(|n| n as usize);
            let batch = |items: Vec<Value>| {
                let mut m = Map::new();
                if let Some(bi) = &batch_input {
                    m.insert("BatchInput".into(), bi.clone());
                }
                m.insert("Items".into(), Value::Array(items));
                Value::Object(m)
            };
            let Some(max_bytes) = max_bytes else {
                return Ok(out
                    .chunks(max_items.max(1))
                    .map(|chunk| batch(chunk.to_vec()))
                    .collect());
            };
            // `{"BatchInput":…,"Items":[…]}`: the frame, then each item and its comma.
            let frame = json_len(&batch(Vec::new()));
            let mut batches = Vec::new();
            let mut current: Vec<Value> = Vec::new();
            let mut bytes = frame;
            for item in out {
                let len = json_len(&item);
                let comma = usize::from(!current.is_empty());
                let full = current.len() >= max_items || bytes + len + comma > max_bytes;
                if full && !current.is_empty() {
                    batches.push(batch(std::mem::take(&mut current)));
                    bytes = frame;
                }
                bytes += len + usize::from(!current.is_empty());
                current.push(item);
            }
            if !current.is_empty() {
                batches.push(batch(current));
            }
            Ok(batches)
        }
    }
}

/// The length of `v`'s compact JSON text.
fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

pub(crate) fn tolerated_percentage(
    ctx: &Ctx<'_>,
    input: &Value,
    m: &MapState,
    entropy: &mut dyn Entropy,
) -> Result<Option<f64>, Fault> {
    let value = match &m.tolerated_failure_percentage {
        None => return Ok(None),
        Some(Dynamic::Literal(n)) => *n,
        Some(Dynamic::Path(p)) => {
            // The node's text read with Java's `Float.parseFloat`: numeric strings count,
            // surrounding whitespace is trimmed, and the value is a `float`.
            let v = ctx.path(p, input)?;
            let text = jackson::node_text(&v);
            match jackson::parse_float(&text) {
                Some(n) => f64::from(n),
                None => {
                    return Err(ctx.runtime(&format!(
                        "The ToleratedFailurePercentagePath field refers to value \"{text}\" which is not a valid float: {}",
                        p.text()
                    )))
                }
            }
        }
        Some(Dynamic::Jsonata(t)) => {
            let states = ctx.states(input, None, None);
            let field = "ToleratedFailurePercentage";
            let v = ctx.jsonata_as(t, field, JsonType::Number, &states, entropy)?;
            v.as_f64().unwrap_or_default()
        }
        Some(Dynamic::Intrinsic(_)) => return Ok(None),
    };
    if !(0.0..=100.0).contains(&value) {
        return Err(ctx.runtime("ToleratedFailurePercentage must be between 0 and 100."));
    }
    Ok(Some(value))
}
