//! Suite cases for the inbox: events for executions that another node runs, read by partition
//! in the order they were appended, each consumed once.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{Error, ExecutionStatus, InboxEntry, Op, Store, TaskStatus, Timer};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "inbox: by partition in append order, the store's ids, a limit",
            run: inbox_by_partition,
        },
        Case {
            name: "inbox: an entry consumed once; a second consume refuses its batch",
            run: inbox_consumed_once,
        },
        Case {
            name: "partitions: the timers and open tasks of their running executions",
            run: parked_work_by_partition,
        },
    ]
}

/// The entries as appended, with the ids the store gave them.
fn appended(s: &Arc<dyn Store>, partitions: &[u32]) -> Result<Vec<InboxEntry>, String> {
    ok("inbox", wait(s.inbox(partitions, 1_000)))
}

/// `got` is `expected` but for the ids, which the store gave.
fn same_but_ids(got: &[InboxEntry], expected: &[InboxEntry], what: &str) -> Outcome {
    let strip = |entries: &[InboxEntry]| {
        entries
            .iter()
            .map(|e| InboxEntry { id: 0, ..e.clone() })
            .collect::<Vec<_>>()
    };
    check_eq!(strip(got), strip(expected), "{what}");
    Ok(())
}

fn inbox_by_partition(s: &Arc<dyn Store>) -> Outcome {
    let e = execution_arn("m", "e");
    let f = execution_arn("m", "f");
    let a: Vec<InboxEntry> = (1..=4).map(|n| inbox_entry(3, &e, n)).collect();
    let b: Vec<InboxEntry> = (5..=7).map(|n| inbox_entry(40, &f, n)).collect();
    // The id given is not the store's: it is ignored.
    let mut odd = a[1].clone();
    odd.id = 999_999;
    ok(
        "append",
        wait(s.commit(batch([Op::AppendInbox(a[0].clone())]))),
    )?;
    ok(
        "append",
        wait(s.commit(batch([Op::AppendInbox(b[0].clone()), Op::AppendInbox(odd)]))),
    )?;
    ok(
        "append",
        wait(s.commit(batch([Op::AppendInbox(b[1].clone())]))),
    )?;
    ok(
        "append",
        wait(s.commit(batch([
            Op::AppendInbox(a[2].clone()),
            Op::AppendInbox(a[3].clone()),
            Op::AppendInbox(b[2].clone()),
        ]))),
    )?;

    let of_a = appended(s, &[3])?;
    same_but_ids(&of_a, &a, "partition 3, in append order")?;
    let of_b = appended(s, &[40])?;
    same_but_ids(&of_b, &b, "partition 40, in append order")?;
    let both = appended(s, &[40, 3])?;
    let expected = [
        a[0].clone(),
        b[0].clone(),
        a[1].clone(),
        b[1].clone(),
        a[2].clone(),
        a[3].clone(),
        b[2].clone(),
    ];
    same_but_ids(&both, &expected, "both partitions, in append order")?;
    check!(
        both.windows(2).all(|w| w[0].id < w[1].id),
        "ids increase in append order: {:?}",
        both.iter().map(|x| x.id).collect::<Vec<_>>()
    );
    check!(
        both.iter().all(|x| x.id != 999_999),
        "the id given in the write was kept"
    );
    check_eq!(
        ok("limited", wait(s.inbox(&[3], 2)))?,
        of_a[..2].to_vec(),
        "the oldest two of partition 3"
    );
    check_eq!(
        ok("limited", wait(s.inbox(&[3, 40], 3)))?,
        both[..3].to_vec(),
        "the oldest three of both"
    );
    check_eq!(
        ok("other", wait(s.inbox(&[0, 4, 63], 10)))?,
        Vec::<InboxEntry>::new(),
        "partitions without entries"
    );
    check_eq!(
        ok("none", wait(s.inbox(&[], 10)))?,
        Vec::<InboxEntry>::new(),
        "no partitions"
    );
    Ok(())
}

fn inbox_consumed_once(s: &Arc<dyn Store>) -> Outcome {
    let x = execution("m", "x", 1);
    ok(
        "create",
        wait(s.commit(batch([Op::CreateExecution(x.clone())]))),
    )?;
    ok(
        "append",
        wait(s.commit(batch(
            (1..=3).map(|n| Op::AppendInbox(inbox_entry(x.partition, &x.arn, n))),
        ))),
    )?;
    let entries = appended(s, &[x.partition])?;
    check_eq!(entries.len(), 3, "entries appended");
    let (first, second, third) = (entries[0].id, entries[1].id, entries[2].id);

    // The owner's step applies the first entry and consumes it in the same batch.
    ok(
        "step with consume",
        wait(s.commit(batch([
            Op::AppendHistory {
                execution_arn: x.arn.clone(),
                events: events(1..=2),
            },
            Op::ConsumeInbox { id: first },
        ]))),
    )?;
    check_eq!(
        appended(s, &[x.partition])?,
        entries[1..].to_vec(),
        "after the first is consumed"
    );

    // Applying it again: refused whole.
    match wait(s.commit(batch([
        Op::AppendHistory {
            execution_arn: x.arn.clone(),
            events: events(3..=4),
        },
        Op::ConsumeInbox { id: first },
    ]))) {
        Err(Error::Conflict { .. }) => {}
        other => return Err(format!("consuming a consumed entry: {other:?}")),
    }
    let history = read_all(100, |p| wait(s.history(&x.arn, false, p)))?;
    check_eq!(
        history,
        events(1..=2),
        "history of the step refused for its consume"
    );

    // One batch consuming an entry twice: refused whole, the entry kept.
    match wait(s.commit(batch([
        Op::ConsumeInbox { id: second },
        Op::ConsumeInbox { id: second },
    ]))) {
        Err(Error::Conflict { .. }) => {}
        other => return Err(format!("consuming an entry twice in a batch: {other:?}")),
    }
    check_eq!(
        appended(s, &[x.partition])?,
        entries[1..].to_vec(),
        "after a batch that consumed one twice"
    );
    match wait(s.commit(batch([Op::ConsumeInbox { id: third + 1_000 }]))) {
        Err(Error::Conflict { .. }) => {}
        other => return Err(format!("consuming an entry never appended: {other:?}")),
    }

    ok(
        "consume the rest",
        wait(s.commit(batch([
            Op::ConsumeInbox { id: third },
            Op::ConsumeInbox { id: second },
        ]))),
    )?;
    check_eq!(
        appended(s, &[x.partition])?,
        Vec::<InboxEntry>::new(),
        "after every entry is consumed"
    );
    // Ids are not given twice, even once the newest entry is gone.
    ok(
        "append again",
        wait(s.commit(batch([Op::AppendInbox(inbox_entry(
            x.partition,
            &x.arn,
            4,
        ))]))),
    )?;
    let again = appended(s, &[x.partition])?;
    check!(
        again.len() == 1 && again[0].id > third,
        "a new entry's id after the consumed ones: {again:?}"
    );
    Ok(())
}

/// What a node that takes partitions sets up without loading their executions: the timers and
/// the open tasks of those still running, of those partitions only.
fn parked_work_by_partition(s: &Arc<dyn Store>) -> Outcome {
    let mut here = execution("m", "here", 1);
    here.partition = 7;
    let mut ended = execution("m", "ended", 2);
    ended.partition = 7;
    let mut there = execution("m", "there", 3);
    there.partition = 8;
    let timer = |arn: &str, id: u64, at: i64| Timer {
        execution_arn: arn.to_string(),
        timer_id: id,
        fire_at: at,
    };
    let mut ops = Vec::new();
    for e in [&here, &ended, &there] {
        ops.push(Op::CreateExecution(e.clone()));
        ops.push(Op::PutTimer(timer(&e.arn, 1, 1_000)));
        ops.push(Op::PutTimer(timer(&e.arn, 2, 9_000)));
        ops.push(Op::CreateTask(callback_task(&e.arn, 1, 10)));
        ops.push(Op::CreateTask(callback_task(&e.arn, 2, 10)));
    }
    ops.push(Op::CompleteTask {
        execution_arn: here.arn.clone(),
        task_id: 2,
    });
    ended.status = ExecutionStatus::Succeeded;
    ops.push(Op::UpdateExecution(ended.clone()));
    ok("write", wait(s.commit(batch(ops))))?;

    let mut timers = ok("timers", wait(s.timers_in(&[7])))?;
    timers.sort_by_key(|t| t.timer_id);
    check_eq!(
        timers,
        vec![timer(&here.arn, 1, 1_000), timer(&here.arn, 2, 9_000)],
        "timers of partition 7"
    );
    let tasks = ok("tasks", wait(s.open_tasks_in(&[7])))?;
    check_eq!(
        tasks
            .iter()
            .map(|t| (t.execution_arn.clone(), t.task_id, t.status))
            .collect::<Vec<_>>(),
        vec![(here.arn.clone(), 1, TaskStatus::Scheduled)],
        "open tasks of partition 7"
    );
    check_eq!(
        ok("both", wait(s.timers_in(&[7, 8])))?.len(),
        4,
        "timers of partitions 7 and 8"
    );
    check!(
        ok("none", wait(s.open_tasks_in(&[9])))?.is_empty(),
        "no open tasks in an empty partition"
    );
    Ok(())
}
