//! The durable Step Functions service: [`Runtime`] implements `baton_api::StepFunctions` over a
//! [`Store`], and drives the engine for every execution.
//!
//! * The control plane (state machines, versions, aliases, activities, tags) reads and writes the
//!   store directly (`control`).
//! * A Standard execution lives in memory while it runs (`live`): each event the engine applies
//!   becomes one write batch — the journal entry, the history events it wrote, the execution row,
//!   timers and tasks — and only once the batch is durable does the runtime act on the effects
//!   (commit, then act). On start, every unfinished execution is rebuilt by replaying its journal
//!   (`recovery`).
//! * Timers are rows in the store; one task per runtime keeps the pending ones in order and fires
//!   them (`timers`), so no task sleeps per waiting execution.
//! * Activity tasks and callbacks are task rows: workers claim them with `GetActivityTask` (long
//!   polling), and `SendTask*` complete them by token (`tasks`).
//! * Express executions run in memory only (`express`).

pub mod botocore;
mod children;
mod control;
mod definition;
mod execution_log;
mod executions;
mod express;
mod finished;
mod guard;
mod inbox;
pub mod integration;
mod journal;
mod live;
pub mod metrics;
mod mocks;
pub mod node;
mod offload;
pub mod parameters;
pub mod partitions;
mod recovery;
mod resolve;
mod retention;
mod sdk_parameters;
mod service;
pub mod status;
mod tasks;
mod timers;
pub mod traces;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use baton_engine::teststate::ServiceModels;
use baton_engine::Limits;
use baton_store::{Millis, Store};

pub use baton_store::Error as StoreError;

/// What a runtime is configured with.
pub struct Config {
    /// AWS's limits: payload bytes, history events; whether a distributed Map's Standard
    /// children are recorded as executions (on by default; Express executions never record
    /// theirs).
    pub limits: Limits,
    /// AWS service models TestState checks mocked results against (empty: no checks).
    pub service_models: ServiceModels,
    /// The longest `GetActivityTask` waits for a task (AWS: 60 s).
    pub activity_poll: std::time::Duration,
    /// What runs Task resources other than activities.
    pub integrations: Arc<dyn integration::Integrations>,
    /// Step Functions Local's mock configuration: executions started on
    /// `STATE_MACHINE_ARN#TestCase` answer their Task states from it.
    pub mocks: Option<Arc<baton_mock::MockConfig>>,
    /// The partitions this process runs, when other processes share the store (a
    /// [`node::Node`]'s); `None`: the store is this process's alone and it runs every one.
    pub ownership: Option<Arc<partitions::Ownership>>,
    /// The most Standard executions kept in memory; past it, those idle longest that wait
    /// only for timers, workers or callbacks leave memory until something happens to them.
    /// `None`: no limit.
    pub max_resident: Option<usize>,
    /// Where executions' events are counted for `GET /metrics`; `None`: not counted.
    pub metrics: Option<Arc<metrics::Metrics>>,
    /// Where executions log per their `LoggingConfiguration`, and where
    /// `CreateStateMachine` looks for the log group named; `None`: nothing is logged or checked.
    pub logs: Option<baton_logs::Logs>,
    /// Where the spans of traced executions go (`[telemetry] otlp_endpoint`); `None`: no
    /// execution is traced.
    pub spans: Option<Arc<dyn traces::SpanSink>>,
    /// How long closed executions are kept before they and their histories are deleted
    /// ([`retention`]); `None`: kept.
    pub retention: Option<std::time::Duration>,
    /// Where Standard executions' status changes go (EventBridge's default bus); `None`:
    /// nowhere.
    pub status_events: Option<Arc<dyn status::StatusEvents>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            limits: Limits {
                child_executions: true,
                ..Limits::default()
            },
            service_models: ServiceModels::empty(),
            activity_poll: std::time::Duration::from_secs(60),
            integrations: Arc::new(integration::Unconfigured),
            mocks: None,
            ownership: None,
            max_resident: None,
            metrics: None,
            logs: None,
            spans: None,
            status_events: None,
            retention: None,
        }
    }
}

/// The service: one per process, shared as `Arc<Runtime>`.
pub struct Runtime {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Config,
    /// Parsed definitions by (state machine ARN, revision id): revisions never change.
    pub(crate) definitions: definition::Cache,
    pub(crate) live: live::Registry,
    /// One lock per execution being rebuilt, so that two callers (a partition's recovery, an
    /// event for one of its executions) never rebuild the same execution twice.
    pub(crate) loading: Sharded<Arc<tokio::sync::Mutex<()>>>,
    /// State machine records by ARN, as starts read them, with when they were read; dropped on
    /// every update or delete here, and read again after [`MACHINE_TTL`] when other nodes
    /// share the store (they may have changed them).
    pub(crate) machines: Sharded<(Arc<baton_store::StateMachine>, std::time::Instant)>,
    /// The partitions whose executions run here.
    pub(crate) ownership: Arc<partitions::Ownership>,
    /// Wakes the inbox reader (see [`inbox`]).
    pub(crate) inbox_wake: Arc<tokio::sync::Notify>,
    pub(crate) timers: timers::Timers,
    pub(crate) activities: tasks::Waiters,
    pub(crate) express: express::Recent,
    /// Executions that ended here lately, for `DescribeExecution` (see [`finished`]).
    pub(crate) finished: finished::Finished,
    /// Set once the service stops: long polls answer at once.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    /// The runtime itself, for the tasks it spawns.
    pub(crate) this: Weak<Runtime>,
}

impl Runtime {
    /// Opens the service on `store`: resumes every unfinished execution and starts the timer
    /// task. Must be called within a Tokio runtime.
    pub async fn open(store: Arc<dyn Store>, config: Config) -> Result<Arc<Runtime>, StoreError> {
        baton_engine::set_parameter_check(parameters::validate);
        let ownership = config
            .ownership
            .clone()
            .unwrap_or_else(|| Arc::new(partitions::Ownership::everything()));
        let runtime = Arc::new_cyclic(|this| Runtime {
            store,
            config,
            ownership,
            inbox_wake: Default::default(),
            definitions: Default::default(),
            live: Default::default(),
            loading: Default::default(),
            machines: Default::default(),
            timers: Default::default(),
            activities: Default::default(),
            express: Default::default(),
            finished: Default::default(),
            stopping: tokio::sync::watch::Sender::new(false),
            this: this.clone(),
        });
        let running = runtime.ownership.running();
        recovery::recover(&runtime, &running).await?;
        timers::spawn(&runtime);
        if let Some(max) = runtime.config.max_resident {
            runtime.spawn_evictor(max);
        }
        if let Some(keep) = runtime.config.retention {
            tokio::spawn(retention::run(
                runtime.store.clone(),
                keep,
                runtime.stopping.subscribe(),
            ));
        }
        if runtime.ownership.is_shared() {
            inbox::spawn(&runtime);
            let weak = Arc::downgrade(&runtime);
            let wake: baton_store::Wake = Arc::new(move |topic| {
                if let Some(rt) = weak.upgrade() {
                    rt.woken(topic);
                }
            });
            runtime.store.listen(wake).await?;
        }
        Ok(runtime)
    }

    /// The store this runtime writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many Standard executions are running in memory.
    pub fn running(&self) -> usize {
        self.live.len()
    }

    /// The state machine record `arn` names (unqualified), from memory when it is there.
    pub(crate) async fn machine(
        &self,
        arn: &str,
    ) -> Result<Option<Arc<baton_store::StateMachine>>, StoreError> {
        if let Some((m, read)) = self.machines.get(arn) {
            if !self.ownership.is_shared() || read.elapsed() < MACHINE_TTL {
                return Ok(Some(m));
            }
        }
        let Some(m) = self.store.state_machine(arn).await? else {
            self.machines.remove(arn);
            return Ok(None);
        };
        let m = Arc::new(m);
        self.machines
            .insert(arn.to_string(), (m.clone(), std::time::Instant::now()));
        Ok(Some(m))
    }

    /// Another node (or this one) says `topic` has news.
    fn woken(&self, topic: baton_store::Topic) {
        match topic {
            baton_store::Topic::Inbox(p) => {
                if self.ownership.runs(p) {
                    self.inbox_wake.notify_one();
                }
            }
            baton_store::Topic::Activity(arn) => self.activities.notify(&arn),
            // The scheduler listens for its own.
            baton_store::Topic::Schedules => {}
            baton_store::Topic::Everything => {
                self.inbox_wake.notify_one();
                self.activities.notify_all();
            }
        }
    }

    /// Tells the other nodes about `topic`, off the caller's path (a hint: they also poll).
    pub(crate) fn tell(&self, topic: baton_store::Topic) {
        if !self.ownership.is_shared() {
            return;
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.notify(&topic).await {
                tracing::debug!(error = %e, "could not notify the other nodes");
            }
        });
    }

    /// Drops a state machine's record from memory: it changed or went.
    pub(crate) fn forget_machine(&self, arn: &str) {
        self.machines.remove(arn);
    }

    pub(crate) fn arc(&self) -> Arc<Runtime> {
        self.this
            .upgrade()
            .expect("the runtime is alive while it serves")
    }

    /// Stops the timer task and answers every waiting `GetActivityTask` with no task;
    /// executions stay in the store and resume at the next `open`.
    pub fn shutdown(&self) {
        self.stopping.send_replace(true);
        self.timers.shutdown();
    }
}

/// Pauses between tries of a write a failing store refused (a dropped connection, a database
/// restarting): 250 ms, doubling, for about two minutes in all.
pub(crate) struct Backoff(std::time::Duration);

impl Backoff {
    pub fn new() -> Backoff {
        Backoff(std::time::Duration::from_millis(250))
    }

    /// Waits before the next try; `false` (at once) when the tries are over.
    pub async fn wait(&mut self) -> bool {
        if self.0 > std::time::Duration::from_secs(60) {
            return false;
        }
        tokio::time::sleep(self.0).await;
        self.0 *= 2;
        true
    }
}

/// Pauses between tries of work that must not give up while the node runs (rebuilding what a
/// failing store left out of memory): 250 ms, doubling, then every 5 s.
pub(crate) struct Patience(std::time::Duration);

impl Patience {
    pub fn new() -> Patience {
        Patience(std::time::Duration::from_millis(250))
    }

    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(std::time::Duration::from_secs(5));
    }
}

/// How long a state machine record read from a store other nodes share is used before it is
/// read again: an update on another node reaches starts here within this. AWS documents the
/// same staleness: "Executions started immediately after calling UpdateStateMachine may use
/// the previous state machine definition" (UpdateStateMachine API reference).
pub(crate) const MACHINE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

pub(crate) use guard::guard;

/// The system clock, in milliseconds since the Unix epoch.
pub(crate) fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// A store failure as the API reports it: an internal error (HTTP 500); records the API names
/// are looked up before they are written, so other errors mean a race or a broken store.
/// Not logged here: the server logs every 5xx once, with its request id and operation, and the
/// message carries the store's error.
pub(crate) fn internal(error: StoreError) -> baton_api::ApiError {
    baton_api::ApiError::internal(format!("Internal failure: {error}"))
}

/// A `HashMap` behind a mutex, split into shards so unrelated executions do not contend.
pub(crate) struct Sharded<V> {
    shards: Vec<Mutex<HashMap<String, V>>>,
}

impl<V> Default for Sharded<V> {
    fn default() -> Self {
        Sharded {
            shards: (0..32).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl<V: Clone> Sharded<V> {
    fn shard(&self, key: &str) -> &Mutex<HashMap<String, V>> {
        use std::hash::{Hash, Hasher};
        let mut h = FnvHasher(0xcbf2_9ce4_8422_2325);
        key.hash(&mut h);
        &self.shards[(h.finish() as usize) % self.shards.len()]
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.shard(key).lock().expect("shard").get(key).cloned()
    }

    pub fn insert(&self, key: String, value: V) {
        self.shard(&key).lock().expect("shard").insert(key, value);
    }

    pub fn remove(&self, key: &str) -> Option<V> {
        self.shard(key).lock().expect("shard").remove(key)
    }

    /// Inserts `make()` unless the key is present; returns the value in the map.
    pub fn get_or_insert_with(&self, key: &str, make: impl FnOnce() -> V) -> V {
        let mut shard = self.shard(key).lock().expect("shard");
        shard.entry(key.to_string()).or_insert_with(make).clone()
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().expect("shard").len())
            .sum()
    }

    /// Every entry, as it is now.
    pub fn entries(&self) -> Vec<(String, V)> {
        self.shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .expect("shard")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// FNV-1a: a stable, fast hash for shard selection.
struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
