//! Baton's embedded store: one SQLite database file in a data directory, in WAL mode.
//!
//! Threads, each with its own connection:
//! * the **writer** — the only connection that writes. It commits every batch waiting in its
//!   channel in a single transaction (group commit); callers are answered once that transaction
//!   is durable, by a **replier** thread, so the writer is already on the next group;
//! * the **checkpointer** copies committed pages from the WAL back into the database file (see
//!   `checkpoint`), so the writer does not wait for that or its fsyncs;
//! * a small pool of **readers**, read-only.
//!
//! So no store call ever blocks an async executor: each is a message to a thread and a future
//! that completes when the answer comes back.
//!
//! One process at a time: opening takes an exclusive lock on the data folder (see `lock`),
//! held until the store is dropped, so a second server on the same folder refuses to start
//! instead of running every task a second time.
//!
//! Durability: a batch whose commit returned is in the WAL file, written with `write(2)`
//! before the commit returned, so it survives the process being killed (`kill -9`): the OS
//! holds the data. With the default [`Synchronous::Normal`], the WAL is fsynced only at
//! checkpoints, so a power loss or OS crash may lose the last commits (never corrupting the
//! database); [`Synchronous::Full`] fsyncs at every group commit and survives those too.

mod apply;
mod backup;
mod checkpoint;
mod lock;
mod membership;
mod read;
mod retention;
mod rows;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use baton_store::{
    Activity, AliasesOf, Error, Execution, ExecutionFilter, ExecutionSummary, HistoryRecord,
    InboxEntry, JournalEntry, MapRun, Membership, Millis, Page, PageRequest, PartitionOwner,
    Result, Scope, StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion,
    Store, StoreGauges, Tag, Task, Timer, WriteBatch,
};
use crossbeam_channel::unbounded;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use crate::rows::backend;
use crate::writer::Request;

pub use crate::backup::{backup, Backup};
pub use crate::lock::LOCK_FILE;

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "baton.sqlite3";

/// When SQLite forces the WAL to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// At checkpoints only: commits survive the process dying, not the machine losing power.
    #[default]
    Normal,
    /// At every group commit: commits survive power loss too, for one fsync per group.
    Full,
}

/// How to open the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub synchronous: Synchronous,
    /// Read-only connections, each on its own thread.
    pub readers: usize,
    /// At most this many requests share one transaction.
    pub max_group: usize,
    /// Pages (4 KiB) the WAL may hold before the writer makes it start afresh, after the
    /// checkpointer copied them back: the WAL file's size, roughly. Each restart holds the
    /// writer for two fsyncs, so fewer, larger restarts keep commit latency lower.
    pub wal_pages: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            synchronous: Synchronous::Normal,
            readers: 2,
            max_group: 1024,
            // 64 MiB.
            wal_pages: 16_384,
        }
    }
}

type Job = Box<dyn FnOnce(&Connection) + Send>;

/// What the writer has done since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed (or failed).
    pub groups: u64,
    /// Requests (batches and claims) they carried.
    pub requests: u64,
    /// Groups applied again, each request in its own savepoint, because one of them failed.
    pub retried: u64,
}

/// The SQLite store. Dropping it finishes the requests already sent, then closes the database
/// (joining its threads: drop it outside an async executor, or accept that short wait there).
pub struct SqliteStore {
    path: PathBuf,
    writer: Option<mpsc::Sender<Request>>,
    readers: Option<crossbeam_channel::Sender<Job>>,
    /// The connection that writes node leases and partition owners (not batches).
    control: Option<crossbeam_channel::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    counters: Arc<writer::Counters>,
    /// Released last, after `Drop` joined the threads that use the database.
    _lock: lock::DirLock,
}

impl SqliteStore {
    /// Opens (creating it and the directory if needed) the store in `dir`, with default options.
    /// [`Error::InUse`] when another process (or another store in this one) has it open.
    pub fn open(dir: impl AsRef<Path>) -> Result<SqliteStore> {
        SqliteStore::open_with(dir, Options::default())
    }

    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<SqliteStore> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Backend(format!("creating {}: {e}", dir.display())))?;
        // Before the database is touched: a second process must not even run migrations.
        let dir_lock = lock::DirLock::acquire(dir)?;
        let path = dir.join(DATABASE_FILE);
        let context = |e: Error| Error::Backend(format!("opening {}: {e}", path.display()));

        let mut conn = Connection::open(&path).map_err(|e| context(backend(e)))?;
        configure_writer(&conn, options.synchronous).map_err(|e| context(backend(e)))?;
        schema::migrate(&mut conn).map_err(context)?;

        let mut threads = Vec::new();
        // Readers open after the writer made the database a WAL database with this schema.
        let (job_tx, job_rx) = unbounded::<Job>();
        for i in 0..options.readers.max(1) {
            let reader = open_reader(&path).map_err(|e| context(backend(e)))?;
            let jobs = job_rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("baton-store-reader-{i}"))
                .spawn(move || {
                    while let Ok(job) = jobs.recv() {
                        job(&reader);
                    }
                })
                .map_err(|e| context(Error::backend(e)))?;
            threads.push(handle);
        }
        let control = Connection::open(&path).map_err(|e| context(backend(e)))?;
        control
            .busy_timeout(Duration::from_secs(10))
            .and_then(|()| {
                control.pragma_update(None, "synchronous", sync_pragma(options.synchronous))
            })
            .map_err(|e| context(backend(e)))?;
        let (control_tx, control_rx) = unbounded::<Job>();
        let handle = std::thread::Builder::new()
            .name("baton-store-control".into())
            .spawn(move || {
                while let Ok(job) = control_rx.recv() {
                    job(&control);
                }
            })
            .map_err(|e| context(Error::backend(e)))?;
        threads.push(handle);
        let checkpointer = Connection::open(&path).map_err(|e| context(backend(e)))?;
        configure_checkpointer(&checkpointer, options.synchronous)
            .map_err(|e| context(backend(e)))?;
        let (nudge_tx, nudge_rx) = crossbeam_channel::bounded::<()>(1);
        let shared = Arc::new(checkpoint::Shared::default());
        let checkpointer_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("baton-store-checkpointer".into())
            .spawn(move || checkpoint::run(checkpointer, nudge_rx, checkpointer_shared))
            .map_err(|e| context(Error::backend(e)))?;
        threads.push(handle);
        let nudge = checkpoint::Nudge::new(nudge_tx, shared, options.wal_pages);

        // Bounded: when the disk falls behind, producers wait (asynchronously) instead of queueing
        // without limit.
        let (write_tx, write_rx) = mpsc::channel::<Request>(options.max_group.max(1) * 4);
        let (reply_tx, reply_rx) = unbounded::<writer::Answers>();
        let handle = std::thread::Builder::new()
            .name("baton-store-replier".into())
            .spawn(move || writer::reply(reply_rx))
            .map_err(|e| context(Error::backend(e)))?;
        threads.push(handle);
        let max_group = options.max_group.max(1);
        let counters = Arc::new(writer::Counters::default());
        let writer_counters = counters.clone();
        let handle = std::thread::Builder::new()
            .name("baton-store-writer".into())
            .spawn(move || {
                writer::run(conn, write_rx, max_group, &writer_counters, nudge, reply_tx)
            })
            .map_err(|e| context(Error::backend(e)))?;
        threads.push(handle);
        Ok(SqliteStore {
            path,
            writer: Some(write_tx),
            readers: Some(job_tx),
            control: Some(control_tx),
            threads,
            counters,
            _lock: dir_lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn writer_stats(&self) -> WriterStats {
        WriterStats {
            groups: self.counters.groups.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            retried: self.counters.retried.load(Ordering::Relaxed),
        }
    }

    /// The schema version this build writes (`PRAGMA user_version` of an up-to-date database).
    pub fn schema_version() -> u32 {
        schema::latest()
    }

    async fn write<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T>>) -> Request,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let writer = self.writer.as_ref().ok_or(Error::Closed)?;
        writer.send(request(tx)).await.map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.on(self.readers.as_ref(), f).await
    }

    /// Runs `f` on the control connection (membership writes).
    async fn control<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.on(self.control.as_ref(), f).await
    }

    async fn on<T: Send + 'static>(
        &self,
        threads: Option<&crossbeam_channel::Sender<Job>>,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let threads = threads.ok_or(Error::Closed)?;
        let job: Job = Box::new(move |conn| {
            let _ = tx.send(f(conn));
        });
        threads.send(job).map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channels ends the threads once they have done what was sent.
        self.writer.take();
        self.readers.take();
        self.control.take();
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

fn sync_pragma(synchronous: Synchronous) -> &'static str {
    match synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    }
}

fn configure_writer(conn: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidQuery);
    }
    conn.pragma_update(None, "synchronous", sync_pragma(synchronous))?;
    // Checkpoints are the checkpointer thread's job (see `checkpoint`), not the commit's.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 32 MiB of page cache (negative: KiB).
    conn.pragma_update(None, "cache_size", -32_768)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

fn configure_checkpointer(conn: &Connection, synchronous: Synchronous) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    // A checkpoint syncs the WAL before and the database after copying, as this says.
    conn.pragma_update(None, "synchronous", sync_pragma(synchronous))?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(())
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "cache_size", -16_384)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

#[async_trait]
impl Membership for SqliteStore {
    async fn heartbeat(&self, node: &str, address: &str, ttl_ms: u64) -> Result<()> {
        let (node, address) = (node.to_string(), address.to_string());
        self.control(move |c| membership::heartbeat(c, &node, &address, ttl_ms))
            .await
    }

    async fn acquire(&self, node: &str, partition: u32) -> Result<Option<u64>> {
        let node = node.to_string();
        self.control(move |c| membership::acquire(c, &node, partition))
            .await
    }

    async fn release(&self, node: &str, partition: u32, epoch: u64) -> Result<bool> {
        let node = node.to_string();
        self.control(move |c| membership::release(c, &node, partition, epoch))
            .await
    }

    async fn owners(&self) -> Result<Vec<PartitionOwner>> {
        self.read(membership::owners).await
    }

    async fn live_nodes(&self) -> Result<Vec<(String, String)>> {
        self.read(membership::live_nodes).await
    }

    async fn hold_presence(&self, _node: &str) -> Result<()> {
        // One process opens the store (the folder lock): nobody else needs to see it go.
        Ok(())
    }

    async fn is_gone(&self, _node: &str) -> Result<bool> {
        Ok(false)
    }

    async fn take_over(&self, node: &str, partition: u32, owner: &str) -> Result<Option<u64>> {
        let (node, owner) = (node.to_string(), owner.to_string());
        self.control(move |c| membership::take_over(c, &node, partition, &owner))
            .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, batch: WriteBatch) -> Result<()> {
        self.write(|reply| Request::Commit { batch, reply }).await
    }

    async fn claim_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        now: Millis,
    ) -> Result<Option<Task>> {
        let activity_arn = activity_arn.to_string();
        let worker_name = worker_name.map(str::to_string);
        self.write(|reply| Request::Claim {
            activity_arn,
            worker_name,
            now,
            reply,
        })
        .await
    }

    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>> {
        let arn = arn.to_string();
        self.read(move |c| read::state_machine(c, &arn)).await
    }

    async fn state_machines(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<StateMachine>> {
        let (scope, page) = (scope.clone(), page.clone());
        self.read(move |c| read::state_machines(c, &scope, &page))
            .await
    }

    async fn revision(
        &self,
        state_machine_arn: &str,
        revision_id: &str,
    ) -> Result<Option<StateMachineRevision>> {
        let (arn, id) = (state_machine_arn.to_string(), revision_id.to_string());
        self.read(move |c| read::revision(c, &arn, &id)).await
    }

    async fn version(&self, arn: &str) -> Result<Option<StateMachineVersion>> {
        let arn = arn.to_string();
        self.read(move |c| read::version(c, &arn)).await
    }

    async fn versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>> {
        let (arn, page) = (state_machine_arn.to_string(), page.clone());
        self.read(move |c| read::versions(c, &arn, &page)).await
    }

    async fn alias(&self, arn: &str) -> Result<Option<StateMachineAlias>> {
        let arn = arn.to_string();
        self.read(move |c| read::alias(c, &arn)).await
    }

    async fn aliases(
        &self,
        of: AliasesOf<'_>,
        page: &PageRequest,
    ) -> Result<Page<StateMachineAlias>> {
        let page = page.clone();
        match of {
            AliasesOf::Machine(arn) => {
                let arn = arn.to_string();
                self.read(move |c| read::aliases(c, AliasesOf::Machine(&arn), &page))
                    .await
            }
            AliasesOf::Version(arn) => {
                let arn = arn.to_string();
                self.read(move |c| read::aliases(c, AliasesOf::Version(&arn), &page))
                    .await
            }
        }
    }

    async fn activity(&self, arn: &str) -> Result<Option<Activity>> {
        let arn = arn.to_string();
        self.read(move |c| read::activity(c, &arn)).await
    }

    async fn activities(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        let (scope, page) = (scope.clone(), page.clone());
        self.read(move |c| read::activities(c, &scope, &page)).await
    }

    async fn tags(&self, resource_arn: &str) -> Result<Vec<Tag>> {
        let arn = resource_arn.to_string();
        self.read(move |c| read::tags(c, &arn)).await
    }

    async fn execution(&self, arn: &str) -> Result<Option<Execution>> {
        let arn = arn.to_string();
        self.read(move |c| read::execution(c, &arn)).await
    }

    async fn executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| read::executions(c, &filter, &page))
            .await
    }

    async fn unfinished_executions(&self) -> Result<Vec<Execution>> {
        self.read(read::unfinished_executions).await
    }

    async fn purge_closed(&self, stopped_before: Millis, limit: usize) -> Result<usize> {
        self.control(move |c| retention::purge(c, stopped_before, limit))
            .await
    }

    async fn gauges(&self) -> Result<StoreGauges> {
        let (timers, open_tasks) = self
            .read(|c| {
                let count = |sql: &str| {
                    c.query_row(sql, [], |row| row.get::<_, i64>(0))
                        .map(|n| u64::try_from(n).unwrap_or(0))
                        .map_err(backend)
                };
                Ok((
                    count("SELECT count(*) FROM timers")?,
                    count("SELECT count(*) FROM tasks WHERE status <> 'CLOSED'")?,
                ))
            })
            .await?;
        // The database and its write-ahead log.
        let bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                let mut file = self.path.clone().into_os_string();
                file.push(suffix);
                std::fs::metadata(file).ok().map(|m| m.len())
            })
            .sum();
        let stats = self.writer_stats();
        Ok(StoreGauges {
            timers: Some(timers),
            open_tasks: Some(open_tasks),
            bytes: Some(bytes),
            commits: Some(stats.groups),
            batches: Some(stats.requests),
            commit_seconds: Some(self.counters.commits.seconds.snapshot()),
            commit_batches: Some(self.counters.commits.batches.snapshot()),
        })
    }

    async fn inbox(&self, partitions: &[u32], limit: usize) -> Result<Vec<InboxEntry>> {
        let partitions = partitions.to_vec();
        self.read(move |c| read::inbox(c, &partitions, limit)).await
    }

    async fn history(
        &self,
        execution_arn: &str,
        reverse: bool,
        page: &PageRequest,
    ) -> Result<Page<HistoryRecord>> {
        let (arn, page) = (execution_arn.to_string(), page.clone());
        self.read(move |c| read::history(c, &arn, reverse, &page))
            .await
    }

    async fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        let arn = execution_arn.to_string();
        self.read(move |c| read::journal(c, &arn)).await
    }

    async fn due_timers(&self, now: Millis, limit: usize) -> Result<Vec<Timer>> {
        self.read(move |c| read::due_timers(c, now, limit)).await
    }

    async fn next_timer_at(&self) -> Result<Option<Millis>> {
        self.read(read::next_timer_at).await
    }

    async fn task(&self, execution_arn: &str, task_id: u64) -> Result<Option<Task>> {
        let arn = execution_arn.to_string();
        self.read(move |c| read::task(c, &arn, task_id)).await
    }

    async fn task_by_token(&self, token: &str) -> Result<Option<Task>> {
        let token = token.to_string();
        self.read(move |c| read::task_by_token(c, &token)).await
    }

    async fn tasks(&self, execution_arn: &str) -> Result<Vec<Task>> {
        let arn = execution_arn.to_string();
        self.read(move |c| read::tasks(c, &arn)).await
    }

    async fn map_run(&self, arn: &str) -> Result<Option<MapRun>> {
        let arn = arn.to_string();
        self.read(move |c| read::map_run(c, &arn)).await
    }

    async fn map_runs(&self, execution_arn: &str, page: &PageRequest) -> Result<Page<MapRun>> {
        let (arn, page) = (execution_arn.to_string(), page.clone());
        self.read(move |c| read::map_runs(c, &arn, &page)).await
    }

    async fn service_resource(
        &self,
        kind: &str,
        arn: &str,
    ) -> Result<Option<baton_store::ServiceResource>> {
        let (kind, arn) = (kind.to_string(), arn.to_string());
        self.read(move |c| read::service_resource(c, &kind, &arn))
            .await
    }

    async fn service_resources(
        &self,
        kind: &str,
        account: Option<&str>,
    ) -> Result<Vec<baton_store::ServiceResource>> {
        let (kind, account) = (kind.to_string(), account.map(str::to_string));
        self.read(move |c| read::service_resources(c, &kind, account.as_deref()))
            .await
    }
}
