//! The control plane: state machines, versions, aliases, activities, tags, map runs,
//! validation and TestState. Each operation reads the store, checks the request as AWS does
//! (AWS's error codes and wording), and writes one batch.
//!
//! * `machines` — Create/Describe/Update/Delete/ListStateMachines, and the revisions they write.
//! * `versions` — PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion.
//! * `aliases` — the alias operations and their routing configuration rules.
//! * `activities`, `tags`, `map_runs` — the rest of the resources.
//! * `validate` — ValidateStateMachineDefinition.
//! * `test_state` — TestState, through the engine's `teststate`.

mod activities;
mod aliases;
mod machines;
mod map_runs;
mod tags;
mod test_state;
mod validate;
mod versions;

pub(crate) use activities::{create_activity, delete_activity, describe_activity, list_activities};
pub(crate) use aliases::{
    create_state_machine_alias, delete_state_machine_alias, describe_state_machine_alias,
    list_state_machine_aliases, update_state_machine_alias,
};
#[allow(unused_imports)] // for the executions side (DescribeStateMachineForExecution)
pub(crate) use machines::public_revision_id;
pub(crate) use machines::{
    create_state_machine, delete_state_machine, describe_state_machine, list_state_machines,
    update_state_machine,
};
pub(crate) use map_runs::{describe_map_run, list_map_runs, update_map_run};
pub(crate) use tags::{list_tags_for_resource, tag_resource, untag_resource};
pub(crate) use test_state::test_state;
pub(crate) use validate::validate_state_machine_definition;
pub(crate) use versions::{
    delete_state_machine_version, list_state_machine_versions, publish_state_machine_version,
};

use baton_api::model::ValidationExceptionReason;
use baton_api::{ApiError, Timestamp, Violation, ViolationValue, Violations};
use baton_store::{Millis, PageRequest, PageToken};

use crate::StoreError;

/// The page size when a request gives none (or 0): AWS's default for every listing.
const DEFAULT_PAGE_SIZE: usize = 100;

/// The page a `maxResults`/`nextToken` pair asks for: 0 or absent means AWS's default of 100.
fn page_request(max_results: Option<i32>, next_token: Option<String>) -> PageRequest {
    let limit = match max_results {
        Some(n) if n > 0 => n as usize,
        _ => DEFAULT_PAGE_SIZE,
    };
    PageRequest {
        limit,
        token: next_token.map(PageToken::new),
    }
}

/// A store failure on a read or a listing: a page token the store did not issue is the
/// caller's `InvalidToken`, anything else an internal failure.
fn read_error(error: StoreError) -> ApiError {
    match error {
        StoreError::InvalidToken => invalid_token(),
        other => crate::internal(other),
    }
}

/// `InvalidToken` as AWS words it for a page token it did not issue.
fn invalid_token() -> ApiError {
    ApiError::InvalidToken {
        message: "Invalid Token: 'Invalid token'".into(),
    }
}

/// `ResourceNotFound` in the form AWS uses for tags and versions: `Resource not found: '<arn>'`.
fn resource_not_found(arn: &str) -> ApiError {
    ApiError::ResourceNotFound {
        message: format!("Resource not found: '{arn}'"),
        resource_name: Some(arn.to_string()),
    }
}

/// A `ValidationException` with its reason.
fn validation(message: impl Into<String>, reason: ValidationExceptionReason) -> ApiError {
    ApiError::ValidationException {
        message: message.into(),
        reason: Some(reason),
    }
}

/// One broken model constraint, reported as AWS's request validator does
/// (`1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: …`).
/// The decoder checks these for requests that arrive over HTTP; the operations check the ones
/// their logic relies on again, for callers of the trait.
fn constraint(path: impl Into<String>, value: ViolationValue, rule: impl Into<String>) -> ApiError {
    ApiError::ConstraintViolations(Violations(vec![Violation {
        path: path.into(),
        value,
        constraint: rule.into(),
    }]))
}

/// The ARN of a labelled (Distributed Map child) state machine where an operation does not take
/// one.
fn labelled_arn(arn: &str) -> ApiError {
    validation(
        format!("Invalid Arn: '{arn}'. This operation does not support state machine ARNs qualified with a Map Run label"),
        ValidationExceptionReason::ApiDoesNotSupportLabeledArns,
    )
}

fn timestamp(millis: Millis) -> Timestamp {
    Timestamp::from_millis(millis)
}

/// Serialises the control plane's read-modify-write updates of state machine records (a
/// publish raises `last_version_number` while an update replaces the definition): both rewrite
/// the whole record, so two of them at once must not interleave. Control-plane writes are rare,
/// so one lock for the process is enough.
async fn machine_writes() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
