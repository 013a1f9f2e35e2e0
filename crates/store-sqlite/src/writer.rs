//! The writer: one thread owning the only writing connection. It takes every request waiting in
//! its channel, applies them in ONE transaction — each inside its own savepoint, so a failing
//! batch is rolled back alone — commits once, and only then answers each caller (group commit:
//! one WAL append and, with `synchronous=FULL`, one fsync for the whole group).

use baton_store::{Error, Millis, Task, WriteBatch};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::apply::{apply, claim};
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

/// A request's result, held until the group's transaction has committed.
enum Answer {
    Commit(oneshot::Sender<Result<(), Error>>, Result<(), Error>),
    Claim(
        oneshot::Sender<Result<Option<Task>, Error>>,
        Result<Option<Task>, Error>,
    ),
}

impl Answer {
    /// Sends the result, or `failure` instead when the group did not commit. A caller that
    /// stopped waiting is no error: its batch's fate is readable from the store.
    fn send(self, failure: Option<&Error>) {
        match self {
            Answer::Commit(reply, result) => {
                let _ = reply.send(failure.map_or(result, |f| Err(f.clone())));
            }
            Answer::Claim(reply, result) => {
                let _ = reply.send(failure.map_or(result, |f| Err(f.clone())));
            }
        }
    }
}

/// Runs until every sender is gone, then returns (closing the connection).
pub(crate) fn run(conn: Connection, mut requests: mpsc::Receiver<Request>, max_group: usize) {
    let mut group = Vec::with_capacity(max_group);
    while let Some(first) = requests.blocking_recv() {
        group.push(first);
        while group.len() < max_group {
            match requests.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        commit_group(&conn, group.drain(..));
    }
}

fn commit_group(conn: &Connection, group: impl Iterator<Item = Request>) {
    // Set when the group's transaction can no longer be trusted (it did not begin, or a
    // savepoint could not be released or rolled back): then nothing of the group is committed.
    let mut broken = conn.execute_batch("BEGIN IMMEDIATE").map_err(backend).err();
    let mut answers = Vec::new();
    for request in group {
        answers.push(match request {
            Request::Commit { batch, reply } => {
                let result = in_savepoint(conn, &mut broken, |c| {
                    batch.ops().iter().try_for_each(|op| apply(c, op))
                });
                Answer::Commit(reply, result)
            }
            Request::Claim {
                activity_arn,
                worker_name,
                now,
                reply,
            } => {
                let result = in_savepoint(conn, &mut broken, |c| {
                    claim(c, &activity_arn, worker_name.as_deref(), now)
                });
                Answer::Claim(reply, result)
            }
        });
    }
    if broken.is_none() {
        if let Err(e) = conn.execute_batch("COMMIT") {
            broken = Some(backend(e));
        }
    }
    if broken.is_some() && !conn.is_autocommit() {
        // Leave no transaction open for the next group.
        let _ = conn.execute_batch("ROLLBACK");
    }
    for answer in answers {
        answer.send(broken.as_ref());
    }
}

/// Runs `f` inside a savepoint: kept if it succeeds, undone if it fails, and the rest of the
/// group's transaction untouched either way. Does nothing once the group is `broken`.
fn in_savepoint<T>(
    conn: &Connection,
    broken: &mut Option<Error>,
    f: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    if let Some(e) = broken {
        return Err(e.clone());
    }
    let step = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(backend)
    };
    let outcome = step("SAVEPOINT batch").map(|_| f(conn));
    let settled = match &outcome {
        Ok(Ok(_)) => step("RELEASE batch"),
        Ok(Err(_)) => step("ROLLBACK TO batch").and_then(|_| step("RELEASE batch")),
        Err(e) => Err(e.clone()),
    };
    if let Err(e) = settled {
        *broken = Some(e.clone());
        return Err(e);
    }
    outcome.unwrap_or_else(Err)
}
