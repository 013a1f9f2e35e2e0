//! Step Functions' "Execution Status Change" events: each status a Standard execution enters
//! (`RUNNING` when it starts or is redriven, then how it ended), handed to whoever the server
//! configured (EventBridge's default bus). Express executions send none, as on AWS (Developer
//! Guide, "EventBridge (CloudWatch Events) for Step Functions execution status changes":
//! "Express Workflows do not emit events to EventBridge"); delivery is best-effort, as AWS
//! says of these events.

use baton_engine::{EventDetails, HistoryEvent};
use baton_store::{Execution, Millis};

/// Where status changes go. Called on the execution's step: must not block.
pub trait StatusEvents: Send + Sync {
    fn changed(&self, change: StatusChange);
}

/// One status an execution entered, with what the event's `detail` tells of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: &'static str,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    pub input: String,
    pub output: Option<String>,
    /// When it happened.
    pub time: Millis,
}

/// The status changes among the history events one step wrote.
pub fn changes(record: &Execution, written: &[HistoryEvent]) -> Vec<StatusChange> {
    written
        .iter()
        .filter_map(|event| {
            let (status, output, ended) = match &event.details {
                EventDetails::ExecutionStarted { .. } | EventDetails::ExecutionRedriven { .. } => {
                    ("RUNNING", None, false)
                }
                EventDetails::ExecutionSucceeded { output } => {
                    ("SUCCEEDED", Some(output.clone()), true)
                }
                EventDetails::ExecutionFailed { .. } => ("FAILED", None, true),
                EventDetails::ExecutionTimedOut { .. } => ("TIMED_OUT", None, true),
                EventDetails::ExecutionAborted { .. } => ("ABORTED", None, true),
                _ => return None,
            };
            Some(StatusChange {
                execution_arn: record.arn.clone(),
                state_machine_arn: record.state_machine_arn.clone(),
                name: record.name.clone(),
                status,
                start_date: record.start_date,
                stop_date: ended.then_some(event.timestamp),
                input: record.input.clone(),
                output,
                time: event.timestamp,
            })
        })
        .collect()
}
