//! The shared store suite (`baton_store::testing`) against SQLite, each case on a fresh database
//! in its own temporary directory.

use std::sync::Arc;

use baton_store::testing::{assert_suite, Fixture};
use baton_store_sqlite::SqliteStore;

#[test]
fn store_suite_on_sqlite() {
    assert_suite(&|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(dir.path()).expect("open store");
        Fixture {
            store: Arc::new(store),
            guard: Box::new(dir),
        }
    });
}
