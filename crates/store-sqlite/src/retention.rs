//! Retention: closed executions that stopped before a cutoff deleted with everything that hangs
//! off them, oldest first, a few at a time.
//!
//! Executions are read in `seq` order (the rowid: the order they were created in, so roughly
//! the order they started) a page at a time, and the scan stops at the first one that started
//! at or after the cutoff: nothing after it can have stopped before the cutoff, bar the few
//! created out of start order, which a later pass takes. No index on `stop_date` is needed,
//! so no write pays for one. Each group of deletions is its own short `IMMEDIATE` transaction
//! on the control connection: the writer waits at most that long.

use baton_store::{Error, Millis};
use rusqlite::{params, Connection, TransactionBehavior};

use crate::rows::{backend, CHILD_BITS};

type Result<T> = std::result::Result<T, Error>;

/// Executions read per page of the scan.
const PAGE: i64 = 1000;
/// Executions deleted per transaction.
const GROUP: usize = 100;

/// The statuses an execution is closed in (a FAILED one may still be redriven until it is
/// deleted, as on AWS, whose redrive window is within its retention).
const CLOSED: &str = "('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED')";

/// Deletes at most `limit` closed executions that stopped before `stopped_before`, with their
/// history, journal, tasks, timers and map runs; answers how many it deleted.
pub(crate) fn purge(conn: &Connection, stopped_before: Millis, limit: usize) -> Result<usize> {
    let mut deleted = 0;
    let mut cursor = i64::MIN;
    'scan: while deleted < limit {
        let mut due: Vec<(i64, String)> = Vec::new();
        let mut last = None;
        let mut reached_the_cutoff = false;
        {
            let mut page = conn
                .prepare_cached(&format!(
                    "SELECT seq, arn, start_date, stop_date, status IN {CLOSED} FROM executions \
                     WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(backend)?;
            let rows = page
                .query_map(params![cursor, PAGE], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Millis>(2)?,
                        row.get::<_, Option<Millis>>(3)?,
                        row.get::<_, bool>(4)?,
                    ))
                })
                .map_err(backend)?;
            for row in rows {
                let (seq, arn, start, stop, closed) = row.map_err(backend)?;
                last = Some(seq);
                if start >= stopped_before {
                    reached_the_cutoff = true;
                    break;
                }
                if closed && stop.is_some_and(|s| s < stopped_before) {
                    due.push((seq, arn));
                }
            }
        }
        for group in due.chunks(GROUP) {
            let room = limit - deleted;
            let group = &group[..group.len().min(room)];
            deleted += delete(conn, group, stopped_before)?;
            if deleted >= limit {
                break 'scan;
            }
        }
        match last {
            Some(seq) if !reached_the_cutoff => cursor = seq,
            _ => break,
        }
    }
    Ok(deleted)
}

/// Deletes these executions, if they are still closed and stopped before the cutoff (a redrive
/// may have reopened one since the scan), and what hangs off them, in one transaction.
fn delete(conn: &Connection, group: &[(i64, String)], stopped_before: Millis) -> Result<usize> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(backend)?;
    let mut deleted = 0;
    for (seq, arn) in group {
        let gone = tx
            .prepare_cached(&format!(
                "DELETE FROM executions WHERE seq = ?1 AND status IN {CLOSED} AND stop_date < ?2"
            ))
            .and_then(|mut s| s.execute(params![seq, stopped_before]))
            .map_err(backend)?;
        if gone == 0 {
            continue;
        }
        deleted += 1;
        let first = seq << CHILD_BITS;
        let end = (seq + 1) << CHILD_BITS;
        for sql in [
            "DELETE FROM history WHERE key >= ?1 AND key < ?2",
            "DELETE FROM journal WHERE key >= ?1 AND key < ?2",
        ] {
            tx.prepare_cached(sql)
                .and_then(|mut s| s.execute(params![first, end]))
                .map_err(backend)?;
        }
        for sql in [
            "DELETE FROM tasks WHERE execution_arn = ?1",
            "DELETE FROM timers WHERE execution_arn = ?1",
            "DELETE FROM map_runs WHERE execution_arn = ?1",
            "DELETE FROM inbox WHERE execution_arn = ?1",
        ] {
            tx.prepare_cached(sql)
                .and_then(|mut s| s.execute(params![arn]))
                .map_err(backend)?;
        }
    }
    tx.commit().map_err(backend)?;
    Ok(deleted)
}
