//! The `describe` workload: each client calls DescribeStateMachine on one machine in a loop, the
//! lightest read there is, so what the server spends on every request (HTTP, the body, the
//! signature when `--key` signs) is most of what is measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{create_machine, Client, Endpoint};
use super::report::Report;
use super::server::CpuSample;
use super::stats::{self, Errors, Latencies};
use super::{fan_out, pass_chain, Ctx};

#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    latency: Latencies,
    errors: Errors,
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Report> {
    let mut setup = Client::new(&ctx.endpoint);
    let name = format!("bench-describe-{}", ctx.run_id);
    let arn: Arc<str> = create_machine(&mut setup, &name, "STANDARD", &pass_chain(3))
        .await?
        .into();
    eprintln!(
        "bench: {name}: {} clients for {:?}",
        ctx.clients, ctx.duration
    );
    let cpu_before = CpuSample::take(ctx.server_pid());
    let began = Instant::now();
    let deadline = began + ctx.duration;
    let tallies = fan_out(ctx.clients, |c| {
        client_loop(ctx.endpoint_for(c), arn.clone(), deadline)
    })
    .await?;
    let elapsed = began.elapsed();
    let cpu = cpu_before.until(&CpuSample::take(ctx.server_pid()));
    let mut total = Tally::default();
    for t in tallies {
        total.calls += t.calls;
        total.ok += t.ok;
        total.latency.merge(t.latency);
        total.errors.merge(t.errors);
    }
    let secs = elapsed.as_secs_f64();
    let per_s = total.ok as f64 / secs;
    let mut report = Report::new(
        "describe",
        format!(
            "DescribeStateMachine of one STANDARD machine; {} clients",
            ctx.clients
        ),
    );
    report.add(
        "load",
        format!("{secs:.2} s"),
        "elapsed_s",
        stats::round3(secs),
    );
    report.add(
        "requests/s",
        format!(
            "{} DescribeStateMachine/s; {} calls in all",
            stats::rate(per_s),
            stats::int(total.calls)
        ),
        "requests_per_s",
        stats::round1(per_s),
    );
    let (text, latency) = stats::latency(total.latency);
    report.add("DescribeStateMachine", text, "latency", latency);
    report.add_cpu(&cpu, total.ok, "request", "server_cpu_us_per_request", 1);
    report.add("errors", total.errors.text(), "errors", total.errors.json());
    if total.errors.count > 0 {
        report.problem(format!("{} errors", total.errors.count));
    }
    Ok(report)
}

async fn client_loop(endpoint: Endpoint, arn: Arc<str>, deadline: Instant) -> Tally {
    let mut client = Client::new(&endpoint);
    let body = json!({ "stateMachineArn": &*arn }).to_string();
    let mut t = Tally::default();
    while Instant::now() < deadline {
        let sent = Instant::now();
        t.calls += 1;
        match client.call("DescribeStateMachine", body.clone()).await {
            Ok(reply) if reply.ok() => {
                t.ok += 1;
                t.latency.push(sent.elapsed());
            }
            Ok(reply) => t
                .errors
                .add(format!("DescribeStateMachine: {}", reply.error_text())),
            Err(e) => {
                t.errors.add(format!("DescribeStateMachine: {e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    t
}
