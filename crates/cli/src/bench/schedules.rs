//! The `schedules` workload: EventBridge Scheduler's ticks. Setup makes `--schedules`
//! schedules, each `rate(1 minute)` with a STANDARD 1-state Pass chain as its target, on a
//! server whose scheduler clock runs at `--schedule-time-scale` (bench starts its servers so;
//! a server at --endpoint must be started with it and with --metrics). After `--duration`, the
//! schedules are deleted and the report gives, from each node's `GET /metrics`, the ticks
//! fired and how late: from when a tick was due to when its claim and invocation were
//! committed. Every tick fired must have started its execution: the machine's executions are
//! counted against the ticks.

use std::time::{Duration, Instant};

use hyper::Method;
use serde_json::{json, Value};

use super::client::{count_executions, create_machine, Client};
use super::report::Report;
use super::server::CpuSample;
use super::{pass_chain, Ctx};

/// How long the executions of the last ticks may take to be counted.
const DRAIN: Duration = Duration::from_secs(60);

/// A metric's value in a Prometheus text exposition (the first line that names it, labels
/// included).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

pub async fn run(ctx: &Ctx, schedules: usize) -> anyhow::Result<Report> {
    let mut setup = Client::new(&ctx.endpoint);
    let machine = format!("bench-schedules-{}", ctx.run_id);
    let arn = create_machine(&mut setup, &machine, "STANDARD", &pass_chain(1)).await?;
    let names: Vec<String> = (0..schedules)
        .map(|i| format!("bench-{}-{i}", ctx.run_id))
        .collect();
    for name in &names {
        let reply = setup
            .rest(
                Method::POST,
                &format!("/schedules/{name}"),
                &json!({
                    "ScheduleExpression": "rate(1 minute)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {"Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/bench"},
                }),
            )
            .await?;
        if !reply.ok() {
            anyhow::bail!("CreateSchedule: {}", reply.error_text());
        }
    }
    eprintln!(
        "bench: schedules: {schedules} schedules at rate(1 minute) for {:?}",
        ctx.duration
    );
    let cpu_before = CpuSample::take(ctx.server_pid());
    let began = Instant::now();
    tokio::time::sleep(ctx.duration).await;
    for name in &names {
        setup
            .rest(Method::DELETE, &format!("/schedules/{name}"), &Value::Null)
            .await?;
    }
    let elapsed = began.elapsed();
    let cpu = cpu_before.until(&CpuSample::take(ctx.server_pid()));
    // Each node's figures.
    let (mut fired, mut lost, mut p50, mut p99, mut max) = (0.0, 0.0, 0.0f64, 0.0f64, 0.0f64);
    for endpoint in &ctx.endpoints {
        let reply = Client::new(endpoint).get("/metrics").await?;
        if !reply.ok() {
            anyhow::bail!(
                "GET /metrics: HTTP {} (start the server with --metrics)",
                reply.status
            );
        }
        let text = String::from_utf8_lossy(&reply.body);
        let quantile = |q: &str| {
            metric(
                &text,
                &format!("baton_schedule_tick_lateness_seconds{{quantile=\"{q}\"}}"),
            )
            .unwrap_or(0.0)
        };
        fired += metric(&text, "baton_schedule_ticks_fired_total").unwrap_or(0.0);
        lost += metric(&text, "baton_schedule_claims_lost_total").unwrap_or(0.0);
        p50 = p50.max(quantile("0.5"));
        p99 = p99.max(quantile("0.99"));
        max = max.max(quantile("1"));
    }
    let mut report = Report::new(
        "schedules",
        format!("EventBridge Scheduler: {schedules} schedules at rate(1 minute)"),
    );
    report.add(
        "ticks fired",
        format!(
            "{fired} in {:.1} s ({:.0}/s)",
            elapsed.as_secs_f64(),
            fired / elapsed.as_secs_f64()
        ),
        "ticks_fired",
        fired,
    );
    report.add(
        "lateness p50 / p99 / max",
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            p50 * 1000.0,
            p99 * 1000.0,
            max * 1000.0
        ),
        "lateness_ms",
        json!({"p50": p50 * 1000.0, "p99": p99 * 1000.0, "max": max * 1000.0}),
    );
    report.add(
        "claims lost to another node",
        format!("{lost}"),
        "claims_lost",
        lost,
    );
    // Every tick fired started one execution.
    let deadline = Instant::now() + DRAIN;
    let mut started;
    loop {
        started = count_executions(&mut setup, &arn, "SUCCEEDED").await?;
        if started as f64 >= fired || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    report.add(
        "executions started",
        format!("{started}"),
        "executions",
        started,
    );
    if started as f64 != fired {
        report.problem(format!(
            "{fired} ticks fired but {started} executions succeeded"
        ));
    }
    if fired == 0.0 {
        report.problem("no tick fired");
    }
    report.add_cpu(&cpu, fired as u64, "tick", "server_cpu_us_per_tick", 1);
    Ok(report)
}
