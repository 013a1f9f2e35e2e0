//! `baton serve --log-format json`: every line the server logs on stderr is one JSON object
//! with its time, level, target and fields, as a log collector reads them; `RUST_LOG` chooses
//! the levels.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn json_lines_for_a_log_collector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--s3-bind", "127.0.0.1:0"])
        .args(["--log-format", "json", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "baton=debug")
        .env_remove("BATON_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("readable");
    // Read to the end: a server whose stdout is closed dies on its next line.
    std::thread::spawn(move || for _ in lines {});
    let endpoint = first
        .strip_prefix("baton: listening on http://")
        .expect("the address")
        .to_string();
    // A request the server refuses, which it logs at debug level.
    assert_eq!(refused_request(&endpoint), 400);
    let _ = child.kill();
    let _ = child.wait();
    let stderr = child.stderr.take().expect("stderr");
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .collect();
    let logged: Vec<Value> = lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert!(
        logged.iter().any(|v| v["level"] == "DEBUG"
            && v["fields"]["message"] == "request rejected"
            && v["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("baton_server"))
            && v["timestamp"].is_string()),
        "{lines:#?}"
    );
    // Only the lines printed for people before the log starts are not JSON.
    for line in lines.iter().filter(|l| !l.starts_with('{')) {
        assert!(
            line.starts_with("baton:"),
            "{line:?} is neither JSON nor a notice"
        );
    }
}

/// `POST /` with an unknown target to the server at `authority` (listening since it said so):
/// the status it answered.
fn refused_request(authority: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(authority).expect("connected");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: AWSStepFunctions.Nope\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
