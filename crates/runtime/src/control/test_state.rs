//! TestState: the request handed to the engine's `teststate` (a pure function), and its answer
//! back in the API's shapes. A Task without a mock is run once through the runtime's
//! integrations, as an execution would run it, and the engine finishes the state with the
//! result.

use std::sync::Arc;

use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_engine::teststate::{
    self as ts, TaskOutcome, TestStateEnv, TestStateError, TestStateStep,
};
use baton_engine::ExecutionInfo;

use crate::integration::TaskResult;
use crate::Runtime;

fn count(n: Option<i32>) -> Option<u64> {
    n.map(|n| u64::try_from(n).unwrap_or(0))
}

/// The API's request as the engine takes it.
fn request(input: TestStateInput) -> ts::TestStateRequest {
    ts::TestStateRequest {
        definition: input.definition,
        role_arn: input.role_arn,
        input: input.input,
        inspection_level: input.inspection_level.map(|l| match l {
            InspectionLevel::Info => ts::InspectionLevel::Info,
            InspectionLevel::Debug => ts::InspectionLevel::Debug,
            InspectionLevel::Trace => ts::InspectionLevel::Trace,
        }),
        reveal_secrets: input.reveal_secrets,
        variables: input.variables,
        state_name: input.state_name,
        mock: input.mock.map(|m| ts::MockInput {
            result: m.result,
            error_output: m.error_output.map(|e| ts::MockErrorOutput {
                error: e.error,
                cause: e.cause,
            }),
            field_validation_mode: m.field_validation_mode.map(|v| match v {
                MockResponseValidationMode::Strict => ts::FieldValidationMode::Strict,
                MockResponseValidationMode::Present => ts::FieldValidationMode::Present,
                MockResponseValidationMode::None => ts::FieldValidationMode::None,
            }),
        }),
        context: input.context,
        state_configuration: input.state_configuration.map(|c| ts::StateConfiguration {
            retrier_retry_count: count(c.retrier_retry_count),
            error_caused_by_state: c.error_caused_by_state,
            map_iteration_failure_count: count(c.map_iteration_failure_count),
            map_item_reader_data: c.map_item_reader_data,
        }),
    }
}

fn small(n: Option<u64>) -> Option<i32> {
    n.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

/// The engine's answer in the API's shapes.
fn output(response: ts::TestStateResponse) -> TestStateOutput {
    TestStateOutput {
        output: response.output,
        error: response.error,
        cause: response.cause,
        inspection_data: response.inspection_data.map(|d| inspection(*d)),
        next_state: response.next_state,
        status: Some(match response.status {
            ts::TestStatus::Succeeded => TestExecutionStatus::Succeeded,
            ts::TestStatus::Failed => TestExecutionStatus::Failed,
            ts::TestStatus::Retriable => TestExecutionStatus::Retriable,
            ts::TestStatus::CaughtError => TestExecutionStatus::CaughtError,
        }),
    }
}

fn inspection(d: ts::InspectionData) -> InspectionData {
    InspectionData {
        input: d.input,
        after_arguments: d.after_arguments,
        after_input_path: d.after_input_path,
        after_parameters: d.after_parameters,
        result: d.result,
        after_result_selector: d.after_result_selector,
        after_result_path: d.after_result_path,
        // The HTTP request and response are the shapes' JSON, as the runtime reports them.
        request: d.request.and_then(|v| serde_json::from_value(v).ok()),
        response: d.response.and_then(|v| serde_json::from_value(v).ok()),
        variables: d.variables,
        error_details: d.error_details.map(|e| InspectionErrorDetails {
            catch_index: small(e.catch_index),
            retry_index: small(e.retry_index),
            retry_backoff_interval_seconds: small(e.retry_backoff_interval_seconds),
        }),
        after_items_path: d.after_items_path,
        after_item_selector: d.after_item_selector,
        after_item_batcher: d.after_item_batcher,
        after_items_pointer: d.after_items_pointer,
        tolerated_failure_count: small(d.tolerated_failure_count),
        tolerated_failure_percentage: d.tolerated_failure_percentage.map(|p| p as f32),
        max_concurrency: small(d.max_concurrency),
    }
}

/// The engine's refusal as the API error AWS answers with.
fn refusal(e: TestStateError) -> ApiError {
    match e {
        TestStateError::InvalidDefinition(message) => ApiError::InvalidDefinition { message },
        TestStateError::InvalidExecutionInput(message) => {
            ApiError::InvalidExecutionInput { message }
        }
        TestStateError::Validation(message) => ApiError::ValidationException {
            message,
            reason: None,
        },
    }
}

pub(crate) async fn test_state(
    rt: &Runtime,
    ctx: &RequestContext,
    input: TestStateInput,
) -> Result<TestStateOutput, ApiError> {
    let request = request(input);
    let uuid = uuid::Uuid::new_v4();
    let state_machine_name = format!("TestState-{}", uuid::Uuid::new_v4());
    let execution_name = uuid.to_string();
    let mut env = TestStateEnv::new(
        &ctx.region,
        &ctx.account_id,
        crate::now(),
        uuid.as_u64_pair().1,
    );
    env.partition = ctx.partition().to_string();
    env.state_machine_name = Some(state_machine_name.clone());
    env.execution_name = Some(execution_name.clone());
    env.models = Arc::new(rt.config.service_models.clone());
    env.limits = rt.config.limits;
    // Off the async workers: the state's expressions run for as long as their budget allows.
    let (request, env, step) = crate::offload::run(move || {
        let step = ts::test_state(&request, &env);
        (request, env, step)
    })
    .await
    .map_err(crate::internal)?;
    let pending = match step.map_err(refusal)? {
        TestStateStep::Done(response) => return Ok(output(response)),
        TestStateStep::Task(pending) => pending,
    };
    // A Task without a mock: the call is made for real, through the integrations an execution
    // would use (without any configured, it fails with `States.Runtime`).
    let mut info = ExecutionInfo::standard(
        &env.partition,
        &env.region,
        &env.account,
        &state_machine_name,
        &execution_name,
    );
    if let Some(role) = &request.role_arn {
        info.role_arn = role.clone();
    }
    let result = rt
        .config
        .integrations
        .invoke(&info, pending.request(), false)
        .await;
    let outcome = match result {
        TaskResult::Succeeded(value) => TaskOutcome::Succeeded(value),
        TaskResult::Failed { error, cause } => TaskOutcome::Failed { error, cause },
        // TestState reports what the state would do: fail with `States.Runtime`.
        TaskResult::Rejected(cause) => TaskOutcome::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(cause),
        },
        // Asked without a callback, so a conforming integration never answers this; the state
        // cannot wait for a token under TestState.
        TaskResult::AwaitingCallback | TaskResult::Submitted(_) => TaskOutcome::Failed {
            error: Some("States.Runtime".into()),
            cause: Some("TestState cannot wait for a task token callback".into()),
        },
    };
    let response = crate::offload::run(move || pending.resume(outcome))
        .await
        .map_err(crate::internal)?;
    Ok(output(response))
}
