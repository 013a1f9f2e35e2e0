//! The `callback` workload: activity tasks answered one at a time, across nodes when bench
//! started several. Each round starts an execution (one Task state on an activity) on node
//! `i`, takes its task with `GetActivityTask` on node `i + 1`, and sends its result with
//! `SendTaskSuccess` to node `i + 2`, so with three nodes the result always reaches a node that
//! does not run the execution. Measured: the `SendTaskSuccess` call, and the time from just
//! before it until `GetExecutionHistory` on the execution's node shows `ActivitySucceeded`
//! (polled back to back: an upper bound, which includes the call itself and one history read).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use super::client::{create_machine, Client};
use super::report::Report;
use super::stats::{self, Latencies};
use super::Ctx;

/// How long one round may take before the workload gives up.
const ROUND_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(ctx: &Ctx, rounds: usize) -> anyhow::Result<Report> {
    let n = ctx.endpoints.len();
    let mut setup = Client::new(&ctx.endpoint);
    let activity = setup
        .call_json(
            "CreateActivity",
            &json!({"name": format!("bench-answer-{}", ctx.run_id)}),
        )
        .await?["activityArn"]
        .as_str()
        .context("CreateActivity: no activityArn")?
        .to_string();
    let machine = create_machine(
        &mut setup,
        &format!("bench-answer-{}", ctx.run_id),
        "STANDARD",
        &json!({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": activity, "End": true}}}),
    )
    .await?;
    eprintln!("bench: callback: {rounds} rounds over {n} node(s)");
    let mut clients: Vec<Client> = ctx.endpoints.iter().map(Client::new).collect();
    let mut call = Latencies::default();
    let mut seen = Latencies::default();
    let mut across = 0;
    let began = Instant::now();
    for i in 0..rounds {
        let arn = clients[i % n]
            .call_json(
                "StartExecution",
                &json!({"stateMachineArn": machine, "name": format!("c{}-{i}", ctx.run_id),
                        "input": "{}"}),
            )
            .await?["executionArn"]
            .as_str()
            .context("StartExecution: no executionArn")?
            .to_string();
        let deadline = Instant::now() + ROUND_TIMEOUT;
        let token = loop {
            let task = clients[(i + 1) % n]
                .call_json(
                    "GetActivityTask",
                    &json!({"activityArn": activity, "workerName": "bench"}),
                )
                .await?;
            if let Some(token) = task["taskToken"].as_str() {
                break token.to_string();
            }
            if Instant::now() > deadline {
                bail!("no task for {arn} within {ROUND_TIMEOUT:?}");
            }
        };
        let answer = (i + 2) % n;
        across += usize::from(answer != i % n);
        let t = Instant::now();
        clients[answer]
            .call_json(
                "SendTaskSuccess",
                &json!({"taskToken": token, "output": "{}"}),
            )
            .await?;
        call.push(t.elapsed());
        loop {
            let history = clients[i % n]
                .call_json(
                    "GetExecutionHistory",
                    &json!({"executionArn": arn, "reverseOrder": true, "maxResults": 5}),
                )
                .await?;
            let done = history["events"]
                .as_array()
                .is_some_and(|events| events.iter().any(|e| e["type"] == "ActivitySucceeded"));
            if done {
                seen.push(t.elapsed());
                break;
            }
            if Instant::now() > deadline {
                bail!("{arn}: no ActivitySucceeded within {ROUND_TIMEOUT:?}");
            }
        }
    }
    let secs = began.elapsed().as_secs_f64();
    let mut report = Report::new(
        "callback",
        format!(
            "activity tasks answered one at a time: started on node i, taken on node i+1, answered on node i+2 of {n}"
        ),
    );
    report.add(
        "rounds",
        format!(
            "{} in {secs:.1} s; {across} answered on a node that does not run the execution",
            stats::int(rounds as u64)
        ),
        "rounds",
        rounds as u64,
    );
    report.field("answered_elsewhere", across as u64);
    report.field("nodes", n as u64);
    let (text, value) = stats::latency(call);
    report.add("SendTaskSuccess call", text, "send_task_success_ms", value);
    let (text, value) = stats::latency(seen);
    report.add(
        "to ActivitySucceeded",
        format!("{text} (from before the call until a history read shows it)"),
        "to_succeeded_ms",
        value,
    );
    Ok(report)
}
