//! Several `baton serve` processes on one PostgreSQL store, for the tests that run them: a
//! node whose printed lines arrive on a channel, signals, and waiting for the partitions to
//! settle on the nodes rendezvous hashing gives them to.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use std::sync::Arc;

use baton_runtime::node::owner_of;
use baton_store::Store;
use baton_store_postgres::testing::TestSchema;

use super::server::client_at;

/// A `baton serve` process whose printed lines arrive on a channel.
pub struct Node {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub endpoint: String,
    _data: tempfile::TempDir,
}

/// Where a node's log goes: a new file in `BATON_NODES_LOGS` when that names a folder (to
/// follow one execution through every node after a failure), else the test's own stderr.
fn log_file() -> Stdio {
    let Some(dir) = std::env::var_os("BATON_NODES_LOGS") else {
        return Stdio::inherit();
    };
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::create_dir_all(&dir);
    let path = tempfile::Builder::new()
        .prefix("node-")
        .suffix(".log")
        .disable_cleanup(true)
        .tempfile_in(&dir)
        .map(|f| f.into_file());
    match path {
        Ok(file) => Stdio::from(file),
        Err(_) => Stdio::inherit(),
    }
}

impl Node {
    pub fn start(store: &str, lease: &str) -> Node {
        Node::start_with(store, lease, &[])
    }

    /// [`Node::start`], with more arguments for `baton serve`.
    pub fn start_with(store: &str, lease: &str, extra: &[&str]) -> Node {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["serve", "--bind", "127.0.0.1:0", "--s3-bind", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data.path())
            .args(["--store", store, "--lease", lease])
            .args(extra)
            .env_remove("BATON_STORE")
            .env_remove("AWS_ACCOUNT_ID")
            .env_remove("AWS_DEFAULT_REGION")
            .stdout(Stdio::piped())
            .stderr(log_file())
            .spawn()
            .expect("baton serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Keep draining so the process never blocks on a full pipe.
                let _ = tx.send(line);
            }
        });
        let mut node = Node {
            child,
            lines,
            endpoint: String::new(),
            _data: data,
        };
        node.endpoint = node.wait_for("baton: listening on ", Duration::from_secs(60));
        node
    }

    /// Waits for a line starting with `prefix`; the rest of it.
    pub fn wait_for(&mut self, prefix: &str, within: Duration) -> String {
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

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    pub fn client(&self) -> aws_sdk_sfn::Client {
        client_at(&self.endpoint, "123456789012")
    }

    /// Waits for the process to exit by itself.
    pub fn exits(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many partitions each live owner has, by owner.
pub async fn shares(store: &dyn Store) -> BTreeMap<String, usize> {
    let mut by_owner = BTreeMap::new();
    for o in store.owners().await.expect("owners") {
        if let (Some(owner), true) = (o.owner, o.owner_alive) {
            *by_owner.entry(owner).or_insert(0) += 1;
        }
    }
    by_owner
}

/// Waits until `nodes` live nodes own every partition between them, each the partitions
/// rendezvous hashing gives it among them; the shares.
pub async fn spread_over(
    store: &dyn Store,
    nodes: usize,
    within: Duration,
) -> BTreeMap<String, usize> {
    let deadline = Instant::now() + within;
    loop {
        // (A server restarted meanwhile fails a read or two of the test's own store.)
        let (owners, live) = match (store.owners().await, store.live_nodes().await) {
            (Ok(o), Ok(l)) => (o, l),
            (o, l) => {
                assert!(
                    Instant::now() < deadline,
                    "the store did not answer within {within:?}: {:?} {:?}",
                    o.err(),
                    l.err()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let live: Vec<String> = live
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| owners.iter().any(|o| o.owner.as_deref() == Some(id)))
            .collect();
        let ids: Vec<&str> = live.iter().map(String::as_str).collect();
        let settled = live.len() == nodes
            && owners
                .iter()
                .all(|o| o.owner_alive && o.owner.as_deref() == owner_of(o.partition, &ids));
        if settled {
            return shares(store).await;
        }
        assert!(
            Instant::now() < deadline,
            "partitions not spread over {nodes} nodes within {within:?}: {:?}",
            shares(store).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What a test of several nodes needs: a runtime of its own, the store the nodes share (opened
/// by the test too, to watch its partitions), the URL the nodes open it with, and the name
/// their sessions carry there (`application_name`), so that ending those ends only theirs.
pub struct Shared {
    pub rt: tokio::runtime::Runtime,
    pub store: Arc<dyn Store>,
    pub url: String,
    pub session: String,
}

impl Shared {
    pub fn open(schema: &TestSchema, label: &str) -> Shared {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = format!("baton-{label}-{}", std::process::id());
        let url = format!("{}&application_name={session}", schema.url);
        let store: Arc<dyn Store> = rt.block_on(async {
            Arc::new(
                baton_store_postgres::PgStore::open(&schema.url)
                    .await
                    .expect("store"),
            )
        });
        Shared {
            rt,
            store,
            url,
            session,
        }
    }
}
