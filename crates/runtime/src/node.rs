//! One node's hold on a store that several processes can open (PostgreSQL): a lease renewed on
//! the store's clock, every partition owned, and every batch it writes fenced with the epoch
//! it owns its execution's partition at. Another node started on the same store stands by until this one's
//! lease runs out (it stopped or hung), or at once when its process is gone (its presence
//! lock, held by its connection, is free: killed, crashed), then takes every partition over, which bumps
//! their epochs: from then on the store refuses this node's writes, so a node that was only
//! paused cannot act on what the new one now runs. A node that learns it lost its hold (a
//! refused write, or a lease it could not renew in time) stops.
//!
//! This is the whole store on one node at a time, with a standby taking over; spreading the
//! partitions over several active nodes builds on the same leases and fences.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use baton_store::{
    partition_of, Activity, AliasesOf, Error, Execution, ExecutionFilter, ExecutionSummary, Fence,
    HistoryRecord, JournalEntry, MapRun, Membership, Millis, Page, PageRequest, PartitionOwner,
    Result, Scope, StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion,
    Store, Tag, Task, Timer, WriteBatch, PARTITIONS,
};
use tokio::sync::watch;

/// Who this node is and how long its lease lasts.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// New for each process.
    pub id: String,
    /// Where its API listens, for the other nodes' messages.
    pub address: String,
    /// How long a lease lasts without renewal; renewed every fifth of it.
    pub lease: Duration,
}

/// This node's hold on the store.
pub struct Node {
    store: Arc<dyn Store>,
    options: NodeOptions,
    epochs: Vec<u64>,
    lost: watch::Receiver<Option<String>>,
    renewer: tokio::task::JoinHandle<()>,
}

impl Node {
    /// Takes every partition of `store` for this node, waiting while another node's lease runs
    /// (`standing_by` is told who holds it, once per holder), then keeps the lease renewed.
    pub async fn take(
        store: Arc<dyn Store>,
        options: NodeOptions,
        mut standing_by: impl FnMut(&str, &str) + Send,
    ) -> Result<Node> {
        let lease_ms = u64::try_from(options.lease.as_millis()).unwrap_or(u64::MAX);
        let pause = options.lease / 5;
        // Gone with this process's connection: a standby that finds it gone takes over at
        // once instead of waiting out the lease.
        store.hold_presence(&options.id).await?;
        let mut told: Option<String> = None;
        let epochs = loop {
            store
                .heartbeat(&options.id, &options.address, lease_ms)
                .await?;
            let owners = store.owners().await?;
            let gone = match live_other(&owners, &options.id) {
                None => None,
                Some(other) if store.is_gone(other).await? => Some(other.to_string()),
                Some(other) => {
                    if told.as_deref() != Some(other) {
                        let address = store
                            .live_nodes()
                            .await?
                            .into_iter()
                            .find(|(id, _)| id == other)
                            .map_or_else(String::new, |(_, a)| a);
                        standing_by(other, &address);
                        told = Some(other.to_string());
                    }
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            if let Some(epochs) = take_all(&*store, &options.id, &owners, gone.as_deref()).await? {
                break epochs;
            }
            // Another node took one first: stand by.
            tokio::time::sleep(pause).await;
        };
        let (lost_tx, lost) = watch::channel(None);
        let lost_tx = Arc::new(lost_tx);
        let renewer = tokio::spawn(renew(store.clone(), options.clone(), lost_tx.clone()));
        let fenced: Arc<dyn Store> = Arc::new(Fenced {
            inner: store,
            epochs: epochs.clone(),
            lost: lost_tx,
        });
        Ok(Node {
            store: fenced,
            options,
            epochs,
            lost,
            renewer,
        })
    }

    /// The store as this node writes it: every batch fenced.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The epochs this node owns the partitions at, by partition.
    pub fn epochs(&self) -> &[u64] {
        &self.epochs
    }

    /// Resolves once this node has lost its hold, with why.
    pub async fn lost(&self) -> String {
        let mut lost = self.lost.clone();
        loop {
            if let Some(why) = lost.borrow().clone() {
                return why;
            }
            if lost.changed().await.is_err() {
                return "the lease keeper stopped".to_string();
            }
        }
    }

    /// Gives every partition back (a graceful stop): a standby takes over at once instead of
    /// waiting for the lease to run out.
    pub async fn release(self) -> Result<()> {
        self.renewer.abort();
        for (p, e) in self.epochs.iter().enumerate() {
            self.store.release(&self.options.id, p as u32, *e).await?;
        }
        Ok(())
    }
}

/// Every partition for `me`: those of `gone` (a node whose process is gone) taken over, the
/// others acquired. `None`, with what was taken given back, when another node got one first.
async fn take_all(
    store: &dyn Store,
    me: &str,
    owners: &[PartitionOwner],
    gone: Option<&str>,
) -> Result<Option<Vec<u64>>> {
    let mut epochs = Vec::with_capacity(PARTITIONS as usize);
    for p in 0..PARTITIONS {
        let owner = owners
            .iter()
            .find(|o| o.partition == p)
            .and_then(|o| o.owner.as_deref());
        let taken = match (owner, gone) {
            (Some(owner), Some(gone)) if owner == gone => store.take_over(me, p, gone).await?,
            _ => store.acquire(me, p).await?,
        };
        match taken {
            Some(e) => epochs.push(e),
            None => {
                for (p, e) in epochs.iter().enumerate() {
                    store.release(me, p as u32, *e).await?;
                }
                return Ok(None);
            }
        }
    }
    Ok(Some(epochs))
}

/// A live node other than `me` that owns a partition.
fn live_other<'a>(owners: &'a [PartitionOwner], me: &str) -> Option<&'a str> {
    owners
        .iter()
        .filter(|o| o.owner_alive)
        .filter_map(|o| o.owner.as_deref())
        .find(|owner| *owner != me)
}

/// Renews the lease every fifth of it. Past the trust window (the lease less one renewal)
/// without a renewal, another node may have taken over: the hold is lost.
async fn renew(
    store: Arc<dyn Store>,
    options: NodeOptions,
    lost: Arc<watch::Sender<Option<String>>>,
) {
    let lease_ms = u64::try_from(options.lease.as_millis()).unwrap_or(u64::MAX);
    let every = options.lease / 5;
    let trust = options.lease.saturating_sub(every);
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        match store
            .heartbeat(&options.id, &options.address, lease_ms)
            .await
        {
            Ok(()) => renewed = Instant::now(),
            Err(e) => tracing::warn!("renewing node {}'s lease: {e}", options.id),
        }
        if renewed.elapsed() > trust {
            let _ = lost.send(Some(format!(
                "the lease was not renewed for {:?} (the store did not answer)",
                renewed.elapsed()
            )));
            return;
        }
        if lost.borrow().is_some() {
            return;
        }
    }
}

/// The store with every batch fenced at this node's epoch. A refused batch means another node
/// owns the store now: the hold is lost.
struct Fenced {
    inner: Arc<dyn Store>,
    /// The epoch this node owns each partition at.
    epochs: Vec<u64>,
    lost: Arc<watch::Sender<Option<String>>>,
}

#[async_trait]
impl Membership for Fenced {
    async fn heartbeat(&self, node: &str, address: &str, ttl_ms: u64) -> Result<()> {
        self.inner.heartbeat(node, address, ttl_ms).await
    }
    async fn acquire(&self, node: &str, partition: u32) -> Result<Option<u64>> {
        self.inner.acquire(node, partition).await
    }
    async fn release(&self, node: &str, partition: u32, epoch: u64) -> Result<bool> {
        self.inner.release(node, partition, epoch).await
    }
    async fn owners(&self) -> Result<Vec<PartitionOwner>> {
        self.inner.owners().await
    }
    async fn live_nodes(&self) -> Result<Vec<(String, String)>> {
        self.inner.live_nodes().await
    }
    async fn hold_presence(&self, node: &str) -> Result<()> {
        self.inner.hold_presence(node).await
    }
    async fn is_gone(&self, node: &str) -> Result<bool> {
        self.inner.is_gone(node).await
    }
    async fn take_over(&self, node: &str, partition: u32, owner: &str) -> Result<Option<u64>> {
        self.inner.take_over(node, partition, owner).await
    }
}

#[async_trait]
impl Store for Fenced {
    async fn commit(&self, batch: WriteBatch) -> Result<()> {
        // Fenced in the partition its execution (or resource) lives in: writes spread over
        // the store's writers as executions do.
        let partition = partition_of(batch.subject().unwrap_or(""));
        let fence = Fence {
            partition,
            epoch: self.epochs[partition as usize],
        };
        let result = self.inner.commit(batch.fenced(fence)).await;
        if let Err(Error::Fenced { partition, epoch }) = &result {
            let _ = self.lost.send(Some(format!(
                "another node took the store over (partition {partition} is past epoch {epoch})"
            )));
        }
        result
    }
    async fn claim_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        now: Millis,
    ) -> Result<Option<Task>> {
        self.inner
            .claim_activity_task(activity_arn, worker_name, now)
            .await
    }
    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>> {
        self.inner.state_machine(arn).await
    }
    async fn state_machines(
        &self,
        scope: &Scope,
        page: &PageRequest,
    ) -> Result<Page<StateMachine>> {
        self.inner.state_machines(scope, page).await
    }
    async fn revision(
        &self,
        state_machine_arn: &str,
        revision_id: &str,
    ) -> Result<Option<StateMachineRevision>> {
        self.inner.revision(state_machine_arn, revision_id).await
    }
    async fn version(&self, arn: &str) -> Result<Option<StateMachineVersion>> {
        self.inner.version(arn).await
    }
    async fn versions(
        &self,
        state_machine_arn: &str,
        page: &PageRequest,
    ) -> Result<Page<StateMachineVersion>> {
        self.inner.versions(state_machine_arn, page).await
    }
    async fn alias(&self, arn: &str) -> Result<Option<StateMachineAlias>> {
        self.inner.alias(arn).await
    }
    async fn aliases(
        &self,
        of: AliasesOf<'_>,
        page: &PageRequest,
    ) -> Result<Page<StateMachineAlias>> {
        self.inner.aliases(of, page).await
    }
    async fn activity(&self, arn: &str) -> Result<Option<Activity>> {
        self.inner.activity(arn).await
    }
    async fn activities(&self, scope: &Scope, page: &PageRequest) -> Result<Page<Activity>> {
        self.inner.activities(scope, page).await
    }
    async fn tags(&self, resource_arn: &str) -> Result<Vec<Tag>> {
        self.inner.tags(resource_arn).await
    }
    async fn execution(&self, arn: &str) -> Result<Option<Execution>> {
        self.inner.execution(arn).await
    }
    async fn executions(
        &self,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> Result<Page<ExecutionSummary>> {
        self.inner.executions(filter, page).await
    }
    async fn unfinished_executions(&self) -> Result<Vec<Execution>> {
        self.inner.unfinished_executions().await
    }
    async fn history(
        &self,
        execution_arn: &str,
        reverse: bool,
        page: &PageRequest,
    ) -> Result<Page<HistoryRecord>> {
        self.inner.history(execution_arn, reverse, page).await
    }
    async fn journal(&self, execution_arn: &str) -> Result<Vec<JournalEntry>> {
        self.inner.journal(execution_arn).await
    }
    async fn due_timers(&self, now: Millis, limit: usize) -> Result<Vec<Timer>> {
        self.inner.due_timers(now, limit).await
    }
    async fn next_timer_at(&self) -> Result<Option<Millis>> {
        self.inner.next_timer_at().await
    }
    async fn task(&self, execution_arn: &str, task_id: u64) -> Result<Option<Task>> {
        self.inner.task(execution_arn, task_id).await
    }
    async fn task_by_token(&self, token: &str) -> Result<Option<Task>> {
        self.inner.task_by_token(token).await
    }
    async fn tasks(&self, execution_arn: &str) -> Result<Vec<Task>> {
        self.inner.tasks(execution_arn).await
    }
    async fn map_run(&self, arn: &str) -> Result<Option<MapRun>> {
        self.inner.map_run(arn).await
    }
    async fn map_runs(&self, execution_arn: &str, page: &PageRequest) -> Result<Page<MapRun>> {
        self.inner.map_runs(execution_arn, page).await
    }
}
