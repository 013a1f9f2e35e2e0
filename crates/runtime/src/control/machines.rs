//! State machines: create, describe, update, delete, list; the revisions they write and the
//! configurations (logging, tracing, encryption) they keep as JSON text.
//!
//! Every definition an execution may run has a revision row: creation writes the first, and each
//! update that changes the definition, the role or a configuration writes a new one with a fresh
//! id. AWS gives the first revision no id (`DescribeStateMachine` shows no `revisionId` until the
//! first update; `PublishStateMachineVersion` calls it `INITIAL`), so its stored id carries a
//! marker and [`public_revision_id`] hides it.

use baton_api::arn::{Qualifier, Scope, StateMachineArn};
use baton_api::model::*;
use baton_api::names::{check_name, NAME_MAX_CHARS};
use baton_api::{ApiError, RequestContext, ViolationValue};
use baton_store::{
    self as store, MachineStatus, MachineType, Op, StateMachineRevision, StateMachineVersion,
    WriteBatch,
};

use super::tags::{check_tags, too_many_tags, MAX_TAGS};
use super::versions::{new_version, newest_version_of_current};
use super::{constraint, labelled_arn, machine_writes, page_request, read_error, timestamp};
use crate::{definition, internal, Runtime, StoreError};

/// What the stored id of a machine's first revision starts with.
const INITIAL_REVISION: &str = "initial:";

/// A fresh id for the first revision of a new state machine.
pub(crate) fn initial_revision_id() -> String {
    format!("{INITIAL_REVISION}{}", uuid::Uuid::new_v4())
}

/// A fresh id for a revision written by an update.
fn revision_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The `revisionId` the API shows for a stored revision id: none for a machine's first
/// revision, as on AWS.
pub(crate) fn public_revision_id(id: &str) -> Option<&str> {
    (!id.starts_with(INITIAL_REVISION)).then_some(id)
}

/// The revision id as `PublishStateMachineVersion` compares it: `INITIAL` for the first.
pub(crate) fn comparable_revision_id(id: &str) -> &str {
    public_revision_id(id).unwrap_or("INITIAL")
}

pub(crate) fn store_type(t: Option<StateMachineType>) -> MachineType {
    match t {
        Some(StateMachineType::Express) => MachineType::Express,
        Some(StateMachineType::Standard) | None => MachineType::Standard,
    }
}

pub(crate) fn api_type(t: MachineType) -> StateMachineType {
    match t {
        MachineType::Standard => StateMachineType::Standard,
        MachineType::Express => StateMachineType::Express,
    }
}

fn api_status(s: MachineStatus) -> StateMachineStatus {
    match s {
        MachineStatus::Active => StateMachineStatus::Active,
        MachineStatus::Deleting => StateMachineStatus::Deleting,
    }
}

/// `InvalidArn` unless `role` has the shape of an IAM role ARN:
/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
pub(crate) fn check_role_arn(role: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            !partition.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidArn {
            message: format!("Invalid Role Arn: '{role}'"),
        })
    }
}

/// `InvalidName` for forbidden characters; the length rule as the request validator words it.
pub(crate) fn check_resource_name(name: &str) -> Result<(), ApiError> {
    let len = name.chars().count();
    if len == 0 {
        return Err(constraint(
            "name",
            ViolationValue::Shown(name.to_string()),
            "Member must have length greater than or equal to 1",
        ));
    }
    if len > NAME_MAX_CHARS {
        return Err(constraint(
            "name",
            ViolationValue::Shown(name.to_string()),
            format!("Member must have length less than or equal to {NAME_MAX_CHARS}"),
        ));
    }
    check_name(name)
}

/// The logging configuration as stored: AWS's defaults filled in (`level` OFF,
/// `includeExecutionData` false), after AWS's checks on the destinations.
fn logging_text(config: Option<&LoggingConfiguration>) -> Result<String, ApiError> {
    let config = config.cloned().unwrap_or_default();
    let level = config.level.unwrap_or(LogLevel::Off);
    let destinations = config.destinations.as_deref().unwrap_or_default();
    if destinations.len() > 1 || (level != LogLevel::Off && destinations.is_empty()) {
        return Err(ApiError::InvalidLoggingConfiguration {
            message: "Invalid Logging Configuration: Must specify exactly one Log Destination."
                .into(),
        });
    }
    let normalised = LoggingConfiguration {
        level: Some(level),
        include_execution_data: Some(config.include_execution_data.unwrap_or(false)),
        destinations: config.destinations.filter(|d| !d.is_empty()),
    };
    serde_json::to_string(&normalised).map_err(encoding)
}

/// AWS refuses a logging configuration whose log group does not exist (in the caller's
/// account): see [`crate::execution_log::destination_found`].
fn check_destination(rt: &Runtime, ctx: &RequestContext, logging: &str) -> Result<(), ApiError> {
    if crate::execution_log::destination_found(
        rt.config.logs.as_ref(),
        logging,
        &ctx.account_id,
        rt.config.ownership.is_some(),
    ) {
        Ok(())
    } else {
        Err(ApiError::InvalidLoggingConfiguration {
            message: "Invalid Logging Configuration: Log Destination not found.".into(),
        })
    }
}

/// The tracing configuration as stored: `enabled` false unless set.
fn tracing_text(config: Option<&TracingConfiguration>) -> Result<String, ApiError> {
    let enabled = config.and_then(|c| c.enabled).unwrap_or(false);
    serde_json::to_string(&TracingConfiguration {
        enabled: Some(enabled),
    })
    .map_err(encoding)
}

pub(crate) fn encryption_text(
    config: Option<&EncryptionConfiguration>,
) -> Result<Option<String>, ApiError> {
    config
        .map(|c| serde_json::to_string(c).map_err(encoding))
        .transpose()
}

fn encoding(e: serde_json::Error) -> ApiError {
    ApiError::internal(format!("encoding: {e}"))
}

/// A stored configuration read back (a record this runtime wrote always reads).
macro_rules! from_text {
    ($name:ident, $ty:ty) => {
        pub(crate) fn $name(text: Option<&str>) -> Option<$ty> {
            text.and_then(|t| serde_json::from_str(t).ok())
        }
    };
}
from_text!(logging_of, LoggingConfiguration);
from_text!(tracing_of, TracingConfiguration);
from_text!(encryption_of, EncryptionConfiguration);

/// `ValidationException` when a version description comes without `publish`.
fn check_publish(publish: Option<bool>, description: Option<&str>) -> Result<(), ApiError> {
    if publish != Some(true) && description.is_some() {
        return Err(ApiError::validation(
            "Version description can only be set when publish is true",
        ));
    }
    Ok(())
}

/// The unqualified state machine an operation on the machine itself names. A version or alias
/// ARN names no such machine (`StateMachineDoesNotExist`, as AWS answers `UpdateStateMachine`
/// with a version ARN); a Map Run label is refused.
pub(crate) fn unqualified(arn: &str) -> Result<StateMachineArn, ApiError> {
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    if parsed.qualifier.is_some() {
        return Err(ApiError::state_machine_does_not_exist(arn));
    }
    Ok(parsed)
}

/// The state machine `arn` names, or `StateMachineDoesNotExist` quoting `arn`.
pub(crate) async fn existing(
    rt: &Runtime,
    machine_arn: &str,
    arn: &str,
) -> Result<store::StateMachine, ApiError> {
    rt.store
        .state_machine(machine_arn)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::state_machine_does_not_exist(arn))
}

/// The revision row of the machine's current definition, role and configurations.
pub(crate) fn revision_of(
    machine: &store::StateMachine,
    now: store::Millis,
) -> StateMachineRevision {
    StateMachineRevision {
        state_machine_arn: machine.arn.clone(),
        revision_id: machine.revision_id.clone(),
        definition: machine.definition.clone(),
        role_arn: machine.role_arn.clone(),
        logging_configuration: machine.logging_configuration.clone(),
        tracing_configuration: machine.tracing_configuration.clone(),
        encryption_configuration: machine.encryption_configuration.clone(),
        creation_date: now,
    }
}

pub(crate) async fn create_state_machine(
    rt: &Runtime,
    ctx: &RequestContext,
    input: CreateStateMachineInput,
) -> Result<CreateStateMachineOutput, ApiError> {
    check_publish(input.publish, input.version_description.as_deref())?;
    check_resource_name(&input.name)?;
    check_role_arn(&input.role_arn)?;
    let machine_type = store_type(input.r#type);
    let logging = logging_text(input.logging_configuration.as_ref())?;
    let tracing = tracing_text(input.tracing_configuration.as_ref())?;
    let encryption = encryption_text(input.encryption_configuration.as_ref())?;
    let tags = check_tags(input.tags.as_deref().unwrap_or_default(), "tags")?;
    definition::check(&input.definition, machine_type)?;
    check_destination(rt, ctx, &logging)?;

    let arn = StateMachineArn::new(Scope::new(&ctx.region, &ctx.account_id), &input.name);
    let arn_text = arn.to_string();
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags(&arn_text));
    }
    let publish = input.publish == Some(true);
    let now = crate::now();
    let mut machine = store::StateMachine {
        arn: arn_text.clone(),
        name: input.name.clone(),
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        definition: input.definition.clone(),
        role_arn: input.role_arn.clone(),
        machine_type,
        status: MachineStatus::Active,
        description: None,
        logging_configuration: Some(logging),
        tracing_configuration: Some(tracing),
        encryption_configuration: encryption,
        revision_id: initial_revision_id(),
        last_version_number: 0,
        creation_date: now,
    };

    let _guard = machine_writes().await;
    if let Some(current) = rt.store.state_machine(&arn_text).await.map_err(internal)? {
        return repeat(rt, &current, &machine, publish, &input).await;
    }
    let version =
        publish.then(|| new_version(&mut machine, input.version_description.clone(), now));
    let mut batch = WriteBatch::new()
        .with(Op::CreateStateMachine(machine.clone()))
        .with(Op::PutRevision(revision_of(&machine, now)));
    if let Some(v) = &version {
        batch.push(Op::CreateVersion(v.clone()));
    }
    if !tags.is_empty() {
        batch.push(Op::TagResource {
            arn: arn_text.clone(),
            tags,
        });
    }
    match rt.store.commit(batch).await {
        Ok(()) => Ok(CreateStateMachineOutput {
            state_machine_arn: arn_text,
            creation_date: timestamp(now),
            state_machine_version_arn: version.map(|v| v.arn),
        }),
        // Created meanwhile by another runtime on the same store: the same rules as above.
        Err(StoreError::AlreadyExists { .. }) => {
            let current = existing(rt, &arn_text, &arn_text).await?;
            repeat(rt, &current, &machine, publish, &input).await
        }
        Err(e) => Err(internal(e)),
    }
}

/// `CreateStateMachine` for a name that is taken: the existing machine when the request repeats
/// its definition, type and configurations (AWS ignores a different role and tags), and the
/// version of its current revision when the request publishes; otherwise
/// `StateMachineAlreadyExists`.
async fn repeat(
    rt: &Runtime,
    current: &store::StateMachine,
    wanted: &store::StateMachine,
    publish: bool,
    input: &CreateStateMachineInput,
) -> Result<CreateStateMachineOutput, ApiError> {
    let same = current.definition == wanted.definition
        && current.machine_type == wanted.machine_type
        && current.logging_configuration == wanted.logging_configuration
        && current.tracing_configuration == wanted.tracing_configuration
        && current.encryption_configuration == wanted.encryption_configuration;
    let already_exists = || ApiError::state_machine_already_exists(&current.arn);
    if !same {
        return Err(already_exists());
    }
    let version_arn = if publish {
        match newest_version_of_current(rt, current).await? {
            Some(v) if v.description == input.version_description => Some(v.arn),
            _ => return Err(already_exists()),
        }
    } else {
        None
    };
    Ok(CreateStateMachineOutput {
        state_machine_arn: current.arn.clone(),
        creation_date: timestamp(current.creation_date),
        state_machine_version_arn: version_arn,
    })
}

pub(crate) async fn describe_state_machine(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeStateMachineInput,
) -> Result<DescribeStateMachineOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    let machine = existing(rt, &parsed.unqualified().to_string(), arn).await?;
    let metadata_only = input.included_data == Some(IncludedData::MetadataOnly);
    let definition = |text: &str| {
        if metadata_only {
            "{}".to_string()
        } else {
            text.to_string()
        }
    };
    match &parsed.qualifier {
        None => Ok(DescribeStateMachineOutput {
            state_machine_arn: machine.arn.clone(),
            name: machine.name.clone(),
            status: Some(api_status(machine.status)),
            definition: definition(&machine.definition),
            role_arn: machine.role_arn.clone(),
            r#type: api_type(machine.machine_type),
            creation_date: timestamp(machine.creation_date),
            logging_configuration: logging_of(machine.logging_configuration.as_deref()),
            tracing_configuration: tracing_of(machine.tracing_configuration.as_deref()),
            label: None,
            revision_id: public_revision_id(&machine.revision_id).map(str::to_string),
            description: machine.description.clone(),
            encryption_configuration: encryption_of(machine.encryption_configuration.as_deref()),
            variable_references: None,
        }),
        Some(Qualifier::Version(_)) => {
            let version = rt
                .store
                .version(&parsed.to_string())
                .await
                .map_err(internal)?
                .ok_or_else(|| ApiError::state_machine_does_not_exist(arn))?;
            Ok(describe_version(
                &machine,
                &version,
                definition(&version.definition),
            ))
        }
        // An alias is not a state machine: DescribeStateMachineAlias describes it.
        Some(Qualifier::Alias(_)) => Err(ApiError::state_machine_does_not_exist(arn)),
    }
}

/// `DescribeStateMachine` of a version ARN: the version's own definition, role, configurations,
/// description and creation date.
fn describe_version(
    machine: &store::StateMachine,
    version: &StateMachineVersion,
    definition: String,
) -> DescribeStateMachineOutput {
    DescribeStateMachineOutput {
        state_machine_arn: version.arn.clone(),
        name: machine.name.clone(),
        status: Some(api_status(machine.status)),
        definition,
        role_arn: version.role_arn.clone(),
        r#type: api_type(machine.machine_type),
        creation_date: timestamp(version.creation_date),
        logging_configuration: logging_of(version.logging_configuration.as_deref()),
        tracing_configuration: tracing_of(version.tracing_configuration.as_deref()),
        label: None,
        revision_id: public_revision_id(&version.revision_id).map(str::to_string),
        description: version.description.clone(),
        encryption_configuration: encryption_of(version.encryption_configuration.as_deref()),
        variable_references: None,
    }
}

pub(crate) async fn update_state_machine(
    rt: &Runtime,
    ctx: &RequestContext,
    input: UpdateStateMachineInput,
) -> Result<UpdateStateMachineOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = unqualified(arn)?;
    check_publish(input.publish, input.version_description.as_deref())?;
    if input.definition.is_none()
        && input.role_arn.is_none()
        && input.logging_configuration.is_none()
        && input.tracing_configuration.is_none()
        && input.encryption_configuration.is_none()
    {
        return Err(ApiError::MissingRequiredParameter {
            message: "Either the definition, the role ARN, the LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must be specified".into(),
        });
    }
    if let Some(role) = &input.role_arn {
        check_role_arn(role)?;
    }
    let logging = input
        .logging_configuration
        .as_ref()
        .map(|c| logging_text(Some(c)))
        .transpose()?;
    if let Some(logging) = &logging {
        check_destination(rt, ctx, logging)?;
    }
    let tracing = input
        .tracing_configuration
        .as_ref()
        .map(|c| tracing_text(Some(c)))
        .transpose()?;
    let encryption = encryption_text(input.encryption_configuration.as_ref())?;

    let _guard = machine_writes().await;
    let mut machine = existing(rt, &parsed.to_string(), arn).await?;
    if let Some(text) = &input.definition {
        definition::check(text, machine.machine_type)?;
    }
    let before = machine.clone();
    if let Some(text) = input.definition {
        machine.definition = text;
    }
    if let Some(role) = input.role_arn {
        machine.role_arn = role;
    }
    if logging.is_some() {
        machine.logging_configuration = logging;
    }
    if tracing.is_some() {
        machine.tracing_configuration = tracing;
    }
    if encryption.is_some() {
        machine.encryption_configuration = encryption;
    }
    let changed = machine != before;
    let now = crate::now();
    let mut batch = WriteBatch::new();
    let mut revision = None;
    if changed {
        machine.revision_id = revision_id();
        revision = Some(revision_of(&machine, now));
    }
    let mut version_arn = None;
    let mut version = None;
    if input.publish == Some(true) {
        let existing_version = if changed {
            None
        } else {
            newest_version_of_current(rt, &machine).await?
        };
        match existing_version {
            Some(v) => version_arn = Some(v.arn),
            None => {
                let v = new_version(&mut machine, input.version_description, now);
                version_arn = Some(v.arn.clone());
                version = Some(v);
            }
        }
    }
    if machine != before {
        batch.push(Op::UpdateStateMachine(machine.clone()));
        batch.extend(revision.map(Op::PutRevision));
        batch.extend(version.map(Op::CreateVersion));
        let committed = rt.store.commit(batch).await;
        rt.forget_machine(arn);
        match committed {
            Ok(()) => {}
            Err(StoreError::NotFound { .. }) => {
                return Err(ApiError::state_machine_does_not_exist(arn))
            }
            Err(e) => return Err(internal(e)),
        }
    }
    Ok(UpdateStateMachineOutput {
        update_date: timestamp(now),
        revision_id: public_revision_id(&machine.revision_id).map(str::to_string),
        state_machine_version_arn: version_arn,
    })
}

pub(crate) async fn delete_state_machine(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DeleteStateMachineInput,
) -> Result<DeleteStateMachineOutput, ApiError> {
    let arn = &input.state_machine_arn;
    let parsed = StateMachineArn::parse(arn)?;
    if parsed.map_label.is_some() {
        return Err(labelled_arn(arn));
    }
    if parsed.qualifier.is_some() {
        return Err(ApiError::validation(format!(
            "Invalid Arn: '{arn}'. Delete a version with DeleteStateMachineVersion and an alias with DeleteStateMachineAlias"
        )));
    }
    // Deleting a machine that does not exist succeeds, as on AWS. The machine goes with its
    // versions, aliases and tags; its revisions and executions stay, so running executions
    // finish and still describe.
    let _guard = machine_writes().await;
    let arn = parsed.to_string();
    let committed = rt
        .store
        .commit(WriteBatch::new().with(Op::DeleteStateMachine { arn: arn.clone() }))
        .await;
    rt.forget_machine(&arn);
    committed.map_err(internal)?;
    Ok(DeleteStateMachineOutput {})
}

pub(crate) async fn list_state_machines(
    rt: &Runtime,
    ctx: &RequestContext,
    input: ListStateMachinesInput,
) -> Result<ListStateMachinesOutput, ApiError> {
    let scope = store::Scope::new(&ctx.account_id, &ctx.region);
    let page = rt
        .store
        .state_machines(&scope, &page_request(input.max_results, input.next_token))
        .await
        .map_err(read_error)?;
    Ok(ListStateMachinesOutput {
        state_machines: page
            .items
            .into_iter()
            .map(|m| StateMachineListItem {
                state_machine_arn: m.arn,
                name: m.name,
                r#type: api_type(m.machine_type),
                creation_date: timestamp(m.creation_date),
            })
            .collect(),
        next_token: page.next.map(|t| t.into_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_have_the_iam_role_shape() {
        for ok in [
            "arn:aws:iam::111111111111:role/sfn-corpus-role",
            "arn:aws-cn:iam::123456789012:role/path/to/role",
        ] {
            assert!(check_role_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "role",
            "arn:aws:iam::111111111111:user/me",
            "arn:aws:iam::11111111111:role/short-account",
            "arn:aws:iam:us-east-1:111111111111:role/regional",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111111111111:role/",
        ] {
            let err = check_role_arn(bad).expect_err(bad);
            assert_eq!(err.code(), "InvalidArn");
            assert_eq!(err.message(), Some(&*format!("Invalid Role Arn: '{bad}'")));
        }
    }

    #[test]
    fn the_first_revision_has_no_public_id() {
        let first = initial_revision_id();
        assert_eq!(public_revision_id(&first), None);
        assert_eq!(comparable_revision_id(&first), "INITIAL");
        let next = revision_id();
        assert_eq!(public_revision_id(&next), Some(next.as_str()));
    }

    #[test]
    fn logging_gets_aws_defaults_and_needs_one_destination_unless_off() {
        assert_eq!(
            logging_text(None).unwrap(),
            r#"{"level":"OFF","includeExecutionData":false}"#
        );
        let no_destination = LoggingConfiguration {
            level: Some(LogLevel::All),
            ..Default::default()
        };
        assert_eq!(
            logging_text(Some(&no_destination)).unwrap_err().code(),
            "InvalidLoggingConfiguration"
        );
        assert_eq!(tracing_text(None).unwrap(), r#"{"enabled":false}"#);
    }
}
