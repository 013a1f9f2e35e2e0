//! `baton serve --retention-days`: closed executions and their histories are deleted once they
//! have been closed longer than the retention, in the background; running ones stay.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_sfn::error::ProvideErrorMetadata;
use serde_json::json;
use support::server::{create_machine, finished, start, Server};

#[tokio::test(flavor = "multi_thread")]
async fn closed_executions_go_after_the_retention_and_running_ones_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 0.00003 days: 2.6 seconds.
    let server = Server::start(dir.path(), &["--retention-days", "0.00003"]);
    let client = server.client("123456789012");
    let quick = create_machine(
        &client,
        "quick",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let slow = create_machine(
        &client,
        "slow",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    )
    .await;
    let mut closed = Vec::new();
    for _ in 0..3 {
        let arn = start(&client, &quick, None).await;
        finished(&client, &arn).await;
        closed.push(arn);
    }
    let running = start(&client, &slow, None).await;
    let began = Instant::now();
    // Gone within the retention and a period or two more.
    loop {
        let listed = client
            .list_executions()
            .state_machine_arn(&quick)
            .send()
            .await
            .expect("listed");
        if listed.executions.is_empty() {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "still listed after a minute: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for arn in &closed {
        let error = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect_err("deleted")
            .into_service_error();
        assert_eq!(error.code(), Some("ExecutionDoesNotExist"), "{arn}");
        let error = client
            .get_execution_history()
            .execution_arn(arn)
            .send()
            .await
            .expect_err("deleted")
            .into_service_error();
        assert_eq!(error.code(), Some("ExecutionDoesNotExist"), "{arn}");
    }
    let kept = client
        .describe_execution()
        .execution_arn(&running)
        .send()
        .await
        .expect("the running execution stays");
    assert_eq!(kept.status, aws_sdk_sfn::types::ExecutionStatus::Running);
    let history = client
        .get_execution_history()
        .execution_arn(&running)
        .send()
        .await
        .expect("its history stays");
    assert!(!history.events.is_empty());
}
