//! Firing schedules: each tick once, across restarts and nodes.
//!
//! A schedule's record holds its next tick ([`Ticks`]). Every node runs a [`Ticker`]: it reads
//! the schedules (every [`REFRESH`], and at once when this node's API changed one), sleeps
//! until the soonest tick is due, and then **claims** it: one transaction replaces the
//! schedule's record at the version it read, with the next tick moved on, and writes the
//! tick's invocation as an EventBridge delivery record ([`baton_events::Deliveries`]). A node
//! that read an older version is refused, so a tick is claimed by one node only, once; the
//! delivery record is then made at least once, by this node or, if it dies, by another that
//! claims its lease. A state machine target is started under a name made from the schedule and
//! the tick, so a delivery made twice starts one execution: StartExecution answers the first
//! one's ARN, or `ExecutionAlreadyExists`, which the delivery takes as done.
//!
//! **Ticks missed** while no node ran (or while a node's claim waited) are fired when a node
//! comes to them, oldest first, as EventBridge Scheduler keeps retrying an invocation until
//! the target's `RetryPolicy.MaximumEventAgeInSeconds` (24 hours by default) runs out
//! (Scheduler User Guide, "Configuring a retry policy"): a tick older than that when it is
//! reached is let go, and counted in the schedule's record. At most [`CATCH_UP`] ticks go out
//! in one claim.
//!
//! A `FLEXIBLE` time window spreads a tick over the window ("EventBridge Scheduler invokes the
//! target within the time window"): the tick is due at an offset within it that every node
//! derives alike from the schedule and the tick.
//!
//! The scheduler's [`Clock`] may run faster than the wall clock (`--schedule-time-scale`), so
//! that tests see a `rate(1 minute)` schedule tick in a fraction of a second; ticks, dates and
//! the scheduled time given to targets are then read on that clock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_events::deliver::Refused;
use baton_events::model::{arn_scope, RetryPolicy, Target};
use baton_events::{Deliveries, Delivery, ScheduleContext};
use baton_store::{Error as StoreError, Op, ServiceResource, Store, WriteBatch};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::expr::Expression;
use crate::model::{Schedule, SCHEDULE};

/// Where a scaled clock's origin is kept.
const CLOCK: &str = "scheduler:clock";
const CLOCK_ARN: &str = "arn:aws:scheduler:::clock";
/// How often a node reads every schedule, for those another node made or changed.
pub const REFRESH: Duration = Duration::from_secs(2);
/// The most ticks one claim fires: a day of a once-a-minute schedule, the most that fit in
/// the longest `MaximumEventAgeInSeconds` (86,400 s) at the shortest rate (a minute).
pub const CATCH_UP: usize = 1440;
/// Ticks' lateness kept for [`Ticker::lateness`].
const LATENESS_KEPT: usize = 100_000;
/// Schedules claimed at once in a round.
const CLAIMS_AT_ONCE: usize = 64;
/// EventBridge Scheduler's default `MaximumEventAgeInSeconds`.
const DEFAULT_AGE_SECS: i64 = 86_400;

/// The scheduler's time, in milliseconds since the epoch: the wall clock, or one that runs
/// `1 / scale` times as fast from when it was made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    scale: f64,
    origin: i64,
}

impl Clock {
    pub fn real() -> Clock {
        Clock {
            scale: 1.0,
            origin: 0,
        }
    }

    /// A clock on which a scheduled second passes in `scale` real seconds (`0 < scale ≤ 1`).
    pub fn scaled(scale: f64) -> Clock {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale.min(1.0)
        } else {
            1.0
        };
        Clock {
            scale,
            origin: Utc::now().timestamp_millis(),
        }
    }

    /// A clock at `scale` shared by every node and run of `store`: it started when the store
    /// was first served at that scale, so it keeps running while no node does, and ticks
    /// missed meanwhile are due when a node comes back, as on the wall clock.
    pub async fn shared(store: &dyn Store, scale: f64) -> Result<Clock, StoreError> {
        let clock = Clock::scaled(scale);
        if clock.scale == 1.0 {
            return Ok(clock);
        }
        // Two tries: a node that started at the same moment may have written it first.
        for _ in 0..2 {
            let kept = store.service_resource(CLOCK, CLOCK_ARN).await?;
            if let Some(r) = &kept {
                if let Ok(kept) = serde_json::from_str::<Value>(&r.body) {
                    if kept["scale"].as_f64() == Some(clock.scale) {
                        if let Some(origin) = kept["origin"].as_i64() {
                            return Ok(Clock { origin, ..clock });
                        }
                    }
                }
            }
            let body =
                serde_json::json!({"scale": clock.scale, "origin": clock.origin}).to_string();
            let version = kept.as_ref().map_or(1, |r| r.version + 1);
            let put = store
                .commit(WriteBatch::new().with(Op::PutServiceResource {
                    resource: ServiceResource {
                        kind: CLOCK.into(),
                        arn: CLOCK_ARN.into(),
                        account: String::new(),
                        body,
                        version,
                    },
                    expected: kept.map(|r| r.version),
                }))
                .await;
            match put {
                Ok(()) => return Ok(clock),
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(clock)
    }

    pub fn now(&self) -> i64 {
        let real = Utc::now().timestamp_millis();
        if self.scale == 1.0 {
            real
        } else {
            self.origin + ((real - self.origin) as f64 / self.scale) as i64
        }
    }

    /// The real time `ms` of this clock take.
    pub fn real_wait(&self, ms: i64) -> Duration {
        Duration::from_millis((ms.max(0) as f64 * self.scale).ceil() as u64)
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The tick after `after` (ms) of a schedule whose rate ticks count from `anchor`, none past
/// `end`. A one-time schedule has one tick, its time, whatever its dates ("EventBridge
/// Scheduler ignores StartDate for one-time schedules"): `first` asks for it.
pub fn next_tick(
    expression: &Expression,
    after: i64,
    anchor: i64,
    end: Option<i64>,
    first: bool,
) -> Option<i64> {
    if let Expression::At(time) = expression {
        return first.then(|| time.timestamp_millis());
    }
    let t = expression
        .next_after(at(after), at(anchor))?
        .timestamp_millis();
    (end.is_none_or(|e| t <= e)).then_some(t)
}

/// A digest of the schedule and tick, as hex.
fn digest(arn: &str, tick: i64) -> String {
    let mut hash = Sha256::new();
    hash.update(arn.as_bytes());
    hash.update(tick.to_be_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where in its flexible window a tick falls, in ms: the same on every node.
fn offset(schedule: &Schedule, tick: i64) -> i64 {
    let window = match (
        schedule.flexible_time_window.mode.as_str(),
        schedule.flexible_time_window.maximum_window_in_minutes,
    ) {
        ("FLEXIBLE", Some(minutes)) if minutes > 0 => minutes * 60_000,
        _ => return 0,
    };
    let d = digest(&schedule.arn, tick);
    i64::from_str_radix(&d[..12], 16).unwrap_or(0) % window
}

/// What the ticker has done since the node started.
#[derive(Debug, Default)]
pub struct Figures {
    /// Ticks fired (claimed and handed over) by this node.
    pub fired: AtomicU64,
    /// Claims another node (or a change to the schedule) won.
    pub lost: AtomicU64,
    /// Ticks let go, older than their target's event age when reached.
    pub expired: AtomicU64,
}

/// Fires the schedules' ticks; one per node.
pub struct Ticker {
    store: Arc<dyn Store>,
    deliveries: Deliveries,
    clock: Clock,
    wake: Notify,
    figures: Figures,
    /// Each fired tick's lateness, in real ms from when it was due to when its claim committed.
    lateness: Mutex<VecDeque<u64>>,
}

impl Ticker {
    pub fn new(store: Arc<dyn Store>, deliveries: Deliveries, clock: Clock) -> Arc<Ticker> {
        Arc::new(Ticker {
            store,
            deliveries,
            clock,
            wake: Notify::new(),
            figures: Figures::default(),
            lateness: Mutex::new(VecDeque::new()),
        })
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    /// The lateness of the ticks fired here (at most the last 100,000), in real ms.
    pub fn lateness(&self) -> Vec<u64> {
        self.lateness
            .lock()
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Reads the schedules again now (one was made or changed here).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Fires ticks for as long as the runtime runs.
    pub fn start(self: &Arc<Self>) {
        let ticker = self.clone();
        tokio::spawn(async move {
            loop {
                let wait = match ticker.round().await {
                    Ok(wait) => wait,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the schedules");
                        REFRESH
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = ticker.wake.notified() => {}
                }
            }
        });
    }

    /// Claims what is due; the real time until the soonest tick not yet due (at most
    /// [`REFRESH`]).
    async fn round(self: &Arc<Self>) -> Result<Duration, StoreError> {
        let resources = self.store.service_resources(SCHEDULE, None).await?;
        let now = self.clock.now();
        let mut soonest: Option<i64> = None;
        let mut due = Vec::new();
        for r in resources {
            let Ok(schedule) = serde_json::from_str::<Schedule>(&r.body) else {
                continue;
            };
            let Some(next) = schedule.ticks.next.filter(|_| schedule.enabled()) else {
                continue;
            };
            let at = next + offset(&schedule, next);
            if at <= now {
                due.push((schedule, r.version, at));
            } else {
                soonest = Some(soonest.map_or(at, |s| s.min(at)));
            }
        }
        let mut claims = tokio::task::JoinSet::new();
        for (schedule, version, at) in due {
            while claims.len() >= CLAIMS_AT_ONCE {
                if let Some(Ok(Some(next))) = claims.join_next().await {
                    soonest = Some(soonest.map_or(next, |s| s.min(next)));
                }
            }
            let ticker = self.clone();
            claims.spawn(async move { ticker.claim(schedule, version, at).await });
        }
        while let Some(done) = claims.join_next().await {
            if let Ok(Some(next)) = done {
                soonest = Some(soonest.map_or(next, |s| s.min(next)));
            }
        }
        let now = self.clock.now();
        Ok(soonest.map_or(REFRESH, |s| self.clock.real_wait(s - now).min(REFRESH)))
    }

    /// Fires the due ticks of `schedule` (read at `version`); when its next tick is then due.
    async fn claim(&self, schedule: Schedule, version: u64, due: i64) -> Option<i64> {
        let now = self.clock.now();
        let Ok(expression) = Expression::parse(
            &schedule.schedule_expression,
            schedule.schedule_expression_timezone.as_deref(),
        ) else {
            return None;
        };
        let end = schedule.end_date.map(|e| (e * 1000.0) as i64);
        let anchor = schedule.ticks.anchor;
        let max_age = schedule
            .target
            .pointer("/RetryPolicy/MaximumEventAgeInSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_AGE_SECS)
            * 1000;
        let mut ticks = Vec::new();
        let mut expired = 0u64;
        let mut next = schedule.ticks.next;
        while let Some(tick) = next {
            if tick > now || ticks.len() >= CATCH_UP {
                break;
            }
            if now - tick > max_age {
                // Too old: skip to the first tick young enough.
                expired += 1;
                next = next_tick(&expression, (now - max_age).max(tick), anchor, end, false);
                continue;
            }
            ticks.push(tick);
            next = next_tick(&expression, tick, anchor, end, false);
        }
        let mut updated = schedule.clone();
        updated.ticks.next = next;
        updated.ticks.last = ticks.last().copied().or(schedule.ticks.last);
        updated.ticks.expired += expired;
        let done = next.is_none();
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: ServiceResource {
                kind: SCHEDULE.into(),
                arn: schedule.arn.clone(),
                account: arn_scope(&schedule.arn)
                    .map(|(_, a)| a.to_string())
                    .unwrap_or_default(),
                body: serde_json::to_string(&updated).expect("a schedule serialises"),
                version: version + 1,
            },
            expected: Some(version),
        });
        let deliveries: Vec<Delivery> = ticks.iter().map(|&t| invocation(&schedule, t)).collect();
        let fired = deliveries.len() as u64;
        match self.deliveries.hand_over_with(deliveries, batch).await {
            Ok(()) => {}
            Err(Refused::Store(
                StoreError::Conflict { .. }
                | StoreError::NotFound { .. }
                | StoreError::AlreadyExists { .. },
            )) => {
                self.figures.lost.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Err(Refused::Full) => return Some(now + 1000),
            Err(Refused::Store(e)) => {
                tracing::warn!(schedule = %schedule.arn, error = %e, "a tick could not be claimed");
                return Some(now + 1000);
            }
        }
        self.figures.fired.fetch_add(fired, Ordering::Relaxed);
        self.figures.expired.fetch_add(expired, Ordering::Relaxed);
        if fired > 0 {
            let late = self.clock.real_wait(self.clock.now() - due).as_millis() as u64;
            if let Ok(mut l) = self.lateness.lock() {
                if l.len() >= LATENESS_KEPT {
                    l.pop_front();
                }
                l.push_back(late);
            }
        }
        if done && schedule.action_after_completion.as_deref() == Some("DELETE") {
            // "EventBridge Scheduler deletes the schedule after it completes invoking the
            // target" (ActionAfterCompletion): its last invocation is handed over already.
            let batch = WriteBatch::new().with(Op::DeleteServiceResource {
                kind: SCHEDULE.into(),
                arn: schedule.arn.clone(),
            });
            if let Err(e) = self.store.commit(batch).await {
                tracing::warn!(schedule = %schedule.arn, error = %e, "a completed schedule was not deleted");
            }
        }
        next.map(|n| n + offset(&updated, n))
    }
}

/// A tick's invocation of the schedule's target, as a delivery.
fn invocation(schedule: &Schedule, tick: i64) -> Delivery {
    let (region, account) = arn_scope(&schedule.arn).unwrap_or(("", ""));
    let target = &schedule.target;
    let arn = target["Arn"].as_str().unwrap_or_default().to_string();
    let input = target["Input"].as_str().unwrap_or("{}").to_string();
    let d = digest(&schedule.arn, tick);
    let context = ScheduleContext {
        schedule_arn: schedule.arn.clone(),
        scheduled_time: at(tick).to_rfc3339_opts(SecondsFormat::Secs, true),
        execution_id: d[..16].to_string(),
    };
    // The execution's name, the same for every attempt and node: the tick's digest in a
    // UUID's shape.
    let name = format!(
        "{}-{}-{}-{}-{}",
        &d[..8],
        &d[8..12],
        &d[12..16],
        &d[16..20],
        &d[20..32]
    );
    let retry_policy = target.get("RetryPolicy").map(|p| RetryPolicy {
        maximum_retry_attempts: p["MaximumRetryAttempts"]
            .as_u64()
            .map(|n| n.min(185) as u32),
        maximum_event_age_in_seconds: p["MaximumEventAgeInSeconds"]
            .as_u64()
            .map(|n| n.min(86_400) as u32),
    });
    // A bus target is given an event made of the input (PutEvents' `Detail`) and the
    // target's `EventBridgeParameters`.
    let event = match target.get("EventBridgeParameters") {
        Some(p) if arn.contains(":event-bus/") => {
            let detail = serde_json::from_str::<Value>(&context.fill(&input, 1))
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| serde_json::json!({}));
            serde_json::json!({
                "version": "0",
                "id": format!("{}-{}-{}-{}-{}", &d[32..40], &d[40..44], &d[44..48], &d[48..52], &d[52..64]),
                "detail-type": p["DetailType"],
                "source": p["Source"],
                "account": account,
                "time": context.scheduled_time,
                "region": region,
                "resources": [schedule.arn],
                "detail": detail,
            })
        }
        _ => Value::Null,
    };
    Delivery {
        account: account.to_string(),
        region: region.to_string(),
        rule_arn: schedule.arn.clone(),
        target: Target {
            id: schedule.name.clone(),
            arn,
            role_arn: target["RoleArn"].as_str().map(str::to_string),
            input: None,
            input_path: None,
            input_transformer: None,
            retry_policy,
            dead_letter_config: target.get("DeadLetterConfig").cloned(),
            other: Default::default(),
        },
        input,
        event,
        hops: 0,
        attempts: 0,
        since: 0,
        name: Some(name),
        schedule: Some(context),
        stored: None,
    }
}
