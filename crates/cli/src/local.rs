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
        match result {
            TaskResult::Succeeded(v) => TaskReply::Succeeded(v),
            TaskResult::Failed { error, cause } => TaskReply::Failed { error, cause },
            // Nothing can send the token to an in-process run: only a timeout ends the task.
            TaskResult::AwaitingCallback => TaskReply::Pending,
            TaskResult::Submitted(output) => TaskReply::Submitted(output),
        }
    }
}

/// Serves Task states from a Step Functions Local mock configuration, and those without a
/// mock from the configured resources.
pub struct Mocks {
    pub session: Option<MockSession>,
    pub integrations: Option<Integrated>,
}

impl Mocks {
    fn unmocked(&self, request: &TaskRequest) -> TaskReply {
        match &self.integrations {
            Some(i) if i.serves_tasks || request.purpose != TaskPurpose::State => i.run(request),
            _ => unconfigured(request),
        }
    }
}

impl TaskHandler for Mocks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        // A mock answers a Task state; a Map's item reader or result writer goes to storage.
        let Some(session) = self
            .session
            .as_mut()
            .filter(|_| request.purpose == TaskPurpose::State)
        else {
            return self.unmocked(request);
        };
        match session.next(&request.state_name) {
            None => self.unmocked(request),
            Some(Ok(MockResponse::Return(v))) => TaskReply::Succeeded(v),
            Some(Ok(MockResponse::Throw { error, cause })) => TaskReply::Failed { error, cause },
            Some(Err(e)) => TaskReply::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(e.to_string()),
            },
        }
    }
}

fn unconfigured(request: &TaskRequest) -> TaskReply {
    TaskReply::Failed {
        error: Some("States.Runtime".into()),
        cause: Some(baton_runtime::integration::unconfigured_cause(request)),
    }
}
