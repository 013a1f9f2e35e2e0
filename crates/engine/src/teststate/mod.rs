//! The TestState API's semantics as a pure function: one state (alone, or out of a whole
//! machine by `stateName`) run once on an input, through the interpreter's data-flow phases,
//! with AWS's status, output, next state and `inspectionData`.
//!
//! A Task's call is mocked (`mock.result`, `mock.errorOutput`) or made by the caller: without
//! a mock, [`test_state`] stops at [`TestStateStep::Task`] and the caller finishes the run with
//! [`PendingTask::resume`] once the service answered. Nothing here does I/O or reads a clock.

mod context;
mod fanout;
mod locate;
mod outcome;
mod request;
mod run;
mod shapes;
mod task;
mod types;

use std::sync::Arc;

use baton_asl::model::{State, StateKind};

pub use shapes::{ModelFormatError, ServiceModel, ServiceModels};
pub use types::{
    ErrorDetails, FieldValidationMode, InspectionData, InspectionLevel, MockErrorOutput, MockInput,
    StateConfiguration, TaskOutcome, TestStateError, TestStateRequest, TestStateResponse,
    TestStatus,
};

use crate::execution::Limits;
use crate::history::Millis;
use crate::signal::TaskRequest;
use run::Session;

/// Where and when the test runs: what the made-up context object shows, the seed of every
/// random value, and the service models mocked results are checked against.
#[derive(Debug, Clone)]
pub struct TestStateEnv {
    pub partition: String,
    pub region: String,
    pub account: String,
    /// The time the state is entered (`$$.Execution.StartTime`, `$$.State.EnteredTime`).
    pub now: Millis,
    /// Seeds the generated names, task tokens, `States.UUID` and `$random`.
    pub seed: u64,
    /// Names in `$$`; generated from the seed when absent.
    pub state_machine_name: Option<String>,
    pub execution_name: Option<String>,
    pub models: Arc<ServiceModels>,
    pub limits: Limits,
}

impl TestStateEnv {
    /// An environment in the `aws` partition with the models that ship with Baton.
    pub fn new(region: &str, account: &str, now: Millis, seed: u64) -> TestStateEnv {
        TestStateEnv {
            partition: "aws".to_string(),
            region: region.to_string(),
            account: account.to_string(),
            now,
            seed,
            state_machine_name: None,
            execution_name: None,
            // No service models unless the caller loads them (from botocore's data).
            models: Arc::new(ServiceModels::empty()),
            limits: Limits::default(),
        }
    }
}

/// Where a TestState run stands.
#[derive(Debug)]
pub enum TestStateStep {
    Done(TestStateResponse),
    /// A Task without a mock: the caller makes this call and resumes the run with its outcome.
    Task(PendingTask),
}

/// A run paused at its Task's call.
pub struct PendingTask {
    session: Box<Session>,
    state: Box<State>,
    request: TaskRequest,
    level: InspectionLevel,
}

impl std::fmt::Debug for PendingTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingTask")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl PendingTask {
    /// The call to make: resource, effective parameters, timeouts, credentials.
    pub fn request(&self) -> &TaskRequest {
        &self.request
    }

    /// Finishes the run with what the service returned.
    pub fn resume(self, outcome: TaskOutcome) -> TestStateResponse {
        let PendingTask {
            mut session,
            state,
            level,
            ..
        } = self;
        let _budget = session.budget.map(baton_asl::budget::enter);
        let ending = session.task_done(&state, outcome);
        session.respond(&state, ending, level)
    }
}

/// Runs one TestState request. `Err` is the API error AWS refuses the request with.
pub fn test_state(
    request: &TestStateRequest,
    env: &TestStateEnv,
) -> Result<TestStateStep, TestStateError> {
    let _budget = env.limits.budget.map(baton_asl::budget::enter);
    let (mut session, state) = request::prepare(request, env)?;
    let level = request.inspection_level.unwrap_or_default();
    let ending = match &state.kind {
        StateKind::Task(_) => match session.start_task(&state) {
            task::TaskStart::Ended(ending) => ending,
            task::TaskStart::Call(call) => {
                return Ok(TestStateStep::Task(PendingTask {
                    session: Box::new(session),
                    state: Box::new(state),
                    request: call,
                    level,
                }))
            }
        },
        StateKind::Parallel(_) | StateKind::Map(_) => session.fanout(&state),
        _ => session.simple(&state),
    };
    Ok(TestStateStep::Done(session.respond(&state, ending, level)))
}
