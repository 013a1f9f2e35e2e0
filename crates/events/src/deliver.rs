//! Delivering matched events to their targets: a state machine (StartExecution through the
//! node's own Step Functions) or another bus of the account. Each delivery is retried with
//! exponential back-off while the target's `RetryPolicy` allows (EventBridge's defaults: 185
//! attempts over at most 24 hours; User Guide, "Event retry policy and using dead-letter
//! queues"); errors that a retry cannot mend (the state machine does not exist, the input is
//! refused) end it at once, as EventBridge does not retry them either.
//!
//! Deliveries wait in memory, bounded by their bytes ([`QUEUE_BYTES`], counted from the hand
//! over until the delivery ends, retries included): PutEvents answers `ThrottlingException`
//! for an entry past it. At most [`IN_FLIGHT`] attempts run at once; a delivery waiting to
//! retry holds no slot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use baton_api::model::StartExecutionInput;
use baton_api::{ApiError, RequestContext, StepFunctions};
use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};

use crate::api::EventsService;
use crate::model::{arn_scope, Target};

/// The most bytes of deliveries waiting, in flight or retrying.
pub const QUEUE_BYTES: u64 = 256 * 1024 * 1024;
/// Attempts in flight at once.
pub const IN_FLIGHT: usize = 256;
/// A bus target may forward to another bus, but no further: EventBridge delivers an event
/// across one bus-to-bus hop only.
const MAX_HOPS: u32 = 1;
/// Back-off: the first retry after a second, doubling, never more than a minute apart.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(60);
/// EventBridge's default retry policy.
const DEFAULT_ATTEMPTS: u32 = 185;
const DEFAULT_AGE_SECS: u32 = 86_400;

/// One event for one target.
#[derive(Debug, Clone)]
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
}

impl Delivery {
    /// What it holds in memory, near enough to bound the queue by.
    fn weight(&self) -> u64 {
        // The input, the event (about as large as an input that is the whole event) and
        // the names around them.
        (self.input.len() * 2 + self.rule_arn.len() + self.target.arn.len() + 512) as u64
    }
}

/// Where matched events are handed over. Cheap to clone.
#[derive(Clone)]
pub struct Deliveries {
    queue: mpsc::UnboundedSender<Delivery>,
    figures: Arc<Figures>,
}

/// What deliveries did, since the node started.
#[derive(Default, Debug)]
pub struct Figures {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub dropped: AtomicU64,
    /// Bytes of deliveries not yet ended.
    pub pending_bytes: AtomicU64,
}

impl Deliveries {
    /// A queue and what serves it: pass the receiver to [`start`].
    pub fn new() -> (Deliveries, mpsc::UnboundedReceiver<Delivery>) {
        // Unbounded as a channel; bounded by the bytes `send` lets in.
        let (queue, receiver) = mpsc::unbounded_channel();
        (
            Deliveries {
                queue,
                figures: Arc::new(Figures::default()),
            },
            receiver,
        )
    }

    /// Hands a delivery over; false (counted) when [`QUEUE_BYTES`] are pending already.
    pub fn send(&self, delivery: Delivery) -> bool {
        let weight = delivery.weight();
        let pending = &self.figures.pending_bytes;
        if pending.fetch_add(weight, Ordering::Relaxed) + weight > QUEUE_BYTES {
            pending.fetch_sub(weight, Ordering::Relaxed);
            self.figures.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        if self.queue.send(delivery).is_err() {
            pending.fetch_sub(weight, Ordering::Relaxed);
            self.figures.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    pub fn figures(&self) -> &Figures {
        &self.figures
    }
}

/// Serves the queue on the current Tokio runtime until every [`Deliveries`] is dropped.
pub fn start(
    mut receiver: mpsc::UnboundedReceiver<Delivery>,
    deliveries: &Deliveries,
    states: Arc<dyn StepFunctions>,
    events: Weak<EventsService>,
) {
    let figures = deliveries.figures.clone();
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        while let Some(delivery) = receiver.recv().await {
            let (states, events, figures) = (states.clone(), events.clone(), figures.clone());
            let slots = slots.clone();
            tokio::spawn(async move {
                let weight = delivery.weight();
                deliver(delivery, &*states, &events, &figures, &slots).await;
                figures.pending_bytes.fetch_sub(weight, Ordering::Relaxed);
            });
        }
    });
}

/// Why an attempt failed: whether to try again, and what to say.
enum Failure {
    Retry(String),
    Final(String),
}

async fn deliver(
    d: Delivery,
    states: &dyn StepFunctions,
    events: &Weak<EventsService>,
    figures: &Figures,
    slots: &Semaphore,
) {
    let policy = d.target.retry_policy.unwrap_or(crate::model::RetryPolicy {
        maximum_retry_attempts: None,
        maximum_event_age_in_seconds: None,
    });
    let attempts = policy.maximum_retry_attempts.unwrap_or(DEFAULT_ATTEMPTS);
    let max_age = Duration::from_secs(u64::from(
        policy
            .maximum_event_age_in_seconds
            .unwrap_or(DEFAULT_AGE_SECS),
    ));
    let began = Instant::now();
    let mut wait = FIRST_RETRY;
    let mut retries = 0;
    loop {
        let outcome = {
            let Ok(_slot) = slots.acquire().await else {
                return;
            };
            attempt(&d, states, events).await
        };
        let why = match outcome {
            Ok(()) => {
                figures.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(Failure::Final(why)) => why,
            Err(Failure::Retry(why)) if retries < attempts && began.elapsed() + wait <= max_age => {
                tracing::debug!(target_arn = %d.target.arn, %why, "delivery retried");
                figures.retried.fetch_add(1, Ordering::Relaxed);
                retries += 1;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(LONGEST_RETRY);
                continue;
            }
            Err(Failure::Retry(why)) => why,
        };
        figures.failed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            rule = %d.rule_arn,
            target_arn = %d.target.arn,
            %why,
            "an event could not be delivered"
        );
        return;
    }
}

async fn attempt(
    d: &Delivery,
    states: &dyn StepFunctions,
    events: &Weak<EventsService>,
) -> Result<(), Failure> {
    let arn = d.target.arn.as_str();
    let Some((region, account)) = arn_scope(arn) else {
        return Err(Failure::Final(format!("{arn} is not an ARN")));
    };
    if arn.starts_with("arn:aws:states:") && arn.contains(":stateMachine:") {
        let ctx = RequestContext {
            account_id: account.to_string(),
            region: region.to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
            trace_header: None,
        };
        let input = StartExecutionInput {
            state_machine_arn: arn.to_string(),
            input: Some(d.input.clone()),
            ..Default::default()
        };
        return match states.start_execution(&ctx, input).await {
            Ok(_) => Ok(()),
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
        if account != d.account || region != d.region {
            return Err(Failure::Final(
                "buses of other accounts or regions are not served here".into(),
            ));
        }
        let Some(service) = events.upgrade() else {
            return Err(Failure::Final("the node is stopping".into()));
        };
        service
            .forward(&d.account, &d.region, bus, &d.event, d.hops + 1)
            .await;
        return Ok(());
    }
    Err(Failure::Final(format!(
        "targets like {arn} are not served: Baton delivers to state machines and buses"
    )))
}
