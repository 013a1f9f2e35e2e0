//! `baton serve --store 'postgres://…?sslmode=require&sslrootcert=…'` on a PostgreSQL server
//! of the test's own that takes TLS: every session the node opens is encrypted (the server's
//! `pg_stat_ssl` says so) and an execution runs through it; a server whose certificate the
//! node does not trust is refused, with a message that says why, and so is one that takes no
//! TLS at all.
//!
//! Skips, saying why, without PostgreSQL's `initdb` (a failure under `BATON_CI_STRICT=1`).

mod support;

use std::process::Command;

use baton_store_postgres::testing::TestSchema;
use serde_json::json;
use support::cluster::{self, Cluster};
use support::nodes::Node;
use support::server::{create_machine, finished, start};

#[test]
fn a_node_talks_to_postgres_over_verified_tls_only() {
    let Some((cluster, root)) = cluster::or_skip(Cluster::start_with_tls()) else {
        return;
    };
    let Some(schema) = TestSchema::create_on(&cluster.url(), "pg_tls") else {
        return;
    };
    let session = format!("baton-tls-{}", std::process::id());
    let url = format!(
        "{}&application_name={session}&sslmode=require&sslrootcert={}",
        schema.url,
        root.display()
    );
    let node = Node::start(&url, "5");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = node.client();
    let status = rt.block_on(async {
        let machine = create_machine(
            &client,
            "tls",
            &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        )
        .await;
        let arn = start(&client, &machine, None).await;
        finished(&client, &arn).await.status
    });
    assert_eq!(status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    let sessions = schema
        .rows(&format!(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = '{session}'"
        ))
        .expect("sessions");
    assert!(!sessions.is_empty(), "the node has no session");
    assert!(
        sessions.iter().all(|r| r[0] == "t"),
        "a session in plain text: {sessions:?}"
    );
    drop(node);

    // A certificate it does not trust: another self-signed one.
    let other = tempfile::NamedTempFile::new().unwrap();
    let stranger = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    std::fs::write(other.path(), stranger.cert.pem()).unwrap();
    let untrusted = format!(
        "{}&sslmode=verify-full&sslrootcert={}",
        schema.url,
        other.path().display()
    );
    let refused = serve_fails(&untrusted);
    assert!(
        refused.to_lowercase().contains("certificate"),
        "the refusal does not say why: {refused}"
    );

    // A server that takes no TLS at all (the machine's own, or a private one without it)
    // is refused too, rather than used in plain text.
    drop(schema);
    drop(cluster);
    let plain = match Cluster::start() {
        Ok(c) => c,
        Err(why) => panic!("a second server: {why}"),
    };
    let refused = serve_fails(&format!(
        "{}?sslmode=require&sslrootcert={}",
        plain.url(),
        other.path().display()
    ));
    assert!(
        refused.to_lowercase().contains("tls") || refused.to_lowercase().contains("ssl"),
        "the refusal does not say why: {refused}"
    );
}

/// Runs `baton serve` on `store`, which must exit with an error; what it printed.
fn serve_fails(store: &str) -> String {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--s3-bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data.path())
        .args(["--store", store])
        .env_remove("BATON_STORE")
        .output()
        .expect("baton runs");
    assert!(
        !out.status.success(),
        "it served: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
