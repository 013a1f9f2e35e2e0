//! Suite cases for several nodes on one store: leases, partition ownership and epochs, and
//! fenced batches. Trivially true of a store only one process opens, but the same rules.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{Error, Fence, Op, Store, PARTITIONS};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "membership: a live owner keeps its partition; each new owner a higher epoch",
            run: ownership_and_epochs,
        },
        Case {
            name: "membership: a lease that ran out frees its partitions",
            run: expired_lease_frees,
        },
        Case {
            name: "fence: a batch fenced at an epoch its partition has left is refused whole",
            run: stale_fence_refused,
        },
    ]
}

const MINUTE: u64 = 60_000;

fn ownership_and_epochs(s: &Arc<dyn Store>) -> Outcome {
    let owners = ok("owners", wait(s.owners()))?;
    check_eq!(
        owners.len(),
        PARTITIONS as usize,
        "partitions of a new store"
    );
    check!(
        owners.iter().all(|o| o.owner.is_none()),
        "a new store's partitions are free: {owners:?}"
    );
    ok("heartbeat a", wait(s.heartbeat("a", "http://a", MINUTE)))?;
    ok("heartbeat b", wait(s.heartbeat("b", "http://b", MINUTE)))?;
    let first = ok("acquire", wait(s.acquire("a", 5)))?.ok_or("a free partition was refused")?;
    check_eq!(
        ok("acquire", wait(s.acquire("b", 5)))?,
        None,
        "a partition a live node owns"
    );
    let owners = ok("owners", wait(s.owners()))?;
    let p5 = owners
        .iter()
        .find(|o| o.partition == 5)
        .ok_or("no partition 5")?;
    check_eq!(p5.owner.as_deref(), Some("a"), "owner of 5");
    check_eq!(p5.epoch, first, "epoch of 5");
    check!(p5.owner_alive, "a's lease is running");
    check_eq!(
        ok("release", wait(s.release("b", 5, first)))?,
        false,
        "released by a node that does not own it"
    );
    check_eq!(
        ok("release", wait(s.release("a", 5, first + 1)))?,
        false,
        "released at an epoch it is not at"
    );
    check_eq!(
        ok("release", wait(s.release("a", 5, first)))?,
        true,
        "released by its owner"
    );
    let second =
        ok("acquire", wait(s.acquire("b", 5)))?.ok_or("a released partition was refused")?;
    check!(second > first, "epoch {second} after {first}");
    let mut live = ok("live", wait(s.live_nodes()))?;
    live.sort();
    check_eq!(
        live,
        vec![
            ("a".to_string(), "http://a".to_string()),
            ("b".to_string(), "http://b".to_string())
        ],
        "live nodes"
    );
    Ok(())
}

fn expired_lease_frees(s: &Arc<dyn Store>) -> Outcome {
    ok("heartbeat a", wait(s.heartbeat("a", "http://a", 1)))?;
    ok("heartbeat b", wait(s.heartbeat("b", "http://b", MINUTE)))?;
    let first = ok("acquire", wait(s.acquire("a", 0)))?.ok_or("a free partition was refused")?;
    // The lease was one millisecond long, on the store's clock.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let owners = ok("owners", wait(s.owners()))?;
    check!(
        !owners[0].owner_alive,
        "a's lease has run out: {:?}",
        owners[0]
    );
    check_eq!(
        ok("live", wait(s.live_nodes()))?,
        vec![("b".to_string(), "http://b".to_string())],
        "live nodes"
    );
    let second = ok("acquire", wait(s.acquire("b", 0)))?.ok_or("an expired owner kept it")?;
    check!(second > first, "epoch {second} after {first}");
    Ok(())
}

fn stale_fence_refused(s: &Arc<dyn Store>) -> Outcome {
    ok("heartbeat a", wait(s.heartbeat("a", "http://a", MINUTE)))?;
    let old = ok("acquire", wait(s.acquire("a", 3)))?.ok_or("a free partition was refused")?;
    let fence = Fence {
        partition: 3,
        epoch: old,
    };
    let x = execution("m", "x", 1);
    ok(
        "a fenced batch at the current epoch",
        wait(s.commit(batch([Op::CreateExecution(x.clone())]).fenced(fence))),
    )?;
    ok("release", wait(s.release("a", 3, old)))?;
    ok("heartbeat b", wait(s.heartbeat("b", "http://b", MINUTE)))?;
    let new = ok("acquire", wait(s.acquire("b", 3)))?.ok_or("a released partition was refused")?;
    let y = execution("m", "y", 1);
    let stale = batch([
        Op::CreateExecution(y.clone()),
        Op::AppendHistory {
            execution_arn: y.arn.clone(),
            events: events(1..=2),
        },
        Op::AppendJournal {
            execution_arn: y.arn.clone(),
            entries: entries(1..=1),
        },
    ]);
    check_eq!(
        wait(s.commit(stale.clone().fenced(fence))),
        Err(Error::Fenced {
            partition: 3,
            epoch: old
        }),
        "the old owner's batch"
    );
    check_eq!(
        ok("read", wait(s.execution(&y.arn)))?,
        None,
        "nothing of the refused batch"
    );
    check_eq!(
        wait(s.commit(
            batch([Op::CreateExecution(execution("m", "z", 1))]).fenced(Fence {
                partition: PARTITIONS,
                epoch: 1
            })
        )),
        Err(Error::Fenced {
            partition: PARTITIONS,
            epoch: 1
        }),
        "a partition that does not exist"
    );
    ok(
        "the new owner's batch",
        wait(s.commit(stale.fenced(Fence {
            partition: 3,
            epoch: new,
        }))),
    )?;
    check!(
        ok("read", wait(s.execution(&y.arn)))?.is_some(),
        "the new owner's execution"
    );
    Ok(())
}
