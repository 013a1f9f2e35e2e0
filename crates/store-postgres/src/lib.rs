//! Baton's shared store: PostgreSQL, for several nodes on one database or one node on a
//! database the team already runs.
//!
//! The store owns its I/O: a small Tokio runtime of its own runs
//! * the **writers**, the connections that write batches: each commits every batch waiting in
//!   its channel in a single transaction whose statements are pipelined (see `writer`), and
//!   answers callers once the commit has returned. A batch goes to the writer its key hashes
//!   to (the execution it writes, else the resource), so one execution's batches are committed
//!   in order and no two writers touch the same rows; several writers keep several commits
//!   (each waiting for its WAL flush) in flight at once;
//! * a pool of **read** connections (deadpool-postgres), each read one statement on one of them.
//!
//! So the store's futures need no particular async runtime: each call is a task on the store's
//! runtime and a channel the caller awaits.
//!
//! Durability is the server's: a batch whose commit returned is in PostgreSQL's WAL, flushed as
//! `synchronous_commit` says (on by default: survives the database server's crash).
//!
//! The schema is upgraded at open (`schema`), under an advisory lock so nodes starting together
//! apply each migration once.

mod apply;
mod columnar;
mod membership;
mod notify;
mod read;
mod retention;
mod rows;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod writer;

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use baton_store::{
    Activity, AliasesOf, Error, Execution, ExecutionFilter, ExecutionSummary, HistoryRecord,
    InboxEntry, JournalEntry, MapRun, Membership, Millis, Page, PageRequest, PartitionOwner,
    Result, Scope, StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion,
    Store, StoreGauges, Tag, Task, Timer, WriteBatch,
};
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::{mpsc, oneshot};

use crate::rows::backend;
use crate::writer::Request;

/// How to open the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Connections in the read pool.
    pub readers: usize,
    /// At most this many batches share one transaction.
    pub max_group: usize,
    /// Writer connections, each committing its own groups.
    pub writers: usize,
    /// Threads of the store's own runtime: by default one per writer, each thread's work
    /// being about one writer connection's (its statements built, sent, and answered). With
    /// two on a 2-core machine, three nodes sharing it ran 3-Pass executions at 0.85× of one
    /// node's rate; with one, 0.89× (BENCHMARKS.md): every idle thread is another one to wake.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            readers: 8,
            max_group: 1024,
            writers: default_writers(),
            threads: default_writers(),
        }
    }
}

/// One writer per two cores of this machine, from one to four. Each writer's groups wait for
/// their own commit, so more writers commit more groups at once, but every writer is a
/// backend whose transactions cost the database their fixed share whatever their size: on
/// two cores (the node and PostgreSQL sharing them) one writer's groups, four times larger,
/// ran 3-Pass starts at 9,150–9,850/s against 5,700 with four (BENCHMARKS.md).
fn default_writers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 4))
}

/// What the writer has done since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed (or failed).
    pub groups: u64,
    /// Batches they carried.
    pub requests: u64,
    /// Groups applied again, each batch in its own savepoint, because one of them failed.
    pub retried: u64,
    /// Steps whose execution row, history and journal were written by one statement.
    pub fused: u64,
    /// Groups written as one statement in its own implicit transaction (a group of one-step
    /// starts), with no `BEGIN`, fence statement or `COMMIT` around it.
    pub one_statement: u64,
}

/// The PostgreSQL store.
pub struct PgStore {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    writers: Vec<mpsc::Sender<Request>>,
    writer_tasks: Vec<tokio::task::JoinHandle<()>>,
    pool: Pool,
    counters: Arc<writer::Counters>,
    location: String,
    server: Server,
    /// The session holding this node's presence lock (`Membership::hold_presence`).
    presence: Arc<tokio::sync::Mutex<Option<tokio_postgres::Client>>>,
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match tokio_postgres::Config::from_str(&tls::settings(url).url) {
        Ok(config) => {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
                .map(|(h, port)| match h {
                    tokio_postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect();
            format!(
                "postgres://{}@{}/{}",
                config.get_user().unwrap_or(""),
                hosts.join(","),
                config.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "an unreadable PostgreSQL URL".to_string(),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
    /// the key=value form), brings its schema up to date and starts the writer.
    pub async fn open(url: &str) -> Result<PgStore> {
        PgStore::open_with(url, Options::default()).await
    }

    pub async fn open_with(url: &str, options: Options) -> Result<PgStore> {
        let location = redacted(url);
        let context = |e: Error| Error::Backend(format!("opening {location}: {e}"));
        let tls_settings = tls::settings(url);
        let mut config = tokio_postgres::Config::from_str(&tls_settings.url)
            .map_err(|e| context(Error::Backend(format!("not a PostgreSQL URL: {e}"))))?;
        let tls = tls::connector(&tls_settings, &mut config).map_err(context)?;
        if config.get_application_name().is_none() {
            config.application_name("baton");
        }
        // Plan each statement once per connection: the statements are fixed texts whose plans
        // do not depend on their values, and planning them again at each execution (the
        // default for the first five, and whenever a custom plan looks cheaper) costs more
        // than running them.
        // A transaction left open by a node that stopped (SIGSTOP, a hung process) would hold
        // its partitions' rows and keep a takeover waiting: the server ends it after 2 s, so
        // that with any lease of 2 s or more it is gone before the lease runs out (with 5 s, a
        // node paused between a group's statements and its COMMIT held a takeover after a
        // 3 s lease to 5 s). Baton's own transactions never wait on the client for more than
        // a round trip.
        const SESSION: &str =
            "-c plan_cache_mode=force_generic_plan -c idle_in_transaction_session_timeout=2000";
        let session = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} {SESSION}"),
            _ => SESSION.to_string(),
        };
        config.options(&session);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads.max(1))
            .thread_name("baton-store-pg")
            .enable_all()
            .build()
            .map_err(|e| context(Error::backend(e)))?;
        let handle = runtime.handle().clone();

        let server = Server {
            config: config.clone(),
            tls: tls.clone(),
        };
        // Migrate on a connection of its own, before anything else touches the schema.
        let migrate = server.clone();
        let migrated = run_on(&handle, async move {
            let mut client = migrate.connect().await?;
            schema::migrate(&mut client).await
        })
        .await;
        if let Err(e) = migrated {
            runtime.shutdown_background();
            return Err(context(e));
        }

        let manager = Manager::from_config(
            config.clone(),
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.readers.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| context(Error::backend(e)))?;

        let writer_server = server.clone();
        let connect: writer::Connect = Arc::new(move || {
            let server = writer_server.clone();
            Box::pin(async move { server.connect().await })
        });
        let counters = Arc::new(writer::Counters::default());
        let mut writers = Vec::new();
        let mut writer_tasks = Vec::new();
        for _ in 0..options.writers.max(1) {
            let (tx, rx) = mpsc::channel::<Request>(options.max_group.max(1) * 4);
            writers.push(tx);
            writer_tasks.push(handle.spawn(writer::run(
                connect.clone(),
                rx,
                options.max_group.max(1),
                counters.clone(),
            )));
        }
        Ok(PgStore {
            runtime: Some(runtime),
            handle,
            writers,
            writer_tasks,
            pool,
            counters,
            location,
            server,
            presence: Arc::default(),
        })
    }

    /// Where the store is, without the password.
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn writer_stats(&self) -> WriterStats {
        WriterStats {
            groups: self.counters.groups.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            retried: self.counters.retried.load(Ordering::Relaxed),
            fused: self.counters.fused.load(Ordering::Relaxed),
            one_statement: self.counters.one_statement.load(Ordering::Relaxed),
        }
    }

    /// The schema version this build writes.
    pub fn schema_version() -> u32 {
        schema::latest()
    }

    /// Runs `f` with a pooled connection: every read, activity claims and membership changes
    /// (everything but batches, which the writers commit).
    async fn pooled<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let pool = self.pool.clone();
        run_on(&self.handle, async move {
            let client = pool
                .get()
                .await
                .map_err(|e| Error::Backend(format!("postgres: no read connection: {e}")))?;
            f(client).await
        })
        .await
    }
}

/// Runs `f` on the store's runtime; the caller may be on any executor, or none.
async fn run_on<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    f: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = oneshot::channel();
    handle.spawn(async move {
        let _ = tx.send(f.await);
    });
    rx.await.map_err(|_| Error::Closed)?
}

/// A new connection, its I/O driven by a task on the current (the store's) runtime.
/// A session of its own holding a node's presence lock.
async fn lock_presence(server: &Server, key: i32) -> Result<tokio_postgres::Client> {
    let client = server.connect().await?;
    let held: bool = client
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2)",
            &[&membership::PRESENCE_CLASS, &key],
        )
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    if !held {
        return Err(Error::Backend(
            "another session holds this node's presence lock".into(),
        ));
    }
    Ok(client)
}

/// Where and how to connect: the session's settings and the TLS they ask for.
#[derive(Clone)]
pub(crate) struct Server {
    config: tokio_postgres::Config,
    tls: tls::Connector,
}

impl Server {
    /// A new connection, its I/O driven by a task on the current (the store's) runtime.
    async fn connect(&self) -> Result<tokio_postgres::Client> {
        let (client, connection) = self.connect_driven_by_caller().await?;
        tokio::spawn(async move {
            // Ends when the client is dropped or the server goes; the client then reports
            // closed.
            let _ = connection.await;
        });
        Ok(client)
    }

    /// A new connection whose I/O the caller drives (to read its notifications).
    pub(crate) async fn connect_driven_by_caller(
        &self,
    ) -> Result<(
        tokio_postgres::Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tls::Stream>,
    )> {
        self.config.connect(self.tls.clone()).await.map_err(backend)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the channels ends the writers once they have committed what was sent.
        self.writers.clear();
        let writer_tasks = std::mem::take(&mut self.writer_tasks);
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                // Inside an async executor, which must not block: stop at once. A group in
                // flight is rolled back by the server when its connection closes.
                runtime.shutdown_background();
            } else {
                let _ = runtime.block_on(async {
                    tokio::time::timeout(
                        Duration::from_secs(10),
                        futures_util::future::join_all(writer_tasks),
                    )
                    .await
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            }
        }
    }
}

#[async_trait]
impl Membership for PgStore {
    async fn heartbeat(&self, node: &str, address: &str, ttl_ms: u64) -> Result<()> {
        let (node, address) = (node.to_string(), address.to_string());
        self.pooled(
            move |c| async move { membership::heartbeat(&c, &node, &address, ttl_ms).await },
        )
        .await
    }

    async fn acquire(&self, node: &str, partition: u32) -> Result<Option<u64>> {
        let node = node.to_string();
        self.pooled(move |c| async move { membership::acquire(&c, &node, partition).await })
            .await
    }

    async fn release(&self, node: &str, partition: u32, epoch: u64) -> Result<bool> {
        let node = node.to_string();
        self.pooled(move |c| async move { membership::release(&c, &node, partition, epoch).await })
            .await
    }

    async fn owners(&self) -> Result<Vec<PartitionOwner>> {
        self.pooled(move |c| async move { membership::owners(&c).await })
            .await
    }

    async fn live_nodes(&self) -> Result<Vec<(String, String)>> {
        self.pooled(move |c| async move { membership::live_nodes(&c).await })
            .await
    }

    async fn hold_presence(&self, node: &str) -> Result<()> {
        let key = membership::presence_key(node);
        let server = self.server.clone();
        let presence = self.presence.clone();
        run_on(&self.handle, async move {
            let client = lock_presence(&server, key).await?;
            // Kept open for the store's life: the lock lasts as long as this session.
            *presence.lock().await = Some(client);
            Ok(())
        })
        .await?;
        // A session lost (the server restarted, a proxy dropped it) takes the lock with it:
        // take it again as soon as the server answers, before the other nodes conclude
        // this one is gone (they wait a while for that; see the balancer).
        let server = self.server.clone();
        let presence = self.presence.clone();
        self.handle.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut held = presence.lock().await;
                if held.as_ref().is_some_and(|c| !c.is_closed()) {
                    continue;
                }
                if let Ok(client) = lock_presence(&server, key).await {
                    *held = Some(client);
                }
            }
        });
        Ok(())
    }

    async fn is_gone(&self, node: &str) -> Result<bool> {
        let node = node.to_string();
        self.pooled(move |c| async move { membership::is_gone(&c, &node).await })
            .await
    }

    async fn take_over(&self, node: &str, partition: u32, owner: &str) -> Result<Option<u64>> {
        let (node, owner) = (node.to_string(), owner.to_string());
        self.pooled(
            move |c| async move { membership::take_over(&c, &node, partition, &owner).await },
        )
        .await
    }
    async fn notify(&self, topic: &baton_store::Topic) -> Result<()> {
        let topic = topic.clone();
        self.pooled(move |c| async move { notify::notify(&c, &topic).await })
            .await
    }
    async fn listen(&self, wake: baton_store::Wake) -> Result<bool> {
        // Ends with the store's runtime.
        self.handle.spawn(notify::listen(self.server.clone(), wake));
        Ok(true)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn commit(&self, batch: WriteBatch) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        if self.writers.is_empty() {
            return Err(Error::Closed);
        }
        let writer = &self.writers[writer::route(&batch, self.writers.len())];
        writer
            .send(Request { batch, reply })
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    async fn claim_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        now: Millis,
    ) -> Result<Option<Task>> {
        let activity_arn = activity_arn.to_string();
        let worker_name = worker_name.map(str::to_string);
        self.pooled(move |c| async move {
            read::claim(&c, &activity_arn, worker_name.as_deref(), now).await
        })
        .await
    }

    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::state_machine(&c, &arn).await })
            .await
    }

    async fn state_machines(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<StateMachine>> {
        let (scope, page) = (scope.clone(), page.clone());
        self.pooled(move |c| async move { read::state_machines(&c, &scope, &page).await })
            .await
    }

    async fn revision(
        &self,
        state_machine_arn: &str,
        revision_id: &str,
    ) -> Result<Option<StateMachineRevision>> {
        let (arn, id) = (state_machine_arn.to_string(), revision_id.to_string());
        self.pooled(move |c| async move { read::revision(&c, &arn, &id).await })
            .await
    }

    async fn version(&self, arn: &str) -> Result<Option<StateMachineVersion>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::version(&c, &arn).await })
            .await
    }

    async fn versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>> {
        let (arn, page) = (state_machine_arn.to_string(), page.clone());
        self.pooled(move |c| async move { read::versions(&c, &arn, &page).await })
            .await
    }

    async fn alias(&self, arn: &str) -> Result<Option<StateMachineAlias>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::alias(&c, &arn).await })
            .await
    }

    async fn aliases(
        &self,
        of: AliasesOf<'_>,
        page: &PageRequest,
    ) -> Result<Page<StateMachineAlias>> {
        let page = page.clone();
        let (machine, arn) = match of {
            AliasesOf::Machine(arn) => (true, arn.to_string()),
            AliasesOf::Version(arn) => (false, arn.to_string()),
        };
        self.pooled(move |c| async move {
            let of = if machine {
                AliasesOf::Machine(&arn)
            } else {
                AliasesOf::Version(&arn)
            };
            read::aliases(&c, of, &page).await
        })
        .await
    }

    async fn activity(&self, arn: &str) -> Result<Option<Activity>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::activity(&c, &arn).await })
            .await
    }

    async fn activities(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        let (scope, page) = (scope.clone(), page.clone());
        self.pooled(move |c| async move { read::activities(&c, &scope, &page).await })
            .await
    }

    async fn tags(&self, resource_arn: &str) -> Result<Vec<Tag>> {
        let arn = resource_arn.to_string();
        self.pooled(move |c| async move { read::tags(&c, &arn).await })
            .await
    }

    async fn execution(&self, arn: &str) -> Result<Option<Execution>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::execution(&c, &arn).await })
            .await
    }

    async fn executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.pooled(move |c| async move { read::executions(&c, &filter, &page).await })
            .await
    }

    async fn unfinished_executions(&self) -> Result<Vec<Execution>> {
        self.pooled(move |c| async move { read::unfinished_executions(&c).await })
            .await
    }

    async fn purge_closed(&self, stopped_before: Millis, limit: usize) -> Result<usize> {
        self.pooled(move |c| retention::purge(c, stopped_before, limit))
            .await
    }

    async fn gauges(&self) -> Result<StoreGauges> {
        let stats = self.writer_stats();
        let commit_seconds = Some(self.counters.commits.seconds.snapshot());
        let commit_batches = Some(self.counters.commits.batches.snapshot());
        self.pooled(move |c| async move {
            let row = c
                .query_one(
                    "SELECT (SELECT count(*) FROM timers), \
                     (SELECT count(*) FROM tasks WHERE status <> 'CLOSED'), \
                     pg_database_size(current_database())",
                    &[],
                )
                .await
                .map_err(rows::backend)?;
            let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
            Ok(StoreGauges {
                timers: Some(n(0)),
                open_tasks: Some(n(1)),
                bytes: Some(n(2)),
                commits: Some(stats.groups),
                batches: Some(stats.requests),
                commit_seconds,
                commit_batches,
            })
        })
        .await
    }

    async fn unfinished_executions_in(&self, partitions: &[u32]) -> Result<Vec<Execution>> {
        let partitions = partitions.to_vec();
        self.pooled(move |c| async move { read::unfinished_executions_in(&c, &partitions).await })
            .await
    }

    async fn timers_in(&self, partitions: &[u32]) -> Result<Vec<Timer>> {
        let partitions = partitions.to_vec();
        self.pooled(move |c| async move { read::timers_in(&c, &partitions).await })
            .await
    }

    async fn open_tasks_in(&self, partitions: &[u32]) -> Result<Vec<Task>> {
        let partitions = partitions.to_vec();
        self.pooled(move |c| async move { read::open_tasks_in(&c, &partitions).await })
            .await
    }

    async fn inbox(&self, partitions: &[u32], limit: usize) -> Result<Vec<InboxEntry>> {
        let partitions = partitions.to_vec();
        self.pooled(move |c| async move { read::inbox(&c, &partitions, limit).await })
            .await
    }

    async fn history(
        &self,
        execution_arn: &str,
        reverse: bool,
        page: &PageRequest,
    ) -> Result<Page<HistoryRecord>> {
        let (arn, page) = (execution_arn.to_string(), page.clone());
        self.pooled(move |c| async move { read::history(&c, &arn, reverse, &page).await })
            .await
    }

    async fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        let arn = execution_arn.to_string();
        self.pooled(move |c| async move { read::journal(&c, &arn).await })
            .await
    }

    async fn due_timers(&self, now: Millis, limit: usize) -> Result<Vec<Timer>> {
        self.pooled(move |c| async move { read::due_timers(&c, now, limit).await })
            .await
    }

    async fn next_timer_at(&self) -> Result<Option<Millis>> {
        self.pooled(move |c| async move { read::next_timer_at(&c).await })
            .await
    }

    async fn task(&self, execution_arn: &str, task_id: u64) -> Result<Option<Task>> {
        let arn = execution_arn.to_string();
        self.pooled(move |c| async move { read::task(&c, &arn, task_id).await })
            .await
    }

    async fn task_by_token(&self, token: &str) -> Result<Option<Task>> {
        let token = token.to_string();
        self.pooled(move |c| async move { read::task_by_token(&c, &token).await })
            .await
    }

    async fn tasks(&self, execution_arn: &str) -> Result<Vec<Task>> {
        let arn = execution_arn.to_string();
        self.pooled(move |c| async move { read::tasks(&c, &arn).await })
            .await
    }

    async fn map_run(&self, arn: &str) -> Result<Option<MapRun>> {
        let arn = arn.to_string();
        self.pooled(move |c| async move { read::map_run(&c, &arn).await })
            .await
    }

    async fn map_runs(&self, execution_arn: &str, page: &PageRequest) -> Result<Page<MapRun>> {
        let (arn, page) = (execution_arn.to_string(), page.clone());
        self.pooled(move |c| async move { read::map_runs(&c, &arn, &page).await })
            .await
    }

    async fn service_resource(
        &self,
        kind: &str,
        arn: &str,
    ) -> Result<Option<baton_store::ServiceResource>> {
        let (kind, arn) = (kind.to_string(), arn.to_string());
        self.pooled(move |c| async move { read::service_resource(&c, &kind, &arn).await })
            .await
    }

    async fn service_resources(
        &self,
        kind: &str,
        account: Option<&str>,
    ) -> Result<Vec<baton_store::ServiceResource>> {
        let (kind, account) = (kind.to_string(), account.map(str::to_string));
        self.pooled(
            move |c| async move { read::service_resources(&c, &kind, account.as_deref()).await },
        )
        .await
    }
}
