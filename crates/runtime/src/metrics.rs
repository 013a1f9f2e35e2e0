//! Step Functions' CloudWatch metrics, counted from the history events executions write and
//! rendered in Prometheus' text format (`GET /metrics`).
//!
//! The names and dimensions are CloudWatch's ("Monitoring Step Functions metrics using Amazon
//! CloudWatch"), in Prometheus' spelling: per state machine `ExecutionsStarted`,
//! `ExecutionsSucceeded`, `ExecutionsFailed`, `ExecutionsAborted`, `ExecutionsTimedOut`,
//! `ExecutionsRedriven` and `ExecutionTime`; per activity, Lambda function and service
//! integration resource the `*Scheduled`, `*Started`, `*Succeeded`, `*Failed`, `*TimedOut`
//! (and `ActivitiesHeartbeatTimedOut`) counts and the `*Time` (scheduled to closed),
//! `*RunTime` (started to closed) and `*ScheduleTime` (scheduled to started) durations.
//! Each is counted when its event is written, for Standard and Express executions alike;
//! counts start at zero when the process starts, as Prometheus counters do (journal replays
//! at start are not counted again).
//!
//! Durations are histograms in seconds. Counting takes one uncontended lock per step that
//! writes events; nothing is counted when the server runs without metrics.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;

use baton_engine::history::{TaskFamily, TaskResource};
use baton_engine::{EventDetails, HistoryEvent, Millis};

/// The upper bounds of the duration histograms, in seconds: 10 ms to one year (a Standard
/// execution may run for a year).
const BUCKETS: [f64; 14] = [
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    3600.0,
    31_536_000.0,
];

/// A Prometheus histogram of seconds.
#[derive(Default, Clone)]
struct Histogram {
    /// Observations at most each bound (not cumulative here; summed when rendered).
    counts: [u64; BUCKETS.len()],
    /// Observations over the last bound.
    over: u64,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let seconds = seconds.max(0.0);
        match BUCKETS.iter().position(|&b| seconds <= b) {
            Some(i) => self.counts[i] += 1,
            None => self.over += 1,
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(self.counts) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {}",
            cumulative + self.over
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Default, Clone)]
struct MachineCounts {
    started: u64,
    succeeded: u64,
    failed: u64,
    aborted: u64,
    timed_out: u64,
    redriven: u64,
    time: Histogram,
}

#[derive(Default, Clone)]
struct ResourceCounts {
    scheduled: u64,
    started: u64,
    succeeded: u64,
    failed: u64,
    timed_out: u64,
    heartbeat_timed_out: u64,
    time: Histogram,
    run_time: Histogram,
    schedule_time: Histogram,
}

/// The kinds of task resource CloudWatch counts apart, with their metric prefixes and
/// dimension names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Activity,
    Lambda,
    Integration,
}

impl Kind {
    fn of(family: TaskFamily) -> Kind {
        match family {
            TaskFamily::Activity => Kind::Activity,
            TaskFamily::Lambda => Kind::Lambda,
            TaskFamily::Integration => Kind::Integration,
        }
    }

    /// The metric name prefix (`ActivitiesScheduled` → `activities_scheduled`) and the
    /// dimension (`ActivityArn`) as Prometheus names.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Activity => ("activities", "activity", "activity_arn"),
            Kind::Lambda => ("lambda_functions", "lambda_function", "lambda_function_arn"),
            Kind::Integration => (
                "service_integrations",
                "service_integration",
                "service_integration_resource_arn",
            ),
        }
    }
}

/// The ARN CloudWatch's dimension names: the activity's or function's own, or the
/// integration's resource ARN (`arn:aws:states:::sqs:sendMessage.waitForTaskToken`).
fn resource_arn(resource: &TaskResource) -> String {
    match resource.family {
        TaskFamily::Integration => format!(
            "arn:aws:states:::{}:{}",
            resource.resource_type, resource.resource
        ),
        TaskFamily::Lambda | TaskFamily::Activity => resource.resource.clone(),
    }
}

/// A counter's Prometheus name, CloudWatch's, and where it is read.
type MachineCounter = (&'static str, &'static str, fn(&MachineCounts) -> u64);
type ResourceCounter = (&'static str, fn(&ResourceCounts) -> u64);
type ResourceHistogram = (
    &'static str,
    &'static str,
    fn(&ResourceCounts) -> &Histogram,
);

#[derive(Default)]
struct Registry {
    machines: BTreeMap<String, MachineCounts>,
    resources: BTreeMap<(Kind, String), ResourceCounts>,
}

/// The counts of one server process.
#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
}

/// What one execution's counting remembers between steps: when its open tasks were scheduled
/// and started, by the id of the event that did it, so that a task's close can be timed.
#[derive(Default, Debug)]
pub struct Tracker {
    /// Scheduled event id → when.
    scheduled: HashMap<u64, Millis>,
    /// Started event id → (when scheduled, when started).
    started: HashMap<u64, (Option<Millis>, Millis)>,
    /// Submitted event id → the started event's times (`.sync` tasks report one in between).
    submitted: HashMap<u64, (Option<Millis>, Millis)>,
}

fn seconds(from: Millis, to: Millis) -> f64 {
    (to - from) as f64 / 1000.0
}

impl Metrics {
    /// Counts `events`, just written by an execution of `machine_arn` that started at
    /// `start_date`.
    pub fn observe(
        &self,
        machine_arn: &str,
        start_date: Millis,
        tracker: &mut Tracker,
        events: &[HistoryEvent],
    ) {
        if events.is_empty() {
            return;
        }
        let mut registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        for event in events {
            registry.count(machine_arn, start_date, tracker, event);
        }
    }

    /// Every metric, in Prometheus' text format (version 0.0.4).
    pub fn render(&self, out: &mut String) {
        let registry = {
            let r = self.registry.lock().unwrap_or_else(|e| e.into_inner());
            Registry {
                machines: r.machines.clone(),
                resources: r.resources.clone(),
            }
        };
        registry.render(out);
    }
}

impl Registry {
    fn count(
        &mut self,
        machine_arn: &str,
        start_date: Millis,
        tracker: &mut Tracker,
        event: &HistoryEvent,
    ) {
        use EventDetails as E;
        fn machine<'r>(r: &'r mut Registry, arn: &str) -> &'r mut MachineCounts {
            if !r.machines.contains_key(arn) {
                r.machines.insert(arn.to_string(), MachineCounts::default());
            }
            r.machines.get_mut(arn).expect("inserted above")
        }
        let at = event.timestamp;
        match &event.details {
            E::ExecutionStarted { .. } => machine(self, machine_arn).started += 1,
            E::ExecutionRedriven { .. } => machine(self, machine_arn).redriven += 1,
            E::ExecutionSucceeded { .. }
            | E::ExecutionFailed { .. }
            | E::ExecutionAborted { .. }
            | E::ExecutionTimedOut { .. } => {
                let m = machine(self, machine_arn);
                *match &event.details {
                    E::ExecutionSucceeded { .. } => &mut m.succeeded,
                    E::ExecutionFailed { .. } => &mut m.failed,
                    E::ExecutionAborted { .. } => &mut m.aborted,
                    _ => &mut m.timed_out,
                } += 1;
                m.time.observe(seconds(start_date, at));
            }
            E::TaskScheduled { resource, .. } => {
                tracker.scheduled.insert(event.id, at);
                self.resource(resource).scheduled += 1;
            }
            E::TaskStarted { resource, .. } => {
                let scheduled = tracker.scheduled.remove(&event.previous_event_id);
                tracker.started.insert(event.id, (scheduled, at));
                let r = self.resource(resource);
                r.started += 1;
                if let Some(s) = scheduled {
                    r.schedule_time.observe(seconds(s, at));
                }
            }
            E::TaskSubmitted { .. } => {
                if let Some(times) = tracker.started.remove(&event.previous_event_id) {
                    tracker.submitted.insert(event.id, times);
                }
            }
            E::TaskSucceeded { resource, .. }
            | E::TaskFailed { resource, .. }
            | E::TaskTimedOut { resource, .. } => {
                let previous = event.previous_event_id;
                // Closed after it started (or was submitted), or straight from scheduled
                // (a task that failed before it started).
                let times = tracker
                    .started
                    .remove(&previous)
                    .or_else(|| tracker.submitted.remove(&previous))
                    .map(|(scheduled, started)| (scheduled, Some(started)))
                    .or_else(|| tracker.scheduled.remove(&previous).map(|s| (Some(s), None)));
                let heartbeat = event.details.error_name() == Some("States.HeartbeatTimeout");
                let r = self.resource(resource);
                match &event.details {
                    E::TaskSucceeded { .. } => r.succeeded += 1,
                    E::TaskFailed { .. } => r.failed += 1,
                    _ if heartbeat && resource.family == TaskFamily::Activity => {
                        r.heartbeat_timed_out += 1
                    }
                    _ => r.timed_out += 1,
                }
                if let Some((scheduled, started)) = times {
                    if let Some(s) = scheduled {
                        r.time.observe(seconds(s, at));
                    }
                    if let Some(s) = started {
                        r.run_time.observe(seconds(s, at));
                    }
                }
            }
            _ => {}
        }
    }

    fn resource(&mut self, resource: &TaskResource) -> &mut ResourceCounts {
        self.resources
            .entry((Kind::of(resource.family), resource_arn(resource)))
            .or_default()
    }

    fn render(&self, out: &mut String) {
        let machine_counters: [MachineCounter; 6] = [
            ("executions_started", "ExecutionsStarted", |m| m.started),
            ("executions_succeeded", "ExecutionsSucceeded", |m| {
                m.succeeded
            }),
            ("executions_failed", "ExecutionsFailed", |m| m.failed),
            ("executions_aborted", "ExecutionsAborted", |m| m.aborted),
            ("executions_timed_out", "ExecutionsTimedOut", |m| {
                m.timed_out
            }),
            ("executions_redriven", "ExecutionsRedriven", |m| m.redriven),
        ];
        for (name, cloudwatch, value) in machine_counters {
            let _ = writeln!(
                out,
                "# HELP stepfunctions_{name}_total CloudWatch's {cloudwatch}, per state machine."
            );
            let _ = writeln!(out, "# TYPE stepfunctions_{name}_total counter");
            for (arn, m) in &self.machines {
                let _ = writeln!(
                    out,
                    "stepfunctions_{name}_total{{state_machine_arn=\"{}\"}} {}",
                    escape(arn),
                    value(m)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP stepfunctions_execution_time_seconds CloudWatch's ExecutionTime: start to close, per state machine."
        );
        let _ = writeln!(out, "# TYPE stepfunctions_execution_time_seconds histogram");
        for (arn, m) in &self.machines {
            m.time.render(
                out,
                "stepfunctions_execution_time_seconds",
                &format!("state_machine_arn=\"{}\"", escape(arn)),
            );
        }
        for kind in [Kind::Activity, Kind::Lambda, Kind::Integration] {
            self.render_kind(out, kind);
        }
    }

    fn render_kind(&self, out: &mut String, kind: Kind) {
        let (plural, singular, dimension) = kind.names();
        let of_kind: Vec<(&String, &ResourceCounts)> = self
            .resources
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, arn), r)| (arn, r))
            .collect();
        let mut counters: Vec<ResourceCounter> = vec![
            ("scheduled", |r| r.scheduled),
            ("started", |r| r.started),
            ("succeeded", |r| r.succeeded),
            ("failed", |r| r.failed),
            ("timed_out", |r| r.timed_out),
        ];
        if kind == Kind::Activity {
            counters.push(("heartbeat_timed_out", |r| r.heartbeat_timed_out));
        }
        for (what, value) in counters {
            let name = format!("stepfunctions_{plural}_{what}_total");
            let _ = writeln!(out, "# HELP {name} Task events, per {dimension}.");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (arn, r) in &of_kind {
                let _ = writeln!(
                    out,
                    "{name}{{{dimension}=\"{}\"}} {}",
                    escape(arn),
                    value(r)
                );
            }
        }
        let histograms: [ResourceHistogram; 3] = [
            ("time", "scheduled to closed", |r| &r.time),
            ("run_time", "started to closed", |r| &r.run_time),
            ("schedule_time", "scheduled to started", |r| {
                &r.schedule_time
            }),
        ];
        for (what, help, histogram) in histograms {
            let name = format!("stepfunctions_{singular}_{what}_seconds");
            let _ = writeln!(out, "# HELP {name} {help}, per {dimension}.");
            let _ = writeln!(out, "# TYPE {name} histogram");
            for (arn, r) in &of_kind {
                histogram(r).render(out, &name, &format!("{dimension}=\"{}\"", escape(arn)));
            }
        }
    }
}

/// A label value as Prometheus' text format escapes it: `\`, `"` and newlines.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}
