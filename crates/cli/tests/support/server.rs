//! `baton serve` as a real process on a loopback port, and an aws-sdk-sfn client for it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};

/// A running server process.
pub struct Server {
    child: Child,
    pub endpoint: String,
    pub data_dir: PathBuf,
    /// The second line it printed: `baton: S3 on URL`, or where the Task buckets are when they
    /// are on an external endpoint.
    #[allow(dead_code)] // Not every test binary looks at storage.
    pub storage_line: String,
}

impl Server {
    /// Starts `baton serve` on a free port with its data in `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_env(data_dir, extra, &[])
    }

    /// As [`Server::start`], with these environment variables set.
    pub fn start_env(data_dir: &Path, extra: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            // The defaults these tests expect, whatever the shell exports.
            .env_remove("AWS_ACCOUNT_ID")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("SFN_MOCK_CONFIG")
            .env_remove("BATON_STORE")
            .envs(vars.iter().copied())
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("baton serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .expect("a line from baton serve")
            .expect("readable");
        let endpoint = first
            .strip_prefix("baton: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let storage_line = lines
            .next()
            .expect("a second line from baton serve")
            .expect("readable");
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            endpoint,
            data_dir: data_dir.to_path_buf(),
            storage_line,
        }
    }

    /// `http://127.0.0.1:PORT` of the server's own S3 endpoint, from the line it printed.
    #[allow(dead_code)] // Not every test binary looks at storage.
    pub fn s3_endpoint(&self) -> String {
        self.storage_line
            .strip_prefix("baton: S3 on ")
            .unwrap_or_else(|| panic!("no S3 endpoint in {:?}", self.storage_line))
            .to_string()
    }

    /// The server's process id (to read its memory use from `/proc`).
    #[allow(dead_code)] // Not every test binary looks at the process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, and the exit status once it has shut down.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("baton serve did not stop within 10 s of SIGTERM");
    }

    /// A client signed with access key id `account` (a 12-digit id acts in that account).
    pub fn client(&self, account: &str) -> aws_sdk_sfn::Client {
        client_at(&self.endpoint, account)
    }
}

/// A client of the server at `endpoint`, signed with access key id `account`.
pub fn client_at(endpoint: &str, account: &str) -> aws_sdk_sfn::Client {
    client_with_key(endpoint, account, "secret")
}

/// A client of the server at `endpoint`, signed with this key pair.
#[allow(dead_code)] // Not every test binary has keys.
pub fn client_with_key(endpoint: &str, key_id: &str, secret: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key_id, secret, None, None, "test"))
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a state machine (role `arn:aws:iam::<account>:role/baton` of the ARN's account
/// does not matter to the server) and answers its ARN.
pub async fn create_machine(
    client: &aws_sdk_sfn::Client,
    name: &str,
    definition: &serde_json::Value,
) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::111111111111:role/baton")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {:?}", e.into_service_error()))
        .state_machine_arn
}

/// Starts an execution of `machine` with `input` (`{}` when `None`) and answers its ARN.
#[allow(dead_code)] // Not every test binary starts executions this way.
pub async fn start(client: &aws_sdk_sfn::Client, machine: &str, input: Option<String>) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .set_input(input)
        .send()
        .await
        .unwrap_or_else(|e| panic!("start {machine}: {:?}", e.into_service_error()))
        .execution_arn
}

/// Starts an execution of `machine` named `name` (input `{}`) and answers its ARN.
#[allow(dead_code)] // Not every test binary names its executions.
pub async fn start_named(client: &aws_sdk_sfn::Client, machine: &str, name: &str) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("start {name}: {:?}", e.into_service_error()))
        .execution_arn
}

/// Waits up to 30 s for the execution to end and answers how it ended.
pub async fn finished(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..600 {
        let d = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describe");
        if d.status != aws_sdk_sfn::types::ExecutionStatus::Running {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{arn} did not finish within 30 s");
}

/// `GET path` on `endpoint` (`http://HOST:PORT`) over a plain connection: the status and body.
#[allow(dead_code)] // Not every test binary reads the console's endpoints.
pub fn http_get(endpoint: &str, path: &str) -> (u16, String) {
    let authority = endpoint.trim_start_matches("http://");
    exchange(
        authority,
        &format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"),
    )
}

/// `POST /` of an AWS JSON 1.0 `operation` on `endpoint`, as a client that adds no `sync-`
/// prefix to the host sends StartSyncExecution and TestState: the status and the JSON body.
#[allow(dead_code)] // Not every test binary calls the API by hand.
pub fn http_post(
    endpoint: &str,
    operation: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    json_post(endpoint, &format!("AWSStepFunctions.{operation}"), body)
}

/// `POST /` with `X-Amz-Target: <target>` (any JSON service on the port): the status and the
/// JSON body (`null` when it is not JSON).
#[allow(dead_code)] // Not every test binary calls the API by hand.
pub fn json_post(
    endpoint: &str,
    target: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let authority = endpoint.trim_start_matches("http://");
    let body = body.to_string();
    // Step Functions speaks AWS JSON 1.0; the other services here 1.1.
    let version = if target.starts_with("AWSStepFunctions.") {
        "1.0"
    } else {
        "1.1"
    };
    let (status, answer) = exchange(
        authority,
        &format!(
            "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: {target}\r\n\
             Content-Type: application/x-amz-json-{version}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (
        status,
        serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null),
    )
}

/// A REST-JSON call (`method` `path`, a JSON body unless `Null`) on `endpoint`: the status and
/// the JSON body (`null` when it is not JSON).
#[allow(dead_code)] // Not every test binary calls a REST API by hand.
pub fn rest_call(
    endpoint: &str,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let authority = endpoint.trim_start_matches("http://");
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, answer) = exchange(
        authority,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (
        status,
        serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null),
    )
}

/// Sends `request` to `authority` on a new connection and reads the answer to its end: the
/// status and the body (de-chunked).
#[allow(dead_code)] // Not every test binary sends raw requests.
pub fn exchange(authority: &str, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    stream.write_all(request.as_bytes()).expect("request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    )
}

/// A chunked body's data.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// An execution's history events (its first 1,000), in order.
#[allow(dead_code)] // Not every test binary reads histories.
pub async fn history(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> Vec<aws_sdk_sfn::types::HistoryEvent> {
    client
        .get_execution_history()
        .execution_arn(arn)
        .max_results(1000)
        .send()
        .await
        .expect("history")
        .events
}

/// The types of an execution's history events (its first 1,000), in order.
#[allow(dead_code)] // Not every test binary reads histories.
pub async fn event_types(
    client: &aws_sdk_sfn::Client,
    arn: &str,
) -> Vec<aws_sdk_sfn::types::HistoryEventType> {
    history(client, arn)
        .await
        .into_iter()
        .map(|e| e.r#type)
        .collect()
}

/// The times (RFC 3339 strings) sorted, after checking that they are one a minute with none
/// twice and none missing: a schedule's ticks.
#[allow(dead_code)] // Only the tests of schedules read ticks.
pub fn contiguous_minutes<'a>(
    times: impl Iterator<Item = &'a serde_json::Value>,
) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut parsed: Vec<chrono::DateTime<chrono::Utc>> = times
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t.as_str().expect("a time"))
                .expect("RFC 3339")
                .with_timezone(&chrono::Utc)
        })
        .collect();
    parsed.sort();
    for pair in parsed.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            chrono::Duration::minutes(1),
            "a tick missed or fired twice: {parsed:?}"
        );
    }
    parsed
}
