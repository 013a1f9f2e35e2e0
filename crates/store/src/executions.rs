//! Execution records: executions, their history and journal, timers, tasks, map runs.

use serde::{Deserialize, Serialize};

use crate::{ExecutionStatus, MachineType, MapRunStatus, Millis, TaskKind, TaskStatus};

/// One execution, as `DescribeExecution` needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// `arn:…:execution:<machine>:<name>`; unique, so an execution name is taken once per
    /// state machine whichever version or alias started it.
    pub arn: String,
    pub name: String,
    /// The unqualified state machine ARN.
    pub state_machine_arn: String,
    /// The version that runs, when started through a version or through an alias.
    pub version_arn: Option<String>,
    /// The alias it was started through.
    pub alias_arn: Option<String>,
    /// The revision whose definition it runs (see [`crate::StateMachineRevision`]).
    pub revision_id: String,
    pub machine_type: MachineType,
    pub status: ExecutionStatus,
    /// JSON text as given to `StartExecution`.
    pub input: String,
    /// JSON text, once it succeeded.
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub redrive_count: u32,
    pub redrive_date: Option<Millis>,
    /// The map run this execution is a child of.
    pub map_run_arn: Option<String>,
    /// The execution that started this one (a distributed Map's parent, `states:startExecution`).
    pub parent_arn: Option<String>,
    pub trace_header: Option<String>,
    /// The partition it lives in (see [`crate::Membership`]): chosen when it starts, among
    /// those the starting node owns; a distributed Map's children live in their parent's.
    #[serde(default)]
    pub partition: u32,
}

impl Execution {
    /// The date `ListExecutions` orders by, newest first: the start date, whatever became of
    /// the execution since (AWS's console and API list executions by when they started; a
    /// redrive keeps the execution's start date, and so its place).
    pub fn list_date(&self) -> Millis {
        list_date(self.start_date)
    }
}

/// See [`Execution::list_date`].
pub fn list_date(start_date: Millis) -> Millis {
    start_date
}

/// What `ListExecutions` shows of an execution: everything but its payloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    pub arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    pub status: ExecutionStatus,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub redrive_count: u32,
    pub redrive_date: Option<Millis>,
    pub map_run_arn: Option<String>,
}

impl From<&Execution> for ExecutionSummary {
    fn from(e: &Execution) -> ExecutionSummary {
        ExecutionSummary {
            arn: e.arn.clone(),
            name: e.name.clone(),
            state_machine_arn: e.state_machine_arn.clone(),
            version_arn: e.version_arn.clone(),
            alias_arn: e.alias_arn.clone(),
            status: e.status,
            start_date: e.start_date,
            stop_date: e.stop_date,
            redrive_count: e.redrive_count,
            redrive_date: e.redrive_date,
            map_run_arn: e.map_run_arn.clone(),
        }
    }
}

/// Whose executions `ListExecutions` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionsOf {
    /// Every execution of the machine, whichever version or alias started it.
    Machine(String),
    /// Executions that ran this version (directly or through an alias).
    Version(String),
    /// Executions started through this alias.
    Alias(String),
    /// The child executions of a map run.
    MapRun(String),
}

/// `ListExecutions`' filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionFilter {
    pub of: ExecutionsOf,
    pub status: Option<ExecutionStatus>,
    /// `redriveFilter`: `Some(true)` only redriven executions (`REDRIVEN`), `Some(false)` only
    /// the others (`NOT_REDRIVEN`).
    pub redriven: Option<bool>,
}

impl ExecutionFilter {
    pub fn of(of: ExecutionsOf) -> ExecutionFilter {
        ExecutionFilter {
            of,
            status: None,
            redriven: None,
        }
    }
}

/// One history event, as `GetExecutionHistory` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRecord {
    /// The event's `id`: 1, 2, 3… within its execution.
    pub id: u64,
    /// The event as JSON text.
    pub json: String,
}

/// One input event of the engine, in the order it was applied: replaying an execution's
/// journal rebuilds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: u64,
    pub json: String,
}

/// An engine event for an execution that another node runs: written by whichever node
/// received it (a callback's result, a worker's start, a stop request), consumed by the
/// execution's owner in the same batch as the step that applies it, so it is applied once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Given by the store when the entry is appended (0 in [`crate::Op::AppendInbox`]);
    /// increasing in the order entries were appended.
    pub id: u64,
    /// The execution's partition: its owner reads the entries of the partitions it owns.
    pub partition: u32,
    pub execution_arn: String,
    /// The engine event, as the journal encodes it.
    pub event: String,
    pub created: Millis,
}

/// A timer of one execution (a Wait, a retry back-off, a timeout, a heartbeat deadline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    pub execution_arn: String,
    /// The engine's timer id, unique within the execution.
    pub timer_id: u64,
    pub fire_at: Millis,
}

/// One scheduled attempt of a Task state, as the outbox keeps it until it is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub execution_arn: String,
    /// The engine's task id, unique within the execution.
    pub task_id: u64,
    pub kind: TaskKind,
    /// `$$.Task.Token`, for activities and callbacks; unique across the store.
    pub token: Option<String>,
    /// For activity tasks.
    pub activity_arn: Option<String>,
    /// The task's input, JSON text.
    pub input: String,
    pub status: TaskStatus,
    /// `workerName` of the `GetActivityTask` call that took it.
    pub worker_name: Option<String>,
    pub scheduled_at: Millis,
    pub started_at: Option<Millis>,
    pub heartbeat_deadline: Option<Millis>,
    pub timeout_deadline: Option<Millis>,
}

/// Item or child-execution counts of a map run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub total: u64,
    pub results_written: u64,
    pub failures_not_redrivable: u64,
    pub pending_redrive: u64,
}

/// A distributed Map state's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapRun {
    pub arn: String,
    /// The parent execution.
    pub execution_arn: String,
    /// `stateMachineArn` of `ListMapRuns`: the machine's ARN, `/`, the Map state's label.
    pub state_machine_arn: String,
    pub status: MapRunStatus,
    pub max_concurrency: u32,
    pub tolerated_failure_percentage: f64,
    pub tolerated_failure_count: u64,
    pub item_counts: MapRunCounts,
    pub execution_counts: MapRunCounts,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub redrive_count: u32,
    pub redrive_date: Option<Millis>,
}
