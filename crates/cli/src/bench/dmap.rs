//! The `dmap` workload: one STANDARD execution of a distributed Map over a bucket of small
//! objects in the server's local storage. The Map lists them (`ItemReader` on
//! `s3:listObjectsV2`), runs one child per object, and writes the children's results back
//! (`ResultWriter`). Two processors: a Pass (what the Map itself costs per item), and a Task
//! that reads its object (`aws-sdk:s3:getObject`). Reported: items per second from
//! StartExecution to SUCCEEDED, each round on its own.
//!
//! The objects are written straight into the spawned server's data folder (a folder is a
//! bucket, a file an object), so this workload needs a server bench starts.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::client::{create_machine, Client};
use super::report::Report;
use super::stats;
use super::Ctx;

/// How long one round may take before it counts as failed.
const ROUND_TIMEOUT: Duration = Duration::from_secs(600);

fn definition(bucket: &str, processor: Value) -> Value {
    json!({
        "StartAt": "EachObject",
        "States": {
            "EachObject": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "Parameters": {"Bucket": bucket, "Prefix": "items/"}
                },
                "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "bucket": bucket},
                "MaxConcurrency": 1000,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Process",
                    "States": {"Process": processor}
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": bucket, "Prefix": "results"}
                },
                "End": true
            }
        }
    })
}

fn pass() -> Value {
    json!({"Type": "Pass", "End": true})
}

fn get_object() -> Value {
    json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
        "ResultSelector": {"length.$": "$.ContentLength"},
        "End": true
    })
}

/// Writes `n` objects of a few bytes under `items/` in a new bucket of the server's storage.
fn fill_bucket(data_dir: &std::path::Path, bucket: &str, n: u64) -> anyhow::Result<()> {
    let dir = data_dir.join("storage").join(bucket).join("items");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for i in 0..n {
        std::fs::write(dir.join(format!("{i:06}.json")), format!("{{\"i\":{i}}}"))
            .context("writing an object")?;
    }
    Ok(())
}

/// Starts the machine and waits for its end; the time it took and the end's description.
async fn one_round(
    client: &mut Client,
    machine: &str,
    name: &str,
) -> anyhow::Result<(Duration, Value)> {
    let began = Instant::now();
    let started = client
        .call_json(
            "StartExecution",
            &json!({"stateMachineArn": machine, "name": name, "input": "{}"}),
        )
        .await?;
    let arn = started["executionArn"]
        .as_str()
        .context("StartExecution: no executionArn")?
        .to_owned();
    loop {
        let described = client
            .call_json("DescribeExecution", &json!({"executionArn": arn}))
            .await?;
        if described["status"] != "RUNNING" {
            return Ok((began.elapsed(), described));
        }
        if began.elapsed() > ROUND_TIMEOUT {
            bail!("{arn} still RUNNING after {ROUND_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(ctx: &Ctx, objects: u64, rounds: usize) -> anyhow::Result<Report> {
    let Some(server) = &ctx.server else {
        bail!("the dmap workload writes its objects into the server's data folder: run it without --endpoint");
    };
    let bucket = format!("bench-dmap-{}", ctx.run_id.to_lowercase());
    fill_bucket(&server.data_dir, &bucket, objects)?;
    let mut report = Report::new(
        "dmap",
        format!(
            "a distributed Map over {} objects in local storage (listObjectsV2 reader, MaxConcurrency 1000, ResultWriter), start to SUCCEEDED",
            stats::int(objects)
        ),
    );
    report.field("objects", objects);
    let mut setup = Client::new(&ctx.endpoint);
    for (label, processor) in [("Pass", pass()), ("s3:getObject", get_object())] {
        let machine = create_machine(
            &mut setup,
            &format!("bench-dmap-{}-{}", label.replace(':', "-"), ctx.run_id),
            "STANDARD",
            &definition(&bucket, processor),
        )
        .await?;
        let mut rates = Vec::new();
        for round in 0..rounds {
            let name = format!("r{round}");
            let (took, described) = one_round(&mut setup, &machine, &name).await?;
            if described["status"] != "SUCCEEDED" {
                report.problem(format!(
                    "{label}: round {round} ended {}: {} {}",
                    described["status"], described["error"], described["cause"]
                ));
                continue;
            }
            rates.push(objects as f64 / took.as_secs_f64());
        }
        let text = rates
            .iter()
            .map(|r| format!("{} items/s", stats::rate(*r)))
            .collect::<Vec<_>>()
            .join(", ");
        report.add(
            &format!("processor {label}"),
            text,
            &format!("items_per_s_{}", label.replace(':', "_")),
            json!(rates.iter().map(|r| stats::round1(*r)).collect::<Vec<_>>()),
        );
    }
    Ok(report)
}
