//! The writer: one thread owning the only writing connection. It takes every request waiting in
//! its channel and applies them in ONE transaction, committed once (group commit: one WAL append
//! and, with `synchronous=FULL`, one fsync for the whole group). Only after the commit are the
//! callers answered — by a replier thread, so the writer goes on to the next group meanwhile.
//!
//! Each batch is atomic on its own: a failing batch must take nothing with it, nor anything of
//! the other batches in its group. Failures are rare (a name taken, a task already closed), so
//! the group is first applied straight through; only if a request fails is the transaction
//! rolled back and the group applied again with each request inside its own savepoint.

use std::sync::atomic::{AtomicU64, Ordering};

use baton_store::{Error, Millis, Task, WriteBatch};
use crossbeam_channel::Sender;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::apply::{apply, claim};
use crate::checkpoint::Nudge;
use crate::rows::backend;

/// What callers ask the writer for.
pub(crate) enum Request {
    Commit {
        batch: WriteBatch,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Claim {
        activity_arn: String,
        worker_name: Option<String>,
        now: Millis,
        reply: oneshot::Sender<Result<Option<Task>, Error>>,
    },
}

/// What applying one request produced, before its group committed.
enum Outcome {
    Committed(Result<(), Error>),
    Claimed(Result<Option<Task>, Error>),
}

impl Outcome {
    fn failed(&self) -> bool {
        match self {
            Outcome::Committed(r) => r.is_err(),
            Outcome::Claimed(r) => r.is_err(),
        }
    }
}

/// One group's answers, sent once its transaction has ended: each request's outcome, or the
/// failure that kept the whole group from committing.
pub(crate) struct Answers {
    requests: Vec<Request>,
    outcomes: Vec<Outcome>,
    failure: Option<Error>,
}

impl Answers {
    /// Answers every caller. One that stopped waiting is no error: its batch's fate is
    /// readable from the store.
    pub(crate) fn send(self) {
        let failure = self.failure;
        let mut outcomes = self.outcomes.into_iter();
        for request in self.requests {
            let outcome = outcomes.next();
            // Outcomes are made from their own requests, in order: a mismatch cannot happen.
            let mismatch = || Error::Backend("no answer for this request".into());
            match request {
                Request::Commit { reply, .. } => {
                    let result = match (&failure, outcome) {
                        (Some(f), _) => Err(f.clone()),
                        (None, Some(Outcome::Committed(r))) => r,
                        (None, _) => Err(mismatch()),
                    };
                    let _ = reply.send(result);
                }
                Request::Claim { reply, .. } => {
                    let result = match (&failure, outcome) {
                        (Some(f), _) => Err(f.clone()),
                        (None, Some(Outcome::Claimed(r))) => r,
                        (None, _) => Err(mismatch()),
                    };
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Counts of the writer's work, for benchmarks and metrics.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) groups: AtomicU64,
    pub(crate) requests: AtomicU64,
    /// Groups applied a second time, with savepoints, because a request failed.
    pub(crate) retried: AtomicU64,
    /// Each group's time to commit and size.
    pub(crate) commits: baton_store::histogram::CommitStats,
}

/// Runs until every sender is gone, then returns (closing the connection).
pub(crate) fn run(
    conn: Connection,
    mut requests: mpsc::Receiver<Request>,
    max_group: usize,
    counters: &Counters,
    mut checkpoints: Nudge,
    replies: Sender<Answers>,
) {
    while let Some(first) = requests.blocking_recv() {
        let mut group = Vec::with_capacity(max_group.min(64));
        group.push(first);
        while group.len() < max_group {
            match requests.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        counters.groups.fetch_add(1, Ordering::Relaxed);
        counters
            .requests
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        let size = group.len();
        let began = std::time::Instant::now();
        let answers = commit_group(&conn, group, counters);
        counters.commits.observe(began, size);
        if let Err(unsent) = replies.send(answers) {
            // No replier (it cannot have stopped before the writer; answer here anyway).
            unsent.into_inner().send();
        }
        checkpoints.committed(&conn, size);
    }
}

/// Answers each group, in order, as the writer hands them over.
pub(crate) fn reply(answers: crossbeam_channel::Receiver<Answers>) {
    for group in answers {
        group.send();
    }
}

fn run_request(conn: &Connection, request: &Request) -> Outcome {
    match request {
        Request::Commit { batch, .. } => {
            let mut last = None;
            let fenced = batch
                .fence()
                .map_or(Ok(()), |f| crate::membership::check_fence(conn, f));
            Outcome::Committed(fenced.and_then(|()| {
                batch
                    .ops()
                    .iter()
                    .try_for_each(|op| apply(conn, op, &mut last))
            }))
        }
        Request::Claim {
            activity_arn,
            worker_name,
            now,
            ..
        } => Outcome::Claimed(claim(conn, activity_arn, worker_name.as_deref(), *now)),
    }
}

fn commit_group(conn: &Connection, requests: Vec<Request>, counters: &Counters) -> Answers {
    let mut answers = Answers {
        outcomes: Vec::with_capacity(requests.len()),
        requests,
        failure: None,
    };
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        answers.failure = Some(backend(e));
        return answers;
    }
    // Straight through; stop at the first failure.
    for request in &answers.requests {
        let outcome = run_request(conn, request);
        let failed = outcome.failed();
        answers.outcomes.push(outcome);
        if failed {
            break;
        }
    }
    let straight = answers.outcomes.len() == answers.requests.len()
        && !answers.outcomes.iter().any(Outcome::failed);
    if !straight {
        let _ = conn.execute_batch("ROLLBACK");
        if answers.requests.len() == 1 {
            // The one request failed and the rollback undid it: that is its answer.
            return answers;
        }
        counters.retried.fetch_add(1, Ordering::Relaxed);
        answers.outcomes.clear();
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            answers.failure = Some(backend(e));
        }
        for request in &answers.requests {
            let outcome = in_savepoint(conn, &mut answers.failure, |c| run_request(c, request));
            answers.outcomes.push(outcome);
        }
    }
    if answers.failure.is_none() {
        if let Err(e) = conn.execute_batch("COMMIT") {
            answers.failure = Some(backend(e));
        }
    }
    if answers.failure.is_some() && !conn.is_autocommit() {
        // Leave no transaction open for the next group.
        let _ = conn.execute_batch("ROLLBACK");
    }
    answers
}

/// Runs `f` inside a savepoint: kept if it succeeds, undone if it fails, and the rest of the
/// group's transaction untouched either way. Does nothing once the group is `broken` (its
/// transaction did not begin, or a savepoint could not be released or rolled back): then
/// nothing of the group is committed.
fn in_savepoint(
    conn: &Connection,
    broken: &mut Option<Error>,
    f: impl FnOnce(&Connection) -> Outcome,
) -> Outcome {
    let placeholder = || Outcome::Committed(Ok(()));
    if broken.is_some() {
        return placeholder();
    }
    let step = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(backend)
    };
    if let Err(e) = step("SAVEPOINT batch") {
        *broken = Some(e);
        return placeholder();
    }
    let outcome = f(conn);
    let settled = if outcome.failed() {
        step("ROLLBACK TO batch").and_then(|_| step("RELEASE batch"))
    } else {
        step("RELEASE batch")
    };
    if let Err(e) = settled {
        *broken = Some(e);
    }
    outcome
}
