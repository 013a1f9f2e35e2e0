//! Retention, as SQLite's store does it (see its `retention.rs`): executions scanned in id
//! order a page at a time up to the first one that started at or after the cutoff, the closed
//! ones that stopped before it deleted with what hangs off them, a group per transaction. Any
//! node may run it: a deletion re-checks the execution's status and stop date in the same
//! statement, so two nodes purging at once, or a redrive in between, lose nothing.

use baton_store::Millis;
use deadpool_postgres::Client;

use crate::rows::{backend, Result};

/// Executions read per page of the scan.
const PAGE: i64 = 1000;
/// Executions deleted per transaction.
const GROUP: usize = 100;

/// Deletes at most `limit` closed executions that stopped before `stopped_before`, with their
/// history, journal, tasks, timers, map runs and inbox entries; answers how many it deleted.
pub(crate) async fn purge(client: Client, stopped_before: Millis, limit: usize) -> Result<usize> {
    let mut client = client;
    let mut deleted = 0;
    let mut cursor = i64::MIN;
    while deleted < limit {
        let rows = client
            .query(
                "SELECT id, start_date, stop_date, \
                 status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED') \
                 FROM executions WHERE id > $1 ORDER BY id LIMIT $2",
                &[&cursor, &PAGE],
            )
            .await
            .map_err(backend)?;
        let mut due: Vec<i64> = Vec::new();
        let mut reached_the_cutoff = false;
        for row in &rows {
            let (id, start, stop, closed): (i64, i64, Option<i64>, bool) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            cursor = id;
            if start >= stopped_before {
                reached_the_cutoff = true;
                break;
            }
            if closed && stop.is_some_and(|s| s < stopped_before) {
                due.push(id);
            }
        }
        for group in due.chunks(GROUP) {
            let group = &group[..group.len().min(limit - deleted)];
            deleted += delete(&mut client, group, stopped_before).await?;
            if deleted >= limit {
                return Ok(deleted);
            }
        }
        if reached_the_cutoff || (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(deleted)
}

/// Deletes these executions if they are still closed and stopped before the cutoff, and what
/// hangs off them, in one transaction.
async fn delete(client: &mut Client, ids: &[i64], stopped_before: Millis) -> Result<usize> {
    let tx = client.transaction().await.map_err(backend)?;
    let gone = tx
        .query(
            "DELETE FROM executions WHERE id = ANY($1) \
             AND status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED') AND stop_date < $2 \
             RETURNING id, arn",
            &[&ids, &stopped_before],
        )
        .await
        .map_err(backend)?;
    let ids: Vec<i64> = gone.iter().map(|r| r.get(0)).collect();
    let arns: Vec<String> = gone.iter().map(|r| r.get(1)).collect();
    if !ids.is_empty() {
        for sql in [
            "DELETE FROM history_chunks WHERE execution_id = ANY($1)",
            "DELETE FROM journal WHERE execution_id = ANY($1)",
        ] {
            tx.execute(sql, &[&ids]).await.map_err(backend)?;
        }
        for sql in [
            "DELETE FROM tasks WHERE execution_arn = ANY($1)",
            "DELETE FROM timers WHERE execution_arn = ANY($1)",
            "DELETE FROM map_runs WHERE execution_arn = ANY($1)",
            "DELETE FROM inbox WHERE execution_arn = ANY($1)",
        ] {
            tx.execute(sql, &[&arns]).await.map_err(backend)?;
        }
    }
    tx.commit().await.map_err(backend)?;
    Ok(ids.len())
}
