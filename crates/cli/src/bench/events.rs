//! The `events` workload: EventBridge end to end. Setup makes one rule that matches the
//! workload's events, with a STANDARD 3-state Pass chain as its target, and `--event-rules`
//! more rules on the default bus whose patterns each test the same fields and miss (each
//! with a target, so every one is matched against every event). Each client then loops on
//! PutEvents of 10 entries. Afterwards the target's SUCCEEDED executions must reach the
//! number of entries accepted: the sustained rate is entries accepted over the time until
//! the last of their executions succeeded.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{count_executions, create_machine, Client, Endpoint};
use super::report::Report;
use super::server::CpuSample;
use super::stats::{self, Errors, Latencies};
use super::{fan_out, pass_chain, Ctx};

/// Entries per PutEvents (its most).
const ENTRIES: usize = 10;
/// How long the executions of the accepted events may take to finish after the load.
const DRAIN: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Tally {
    calls: u64,
    accepted: u64,
    latency: Latencies,
    errors: Errors,
}

async fn events_call(client: &mut Client, op: &str, body: &Value) -> anyhow::Result<Value> {
    let reply = client
        .call_target(&format!("AWSEvents.{op}"), body.to_string())
        .await?;
    if !reply.ok() {
        anyhow::bail!("{op}: {}", reply.error_text());
    }
    Ok(serde_json::from_slice(&reply.body)?)
}

pub async fn run(ctx: &Ctx, rules: usize) -> anyhow::Result<Report> {
    let mut setup = Client::new(&ctx.endpoint);
    let machine = format!("bench-events-{}", ctx.run_id);
    let arn = create_machine(&mut setup, &machine, "STANDARD", &pass_chain(3)).await?;
    let source = format!("bench.{}", ctx.run_id);
    let target = |id: &str| json!([{"Id": id, "Arn": arn}]);
    // The rules that miss on `detail.kind` after the source matched (the whole pattern is
    // tested), then the one that matches.
    for i in 0..=rules {
        let (name, kind) = if i == rules {
            (format!("bench-hit-{}", ctx.run_id), "order".to_string())
        } else {
            (
                format!("bench-miss-{}-{i}", ctx.run_id),
                format!("other-{i}"),
            )
        };
        let pattern = json!({"source": [source], "detail": {"kind": [kind],
            "n": [{"numeric": [">=", 0]}]}});
        events_call(
            &mut setup,
            "PutRule",
            &json!({"Name": name, "EventPattern": pattern.to_string()}),
        )
        .await?;
        events_call(
            &mut setup,
            "PutTargets",
            &json!({"Rule": name, "Targets": target("m")}),
        )
        .await?;
    }
    // Rules take effect within a second (EventBridge: "allow a short period").
    tokio::time::sleep(Duration::from_millis(1200)).await;
    eprintln!(
        "bench: events: {} clients for {:?}, {rules} rules that miss and one that matches",
        ctx.clients, ctx.duration
    );
    let cpu_before = CpuSample::take(ctx.server_pid());
    let began = Instant::now();
    let deadline = began + ctx.duration;
    let tallies = fan_out(ctx.clients, |c| {
        client_loop(ctx.endpoint_for(c), source.clone(), deadline)
    })
    .await?;
    let load = began.elapsed();
    let mut total = Tally::default();
    for t in tallies {
        total.calls += t.calls;
        total.accepted += t.accepted;
        total.latency.merge(t.latency);
        total.errors.merge(t.errors);
    }
    // Every accepted event starts one execution; wait for all of them to succeed.
    let mut succeeded = 0;
    while began.elapsed() < ctx.duration + DRAIN {
        succeeded = count_executions(&mut setup, &arn, "SUCCEEDED").await?;
        if succeeded >= total.accepted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = began.elapsed();
    let cpu = cpu_before.until(&CpuSample::take(ctx.server_pid()));
    let mut report = Report::new(
        "events",
        format!(
            "PutEvents of {ENTRIES} entries → 1 of {} rules → StartExecution of a STANDARD 3-Pass chain; {} clients",
            rules + 1,
            ctx.clients
        ),
    );
    let put_s = total.accepted as f64 / load.as_secs_f64();
    let sustained = succeeded as f64 / drained.as_secs_f64();
    report.add(
        "load",
        format!(
            "{:.2} s of PutEvents, {:.2} s until the last execution succeeded",
            load.as_secs_f64(),
            drained.as_secs_f64()
        ),
        "elapsed_s",
        stats::round3(drained.as_secs_f64()),
    );
    report.add(
        "events/s accepted",
        format!(
            "{} events/s in {} PutEvents",
            stats::rate(put_s),
            stats::int(total.calls)
        ),
        "accepted_per_s",
        stats::round1(put_s),
    );
    report.add(
        "events/s sustained",
        format!(
            "{} events/s matched and run to SUCCEEDED ({} executions)",
            stats::rate(sustained),
            stats::int(succeeded)
        ),
        "sustained_per_s",
        stats::round1(sustained),
    );
    let (text, latency) = stats::latency(total.latency);
    report.add("PutEvents", text, "latency", latency);
    report.add_cpu(&cpu, succeeded, "event", "server_cpu_us_per_event", 1);
    report.add("errors", total.errors.text(), "errors", total.errors.json());
    if total.errors.count > 0 {
        report.problem(format!("{} errors", total.errors.count));
    }
    if succeeded < total.accepted {
        report.problem(format!(
            "{} events accepted, {succeeded} executions succeeded",
            total.accepted
        ));
    }
    Ok(report)
}

async fn client_loop(endpoint: Endpoint, source: String, deadline: Instant) -> Tally {
    let mut client = Client::new(&endpoint);
    let mut t = Tally::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        let entries: Vec<Value> = (0..ENTRIES)
            .map(|i| {
                json!({"Source": source, "DetailType": "Order Placed",
                    "Detail": json!({"kind": "order", "n": n + i as u64}).to_string()})
            })
            .collect();
        n += ENTRIES as u64;
        let sent = Instant::now();
        t.calls += 1;
        let body = json!({ "Entries": entries }).to_string();
        match client.call_target("AWSEvents.PutEvents", body).await {
            Ok(reply) if reply.ok() => {
                t.latency.push(sent.elapsed());
                let answer: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
                let failed = answer["FailedEntryCount"]
                    .as_u64()
                    .unwrap_or(ENTRIES as u64);
                t.accepted += ENTRIES as u64 - failed;
                if failed > 0 {
                    t.errors.add(format!("PutEvents: {failed} entries failed"));
                }
            }
            Ok(reply) => t.errors.add(format!("PutEvents: {}", reply.error_text())),
            Err(e) => {
                t.errors.add(format!("PutEvents: {e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    t
}
