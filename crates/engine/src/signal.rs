//! What the engine is told (`Event`: something happened) and what it asks for (`Effect`:
//! something must happen). Time, ids and seeds arrive inside events, so replaying the same
//! events reproduces the same execution.

use serde_json::Value;

use crate::history::Millis;

/// Names and ARNs of one execution, which the context object and history show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub execution_name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub region: String,
    pub account: String,
    pub partition: String,
    pub redrive_count: u32,
    /// An Express execution: its ARN has the `express:` form and `$$` has no `RedriveCount`.
    pub express: bool,
    /// Activity ARNs the definition names that did not exist when the execution started: a
    /// Task on one fails with `States.Runtime` before anything is scheduled, as on AWS.
    pub missing_activities: Vec<String>,
    /// The test case of the server's mock configuration the execution was started with
    /// (`StartExecution` on `STATE_MACHINE_ARN#TestCase`, as Step Functions Local takes it):
    /// its Task states answer from their mocked responses. The engine does not read it; it
    /// travels with the start so a replay finds the same responses.
    pub mock_test_case: Option<String>,
}

impl ExecutionInfo {
    /// ARNs in AWS's form for a standard execution of `machine` named `name`.
    pub fn standard(
        partition: &str,
        region: &str,
        account: &str,
        machine: &str,
        name: &str,
    ) -> ExecutionInfo {
        ExecutionInfo {
            execution_arn: format!(
                "arn:{partition}:states:{region}:{account}:execution:{machine}:{name}"
            ),
            execution_name: name.to_string(),
            state_machine_arn: format!(
                "arn:{partition}:states:{region}:{account}:stateMachine:{machine}"
            ),
            state_machine_name: machine.to_string(),
            role_arn: format!("arn:{partition}:iam::{account}:role/baton-execution-role"),
            region: region.to_string(),
            account: account.to_string(),
            partition: partition.to_string(),
            redrive_count: 0,
            express: false,
            missing_activities: Vec::new(),
            mock_test_case: None,
        }
    }

    /// An Express execution of `machine` named `name`, with the execution id `id`.
    pub fn express(
        partition: &str,
        region: &str,
        account: &str,
        machine: &str,
        name: &str,
        id: &str,
    ) -> ExecutionInfo {
        let mut info = ExecutionInfo::standard(partition, region, account, machine, name);
        info.execution_arn =
            format!("arn:{partition}:states:{region}:{account}:express:{machine}:{name}:{id}");
        info.express = true;
        info
    }
}

/// Identifies one scheduled task (one attempt of one Task state).
pub type TaskId = u64;
/// Identifies one timer (a Wait, a retry back-off, a timeout, a heartbeat deadline).
pub type TimerId = u64;

/// Something that happened, fed to [`crate::Execution::apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The execution starts with this input at this time; `seed` feeds every random value
    /// (`States.UUID`, `$random`, jitter, task tokens).
    Started {
        info: Box<ExecutionInfo>,
        input: Value,
        time: Millis,
        seed: u64,
    },
    /// A worker took an activity task (`ActivityStarted`).
    TaskStarted {
        task: TaskId,
        time: Millis,
        worker: Option<String>,
    },
    /// The call of a `.waitForTaskToken` task returned `output` (`TaskSubmitted`); the task
    /// waits on for its token.
    TaskSubmitted {
        task: TaskId,
        output: Value,
        time: Millis,
    },
    /// A task sent a heartbeat; its heartbeat deadline moves.
    TaskHeartbeat {
        task: TaskId,
        time: Millis,
    },
    TaskSucceeded {
        task: TaskId,
        output: Value,
        time: Millis,
    },
    TaskFailed {
        task: TaskId,
        error: Option<String>,
        cause: Option<String>,
        time: Millis,
    },
    TimerFired {
        timer: TimerId,
        time: Millis,
    },
    /// `StopExecution`.
    StopRequested {
        error: Option<String>,
        cause: Option<String>,
        time: Millis,
    },
    /// `RedriveExecution`: a failed, aborted or timed-out execution continues from the state
    /// it did not leave (see [`crate::Execution::can_redrive`]).
    Redriven {
        time: Millis,
    },
    /// The runtime cannot run the task (its activity does not exist): the state fails with
    /// `States.Runtime` and this cause, which no Retry or Catch sees.
    TaskRejected {
        task: TaskId,
        cause: String,
        time: Millis,
    },
    /// `StopExecution` on one of this execution's distributed Map children (named by its ARN):
    /// the child ends `ExecutionAborted` with this error and cause, and its Map counts it as
    /// a failed item. A child that already ended is left as it is.
    ChildStopRequested {
        execution_arn: String,
        error: Option<String>,
        cause: Option<String>,
        time: Millis,
    },
    /// `UpdateMapRun`: a running distributed Map takes new limits (absent ones stay).
    MapRunUpdated {
        map_run_arn: String,
        max_concurrency: Option<u64>,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
        time: Millis,
    },
}

/// A task the runtime must run: one attempt of one Task state.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    pub id: TaskId,
    pub state_name: String,
    /// The `Resource` as written.
    pub resource: String,
    /// The effective parameters (the task's input).
    pub input: Value,
    /// `$$.Task.Token` for `.waitForTaskToken` resources and activities.
    pub token: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    pub credentials: Option<Value>,
    /// What the task is for; most are a Task state's call.
    pub purpose: TaskPurpose,
    /// The trace the call continues, from the task's span (set by a runtime that traces the
    /// execution; the engine leaves it empty).
    pub trace: Option<Box<crate::trace::TraceContext>>,
}

/// What a scheduled task is for. A distributed Map reads its items and writes its results as
/// tasks, so a runtime runs, journals and recovers them as it does any other; they write no
/// history events.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum TaskPurpose {
    /// A Task state calls its `resource` with `input`.
    #[default]
    State,
    /// A distributed Map's `ItemReader`: `resource` and `input` are the reader's `Resource` and
    /// evaluated `Parameters`/`Arguments`. The task answers with the items, a JSON array;
    /// it fails with `States.ItemReaderFailed`.
    ItemReader {
        /// `ReaderConfig`, with `MaxItems` evaluated (absent or 0: every item).
        reader_config: Box<Value>,
    },
    /// A distributed Map's `ResultWriter`: `resource` and `input` are the writer's `Resource`
    /// and evaluated `Parameters`/`Arguments` (`Bucket`, `Prefix`). The task writes the
    /// results and answers with `ResultWriterDetails` (`Bucket`, `Key` of the manifest); it
    /// fails with `States.ResultWriterFailed`.
    ResultWriter(Box<ResultExport>),
}

/// What a distributed Map's `ResultWriter` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultExport {
    pub map_run_arn: String,
    /// `JSON` (one array per file) or `JSONL` (one result per line).
    pub output_type: String,
    /// One result per child execution, in item order, already in `WriterConfig`'s shape.
    pub results: Vec<ChildResult>,
}

/// One child execution's result as a `ResultWriter` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildResult {
    /// `SUCCEEDED`, `FAILED` or `PENDING`: the file it goes to.
    pub status: &'static str,
    pub value: Value,
}

/// Something that must happen next. The history events of the same step are in
/// [`crate::Execution::history`], and must be persisted before any effect is acted upon.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    ScheduleTask(TaskRequest),
    /// The task is no longer wanted (its state was aborted, timed out or stopped).
    CancelTask(TaskId),
    StartTimer {
        timer: TimerId,
        at: Millis,
    },
    CancelTimer(TimerId),
    /// The execution ended.
    Finished(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// The output as JSON text, exactly as `DescribeExecution` returns it.
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}
