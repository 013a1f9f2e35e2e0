//! The schema: numbered plain `.sql` migrations in `migrations/`, applied in order at open, each
//! in its own transaction together with `PRAGMA user_version`, which records how far the
//! database has come.

use baton_store::Error;
use rusqlite::Connection;

use crate::rows::backend;

/// Every migration, by number. A new one is a new file here and a new line below.
pub(crate) const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_list_by_start_date.sql")),
    (3, include_str!("../migrations/0003_partitions.sql")),
    (4, include_str!("../migrations/0004_inbox.sql")),
    (5, include_str!("../migrations/0005_service_resources.sql")),
];

/// The schema version this build writes.
pub(crate) fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the database up to [`latest`]; refuses one written by a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, Error> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(backend)?;
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
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql)
            .map_err(|e| Error::Backend(format!("migration {number}: {e}")))?;
        tx.pragma_update(None, "user_version", number)
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
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
