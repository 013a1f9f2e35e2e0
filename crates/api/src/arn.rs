//! Step Functions ARNs in AWS's form: parsing and formatting of state machine (with version or
//! alias), execution (standard and express), activity and Map Run ARNs.
//!
//! ```text
//! arn:aws:states:us-east-1:123456789012:stateMachine:orders
//! arn:aws:states:us-east-1:123456789012:stateMachine:orders:3            (version 3)
//! arn:aws:states:us-east-1:123456789012:stateMachine:orders:prod         (alias prod)
//! arn:aws:states:us-east-1:123456789012:execution:orders:run-1
//! arn:aws:states:us-east-1:123456789012:express:orders:run-1:<uuid>
//! arn:aws:states:us-east-1:123456789012:activity:approve
//! arn:aws:states:us-east-1:123456789012:mapRun:orders/Items:<uuid>
//! arn:aws:states:us-east-1:123456789012:execution:orders/Items:<child>  (a Map Run's child)
//! ```

use std::fmt;

/// Why a string is not the ARN expected. The `Display` text is what AWS puts inside
/// `Invalid Arn: '…'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// It does not start as an ARN of this service does.
    #[error("Invalid ARN prefix: {0}")]
    Prefix(String),
    /// It is a Step Functions ARN of another kind (an execution where a state machine is
    /// expected); AWS names the kind in lower case.
    #[error("Resource type not valid in this context: {0}")]
    ResourceType(String),
    /// It has the right prefix and kind but not the right parts.
    #[error("Invalid ARN: {0}")]
    Malformed(String),
}

/// The parts of any service's ARN, `arn:<partition>:<service>:<region>:<account>:<resource>`
/// (the resource may hold more colons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// `arn` split into its parts; `None` when it has fewer than six.
pub fn parts(arn: &str) -> Option<Parts<'_>> {
    let mut it = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return None;
    };
    Some(Parts {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// The ARN partition for a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws`
/// otherwise.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

/// Where a resource lives: partition, region and account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Scope {
    /// The scope of `account` in `region`, with the region's partition.
    pub fn new(region: impl Into<String>, account: impl Into<String>) -> Self {
        let region = region.into();
        Self {
            partition: partition_of(&region).to_owned(),
            region,
            account: account.into(),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, kind: &str) -> fmt::Result {
        write!(
            f,
            "arn:{}:states:{}:{}:{kind}",
            self.partition, self.region, self.account
        )
    }
}

/// What follows a state machine's name in its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// A published version: `…:stateMachine:orders:3`.
    Version(u64),
    /// An alias: `…:stateMachine:orders:prod`.
    Alias(String),
}

/// A state machine ARN, possibly qualified by a version or an alias, or naming the child
/// workflow of a Distributed Map (`orders/Items`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateMachineArn {
    pub scope: Scope,
    pub name: String,
    /// The Map Run label when the ARN names a Distributed Map's child workflow.
    pub map_label: Option<String>,
    pub qualifier: Option<Qualifier>,
}

/// An execution ARN: standard (`execution:`) or express (`express:`, with an id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecutionArn {
    pub scope: Scope,
    pub state_machine: String,
    /// The Map Run label when the execution is a Distributed Map's child.
    pub map_label: Option<String>,
    pub name: String,
    /// The id AWS appends to express execution ARNs; `None` for standard executions.
    pub express_id: Option<String>,
}

/// An activity ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActivityArn {
    pub scope: Scope,
    pub name: String,
}

/// A Map Run ARN: `mapRun:<state machine>/<label>:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapRunArn {
    pub scope: Scope,
    pub state_machine: String,
    pub label: String,
    pub id: String,
}

/// Any Step Functions ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatesArn {
    StateMachine(StateMachineArn),
    Execution(ExecutionArn),
    Activity(ActivityArn),
    MapRun(MapRunArn),
}

impl StatesArn {
    /// Parses any Step Functions ARN.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        let (scope, kind, rest) = split(arn)?;
        let malformed = || ArnError::Malformed(arn.to_owned());
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(malformed());
        }
        Ok(match (kind, parts.as_slice()) {
            ("stateMachine", [machine, qualifier @ ..]) if qualifier.len() <= 1 => {
                let (name, map_label) = machine_and_label(machine).ok_or_else(malformed)?;
                Self::StateMachine(StateMachineArn {
                    scope,
                    name,
                    map_label,
                    qualifier: qualifier.first().map(|q| match q.parse::<u64>() {
                        Ok(version) if q.bytes().all(|b| b.is_ascii_digit()) => {
                            Qualifier::Version(version)
                        }
                        _ => Qualifier::Alias((*q).to_owned()),
                    }),
                })
            }
            ("execution", [machine, name]) | ("express", [machine, name, _]) => {
                let (state_machine, map_label) =
                    machine_and_label(machine).ok_or_else(malformed)?;
                Self::Execution(ExecutionArn {
                    scope,
                    state_machine,
                    map_label,
                    name: (*name).to_owned(),
                    express_id: parts.get(2).map(|id| (*id).to_owned()),
                })
            }
            ("activity", [name]) => Self::Activity(ActivityArn {
                scope,
                name: (*name).to_owned(),
            }),
            ("mapRun", [machine, id]) => {
                let (state_machine, label) = machine_and_label(machine).ok_or_else(malformed)?;
                Self::MapRun(MapRunArn {
                    scope,
                    state_machine,
                    label: label.ok_or_else(malformed)?,
                    id: (*id).to_owned(),
                })
            }
            ("stateMachine" | "execution" | "express" | "activity" | "mapRun", _) => {
                return Err(malformed())
            }
            (other, _) => return Err(ArnError::ResourceType(other.to_lowercase())),
        })
    }

    /// The resource kind as AWS names it in `Resource type not valid in this context`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::StateMachine(_) => "statemachine",
            Self::Execution(e) if e.express_id.is_some() => "express",
            Self::Execution(_) => "execution",
            Self::Activity(_) => "activity",
            Self::MapRun(_) => "maprun",
        }
    }

    fn wrong_kind(self) -> ArnError {
        ArnError::ResourceType(self.kind().to_owned())
    }
}

/// `arn:<partition>:states:<region>:<account>:<kind>:<rest>`.
fn split(arn: &str) -> Result<(Scope, &str, &str), ArnError> {
    let prefix = || ArnError::Prefix(arn.to_owned());
    let mut parts = arn.splitn(7, ':');
    let mut next = || parts.next().ok_or_else(prefix);
    let (head, partition, service) = (next()?, next()?, next()?);
    if head != "arn" || partition.is_empty() || service != "states" {
        return Err(prefix());
    }
    let malformed = || ArnError::Malformed(arn.to_owned());
    let mut next = || parts.next().ok_or_else(malformed);
    let (region, account, kind, rest) = (next()?, next()?, next()?, next()?);
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if !region_ok || !account_ok || rest.is_empty() {
        return Err(malformed());
    }
    let scope = Scope {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
    };
    Ok((scope, kind, rest))
}

/// `orders` or `orders/Items` (a Distributed Map's child workflow).
fn machine_and_label(part: &str) -> Option<(String, Option<String>)> {
    match part.split_once('/') {
        None => Some((part.to_owned(), None)),
        Some((machine, label))
            if !machine.is_empty() && !label.is_empty() && !label.contains('/') =>
        {
            Some((machine.to_owned(), Some(label.to_owned())))
        }
        Some(_) => None,
    }
}

fn write_machine(f: &mut fmt::Formatter<'_>, name: &str, label: &Option<String>) -> fmt::Result {
    match label {
        Some(label) => write!(f, ":{name}/{label}"),
        None => write!(f, ":{name}"),
    }
}

impl StateMachineArn {
    /// The unqualified ARN of the state machine `name`.
    pub fn new(scope: Scope, name: impl Into<String>) -> Self {
        Self {
            scope,
            name: name.into(),
            map_label: None,
            qualifier: None,
        }
    }

    /// Parses a state machine ARN (qualified or not); another kind of Step Functions ARN is
    /// `ResourceType`.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        match StatesArn::parse(arn)? {
            StatesArn::StateMachine(a) => Ok(a),
            other => Err(other.wrong_kind()),
        }
    }

    /// The ARN without version or alias.
    pub fn unqualified(&self) -> Self {
        Self {
            qualifier: None,
            ..self.clone()
        }
    }

    /// The ARN of version `version` of this state machine.
    pub fn version(&self, version: u64) -> Self {
        Self {
            qualifier: Some(Qualifier::Version(version)),
            ..self.clone()
        }
    }

    /// The ARN of alias `alias` of this state machine.
    pub fn alias(&self, alias: impl Into<String>) -> Self {
        Self {
            qualifier: Some(Qualifier::Alias(alias.into())),
            ..self.clone()
        }
    }
}

impl fmt::Display for StateMachineArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.scope.write(f, "stateMachine")?;
        write_machine(f, &self.name, &self.map_label)?;
        match &self.qualifier {
            Some(Qualifier::Version(v)) => write!(f, ":{v}"),
            Some(Qualifier::Alias(a)) => write!(f, ":{a}"),
            None => Ok(()),
        }
    }
}

impl ExecutionArn {
    /// The ARN of standard execution `name` of `state_machine` (its version or alias, if any,
    /// does not appear).
    pub fn standard(state_machine: &StateMachineArn, name: impl Into<String>) -> Self {
        Self {
            scope: state_machine.scope.clone(),
            state_machine: state_machine.name.clone(),
            map_label: state_machine.map_label.clone(),
            name: name.into(),
            express_id: None,
        }
    }

    /// The ARN of express execution `name` of `state_machine`, with the id AWS appends.
    pub fn express(
        state_machine: &StateMachineArn,
        name: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self {
            express_id: Some(id.into()),
            ..Self::standard(state_machine, name)
        }
    }

    /// Parses a standard or express execution ARN; another kind is `ResourceType`.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        match StatesArn::parse(arn)? {
            StatesArn::Execution(a) => Ok(a),
            other => Err(other.wrong_kind()),
        }
    }

    /// Whether this is an express execution.
    pub fn is_express(&self) -> bool {
        self.express_id.is_some()
    }

    /// The (unqualified) ARN of the state machine the execution belongs to.
    pub fn state_machine_arn(&self) -> StateMachineArn {
        StateMachineArn {
            scope: self.scope.clone(),
            name: self.state_machine.clone(),
            map_label: self.map_label.clone(),
            qualifier: None,
        }
    }
}

impl fmt::Display for ExecutionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_express() {
            "express"
        } else {
            "execution"
        };
        self.scope.write(f, kind)?;
        write_machine(f, &self.state_machine, &self.map_label)?;
        write!(f, ":{}", self.name)?;
        match &self.express_id {
            Some(id) => write!(f, ":{id}"),
            None => Ok(()),
        }
    }
}

impl ActivityArn {
    /// The ARN of activity `name`.
    pub fn new(scope: Scope, name: impl Into<String>) -> Self {
        Self {
            scope,
            name: name.into(),
        }
    }

    /// Parses an activity ARN; another kind is `ResourceType`.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        match StatesArn::parse(arn)? {
            StatesArn::Activity(a) => Ok(a),
            other => Err(other.wrong_kind()),
        }
    }
}

impl fmt::Display for ActivityArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.scope.write(f, "activity")?;
        write!(f, ":{}", self.name)
    }
}

impl MapRunArn {
    /// The ARN of the Map Run `id` of the Distributed Map labelled `label` in `state_machine`.
    pub fn new(
        state_machine: &StateMachineArn,
        label: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self {
            scope: state_machine.scope.clone(),
            state_machine: state_machine.name.clone(),
            label: label.into(),
            id: id.into(),
        }
    }

    /// Parses a Map Run ARN; another kind is `ResourceType`.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        match StatesArn::parse(arn)? {
            StatesArn::MapRun(a) => Ok(a),
            other => Err(other.wrong_kind()),
        }
    }

    /// The ARN of the child workflow the Map Run's executions run (`stateMachine:<name>/<label>`).
    pub fn child_state_machine_arn(&self) -> StateMachineArn {
        StateMachineArn {
            scope: self.scope.clone(),
            name: self.state_machine.clone(),
            map_label: Some(self.label.clone()),
            qualifier: None,
        }
    }
}

impl fmt::Display for MapRunArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.scope.write(f, "mapRun")?;
        write!(f, ":{}/{}:{}", self.state_machine, self.label, self.id)
    }
}

impl fmt::Display for StatesArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StateMachine(a) => a.fmt(f),
            Self::Execution(a) => a.fmt(f),
            Self::Activity(a) => a.fmt(f),
            Self::MapRun(a) => a.fmt(f),
        }
    }
}
