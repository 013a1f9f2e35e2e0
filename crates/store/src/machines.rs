//! Control-plane records: state machines, their revisions, versions and aliases, activities,
//! tags.

use serde::{Deserialize, Serialize};

use crate::{MachineStatus, MachineType, Millis};

/// The account and region a listing is for: `ListStateMachines` and `ListActivities` show only
/// the caller's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Scope {
        Scope {
            account: account.into(),
            region: region.into(),
        }
    }
}

/// A state machine as `DescribeStateMachine` shows its latest revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachine {
    /// `arn:<partition>:states:<region>:<account>:stateMachine:<name>`; unique.
    pub arn: String,
    pub name: String,
    pub account: String,
    pub region: String,
    /// The definition text exactly as the client sent it.
    pub definition: String,
    pub role_arn: String,
    pub machine_type: MachineType,
    pub status: MachineStatus,
    pub description: Option<String>,
    /// `loggingConfiguration` as JSON text.
    pub logging_configuration: Option<String>,
    /// `tracingConfiguration` as JSON text.
    pub tracing_configuration: Option<String>,
    /// `encryptionConfiguration` as JSON text.
    pub encryption_configuration: Option<String>,
    /// Identifies the current revision (see [`StateMachineRevision`]).
    pub revision_id: String,
    /// The highest version number ever published (0: none). AWS never reuses a version number,
    /// even after the version is deleted, so this is kept here rather than derived from the
    /// versions that exist.
    pub last_version_number: u32,
    pub creation_date: Millis,
}

/// One revision of a state machine: what an execution started on it runs, kept after the machine
/// is updated (running executions finish on the definition they started with) or deleted
/// (`DescribeStateMachineForExecution`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineRevision {
    pub state_machine_arn: String,
    pub revision_id: String,
    pub definition: String,
    pub role_arn: String,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub encryption_configuration: Option<String>,
    pub creation_date: Millis,
}

/// A published, immutable version of a state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineVersion {
    /// The machine's ARN, `:`, the version number.
    pub arn: String,
    pub state_machine_arn: String,
    pub number: u32,
    pub definition: String,
    pub role_arn: String,
    pub description: Option<String>,
    pub revision_id: String,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub encryption_configuration: Option<String>,
    pub creation_date: Millis,
}

/// One entry of an alias's `routingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub version_arn: String,
    /// Percent of executions started through the alias that run this version.
    pub weight: u32,
}

/// A named pointer to one or two versions of a state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMachineAlias {
    /// The machine's ARN, `:`, the alias name.
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub description: Option<String>,
    /// In the order the client gave them.
    pub routing: Vec<Route>,
    pub creation_date: Millis,
    pub update_date: Millis,
}

/// An activity: a task kind workers poll for with `GetActivityTask`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// `arn:<partition>:states:<region>:<account>:activity:<name>`; unique.
    pub arn: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub encryption_configuration: Option<String>,
    pub creation_date: Millis,
}

/// One tag of a state machine or an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Whose aliases to list: a machine's, or those routing to one version (`ListStateMachineAliases`
/// accepts either ARN; `DeleteStateMachineVersion` refuses while any alias routes to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasesOf<'a> {
    Machine(&'a str),
    Version(&'a str),
}
