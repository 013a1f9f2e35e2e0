//! What only the SQLite backend has: a database file that outlives the process (reopened,
//! killed with SIGKILL mid-write), the directory it creates, and its schema version.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use baton_store::testing::{
    activity, activity_task, batch, entries, events, execution, finished, inbox_entry, machine,
    machine_arn, read_all, revision, version, wait,
};
use baton_store::{
    ExecutionFilter, ExecutionStatus, ExecutionsOf, Op, PageRequest, Store, Tag, Timer, WriteBatch,
};
use baton_store_sqlite::{Options, SqliteStore, Synchronous, DATABASE_FILE};

/// One execution's start: the row, its history and journal, a timer and a task.
fn step(name: &str) -> WriteBatch {
    let e = execution("m", name, 1);
    batch([
        Op::CreateExecution(e.clone()),
        Op::AppendHistory {
            execution_arn: e.arn.clone(),
            events: events(1..=8),
        },
        Op::AppendJournal {
            execution_arn: e.arn.clone(),
            entries: entries(1..=3),
        },
        Op::PutTimer(Timer {
            execution_arn: e.arn.clone(),
            timer_id: 1,
            fire_at: 100,
        }),
    ])
}

/// Whether everything `step(name)` writes is in the store.
fn step_is_whole(s: &dyn Store, name: &str) -> Result<(), String> {
    let e = execution("m", name, 1);
    let got = wait(s.execution(&e.arn)).map_err(|x| x.to_string())?;
    if got.as_ref() != Some(&e) {
        return Err(format!("{name}: execution {got:?}"));
    }
    let history = read_all(100, |p| wait(s.history(&e.arn, false, p)))?;
    let journal = wait(s.journal(&e.arn)).map_err(|x| x.to_string())?;
    if history != events(1..=8) || journal != entries(1..=3) {
        return Err(format!(
            "{name}: {} events, {} entries",
            history.len(),
            journal.len()
        ));
    }
    Ok(())
}

#[test]
fn everything_written_is_read_back_after_reopening() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let m = machine("kept", 1);
    let v = version(&m, 1, 2);
    let act = activity("kept", 3);
    let task = activity_task(&execution("m", "a", 1).arn, 1, &act.arn, 4);
    let done = finished(execution("m", "b", 1), ExecutionStatus::Succeeded, 9);
    {
        let s = SqliteStore::open(dir.path()).expect("open");
        wait(s.commit(batch([
            Op::CreateStateMachine(m.clone()),
            Op::PutRevision(revision(&m)),
            Op::CreateVersion(v.clone()),
            Op::CreateActivity(act.clone()),
            Op::TagResource {
                arn: m.arn.clone(),
                tags: vec![Tag::new("k", "v")],
            },
            Op::CreateTask(task.clone()),
            Op::CreateExecution(done.clone()),
        ])))
        .expect("commit");
        wait(s.commit(step("a"))).expect("commit");
    }
    let s = SqliteStore::open(dir.path()).expect("reopen");
    assert_eq!(wait(s.state_machine(&m.arn)), Ok(Some(m.clone())));
    assert_eq!(
        wait(s.revision(&m.arn, &m.revision_id)),
        Ok(Some(revision(&m)))
    );
    assert_eq!(wait(s.version(&v.arn)), Ok(Some(v)));
    assert_eq!(wait(s.activity(&act.arn)), Ok(Some(act)));
    assert_eq!(wait(s.tags(&m.arn)), Ok(vec![Tag::new("k", "v")]));
    assert_eq!(
        wait(s.task_by_token(task.token.as_deref().unwrap_or_default())),
        Ok(Some(task))
    );
    assert_eq!(wait(s.execution(&done.arn)), Ok(Some(done)));
    assert_eq!(step_is_whole(&s, "a"), Ok(()));
    assert_eq!(wait(s.next_timer_at()), Ok(Some(100)));
    let page = wait(s.versions(&m.arn, &PageRequest::first(10))).expect("versions");
    assert_eq!(page.items.len(), 1);
}

#[test]
fn open_creates_the_directory_and_a_wal_database_at_the_latest_schema() {
    let root = tempfile::tempdir().expect("temporary directory");
    let dir = root.path().join("nested").join("data");
    for synchronous in [Synchronous::Normal, Synchronous::Full] {
        let options = Options {
            synchronous,
            ..Options::default()
        };
        let s = SqliteStore::open_with(&dir, options).expect("open");
        assert_eq!(s.path(), dir.join(DATABASE_FILE));
        wait(s.commit(step(&format!("{synchronous:?}")))).expect("commit");
        drop(s);
        let raw = rusqlite::Connection::open(dir.join(DATABASE_FILE)).expect("raw open");
        let mode: String = raw
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("journal mode");
        let version: u32 = raw
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("user version");
        assert_eq!(mode, "wal");
        assert_eq!(version, SqliteStore::schema_version());
    }
}

/// A database written before executions were listed by start date (version 1 kept a finished
/// execution's stop date as its listing date, and had no partitions, no inbox and no
/// service resources) is brought up to date when it is opened: its executions in partition 0.
#[test]
fn an_older_database_lists_by_start_date_once_opened() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path()).expect("open");
    let early = finished(
        execution("m", "early", 100),
        ExecutionStatus::Succeeded,
        900,
    );
    let late = execution("m", "late", 200);
    wait(store.commit(batch([
        Op::CreateExecution(early),
        Op::CreateExecution(late.clone()),
    ])))
    .expect("commit");
    drop(store);
    let raw = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("raw open");
    raw.execute_batch(
        "UPDATE executions SET list_date = stop_date WHERE stop_date IS NOT NULL; \
         DROP TABLE nodes; DROP TABLE partitions; \
         DROP TABLE inbox; ALTER TABLE executions DROP COLUMN partition_id; \
         DROP TABLE service_resources; PRAGMA user_version = 1;",
    )
    .expect("a version 1 database");
    drop(raw);
    let store = SqliteStore::open(dir.path()).expect("reopen");
    let filter = ExecutionFilter::of(ExecutionsOf::Machine(machine_arn("m")));
    let listed = read_all(10, |p| wait(store.executions(&filter, p))).expect("list");
    let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["late", "early"]);
    let mut upgraded = late.clone();
    upgraded.partition = 0;
    assert_eq!(wait(store.execution(&late.arn)), Ok(Some(upgraded)));
    assert_eq!(
        wait(store.unfinished_executions_in(&[0])).map(|e| e.len()),
        Ok(1)
    );
    wait(store.commit(batch([Op::AppendInbox(inbox_entry(0, &late.arn, 1))])))
        .expect("an inbox entry");
    assert_eq!(wait(store.inbox(&[0], 10)).map(|e| e.len()), Ok(1));
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    drop(SqliteStore::open(dir.path()).expect("open"));
    let newer = SqliteStore::schema_version() + 1;
    rusqlite::Connection::open(dir.path().join(DATABASE_FILE))
        .and_then(|c| c.pragma_update(None, "user_version", newer))
        .expect("raise user_version");
    match SqliteStore::open(dir.path()) {
        Err(baton_store::Error::Backend(message)) => {
            assert!(message.contains("newer"), "{message}")
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a database of schema {newer}"),
    }
}

#[test]
fn the_wal_starts_afresh_under_sustained_writes_and_reads() {
    const PAGES: u32 = 128;
    const BATCHES: usize = 400;
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = Options {
        wal_pages: PAGES,
        ..Options::default()
    };
    let store = Arc::new(SqliteStore::open_with(dir.path(), options).expect("open"));
    let mut wal = store.path().as_os_str().to_owned();
    wal.push("-wal");
    let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let committed = std::sync::atomic::AtomicUsize::new(0);
    let mut largest = 0;
    std::thread::scope(|scope| {
        // A reader keeps reading what the writer committed: restarting the WAL must wait for
        // it, never take its pages away.
        let reader = scope.spawn(|| {
            let mut reads = 0;
            loop {
                let upto = committed.load(std::sync::atomic::Ordering::Acquire);
                if upto == BATCHES {
                    return reads;
                }
                if upto > 0 {
                    let name = format!("w{}", reads % upto);
                    assert_eq!(step_is_whole(store.as_ref(), &name), Ok(()));
                    reads += 1;
                }
            }
        });
        for i in 0..BATCHES {
            wait(store.commit(step(&format!("w{i}")))).expect("commit");
            committed.store(i + 1, std::sync::atomic::Ordering::Release);
            largest = largest.max(wal_size());
        }
        let reads = reader.join().expect("reader");
        assert!(reads > 0, "the reader read nothing");
    });
    // Without restarts the WAL would hold every page written: several MiB.
    let bound = u64::from(PAGES + 16) * 4096 + 32 * 1024;
    assert!(
        largest <= bound,
        "WAL reached {largest} bytes, more than {bound}"
    );
    for i in (0..BATCHES).step_by(7) {
        assert_eq!(step_is_whole(store.as_ref(), &format!("w{i}")), Ok(()));
    }
}

/// Set in the child process of [`commits_survive_kill_9`]: the data directory to write to.
const CHILD_DIR: &str = "BATON_STORE_KILL9_CHILD_DIR";
const PRODUCERS: usize = 4;
/// Acknowledged commits the parent waits for before killing the child.
const ACKS_BEFORE_KILL: usize = 400;

/// The child: producers commit steps as fast as they can, printing `ack <name>` to stdout after
/// each commit returned, until the parent kills the process.
fn write_until_killed(dir: &str) {
    let store = Arc::new(SqliteStore::open(dir).expect("open"));
    std::thread::scope(|scope| {
        for p in 0..PRODUCERS {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0.. {
                    let name = format!("p{p}-{i}");
                    wait(store.commit(step(&name))).expect("commit");
                    println!("ack {name}");
                }
            });
        }
    });
}

#[test]
fn commits_survive_kill_9() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        write_until_killed(&dir);
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "commits_survive_kill_9",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the writing child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("child output");
        if let Some(name) = line.strip_prefix("ack ") {
            acked.push(name.to_string());
            if acked.len() == ACKS_BEFORE_KILL {
                break;
            }
        }
    }
    assert_eq!(
        acked.len(),
        ACKS_BEFORE_KILL,
        "the child stopped writing early"
    );
    child.kill().expect("SIGKILL the child");
    let _ = child.wait();

    let s = SqliteStore::open(dir.path()).expect("reopen after kill -9");
    let missing: Vec<String> = acked
        .iter()
        .filter_map(|name| step_is_whole(&s, name).err())
        .collect();
    assert_eq!(missing, Vec::<String>::new(), "acknowledged commits lost");
}
