//! The `express` workload: each client calls StartSyncExecution on an EXPRESS Pass chain in
//! a loop; one call is one whole execution, run in memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::client::{create_logged_machine, Client, Endpoint};
use super::report::Report;
use super::server::CpuSample;
use super::stats::{self, Errors, Latencies};
use super::{fan_out, pass_chain, pass_chain_output_ok, Ctx};

/// Every this-many executions a client checks the output (the rest only their status).
const CHECK_EVERY: u64 = 16;

#[derive(Default)]
struct Tally {
    calls: u64,
    succeeded: u64,
    not_succeeded: u64,
    checked: u64,
    latency: Latencies,
    errors: Errors,
}

#[derive(Deserialize)]
struct Finished {
    status: String,
    output: Option<String>,
}

/// An EXPRESS machine to load: its definition, the transitions one execution makes, and how
/// to check an output for the input `{"x": x}`.
pub struct Workload {
    pub name: String,
    pub definition: serde_json::Value,
    pub states: usize,
    pub check: fn(Option<&str>, u64) -> bool,
}

pub async fn run(ctx: &Ctx, states: usize) -> anyhow::Result<Report> {
    if states == 0 {
        anyhow::bail!("--express-states: a chain needs at least one state");
    }
    let workload = Workload {
        name: format!("bench-express{states}-{}", ctx.run_id),
        definition: pass_chain(states),
        states,
        check: match states {
            3 => |o, x| pass_chain_output_ok(o, x, 3),
            10 => |o, x| pass_chain_output_ok(o, x, 10),
            _ => |o, _| o.is_some(),
        },
    };
    let report = run_machine(ctx, &workload, ctx.clients, ctx.duration).await?;
    Ok(report.titled(
        "express",
        format!(
            "EXPRESS {states}-state Pass chain; {} clients calling StartSyncExecution",
            ctx.clients
        ),
    ))
}

/// Loads one EXPRESS machine with StartSyncExecution from `clients` clients for `duration`.
pub async fn run_machine(
    ctx: &Ctx,
    workload: &Workload,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Report> {
    let states = workload.states;
    let mut setup = Client::new(&ctx.endpoint);
    let machine = workload.name.clone();
    let arn: Arc<str> = create_logged_machine(
        &mut setup,
        &machine,
        "EXPRESS",
        &workload.definition,
        ctx.logging.as_ref(),
    )
    .await?
    .into();
    eprintln!("bench: {machine}: {clients} clients for {duration:?}");
    let cpu_before = CpuSample::take(ctx.server_pid());
    let began = Instant::now();
    let deadline = began + duration;
    let check = workload.check;
    let tallies = fan_out(clients, |c| {
        let endpoint = ctx.endpoint_for(c);
        let arn = arn.clone();
        let prefix = format!("{machine}-{c}");
        client_loop(endpoint, arn, prefix, c as u64, check, deadline)
    })
    .await?;
    let elapsed = began.elapsed();
    let cpu = cpu_before.until(&CpuSample::take(ctx.server_pid()));

    let mut total = Tally::default();
    for t in tallies {
        total.calls += t.calls;
        total.succeeded += t.succeeded;
        total.not_succeeded += t.not_succeeded;
        total.checked += t.checked;
        total.latency.merge(t.latency);
        total.errors.merge(t.errors);
    }
    let secs = elapsed.as_secs_f64();
    let mut report = Report::new("express", String::new());
    report.field("states", states as u64);
    report.add(
        "load",
        format!("{secs:.2} s"),
        "elapsed_s",
        stats::round3(secs),
    );
    let per_s = total.succeeded as f64 / secs;
    report.add(
        "requests/s",
        format!(
            "{} SUCCEEDED executions/s ({} transitions/s); {} calls in all",
            stats::rate(per_s),
            stats::rate(per_s * states as f64),
            stats::int(total.calls)
        ),
        "executions_per_s",
        stats::round1(per_s),
    );
    report.field("transitions_per_s", stats::round1(per_s * states as f64));
    report.field("calls", total.calls);
    report.field("succeeded", total.succeeded);
    let (text, json) = stats::latency(total.latency);
    report.add("StartSyncExecution", text, "latency", json);
    report.add(
        "not SUCCEEDED",
        stats::int(total.not_succeeded),
        "not_succeeded",
        total.not_succeeded,
    );
    report.add(
        "outputs checked",
        stats::int(total.checked),
        "outputs_checked",
        total.checked,
    );
    report.add_cpu(
        &cpu,
        total.succeeded,
        "execution",
        "server_cpu_us_per_execution",
        0,
    );
    report.add("errors", total.errors.text(), "errors", total.errors.json());
    if total.errors.count > 0 {
        report.problem(format!("{} errors", total.errors.count));
    }
    if total.not_succeeded > 0 {
        report.problem(format!(
            "{} executions did not succeed",
            total.not_succeeded
        ));
    }
    Ok(report)
}

async fn client_loop(
    endpoint: Endpoint,
    arn: Arc<str>,
    prefix: String,
    c: u64,
    check: fn(Option<&str>, u64) -> bool,
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
        t.calls += 1;
        let reply = match client.call("StartSyncExecution", body).await {
            Ok(reply) => reply,
            Err(e) => {
                t.errors.add(format!("StartSyncExecution: {e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if !reply.ok() {
            t.errors
                .add(format!("StartSyncExecution: {}", reply.error_text()));
            continue;
        }
        t.latency.push(sent.elapsed());
        match serde_json::from_slice::<Finished>(&reply.body) {
            Ok(f) if f.status == "SUCCEEDED" => {
                t.succeeded += 1;
                if seq % CHECK_EVERY == 1 {
                    t.checked += 1;
                    if !check(f.output.as_deref(), x) {
                        t.errors.add(format!("wrong output: {:?}", f.output));
                    }
                }
            }
            Ok(f) => {
                t.not_succeeded += 1;
                t.errors.add(format!("execution {}", f.status));
            }
            Err(e) => t
                .errors
                .add(format!("StartSyncExecution: unexpected answer: {e}")),
        }
    }
    t
}
