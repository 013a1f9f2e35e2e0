//! Node leases and partition epochs (see `baton_store::Membership`), on pooled connections,
//! every time on the database's clock (`now()`), never a node's. The fence a batch carries is
//! checked by the writer: its first statement reads the partition's row `FOR SHARE`, so a
//! takeover (`epoch = epoch + 1`, an `UPDATE` of that row) waits for the batch's transaction
//! to end, and a batch that starts after the takeover sees the new epoch and is refused.

use std::borrow::Cow;

use baton_store::{Error, Fence, PartitionOwner};
use deadpool_postgres::Client;

use crate::apply::{Param, Stmt};
use crate::rows::{backend, get, Result};

pub(crate) fn fence_statement(fence: Fence) -> Stmt {
    let partition = i32::try_from(fence.partition).unwrap_or(-1);
    let epoch = i64::try_from(fence.epoch).unwrap_or(-1);
    let params: Vec<Param> = vec![Box::new(partition)];
    Stmt {
        sql: Cow::Borrowed("SELECT epoch FROM partitions WHERE id = $1 FOR SHARE"),
        params,
        check: Box::new(move |r| {
            let rows = r.map_err(backend)?;
            match rows.first().map(|row| get::<i64>(row, 0)).transpose()? {
                Some(e) if e == epoch => Ok(()),
                _ => Err(Error::Fenced {
                    partition: fence.partition,
                    epoch: fence.epoch,
                }),
            }
        }),
    }
}

async fn run(
    c: &Client,
    sql: &str,
    args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(backend)?;
    c.query(&stmt, args).await.map_err(backend)
}

pub(crate) async fn heartbeat(c: &Client, node: &str, address: &str, ttl_ms: u64) -> Result<()> {
    let ttl = i64::try_from(ttl_ms).unwrap_or(i64::MAX / 1000);
    run(
        c,
        "INSERT INTO nodes (node_id, address, lease_until) \
         VALUES ($1, $2, now() + $3 * interval '1 millisecond') \
         ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, \
         lease_until = excluded.lease_until",
        &[&node, &address, &(ttl as f64)],
    )
    .await?;
    Ok(())
}

pub(crate) async fn acquire(c: &Client, node: &str, partition: u32) -> Result<Option<u64>> {
    let Ok(partition) = i32::try_from(partition) else {
        return Ok(None);
    };
    let rows = run(
        c,
        "UPDATE partitions p SET owner = $2, epoch = p.epoch + 1, owned_at = now() \
         WHERE p.id = $1 AND (p.owner IS NULL OR p.owner = $2 OR NOT EXISTS \
           (SELECT 1 FROM nodes n WHERE n.node_id = p.owner AND n.lease_until > now())) \
         RETURNING p.epoch",
        &[&partition, &node],
    )
    .await?;
    rows.first()
        .map(|r| get::<i64>(r, 0).map(|e| u64::try_from(e).unwrap_or(0)))
        .transpose()
}

pub(crate) async fn take_over(
    c: &Client,
    node: &str,
    partition: u32,
    owner: &str,
) -> Result<Option<u64>> {
    let Ok(partition) = i32::try_from(partition) else {
        return Ok(None);
    };
    let rows = run(
        c,
        "UPDATE partitions SET owner = $2, epoch = epoch + 1, owned_at = now() \
         WHERE id = $1 AND owner = $3 RETURNING epoch",
        &[&partition, &node, &owner],
    )
    .await?;
    rows.first()
        .map(|r| get::<i64>(r, 0).map(|e| u64::try_from(e).unwrap_or(0)))
        .transpose()
}

/// The advisory lock key of a node's presence: a hash of its id, the same in every process
/// (the second key of `pg_advisory_lock(int, int)`, the first being [`PRESENCE_CLASS`]).
pub(crate) fn presence_key(node: &str) -> i32 {
    baton_store::stable_hash(node) as i32
}

/// The class of presence locks (the first key of `pg_advisory_lock(int, int)`).
pub(crate) const PRESENCE_CLASS: i32 = 0x6261;

/// Whether `node`'s presence lock is free (its session is gone). Read from `pg_locks`, not
/// tried: a lock taken and let go again to find out is held for a round trip, and another
/// node asking in that moment found the gone node's lock held and waited its grace over again
/// (a second more for a takeover). Advisory locks are per database, as `pg_locks` is read here.
pub(crate) async fn is_gone(c: &Client, node: &str) -> Result<bool> {
    let key = presence_key(node);
    let rows = run(
        c,
        "SELECT NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND classid = $1::int4::oid AND objid = $2::int4::oid AND objsubid = 2)",
        &[&PRESENCE_CLASS, &key],
    )
    .await?;
    rows.first()
        .map(|r| get(r, 0))
        .transpose()
        .map(|free| free.unwrap_or(false))
}

pub(crate) async fn release(c: &Client, node: &str, partition: u32, epoch: u64) -> Result<bool> {
    let (Ok(partition), Ok(epoch)) = (i32::try_from(partition), i64::try_from(epoch)) else {
        return Ok(false);
    };
    let rows = run(
        c,
        "UPDATE partitions SET owner = NULL WHERE id = $1 AND owner = $2 AND epoch = $3 \
         RETURNING 1",
        &[&partition, &node, &epoch],
    )
    .await?;
    Ok(!rows.is_empty())
}

pub(crate) async fn owners(c: &Client) -> Result<Vec<PartitionOwner>> {
    let rows = run(
        c,
        "SELECT p.id, p.epoch, p.owner, EXISTS (SELECT 1 FROM nodes n \
           WHERE n.node_id = p.owner AND n.lease_until > now()) \
         FROM partitions p ORDER BY p.id",
        &[],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let (id, epoch): (i32, i64) = (get(r, 0)?, get(r, 1)?);
            Ok(PartitionOwner {
                partition: u32::try_from(id)
                    .map_err(|_| Error::Backend(format!("partition {id}")))?,
                epoch: u64::try_from(epoch)
                    .map_err(|_| Error::Backend(format!("epoch {epoch}")))?,
                owner: get(r, 2)?,
                owner_alive: get(r, 3)?,
            })
        })
        .collect()
}

pub(crate) async fn live_nodes(c: &Client) -> Result<Vec<(String, String)>> {
    let rows = run(
        c,
        "SELECT node_id, address FROM nodes WHERE lease_until > now() ORDER BY node_id",
        &[],
    )
    .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}
