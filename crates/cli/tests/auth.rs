//! `baton serve` with keys (`[[auth.keys]]`): aws-sdk-rust clients served in their key's
//! account and refused with AWS's errors when the signature is wrong, the key unknown or the
//! action not allowed; a catalogue of malformed `Authorization` headers, each answered with a
//! clear AWS JSON error and none of them costing the server anything; a configuration with a
//! mistake in its keys refused at start; the warning of a server that listens beyond loopback
//! without keys. (boto3, the AWS CLI, the S3 endpoint and presigned URLs: `tests/python/
//! test_auth.py`; the console: `browser.rs`.)

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use aws_sdk_sfn::error::ProvideErrorMetadata;
use serde_json::{json, Value};
use support::server::{client_with_key, create_machine, exchange, finished, start, Server};

const ADMIN: (&str, &str, &str) = ("AKIAADMINKEY00000001", "admin/secret+1", "111111111111");
const READER: (&str, &str, &str) = ("AKIAREADERKEY0000003", "reader-secret", "333333333333");

fn keyed_server(dir: &std::path::Path) -> Server {
    let config = dir.join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[[auth.keys]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\naccount = \"{}\"\n\
             [[auth.keys]]\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\naccount = \"{}\"\n\
             actions = [\"states:List*\", \"states:Describe*\", \"states:CreateStateMachine\"]\n",
            ADMIN.0, ADMIN.1, ADMIN.2, READER.0, READER.1, READER.2
        ),
    )
    .expect("config written");
    Server::start(
        &dir.join("data"),
        &["--config", config.to_str().expect("utf-8")],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_sdk_rust_is_served_in_its_keys_account_and_refused_as_aws_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = keyed_server(dir.path());
    let admin = client_with_key(&server.endpoint, ADMIN.0, ADMIN.1);
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let machine = create_machine(&admin, "signed", &definition).await;
    assert_eq!(
        machine,
        format!("arn:aws:states:us-east-1:{}:stateMachine:signed", ADMIN.2)
    );
    let execution = start(&admin, &machine, None).await;
    assert_eq!(
        finished(&admin, &execution).await.status,
        aws_sdk_sfn::types::ExecutionStatus::Succeeded
    );

    let wrong = client_with_key(&server.endpoint, ADMIN.0, "not-the-secret");
    let error = wrong
        .list_state_machines()
        .send()
        .await
        .expect_err("refused")
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidSignatureException"));
    assert!(error
        .message()
        .unwrap_or_default()
        .starts_with("The request signature we calculated does not match"));

    let unknown = client_with_key(&server.endpoint, "AKIAUNKNOWNKEY000009", ADMIN.1);
    let error = unknown
        .list_state_machines()
        .send()
        .await
        .expect_err("refused")
        .into_service_error();
    assert_eq!(error.code(), Some("UnrecognizedClientException"));

    // A key limited to some actions, in its own account: it sees none of the admin's
    // machines, may create one, and may not start it.
    let reader = client_with_key(&server.endpoint, READER.0, READER.1);
    let listed = reader.list_state_machines().send().await.expect("listed");
    assert!(listed.state_machines.is_empty(), "{listed:?}");
    let error = reader
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect_err("another account's machine")
        .into_service_error();
    assert_eq!(error.code(), Some("StateMachineDoesNotExist"));
    let own = create_machine(&reader, "readers", &definition).await;
    assert!(own.contains(&format!(":{}:", READER.2)), "{own}");
    let error = reader
        .start_execution()
        .state_machine_arn(&own)
        .send()
        .await
        .expect_err("not allowed")
        .into_service_error();
    assert_eq!(error.code(), Some("AccessDeniedException"));
    assert_eq!(
        error.message(),
        Some(
            format!(
                "User: arn:aws:iam::{}:user/{} is not authorized to perform: \
                 states:StartExecution because no identity-based policy allows the \
                 states:StartExecution action",
                READER.2, READER.0
            )
            .as_str()
        )
    );
}

/// `POST /` (ListStateMachines) with `authorization` as the header's raw bytes.
fn post_with(authority: &str, authorization: &[u8]) -> (u16, Value) {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\
         Content-Type: application/x-amz-json-1.0\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Content-Length: 2\r\nConnection: close\r\nAuthorization: "
    )
    .into_bytes();
    request.extend_from_slice(authorization);
    request.extend_from_slice(b"\r\n\r\n{}");
    let (status, body) = exchange(authority, &String::from_utf8_lossy(&request));
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn malformed_authorization_headers_get_clear_errors_and_cost_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = keyed_server(dir.path());
    let authority = server.endpoint.trim_start_matches("http://").to_string();
    let scope = format!("{}/20260101/us-east-1/states/aws4_request", ADMIN.0);
    let long = "A".repeat(6000);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "IncompleteSignatureException"),
        (b"Bearer abc".to_vec(), "IncompleteSignatureException"),
        (b"AWS4-HMAC-SHA256".to_vec(), "IncompleteSignatureException"),
        (
            b"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=".to_vec(),
            "IncompleteSignatureException",
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential={}/x, SignedHeaders=host, Signature=00", ADMIN.0)
                .into_bytes(),
            "IncompleteSignatureException",
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=x-amz-date, Signature=00")
                .into_bytes(),
            "IncompleteSignatureException",
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/states/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=00",
                "AKIAUNKNOWNKEY000009"
            )
            .into_bytes(),
            "UnrecognizedClientException",
        ),
        // Signed 2026-01-01: long past the 15 minutes either way.
        (
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=00")
                .into_bytes(),
            "InvalidSignatureException",
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={long}")
                .into_bytes(),
            "InvalidSignatureException",
        ),
        (
            b"AWS4-HMAC-SHA256 Credential=\xff\xfe/20260101/us-east-1/states/aws4_request".to_vec(),
            "IncompleteSignatureException",
        ),
    ];
    for (authorization, code) in &cases {
        let shown = String::from_utf8_lossy(authorization);
        let (status, body) = post_with(&authority, authorization);
        assert_eq!(status, 400, "{shown}: {body}");
        assert_eq!(
            body["__type"],
            json!(format!("com.amazon.coral.service#{code}")),
            "{shown}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{shown}: {body}");
        assert!(!message.contains(ADMIN.1), "{shown}: the secret leaked");
    }
    // None of it has cost the server: a signed client is still served.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let admin = client_with_key(&server.endpoint, ADMIN.0, ADMIN.1);
        admin.list_state_machines().send().await.expect("served");
    });
}

/// `baton serve` with `config` as its baton.toml: its exit status and what it wrote to stderr.
fn serve_with_config(dir: &std::path::Path, config: &str) -> (Option<i32>, String) {
    let path = dir.join("baton.toml");
    std::fs::write(&path, config).expect("config written");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("BATON_STORE")
        .stdin(Stdio::null())
        .output()
        .expect("baton serve runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn mistakes_in_the_keys_stop_the_server_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (config, said) in [
        (
            "[[auth.keys]]\naccess_key_id = \"AKIAADMINKEY00000001\"\nsecret_access_key = \"s\"\naccount = \"12\"\n",
            "auth.keys[0] (AKIAADMINKEY00000001): account must be 12 digits",
        ),
        (
            "[[auth.keys]]\naccess_key_id = \"AKIAADMINKEY00000001\"\nsecret_access_key_env = \"BATON_NO_SUCH_VARIABLE\"\naccount = \"111111111111\"\n",
            "the environment variable BATON_NO_SUCH_VARIABLE is not set",
        ),
        (
            "[[auth.keys]]\naccess_key_id = \"AKIAADMINKEY00000001\"\nsecret = \"s\"\naccount = \"111111111111\"\n",
            "unknown field `secret`",
        ),
    ] {
        let (status, stderr) = serve_with_config(dir.path(), config);
        assert_ne!(status, Some(0), "{config}");
        assert!(stderr.contains(said), "{config}: {stderr}");
    }
}

#[test]
fn a_server_beyond_loopback_without_keys_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "serve",
            "--bind",
            "0.0.0.0:0",
            "--s3-bind",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("BATON_STORE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut warned = false;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("without authentication") => {
                warned = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        warned,
        "no warning about listening beyond loopback without keys"
    );
}

/// `baton bench --workloads describe` against `server`, signed with `key` if given: its exit
/// status and its report.
fn bench_describe(server: &Server, key: Option<&str>) -> (Option<i32>, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command.args([
        "bench",
        "--endpoint",
        &server.endpoint,
        "--workloads",
        "describe",
        "--duration",
        "0.5",
        "--clients",
        "2",
        "--json",
    ]);
    if let Some(key) = key {
        command.args(["--key", key]);
    }
    let out = command
        .env_remove("BATON_BENCH_KEY")
        .output()
        .expect("bench runs");
    let report = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| serde_json::from_str::<Value>(line).ok())
        .unwrap_or(Value::Null);
    (out.status.code(), report)
}

#[test]
fn the_benchmark_signs_its_requests_with_the_key_it_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = keyed_server(dir.path());
    let (status, report) = bench_describe(&server, Some(&format!("{}:{}", ADMIN.0, ADMIN.1)));
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(report["errors"]["count"], json!(0), "{report}");
    assert!(
        report["requests_per_s"].as_f64().unwrap_or(0.0) > 0.0,
        "{report}"
    );
    // Unsigned, the same server refuses it all (the machine cannot even be created).
    let (status, report) = bench_describe(&server, None);
    assert_ne!(status, Some(0), "{report}");
    assert!(
        report.to_string().contains("MissingAuthenticationToken"),
        "{report}"
    );
}
