//! The `Store` trait: atomic batched writes and the reads the API and the runtime need.

use async_trait::async_trait;

use crate::{
    Activity, AliasesOf, Execution, ExecutionFilter, ExecutionSummary, HistoryRecord, InboxEntry,
    JournalEntry, MapRun, Membership, Millis, Page, PageRequest, Result, Scope, ServiceResource,
    StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion, Tag, Task,
    TaskStatus, Timer, WriteBatch,
};

/// What a store holds and has done, as `GET /metrics` shows it ([`Store::gauges`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreGauges {
    /// Timers waiting to fire (Wait states, retries, timeouts).
    pub timers: Option<u64>,
    /// Tasks scheduled or started and not yet closed (activities, callbacks).
    pub open_tasks: Option<u64>,
    /// Bytes the store takes: the SQLite files, or the PostgreSQL database.
    pub bytes: Option<u64>,
    /// Transactions the writers committed since the store was opened, and the batches they
    /// carried (their ratio is the group commit's size).
    pub commits: Option<u64>,
    pub batches: Option<u64>,
    /// How long the writers' transactions took, from the first statement to the commit's
    /// return (seconds), and how many batches each carried.
    pub commit_seconds: Option<crate::histogram::HistogramSnapshot>,
    pub commit_batches: Option<crate::histogram::HistogramSnapshot>,
}

/// A persistence backend.
///
/// Every method is async (a boxed future, so the trait stays object-safe and the runtime can
/// hold an `Arc<dyn Store>`): a commit is durable on the backend's own writer — a thread for
/// SQLite, a connection for PostgreSQL — and the caller waits for it without holding an
/// executor thread. The futures need no particular async runtime.
///
/// Reads see every batch whose commit has returned. Gets return `Ok(None)` for absent records;
/// listings of absent parents are empty.
#[async_trait]
pub trait Store: Membership + Send + Sync + 'static {
    /// Applies the batch atomically; durable when this returns `Ok`. On `Err` nothing of the
    /// batch was applied. Once called, dropping the future does not withdraw the batch: it is
    /// either applied or not, and a read tells which.
    async fn commit(&self, batch: WriteBatch) -> Result<()>;

    /// Hands the oldest scheduled task of this activity to one worker: marks it started (with
    /// the worker's name and `now`) and returns it. Each task is handed out at most once, however
    /// many callers race. `None` when no task is waiting.
    async fn claim_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        now: Millis,
    ) -> Result<Option<Task>>;

    /// Retention: deletes at most `limit` closed executions (SUCCEEDED, FAILED, TIMED_OUT,
    /// ABORTED) that stopped before `stopped_before`, with their history, journal, tasks,
    /// timers and map runs, oldest first and a few per transaction, so writers wait little;
    /// answers how many went. Running executions, and those that stopped since, stay. A caller
    /// calls again while it gets `limit`.
    async fn purge_closed(&self, stopped_before: Millis, limit: usize) -> Result<usize>;

    /// What the store holds and has done, for `GET /metrics`: read when asked, never kept
    /// up to date. The default knows nothing.
    async fn gauges(&self) -> Result<StoreGauges> {
        Ok(StoreGauges::default())
    }

    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>>;

    /// The scope's state machines by name, as `ListStateMachines` orders them.
    async fn state_machines(&self, scope: &Scope, page: &PageRequest)
        -> Result<Page<StateMachine>>;

    async fn revision(
        &self,
        state_machine_arn: &str,
        revision_id: &str,
    ) -> Result<Option<StateMachineRevision>>;

    async fn version(&self, arn: &str) -> Result<Option<StateMachineVersion>>;

    /// The machine's versions, newest (highest number) first.
    async fn versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>>;

    async fn alias(&self, arn: &str) -> Result<Option<StateMachineAlias>>;

    /// Aliases, most recently created first.
    async fn aliases(
        &self,
        of: AliasesOf<'_>,
        page: &PageRequest,
    ) -> Result<Page<StateMachineAlias>>;

    async fn activity(&self, arn: &str) -> Result<Option<Activity>>;

    /// The scope's activities by name.
    async fn activities(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>>;

    /// The resource's tags by key.
    async fn tags(&self, resource_arn: &str) -> Result<Vec<Tag>>;

    async fn execution(&self, arn: &str) -> Result<Option<Execution>>;

    /// Executions newest first (see [`Execution::list_date`]); among equal dates, the one
    /// created last first.
    async fn executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>>;

    /// Every execution still to be driven (`RUNNING`, `PENDING_REDRIVE`), oldest first: what
    /// recovery resumes at start.
    async fn unfinished_executions(&self) -> Result<Vec<Execution>>;
    /// [`Store::unfinished_executions`] of these partitions only: what a node resumes when it
    /// takes them.
    async fn unfinished_executions_in(&self, partitions: &[u32]) -> Result<Vec<Execution>> {
        let mut all = self.unfinished_executions().await?;
        all.retain(|e| partitions.contains(&e.partition));
        Ok(all)
    }
    /// The timers of the running executions of these partitions (any order): what a node that
    /// takes them sets, without loading the executions.
    async fn timers_in(&self, partitions: &[u32]) -> Result<Vec<Timer>> {
        let arns: std::collections::HashSet<String> = self
            .unfinished_executions_in(partitions)
            .await?
            .into_iter()
            .map(|e| e.arn)
            .collect();
        let mut all = self.due_timers(Millis::MAX, usize::MAX).await?;
        all.retain(|t| arns.contains(&t.execution_arn));
        Ok(all)
    }
    /// The tasks not closed of the running executions of these partitions (any order): which
    /// of them a node that takes them must load at once (a call to make again).
    async fn open_tasks_in(&self, partitions: &[u32]) -> Result<Vec<Task>> {
        let mut open = Vec::new();
        for e in self.unfinished_executions_in(partitions).await? {
            let tasks = self.tasks(&e.arn).await?;
            open.extend(tasks.into_iter().filter(|t| t.status != TaskStatus::Closed));
        }
        Ok(open)
    }
    /// The oldest inbox entries of these partitions, by id, at most `limit`.
    async fn inbox(&self, partitions: &[u32], limit: usize) -> Result<Vec<InboxEntry>>;

    /// A page of the execution's history, by event id ascending, or descending when `reverse`.
    async fn history(
        &self,
        execution_arn: &str,
        reverse: bool,
        page: &PageRequest,
    ) -> Result<Page<HistoryRecord>>;

    /// The execution's whole journal, by sequence number.
    async fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>>;

    /// Timers with `fire_at <= now`, earliest first (then by execution and timer id), at most
    /// `limit`.
    async fn due_timers(&self, now: Millis, limit: usize) -> Result<Vec<Timer>>;

    /// When the earliest timer fires.
    async fn next_timer_at(&self) -> Result<Option<Millis>>;

    async fn task(&self, execution_arn: &str, task_id: u64) -> Result<Option<Task>>;

    async fn task_by_token(&self, token: &str) -> Result<Option<Task>>;

    /// The execution's tasks, by task id.
    async fn tasks(&self, execution_arn: &str) -> Result<Vec<Task>>;

    async fn map_run(&self, arn: &str) -> Result<Option<MapRun>>;

    /// The execution's map runs, most recently started first.
    async fn map_runs(&self, execution_arn: &str, page: &PageRequest) -> Result<Page<MapRun>>;

    async fn service_resource(&self, kind: &str, arn: &str) -> Result<Option<ServiceResource>>;

    /// The service resources of `kind`, of one account or (`None`) of all, by ARN. Services keep few
    /// of them (EventBridge allows 300 rules a bus), so this is not paged.
    async fn service_resources(
        &self,
        kind: &str,
        account: Option<&str>,
    ) -> Result<Vec<ServiceResource>>;
}
