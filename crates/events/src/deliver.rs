//! Delivering matched events to their targets: a state machine (StartExecution through the
//! node's own Step Functions), another bus of the account, or an API destination (an HTTP
//! request through the [`crate::destinations::Outbound`] attached at startup, spaced by the
//! destination's rate on this node). Each delivery is retried with
//! exponential back-off while the target's `RetryPolicy` allows (EventBridge's defaults: 185
//! attempts over at most 24 hours; User Guide, "Event retry policy and using dead-letter
//! queues"); errors that a retry cannot mend (the state machine does not exist, the input is
//! refused) end it at once, as EventBridge does not retry them either.
//!
//! **At least once, across restarts and nodes.** The deliveries of a `PutEvents` call (and
//! of a bus target's forwarding) are written to the store, as `events:delivery` service
//! resources, before the call is answered, each leased to the node that wrote it for
//! [`LEASE`]. A delivery's record is deleted once it ended (delivered, or failed for good);
//! a retry renews the lease for its wait. Every node sweeps the store every [`SWEEP_EVERY`]:
//! a delivery whose lease ran out (its node died, or was stopped) is claimed, by replacing
//! its record at the version read so that one node wins, and delivered again. A delivery may
//! so be made twice (the node died after the target took it and before the record was
//! deleted), never lost; and, when a node's own backlog keeps a delivery waiting past its
//! lease, another node may make it too. Baton's own status-change events are best effort,
//! as AWS calls them, and are not written.
//!
//! Deliveries in memory are bounded by their bytes ([`QUEUE_BYTES`], counted until the
//! delivery ends, retries included): PutEvents answers `ThrottlingException` for an entry
//! past it. At most [`IN_FLIGHT`] attempts run at once; a delivery waiting to retry holds no
//! slot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use baton_api::model::StartExecutionInput;
use baton_api::{ApiError, RequestContext, StepFunctions};
use baton_store::{Op, ServiceResource, Store, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};

use crate::api::EventsService;
use crate::destinations::{Invoker, Outbound};
use crate::model::{arn_scope, Target};

/// The kind of the stored deliveries.
pub const DELIVERY: &str = "events:delivery";
/// The most bytes of deliveries waiting, in flight or retrying.
pub const QUEUE_BYTES: u64 = 256 * 1024 * 1024;
/// Attempts in flight at once.
pub const IN_FLIGHT: usize = 256;
/// How long a node owns a stored delivery it wrote or claimed before another may claim it.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often a node looks for deliveries whose lease ran out.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3);
/// A bus target may forward to another bus, but no further: EventBridge delivers an event
/// across one bus-to-bus hop only.
const MAX_HOPS: u32 = 1;
/// Back-off: the first retry after a second, doubling, never more than a minute apart.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(60);
/// EventBridge's default retry policy.
const DEFAULT_ATTEMPTS: u32 = 185;
const DEFAULT_AGE_SECS: u32 = 86_400;
/// Ended deliveries whose records are deleted in one batch, at most.
const DELETE_BATCH: usize = 512;

/// One event for one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub account: String,
    pub region: String,
    pub rule_arn: String,
    pub target: Target,
    /// What the target is given (the event, or its `Input`, `InputPath` or transformation).
    pub input: String,
    /// The event itself (a bus target forwards it whole).
    pub event: Value,
    pub hops: u32,
    /// Attempts made so far (by any node).
    #[serde(default)]
    pub attempts: u32,
    /// When it was first handed over (ms since the epoch): its age bounds its retries.
    #[serde(default)]
    pub since: i64,
    /// The execution's name when the target is a state machine: a delivery made again then
    /// finds the execution it started (StartExecution is idempotent for a name and input, and
    /// `ExecutionAlreadyExists` for the name says it was started). `None`: a fresh name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What EventBridge Scheduler's context keywords stand for, for a schedule's invocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleContext>,
    /// Its record in the store and that record's version; `None` for a best-effort one.
    #[serde(skip)]
    pub stored: Option<(String, u64)>,
}

/// A schedule's invocation: what `<aws.scheduler.schedule-arn>`,
/// `<aws.scheduler.scheduled-time>`, `<aws.scheduler.execution-id>` and
/// `<aws.scheduler.attempt-number>` in its input are replaced with (EventBridge Scheduler User
/// Guide, "Adding context attributes"), the attempt number being counted at each attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScheduleContext {
    pub schedule_arn: String,
    /// `2022-03-22T18:59:43Z`.
    pub scheduled_time: String,
    pub execution_id: String,
}

impl ScheduleContext {
    /// `input` with the context keywords replaced, for attempt `attempt` (from 1).
    pub fn fill(&self, input: &str, attempt: u32) -> String {
        if !input.contains("<aws.scheduler.") {
            return input.to_string();
        }
        input
            .replace("<aws.scheduler.schedule-arn>", &self.schedule_arn)
            .replace("<aws.scheduler.scheduled-time>", &self.scheduled_time)
            .replace("<aws.scheduler.execution-id>", &self.execution_id)
            .replace("<aws.scheduler.attempt-number>", &attempt.to_string())
    }
}

impl Delivery {
    /// What it holds in memory, near enough to bound the queue by.
    fn weight(&self) -> u64 {
        // The input, the event (about as large as an input that is the whole event) and
        // the names around them.
        (self.input.len() * 2 + self.rule_arn.len() + self.target.arn.len() + 512) as u64
    }
}

/// A delivery's record: the delivery, and who holds it until when.
#[derive(Serialize, Deserialize)]
struct Record {
    delivery: Delivery,
    node: String,
    lease_until: i64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Why deliveries were not taken.
#[derive(Debug)]
pub enum Refused {
    /// [`QUEUE_BYTES`] are pending already.
    Full,
    /// The store did not take their records.
    Store(baton_store::Error),
}

/// Where matched events are handed over. Cheap to clone.
#[derive(Clone)]
pub struct Deliveries {
    queue: mpsc::UnboundedSender<Delivery>,
    ended: mpsc::UnboundedSender<String>,
    store: Arc<dyn Store>,
    /// This process, as the holder of the leases it takes.
    node: Arc<str>,
    figures: Arc<Figures>,
    /// What calls API destinations, with their tokens and rates.
    api: Arc<Invoker>,
    /// What calls the targets the node's Task integrations serve (attached at startup).
    tasks: Arc<std::sync::OnceLock<Arc<dyn TaskTargets>>>,
}

/// The targets a node's Task integrations serve, called as a Task state would call them: a
/// Lambda function (its ARN as the resource, the input as the event), an SQS queue
/// (`sqs:sendMessage`), an SNS topic (`sns:publish`), and EventBridge Scheduler's universal
/// targets (`aws-sdk:<service>:<action>`). The error, when it fails, is the Task's
/// (`error`, `cause`).
#[async_trait::async_trait]
pub trait TaskTargets: Send + Sync {
    async fn call(
        &self,
        account: &str,
        region: &str,
        resource: &str,
        input: Value,
    ) -> Result<(), (String, String)>;
}

/// What deliveries did, since the node started.
#[derive(Default, Debug)]
pub struct Figures {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub dropped: AtomicU64,
    /// Deliveries of a node whose lease ran out, claimed here.
    pub claimed: AtomicU64,
    /// Bytes of deliveries not yet ended.
    pub pending_bytes: AtomicU64,
}

/// What [`start`] serves.
pub struct Queues {
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    ended: mpsc::UnboundedReceiver<String>,
}

impl Deliveries {
    /// A queue over `store` and what serves it: pass the [`Queues`] to [`start`].
    pub fn new(store: Arc<dyn Store>) -> (Deliveries, Queues) {
        // Unbounded as channels; bounded by the bytes let in.
        let (queue, deliveries) = mpsc::unbounded_channel();
        let (ended, ended_rx) = mpsc::unbounded_channel();
        (
            Deliveries {
                queue,
                ended,
                store,
                node: uuid::Uuid::new_v4().to_string().into(),
                figures: Arc::new(Figures::default()),
                api: Arc::new(Invoker::default()),
                tasks: Default::default(),
            },
            Queues {
                deliveries,
                ended: ended_rx,
            },
        )
    }

    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    /// Gives API destination targets the HTTP client that makes their requests, and decides
    /// what they may reach. Until one is attached (the first call wins), a delivery to an API
    /// destination fails at once, saying so.
    pub fn attach_outbound(&self, outbound: Arc<dyn Outbound>) {
        self.api.attach(outbound);
    }

    /// Gives Lambda, SQS, SNS and universal targets the node's Task integrations (the first
    /// call wins); until then they fail, saying so.
    pub fn attach_tasks(&self, tasks: Arc<dyn TaskTargets>) {
        let _ = self.tasks.set(tasks);
    }

    /// Counts `weight` bytes in, unless that goes past [`QUEUE_BYTES`].
    fn admit(&self, weight: u64) -> bool {
        let pending = &self.figures.pending_bytes;
        if pending.fetch_add(weight, Ordering::Relaxed) + weight > QUEUE_BYTES {
            pending.fetch_sub(weight, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Hands over one delivery, best effort (not written to the store); false (counted)
    /// when [`QUEUE_BYTES`] are pending already.
    pub fn send(&self, mut delivery: Delivery) -> bool {
        delivery.since = now_ms();
        if !self.admit(delivery.weight()) {
            self.figures.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.enqueue(delivery);
        true
    }

    /// Queues a delivery whose bytes are counted already.
    fn enqueue(&self, delivery: Delivery) {
        let weight = delivery.weight();
        if self.queue.send(delivery).is_err() {
            self.figures
                .pending_bytes
                .fetch_sub(weight, Ordering::Relaxed);
        }
    }

    /// Writes the deliveries' records in one batch, then hands them over: once this returns
    /// `Ok`, each is made at least once whatever happens to this node.
    pub async fn hand_over(&self, deliveries: Vec<Delivery>) -> Result<(), Refused> {
        if deliveries.is_empty() {
            return Ok(());
        }
        self.hand_over_with(deliveries, WriteBatch::new()).await
    }

    /// [`Deliveries::hand_over`], the deliveries' records committed in one transaction with
    /// `with`: if any of its operations is refused (a version that moved on), none of the
    /// deliveries is written or made. So a schedule's tick and its invocation are one write.
    pub async fn hand_over_with(
        &self,
        deliveries: Vec<Delivery>,
        with: WriteBatch,
    ) -> Result<(), Refused> {
        let weight: u64 = deliveries.iter().map(Delivery::weight).sum();
        if !self.admit(weight) {
            self.figures
                .dropped
                .fetch_add(deliveries.len() as u64, Ordering::Relaxed);
            return Err(Refused::Full);
        }
        let since = now_ms();
        let mut batch = with;
        let mut stored = Vec::with_capacity(deliveries.len());
        for mut d in deliveries {
            d.since = since;
            let arn = format!(
                "arn:aws:events:{}:{}:delivery/{}",
                d.region,
                d.account,
                uuid::Uuid::new_v4()
            );
            let record = Record {
                delivery: d,
                node: self.node.to_string(),
                lease_until: since + LEASE.as_millis() as i64,
            };
            batch.push(Op::PutServiceResource {
                resource: ServiceResource {
                    kind: DELIVERY.into(),
                    arn: arn.clone(),
                    account: record.delivery.account.clone(),
                    body: serde_json::to_string(&record).expect("a delivery serialises"),
                    version: 1,
                },
                expected: None,
            });
            let mut d = record.delivery;
            d.stored = Some((arn, 1));
            stored.push(d);
        }
        if let Err(e) = self.store.commit(batch).await {
            self.figures
                .pending_bytes
                .fetch_sub(weight, Ordering::Relaxed);
            return Err(Refused::Store(e));
        }
        for d in stored {
            self.enqueue(d);
        }
        Ok(())
    }

    /// Replaces a stored delivery's record, held by this node until `lease_until`; false
    /// when another node holds it now (or it is gone).
    async fn lease(&self, d: &mut Delivery, lease_until: i64) -> bool {
        let Some((arn, version)) = d.stored.clone() else {
            return true;
        };
        let mut plain = d.clone();
        plain.stored = None;
        let record = Record {
            delivery: plain,
            node: self.node.to_string(),
            lease_until,
        };
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: ServiceResource {
                kind: DELIVERY.into(),
                arn: arn.clone(),
                account: d.account.clone(),
                body: serde_json::to_string(&record).expect("a delivery serialises"),
                version: version + 1,
            },
            expected: Some(version),
        });
        match self.store.commit(batch).await {
            Ok(()) => {
                d.stored = Some((arn, version + 1));
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "a delivery's lease was not renewed");
                false
            }
        }
    }

    /// Claims the stored deliveries whose lease ran out and hands them over here.
    async fn sweep(&self) -> Result<(), baton_store::Error> {
        let now = now_ms();
        for resource in self.store.service_resources(DELIVERY, None).await? {
            let Ok(record) = serde_json::from_str::<Record>(&resource.body) else {
                continue;
            };
            // Its own are in its memory still, waiting or being made: only a node that
            // died (a new process is a new node) leaves its deliveries to others.
            if record.lease_until >= now || *record.node == *self.node {
                continue;
            }
            let mut d = record.delivery;
            if !self.admit(d.weight()) {
                return Ok(());
            }
            d.stored = Some((resource.arn, resource.version));
            if self.lease(&mut d, now + LEASE.as_millis() as i64).await {
                self.figures.claimed.fetch_add(1, Ordering::Relaxed);
                self.enqueue(d);
            } else {
                self.figures
                    .pending_bytes
                    .fetch_sub(d.weight(), Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

/// Serves the queues on the current Tokio runtime, for as long as it runs: the deliveries,
/// the deletion of ended ones' records, and the sweep for deliveries whose lease ran out (at
/// once, then every [`SWEEP_EVERY`]).
pub fn start(
    queues: Queues,
    deliveries: &Deliveries,
    states: Arc<dyn StepFunctions>,
    events: Weak<EventsService>,
) {
    let Queues {
        deliveries: mut receiver,
        ended,
    } = queues;
    let own = deliveries.clone();
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        while let Some(delivery) = receiver.recv().await {
            let (states, events, own) = (states.clone(), events.clone(), own.clone());
            let slots = slots.clone();
            tokio::spawn(async move {
                let weight = delivery.weight();
                deliver(delivery, &*states, &events, &own, &slots).await;
                own.figures
                    .pending_bytes
                    .fetch_sub(weight, Ordering::Relaxed);
            });
        }
    });
    tokio::spawn(delete_ended(ended, deliveries.store.clone()));
    let own = deliveries.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = own.sweep().await {
                tracing::warn!(error = %e, "could not look for deliveries to take over");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });
}

/// Deletes the records of ended deliveries, in batches.
async fn delete_ended(mut ended: mpsc::UnboundedReceiver<String>, store: Arc<dyn Store>) {
    while let Some(first) = ended.recv().await {
        let mut arns = vec![first];
        while arns.len() < DELETE_BATCH {
            match ended.try_recv() {
                Ok(arn) => arns.push(arn),
                Err(_) => break,
            }
        }
        let batch: WriteBatch = arns
            .iter()
            .map(|arn| Op::DeleteServiceResource {
                kind: DELIVERY.into(),
                arn: arn.clone(),
            })
            .collect();
        if let Err(e) = store.commit(batch).await {
            // Left in the store: once their lease runs out a node delivers them again,
            // which at-least-once allows.
            tracing::warn!(error = %e, "could not delete ended deliveries");
        }
    }
}

/// Why an attempt failed: whether to try again, and what to say.
pub(crate) enum Failure {
    Retry(String),
    /// To be tried again, not before the wait (an endpoint's `Retry-After`).
    RetryAfter(String, Duration),
    Final(String),
}

async fn deliver(
    mut d: Delivery,
    states: &dyn StepFunctions,
    events: &Weak<EventsService>,
    own: &Deliveries,
    slots: &Semaphore,
) {
    let figures = &own.figures;
    let policy = d.target.retry_policy.unwrap_or(crate::model::RetryPolicy {
        maximum_retry_attempts: None,
        maximum_event_age_in_seconds: None,
    });
    let attempts = policy.maximum_retry_attempts.unwrap_or(DEFAULT_ATTEMPTS);
    let max_age_ms = i64::from(
        policy
            .maximum_event_age_in_seconds
            .unwrap_or(DEFAULT_AGE_SECS),
    ) * 1000;
    loop {
        let outcome = if crate::destinations::is_api_destination(&d.target.arn) {
            match api_attempt(&mut d, own, slots).await {
                Some(outcome) => outcome,
                // Another node claimed it while it waited for its turn: it delivers.
                None => return,
            }
        } else {
            let Ok(_slot) = slots.acquire().await else {
                return;
            };
            attempt(&d, states, events, own.tasks.get()).await
        };
        d.attempts += 1;
        let retries = d.attempts - 1;
        let backoff = FIRST_RETRY
            .saturating_mul(1 << retries.min(6))
            .min(LONGEST_RETRY);
        let (outcome, wait) = match outcome {
            // The longer of the two waits (User Guide, "API destinations": "EventBridge chooses
            // the more conservative value between the defined retry policy and the
            // Retry-After header").
            Err(Failure::RetryAfter(why, after)) => (Err(Failure::Retry(why)), backoff.max(after)),
            other => (other, backoff),
        };
        let why = match outcome {
            Ok(()) => {
                figures.delivered.fetch_add(1, Ordering::Relaxed);
                end(own, &d);
                return;
            }
            Err(Failure::Final(why)) => (why, None),
            Err(Failure::Retry(why))
                if retries < attempts
                    && now_ms().saturating_add(wait.as_millis() as i64) - d.since <= max_age_ms =>
            {
                tracing::debug!(target_arn = %d.target.arn, %why, "delivery retried");
                figures.retried.fetch_add(1, Ordering::Relaxed);
                let until = now_ms() + (wait + LEASE).as_millis() as i64;
                if !own.lease(&mut d, until).await {
                    // Another node claimed it (this one was thought gone): it delivers.
                    return;
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(Failure::Retry(why) | Failure::RetryAfter(why, _)) => {
                let exhausted = if retries >= attempts {
                    "MaximumRetryAttempts"
                } else {
                    "MaximumEventAgeInSeconds"
                };
                (why, Some(exhausted))
            }
        };
        let (why, condition) = why;
        figures.failed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            rule = %d.rule_arn,
            target_arn = %d.target.arn,
            %why,
            "an event could not be delivered"
        );
        dead_letter(own, &d, &why, condition).await;
        end(own, &d);
        return;
    }
}

/// Sends a delivery that failed for good to its target's dead-letter queue, if it has one: the
/// event (a schedule's: the target's input) as the message body, and why in its attributes
/// (EventBridge User Guide, "Using dead-letter queues": `RULE_ARN`, `TARGET_ARN`,
/// `ERROR_CODE`, `ERROR_MESSAGE`, `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`; the Scheduler
/// names the schedule `SCHEDULE_ARN`). Through the Task integrations' `sqs:sendMessage`, as
/// `[aws]` allows; a queue that cannot be reached is logged, and the event is dropped.
async fn dead_letter(own: &Deliveries, d: &Delivery, why: &str, condition: Option<&str>) {
    let Some(queue) = d
        .target
        .dead_letter_config
        .as_ref()
        .and_then(|c| c.get("Arn"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let Some(parts) = baton_api::arn::parts(queue).filter(|p| p.service == "sqs") else {
        return;
    };
    let Some(tasks) = own.tasks.get() else {
        tracing::warn!(queue, "no Task integrations to reach a dead-letter queue");
        return;
    };
    let (code, message) = why.split_once(": ").unwrap_or(("Error", why));
    let text = |v: &str| serde_json::json!({"DataType": "String", "StringValue": v});
    let source = if d.schedule.is_some() {
        "SCHEDULE_ARN"
    } else {
        "RULE_ARN"
    };
    let body = match &d.schedule {
        Some(schedule) => schedule.fill(&d.input, d.attempts),
        None if !d.event.is_null() => d.event.to_string(),
        None => d.input.clone(),
    };
    let mut params = serde_json::json!({
        "QueueUrl": format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            parts.region, parts.account, parts.resource
        ),
        "MessageBody": body,
        "MessageAttributes": {
            source: text(&d.rule_arn),
            "TARGET_ARN": text(&d.target.arn),
            "ERROR_CODE": text(code),
            "ERROR_MESSAGE": text(message),
            "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": d.attempts.saturating_sub(1).to_string()},
        },
    });
    // Only a delivery whose retries ran out says which bound it reached; one a retry could
    // not mend (a target that does not exist) was never retried.
    if let Some(condition) = condition {
        params["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"] = text(condition);
    }
    if let Err((error, cause)) = tasks
        .call(
            &d.account,
            &d.region,
            "arn:aws:states:::sqs:sendMessage",
            params,
        )
        .await
    {
        tracing::warn!(queue, %error, %cause, "an event could not be sent to its dead-letter queue");
    }
}

/// A delivery ended: its record goes.
fn end(own: &Deliveries, d: &Delivery) {
    if let Some((arn, _)) = &d.stored {
        let _ = own.ended.send(arn.clone());
    }
}

/// What the target is given at this attempt: the input, with a schedule's context keywords
/// filled.
fn input_of(d: &Delivery) -> std::borrow::Cow<'_, str> {
    match &d.schedule {
        Some(schedule) => schedule.fill(&d.input, d.attempts + 1).into(),
        None => d.input.as_str().into(),
    }
}

/// One attempt at an API destination: the destination and its connection read, its turn
/// taken (the delivery's lease renewed for a long wait, so that no other node makes it
/// meanwhile; `None` when another node holds it now), then the request made in an
/// in-flight slot.
async fn api_attempt(
    d: &mut Delivery,
    own: &Deliveries,
    slots: &Semaphore,
) -> Option<Result<(), Failure>> {
    let resolved = match own
        .api
        .resolve(&*own.store, &d.target.arn, &d.account)
        .await
    {
        Ok(r) => r,
        Err(e) => return Some(Err(e)),
    };
    let wait = own.api.reserve(&resolved.destination);
    if wait > LEASE / 2 {
        let until = now_ms() + (wait + LEASE).as_millis() as i64;
        if !own.lease(d, until).await {
            return None;
        }
    }
    tokio::time::sleep(wait).await;
    let Ok(_slot) = slots.acquire().await else {
        return Some(Err(Failure::Final("the node is stopping".into())));
    };
    let input = input_of(d);
    Some(
        own.api
            .invoke(&*own.store, &resolved, &d.target, &input)
            .await,
    )
}

async fn attempt(
    d: &Delivery,
    states: &dyn StepFunctions,
    events: &Weak<EventsService>,
    tasks: Option<&Arc<dyn TaskTargets>>,
) -> Result<(), Failure> {
    let arn = d.target.arn.as_str();
    if let Some((resource, input)) = task_call(d, &input_of(d)) {
        let Some(tasks) = tasks else {
            return Err(Failure::Final(format!(
                "{arn}: this node has no Task integrations attached"
            )));
        };
        return tasks
            .call(&d.account, &d.region, &resource, input)
            .await
            .map_err(|(error, cause)| {
                if retryable(&error) {
                    Failure::Retry(format!("{error}: {cause}"))
                } else {
                    Failure::Final(format!("{error}: {cause}"))
                }
            });
    }
    let Some((region, account)) = arn_scope(arn) else {
        return Err(Failure::Final(format!("{arn} is not an ARN")));
    };
    // A rule acts in its own account only (PutTargets refuses others; a record from the
    // store is checked again).
    if account != d.account {
        return Err(Failure::Final(format!(
            "{arn} is not in the rule's account {}",
            d.account
        )));
    }
    let filled = input_of(d);
    let input = filled.as_ref();
    if arn.starts_with("arn:aws:states:") && arn.contains(":stateMachine:") {
        let ctx = RequestContext {
            account_id: account.to_string(),
            region: region.to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
            trace_header: None,
        };
        let input = StartExecutionInput {
            state_machine_arn: arn.to_string(),
            input: Some(input.to_string()),
            name: d.name.clone(),
            ..Default::default()
        };
        return match states.start_execution(&ctx, input).await {
            Ok(_) => Ok(()),
            // Started by an earlier attempt of this delivery (its name is the delivery's own).
            Err(ApiError::ExecutionAlreadyExists { .. }) if d.name.is_some() => Ok(()),
            Err(e)
                if e.is_server_error() || matches!(e, ApiError::ExecutionLimitExceeded { .. }) =>
            {
                Err(Failure::Retry(e.to_string()))
            }
            Err(e) => Err(Failure::Final(format!("{}: {e}", e.code()))),
        };
    }
    if let Some((_, bus)) = arn
        .strip_prefix("arn:aws:events:")
        .and_then(|a| a.split_once(":event-bus/"))
    {
        if d.hops >= MAX_HOPS {
            return Err(Failure::Final(
                "an event is forwarded across one bus at most".into(),
            ));
        }
        if region != d.region {
            return Err(Failure::Final(
                "buses of other regions are not served here".into(),
            ));
        }
        let Some(service) = events.upgrade() else {
            return Err(Failure::Final("the node is stopping".into()));
        };
        return service
            .forward(&d.account, &d.region, bus, &d.event, d.hops + 1)
            .await
            .map_err(Failure::Retry);
    }
    Err(Failure::Final(format!(
        "targets like {arn} are not served: Baton delivers to state machines, buses, API \
         destinations, Lambda functions, SQS queues, SNS topics and the Scheduler's universal \
         targets"
    )))
}

/// The Task a target is served by, and its parameters: a Lambda function is invoked with the
/// input as its event (EventBridge invokes it asynchronously: "Lambda function" targets); an
/// SQS queue is sent the input as the message body (with `SqsParameters.MessageGroupId` for a
/// FIFO queue); an SNS topic is published the input; a Scheduler universal target
/// (`arn:aws:scheduler:::aws-sdk:<service>:<action>`, Scheduler User Guide, "Using universal
/// targets") calls the API with the input as its parameters. `None` for other targets. A
/// target in another account than the rule's is none of these (the caller refuses it).
fn task_call(d: &Delivery, input: &str) -> Option<(String, Value)> {
    let arn = d.target.arn.as_str();
    if let Some(api) = arn.strip_prefix("arn:aws:scheduler:::aws-sdk:") {
        let params = serde_json::from_str::<Value>(input)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        return Some((format!("arn:aws:states:::aws-sdk:{api}"), params));
    }
    let parts = baton_api::arn::parts(arn)?;
    if parts.account != d.account {
        return None;
    }
    let as_json =
        || serde_json::from_str::<Value>(input).unwrap_or_else(|_| Value::String(input.into()));
    match parts.service {
        "lambda" if arn.contains(":function:") => Some((arn.to_string(), as_json())),
        "sqs" => {
            let name = arn.rsplit(':').next()?;
            let mut params = serde_json::json!({
                "QueueUrl": format!(
                    "https://sqs.{}.amazonaws.com/{}/{name}",
                    parts.region, parts.account
                ),
                "MessageBody": input,
            });
            if let Some(group) = d
                .target
                .other
                .get("SqsParameters")
                .and_then(|p| p.get("MessageGroupId"))
            {
                params["MessageGroupId"] = group.clone();
            }
            Some(("arn:aws:states:::sqs:sendMessage".into(), params))
        }
        "sns" => Some((
            "arn:aws:states:::sns:publish".into(),
            serde_json::json!({"TopicArn": arn, "Message": input}),
        )),
        _ => None,
    }
}

/// Whether a Task's error may pass if tried again: the service was busy, throttled or
/// unreachable (EventBridge retries "throttling" and "service unavailable" errors, User Guide,
/// "Event retry policy"); a function's own error or a refused request is final.
fn retryable(error: &str) -> bool {
    [
        "Throttl",
        "TooManyRequests",
        "ServiceUnavailable",
        "ServiceException",
        "InternalServerError",
        "InternalError",
        "States.Timeout",
        "SdkClientException",
    ]
    .iter()
    .any(|needle| error.contains(needle))
}
