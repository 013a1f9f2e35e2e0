//! History events as AWS writes them: types, ids, `previousEventId` and `*EventDetails`, and
//! their JSON form as `GetExecutionHistory` returns it.

use serde_json::{json, Map, Value};

/// Milliseconds since the Unix epoch. All engine time is in these units.
pub type Millis = i64;

/// One entry of an execution's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: Millis,
    pub details: EventDetails,
}

/// Where a task's events come from: AWS names task events after the resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFamily {
    /// Service integrations (`arn:aws:states:::…`): `Task*` events with resourceType/resource.
    Integration,
    /// A Lambda function ARN used directly: `LambdaFunction*` events.
    Lambda,
    /// An activity ARN: `Activity*` events.
    Activity,
}

/// The resource a task event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskResource {
    pub family: TaskFamily,
    /// `resourceType` of `Task*` events (`lambda`, `sqs`, `states`, …).
    pub resource_type: String,
    /// `resource` of `Task*` events (`invoke`, `sendMessage.waitForTaskToken`, …), or the ARN
    /// for Lambda and activity events.
    pub resource: String,
    pub region: String,
}

/// The closed set of event kinds Baton writes, with their details.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ExecutionRedriven {
        redrive_count: u32,
    },
    ExecutionStarted {
        input: String,
        role_arn: String,
    },
    ExecutionSucceeded {
        output: String,
    },
    ExecutionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionAborted {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    StateEntered {
        state_type: &'static str,
        name: String,
        input: String,
    },
    StateExited {
        state_type: &'static str,
        name: String,
        output: String,
        /// `assignedVariables`: name → JSON text, when the state assigned variables.
        assigned: Option<Vec<(String, String)>>,
    },
    WaitStateAborted {
        name: String,
    },
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted {
        length: usize,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted {
        index: usize,
        name: String,
    },
    MapIterationSucceeded {
        index: usize,
        name: String,
    },
    MapIterationFailed {
        index: usize,
        name: String,
    },
    MapIterationAborted {
        index: usize,
        name: String,
    },
    /// The other members are not in the event AWS writes: they let the runtime keep the
    /// map run's record (`DescribeMapRun`).
    MapRunStarted {
        map_run_arn: String,
        items: u64,
        max_concurrency: u64,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
    },
    /// `results_written` is not in the event AWS writes: how many child results the
    /// `ResultWriter` wrote (`resultsWritten` of `DescribeMapRun`), 0 without one.
    MapRunSucceeded {
        map_run_arn: String,
        results_written: u64,
    },
    /// A redrive of the execution continues the map run that did not succeed: same ARN,
    /// `redrive_count` its redrives so far, this one included.
    MapRunRedriven {
        map_run_arn: String,
        redrive_count: u32,
    },
    MapRunFailed {
        map_run_arn: String,
        /// Items that failed, of `total`.
        failed: u64,
        total: u64,
        /// Not in the event AWS writes: the child results a `ResultWriter` wrote of the failed
        /// map run (AWS writes them too: "PENDING_n.json – … child workflow executions that
        /// weren't started because the Map Run failed or aborted").
        results_written: u64,
        error: Option<String>,
        cause: Option<String>,
    },
    TaskScheduled {
        resource: TaskResource,
        parameters: String,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
    },
    TaskStarted {
        resource: TaskResource,
        /// The `workerName` of the activity worker that took the task.
        worker_name: Option<String>,
    },
    TaskSubmitted {
        resource: TaskResource,
        output: String,
    },
    TaskSucceeded {
        resource: TaskResource,
        output: String,
    },
    TaskFailed {
        resource: TaskResource,
        error: Option<String>,
        cause: Option<String>,
    },
    TaskTimedOut {
        resource: TaskResource,
        error: Option<String>,
        cause: Option<String>,
    },
    EvaluationFailed {
        state: String,
        error: String,
        cause: String,
        /// The field whose expression failed (`Output/result`), where AWS names one.
        location: Option<String>,
    },
}

fn opt_len(text: &Option<String>) -> usize {
    text.as_ref().map_or(0, String::len)
}

impl EventDetails {
    /// The error name a failure, abort or time-out event carries.
    pub fn error_name(&self) -> Option<&str> {
        use EventDetails as E;
        match self {
            E::ExecutionFailed { error, .. }
            | E::ExecutionAborted { error, .. }
            | E::ExecutionTimedOut { error, .. }
            | E::MapRunFailed { error, .. }
            | E::TaskFailed { error, .. }
            | E::TaskTimedOut { error, .. } => error.as_deref(),
            E::EvaluationFailed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Bytes of data the event carries (inputs, outputs, parameters, causes): what a step's
    /// history costs in memory, counted toward `Limits::step_history_bytes`. Names, ARNs and
    /// numbers are left out: they are small and bounded by the definition.
    pub fn data_len(&self) -> usize {
        use EventDetails as E;
        match self {
            E::ExecutionStarted { input, .. } | E::StateEntered { input, .. } => input.len(),
            E::ExecutionSucceeded { output }
            | E::TaskSubmitted { output, .. }
            | E::TaskSucceeded { output, .. } => output.len(),
            E::StateExited {
                output, assigned, ..
            } => {
                output.len()
                    + assigned
                        .iter()
                        .flatten()
                        .map(|(name, value)| name.len() + value.len())
                        .sum::<usize>()
            }
            E::TaskScheduled { parameters, .. } => parameters.len(),
            E::ExecutionFailed { error, cause }
            | E::ExecutionAborted { error, cause }
            | E::ExecutionTimedOut { error, cause }
            | E::MapRunFailed { error, cause, .. }
            | E::TaskFailed { error, cause, .. }
            | E::TaskTimedOut { error, cause, .. } => opt_len(error) + opt_len(cause),
            E::EvaluationFailed { error, cause, .. } => error.len() + cause.len(),
            E::ExecutionRedriven { .. }
            | E::WaitStateAborted { .. }
            | E::ParallelStateStarted
            | E::ParallelStateSucceeded
            | E::ParallelStateFailed
            | E::ParallelStateAborted
            | E::MapStateStarted { .. }
            | E::MapStateSucceeded
            | E::MapStateFailed
            | E::MapStateAborted
            | E::MapIterationStarted { .. }
            | E::MapIterationSucceeded { .. }
            | E::MapIterationFailed { .. }
            | E::MapIterationAborted { .. }
            | E::MapRunStarted { .. }
            | E::MapRunSucceeded { .. }
            | E::MapRunRedriven { .. }
            | E::TaskStarted { .. } => 0,
        }
    }

    /// The event's `type`.
    pub fn type_name(&self) -> String {
        use EventDetails as E;
        let fixed = match self {
            E::ExecutionStarted { .. } => "ExecutionStarted",
            E::ExecutionRedriven { .. } => "ExecutionRedriven",
            E::ExecutionSucceeded { .. } => "ExecutionSucceeded",
            E::ExecutionFailed { .. } => "ExecutionFailed",
            E::ExecutionAborted { .. } => "ExecutionAborted",
            E::ExecutionTimedOut { .. } => "ExecutionTimedOut",
            E::StateEntered { state_type, .. } => return format!("{state_type}StateEntered"),
            E::StateExited { state_type, .. } => return format!("{state_type}StateExited"),
            E::WaitStateAborted { .. } => "WaitStateAborted",
            E::ParallelStateStarted => "ParallelStateStarted",
            E::ParallelStateSucceeded => "ParallelStateSucceeded",
            E::ParallelStateFailed => "ParallelStateFailed",
            E::ParallelStateAborted => "ParallelStateAborted",
            E::MapStateStarted { .. } => "MapStateStarted",
            E::MapStateSucceeded => "MapStateSucceeded",
            E::MapStateFailed => "MapStateFailed",
            E::MapStateAborted => "MapStateAborted",
            E::MapIterationStarted { .. } => "MapIterationStarted",
            E::MapIterationSucceeded { .. } => "MapIterationSucceeded",
            E::MapIterationFailed { .. } => "MapIterationFailed",
            E::MapIterationAborted { .. } => "MapIterationAborted",
            E::MapRunStarted { .. } => "MapRunStarted",
            E::MapRunSucceeded { .. } => "MapRunSucceeded",
            E::MapRunRedriven { .. } => "MapRunRedriven",
            E::MapRunFailed { .. } => "MapRunFailed",
            E::TaskScheduled { resource, .. } => return task_type(resource, "Scheduled"),
            E::TaskStarted { resource, .. } => return task_type(resource, "Started"),
            E::TaskSubmitted { .. } => "TaskSubmitted",
            E::TaskSucceeded { resource, .. } => return task_type(resource, "Succeeded"),
            E::TaskFailed { resource, .. } => return task_type(resource, "Failed"),
            E::TaskTimedOut { resource, .. } => return task_type(resource, "TimedOut"),
            E::EvaluationFailed { .. } => "EvaluationFailed",
        };
        fixed.to_string()
    }

    /// The state name this event is about, where it names one.
    pub fn state_name(&self) -> Option<&str> {
        use EventDetails as E;
        match self {
            E::StateEntered { name, .. }
            | E::StateExited { name, .. }
            | E::WaitStateAborted { name }
            | E::MapIterationStarted { name, .. }
            | E::MapIterationSucceeded { name, .. }
            | E::MapIterationFailed { name, .. }
            | E::MapIterationAborted { name, .. } => Some(name),
            E::EvaluationFailed { state, .. } => Some(state),
            _ => None,
        }
    }
}

fn task_type(r: &TaskResource, what: &str) -> String {
    match r.family {
        TaskFamily::Integration => format!("Task{what}"),
        TaskFamily::Lambda => format!("LambdaFunction{what}"),
        TaskFamily::Activity => format!("Activity{what}"),
    }
}

fn truncated() -> Value {
    json!({"truncated": false})
}

fn opt(map: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        map.insert(key.to_string(), Value::String(v.clone()));
    }
}

fn error_cause(error: &Option<String>, cause: &Option<String>) -> Value {
    let mut m = Map::new();
    opt(&mut m, "error", error);
    opt(&mut m, "cause", cause);
    Value::Object(m)
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` returns it (`timestamp` in epoch seconds).
    pub fn to_json(&self, include_data: bool) -> Value {
        let mut out = Map::new();
        out.insert("timestamp".into(), json!(self.timestamp as f64 / 1000.0));
        out.insert("type".into(), Value::String(self.details.type_name()));
        out.insert("id".into(), json!(self.id));
        out.insert("previousEventId".into(), json!(self.previous_event_id));
        if let Some((key, details)) = self.details_json(include_data) {
            out.insert(key.into(), details);
        }
        Value::Object(out)
    }

    /// The event's details object as Step Functions logs it to CloudWatch Logs (`details`):
    /// without execution data the input, output, parameters and assigned variables are left
    /// out together with their `*Details` markers, as AWS logs them (`ExecutionStarted` then
    /// carries only `roleArn`, `ExecutionSucceeded` an empty object).
    pub fn log_details(&self, include_data: bool) -> Value {
        let mut details = self
            .details_json(include_data)
            .map_or_else(|| Value::Object(Map::new()), |(_, d)| d);
        if !include_data {
            if let Value::Object(m) = &mut details {
                for key in [
                    "input",
                    "inputDetails",
                    "output",
                    "outputDetails",
                    "parameters",
                    "assignedVariables",
                    "assignedVariablesDetails",
                ] {
                    m.remove(key);
                }
            }
        }
        details
    }

    fn details_json(&self, data: bool) -> Option<(&'static str, Value)> {
        use EventDetails as E;
        let text = |s: &String| {
            if data {
                Value::String(s.clone())
            } else {
                Value::Null
            }
        };
        let d = match &self.details {
            E::ExecutionRedriven { redrive_count } => (
                "executionRedrivenEventDetails",
                json!({ "redriveCount": redrive_count }),
            ),
            E::ExecutionStarted { input, role_arn } => (
                "executionStartedEventDetails",
                strip_nulls(
                    json!({"input": text(input), "inputDetails": truncated(), "roleArn": role_arn}),
                ),
            ),
            E::ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                strip_nulls(json!({"output": text(output), "outputDetails": truncated()})),
            ),
            E::ExecutionFailed { error, cause } => {
                ("executionFailedEventDetails", error_cause(error, cause))
            }
            E::ExecutionAborted { error, cause } => {
                ("executionAbortedEventDetails", error_cause(error, cause))
            }
            E::ExecutionTimedOut { error, cause } => {
                ("executionTimedOutEventDetails", error_cause(error, cause))
            }
            E::StateEntered { name, input, .. } => (
                "stateEnteredEventDetails",
                strip_nulls(
                    json!({"name": name, "input": text(input), "inputDetails": truncated()}),
                ),
            ),
            E::StateExited {
                name,
                output,
                assigned,
                ..
            } => {
                let mut m = Map::new();
                m.insert("name".into(), json!(name));
                if data {
                    m.insert("output".into(), json!(output));
                }
                m.insert("outputDetails".into(), truncated());
                if let Some(vars) = assigned {
                    let mut av = Map::new();
                    for (k, v) in vars {
                        av.insert(k.clone(), json!(v));
                    }
                    m.insert("assignedVariables".into(), Value::Object(av));
                    m.insert("assignedVariablesDetails".into(), truncated());
                }
                ("stateExitedEventDetails", Value::Object(m))
            }
            E::MapStateStarted { length } => {
                ("mapStateStartedEventDetails", json!({"length": length}))
            }
            E::MapIterationStarted { index, name } => (
                "mapIterationStartedEventDetails",
                json!({"name": name, "index": index}),
            ),
            E::MapIterationSucceeded { index, name } => (
                "mapIterationSucceededEventDetails",
                json!({"name": name, "index": index}),
            ),
            E::MapIterationFailed { index, name } => (
                "mapIterationFailedEventDetails",
                json!({"name": name, "index": index}),
            ),
            E::MapIterationAborted { index, name } => (
                "mapIterationAbortedEventDetails",
                json!({"name": name, "index": index}),
            ),
            E::MapRunStarted { map_run_arn, .. } => (
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ),
            E::MapRunFailed { error, cause, .. } => {
                ("mapRunFailedEventDetails", error_cause(error, cause))
            }
            E::MapRunRedriven {
                map_run_arn,
                redrive_count,
            } => (
                "mapRunRedrivenEventDetails",
                json!({"mapRunArn": map_run_arn, "redriveCount": redrive_count}),
            ),
            E::TaskScheduled {
                resource,
                parameters,
                timeout_seconds,
                heartbeat_seconds,
            } => {
                let mut m = Map::new();
                match resource.family {
                    TaskFamily::Integration => {
                        m.insert("resourceType".into(), json!(resource.resource_type));
                        m.insert("resource".into(), json!(resource.resource));
                        m.insert("region".into(), json!(resource.region));
                        if data {
                            m.insert("parameters".into(), json!(parameters));
                        }
                    }
                    TaskFamily::Lambda | TaskFamily::Activity => {
                        m.insert("resource".into(), json!(resource.resource));
                        if data {
                            m.insert("input".into(), json!(parameters));
                        }
                        m.insert("inputDetails".into(), truncated());
                    }
                }
                if let Some(t) = timeout_seconds {
                    m.insert("timeoutInSeconds".into(), json!(t));
                }
                if let Some(h) = heartbeat_seconds {
                    m.insert("heartbeatInSeconds".into(), json!(h));
                }
                let key = match resource.family {
                    TaskFamily::Integration => "taskScheduledEventDetails",
                    TaskFamily::Lambda => "lambdaFunctionScheduledEventDetails",
                    TaskFamily::Activity => "activityScheduledEventDetails",
                };
                (key, Value::Object(m))
            }
            E::TaskStarted {
                resource,
                worker_name,
            } => match resource.family {
                TaskFamily::Integration => (
                    "taskStartedEventDetails",
                    json!({"resourceType": resource.resource_type, "resource": resource.resource}),
                ),
                TaskFamily::Lambda => return None,
                TaskFamily::Activity => (
                    "activityStartedEventDetails",
                    strip_nulls(json!({ "workerName": worker_name })),
                ),
            },
            E::TaskSubmitted { resource, output } => (
                "taskSubmittedEventDetails",
                strip_nulls(
                    json!({"resourceType": resource.resource_type, "resource": resource.resource,
                    "output": text(output), "outputDetails": truncated()}),
                ),
            ),
            E::TaskSucceeded { resource, output } => match resource.family {
                TaskFamily::Integration => (
                    "taskSucceededEventDetails",
                    strip_nulls(
                        json!({"resourceType": resource.resource_type, "resource": resource.resource,
                        "output": text(output), "outputDetails": truncated()}),
                    ),
                ),
                TaskFamily::Lambda => (
                    "lambdaFunctionSucceededEventDetails",
                    strip_nulls(json!({"output": text(output), "outputDetails": truncated()})),
                ),
                TaskFamily::Activity => (
                    "activitySucceededEventDetails",
                    strip_nulls(json!({"output": text(output), "outputDetails": truncated()})),
                ),
            },
            E::TaskFailed {
                resource,
                error,
                cause,
            } => task_error(resource, "Failed", error, cause),
            E::TaskTimedOut {
                resource,
                error,
                cause,
            } => task_error(resource, "TimedOut", error, cause),
            E::EvaluationFailed {
                state,
                error,
                cause,
                location,
            } => {
                let mut m = Map::new();
                m.insert("error".into(), json!(error));
                m.insert("cause".into(), json!(cause));
                if let Some(l) = location {
                    m.insert("location".into(), json!(l));
                }
                m.insert("state".into(), json!(state));
                ("evaluationFailedEventDetails", Value::Object(m))
            }
            E::WaitStateAborted { .. }
            | E::ParallelStateStarted
            | E::ParallelStateSucceeded
            | E::ParallelStateFailed
            | E::ParallelStateAborted
            | E::MapStateSucceeded
            | E::MapStateFailed
            | E::MapStateAborted
            | E::MapRunSucceeded { .. } => return None,
        };
        Some(d)
    }
}

fn task_error(
    resource: &TaskResource,
    what: &str,
    error: &Option<String>,
    cause: &Option<String>,
) -> (&'static str, Value) {
    let mut m = match error_cause(error, cause) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let key = match (resource.family, what) {
        (TaskFamily::Integration, "Failed") => "taskFailedEventDetails",
        (TaskFamily::Integration, _) => "taskTimedOutEventDetails",
        (TaskFamily::Lambda, "Failed") => "lambdaFunctionFailedEventDetails",
        (TaskFamily::Lambda, _) => "lambdaFunctionTimedOutEventDetails",
        (TaskFamily::Activity, "Failed") => "activityFailedEventDetails",
        (TaskFamily::Activity, _) => "activityTimedOutEventDetails",
    };
    if resource.family == TaskFamily::Integration {
        m.insert("resourceType".into(), json!(resource.resource_type));
        m.insert("resource".into(), json!(resource.resource));
    }
    (key, Value::Object(m))
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}
