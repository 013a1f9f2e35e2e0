//! State machine versions: publish, list, delete.
//!
//! A version is an immutable copy of one revision. Numbers count up from 1 and are never reused
//! (`StateMachine::last_version_number`), even after a version is deleted. Publishing a
//! revision that already has a version returns that version, as AWS does: revision ids only
//! move forward, so if the current revision has a version it is the newest one.

use baton_api::arn::{ArnError, Qualifier, StateMachineArn};
use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_store::{
    self as store, AliasesOf, Millis, Op, PageRequest, StateMachineVersion, WriteBatch,
};

use super::machines::{comparable_revision_id, existing, unqualified};
use super::{labelled_arn, machine_writes, page_request, read_error, timestamp};
use crate::{internal, Runtime, StoreError};

/// The next version of `machine`'s current revision; raises the machine's
/// `last_version_number`, so the caller writes the machine with the version.
pub(crate) fn new_version(
    machine: &mut store::StateMachine,
    description: Option<String>,
    now: Millis,
) -> StateMachineVersion {
    machine.last_version_number += 1;
    let number = machine.last_version_number;
    StateMachineVersion {
        arn: format!("{}:{number}", machine.arn),
        state_machine_arn: machine.arn.clone(),
        number,
        definition: machine.definition.clone(),
        role_arn: machine.role_arn.clone(),
        description,
        revision_id: machine.revision_id.clone(),
        logging_configuration: machine.logging_configuration.clone(),
        tracing_configuration: machine.tracing_configuration.clone(),
        encryption_configuration: machine.encryption_configuration.clone(),
        creation_date: now,
    }
}

/// The version already published from the machine's current revision, if any.
pub(crate) async fn newest_version_of_current(
    rt: &Runtime,
    machine: &store::StateMachine,
) -> Result<Option<StateMachineVersion>, ApiError> {
    let page = rt
        .store
        .versions(&machine.arn, &PageRequest::first(1))
        .await
        .map_err(internal)?;
    Ok(page
        .items
        .into_iter()
        .next()
        .filter(|v| v.revision_id == machine.revision_id))
}

pub(crate) async fn publish_state_machine_version(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: PublishStateMachineVersionInput,
) -> Result<PublishStateMachineVersionOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = unqualified(arn)?;
    let _guard = machine_writes().await;
    let mut machine = existing(rt, &parsed.to_string(), arn).await?;
    let current = comparable_revision_id(&machine.revision_id).to_string();
    if let Some(wanted) = &input.revision_id {
        if *wanted != current {
            return Err(ApiError::ConflictException {
                message: format!(
                    "Failed to publish the State Machine version for revision {wanted}. The current State Machine revision is {current}."
                ),
            });
        }
    }
    if let Some(v) = newest_version_of_current(rt, &machine).await? {
        return Ok(PublishStateMachineVersionOutput {
            creation_date: timestamp(v.creation_date),
            state_machine_version_arn: v.arn,
        });
    }
    let now = crate::now();
    let version = new_version(&mut machine, input.description, now);
    let batch = WriteBatch::new()
        .with(Op::UpdateStateMachine(machine))
        .with(Op::CreateVersion(version.clone()));
    match rt.store.commit(batch).await {
        Ok(()) => Ok(PublishStateMachineVersionOutput {
            creation_date: timestamp(now),
            state_machine_version_arn: version.arn,
        }),
        Err(StoreError::NotFound { .. }) => Err(ApiError::state_machine_does_not_exist(arn)),
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn list_state_machine_versions(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: ListStateMachineVersionsInput,
) -> Result<ListStateMachineVersionsOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = unqualified(arn)?;
    let machine = existing(rt, &parsed.to_string(), arn).await?;
    let page = rt
        .store
        .versions(
            &machine.arn,
            &page_request(input.max_results, input.next_token),
        )
        .await
        .map_err(read_error)?;
    Ok(ListStateMachineVersionsOutput {
        state_machine_versions: page
            .items
            .into_iter()
            .map(|v| StateMachineVersionListItem {
                state_machine_version_arn: v.arn,
                creation_date: timestamp(v.creation_date),
            })
            .collect(),
        next_token: page.next.map(|t| t.into_string()),
    })
}

/// The version a version ARN names; any other ARN is `InvalidArn`.
pub(crate) fn version_arn(arn: &str) -> Result<StateMachineArn, ApiError> {
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    match parsed.qualifier {
        Some(Qualifier::Version(_)) => Ok(parsed),
        _ => Err(ArnError::Malformed(arn.to_string()).into()),
    }
}

/// The names of the aliases that route to the version.
pub(crate) async fn aliases_routing_to(
    rt: &Runtime,
    version_arn: &str,
) -> Result<Vec<String>, ApiError> {
    let mut names = Vec::new();
    let mut request = PageRequest::first(100);
    loop {
        let page = rt
            .store
            .aliases(AliasesOf::Version(version_arn), &request)
            .await
            .map_err(internal)?;
        names.extend(page.items.into_iter().map(|a| a.name));
        match page.next {
            Some(token) => request = PageRequest::after(100, token),
            None => return Ok(names),
        }
    }
}

fn referenced_by_aliases(names: &[String]) -> ApiError {
    ApiError::ConflictException {
        message: format!(
            "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
            names.join(", ")
        ),
    }
}

pub(crate) async fn delete_state_machine_version(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DeleteStateMachineVersionInput,
) -> Result<DeleteStateMachineVersionOutput, ApiError> {
    let arn = version_arn(&input.state_machine_version_arn)?.to_string();
    // Deleting a version that does not exist succeeds; one that an alias routes to is refused.
    let names = aliases_routing_to(rt, &arn).await?;
    if !names.is_empty() {
        return Err(referenced_by_aliases(&names));
    }
    match rt
        .store
        .commit(WriteBatch::new().with(Op::DeleteVersion { arn: arn.clone() }))
        .await
    {
        Ok(()) => Ok(DeleteStateMachineVersionOutput {}),
        // An alias was pointed at it meanwhile.
        Err(StoreError::Conflict { .. }) => {
            Err(referenced_by_aliases(&aliases_routing_to(rt, &arn).await?))
        }
        Err(e) => Err(internal(e)),
    }
}
