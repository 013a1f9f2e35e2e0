//! Traces of executions: an execution is a trace, its states and task attempts are spans,
//! built from the history events as they are written and handed to a [`SpanSink`] (the
//! OTLP exporter of `baton serve`) as each span ends.
//!
//! What is traced: executions of a machine whose `tracingConfiguration` is enabled, and
//! executions started with a sampled trace header (`traceHeader`, `X-Amzn-Trace-Id` or
//! `traceparent`), which they continue (X-Ray does the same: "Step Functions … will continue
//! the trace" of a sampled incoming header). Span ids derive from the execution's ARN and the
//! event that opens the span ([`baton_engine::trace::span_id`]); a task attempt's span from
//! its task id, so the call's `traceparent` names it before its events are read.
//!
//! Which span an event belongs to follows `previous_event_id`, as the history links events:
//! a `*StateEntered` opens a state span under the span its previous event belongs to (for the
//! state after another, under that state's parent), a `*Scheduled` task event opens an
//! attempt span under its state, its end event closes it, `*StateExited` closes its state,
//! the execution's end closes the execution and what is still open. A distributed Map's
//! children are traces of their own events in the parent's trace, each under the span of the
//! Map state that started its map run. An execution brought back into memory (after a
//! restart, a takeover or a long wait out of memory) replays its journal into muted spans,
//! so what was open then ends later with its first start.

use std::collections::HashMap;
use std::sync::Arc;

use baton_engine::trace::{span_id, TraceContext};
use baton_engine::{EventDetails, HistoryEvent, Millis, TaskId};

/// A finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent: Option<[u8; 8]>,
    pub name: String,
    /// Epoch milliseconds.
    pub start: Millis,
    pub end: Millis,
    /// The error and cause when it failed.
    pub error: Option<(String, String)>,
    pub attributes: Vec<(&'static str, String)>,
}

/// Where finished spans go. `export` must not block (the exporter queues).
pub trait SpanSink: Send + Sync {
    fn export(&self, spans: Vec<Span>);
}

/// The span id of task `task`'s attempt in `execution_arn` (its call's parent).
pub fn task_span(execution_arn: &str, task: TaskId) -> [u8; 8] {
    span_id(execution_arn, (1 << 63) | task)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Execution,
    State,
    Task,
}

struct Open {
    id: [u8; 8],
    /// The opener of the span this one is under (`None`: the execution's own span).
    parent: Option<u64>,
    kind: Kind,
    name: String,
    start: Millis,
    attributes: Vec<(&'static str, String)>,
}

/// One execution's spans under construction.
pub(crate) struct Spans {
    trace: TraceContext,
    arn: String,
    sink: Arc<dyn SpanSink>,
    /// Open spans by the id of the event that opened them (0: the execution's).
    open: HashMap<u64, Open>,
    /// The opener of the span each event belongs to.
    owner: HashMap<u64, u64>,
    /// For a `*StateExited`, the opener of its state's parent.
    exited: HashMap<u64, u64>,
    /// The opener of the Map state each map run of this execution started in.
    map_runs: HashMap<String, u64>,
    /// While a journal is replayed: spans are opened and closed as they were the first time,
    /// but those that end are not exported again.
    muted: bool,
}

/// The trace context an execution runs in, if it is traced: the incoming header's when it
/// is sampled, else a new trace when tracing is enabled on its machine.
pub(crate) fn context(
    execution_arn: &str,
    header: Option<&str>,
    tracing_enabled: bool,
) -> Option<TraceContext> {
    match header.and_then(TraceContext::parse) {
        Some(incoming) if incoming.sampled => Some(incoming),
        Some(_) => None,
        None if tracing_enabled => Some(TraceContext::for_execution(execution_arn)),
        None => None,
    }
}

/// Whether a stored `tracingConfiguration` text has `enabled` true.
pub(crate) fn enabled(tracing: Option<&str>) -> bool {
    tracing
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.get("enabled").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

impl Spans {
    pub fn new(trace: TraceContext, arn: &str, sink: Arc<dyn SpanSink>) -> Spans {
        Spans {
            trace,
            arn: arn.to_string(),
            sink,
            open: HashMap::new(),
            owner: HashMap::new(),
            exited: HashMap::new(),
            map_runs: HashMap::new(),
            muted: false,
        }
    }

    /// Spans for an execution whose journal is about to be replayed: what the replay closes
    /// was exported before, so only what it leaves open is kept, to end as it goes on
    /// ([`Spans::unmute`]). Span ids derive from the ARN, the events and the tasks, all
    /// the same in a replay, so a span opened before a restart or an eviction ends with the
    /// id and start it had.
    pub fn muted(mut self) -> Spans {
        self.muted = true;
        self
    }

    /// Exports from here on.
    pub fn unmute(&mut self) {
        self.muted = false;
    }

    /// The spans of a child of the map run `map_run_arn` (a distributed Map's child
    /// workflow execution `child_arn`): in this execution's trace, under the span of the Map
    /// state that started the run (the execution's own span when that was not seen).
    pub fn child(&self, map_run_arn: &str, child_arn: &str) -> Spans {
        let parent = match self.map_runs.get(map_run_arn) {
            Some(opener) => self
                .span_of(*opener)
                .unwrap_or_else(|| span_id(&self.arn, *opener)),
            None => span_id(&self.arn, 0),
        };
        let trace = TraceContext {
            parent: Some(parent),
            sampled: true,
            ..self.trace
        };
        Spans {
            muted: self.muted,
            ..Spans::new(trace, child_arn, self.sink.clone())
        }
    }

    /// The context a call made by task `task` carries.
    pub fn call_context(&self, task: TaskId) -> TraceContext {
        TraceContext {
            parent: Some(task_span(&self.arn, task)),
            ..self.trace
        }
    }

    fn span_of(&self, opener: u64) -> Option<[u8; 8]> {
        self.open.get(&opener).map(|o| o.id)
    }

    fn close(&mut self, opener: u64, end: Millis, error: Option<(String, String)>) -> Option<Span> {
        let open = self.open.remove(&opener)?;
        let parent = match open.parent {
            Some(p) => self.span_of(p).or(Some(span_id(&self.arn, p))),
            None => self.trace.parent,
        };
        let mut attributes = open.attributes;
        attributes.push(("aws.stepfunctions.execution_arn", self.arn.clone()));
        Some(Span {
            trace_id: self.trace.trace_id,
            span_id: open.id,
            parent: if open.kind == Kind::Execution {
                self.trace.parent
            } else {
                parent
            },
            name: open.name,
            start: open.start,
            end,
            error,
            attributes,
        })
    }

    /// Takes the events one step wrote; `tasks` are the ids of the tasks the same step
    /// scheduled for Task states, in order (each `*Scheduled` event is one of them).
    pub fn observe(&mut self, events: &[HistoryEvent], tasks: &[TaskId]) {
        let mut done = Vec::new();
        let scheduled = events
            .iter()
            .filter(|e| e.details.type_name().ends_with("Scheduled"))
            .count();
        let mut tasks = (scheduled == tasks.len()).then(|| tasks.iter());
        for event in events {
            let kind = event.details.type_name();
            let prev = event.previous_event_id;
            let owner = self.owner.get(&prev).copied().unwrap_or(0);
            match &event.details {
                EventDetails::ExecutionStarted { .. } => {
                    self.open.insert(
                        0,
                        Open {
                            id: span_id(&self.arn, 0),
                            parent: None,
                            kind: Kind::Execution,
                            name: execution_name(&self.arn).to_string(),
                            start: event.timestamp,
                            attributes: vec![],
                        },
                    );
                    self.owner.insert(event.id, 0);
                }
                EventDetails::StateEntered { name, .. } => {
                    let parent = self.exited.get(&prev).copied().unwrap_or(owner);
                    self.open.insert(
                        event.id,
                        Open {
                            id: span_id(&self.arn, event.id),
                            parent: Some(parent),
                            kind: Kind::State,
                            name: name.clone(),
                            start: event.timestamp,
                            attributes: vec![("aws.stepfunctions.state_type", kind.clone())],
                        },
                    );
                    self.owner.insert(event.id, event.id);
                }
                EventDetails::StateExited { .. } => {
                    let parent = self.open.get(&owner).and_then(|o| o.parent).unwrap_or(0);
                    if self.open.get(&owner).is_some_and(|o| o.kind == Kind::State) {
                        done.extend(self.close(owner, event.timestamp, None));
                    }
                    self.exited.insert(event.id, parent);
                    self.owner.insert(event.id, parent);
                }
                _ if kind.ends_with("Scheduled") => {
                    let id = match tasks.as_mut().and_then(Iterator::next) {
                        Some(task) => task_span(&self.arn, *task),
                        None => span_id(&self.arn, event.id),
                    };
                    self.open.insert(
                        event.id,
                        Open {
                            id,
                            parent: Some(owner),
                            kind: Kind::Task,
                            name: kind.trim_end_matches("Scheduled").to_string(),
                            start: event.timestamp,
                            attributes: task_attributes(&event.details),
                        },
                    );
                    self.owner.insert(event.id, event.id);
                }
                EventDetails::ExecutionSucceeded { .. }
                | EventDetails::ExecutionFailed { .. }
                | EventDetails::ExecutionTimedOut { .. }
                | EventDetails::ExecutionAborted { .. } => {
                    let error = error_of(&event.details);
                    // What is still open ends with the execution.
                    let mut rest: Vec<u64> =
                        self.open.keys().copied().filter(|k| *k != 0).collect();
                    rest.sort_unstable_by(|a, b| b.cmp(a));
                    for opener in rest {
                        done.extend(self.close(opener, event.timestamp, None));
                    }
                    done.extend(self.close(0, event.timestamp, error));
                    self.owner.clear();
                    self.exited.clear();
                }
                EventDetails::MapRunStarted { map_run_arn, .. } => {
                    self.map_runs.insert(map_run_arn.clone(), owner);
                    self.owner.insert(event.id, owner);
                }
                _ if is_task_end(&kind) => {
                    let task = self.open.get(&owner).filter(|o| o.kind == Kind::Task);
                    let state = task.and_then(|t| t.parent).unwrap_or(owner);
                    if task.is_some() {
                        let error = error_of(&event.details);
                        done.extend(self.close(owner, event.timestamp, error));
                    }
                    self.owner.insert(event.id, state);
                }
                _ => {
                    self.owner.insert(event.id, owner);
                }
            }
        }
        if !done.is_empty() && !self.muted {
            self.sink.export(done);
        }
    }
}

/// The tasks `effects` schedule for Task states, in order.
pub(crate) fn scheduled_tasks(effects: &[baton_engine::Effect]) -> Vec<TaskId> {
    effects
        .iter()
        .filter_map(|e| match e {
            baton_engine::Effect::ScheduleTask(r)
                if r.purpose == baton_engine::TaskPurpose::State =>
            {
                Some(r.id)
            }
            _ => None,
        })
        .collect()
}

/// The spans of an execution, when it is traced and there is a sink.
pub(crate) fn for_execution(
    sink: Option<&Arc<dyn SpanSink>>,
    execution_arn: &str,
    header: Option<&str>,
    tracing: Option<&str>,
) -> Option<Spans> {
    let sink = sink?;
    let trace = context(execution_arn, header, enabled(tracing))?;
    Some(Spans::new(trace, execution_arn, sink.clone()))
}

/// The execution's name, from its ARN (`…:execution:<machine>:<name>`, or
/// `…:express:<machine>:<name>:<id>`).
fn execution_name(arn: &str) -> &str {
    let mut parts = arn.rsplit(':');
    let last = parts.next().unwrap_or(arn);
    if arn.contains(":express:") {
        parts.next().unwrap_or(last)
    } else {
        last
    }
}

fn is_task_end(kind: &str) -> bool {
    ["Task", "LambdaFunction", "Activity"]
        .iter()
        .any(|family| kind.starts_with(family))
        && ["Succeeded", "Failed", "TimedOut"]
            .iter()
            .any(|end| kind.ends_with(end))
        && !kind.starts_with("TaskState")
}

fn task_attributes(details: &EventDetails) -> Vec<(&'static str, String)> {
    match details {
        EventDetails::TaskScheduled { resource, .. } => vec![
            (
                "aws.stepfunctions.resource_type",
                resource.resource_type.clone(),
            ),
            ("aws.stepfunctions.resource", resource.resource.clone()),
        ],
        _ => vec![],
    }
}

fn error_of(details: &EventDetails) -> Option<(String, String)> {
    let kind = details.type_name();
    if kind.ends_with("Succeeded") || kind.ends_with("Started") {
        return None;
    }
    let json = HistoryEvent {
        id: 0,
        previous_event_id: 0,
        timestamp: 0,
        details: details.clone(),
    }
    .log_details(false);
    let text = |k: &str| {
        json.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    Some((text("error"), text("cause")))
}
