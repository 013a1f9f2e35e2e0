//! The `function` workload: StartSyncExecution of an EXPRESS machine whose one Task calls a
//! command function (`cat`, configured by the server bench starts: it answers the event it
//! reads). One client first, to see the latency Baton adds over spawning the process directly;
//! then every client, for invocations/s.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::express::{self, Workload};
use super::report::Report;
use super::stats::{self, Latencies};
use super::Ctx;

/// How long the one-client phase lasts.
const ONE_CLIENT: Duration = Duration::from_secs(3);

/// The output of the Echo task for the input `{"x": x}` is that input.
fn echoed(output: Option<&str>, x: u64) -> bool {
    output
        .and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
        .is_some_and(|v| v == json!({ "x": x }))
}

/// Spawns `cat` with the event on stdin and reads it back, as a function call does, `n` times.
async fn direct_spawns(n: usize) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::default();
    let event = br#"{"x":1}"#;
    for _ in 0..n {
        let began = Instant::now();
        let mut child = tokio::process::Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning cat")?;
        let mut stdin = child.stdin.take().context("cat's stdin")?;
        stdin.write_all(event).await?;
        drop(stdin);
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .context("cat's stdout")?
            .read_to_end(&mut out)
            .await?;
        child.wait().await?;
        latencies.push(began.elapsed());
    }
    Ok(latencies)
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Report> {
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:Echo";
    let workload = |suffix: &str| Workload {
        name: format!("bench-function-{suffix}-{}", ctx.run_id),
        definition: json!({"StartAt": "Echo", "States": {
            "Echo": {"Type": "Task", "Resource": arn, "End": true}}}),
        states: 1,
        check: echoed,
    };
    let direct = direct_spawns(200).await?;
    let (direct_text, direct_json) = stats::latency(direct);
    let one = express::run_machine(ctx, &workload("one"), 1, ONE_CLIENT).await?;
    let mut report = express::run_machine(ctx, &workload("all"), ctx.clients, ctx.duration)
        .await?
        .titled(
            "function",
            format!(
                "EXPRESS machine with one Task on a command function (`cat`); {} clients calling StartSyncExecution",
                ctx.clients
            ),
        );
    report.add(
        "spawning cat directly",
        direct_text,
        "direct_spawn_latency",
        direct_json,
    );
    report.add(
        "one client",
        one.row_text("StartSyncExecution").unwrap_or_default(),
        "one_client",
        one.json_field("latency"),
    );
    for p in one.problems() {
        report.problem(format!("one client: {p}"));
    }
    Ok(report)
}
