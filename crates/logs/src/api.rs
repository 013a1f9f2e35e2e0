//! CloudWatch Logs' API (AWS JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`), the
//! operations that create, list and read groups, streams and events: `CreateLogGroup`,
//! `DeleteLogGroup`, `DescribeLogGroups`, `CreateLogStream`, `DeleteLogStream`,
//! `DescribeLogStreams`, `PutLogEvents`, `GetLogEvents` and `FilterLogEvents` (what
//! `aws logs tail --follow` calls). Members, limits and errors follow the service's model
//! (botocore's `logs` service-2.json) and its API reference.

use async_trait::async_trait;
use baton_api::{JsonService, Members, RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::pattern::Pattern;
use crate::store::{Error, GroupKey, Logs, StreamId, RETENTION_DAYS};

/// `X-Amz-Target`'s prefix for CloudWatch Logs.
pub const TARGET_PREFIX: &str = "Logs_20140328";

const OPERATIONS: [&str; 11] = [
    "CreateLogGroup",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "CreateLogStream",
    "DeleteLogStream",
    "DescribeLogStreams",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
];

/// The most events and bytes one read answers (GetLogEvents, FilterLogEvents: "up to 1 MB
/// (up to 10,000 log events)").
const READ_EVENTS: usize = 10_000;
const READ_BYTES: usize = 1024 * 1024;
/// The most bytes one FilterLogEvents call searches before it answers with what it found
/// and a `nextToken`, so one call cannot hold the server for long.
const SEARCH_BYTES: u64 = 64 * 1024 * 1024;
/// How far before a search's `startTime` it starts reading a stream (lines are appended in
/// time order up to a step's own delay between making and writing its events).
const SEEK_SLACK_MS: i64 = 60_000;
/// PutLogEvents' quotas: 10,000 events and 1,048,576 bytes (each event counted with 26
/// bytes more), an event at most 256 KiB.
const PUT_EVENTS: usize = 10_000;
const PUT_BYTES: usize = 1_048_576;
const EVENT_BYTES: usize = 256 * 1024;

/// CloudWatch Logs on Baton's port.
pub struct LogsService {
    logs: Logs,
}

impl LogsService {
    pub fn new(logs: Logs) -> Self {
        Self { logs }
    }
}

#[async_trait]
impl JsonService for LogsService {
    fn target_prefix(&self) -> &'static str {
        TARGET_PREFIX
    }
    fn signing_name(&self) -> &'static str {
        "logs"
    }
    fn operations(&self) -> &'static [&'static str] {
        &OPERATIONS
    }
    async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ServiceError> {
        let input = Members::parse(body)?;
        let logs = self.logs.clone();
        let (account, region) = (ctx.account_id.clone(), ctx.region.clone());
        let operation = operation.to_string();
        // Reads scan files: off the async workers.
        let output = tokio::task::spawn_blocking(move || {
            let call = Call {
                logs: &logs,
                account: &account,
                region: &region,
                input: &input,
            };
            call.run(&operation)
        })
        .await
        .map_err(|e| ServiceError {
            status: 500,
            code: "ServiceUnavailableException".into(),
            message: e.to_string(),
        })??;
        Ok(output.to_string().into_bytes())
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidParameterException", message)
}

fn constraint(value: &str, member: &str, rule: &str) -> ServiceError {
    invalid(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

fn failure(error: Error) -> ServiceError {
    match error {
        Error::GroupNotFound => ServiceError::client(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        ),
        Error::StreamNotFound => ServiceError::client(
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        ),
        Error::GroupExists => ServiceError::client(
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        ),
        Error::StreamExists => ServiceError::client(
            "ResourceAlreadyExistsException",
            "The specified log stream already exists",
        ),
        // CloudWatch Logs' own words for a quota (`CreateLogGroup`'s LimitExceededException).
        Error::Limit(which) => ServiceError::client(
            "LimitExceededException",
            format!("Resource limit exceeded: {which}."),
        ),
        Error::Unavailable(why) => ServiceError {
            status: 503,
            code: "ServiceUnavailableException".into(),
            message: why,
        },
    }
}

/// A name of 1 to 512 characters, each allowed by `allowed` (the model's `pattern`).
fn check_name(
    name: &str,
    member: &str,
    allowed: impl Fn(char) -> bool,
    pattern: &str,
) -> Result<(), ServiceError> {
    let rule = if name.is_empty() {
        "Member must have length greater than or equal to 1".to_string()
    } else if name.chars().count() > 512 {
        "Member must have length less than or equal to 512".to_string()
    } else if !name.chars().all(allowed) {
        format!("Member must satisfy regular expression pattern: {pattern}")
    } else {
        return Ok(());
    };
    Err(constraint(name, member, &rule))
}

/// A log group name as the model constrains it: 1 to 512 characters of
/// `[\.\-_/#A-Za-z0-9]`.
pub fn check_group_name(name: &str, member: &str) -> Result<(), ServiceError> {
    check_name(
        name,
        member,
        |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'),
        r"[\.\-_/#A-Za-z0-9]+",
    )
}

/// A log stream name: 1 to 512 characters, no `:` or `*`.
fn check_stream_name(name: &str) -> Result<(), ServiceError> {
    check_name(name, "logStreamName", |c| c != ':' && c != '*', "[^:*]*")
}

/// The group a log group ARN names (`arn:aws:logs:<region>:<account>:log-group:<name>`,
/// with or without the trailing `:*`).
pub fn group_of_arn(arn: &str) -> Option<GroupKey> {
    let baton_api::arn::Parts {
        service: "logs",
        region,
        account,
        resource,
        ..
    } = baton_api::arn::parts(arn)?
    else {
        return None;
    };
    let name = resource.strip_prefix("log-group:")?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    Some(GroupKey {
        account: account.to_string(),
        region: region.to_string(),
        name: name.to_string(),
    })
}

struct Call<'a> {
    logs: &'a Logs,
    account: &'a str,
    region: &'a str,
    input: &'a Map<String, Value>,
}

impl Call<'_> {
    fn run(&self, operation: &str) -> Result<Value, ServiceError> {
        match operation {
            "CreateLogGroup" => {
                let key = self.group_named("logGroupName")?;
                self.logs.create_group(&key).map_err(failure)?;
                Ok(json!({}))
            }
            "DeleteLogGroup" => {
                let key = self.group_named("logGroupName")?;
                self.logs.delete_group(&key).map_err(failure)?;
                Ok(json!({}))
            }
            "DescribeLogGroups" => self.describe_groups(),
            "PutRetentionPolicy" => {
                let key = self.group_named("logGroupName")?;
                let days = self.retention_days()?;
                self.logs.set_retention(&key, Some(days)).map_err(failure)?;
                Ok(json!({}))
            }
            "DeleteRetentionPolicy" => {
                let key = self.group_named("logGroupName")?;
                self.logs.set_retention(&key, None).map_err(failure)?;
                Ok(json!({}))
            }
            "CreateLogStream" => {
                let key = self.group_named("logGroupName")?;
                let name = self.stream_name()?;
                self.logs.create_stream(&key, &name).map_err(failure)?;
                Ok(json!({}))
            }
            "DeleteLogStream" => {
                let key = self.group_named("logGroupName")?;
                let name = self.stream_name()?;
                self.logs.delete_stream(&key, &name).map_err(failure)?;
                Ok(json!({}))
            }
            "DescribeLogStreams" => self.describe_streams(),
            "PutLogEvents" => self.put_events(),
            "GetLogEvents" => self.get_events(),
            "FilterLogEvents" => self.filter_events(),
            _ => Err(ServiceError::client(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            )),
        }
    }

    fn members(&self) -> Members<'_> {
        Members::new(self.input, "InvalidParameterException")
    }

    fn text(&self, member: &str) -> Result<Option<&str>, ServiceError> {
        self.members().text(member)
    }

    fn required(&self, member: &str) -> Result<&str, ServiceError> {
        self.members().required(member, member)
    }

    fn number(&self, member: &str) -> Result<Option<i64>, ServiceError> {
        self.members().number(member)
    }

    fn flag(&self, member: &str) -> Result<Option<bool>, ServiceError> {
        self.members().flag(member)
    }

    fn limit(&self, max: i64) -> Result<usize, ServiceError> {
        match self.number("limit")? {
            None => Ok(max as usize),
            Some(n) if (1..=max).contains(&n) => Ok(n as usize),
            Some(n) => Err(constraint(
                &n.to_string(),
                "limit",
                &format!(
                    "Member must have value {} {}",
                    if n < 1 {
                        "greater than or equal to"
                    } else {
                        "less than or equal to"
                    },
                    if n < 1 { 1 } else { max }
                ),
            )),
        }
    }

    fn key(&self, name: &str) -> GroupKey {
        GroupKey {
            account: self.account.to_string(),
            region: self.region.to_string(),
            name: name.to_string(),
        }
    }

    fn group_named(&self, member: &str) -> Result<GroupKey, ServiceError> {
        let name = self.required(member)?;
        check_group_name(name, member)?;
        Ok(self.key(name))
    }

    /// `logGroupName`, or `logGroupIdentifier` (a name or an ARN of this account), exactly
    /// one of them.
    fn group(&self) -> Result<GroupKey, ServiceError> {
        match (self.text("logGroupName")?, self.text("logGroupIdentifier")?) {
            (Some(_), Some(_)) => Err(invalid(
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            )),
            (Some(_), None) => self.group_named("logGroupName"),
            (None, Some(id)) if id.starts_with("arn:") => {
                let key = group_of_arn(id)
                    .ok_or_else(|| invalid(format!("Invalid log group ARN: {id}")))?;
                check_group_name(&key.name, "logGroupIdentifier")?;
                if key.account != self.account || key.region != self.region {
                    return Err(failure(Error::GroupNotFound));
                }
                Ok(key)
            }
            (None, Some(_)) => self.group_named("logGroupIdentifier"),
            (None, None) => Err(invalid(
                "Either LogGroup name or LogGroup ARN must be specified.",
            )),
        }
    }

    fn stream_name(&self) -> Result<String, ServiceError> {
        let name = self.required("logStreamName")?;
        check_stream_name(name)?;
        Ok(name.to_string())
    }

    /// `retentionInDays`: required, one of the periods the API reference lists.
    fn retention_days(&self) -> Result<u32, ServiceError> {
        let Some(days) = self.number("retentionInDays")? else {
            return Err(constraint(
                "null",
                "retentionInDays",
                "Member must not be null",
            ));
        };
        match u32::try_from(days) {
            Ok(d) if RETENTION_DAYS.contains(&d) => Ok(d),
            _ => {
                let set: Vec<String> = RETENTION_DAYS.iter().map(u32::to_string).collect();
                Err(constraint(
                    &days.to_string(),
                    "retentionInDays",
                    &format!("Member must satisfy enum value set: [{}]", set.join(", ")),
                ))
            }
        }
    }

    fn describe_groups(&self) -> Result<Value, ServiceError> {
        let prefix = self.text("logGroupNamePrefix")?.unwrap_or_default();
        if !prefix.is_empty() {
            check_group_name(prefix, "logGroupNamePrefix")?;
        }
        let pattern = self.text("logGroupNamePattern")?;
        if pattern.is_some() && !prefix.is_empty() {
            return Err(invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
            ));
        }
        let limit = self.limit(50)?;
        let after = self.text("nextToken")?;
        let groups = self.logs.groups(self.account, self.region, prefix);
        let mut page: Vec<Value> = Vec::new();
        let mut next = None;
        for g in groups
            .iter()
            .filter(|g| {
                pattern.is_none_or(|p| g.key.name.to_lowercase().contains(&p.to_lowercase()))
            })
            .filter(|g| after.is_none_or(|a| g.key.name.as_str() > a))
        {
            if page.len() == limit {
                next = page
                    .last()
                    .and_then(|v| v["logGroupName"].as_str().map(str::to_string));
                break;
            }
            let arn = g.key.arn();
            let mut group = json!({
                "logGroupName": g.key.name,
                "creationTime": g.created,
                "metricFilterCount": 0,
                "arn": arn,
                "storedBytes": g.stored_bytes,
                "logGroupClass": "STANDARD",
                "logGroupArn": arn.strip_suffix(":*").unwrap_or(&arn),
            });
            if let Some(days) = g.retention_days {
                group["retentionInDays"] = json!(days);
            }
            page.push(group);
        }
        let mut out = json!({ "logGroups": page });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }

    fn describe_streams(&self) -> Result<Value, ServiceError> {
        let key = self.group()?;
        let prefix = self.text("logStreamNamePrefix")?.unwrap_or_default();
        let by_time = match self.text("orderBy")? {
            None | Some("LogStreamName") => false,
            Some("LastEventTime") => true,
            Some(other) => {
                return Err(constraint(
                    other,
                    "orderBy",
                    "Member must satisfy enum value set: [LogStreamName, LastEventTime]",
                ))
            }
        };
        if by_time && !prefix.is_empty() {
            return Err(invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let descending = self.flag("descending")?.unwrap_or(false);
        let limit = self.limit(50)?;
        let start: usize = match self.text("nextToken")? {
            None => 0,
            Some(t) => t
                .parse()
                .map_err(|_| invalid("The specified nextToken is invalid."))?,
        };
        let mut streams = self.logs.streams(&key, prefix).map_err(failure)?;
        if by_time {
            streams.sort_by_key(|s| s.last_event.unwrap_or(s.created));
        }
        if descending {
            streams.reverse();
        }
        let arn = key.arn();
        let group_arn = arn.strip_suffix(":*").unwrap_or(&arn);
        let page: Vec<Value> = streams
            .iter()
            .skip(start)
            .take(limit)
            .map(|s| {
                let mut v = json!({
                    "logStreamName": s.name,
                    "creationTime": s.created,
                    "arn": format!("{group_arn}:log-stream:{}", s.name),
                    "storedBytes": 0,
                });
                if let Some(t) = s.first_event {
                    v["firstEventTimestamp"] = json!(t);
                }
                if let Some(t) = s.last_event {
                    v["lastEventTimestamp"] = json!(t);
                }
                if let Some(t) = s.last_ingestion {
                    v["lastIngestionTime"] = json!(t);
                }
                v
            })
            .collect();
        let mut out = json!({ "logStreams": page });
        if start + limit < streams.len() {
            out["nextToken"] = json!((start + limit).to_string());
        }
        Ok(out)
    }

    fn put_events(&self) -> Result<Value, ServiceError> {
        let key = self.group_named("logGroupName")?;
        let name = self.stream_name()?;
        let Some(Value::Array(events)) = self.input.get("logEvents") else {
            return Err(constraint("null", "logEvents", "Member must not be null"));
        };
        if events.is_empty() || events.len() > PUT_EVENTS {
            return Err(constraint(
                &format!("{} events", events.len()),
                "logEvents",
                &format!("Member must have length between 1 and {PUT_EVENTS}"),
            ));
        }
        let mut batch: Vec<(i64, &str)> = Vec::with_capacity(events.len());
        let mut bytes = 0;
        for event in events {
            let (Some(timestamp), Some(message)) =
                (event["timestamp"].as_i64(), event["message"].as_str())
            else {
                return Err(ServiceError::client(
                    "SerializationException",
                    "each log event needs a numeric timestamp and a string message",
                ));
            };
            if message.is_empty() || message.len() > EVENT_BYTES {
                return Err(invalid(format!(
                    "Log event message must be between 1 and {EVENT_BYTES} bytes."
                )));
            }
            if batch.last().is_some_and(|(t, _)| *t > timestamp) {
                return Err(invalid(
                    "Log events in a single PutLogEvents request must be in chronological order.",
                ));
            }
            bytes += message.len() + 26;
            batch.push((timestamp, message));
        }
        if bytes > PUT_BYTES {
            return Err(invalid(format!(
                "Upload too large: {bytes} bytes exceeds limit of {PUT_BYTES}"
            )));
        }
        let stream = self.logs.stream_id(&key, &name).map_err(failure)?;
        // Events more than 14 days old or 2 hours ahead are rejected, as the API reference
        // of PutLogEvents says, and reported by index.
        let now = chrono::Utc::now().timestamp_millis();
        let too_old = batch.iter().rposition(|(t, _)| *t < now - 14 * 86_400_000);
        let too_new = batch.iter().position(|(t, _)| *t > now + 2 * 3_600_000);
        // Events older than the group keeps are `expiredLogEventEndIndex` (API reference,
        // `RejectedLogEventsInfo`).
        let expired = self
            .logs
            .retained_from(&key)
            .and_then(|from| batch.iter().rposition(|(t, _)| *t < from));
        let from = too_old.max(expired).map_or(0, |i| i + 1);
        let to = too_new.unwrap_or(batch.len());
        if from < to && !self.logs.append(stream, &batch[from..to]) {
            return Err(ServiceError {
                status: 503,
                code: "ServiceUnavailableException".into(),
                message: "The log writer is busy; retry.".into(),
            });
        }
        self.logs.flush().map_err(failure)?;
        let mut out = json!({});
        let mut rejected = Map::new();
        if let Some(i) = too_old {
            rejected.insert("tooOldLogEventEndIndex".into(), json!(i + 1));
        }
        if let Some(i) = too_new {
            rejected.insert("tooNewLogEventStartIndex".into(), json!(i));
        }
        if let Some(i) = expired {
            rejected.insert("expiredLogEventEndIndex".into(), json!(i + 1));
        }
        if !rejected.is_empty() {
            out["rejectedLogEventsInfo"] = Value::Object(rejected);
        }
        Ok(out)
    }

    fn window(&self) -> Result<(i64, i64), ServiceError> {
        let start = self.number("startTime")?.unwrap_or(i64::MIN);
        let end = self.number("endTime")?.unwrap_or(i64::MAX);
        Ok((start, end))
    }

    fn get_events(&self) -> Result<Value, ServiceError> {
        let key = self.group()?;
        let name = self.stream_name()?;
        let stream = self.logs.stream_id(&key, &name).map_err(failure)?;
        let (start, end) = self.window()?;
        let limit = self.limit(READ_EVENTS as i64)?;
        let from_head = self.flag("startFromHead")?.unwrap_or(false);
        // Tokens are `f/<offset>` (on from there) and `b/<offset>` (back from there), the
        // shape of CloudWatch's own.
        let (forward, at) = match self.text("nextToken")? {
            None => (from_head, if from_head { 0 } else { u64::MAX }),
            Some(t) => {
                let bad = || invalid("The specified nextToken is invalid.");
                let (dir, n) = t.split_once('/').ok_or_else(bad)?;
                let n: u64 = n.parse().map_err(|_| bad())?;
                match dir {
                    "f" => (true, n),
                    "b" => (false, n),
                    _ => return Err(bad()),
                }
            }
        };
        let in_window = |t: i64| t >= start && t < end;
        let mut events: Vec<crate::store::Event> = Vec::new();
        if forward {
            let mut bytes = 0;
            self.logs
                .read(stream, at, None, |e| {
                    if in_window(e.timestamp) {
                        bytes += e.message.len() + 26;
                        if events.len() == limit || bytes > READ_BYTES {
                            return false;
                        }
                        events.push(e);
                    }
                    true
                })
                .map_err(failure)?;
        } else {
            let to = (at != u64::MAX).then_some(at);
            events = self
                .logs
                .read_back(stream, to, limit, READ_BYTES, |e| in_window(e.timestamp))
                .map_err(failure)?;
        }
        let (first, last) = match (events.first(), events.last()) {
            (Some(f), Some(l)) => (f.offset, l.end),
            // Nothing: both tokens stay where the read was.
            _ => {
                let here = if at == u64::MAX {
                    self.stream_end(stream)?
                } else {
                    at
                };
                (here, here)
            }
        };
        let page: Vec<Value> = events
            .iter()
            .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion}))
            .collect();
        Ok(json!({
            "events": page,
            "nextForwardToken": format!("f/{last}"),
            "nextBackwardToken": format!("b/{first}"),
        }))
    }

    fn stream_end(&self, stream: StreamId) -> Result<u64, ServiceError> {
        Ok(self.logs.end_of(stream))
    }

    fn filter_events(&self) -> Result<Value, ServiceError> {
        let key = self.group()?;
        let names: Option<Vec<String>> = match self.input.get("logStreamNames") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        ServiceError::client(
                            "SerializationException",
                            "logStreamNames must be strings",
                        )
                    })?,
            ),
            Some(_) => {
                return Err(ServiceError::client(
                    "SerializationException",
                    "logStreamNames must be a list",
                ))
            }
        };
        let prefix = self.text("logStreamNamePrefix")?.unwrap_or_default();
        if names.is_some() && !prefix.is_empty() {
            return Err(invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
            ));
        }
        let pattern = Pattern::parse(self.text("filterPattern")?.unwrap_or_default())
            .map_err(|e| invalid(e.0))?;
        let (start, end) = self.window()?;
        let limit = self.limit(READ_EVENTS as i64)?;
        let mut streams = self.logs.streams(&key, prefix).map_err(failure)?;
        if let Some(names) = &names {
            streams.retain(|s| names.contains(&s.name));
        }
        // Streams whose events all lie outside the window are skipped unread.
        streams.retain(|s| {
            s.last_event.is_some_and(|l| l >= start) && s.first_event.is_some_and(|f| f < end)
        });
        // `nextToken`: `<stream>/<offset>`, where the search goes on.
        let (mut index, mut offset) = (0, 0);
        if let Some(token) = self.text("nextToken")? {
            let bad = || invalid("The specified nextToken is invalid.");
            let (name, at) = token.rsplit_once('/').ok_or_else(bad)?;
            index = streams
                .iter()
                .position(|s| s.name == name)
                .ok_or_else(bad)?;
            offset = at.parse().map_err(|_| bad())?;
        }
        let mut found: Vec<Value> = Vec::new();
        let mut bytes = 0;
        let mut searched = 0u64;
        let mut next: Option<String> = None;
        while index < streams.len() {
            let stream = &streams[index];
            let id = self.logs.stream_id(&key, &stream.name).map_err(failure)?;
            if offset == 0 && start != i64::MIN {
                // Straight to the window's start, not through the stream's whole past (what
                // `aws logs tail --follow` asks every five seconds).
                offset = self
                    .logs
                    .seek(id, start.saturating_sub(SEEK_SLACK_MS))
                    .map_err(failure)?;
            }
            let mut stopped_at = None;
            self.logs
                .read(id, offset, None, |e| {
                    searched += e.end - e.offset;
                    if e.timestamp >= start && e.timestamp < end && pattern.matches(&e.message) {
                        bytes += e.message.len() + 26;
                        if found.len() == limit || bytes > READ_BYTES {
                            stopped_at = Some(e.offset);
                            return false;
                        }
                        found.push(json!({
                            "logStreamName": stream.name,
                            "timestamp": e.timestamp,
                            "message": e.message,
                            "ingestionTime": e.ingestion,
                            "eventId": format!("{id}-{}", e.offset),
                        }));
                    }
                    if searched >= SEARCH_BYTES {
                        stopped_at = Some(e.end);
                        return false;
                    }
                    true
                })
                .map_err(failure)?;
            if let Some(at) = stopped_at {
                next = Some(format!("{}/{at}", stream.name));
                break;
            }
            index += 1;
            offset = 0;
        }
        // Interleaved: in time order across streams.
        found.sort_by_key(|e| e["timestamp"].as_i64().unwrap_or(0));
        let searched_streams: Vec<Value> = streams
            .iter()
            .map(|s| json!({"logStreamName": s.name, "searchedCompletely": next.is_none()}))
            .collect();
        let mut out = json!({ "events": found, "searchedLogStreams": searched_streams });
        if let Some(next) = next {
            out["nextToken"] = json!(next);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_group() {
        let key = group_of_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*").unwrap();
        assert_eq!(key.name, "/aws/x");
        assert_eq!(key.account, "123456789012");
        assert_eq!(key.region, "us-east-1");
        assert_eq!(
            group_of_arn("arn:aws:logs:eu-west-1:1:log-group:a")
                .unwrap()
                .name,
            "a"
        );
        assert!(group_of_arn("arn:aws:states:us-east-1:1:log-group:a").is_none());
        assert!(group_of_arn("arn:aws:logs:us-east-1:1:stream:a").is_none());
    }

    #[test]
    fn group_names_follow_the_model() {
        assert!(check_group_name("/aws/vendedlogs/states/a-b_c.d#1", "n").is_ok());
        assert!(check_group_name("../../etc", "n").is_ok());
        for bad in ["", "a b", "a:b", "a*", "é"] {
            assert!(check_group_name(bad, "n").is_err(), "{bad}");
        }
        assert!(check_group_name(&"a".repeat(513), "n").is_err());
    }
}
