//! What a definition or a request cannot do to `baton serve` through its Task resources and
//! its S3 endpoint: choose code through an ECS task's environment, run the same work from two
//! servers on one data folder, follow a linked bucket folder out of the storage root, smuggle
//! framing headers through the HTTP task, or make the server hold an upload in memory. Each
//! test also checks that the server keeps answering `/health` and DescribeStateMachine.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use support::server::{create_machine, finished, http_get, Server};

/// The fixtures the integration crate's tests run as functions and tasks.
fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../integrations/tests/fixtures")
}

/// The server still answers: `/health`, and DescribeStateMachine of `machine`.
async fn still_answers(server: &Server, client: &aws_sdk_sfn::Client, machine: &str) {
    assert_eq!(http_get(&server.endpoint, "/health").0, 200);
    let described = client
        .describe_state_machine()
        .state_machine_arn(machine)
        .send()
        .await
        .expect("DescribeStateMachine answers");
    assert_eq!(described.state_machine_arn, machine);
}

/// Runs `definition` as a new machine with `input`; the machine's ARN and how it ended.
async fn run(
    client: &aws_sdk_sfn::Client,
    name: &str,
    definition: Value,
    input: Value,
) -> (
    String,
    aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput,
) {
    let machine = create_machine(client, name, &definition).await;
    let started = client
        .start_execution()
        .state_machine_arn(&machine)
        .input(input.to_string())
        .send()
        .await
        .expect("started");
    let done = finished(client, &started.execution_arn).await;
    (machine, done)
}

/// The S3 endpoint's `host:port`.
fn s3_authority(server: &Server) -> String {
    server
        .storage_line
        .strip_prefix("baton: S3 on http://")
        .unwrap_or_else(|| panic!("unexpected line {:?}", server.storage_line))
        .trim_end_matches('/')
        .to_string()
}

/// One raw HTTP/1.1 request to the S3 endpoint with `body`: the status and the body.
fn s3_request(authority: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(authority).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("head");
    stream.write_all(body).expect("body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// A definition whose only state is one Task with `resource` and `parameters`.
fn task(resource: &str, parameters: Value) -> Value {
    json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": true}}})
}

/// Issue part 3: a `sitecustomize.py` uploaded through the unauthenticated S3 endpoint, and
/// `PYTHONPATH` (or `LD_PRELOAD`) pointing at its bucket folder in an ECS container override,
/// ran that code as the Baton user. Only the family's `allow_env` names may be overridden now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ecs_environment_override_outside_allow_env_fails_and_runs_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned");
    let config = dir.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "[ecs.math]\ncommand = [\"python3\", \"{}/task.py\"]\nallow_env = [\"INPUT_KEY\"]\n",
            fixtures().display()
        ),
    )
    .expect("config");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("storage/drop")).expect("bucket");
    let server = Server::start(&data, &["--config", config.to_str().expect("utf-8")]);
    let client = server.client("111111111111");
    let s3 = s3_authority(&server);
    let code = format!(
        "open({:?}, 'w').write('ran')\n",
        marker.display().to_string()
    );
    assert_eq!(
        s3_request(&s3, "PUT", "/drop/sitecustomize.py", code.as_bytes()).0,
        200
    );
    let bucket = data.join("storage/drop");
    for (i, (name, value)) in [
        ("PYTHONPATH", bucket.display().to_string()),
        ("LD_PRELOAD", bucket.join("x.so").display().to_string()),
    ]
    .into_iter()
    .enumerate()
    {
        let (machine, done) = run(
            &client,
            &format!("ecs-env-{i}"),
            task(
                "arn:aws:states:::ecs:runTask.sync",
                json!({"TaskDefinition": "math", "Overrides": {"ContainerOverrides": [
                    {"Name": "calc", "Environment": [{"Name": name, "Value": value}]}]}}),
            ),
            json!({}),
        )
        .await;
        assert_eq!(
            done.status,
            aws_sdk_sfn::types::ExecutionStatus::Failed,
            "{name}"
        );
        assert_eq!(done.error.as_deref(), Some("ECS.AmazonECSException"));
        let cause = done.cause.unwrap_or_default();
        assert!(
            cause.starts_with(&format!(
                "The environment variable {name} cannot be overridden for the task definition family math"
            )),
            "{cause}"
        );
        still_answers(&server, &client, &machine).await;
    }
    assert!(!marker.exists(), "the uploaded code ran");
    // The allowed name still reaches the task.
    let (machine, done) = run(
        &client,
        "ecs-allowed",
        task(
            "arn:aws:states:::ecs:runTask.sync",
            json!({"TaskDefinition": "math", "Overrides": {"ContainerOverrides": [
                {"Name": "calc", "Environment": [{"Name": "INPUT_KEY", "Value": "k"}]}]}}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Succeeded);
    still_answers(&server, &client, &machine).await;
}

/// Issue part 5: a second `baton serve` on the same data folder resumed the same executions
/// and ran every function twice. It now refuses to start and names the first; once the first
/// is killed with SIGKILL, a restart takes the folder over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_data_folder_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let first = Server::start(&data, &[]);
    let client = first.client("111111111111");
    let machine = create_machine(
        &client,
        "kept",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let second = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--s3-bind",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data)
        .stdin(Stdio::null())
        .output()
        .expect("the second server runs");
    assert!(!second.status.success(), "the second server started");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("is in use by another process")
            && stderr.contains(&format!("process {}", first.pid())),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&second.stdout).contains("listening on"),
        "the second server listened"
    );
    still_answers(&first, &client, &machine).await;

    // The kernel drops a killed holder's lock: a restart needs no clean-up.
    first.kill_9();
    let restarted = Server::start(&data, &[]);
    let client = restarted.client("111111111111");
    still_answers(&restarted, &client, &machine).await;
}

/// Issue part 7: a bucket folder that is a symbolic link out of the storage root was followed
/// for reads, writes and deletes. It is no bucket now (`NoSuchBucket`, as S3 answers for a
/// name that names none); a linked folder inside a bucket, or a linked metadata folder, leads
/// nowhere either.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_bucket_and_metadata_folders_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret.txt"), "secret").expect("secret");
    let data = dir.path().join("data");
    let storage = data.join("storage");
    std::fs::create_dir_all(storage.join("real")).expect("bucket");
    symlink(&outside, storage.join("linked")).expect("linked bucket");
    symlink(&outside, storage.join("real/out")).expect("linked folder in a bucket");
    let server = Server::start(&data, &[]);
    let client = server.client("111111111111");
    let s3 = s3_authority(&server);

    let (status, body) = s3_request(&s3, "GET", "/linked/secret.txt", b"");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("NoSuchBucket"), "{body}");
    assert_eq!(s3_request(&s3, "PUT", "/linked/new.txt", b"x").0, 404);
    assert_eq!(s3_request(&s3, "DELETE", "/linked/secret.txt", b"").0, 404);
    assert_eq!(s3_request(&s3, "DELETE", "/linked", b"").0, 404);
    let (status, body) = s3_request(&s3, "GET", "/real/out/secret.txt", b"");
    assert_eq!(status, 403, "{body}");
    assert_eq!(s3_request(&s3, "PUT", "/real/out/new.txt", b"x").0, 403);
    assert_eq!(
        s3_request(&s3, "DELETE", "/real/out/secret.txt", b"").0,
        403
    );
    let (_, listing) = s3_request(&s3, "GET", "/", b"");
    assert!(!listing.contains("<Name>linked</Name>"), "{listing}");
    assert!(listing.contains("<Name>real</Name>"), "{listing}");

    // The metadata folder linked out: sidecars are neither read from nor written there.
    let meta_outside = dir.path().join("meta-outside");
    std::fs::create_dir_all(&meta_outside).expect("meta outside");
    symlink(&meta_outside, storage.join(".baton-meta")).expect("linked metadata");
    let (status, body) = s3_request(&s3, "PUT", "/real/k.txt", b"value");
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        std::fs::read_dir(&meta_outside)
            .expect("meta outside")
            .count(),
        0
    );

    let (machine, done) = run(
        &client,
        "linked-bucket",
        task(
            "arn:aws:states:::aws-sdk:s3:getObject",
            json!({"Bucket": "linked", "Key": "secret.txt"}),
        ),
        json!({}),
    )
    .await;
    assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("S3.NoSuchBucketException"));
    still_answers(&server, &client, &machine).await;
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.txt")).expect("kept"),
        "secret"
    );
    assert!(!outside.join("new.txt").exists());
}

/// Issue part 7: the HTTP task let a definition set `Host`, `Content-Length`,
/// `Transfer-Encoding` and `Connection` (the target received two `Host` lines). Headers AWS
/// reserves fail the task with `States.Runtime`, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_task_refuses_reserved_headers_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("baton.toml");
    std::fs::write(&config, "[http.connections.target]\n").expect("config");
    let target = std::net::TcpListener::bind("127.0.0.1:0").expect("target");
    target.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}/hook", target.local_addr().expect("address"));
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let client = server.client("111111111111");
    for (i, header) in [
        "Host",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "X-Amz-Date",
    ]
    .into_iter()
    .enumerate()
    {
        let (machine, done) = run(
            &client,
            &format!("http-header-{i}"),
            task(
                "arn:aws:states:::http:invoke",
                json!({"ApiEndpoint": url, "Method": "POST",
                    "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:111111111111:connection/target/1"},
                    "Headers": {header: "evil.test"}, "RequestBody": {"a": 1}}),
            ),
            json!({}),
        )
        .await;
        assert_eq!(done.status, aws_sdk_sfn::types::ExecutionStatus::Failed);
        assert_eq!(done.error.as_deref(), Some("States.Runtime"), "{header}");
        let cause = done.cause.unwrap_or_default();
        assert!(
            cause.contains(&format!("the header '{header}' cannot be set")),
            "{cause}"
        );
        still_answers(&server, &client, &machine).await;
    }
    assert!(target.accept().is_err(), "the task connected to the target");
}

/// VmHWM (peak resident memory) of process `pid`, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number");
    kib * 1024
}

/// Byte `i` of the large test object: not all one value, so a misplaced piece shows.
fn pattern(i: u64) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 13)) as u8
}

const LARGE: u64 = 64 * 1024 * 1024;

/// PUT of `LARGE` pattern bytes, as a plain body or `aws-chunked` (as SDKs stream uploads).
fn put_large(authority: &str, path: &str, chunked: bool) -> u16 {
    let mut stream = TcpStream::connect(authority).expect("connect");
    let piece = 1024 * 1024;
    if chunked {
        // Each chunk: `<hex size>;chunk-signature=…\r\n<bytes>\r\n`; the body's length counts
        // the framing.
        let header_len = |n: u64| format!("{n:x};chunk-signature={}\r\n", "0".repeat(64)).len();
        let chunks = LARGE / piece;
        let framed = chunks * (header_len(piece) as u64 + piece + 2) + header_len(0) as u64 + 2;
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {framed}\r\n\
             Content-Encoding: aws-chunked\r\nx-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n\
             x-amz-decoded-content-length: {LARGE}\r\nConnection: close\r\n\r\n"
        )
        .expect("head");
    } else {
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {LARGE}\r\nConnection: close\r\n\r\n"
        )
        .expect("head");
    }
    let mut buf = vec![0u8; piece as usize];
    let mut at = 0u64;
    while at < LARGE {
        for (j, b) in buf.iter_mut().enumerate() {
            *b = pattern(at + j as u64);
        }
        if chunked {
            write!(stream, "{piece:x};chunk-signature={}\r\n", "0".repeat(64)).expect("chunk");
            stream.write_all(&buf).expect("data");
            stream.write_all(b"\r\n").expect("crlf");
        } else {
            stream.write_all(&buf).expect("data");
        }
        at += piece;
    }
    if chunked {
        write!(stream, "0;chunk-signature={}\r\n\r\n", "0".repeat(64)).expect("last chunk");
    }
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    status
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// GET of the large object: its bytes are checked against the pattern as they arrive.
fn get_large(authority: &str, path: &str) {
    let mut stream = TcpStream::connect(authority).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("head line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {LARGE}")),
        "{head}"
    );
    let mut buf = vec![0u8; 256 * 1024];
    let mut at = 0u64;
    loop {
        let n = reader.read(&mut buf).expect("body");
        if n == 0 {
            break;
        }
        for (j, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, pattern(at + j as u64), "byte {}", at + j as u64);
        }
        at += n as u64;
    }
    assert_eq!(at, LARGE);
}

/// Issue part 7: the S3 endpoint held a whole object in memory three times over (a 1 GiB PUT
/// took 3 GiB). Bodies stream to and from disk now: the server's peak memory grows by less
/// than one object's size over a plain PUT, an `aws-chunked` PUT, a copy and GETs of 64 MiB
/// each.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_stream_through_the_s3_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("storage/big")).expect("bucket");
    let server = Server::start(&data, &[]);
    let client = server.client("111111111111");
    let machine = create_machine(
        &client,
        "alive",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let s3 = s3_authority(&server);
    // Warm the paths once with a small object, so what is measured is the large ones.
    assert_eq!(s3_request(&s3, "PUT", "/big/small", b"small").0, 200);
    assert_eq!(s3_request(&s3, "GET", "/big/small", b"").1, "small");
    let before = peak_rss(server.pid());

    assert_eq!(put_large(&s3, "/big/plain", false), 200);
    assert_eq!(put_large(&s3, "/big/chunked", true), 200);
    let stored = |key: &str| std::fs::metadata(data.join("storage/big").join(key)).expect(key);
    assert_eq!(stored("plain").len(), LARGE);
    assert_eq!(stored("chunked").len(), LARGE);
    get_large(&s3, "/big/plain");
    get_large(&s3, "/big/chunked");
    // CopyObject copies file to file, a piece at a time, too.
    let mut stream = TcpStream::connect(&s3).expect("connect");
    write!(
        stream,
        "PUT /big/copy HTTP/1.1\r\nHost: {s3}\r\nx-amz-copy-source: /big/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("copy request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("copy answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    get_large(&s3, "/big/copy");
    still_answers(&server, &client, &machine).await;

    let grown = peak_rss(server.pid()).saturating_sub(before);
    eprintln!("peak memory grew by {grown} bytes moving {LARGE}-byte objects");
    assert!(
        grown < LARGE,
        "peak memory grew by {grown} bytes moving {LARGE}-byte objects"
    );
    // Nothing of the temporary files is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(data.join("storage/big"))
        .expect("bucket")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".baton-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
