//! The API calls the control-plane tests make again and again, and their error check.

use std::fmt::Debug;

use baton_api::model::*;
use baton_api::{ApiError, StepFunctions};

use super::{ctx, Harness, ROLE};

/// The ARN prefix of the test account's state machines.
pub const MACHINES: &str = "arn:aws:states:us-east-1:111111111111:stateMachine:";
/// The ARN prefix of the test account's activities.
pub const ACTIVITIES: &str = "arn:aws:states:us-east-1:111111111111:activity:";

/// The ARN of the test account's state machine `name`.
pub fn machine_arn(name: &str) -> String {
    format!("{MACHINES}{name}")
}

/// A CreateStateMachine request with the test role and nothing optional.
pub fn create_input(name: &str, definition: &str) -> CreateStateMachineInput {
    CreateStateMachineInput {
        name: name.into(),
        definition: definition.into(),
        role_arn: ROLE.into(),
        ..Default::default()
    }
}

/// Creates a Standard state machine; panics on an error.
pub async fn create(h: &Harness, name: &str, definition: &str) -> CreateStateMachineOutput {
    h.rt.create_state_machine(&ctx(), create_input(name, definition))
        .await
        .expect("create the state machine")
}

/// DescribeStateMachine of `arn`.
pub async fn describe(h: &Harness, arn: &str) -> Result<DescribeStateMachineOutput, ApiError> {
    h.rt.describe_state_machine(
        &ctx(),
        DescribeStateMachineInput {
            state_machine_arn: arn.into(),
            included_data: None,
        },
    )
    .await
}

/// PublishStateMachineVersion of `arn`, optionally checking the revision id.
pub async fn publish(
    h: &Harness,
    arn: &str,
    revision: Option<&str>,
) -> Result<PublishStateMachineVersionOutput, ApiError> {
    h.rt.publish_state_machine_version(
        &ctx(),
        PublishStateMachineVersionInput {
            state_machine_arn: arn.into(),
            revision_id: revision.map(str::to_string),
            description: None,
        },
    )
    .await
}

/// UpdateStateMachine with a new definition; panics on an error.
pub async fn update_definition(
    h: &Harness,
    arn: &str,
    definition: &str,
) -> UpdateStateMachineOutput {
    h.rt.update_state_machine(
        &ctx(),
        UpdateStateMachineInput {
            state_machine_arn: arn.into(),
            definition: Some(definition.into()),
            ..Default::default()
        },
    )
    .await
    .expect("update the state machine")
}

/// One entry of a routing configuration.
pub fn route(version_arn: &str, weight: i32) -> RoutingConfigurationListItem {
    RoutingConfigurationListItem {
        state_machine_version_arn: version_arn.into(),
        weight,
    }
}

/// CreateStateMachineAlias without a description.
pub async fn create_alias(
    h: &Harness,
    name: &str,
    routes: Vec<RoutingConfigurationListItem>,
) -> Result<CreateStateMachineAliasOutput, ApiError> {
    h.rt.create_state_machine_alias(
        &ctx(),
        CreateStateMachineAliasInput {
            description: None,
            name: name.into(),
            routing_configuration: routes,
        },
    )
    .await
}

/// A tag with both members set.
pub fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

/// Checks the error's code and, when given, its message.
#[track_caller]
pub fn assert_error<T: Debug>(result: Result<T, ApiError>, code: &str, message: Option<&str>) {
    match result {
        Ok(v) => panic!("expected {code}, got {v:?}"),
        Err(e) => {
            assert_eq!(e.code(), code, "{e:?}");
            if let Some(m) = message {
                assert_eq!(e.body()["message"].as_str(), Some(m), "{e:?}");
            }
        }
    }
}
