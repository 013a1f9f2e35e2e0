//! Buses, rules and targets as the store keeps them (JSON service_resources, in EventBridge's own
//! member names), their ARNs and the names the API accepts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of service resource this service keeps.
pub const BUS: &str = "events:bus";
pub const RULE: &str = "events:rule";
/// The default bus's tags (the bus itself is every account's without a record).
pub const DEFAULT_BUS_TAGS: &str = "events:default-bus-tags";

/// The bus every account has without creating it.
pub const DEFAULT_BUS: &str = "default";
/// Targets a rule may have (EventBridge quotas: "Targets per rule: 5").
pub const TARGETS_PER_RULE: usize = 5;
/// Custom buses an account may have (EventBridge quotas: "Event buses: 100").
pub const BUSES_PER_ACCOUNT: usize = 100;
/// Rules a bus may have. EventBridge's quota is 300 and adjustable; Baton allows more, and
/// bounds them so that one account cannot fill a node's memory with rules.
pub const RULES_PER_BUS: usize = 10_000;

/// A custom bus.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Bus {
    pub name: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch seconds.
    pub creation_time: f64,
    pub last_modified_time: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// A tag of a rule or bus ("In EventBridge, rules and event buses support tagging").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Tags a resource may have (the model's `TagList`; AWS's tagging limit is 50).
pub const TAGS_PER_RESOURCE: usize = 50;

/// A rule with its targets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub name: String,
    pub arn: String,
    pub event_bus_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<String>,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub created_by: String,
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl Rule {
    /// Whether events are matched against it (`ENABLED`, or enabled with CloudTrail's
    /// management events, which Baton has none of).
    pub fn enabled(&self) -> bool {
        self.state != "DISABLED"
    }
}

/// A target as `PutTargets` takes it; members Baton does not act on are kept as given, so
/// `ListTargetsByRule` answers what was put.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<Value>,
    /// Every other member (`SqsParameters`, `HttpParameters`, …), as given.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct InputTransformer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_paths_map: Option<std::collections::BTreeMap<String, String>>,
    pub input_template: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<u32>,
}

/// `arn:aws:events:<region>:<account>:event-bus/<name>`.
pub fn bus_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
}

/// A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another (as
/// EventBridge names them).
pub fn rule_arn(region: &str, account: &str, bus: &str, name: &str) -> String {
    if bus == DEFAULT_BUS {
        format!("arn:aws:events:{region}:{account}:rule/{name}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
    }
}

/// The region and account of an ARN (`arn:aws:<service>:<region>:<account>:…`).
pub fn arn_scope(arn: &str) -> Option<(&str, &str)> {
    baton_api::arn::parts(arn).map(|p| (p.region, p.account))
}

/// A name made of `[.\-_A-Za-z0-9]` (and `/` where `slash`), `1..=max` characters: the
/// patterns of EventBridge's model for rule names, target ids and bus names.
pub fn valid_name(name: &str, max: usize, slash: bool) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b) || (slash && b == b'/'))
}
