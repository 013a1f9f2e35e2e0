//! The seam to Task resources other than activities: service integrations, Lambda functions.
//! The runtime hands each such task to an [`Integrations`] and feeds its answer back to the
//! engine. Activities never come here (workers take them with `GetActivityTask`).

use async_trait::async_trait;
use baton_engine::{ExecutionInfo, TaskRequest};
use serde_json::Value;

/// How a task ended, as the engine takes it.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskResult {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The task now waits for its token (`.waitForTaskToken`): only
    /// `SendTaskSuccess`/`SendTaskFailure`, a timeout or a stop ends it. No call was made (no
    /// resource serves it: a worker that reads the token from the history may answer).
    AwaitingCallback,
    /// As [`TaskResult::AwaitingCallback`], after a call that returned this (the history's
    /// `TaskSubmitted`).
    Submitted(Value),
    /// No call was made: the parameters cannot start the task (AWS: "The Parameters '…' could
    /// not be used to start the Task: […]"). The state fails with `States.Runtime` and this
    /// cause, which no Retry or Catch sees.
    Rejected(String),
}

/// What a `.sync` task (`…:startExecution.sync`, `…:submitJob.sync`) has to do with its
/// start call: AWS records the start call's answer as `TaskSubmitted`, then waits for the work
/// to end.
#[derive(Debug, Default)]
pub struct SyncProgress {
    /// Takes the start call's answer as soon as it comes; the runtime records it
    /// (`TaskSubmitted`, journaled) before the task's end.
    pub submitted: Option<tokio::sync::mpsc::UnboundedSender<Value>>,
    /// The start call's answer recorded before a restart: the work was started already, so the
    /// task only waits for it to end.
    pub resumed: Option<Value>,
}

/// Runs Task resources.
#[async_trait]
pub trait Integrations: Send + Sync + 'static {
    /// Runs one attempt. `callback` is set for `.waitForTaskToken` resources: the call carries
    /// the token (in `request.input`) and the task ends by callback, so a call that was made
    /// answers [`TaskResult::AwaitingCallback`].
    async fn invoke(
        &self,
        info: &ExecutionInfo,
        request: &TaskRequest,
        callback: bool,
    ) -> TaskResult;

    /// Runs one attempt of a `.sync` resource, reporting its start call's answer through
    /// `progress.submitted`, or, with `progress.resumed`, only waiting for the work that answer
    /// names. By default, [`Integrations::invoke`].
    async fn invoke_sync(
        &self,
        info: &ExecutionInfo,
        request: &TaskRequest,
        progress: SyncProgress,
    ) -> TaskResult {
        let _ = progress;
        self.invoke(info, request, false).await
    }
}

/// Whether `resource` is run `.sync` (`.sync` or `.sync:2`).
pub fn is_sync(resource: &str) -> bool {
    resource.ends_with(".sync") || resource.ends_with(".sync:2")
}

/// No resource is configured: `.waitForTaskToken` tasks wait for their callback (the token is
/// in the history's `TaskScheduled` parameters and in the task's input), every other task fails
/// with `States.Runtime`, as `baton run` does without a mock.
pub struct Unconfigured;

#[async_trait]
impl Integrations for Unconfigured {
    async fn invoke(
        &self,
        _info: &ExecutionInfo,
        request: &TaskRequest,
        callback: bool,
    ) -> TaskResult {
        if callback {
            return TaskResult::AwaitingCallback;
        }
        TaskResult::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(unconfigured_cause(request)),
        }
    }
}

/// The cause of the `States.Runtime` failure of a task nothing serves (no mock, no configured
/// resource), as `baton run` and `baton serve` both word it.
pub fn unconfigured_cause(request: &TaskRequest) -> String {
    format!(
        "No mocked response or configured resource for state '{}' (resource '{}')",
        request.state_name, request.resource
    )
}
