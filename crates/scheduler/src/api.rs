//! EventBridge Scheduler's API on Baton's port, in its REST-JSON protocol (the service model
//! `scheduler/2021-06-30`): schedules (`/schedules/{Name}`: POST creates, GET reads, PUT
//! replaces, DELETE deletes; `GET /schedules` lists), schedule groups (`/schedule-groups`) and
//! their tags (`/tags/{ResourceArn}`).
//!
//! Schedules and groups are the store's service resources, so every node sees them and a
//! schedule's ticks are claimed at the version read ([`crate::fire`]). Errors carry the
//! model's statuses: `ValidationException` 400, `ResourceNotFoundException` 404,
//! `ConflictException` 409, `ServiceQuotaExceededException` 402.

use std::sync::Arc;

use async_trait::async_trait;
use baton_api::{Members, RequestContext, RestRequest, RestService, ServiceError};
use baton_store::{Error as StoreError, Op, ServiceResource, Store, WriteBatch};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::fire::{Clock, Ticker};
use crate::model::{
    group_arn, schedule_arn, valid_name, FlexibleTimeWindow, Group, Schedule, Tag, Ticks,
    DEFAULT_GROUP, GROUP, GROUPS_PER_ACCOUNT, SCHEDULE, SCHEDULES_PER_ACCOUNT,
};
use baton_events::expr::Expression;

const VALIDATION: &str = "ValidationException";

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client(VALIDATION, message)
}

fn not_found(message: impl Into<String>) -> ServiceError {
    ServiceError {
        status: 404,
        code: "ResourceNotFoundException".into(),
        message: message.into(),
    }
}

fn conflict(message: impl Into<String>) -> ServiceError {
    ServiceError {
        status: 409,
        code: "ConflictException".into(),
        message: message.into(),
    }
}

fn quota(message: impl Into<String>) -> ServiceError {
    ServiceError {
        status: 402,
        code: "ServiceQuotaExceededException".into(),
        message: message.into(),
    }
}

fn internal(e: StoreError) -> ServiceError {
    ServiceError {
        status: 500,
        code: "InternalServerException".into(),
        message: format!("the store failed: {e}"),
    }
}

/// The IAM action of a request ("Actions defined by Amazon EventBridge Scheduler"), for keys
/// limited to some actions.
pub fn action(method: &str, path: &str) -> Option<&'static str> {
    let mut parts = path.trim_matches('/').splitn(2, '/');
    let root = parts.next()?;
    let named = parts.next().is_some_and(|rest| !rest.is_empty());
    Some(match (root, method, named) {
        ("schedules", "GET", false) => "scheduler:ListSchedules",
        ("schedules", "GET", true) => "scheduler:GetSchedule",
        ("schedules", "POST", true) => "scheduler:CreateSchedule",
        ("schedules", "PUT", true) => "scheduler:UpdateSchedule",
        ("schedules", "DELETE", true) => "scheduler:DeleteSchedule",
        ("schedule-groups", "GET", false) => "scheduler:ListScheduleGroups",
        ("schedule-groups", "GET", true) => "scheduler:GetScheduleGroup",
        ("schedule-groups", "POST", true) => "scheduler:CreateScheduleGroup",
        ("schedule-groups", "DELETE", true) => "scheduler:DeleteScheduleGroup",
        ("tags", "GET", _) => "scheduler:ListTagsForResource",
        ("tags", "POST", _) => "scheduler:TagResource",
        ("tags", "DELETE", _) => "scheduler:UntagResource",
        _ => return None,
    })
}

/// The Scheduler's API.
pub struct SchedulerService {
    store: Arc<dyn Store>,
    ticker: Arc<Ticker>,
}

impl SchedulerService {
    pub fn new(store: Arc<dyn Store>, ticker: Arc<Ticker>) -> Self {
        Self { store, ticker }
    }

    fn clock(&self) -> Clock {
        self.ticker.clock()
    }

    async fn group(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Option<(Group, u64)>, ServiceError> {
        let arn = group_arn(&ctx.region, &ctx.account_id, name);
        let Some(r) = self
            .store
            .service_resource(GROUP, &arn)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let group: Group = serde_json::from_str(&r.body)
            .map_err(|e| internal(StoreError::Backend(e.to_string())))?;
        Ok(Some((group, r.version)))
    }

    /// Fails unless the group exists (the default one always does).
    async fn group_exists(&self, ctx: &RequestContext, name: &str) -> Result<(), ServiceError> {
        if name == DEFAULT_GROUP || self.group(ctx, name).await?.is_some() {
            return Ok(());
        }
        Err(not_found(format!("Schedule group {name} does not exist.")))
    }

    async fn schedule(
        &self,
        ctx: &RequestContext,
        group: &str,
        name: &str,
    ) -> Result<(Schedule, u64), ServiceError> {
        let arn = schedule_arn(&ctx.region, &ctx.account_id, group, name);
        let r = self
            .store
            .service_resource(SCHEDULE, &arn)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("Schedule {name} does not exist.")))?;
        let schedule: Schedule = serde_json::from_str(&r.body)
            .map_err(|e| internal(StoreError::Backend(e.to_string())))?;
        Ok((schedule, r.version))
    }

    /// The account's resources of `kind` in the request's region.
    async fn all<T: serde::de::DeserializeOwned>(
        &self,
        ctx: &RequestContext,
        kind: &str,
    ) -> Result<Vec<T>, ServiceError> {
        let prefix = format!("arn:aws:scheduler:{}:{}:", ctx.region, ctx.account_id);
        of_account(&*self.store, kind, &ctx.account_id, &prefix).await
    }

    /// The account's schedules in their region, by group then name.
    async fn schedules(&self, ctx: &RequestContext) -> Result<Vec<Schedule>, ServiceError> {
        let mut all: Vec<Schedule> = self.all(ctx, SCHEDULE).await?;
        all.sort_by(|a, b| (&a.group_name, &a.name).cmp(&(&b.group_name, &b.name)));
        Ok(all)
    }

    async fn groups(&self, ctx: &RequestContext) -> Result<Vec<Group>, ServiceError> {
        let mut all: Vec<Group> = self.all(ctx, GROUP).await?;
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn put(
        &self,
        kind: &str,
        arn: &str,
        account: &str,
        body: String,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let version = expected.map_or(1, |v| v + 1);
        self.store
            .commit(WriteBatch::new().with(Op::PutServiceResource {
                resource: ServiceResource {
                    kind: kind.into(),
                    arn: arn.into(),
                    account: account.into(),
                    body,
                    version,
                },
                expected,
            }))
            .await
    }

    async fn create_schedule(
        &self,
        ctx: &RequestContext,
        name: &str,
        body: &[u8],
    ) -> Result<Value, ServiceError> {
        let members = Members::parse(body)?;
        let now = self.clock().now();
        let spec = read_schedule(&members, name, now)?;
        self.group_exists(ctx, &spec.group_name).await?;
        if self.schedules(ctx).await?.len() >= SCHEDULES_PER_ACCOUNT {
            return Err(quota(format!(
                "An account may have {SCHEDULES_PER_ACCOUNT} schedules."
            )));
        }
        let arn = schedule_arn(&ctx.region, &ctx.account_id, &spec.group_name, name);
        let mut schedule = spec.into_schedule(arn.clone(), now, now)?;
        // "If you do not specify a client token, EventBridge Scheduler uses a randomly
        // generated token for the request to ensure idempotency" (API reference,
        // CreateSchedule): a retry with the token of the request that made it succeeds.
        let token = format!("create:{}", client_token(&members)?);
        schedule.client_token = Some(token.clone());
        let body = serde_json::to_string(&schedule).expect("a schedule serialises");
        match self.put(SCHEDULE, &arn, &ctx.account_id, body, None).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => {
                let made_by_this = self
                    .schedule(ctx, &schedule.group_name, name)
                    .await
                    .is_ok_and(|(s, _)| s.client_token.as_deref() == Some(token.as_str()));
                if !made_by_this {
                    return Err(conflict(format!("Schedule {name} already exists.")));
                }
            }
            Err(e) => return Err(internal(e)),
        }
        self.ticker.wake();
        Ok(json!({ "ScheduleArn": arn }))
    }

    async fn update_schedule(
        &self,
        ctx: &RequestContext,
        name: &str,
        body: &[u8],
    ) -> Result<Value, ServiceError> {
        let members = Members::parse(body)?;
        let now = self.clock().now();
        let spec = read_schedule(&members, name, now)?;
        let (old, version) = self.schedule(ctx, &spec.group_name, name).await?;
        // UpdateSchedule replaces the whole schedule ("all of the parameters... are replaced
        // with the values you specify"); when it was made stays.
        let mut schedule = spec.into_schedule(old.arn.clone(), old.creation_date_ms(), now)?;
        let token = format!("update:{}", client_token(&members)?);
        if old.client_token.as_deref() == Some(token.as_str()) {
            // This request again: it was applied.
            return Ok(json!({ "ScheduleArn": old.arn }));
        }
        schedule.client_token = Some(token);
        let body = serde_json::to_string(&schedule).expect("a schedule serialises");
        match self
            .put(SCHEDULE, &old.arn, &ctx.account_id, body, Some(version))
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {
                return Err(conflict(format!(
                    "Schedule {name} was changed or deleted while it was being updated."
                )))
            }
            Err(e) => return Err(internal(e)),
        }
        self.ticker.wake();
        Ok(json!({ "ScheduleArn": old.arn }))
    }

    async fn delete_schedule(
        &self,
        ctx: &RequestContext,
        name: &str,
        group: &str,
    ) -> Result<Value, ServiceError> {
        let (schedule, _) = self.schedule(ctx, group, name).await?;
        self.store
            .commit(WriteBatch::new().with(Op::DeleteServiceResource {
                kind: SCHEDULE.into(),
                arn: schedule.arn,
            }))
            .await
            .map_err(internal)?;
        Ok(json!({}))
    }

    async fn list_schedules(
        &self,
        ctx: &RequestContext,
        request: &RestRequest<'_>,
    ) -> Result<Value, ServiceError> {
        let group = request.query("ScheduleGroup");
        let prefix = request.query("NamePrefix");
        let state = request.query("State");
        if let Some(state) = state {
            if state != "ENABLED" && state != "DISABLED" {
                return Err(validation(format!("Invalid State: {state}")));
            }
        }
        if let Some(group) = group {
            self.group_exists(ctx, group).await?;
        }
        let mut listed = Vec::new();
        for s in self.schedules(ctx).await? {
            if group.is_some_and(|g| g != s.group_name)
                || prefix.is_some_and(|p| !s.name.starts_with(p))
                || state.is_some_and(|st| st != s.state)
            {
                continue;
            }
            listed.push((
                format!("{}/{}", s.group_name, s.name),
                json!({
                    "Arn": s.arn,
                    "Name": s.name,
                    "GroupName": s.group_name,
                    "State": s.state,
                    "CreationDate": s.creation_date,
                    "LastModificationDate": s.last_modification_date,
                    "Target": { "Arn": s.target["Arn"] },
                }),
            ));
        }
        paged("Schedules", listed, request)
    }

    async fn create_group(
        &self,
        ctx: &RequestContext,
        name: &str,
        body: &[u8],
    ) -> Result<Value, ServiceError> {
        let members = Members::parse(body)?;
        if name == DEFAULT_GROUP {
            return Err(conflict(format!("Schedule group {name} already exists.")));
        }
        let tags = read_tags(members.get("Tags"))?;
        if self.groups(ctx).await?.len() >= GROUPS_PER_ACCOUNT {
            return Err(quota(format!(
                "An account may have {GROUPS_PER_ACCOUNT} schedule groups."
            )));
        }
        let now = secs(self.clock().now());
        let arn = group_arn(&ctx.region, &ctx.account_id, name);
        let group = Group {
            name: name.into(),
            arn: arn.clone(),
            state: "ACTIVE".into(),
            creation_date: now,
            last_modification_date: now,
            tags,
        };
        let body = serde_json::to_string(&group).expect("a group serialises");
        match self.put(GROUP, &arn, &ctx.account_id, body, None).await {
            Ok(()) => Ok(json!({ "ScheduleGroupArn": arn })),
            Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => {
                Err(conflict(format!("Schedule group {name} already exists.")))
            }
            Err(e) => Err(internal(e)),
        }
    }

    async fn get_group(&self, ctx: &RequestContext, name: &str) -> Result<Value, ServiceError> {
        if name == DEFAULT_GROUP {
            return Ok(default_group(ctx).api());
        }
        match self.group(ctx, name).await? {
            Some((g, _)) => Ok(g.api()),
            None => Err(not_found(format!("Schedule group {name} does not exist."))),
        }
    }

    /// Deletes the group and its schedules ("Deleting a schedule group results in EventBridge
    /// Scheduler deleting all schedules associated with the group"); the default group cannot
    /// be deleted.
    async fn delete_group(&self, ctx: &RequestContext, name: &str) -> Result<Value, ServiceError> {
        if name == DEFAULT_GROUP {
            return Err(validation("The default schedule group cannot be deleted."));
        }
        let Some((group, _)) = self.group(ctx, name).await? else {
            return Err(not_found(format!("Schedule group {name} does not exist.")));
        };
        let mut batch = WriteBatch::new();
        for s in self.schedules(ctx).await? {
            if s.group_name == name {
                batch.push(Op::DeleteServiceResource {
                    kind: SCHEDULE.into(),
                    arn: s.arn,
                });
            }
        }
        batch.push(Op::DeleteServiceResource {
            kind: GROUP.into(),
            arn: group.arn,
        });
        self.store.commit(batch).await.map_err(internal)?;
        Ok(json!({}))
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        request: &RestRequest<'_>,
    ) -> Result<Value, ServiceError> {
        let prefix = request.query("NamePrefix");
        let mut all = vec![default_group(ctx)];
        all.extend(self.groups(ctx).await?);
        all.sort_by(|a, b| a.name.cmp(&b.name));
        let listed = all
            .into_iter()
            .filter(|g| prefix.is_none_or(|p| g.name.starts_with(p)))
            .map(|g| (g.name.clone(), g.api()))
            .collect();
        paged("ScheduleGroups", listed, request)
    }

    /// Tags are kept on schedule groups (the model's `TagResourceArn` names a group's ARN).
    async fn tags(
        &self,
        ctx: &RequestContext,
        request: &RestRequest<'_>,
    ) -> Result<Value, ServiceError> {
        let arn = request.segments[1..].join("/");
        let name = arn
            .strip_prefix(&format!(
                "arn:aws:scheduler:{}:{}:schedule-group/",
                ctx.region, ctx.account_id
            ))
            .ok_or_else(|| not_found(format!("Resource {arn} does not exist.")))?;
        let Some((mut group, version)) = self.group(ctx, name).await? else {
            return Err(not_found(format!("Resource {arn} does not exist.")));
        };
        match request.method {
            "GET" => return Ok(json!({ "Tags": group.tags })),
            "POST" => {
                let members = Members::parse(request.body)?;
                for tag in read_tags(members.get("Tags"))? {
                    group.tags.retain(|t| t.key != tag.key);
                    group.tags.push(tag);
                }
                if group.tags.len() > 200 {
                    return Err(validation("A resource may have 200 tags."));
                }
            }
            "DELETE" => {
                let keys = request.query_all("TagKeys");
                group.tags.retain(|t| !keys.contains(&t.key.as_str()));
            }
            _ => return Err(validation("Unsupported method.")),
        }
        let body = serde_json::to_string(&group).expect("a group serialises");
        self.put(GROUP, &group.arn, &ctx.account_id, body, Some(version))
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } | StoreError::NotFound { .. } => {
                    conflict("The resource was changed while it was being tagged.")
                }
                e => internal(e),
            })?;
        Ok(json!({}))
    }
}

#[async_trait]
impl RestService for SchedulerService {
    fn signing_name(&self) -> &'static str {
        "scheduler"
    }

    fn roots(&self) -> &'static [&'static str] {
        &["schedules", "schedule-groups", "tags"]
    }

    async fn call(
        &self,
        ctx: &RequestContext,
        request: RestRequest<'_>,
    ) -> Result<Value, ServiceError> {
        let segments = request.segments;
        let root = segments.first().map(String::as_str).unwrap_or_default();
        if root == "tags" {
            if segments.len() < 2 {
                return Err(validation("A resource ARN is required."));
            }
            return self.tags(ctx, &request).await;
        }
        let name = match segments.len() {
            1 => None,
            2 => {
                let name = segments[1].as_str();
                if !valid_name(name) {
                    return Err(validation(format!(
                        "1 validation error detected: Value '{name}' at 'name' failed to \
                         satisfy constraint: Member must satisfy regular expression pattern: \
                         ^[0-9a-zA-Z-_.]+$"
                    )));
                }
                Some(name)
            }
            _ => return Err(not_found("No such resource.")),
        };
        let group_query = || request.query("groupName").unwrap_or(DEFAULT_GROUP);
        match (root, request.method, name) {
            ("schedules", "GET", None) => self.list_schedules(ctx, &request).await,
            ("schedules", "POST", Some(n)) => self.create_schedule(ctx, n, request.body).await,
            ("schedules", "PUT", Some(n)) => self.update_schedule(ctx, n, request.body).await,
            ("schedules", "GET", Some(n)) => {
                Ok(self.schedule(ctx, group_query(), n).await?.0.api())
            }
            ("schedules", "DELETE", Some(n)) => self.delete_schedule(ctx, n, group_query()).await,
            ("schedule-groups", "GET", None) => self.list_groups(ctx, &request).await,
            ("schedule-groups", "POST", Some(n)) => self.create_group(ctx, n, request.body).await,
            ("schedule-groups", "GET", Some(n)) => self.get_group(ctx, n).await,
            ("schedule-groups", "DELETE", Some(n)) => self.delete_group(ctx, n).await,
            _ => Err(ServiceError {
                status: 405,
                code: "UnknownOperationException".into(),
                message: format!(
                    "{} /{} is not an operation.",
                    request.method,
                    segments.join("/")
                ),
            }),
        }
    }
}

/// The resources of `kind` of `account` whose ARN starts with `prefix` (its region), as `T`.
async fn of_account<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    kind: &str,
    account: &str,
    prefix: &str,
) -> Result<Vec<T>, ServiceError> {
    Ok(store
        .service_resources(kind, Some(account))
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|r| r.arn.starts_with(prefix))
        .filter_map(|r| serde_json::from_str(&r.body).ok())
        .collect())
}

fn default_group(ctx: &RequestContext) -> Group {
    Group {
        name: DEFAULT_GROUP.into(),
        arn: group_arn(&ctx.region, &ctx.account_id, DEFAULT_GROUP),
        state: "ACTIVE".into(),
        creation_date: 0.0,
        last_modification_date: 0.0,
        tags: Vec::new(),
    }
}

/// The request's `ClientToken` (`^[a-zA-Z0-9-_]+$`, 1 to 64 characters; SDKs fill it), or one
/// made for it.
fn client_token(members: &Map<String, Value>) -> Result<String, ServiceError> {
    let m = Members::new(members, VALIDATION);
    match m.text("ClientToken")? {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(t)
            if !t.is_empty()
                && t.len() <= 64
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(t.to_string())
        }
        Some(t) => Err(validation(format!("Invalid ClientToken {t}."))),
    }
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A page of `listed` in the order of its keys as `{member: [...], NextToken}`: `MaxResults`
/// at most (100 by default), after the key `NextToken` names (the last key of the page before).
fn paged(
    member: &str,
    mut listed: Vec<(String, Value)>,
    request: &RestRequest<'_>,
) -> Result<Value, ServiceError> {
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    let max = max_results(request)?;
    let after = request.query("NextToken");
    let mut rest = listed
        .into_iter()
        .filter(|(key, _)| after.is_none_or(|a| key.as_str() > a));
    let page: Vec<(String, Value)> = rest.by_ref().take(max).collect();
    let mut out = json!({ member: page.iter().map(|(_, v)| v).collect::<Vec<_>>() });
    if rest.next().is_some() {
        if let Some((key, _)) = page.last() {
            out["NextToken"] = Value::String(key.clone());
        }
    }
    Ok(out)
}

fn max_results(request: &RestRequest<'_>) -> Result<usize, ServiceError> {
    match request.query("MaxResults") {
        None => Ok(100),
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(validation(format!(
                "1 validation error detected: Value '{m}' at 'maxResults' failed to satisfy \
                 constraint: Member must have value between 1 and 100"
            ))),
        },
    }
}

fn read_tags(value: Option<&Value>) -> Result<Vec<Tag>, ServiceError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let tags: Vec<Tag> = serde_json::from_value(value.clone())
        .map_err(|_| validation("Tags must be a list of {Key, Value}."))?;
    if tags.len() > 200
        || tags
            .iter()
            .any(|t| t.key.is_empty() || t.key.len() > 128 || t.value.len() > 256)
    {
        return Err(validation(
            "Tags: at most 200, keys of 1 to 128 characters, values of at most 256.",
        ));
    }
    Ok(tags)
}

/// A timestamp member: epoch seconds (REST-JSON's default) or an ISO 8601 string; in ms.
fn read_date(members: &Members<'_>, member: &str) -> Result<Option<i64>, ServiceError> {
    match members.get(member) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e11)
            .map(|f| Some((f * 1000.0) as i64))
            .ok_or_else(|| validation(format!("{member} is not a time."))),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc).timestamp_millis()))
            .map_err(|_| validation(format!("{member} is not a time."))),
        Some(_) => Err(validation(format!("{member} is not a time."))),
    }
}

/// What a Create or Update request asks for.
struct Spec {
    name: String,
    group_name: String,
    expression_text: String,
    expression: Expression,
    timezone: Option<String>,
    description: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    state: String,
    window: FlexibleTimeWindow,
    target: Value,
    after_completion: String,
    kms_key_arn: Option<String>,
}

fn is_role_arn(arn: &str) -> bool {
    // ^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+$
    let Some(rest) = arn.strip_prefix("arn:aws") else {
        return false;
    };
    let rest = match rest.strip_prefix('-') {
        Some(r) => {
            let n = r.bytes().take_while(u8::is_ascii_lowercase).count();
            if n == 0 {
                return false;
            }
            &r[n..]
        }
        None => rest,
    };
    let Some(rest) = rest.strip_prefix(":iam::") else {
        return false;
    };
    let (account, role) = rest.split_at(rest.len().min(12));
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && role.strip_prefix(":role/").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_alphanumeric() || "_+=,.@/-".contains(c))
        })
}

fn read_target(value: Option<&Value>) -> Result<Value, ServiceError> {
    let Some(Value::Object(target)) = value else {
        return Err(validation(
            "1 validation error detected: Value null at 'target' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let t = Members::new(target, VALIDATION);
    let arn = t.required("Arn", "target.arn")?;
    if arn.is_empty() || arn.len() > 1600 {
        return Err(validation("Target Arn must have 1 to 1600 characters."));
    }
    let role = t.required("RoleArn", "target.roleArn")?;
    if !is_role_arn(role) {
        return Err(validation(format!("Invalid RoleArn {role}.")));
    }
    if let Some(input) = t.text("Input")? {
        if input.is_empty() {
            return Err(validation("Target Input must not be empty."));
        }
        if input.len() > 256 * 1024 {
            return Err(validation("Target Input must be at most 256 KB."));
        }
    }
    if let Some(Value::Object(policy)) = t.get("RetryPolicy") {
        let p = Members::new(policy, VALIDATION);
        if let Some(age) = p.number("MaximumEventAgeInSeconds")? {
            if !(60..=86_400).contains(&age) {
                return Err(validation(
                    "MaximumEventAgeInSeconds must be between 60 and 86400.",
                ));
            }
        }
        if let Some(n) = p.number("MaximumRetryAttempts")? {
            if !(0..=185).contains(&n) {
                return Err(validation(
                    "MaximumRetryAttempts must be between 0 and 185.",
                ));
            }
        }
    }
    if arn.starts_with("arn:aws:events:") && arn.contains(":event-bus/") {
        let ok = t
            .get("EventBridgeParameters")
            .and_then(Value::as_object)
            .is_some_and(|p| {
                p.get("DetailType").and_then(Value::as_str).is_some()
                    && p.get("Source").and_then(Value::as_str).is_some()
            });
        if !ok {
            return Err(validation(
                "EventBridgeParameters with DetailType and Source are required for an event bus target.",
            ));
        }
    }
    Ok(Value::Object(target.clone()))
}

fn read_schedule(members: &Map<String, Value>, name: &str, now: i64) -> Result<Spec, ServiceError> {
    let m = Members::new(members, VALIDATION);
    let group_name = m.text("GroupName")?.unwrap_or(DEFAULT_GROUP).to_string();
    if !valid_name(&group_name) {
        return Err(validation(format!("Invalid GroupName {group_name}.")));
    }
    let expression_text = m
        .required("ScheduleExpression", "scheduleExpression")?
        .to_string();
    if expression_text.len() > 256 {
        return Err(validation(
            "ScheduleExpression must be at most 256 characters.",
        ));
    }
    let timezone = m.text("ScheduleExpressionTimezone")?.map(str::to_string);
    let expression =
        Expression::parse(&expression_text, timezone.as_deref()).map_err(validation)?;
    let description = m.text("Description")?.map(str::to_string);
    if description.as_ref().is_some_and(|d| d.len() > 512) {
        return Err(validation("Description must be at most 512 characters."));
    }
    let start = read_date(&m, "StartDate")?;
    let end = read_date(&m, "EndDate")?;
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(validation("The EndDate must be after the StartDate."));
        }
    }
    if end.is_some_and(|e| e <= now) && !expression.one_time() {
        return Err(validation("The EndDate must be in the future."));
    }
    let state = m.text("State")?.unwrap_or("ENABLED").to_string();
    if state != "ENABLED" && state != "DISABLED" {
        return Err(validation(format!("Invalid State {state}.")));
    }
    let window: FlexibleTimeWindow = match m.get("FlexibleTimeWindow") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| validation("FlexibleTimeWindow must have a Mode."))?,
        None => {
            return Err(validation(
                "1 validation error detected: Value null at 'flexibleTimeWindow' failed to \
                 satisfy constraint: Member must not be null",
            ))
        }
    };
    match (window.mode.as_str(), window.maximum_window_in_minutes) {
        ("OFF", None) => {}
        ("FLEXIBLE", Some(w)) if (1..=1440).contains(&w) => {}
        ("FLEXIBLE", _) => {
            return Err(validation(
                "MaximumWindowInMinutes between 1 and 1440 is required when Mode is FLEXIBLE.",
            ))
        }
        ("OFF", Some(_)) => {
            return Err(validation(
                "MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE.",
            ))
        }
        (other, _) => {
            return Err(validation(format!(
                "Invalid FlexibleTimeWindow Mode {other}."
            )))
        }
    }
    let target = read_target(m.get("Target"))?;
    let after_completion = m
        .text("ActionAfterCompletion")?
        .unwrap_or("NONE")
        .to_string();
    if after_completion != "NONE" && after_completion != "DELETE" {
        return Err(validation(format!(
            "Invalid ActionAfterCompletion {after_completion}."
        )));
    }
    Ok(Spec {
        name: name.to_string(),
        group_name,
        expression_text,
        expression,
        timezone,
        description,
        start,
        end,
        state,
        window,
        target,
        after_completion,
        kms_key_arn: m.text("KmsKeyArn")?.map(str::to_string),
    })
}

impl Spec {
    fn into_schedule(self, arn: String, created: i64, now: i64) -> Result<Schedule, ServiceError> {
        // Rate ticks count from the start date, else from now; the first tick is the first
        // at or after now (and after the start date). A one-time schedule's time may have
        // passed: it is then due at once, as any tick the scheduler comes to late.
        let anchor = self.start.unwrap_or(now);
        let from = self.start.map_or(now, |s| s.max(now)) - 1;
        let next = crate::fire::next_tick(&self.expression, from, anchor, self.end, true);
        Ok(Schedule {
            name: self.name,
            group_name: self.group_name,
            arn,
            schedule_expression: self.expression_text,
            schedule_expression_timezone: self.timezone,
            description: self.description,
            start_date: self.start.map(secs),
            end_date: self.end.map(secs),
            state: self.state,
            flexible_time_window: self.window,
            target: self.target,
            action_after_completion: Some(self.after_completion),
            kms_key_arn: self.kms_key_arn,
            client_token: None,
            creation_date: secs(created),
            last_modification_date: secs(now),
            ticks: Ticks {
                next,
                anchor,
                last: None,
                expired: 0,
            },
        })
    }
}

impl Schedule {
    fn creation_date_ms(&self) -> i64 {
        (self.creation_date * 1000.0) as i64
    }
}

/// What the console shows of an account's schedules and rules: each schedule and each rule of
/// EventBridge (scheduled or matching events), with when it fires next and last fired (ISO
/// 8601 on the scheduler's clock; `null` when it has not or will not). Served at
/// `GET /console/api/schedules`, signed as the console's other calls are.
pub struct Overview {
    store: Arc<dyn Store>,
}

impl Overview {
    pub fn new(store: Arc<dyn Store>) -> Overview {
        Overview { store }
    }
}

fn iso(ms: Option<i64>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
}

#[async_trait]
impl RestService for Overview {
    fn signing_name(&self) -> &'static str {
        "states"
    }

    fn roots(&self) -> &'static [&'static str] {
        &["console/api/schedules"]
    }

    async fn call(
        &self,
        ctx: &RequestContext,
        request: RestRequest<'_>,
    ) -> Result<Value, ServiceError> {
        if request.method != "GET" {
            return Err(validation("Only GET is served here."));
        }
        let prefix = format!("arn:aws:scheduler:{}:{}:", ctx.region, ctx.account_id);
        let mut schedules: Vec<Schedule> =
            of_account(&*self.store, SCHEDULE, &ctx.account_id, &prefix).await?;
        schedules.sort_by(|a, b| (&a.group_name, &a.name).cmp(&(&b.group_name, &b.name)));
        let schedules: Vec<Value> = schedules
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "group": s.group_name,
                    "arn": s.arn,
                    "expression": s.schedule_expression,
                    "timezone": s.schedule_expression_timezone,
                    "state": s.state,
                    "target": s.target["Arn"],
                    "next": if s.enabled() { iso(s.ticks.next) } else { Value::Null },
                    "last": iso(s.ticks.last),
                })
            })
            .collect();
        let ticks: std::collections::HashMap<String, Ticks> = self
            .store
            .service_resources(crate::fire::RULE_TICKS, Some(&ctx.account_id))
            .await
            .map_err(internal)?
            .into_iter()
            .filter_map(|r| {
                let v: Value = serde_json::from_str(&r.body).ok()?;
                Some((r.arn, serde_json::from_value(v.get("ticks")?.clone()).ok()?))
            })
            .collect();
        let rule_prefix = format!("arn:aws:events:{}:{}:rule/", ctx.region, ctx.account_id);
        let mut rules: Vec<baton_events::model::Rule> = of_account(
            &*self.store,
            baton_events::model::RULE,
            &ctx.account_id,
            &rule_prefix,
        )
        .await?;
        rules.sort_by(|a, b| (&a.event_bus_name, &a.name).cmp(&(&b.event_bus_name, &b.name)));
        let rules: Vec<Value> = rules
            .iter()
            .map(|r| {
                let t = ticks.get(&r.arn);
                json!({
                    "name": r.name,
                    "bus": r.event_bus_name,
                    "arn": r.arn,
                    "expression": r.schedule_expression,
                    "pattern": r.event_pattern,
                    "state": r.state,
                    "targets": r.targets.iter().map(|t| &t.arn).collect::<Vec<_>>(),
                    "next": if r.enabled() { iso(t.and_then(|t| t.next)) } else { Value::Null },
                    "last": iso(t.and_then(|t| t.last)),
                })
            })
            .collect();
        Ok(json!({ "schedules": schedules, "rules": rules }))
    }
}
