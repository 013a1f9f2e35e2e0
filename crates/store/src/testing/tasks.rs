//! Suite cases for the task outbox: lookups, completing exactly once, and handing each activity
//! task to exactly one worker.

use std::collections::HashSet;
use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{Error, Op, Record, Store, TaskStatus};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "tasks: by id, by token, by execution; ids and tokens taken once",
            run: tasks_looked_up,
        },
        Case {
            name: "tasks: completed once, updated, deleted",
            run: tasks_completed_once,
        },
        Case {
            name: "tasks: a result claimed once, the task completing until it is closed",
            run: results_claimed_once,
        },
        Case {
            name: "tasks: racing claims of one result, exactly one wins",
            run: racing_result_claims,
        },
        Case {
            name: "activity tasks: the oldest scheduled one is claimed",
            run: claims_oldest_first,
        },
        Case {
            name: "activity tasks: racing workers each get a different task",
            run: claims_exactly_once_under_contention,
        },
    ]
}

fn tasks_looked_up(s: &Arc<dyn Store>) -> Outcome {
    let e = execution_arn("m", "e");
    let act = activity_arn("work");
    let t2 = activity_task(&e, 2, &act, 10);
    let t1 = callback_task(&e, 1, 20);
    let mut plain = callback_task(&e, 3, 30);
    plain.kind = crate::TaskKind::Other;
    plain.token = None;
    let elsewhere = callback_task(&execution_arn("m", "f"), 1, 5);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateTask(t2.clone()),
            Op::CreateTask(t1.clone()),
            Op::CreateTask(plain.clone()),
            Op::CreateTask(elsewhere.clone()),
        ]))),
    )?;
    check_eq!(
        ok("task", wait(s.task(&e, 2)))?,
        Some(t2.clone()),
        "task 2 by id"
    );
    check_eq!(ok("task", wait(s.task(&e, 9)))?, None, "absent task id");
    let token = t1.token.clone().ok_or("fixture has a token")?;
    check_eq!(
        ok("by token", wait(s.task_by_token(&token)))?,
        Some(t1.clone()),
        "task 1 by token"
    );
    check_eq!(
        ok("by token", wait(s.task_by_token("nope")))?,
        None,
        "unknown token"
    );
    check_eq!(
        ok("tasks", wait(s.tasks(&e)))?,
        vec![t1.clone(), t2.clone(), plain.clone()],
        "tasks of the execution by id"
    );

    let mut same_id = activity_task(&e, 2, &act, 99);
    same_id.token = Some("a fresh token".into());
    check_eq!(
        wait(s.commit(batch([Op::CreateTask(same_id)]))),
        Err(Error::already_exists(Record::Task, format!("{e} task 2"))),
        "task id 2 again"
    );
    let mut same_token = callback_task(&e, 4, 40);
    same_token.token = Some(token.clone());
    check_eq!(
        wait(s.commit(batch([Op::CreateTask(same_token)]))),
        Err(Error::already_exists(Record::TaskToken, token)),
        "a token given to another task"
    );
    // Tasks without tokens never collide on them.
    let mut second_plain = plain.clone();
    second_plain.task_id = 5;
    ok(
        "create",
        wait(s.commit(batch([Op::CreateTask(second_plain)]))),
    )?;
    check_eq!(
        ok("tasks", wait(s.tasks(&e)))?.len(),
        4,
        "tasks after refusals"
    );
    Ok(())
}

fn tasks_completed_once(s: &Arc<dyn Store>) -> Outcome {
    let e = execution_arn("m", "e");
    let t = callback_task(&e, 1, 10);
    ok("create", wait(s.commit(batch([Op::CreateTask(t.clone())]))))?;

    let mut beat = t.clone();
    beat.heartbeat_deadline = Some(99_000);
    beat.status = TaskStatus::Started;
    beat.started_at = Some(50);
    beat.worker_name = Some("w".into());
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateTask(beat.clone())]))),
    )?;
    check_eq!(
        ok("task", wait(s.task(&e, 1)))?,
        Some(beat.clone()),
        "after the heartbeat"
    );

    ok(
        "complete",
        wait(s.commit(batch([Op::CompleteTask {
            execution_arn: e.clone(),
            task_id: 1,
        }]))),
    )?;
    let closed = ok("task", wait(s.task(&e, 1)))?.ok_or("closed task is kept")?;
    check_eq!(closed.status, TaskStatus::Closed, "status after completion");
    check_eq!(
        closed.heartbeat_deadline,
        beat.heartbeat_deadline,
        "the rest is unchanged"
    );
    match wait(s.commit(batch([Op::CompleteTask {
        execution_arn: e.clone(),
        task_id: 1,
    }]))) {
        Err(Error::Conflict {
            record: Record::Task,
            ..
        }) => {}
        other => return Err(format!("second completion: {other:?}")),
    }
    check_eq!(
        wait(s.commit(batch([Op::CompleteTask {
            execution_arn: e.clone(),
            task_id: 2
        }]))),
        Err(Error::not_found(Record::Task, format!("{e} task 2"))),
        "completing an absent task"
    );
    let ghost = callback_task(&e, 3, 1);
    check_eq!(
        wait(s.commit(batch([Op::UpdateTask(ghost)]))),
        Err(Error::not_found(Record::Task, format!("{e} task 3"))),
        "updating an absent task"
    );
    ok(
        "delete",
        wait(s.commit(batch([Op::DeleteTask {
            execution_arn: e.clone(),
            task_id: 1,
        }]))),
    )?;
    check_eq!(ok("task", wait(s.task(&e, 1)))?, None, "deleted task");
    let token = t.token.clone().ok_or("fixture has a token")?;
    check_eq!(
        ok("by token", wait(s.task_by_token(&token)))?,
        None,
        "deleted task's token"
    );
    ok(
        "delete again",
        wait(s.commit(batch([Op::DeleteTask {
            execution_arn: e,
            task_id: 1,
        }]))),
    )?;
    Ok(())
}

fn claim_task(execution_arn: &str, task_id: u64) -> Op {
    Op::ClaimTask {
        execution_arn: execution_arn.to_string(),
        task_id,
    }
}

fn complete_task(execution_arn: &str, task_id: u64) -> Op {
    Op::CompleteTask {
        execution_arn: execution_arn.to_string(),
        task_id,
    }
}

/// `ClaimTask`: a scheduled or started task becomes completing, once; a completing or closed
/// one refuses the claim and the whole batch with it; `CompleteTask` closes a completing one.
fn results_claimed_once(s: &Arc<dyn Store>) -> Outcome {
    let e = execution_arn("m", "e");
    let work = activity_arn("work");
    let callback = callback_task(&e, 1, 10);
    let taken = activity_task(&e, 2, &work, 20);
    let closed = callback_task(&e, 3, 30);
    let waiting = activity_task(&e, 4, &work, 40);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateTask(callback.clone()),
            Op::CreateTask(taken.clone()),
            Op::CreateTask(closed.clone()),
            complete_task(&e, 3),
            Op::CreateTask(waiting.clone()),
        ]))),
    )?;
    let started = ok("claim", wait(s.claim_activity_task(&work, Some("w"), 50)))?
        .ok_or("the activity task is handed out")?;
    check_eq!(started.task_id, 2, "the older activity task");

    // Scheduled and started tasks are claimed; everything but the status stays.
    ok(
        "claim the results",
        wait(s.commit(batch([claim_task(&e, 1), claim_task(&e, 2)]))),
    )?;
    let mut completing = callback.clone();
    completing.status = TaskStatus::Completing;
    check_eq!(
        ok("task", wait(s.task(&e, 1)))?,
        Some(completing.clone()),
        "a claimed scheduled task"
    );
    let token = callback.token.clone().ok_or("fixture has a token")?;
    check_eq!(
        ok("by token", wait(s.task_by_token(&token)))?,
        Some(completing.clone()),
        "a claimed task by its token"
    );
    let mut started_completing = started.clone();
    started_completing.status = TaskStatus::Completing;
    check_eq!(
        ok("task", wait(s.task(&e, 2)))?,
        Some(started_completing),
        "a claimed started task keeps its worker and start"
    );

    // A second claim is refused, and the batch it is in with it.
    let extra = callback_task(&e, 9, 90);
    match wait(s.commit(batch([Op::CreateTask(extra), claim_task(&e, 1)]))) {
        Err(Error::Conflict {
            record: Record::Task,
            ..
        }) => {}
        other => return Err(format!("a second claim: {other:?}")),
    }
    check_eq!(
        ok("task", wait(s.task(&e, 9)))?,
        None,
        "the task created in the refused batch"
    );
    check_eq!(
        ok("task", wait(s.task(&e, 1)))?,
        Some(completing.clone()),
        "the claimed task after a second claim"
    );
    match wait(s.commit(batch([claim_task(&e, 3)]))) {
        Err(Error::Conflict {
            record: Record::Task,
            ..
        }) => {}
        other => return Err(format!("claiming a closed task: {other:?}")),
    }
    check_eq!(
        wait(s.commit(batch([claim_task(&e, 7)]))),
        Err(Error::not_found(Record::Task, format!("{e} task 7"))),
        "claiming an absent task"
    );

    // A claimed activity task is not handed to a worker.
    ok("claim", wait(s.commit(batch([claim_task(&e, 4)]))))?;
    check_eq!(
        ok("hand out", wait(s.claim_activity_task(&work, None, 60)))?,
        None,
        "a completing activity task"
    );

    // The owner applies the result: the completing task closes, once.
    ok("complete", wait(s.commit(batch([complete_task(&e, 1)]))))?;
    let mut done = completing;
    done.status = TaskStatus::Closed;
    check_eq!(
        ok("task", wait(s.task(&e, 1)))?,
        Some(done),
        "a completing task, completed"
    );
    for (what, op) in [
        ("completing it again", complete_task(&e, 1)),
        ("claiming it again", claim_task(&e, 1)),
    ] {
        match wait(s.commit(batch([op]))) {
            Err(Error::Conflict {
                record: Record::Task,
                ..
            }) => {}
            other => return Err(format!("{what}: {other:?}")),
        }
    }
    Ok(())
}

fn racing_result_claims(s: &Arc<dyn Store>) -> Outcome {
    const RACERS: usize = 8;
    const TASKS: u64 = 12;
    let e = execution_arn("m", "e");
    let ops = (1..=TASKS).map(|id| Op::CreateTask(callback_task(&e, id, id as i64)));
    ok("create", wait(s.commit(batch(ops))))?;
    let outcomes = super::batches::concurrently(RACERS, TASKS as usize, |_, i| {
        let id = i as u64 + 1;
        (id, wait(s.commit(batch([claim_task(&e, id)]))))
    })
    .into_iter()
    .map(|(id, r)| match r {
        Ok(()) => Ok((id, true)),
        Err(Error::Conflict { .. }) => Ok((id, false)),
        Err(other) => Err(format!("claim of task {id}: {other}")),
    })
    .collect::<Result<Vec<_>, String>>()?;
    check_eq!(outcomes.len(), RACERS * TASKS as usize, "claims answered");
    for id in 1..=TASKS {
        let won = outcomes.iter().filter(|(t, w)| *t == id && *w).count();
        check_eq!(won, 1, "claims of task {id} that won");
    }
    let stored = ok("tasks", wait(s.tasks(&e)))?;
    check!(
        stored.iter().all(|t| t.status == TaskStatus::Completing),
        "every task is completing"
    );
    Ok(())
}

fn claims_oldest_first(s: &Arc<dyn Store>) -> Outcome {
    let work = activity_arn("work");
    let other = activity_arn("other");
    let e = execution_arn("m", "e");
    let f = execution_arn("m", "f");
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateTask(activity_task(&e, 1, &work, 300)),
            Op::CreateTask(activity_task(&f, 1, &work, 100)),
            Op::CreateTask(activity_task(&e, 2, &other, 50)),
            Op::CreateTask(callback_task(&e, 3, 10)),
            Op::CreateTask(activity_task(&e, 4, &work, 200)),
            Op::CreateTask(activity_task(&f, 2, &work, 200)),
        ]))),
    )?;
    // f/1 (100), then e/4 and f/2 at 200 in the order they were scheduled, then e/1 (300).
    let expected = [(&f, 1), (&e, 4), (&f, 2), (&e, 1)];
    for (i, (arn, id)) in expected.iter().enumerate() {
        let worker = format!("w{i}");
        let now = 1_000 + i as i64;
        let got = ok(
            "claim",
            wait(s.claim_activity_task(&work, Some(&worker), now)),
        )?
        .ok_or(format!("claim {i}: nothing handed out"))?;
        check_eq!(
            (got.execution_arn.as_str(), got.task_id),
            (arn.as_str(), *id),
            "claim {i}"
        );
        check_eq!(got.status, TaskStatus::Started, "claimed task status");
        check_eq!(
            got.worker_name.as_deref(),
            Some(worker.as_str()),
            "claimed task worker"
        );
        check_eq!(got.started_at, Some(now), "claimed task start");
        check_eq!(
            ok("task", wait(s.task(arn, *id)))?,
            Some(got),
            "claimed task as stored"
        );
    }
    check_eq!(
        ok("claim", wait(s.claim_activity_task(&work, None, 5_000)))?,
        None,
        "nothing left"
    );
    let got = ok("claim", wait(s.claim_activity_task(&other, None, 6_000)))?
        .ok_or("other activity's task")?;
    check_eq!(
        (got.task_id, got.worker_name),
        (2, None),
        "other activity, no worker name"
    );
    check_eq!(
        ok(
            "claim",
            wait(s.claim_activity_task(&activity_arn("none"), None, 1))
        )?,
        None,
        "an activity without tasks"
    );
    // A closed task is not handed out.
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateTask(activity_task(&e, 10, &work, 1)),
            Op::CompleteTask {
                execution_arn: e.clone(),
                task_id: 10,
            },
        ]))),
    )?;
    check_eq!(
        ok("claim", wait(s.claim_activity_task(&work, None, 7_000)))?,
        None,
        "closed task"
    );
    Ok(())
}

fn claims_exactly_once_under_contention(s: &Arc<dyn Store>) -> Outcome {
    const TASKS: u64 = 240;
    const WORKERS: usize = 8;
    let work = activity_arn("work");
    let e = execution_arn("m", "e");
    let ops = (1..=TASKS).map(|id| Op::CreateTask(activity_task(&e, id, &work, (id % 7) as i64)));
    ok("create", wait(s.commit(batch(ops))))?;
    let claimed: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let s = s.clone();
                let work = work.clone();
                scope.spawn(move || {
                    let name = format!("w{w}");
                    let mut mine = Vec::new();
                    while let Ok(Some(t)) = wait(s.claim_activity_task(&work, Some(&name), 1)) {
                        mine.push(t.task_id);
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let total: usize = claimed.iter().map(Vec::len).sum();
    let distinct: HashSet<u64> = claimed.iter().flatten().copied().collect();
    check_eq!(total, TASKS as usize, "tasks handed out");
    check_eq!(distinct.len(), TASKS as usize, "distinct tasks handed out");
    let stored = ok("tasks", wait(s.tasks(&e)))?;
    check!(
        stored.iter().all(|t| t.status == TaskStatus::Started),
        "every task is started"
    );
    Ok(())
}
