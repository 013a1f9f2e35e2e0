//! EventBridge's API on Baton's port (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`):
//! buses, rules and targets kept as the store's service resources, so every node of a store sees them;
//! `PutEvents` matched against the bus's rules and handed to [`crate::deliver`];
//! `TestEventPattern`; connections and API destinations ([`crate::destinations`]), kept the
//! same way.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use baton_api::{JsonService, Members, RequestContext, ServiceError};
use baton_store::{Op, ServiceResource, Store, WriteBatch};
use serde_json::{json, Map, Value};

use crate::deliver::{Deliveries, Delivery};
use crate::destinations::{
    self as dest, ApiDestination, AuthParameters, Connection, HttpParameters, HttpParams,
    API_DESTINATION, CONNECTION,
};
use crate::index::RuleIndex;
use crate::model::{
    arn_scope, bus_arn, rule_arn, valid_name, Bus, Rule, Target, BUS, BUSES_PER_ACCOUNT,
    DEFAULT_BUS, DEFAULT_BUS_TAGS, RULE, RULES_PER_BUS, TARGETS_PER_RULE,
};
use crate::pattern::Pattern;

pub const TARGET_PREFIX: &str = "AWSEvents";

const OPERATIONS: [&str; 30] = [
    "CreateEventBus",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "DeleteEventBus",
    "DescribeEventBus",
    "ListEventBuses",
    "PutRule",
    "DescribeRule",
    "ListRules",
    "DeleteRule",
    "EnableRule",
    "DisableRule",
    "PutTargets",
    "RemoveTargets",
    "ListTargetsByRule",
    "ListRuleNamesByTarget",
    "PutEvents",
    "TestEventPattern",
    "CreateConnection",
    "DescribeConnection",
    "ListConnections",
    "UpdateConnection",
    "DeleteConnection",
    "DeauthorizeConnection",
    "CreateApiDestination",
    "DescribeApiDestination",
    "ListApiDestinations",
    "UpdateApiDestination",
    "DeleteApiDestination",
];

/// PutEvents: at most 10 entries and 256 KiB (EventBridge quotas, "PutEvents").
const PUT_ENTRIES: usize = 10;
const PUT_BYTES: usize = 256 * 1024;
/// How long a node uses the rules it read before reading them again: a change made through
/// another node takes effect within it. EventBridge says the same of its own rules ("incoming
/// events might not immediately start matching to new or updated rules", `PutRule`).
const RULES_FRESH: Duration = Duration::from_secs(1);

/// A rule ready to match: its pattern parsed once.
struct Compiled {
    rule: Rule,
    pattern: Option<Pattern>,
}

struct Cached {
    read: Instant,
    /// By bus name, filed for lookup.
    buses: HashMap<String, Arc<RuleIndex<Arc<Compiled>>>>,
}

/// EventBridge on Baton's port.
pub struct EventsService {
    store: Arc<dyn Store>,
    deliveries: Deliveries,
    rules: RwLock<HashMap<String, Arc<Cached>>>,
    /// Held while rules are read (see [`EventsService::rules_of`]).
    refreshing: tokio::sync::Mutex<()>,
}

impl EventsService {
    pub fn new(store: Arc<dyn Store>, deliveries: Deliveries) -> Self {
        Self {
            store,
            deliveries,
            rules: RwLock::new(HashMap::new()),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The account's enabled rules as this node last read them, and whether that was within
    /// [`RULES_FRESH`].
    fn cached(&self, account: &str) -> Option<(Arc<Cached>, bool)> {
        let rules = self.rules.read().unwrap_or_else(|e| e.into_inner());
        let c = rules.get(account)?;
        Some((c.clone(), c.read.elapsed() < RULES_FRESH))
    }

    /// The account's enabled rules, by bus: read again when older than [`RULES_FRESH`] or
    /// after a change made through this node. One read at a time: callers that find the
    /// rules stale wait for the read under way, then use what it read.
    async fn rules_of(&self, account: &str) -> Result<Arc<Cached>, ServiceError> {
        if let Some((c, true)) = self.cached(account) {
            return Ok(c);
        }
        let _one = self.refreshing.lock().await;
        if let Some((c, true)) = self.cached(account) {
            return Ok(c);
        }
        let cached = Arc::new(self.read_rules(account).await?);
        self.rules
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(account.to_string(), cached.clone());
        Ok(cached)
    }

    async fn read_rules(&self, account: &str) -> Result<Cached, ServiceError> {
        let docs = self
            .store
            .service_resources(RULE, Some(account))
            .await
            .map_err(internal)?;
        let mut on_bus: HashMap<String, Vec<Arc<Compiled>>> = HashMap::new();
        for doc in docs {
            let Ok(rule) = serde_json::from_str::<Rule>(&doc.body) else {
                continue;
            };
            if !rule.enabled() || rule.targets.is_empty() {
                continue;
            }
            let pattern = match &rule.event_pattern {
                Some(p) => match Pattern::parse(p) {
                    Ok(p) => Some(p),
                    Err(_) => continue,
                },
                None => None,
            };
            on_bus
                .entry(rule.event_bus_name.clone())
                .or_default()
                .push(Arc::new(Compiled { rule, pattern }));
        }
        let buses = on_bus
            .into_iter()
            .map(|(bus, rules)| {
                let index = RuleIndex::build(rules, |c: &Arc<Compiled>| c.pattern.as_ref());
                (bus, Arc::new(index))
            })
            .collect();
        Ok(Cached {
            read: Instant::now(),
            buses,
        })
    }

    /// Marks the account's rules to be read again before they are next used for a PutEvents.
    fn forget_rules(&self, account: &str) {
        let mut rules = self.rules.write().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = rules.get_mut(account) {
            let expired = Instant::now().checked_sub(RULES_FRESH * 2);
            *c = Arc::new(Cached {
                read: expired.unwrap_or(c.read),
                buses: c.buses.clone(),
            });
        }
    }
}

#[async_trait]
impl JsonService for EventsService {
    fn target_prefix(&self) -> &'static str {
        TARGET_PREFIX
    }
    fn signing_name(&self) -> &'static str {
        "events"
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
        let call = Call {
            service: self,
            ctx,
            input: &input,
        };
        let out = call.run(operation).await?;
        Ok(out.to_string().into_bytes())
    }
}

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationException", message)
}

fn constraint(value: &str, member: &str, rule: &str) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

/// EventBridge's `LimitExceededException`, saying which quota.
fn limit_exceeded(which: &str) -> ServiceError {
    ServiceError::client(
        "LimitExceededException",
        format!("The requested resource exceeds the maximum number allowed: {which}."),
    )
}

fn not_found(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ResourceNotFoundException", message)
}

fn internal(e: baton_store::Error) -> ServiceError {
    ServiceError {
        status: 500,
        code: "InternalException".into(),
        message: e.to_string(),
    }
}

/// A member's name as EventBridge's messages give it (`EventPattern` is `eventPattern`).
fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// `more` set on `tags` (a key given again takes its new value), within the quota.
fn merge_tags(
    tags: &mut Vec<crate::model::Tag>,
    more: Vec<crate::model::Tag>,
) -> Result<(), ServiceError> {
    for tag in more {
        tags.retain(|t| t.key != tag.key);
        tags.push(tag);
    }
    if tags.len() > crate::model::TAGS_PER_RESOURCE {
        return Err(limit_exceeded(&format!(
            "a resource has at most {} tags",
            crate::model::TAGS_PER_RESOURCE
        )));
    }
    Ok(())
}

fn now_secs() -> f64 {
    let ms = chrono::Utc::now().timestamp_millis();
    ms as f64 / 1000.0
}

struct Call<'a> {
    service: &'a EventsService,
    ctx: &'a RequestContext,
    input: &'a Map<String, Value>,
}

impl Call<'_> {
    async fn run(&self, operation: &str) -> Result<Value, ServiceError> {
        match operation {
            "CreateEventBus" => self.create_bus().await,
            "DeleteEventBus" => self.delete_bus().await,
            "DescribeEventBus" => self.describe_bus().await,
            "ListEventBuses" => self.list_buses().await,
            "PutRule" => self.put_rule().await,
            "DescribeRule" => {
                let (rule, _) = self.rule().await?;
                Ok(describe_rule(&rule))
            }
            "ListRules" => self.list_rules().await,
            "DeleteRule" => self.delete_rule().await,
            "EnableRule" => self.set_state("ENABLED").await,
            "DisableRule" => self.set_state("DISABLED").await,
            "PutTargets" => self.put_targets().await,
            "RemoveTargets" => self.remove_targets().await,
            "ListTargetsByRule" => self.list_targets().await,
            "ListRuleNamesByTarget" => self.rule_names_by_target().await,
            "PutEvents" => self.put_events().await,
            "TestEventPattern" => test_event_pattern(self.input),
            "TagResource" | "UntagResource" | "ListTagsForResource" => {
                self.tagging(operation).await
            }
            "CreateConnection" => self.create_connection().await,
            "DescribeConnection" => {
                let (c, _) = self.connection_named().await?;
                Ok(dest::describe_connection(&c))
            }
            "ListConnections" => self.list_connections().await,
            "UpdateConnection" => self.update_connection().await,
            "DeleteConnection" => self.delete_connection().await,
            "DeauthorizeConnection" => self.deauthorize_connection().await,
            "CreateApiDestination" => self.create_api_destination().await,
            "DescribeApiDestination" => {
                let (d, _) = self.api_destination_named().await?;
                Ok(serde_json::to_value(d).expect("an API destination serialises"))
            }
            "ListApiDestinations" => self.list_api_destinations().await,
            "UpdateApiDestination" => self.update_api_destination().await,
            "DeleteApiDestination" => self.delete_api_destination().await,
            _ => Err(ServiceError::client(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            )),
        }
    }

    fn members(&self) -> Members<'_> {
        Members::new(self.input, "ValidationException")
    }

    fn text(&self, member: &str) -> Result<Option<&str>, ServiceError> {
        self.members().text(member)
    }

    /// A required member; messages name it as the model does (`Name` is `name`).
    fn required(&self, member: &str) -> Result<&str, ServiceError> {
        self.members().required(member, &lower_first(member))
    }

    fn limit(&self) -> Result<usize, ServiceError> {
        match self.input.get("Limit") {
            None | Some(Value::Null) => Ok(100),
            Some(v) => match v.as_u64() {
                Some(n @ 1..=100) => Ok(n as usize),
                _ => Err(constraint(
                    &v.to_string(),
                    "limit",
                    "Member must have value between 1 and 100",
                )),
            },
        }
    }

    fn account(&self) -> &str {
        &self.ctx.account_id
    }

    fn region(&self) -> &str {
        &self.ctx.region
    }

    /// The bus a request names by `member` (a name or an ARN of this account), the default
    /// when absent.
    fn bus_name(&self, member: &str) -> Result<String, ServiceError> {
        match self.text(member)? {
            None => Ok(DEFAULT_BUS.to_string()),
            Some(given) => self.resolve_bus(given),
        }
    }

    /// A bus given by name or by the ARN of a bus of this account and region.
    fn resolve_bus(&self, given: &str) -> Result<String, ServiceError> {
        let name = match given.strip_prefix("arn:") {
            Some(_) => {
                let (region, account) = arn_scope(given).unwrap_or(("", ""));
                let name = given.split_once(":event-bus/").map(|(_, n)| n);
                match name {
                    Some(n) if account == self.account() && region == self.region() => n,
                    Some(_) => {
                        return Err(not_found(format!("Event bus {given} does not exist.")));
                    }
                    None => return Err(validation(format!("Parameter {given} is not valid."))),
                }
            }
            None => given,
        };
        if !valid_name(name, 256, true) {
            return Err(constraint(
                name,
                "eventBusName",
                "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
            ));
        }
        Ok(name.to_string())
    }

    async fn bus_exists(&self, name: &str) -> Result<bool, ServiceError> {
        if name == DEFAULT_BUS {
            return Ok(true);
        }
        let arn = bus_arn(self.region(), self.account(), name);
        Ok(self
            .service
            .store
            .service_resource(BUS, &arn)
            .await
            .map_err(internal)?
            .is_some())
    }

    async fn create_bus(&self) -> Result<Value, ServiceError> {
        let name = self.required("Name")?;
        if !valid_name(name, 256, true) {
            return Err(constraint(
                name,
                "name",
                "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+",
            ));
        }
        // Names starting `aws.` belong to partner buses; `default` is every account's own.
        if name == DEFAULT_BUS || name.starts_with("aws.") {
            return Err(validation(format!("Event bus name {name} is reserved.")));
        }
        let arn = bus_arn(self.region(), self.account(), name);
        let owned = self
            .service
            .store
            .service_resources(BUS, Some(self.account()))
            .await
            .map_err(internal)?
            .len();
        if owned >= BUSES_PER_ACCOUNT {
            return Err(limit_exceeded(&format!(
                "an account has at most {BUSES_PER_ACCOUNT} event buses"
            )));
        }
        let now = now_secs();
        let bus = Bus {
            name: name.to_string(),
            arn: arn.clone(),
            description: self.text("Description")?.map(str::to_string),
            creation_time: now,
            last_modified_time: now,
            tags: self.tags("Tags")?,
        };
        let doc = ServiceResource {
            kind: BUS.into(),
            arn: arn.clone(),
            account: self.account().to_string(),
            body: serde_json::to_string(&bus).expect("a bus serialises"),
            version: 1,
        };
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: doc,
            expected: None,
        });
        match self.service.store.commit(batch).await {
            Ok(()) => Ok(json!({ "EventBusArn": arn })),
            Err(baton_store::Error::AlreadyExists { .. }) => Err(ServiceError::client(
                "ResourceAlreadyExistsException",
                format!("Event bus {name} already exists."),
            )),
            Err(e) => Err(internal(e)),
        }
    }

    async fn delete_bus(&self) -> Result<Value, ServiceError> {
        let name = self.required("Name")?;
        if name == DEFAULT_BUS {
            return Err(validation("Cannot delete event bus default."));
        }
        let arn = bus_arn(self.region(), self.account(), name);
        // Its rules go with it (API reference, DeleteEventBus: "All rules associated with
        // this event bus need to be deleted").
        let rules = self.rules_on(name).await?;
        let mut batch = WriteBatch::new().with(Op::DeleteServiceResource {
            kind: BUS.into(),
            arn,
        });
        for (rule, _) in rules {
            batch.push(Op::DeleteServiceResource {
                kind: RULE.into(),
                arn: rule.arn,
            });
        }
        self.service.store.commit(batch).await.map_err(internal)?;
        self.service.forget_rules(self.account());
        Ok(json!({}))
    }

    async fn describe_bus(&self) -> Result<Value, ServiceError> {
        let name = self.bus_name("Name")?;
        let arn = bus_arn(self.region(), self.account(), &name);
        if name == DEFAULT_BUS {
            return Ok(json!({"Name": name, "Arn": arn}));
        }
        let doc = self
            .service
            .store
            .service_resource(BUS, &arn)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("Event bus {name} does not exist.")))?;
        let bus: Bus = serde_json::from_str(&doc.body).map_err(|e| validation(e.to_string()))?;
        Ok(serde_json::to_value(bus).expect("a bus serialises"))
    }

    async fn list_buses(&self) -> Result<Value, ServiceError> {
        let prefix = self.text("NamePrefix")?.unwrap_or_default();
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let mut buses: Vec<Value> = vec![json!({
            "Name": DEFAULT_BUS,
            "Arn": bus_arn(self.region(), self.account(), DEFAULT_BUS),
        })];
        for bus in self.in_region::<Bus>(BUS).await? {
            buses.push(serde_json::to_value(bus).expect("a bus serialises"));
        }
        buses.retain(|b| b["Name"].as_str().is_some_and(|n| n.starts_with(prefix)));
        buses.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
        Ok(page(buses, "EventBuses", "Name", after, limit))
    }

    /// The rules of a bus with their stored versions, by name.
    async fn rules_on(&self, bus: &str) -> Result<Vec<(Rule, u64)>, ServiceError> {
        let mut out = Vec::new();
        for doc in self
            .service
            .store
            .service_resources(RULE, Some(self.account()))
            .await
            .map_err(internal)?
        {
            if arn_scope(&doc.arn).map(|s| s.0) != Some(self.region()) {
                continue;
            }
            if let Ok(rule) = serde_json::from_str::<Rule>(&doc.body) {
                if rule.event_bus_name == bus {
                    out.push((rule, doc.version));
                }
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    /// `Tags` as the model reads it: `{Key, Value}`s, keys 1–128 and values 0–256 characters.
    fn tags(&self, member: &str) -> Result<Vec<crate::model::Tag>, ServiceError> {
        let Some(value) = self.input.get(member).filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let tags: Vec<crate::model::Tag> = serde_json::from_value(value.clone()).map_err(|_| {
            ServiceError::client(
                "SerializationException",
                format!("{member} must be a list of {{Key, Value}}"),
            )
        })?;
        if let Some(t) = tags
            .iter()
            .find(|t| t.key.is_empty() || t.key.len() > 128 || t.value.len() > 256)
        {
            return Err(validation(format!(
                "Tag key {:?}: keys have 1 to 128 characters, values at most 256.",
                t.key
            )));
        }
        Ok(tags)
    }

    /// `TagResource`, `UntagResource` and `ListTagsForResource` on a rule or a bus
    /// (`ResourceARN`), replacing its record at the version read. The default bus has no
    /// record of its own: its tags are kept in one made when it is first tagged.
    async fn tagging(&self, operation: &str) -> Result<Value, ServiceError> {
        let arn = self.required("ResourceARN")?;
        let kind = if arn.contains(":rule/") {
            RULE
        } else if arn.contains(":event-bus/") {
            BUS
        } else {
            return Err(not_found(format!("Resource {arn} does not exist.")));
        };
        let own = arn_scope(arn) == Some((self.region(), self.account()));
        let default_bus = own && arn == bus_arn(self.region(), self.account(), DEFAULT_BUS);
        let kind = if default_bus { DEFAULT_BUS_TAGS } else { kind };
        let doc = match own {
            true => self
                .service
                .store
                .service_resource(kind, arn)
                .await
                .map_err(internal)?,
            false => None,
        };
        let (mut body, version): (Value, Option<u64>) = match doc {
            Some(doc) => (
                serde_json::from_str(&doc.body)
                    .map_err(|e| internal(baton_store::Error::backend(e)))?,
                Some(doc.version),
            ),
            None if default_bus => (json!({}), None),
            None => return Err(not_found(format!("Resource {arn} does not exist."))),
        };
        let mut tags: Vec<crate::model::Tag> = body
            .get("Tags")
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default();
        match operation {
            "ListTagsForResource" => return Ok(json!({ "Tags": tags })),
            "TagResource" => merge_tags(&mut tags, self.tags("Tags")?)?,
            _ => {
                let keys: Vec<String> = self
                    .input
                    .get("TagKeys")
                    .and_then(|k| serde_json::from_value(k.clone()).ok())
                    .ok_or_else(|| validation("TagKeys must be a list of keys."))?;
                tags.retain(|t| !keys.contains(&t.key));
            }
        }
        body["Tags"] = serde_json::to_value(&tags).expect("tags serialise");
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: ServiceResource {
                kind: kind.into(),
                arn: arn.to_string(),
                account: self.account().to_string(),
                body: body.to_string(),
                version: version.map_or(1, |v| v + 1),
            },
            expected: version,
        });
        match self.service.store.commit(batch).await {
            Ok(()) => Ok(json!({})),
            Err(
                baton_store::Error::Conflict { .. }
                | baton_store::Error::NotFound { .. }
                | baton_store::Error::AlreadyExists { .. },
            ) => Err(ServiceError::client(
                "ConcurrentModificationException",
                "Another request changed the resource at the same time; try again.",
            )),
            Err(e) => Err(internal(e)),
        }
    }

    /// The rule the request names (`Name` or `Rule`, on `EventBusName`), with its version.
    async fn rule(&self) -> Result<(Rule, u64), ServiceError> {
        let member = if self.input.contains_key("Rule") {
            "Rule"
        } else {
            "Name"
        };
        let name = self.required(member)?;
        let bus = self.bus_name("EventBusName")?;
        let arn = rule_arn(self.region(), self.account(), &bus, name);
        let doc = self
            .service
            .store
            .service_resource(RULE, &arn)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("Rule {name} does not exist on EventBus {bus}.")))?;
        let rule: Rule = serde_json::from_str(&doc.body)
            .map_err(|e| internal(baton_store::Error::backend(e)))?;
        Ok((rule, doc.version))
    }

    /// Writes `rule`: new when `expected` is `None`, else over that version. A lost race is
    /// `ConcurrentModificationException`, as EventBridge answers one.
    async fn write_rule(&self, rule: &Rule, expected: Option<u64>) -> Result<(), ServiceError> {
        let doc = ServiceResource {
            kind: RULE.into(),
            arn: rule.arn.clone(),
            account: self.account().to_string(),
            body: serde_json::to_string(rule).expect("a rule serialises"),
            version: expected.map_or(1, |v| v + 1),
        };
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: doc,
            expected,
        });
        let r = self.service.store.commit(batch).await;
        self.service.forget_rules(self.account());
        match r {
            Ok(()) => Ok(()),
            Err(baton_store::Error::AlreadyExists { .. } | baton_store::Error::Conflict { .. }) => {
                Err(ServiceError::client(
                    "ConcurrentModificationException",
                    "Another request changed the rule at the same time; try again.",
                ))
            }
            Err(baton_store::Error::NotFound { .. }) => Err(not_found(format!(
                "Rule {} does not exist on EventBus {}.",
                rule.name, rule.event_bus_name
            ))),
            Err(e) => Err(internal(e)),
        }
    }

    async fn put_rule(&self) -> Result<Value, ServiceError> {
        let name = self.required("Name")?;
        if !valid_name(name, 64, false) {
            return Err(constraint(
                name,
                "name",
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
            ));
        }
        let bus = self.bus_name("EventBusName")?;
        let pattern = self.text("EventPattern")?;
        let schedule = self.text("ScheduleExpression")?;
        if pattern.is_none() && schedule.is_none() {
            return Err(validation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified.",
            ));
        }
        if let Some(p) = pattern {
            Pattern::parse(p)
                .map_err(|e| ServiceError::client("InvalidEventPatternException", e.message()))?;
        }
        if let Some(s) = schedule {
            if bus != DEFAULT_BUS {
                return Err(validation(
                    "ScheduleExpression is supported only on the default event bus.",
                ));
            }
            if !valid_schedule(s) {
                return Err(validation("Parameter ScheduleExpression is not valid."));
            }
        }
        let state = self.text("State")?.unwrap_or("ENABLED");
        if ![
            "ENABLED",
            "DISABLED",
            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
        ]
        .contains(&state)
        {
            return Err(constraint(
                state,
                "state",
                "Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
            ));
        }
        if !self.bus_exists(&bus).await? {
            return Err(not_found(format!("Event bus {bus} does not exist.")));
        }
        let arn = rule_arn(self.region(), self.account(), &bus, name);
        let existing = self
            .service
            .store
            .service_resource(RULE, &arn)
            .await
            .map_err(internal)?;
        if existing.is_none() && self.rules_on(&bus).await?.len() >= RULES_PER_BUS {
            return Err(limit_exceeded(&format!(
                "a bus has at most {RULES_PER_BUS} rules"
            )));
        }
        let (targets, mut tags, expected) = match &existing {
            Some(doc) => {
                let old: Rule = serde_json::from_str(&doc.body)
                    .map_err(|e| internal(baton_store::Error::backend(e)))?;
                (old.targets, old.tags, Some(doc.version))
            }
            None => (Vec::new(), Vec::new(), None),
        };
        merge_tags(&mut tags, self.tags("Tags")?)?;
        let rule = Rule {
            name: name.to_string(),
            arn: arn.clone(),
            event_bus_name: bus,
            event_pattern: pattern.map(str::to_string),
            schedule_expression: schedule.map(str::to_string),
            state: state.to_string(),
            description: self.text("Description")?.map(str::to_string),
            role_arn: self.text("RoleArn")?.map(str::to_string),
            created_by: self.account().to_string(),
            targets,
            tags,
        };
        self.write_rule(&rule, expected).await?;
        Ok(json!({ "RuleArn": arn }))
    }

    async fn list_rules(&self) -> Result<Value, ServiceError> {
        let bus = self.bus_name("EventBusName")?;
        let prefix = self.text("NamePrefix")?.unwrap_or_default();
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let rules: Vec<Value> = self
            .rules_on(&bus)
            .await?
            .into_iter()
            .filter(|(r, _)| r.name.starts_with(prefix))
            .map(|(r, _)| describe_rule(&r))
            .collect();
        Ok(page(rules, "Rules", "Name", after, limit))
    }

    async fn delete_rule(&self) -> Result<Value, ServiceError> {
        let (rule, _) = match self.rule().await {
            Ok(found) => found,
            // Deleting a rule that is not there succeeds (EventBridge: DeleteRule is
            // idempotent).
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(json!({})),
            Err(e) => return Err(e),
        };
        if !rule.targets.is_empty() {
            return Err(validation("Rule can't be deleted since it has targets."));
        }
        let batch = WriteBatch::new().with(Op::DeleteServiceResource {
            kind: RULE.into(),
            arn: rule.arn,
        });
        self.service.store.commit(batch).await.map_err(internal)?;
        self.service.forget_rules(self.account());
        Ok(json!({}))
    }

    async fn set_state(&self, state: &str) -> Result<Value, ServiceError> {
        let (mut rule, version) = self.rule().await?;
        rule.state = state.to_string();
        self.write_rule(&rule, Some(version)).await?;
        Ok(json!({}))
    }

    async fn put_targets(&self) -> Result<Value, ServiceError> {
        let (mut rule, version) = self.rule().await?;
        let Some(Value::Array(given)) = self.input.get("Targets") else {
            return Err(constraint("null", "targets", "Member must not be null"));
        };
        if given.is_empty() || given.len() > 10 {
            return Err(constraint(
                &format!("{} targets", given.len()),
                "targets",
                "Member must have length between 1 and 10",
            ));
        }
        let mut failed = Vec::new();
        for raw in given {
            let target: Target = serde_json::from_value(raw.clone()).map_err(|e| {
                ServiceError::client("SerializationException", format!("a target: {e}"))
            })?;
            let foreign = arn_scope(&target.arn).is_some_and(|(_, a)| a != self.account());
            let checked = if foreign {
                Err(format!(
                    "Target {} is in another account: Baton delivers within the rule's account.",
                    target.arn
                ))
            } else {
                check_target(&target)
            };
            if let Err(why) = checked {
                failed.push(
                    json!({"TargetId": target.id, "ErrorCode": "ValidationException",
                    "ErrorMessage": why}),
                );
                continue;
            }
            let count = rule.targets.len();
            match rule.targets.iter_mut().find(|t| t.id == target.id) {
                Some(t) => *t = target,
                None if count >= TARGETS_PER_RULE => {
                    return Err(limit_exceeded(&format!(
                        "a rule has at most {TARGETS_PER_RULE} targets"
                    )));
                }
                None => rule.targets.push(target),
            }
        }
        self.write_rule(&rule, Some(version)).await?;
        Ok(json!({"FailedEntryCount": failed.len(), "FailedEntries": failed}))
    }

    async fn remove_targets(&self) -> Result<Value, ServiceError> {
        let (mut rule, version) = self.rule().await?;
        let Some(Value::Array(ids)) = self.input.get("Ids") else {
            return Err(constraint("null", "ids", "Member must not be null"));
        };
        let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
        rule.targets.retain(|t| !ids.contains(&t.id.as_str()));
        self.write_rule(&rule, Some(version)).await?;
        Ok(json!({"FailedEntryCount": 0, "FailedEntries": []}))
    }

    async fn list_targets(&self) -> Result<Value, ServiceError> {
        let (rule, _) = self.rule().await?;
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let targets: Vec<Value> = rule
            .targets
            .iter()
            .map(|t| serde_json::to_value(t).expect("a target serialises"))
            .collect();
        Ok(page(targets, "Targets", "Id", after, limit))
    }

    async fn rule_names_by_target(&self) -> Result<Value, ServiceError> {
        let target = self.required("TargetArn")?;
        let bus = self.bus_name("EventBusName")?;
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let names: Vec<Value> = self
            .rules_on(&bus)
            .await?
            .into_iter()
            .filter(|(r, _)| r.targets.iter().any(|t| t.arn == target))
            .map(|(r, _)| json!({ "Name": r.name }))
            .collect();
        let mut out = page(names, "RuleNames", "Name", after, limit);
        let flat: Vec<Value> = out["RuleNames"]
            .as_array()
            .map(|a| a.iter().map(|v| v["Name"].clone()).collect())
            .unwrap_or_default();
        out["RuleNames"] = Value::Array(flat);
        Ok(out)
    }

    async fn put_events(&self) -> Result<Value, ServiceError> {
        let Some(Value::Array(entries)) = self.input.get("Entries") else {
            return Err(constraint("null", "entries", "Member must not be null"));
        };
        if entries.is_empty() || entries.len() > PUT_ENTRIES {
            return Err(constraint(
                &format!("{} entries", entries.len()),
                "entries",
                &format!("Member must have length between 1 and {PUT_ENTRIES}"),
            ));
        }
        // Each entry's size as the PutEvents quota counts it: its source, detail type,
        // detail and resources in UTF-8 (User Guide, "Calculating PutEvents event entry size").
        let size: usize = entries.iter().map(entry_size).sum();
        if size > PUT_BYTES {
            return Err(validation(
                "Total size of the entries in the request is over the limit.",
            ));
        }
        let rules = self.service.rules_of(self.account()).await?;
        let mut results = Vec::with_capacity(entries.len());
        let mut failed = 0;
        // Which entries made deliveries, and the deliveries of all, written in one batch.
        let mut delivering = Vec::new();
        let mut deliveries = Vec::new();
        for entry in entries {
            match self.one_event(entry, &rules).await {
                Ok((id, made)) => {
                    if !made.is_empty() {
                        delivering.push(results.len());
                    }
                    deliveries.extend(made);
                    results.push(json!({ "EventId": id }));
                }
                Err((code, message)) => {
                    failed += 1;
                    results.push(json!({"ErrorCode": code, "ErrorMessage": message}));
                }
            }
        }
        if let Err(refused) = self.service.deliveries.hand_over(deliveries).await {
            let (code, message) = match refused {
                crate::deliver::Refused::Full => ("ThrottlingException", "Rate exceeded."),
                crate::deliver::Refused::Store(e) => {
                    tracing::warn!(error = %e, "could not store the deliveries of PutEvents");
                    (
                        "InternalFailure",
                        "The event could not be stored; try again.",
                    )
                }
            };
            for i in delivering {
                failed += 1;
                results[i] = json!({"ErrorCode": code, "ErrorMessage": message});
            }
        }
        Ok(json!({"FailedEntryCount": failed, "Entries": results}))
    }

    /// One PutEvents entry: checked, made into an event, matched and handed over; its id.
    async fn one_event(
        &self,
        entry: &Value,
        rules: &Cached,
    ) -> Result<(String, Vec<Delivery>), (&'static str, String)> {
        let text = |k: &str| entry.get(k).and_then(Value::as_str);
        let required = |k: &'static str| {
            text(k).filter(|s| !s.is_empty()).ok_or((
                "InvalidArgument",
                format!("Parameter {k} is not valid. Reason: {k} is a required argument."),
            ))
        };
        let source = required("Source")?;
        let detail_type = required("DetailType")?;
        let detail_text = required("Detail")?;
        // "Detail: A valid JSON object" (PutEventsRequestEntry); else `MalformedDetail`.
        let detail: Value = match serde_json::from_str(detail_text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Err(("MalformedDetail", "Detail is malformed.".into())),
        };
        // Sources starting `aws.` are AWS's own (PutEvents: NotAuthorizedForSourceException).
        if source.starts_with("aws.") {
            return Err((
                "NotAuthorizedForSourceException",
                format!("Not authorized for the source {source}."),
            ));
        }
        let bus = match text("EventBusName") {
            None => DEFAULT_BUS.to_string(),
            Some(b) => self.resolve_bus(b).map_err(|e| {
                let code = if e.code == "ResourceNotFoundException" {
                    "ResourceNotFoundException"
                } else {
                    "InvalidArgument"
                };
                (code, e.message)
            })?,
        };
        if bus != DEFAULT_BUS {
            let exists = self
                .bus_exists(&bus)
                .await
                .map_err(|e| ("InternalFailure", e.message))?;
            if !exists {
                return Err((
                    "ResourceNotFoundException",
                    format!("Event bus {bus} does not exist."),
                ));
            }
        }
        let time = match entry.get("Time").and_then(Value::as_f64) {
            Some(secs) => chrono::DateTime::from_timestamp(secs as i64, 0),
            None => None,
        }
        .unwrap_or_else(chrono::Utc::now);
        let resources = entry
            .get("Resources")
            .filter(|r| r.is_array())
            .cloned()
            .unwrap_or_else(|| json!([]));
        let id = uuid::Uuid::new_v4().to_string();
        // The event as EventBridge delivers it (User Guide, "Amazon EventBridge events").
        let event = json!({
            "version": "0",
            "id": id,
            "detail-type": detail_type,
            "source": source,
            "account": self.account(),
            "time": time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "region": self.region(),
            "resources": resources,
            "detail": detail,
        });
        let deliveries =
            self.service
                .matched(self.account(), self.region(), &bus, &event, rules, 0);
        Ok((id, deliveries))
    }
}

/// The authorization types of a connection (`ConnectionAuthorizationType`).
const AUTHORIZATION_TYPES: [&str; 3] = ["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"];
/// `ConnectionState`.
const CONNECTION_STATES: [&str; 9] = [
    "CREATING",
    "UPDATING",
    "DELETING",
    "AUTHORIZED",
    "DEAUTHORIZED",
    "AUTHORIZING",
    "DEAUTHORIZING",
    "ACTIVE",
    "FAILED_CONNECTIVITY",
];
/// `ApiDestinationHttpMethod`: any method but CONNECT and TRACE (User Guide, "API
/// destinations").
const API_DESTINATION_METHODS: [&str; 7] =
    ["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"];
/// `ConnectionOAuthHttpMethod`.
const OAUTH_METHODS: [&str; 3] = ["GET", "POST", "PUT"];
/// Parameters of each kind a connection may have (`ConnectionHeaderParametersList`, …: 100).
const PARAMETERS_PER_LIST: usize = 100;

/// The model's patterns, as constraint messages quote them.
const HEADER_KEY_PATTERN: &str =
    "Member must satisfy regular expression pattern: ^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$";
const HEADER_VALUE_PATTERN: &str =
    "Member must satisfy regular expression pattern: ^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$";
const QUERY_KEY_PATTERN: &str =
    "Member must satisfy regular expression pattern: [^\\x00-\\x1F\\x7F]+";
const QUERY_VALUE_PATTERN: &str =
    "Member must satisfy regular expression pattern: [^\\x00-\\x09\\x0B\\x0C\\x0E-\\x1F\\x7F]+";
const CONNECTION_ARN_PATTERN: &str = "Member must satisfy regular expression pattern: \
    ^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/\
    [\\-A-Za-z0-9]+$";
const AUTH_HEADER_PATTERN: &str =
    "Member must satisfy regular expression pattern: ^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$";

fn enum_constraint(value: &str, member: &str, values: &[&str]) -> ServiceError {
    constraint(
        value,
        member,
        &format!(
            "Member must satisfy enum value set: [{}]",
            values.join(", ")
        ),
    )
}

/// `AuthHeaderParameters`: 1 to 512 characters, no control characters but tabs between
/// words, no `:`.
fn auth_header_ok(v: &str) -> bool {
    (1..=512).contains(&v.len())
        && v.chars()
            .all(|c| c == '\t' || (c >= ' ' && c != '\u{7f}' && c != ':'))
}

/// An `HttpsEndpoint` as the model's pattern takes it (at most 2048 characters of
/// `[-()_.!~*';/?:@&=+$,A-Za-z0-9]` and `%XX` escapes), which Baton must also be able to call:
/// an `http://` or `https://` URL with a host, no credentials in it and no wildcard outside
/// its path. (EventBridge takes `https://` only; Baton takes `http://` too, for endpoints on
/// the operator's own network, which `[http] allow` still bounds.)
fn endpoint_problem(url: &str) -> Option<&'static str> {
    const ENDPOINT_PATTERN: &str = "Member must satisfy regular expression pattern: \
        ^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@\\x26=+$,A-Za-z0-9])+)([).!';/?:,])?$";
    let bytes = url.as_bytes();
    if url.is_empty() || url.len() > 2048 {
        return Some("Member must have length between 1 and 2048");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                || !bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            {
                return Some(ENDPOINT_PATTERN);
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-()_.!~*';/?:@&=+$,".contains(&b)) {
            return Some(ENDPOINT_PATTERN);
        }
        i += 1;
    }
    let Some(authority) = dest::authority(url) else {
        return Some("Member must be an http:// or https:// URL");
    };
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    if host.is_empty() {
        return Some("Member must be a URL with a host");
    }
    if authority.contains('@') {
        return Some("Member must not hold credentials: give them in the connection");
    }
    if authority.contains('*') {
        return Some("Member must have wildcards (*) in its path only");
    }
    None
}

/// A member's value in messages: the text, or `***` for a secret.
fn shown(value: &str, secret: bool) -> &str {
    if secret {
        "***"
    } else {
        value
    }
}

/// Checks `ConnectionHttpParameters` at `member` (`authParameters.invocationHttpParameters`).
fn check_http_params(p: &HttpParams, member: &str) -> Result<(), ServiceError> {
    let lists = [
        ("headerParameters", &p.header_parameters),
        ("queryStringParameters", &p.query_string_parameters),
        ("bodyParameters", &p.body_parameters),
    ];
    for (name, list) in lists {
        let Some(list) = list else { continue };
        let at = format!("{member}.{name}");
        if list.len() > PARAMETERS_PER_LIST {
            return Err(constraint(
                &format!("{} parameters", list.len()),
                &at,
                &format!("Member must have length less than or equal to {PARAMETERS_PER_LIST}"),
            ));
        }
        for (i, param) in list.iter().enumerate() {
            let at = format!("{at}.{}", i + 1);
            let secret = param.is_value_secret.unwrap_or(false);
            let Some(key) = param.key.as_deref() else {
                return Err(constraint(
                    "null",
                    &format!("{at}.key"),
                    "Member must not be null",
                ));
            };
            let Some(value) = param.value.as_deref() else {
                return Err(constraint(
                    "null",
                    &format!("{at}.value"),
                    "Member must not be null",
                ));
            };
            let (key_ok, value_ok, key_rule, value_rule) = match name {
                "headerParameters" => (
                    key.len() <= 512 && dest::is_token(key),
                    dest::is_header_value(value),
                    HEADER_KEY_PATTERN,
                    HEADER_VALUE_PATTERN,
                ),
                "queryStringParameters" => (
                    (1..=512).contains(&key.len())
                        && !key.chars().any(|c| c < ' ' || c == '\u{7f}'),
                    (1..=512).contains(&value.len())
                        && !value
                            .chars()
                            .any(|c| (c < ' ' && c != '\n' && c != '\r') || c == '\u{7f}'),
                    QUERY_KEY_PATTERN,
                    QUERY_VALUE_PATTERN,
                ),
                _ => (
                    !key.is_empty(),
                    true,
                    "Member must have length greater than or equal to 1",
                    "",
                ),
            };
            if !key_ok {
                return Err(constraint(key, &format!("{at}.key"), key_rule));
            }
            if !value_ok {
                return Err(constraint(
                    shown(value, secret),
                    &format!("{at}.value"),
                    value_rule,
                ));
            }
            if name == "headerParameters" && dest::is_framing_header(key) {
                return Err(validation(format!(
                    "The header {key} cannot be set: it frames the request."
                )));
            }
        }
    }
    Ok(())
}

/// Checks what `AuthParameters` gives (each part's own members), whatever the type.
fn check_auth_members(a: &AuthParameters) -> Result<(), ServiceError> {
    let header = |value: &Option<String>, member: &str, secret: bool| match value {
        Some(v) if !auth_header_ok(v) => {
            Err(constraint(shown(v, secret), member, AUTH_HEADER_PATTERN))
        }
        _ => Ok(()),
    };
    if let Some(b) = &a.basic_auth_parameters {
        header(
            &b.username,
            "authParameters.basicAuthParameters.username",
            false,
        )?;
        header(
            &b.password,
            "authParameters.basicAuthParameters.password",
            true,
        )?;
    }
    if let Some(k) = &a.api_key_auth_parameters {
        header(
            &k.api_key_name,
            "authParameters.apiKeyAuthParameters.apiKeyName",
            false,
        )?;
        header(
            &k.api_key_value,
            "authParameters.apiKeyAuthParameters.apiKeyValue",
            true,
        )?;
        // They are sent as a header: they must make one.
        if let Some(name) = &k.api_key_name {
            if !dest::is_token(name) || dest::is_framing_header(name) {
                return Err(validation(format!(
                    "ApiKeyName {name} is not a header name Baton can send."
                )));
            }
        }
        if k.api_key_value.as_deref().is_some_and(|v| !v.is_ascii()) {
            return Err(validation(
                "ApiKeyValue must be ASCII text: it is sent as a header's value.",
            ));
        }
    }
    if let Some(o) = &a.oauth_parameters {
        if let Some(c) = &o.client_parameters {
            header(
                &c.client_id,
                "authParameters.oAuthParameters.clientParameters.clientID",
                false,
            )?;
            header(
                &c.client_secret,
                "authParameters.oAuthParameters.clientParameters.clientSecret",
                true,
            )?;
        }
        if let Some(url) = &o.authorization_endpoint {
            if let Some(rule) = endpoint_problem(url) {
                return Err(constraint(
                    url,
                    "authParameters.oAuthParameters.authorizationEndpoint",
                    rule,
                ));
            }
        }
        if let Some(m) = &o.http_method {
            if !OAUTH_METHODS.contains(&m.as_str()) {
                return Err(enum_constraint(
                    m,
                    "authParameters.oAuthParameters.httpMethod",
                    &OAUTH_METHODS,
                ));
            }
        }
        if let Some(p) = &o.oauth_http_parameters {
            check_http_params(p, "authParameters.oAuthParameters.oAuthHttpParameters")?;
        }
    }
    if let Some(p) = &a.invocation_http_parameters {
        check_http_params(p, "authParameters.invocationHttpParameters")?;
    }
    if a.connectivity_parameters.is_some() {
        return Err(private_apis());
    }
    Ok(())
}

fn private_apis() -> ServiceError {
    validation(
        "ConnectivityParameters (private APIs through VPC Lattice) are not served by Baton: \
         a connection reaches public endpoints, within Baton's [http] allow list.",
    )
}

/// Checks that `a` authorizes as `kind` says: that type's parameters, complete, and no
/// other type's.
fn check_auth_complete(kind: &str, a: &AuthParameters) -> Result<(), ServiceError> {
    let missing = |member: &str| constraint("null", member, "Member must not be null");
    let (basic, key, oauth) = (
        a.basic_auth_parameters.is_some(),
        a.api_key_auth_parameters.is_some(),
        a.oauth_parameters.is_some(),
    );
    let (own, others) = match kind {
        "BASIC" => (basic, key || oauth),
        "API_KEY" => (key, basic || oauth),
        _ => (oauth, basic || key),
    };
    if others {
        return Err(validation(format!(
            "AuthParameters may only give the parameters of authorization type {kind}."
        )));
    }
    match kind {
        "BASIC" => {
            let b = a.basic_auth_parameters.as_ref();
            if !own {
                return Err(missing("authParameters.basicAuthParameters"));
            }
            if b.and_then(|b| b.username.as_ref()).is_none() {
                return Err(missing("authParameters.basicAuthParameters.username"));
            }
            if b.and_then(|b| b.password.as_ref()).is_none() {
                return Err(missing("authParameters.basicAuthParameters.password"));
            }
        }
        "API_KEY" => {
            let k = a.api_key_auth_parameters.as_ref();
            if !own {
                return Err(missing("authParameters.apiKeyAuthParameters"));
            }
            if k.and_then(|k| k.api_key_name.as_ref()).is_none() {
                return Err(missing("authParameters.apiKeyAuthParameters.apiKeyName"));
            }
            if k.and_then(|k| k.api_key_value.as_ref()).is_none() {
                return Err(missing("authParameters.apiKeyAuthParameters.apiKeyValue"));
            }
        }
        _ => {
            let Some(o) = a.oauth_parameters.as_ref() else {
                return Err(missing("authParameters.oAuthParameters"));
            };
            let c = o.client_parameters.as_ref();
            if c.is_none() {
                return Err(missing("authParameters.oAuthParameters.clientParameters"));
            }
            if c.and_then(|c| c.client_id.as_ref()).is_none() {
                return Err(missing(
                    "authParameters.oAuthParameters.clientParameters.clientID",
                ));
            }
            if c.and_then(|c| c.client_secret.as_ref()).is_none() {
                return Err(missing(
                    "authParameters.oAuthParameters.clientParameters.clientSecret",
                ));
            }
            if o.authorization_endpoint.is_none() {
                return Err(missing(
                    "authParameters.oAuthParameters.authorizationEndpoint",
                ));
            }
            if o.http_method.is_none() {
                return Err(missing("authParameters.oAuthParameters.httpMethod"));
            }
        }
    }
    Ok(())
}

/// `old` with what an update gives: each given member replaces the old one (a parameter list
/// is replaced whole); the parameters of a type other than `kind` are dropped.
fn merge_auth(mut old: AuthParameters, new: AuthParameters, kind: &str) -> AuthParameters {
    if let Some(b) = new.basic_auth_parameters {
        let o = old
            .basic_auth_parameters
            .get_or_insert_with(Default::default);
        o.username = b.username.or(o.username.take());
        o.password = b.password.or(o.password.take());
    }
    if let Some(k) = new.api_key_auth_parameters {
        let o = old
            .api_key_auth_parameters
            .get_or_insert_with(Default::default);
        o.api_key_name = k.api_key_name.or(o.api_key_name.take());
        o.api_key_value = k.api_key_value.or(o.api_key_value.take());
    }
    if let Some(n) = new.oauth_parameters {
        let o = old.oauth_parameters.get_or_insert_with(Default::default);
        if let Some(c) = n.client_parameters {
            let oc = o.client_parameters.get_or_insert_with(Default::default);
            oc.client_id = c.client_id.or(oc.client_id.take());
            oc.client_secret = c.client_secret.or(oc.client_secret.take());
        }
        o.authorization_endpoint = n.authorization_endpoint.or(o.authorization_endpoint.take());
        o.http_method = n.http_method.or(o.http_method.take());
        o.oauth_http_parameters = n.oauth_http_parameters.or(o.oauth_http_parameters.take());
    }
    if new.invocation_http_parameters.is_some() {
        old.invocation_http_parameters = new.invocation_http_parameters;
    }
    if kind != "BASIC" {
        old.basic_auth_parameters = None;
    }
    if kind != "API_KEY" {
        old.api_key_auth_parameters = None;
    }
    if kind != "OAUTH_CLIENT_CREDENTIALS" {
        old.oauth_parameters = None;
    }
    old
}

impl Call<'_> {
    /// A name of a connection or API destination (`ConnectionName`, `ApiDestinationName`).
    fn resource_name(&self, member: &str) -> Result<&str, ServiceError> {
        let name = self.required(member)?;
        if !valid_name(name, 64, false) {
            return Err(constraint(
                name,
                &lower_first(member),
                "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
            ));
        }
        Ok(name)
    }

    /// `Description`, at most 512 characters.
    fn description(&self) -> Result<Option<String>, ServiceError> {
        match self.text("Description")? {
            Some(d) if d.chars().count() > 512 => Err(constraint(
                d,
                "description",
                "Member must have length less than or equal to 512",
            )),
            d => Ok(d.map(str::to_string)),
        }
    }

    /// The request's `AuthParameters`, its members checked.
    fn auth_parameters(&self) -> Result<Option<AuthParameters>, ServiceError> {
        let auth = match self.input.get("AuthParameters") {
            None | Some(Value::Null) => return Ok(None),
            Some(v @ Value::Object(_)) => serde_json::from_value::<AuthParameters>(v.clone())
                .map_err(|e| {
                    ServiceError::client("SerializationException", format!("AuthParameters: {e}"))
                })?,
            Some(_) => {
                return Err(ServiceError::client(
                    "SerializationException",
                    "AuthParameters must be a structure",
                ))
            }
        };
        check_auth_members(&auth)?;
        Ok(Some(auth))
    }

    fn authorization_type(&self) -> Result<Option<&str>, ServiceError> {
        match self.text("AuthorizationType")? {
            Some(t) if !AUTHORIZATION_TYPES.contains(&t) => Err(enum_constraint(
                t,
                "authorizationType",
                &AUTHORIZATION_TYPES,
            )),
            t => Ok(t),
        }
    }

    /// Private APIs (`InvocationConnectivityParameters`) are not reached.
    fn refuse_connectivity(&self) -> Result<(), ServiceError> {
        if self.members().contains("InvocationConnectivityParameters") {
            return Err(private_apis());
        }
        Ok(())
    }

    fn kms_key(&self) -> Result<Option<String>, ServiceError> {
        match self.text("KmsKeyIdentifier")? {
            Some(k)
                if k.len() > 2048
                    || !k
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-/:".contains(&b)) =>
            {
                Err(constraint(
                    k,
                    "kmsKeyIdentifier",
                    "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-/:]*$",
                ))
            }
            k => Ok(k.map(str::to_string)),
        }
    }

    /// Writes a connection or API destination stored at `key`: new when `expected` is `None`,
    /// else over that version. `what` names it in errors.
    async fn write_resource(
        &self,
        kind: &str,
        key: &str,
        body: String,
        expected: Option<u64>,
        what: &str,
    ) -> Result<(), ServiceError> {
        let resource = ServiceResource {
            kind: kind.into(),
            arn: key.to_string(),
            account: self.account().to_string(),
            body,
            version: expected.map_or(1, |v| v + 1),
        };
        let batch = WriteBatch::new().with(Op::PutServiceResource { resource, expected });
        match self.service.store.commit(batch).await {
            Ok(()) => Ok(()),
            Err(baton_store::Error::AlreadyExists { .. }) if expected.is_none() => {
                Err(ServiceError::client(
                    "ResourceAlreadyExistsException",
                    format!("{what} already exists."),
                ))
            }
            Err(baton_store::Error::AlreadyExists { .. } | baton_store::Error::Conflict { .. }) => {
                Err(ServiceError::client(
                    "ConcurrentModificationException",
                    format!("Another request changed {what} at the same time; try again."),
                ))
            }
            Err(baton_store::Error::NotFound { .. }) => {
                Err(not_found(format!("{what} does not exist.")))
            }
            Err(e) => Err(internal(e)),
        }
    }

    /// How many resources of `kind` the account has in this region.
    async fn count_in_region(&self, kind: &str) -> Result<usize, ServiceError> {
        Ok(self.records_in_region(kind).await?.len())
    }

    /// The account's records of `kind` in this region.
    async fn records_in_region(&self, kind: &str) -> Result<Vec<ServiceResource>, ServiceError> {
        let mut records = self
            .service
            .store
            .service_resources(kind, Some(self.account()))
            .await
            .map_err(internal)?;
        records.retain(|doc| arn_scope(&doc.arn).map(|s| s.0) == Some(self.region()));
        Ok(records)
    }

    /// The account's resources of `kind` in this region, read as `T` (records that do not
    /// read so are left out).
    async fn in_region<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
    ) -> Result<Vec<T>, ServiceError> {
        Ok(self
            .records_in_region(kind)
            .await?
            .iter()
            .filter_map(|doc| serde_json::from_str(&doc.body).ok())
            .collect())
    }

    async fn connection_by_key(&self, name: &str) -> Result<(Connection, u64), ServiceError> {
        let key = dest::connection_key(self.region(), self.account(), name);
        let doc = self
            .service
            .store
            .service_resource(CONNECTION, &key)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("Connection '{name}' does not exist.")))?;
        let c: Connection = serde_json::from_str(&doc.body)
            .map_err(|e| internal(baton_store::Error::backend(e)))?;
        Ok((c, doc.version))
    }

    /// The connection the request's `Name` names, with its version.
    async fn connection_named(&self) -> Result<(Connection, u64), ServiceError> {
        let name = self.resource_name("Name")?;
        self.connection_by_key(name).await
    }

    /// The connection a `ConnectionArn` names: of this account and region, with that UUID.
    async fn connection_of_arn(&self, arn: &str) -> Result<Connection, ServiceError> {
        let Some((region, account, name)) = dest::parse_arn(arn, "connection") else {
            return Err(constraint(arn, "connectionArn", CONNECTION_ARN_PATTERN));
        };
        if region != self.region() || account != self.account() {
            return Err(not_found(format!("Connection '{name}' does not exist.")));
        }
        let (c, _) = self.connection_by_key(name).await?;
        if c.connection_arn != arn {
            return Err(not_found(format!("Connection '{name}' does not exist.")));
        }
        Ok(c)
    }

    async fn create_connection(&self) -> Result<Value, ServiceError> {
        let name = self.resource_name("Name")?;
        let description = self.description()?;
        let Some(kind) = self.authorization_type()? else {
            return Err(constraint(
                "null",
                "authorizationType",
                "Member must not be null",
            ));
        };
        let Some(auth) = self.auth_parameters()? else {
            return Err(constraint(
                "null",
                "authParameters",
                "Member must not be null",
            ));
        };
        check_auth_complete(kind, &auth)?;
        self.refuse_connectivity()?;
        let kms_key_identifier = self.kms_key()?;
        if self.count_in_region(CONNECTION).await? >= dest::CONNECTIONS_PER_REGION {
            return Err(limit_exceeded(&format!(
                "an account has at most {} connections in a region",
                dest::CONNECTIONS_PER_REGION
            )));
        }
        let now = now_secs();
        let arn = dest::connection_arn(
            self.region(),
            self.account(),
            name,
            &uuid::Uuid::new_v4().to_string(),
        );
        // Basic and API key connections are authorized at once; an OAuth one too, its token
        // being fetched when a delivery first needs it (User Guide, "Authorization methods
        // for connections").
        let connection = Connection {
            name: name.to_string(),
            connection_arn: arn.clone(),
            description,
            connection_state: dest::AUTHORIZED.into(),
            authorization_type: kind.to_string(),
            auth_parameters: auth,
            kms_key_identifier,
            creation_time: now,
            last_modified_time: now,
            last_authorized_time: now,
        };
        let key = dest::connection_key(self.region(), self.account(), name);
        let body = serde_json::to_string(&connection).expect("a connection serialises");
        self.write_resource(CONNECTION, &key, body, None, &format!("Connection {name}"))
            .await?;
        Ok(json!({
            "ConnectionArn": arn,
            "ConnectionState": connection.connection_state,
            "CreationTime": now,
            "LastModifiedTime": now,
        }))
    }

    async fn update_connection(&self) -> Result<Value, ServiceError> {
        let (mut c, version) = self.connection_named().await?;
        let description = self.description()?;
        let kind = self.authorization_type()?.map(str::to_string);
        let auth = self.auth_parameters()?;
        self.refuse_connectivity()?;
        let kms = self.kms_key()?;
        let kind = kind.unwrap_or_else(|| c.authorization_type.clone());
        if let Some(new) = auth {
            let others = match kind.as_str() {
                "BASIC" => new.api_key_auth_parameters.is_some() || new.oauth_parameters.is_some(),
                "API_KEY" => new.basic_auth_parameters.is_some() || new.oauth_parameters.is_some(),
                _ => new.basic_auth_parameters.is_some() || new.api_key_auth_parameters.is_some(),
            };
            if others {
                return Err(validation(format!(
                    "AuthParameters may only give the parameters of authorization type {kind}."
                )));
            }
            c.auth_parameters = merge_auth(c.auth_parameters, new, &kind);
        } else {
            c.auth_parameters = merge_auth(c.auth_parameters, AuthParameters::default(), &kind);
        }
        check_auth_complete(&kind, &c.auth_parameters)?;
        c.authorization_type = kind;
        if description.is_some() {
            c.description = description;
        }
        if kms.is_some() {
            c.kms_key_identifier = kms;
        }
        let now = now_secs();
        c.last_modified_time = now;
        c.last_authorized_time = now;
        c.connection_state = dest::AUTHORIZED.into();
        let key = dest::connection_key(self.region(), self.account(), &c.name);
        let body = serde_json::to_string(&c).expect("a connection serialises");
        let what = format!("Connection '{}'", c.name);
        self.write_resource(CONNECTION, &key, body, Some(version), &what)
            .await?;
        Ok(connection_answer(&c, &c.connection_state))
    }

    async fn delete_connection(&self) -> Result<Value, ServiceError> {
        let (c, _) = self.connection_named().await?;
        let key = dest::connection_key(self.region(), self.account(), &c.name);
        let batch = WriteBatch::new().with(Op::DeleteServiceResource {
            kind: CONNECTION.into(),
            arn: key,
        });
        self.service.store.commit(batch).await.map_err(internal)?;
        Ok(connection_answer(&c, "DELETING"))
    }

    /// Removes the connection's authorization parameters (its secrets among them), leaving it
    /// DEAUTHORIZED: deliveries to its API destinations fail until `UpdateConnection` gives
    /// it parameters again (User Guide, "De-authorizing
    /// connections"). The answer says DEAUTHORIZING, as AWS's does while it works.
    async fn deauthorize_connection(&self) -> Result<Value, ServiceError> {
        let (mut c, version) = self.connection_named().await?;
        c.auth_parameters = AuthParameters::default();
        c.connection_state = dest::DEAUTHORIZED.into();
        c.last_modified_time = now_secs();
        let key = dest::connection_key(self.region(), self.account(), &c.name);
        let body = serde_json::to_string(&c).expect("a connection serialises");
        let what = format!("Connection '{}'", c.name);
        self.write_resource(CONNECTION, &key, body, Some(version), &what)
            .await?;
        Ok(connection_answer(&c, "DEAUTHORIZING"))
    }

    async fn list_connections(&self) -> Result<Value, ServiceError> {
        let prefix = self.text("NamePrefix")?.unwrap_or_default();
        let state = self.text("ConnectionState")?;
        if let Some(s) = state {
            if !CONNECTION_STATES.contains(&s) {
                return Err(enum_constraint(s, "connectionState", &CONNECTION_STATES));
            }
        }
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let mut items: Vec<Value> = self
            .in_region::<Connection>(CONNECTION)
            .await?
            .iter()
            .filter(|c| c.name.starts_with(prefix) && state.is_none_or(|s| s == c.connection_state))
            .map(dest::list_connection)
            .collect();
        items.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
        Ok(page(items, "Connections", "Name", after, limit))
    }

    fn http_method(&self) -> Result<Option<&str>, ServiceError> {
        match self.text("HttpMethod")? {
            Some(m) if !API_DESTINATION_METHODS.contains(&m) => {
                Err(enum_constraint(m, "httpMethod", &API_DESTINATION_METHODS))
            }
            m => Ok(m),
        }
    }

    fn invocation_endpoint(&self) -> Result<Option<&str>, ServiceError> {
        match self.text("InvocationEndpoint")? {
            Some(url) => match endpoint_problem(url) {
                Some(rule) => Err(constraint(url, "invocationEndpoint", rule)),
                None => Ok(Some(url)),
            },
            None => Ok(None),
        }
    }

    fn rate_limit(&self) -> Result<Option<u32>, ServiceError> {
        match self.members().number("InvocationRateLimitPerSecond")? {
            None => Ok(None),
            Some(n) if (1..=i64::from(i32::MAX)).contains(&n) => Ok(u32::try_from(n).ok()),
            Some(n) => Err(constraint(
                &n.to_string(),
                "invocationRateLimitPerSecond",
                "Member must have value greater than or equal to 1",
            )),
        }
    }

    async fn api_destination_named(&self) -> Result<(ApiDestination, u64), ServiceError> {
        let name = self.resource_name("Name")?;
        let key = dest::api_destination_key(self.region(), self.account(), name);
        let doc = self
            .service
            .store
            .service_resource(API_DESTINATION, &key)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("An api-destination '{name}' does not exist.")))?;
        let d: ApiDestination = serde_json::from_str(&doc.body)
            .map_err(|e| internal(baton_store::Error::backend(e)))?;
        Ok((d, doc.version))
    }

    async fn create_api_destination(&self) -> Result<Value, ServiceError> {
        let name = self.resource_name("Name")?;
        let description = self.description()?;
        let connection_arn = self.required("ConnectionArn")?;
        let Some(endpoint) = self.invocation_endpoint()? else {
            return Err(constraint(
                "null",
                "invocationEndpoint",
                "Member must not be null",
            ));
        };
        let Some(method) = self.http_method()? else {
            return Err(constraint("null", "httpMethod", "Member must not be null"));
        };
        let rate = self.rate_limit()?.unwrap_or(dest::DEFAULT_RATE);
        // The connection must exist (CreateApiDestination: ResourceNotFoundException).
        let connection = self.connection_of_arn(connection_arn).await?;
        if self.count_in_region(API_DESTINATION).await? >= dest::API_DESTINATIONS_PER_REGION {
            return Err(limit_exceeded(&format!(
                "an account has at most {} API destinations in a region",
                dest::API_DESTINATIONS_PER_REGION
            )));
        }
        let now = now_secs();
        let arn = dest::api_destination_arn(
            self.region(),
            self.account(),
            name,
            &uuid::Uuid::new_v4().to_string(),
        );
        let d = ApiDestination {
            name: name.to_string(),
            api_destination_arn: arn.clone(),
            description,
            api_destination_state: destination_state(&connection),
            connection_arn: connection.connection_arn,
            invocation_endpoint: endpoint.to_string(),
            http_method: method.to_string(),
            invocation_rate_limit_per_second: rate,
            creation_time: now,
            last_modified_time: now,
        };
        let key = dest::api_destination_key(self.region(), self.account(), name);
        let body = serde_json::to_string(&d).expect("an API destination serialises");
        let what = format!("An api-destination '{name}'");
        self.write_resource(API_DESTINATION, &key, body, None, &what)
            .await?;
        Ok(json!({
            "ApiDestinationArn": arn,
            "ApiDestinationState": d.api_destination_state,
            "CreationTime": now,
            "LastModifiedTime": now,
        }))
    }

    async fn update_api_destination(&self) -> Result<Value, ServiceError> {
        let (mut d, version) = self.api_destination_named().await?;
        if let Some(desc) = self.description()? {
            d.description = Some(desc);
        }
        if let Some(url) = self.invocation_endpoint()? {
            d.invocation_endpoint = url.to_string();
        }
        if let Some(m) = self.http_method()? {
            d.http_method = m.to_string();
        }
        if let Some(rate) = self.rate_limit()? {
            d.invocation_rate_limit_per_second = rate;
        }
        let connection_arn = self
            .text("ConnectionArn")?
            .map(str::to_string)
            .unwrap_or_else(|| d.connection_arn.clone());
        let connection = self.connection_of_arn(&connection_arn).await;
        match connection {
            Ok(c) => {
                d.api_destination_state = destination_state(&c);
                d.connection_arn = c.connection_arn;
            }
            // Its own connection gone: the destination stays, inactive, until given another.
            Err(e)
                if e.code == "ResourceNotFoundException"
                    && !self.members().contains("ConnectionArn") =>
            {
                d.api_destination_state = "INACTIVE".into();
            }
            Err(e) => return Err(e),
        }
        d.last_modified_time = now_secs();
        let key = dest::api_destination_key(self.region(), self.account(), &d.name);
        let body = serde_json::to_string(&d).expect("an API destination serialises");
        let what = format!("An api-destination '{}'", d.name);
        self.write_resource(API_DESTINATION, &key, body, Some(version), &what)
            .await?;
        Ok(json!({
            "ApiDestinationArn": d.api_destination_arn,
            "ApiDestinationState": d.api_destination_state,
            "CreationTime": d.creation_time,
            "LastModifiedTime": d.last_modified_time,
        }))
    }

    async fn delete_api_destination(&self) -> Result<Value, ServiceError> {
        let (d, _) = self.api_destination_named().await?;
        let key = dest::api_destination_key(self.region(), self.account(), &d.name);
        let batch = WriteBatch::new().with(Op::DeleteServiceResource {
            kind: API_DESTINATION.into(),
            arn: key,
        });
        self.service.store.commit(batch).await.map_err(internal)?;
        Ok(json!({}))
    }

    async fn list_api_destinations(&self) -> Result<Value, ServiceError> {
        let prefix = self.text("NamePrefix")?.unwrap_or_default();
        let connection = self.text("ConnectionArn")?;
        let limit = self.limit()?;
        let after = self.text("NextToken")?;
        let mut items: Vec<Value> = self
            .in_region::<ApiDestination>(API_DESTINATION)
            .await?
            .iter()
            .filter(|d| {
                d.name.starts_with(prefix) && connection.is_none_or(|c| c == d.connection_arn)
            })
            .map(dest::list_api_destination)
            .collect();
        items.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
        Ok(page(items, "ApiDestinations", "Name", after, limit))
    }
}

/// What UpdateConnection, DeleteConnection and DeauthorizeConnection answer, the connection
/// in `state`.
fn connection_answer(c: &Connection, state: &str) -> Value {
    json!({
        "ConnectionArn": c.connection_arn,
        "ConnectionState": state,
        "CreationTime": c.creation_time,
        "LastModifiedTime": c.last_modified_time,
        "LastAuthorizedTime": c.last_authorized_time,
    })
}

/// An API destination is active while its connection is authorized.
fn destination_state(c: &Connection) -> String {
    if c.connection_state == dest::AUTHORIZED {
        "ACTIVE".into()
    } else {
        "INACTIVE".into()
    }
}

/// A target's `HttpParameters`, as the model takes them (and without headers that frame the
/// request).
fn check_http_parameters(t: &Target) -> Result<(), String> {
    let http = HttpParameters::of(t)?;
    for v in http.path_parameter_values.iter().flatten() {
        if v.trim().is_empty() {
            return Err("HttpParameters.PathParameterValues may not hold a blank value.".into());
        }
    }
    for (k, v) in http.header_parameters.iter().flatten() {
        if k.len() > 512 || !dest::is_token(k) {
            return Err(format!(
                "HttpParameters.HeaderParameters: {k:?} is not a header name."
            ));
        }
        if dest::is_framing_header(k) {
            return Err(format!(
                "HttpParameters.HeaderParameters: the header {k} cannot be set."
            ));
        }
        if !dest::is_header_value(v) {
            return Err(format!(
                "HttpParameters.HeaderParameters: the value of {k} is not a header value."
            ));
        }
    }
    for (k, v) in http.query_string_parameters.iter().flatten() {
        let key_ok = (1..=512).contains(&k.len()) && !k.chars().any(|c| c < ' ' || c == '\u{7f}');
        let value_ok = (1..=512).contains(&v.len())
            && !v
                .chars()
                .any(|c| (c < ' ' && c != '\n' && c != '\r') || c == '\u{7f}');
        if !key_ok || !value_ok {
            return Err(format!(
                "HttpParameters.QueryStringParameters: {k:?} is not a valid query string parameter."
            ));
        }
    }
    Ok(())
}

impl EventsService {
    /// The deliveries `event` makes on `bus`: one for each target of each enabled rule it
    /// matches. `hops` counts the buses the event went through (a bus target puts it on
    /// another).
    fn matched(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        event: &Value,
        rules: &Cached,
        hops: u32,
    ) -> Vec<Delivery> {
        let Some(on_bus) = rules.buses.get(bus) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for compiled in on_bus.candidates(event) {
            let rule = &compiled.rule;
            if arn_scope(&rule.arn).map(|s| s.0) != Some(region) {
                continue;
            }
            let Some(pattern) = &compiled.pattern else {
                continue;
            };
            if !pattern.matches(event) {
                continue;
            }
            for target in &rule.targets {
                let input = crate::transform::target_input(target, event, &rule.name, &rule.arn);
                out.push(Delivery {
                    account: account.to_string(),
                    region: region.to_string(),
                    rule_arn: rule.arn.clone(),
                    target: target.clone(),
                    input,
                    event: event.clone(),
                    hops,
                    attempts: 0,
                    since: 0,
                    name: None,
                    schedule: None,
                    stored: None,
                });
            }
        }
        out
    }

    /// An event of an AWS service (`aws.*` sources, which PutEvents refuses to callers) on
    /// the account's default bus: matched and delivered like a put one. `make` builds it only
    /// when the bus has enabled rules (as far as this node last read them), so a node whose
    /// account has none pays nothing per event.
    pub fn emit(self: &Arc<Self>, account: &str, region: &str, make: impl FnOnce() -> Value) {
        match self.cached(account) {
            Some((c, true)) => {
                if c.buses.contains_key(DEFAULT_BUS) {
                    for d in self.matched(account, region, DEFAULT_BUS, &make(), &c, 0) {
                        self.deliveries.send(d);
                    }
                }
            }
            // Not read within the second (or changed since): read, then match.
            _ => {
                let (me, account, region, event) = (
                    self.clone(),
                    account.to_string(),
                    region.to_string(),
                    make(),
                );
                tokio::spawn(async move {
                    if let Ok(rules) = me.rules_of(&account).await {
                        for d in me.matched(&account, &region, DEFAULT_BUS, &event, &rules, 0) {
                            me.deliveries.send(d);
                        }
                    }
                });
            }
        }
    }

    /// Puts an event on another bus of the account (a bus target): matched against that
    /// bus's rules as they are now, its deliveries written before this returns.
    pub async fn forward(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        event: &Value,
        hops: u32,
    ) -> Result<(), String> {
        let rules = self.rules_of(account).await.map_err(|e| e.message)?;
        let deliveries = self.matched(account, region, bus, event, &rules, hops);
        self.deliveries
            .hand_over(deliveries)
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

/// A page of `items` (sorted by `key`) after the token (the last key of the page before).
fn page(items: Vec<Value>, member: &str, key: &str, after: Option<&str>, limit: usize) -> Value {
    let mut rest = items
        .into_iter()
        .filter(|v| after.is_none_or(|a| v[key].as_str().is_some_and(|k| k > a)));
    let page: Vec<Value> = rest.by_ref().take(limit).collect();
    let mut out = json!({ member: page });
    if rest.next().is_some() {
        if let Some(last) = page.last().and_then(|v| v[key].as_str()) {
            out["NextToken"] = json!(last);
        }
    }
    out
}

fn describe_rule(rule: &Rule) -> Value {
    let mut v = json!({
        "Name": rule.name,
        "Arn": rule.arn,
        "State": rule.state,
        "EventBusName": rule.event_bus_name,
        "CreatedBy": rule.created_by,
    });
    for (k, val) in [
        ("EventPattern", &rule.event_pattern),
        ("ScheduleExpression", &rule.schedule_expression),
        ("Description", &rule.description),
        ("RoleArn", &rule.role_arn),
    ] {
        if let Some(val) = val {
            v[k] = json!(val);
        }
    }
    v
}

/// What the PutEvents quota counts of an entry.
fn entry_size(entry: &Value) -> usize {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).map_or(0, str::len);
    let resources: usize = entry
        .get("Resources")
        .and_then(Value::as_array)
        .map_or(0, |r| {
            r.iter().filter_map(Value::as_str).map(str::len).sum()
        });
    // 14 bytes for a Time, as the guide counts it.
    let time = if entry.get("Time").is_some() { 14 } else { 0 };
    text("Source") + text("DetailType") + text("Detail") + resources + time
}

/// A target's own checks: its id, and an `Input` that must be JSON; at most one way to shape
/// the input (PutTargets: "Input, InputPath, and InputTransformer are mutually exclusive").
fn check_target(t: &Target) -> Result<(), String> {
    if !valid_name(&t.id, 64, false) {
        return Err(format!("Target id {} is not valid.", t.id));
    }
    if arn_scope(&t.arn).is_none() {
        return Err(format!("Parameter {} is not valid.", t.arn));
    }
    let shapes = [
        t.input.is_some(),
        t.input_path.is_some(),
        t.input_transformer.is_some(),
    ];
    if shapes.iter().filter(|s| **s).count() > 1 {
        return Err("Only one of Input, InputPath, or InputTransformer may be given.".into());
    }
    if let Some(input) = &t.input {
        if serde_json::from_str::<Value>(input).is_err() {
            return Err("Input is not valid JSON text.".into());
        }
    }
    check_http_parameters(t)?;
    if let Some(path) = &t.input_path {
        if crate::transform::parse_path(path).is_none() {
            return Err(format!("InputPath {path} is not a valid JSON path."));
        }
    }
    if let Some(tr) = &t.input_transformer {
        let map = tr.input_paths_map.as_ref();
        if map.is_some_and(|m| m.len() > crate::transform::MAX_VARIABLES) {
            return Err("InputPathsMap has more than 100 variables.".into());
        }
        for path in map.into_iter().flat_map(|m| m.values()) {
            if crate::transform::parse_path(path).is_none() {
                return Err(format!("InputPathsMap: {path} is not a valid JSON path."));
            }
        }
    }
    Ok(())
}

/// `rate(<n> <unit>)` or `cron(<six fields>)`, the forms a rule's schedule takes.
/// Rules take `rate()` and `cron()` in UTC (User Guide, "Creating a rule that runs on a
/// schedule"); one-time `at()` is the Scheduler's.
fn valid_schedule(s: &str) -> bool {
    !s.starts_with("at(") && crate::expr::Expression::parse(s, None).is_ok()
}

/// `TestEventPattern`: the event must be a JSON object with the fields the API reference
/// calls mandatory (`id`, `account`, `source`, `time`, `region`, `resources`,
/// `detail-type`).
fn test_event_pattern(input: &Map<String, Value>) -> Result<Value, ServiceError> {
    let text = |k: &str| input.get(k).and_then(Value::as_str);
    let pattern_text = text("EventPattern")
        .ok_or_else(|| constraint("null", "eventPattern", "Member must not be null"))?;
    let event_text =
        text("Event").ok_or_else(|| constraint("null", "event", "Member must not be null"))?;
    let pattern = Pattern::parse(pattern_text)
        .map_err(|e| ServiceError::client("InvalidEventPatternException", e.message()))?;
    let event: Value = match serde_json::from_str(event_text) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Err(validation("Parameter Event is not valid.")),
    };
    for field in [
        "id",
        "account",
        "source",
        "time",
        "region",
        "resources",
        "detail-type",
    ] {
        if event.get(field).is_none() {
            return Err(validation(format!(
                "Parameter Event is not valid. Reason: the event has no \"{field}\"."
            )));
        }
    }
    Ok(json!({ "Result": pattern.matches(&event) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_take_rate_and_cron_forms() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 day)",
            "cron(0 12 * * ? *)",
        ] {
            assert!(valid_schedule(ok), "{ok}");
        }
        for bad in [
            "rate(0 minutes)",
            "rate(1 minutes)",
            "rate(2 minute)",
            "rate(x hours)",
            "cron(0 12 * *)",
            "cron(0 12 * * * *)",
            "at(2030-01-01T00:00:00)",
            "every minute",
        ] {
            assert!(!valid_schedule(bad), "{bad}");
        }
    }

    #[test]
    fn endpoints_are_urls_baton_can_call() {
        for ok in [
            "https://api.example/v1/orders",
            "http://127.0.0.1:8080/hooks/*/items?x=1",
            "https://api.example/a%20b",
        ] {
            assert_eq!(endpoint_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "ftp://api.example/x",
            "https:///x",
            "https://user:pw@api.example/x",
            "https://*.example/x",
            "https://api.example/a b",
            "https://api.example/%zz",
            "https://api.example/<script>",
        ] {
            assert!(endpoint_problem(bad).is_some(), "{bad}");
        }
        assert!(auth_header_ok("user name\twith tab"));
        assert!(!auth_header_ok("a:b"));
        assert!(!auth_header_ok("line\nbreak"));
        assert!(!auth_header_ok(""));
    }

    #[test]
    fn an_update_keeps_what_it_does_not_give() {
        let basic = |u: Option<&str>, p: Option<&str>| AuthParameters {
            basic_auth_parameters: Some(dest::BasicAuth {
                username: u.map(str::to_string),
                password: p.map(str::to_string),
            }),
            ..Default::default()
        };
        let old = basic(Some("user"), Some("old"));
        let merged = merge_auth(old.clone(), basic(None, Some("new")), "BASIC");
        assert_eq!(merged, basic(Some("user"), Some("new")));
        assert!(check_auth_complete("BASIC", &merged).is_ok());
        // Another type drops the old one's parameters, and needs its own.
        let switched = merge_auth(old, AuthParameters::default(), "API_KEY");
        assert_eq!(switched.basic_auth_parameters, None);
        assert!(check_auth_complete("API_KEY", &switched).is_err());
        assert!(check_auth_complete("BASIC", &basic(Some("u"), None)).is_err());
        let both = AuthParameters {
            api_key_auth_parameters: Some(Default::default()),
            ..basic(Some("u"), Some("p"))
        };
        assert!(check_auth_complete("BASIC", &both).is_err());
    }

    #[test]
    fn pages_follow_their_tokens() {
        let items: Vec<Value> = ["a", "b", "c"].iter().map(|n| json!({"Name": n})).collect();
        let first = page(items.clone(), "X", "Name", None, 2);
        assert_eq!(first["X"].as_array().unwrap().len(), 2);
        assert_eq!(first["NextToken"], "b");
        let second = page(items, "X", "Name", Some("b"), 2);
        assert_eq!(second["X"], json!([{"Name": "c"}]));
        assert!(second.get("NextToken").is_none());
    }
}
