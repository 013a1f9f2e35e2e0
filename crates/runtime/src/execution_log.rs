//! Execution logs: the history events of executions whose state machine's
//! `LoggingConfiguration` names a log group, written to that group ([`baton_logs`]) in the
//! shape Step Functions gives them in CloudWatch Logs.
//!
//! Each log event is one history event as a JSON object: `id`, `type`, `details` (the
//! event's details object), `previous_event_id`, `event_timestamp` (epoch milliseconds),
//! `execution_arn` and `redrive_count`, every number as a string. Without
//! `includeExecutionData` the details leave out the input, output and parameters and their
//! `*Details` markers (so `ExecutionSucceeded` logs `"details": {}`). These are the shapes
//! AWS wrote in recorded executions of Pass, Fail and Wait machines at `ALL` with and
//! without data.
//!
//! Levels ("Log levels", Step Functions Developer Guide): `ALL` logs every event; `ERROR`
//! the events of the table's `ERROR` column, which are exactly the types ending in `Failed`,
//! `TimedOut` or `Aborted` plus `FailStateEntered` (the same rule covers the activity and Map
//! Run events the table does not list); `FATAL` only `ExecutionFailed`, `ExecutionAborted`
//! and `ExecutionTimedOut`; `OFF` nothing.
//!
//! Events go to one stream per state machine and process,
//! `states/<machine name>/<YYYY-MM-DD-HH-MM>/<8 hex digits>`: CloudWatch stream names of
//! vended logs are opaque, and this keeps one machine's events together in order.

use std::sync::OnceLock;

use baton_api::model::LogLevel;
use baton_engine::HistoryEvent;
use baton_logs::{GroupKey, Logs, StreamId};
use serde_json::json;

/// Where one execution's events are logged.
pub(crate) struct ExecutionLog {
    logs: Logs,
    stream: StreamId,
    level: LogLevel,
    include_data: bool,
    execution_arn: String,
}

/// The part of stream names fixed for this process.
fn stream_suffix() -> &'static str {
    static SUFFIX: OnceLock<String> = OnceLock::new();
    SUFFIX.get_or_init(|| {
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H-%M");
        let id = uuid::Uuid::new_v4().simple().to_string();
        format!("{stamp}/{}", &id[..8])
    })
}

/// The log group a stored `LoggingConfiguration` sends events to, with its level and
/// whether data is included; `None` when it logs nothing.
pub(crate) fn destination(logging: Option<&str>) -> Option<(GroupKey, LogLevel, bool)> {
    let config: baton_api::model::LoggingConfiguration = serde_json::from_str(logging?).ok()?;
    let level = config.level.unwrap_or(LogLevel::Off);
    if level == LogLevel::Off {
        return None;
    }
    let arn = config
        .destinations?
        .into_iter()
        .next()?
        .cloud_watch_logs_log_group?
        .log_group_arn?;
    let key = baton_logs::group_of_arn(&arn)?;
    Some((key, level, config.include_execution_data.unwrap_or(false)))
}

impl ExecutionLog {
    /// The log of an execution of `machine_name` under `logging` (the stored configuration
    /// text); `None` when it logs nothing or its group is gone.
    /// With several nodes (`several_nodes`), each keeps its own groups: a group made through
    /// another node is made here when an execution first logs to it.
    pub fn open(
        logs: Option<&Logs>,
        logging: Option<&str>,
        machine_name: &str,
        execution_arn: &str,
        several_nodes: bool,
    ) -> Option<ExecutionLog> {
        let logs = logs?;
        let (key, level, include_data) = destination(logging)?;
        if several_nodes && !logs.group_exists(&key) {
            // Made by this node or another one meanwhile: either way it exists now.
            let _ = logs.create_group(&key);
        }
        let stream_name = format!("states/{machine_name}/{}", stream_suffix());
        let stream = logs.stream_for(&key, &stream_name)?;
        Some(ExecutionLog {
            logs: logs.clone(),
            stream,
            level,
            include_data,
            execution_arn: execution_arn.to_string(),
        })
    }

    /// Logs the events this level keeps, best effort (see [`baton_logs::Logs::append`]).
    pub fn write(&self, events: &[HistoryEvent], redrive_count: u32) {
        self.write_as(&self.execution_arn, events, redrive_count);
    }

    /// [`ExecutionLog::write`] for another execution logged here: a child of one of this
    /// execution's distributed Maps, which logs as its parent's state machine says
    /// (`DescribeStateMachineForExecution` answers a child with the parent machine's
    /// `loggingConfiguration`).
    pub fn write_as(&self, execution_arn: &str, events: &[HistoryEvent], redrive_count: u32) {
        let mut messages: Vec<(i64, String)> = Vec::new();
        for event in events {
            let kind = event.details.type_name();
            if !kept(self.level, &kind) {
                continue;
            }
            let mut details = event.log_details(self.include_data);
            truncate_payloads(&mut details);
            let message = json!({
                "id": event.id.to_string(),
                "type": kind,
                "details": details,
                "previous_event_id": event.previous_event_id.to_string(),
                "event_timestamp": event.timestamp.to_string(),
                "execution_arn": execution_arn,
                "redrive_count": redrive_count.to_string(),
            });
            messages.push((event.timestamp, message.to_string()));
        }
        if messages.is_empty() {
            return;
        }
        let borrowed: Vec<(i64, &str)> = messages.iter().map(|(t, m)| (*t, m.as_str())).collect();
        self.logs.append(self.stream, &borrowed);
    }
}

/// The most bytes of an input or output a log event carries: "If escaped input or escaped
/// output sent to CloudWatch Logs exceeds 248KB, it will be truncated", which its
/// `inputDetails`/`outputDetails` then say (Developer Guide, "CloudWatch Logs payloads").
const PAYLOAD_BYTES: usize = 248 * 1024;

fn truncate_payloads(details: &mut serde_json::Value) {
    let Some(map) = details.as_object_mut() else {
        return;
    };
    for (data, marker) in [("input", "inputDetails"), ("output", "outputDetails")] {
        let Some(serde_json::Value::String(text)) = map.get_mut(data) else {
            continue;
        };
        if text.len() <= PAYLOAD_BYTES {
            continue;
        }
        let mut cut = PAYLOAD_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        map.insert(marker.into(), json!({"truncated": true}));
    }
}

/// Whether `level` logs events of type `kind`.
pub(crate) fn kept(level: LogLevel, kind: &str) -> bool {
    match level {
        LogLevel::All => true,
        LogLevel::Error => {
            kind == "FailStateEntered"
                || kind.ends_with("Failed")
                || kind.ends_with("TimedOut")
                || kind.ends_with("Aborted")
        }
        LogLevel::Fatal => matches!(
            kind,
            "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut"
        ),
        _ => false,
    }
}

/// Whether the log group a configuration names exists, for `CreateStateMachine` and
/// `UpdateStateMachine`: AWS refuses a configuration whose group is missing with
/// `InvalidLoggingConfiguration` ("Invalid Logging Configuration: Log Destination not
/// found.", recorded against a deleted group). A group of another account is not found
/// either: a key acts in its own account only. With several nodes, whose log groups are each
/// node's own, only the account is checked (the group may have been made through another
/// node; [`ExecutionLog::open`] makes it here).
pub(crate) fn destination_found(
    logs: Option<&Logs>,
    logging: &str,
    account: &str,
    several_nodes: bool,
) -> bool {
    let Some(logs) = logs else {
        // Without a log store (`baton run`, embedded tests) nothing is written or checked.
        return true;
    };
    match destination(Some(logging)) {
        None => true,
        Some((key, _, _)) => key.account == account && (several_nodes || logs.group_exists(&key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The "Log levels" table of the Step Functions Developer Guide, row by row.
    #[test]
    fn levels_keep_the_events_of_the_guides_table() {
        let error_rows = [
            "ExecutionAborted",
            "ExecutionFailed",
            "ExecutionTimedOut",
            "FailStateEntered",
            "LambdaFunctionFailed",
            "LambdaFunctionScheduleFailed",
            "LambdaFunctionStartFailed",
            "LambdaFunctionTimedOut",
            "MapIterationAborted",
            "MapIterationFailed",
            "MapStateAborted",
            "MapStateFailed",
            "ParallelStateAborted",
            "ParallelStateFailed",
            "TaskFailed",
            "TaskStartFailed",
            "TaskStateAborted",
            "TaskSubmitFailed",
            "TaskTimedOut",
            "WaitStateAborted",
        ];
        let all_only = [
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "ExecutionStarted",
            "ExecutionSucceeded",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "MapIterationStarted",
            "MapIterationSucceeded",
            "MapStateEntered",
            "MapStateExited",
            "MapStateStarted",
            "MapStateSucceeded",
            "ParallelStateEntered",
            "ParallelStateExited",
            "ParallelStateStarted",
            "ParallelStateSucceeded",
            "PassStateEntered",
            "PassStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "TaskScheduled",
            "TaskStarted",
            "TaskStateEntered",
            "TaskStateExited",
            "TaskSubmitted",
            "TaskSucceeded",
            "WaitStateEntered",
            "WaitStateExited",
        ];
        for kind in error_rows {
            assert!(
                kept(LogLevel::All, kind) && kept(LogLevel::Error, kind),
                "{kind}"
            );
            assert_eq!(
                kept(LogLevel::Fatal, kind),
                kind.starts_with("Execution"),
                "{kind}"
            );
            assert!(!kept(LogLevel::Off, kind));
        }
        for kind in all_only {
            assert!(kept(LogLevel::All, kind), "{kind}");
            assert!(!kept(LogLevel::Error, kind), "{kind}");
            assert!(!kept(LogLevel::Fatal, kind), "{kind}");
        }
    }

    #[test]
    fn payloads_over_248_kb_are_cut_and_marked_truncated() {
        let big = "é".repeat(PAYLOAD_BYTES);
        let mut details = json!({"input": big, "inputDetails": {"truncated": false},
            "output": "small", "outputDetails": {"truncated": false}});
        truncate_payloads(&mut details);
        let input = details["input"].as_str().unwrap();
        assert!(input.len() <= PAYLOAD_BYTES && input.len() > PAYLOAD_BYTES - 2);
        assert_eq!(details["inputDetails"], json!({"truncated": true}));
        assert_eq!(details["output"], "small");
        assert_eq!(details["outputDetails"], json!({"truncated": false}));
    }

    #[test]
    fn the_destination_is_the_groups_arn() {
        let text = r#"{"level":"ERROR","includeExecutionData":true,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/g:*"}}]}"#;
        let (key, level, data) = destination(Some(text)).unwrap();
        assert_eq!(key.name, "/aws/g");
        assert_eq!(level, LogLevel::Error);
        assert!(data);
        assert!(destination(Some(r#"{"level":"OFF","includeExecutionData":false}"#)).is_none());
        assert!(destination(None).is_none());
    }
}
