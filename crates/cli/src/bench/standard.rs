//! The `standard` workload: durable executions end to end. Each client loops: StartExecution
//! of a STANDARD 3-state Pass chain (a unique name), then DescribeExecution until the
//! execution has SUCCEEDED. Afterwards ListExecutions must show every started execution as
//! SUCCEEDED.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::client::{count_executions, create_logged_machine, Client, Endpoint};
use super::report::Report;
use super::server::CpuSample;
use super::stats::{self, Errors, Latencies};
use super::{fan_out, pass_chain, pass_chain_output_ok, Ctx};

/// States entered per execution: the chain is three Pass states, each one `PassStateEntered`.
const STATES: usize = 3;
/// Every this-many executions a client checks the output (the rest only their status).
const CHECK_EVERY: u64 = 16;
/// How long one execution may stay RUNNING before it counts as an error.
const EXECUTION_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Tally {
    started: u64,
    succeeded: u64,
    describes: u64,
    checked: u64,
    to_succeeded: Latencies,
    start_call: Latencies,
    errors: Errors,
}

#[derive(Deserialize)]
struct Started {
    #[serde(rename = "executionArn")]
    execution_arn: String,
}

#[derive(Deserialize)]
struct Described {
    status: String,
    output: Option<String>,
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Report> {
    let mut setup = Client::new(&ctx.endpoint);
    let machine = format!("bench-standard-{}", ctx.run_id);
    let arn: Arc<str> = create_logged_machine(
        &mut setup,
        &machine,
        "STANDARD",
        &pass_chain(STATES),
        ctx.logging.as_ref(),
    )
    .await?
    .into();
    eprintln!(
        "bench: standard: {} clients for {:?} on {machine}",
        ctx.clients, ctx.duration
    );
    let cpu_before = CpuSample::take(ctx.server_pid());
    let began = Instant::now();
    let deadline = began + ctx.duration;
    let tallies = fan_out(ctx.clients, |c| {
        let endpoint = ctx.endpoint_for(c);
        let arn = arn.clone();
        let prefix = format!("s{}-{c}", ctx.run_id);
        client_loop(endpoint, arn, prefix, c as u64, deadline)
    })
    .await?;
    let elapsed = began.elapsed();
    let cpu = cpu_before.until(&CpuSample::take(ctx.server_pid()));

    let mut total = Tally::default();
    for t in tallies {
        total.started += t.started;
        total.succeeded += t.succeeded;
        total.describes += t.describes;
        total.checked += t.checked;
        total.to_succeeded.merge(t.to_succeeded);
        total.start_call.merge(t.start_call);
        total.errors.merge(t.errors);
    }

    let secs = elapsed.as_secs_f64();
    let mut report = Report::new(
        "standard",
        format!(
            "STANDARD {STATES}-state Pass chain; {} clients each StartExecution, then DescribeExecution until SUCCEEDED",
            ctx.clients
        ),
    );
    report.add(
        "load",
        format!("{secs:.2} s (until the last execution begun had finished)"),
        "elapsed_s",
        stats::round3(secs),
    );
    report.add(
        "executions",
        format!(
            "{} started, {} seen SUCCEEDED",
            stats::int(total.started),
            stats::int(total.succeeded)
        ),
        "started",
        total.started,
    );
    report.field("succeeded", total.succeeded);
    let per_s = total.succeeded as f64 / secs;
    report.add(
        "executions/s",
        stats::rate(per_s),
        "executions_per_s",
        stats::round1(per_s),
    );
    report.add(
        "transitions/s",
        format!(
            "{} ({STATES} states entered per execution)",
            stats::rate(per_s * STATES as f64)
        ),
        "transitions_per_s",
        stats::round1(per_s * STATES as f64),
    );
    let (text, json) = stats::latency(total.to_succeeded);
    report.add("start→SUCCEEDED", text, "start_to_succeeded", json);
    let (text, json) = stats::latency(total.start_call);
    report.add("StartExecution call", text, "start_call", json);
    let per_execution = if total.started > 0 {
        total.describes as f64 / total.started as f64
    } else {
        0.0
    };
    report.add(
        "describes/execution",
        format!("{per_execution:.3}"),
        "describes_per_execution",
        stats::round3(per_execution),
    );
    report.add_cpu(
        &cpu,
        total.succeeded,
        "execution (StartExecution + DescribeExecution)",
        "server_cpu_us_per_execution",
        0,
    );
    report.add("errors", total.errors.text(), "errors", total.errors.json());
    if total.errors.count > 0 {
        report.problem(format!("{} errors", total.errors.count));
    }

    // What the server says it ran.
    let listed = async {
        let succeeded = count_executions(&mut setup, &arn, "SUCCEEDED").await?;
        let running = count_executions(&mut setup, &arn, "RUNNING").await?;
        anyhow::Ok((succeeded, running))
    };
    match listed.await {
        Ok((listed_succeeded, listed_running)) => {
            report.add(
                "ListExecutions",
                format!(
                    "{} SUCCEEDED, {} RUNNING; outputs checked: {}",
                    stats::int(listed_succeeded),
                    stats::int(listed_running),
                    stats::int(total.checked)
                ),
                "listed",
                serde_json::json!({
                    "succeeded": listed_succeeded,
                    "running": listed_running,
                    "outputs_checked": total.checked,
                }),
            );
            if listed_succeeded != total.started {
                report.problem(format!(
                    "ListExecutions shows {listed_succeeded} SUCCEEDED, {} were started",
                    total.started
                ));
            }
        }
        Err(e) => report.problem(format!("ListExecutions: {e:#}")),
    }
    Ok(report)
}

async fn client_loop(
    endpoint: Endpoint,
    arn: Arc<str>,
    prefix: String,
    c: u64,
    deadline: Instant,
) -> Tally {
    let mut client = Client::new(&endpoint);
    let mut t = Tally::default();
    let mut seq = 0u64;
    while Instant::now() < deadline {
        seq += 1;
        let x = c * 1_000_000_000 + seq;
        let body = format!(
            r#"{{"stateMachineArn":"{arn}","name":"{prefix}-{seq}","input":"{{\"x\":{x}}}"}}"#
        );
        let sent = Instant::now();
        let reply = match client.call("StartExecution", body).await {
            Ok(reply) => reply,
            Err(e) => {
                t.errors.add(format!("StartExecution: {e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if !reply.ok() {
            t.errors
                .add(format!("StartExecution: {}", reply.error_text()));
            continue;
        }
        t.start_call.push(sent.elapsed());
        let execution_arn = match serde_json::from_slice::<Started>(&reply.body) {
            Ok(s) => s.execution_arn,
            Err(e) => {
                t.errors
                    .add(format!("StartExecution: unexpected answer: {e}"));
                continue;
            }
        };
        t.started += 1;
        let describe = serde_json::json!({ "executionArn": execution_arn }).to_string();
        loop {
            t.describes += 1;
            let reply = match client.call("DescribeExecution", describe.clone()).await {
                Ok(reply) if reply.ok() => reply,
                Ok(reply) => {
                    t.errors
                        .add(format!("DescribeExecution: {}", reply.error_text()));
                    break;
                }
                Err(e) => {
                    t.errors.add(format!("DescribeExecution: {e:#}"));
                    break;
                }
            };
            let described = match serde_json::from_slice::<Described>(&reply.body) {
                Ok(d) => d,
                Err(e) => {
                    t.errors
                        .add(format!("DescribeExecution: unexpected answer: {e}"));
                    break;
                }
            };
            match described.status.as_str() {
                "SUCCEEDED" => {
                    t.to_succeeded.push(sent.elapsed());
                    t.succeeded += 1;
                    if seq % CHECK_EVERY == 1 {
                        t.checked += 1;
                        if !pass_chain_output_ok(described.output.as_deref(), x, STATES) {
                            t.errors.add(format!(
                                "wrong output (expected {{\"x\":N,\"last\":{STATES}}})"
                            ));
                        }
                    }
                    break;
                }
                "RUNNING" if sent.elapsed() < EXECUTION_TIMEOUT => {
                    tokio::task::yield_now().await;
                }
                "RUNNING" => {
                    t.errors
                        .add(format!("still RUNNING after {EXECUTION_TIMEOUT:?}"));
                    break;
                }
                other => {
                    t.errors.add(format!("execution {other}"));
                    break;
                }
            }
        }
    }
    t
}
