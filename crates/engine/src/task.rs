//! Task states: what kind of resource a `Resource` names, scheduling one attempt, and turning
//! its result or failure into the state's output.

use baton_asl::model::{DataFlow, State, StateKind};
use baton_asl::vars::Entropy;
use baton_asl::ErrorName;
use serde_json::{Map, Value};

use crate::dataflow::Ctx;
use crate::execution::{Execution, Fault, Pending, RunId, TaskWait, TimerPurpose};
use crate::history::{EventDetails, Millis, TaskFamily, TaskResource};
use crate::signal::{Effect, TaskRequest};
use crate::states::{next_of, Step};

/// How a Task's `Resource` is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceKind {
    pub resource: TaskResource,
    /// `.waitForTaskToken`: the task ends when a token is sent back.
    pub wait_for_token: bool,
    /// `.sync` / `.sync:2`: the task ends when the started job ends.
    pub sync: bool,
}

/// A check of a Task's effective parameters that needs no call: `Err` is the cause the state
/// fails with (`States.Runtime`, after AWS's prefix), before anything is scheduled, as AWS
/// refuses "The Parameters '…' could not be used to start the Task: […]" with no
/// `TaskScheduled` in the history. `(resource, region, parameters)`.
pub type ParameterCheck = fn(&str, &str, &Value) -> Result<(), String>;

static PARAMETER_CHECK: std::sync::OnceLock<ParameterCheck> = std::sync::OnceLock::new();

/// Sets the process's [`ParameterCheck`] (the runtime's, which knows the services' models);
/// the first call wins. Without one, parameters are checked only where they are used.
pub fn set_parameter_check(check: ParameterCheck) {
    let _ = PARAMETER_CHECK.set(check);
}

/// Classifies a `Resource` ARN. `region` is used where the ARN has none.
pub fn resource_kind(arn: &str, region: &str) -> ResourceKind {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let service = parts.get(2).copied().unwrap_or("");
    let arn_region = parts
        .get(3)
        .copied()
        .filter(|r| !r.is_empty())
        .unwrap_or(region);
    let rest = parts.get(5).copied().unwrap_or("");
    if service == "lambda" {
        return ResourceKind {
            resource: TaskResource {
                family: TaskFamily::Lambda,
                resource_type: "lambda".into(),
                resource: arn.to_string(),
                region: arn_region.to_string(),
            },
            wait_for_token: false,
            sync: false,
        };
    }
    if service == "states" && rest.starts_with("activity:") {
        return ResourceKind {
            resource: TaskResource {
                family: TaskFamily::Activity,
                resource_type: "activity".into(),
                resource: arn.to_string(),
                region: arn_region.to_string(),
            },
            wait_for_token: false,
            sync: false,
        };
    }
    // arn:aws:states:::SERVICE:ACTION[.suffix], where SERVICE may be `aws-sdk:NAME`.
    let (resource_type, action) = match rest.strip_prefix("aws-sdk:") {
        Some(sdk) => match sdk.split_once(':') {
            Some((svc, action)) => (format!("aws-sdk:{svc}"), action.to_string()),
            None => ("aws-sdk".to_string(), sdk.to_string()),
        },
        None => match rest.split_once(':') {
            Some((svc, action)) => (svc.to_string(), action.to_string()),
            None => (rest.to_string(), String::new()),
        },
    };
    ResourceKind {
        wait_for_token: action.ends_with(".waitForTaskToken"),
        sync: action.contains(".sync"),
        resource: TaskResource {
            family: TaskFamily::Integration,
            resource_type,
            resource: action,
            region: arn_region.to_string(),
        },
    }
}

impl Execution {
    pub(crate) fn start_task(&mut self, rid: RunId, state: &State) -> Step {
        let StateKind::Task(task) = &state.kind else {
            unreachable!("a Task state")
        };
        let kind = resource_kind(&task.resource, &self.info.region);
        let token = (kind.wait_for_token || kind.resource.family == TaskFamily::Activity)
            .then(|| task_token(&mut self.entropy));
        // AWS fills `$$.Task.Token` for callback and `.sync` integrations alike.
        let token = token.or_else(|| kind.sync.then(|| task_token(&mut self.entropy)));
        let context_token = if kind.wait_for_token || kind.sync {
            token.as_deref()
        } else {
            None
        };
        let context = self.context_for(rid, state, context_token);
        let run = self.runs[rid].as_ref().expect("live run");
        let ctx = Ctx::of(run, state, &context, self.now);
        let entropy = &mut self.entropy;
        let raw = &run.input;
        let prepared = (|| -> Result<(Value, Option<u64>, Option<u64>), Fault> {
            let input = match &state.flow {
                DataFlow::JsonPath(flow) => {
                    let effective = ctx.select(&flow.input_path, raw.clone())?;
                    match &flow.parameters {
                        Some(p) => ctx.template(p, &effective, entropy)?,
                        None => effective,
                    }
                }
                DataFlow::Jsonata(flow) => match &flow.arguments {
                    Some(t) => {
                        let states = ctx.states(raw, None, None);
                        ctx.jsonata(t, "Arguments", &states, entropy)?
                    }
                    None => raw.clone(),
                },
            };
            let timeout = ctx.count(
                task.timeout_seconds.as_ref(),
                "TimeoutSeconds",
                raw,
                entropy,
            )?;
            let heartbeat = ctx.count(
                task.heartbeat_seconds.as_ref(),
                "HeartbeatSeconds",
                raw,
                entropy,
            )?;
            Ok((input, timeout, heartbeat))
        })();
        let (input, timeout, heartbeat) = match prepared {
            Ok(p) => p,
            Err(f) => return Step::Fail(f),
        };
        if kind.resource.family == TaskFamily::Activity
            && self.info.missing_activities.contains(&task.resource)
        {
            let message = format!("The activity {} does not exist.", task.resource);
            return Step::Terminal(self.runtime_fault(rid, state, &message));
        }
        if let Some(check) = PARAMETER_CHECK.get() {
            if let Err(cause) = check(&task.resource, &self.info.region, &input) {
                return Step::Terminal(self.runtime_fault(rid, state, &cause));
            }
        }
        self.emit_in(
            rid,
            EventDetails::TaskScheduled {
                resource: kind.resource.clone(),
                parameters: input.to_string(),
                timeout_seconds: timeout,
                heartbeat_seconds: heartbeat,
            },
        );
        let started = kind.resource.family != TaskFamily::Activity;
        if started {
            self.emit_in(
                rid,
                EventDetails::TaskStarted {
                    resource: kind.resource.clone(),
                    worker_name: None,
                },
            );
        }
        let id = self.next_task_id();
        self.tasks.insert(id, rid);
        self.effects.push(Effect::ScheduleTask(TaskRequest {
            id,
            state_name: state.name.clone(),
            resource: task.resource.clone(),
            input,
            token,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            credentials: task.credentials.clone(),
            purpose: Default::default(),
            trace: None,
        }));
        let now = self.now;
        let timeout_timer = timeout.map(|t| {
            self.start_timer(now + t as Millis * 1000, TimerPurpose::TaskTimeout(rid, id))
        });
        let hb = heartbeat.map(|h| {
            (
                self.start_timer(now + h as Millis * 1000, TimerPurpose::Heartbeat(rid, id)),
                h,
            )
        });
        self.run_mut(rid).pending = Pending::Task(TaskWait {
            id,
            resource: kind.resource,
            timeout_timer,
            heartbeat: hb,
            started,
            submitted: false,
        });
        Step::Block
    }

    /// The runtime could not run the task: the state fails with `States.Runtime`, worded as
    /// the engine's own runtime errors are.
    pub(crate) fn task_rejected(&mut self, rid: RunId, state: &State, message: &str) -> Step {
        let Pending::Task(wait) = std::mem::replace(&mut self.run_mut(rid).pending, Pending::None)
        else {
            return Step::Block;
        };
        if let Some(t) = wait.timeout_timer {
            self.cancel_timer(t);
        }
        if let Some((t, _)) = wait.heartbeat {
            self.cancel_timer(t);
        }
        Step::Terminal(self.runtime_fault(rid, state, message))
    }

    /// `States.Runtime` for the state `rid` is in, with AWS's cause prefix: no Retry or Catch
    /// sees it.
    pub(crate) fn runtime_fault(&self, rid: RunId, state: &State, message: &str) -> Fault {
        let entered = self.run(rid).entered_id;
        let mut fault = Fault::of(
            ErrorName::Runtime,
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{entered}). {message}",
                state.name
            ),
        );
        fault.terminal = true;
        fault
    }

    pub(crate) fn task_result(
        &mut self,
        rid: RunId,
        state: &State,
        result: Result<Value, Fault>,
        timed_out: bool,
    ) -> Step {
        let Pending::Task(wait) = std::mem::replace(&mut self.run_mut(rid).pending, Pending::None)
        else {
            return Step::Block;
        };
        if let Some(t) = wait.timeout_timer {
            self.cancel_timer(t);
        }
        if let Some((t, _)) = wait.heartbeat {
            self.cancel_timer(t);
        }
        match result {
            Err(fault) => {
                let (error, cause) = (fault.error_text(), fault.cause.clone());
                let details = if timed_out {
                    EventDetails::TaskTimedOut {
                        resource: wait.resource,
                        error,
                        cause,
                    }
                } else {
                    EventDetails::TaskFailed {
                        resource: wait.resource,
                        error,
                        cause,
                    }
                };
                self.emit_in(rid, details);
                Step::Fail(fault)
            }
            Ok(output) => {
                let text = output.to_string();
                if text.len() > self.limits.max_payload_bytes {
                    let fault = Fault::of(
                        ErrorName::DataLimitExceeded,
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            state.name
                        ),
                    );
                    self.emit_in(
                        rid,
                        EventDetails::TaskFailed {
                            resource: wait.resource,
                            error: fault.error_text(),
                            cause: fault.cause.clone(),
                        },
                    );
                    return Step::Fail(fault);
                }
                self.emit_in(
                    rid,
                    EventDetails::TaskSucceeded {
                        resource: wait.resource,
                        output: text,
                    },
                );
                self.complete_with_result(rid, state, output)
            }
        }
    }

    /// The common tail of Task, Parallel and Map: ResultSelector → ResultPath → OutputPath
    /// (JSONPath) or Output (JSONata), and Assign.
    pub(crate) fn complete_with_result(
        &mut self,
        rid: RunId,
        state: &State,
        result: Value,
    ) -> Step {
        let context = self.context_for(rid, state, None);
        let run = self.runs[rid].as_ref().expect("live run");
        let ctx = Ctx::of(run, state, &context, self.now);
        let entropy = &mut self.entropy;
        let raw = run.input.clone();
        let done = (|| -> Result<(Value, Option<Map<String, Value>>), Fault> {
            match &state.flow {
                DataFlow::JsonPath(flow) => {
                    let selected = match &flow.result_selector {
                        Some(t) => ctx.template(t, &result, entropy)?,
                        None => result,
                    };
                    let assigned = match &flow.assign {
                        Some(a) => Some(ctx.assign(a, &selected, None, entropy)?),
                        None => None,
                    };
                    let placed = ctx.result_path(&flow.result_path, raw, selected)?;
                    Ok((ctx.select(&flow.output_path, placed)?, assigned))
                }
                DataFlow::Jsonata(flow) => {
                    let states = ctx.states(&raw, Some(&result), None);
                    let assigned = match &flow.assign {
                        Some(a) => Some(ctx.assign(a, &raw, Some(&states), entropy)?),
                        None => None,
                    };
                    let output = match &flow.output {
                        Some(t) => ctx.jsonata(t, "Output", &states, entropy)?,
                        None => result,
                    };
                    Ok((output, assigned))
                }
            }
        })();
        match done {
            Ok((output, assigned)) => Step::Exit {
                output,
                next: next_of(state),
                assigned,
            },
            Err(f) => Step::Fail(f),
        }
    }
}

/// A task token: opaque, unique, reproducible from the execution's seed.
pub(crate) fn task_token(entropy: &mut dyn Entropy) -> String {
    let mut s = String::with_capacity(64);
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", entropy.next_u64()));
    }
    s
}
