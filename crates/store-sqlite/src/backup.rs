//! A consistent copy of a store, taken while a server may be writing to it.
//!
//! The copy is SQLite's `VACUUM INTO` on a read-only connection of its own: one read
//! transaction, so the copy is the database as of one commit (every batch committed before it
//! began, none half), and in WAL mode the server's writer is never blocked by it (it only
//! keeps the checkpointer from recycling the WAL past that snapshot until the copy is done).
//! SQLite's online backup API was the other way; it starts over whenever another connection
//! writes, which a busy server does all the time. The data folder's lock is not taken: it
//! keeps a second *server* out, and a reader needs no such exclusion.
//!
//! The copy is written to a temporary file beside the destination and checked
//! (`PRAGMA quick_check`, the schema version) before it is renamed into place, so a failed or
//! interrupted backup leaves no file that looks like a backup. The destination is a new data
//! folder: `baton serve --data-dir OUT` opens it as it is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_store::{Error, Result};
use rusqlite::{Connection, OpenFlags};

use crate::rows::backend;
use crate::DATABASE_FILE;

/// What a backup copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The copy's database file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version (`PRAGMA user_version`).
    pub schema_version: u32,
    /// Executions in the copy.
    pub executions: u64,
}

/// Copies the store in the data folder `dir` into the new data folder `out` (created; it must
/// not exist, or be empty).
pub fn backup(dir: &Path, out: &Path) -> Result<Backup> {
    let source = dir.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(Error::Backend(format!(
            "no Baton store in {} (no {DATABASE_FILE})",
            dir.display()
        )));
    }
    prepare_destination(out)?;
    let path = out.join(DATABASE_FILE);
    let partial = out.join(format!("{DATABASE_FILE}.partial"));
    let _ = std::fs::remove_file(&partial);
    let copied = copy(&source, &partial).and_then(|()| check(&partial));
    match copied {
        Ok((schema_version, executions)) => {
            std::fs::rename(&partial, &path).map_err(|e| {
                Error::Backend(format!("renaming the copy to {}: {e}", path.display()))
            })?;
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            Ok(Backup {
                path,
                bytes,
                schema_version,
                executions,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// `out` as a new, empty folder.
fn prepare_destination(out: &Path) -> Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| {
            Error::Backend(format!(
                "{} is not a folder to write into: {e}",
                out.display()
            ))
        })?;
        if entries.next().is_some() {
            return Err(Error::Backend(format!(
                "{} is not empty: a backup goes into a new folder",
                out.display()
            )));
        }
        return Ok(());
    }
    std::fs::create_dir_all(out)
        .map_err(|e| Error::Backend(format!("creating {}: {e}", out.display())))
}

fn copy(source: &Path, to: &Path) -> Result<()> {
    let context = |e: Error| Error::Backend(format!("copying {}: {e}", source.display()));
    let conn = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| context(backend(e)))?;
    // The server's writer holds the write lock only for a commit; a checkpoint's brief
    // exclusive moments are waited out.
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| context(backend(e)))?;
    let target = to
        .to_str()
        .ok_or_else(|| Error::Backend(format!("{} is not a UTF-8 path", to.display())))?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| context(backend(e)))?;
    Ok(())
}

/// The copy's schema version and execution count, once SQLite finds it sound.
fn check(copy: &Path) -> Result<(u32, u64)> {
    let context = |e: Error| Error::Backend(format!("checking the copy: {e}"));
    let conn = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| context(backend(e)))?;
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| context(backend(e)))?;
    if verdict != "ok" {
        return Err(context(Error::Backend(verdict)));
    }
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| context(backend(e)))?;
    let executions: u64 = conn
        .query_row("SELECT count(*) FROM executions", [], |r| r.get(0))
        .map_err(|e| context(backend(e)))?;
    Ok((version, executions))
}
