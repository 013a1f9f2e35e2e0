//! Activity workers and callbacks: `GetActivityTask` (long polling), `SendTaskSuccess`,
//! `SendTaskFailure`, `SendTaskHeartbeat`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_api::arn::ActivityArn;
use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_engine::Event;
use baton_store::TaskStatus;
use tokio::sync::Notify;

use crate::live::Applied;
use crate::{internal, Runtime};

/// How often a waiting `GetActivityTask` looks for tasks again when other nodes share the store
/// (their tasks do not wake this node's pollers).
const OTHER_NODES_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Pollers waiting for an activity's tasks, by activity ARN.
#[derive(Default)]
pub(crate) struct Waiters {
    by_activity: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Waiters {
    fn of(&self, activity: &str) -> Arc<Notify> {
        self.by_activity
            .lock()
            .expect("waiters")
            .entry(activity.to_string())
            .or_default()
            .clone()
    }

    /// Every poller of every activity looks again.
    pub fn notify_all(&self) {
        let all: Vec<Arc<Notify>> = self
            .by_activity
            .lock()
            .expect("waiters")
            .values()
            .cloned()
            .collect();
        for n in all {
            n.notify_waiters();
        }
    }

    /// A task of `activity` was scheduled: every poller looks again.
    pub fn notify(&self, activity: &str) {
        let notify = self
            .by_activity
            .lock()
            .expect("waiters")
            .get(activity)
            .cloned();
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }
}

pub(crate) async fn get_activity_task(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: GetActivityTaskInput,
) -> Result<GetActivityTaskOutput, ApiError> {
    ActivityArn::parse(&input.activity_arn)?;
    if rt
        .store
        .activity(&input.activity_arn)
        .await
        .map_err(internal)?
        .is_none()
    {
        return Err(ApiError::activity_does_not_exist(&input.activity_arn));
    }
    let deadline = tokio::time::Instant::now() + rt.config.activity_poll;
    let waiter = rt.activities.of(&input.activity_arn);
    let mut stopping = rt.stopping.subscribe();
    let no_task = GetActivityTaskOutput {
        task_token: None,
        input: None,
    };
    loop {
        if *stopping.borrow_and_update() {
            return Ok(no_task);
        }
        let notified = waiter.notified();
        tokio::pin!(notified);
        // Registered before looking, so a task scheduled meanwhile wakes this poll.
        notified.as_mut().enable();
        let now = crate::now();
        let claimed = rt
            .store
            .claim_activity_task(&input.activity_arn, input.worker_name.as_deref(), now)
            .await
            .map_err(internal)?;
        if let Some(task) = claimed {
            let event = Event::TaskStarted {
                task: task.task_id,
                time: now,
                worker: input.worker_name.clone(),
            };
            match rt.deliver(&task.execution_arn, event, None).await {
                // (Already: loading the execution applied this claim's start from its row.)
                Ok(Applied::Yes | Applied::Queued | Applied::Already) => {}
                // The execution ended or the task was cancelled meanwhile: look again.
                Ok(_) => continue,
                // The claim is durable: the worker has the task whatever became of recording
                // its start, which the task's row gives again (when the execution is loaded,
                // or when the task's result comes).
                Err(e) => {
                    tracing::warn!(arn = %task.execution_arn, error = %e, "could not record an activity task's start");
                }
            }
            return Ok(GetActivityTaskOutput {
                task_token: task.token,
                input: Some(task.input),
            });
        }
        tokio::select! {
            _ = notified => {}
            // Tasks scheduled on another node wake no one here: look again now and then.
            _ = tokio::time::sleep(OTHER_NODES_POLL), if rt.ownership.is_shared() => {}
            // AWS answers an empty task when the poll times out; so does a stopping server.
            _ = tokio::time::sleep_until(deadline) => return Ok(no_task),
            _ = stopping.changed() => return Ok(no_task),
        }
    }
}

/// The open task a token names, or the error AWS gives.
async fn task_of(rt: &Runtime, token: &str) -> Result<baton_store::Task, ApiError> {
    // Tokens this runtime hands out are 64 hexadecimal digits.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::InvalidToken {
            message: "Invalid Token: 'Invalid token'".into(),
        });
    }
    let task = rt
        .store
        .task_by_token(token)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::TaskDoesNotExist {
            message: "Task Does Not Exist: 'Provided task does not exist'".into(),
        })?;
    // Closed, or its result taken already on another node.
    if matches!(task.status, TaskStatus::Closed | TaskStatus::Completing) {
        return Err(timed_out());
    }
    Ok(task)
}

fn timed_out() -> ApiError {
    ApiError::TaskTimedOut {
        message: "Task Timed Out: 'Provided task does not exist anymore'".into(),
    }
}

/// Applies a task's result or heartbeat here, or puts it in the inbox of the node that runs
/// the execution; a result is taken there and then (`claim`), so of two racing results one
/// wins and the other is answered as AWS answers a task that is gone.
async fn deliver(
    rt: &Runtime,
    task: &baton_store::Task,
    event: Event,
    claim: bool,
) -> Result<(), ApiError> {
    let claim = claim.then_some(task.task_id);
    match rt.deliver(&task.execution_arn, event, claim).await {
        Ok(Applied::Yes | Applied::Queued | Applied::Already) => Ok(()),
        Ok(Applied::NotRunning | Applied::Stale | Applied::Elsewhere(_)) => Err(timed_out()),
        Err(baton_store::Error::Conflict { .. }) => Err(timed_out()),
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn send_task_success(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: SendTaskSuccessInput,
) -> Result<SendTaskSuccessOutput, ApiError> {
    let task = task_of(rt, &input.task_token).await?;
    // Nested up to AWS's 1,000 levels, not serde_json's default 128.
    let output: serde_json::Value =
        baton_api::json::from_str(&input.output).map_err(|e| ApiError::InvalidOutput {
            message: format!("Invalid Output: '{e}'"),
        })?;
    let event = Event::TaskSucceeded {
        task: task.task_id,
        output,
        time: crate::now(),
    };
    deliver(rt, &task, event, true).await?;
    Ok(SendTaskSuccessOutput {})
}

pub(crate) async fn send_task_failure(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: SendTaskFailureInput,
) -> Result<SendTaskFailureOutput, ApiError> {
    let task = task_of(rt, &input.task_token).await?;
    let event = Event::TaskFailed {
        task: task.task_id,
        error: input.error,
        cause: input.cause,
        time: crate::now(),
    };
    deliver(rt, &task, event, true).await?;
    Ok(SendTaskFailureOutput {})
}

pub(crate) async fn send_task_heartbeat(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: SendTaskHeartbeatInput,
) -> Result<SendTaskHeartbeatOutput, ApiError> {
    let task = task_of(rt, &input.task_token).await?;
    let event = Event::TaskHeartbeat {
        task: task.task_id,
        time: crate::now(),
    };
    deliver(rt, &task, event, false).await?;
    Ok(SendTaskHeartbeatOutput {})
}
