//! The store test suite every backend runs: each case is a function over a fresh, empty store,
//! checking one behaviour of [`Store`] (atomicity, conflicts, paging order, claiming a task
//! exactly once…). A backend's test calls [`assert_suite`] with a factory of fresh stores.

mod batches;
mod executions;
mod fixtures;
mod inbox;
mod machines;
mod membership;
mod service_resources;
mod tasks;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use crate::Store;

pub use fixtures::*;

/// A fresh, empty store and whatever must live as long as it (a temporary directory).
pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub guard: Box<dyn Any + Send>,
}

/// What a case returns: `Err` says what differed.
pub type Outcome = Result<(), String>;

/// One behaviour to check.
pub struct Case {
    pub name: &'static str,
    pub run: fn(&Arc<dyn Store>) -> Outcome,
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(machines::cases());
    all.extend(executions::cases());
    all.extend(tasks::cases());
    all.extend(inbox::cases());
    all.extend(batches::cases());
    all.extend(membership::cases());
    all.extend(service_resources::cases());
    all
}

/// Runs every case on its own fresh store; returns the failures as (case, what differed).
pub fn run_suite(make: &dyn Fn() -> Fixture) -> Vec<(&'static str, String)> {
    let mut failures = Vec::new();
    for case in cases() {
        let fixture = make();
        if let Err(why) = (case.run)(&fixture.store) {
            failures.push((case.name, why));
        }
        drop(fixture);
    }
    failures
}

/// Runs the suite, prints `N passed, M failed` and every failure, and fails if any case did.
pub fn assert_suite(make: &dyn Fn() -> Fixture) {
    let total = cases().len();
    let failures = run_suite(make);
    eprintln!(
        "store suite: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    for (name, why) in &failures {
        eprintln!("  {name}: {why}");
    }
    assert!(failures.is_empty(), "{} store cases failed", failures.len());
}

/// Drives one store future to completion on the calling thread. The store's futures need no
/// particular async runtime, which this checks too.
pub fn wait<F: Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// `Err` with the message unless the condition holds.
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// `Err` showing both sides unless they are equal.
macro_rules! check_eq {
    ($left:expr, $right:expr, $($msg:tt)+) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err(format!("{}: got {:?}, expected {:?}", format!($($msg)+), l, r));
                }
            }
        }
    };
}

pub(crate) use {check, check_eq};

/// Turns a store result into a case result, naming the step that failed.
pub(crate) fn ok<T>(step: &str, r: crate::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("{step}: unexpected error: {e}"))
}

/// Checks a backend's migrations: every file in `dir` is listed in `migrations` with the same
/// text, numbered 1, 2, 3… without gaps (`NNNN_name.sql`), and nothing else is listed.
pub fn assert_migrations_listed(dir: &std::path::Path, migrations: &[(u32, &str)]) {
    let mut files: Vec<(u32, String)> = std::fs::read_dir(dir)
        .expect("migrations folder")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let number = name
                .split('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name}: not NNNN_name.sql"));
            assert!(name.ends_with(".sql"), "{name}: not a .sql file");
            (number, std::fs::read_to_string(&path).expect("readable"))
        })
        .collect();
    files.sort();
    let listed: Vec<(u32, String)> = migrations
        .iter()
        .map(|(n, sql)| (*n, sql.to_string()))
        .collect();
    assert_eq!(files, listed);
    for (i, (n, _)) in files.iter().enumerate() {
        assert_eq!(*n as usize, i + 1, "migration numbers run 1, 2, 3…");
    }
}
