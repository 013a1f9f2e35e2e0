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
            match rt.offer(&task.execution_arn, event, None).await {
                Ok(Applied::Yes) => {
                    return Ok(GetActivityTaskOutput {
                        task_token: task.token,
                        input: Some(task.input),
                    })
                }
                // The execution ended or the task was cancelled meanwhile: look again.
                Ok(_) => continue,
                Err(e) => return Err(internal(e)),
            }
        }
        tokio::select! {
            _ = notified => {}
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
    if task.status == TaskStatus::Closed {
        return Err(timed_out());
    }
    Ok(task)
}

fn timed_out() -> ApiError {
    ApiError::TaskTimedOut {
        message: "Task Timed Out: 'Provided task does not exist anymore'".into(),
    }
}

async fn deliver(rt: &Runtime, task: &baton_store::Task, event: Event) -> Result<(), ApiError> {
    match rt
        .offer(&task.execution_arn, event, None)
        .await
        .map_err(internal)?
    {
        Applied::Yes => Ok(()),
        Applied::NotRunning | Applied::Stale => Err(timed_out()),
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
    deliver(rt, &task, event).await?;
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
    deliver(rt, &task, event).await?;
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
    deliver(rt, &task, event).await?;
    Ok(SendTaskHeartbeatOutput {})
}
