//! A distributed Map's children as executions of their own.
//!
//! With [`crate::Limits::child_executions`], each child of a distributed Map that runs Standard
//! child workflows writes its own history: `ExecutionStarted`, its states' events,
//! then `ExecutionSucceeded`, `ExecutionFailed` or `ExecutionAborted`, with ids that start at 1
//! in each child. The parent's history keeps only the Map's own events, as on AWS. The caller
//! collects what the children wrote with [`Execution::take_child_histories`] after each event
//! and records them as executions (a durable runtime writes them in the same batch as the
//! parent's step, so replaying the parent's journal writes them again identically).
//!
//! Without the flag (in-process runs, benchmarks, Express parents) the children stay silent.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::execution::{Execution, Fault, RunId};
use crate::history::{EventDetails, HistoryEvent, Millis};
use crate::signal::ExecutionInfo;

/// Where a run's events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sink {
    /// The execution's history.
    Main,
    /// Nowhere: a distributed Map's child that is not recorded.
    Silent,
    /// The history of the child execution with this id.
    Child(u32),
}

/// One child execution's history while it runs.
#[derive(Debug)]
pub(crate) struct ChildLog {
    map_run_arn: String,
    name: String,
    /// The child's top run: when it ends, the child ends.
    top: RunId,
    /// Its input and start, for its context object.
    input: Value,
    start: Millis,
    next_id: u64,
    /// Written and not yet taken.
    events: Vec<HistoryEvent>,
    ended: bool,
    /// Its item's slot in the Map.
    slot: usize,
    /// How many times it has been redriven.
    redrives: u32,
    /// Reopened by a redrive, and not yet taken since.
    reopened: bool,
}

/// A child that did not succeed, as a redrive of its map run continues it.
#[derive(Debug, Clone)]
pub(crate) struct EndedChild {
    name: String,
    input: Value,
    start: Millis,
    last_id: u64,
    redrives: u32,
}

impl EndedChild {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// The child executions of one execution.
#[derive(Debug, Default)]
pub(crate) struct Children {
    logs: HashMap<u32, ChildLog>,
    next: u32,
    /// Logs written since the last take, in the order they were first written.
    dirty: Vec<u32>,
    /// The children that did not succeed, by map run and slot: what a redrive continues.
    pub(crate) unsuccessful: HashMap<String, HashMap<usize, EndedChild>>,
}

/// What one child execution wrote since the last [`Execution::take_child_histories`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChildHistory {
    /// The map run the child belongs to.
    pub map_run_arn: String,
    /// The child's execution name (its ARN: [`child_execution_arn`]).
    pub name: String,
    /// New events, ids local to the child. The first batch starts with `ExecutionStarted`;
    /// the last ends with `ExecutionSucceeded`, `ExecutionFailed` or `ExecutionAborted`.
    pub events: Vec<HistoryEvent>,
    /// The child ended with these events.
    pub ended: bool,
    /// For a child a redrive continues, in the batch that starts with its `ExecutionRedriven`:
    /// its input (JSON text), its first start and its redrive count, for its row.
    pub redriven: Option<(String, Millis, u32)>,
}

/// `arn:…:mapRun:MACHINE/LABEL:ID` → `arn:…:stateMachine:MACHINE/LABEL`, the ARN AWS gives a
/// distributed Map's child workflow.
pub fn child_state_machine_arn(map_run_arn: &str) -> String {
    let (head, _) = map_run_arn.rsplit_once(':').unwrap_or((map_run_arn, ""));
    head.replacen(":mapRun:", ":stateMachine:", 1)
}

/// The ARN of the child execution `name` of a map run: `arn:…:execution:MACHINE/LABEL:NAME`.
pub fn child_execution_arn(map_run_arn: &str, name: &str) -> String {
    let (head, _) = map_run_arn.rsplit_once(':').unwrap_or((map_run_arn, ""));
    format!("{}:{name}", head.replacen(":mapRun:", ":execution:", 1))
}

impl Execution {
    /// Opens the history of a new child execution and writes its `ExecutionStarted`; answers
    /// the child's id and the id of that event.
    pub(crate) fn open_child(
        &mut self,
        map_run_arn: &str,
        name: String,
        input: &Value,
        (top, slot): (RunId, usize),
    ) -> (u32, u64) {
        let c = self.children.next;
        self.children.next += 1;
        self.children.logs.insert(
            c,
            ChildLog {
                map_run_arn: map_run_arn.to_string(),
                name,
                top,
                input: input.clone(),
                start: self.now,
                next_id: 1,
                events: Vec::new(),
                ended: false,
                slot,
                redrives: 0,
                reopened: false,
            },
        );
        let details = EventDetails::ExecutionStarted {
            input: input.to_string(),
            role_arn: self.info.role_arn.clone(),
        };
        let id = self.emit_child(c, 0, details);
        (c, id)
    }

    /// Continues the history of a child that did not succeed, for a redrive of its map run:
    /// its `ExecutionRedriven` follows its last event, as a redriven execution's does.
    /// Answers the child's id and the id of that event.
    pub(crate) fn reopen_child(
        &mut self,
        map_run_arn: &str,
        ended: EndedChild,
        (top, slot): (RunId, usize),
    ) -> (u32, u64) {
        let c = self.children.next;
        self.children.next += 1;
        let redrives = ended.redrives + 1;
        self.children.logs.insert(
            c,
            ChildLog {
                map_run_arn: map_run_arn.to_string(),
                name: ended.name,
                top,
                input: ended.input,
                start: ended.start,
                next_id: ended.last_id + 1,
                events: Vec::new(),
                ended: false,
                slot,
                redrives,
                reopened: true,
            },
        );
        let details = EventDetails::ExecutionRedriven {
            redrive_count: redrives,
        };
        let id = self.emit_child(c, ended.last_id, details);
        (c, id)
    }

    /// Appends an event to a child's history; answers its id (`prev` for a child that ended).
    pub(crate) fn emit_child(&mut self, c: u32, prev: u64, details: EventDetails) -> u64 {
        let now = self.now;
        let Some(log) = self.children.logs.get_mut(&c).filter(|l| !l.ended) else {
            return prev;
        };
        let id = log.next_id;
        log.next_id += 1;
        if log.events.is_empty() {
            self.children.dirty.push(c);
        }
        self.step_written.0 += 1;
        self.step_written.1 += details.data_len();
        log.events.push(HistoryEvent {
            id,
            previous_event_id: prev,
            timestamp: now,
            details,
        });
        id
    }

    /// `$$` without `State` for the runs of child `c`: the child's own execution and child
    /// workflow (as for any execution, not from a recording). `None` for a child that ended.
    pub(crate) fn child_context(&self, c: u32) -> Option<Map<String, Value>> {
        let log = self.children.logs.get(&c)?;
        let state_machine_arn = child_state_machine_arn(&log.map_run_arn);
        let info = ExecutionInfo {
            execution_arn: child_execution_arn(&log.map_run_arn, &log.name),
            execution_name: log.name.clone(),
            state_machine_name: state_machine_arn
                .split_once(":stateMachine:")
                .map_or_else(String::new, |(_, name)| name.to_string()),
            state_machine_arn,
            redrive_count: 0,
            express: false,
            missing_activities: Vec::new(),
            ..self.info.clone()
        };
        Some(crate::context::base(&info, &log.input, log.start))
    }

    /// Whether `rid` is the top run of child `c`.
    pub(crate) fn is_child_top(&self, c: u32, rid: RunId) -> bool {
        self.children.logs.get(&c).is_some_and(|l| l.top == rid)
    }

    /// The child's top run ended with `result`; `prev` is its last event.
    pub(crate) fn close_child(&mut self, c: u32, prev: u64, result: Result<&Value, &Fault>) {
        let details = match result {
            Ok(output) => EventDetails::ExecutionSucceeded {
                output: output.to_string(),
            },
            Err(fault) => EventDetails::ExecutionFailed {
                error: fault.error_text(),
                cause: fault.cause.clone(),
            },
        };
        self.end_child(c, prev, details);
    }

    /// The child was stopped (a sibling failed, the parent stopped, failed or timed out).
    /// Like the parent's, its `ExecutionAborted` follows no event.
    pub(crate) fn abort_child(&mut self, c: u32) {
        self.end_child(
            c,
            0,
            EventDetails::ExecutionAborted {
                error: None,
                cause: None,
            },
        );
    }

    /// Whether the running child execution `arn` is one of this execution's.
    pub fn has_running_child(&self, arn: &str) -> bool {
        self.running_child(arn).is_some()
    }

    fn running_child(&self, arn: &str) -> Option<(u32, RunId)> {
        self.children
            .logs
            .iter()
            .find(|(_, l)| !l.ended && child_execution_arn(&l.map_run_arn, &l.name) == arn)
            .map(|(c, l)| (*c, l.top))
    }

    /// `StopExecution` on the running child `arn`: its history ends with `ExecutionAborted`
    /// (chained to nothing, as a stopped execution's is), its tasks and timers are cancelled,
    /// and its Map takes it as a failed item (`MapRunExecutionCounts.aborted` counts it).
    pub(crate) fn stop_child(&mut self, arn: &str, error: Option<String>, cause: Option<String>) {
        let Some((c, top)) = self.running_child(arn) else {
            return;
        };
        let Some((parent, slot)) = self
            .runs
            .get(top)
            .and_then(|r| r.as_ref())
            .and_then(|r| r.parent)
        else {
            return;
        };
        self.end_child(
            c,
            0,
            EventDetails::ExecutionAborted {
                error: error.clone(),
                cause: cause.clone(),
            },
        );
        self.abort_run(top);
        let last = match &self.run(parent).pending {
            crate::execution::Pending::Fanout(f) => f.last_child_event,
            _ => 0,
        };
        self.child_done(parent, slot, last, Err(Fault::new(error, cause)));
    }

    /// Every child still running is stopped (the parent ended).
    pub(crate) fn abort_open_children(&mut self) {
        let mut open: Vec<u32> = self
            .children
            .logs
            .iter()
            .filter(|(_, l)| !l.ended)
            .map(|(c, _)| *c)
            .collect();
        open.sort_unstable();
        for c in open {
            self.abort_child(c);
        }
    }

    fn end_child(&mut self, c: u32, prev: u64, details: EventDetails) {
        let succeeded = matches!(details, EventDetails::ExecutionSucceeded { .. });
        let last_id = self.emit_child(c, prev, details);
        let Some(log) = self.children.logs.get_mut(&c).filter(|l| !l.ended) else {
            return;
        };
        log.ended = true;
        if !succeeded {
            let ended = EndedChild {
                name: log.name.clone(),
                input: log.input.clone(),
                start: log.start,
                last_id,
                redrives: log.redrives,
            };
            self.children
                .unsuccessful
                .entry(log.map_run_arn.clone())
                .or_default()
                .insert(log.slot, ended);
        }
    }

    /// The ARN of the child execution whose run scheduled task `id`, when a distributed
    /// Map's recorded child did (not the execution's own runs, nor unrecorded children).
    pub fn task_child(&self, id: crate::TaskId) -> Option<String> {
        let rid = *self.tasks.get(&id)?;
        match self.run(rid).sink {
            Sink::Child(c) => {
                let log = self.children.logs.get(&c)?;
                Some(child_execution_arn(&log.map_run_arn, &log.name))
            }
            Sink::Main | Sink::Silent => None,
        }
    }

    /// Moves out what the children wrote since the last call, in the order they first wrote;
    /// children that ended are forgotten.
    pub fn take_child_histories(&mut self) -> Vec<ChildHistory> {
        let dirty = std::mem::take(&mut self.children.dirty);
        let mut out = Vec::with_capacity(dirty.len());
        for c in dirty {
            let Some(log) = self.children.logs.get_mut(&c) else {
                continue;
            };
            let ended = log.ended;
            let redriven = std::mem::take(&mut log.reopened)
                .then(|| (log.input.to_string(), log.start, log.redrives));
            out.push(ChildHistory {
                map_run_arn: log.map_run_arn.clone(),
                name: log.name.clone(),
                events: std::mem::take(&mut log.events),
                ended,
                redriven,
            });
            if ended {
                self.children.logs.remove(&c);
            }
        }
        out
    }
}
