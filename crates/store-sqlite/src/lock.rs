//! The data folder's lock: one process at a time opens a store.
//!
//! SQLite itself lets two processes share the database, and each would then resume the same
//! unfinished executions and run every task twice. So the store takes an exclusive advisory
//! lock (`flock(2)` on Unix, `LockFileEx` on Windows, through `std::fs::File::try_lock`) on
//! `baton.lock` in the data folder before it opens the database, and holds it for its life.
//! The kernel releases the lock when the process ends however it ends (`kill -9` included), so
//! a lock never outlives its holder and needs no clean-up. The file's content is only a
//! label: the holder writes its process id, start time and command line there after taking
//! the lock, and a process refused the lock reads it back for its message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use baton_store::Error;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "baton.lock";

/// Holds the lock for as long as it lives (closing the file releases it).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, or says who holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, Error> {
        let path = dir.join(LOCK_FILE);
        let failed = |what: &str, e: std::io::Error| {
            Error::Backend(format!("{what} {}: {e}", path.display()))
        };
        // Not truncated on open: until the lock is ours, the content is the holder's label.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| failed("opening", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut label = String::new();
                let _ = file.read_to_string(&mut label);
                let holder = describe(&label);
                return Err(Error::InUse {
                    path: dir.display().to_string(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(failed("locking", e)),
        }
        let label = label();
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(label.as_bytes()))
            .and_then(|()| file.flush());
        written.map_err(|e| failed("writing", e))?;
        Ok(DirLock { _file: file })
    }
}

/// What this process writes into the lock file: `key=value` lines.
fn label() -> String {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let command: Vec<String> = std::env::args().collect();
    // One line per key: a newline inside an argument would start a false key.
    let command = command.join(" ").replace(['\n', '\r'], " ");
    format!(
        "pid={}\nstarted={}\ncommand={command}\n",
        std::process::id(),
        utc_timestamp(started)
    )
}

/// The holder as a person reads it: `process 1234, started 2026-01-01T00:00:00Z: baton serve …`.
fn describe(label: &str) -> String {
    let field = |key: &str| {
        label.lines().find_map(|line| {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        })
    };
    match field("pid") {
        None => "a process that has not written its id yet".to_string(),
        Some(pid) => {
            let mut text = format!("process {pid}");
            if let Some(started) = field("started") {
                text.push_str(&format!(", started {started}"));
            }
            if let Some(command) = field("command") {
                text.push_str(&format!(": {command}"));
            }
            text
        }
    }
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_timestamp(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(
            || format!("{secs} s after the epoch"),
            |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_labels_read_back() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(
            describe("pid=42\nstarted=2026-01-01T00:00:00Z\ncommand=baton serve --bind x\n"),
            "process 42, started 2026-01-01T00:00:00Z: baton serve --bind x"
        );
        assert_eq!(describe(""), "a process that has not written its id yet");
    }
}
