//! The writer: one task owning the only writing connection. It takes every batch waiting in its
//! channel and applies them in ONE transaction (group commit), its statements pipelined: the
//! `BEGIN` and every statement of the group go out without waiting for answers, the answers
//! are read together, then `COMMIT`: two round trips per group, whatever its size. A group of
//! one-step starts only is one statement (`columnar`), sent alone in its implicit transaction:
//! one round trip. Only after the commit are the callers answered.
//!
//! Each batch is atomic on its own: a failing batch must take nothing with it, nor anything of
//! the other batches in its group. Failures are rare (a name taken, a task already closed), so
//! the group is first applied straight through; only if a batch fails is the transaction rolled
//! back and the group applied again with each batch inside its own savepoint.
//!
//! A lost connection fails the group it was applying (`Backend`) and is opened again for the
//! next one. A connection lost after `COMMIT` was sent leaves that group's outcome unknown to
//! the writer; its callers get `Backend`, and a read tells whether the batch is there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use baton_store::{Error, WriteBatch};
use futures_util::future::join_all;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use crate::apply::{statements, step_statement, Stmt};
use crate::columnar;
use crate::rows::{backend, Result};

/// A batch to commit and who waits for it.
pub(crate) struct Request {
    pub(crate) batch: WriteBatch,
    pub(crate) reply: oneshot::Sender<Result<()>>,
}

/// The writer a batch goes to: by its fence's partition, else by the partition its subject
/// (the execution it writes, else the resource) hashes to. Batches of one execution thus
/// commit in the order they were sent, and writers do not contend for the same rows: a
/// partition's row is share-locked by one writer's transaction at a time.
pub(crate) fn route(batch: &WriteBatch, writers: usize) -> usize {
    if writers <= 1 {
        return 0;
    }
    let partition = match batch.fence() {
        Some(fence) => fence.partition,
        None => baton_store::partition_of(batch.subject().unwrap_or("")),
    };
    partition as usize % writers
}

/// Counts of the writer's work, for benchmarks and metrics.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) groups: AtomicU64,
    pub(crate) requests: AtomicU64,
    /// Groups applied a second time, with savepoints, because a batch failed.
    pub(crate) retried: AtomicU64,
    /// Steps whose execution row, history and journal went out as one statement (a step's
    /// own, or one shared by a group's one-step starts).
    pub(crate) fused: AtomicU64,
    /// Groups sent as one statement with no transaction block around it.
    pub(crate) one_statement: AtomicU64,
    /// Each group's time to commit (retries included) and size.
    pub(crate) commits: baton_store::histogram::CommitStats,
}

/// Opens the writer's connection (a future, so that a lost one can be opened again).
pub(crate) type Connect =
    Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Result<Client>> + Send + Sync>;

/// The writer's connection and its prepared statements.
struct Conn {
    client: Client,
    prepared: HashMap<String, Statement>,
}

impl Conn {
    async fn prepare(
        &mut self,
        sql: &str,
    ) -> std::result::Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).await?;
        // Statements are the fixed texts of `apply`; the bound keeps a surprise from growing it.
        if self.prepared.len() < 256 {
            self.prepared.insert(sql.to_string(), s.clone());
        }
        Ok(s)
    }
}

/// Runs until every sender is gone.
pub(crate) async fn run(
    connect: Connect,
    mut requests: mpsc::Receiver<Request>,
    max_group: usize,
    counters: Arc<Counters>,
) {
    let mut conn: Option<Conn> = None;
    while let Some(first) = requests.recv().await {
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
        if conn.as_ref().is_none_or(|c| c.client.is_closed()) {
            conn = match connect().await {
                Ok(client) => Some(Conn {
                    client,
                    prepared: HashMap::new(),
                }),
                Err(e) => {
                    for r in group {
                        let _ = r.reply.send(Err(e.clone()));
                    }
                    // Do not spin against a server that is down.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
        }
        let Some(c) = conn.as_mut() else { continue };
        let began = std::time::Instant::now();
        let mut outcomes = commit_group(c, &group, &counters).await;
        // A deadlock or serialisation failure (with a writer of another node, or a control-
        // plane batch on another writer) rolled the group back: run it again.
        for _ in 0..3 {
            if !outcomes.iter().any(transient) {
                break;
            }
            outcomes = commit_group(c, &group, &counters).await;
        }
        counters.commits.observe(began, group.len());
        for (request, outcome) in group.into_iter().zip(outcomes) {
            // A caller that stopped waiting is no error: its batch's fate is readable.
            let _ = request.reply.send(outcome);
        }
    }
}

/// A failure that running the same transaction again can clear: a deadlock (40P01) or a
/// serialisation failure (40001), which PostgreSQL resolves by aborting one transaction.
fn transient(outcome: &Result<()>) -> bool {
    matches!(outcome, Err(e) if transient_error(e))
}

fn transient_error(e: &Error) -> bool {
    matches!(e, Error::Backend(m) if m.ends_with("(40P01)") || m.ends_with("(40001)"))
}

/// The epoch a batch's journal entries are kept with: its fence's (0 unfenced). A checker can
/// then tell that no entry of an execution was written at an epoch older than one before it.
pub(crate) fn journal_epoch(batch: &WriteBatch) -> i64 {
    batch
        .fence()
        .map_or(0, |f| i64::try_from(f.epoch).unwrap_or(i64::MAX))
}

/// The statements of one batch, or why it cannot be written.
fn batch_statements(batch: &WriteBatch, counters: &Counters) -> Result<Vec<Stmt>> {
    let mut out = Vec::with_capacity(batch.len() + 2);
    if let Some(fence) = batch.fence() {
        out.push(crate::membership::fence_statement(fence));
    }
    let epoch = journal_epoch(batch);
    let ops = batch.ops();
    let mut i = 0;
    while i < ops.len() {
        if let Some((stmt, used)) = step_statement(&ops[i..], epoch)? {
            counters.fused.fetch_add(1, Ordering::Relaxed);
            out.push(stmt);
            i += used;
        } else {
            statements(&ops[i], epoch, &mut out)?;
            i += 1;
        }
    }
    Ok(out)
}

/// Sends the statements pipelined (after `prefix`, a `BEGIN` or `SAVEPOINT`, when given) and
/// reads each answer through its check: one outcome per statement. An error of the prefix
/// fails them all.
async fn run_statements(
    conn: &mut Conn,
    prefix: Option<&str>,
    stmts: Vec<Stmt>,
) -> Vec<Result<()>> {
    let mut prepared = Vec::with_capacity(stmts.len());
    for s in &stmts {
        match conn.prepare(&s.sql).await {
            Ok(p) => prepared.push(p),
            Err(e) => {
                let e = backend(e);
                return stmts.iter().map(|_| Err(e.clone())).collect();
            }
        }
    }
    let client = &conn.client;
    let params: Vec<Vec<&(dyn ToSql + Sync)>> = stmts
        .iter()
        .map(|s| {
            s.params
                .iter()
                .map(|b| b.as_ref() as &(dyn ToSql + Sync))
                .collect()
        })
        .collect();
    // Futures send their request when first polled, in the order `join` polls them.
    let (began, answers) = futures_util::join!(
        async {
            match prefix {
                Some(sql) => client.batch_execute(sql).await,
                None => Ok(()),
            }
        },
        join_all(
            prepared
                .iter()
                .zip(&params)
                .map(|(p, params)| client.query(p, params))
        )
    );
    if let Err(e) = began {
        let e = backend(e);
        return stmts.iter().map(|_| Err(e.clone())).collect();
    }
    stmts
        .into_iter()
        .zip(answers)
        .map(|(s, answer)| (s.check)(answer))
        .collect()
}

/// Applies the group in one transaction; each request's outcome, in order.
async fn commit_group(conn: &mut Conn, group: &[Request], counters: &Counters) -> Vec<Result<()>> {
    // Each statement's batch (`None`: one shared by several), and what could not be written.
    let mut all: Vec<Stmt> = Vec::new();
    let mut owners: Vec<Option<usize>> = Vec::new();
    let mut unwritable: Vec<Option<Error>> = vec![None; group.len()];
    let mut shared = vec![false; group.len()];
    let batches: Vec<&WriteBatch> = group.iter().map(|r| &r.batch).collect();
    let starts = columnar::shareable(&batches);
    if !starts.is_empty() {
        let chosen: Vec<&WriteBatch> = starts.iter().map(|&i| batches[i]).collect();
        if let Ok(stmt) = columnar::statement(&chosen) {
            counters
                .fused
                .fetch_add(chosen.len() as u64, Ordering::Relaxed);
            if starts.len() == group.len() {
                // The whole group is one statement, in its own implicit transaction: no
                // `BEGIN`, fence statement or `COMMIT` (a round trip of its own) around it.
                return alone(conn, group, stmt, counters).await;
            }
            owners.push(None);
            all.push(stmt);
            for i in starts {
                shared[i] = true;
            }
        }
    }
    for (i, r) in group.iter().enumerate() {
        if shared[i] {
            continue;
        }
        match batch_statements(&r.batch, counters) {
            Ok(s) => {
                owners.extend(s.iter().map(|_| Some(i)));
                all.extend(s);
            }
            Err(e) => unwritable[i] = Some(e),
        }
    }
    let straight = if unwritable.iter().any(Option::is_some) {
        None
    } else {
        let results = run_statements(conn, Some("BEGIN"), all).await;
        let mut outcomes: Vec<Result<()>> = group.iter().map(|_| Ok(())).collect();
        for (result, owner) in results.into_iter().zip(&owners) {
            if let Err(e) = result {
                match owner {
                    Some(i) if outcomes[*i].is_ok() => outcomes[*i] = Err(e),
                    Some(_) => {}
                    // A shared statement failed: every batch in it is in doubt.
                    None => {
                        for (i, s) in shared.iter().enumerate() {
                            if *s && outcomes[i].is_ok() {
                                outcomes[i] = Err(e.clone());
                            }
                        }
                    }
                }
            }
        }
        if outcomes.iter().all(Result::is_ok) {
            return match conn.client.batch_execute("COMMIT").await {
                Ok(()) => outcomes,
                Err(e) => {
                    let e = backend(e);
                    group.iter().map(|_| Err(e.clone())).collect()
                }
            };
        }
        if let Err(e) = conn.client.batch_execute("ROLLBACK").await {
            let e = backend(e);
            return group.iter().map(|_| Err(e.clone())).collect();
        }
        Some(outcomes)
    };
    if group.len() == 1 {
        // The one batch failed and the rollback undid it: that is its answer.
        return match (straight, unwritable.pop().flatten()) {
            (_, Some(e)) => vec![Err(e)],
            (Some(outcomes), None) => outcomes,
            (None, None) => vec![Err(Error::backend("no answer for this batch"))],
        };
    }
    counters.retried.fetch_add(1, Ordering::Relaxed);
    in_savepoints(conn, group, unwritable, counters).await
}

/// A group that is one statement, sent with no `BEGIN`: the server commits it (its WAL flushed)
/// before it answers, or writes nothing. A failure other than a transient one sends the group
/// to the per-batch path, which says which batch failed and why.
async fn alone(
    conn: &mut Conn,
    group: &[Request],
    stmt: Stmt,
    counters: &Counters,
) -> Vec<Result<()>> {
    let outcome = run_statements(conn, None, vec![stmt])
        .await
        .pop()
        .unwrap_or_else(|| Err(Error::backend("no answer for this group")));
    counters.one_statement.fetch_add(1, Ordering::Relaxed);
    match outcome {
        Ok(()) => group.iter().map(|_| Ok(())).collect(),
        Err(e) if transient_error(&e) || conn.client.is_closed() => {
            group.iter().map(|_| Err(e.clone())).collect()
        }
        Err(_) => {
            counters.retried.fetch_add(1, Ordering::Relaxed);
            in_savepoints(conn, group, vec![None; group.len()], counters).await
        }
    }
}

/// The group again, each batch in its own savepoint: kept if it succeeds, undone if it fails,
/// the others untouched either way.
async fn in_savepoints(
    conn: &mut Conn,
    group: &[Request],
    unwritable: Vec<Option<Error>>,
    counters: &Counters,
) -> Vec<Result<()>> {
    let fail_all = |e: Error| group.iter().map(|_| Err(e.clone())).collect::<Vec<_>>();
    if let Err(e) = conn.client.batch_execute("BEGIN").await {
        return fail_all(backend(e));
    }
    let mut outcomes = Vec::with_capacity(group.len());
    for (r, unwritable) in group.iter().zip(unwritable) {
        if let Some(e) = unwritable {
            outcomes.push(Err(e));
            continue;
        }
        let stmts = match batch_statements(&r.batch, counters) {
            Ok(s) => s,
            Err(e) => {
                outcomes.push(Err(e));
                continue;
            }
        };
        let outcome = run_statements(conn, Some("SAVEPOINT batch"), stmts)
            .await
            .into_iter()
            .find_map(Result::err)
            .map_or(Ok(()), Err);
        let settle = if outcome.is_err() {
            "ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch"
        } else {
            "RELEASE SAVEPOINT batch"
        };
        if let Err(e) = conn.client.batch_execute(settle).await {
            let _ = conn.client.batch_execute("ROLLBACK").await;
            return fail_all(backend(e));
        }
        outcomes.push(outcome);
    }
    match conn.client.batch_execute("COMMIT").await {
        Ok(()) => outcomes,
        Err(e) => fail_all(backend(e)),
    }
}
