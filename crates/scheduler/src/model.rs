//! Schedules and schedule groups as the store keeps them (JSON service resources in the
//! Scheduler's own member names), their ARNs, names and quotas.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of service resource this service keeps.
pub const SCHEDULE: &str = "scheduler:schedule";
pub const GROUP: &str = "scheduler:group";

/// The group every account has without creating it.
pub const DEFAULT_GROUP: &str = "default";
/// Schedule groups an account may have (EventBridge Scheduler quotas: "Schedule groups per
/// account: 500").
pub const GROUPS_PER_ACCOUNT: usize = 500;
/// Schedules an account may have. The Scheduler's quota is a million and adjustable; Baton
/// bounds them lower, since every node keeps every schedule's next tick in view.
pub const SCHEDULES_PER_ACCOUNT: usize = 10_000;

/// A schedule, with where its ticks stand.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Schedule {
    pub name: String,
    pub group_name: String,
    pub arn: String,
    pub schedule_expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_expression_timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<f64>,
    pub state: String,
    pub flexible_time_window: FlexibleTimeWindow,
    pub target: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_after_completion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    pub creation_date: f64,
    pub last_modification_date: f64,
    /// Not part of the API's answers: [`Schedule::api`] leaves it and `ClientToken` out.
    #[serde(default)]
    pub ticks: Ticks,
    /// The `ClientToken` of the request that made or last changed it: the same request
    /// again (a client's retry) is answered as the first was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// Where a schedule's ticks stand, in milliseconds since the epoch on the scheduler's clock.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Ticks {
    /// The next tick not yet fired; `None` once there is none (a one-time schedule fired, an
    /// end date passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
    /// Rate ticks are counted from it: the start date, else when the schedule was made or last
    /// changed.
    pub anchor: i64,
    /// The last tick fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<i64>,
    /// Ticks let go because they were older than the target's `MaximumEventAgeInSeconds` when
    /// a node came to fire them (the scheduler was down).
    #[serde(default)]
    pub expired: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_window_in_minutes: Option<i64>,
}

impl Schedule {
    /// As `GetSchedule` answers it.
    pub fn api(&self) -> Value {
        let mut value = serde_json::to_value(self).expect("a schedule serialises");
        if let Some(members) = value.as_object_mut() {
            members.remove("Ticks");
            members.remove("ClientToken");
        }
        value
    }

    pub fn enabled(&self) -> bool {
        self.state != "DISABLED"
    }
}

/// A schedule group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub state: String,
    pub creation_date: f64,
    pub last_modification_date: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A group's tag: EventBridge's own shape (`{Key, Value}`).
pub use baton_events::model::Tag;

impl Group {
    /// As `GetScheduleGroup` answers it.
    pub fn api(&self) -> Value {
        serde_json::json!({
            "Arn": self.arn,
            "Name": self.name,
            "State": self.state,
            "CreationDate": self.creation_date,
            "LastModificationDate": self.last_modification_date,
        })
    }
}

/// `arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>`.
pub fn schedule_arn(region: &str, account: &str, group: &str, name: &str) -> String {
    format!("arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}")
}

/// `arn:aws:scheduler:<region>:<account>:schedule-group/<name>`.
pub fn group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:scheduler:{region}:{account}:schedule-group/{name}")
}

/// A schedule's or group's name: `^[0-9a-zA-Z-_.]+$`, 1 to 64 characters (the model's
/// `Name` and `ScheduleGroupName`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}
