//! The executions that ended on this node lately, as they ended. A client that starts an
//! execution and polls `DescribeExecution` until it ends (an SDK waiter, a script, a test) is
//! answered from memory instead of a store read: on PostgreSQL that read is a round trip and a
//! backend's work for every poll.
//!
//! Only the node that ran the final step puts a record here, after its commit, so a record here
//! is what the store holds. Afterwards a finished execution changes only when it is redriven: a
//! redrive on this node drops the record before it commits. A redrive on another node of a
//! shared store is seen here once the record is older than [`crate::MACHINE_TTL`] (1 s), which
//! is what AWS promises of this read: "This operation is eventually consistent. The results are
//! best effort and may not reflect very recent updates and changes" (DescribeExecution, AWS Step
//! Functions API Reference). Decisions (a redrive's own check) always read the store.
//!
//! Bounded by count and by the bytes of the documents kept; the oldest go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_store::Execution;

/// At most this many records.
const MAX_RECORDS: usize = 8_192;
/// At most about this many bytes of inputs, outputs and errors.
const MAX_BYTES: usize = 32 << 20;

#[derive(Default)]
pub(crate) struct Finished {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    records: HashMap<String, (Arc<Execution>, Instant)>,
    /// ARNs in the order they were put (an ARN put again keeps its first place).
    order: VecDeque<String>,
    bytes: usize,
}

/// What a record costs to keep, about.
fn cost(e: &Execution) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    256 + 2 * e.arn.len()
        + e.state_machine_arn.len()
        + e.input.len()
        + text(&e.output)
        + text(&e.error)
        + text(&e.cause)
}

impl Finished {
    /// Keeps `e`, which has just ended here and whose end is committed.
    pub(crate) fn put(&self, e: Execution) {
        let size = cost(&e);
        if size > MAX_BYTES / 16 {
            // One huge document would push out many small ones: read it from the store.
            self.remove(&e.arn);
            return;
        }
        let mut inner = self.inner.lock().expect("finished");
        let arn = e.arn.clone();
        let old = inner
            .records
            .insert(arn.clone(), (Arc::new(e), Instant::now()));
        match old {
            Some((old, _)) => inner.bytes -= cost(&old),
            None => inner.order.push_back(arn),
        }
        inner.bytes += size;
        while inner.order.len() > MAX_RECORDS || inner.bytes > MAX_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((gone, _)) = inner.records.remove(&oldest) {
                inner.bytes -= cost(&gone);
            }
        }
    }

    /// The record of `arn` if it ended here, and within `fresh` when given.
    pub(crate) fn get(&self, arn: &str, fresh: Option<Duration>) -> Option<Arc<Execution>> {
        let inner = self.inner.lock().expect("finished");
        let (e, at) = inner.records.get(arn)?;
        fresh
            .is_none_or(|ttl| at.elapsed() < ttl)
            .then(|| e.clone())
    }

    /// Forgets `arn` (it is being redriven).
    pub(crate) fn remove(&self, arn: &str) {
        let mut inner = self.inner.lock().expect("finished");
        if let Some((gone, _)) = inner.records.remove(arn) {
            inner.bytes -= cost(&gone);
            // A scan of at most MAX_RECORDS, once per redrive.
            if let Some(i) = inner.order.iter().position(|a| a == arn) {
                inner.order.remove(i);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> (usize, usize, usize) {
        let inner = self.inner.lock().expect("finished");
        (inner.records.len(), inner.order.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_store::{ExecutionStatus, MachineType};

    fn ended(n: usize, output: usize) -> Execution {
        Execution {
            arn: format!("arn:aws:states:us-east-1:123456789012:execution:m:e{n}"),
            name: format!("e{n}"),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            version_arn: None,
            alias_arn: None,
            revision_id: "r".into(),
            machine_type: MachineType::Standard,
            status: ExecutionStatus::Succeeded,
            input: "{}".into(),
            output: Some("x".repeat(output)),
            error: None,
            cause: None,
            start_date: 1,
            stop_date: Some(2),
            redrive_count: 0,
            redrive_date: None,
            map_run_arn: None,
            parent_arn: None,
            trace_header: None,
            partition: 0,
        }
    }

    #[test]
    fn keeps_at_most_its_count_oldest_out_first() {
        let f = Finished::default();
        for n in 0..MAX_RECORDS + 10 {
            f.put(ended(n, 10));
        }
        let (records, order, _) = f.len();
        assert_eq!((records, order), (MAX_RECORDS, MAX_RECORDS));
        assert!(f.get(&ended(9, 0).arn, None).is_none());
        assert!(f.get(&ended(10, 0).arn, None).is_some());
        assert!(f.get(&ended(MAX_RECORDS + 9, 0).arn, None).is_some());
    }

    #[test]
    fn keeps_at_most_its_bytes_and_no_huge_record() {
        let f = Finished::default();
        let big = MAX_BYTES / 32;
        for n in 0..64 {
            f.put(ended(n, big));
        }
        let (records, _, bytes) = f.len();
        assert!(bytes <= MAX_BYTES, "{bytes} bytes kept");
        assert!((30..64).contains(&records), "{records} kept");
        assert!(f.get(&ended(63, 0).arn, None).is_some());
        f.put(ended(1000, MAX_BYTES / 8));
        assert!(f.get(&ended(1000, 0).arn, None).is_none());
    }

    #[test]
    fn a_record_put_again_replaces_the_first_and_removed_is_gone() {
        let f = Finished::default();
        f.put(ended(1, 10));
        let mut again = ended(1, 20);
        again.status = ExecutionStatus::Failed;
        f.put(again);
        let (records, order, bytes) = f.len();
        assert_eq!((records, order), (1, 1));
        assert_eq!(bytes, cost(&ended(1, 20)));
        let got = f.get(&ended(1, 0).arn, None).expect("kept");
        assert_eq!(got.status, ExecutionStatus::Failed);
        f.remove(&ended(1, 0).arn);
        assert!(f.get(&ended(1, 0).arn, None).is_none());
        assert_eq!(f.len(), (0, 0, 0));
    }

    #[test]
    fn an_old_record_is_not_fresh() {
        let f = Finished::default();
        f.put(ended(1, 10));
        let arn = ended(1, 0).arn;
        assert!(f.get(&arn, Some(Duration::from_secs(60))).is_some());
        assert!(f.get(&arn, Some(Duration::ZERO)).is_none());
        assert!(f.get(&arn, None).is_some());
    }
}
