//! The runtime's own batches on PostgreSQL take the store's short path: a step that writes its
//! execution row, history and journal sends them as one statement (and a group of one-step
//! starts, one statement for them all). The store recognises a step by the shape of its batch;
//! this checks that the batches the runtime really makes have that shape, not only those a
//! store test builds by hand.
//!
//! Needs a PostgreSQL server (see `baton_store_postgres::testing`); without one the test prints
//! why it skips, and fails under `BATON_CI_STRICT=1`.

mod support;

use std::sync::Arc;

use baton_api::model::*;
use baton_api::StepFunctions;
use baton_runtime::{Config, Runtime};
use baton_store::Store;
use baton_store_postgres::testing::TestSchema;
use baton_store_postgres::PgStore;
use futures_util::future::join_all;
use support::ctx;

// A plain test: the schema is made and dropped outside the runtime.
#[test]
fn every_start_that_ends_in_its_first_step_is_one_statement() {
    let Some(schema) = TestSchema::create("fused_steps") else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(starts_on(&schema.url));
}

async fn starts_on(url: &str) {
    let pg = Arc::new(PgStore::open(url).await.expect("store"));
    let store: Arc<dyn Store> = pg.clone();
    let rt = Runtime::open(store, Config::default()).await.expect("open");
    let machine = rt
        .create_state_machine(
            &ctx(),
            support::api::create_input(
                "chain",
                r#"{"StartAt":"A","States":{
                    "A":{"Type":"Pass","Next":"B"},
                    "B":{"Type":"Pass","Next":"C"},
                    "C":{"Type":"Pass","End":true}}}"#,
            ),
        )
        .await
        .expect("machine")
        .state_machine_arn;
    let before = pg.writer_stats();
    // At once: some share a group (one statement for the group), some go alone.
    const STARTS: u64 = 64;
    let started = join_all((0..STARTS).map(|i| {
        let rt = rt.clone();
        let machine = machine.clone();
        async move {
            rt.start_execution(
                &ctx(),
                StartExecutionInput {
                    state_machine_arn: machine,
                    name: Some(format!("e{i}")),
                    input: Some(format!(r#"{{"i":{i}}}"#)),
                    ..Default::default()
                },
            )
            .await
            .expect("start")
            .execution_arn
        }
    }))
    .await;
    let after = pg.writer_stats();
    assert_eq!(after.retried, before.retried, "no group failed");
    assert_eq!(
        after.fused - before.fused,
        STARTS,
        "every start wrote its row, history and journal in one statement ({} batches)",
        after.requests - before.requests
    );
    // A group holding only such starts is one statement, with no transaction block around it.
    assert_eq!(
        after.one_statement - before.one_statement,
        after.groups - before.groups,
        "every group of starts went out as one statement"
    );
    // And what they wrote reads back as each execution's end.
    for (i, arn) in started.iter().enumerate() {
        let history = rt
            .get_execution_history(
                &ctx(),
                GetExecutionHistoryInput {
                    execution_arn: arn.clone(),
                    ..Default::default()
                },
            )
            .await
            .expect("history");
        let last = history.events.last().expect("events");
        let details = last
            .execution_succeeded_event_details
            .as_ref()
            .expect("succeeded");
        let output: serde_json::Value =
            serde_json::from_str(details.output.as_deref().expect("output")).unwrap();
        assert_eq!(output, serde_json::json!({"i": i}));
    }
    rt.shutdown();
}
