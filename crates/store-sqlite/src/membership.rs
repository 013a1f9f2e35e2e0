//! Node leases and partition epochs in SQLite, with the same rules as a shared store (see
//! `baton_store::Membership`). Leases run on this process's clock, which is the store's.
//! Ownership changes are written on the control connection; the writer checks a batch's fence
//! inside its group's transaction (`BEGIN IMMEDIATE`), so an acquisition, which must take the
//! same write lock, falls entirely before or after it.

use baton_store::{Error, Fence, PartitionOwner};
use rusqlite::{params, Connection, OptionalExtension};

use crate::rows::backend;

type Result<T> = std::result::Result<T, Error>;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Refuses the batch unless its partition is at the fence's epoch.
pub(crate) fn check_fence(conn: &Connection, fence: Fence) -> Result<()> {
    let epoch: Option<i64> = conn
        .prepare_cached("SELECT epoch FROM partitions WHERE id = ?1")
        .and_then(|mut s| s.query_row([fence.partition], |r| r.get(0)).optional())
        .map_err(backend)?;
    match epoch {
        Some(e) if u64::try_from(e).ok() == Some(fence.epoch) => Ok(()),
        _ => Err(Error::Fenced {
            partition: fence.partition,
            epoch: fence.epoch,
        }),
    }
}

pub(crate) fn heartbeat(conn: &Connection, node: &str, address: &str, ttl_ms: u64) -> Result<()> {
    let until = now().saturating_add(i64::try_from(ttl_ms).unwrap_or(i64::MAX));
    conn.prepare_cached(
        "INSERT INTO nodes (node_id, address, lease_until) VALUES (?1, ?2, ?3) \
         ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, \
         lease_until = excluded.lease_until",
    )
    .and_then(|mut s| s.execute(params![node, address, until]))
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn acquire(conn: &Connection, node: &str, partition: u32) -> Result<Option<u64>> {
    let epoch: Option<i64> = conn
        .prepare_cached(
            "UPDATE partitions SET owner = ?2, epoch = epoch + 1 WHERE id = ?1 \
             AND (owner IS NULL OR owner = ?2 OR NOT EXISTS \
               (SELECT 1 FROM nodes n WHERE n.node_id = partitions.owner AND n.lease_until > ?3)) \
             RETURNING epoch",
        )
        .and_then(|mut s| {
            s.query_row(params![partition, node, now()], |r| r.get(0))
                .optional()
        })
        .map_err(backend)?;
    Ok(epoch.and_then(|e| u64::try_from(e).ok()))
}

pub(crate) fn take_over(
    conn: &Connection,
    node: &str,
    partition: u32,
    owner: &str,
) -> Result<Option<u64>> {
    let epoch: Option<i64> = conn
        .prepare_cached(
            "UPDATE partitions SET owner = ?2, epoch = epoch + 1 WHERE id = ?1 AND owner = ?3 \
             RETURNING epoch",
        )
        .and_then(|mut s| {
            s.query_row(params![partition, node, owner], |r| r.get(0))
                .optional()
        })
        .map_err(backend)?;
    Ok(epoch.and_then(|e| u64::try_from(e).ok()))
}

pub(crate) fn release(conn: &Connection, node: &str, partition: u32, epoch: u64) -> Result<bool> {
    let Ok(epoch) = i64::try_from(epoch) else {
        return Ok(false);
    };
    let changed = conn
        .prepare_cached(
            "UPDATE partitions SET owner = NULL WHERE id = ?1 AND owner = ?2 AND epoch = ?3",
        )
        .and_then(|mut s| s.execute(params![partition, node, epoch]))
        .map_err(backend)?;
    Ok(changed > 0)
}

pub(crate) fn owners(conn: &Connection) -> Result<Vec<PartitionOwner>> {
    conn.prepare_cached(
        "SELECT p.id, p.epoch, p.owner, \
           EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = p.owner AND n.lease_until > ?1) \
         FROM partitions p ORDER BY p.id",
    )
    .and_then(|mut s| {
        s.query_map([now()], |r| {
            Ok(PartitionOwner {
                partition: r.get(0)?,
                epoch: r.get(1)?,
                owner: r.get(2)?,
                owner_alive: r.get(3)?,
            })
        })?
        .collect()
    })
    .map_err(backend)
}

pub(crate) fn live_nodes(conn: &Connection) -> Result<Vec<(String, String)>> {
    conn.prepare_cached(
        "SELECT node_id, address FROM nodes WHERE lease_until > ?1 ORDER BY node_id",
    )
    .and_then(|mut s| {
        s.query_map([now()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
    .map_err(backend)
}
