//! Firing schedules, and EventBridge rules with a `ScheduleExpression`: each tick once, across
//! restarts and nodes.
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
//! On several nodes a tick is first the claim of the node that owns the partition its
//! schedule's ARN falls in ([`Ticker::prefer`]); the others claim it only [`GRACE`] after it
//! fell due, should that node be gone. So nodes do not race (or deadlock) over the same
//! records, and a tick still fires once whichever node is alive.
//!
//! **Ticks missed** while no node ran (or while a node's claim waited) are fired when a node
//! comes to them, oldest first, as EventBridge Scheduler keeps retrying an invocation until
//! the target's `RetryPolicy.MaximumEventAgeInSeconds` (24 hours by default) runs out
//! (Scheduler User Guide, "Configuring a retry policy"): a tick older than that when it is
//! reached is let go, and counted in the schedule's record. At most [`CATCH_UP`] ticks go out
//! in one claim.
//!
//! A **scheduled rule**'s ticks are kept in a record of their own (`scheduler:rule-ticks`,
//! under the rule's ARN), made when a node first sees the rule enabled (a `rate` counted from
//! then, as "a rate expression starts when you create the scheduled event rule") and deleted
//! when the rule is disabled, deleted or no longer scheduled; each tick sends the rule's targets
//! the "Scheduled Event" through the same claim.
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
use baton_events::model::{arn_scope, RetryPolicy, Rule, Target, RULE};
use baton_events::transform::target_input;
use baton_events::{Deliveries, Delivery, ScheduleContext};
use baton_store::{Error as StoreError, Op, ServiceResource, Store, WriteBatch};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::model::{Schedule, Ticks, SCHEDULE};
use baton_events::expr::Expression;

/// The records of scheduled rules' ticks (an EventBridge rule with a `ScheduleExpression`),
/// one per rule, under the rule's ARN.
pub const RULE_TICKS: &str = "scheduler:rule-ticks";
/// Where a scaled clock's origin is kept.
const CLOCK: &str = "scheduler:clock";
const CLOCK_ARN: &str = "arn:aws:scheduler:::clock";
/// How often a node reads every schedule, for those another node made or changed.
pub const REFRESH: Duration = Duration::from_secs(2);
/// The most ticks one claim fires: a day of a once-a-minute schedule, the most that fit in
/// the longest `MaximumEventAgeInSeconds` (86,400 s) at the shortest rate (a minute).
pub const CATCH_UP: usize = 1440;
/// The least time between two reads of the schedules when changes wake the ticker.
const READ_GAP: Duration = Duration::from_millis(100);
/// How long past its due time another node's tick waits before this node claims it (its
/// owner may be gone; it is claimed once either way).
pub const GRACE: Duration = Duration::from_secs(3);
/// The most bytes of target inputs one claim hands over: a schedule with a large input
/// catching up on a day of ticks fires them over several claims, never past what the
/// deliveries' queue takes ([`baton_events::deliver::QUEUE_BYTES`]).
const CATCH_UP_BYTES: usize = 16 * 1024 * 1024;
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

    /// How many ms of this clock `real` lasts.
    pub fn virtual_ms(&self, real: Duration) -> i64 {
        (real.as_millis() as f64 / self.scale) as i64
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
    /// Whether this node is the one to claim a schedule's ticks when they fall due (on
    /// several nodes: the node that owns the partition its ARN falls in); others claim it
    /// only [`GRACE`] later. Unset: every tick is this node's.
    prefer: std::sync::OnceLock<Preference>,
}

/// See [`Ticker::prefer`].
pub type Preference = Arc<dyn Fn(&str) -> bool + Send + Sync>;

impl Ticker {
    pub fn new(store: Arc<dyn Store>, deliveries: Deliveries, clock: Clock) -> Arc<Ticker> {
        Arc::new(Ticker {
            store,
            deliveries,
            clock,
            wake: Notify::new(),
            figures: Figures::default(),
            lateness: Mutex::new(VecDeque::new()),
            prefer: std::sync::OnceLock::new(),
        })
    }

    /// Which schedules this node claims as soon as they are due (by ARN); the others are left
    /// [`GRACE`] to their node. On several nodes each tick then has one claimant, and nodes do
    /// not contend (or deadlock) over the same records; a tick whose node is gone still fires.
    pub fn prefer(&self, mine: Preference) {
        let _ = self.prefer.set(mine);
    }

    /// When `t`'s next tick is for this node to claim.
    fn claimable_at(&self, t: &Ticking) -> Option<i64> {
        let due = t.due()?.max(t.hold);
        match self.prefer.get() {
            Some(mine) if !mine(&t.arn) => Some(due + self.clock.virtual_ms(GRACE)),
            _ => Some(due),
        }
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

    /// Reads the schedules again now (one was made or changed here), and tells the other
    /// nodes to (a hint: they read them every [`REFRESH`] anyway).
    pub fn wake(&self) {
        self.wake.notify_one();
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.notify(&baton_store::Topic::Schedules).await {
                tracing::debug!(error = %e, "could not tell the other nodes of a schedule");
            }
        });
    }

    /// Reads the schedules again whenever another node says one changed (on a store that
    /// carries such signals: PostgreSQL's LISTEN/NOTIFY).
    pub async fn listen(self: &Arc<Self>) -> Result<(), StoreError> {
        let ticker = Arc::downgrade(self);
        let wake: baton_store::Wake = Arc::new(move |topic| {
            if matches!(
                topic,
                baton_store::Topic::Schedules | baton_store::Topic::Everything
            ) {
                if let Some(t) = ticker.upgrade() {
                    t.wake.notify_one();
                }
            }
        });
        self.store.listen(wake).await.map(|_| ())
    }

    /// Fires ticks for as long as the runtime runs.
    pub fn start(self: &Arc<Self>) {
        let ticker = self.clone();
        tokio::spawn(async move {
            // What was read, kept up to date by this node's claims between reads.
            let mut known: Vec<Ticking> = Vec::new();
            let mut read_at: Option<std::time::Instant> = None;
            let mut last_read: Option<std::time::Instant> = None;
            loop {
                if read_at.is_none_or(|at| at.elapsed() >= REFRESH) {
                    // Woken by a burst of changes: read at most every READ_GAP.
                    if let Some(gap) = last_read.map(|at| READ_GAP.saturating_sub(at.elapsed())) {
                        tokio::time::sleep(gap).await;
                    }
                    last_read = Some(std::time::Instant::now());
                    match ticker.read().await {
                        Ok(read) => {
                            known = read;
                            read_at = Some(std::time::Instant::now());
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not read the schedules");
                            read_at = None;
                        }
                    }
                }
                let (kept, soonest) = ticker.round(std::mem::take(&mut known)).await;
                known = kept;
                let until_read = read_at.map_or(REFRESH, |at| REFRESH.saturating_sub(at.elapsed()));
                let now = ticker.clock.now();
                let wait = soonest.map_or(until_read, |s| {
                    ticker.clock.real_wait(s - now).min(until_read)
                });
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    // A schedule changed through this node: read them all again.
                    _ = ticker.wake.notified() => read_at = None,
                }
            }
        });
    }

    /// Every enabled schedule and scheduled rule, with where their ticks stand.
    async fn read(&self) -> Result<Vec<Ticking>, StoreError> {
        let mut ticking = Vec::new();
        for r in self.store.service_resources(SCHEDULE, None).await? {
            if let Ok(schedule) = serde_json::from_str::<Schedule>(&r.body) {
                if schedule.enabled() {
                    if let Some(t) = Ticking::schedule(schedule, r.version) {
                        ticking.push(t);
                    }
                }
            }
        }
        ticking.extend(self.rules(self.clock.now()).await?);
        Ok(ticking)
    }

    /// Claims what is due of `known`: what is still known after (a claim lost drops its
    /// schedule until the next read), and when the soonest tick not yet due is.
    async fn round(self: &Arc<Self>, known: Vec<Ticking>) -> (Vec<Ticking>, Option<i64>) {
        let now = self.clock.now();
        let mut kept = Vec::with_capacity(known.len());
        let mut claims = tokio::task::JoinSet::new();
        for t in known {
            match (t.due(), self.claimable_at(&t)) {
                (Some(at), Some(when)) if when <= now => {
                    while claims.len() >= CLAIMS_AT_ONCE {
                        if let Some(Ok(Some(t))) = claims.join_next().await {
                            kept.push(t);
                        }
                    }
                    let ticker = self.clone();
                    claims.spawn(async move { ticker.claim(t, at).await });
                }
                _ => kept.push(t),
            }
        }
        while let Some(done) = claims.join_next().await {
            if let Ok(Some(t)) = done {
                kept.push(t);
            }
        }
        let soonest = kept.iter().filter_map(|t| self.claimable_at(t)).min();
        (kept, soonest)
    }

    /// The enabled scheduled rules, with where their ticks stand. A rule seen for the first
    /// time (or whose expression changed) gets its ticks' record, counted from now; the record
    /// of a rule deleted, disabled or no longer scheduled is deleted, so that a rule enabled
    /// again starts afresh rather than firing what it missed.
    async fn rules(&self, now: i64) -> Result<Vec<Ticking>, StoreError> {
        let mut kept: std::collections::HashMap<String, (RuleTicks, u64)> = self
            .store
            .service_resources(RULE_TICKS, None)
            .await?
            .into_iter()
            .filter_map(|r| {
                let ticks = serde_json::from_str(&r.body).ok()?;
                Some((r.arn, (ticks, r.version)))
            })
            .collect();
        let mut out = Vec::new();
        let mut batch = WriteBatch::new();
        for r in self.store.service_resources(RULE, None).await? {
            let Ok(rule) = serde_json::from_str::<Rule>(&r.body) else {
                continue;
            };
            let Some(text) = rule.schedule_expression.clone().filter(|_| rule.enabled()) else {
                continue;
            };
            let Ok(expression) = Expression::parse(&text, None) else {
                continue;
            };
            match kept.remove(&rule.arn) {
                Some((ticks, version)) if ticks.expression == text => {
                    out.push(Ticking {
                        kind: RULE_TICKS,
                        arn: rule.arn.clone(),
                        version,
                        expression,
                        ticks: ticks.ticks,
                        end: None,
                        max_age: DEFAULT_AGE_SECS * 1000,
                        hold: 0,
                        source: Source::Rule { rule, text },
                    });
                }
                old => {
                    // "A rate expression starts when you create the scheduled event rule": its
                    // first tick a period after now; a cron rule's at its next time.
                    let next = next_tick(&expression, now, now, None, false);
                    let ticks = RuleTicks {
                        expression: text,
                        ticks: Ticks {
                            next,
                            anchor: now,
                            last: None,
                            expired: 0,
                        },
                    };
                    batch.push(Op::PutServiceResource {
                        resource: ServiceResource {
                            kind: RULE_TICKS.into(),
                            arn: rule.arn.clone(),
                            account: account_of(&rule.arn),
                            body: serde_json::to_string(&ticks).expect("ticks serialise"),
                            version: old.as_ref().map_or(1, |(_, v)| v + 1),
                        },
                        expected: old.map(|(_, v)| v),
                    });
                }
            }
        }
        for arn in kept.into_keys() {
            batch.push(Op::DeleteServiceResource {
                kind: RULE_TICKS.into(),
                arn,
            });
        }
        if !batch.is_empty() {
            // Another node may have written them first: then its records stand.
            if let Err(e) = self.store.commit(batch).await {
                tracing::debug!(error = %e, "scheduled rules' ticks were set by another node");
            }
        }
        Ok(out)
    }

    /// Fires the due ticks of `t`: it as it then stands, or `None` when another node (or a
    /// change to it) won the claim.
    async fn claim(&self, mut t: Ticking, due: i64) -> Option<Ticking> {
        // A rule's ticks are kept apart from the rule: it is read again, so that a rule
        // disabled, deleted or given other targets since the last read is fired as it is now.
        if let Source::Rule { rule, text } = &mut t.source {
            let fresh = self
                .store
                .service_resource(RULE, &t.arn)
                .await
                .ok()
                .flatten()
                .and_then(|r| serde_json::from_str::<Rule>(&r.body).ok())
                .filter(|r| r.enabled() && r.schedule_expression.as_ref() == Some(text))?;
            *rule = fresh;
        }
        let now = self.clock.now();
        let mut ticks = Vec::new();
        let mut expired = 0u64;
        let mut next = t.ticks.next;
        // A claim's invocations are written and queued together: at most CATCH_UP of them,
        // and at most CATCH_UP_BYTES of inputs, the rest left for the next claim (due at once).
        let per_tick = t.input_bytes() + 512;
        let most = (CATCH_UP_BYTES / per_tick).clamp(1, CATCH_UP);
        while let Some(tick) = next {
            if tick > now || ticks.len() >= most {
                break;
            }
            if now - tick > t.max_age {
                // Too old: skip to the first tick young enough.
                expired += 1;
                next = next_tick(
                    &t.expression,
                    (now - t.max_age).max(tick),
                    t.ticks.anchor,
                    t.end,
                    false,
                );
                continue;
            }
            ticks.push(tick);
            next = next_tick(&t.expression, tick, t.ticks.anchor, t.end, false);
        }
        let updated = Ticks {
            next,
            anchor: t.ticks.anchor,
            last: ticks.last().copied().or(t.ticks.last),
            expired: t.ticks.expired + expired,
        };
        let batch = WriteBatch::new().with(Op::PutServiceResource {
            resource: ServiceResource {
                kind: t.kind.into(),
                arn: t.arn.clone(),
                account: account_of(&t.arn),
                body: t.body(&updated),
                version: t.version + 1,
            },
            expected: Some(t.version),
        });
        let deliveries: Vec<Delivery> =
            ticks.iter().flat_map(|&tick| t.invocations(tick)).collect();
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
            Err(Refused::Full) => {
                t.hold = now + 1000;
                return Some(t);
            }
            Err(Refused::Store(e)) => {
                tracing::warn!(arn = %t.arn, error = %e, "a tick could not be claimed");
                t.hold = now + 1000;
                return Some(t);
            }
        }
        self.figures
            .fired
            .fetch_add(ticks.len() as u64, Ordering::Relaxed);
        self.figures.expired.fetch_add(expired, Ordering::Relaxed);
        if !ticks.is_empty() {
            let late = self.clock.real_wait(self.clock.now() - due).as_millis() as u64;
            if let Ok(mut l) = self.lateness.lock() {
                if l.len() >= LATENESS_KEPT {
                    l.pop_front();
                }
                l.push_back(late);
            }
        }
        if let (None, Source::Schedule(schedule)) = (next, &t.source) {
            if schedule.action_after_completion.as_deref() == Some("DELETE") {
                // "EventBridge Scheduler deletes the schedule after it completes invoking
                // the target" (ActionAfterCompletion): its last invocation is handed over.
                let batch = WriteBatch::new().with(Op::DeleteServiceResource {
                    kind: SCHEDULE.into(),
                    arn: schedule.arn.clone(),
                });
                if let Err(e) = self.store.commit(batch).await {
                    tracing::warn!(schedule = %schedule.arn, error = %e, "a completed schedule was not deleted");
                }
            }
        }
        t.version += 1;
        t.ticks = updated;
        if let Source::Schedule(schedule) = &mut t.source {
            schedule.ticks = t.ticks.clone();
        }
        Some(t)
    }
}

/// Where a scheduled rule's ticks stand, and for which expression.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RuleTicks {
    expression: String,
    ticks: Ticks,
}

/// What ticks.
enum Source {
    Schedule(Schedule),
    /// A rule with a `ScheduleExpression` (`text`).
    Rule {
        rule: Rule,
        text: String,
    },
}

/// A schedule or scheduled rule, as read, with its ticks' record.
struct Ticking {
    /// The record claimed: the schedule's, or the rule's ticks.
    kind: &'static str,
    arn: String,
    version: u64,
    expression: Expression,
    ticks: Ticks,
    end: Option<i64>,
    /// Ticks older than this (ms) when reached are let go.
    max_age: i64,
    /// Not claimed again before this (ms): a claim that could not be written waits a second.
    hold: i64,
    source: Source,
}

impl Ticking {
    fn schedule(schedule: Schedule, version: u64) -> Option<Ticking> {
        let expression = Expression::parse(
            &schedule.schedule_expression,
            schedule.schedule_expression_timezone.as_deref(),
        )
        .ok()?;
        let max_age = schedule
            .target
            .pointer("/RetryPolicy/MaximumEventAgeInSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_AGE_SECS)
            * 1000;
        Some(Ticking {
            kind: SCHEDULE,
            arn: schedule.arn.clone(),
            version,
            expression,
            ticks: schedule.ticks.clone(),
            end: schedule.end_date.map(|e| (e * 1000.0) as i64),
            max_age,
            hold: 0,
            source: Source::Schedule(schedule),
        })
    }

    /// About how many bytes one tick's invocations carry (their inputs).
    fn input_bytes(&self) -> usize {
        match &self.source {
            Source::Schedule(schedule) => schedule.target["Input"].as_str().map_or(2, str::len),
            // The Scheduled Event, to each target.
            Source::Rule { rule, .. } => 1024 * rule.targets.len().max(1),
        }
    }

    /// When its next tick is due, if it has one.
    fn due(&self) -> Option<i64> {
        self.ticks.next.map(|n| n + self.offset(n))
    }

    fn offset(&self, tick: i64) -> i64 {
        match &self.source {
            Source::Schedule(schedule) => offset(schedule, tick),
            Source::Rule { .. } => 0,
        }
    }

    /// Its record with `ticks`.
    fn body(&self, ticks: &Ticks) -> String {
        match &self.source {
            Source::Schedule(schedule) => {
                let mut updated = schedule.clone();
                updated.ticks = ticks.clone();
                serde_json::to_string(&updated).expect("a schedule serialises")
            }
            Source::Rule { text, .. } => serde_json::to_string(&RuleTicks {
                expression: text.clone(),
                ticks: ticks.clone(),
            })
            .expect("ticks serialise"),
        }
    }

    fn invocations(&self, tick: i64) -> Vec<Delivery> {
        match &self.source {
            Source::Schedule(schedule) => vec![invocation(schedule, tick)],
            Source::Rule { rule, .. } => scheduled_event(rule, tick),
        }
    }
}

fn account_of(arn: &str) -> String {
    arn_scope(arn)
        .map(|(_, a)| a.to_string())
        .unwrap_or_default()
}

/// A scheduled rule's tick: the "Scheduled Event" EventBridge sends its targets (User Guide,
/// "Creating a rule that runs on a schedule": `source` `aws.events`, `detail-type`
/// `Scheduled Event`, the rule in `resources`, an empty `detail`).
fn scheduled_event(rule: &Rule, tick: i64) -> Vec<Delivery> {
    let (region, account) = arn_scope(&rule.arn).unwrap_or(("", ""));
    let d = digest(&rule.arn, tick);
    let event = serde_json::json!({
        "version": "0",
        "id": format!("{}-{}-{}-{}-{}", &d[..8], &d[8..12], &d[12..16], &d[16..20], &d[20..32]),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at(tick).to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [rule.arn],
        "detail": {},
    });
    rule.targets
        .iter()
        .map(|target| Delivery {
            account: account.to_string(),
            region: region.to_string(),
            rule_arn: rule.arn.clone(),
            target: target.clone(),
            input: target_input(target, &event, &rule.name, &rule.arn),
            event: event.clone(),
            hops: 0,
            attempts: 0,
            since: 0,
            name: None,
            schedule: None,
            stored: None,
        })
        .collect()
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
