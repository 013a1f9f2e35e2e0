//! Two and three `baton serve` processes on one PostgreSQL store (a fresh schema on the test
//! server): one serves, the others stand by. Killed with SIGKILL, the serving node is replaced
//! as soon as a standby finds its process gone (well before its one-minute lease would run
//! out), and the new one finishes what the old one had started.
//! Paused past its lease (SIGSTOP), it is replaced the same way; resumed (SIGCONT), its writes
//! are refused by the store and it stops, so nothing runs twice. Histories are checked whole:
//! event ids contiguous from 1, each Wait left once.
//!
//! Skips, saying why, without a PostgreSQL server (a failure under `BATON_CI_STRICT=1`).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_store_postgres::testing::TestSchema;
use serde_json::{json, Value};
use support::server::{client_at, create_machine, finished};

/// A `baton serve` process whose printed lines arrive on a channel.
struct Node {
    child: Child,
    lines: mpsc::Receiver<String>,
    endpoint: Option<String>,
    _data: tempfile::TempDir,
}

impl Node {
    fn start(store: &str, lease: &str) -> Node {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["serve", "--bind", "127.0.0.1:0", "--s3-bind", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data.path())
            .args(["--store", store, "--lease", lease])
            .env_remove("BATON_STORE")
            .env_remove("AWS_ACCOUNT_ID")
            .env_remove("AWS_DEFAULT_REGION")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("baton serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Keep draining so the process never blocks on a full pipe.
                }
            }
        });
        Node {
            child,
            lines,
            endpoint: None,
            _data: data,
        }
    }

    /// Waits for a line starting with `prefix`; the rest of it.
    fn wait_for(&mut self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_string();
                    }
                }
                Err(_) => panic!("no line starting {prefix:?} within {within:?}"),
            }
        }
    }

    fn serving(&mut self, within: Duration) -> String {
        let endpoint = self.wait_for("baton: listening on ", within);
        self.endpoint = Some(endpoint.clone());
        endpoint
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(endpoint: &str) -> aws_sdk_sfn::Client {
    client_at(endpoint, "123456789012")
}

/// Waits for the execution to succeed; its history's event types.
async fn succeeded(client: &aws_sdk_sfn::Client, arn: &str) -> Vec<String> {
    let d = finished(client, arn).await;
    assert_eq!(d.status().as_str(), "SUCCEEDED", "{arn}");
    let history = client
        .get_execution_history()
        .execution_arn(arn)
        .max_results(1000)
        .send()
        .await
        .expect("history");
    let ids: Vec<i64> = history.events().iter().map(|e| e.id()).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "{arn}: event ids contiguous from 1"
    );
    history
        .events()
        .iter()
        .map(|e| e.r#type().as_str().to_string())
        .collect()
}

fn once(types: &[String], t: &str) -> bool {
    types.iter().filter(|x| *x == t).count() == 1
}

const WAIT: &str = "WaitStateExited";

#[test]
fn a_standby_takes_over_from_a_killed_node_and_fences_out_a_paused_one() {
    let Some(schema) = TestSchema::create("failover") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let definition: Value = json!({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});

    // A's lease is a minute long: B takes over from it within the 30 s it is given only by
    // finding A's process gone (its presence lock free), not by waiting the lease out.
    let mut a = Node::start(&schema.url, "60");
    let a_endpoint = a.serving(Duration::from_secs(60));
    let mut b = Node::start(&schema.url, "2");
    b.wait_for("baton: standing by: node ", Duration::from_secs(60));

    // Started on A, which dies while the Wait runs.
    let first = rt.block_on(async {
        let c = client(&a_endpoint);
        let machine = create_machine(&c, "failover", &definition).await;
        c.start_execution()
            .state_machine_arn(&machine)
            .name("first")
            .input("{}")
            .send()
            .await
            .expect("start")
            .execution_arn
    });
    a.signal("KILL");
    let killed = Instant::now();
    let b_endpoint = b.serving(Duration::from_secs(30));
    println!(
        "takeover after kill -9: {:.1} s (lease 60 s)",
        killed.elapsed().as_secs_f64()
    );
    let types = rt.block_on(succeeded(&client(&b_endpoint), &first));
    assert!(once(&types, WAIT), "{types:?}");

    // B pauses past its lease while an execution waits; C takes over and finishes it.
    let mut c = Node::start(&schema.url, "2");
    c.wait_for("baton: standing by: node ", Duration::from_secs(60));
    let second = rt.block_on(async {
        let cl = client(&b_endpoint);
        let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:failover";
        cl.start_execution()
            .state_machine_arn(machine)
            .name("second")
            .input("{}")
            .send()
            .await
            .expect("start")
            .execution_arn
    });
    b.signal("STOP");
    let paused = Instant::now();
    let c_endpoint = c.serving(Duration::from_secs(60));
    println!(
        "takeover after SIGSTOP: {:.1} s (lease 2 s)",
        paused.elapsed().as_secs_f64()
    );
    // Past the Wait's 3 s: B's timer is due when it wakes, and its write is refused.
    std::thread::sleep(Duration::from_secs(3));
    b.signal("CONT");
    let status = {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = b.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the paused node kept running after another took the store over"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert!(!status.success(), "the fenced-out node exits with an error");
    let types = rt.block_on(succeeded(&client(&c_endpoint), &second));
    assert!(once(&types, WAIT), "{types:?}");
    // The first execution is as it was: nothing written again.
    let types = rt.block_on(succeeded(&client(&c_endpoint), &first));
    assert!(once(&types, WAIT), "{types:?}");
    // The processes go before their schema does.
    drop((a, b, c));
    drop(schema);
}
