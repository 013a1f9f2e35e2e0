//! The inbox: engine events for executions another node runs (a callback's result, a worker's
//! start, a stop request, a task's result that came back after its execution moved). The node
//! that receives one writes it to the store's inbox, in the execution's partition; the node
//! that owns that partition reads its partitions' entries and applies each in the same batch
//! as the step it makes, which consumes the entry: so each is applied once, whichever node
//! crashes when. Entries are read on a short poll and whenever this node takes partitions.

use std::sync::Arc;
use std::time::Duration;

use baton_engine::{Event, TaskId};
use baton_store::{InboxEntry, Op, WriteBatch};

use crate::live::Applied;
use crate::{journal, Runtime};

/// How often the inbox is read when nothing wakes the reader.
const POLL: Duration = Duration::from_millis(100);

/// How many entries one read takes.
const BATCH: usize = 500;

/// Writes `event` for the node that runs `arn` (in `partition`); with `claim`, that task's
/// result is taken in the same batch ([`baton_store::Error::Conflict`] if another was).
pub(crate) async fn send(
    rt: &Runtime,
    partition: u32,
    arn: &str,
    event: &Event,
    claim: Option<TaskId>,
) -> Result<(), crate::StoreError> {
    let mut batch = WriteBatch::new();
    if let Some(task_id) = claim {
        batch.push(Op::ClaimTask {
            execution_arn: arn.to_string(),
            task_id,
        });
    }
    batch.push(Op::AppendInbox(InboxEntry {
        id: 0,
        partition,
        execution_arn: arn.to_string(),
        event: journal::encode(event),
        created: crate::now(),
    }));
    // Not fenced: any node may write to any partition's inbox.
    rt.store.commit(batch).await?;
    rt.tell(baton_store::Topic::Inbox(partition));
    Ok(())
}

/// Starts the task that reads this node's partitions' inboxes.
pub(crate) fn spawn(runtime: &Arc<Runtime>) {
    let weak = Arc::downgrade(runtime);
    let wake = runtime.inbox_wake.clone();
    let mut stopping = runtime.stopping.subscribe();
    tokio::spawn(async move {
        loop {
            if *stopping.borrow_and_update() {
                return;
            }
            let Some(rt) = weak.upgrade() else {
                return;
            };
            let drained = match drain(&rt).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the inbox");
                    0
                }
            };
            drop(rt);
            // A full read may have left more behind: read again at once.
            if drained < BATCH {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stopping.changed() => {}
                }
            }
        }
    });
}

/// Applies one read of this node's partitions' entries; how many there were.
async fn drain(rt: &Runtime) -> Result<usize, crate::StoreError> {
    let partitions = rt.ownership.running();
    if partitions.is_empty() {
        return Ok(0);
    }
    let entries = rt.store.inbox(&partitions, BATCH).await?;
    let n = entries.len();
    // One execution's entries in order; different executions' at once.
    let mut by_execution: std::collections::HashMap<String, Vec<InboxEntry>> =
        std::collections::HashMap::new();
    for entry in entries {
        by_execution
            .entry(entry.execution_arn.clone())
            .or_default()
            .push(entry);
    }
    let mut applying = tokio::task::JoinSet::new();
    for (_, entries) in by_execution {
        let rt = rt.arc();
        applying.spawn(async move {
            for entry in entries {
                let (arn, id) = (entry.execution_arn.clone(), entry.id);
                if let Err(e) = apply(&rt, entry).await {
                    tracing::warn!(%arn, id, error = %e, "applying an inbox entry");
                }
            }
        });
    }
    while applying.join_next().await.is_some() {}
    Ok(n)
}

/// Applies one entry with the step that consumes it; an entry its execution no longer takes
/// (it ended, the task closed) is consumed alone. One for a partition another node runs now is
/// left to it, or moved to where its execution lives now (a redrive placed it elsewhere).
async fn apply(rt: &Runtime, entry: InboxEntry) -> Result<(), crate::StoreError> {
    if !rt.ownership.runs(entry.partition) {
        return Ok(());
    }
    let consume = Op::ConsumeInbox { id: entry.id };
    let event = match journal::decode(&entry.event) {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(arn = %entry.execution_arn, id = entry.id, error = %e, "an inbox entry that cannot be read was dropped");
            return consume_alone(rt, entry.partition, consume).await;
        }
    };
    let arn = entry.execution_arn.clone();
    match rt
        .offer_with(&arn, event, None, vec![consume.clone()])
        .await
    {
        Ok(Applied::Yes | Applied::Queued) => Ok(()),
        Ok(Applied::NotRunning | Applied::Stale | Applied::Already) => {
            consume_alone(rt, entry.partition, consume).await
        }
        Ok(Applied::Elsewhere(partition)) if partition != entry.partition => {
            let moved = InboxEntry {
                partition,
                ..entry.clone()
            };
            rt.store
                .commit(
                    WriteBatch::new()
                        .with(consume)
                        .with(Op::AppendInbox(moved))
                        .in_partition(entry.partition),
                )
                .await
                .or_else(already_consumed)
        }
        Ok(Applied::Elsewhere(_)) => Ok(()),
        Err(e) => already_consumed(e),
    }
}

async fn consume_alone(rt: &Runtime, partition: u32, consume: Op) -> Result<(), crate::StoreError> {
    rt.store
        .commit(WriteBatch::new().with(consume).in_partition(partition))
        .await
        .or_else(already_consumed)
}

/// An entry another step consumed first was applied once, as it must be.
fn already_consumed(e: crate::StoreError) -> Result<(), crate::StoreError> {
    match e {
        baton_store::Error::Conflict { .. } => Ok(()),
        e => Err(e),
    }
}
