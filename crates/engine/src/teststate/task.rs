//! A tested Task state: its input side (InputPath, Parameters or Arguments, the timeouts),
//! the call itself (mocked, or made by the caller), and its result side.

use baton_asl::model::{DataFlow, State, StateKind};
use serde_json::Value;

use super::run::{ctx_of, text, Ending, Mock, Session};
use super::types::TaskOutcome;
use crate::execution::Fault;
use crate::signal::TaskRequest;
use crate::task::resource_kind;

/// Where a Task stands after its input side.
pub(crate) enum TaskStart {
    /// The call to make (when nothing mocks it).
    Call(TaskRequest),
    Ended(Ending),
}

impl Session {
    /// Evaluates the Task's input side and, when the request mocks the call, its outcome.
    pub fn start_task(&mut self, state: &State) -> TaskStart {
        let StateKind::Task(task) = &state.kind else {
            return TaskStart::Ended(Ending::Fail(Fault::new(None, None)));
        };
        let kind = resource_kind(&task.resource, &self.region);
        // `$$.Task.Token` exists for callback and `.sync` integrations, as in a run.
        let token = (kind.wait_for_token || kind.sync).then(|| self.token());
        let context = self.context_value(state, token.as_deref());
        let raw = self.input.clone();
        let ctx = ctx_of(state, &context, &self.scope, self.now);
        let entropy = &mut self.entropy;
        let probe = &mut self.probe;
        let prepared = (|| -> Result<(Value, Option<u64>, Option<u64>), Fault> {
            let input = match &state.flow {
                DataFlow::JsonPath(flow) => {
                    let effective = ctx.select(&flow.input_path, raw.clone())?;
                    probe.after_input_path = text(&effective);
                    let parameters = match &flow.parameters {
                        Some(p) => ctx.template(p, &effective, entropy)?,
                        None => effective,
                    };
                    probe.after_parameters = text(&parameters);
                    parameters
                }
                DataFlow::Jsonata(flow) => {
                    let arguments = match &flow.arguments {
                        Some(t) => {
                            let states = ctx.states(&raw, None, None);
                            ctx.jsonata(t, "Arguments", &states, entropy)?
                        }
                        None => raw.clone(),
                    };
                    probe.after_arguments = text(&arguments);
                    arguments
                }
            };
            let timeout = ctx.count(
                task.timeout_seconds.as_ref(),
                "TimeoutSeconds",
                &raw,
                entropy,
            )?;
            let heartbeat = ctx.count(
                task.heartbeat_seconds.as_ref(),
                "HeartbeatSeconds",
                &raw,
                entropy,
            )?;
            Ok((input, timeout, heartbeat))
        })();
        let (input, timeout, heartbeat) = match prepared {
            Ok(p) => p,
            Err(f) => return TaskStart::Ended(Ending::Fail(f)),
        };
        match self.mock.clone() {
            Mock::Result(v) => TaskStart::Ended(self.task_done(state, TaskOutcome::Succeeded(v))),
            Mock::Error(e) => TaskStart::Ended(self.task_done(
                state,
                TaskOutcome::Failed {
                    error: e.error,
                    cause: e.cause,
                },
            )),
            Mock::None => TaskStart::Call(TaskRequest {
                id: 0,
                state_name: state.name.clone(),
                resource: task.resource.clone(),
                input,
                token,
                timeout_seconds: timeout,
                heartbeat_seconds: heartbeat,
                credentials: task.credentials.clone(),
                purpose: Default::default(),
                trace: None,
            }),
        }
    }

    /// The Task's result side, once the call (or its mock) answered.
    pub fn task_done(&mut self, state: &State, outcome: TaskOutcome) -> Ending {
        match outcome {
            TaskOutcome::Failed { error, cause } => Ending::Fail(Fault::new(error, cause)),
            TaskOutcome::Succeeded(result) => {
                self.probe.result = text(&result);
                self.complete(state, result)
            }
        }
    }
}
