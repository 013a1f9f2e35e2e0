//! One store per data folder: a second open is refused and names the holder; the lock goes
//! with its holder, even one killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use baton_store::Error;
use baton_store_sqlite::{SqliteStore, LOCK_FILE};

/// Set in the child this file's tests start: the folder it holds the store of.
const HOLD_VAR: &str = "BATON_TEST_HOLD_STORE";

#[test]
fn a_second_store_on_the_same_folder_is_refused_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = SqliteStore::open(dir.path()).expect("open");
    match SqliteStore::open(dir.path()) {
        Err(Error::InUse { path, holder }) => {
            assert_eq!(path, dir.path().display().to_string());
            assert!(
                holder.starts_with(&format!("process {}, started ", std::process::id())),
                "{holder}"
            );
        }
        Err(other) => panic!("expected InUse, got {other}"),
        Ok(_) => panic!("a second store opened the same folder"),
    }
    drop(first);
    SqliteStore::open(dir.path()).expect("reopens once the first is gone");
}

/// Not a test of its own: the process `a_killed_holder_does_not_block_a_restart` starts holds
/// the store until it is killed.
#[test]
fn hold_store_in_child() {
    let Ok(dir) = std::env::var(HOLD_VAR) else {
        return;
    };
    let _store = SqliteStore::open(&dir).expect("child opens");
    println!("holding");
    // Waits for a line that never comes: the parent kills this process.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn a_killed_holder_does_not_block_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "hold_store_in_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD_VAR, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the child says it holds the store")
            .expect("a line");
        if line.contains("holding") {
            break;
        }
    }
    match SqliteStore::open(dir.path()) {
        Err(Error::InUse { holder, .. }) => {
            assert!(
                holder.starts_with(&format!("process {}, started ", child.id())),
                "{holder}"
            );
            assert!(holder.contains("hold_store_in_child"), "{holder}");
        }
        Err(other) => panic!("expected InUse, got {other}"),
        Ok(_) => panic!("opened while the child holds it"),
    }
    // SIGKILL: the child runs no clean-up at all; the kernel drops its lock.
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    assert!(dir.path().join(LOCK_FILE).exists(), "the file stays");
    let store = SqliteStore::open(dir.path()).expect("opens after the holder died");
    let label = std::fs::read_to_string(dir.path().join(LOCK_FILE)).expect("label");
    assert!(
        label.starts_with(&format!("pid={}\n", std::process::id())),
        "{label}"
    );
    drop(store);
}
