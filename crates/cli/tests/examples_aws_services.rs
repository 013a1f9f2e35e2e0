//! `examples/aws-services`: an order saved to DynamoDB, announced on SQS, SNS and EventBridge
//! and read back, against moto's server as the AWS endpoint. `run.sh` starts moto, makes the
//! table and the queue with the AWS CLI and runs the workflow twice through `baton run`: the
//! first run succeeds with the item DynamoDB kept, the second fails with `OrderExists` after
//! catching `DynamoDB.ConditionalCheckFailedException` by name, and the queue holds the
//! message the first run sent. Without the AWS CLI or moto the test skips with the reason, or
//! fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_order_workflow_runs_against_moto() {
    if let Some(reason) = support::missing_tools(&["aws", "curl"]) {
        support::skip(&reason);
        return;
    }
    let moto = Command::new("python3")
        .args(["-c", "import moto.server"])
        .status()
        .is_ok_and(|s| s.success());
    if !moto {
        support::skip("moto's server is not installed (pip install \"moto[server]\")");
        return;
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/aws-services/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run.sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run.sh failed\n{stdout}\n{stderr}");
    let saved: serde_json::Value = serde_json::from_str(
        stdout
            .split("== the same order again")
            .next()
            .and_then(|first| first.split("== first run").nth(1))
            .expect("the first run's output"),
    )
    .expect("the first run prints the saved item");
    assert_eq!(
        saved,
        serde_json::json!({"id": "o-1001", "total": "42", "status": "PLACED"})
    );
    assert!(stderr.contains(": SUCCEEDED"), "{stderr}");
    assert!(stderr.contains("error: OrderExists"), "{stderr}");
    assert!(
        stderr.contains("Error Code: ConditionalCheckFailedException"),
        "{stderr}"
    );
    assert!(
        stdout.contains(r#"{"orderId":"o-1001","total":42}"#),
        "the queue holds the first run's message\n{stdout}"
    );
}
