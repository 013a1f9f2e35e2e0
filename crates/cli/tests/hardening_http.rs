//! The HTTP edge of `baton serve`, attacked over raw sockets and the SDK: slow and idle
//! connections are closed, open connections are capped, foreign `Host`s are refused (DNS
//! rebinding), malformed request heads and JSON nested past 1,000 levels get AWS-shaped
//! answers, the console carries its security headers, and a server-side error reaches the log.
//! After each attack `/health` and DescribeStateMachine still answer.

mod support;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{json, Value};
use support::server::{create_machine, finished, Server};

/// A safety net for reads that must end (the server closes, or answers): never reached when
/// the server does what it should.
const PATIENCE: Duration = Duration::from_secs(60);

/// `baton serve` with its stderr read line by line, for the logging test.
struct Logged {
    child: Child,
    endpoint: String,
    lines: mpsc::Receiver<String>,
}

impl Logged {
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Logged {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            // The defaults these tests expect, whatever the shell exports.
            .env_remove("AWS_ACCOUNT_ID")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("SFN_MOCK_CONFIG")
            .arg(data_dir)
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("baton serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut out = BufReader::new(stdout).lines();
        let first = out.next().expect("a line").expect("readable");
        let endpoint = first
            .strip_prefix("baton: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        std::thread::spawn(move || for _ in out {});
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[server] {line}");
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Logged {
            child,
            endpoint,
            lines,
        }
    }

    /// The first stderr line that contains every one of `needles`.
    fn line_with(&self, needles: &[&str]) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no log line with {needles:?}"));
            if needles.iter().all(|n| line.contains(n)) {
                return line;
            }
        }
    }

    /// SIGTERM; answers every stderr line not read yet, once the server has exited.
    fn terminate(&mut self) -> Vec<String> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.lines.iter().collect()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn authority(endpoint: &str) -> &str {
    endpoint.trim_start_matches("http://")
}

fn connect(endpoint: &str) -> TcpStream {
    let stream = TcpStream::connect(authority(endpoint)).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
}

/// Sends `request` on a new connection and reads until the server closes it.
fn exchange(endpoint: &str, request: &[u8]) -> String {
    let mut stream = connect(endpoint);
    stream.write_all(request).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status, the lower-cased head and the body of an answer.
fn parts(answer: &str) -> (u16, String, String) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {answer:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (
        status.unwrap_or_else(|| panic!("no status in {head:?}")),
        head.to_ascii_lowercase(),
        body.to_string(),
    )
}

/// Whether the server has closed `stream` (end of file, or a reset), reading what is left.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes()
}

/// `/health` and DescribeStateMachine both answer.
async fn still_answers(server: &Server, machine: &str) {
    let (status, _, body) = parts(&exchange(
        &server.endpoint,
        &get("/health", authority(&server.endpoint)),
    ));
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let described = server
        .client("123456789012")
        .describe_state_machine()
        .state_machine_arn(machine)
        .send()
        .await
        .expect("DescribeStateMachine answers");
    assert_eq!(described.state_machine_arn, machine);
}

async fn machine(server: &Server) -> String {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    create_machine(&server.client("123456789012"), "edge", &definition).await
}

/// Regression: connections with unfinished headers were never timed out, and enough of them
/// exhausted the file descriptors. Now each is closed once the header timeout passes.
#[tokio::test(flavor = "multi_thread")]
async fn slowloris_connections_are_closed() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(
        data.path(),
        &["--header-read-timeout", "0.5", "--max-connections", "256"],
    );
    let machine = machine(&server).await;
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = connect(&server.endpoint);
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: localh")
                .expect("a partial head");
            stream
        })
        .collect();
    // The S3 endpoint runs on the same edge.
    let s3 = server.s3_endpoint();
    let mut slow_s3 = connect(&s3);
    slow_s3
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0")
        .expect("a partial head");
    still_answers(&server, &machine).await;
    for stream in &mut slow {
        assert!(closed_by_server(stream), "a slow head was not cut off");
    }
    assert!(
        closed_by_server(&mut slow_s3),
        "a slow S3 head was not cut off"
    );
    still_answers(&server, &machine).await;
}

/// A request whose head arrives but whose body never does is answered 408 with an AWS-shaped
/// body once the body timeout passes, and its connection freed.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_never_arrives_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--body-read-timeout", "0.5"]);
    let machine = machine(&server).await;
    let mut stream = connect(&server.endpoint);
    let host = authority(&server.endpoint).to_string();
    stream
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{{\"max"
            )
            .as_bytes(),
        )
        .expect("a head and the start of a body");
    still_answers(&server, &machine).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let (status, _, body) = parts(&String::from_utf8_lossy(&answer));
    assert_eq!(status, 408, "{body}");
    let body: Value = serde_json::from_str(&body).expect("a JSON body");
    assert!(body["__type"]
        .as_str()
        .unwrap()
        .ends_with("#RequestTimeoutException"));
    still_answers(&server, &machine).await;
}

/// A kept-alive connection that sends nothing more is closed after the idle timeout.
#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_are_closed() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--idle-timeout", "0.5"]);
    let machine = machine(&server).await;
    let mut stream = connect(&server.endpoint);
    let host = authority(&server.endpoint).to_string();
    stream
        .write_all(format!("GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .expect("send");
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).expect("an answer");
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_by_server(&mut stream),
        "an idle connection stayed open"
    );
    still_answers(&server, &machine).await;
}

/// At the cap, a new connection is not served until an open one closes.
#[tokio::test(flavor = "multi_thread")]
async fn open_connections_are_capped() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--max-connections", "2"]);
    let machine = machine(&server).await;
    // Two connections that each finished a request hold both places.
    let host = authority(&server.endpoint).to_string();
    let mut holders: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(&server.endpoint);
            stream
                .write_all(format!("GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
                .expect("send");
            let mut answer = vec![0u8; 4096];
            let n = stream.read(&mut answer).expect("an answer");
            assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
            stream
        })
        .collect();
    let mut third = connect(&server.endpoint);
    third.write_all(&get("/health", &host)).expect("send");
    third.set_nonblocking(true).expect("non-blocking");
    let mut buf = [0u8; 16];
    assert_eq!(
        third.read(&mut buf).map_err(|e| e.kind()).err(),
        Some(ErrorKind::WouldBlock),
        "a third connection was served past a cap of two"
    );
    // One place frees: the waiting connection is served.
    drop(holders.remove(0));
    third.set_nonblocking(false).expect("blocking");
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    drop(holders);
    still_answers(&server, &machine).await;
}

/// Regression: any `Host` was answered, so a page whose name was rebound to 127.0.0.1 could
/// call the API. Local names pass in every form; others get 403 with an AWS-shaped body on
/// the API and S3's XML on the S3 endpoint.
#[tokio::test(flavor = "multi_thread")]
async fn foreign_hosts_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--allow-host", "baton.test"]);
    let machine = machine(&server).await;
    let port = server.endpoint.rsplit(':').next().unwrap().to_string();
    for host in [
        format!("localhost:{port}"),
        format!("sync-localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("sync-127.0.0.1:{port}"),
        "[::1]".to_string(),
        format!("baton.test:{port}"),
        "sync-baton.test".to_string(),
    ] {
        let (status, _, _) = parts(&exchange(&server.endpoint, &get("/health", &host)));
        assert_eq!(status, 200, "{host}");
    }
    for host in ["attacker.example", "attacker.example:8083", "10.9.8.7"] {
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        );
        let (status, head, body) = parts(&exchange(&server.endpoint, request.as_bytes()));
        assert_eq!(status, 403, "{host}");
        assert!(head.contains("content-type: application/x-amz-json-1.0"));
        let body: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_eq!(
            body["__type"],
            "com.amazon.coral.service#AccessDeniedException"
        );
        assert!(body["message"].as_str().unwrap().contains(host));
    }
    // The S3 endpoint checks too.
    let s3 = server.s3_endpoint();
    let (status, _, _) = parts(&exchange(&s3, &get("/", authority(&s3))));
    assert_eq!(status, 200);
    let (status, head, body) = parts(&exchange(&s3, &get("/", "attacker.example")));
    assert_eq!(status, 403);
    assert!(head.contains("content-type: application/xml"));
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    still_answers(&server, &machine).await;
}

/// `BATON_ALLOW_HOSTS` names hosts as `--allow-host` does, comma separated.
#[tokio::test(flavor = "multi_thread")]
async fn allowed_hosts_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let server = Logged::start(data.path(), &[("BATON_ALLOW_HOSTS", "one.test,two.test")]);
    for (host, expected) in [("one.test", 200), ("two.test:1", 200), ("three.test", 403)] {
        let (status, _, _) = parts(&exchange(&server.endpoint, &get("/health", host)));
        assert_eq!(status, expected, "{host}");
    }
}

/// `--allow-any-host` turns the check off, and only it.
#[tokio::test(flavor = "multi_thread")]
async fn any_host_only_when_asked() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--allow-any-host"]);
    let machine = machine(&server).await;
    let (status, _, _) = parts(&exchange(
        &server.endpoint,
        &get("/health", "attacker.example"),
    ));
    assert_eq!(status, 200);
    still_answers(&server, &machine).await;
}

/// Regression: hyper answered malformed heads itself, with a status and no body. Now each is
/// an AWS JSON 1.0 error saying what was wrong.
#[tokio::test(flavor = "multi_thread")]
async fn malformed_heads_get_aws_shaped_answers() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let machine = machine(&server).await;
    let host = authority(&server.endpoint).to_string();
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let just_past: String = (0..101).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(Vec<u8>, u16, &str, &str)> = vec![
        (
            format!("POST / HTTP/1.1\r\nHost: {host}\r\nX-Bad: a\x01b\r\n\r\n").into_bytes(),
            400,
            "BadRequestException",
            "control character",
        ),
        (
            format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 12x\r\n\r\n").into_bytes(),
            400,
            "BadRequestException",
            "Content-Length",
        ),
        (
            format!("POST / HTTP/1.1\r\nHost: {host}\r\n{many}\r\n").into_bytes(),
            431,
            "RequestHeaderFieldsTooLargeException",
            "headers are too large",
        ),
        (
            format!("POST / HTTP/1.1\r\nHost: {host}\r\n{just_past}\r\n").into_bytes(),
            431,
            "RequestHeaderFieldsTooLargeException",
            "headers are too large",
        ),
        (
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nX-Big: {}\r\n\r\n",
                "a".repeat(70_000)
            )
            .into_bytes(),
            431,
            "RequestHeaderFieldsTooLargeException",
            "headers are too large",
        ),
    ];
    // The S3 endpoint answers in S3's XML.
    let s3 = server.s3_endpoint();
    let (status, head, body) = parts(&exchange(
        &s3,
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nX-Bad: a\x01b\r\n\r\n",
            authority(&s3)
        )
        .as_bytes(),
    ));
    assert_eq!(status, 400);
    assert!(head.contains("content-type: application/xml"), "{head}");
    assert!(body.contains("<Code>BadRequest</Code>"), "{body}");
    assert!(body.contains("control character"), "{body}");
    for (request, expected, code, wording) in cases {
        let (status, head, body) = parts(&exchange(&server.endpoint, &request));
        assert_eq!(status, expected, "{body}");
        assert!(
            head.contains("content-type: application/x-amz-json-1.0"),
            "{head}"
        );
        let body: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_eq!(body["__type"], format!("com.amazon.coral.service#{code}"));
        assert!(
            body["message"].as_str().unwrap().contains(wording),
            "{body}"
        );
    }
    still_answers(&server, &machine).await;
}

/// The console's answers and the log endpoint's carry the security headers.
#[tokio::test(flavor = "multi_thread")]
async fn the_console_sends_security_headers() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let host = authority(&server.endpoint).to_string();
    for path in [
        "/",
        "/console/app.js",
        "/console/style.css",
        "/console/api/logs/ecs/0123456789abcdef0123456789abcdef",
    ] {
        let (_, head, _) = parts(&exchange(&server.endpoint, &get(path, &host)));
        assert!(
            head.contains("content-security-policy: default-src 'none'; script-src 'self';"),
            "{path}: {head}"
        );
        assert!(head.contains("frame-ancestors 'none'"), "{path}");
        assert!(head.contains("x-content-type-options: nosniff"), "{path}");
        assert!(head.contains("referrer-policy: no-referrer"), "{path}");
    }
}

/// `[[[…]]]`, `depth` deep.
fn nested(depth: usize) -> Value {
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    baton_api::json::from_str(&text).expect("nested arrays")
}

fn nested_text(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Regression: JSON nested 129 to 1,000 levels was refused (serde_json's own limit of 128).
/// A task result 1,000 levels deep goes through SendTaskSuccess into the execution's output;
/// past 1,000 the answer names the limit.
#[tokio::test(flavor = "multi_thread")]
async fn json_nests_to_a_thousand_levels() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let client = server.client("123456789012");
    let activity = client
        .create_activity()
        .name("deep")
        .send()
        .await
        .expect("activity")
        .activity_arn;
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = create_machine(&client, "deep", &definition).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("start")
        .execution_arn;
    let task = client
        .get_activity_task()
        .activity_arn(&activity)
        .send()
        .await
        .expect("poll");
    let token = task.task_token.expect("a task");
    // Past the limit: refused, the task still open.
    let error = client
        .send_task_success()
        .task_token(&token)
        .output(nested_text(1001))
        .send()
        .await
        .expect_err("1,001 levels")
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidOutput"));
    assert!(error
        .message()
        .unwrap()
        .contains("Document nesting depth (1001) exceeds the maximum allowed (1000"));
    client
        .send_task_success()
        .task_token(&token)
        .output(nested_text(1000))
        .send()
        .await
        .expect("1,000 levels are accepted");
    let done = finished(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let output: Value = baton_api::json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, nested(1000));
    // An API body nested past the limit is a SerializationException naming the limit; one
    // within it is read (the unknown member is ignored, as on AWS).
    let endpoint = server.endpoint.clone();
    let host = authority(&endpoint).to_string();
    let call = |body: String| {
        exchange(
            &endpoint,
            format!(
                "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: AWSStepFunctions.DescribeStateMachine\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
    };
    let (status, _, body) = parts(&call(format!(
        "{{\"stateMachineArn\":\"{machine}\",\"x\":{}}}",
        nested_text(999)
    )));
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = parts(&call(format!(
        "{{\"stateMachineArn\":\"{machine}\",\"x\":{}}}",
        nested_text(1000)
    )));
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body["__type"]
        .as_str()
        .unwrap()
        .ends_with("SerializationException"));
    // AWS spells this shape's member `Message`.
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .contains("Document nesting depth (1001)"));
    // An execution input past the limit is refused with the same words.
    let error = client
        .start_execution()
        .state_machine_arn(&machine)
        .input(nested_text(1001))
        .send()
        .await
        .expect_err("1,001 levels")
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidExecutionInput"));
    assert!(error
        .message()
        .unwrap()
        .contains("Document nesting depth (1001)"));
    // One within it runs, and comes back whole as the output.
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let pass = create_machine(&client, "deep-pass", &pass).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&pass)
        .input(nested_text(1000))
        .send()
        .await
        .expect("an input of 1,000 levels is accepted")
        .execution_arn;
    let done = finished(&client, &execution).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    let output: Value = baton_api::json::from_str(done.output.as_deref().unwrap()).unwrap();
    assert_eq!(output, nested(1000));
    still_answers(&server, &machine).await;
}

/// Regression: `baton serve` installed no log subscriber, so server-side errors were
/// invisible. An execution whose journal cannot be read is reported on stderr at the next
/// start, with its ARN.
#[tokio::test(flavor = "multi_thread")]
async fn server_side_errors_reach_the_log() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Logged::start(data.path(), &[]);
    let endpoint = server.endpoint.clone();
    let client = {
        use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(&endpoint)
                .credentials_provider(Credentials::new("a", "b", None, None, "test"))
                .build(),
        )
    };
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let machine = create_machine(&client, "waits", &definition).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("start")
        .execution_arn;
    // A client error is not logged above debug.
    let missing = client
        .describe_execution()
        .execution_arn(format!("{execution}-missing"))
        .send()
        .await
        .expect_err("no such execution");
    assert_eq!(
        missing.into_service_error().code(),
        Some("ExecutionDoesNotExist")
    );
    let first_run = server.terminate();
    assert!(
        !first_run
            .iter()
            .any(|l| l.contains("ExecutionDoesNotExist")),
        "a client error was logged: {first_run:?}"
    );
    let db = rusqlite::Connection::open(data.path().join("baton.sqlite3")).expect("the store");
    db.execute("UPDATE journal SET event = 'not json'", [])
        .expect("corrupt the journal");
    drop(db);
    let restarted = Logged::start(data.path(), &[]);
    let line = restarted.line_with(&["could not resume an execution", &execution]);
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("corrupt journal entry"), "{line}");
}
