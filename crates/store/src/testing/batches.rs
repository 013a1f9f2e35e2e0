//! Suite cases for batches as a whole: in order, all or nothing, and many at once.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{Error, ExecutionStatus, Op, Record, Store, Tag, Timer, WriteBatch};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "batch: writes apply in order",
            run: writes_apply_in_order,
        },
        Case {
            name: "batch: one failing write leaves nothing of the batch",
            run: failing_batch_changes_nothing,
        },
        Case {
            name: "batch: a step's execution row, history and journal, and each refusal",
            run: step_writes_and_refusals,
        },
        Case {
            name: "batch: an empty batch commits",
            run: empty_batch_commits,
        },
        Case {
            name: "batches: many producers at once, every batch whole and visible",
            run: concurrent_batches_all_land,
        },
        Case {
            name: "batches: concurrent starts, some of names taken, each answered on its own",
            run: concurrent_starts_some_taken,
        },
        Case {
            name: "batches: failing batches among concurrent ones take nothing with them",
            run: failures_among_concurrent_batches,
        },
    ]
}

/// The writes every step makes, in the order the runtime makes them: the execution row
/// (created, then updated), a run of history events, journal entries. A taken event id or
/// sequence number, or an absent execution, refuses the whole step.
fn step_writes_and_refusals(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("m", "step", 1);
    let step = |row: Op, history: std::ops::RangeInclusive<u64>, journal: u64| {
        let arn = match &row {
            Op::CreateExecution(x) | Op::UpdateExecution(x) => x.arn.clone(),
            _ => String::new(),
        };
        batch([
            row,
            Op::AppendHistory {
                execution_arn: arn.clone(),
                events: events(history),
            },
            Op::AppendJournal {
                execution_arn: arn,
                entries: entries(journal..=journal),
            },
        ])
    };
    ok(
        "start",
        wait(s.commit(step(Op::CreateExecution(e.clone()), 1..=3, 1))),
    )?;
    let done = finished(e.clone(), ExecutionStatus::Succeeded, 5);
    ok(
        "next step",
        wait(s.commit(step(Op::UpdateExecution(done.clone()), 4..=6, 2))),
    )?;
    check_eq!(
        wait(s.commit(step(Op::CreateExecution(e.clone()), 1..=1, 9))),
        Err(Error::already_exists(Record::Execution, e.arn.clone())),
        "the start again"
    );
    let failed = finished(e.clone(), ExecutionStatus::Failed, 6);
    check_eq!(
        wait(s.commit(step(Op::UpdateExecution(failed.clone()), 6..=7, 3))),
        Err(Error::already_exists(
            Record::HistoryEvent,
            format!("{} event 6", e.arn)
        )),
        "a step whose first event is taken"
    );
    check_eq!(
        wait(s.commit(step(Op::UpdateExecution(failed.clone()), 7..=8, 2))),
        Err(Error::already_exists(
            Record::JournalEntry,
            format!("{} entry 2", e.arn)
        )),
        "a step whose journal entry is taken"
    );
    let absent = execution("m", "absent", 1);
    check_eq!(
        wait(s.commit(step(Op::UpdateExecution(absent.clone()), 1..=1, 1))),
        Err(Error::not_found(Record::Execution, absent.arn.clone())),
        "a step of an absent execution"
    );
    check_eq!(
        ok("read", wait(s.execution(&e.arn)))?,
        Some(done),
        "the execution as the last step that committed left it"
    );
    let history = read_all(100, |p| wait(s.history(&e.arn, false, p)))?;
    check_eq!(history, events(1..=6), "the history of the committed steps");
    check_eq!(
        ok("journal", wait(s.journal(&e.arn)))?,
        entries(1..=2),
        "the journal of the committed steps"
    );
    check_eq!(
        ok("read", wait(s.execution(&absent.arn)))?,
        None,
        "no execution from a refused step"
    );
    Ok(())
}

fn writes_apply_in_order(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("m", "e", 1);
    let done = finished(e.clone(), ExecutionStatus::Succeeded, 9);
    let act = activity("a", 1);
    ok(
        "batch",
        wait(s.commit(batch([
            Op::CreateExecution(e.clone()),
            Op::UpdateExecution(done.clone()),
            Op::CreateActivity(act.clone()),
            Op::DeleteActivity {
                arn: act.arn.clone(),
            },
            Op::CreateActivity(activity("a", 2)),
            Op::PutTimer(Timer {
                execution_arn: e.arn.clone(),
                timer_id: 1,
                fire_at: 5,
            }),
            Op::DeleteTimers {
                execution_arn: e.arn.clone(),
            },
            Op::PutTimer(Timer {
                execution_arn: e.arn.clone(),
                timer_id: 2,
                fire_at: 6,
            }),
        ]))),
    )?;
    check_eq!(
        ok("get", wait(s.execution(&e.arn)))?,
        Some(done),
        "created then updated"
    );
    check_eq!(
        ok("get", wait(s.activity(&act.arn)))?.map(|a| a.creation_date),
        Some(2),
        "created, deleted, created again"
    );
    check_eq!(
        ok("due", wait(s.due_timers(100, 10)))?,
        vec![Timer {
            execution_arn: e.arn,
            timer_id: 2,
            fire_at: 6
        }],
        "timers after put, delete all, put"
    );
    Ok(())
}

/// Every kind of write, then one that fails: the batch a runtime step would commit.
fn doomed_batch(n: usize, fail: bool) -> WriteBatch {
    let name = format!("m{n}");
    let m = machine(&name, 1);
    let e = execution(&name, "e", 1);
    let act = activity(&name, 1);
    let v = version(&m, 1, 1);
    let mut ops = vec![
        Op::CreateStateMachine(m.clone()),
        Op::PutRevision(revision(&m)),
        Op::CreateVersion(v.clone()),
        Op::CreateAlias(alias(&m, "a", &[(&v.arn, 100)], 1)),
        Op::CreateActivity(act.clone()),
        Op::TagResource {
            arn: m.arn.clone(),
            tags: vec![Tag::new("k", "v")],
        },
        Op::CreateExecution(e.clone()),
        Op::AppendHistory {
            execution_arn: e.arn.clone(),
            events: events(1..=3),
        },
        Op::AppendJournal {
            execution_arn: e.arn.clone(),
            entries: entries(1..=2),
        },
        Op::PutTimer(Timer {
            execution_arn: e.arn.clone(),
            timer_id: 1,
            fire_at: 10,
        }),
        Op::CreateTask(activity_task(&e.arn, 1, &act.arn, 1)),
        Op::CreateMapRun(map_run(&e.arn, "Map", &name, 1)),
        Op::UpdateExecution(finished(e.clone(), ExecutionStatus::Succeeded, 2)),
    ];
    if fail {
        // The execution exists by now (created above): a conflict at the very end.
        ops.push(Op::CreateExecution(e));
    }
    ops.into_iter().collect()
}

/// Whether anything of `doomed_batch(n, _)` is in the store.
fn traces_of(s: &Arc<dyn Store>, n: usize) -> Result<Vec<&'static str>, String> {
    let name = format!("m{n}");
    let m = machine(&name, 1);
    let e = execution_arn(&name, "e");
    let act = activity_arn(&name);
    let mut found = Vec::new();
    let mut note = |present: bool, what: &'static str| {
        if present {
            found.push(what);
        }
    };
    note(
        ok("get", wait(s.state_machine(&m.arn)))?.is_some(),
        "machine",
    );
    note(
        ok("get", wait(s.revision(&m.arn, &m.revision_id)))?.is_some(),
        "revision",
    );
    note(
        ok("get", wait(s.version(&format!("{}:1", m.arn))))?.is_some(),
        "version",
    );
    note(
        ok("get", wait(s.alias(&format!("{}:a", m.arn))))?.is_some(),
        "alias",
    );
    note(ok("get", wait(s.activity(&act)))?.is_some(), "activity");
    note(!ok("get", wait(s.tags(&m.arn)))?.is_empty(), "tags");
    note(ok("get", wait(s.execution(&e)))?.is_some(), "execution");
    note(
        !read_all(10, |p| wait(s.history(&e, false, p)))?.is_empty(),
        "history",
    );
    note(!ok("get", wait(s.journal(&e)))?.is_empty(), "journal");
    note(
        ok("get", wait(s.due_timers(i64::MAX, 1_000)))?
            .iter()
            .any(|t| t.execution_arn == e),
        "timer",
    );
    note(ok("get", wait(s.task(&e, 1)))?.is_some(), "task");
    note(
        !read_all(10, |p| wait(s.map_runs(&e, p)))?.is_empty(),
        "map run",
    );
    Ok(found)
}

const ALL_TRACES: [&str; 12] = [
    "machine",
    "revision",
    "version",
    "alias",
    "activity",
    "tags",
    "execution",
    "history",
    "journal",
    "timer",
    "task",
    "map run",
];

fn failing_batch_changes_nothing(s: &Arc<dyn Store>) -> Outcome {
    check_eq!(
        wait(s.commit(doomed_batch(1, true))),
        Err(Error::already_exists(
            Record::Execution,
            execution_arn("m1", "e")
        )),
        "the failing batch"
    );
    check_eq!(
        traces_of(s, 1)?,
        Vec::<&str>::new(),
        "left by the failed batch"
    );
    // The same writes without the failing one all land: the check above can see them.
    ok(
        "the batch without its failure",
        wait(s.commit(doomed_batch(1, false))),
    )?;
    check_eq!(
        traces_of(s, 1)?,
        ALL_TRACES.to_vec(),
        "left by the good batch"
    );
    Ok(())
}

fn empty_batch_commits(s: &Arc<dyn Store>) -> Outcome {
    ok("empty", wait(s.commit(WriteBatch::new())))?;
    Ok(())
}

/// One execution step's worth: the execution, its history and journal.
fn step(producer: usize, i: usize) -> (String, WriteBatch) {
    let e = execution(&format!("p{producer}"), &format!("e{i}"), i as i64);
    let arn = e.arn.clone();
    let b = batch([
        Op::CreateExecution(e),
        Op::AppendHistory {
            execution_arn: arn.clone(),
            events: events(1..=8),
        },
        Op::AppendJournal {
            execution_arn: arn.clone(),
            entries: entries(1..=2),
        },
    ]);
    (arn, b)
}

fn concurrent_batches_all_land(s: &Arc<dyn Store>) -> Outcome {
    const PRODUCERS: usize = 16;
    const EACH: usize = 40;
    let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let s = s.clone();
                scope.spawn(move || {
                    for i in 0..EACH {
                        let (_, b) = step(p, i);
                        wait(s.commit(b)).map_err(|e| format!("producer {p} batch {i}: {e}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("producer panicked".into())))
            .collect()
    });
    for r in results {
        r?;
    }
    for p in 0..PRODUCERS {
        for i in 0..EACH {
            let (arn, _) = step(p, i);
            check!(
                ok("get", wait(s.execution(&arn)))?.is_some(),
                "{arn} missing"
            );
            let history = read_all(100, |pg| wait(s.history(&arn, false, pg)))?;
            check_eq!(history, events(1..=8), "history of {arn}");
            check_eq!(
                ok("journal", wait(s.journal(&arn)))?,
                entries(1..=2),
                "journal of {arn}"
            );
        }
    }
    Ok(())
}

/// Runs `f(producer, i)` for `i` in `0..each` on each of `producers` threads at once; every
/// result (those of a producer that panicked are missing).
pub(super) fn concurrently<T: Send>(
    producers: usize,
    each: usize,
    f: impl Fn(usize, usize) -> T + Sync,
) -> Vec<T> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..producers)
            .map(|p| scope.spawn(move || (0..each).map(|i| f(p, i)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Many executions' one-step starts at once (the writes a backend may merge), a quarter of
/// them of names already taken: those are refused with `AlreadyExists`, and the others land
/// whole whatever group they shared.
fn concurrent_starts_some_taken(s: &Arc<dyn Store>) -> Outcome {
    const PRODUCERS: usize = 8;
    const EACH: usize = 20;
    for p in 0..PRODUCERS {
        for i in (0..EACH).step_by(4) {
            ok("taken before", wait(s.commit(step(p, i).1)))?;
        }
    }
    let outcomes = concurrently(PRODUCERS, EACH, |p, i| {
        let (arn, b) = step(p, i);
        (arn, i, wait(s.commit(b)))
    });
    check_eq!(outcomes.len(), PRODUCERS * EACH, "batches committed");
    for (arn, i, result) in outcomes {
        if i % 4 == 0 {
            check_eq!(
                result,
                Err(Error::already_exists(Record::Execution, arn.clone())),
                "{arn}, a name taken"
            );
        } else {
            ok(&arn, result)?;
        }
        let history = read_all(100, |p| wait(s.history(&arn, false, p)))?;
        check_eq!(history, events(1..=8), "{arn}'s history, once");
        check_eq!(
            ok("journal", wait(s.journal(&arn)))?,
            entries(1..=2),
            "{arn}'s journal, once"
        );
    }
    Ok(())
}

fn failures_among_concurrent_batches(s: &Arc<dyn Store>) -> Outcome {
    const PRODUCERS: usize = 8;
    const EACH: usize = 12;
    // Producer p writes batches p*EACH.., every third of which fails at its end.
    let outcomes = concurrently(PRODUCERS, EACH, |p, i| {
        let n = p * EACH + i;
        let fail = n.is_multiple_of(3);
        (n, fail, wait(s.commit(doomed_batch(n, fail))))
    });
    check_eq!(outcomes.len(), PRODUCERS * EACH, "batches committed");
    for (n, fail, result) in outcomes {
        check_eq!(result.is_err(), fail, "batch {n} failed");
        let expected: Vec<&str> = if fail { vec![] } else { ALL_TRACES.to_vec() };
        check_eq!(traces_of(s, n)?, expected, "traces of batch {n}");
    }
    Ok(())
}
