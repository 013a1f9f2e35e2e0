//! One node among several on a store they share (PostgreSQL). The 64 partitions executions
//! live in are spread over the live nodes by rendezvous hashing (each node computes the same
//! owner for each partition from the list of live nodes, so no leader is needed); a node takes
//! the partitions that fall to it and gives up those that fall to a node that joined (once it
//! has been alive for [`JOIN_DELAY`], so a node that flaps does not move work back and forth).
//!
//! * A node's lease runs on the store's clock and is renewed every fifth of it; a node that
//!   could not renew it within the trust window (the lease less one renewal) stops: another
//!   may have taken its partitions.
//! * Taking a partition bumps its epoch, and every batch a node writes for an execution is
//!   fenced with the epoch it owns the execution's partition at: the store refuses a batch from
//!   a node that lost the partition, whatever that node's clock says. A refused batch means
//!   this node was taken over (it was paused or cut off past its lease): it stops.
//! * A node whose process is gone (its presence lock, held by its connection, is free: killed,
//!   crashed) loses its partitions at once, without waiting for its lease to run out.
//! * Giving a partition up: nothing new is placed there, its executions finish the step in
//!   flight and leave memory, then the partition is released for its next owner.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use baton_store::{
    stable_hash, Activity, AliasesOf, Error, Execution, ExecutionFilter, ExecutionSummary, Fence,
    HistoryRecord, InboxEntry, JournalEntry, MapRun, Membership, Millis, Op, Page, PageRequest,
    PartitionOwner, Result, Scope, StateMachine, StateMachineAlias, StateMachineRevision,
    StateMachineVersion, Store, Tag, Task, Timer, Topic, Wake, WriteBatch, PARTITIONS,
};
use tokio::sync::watch;

use crate::partitions::Ownership;

/// How long a node that joined must have been alive before the others give it its share.
pub const JOIN_DELAY: Duration = Duration::from_secs(5);

/// The most partitions a node gives up in one round, so a join does not move everything at
/// once.
const MOVES_PER_ROUND: usize = (PARTITIONS / 8) as usize;

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

/// What runs the executions of the partitions a node takes (the runtime).
#[async_trait]
pub trait PartitionHost: Send + Sync {
    /// These partitions are this node's now: resume their executions.
    async fn acquired(&self, partitions: &[u32]);
    /// These partitions are being given up: stop running their executions.
    async fn releasing(&self, partitions: &[u32]);
}

#[async_trait]
impl PartitionHost for crate::Runtime {
    async fn acquired(&self, partitions: &[u32]) {
        self.take_partitions(partitions).await
    }
    async fn releasing(&self, partitions: &[u32]) {
        self.give_up_partitions(partitions).await
    }
}

/// This node's hold on the store.
pub struct Node {
    store: Arc<dyn Store>,
    fenced: Arc<dyn Store>,
    options: NodeOptions,
    ownership: Arc<Ownership>,
    lost: watch::Receiver<Option<String>>,
    lost_tx: Arc<watch::Sender<Option<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    host: Option<Arc<dyn PartitionHost>>,
}

impl Node {
    /// Joins the nodes on `store`: marks this process present and alive, and keeps its lease
    /// renewed. It owns no partition until [`Node::run`].
    pub async fn join(store: Arc<dyn Store>, options: NodeOptions) -> Result<Node> {
        let lease_ms = u64::try_from(options.lease.as_millis()).unwrap_or(u64::MAX);
        // Gone with this process's connection: the others take its partitions at once
        // instead of waiting out the lease.
        store.hold_presence(&options.id).await?;
        store
            .heartbeat(&options.id, &options.address, lease_ms)
            .await?;
        let (lost_tx, lost) = watch::channel(None);
        let lost_tx = Arc::new(lost_tx);
        let ownership = Arc::new(Ownership::shared());
        let renewer = tokio::spawn(renew(store.clone(), options.clone(), lost_tx.clone()));
        let fenced: Arc<dyn Store> = Arc::new(Fenced {
            inner: store.clone(),
            ownership: ownership.clone(),
            lost: lost_tx.clone(),
        });
        Ok(Node {
            store,
            fenced,
            options,
            ownership,
            lost,
            lost_tx,
            tasks: vec![renewer],
            host: None,
        })
    }

    /// The store as this node writes it: every batch for an execution fenced.
    pub fn store(&self) -> Arc<dyn Store> {
        self.fenced.clone()
    }

    /// The partitions this node owns, for the runtime to read.
    pub fn ownership(&self) -> Arc<Ownership> {
        self.ownership.clone()
    }

    /// Starts taking this node's share of the partitions (and giving up what falls to others)
    /// for `host` to run.
    pub fn run(&mut self, host: Arc<dyn PartitionHost>) {
        self.host = Some(host.clone());
        let balancer = Balancer {
            store: self.store.clone(),
            me: self.options.id.clone(),
            ownership: self.ownership.clone(),
            host,
            seen: HashMap::new(),
            free_since: HashMap::new(),
            lost: self.lost_tx.clone(),
        };
        let every = round(self.options.lease);
        let lost = self.lost_tx.clone();
        self.tasks.push(tokio::spawn(async move {
            let mut balancer = balancer;
            loop {
                if lost.borrow().is_some() {
                    return;
                }
                if let Err(e) = balancer.round().await {
                    tracing::warn!("balancing partitions: {e}");
                }
                tokio::time::sleep(every).await;
            }
        }));
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

    /// Gives every partition back (a graceful stop): the other nodes take them at once
    /// instead of waiting for the lease to run out.
    pub async fn release(self) -> Result<()> {
        for task in &self.tasks {
            task.abort();
        }
        let owned = self.ownership.owned();
        let partitions: Vec<u32> = owned.iter().map(|(p, _)| *p).collect();
        if let Some(host) = &self.host {
            host.releasing(&partitions).await;
        }
        for (p, e) in owned {
            self.ownership.released(p);
            self.store.release(&self.options.id, p, e).await?;
        }
        Ok(())
    }
}

/// How often a node looks at the others: often enough to take a crashed node's partitions
/// within about a second; at least every fifth of the lease.
fn round(lease: Duration) -> Duration {
    (lease / 5).min(Duration::from_millis(250))
}

/// How long a node's presence lock must stay free before the others take it for gone. A
/// crashed process never takes it again; a live one whose session was cut (the database
/// restarted, a proxy dropped the connection) takes it again within a fraction of this.
pub const GONE_AFTER: Duration = Duration::from_secs(1);

/// The node rendezvous hashing gives `partition` to among `nodes` (ids): the same on every
/// node that sees the same list.
pub fn owner_of<'a>(partition: u32, nodes: &[&'a str]) -> Option<&'a str> {
    nodes
        .iter()
        .copied()
        .max_by_key(|n| (weight(n, partition), *n))
}

/// A node's weight for a partition: its id's hash and the partition mixed by SplitMix64's
/// finaliser, so that every bit of either moves every bit of the weight (FNV alone, on ids
/// that differ in a few characters, gives one node most partitions).
fn weight(node: &str, partition: u32) -> u64 {
    let mut z = (u64::from(stable_hash(node)) << 32 | u64::from(partition))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Takes and gives up partitions, one round at a time.
struct Balancer {
    store: Arc<dyn Store>,
    me: String,
    ownership: Arc<Ownership>,
    host: Arc<dyn PartitionHost>,
    /// When each other live node was first seen alive.
    seen: HashMap<String, Instant>,
    /// Since when each node's presence lock has been seen free, round after round.
    free_since: HashMap<String, Instant>,
    lost: Arc<watch::Sender<Option<String>>>,
}

impl Balancer {
    async fn round(&mut self) -> Result<()> {
        let owners = self.store.owners().await?;
        let live = self.store.live_nodes().await?;
        // Nodes whose process is gone (presence free for GONE_AFTER) count as dead,
        // whatever their lease says.
        let now = Instant::now();
        let mut alive: Vec<String> = Vec::with_capacity(live.len());
        let mut gone: Vec<String> = Vec::new();
        let mut free = HashMap::new();
        for (id, _) in live {
            if id != self.me && self.store.is_gone(&id).await? {
                let since = self.free_since.get(&id).copied().unwrap_or(now);
                free.insert(id.clone(), since);
                if now.duration_since(since) >= GONE_AFTER {
                    gone.push(id);
                    continue;
                }
            }
            alive.push(id);
        }
        self.free_since = free;
        if !alive.contains(&self.me) {
            alive.push(self.me.clone());
        }
        self.seen.retain(|id, _| alive.contains(id));
        for id in &alive {
            self.seen.entry(id.clone()).or_insert(now);
        }
        let ids: Vec<&str> = alive.iter().map(String::as_str).collect();
        let mut taken = Vec::new();
        let mut to_give = Vec::new();
        // A store that fails half way (a dropped connection) must not leave partitions taken
        // without their executions set up: what was taken is handed to the host first.
        let mut failed = None;
        for o in &owners {
            let desired = owner_of(o.partition, &ids);
            let mine = o.owner.as_deref() == Some(self.me.as_str());
            if !mine {
                if let Some(e) = self.ownership.epoch(o.partition) {
                    // Taken from this node while it thought it owned it: it was paused or
                    // cut off past its lease. Its writes there are refused already.
                    let _ = self.lost.send(Some(format!(
                        "partition {} was taken over (this node had it at epoch {e})",
                        o.partition
                    )));
                    return Ok(());
                }
            }
            if desired == Some(self.me.as_str()) {
                let epoch = match o.owner.as_deref() {
                    // Ours already: only once this process has not set it up (an earlier
                    // acquisition whose answer was lost), taken again.
                    Some(_) if mine && self.ownership.epoch(o.partition).is_some() => continue,
                    Some(_) if mine => self.store.acquire(&self.me, o.partition).await,
                    Some(owner) if gone.iter().any(|g| g == owner) => {
                        self.store.take_over(&self.me, o.partition, owner).await
                    }
                    Some(_) if o.owner_alive => continue,
                    _ => self.store.acquire(&self.me, o.partition).await,
                };
                match epoch {
                    Ok(Some(e)) => {
                        self.ownership.acquired(o.partition, e);
                        taken.push(o.partition);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            } else if mine {
                let settled = desired
                    .and_then(|d| self.seen.get(d))
                    .is_some_and(|since| now.duration_since(*since) >= JOIN_DELAY);
                if settled && to_give.len() < MOVES_PER_ROUND {
                    to_give.push((o.partition, o.epoch));
                }
            }
        }
        if !taken.is_empty() {
            tracing::info!(node = %self.me, partitions = ?taken, "took partitions");
            self.host.acquired(&taken).await;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if !to_give.is_empty() {
            // (One this process no longer runs, after a release whose answer was lost, is
            // given up in the store all the same.)
            let running: Vec<u32> = to_give
                .iter()
                .map(|(p, _)| *p)
                .filter(|p| self.ownership.epoch(*p).is_some())
                .collect();
            tracing::info!(node = %self.me, partitions = ?running, "giving up partitions");
            self.host.releasing(&running).await;
            for (p, e) in to_give {
                // Refused locally from now on, then by the store once the next owner takes it.
                self.ownership.released(p);
                self.store.release(&self.me, p, e).await?;
            }
        }
        Ok(())
    }
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

/// The store with every batch for an execution fenced at the epoch this node owns its
/// partition at. A batch for a partition this node does not own is refused here; one the
/// store refuses means another node took the partition over: the hold is lost.
struct Fenced {
    inner: Arc<dyn Store>,
    ownership: Arc<Ownership>,
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
    async fn notify(&self, topic: &Topic) -> Result<()> {
        self.inner.notify(topic).await
    }
    async fn listen(&self, wake: Wake) -> Result<bool> {
        self.inner.listen(wake).await
    }
}

#[async_trait]
impl Store for Fenced {
    async fn commit(&self, batch: WriteBatch) -> Result<()> {
        // Unmarked batches (the control plane, inbox entries, task claims) any node may write.
        // An execution's own state is never among them: written unfenced, a node that lost
        // the partition could still write it after the next owner had read it.
        let Some(partition) = batch.partition() else {
            if batch.ops().iter().any(Op::steps_an_execution) {
                return Err(Error::backend(
                    "an execution's step was not marked with its partition: refused, as it cannot be fenced",
                ));
            }
            return self.inner.commit(batch).await;
        };
        let Some(epoch) = self.ownership.epoch(partition) else {
            return Err(Error::Fenced {
                partition,
                epoch: 0,
            });
        };
        let result = self
            .inner
            .commit(batch.fenced(Fence { partition, epoch }))
            .await;
        if let Err(Error::Fenced { partition, epoch }) = &result {
            let _ = self.lost.send(Some(format!(
                "another node took partition {partition} over (it is past epoch {epoch})"
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
    /// Unfenced: it deletes only closed executions, which no node steps any more, and checks
    /// that they are closed in the statement that deletes them.
    async fn purge_closed(&self, stopped_before: Millis, limit: usize) -> Result<usize> {
        self.inner.purge_closed(stopped_before, limit).await
    }
    async fn gauges(&self) -> Result<baton_store::StoreGauges> {
        self.inner.gauges().await
    }
    async fn unfinished_executions_in(&self, partitions: &[u32]) -> Result<Vec<Execution>> {
        self.inner.unfinished_executions_in(partitions).await
    }
    async fn inbox(&self, partitions: &[u32], limit: usize) -> Result<Vec<InboxEntry>> {
        self.inner.inbox(partitions, limit).await
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
    async fn service_resource(
        &self,
        kind: &str,
        arn: &str,
    ) -> Result<Option<baton_store::ServiceResource>> {
        self.inner.service_resource(kind, arn).await
    }
    async fn service_resources(
        &self,
        kind: &str,
        account: Option<&str>,
    ) -> Result<Vec<baton_store::ServiceResource>> {
        self.inner.service_resources(kind, account).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_spread_evenly_and_move_only_to_a_node_that_joins() {
        let ids: Vec<String> = (0..4).map(|_| uuid_like()).collect();
        let three: Vec<&str> = ids[..3].iter().map(String::as_str).collect();
        let mut counts = HashMap::new();
        for p in 0..PARTITIONS {
            *counts.entry(owner_of(p, &three).unwrap()).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 3);
        for n in counts.values() {
            assert!((12..=32).contains(n), "{counts:?}");
        }
        // A fourth node takes partitions from the others; none moves between the three.
        let four: Vec<&str> = ids.iter().map(String::as_str).collect();
        for p in 0..PARTITIONS {
            let before = owner_of(p, &three).unwrap();
            let after = owner_of(p, &four).unwrap();
            assert!(after == before || after == ids[3], "partition {p}");
        }
        assert_eq!(owner_of(0, &[]), None);
    }

    /// Ids shaped like a node's (a UUID), differing in a few characters as UUIDs may.
    fn uuid_like() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        format!("69a9df93-fd84-4001-b885-a8e4abbd58e{n}")
    }
}
