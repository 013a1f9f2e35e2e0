//! CloudWatch Logs, as far as Step Functions' execution logs need it: log groups and streams
//! kept under the data folder ([`Logs`]), written by executions whose
//! `LoggingConfiguration` names a group, and read through CloudWatch Logs' own API on
//! Baton's port ([`LogsService`]), so `aws logs tail --follow` and `FilterLogEvents` work.

pub mod api;
pub mod pattern;
mod store;

pub use api::{check_group_name, group_of_arn, LogsService, TARGET_PREFIX};
pub use store::{
    Error, Event, GroupInfo, GroupKey, Logs, StreamId, StreamInfo, GROUPS_PER_ACCOUNT, QUEUE_BYTES,
    RETENTION_DAYS, STREAMS_PER_GROUP,
};
