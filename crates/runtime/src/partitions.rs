//! Which partitions this process runs executions of, and at which epoch (see
//! [`baton_store::Membership`]). On a store one process opens (SQLite) it owns every partition
//! for good; on a shared store (PostgreSQL) a [`crate::node::Node`] takes and gives them up as
//! nodes come and go, and the runtime reads this to place new executions, to decide whether
//! an event for an execution that is not in memory is its own to apply or goes to the owner's
//! inbox, and to fence its writes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

use baton_store::{partition_of, PARTITIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Another node's, or no one's.
    NotOwned,
    /// Owned at this epoch: new executions may be placed here.
    Owned(u64),
    /// Owned at this epoch, being given up: executions in it finish their step, nothing new
    /// is placed or loaded.
    Draining(u64),
}

/// The partitions this process owns.
pub struct Ownership {
    states: RwLock<Vec<State>>,
    /// Whether other processes share the store: then events for executions it does not own go
    /// through the store's inbox, and caches of records other nodes may change expire.
    shared: bool,
    next: AtomicUsize,
    /// Told when a partition is acquired.
    gained: tokio::sync::Notify,
}

impl Ownership {
    /// Every partition, for good: the store is this process's alone.
    pub fn everything() -> Ownership {
        Ownership {
            states: RwLock::new(vec![State::Owned(0); PARTITIONS as usize]),
            shared: false,
            next: AtomicUsize::new(0),
            gained: tokio::sync::Notify::new(),
        }
    }

    /// None yet, on a store other nodes share.
    pub fn shared() -> Ownership {
        Ownership {
            states: RwLock::new(vec![State::NotOwned; PARTITIONS as usize]),
            shared: true,
            next: AtomicUsize::new(0),
            gained: tokio::sync::Notify::new(),
        }
    }

    /// Whether other processes share the store.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    fn state(&self, partition: u32) -> State {
        self.states
            .read()
            .expect("ownership")
            .get(partition as usize)
            .copied()
            .unwrap_or(State::NotOwned)
    }

    fn set(&self, partition: u32, state: State) {
        if let Some(s) = self
            .states
            .write()
            .expect("ownership")
            .get_mut(partition as usize)
        {
            *s = state;
        }
    }

    /// The epoch this process owns `partition` at (draining or not): what its writes there
    /// are fenced with.
    pub fn epoch(&self, partition: u32) -> Option<u64> {
        match self.state(partition) {
            State::Owned(e) | State::Draining(e) => Some(e),
            State::NotOwned => None,
        }
    }

    /// Whether executions of `partition` run here: owned and not being given up.
    pub fn runs(&self, partition: u32) -> bool {
        matches!(self.state(partition), State::Owned(_))
    }

    /// The partitions whose executions run here.
    pub fn running(&self) -> Vec<u32> {
        self.states
            .read()
            .expect("ownership")
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, State::Owned(_)))
            .map(|(p, _)| p as u32)
            .collect()
    }

    /// The partitions owned, draining or not, with their epochs.
    pub fn owned(&self) -> Vec<(u32, u64)> {
        self.states
            .read()
            .expect("ownership")
            .iter()
            .enumerate()
            .filter_map(|(p, s)| match s {
                State::Owned(e) | State::Draining(e) => Some((p as u32, *e)),
                State::NotOwned => None,
            })
            .collect()
    }

    /// `partition` is this process's at `epoch`.
    pub fn acquired(&self, partition: u32, epoch: u64) {
        self.set(partition, State::Owned(epoch));
        self.gained.notify_waiters();
    }

    /// `partition` is being given up: nothing new runs there.
    pub fn draining(&self, partition: u32) {
        if let Some(e) = self.epoch(partition) {
            self.set(partition, State::Draining(e));
        }
    }

    /// `partition` is no longer this process's.
    pub fn released(&self, partition: u32) {
        self.set(partition, State::NotOwned);
    }

    /// Where a new execution named `arn` goes: the partition its ARN hashes to when this
    /// process runs it (so one process's executions spread over every partition), else the
    /// next of those it runs, in turn. `None` when it runs none.
    pub fn place(&self, arn: &str) -> Option<u32> {
        let home = partition_of(arn);
        if self.runs(home) {
            return Some(home);
        }
        let running = self.running();
        if running.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % running.len();
        Some(running[i])
    }
}

impl Ownership {
    /// [`Ownership::place`], waiting up to `within` for a partition when this process runs
    /// none yet (a node that just joined gets its share once the others have given it up).
    pub async fn place_within(&self, arn: &str, within: std::time::Duration) -> Option<u32> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let gained = self.gained.notified();
            tokio::pin!(gained);
            // Registered before looking, so a partition gained meanwhile wakes this.
            gained.as_mut().enable();
            if let Some(p) = self.place(arn) {
                return Some(p);
            }
            if tokio::time::timeout_at(deadline, gained).await.is_err() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_new_executions_only_where_it_runs() {
        let o = Ownership::shared();
        assert_eq!(o.place("arn:a"), None);
        o.acquired(3, 7);
        o.acquired(9, 2);
        for i in 0..20 {
            let p = o.place(&format!("arn:{i}")).unwrap();
            assert!(p == 3 || p == 9, "{p}");
        }
        o.draining(3);
        assert!(!o.runs(3));
        assert_eq!(o.epoch(3), Some(7));
        for i in 0..20 {
            assert_eq!(o.place(&format!("arn:{i}")), Some(9));
        }
        o.released(3);
        assert_eq!(o.epoch(3), None);
        assert_eq!(o.owned(), vec![(9, 2)]);
    }

    #[tokio::test]
    async fn a_start_waits_for_a_partition() {
        let o = std::sync::Arc::new(Ownership::shared());
        let short = std::time::Duration::from_millis(10);
        assert_eq!(o.place_within("arn:a", short).await, None);
        let waiting = {
            let o = o.clone();
            tokio::spawn(async move {
                o.place_within("arn:a", std::time::Duration::from_secs(60))
                    .await
            })
        };
        tokio::task::yield_now().await;
        o.acquired(5, 1);
        assert_eq!(waiting.await.unwrap(), Some(5));
    }

    #[test]
    fn a_store_of_its_own_places_by_hash() {
        let o = Ownership::everything();
        assert!(!o.is_shared());
        assert_eq!(o.place("arn:x"), Some(partition_of("arn:x")));
        assert_eq!(o.running().len(), PARTITIONS as usize);
    }
}
