//! The `parked` workload: many Standard executions that wait — half on a one-hour Wait state,
//! half on a callback task (`.waitForTaskToken`) whose token never comes. What it costs the
//! server to hold them (resident memory before and after), whether they are alive (a few are
//! stopped, one is completed with its token), and how long a killed server takes to come back
//! with all of them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use super::client::{count_executions, create_machine, Client};
use super::report::Report;
use super::server::{rss_kib, Spawned};
use super::stats::{self, Errors, Latencies};
use super::{fan_out, wait_healthy, Ctx};

/// How long a check may wait for an execution to reach the status it should.
const STATUS_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the restarted server may take until ListExecutions shows every parked execution.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(600);

fn wait_machine() -> Value {
    json!({
        "Comment": "parks on a one-hour Wait",
        "StartAt": "Park",
        "States": {
            "Park": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
}

fn callback_machine() -> Value {
    json!({
        "Comment": "parks on a callback task until its token is sent back",
        "StartAt": "Park",
        "States": {
            "Park": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": true
            }
        }
    })
}

#[derive(Default)]
struct Tally {
    /// (index, execution ARN): even indexes wait, odd ones are callbacks.
    started: Vec<(u64, String)>,
    latency: Latencies,
    errors: Errors,
}

pub async fn run(ctx: &mut Ctx, n: u64) -> anyhow::Result<Report> {
    let mut setup = Client::new(&ctx.endpoint);
    let wait_arn: Arc<str> = create_machine(
        &mut setup,
        &format!("bench-wait-{}", ctx.run_id),
        "STANDARD",
        &wait_machine(),
    )
    .await?
    .into();
    let callback_arn: Arc<str> = create_machine(
        &mut setup,
        &format!("bench-callback-{}", ctx.run_id),
        "STANDARD",
        &callback_machine(),
    )
    .await?
    .into();
    let mut report = Report::new(
        "parked",
        format!(
            "{} STANDARD executions left waiting: half on a 1-hour Wait, half on a .waitForTaskToken task",
            stats::int(n)
        ),
    );
    report.field("parked", n);
    let pid = ctx.server_pid();
    let before = match pid.map(rss_kib).transpose() {
        Ok(before) => before,
        Err(e) => {
            report.problem(format!("server memory: {e:#}"));
            None
        }
    };

    eprintln!(
        "bench: parked: starting {n} executions with {} clients",
        ctx.clients
    );
    let began = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let tallies = fan_out(ctx.clients, |c| {
        let endpoint = ctx.endpoint_for(c);
        let next = next.clone();
        let (wait_arn, callback_arn) = (wait_arn.clone(), callback_arn.clone());
        let prefix = format!("p{}", ctx.run_id);
        async move {
            let mut client = Client::new(&endpoint);
            let mut t = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break t;
                }
                let machine = if i.is_multiple_of(2) { &wait_arn } else { &callback_arn };
                let body = format!(
                    r#"{{"stateMachineArn":"{machine}","name":"{prefix}-{i}","input":"{{\"i\":{i}}}"}}"#
                );
                let sent = Instant::now();
                match client.call("StartExecution", body).await {
                    Ok(reply) if reply.ok() => {
                        t.latency.push(sent.elapsed());
                        let arn = serde_json::from_slice::<Value>(&reply.body)
                            .ok()
                            .and_then(|v| v.get("executionArn")?.as_str().map(str::to_owned));
                        match arn {
                            Some(arn) => t.started.push((i, arn)),
                            None => t.errors.add("StartExecution: no executionArn"),
                        }
                    }
                    Ok(reply) => t
                        .errors
                        .add(format!("StartExecution: {}", reply.error_text())),
                    Err(e) => t.errors.add(format!("StartExecution: {e:#}")),
                }
            }
        }
    })
    .await?;
    let start_secs = began.elapsed().as_secs_f64();
    let mut started = Vec::new();
    let mut latency = Latencies::default();
    let mut errors = Errors::default();
    for t in tallies {
        started.extend(t.started);
        latency.merge(t.latency);
        errors.merge(t.errors);
    }
    started.sort_unstable();
    let (waits, callbacks): (Vec<_>, Vec<_>) =
        started.iter().partition(|(i, _)| i.is_multiple_of(2));
    let waits: Vec<&str> = waits.iter().map(|(_, a)| a.as_str()).collect();
    let callbacks: Vec<&str> = callbacks.iter().map(|(_, a)| a.as_str()).collect();
    let count = started.len() as u64;
    report.add(
        "started",
        format!(
            "{} in {start_secs:.2} s ({} StartExecution/s; {} on Wait, {} on a callback)",
            stats::int(count),
            stats::rate(count as f64 / start_secs),
            stats::int(waits.len() as u64),
            stats::int(callbacks.len() as u64)
        ),
        "started",
        count,
    );
    report.field("start_s", stats::round3(start_secs));
    let (text, json) = stats::latency(latency);
    report.add("StartExecution call", text, "start_call", json);
    report.add("errors", errors.text(), "errors", errors.json());
    if errors.count > 0 {
        report.problem(format!("{} StartExecution errors", errors.count));
    }

    let listed = Instant::now();
    let running = count_running(&mut setup, &wait_arn, &callback_arn).await?;
    report.add(
        "ListExecutions RUNNING",
        format!(
            "{} of {} (listed in {:.2} s)",
            stats::int(running),
            stats::int(count),
            listed.elapsed().as_secs_f64()
        ),
        "running",
        running,
    );
    if running != count {
        report.problem(format!(
            "ListExecutions shows {running} RUNNING, {count} were started"
        ));
    }

    match (pid, before) {
        (Some(pid), Some((before, _))) => match rss_kib(pid) {
            Ok((after, peak)) => {
                let delta = after.saturating_sub(before) as f64 / 1024.0;
                let per_1000 = if count > 0 {
                    delta / (count as f64 / 1000.0)
                } else {
                    0.0
                };
                report.add(
                    "server RSS",
                    format!(
                        "{:.1} MiB before, {:.1} MiB after (peak {:.1} MiB): +{delta:.1} MiB, {per_1000:.2} MiB per 1,000 parked",
                        before as f64 / 1024.0,
                        after as f64 / 1024.0,
                        peak as f64 / 1024.0
                    ),
                    "rss",
                    json!({
                        "before_mib": stats::round1(before as f64 / 1024.0),
                        "after_mib": stats::round1(after as f64 / 1024.0),
                        "peak_mib": stats::round1(peak as f64 / 1024.0),
                        "delta_mib": stats::round1(delta),
                        "mib_per_1000": stats::round3(per_1000),
                    }),
                );
            }
            Err(e) => report.problem(format!("server memory: {e:#}")),
        },
        // Several nodes: each one's, below.
        _ if !ctx.others.is_empty() => {}
        _ => report.add(
            "server RSS",
            "not measured (pass --server-pid with --endpoint)",
            "rss",
            Value::Null,
        ),
    }

    // Several nodes: each one's memory, and a takeover of the first one's share.
    if !ctx.others.is_empty() {
        nodes_rss(ctx, &mut report, "node RSS", "node_rss_mib");
        takeover(ctx, &mut report, &waits, &callbacks).await;
        return Ok(report);
    }

    // Alive: stop two of each kind, complete one callback with its token.
    let mut ended = 0u64;
    let (stop_waits, stop_callbacks, complete) = (
        pick(&waits, 0, 2),
        pick(&callbacks, 0, 2),
        pick(&callbacks, 2, 1),
    );
    let checked = check_alive(&mut setup, &stop_waits, &stop_callbacks, &complete).await;
    match checked {
        Ok((n_ended, text)) => {
            ended += n_ended;
            report.add("alive", text.clone(), "alive", text);
        }
        Err(e) => report.problem(format!("liveness check: {e:#}")),
    }

    if ctx.server.is_some() {
        match recover(ctx, &wait_arn, &callback_arn, count - ended).await {
            Ok(recovery) => {
                report.add(
                    "recovery (kill -9, restart)",
                    format!(
                        "listening after {:.2} s, /health after {:.2} s, ListExecutions shows all {} RUNNING after {:.2} s (server: {} resumed)",
                        recovery.listening.as_secs_f64(),
                        recovery.healthy.as_secs_f64(),
                        stats::int(count - ended),
                        recovery.all_running.as_secs_f64(),
                        recovery.resumed.map_or("?".to_owned(), stats::int)
                    ),
                    "recovery",
                    json!({
                        "listening_s": stats::round3(recovery.listening.as_secs_f64()),
                        "health_s": stats::round3(recovery.healthy.as_secs_f64()),
                        "all_running_s": stats::round3(recovery.all_running.as_secs_f64()),
                        "resumed": recovery.resumed,
                        "expected_running": count - ended,
                    }),
                );
                if let Some(problem) = recovery.problem {
                    report.problem(problem);
                }
                if let Some(pid) = ctx.server_pid() {
                    if let Ok((rss, _)) = rss_kib(pid) {
                        report.add(
                            "server RSS after restart",
                            format!("{:.1} MiB", rss as f64 / 1024.0),
                            "rss_after_restart_mib",
                            stats::round1(rss as f64 / 1024.0),
                        );
                    }
                }
                let mut client = Client::new(&ctx.endpoint);
                match check_alive(
                    &mut client,
                    &pick(&waits, 2, 2),
                    &pick(&callbacks, 3, 2),
                    &pick(&callbacks, 5, 1),
                )
                .await
                {
                    Ok((n_ended, text)) => {
                        ended += n_ended;
                        report.add(
                            "alive after restart",
                            text.clone(),
                            "alive_after_restart",
                            text,
                        );
                    }
                    Err(e) => report.problem(format!("liveness check after restart: {e:#}")),
                }
            }
            Err(e) => report.problem(format!("recovery: {e:#}")),
        }
    } else {
        report.add(
            "recovery",
            "not measured (only for a server bench starts itself)",
            "recovery",
            Value::Null,
        );
        // Leave the server as it was found.
        let checked: Vec<&str> = [stop_waits, stop_callbacks, complete].concat();
        let rest: Vec<String> = started
            .iter()
            .map(|(_, arn)| arn.clone())
            .filter(|arn| !checked.contains(&arn.as_str()))
            .collect();
        let left = rest.len() as u64;
        let errors = stop_all(ctx, rest).await;
        report.add(
            "cleanup",
            format!(
                "StopExecution on the other {}: errors {}",
                stats::int(left),
                errors.text()
            ),
            "cleanup_errors",
            errors.json(),
        );
    }
    report.field("ended_by_checks", ended);
    Ok(report)
}

/// RUNNING executions of both machines.
async fn count_running(client: &mut Client, wait: &str, callback: &str) -> anyhow::Result<u64> {
    Ok(count_executions(client, wait, "RUNNING").await?
        + count_executions(client, callback, "RUNNING").await?)
}

/// `count` ARNs from `list` starting at `from` (fewer when the list is short).
fn pick<'a>(list: &[&'a str], from: usize, count: usize) -> Vec<&'a str> {
    list.iter().skip(from).take(count).copied().collect()
}

/// Stops `stop`, completes `complete` with their task tokens, and checks each reaches ABORTED
/// or SUCCEEDED. Returns how many ended and a line saying how long it took.
async fn check_alive(
    client: &mut Client,
    stop_waits: &[&str],
    stop_callbacks: &[&str],
    complete: &[&str],
) -> anyhow::Result<(u64, String)> {
    let began = Instant::now();
    let stop: Vec<&str> = stop_waits.iter().chain(stop_callbacks).copied().collect();
    for arn in &stop {
        client
            .call_json(
                "StopExecution",
                &json!({
                    "executionArn": arn,
                    "error": "Bench.Stop",
                    "cause": "baton bench checks the execution is alive",
                }),
            )
            .await?;
        await_status(client, arn, "ABORTED").await?;
    }
    for arn in complete {
        let token = task_token(client, arn).await?;
        client
            .call_json(
                "SendTaskSuccess",
                &json!({"taskToken": token, "output": "{\"bench\":\"done\"}"}),
            )
            .await?;
        await_status(client, arn, "SUCCEEDED").await?;
    }
    Ok((
        (stop.len() + complete.len()) as u64,
        format!(
            "StopExecution → ABORTED for {} on Wait and {} on a callback; SendTaskSuccess → SUCCEEDED for {}; {:.0} ms in all",
            stop_waits.len(),
            stop_callbacks.len(),
            complete.len(),
            began.elapsed().as_secs_f64() * 1000.0
        ),
    ))
}

/// Polls DescribeExecution until `arn` has `status`.
async fn await_status(client: &mut Client, arn: &str, status: &str) -> anyhow::Result<()> {
    let began = Instant::now();
    loop {
        let described = client
            .call_json("DescribeExecution", &json!({"executionArn": arn}))
            .await?;
        let now = described
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("?");
        if now == status {
            return Ok(());
        }
        if now != "RUNNING" || began.elapsed() > STATUS_TIMEOUT {
            bail!("{arn} is {now}, expected {status}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The task token of the callback task `arn` waits on, from its TaskScheduled event.
async fn task_token(client: &mut Client, arn: &str) -> anyhow::Result<String> {
    let history = client
        .call_json("GetExecutionHistory", &json!({"executionArn": arn}))
        .await?;
    let events = history
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("GetExecutionHistory: no events"))?;
    let parameters = events
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("TaskScheduled"))
        .find_map(|e| {
            e.get("taskScheduledEventDetails")?
                .get("parameters")?
                .as_str()
        })
        .ok_or_else(|| anyhow!("no TaskScheduled event with parameters in {arn}'s history"))?;
    let parameters: Value =
        serde_json::from_str(parameters).context("TaskScheduled parameters are not JSON")?;
    parameters
        .pointer("/MessageBody/token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no MessageBody.token in the TaskScheduled parameters"))
}

struct Recovery {
    listening: Duration,
    healthy: Duration,
    all_running: Duration,
    resumed: Option<u64>,
    problem: Option<String>,
}

/// Kills the spawned server (SIGKILL), starts it again on the same data folder, and times
/// until it listens, answers `/health`, and lists `expected` RUNNING executions.
async fn recover(
    ctx: &mut Ctx,
    wait: &str,
    callback: &str,
    expected: u64,
) -> anyhow::Result<Recovery> {
    let server = ctx
        .server
        .as_mut()
        .ok_or_else(|| anyhow!("no server of bench's own"))?;
    server.kill()?;
    let data_dir = server.data_dir.clone();
    let cpus = server.cpus().map(str::to_owned);
    let store = server.store.clone();
    eprintln!("bench: parked: server killed; starting it again on the same store");
    let began = Instant::now();
    let spawned = tokio::task::spawn_blocking(move || {
        Spawned::start(&data_dir, cpus.as_deref(), store.as_deref(), &[])
    })
    .await??;
    let listening = spawned.listening_after;
    let resumed = spawned.resumed;
    ctx.endpoint = spawned.endpoint.clone();
    ctx.server = Some(spawned);
    wait_healthy(&ctx.endpoint, Duration::from_secs(60)).await?;
    let healthy = began.elapsed();
    let mut client = Client::new(&ctx.endpoint);
    let mut problem = None;
    loop {
        let running = count_running(&mut client, wait, callback).await?;
        if running == expected {
            break;
        }
        if began.elapsed() > RECOVERY_TIMEOUT {
            problem = Some(format!(
                "after restart ListExecutions shows {running} RUNNING, expected {expected}"
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Recovery {
        listening,
        healthy,
        all_running: began.elapsed(),
        resumed,
        problem,
    })
}

/// StopExecution on every ARN, from all clients at once. Returns the errors.
async fn stop_all(ctx: &Ctx, arns: Vec<String>) -> Errors {
    let arns = Arc::new(arns);
    let next = Arc::new(AtomicU64::new(0));
    let tallies = fan_out(ctx.clients, |_| {
        let endpoint = ctx.endpoint.clone();
        let (arns, next) = (arns.clone(), next.clone());
        async move {
            let mut client = Client::new(&endpoint);
            let mut errors = Errors::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(arn) = arns.get(i) else { break errors };
                let body = json!({"executionArn": arn}).to_string();
                match client.call("StopExecution", body).await {
                    Ok(reply) if reply.ok() => {}
                    Ok(reply) => errors.add(reply.error_text()),
                    Err(e) => errors.add(format!("{e:#}")),
                }
            }
        }
    })
    .await;
    let mut total = Errors::default();
    match tallies {
        Ok(tallies) => tallies.into_iter().for_each(|e| total.merge(e)),
        Err(e) => total.add(format!("{e:#}")),
    }
    total
}

/// Each node's resident memory, as one row.
fn nodes_rss(ctx: &Ctx, report: &mut Report, label: &str, key: &str) {
    let mut texts = Vec::new();
    let mut values = Vec::new();
    for pid in ctx.pids() {
        match rss_kib(pid) {
            Ok((rss, peak)) => {
                texts.push(format!(
                    "{:.1} MiB (peak {:.1})",
                    rss as f64 / 1024.0,
                    peak as f64 / 1024.0
                ));
                values.push(json!(stats::round1(rss as f64 / 1024.0)));
            }
            Err(_) => {
                texts.push("gone".to_owned());
                values.push(Value::Null);
            }
        }
    }
    report.add(label, texts.join(", "), key, Value::Array(values));
}

/// Kills the first node with SIGKILL while its share of the executions is parked: how long
/// until the others own its partitions (and have set their executions' timers), and whether
/// its executions still answer: a stop and a callback's token, through another node.
async fn takeover(ctx: &mut Ctx, report: &mut Report, waits: &[&str], callbacks: &[&str]) {
    let Some(server) = ctx.server.as_mut() else {
        return;
    };
    let Some(store) = server.store.clone() else {
        return;
    };
    if let Err(e) = server.kill() {
        report.problem(format!("killing the first node: {e:#}"));
        return;
    }
    let killed = Instant::now();
    let remaining = ctx.others.len();
    match super::server::settled(&store, remaining).await {
        Ok(()) => report.add(
            "takeover (kill -9 of one node)",
            format!(
                "its partitions owned by the other {remaining} nodes {:.2} s later",
                killed.elapsed().as_secs_f64()
            ),
            "takeover_s",
            stats::round3(killed.elapsed().as_secs_f64()),
        ),
        Err(e) => {
            report.problem(format!("takeover: {e:#}"));
            return;
        }
    }
    ctx.server = None;
    ctx.endpoint = ctx.others[0].endpoint.clone();
    let mut client = Client::new(&ctx.endpoint);
    let answered = Instant::now();
    match check_alive(
        &mut client,
        &pick(waits, 2, 2),
        &pick(callbacks, 3, 2),
        &pick(callbacks, 5, 1),
    )
    .await
    {
        Ok((_, text)) => report.add(
            "alive after takeover",
            format!(
                "{text} (checked in {:.2} s)",
                answered.elapsed().as_secs_f64()
            ),
            "alive_after_takeover",
            text,
        ),
        Err(e) => report.problem(format!("liveness check after takeover: {e:#}")),
    }
    // The nodes log how long setting the taken executions' timers took
    // (`timers of partitions taken set … ms=`): give them the time to finish before they stop.
    tokio::time::sleep(Duration::from_secs(3)).await;
    nodes_rss(
        ctx,
        report,
        "node RSS after takeover",
        "node_rss_after_takeover_mib",
    );
}
