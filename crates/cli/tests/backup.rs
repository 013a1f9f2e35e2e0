//! `baton backup`: a copy taken from a running server under load is a whole store, as of one
//! commit, that `baton serve` opens as it is; a stopped server's folder is copied too; a
//! destination with something in it, or a folder with no store, is refused and nothing is
//! written.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use serde_json::json;
use support::server::{create_machine, history, start_named, Server};

const ACCOUNT: &str = "111111111111";

fn backup(data: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("backup")
        .arg("--data-dir")
        .arg(data)
        .arg(out)
        .output()
        .expect("baton backup runs")
}

fn chain() -> serde_json::Value {
    json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Pass", "End": true}
        }
    })
}

/// Every execution of `machine` the server lists, each checked whole: SUCCEEDED, its history
/// from `ExecutionStarted` to `ExecutionSucceeded` with every state entered and left.
async fn whole_executions(client: &Client, machine: &str) -> Vec<String> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_executions()
            .state_machine_arn(machine)
            .set_next_token(token)
            .send()
            .await
            .expect("list executions");
        for e in page.executions() {
            arns.push(e.execution_arn().to_string());
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    for arn in &arns {
        let described = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describe");
        assert_eq!(described.status(), &ExecutionStatus::Succeeded, "{arn}");
        let history = history(client, arn).await;
        let types: Vec<HistoryEventType> = history.iter().map(|e| e.r#type().clone()).collect();
        assert_eq!(types.len(), 8, "{arn}: {types:?}");
        assert_eq!(types.first(), Some(&HistoryEventType::ExecutionStarted));
        assert_eq!(types.last(), Some(&HistoryEventType::ExecutionSucceeded));
        let ids: Vec<i64> = history.iter().map(|e| e.id()).collect();
        assert_eq!(ids, (1..=8).collect::<Vec<i64>>(), "{arn}");
    }
    arns
}

/// A server on a data folder of its own, with the chain machine created on it.
async fn serving() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Server,
    Client,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let client = server.client(ACCOUNT);
    let machine = create_machine(&client, "chain", &chain()).await;
    (dir, data, server, client, machine)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_is_a_whole_store_that_serve_opens() {
    let (dir, data, server, client, machine) = serving().await;
    let mut before = Vec::new();
    for i in 0..40 {
        before.push(start_named(&client, &machine, &format!("before-{i}")).await);
    }

    // Starts keep coming while the copy is taken.
    let during = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|c| {
            let (client, machine) = (client.clone(), machine.clone());
            let (during, stop) = (during.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let arn = start_named(&client, &machine, &format!("during-{c}-{i}")).await;
                    during.lock().unwrap().push(arn);
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let out = dir.path().join("copy");
    let copied = {
        let (data, out) = (data.clone(), out.clone());
        tokio::task::spawn_blocking(move || backup(&data, &out))
            .await
            .unwrap()
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let stdout = String::from_utf8_lossy(&copied.stdout);
    assert!(
        copied.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(stdout.starts_with("baton: backed up "), "{stdout}");
    let during = during.lock().unwrap().clone();
    assert!(!during.is_empty(), "no start ran alongside the backup");
    drop(server);

    // The copy is a data folder of its own.
    let restored = Server::start(&out, &[]);
    let client = restored.client(ACCOUNT);
    let found = whole_executions(&client, &machine).await;
    for arn in &before {
        assert!(
            found.contains(arn),
            "{arn}, acknowledged before the backup, is missing"
        );
    }
    for arn in &found {
        assert!(
            before.contains(arn) || during.contains(arn),
            "{arn} was never started"
        );
    }
    assert!(
        stdout.contains(&format!("{} executions", found.len())),
        "the report counts what the copy holds ({} executions): {stdout}",
        found.len()
    );
    // And it runs new work.
    let next = start_named(&client, &machine, "after-restore").await;
    assert!(whole_executions(&client, &machine).await.contains(&next));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_servers_folder_is_copied_and_bad_destinations_are_refused() {
    let (dir, data, server, client, machine) = serving().await;
    let arn = start_named(&client, &machine, "one").await;
    assert!(server.terminate().success());

    // No store in the folder named.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let refused = backup(&empty, &dir.path().join("never"));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("no Baton store"), "{stderr}");
    assert!(!dir.path().join("never").join("baton.sqlite3").exists());

    // A destination with something in it is left as it was.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let refused = backup(&data, &busy);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&busy)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("notes.txt")]);
    assert_eq!(
        std::fs::read_to_string(busy.join("notes.txt")).unwrap(),
        "mine"
    );

    // With no server running, the folder is copied all the same.
    let out = dir.path().join("copy");
    let copied = backup(&data, &out);
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let restored = Server::start(&out, &[]);
    let found = whole_executions(&restored.client(ACCOUNT), &machine).await;
    assert_eq!(found, vec![arn]);
}
