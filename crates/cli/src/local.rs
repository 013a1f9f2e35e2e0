//! Tasks and time for `baton run`: mocked responses, the configured resources
//! (`--config`) for tasks without a mock, and a clock that is either the system's or virtual.

use std::sync::Arc;

use baton_engine::driver::{Clock, TaskHandler, TaskReply};
use baton_engine::{resource_kind, ExecutionInfo, Millis, TaskPurpose, TaskRequest};
use baton_mock::{MockResponse, MockSession};
use baton_runtime::integration::{Integrations, TaskResult};

/// The system clock: waits really wait.
pub struct SystemClock;

pub fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl Clock for SystemClock {
    fn now(&mut self) -> Millis {
        system_now()
    }
    fn advance_to(&mut self, at: Millis) {
        let now = system_now();
        if at > now {
            std::thread::sleep(std::time::Duration::from_millis((at - now) as u64));
        }
    }
}

/// The configured resources, called synchronously: the local driver waits for each task.
pub struct Integrated {
    runtime: tokio::runtime::Runtime,
    resources: Arc<dyn Integrations>,
    info: ExecutionInfo,
    /// False when nothing is configured: only a distributed Map's item reader and result
    /// writer reach the resources (the buckets under the data folder); Task states without a
    /// mock fail with `States.Runtime`.
    serves_tasks: bool,
    /// What must live as long as the run: the runtime nested executions start children on.
    kept: Vec<Box<dyn std::any::Any>>,
}

impl Integrated {
    pub fn new(resources: Arc<dyn Integrations>, info: ExecutionInfo) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Integrated {
            runtime,
            resources,
            info,
            serves_tasks: true,
            kept: Vec::new(),
        })
    }

    /// Runs `future` on the runtime tasks run on (what it spawns goes on running while tasks
    /// are served).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Keeps `thing` alive as long as these resources.
    pub fn keep(&mut self, thing: Box<dyn std::any::Any>) {
        self.kept.push(thing);
    }

    /// As [`Integrated::new`], but Task states are not served: only a distributed Map's
    /// item reader and result writer are.
    pub fn storage_only(
        resources: Arc<dyn Integrations>,
        info: ExecutionInfo,
    ) -> std::io::Result<Self> {
        let mut integrated = Integrated::new(resources, info)?;
        integrated.serves_tasks = false;
        Ok(integrated)
    }

    fn run(&self, request: &TaskRequest) -> TaskReply {
        let callback = resource_kind(&request.resource, &self.info.region).wait_for_token;
        let result = self
            .runtime
            .block_on(self.resources.invoke(&self.info, request, callback));
        reply(result)
    }

    /// Runs `requests` together (a Map's iterations, a Parallel's branches: a function's warm
    /// processes, or several commands, busy at once); the replies in their order.
    fn run_all(&self, requests: Vec<TaskRequest>) -> Vec<TaskReply> {
        if requests.len() < 2 {
            return requests.iter().map(|r| self.run(r)).collect();
        }
        let count = requests.len();
        self.runtime.block_on(async {
            let mut running = tokio::task::JoinSet::new();
            for (i, request) in requests.into_iter().enumerate() {
                let resources = self.resources.clone();
                let info = self.info.clone();
                running.spawn(async move {
                    let callback = resource_kind(&request.resource, &info.region).wait_for_token;
                    (i, resources.invoke(&info, &request, callback).await)
                });
            }
            let mut replies: Vec<Option<TaskReply>> = vec![None; count];
            while let Some(done) = running.join_next().await {
                match done {
                    Ok((i, result)) => replies[i] = Some(reply(result)),
                    Err(e) => tracing::error!(error = %e, "a task panicked"),
                }
            }
            replies
                .into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| TaskReply::Failed {
                        error: Some("States.Runtime".into()),
                        cause: Some("the task's call ended abnormally".into()),
                    })
                })
                .collect()
        })
    }
}

/// A task's result as the local driver takes it.
fn reply(result: TaskResult) -> TaskReply {
    match result {
        TaskResult::Succeeded(v) => TaskReply::Succeeded(v),
        TaskResult::Failed { error, cause } => TaskReply::Failed { error, cause },
        // Nothing can send the token to an in-process run: only a timeout ends the task.
        TaskResult::AwaitingCallback => TaskReply::Pending,
        TaskResult::Submitted(output) => TaskReply::Submitted(output),
        TaskResult::Rejected(cause) => TaskReply::Rejected(cause),
    }
}

/// Serves Task states from a Step Functions Local mock configuration, and those without a
/// mock from the configured resources.
pub struct Mocks {
    pub session: Option<MockSession>,
    pub integrations: Option<Integrated>,
}

impl Mocks {
    fn reaches_integrations(&self, request: &TaskRequest) -> bool {
        self.integrations
            .as_ref()
            .is_some_and(|i| i.serves_tasks || request.purpose != TaskPurpose::State)
    }

    fn unmocked(&self, request: &TaskRequest) -> TaskReply {
        match &self.integrations {
            Some(i) if self.reaches_integrations(request) => i.run(request),
            _ => unconfigured(request),
        }
    }

    /// The mocked answer of a Task state, when the test case mocks it (consuming its next
    /// response); a Map's item reader or result writer is never mocked.
    /// Parameters Step Functions refuses are refused first, before any mocked or real call
    /// (`baton_runtime::parameters`), without consuming the state's responses.
    fn mocked(&mut self, request: &TaskRequest) -> Option<TaskReply> {
        if request.purpose == TaskPurpose::State {
            if let Err(cause) =
                baton_runtime::parameters::validate(&request.resource, "", &request.input)
            {
                return Some(TaskReply::Rejected(cause));
            }
        }
        let session = self
            .session
            .as_mut()
            .filter(|_| request.purpose == TaskPurpose::State)?;
        Some(match session.next(&request.state_name)? {
            Ok(MockResponse::Return(v)) => TaskReply::Succeeded(v),
            Ok(MockResponse::Throw { error, cause }) => TaskReply::Failed { error, cause },
            Err(e) => TaskReply::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(e.to_string()),
            },
        })
    }
}

impl TaskHandler for Mocks {
    /// Mocked answers in order (each consumes its state's next response), then everything
    /// else together.
    fn run_all(&mut self, requests: &[TaskRequest]) -> Vec<TaskReply> {
        let mut replies: Vec<Option<TaskReply>> = Vec::with_capacity(requests.len());
        let mut unmocked = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            match self.mocked(request) {
                Some(reply) => replies.push(Some(reply)),
                None => {
                    replies.push(None);
                    unmocked.push(i);
                }
            }
        }
        let integrated: Vec<TaskRequest> = unmocked
            .iter()
            .map(|&i| requests[i].clone())
            .filter(|r| self.reaches_integrations(r))
            .collect();
        let mut answers = match &self.integrations {
            Some(i) if !integrated.is_empty() => i.run_all(integrated),
            _ => Vec::new(),
        }
        .into_iter();
        for i in unmocked {
            replies[i] = Some(if self.reaches_integrations(&requests[i]) {
                answers.next().unwrap_or_else(|| unconfigured(&requests[i]))
            } else {
                unconfigured(&requests[i])
            });
        }
        replies
            .into_iter()
            .zip(requests)
            .map(|(r, req)| r.unwrap_or_else(|| unconfigured(req)))
            .collect()
    }

    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        match self.mocked(request) {
            Some(reply) => reply,
            None => self.unmocked(request),
        }
    }
}

fn unconfigured(request: &TaskRequest) -> TaskReply {
    TaskReply::Failed {
        error: Some("States.Runtime".into()),
        cause: Some(baton_runtime::integration::unconfigured_cause(request)),
    }
}
