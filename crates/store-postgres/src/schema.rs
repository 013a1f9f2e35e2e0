//! The schema: numbered plain `.sql` migrations in `migrations/`, applied in order at open,
//! each in its own transaction together with the row of `baton_schema` that records how far
//! the database has come. Nodes starting together take turns: the migrations run under a
//! session advisory lock, so each is applied once.

use baton_store::Error;
use tokio_postgres::Client;

use crate::rows::{backend, Result};

/// Every migration, by number. A new one is a new file here and a new line below.
pub(crate) const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_inline_storage.sql")),
    (3, include_str!("../migrations/0003_partitions.sql")),
    (4, include_str!("../migrations/0004_inbox.sql")),
    (5, include_str!("../migrations/0005_service_resources.sql")),
];

/// The advisory lock key that serialises migrations ("baton" in ASCII).
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

/// The schema version this build writes.
pub(crate) fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the database up to [`latest`]; refuses one written by a newer build.
pub(crate) async fn migrate(client: &mut Client) -> Result<u32> {
    client
        .query("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(backend)?;
    let result = migrate_locked(client).await;
    let unlocked = client
        .query("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(backend);
    let version = result?;
    unlocked?;
    Ok(version)
}

async fn migrate_locked(client: &mut Client) -> Result<u32> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS baton_schema (version int NOT NULL); \
             INSERT INTO baton_schema (version) SELECT 0 \
             WHERE NOT EXISTS (SELECT 1 FROM baton_schema)",
        )
        .await
        .map_err(backend)?;
    let current: i32 = client
        .query_one("SELECT max(version) FROM baton_schema", &[])
        .await
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    let current = u32::try_from(current).unwrap_or(0);
    if current > latest() {
        return Err(Error::Backend(format!(
            "the database has schema version {current}, newer than this build's {}",
            latest()
        )));
    }
    for (number, sql) in MIGRATIONS {
        if *number <= current {
            continue;
        }
        let tx = client.transaction().await.map_err(backend)?;
        tx.batch_execute(sql)
            .await
            .map_err(|e| Error::Backend(format!("migration {number}: {}", backend(e))))?;
        tx.execute(
            "UPDATE baton_schema SET version = $1",
            &[&i32::try_from(*number).unwrap_or(i32::MAX)],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
    }
    Ok(latest())
}

#[cfg(test)]
mod tests {
    /// Every file in `migrations/` is listed, numbered from 1 without gaps, and vice versa.
    #[test]
    fn migrations_on_disk_are_the_ones_applied() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        baton_store::testing::assert_migrations_listed(&dir, super::MIGRATIONS);
    }
}
