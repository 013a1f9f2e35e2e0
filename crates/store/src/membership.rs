//! Several nodes on one store: node leases, partitions with epochs, and the fence a batch
//! carries. Executions live in partitions; each partition has at most one owner node at a
//! time, identified by its epoch. A node that takes a partition bumps the epoch; a batch fenced
//! at an older epoch is refused by the store itself ([`crate::Error::Fenced`]), inside the
//! transaction that would have written it. So a node that was paused past its lease, or cut
//! off from the others, cannot write for a partition another node has taken, whatever its
//! clock says: safety needs no clock, only liveness does (leases run on the store's clock).

use async_trait::async_trait;

use crate::Result;

/// How many partitions a store is made with. Fixed when the store is created.
pub const PARTITIONS: u32 = 64;

/// A hash of `key` that is the same on every node and every build (FNV-1a of its bytes).
pub fn stable_hash(key: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The partition a key (an execution's ARN) lives in, the same on every node.
pub fn partition_of(key: &str) -> u32 {
    stable_hash(key) % PARTITIONS
}

/// What a batch is fenced with: the partition its execution lives in, and the epoch at which
/// the writing node owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence {
    pub partition: u32,
    pub epoch: u64,
}

/// One partition's owner, as the store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOwner {
    pub partition: u32,
    pub epoch: u64,
    /// The node that took it last; `None` once released (or never taken).
    pub owner: Option<String>,
    /// Whether that node's lease is still running on the store's clock.
    pub owner_alive: bool,
}

/// What a node tells the others about (a hint: they also look on their own, on a timer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    /// A partition's inbox has new entries.
    Inbox(u32),
    /// An activity has a task waiting for a worker.
    Activity(String),
    /// A schedule was made or changed: the nodes' schedulers read them again.
    Schedules,
    /// Anything may have changed (the signal was lost for a while): look at everything.
    Everything,
}

impl Topic {
    /// The topic as one line of text.
    pub fn encode(&self) -> String {
        match self {
            Topic::Inbox(p) => format!("i:{p}"),
            Topic::Activity(arn) => format!("a:{arn}"),
            Topic::Schedules => "s".to_string(),
            Topic::Everything => "*".to_string(),
        }
    }

    /// The topic [`Topic::encode`] wrote; `None` for anything else.
    pub fn decode(text: &str) -> Option<Topic> {
        if text == "*" {
            return Some(Topic::Everything);
        }
        if text == "s" {
            return Some(Topic::Schedules);
        }
        if let Some(p) = text.strip_prefix("i:") {
            return p.parse().ok().map(Topic::Inbox);
        }
        text.strip_prefix("a:")
            .map(|a| Topic::Activity(a.to_string()))
    }
}

/// What [`Membership::listen`] calls with each topic.
pub type Wake = std::sync::Arc<dyn Fn(Topic) + Send + Sync>;

/// Node leases and partition ownership.
#[async_trait]
pub trait Membership: Send + Sync {
    /// Records `node` (listening at `address`) as alive for `ttl_ms` milliseconds from now, on
    /// the store's clock, creating its record the first time.
    async fn heartbeat(&self, node: &str, address: &str, ttl_ms: u64) -> Result<()>;

    /// Takes `partition` for `node` when it is free or its owner's lease has run out (or the
    /// owner is `node` itself): the epoch goes up by one and is returned. Waits for batches
    /// being written under the old epoch to finish, so none commits after this returns.
    /// `None` when another node owns it and is alive.
    async fn acquire(&self, node: &str, partition: u32) -> Result<Option<u64>>;

    /// Gives `partition` up if `node` owns it at `epoch`; whether it did. The next owner
    /// bumps the epoch.
    async fn release(&self, node: &str, partition: u32, epoch: u64) -> Result<bool>;

    /// Every partition, by id.
    async fn owners(&self) -> Result<Vec<PartitionOwner>>;

    /// The nodes whose lease is running, by id, with their addresses.
    async fn live_nodes(&self) -> Result<Vec<(String, String)>>;

    /// Marks `node` as present for as long as this store's own connection to the database
    /// lives (a session lock on a shared store): when the process dies, the database sees its
    /// connection close and the mark goes, long before its lease would run out. Call once,
    /// before taking partitions.
    async fn hold_presence(&self, node: &str) -> Result<()>;

    /// Whether `node`'s presence mark is gone: it took one and its process's connection has
    /// closed. Never true on a store only one process opens.
    async fn is_gone(&self, node: &str) -> Result<bool>;

    /// Takes `partition` from `owner`, a node found gone, whatever its lease says: the epoch
    /// goes up by one and is returned. `None` when `owner` no longer owns it.
    async fn take_over(&self, node: &str, partition: u32, owner: &str) -> Result<Option<u64>>;

    /// Tells every node listening on the store about `topic`, this one included. A hint only:
    /// nothing is lost when no one hears it. Nothing on a store only one process opens.
    async fn notify(&self, _topic: &Topic) -> Result<()> {
        Ok(())
    }

    /// Calls `wake` with every topic any node notifies, for as long as the store is open
    /// (reconnecting when the signal is lost, then waking with [`Topic::Everything`]).
    /// `false` when the store carries no such signal.
    async fn listen(&self, _wake: Wake) -> Result<bool> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::Topic;

    #[test]
    fn topics_read_back_as_written() {
        for t in [
            Topic::Inbox(17),
            Topic::Activity("arn:aws:states:us-east-1:1:activity:a:b".into()),
            Topic::Everything,
        ] {
            assert_eq!(Topic::decode(&t.encode()), Some(t));
        }
        assert_eq!(Topic::decode("i:x"), None);
        assert_eq!(Topic::decode(""), None);
    }
}
