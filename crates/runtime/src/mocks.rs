//! Step Functions Local's mocked responses on a running server: an execution started on
//! `STATE_MACHINE_ARN#TestCase` answers its Task states from that test case of the server's
//! mock configuration (`Config::mocks`), and a plain ARN runs the real resources ("Using
//! mocked service integrations for testing in Step Functions Local", AWS Step Functions
//! developer guide: "a mocked Task never calls the service endpoint"; a state the test case
//! does not mock calls its service).
//!
//! The responses are numbered per state name in the order the engine schedules the state's
//! tasks (retries, loops and Map iterations all count), the numbering `baton run --mock-config`
//! uses (`baton_mock::MockSession`). The number is taken when the step that schedules the task
//! is applied, under the execution's lock, so a replay of the journal after a restart gives
//! every task the response it had.

use baton_engine::{ExecutionInfo, TaskPurpose, TaskRequest};
use baton_mock::{MockConfig, MockResponse, MockSession};

use crate::integration::TaskResult;
use crate::resolve::Target;
use crate::Runtime;

/// What a start's `stateMachineArn` names, and the test case it asks for (checked).
pub(crate) async fn target(
    rt: &Runtime,
    given_arn: &str,
) -> Result<(Target, Option<String>), baton_api::ApiError> {
    let (arn, case) = split_test_case(given_arn);
    let target = crate::resolve::target(rt, arn).await?;
    let case = test_case(
        rt.config.mocks.as_deref(),
        given_arn,
        &target.machine.name,
        case,
    )?;
    Ok((target, case))
}

/// `arn#TestCase` → (`arn`, `TestCase`); an ARN without `#` → (`arn`, `None`).
pub(crate) fn split_test_case(arn: &str) -> (&str, Option<&str>) {
    match arn.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (arn, None),
    }
}

/// The test case a start names (`ARN#TestCase`), checked against the server's configuration
/// for the machine `target` runs.
fn test_case(
    mocks: Option<&MockConfig>,
    given_arn: &str,
    machine_name: &str,
    case: Option<&str>,
) -> Result<Option<String>, baton_api::ApiError> {
    let Some(case) = case else {
        return Ok(None);
    };
    // Without a mock configuration `#` is no part of a state machine ARN.
    let Some(mocks) = mocks else {
        return Err(baton_api::ApiError::invalid_arn(given_arn));
    };
    mocks
        .test_case(machine_name, case)
        .map_err(|e| baton_api::ApiError::invalid_arn(format!("{given_arn}': '{e}")))?;
    Ok(Some(case.to_string()))
}

/// The mocked responses of the execution `info` describes, if it was started on a test case
/// the configuration has.
pub(crate) fn session(config: Option<&MockConfig>, info: &ExecutionInfo) -> Option<MockSession> {
    let case = info.mock_test_case.as_deref()?;
    match config?.test_case(&info.state_machine_name, case) {
        Ok(case) => Some(MockSession::new(case)),
        Err(e) => {
            // Started with the test case, then the server restarted with a configuration
            // without it: its tasks call their resources.
            tracing::warn!(execution = %info.execution_arn, "{e}: its tasks call their resources");
            None
        }
    }
}

/// The answer of a mocked Task state's next invocation, or `None` when the state is not
/// mocked (a distributed Map's item reader and result writer never are: they are not Task
/// states).
pub(crate) fn answer(session: &mut MockSession, request: &TaskRequest) -> Option<TaskResult> {
    if request.purpose != TaskPurpose::State {
        return None;
    }
    // Parameters Step Functions refuses are refused before the mocked call, whether or not the
    // state is mocked (`crate::parameters`); the state's responses are not consumed.
    if let Err(cause) = crate::parameters::validate(&request.resource, "", &request.input) {
        return Some(TaskResult::Rejected(cause));
    }
    Some(match session.next(&request.state_name)? {
        Ok(MockResponse::Return(value)) => TaskResult::Succeeded(value),
        Ok(MockResponse::Throw { error, cause }) => TaskResult::Failed { error, cause },
        // Step Functions Local fails the task with `States.Runtime` when a mocked state has no
        // response for an invocation (`baton_mock::LookupError`).
        Err(e) => TaskResult::Failed {
            error: Some("States.Runtime".into()),
            cause: Some(e.to_string()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_case_follows_the_first_hash() {
        assert_eq!(
            split_test_case("arn:aws:states:us-east-1:1:stateMachine:m#Happy"),
            ("arn:aws:states:us-east-1:1:stateMachine:m", Some("Happy"))
        );
        assert_eq!(split_test_case("arn:x#"), ("arn:x", Some("")));
        assert_eq!(split_test_case("arn:x"), ("arn:x", None));
    }
}
