//! The checks AWS makes on a TestState request before running anything, in AWS's order and
//! with AWS's messages, and the session they leave ready to run.

use baton_asl::model::{State, StateKind};
use baton_asl::vars::{Entropy, SeededEntropy};
use serde_json::{Map, Value};

use super::context::{self, Identity};
use super::locate::{locate, Located};
use super::run::{ContextSource, Mock, Session};
use super::shapes;
use super::types::{InspectionData, TestStateError, TestStateRequest};
use super::TestStateEnv;
use crate::execution::Scope;
use crate::task::resource_kind;

fn invalid(message: impl Into<String>) -> TestStateError {
    TestStateError::Validation(message.into())
}

/// Checks `request` and sets up its run.
pub(crate) fn prepare(
    request: &TestStateRequest,
    env: &TestStateEnv,
) -> Result<(Session, State), TestStateError> {
    let located = locate(&request.definition, request.state_name.as_deref())?;
    let state = located.state().clone();
    let mock = check_mock(request, env, &state)?;
    // "context: … This field may only be specified if a mock is specified in the same
    // request." (API reference, TestState). The wording follows AWS's recorded refusal of
    // `mapIterationFailureCount` without a mock; this refusal itself is not recorded.
    if request.context.is_some() && request.mock.is_none() {
        return Err(invalid(
            "TestState does not support Context when a mock is not specified.",
        ));
    }
    let supplied_context = request
        .context
        .as_deref()
        .map(context::supplied)
        .transpose()?;
    if request.role_arn.is_none() && matches!(mock, Mock::None) {
        if let StateKind::Task(_) = state.kind {
            return Err(invalid(
                "RoleArn must be specified when testing a Task state",
            ));
        }
    }
    if matches!(mock, Mock::None) {
        if let StateKind::Task(task) = &state.kind {
            let kind = resource_kind(&task.resource, &env.region);
            let activity = task.resource.contains(":activity:");
            if kind.sync || kind.wait_for_token || activity {
                return Err(invalid(
                    "TestState does not support Activity tasks, .sync or .waitForTaskToken service integration patterns when a mock is not specified.",
                ));
            }
        }
    }
    let input = parse_input(request.input.as_deref())?;
    let variables = parse_variables(request.variables.as_deref())?;
    let reader_data = request
        .state_configuration
        .as_ref()
        .and_then(|c| c.map_item_reader_data.as_deref())
        .map(|t| {
            serde_json::from_str::<Value>(t)
                .map_err(|_| invalid("Map item reader data must be valid JSON"))
        })
        .transpose()?;
    let mut entropy = SeededEntropy::new(env.seed);
    let execution_name = env
        .execution_name
        .clone()
        .unwrap_or_else(|| entropy.uuid_v4());
    let state_machine_name = env
        .state_machine_name
        .clone()
        .unwrap_or_else(|| format!("TestState-{}", entropy.uuid_v4()));
    let context = match supplied_context {
        Some(v) => ContextSource::Supplied(v),
        None => ContextSource::MadeUp(context::made_up(
            &Identity {
                partition: &env.partition,
                region: &env.region,
                account: &env.account,
                state_machine_name: &state_machine_name,
                execution_name: &execution_name,
                role_arn: request.role_arn.as_deref(),
                now: env.now,
            },
            &input,
        )),
    };
    let Located {
        machine, set_path, ..
    } = located;
    let probe = InspectionData {
        input: Some(input.to_string()),
        ..InspectionData::default()
    };
    let session = Session {
        machine,
        set_path,
        input,
        context,
        scope: Scope {
            own: variables,
            outer: None,
        },
        entropy,
        now: env.now,
        region: env.region.clone(),
        mock,
        config: request.state_configuration.clone().unwrap_or_default(),
        reader_data,
        probe,
        max_payload_bytes: env.limits.max_payload_bytes,
        budget: env.limits.budget,
    };
    Ok((session, state))
}

/// `stateConfiguration` and `mock` against the state under test.
fn check_mock(
    request: &TestStateRequest,
    env: &TestStateEnv,
    state: &State,
) -> Result<Mock, TestStateError> {
    let mock = request.mock.as_ref();
    let result_text = mock.and_then(|m| m.result.as_deref());
    let config = request.state_configuration.as_ref();
    if let Some(failures) = config.and_then(|c| c.map_iteration_failure_count) {
        if mock.is_none() {
            return Err(invalid(
                "TestState does not support MapIterationFailureCount when a mock is not specified.",
            ));
        }
        let items = result_text
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .and_then(|v| v.as_array().map(Vec::len));
        if items.is_some_and(|n| failures > n as u64) {
            return Err(invalid(
                "Map iteration failure count must be less than or equal to the number of Map iterations",
            ));
        }
    }
    let fans_out = matches!(state.kind, StateKind::Map(_) | StateKind::Parallel(_));
    let Some(mock) = mock else {
        if fans_out {
            return Err(TestStateError::InvalidDefinition(
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]".to_string(),
            ));
        }
        return Ok(Mock::None);
    };
    if !matches!(
        state.kind,
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_)
    ) {
        return Err(invalid(format!(
            "State type '{}' is not supported when a mock is specified",
            state.type_name()
        )));
    }
    if request.reveal_secrets == Some(true) {
        return Err(invalid(
            "TestState does not support RevealSecrets when a mock is specified.",
        ));
    }
    let result =
        match (result_text, &mock.error_output) {
            (Some(_), Some(_)) => return Err(invalid(
                "A test mock should have only one of the following fields: [result, errorOutput].",
            )),
            (None, Some(e)) => return Ok(Mock::Error(e.clone())),
            (None, None) => {
                return Err(invalid(
                    "A test mock should have one of the following fields: [result, errorOutput].",
                ))
            }
            (Some(t), None) => serde_json::from_str::<Value>(t)
                .map_err(|_| invalid("Mocked result must be valid JSON"))?,
        };
    match &state.kind {
        StateKind::Map(m) if m.result_writer.is_some() && !result.is_object() => {
            return Err(invalid("Mocked result must be a JSON object."));
        }
        StateKind::Map(m) if m.result_writer.is_none() && !result.is_array() => {
            return Err(invalid("Mocked result must be an array."));
        }
        StateKind::Parallel(p) => match &result {
            Value::Array(a) if a.len() == p.branches.len() => {}
            Value::Array(_) => {
                return Err(invalid(
                    "Mocked result must contain the same number of items as number of Parallel branches.",
                ))
            }
            _ => return Err(invalid("Mocked result must be an array.")),
        },
        StateKind::Task(task) => {
            let mode = mock.field_validation_mode.unwrap_or_default();
            shapes::check(&env.models, &task.resource, &result, mode).map_err(invalid)?;
        }
        _ => {}
    }
    Ok(Mock::Result(result))
}

/// The state input; absent means `{}`.
fn parse_input(text: Option<&str>) -> Result<Value, TestStateError> {
    let Some(text) = text else {
        return Ok(Value::Object(Map::new()));
    };
    serde_json::from_str(text).map_err(|_| {
        let why = baton_asl::parse::json_syntax_error(text)
            .unwrap_or_else(|| "Invalid execution input.".to_string());
        TestStateError::InvalidExecutionInput(format!(
            "Invalid State Machine Execution Input: '{why}'"
        ))
    })
}

/// `variables`: a JSON object of the variables in scope.
fn parse_variables(text: Option<&str>) -> Result<Map<String, Value>, TestStateError> {
    let Some(text) = text else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid("Variables must be a valid JSON object")),
    }
}
