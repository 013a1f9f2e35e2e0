//! The shared store suite (`baton_store::testing`) against PostgreSQL, each case on a fresh
//! store in a schema of its own on the test server (see `baton_store_postgres::testing`).

use std::sync::Arc;

use baton_store::testing::{assert_suite, Fixture};
use baton_store_postgres::testing::TestSchema;
use baton_store_postgres::PgStore;

#[test]
fn store_suite_on_postgres() {
    // Skips, saying why, when no server answers (a failure under BATON_CI_STRICT=1).
    let Some(probe) = TestSchema::create("probe") else {
        return;
    };
    drop(probe);
    assert_suite(&|| {
        let schema = TestSchema::create("suite").expect("a schema on the test server");
        let store = pollster::block_on(PgStore::open(&schema.url)).expect("open store");
        // The store is dropped before the schema: `Fixture` drops its fields in order.
        Fixture {
            store: Arc::new(store),
            guard: Box::new(schema),
        }
    });
}
