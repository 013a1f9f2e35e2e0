//! Tasks and time for `baton run`: mocked responses, and a clock that is either the system's
//! or virtual.

use baton_engine::driver::{Clock, TaskHandler, TaskReply};
use baton_engine::{Millis, TaskRequest};
use baton_mock::{MockResponse, MockSession};

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

/// Serves Task states from a Step Functions Local mock configuration.
pub struct Mocks {
    pub session: Option<MockSession>,
}

impl TaskHandler for Mocks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        let Some(session) = self.session.as_mut() else {
            return unconfigured(request);
        };
        match session.next(&request.state_name) {
            None => unconfigured(request),
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
        cause: Some(format!(
            "No mocked response or configured resource for state '{}' (resource '{}')",
            request.state_name, request.resource
        )),
    }
}
