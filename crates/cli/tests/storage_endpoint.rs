//! `[storage] endpoint`: Task buckets on an external S3-compatible endpoint, here another
//! `baton serve`'s S3 endpoint. `baton run` and `baton serve` configured with it run a
//! definition whose Task states put and get an object there, and the object is in that
//! server's storage folder; a `baton serve` so configured starts no S3 endpoint of its own, and
//! runs a distributed Map whose reader and writer use the endpoint.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::server::{create_machine, finished, Server};

/// Puts `{"hello": <name>}` into the bucket `shared`, then reads it back.
fn definition() -> Value {
    json!({"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": "shared", "Key": "greeting.json", "Body": {"hello.$": "$.name"}},
            "ResultPath": "$.put", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "shared", "Key": "greeting.json"},
            "ResultSelector": {"Body.$": "$.Body", "ContentLength.$": "$.ContentLength"},
            "End": true}}})
}

/// A `baton serve` whose local buckets (with the bucket `shared`) are the external endpoint;
/// its S3 URL.
fn storage_server(dir: &Path) -> (Server, String) {
    let data = dir.join("storage-server");
    std::fs::create_dir_all(data.join("storage/shared")).expect("bucket folder");
    let server = Server::start(&data, &[]);
    let s3 = server.s3_endpoint();
    (server, s3)
}

fn write_config(dir: &Path, s3: &str) -> std::path::PathBuf {
    let path = dir.join("baton.toml");
    std::fs::write(
        &path,
        format!("[storage]\nendpoint = \"{s3}\"\naccess_key_id = \"id\"\nsecret_access_key = \"secret\"\n"),
    )
    .expect("config written");
    path
}

fn stored(server: &Server) -> Value {
    let path = server.data_dir.join("storage/shared/greeting.json");
    serde_json::from_slice(&std::fs::read(path).expect("the object is in the folder")).unwrap()
}

/// Starts an execution of `machine` with `input` and answers its output once it succeeded.
async fn succeeded(client: &aws_sdk_sfn::Client, machine: &str, input: Value) -> Value {
    let started = client
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .expect("started");
    let done = finished(client, &started.execution_arn).await;
    assert_eq!(
        done.status,
        aws_sdk_sfn::types::ExecutionStatus::Succeeded,
        "{:?} {:?}",
        done.error,
        done.cause
    );
    serde_json::from_str(done.output.as_deref().expect("output")).unwrap()
}

#[test]
fn baton_run_puts_and_gets_objects_on_the_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, s3) = storage_server(dir.path());
    write_config(dir.path(), &s3);
    std::fs::write(
        dir.path().join("machine.asl.json"),
        definition().to_string(),
    )
    .expect("definition written");
    let output = support::baton_in(
        dir.path(),
        &[
            "run",
            "machine.asl.json",
            "--input",
            r#"{"name": "run"}"#,
            "--output",
            "json",
            "--config",
            "baton.toml",
            "--data-dir",
            "data",
        ],
    )
    .succeeded_output();
    assert_eq!(
        output,
        json!({"Body": r#"{"hello":"run"}"#, "ContentLength": 15})
    );
    assert_eq!(stored(&server), json!({"hello": "run"}));
    assert!(
        !dir.path().join("data/storage").exists(),
        "nothing is stored in the run's own data folder"
    );
}

#[tokio::test]
async fn baton_serve_puts_and_gets_objects_on_the_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, s3) = storage_server(dir.path());
    let config = write_config(dir.path(), &s3);
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    assert_eq!(
        server.storage_line,
        format!("baton: Task buckets at {s3} (no S3 endpoint started)")
    );
    let client = server.client("111111111111");
    let arn = create_machine(&client, "greeter", &definition()).await;
    let output = succeeded(&client, &arn, json!({"name": "serve"})).await;
    assert_eq!(
        output,
        json!({"Body": r#"{"hello":"serve"}"#, "ContentLength": 17})
    );
    assert_eq!(stored(&storage), json!({"hello": "serve"}));
    assert!(!dir.path().join("data/storage").exists());
}

/// A distributed Map on a server whose buckets are on the endpoint: items from an Athena
/// manifest's JSON Lines files there, results written back there, and the children listed as
/// executions of the map run.
#[tokio::test]
async fn a_distributed_map_reads_and_writes_on_the_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (storage, s3) = storage_server(dir.path());
    let shared = storage.data_dir.join("storage/shared/athena");
    std::fs::create_dir_all(&shared).expect("folder");
    for (name, text) in [
        ("part-0.jsonl", "{\"n\": 1}\n{\"n\": 2}\n"),
        ("part-1.jsonl", "{\"n\": 3}\n"),
        (
            "manifest.csv",
            "s3://shared/athena/part-0.jsonl\ns3://shared/athena/part-1.jsonl\n",
        ),
    ] {
        std::fs::write(shared.join(name), text).expect("object written");
    }
    let config = write_config(dir.path(), &s3);
    let server = Server::start(
        &dir.path().join("data"),
        &["--config", config.to_str().expect("utf-8")],
    );
    let client = server.client("111111111111");
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Doubling",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "JSONL"},
            "Parameters": {"Bucket": "shared", "Key": "athena/manifest.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Double", "States": {"Double": {"Type": "Pass",
                "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "shared", "Prefix": "out"}},
        "End": true}}});
    let arn = create_machine(&client, "doubler", &definition).await;
    let output = succeeded(&client, &arn, json!({})).await;
    let map_run = output["MapRunArn"].as_str().expect("a map run");
    let manifest_key = output["ResultWriterDetails"]["Key"]
        .as_str()
        .expect("a key");
    let folder = storage.data_dir.join("storage/shared");
    let read = |key: &str| -> Value {
        serde_json::from_slice(&std::fs::read(folder.join(key)).expect("written there")).unwrap()
    };
    let manifest = read(manifest_key);
    let results = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("a results file");
    let mut outputs: Vec<Value> = read(results)
        .as_array()
        .expect("records")
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().expect("output")).unwrap())
        .collect();
    outputs.sort_by_key(|o| o["doubled"].as_i64());
    assert_eq!(
        outputs,
        [
            json!({"doubled": 2}),
            json!({"doubled": 4}),
            json!({"doubled": 6})
        ]
    );
    let children = client
        .list_executions()
        .map_run_arn(map_run)
        .send()
        .await
        .expect("children");
    assert_eq!(children.executions.len(), 3);
    assert!(children
        .executions
        .iter()
        .all(|c| c.status == aws_sdk_sfn::types::ExecutionStatus::Succeeded));
    assert!(!dir.path().join("data/storage").exists());
}
