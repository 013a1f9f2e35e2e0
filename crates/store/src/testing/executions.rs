//! Suite cases for executions and what hangs off them: listings, history, journal, timers, map
//! runs.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{
    Error, ExecutionFilter, ExecutionStatus, ExecutionSummary, ExecutionsOf, MapRunStatus, Op,
    PageRequest, Record, Store, Timer,
};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "execution: create, get, update; a name is taken once per machine",
            run: execution_create_get_update,
        },
        Case {
            name: "executions: newest first by start date, page by page",
            run: executions_newest_first,
        },
        Case {
            name: "executions: by version, alias, map run, status and redrive",
            run: executions_filtered,
        },
        Case {
            name: "executions: paging survives executions starting and ending in between",
            run: executions_paging_is_stable,
        },
        Case {
            name: "executions: the unfinished ones, for recovery",
            run: unfinished_executions,
        },
        Case {
            name: "executions: the partition is kept; the unfinished ones of some partitions",
            run: partitions_kept,
        },
        Case {
            name: "executions: concurrent starts keep their partitions",
            run: concurrent_starts_keep_partitions,
        },
        Case {
            name: "history: pages forward and in reverse; ids written once",
            run: history_pages,
        },
        Case {
            name: "journal: read back in sequence; sequence numbers written once",
            run: journal_in_order,
        },
        Case {
            name: "timers: due in order, the next one, moved and deleted",
            run: timers_due_in_order,
        },
        Case {
            name: "map runs: created, updated, listed newest first",
            run: map_runs_lifecycle,
        },
        Case {
            name: "retention: closed executions that stopped before the cutoff go, with all that hangs off them",
            run: retention_purges_closed_executions,
        },
        Case {
            name: "gauges: pending timers, open tasks, bytes and commits as the store holds them",
            run: gauges_count_what_is_held,
        },
    ]
}

fn gauges_count_what_is_held(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("gauged", "e", 1);
    let mut closed = callback_task(&e.arn, 3, 1);
    closed.status = crate::TaskStatus::Closed;
    ok(
        "write",
        wait(s.commit(batch([
            Op::CreateExecution(e.clone()),
            Op::PutTimer(Timer {
                execution_arn: e.arn.clone(),
                timer_id: 1,
                fire_at: 10,
            }),
            Op::PutTimer(Timer {
                execution_arn: e.arn.clone(),
                timer_id: 2,
                fire_at: 20,
            }),
            Op::CreateTask(callback_task(&e.arn, 1, 1)),
            Op::CreateTask(closed),
        ]))),
    )?;
    let g = ok("gauges", wait(s.gauges()))?;
    check_eq!(g.timers, Some(2), "timers");
    check_eq!(g.open_tasks, Some(1), "open tasks");
    check!(g.bytes.is_some_and(|b| b > 0), "bytes: {:?}", g.bytes);
    check!(
        g.commits.is_some_and(|c| c >= 1) && g.batches >= g.commits,
        "commits {:?}, batches {:?}",
        g.commits,
        g.batches
    );
    // Every transaction is in the histograms once it has returned, with its batches.
    let (Some(seconds), Some(sizes)) = (&g.commit_seconds, &g.commit_batches) else {
        return Err("no commit histograms".into());
    };
    check_eq!(
        Some(seconds.count()),
        g.commits,
        "commit latency observations"
    );
    check_eq!(Some(sizes.count()), g.commits, "commit size observations");
    check_eq!(
        Some(sizes.sum as u64),
        g.batches,
        "batches in the size histogram"
    );
    Ok(())
}

/// Everything a purged execution had, as the reads see it: (row, history, journal, tasks, map
/// runs) present.
fn traces(s: &Arc<dyn Store>, arn: &str) -> Result<[bool; 5], String> {
    let first = PageRequest::first(10);
    Ok([
        ok("execution", wait(s.execution(arn)))?.is_some(),
        !ok("history", wait(s.history(arn, false, &first)))?
            .items
            .is_empty(),
        !ok("journal", wait(s.journal(arn)))?.is_empty(),
        !ok("tasks", wait(s.tasks(arn)))?.is_empty(),
        !ok("map runs", wait(s.map_runs(arn, &first)))?
            .items
            .is_empty(),
    ])
}

fn retention_purges_closed_executions(s: &Arc<dyn Store>) -> Outcome {
    use ExecutionStatus as S;
    // Started, stopped: two closed before the cutoff (500), one closed after it, one still
    // running from before it, one started after it.
    let old = finished(execution("kept", "old", 100), S::Succeeded, 200);
    let old_failed = finished(execution("kept", "old-failed", 110), S::Failed, 210);
    let recent = finished(execution("kept", "recent", 150), S::Succeeded, 900);
    let running = execution("kept", "running", 120);
    let later = finished(execution("kept", "later", 1000), S::Aborted, 1100);
    let mut ops = Vec::new();
    for e in [&old, &old_failed, &recent, &running, &later] {
        ops.push(Op::CreateExecution(e.clone()));
        ops.push(Op::AppendHistory {
            execution_arn: e.arn.clone(),
            events: events(1..=3),
        });
        ops.push(Op::AppendJournal {
            execution_arn: e.arn.clone(),
            entries: entries(1..=2),
        });
        ops.push(Op::CreateTask(callback_task(&e.arn, 1, e.start_date)));
        ops.push(Op::CreateMapRun(map_run(
            &e.arn,
            "Map",
            "kept",
            e.start_date,
        )));
        ops.push(Op::PutTimer(Timer {
            execution_arn: e.arn.clone(),
            timer_id: 1,
            fire_at: e.start_date + 10_000,
        }));
    }
    ok("write", wait(s.commit(batch(ops))))?;

    check_eq!(ok("purge", wait(s.purge_closed(500, 100)))?, 2, "purged");
    for e in [&old, &old_failed] {
        check_eq!(traces(s, &e.arn)?, [false; 5], "{} after the purge", e.name);
    }
    for e in [&recent, &running, &later] {
        check_eq!(traces(s, &e.arn)?, [true; 5], "{} after the purge", e.name);
    }
    let timers = ok("timers", wait(s.due_timers(i64::MAX, 100)))?;
    let mut timed: Vec<&str> = timers.iter().map(|t| t.execution_arn.as_str()).collect();
    timed.sort();
    let mut expected = vec![
        recent.arn.as_str(),
        running.arn.as_str(),
        later.arn.as_str(),
    ];
    expected.sort();
    check_eq!(timed, expected, "timers left");
    check_eq!(ok("purge", wait(s.purge_closed(500, 100)))?, 0, "again");

    // A limit is kept; an execution started at the cutoff is not looked at.
    check_eq!(
        ok("purge", wait(s.purge_closed(1000, 1)))?,
        1,
        "one at most"
    );
    check_eq!(traces(s, &recent.arn)?, [false; 5], "recent, purged");
    check_eq!(
        ok("purge", wait(s.purge_closed(1000, 100)))?,
        0,
        "nothing more"
    );
    check_eq!(traces(s, &later.arn)?, [true; 5], "later, kept");
    check_eq!(traces(s, &running.arn)?, [true; 5], "running, kept");
    Ok(())
}

fn execution_create_get_update(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("m", "first", 1_000);
    check_eq!(
        ok("get absent", wait(s.execution(&e.arn)))?,
        None,
        "absent execution"
    );
    ok(
        "create",
        wait(s.commit(batch([Op::CreateExecution(e.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.execution(&e.arn)))?,
        Some(e.clone()),
        "created execution"
    );

    // The same name through a version is the same execution ARN: taken.
    let mut via_version = execution("m", "first", 2_000);
    via_version.version_arn = Some(format!("{}:1", machine_arn("m")));
    via_version.input = r#"{"other":1}"#.into();
    check_eq!(
        wait(s.commit(batch([Op::CreateExecution(via_version)]))),
        Err(Error::already_exists(Record::Execution, e.arn.clone())),
        "second execution with the same name"
    );
    // The same name on another machine is another execution.
    ok(
        "create",
        wait(s.commit(batch([Op::CreateExecution(execution("m2", "first", 1))]))),
    )?;

    let mut done = finished(e.clone(), ExecutionStatus::Succeeded, 5_000);
    done.trace_header = Some("Root=1-abc".into());
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateExecution(done.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.execution(&e.arn)))?,
        Some(done),
        "finished execution"
    );

    let mut redriven = finished(e.clone(), ExecutionStatus::Failed, 6_000);
    redriven.status = ExecutionStatus::Running;
    redriven.redrive_count = 2;
    redriven.redrive_date = Some(7_000);
    redriven.map_run_arn = Some("arn:aws:states:us-east-1:123456789012:mapRun:m/x:1".into());
    redriven.parent_arn = Some(execution_arn("parent", "p"));
    redriven.alias_arn = Some(format!("{}:prod", machine_arn("m")));
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateExecution(redriven.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.execution(&e.arn)))?,
        Some(redriven),
        "redriven execution"
    );

    let ghost = execution("m", "ghost", 1);
    check_eq!(
        wait(s.commit(batch([Op::UpdateExecution(ghost.clone())]))),
        Err(Error::not_found(Record::Execution, ghost.arn)),
        "update of an absent execution"
    );
    Ok(())
}

fn names(items: &[ExecutionSummary]) -> Vec<String> {
    items.iter().map(|e| e.name.clone()).collect()
}

fn executions_newest_first(s: &Arc<dyn Store>) -> Outcome {
    // (name, start, how it ended, redrive date): by start date whatever the end or a redrive;
    // ties by creation, last created first.
    type Plan = (
        &'static str,
        i64,
        Option<(ExecutionStatus, i64)>,
        Option<i64>,
    );
    let plan: Vec<Plan> = vec![
        ("a", 100, None, None),
        ("b", 200, Some((ExecutionStatus::Succeeded, 900)), None),
        ("c", 300, None, None),
        ("d", 300, Some((ExecutionStatus::Failed, 310)), None), // started with c, created after
        ("e", 10, None, Some(1_000)),                           // redriven at 1000
        ("f", 400, Some((ExecutionStatus::Aborted, 450)), None),
        ("g", 500, Some((ExecutionStatus::TimedOut, 600)), None),
    ];
    let mut ops = Vec::new();
    for (name, start, end, redrive) in &plan {
        let mut e = execution("m", name, *start);
        if let Some((status, stop)) = end {
            e = finished(e, *status, *stop);
        }
        if let Some(at) = redrive {
            e.redrive_count = 1;
            e.redrive_date = Some(*at);
        }
        ops.push(Op::CreateExecution(e));
    }
    ops.push(Op::CreateExecution(execution("other", "x", 5_000)));
    // One at a time, so "created later" is unambiguous.
    for op in ops {
        ok("create", wait(s.commit(batch([op]))))?;
    }
    let expected = vec!["g", "f", "d", "c", "b", "a", "e"];
    let filter = ExecutionFilter::of(ExecutionsOf::Machine(machine_arn("m")));
    for size in [1, 2, 3, 7, 100] {
        let all = read_all(size, |p| wait(s.executions(&filter, p)))?;
        check_eq!(names(&all), expected, "order with pages of {size}");
    }
    let all = read_all(100, |p| wait(s.executions(&filter, p)))?;
    let b = ok("get", wait(s.execution(&execution_arn("m", "b"))))?.ok_or("b is missing")?;
    check_eq!(
        all.iter().find(|e| e.name == "b").cloned(),
        Some(ExecutionSummary::from(&b)),
        "summary of b"
    );
    Ok(())
}

fn executions_filtered(s: &Arc<dyn Store>) -> Outcome {
    let m = machine_arn("m");
    let v1 = format!("{m}:1");
    let v2 = format!("{m}:2");
    let prod = format!("{m}:prod");
    let run = "arn:aws:states:us-east-1:123456789012:mapRun:m/Map:1".to_string();
    let mut ops = Vec::new();
    let mut add = |name: &str, start: i64, f: &dyn Fn(&mut crate::Execution)| {
        let mut e = execution("m", name, start);
        f(&mut e);
        ops.push(Op::CreateExecution(e));
    };
    add("plain", 1, &|_| {});
    add("v1", 2, &|e| e.version_arn = Some(v1.clone()));
    add("v2", 3, &|e| e.version_arn = Some(v2.clone()));
    add("prod1", 4, &|e| {
        e.version_arn = Some(v1.clone());
        e.alias_arn = Some(prod.clone());
    });
    add("prod2", 5, &|e| {
        e.version_arn = Some(v2.clone());
        e.alias_arn = Some(prod.clone());
        *e = finished(e.clone(), ExecutionStatus::Failed, 6);
    });
    add("child1", 7, &|e| e.map_run_arn = Some(run.clone()));
    add("child2", 8, &|e| {
        e.map_run_arn = Some(run.clone());
        e.redrive_count = 1;
        e.redrive_date = Some(9);
    });
    add("done", 10, &|e| {
        *e = finished(e.clone(), ExecutionStatus::Succeeded, 11)
    });
    ok("create", wait(s.commit(batch(ops))))?;

    let of = |o: ExecutionsOf, status: Option<ExecutionStatus>, redriven: Option<bool>| {
        ExecutionFilter {
            of: o,
            status,
            redriven,
        }
    };
    let table: Vec<(ExecutionFilter, Vec<&str>)> = vec![
        (
            of(ExecutionsOf::Machine(m.clone()), None, None),
            vec![
                "done", "child2", "child1", "prod2", "prod1", "v2", "v1", "plain",
            ],
        ),
        (
            of(ExecutionsOf::Version(v1.clone()), None, None),
            vec!["prod1", "v1"],
        ),
        (
            of(ExecutionsOf::Version(v2.clone()), None, None),
            vec!["prod2", "v2"],
        ),
        (
            of(ExecutionsOf::Alias(prod.clone()), None, None),
            vec!["prod2", "prod1"],
        ),
        (
            of(ExecutionsOf::MapRun(run.clone()), None, None),
            vec!["child2", "child1"],
        ),
        (
            of(
                ExecutionsOf::Machine(m.clone()),
                Some(ExecutionStatus::Running),
                None,
            ),
            vec!["child2", "child1", "prod1", "v2", "v1", "plain"],
        ),
        (
            of(
                ExecutionsOf::Machine(m.clone()),
                Some(ExecutionStatus::Failed),
                None,
            ),
            vec!["prod2"],
        ),
        (
            of(
                ExecutionsOf::Machine(m.clone()),
                Some(ExecutionStatus::Aborted),
                None,
            ),
            vec![],
        ),
        (
            of(
                ExecutionsOf::Alias(prod.clone()),
                Some(ExecutionStatus::Running),
                None,
            ),
            vec!["prod1"],
        ),
        (
            of(ExecutionsOf::Machine(m.clone()), None, Some(true)),
            vec!["child2"],
        ),
        (
            of(ExecutionsOf::Machine(m.clone()), None, Some(false)),
            vec!["done", "child1", "prod2", "prod1", "v2", "v1", "plain"],
        ),
        (
            of(
                ExecutionsOf::Machine(m.clone()),
                Some(ExecutionStatus::Running),
                Some(false),
            ),
            vec!["child1", "prod1", "v2", "v1", "plain"],
        ),
        (
            of(ExecutionsOf::Machine(machine_arn("none")), None, None),
            vec![],
        ),
    ];
    for (filter, expected) in table {
        for size in [1, 2, 50] {
            let all = read_all(size, |p| wait(s.executions(&filter, p)))?;
            check_eq!(names(&all), expected, "{filter:?} with pages of {size}");
        }
    }
    Ok(())
}

fn executions_paging_is_stable(s: &Arc<dyn Store>) -> Outcome {
    let filter = ExecutionFilter::of(ExecutionsOf::Machine(machine_arn("m")));
    let mut ops = Vec::new();
    for i in 0..6 {
        ops.push(Op::CreateExecution(execution(
            "m",
            &format!("e{i}"),
            100 + i,
        )));
    }
    ok("create", wait(s.commit(batch(ops))))?;
    let first = ok(
        "page 1",
        wait(s.executions(&filter, &PageRequest::first(2))),
    )?;
    check_eq!(names(&first.items), vec!["e5", "e4"], "first page");
    // A newer execution starts (it shows up on no later page) and an older one ends (it keeps
    // its place): nothing after the first page is skipped or repeated.
    ok(
        "changes",
        wait(s.commit(batch([
            Op::CreateExecution(execution("m", "new", 1_000)),
            Op::UpdateExecution(finished(
                execution("m", "e1", 101),
                ExecutionStatus::Succeeded,
                2_000,
            )),
        ]))),
    )?;
    let mut rest = Vec::new();
    let mut token = first.next;
    while let Some(t) = token {
        let page = ok(
            "next page",
            wait(s.executions(&filter, &PageRequest::after(2, t))),
        )?;
        rest.extend(names(&page.items));
        token = page.next;
    }
    check_eq!(rest, vec!["e3", "e2", "e1", "e0"], "later pages");
    Ok(())
}

fn unfinished_executions(s: &Arc<dyn Store>) -> Outcome {
    let mut pending = execution("m", "pending", 30);
    pending.status = ExecutionStatus::PendingRedrive;
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateExecution(execution("m", "late", 50)),
            Op::CreateExecution(finished(
                execution("m", "done", 10),
                ExecutionStatus::Succeeded,
                20,
            )),
            Op::CreateExecution(pending.clone()),
            Op::CreateExecution(execution("n", "early", 5)),
            Op::CreateExecution(finished(
                execution("n", "failed", 1),
                ExecutionStatus::Failed,
                2,
            )),
        ]))),
    )?;
    let got: Vec<String> = ok("unfinished", wait(s.unfinished_executions()))?
        .into_iter()
        .map(|e| e.name)
        .collect();
    check_eq!(
        got,
        vec!["early", "pending", "late"],
        "unfinished executions, oldest first"
    );
    ok(
        "finish",
        wait(s.commit(batch([Op::UpdateExecution(finished(
            execution("m", "late", 50),
            ExecutionStatus::Aborted,
            60,
        ))]))),
    )?;
    let got = ok("unfinished", wait(s.unfinished_executions()))?;
    check_eq!(got.len(), 2, "unfinished after one ended");
    check_eq!(
        got.get(1).cloned(),
        Some(pending),
        "the pending redrive, whole"
    );
    Ok(())
}

/// An execution of `name` started at `start`, placed in `partition`.
fn placed(name: &str, start: i64, partition: u32) -> crate::Execution {
    let mut e = execution("m", name, start);
    e.partition = partition;
    e
}

fn names_of(executions: Vec<crate::Execution>) -> Vec<String> {
    executions.into_iter().map(|e| e.name).collect()
}

fn partitions_kept(s: &Arc<dyn Store>) -> Outcome {
    let a = placed("a", 30, 5);
    let b = placed("b", 10, 7);
    let c = placed("c", 20, 5);
    let d = placed("d", 5, 63);
    let mut redrive = placed("redrive", 40, 7);
    redrive.status = ExecutionStatus::PendingRedrive;
    let done = finished(placed("done", 1, 5), ExecutionStatus::Succeeded, 2);
    ok(
        "create",
        wait(s.commit(batch(
            [&a, &b, &c, &d, &redrive, &done].map(|e| Op::CreateExecution(e.clone())),
        ))),
    )?;
    for e in [&a, &b, &c, &d, &redrive, &done] {
        check_eq!(
            ok("get", wait(s.execution(&e.arn)))?,
            Some(e.clone()),
            "{} as created, in partition {}",
            e.name,
            e.partition
        );
    }
    // An update writes the partition too.
    let mut moved = a.clone();
    moved.partition = 6;
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateExecution(moved.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.execution(&a.arn)))?,
        Some(moved.clone()),
        "after an update to another partition"
    );

    check_eq!(
        ok("unfinished", wait(s.unfinished_executions()))?,
        vec![
            d.clone(),
            b.clone(),
            c.clone(),
            moved.clone(),
            redrive.clone()
        ],
        "every unfinished execution, oldest first, with its partition"
    );
    let of = |partitions: &[u32]| {
        ok(
            "unfinished in",
            wait(s.unfinished_executions_in(partitions)),
        )
    };
    check_eq!(of(&[5])?, vec![c.clone()], "partition 5");
    check_eq!(
        names_of(of(&[6, 5])?),
        vec!["c", "a"],
        "partitions 6 and 5, oldest first"
    );
    check_eq!(
        of(&[7])?,
        vec![b.clone(), redrive.clone()],
        "partition 7, the pending redrive too, whole"
    );
    check_eq!(
        names_of(of(&[63, 7, 6, 5])?),
        vec!["d", "b", "c", "a", "redrive"],
        "every partition holding one"
    );
    check_eq!(
        names_of(of(&[0, 1, 2])?),
        Vec::<String>::new(),
        "partitions holding none"
    );
    check_eq!(names_of(of(&[])?), Vec::<String>::new(), "no partitions");
    ok(
        "finish",
        wait(s.commit(batch([Op::UpdateExecution(finished(
            c.clone(),
            ExecutionStatus::Failed,
            50,
        ))]))),
    )?;
    check_eq!(
        names_of(of(&[5, 6])?),
        vec!["a"],
        "partitions 5 and 6 once c ended"
    );
    Ok(())
}

/// One-step starts from many threads at once (the writes a backend may merge into one
/// statement), each in a partition of its own choosing: each keeps it.
fn concurrent_starts_keep_partitions(s: &Arc<dyn Store>) -> Outcome {
    const PRODUCERS: usize = 8;
    const EACH: usize = 16;
    let start = |p: usize, i: usize| {
        let mut e = execution(
            &format!("p{p}"),
            &format!("e{i}"),
            (i * PRODUCERS + p) as i64,
        );
        e.partition = ((p * 7 + i * 3) % 64) as u32;
        e
    };
    let failures: Vec<String> = super::batches::concurrently(PRODUCERS, EACH, |p, i| {
        let e = start(p, i);
        let b = batch([
            Op::CreateExecution(e.clone()),
            Op::AppendHistory {
                execution_arn: e.arn.clone(),
                events: events(1..=3),
            },
            Op::AppendJournal {
                execution_arn: e.arn.clone(),
                entries: entries(1..=1),
            },
        ]);
        wait(s.commit(b)).err().map(|x| format!("{}: {x}", e.arn))
    })
    .into_iter()
    .flatten()
    .collect();
    check_eq!(failures, Vec::<String>::new(), "failed starts");
    let mut all = Vec::new();
    for p in 0..PRODUCERS {
        for i in 0..EACH {
            let e = start(p, i);
            check_eq!(
                ok("get", wait(s.execution(&e.arn)))?,
                Some(e.clone()),
                "{} as started",
                e.arn
            );
            all.push(e);
        }
    }
    all.sort_by_key(|e| e.start_date);
    for partition in [0, 3, 7, 21, 63] {
        let expected: Vec<_> = all
            .iter()
            .filter(|e| e.partition == partition)
            .cloned()
            .collect();
        check_eq!(
            ok(
                "unfinished in",
                wait(s.unfinished_executions_in(&[partition]))
            )?,
            expected,
            "the unfinished executions of partition {partition}"
        );
    }
    Ok(())
}

fn history_pages(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("m", "h", 1);
    let other = execution("m", "other", 1);
    ok(
        "write",
        wait(s.commit(batch([
            Op::CreateExecution(e.clone()),
            Op::CreateExecution(other.clone()),
            Op::AppendHistory {
                execution_arn: e.arn.clone(),
                events: events(1..=8),
            },
            Op::AppendHistory {
                execution_arn: other.arn.clone(),
                events: events(1..=3),
            },
        ]))),
    )?;
    ok(
        "write",
        wait(s.commit(batch([Op::AppendHistory {
            execution_arn: e.arn.clone(),
            events: events(9..=25),
        }]))),
    )?;

    let all = read_all(100, |p| wait(s.history(&e.arn, false, p)))?;
    check_eq!(all, events(1..=25), "whole history");
    for size in [1, 7, 10, 25] {
        let ids: Vec<u64> = read_all(size, |p| wait(s.history(&e.arn, false, p)))?
            .iter()
            .map(|r| r.id)
            .collect();
        check_eq!(
            ids,
            (1..=25).collect::<Vec<_>>(),
            "forward with pages of {size}"
        );
        let ids: Vec<u64> = read_all(size, |p| wait(s.history(&e.arn, true, p)))?
            .iter()
            .map(|r| r.id)
            .collect();
        check_eq!(
            ids,
            (1..=25).rev().collect::<Vec<_>>(),
            "reverse with pages of {size}"
        );
    }
    let page = ok(
        "page",
        wait(s.history(&e.arn, true, &PageRequest::first(10))),
    )?;
    let ids: Vec<u64> = page.items.iter().map(|r| r.id).collect();
    check_eq!(
        ids,
        (16..=25).rev().collect::<Vec<_>>(),
        "first reverse page"
    );
    // A forward token does not page a reverse listing.
    let fwd = ok(
        "page",
        wait(s.history(&e.arn, false, &PageRequest::first(10))),
    )?;
    let token = fwd.next.ok_or("no token after a full page")?;
    check_eq!(
        wait(s.history(&e.arn, true, &PageRequest::after(10, token))).map(|p| p.items),
        Err(Error::InvalidToken),
        "forward token used in reverse"
    );

    check_eq!(
        wait(s.commit(batch([Op::AppendHistory {
            execution_arn: e.arn.clone(),
            events: events(25..=26)
        }]))),
        Err(Error::already_exists(
            Record::HistoryEvent,
            format!("{} event 25", e.arn)
        )),
        "event 25 again"
    );
    let all = read_all(100, |p| wait(s.history(&e.arn, false, p)))?;
    check_eq!(
        all.len(),
        25,
        "events after the refused append (26 not written)"
    );
    let all = read_all(100, |p| wait(s.history(&other.arn, false, p)))?;
    check_eq!(all, events(1..=3), "the other execution's history");
    let none = read_all(10, |p| {
        wait(s.history(&execution_arn("m", "none"), false, p))
    })?;
    check_eq!(none, vec![], "history of an absent execution");
    Ok(())
}

fn journal_in_order(s: &Arc<dyn Store>) -> Outcome {
    let e = execution("m", "j", 1);
    ok(
        "write",
        wait(s.commit(batch([
            Op::CreateExecution(e.clone()),
            Op::AppendJournal {
                execution_arn: e.arn.clone(),
                entries: entries(1..=1),
            },
        ]))),
    )?;
    let other = execution("m", "other", 1);
    ok(
        "write",
        wait(s.commit(batch([
            Op::AppendJournal {
                execution_arn: e.arn.clone(),
                entries: entries(2..=4),
            },
            Op::CreateExecution(other.clone()),
            Op::AppendJournal {
                execution_arn: other.arn.clone(),
                entries: entries(1..=2),
            },
        ]))),
    )?;
    check_eq!(
        ok("journal", wait(s.journal(&e.arn)))?,
        entries(1..=4),
        "journal"
    );
    check_eq!(
        wait(s.commit(batch([Op::AppendJournal {
            execution_arn: e.arn.clone(),
            entries: entries(4..=5)
        }]))),
        Err(Error::already_exists(
            Record::JournalEntry,
            format!("{} entry 4", e.arn)
        )),
        "entry 4 again"
    );
    check_eq!(
        ok("journal", wait(s.journal(&e.arn)))?,
        entries(1..=4),
        "journal after refusal"
    );
    check_eq!(
        ok("journal", wait(s.journal(&other.arn)))?,
        entries(1..=2),
        "the other journal"
    );
    check_eq!(
        ok("journal", wait(s.journal("nothing")))?,
        vec![],
        "journal of nothing"
    );
    let absent = execution_arn("m", "absent");
    for op in [
        Op::AppendJournal {
            execution_arn: absent.clone(),
            entries: entries(1..=1),
        },
        Op::AppendHistory {
            execution_arn: absent.clone(),
            events: events(1..=1),
        },
    ] {
        check_eq!(
            wait(s.commit(batch([op]))),
            Err(Error::not_found(Record::Execution, absent.clone())),
            "appending to an absent execution"
        );
    }
    Ok(())
}

fn timers_due_in_order(s: &Arc<dyn Store>) -> Outcome {
    let a = execution_arn("m", "a");
    let b = execution_arn("m", "b");
    let t = |arn: &str, id: u64, at: i64| Timer {
        execution_arn: arn.to_string(),
        timer_id: id,
        fire_at: at,
    };
    check_eq!(
        ok("next", wait(s.next_timer_at()))?,
        None,
        "next timer of an empty store"
    );
    ok(
        "put",
        wait(s.commit(batch([
            Op::PutTimer(t(&a, 1, 500)),
            Op::PutTimer(t(&b, 7, 100)),
            Op::PutTimer(t(&a, 2, 100)),
            Op::PutTimer(t(&b, 1, 900)),
            Op::PutTimer(t(&a, 3, -5)),
        ]))),
    )?;
    check_eq!(ok("next", wait(s.next_timer_at()))?, Some(-5), "next timer");
    check_eq!(
        ok("due", wait(s.due_timers(100, 100)))?,
        vec![t(&a, 3, -5), t(&a, 2, 100), t(&b, 7, 100)],
        "due at 100"
    );
    check_eq!(
        ok("due", wait(s.due_timers(100, 2)))?,
        vec![t(&a, 3, -5), t(&a, 2, 100)],
        "due at 100, two"
    );
    check_eq!(
        ok("due", wait(s.due_timers(-6, 100)))?,
        vec![],
        "due before all"
    );
    // Moving a timer, deleting one, deleting an execution's.
    ok(
        "move",
        wait(s.commit(batch([
            Op::PutTimer(t(&a, 3, 1_000)),
            Op::DeleteTimer {
                execution_arn: b.clone(),
                timer_id: 7,
            },
        ]))),
    )?;
    check_eq!(
        ok("next", wait(s.next_timer_at()))?,
        Some(100),
        "next after the move"
    );
    check_eq!(
        ok("due", wait(s.due_timers(1_000, 100)))?,
        vec![t(&a, 2, 100), t(&a, 1, 500), t(&b, 1, 900), t(&a, 3, 1_000)],
        "due at 1000"
    );
    ok(
        "delete all of a",
        wait(s.commit(batch([Op::DeleteTimers {
            execution_arn: a.clone(),
        }]))),
    )?;
    check_eq!(
        ok("due", wait(s.due_timers(i64::MAX, 100)))?,
        vec![t(&b, 1, 900)],
        "after deleting a's timers"
    );
    ok(
        "delete absent",
        wait(s.commit(batch([Op::DeleteTimer {
            execution_arn: a,
            timer_id: 99,
        }]))),
    )?;
    Ok(())
}

fn map_runs_lifecycle(s: &Arc<dyn Store>) -> Outcome {
    let parent = execution_arn("m", "parent");
    let r1 = map_run(&parent, "Map", "m", 100);
    let r2 = map_run(&parent, "Map", "m", 300);
    let r3 = map_run(&parent, "Other", "m", 200);
    let elsewhere = map_run(&execution_arn("m", "x"), "Map", "m", 400);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateMapRun(r1.clone()),
            Op::CreateMapRun(r2.clone()),
            Op::CreateMapRun(r3.clone()),
            Op::CreateMapRun(elsewhere),
        ]))),
    )?;
    check_eq!(
        ok("get", wait(s.map_run(&r1.arn)))?,
        Some(r1.clone()),
        "map run 1"
    );
    check_eq!(
        wait(s.commit(batch([Op::CreateMapRun(r1.clone())]))),
        Err(Error::already_exists(Record::MapRun, r1.arn.clone())),
        "map run 1 again"
    );
    for size in [1, 2, 3] {
        let all = read_all(size, |p| wait(s.map_runs(&parent, p)))?;
        let arns: Vec<&str> = all.iter().map(|r| r.arn.as_str()).collect();
        check_eq!(
            arns,
            vec![r2.arn.as_str(), r3.arn.as_str(), r1.arn.as_str()],
            "pages of {size}"
        );
    }
    let mut done = r1.clone();
    done.status = MapRunStatus::Succeeded;
    done.stop_date = Some(1_000);
    done.item_counts.pending = 0;
    done.item_counts.succeeded = 5;
    done.execution_counts.succeeded = 5;
    done.execution_counts.total = 5;
    done.max_concurrency = 0;
    done.redrive_count = 1;
    done.redrive_date = Some(900);
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateMapRun(done.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.map_run(&r1.arn)))?,
        Some(done),
        "updated map run"
    );
    let ghost = map_run(&parent, "Ghost", "m", 1);
    check_eq!(
        wait(s.commit(batch([Op::UpdateMapRun(ghost.clone())]))),
        Err(Error::not_found(Record::MapRun, ghost.arn)),
        "update of an absent map run"
    );
    check!(
        ok("get", wait(s.map_run("arn:none")))?.is_none(),
        "absent map run"
    );
    Ok(())
}
