//! The fault campaign for several nodes on one PostgreSQL store, in rounds, with counts. Three
//! `baton serve` nodes, on a PostgreSQL server of the test's own and through a TCP proxy, run
//! while clients start executions on every node (a Wait, an activity task) and a worker takes
//! tasks on one node and answers them on another. Each round:
//! - one node is killed (-9) and started again;
//! - one is paused (SIGSTOP) past its lease, resumed (it must stop by itself: it was taken
//!   over) and started again;
//! - every session of every node is ended by the server (`pg_terminate_backend`);
//! - every connection is cut by the proxy (reset, no goodbye);
//! - PostgreSQL crashes and starts again (`pg_ctl restart -m immediate`: its log replayed).
//!
//! No node may stop on the last three. Then a checker: every acknowledged execution finished,
//! listed once, its history whole (against an untouched run of the same definition: no state
//! visited twice, no event id skipped); every answer to a task acknowledged once (a second
//! answer, on another node, is refused as `TaskTimedOut`); the store left with no inbox entry
//! and no open task; no partition's epoch ever went down; every journal entry kept with the
//! epoch its writer was fenced at, never older than an earlier entry's (no write accepted
//! from a node taken over).
//!
//! One round runs in CI (about a minute). The soak is more rounds:
//! `BATON_NODES_SOAK_ROUNDS=20 cargo test --release -p baton-cli --test nodes_soak -- --nocapture`
//! (`BATON_NODES_SOAK_SECONDS=S` keeps starting rounds until S seconds have passed;
//! `BATON_NODES_LOGS=DIR` keeps each node's log there, to follow an execution through them).
//!
//! Skips, saying why, without PostgreSQL's `initdb` or a server to reach (a failure under
//! `BATON_CI_STRICT=1`).

#[path = "support/audit.rs"]
mod audit;
mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audit::{answer, audit, client_at, reference, Ack, Answer, Ledger};
use aws_sdk_sfn::error::ProvideErrorMetadata;
use baton_store_postgres::testing::TestSchema;
use serde_json::json;
use support::cluster::{self, Cluster};
use support::nodes::{spread_over, Node, Shared};
use support::proxy::Proxy;
use support::server::create_machine;

/// The nodes' lease, in seconds: a paused node is taken over once it runs out.
const LEASE: &str = "3";
/// Concurrent clients starting executions.
const STARTERS: usize = 4;
/// Every node's `--activity-poll-seconds`: an empty poll ends soon, so the worker sees there
/// is no task left.
const POLL: &[&str] = &["--activity-poll-seconds", "1"];

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The nodes' endpoints as they are now (a node started again listens elsewhere).
type Endpoints = Arc<Mutex<Vec<String>>>;

fn endpoints(nodes: &[Node]) -> Vec<String> {
    nodes.iter().map(|n| n.endpoint.clone()).collect()
}

#[derive(Default)]
struct Counts {
    answered: AtomicU64,
    answered_twice: AtomicU64,
    /// Every task token a `GetActivityTask` handed the worker.
    received: Mutex<HashSet<String>>,
}

/// Starts executions of both kinds on the nodes in turn until `stop`; the acknowledged ones.
async fn starter(
    who: usize,
    nodes: Endpoints,
    machines: BTreeMap<&'static str, String>,
    round: u64,
    stop: Arc<AtomicBool>,
) -> Vec<Ack> {
    let mut acked = Vec::new();
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let endpoint = {
            let nodes = nodes.lock().unwrap();
            nodes[(who + i as usize) % nodes.len()].clone()
        };
        let kind = if i.is_multiple_of(2) {
            "wait"
        } else {
            "activity"
        };
        let name = format!("r{round}-s{who}-{i}");
        i += 1;
        let started = client_at(&endpoint)
            .start_execution()
            .state_machine_arn(&machines[kind])
            .name(&name)
            .input(json!({"i": i}).to_string())
            .send()
            .await;
        if let Answer::Ok(out) = answer(started) {
            acked.push(Ack {
                kind,
                name,
                arn: out.execution_arn,
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acked
}

/// Takes activity tasks on one node and answers each on the next, then once more on the one
/// after (which must refuse it), until `stop` and no task is left.
async fn worker(nodes: Endpoints, activity: String, counts: Arc<Counts>, stop: Arc<AtomicBool>) {
    let mut i = 0usize;
    loop {
        let all = nodes.lock().unwrap().clone();
        let n = all.len();
        i += 1;
        let task = client_at(&all[i % n])
            .get_activity_task()
            .activity_arn(&activity)
            .worker_name("soak")
            .send()
            .await;
        let token = match task {
            Ok(t) => t.task_token,
            // A node killed, paused or restarting: try the next.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(token) = token else {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            continue;
        };
        counts.received.lock().unwrap().insert(token.clone());
        // Answered on another node, retried (on the others) while no node answers at all.
        let mut accepted = false;
        for k in 1..=n * 4 {
            let sent = client_at(&all[(i + k) % n])
                .send_task_success()
                .task_token(&token)
                .output("{}")
                .send()
                .await;
            match sent {
                Ok(_) => {
                    accepted = true;
                    break;
                }
                // An earlier try landed though its answer was lost.
                Err(e) if e.code() == Some("TaskTimedOut") => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        if !accepted {
            continue;
        }
        counts.answered.fetch_add(1, Ordering::Relaxed);
        let again = client_at(&all[(i + 2) % n])
            .send_task_success()
            .task_token(&token)
            .output("{}")
            .send()
            .await;
        if again.is_ok() {
            counts.answered_twice.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The median and the largest of `times` (of however many), in milliseconds.
fn spread(times: &mut [Duration]) -> String {
    times.sort();
    match (times.get(times.len() / 2), times.last()) {
        (Some(mid), Some(max)) => format!(
            "in {} ms median, {} ms at most ({} times)",
            mid.as_millis(),
            max.as_millis(),
            times.len()
        ),
        _ => "never".to_string(),
    }
}

/// Counts a node that stopped on a fault it should have ridden out.
fn still_running(nodes: &mut [Node], round: u64, fault: &str, problems: &mut Vec<String>) {
    for (k, node) in nodes.iter_mut().enumerate() {
        if let Some(status) = node.child.try_wait().unwrap() {
            problems.push(format!(
                "round {round}: node {k} stopped ({status}) when {fault}"
            ));
        }
    }
}

#[test]
fn three_nodes_lose_nothing_through_kills_pauses_and_dropped_connections() {
    // A server of its own: the soak crashes and restarts it.
    let Some(cluster) = cluster::or_skip(Cluster::start()) else {
        return;
    };
    let Some(schema) = TestSchema::create_on(&cluster.url(), "nodes_soak") else {
        return;
    };
    let rounds = env_u64("BATON_NODES_SOAK_ROUNDS").unwrap_or(1);
    let seconds = env_u64("BATON_NODES_SOAK_SECONDS");
    let Shared {
        rt,
        store,
        url,
        session,
    } = Shared::open(&schema, "soak");
    // The nodes reach the server through a proxy that can cut their connections.
    let proxy = rt.block_on(Proxy::start(cluster.addr()));
    let url = url.replacen(
        &format!("127.0.0.1:{}/", cluster.port),
        &format!("127.0.0.1:{}/", proxy.addr.port()),
        1,
    );
    let store = &*store;
    let mut nodes: Vec<Node> = (0..3)
        .map(|_| Node::start_with(&url, LEASE, POLL))
        .collect();
    rt.block_on(spread_over(store, 3, Duration::from_secs(60)));

    let first = client_at(&nodes[0].endpoint);
    let (machines, activity, references) = rt.block_on(async {
        let activity = first
            .create_activity()
            .name("soak")
            .send()
            .await
            .expect("activity")
            .activity_arn;
        let mut machines = BTreeMap::new();
        machines.insert(
            "wait",
            create_machine(
                &first,
                "soak-wait",
                &json!({"StartAt": "Wait", "States": {
                    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                    "Done": {"Type": "Pass", "End": true}}}),
            )
            .await,
        );
        machines.insert(
            "activity",
            create_machine(
                &first,
                "soak-activity",
                &json!({"StartAt": "Work", "States": {
                    "Work": {"Type": "Task", "Resource": activity, "Next": "Done"},
                    "Done": {"Type": "Pass", "End": true}}}),
            )
            .await,
        );
        let mut references = BTreeMap::new();
        references.insert(
            "wait",
            reference(&first, &machines["wait"], &json!({})).await,
        );
        // The activity's untouched run, its task answered as soon as it is there.
        let answer_one = async {
            loop {
                let task = first
                    .get_activity_task()
                    .activity_arn(&activity)
                    .send()
                    .await
                    .expect("poll");
                if let Some(token) = task.task_token {
                    first
                        .send_task_success()
                        .task_token(token)
                        .output("{}")
                        .send()
                        .await
                        .expect("answer");
                    return;
                }
            }
        };
        let input = json!({});
        let (visits, ()) =
            tokio::join!(reference(&first, &machines["activity"], &input), answer_one);
        references.insert("activity", visits);
        (machines, activity, references)
    });

    let endpoints: Endpoints = Arc::new(Mutex::new(self::endpoints(&nodes)));
    let counts = Arc::new(Counts::default());
    let mut ledger = Ledger::default();
    let mut problems = Vec::new();
    let mut claims_lost = 0u64;
    let mut epochs: Vec<u64> = rt
        .block_on(store.owners())
        .unwrap()
        .into_iter()
        .map(|o| o.epoch)
        .collect();
    // How long until the others own every partition of a node killed, or paused (figures:
    // the 20 ms polls of `spread_over` bound their precision).
    let mut after_kill = Vec::new();
    let mut after_pause = Vec::new();
    let began = Instant::now();
    let mut round = 0;
    while round < rounds || seconds.is_some_and(|s| began.elapsed().as_secs() < s) {
        round += 1;
        let stop = Arc::new(AtomicBool::new(false));
        let starters: Vec<_> = (0..STARTERS)
            .map(|who| {
                rt.spawn(starter(
                    who,
                    endpoints.clone(),
                    machines.clone(),
                    round,
                    stop.clone(),
                ))
            })
            .collect();
        let working = rt.spawn(worker(
            endpoints.clone(),
            activity.clone(),
            counts.clone(),
            stop.clone(),
        ));
        let victim = |k: u64| ((round + k) % 3) as usize;

        // kill -9 of one node, then the same store opened again by a new process.
        std::thread::sleep(Duration::from_millis(1500));
        let v = victim(0);
        nodes[v].signal("KILL");
        let killed = Instant::now();
        let _ = nodes[v].child.wait();
        rt.block_on(spread_over(store, 2, Duration::from_secs(30)));
        after_kill.push(killed.elapsed());
        nodes[v] = Node::start_with(&url, LEASE, POLL);
        *endpoints.lock().unwrap() = self::endpoints(&nodes);
        rt.block_on(spread_over(store, 3, Duration::from_secs(60)));

        // A node paused past its lease: taken over, and stopping by itself once resumed.
        let v = victim(1);
        nodes[v].signal("STOP");
        let paused = Instant::now();
        rt.block_on(spread_over(store, 2, Duration::from_secs(30)));
        after_pause.push(paused.elapsed());
        nodes[v].signal("CONT");
        let status = nodes[v].exits(Duration::from_secs(30));
        if status.success() {
            problems.push(format!("round {round}: a node taken over exited 0"));
        }
        nodes[v] = Node::start_with(&url, LEASE, POLL);
        *endpoints.lock().unwrap() = self::endpoints(&nodes);
        rt.block_on(spread_over(store, 3, Duration::from_secs(60)));

        // Every session of every node ended at once.
        schema.end_sessions(&session).expect("sessions ended");
        std::thread::sleep(Duration::from_millis(1500));
        still_running(&mut nodes, round, "its sessions were ended", &mut problems);

        // Every connection of every node cut by the network (reset, no goodbye).
        proxy.cut_all();
        std::thread::sleep(Duration::from_millis(1500));
        still_running(&mut nodes, round, "its connections were cut", &mut problems);

        // PostgreSQL crashes and starts again (its log replayed).
        if let Err(e) = cluster.restart() {
            panic!("PostgreSQL did not restart: {e}\n{}", cluster.log());
        }
        std::thread::sleep(Duration::from_millis(1500));
        still_running(&mut nodes, round, "PostgreSQL restarted", &mut problems);

        stop.store(true, Ordering::Relaxed);
        let mut acked = Vec::new();
        for s in starters {
            acked.extend(rt.block_on(s).unwrap());
        }
        rt.block_on(working).unwrap();
        let cl = client_at(&nodes[0].endpoint);
        // A task claimed whose `GetActivityTask` answer never reached the worker (its node
        // killed, or its connection ended, after the claim was written) waits for a worker
        // that will not come, as on AWS (a task is handed out at most once): such executions
        // are stopped and counted apart. Any other unfinished one is lost.
        let received = counts.received.lock().unwrap().clone();
        let all: Vec<u32> = (0..64).collect();
        let mut stopped = HashSet::new();
        for task in rt.block_on(store.open_tasks_in(&all)).unwrap() {
            let handed_out = task.token.as_ref().is_some_and(|t| received.contains(t));
            if task.status == baton_store::TaskStatus::Started && !handed_out {
                claims_lost += 1;
                stopped.insert(task.execution_arn.clone());
                rt.block_on(
                    cl.stop_execution()
                        .execution_arn(&task.execution_arn)
                        .cause("its task's claim was lost in flight")
                        .send(),
                )
                .expect("stop");
            }
        }
        acked.retain(|a| !stopped.contains(&a.arn));
        rt.block_on(audit(
            &format!("round {round}"),
            &cl,
            &machines,
            &acked,
            &references,
            &mut ledger,
            &mut problems,
        ));
        // What the store holds of an execution that never finished, for the report.
        for p in problems.iter().filter(|p| p.ends_with("never finished")) {
            let Some(arn) = p.split(' ').find(|w| w.starts_with("arn:")) else {
                continue;
            };
            let row = rt.block_on(store.execution(arn)).ok().flatten();
            let journal = rt.block_on(store.journal(arn)).unwrap_or_default();
            let partition = row.as_ref().map_or(0, |r| r.partition);
            let timers: Vec<_> = rt
                .block_on(store.timers_in(&[partition]))
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.execution_arn == arn)
                .collect();
            let owner = rt
                .block_on(store.owners())
                .unwrap_or_default()
                .into_iter()
                .find(|o| o.partition == partition);
            eprintln!(
                "nodes soak: {arn}: {:?} in partition {partition} (owner {owner:?}); journal {:?}; timers {timers:?}",
                row.map(|r| r.status),
                journal.iter().map(|j| j.json.chars().take(60).collect::<String>()).collect::<Vec<_>>()
            );
        }
        let now: Vec<u64> = rt
            .block_on(store.owners())
            .unwrap()
            .into_iter()
            .map(|o| o.epoch)
            .collect();
        for (p, (before, after)) in epochs.iter().zip(&now).enumerate() {
            if after < before {
                problems.push(format!(
                    "partition {p}: epoch {before} went down to {after}"
                ));
            }
        }
        epochs = now;
        // No step written by a node after another took its partition over.
        match schema.journal_written_out_of_turn() {
            Ok(entries) => problems.extend(
                entries
                    .into_iter()
                    .map(|e| format!("round {round}: journal entry written out of turn: {e}")),
            ),
            Err(e) => problems.push(format!("round {round}: cannot read the journal: {e}")),
        }
    }
    let all: Vec<u32> = (0..64).collect();
    let left = rt.block_on(store.inbox(&all, 10)).unwrap();
    if !left.is_empty() {
        problems.push(format!("inbox entries left: {left:?}"));
    }
    let open = rt.block_on(store.open_tasks_in(&all)).unwrap();
    if !open.is_empty() {
        problems.push(format!("open tasks left: {open:?}"));
    }
    let answered = counts.answered.load(Ordering::Relaxed);
    let twice = counts.answered_twice.load(Ordering::Relaxed);
    if twice > 0 {
        problems.push(format!("{twice} task results acknowledged twice"));
    }
    println!(
        "nodes soak: rounds {round}, acknowledged {}, succeeded {}, lost {}, doubled {}, malformed {}, \
         task results acknowledged {answered} (twice {twice}), claims lost in flight \
         {claims_lost}; survived: kills {round}, pauses {round}, sessions ended {round}, \
         connections cut {round}, PostgreSQL crashes {round}",
        ledger.acknowledged, ledger.succeeded, ledger.lost, ledger.doubled, ledger.malformed
    );
    println!(
        "nodes soak: taken over after kill -9 {}; after a pause (lease {LEASE} s) {}",
        spread(&mut after_kill),
        spread(&mut after_pause)
    );
    for p in &problems {
        eprintln!("nodes soak: {p}");
    }
    // One worker: at most one claim in flight when each of a round's three faults strikes.
    assert!(
        claims_lost <= 3 * round,
        "{claims_lost} claims lost in flight in {round} rounds"
    );
    assert!(ledger.acknowledged > 0, "nothing was acknowledged");
    assert!(answered > 0, "no task was answered");
    assert!(problems.is_empty(), "{} problems", problems.len());
    for node in &mut nodes {
        let _ = node.child.kill();
    }
    drop(nodes);
    drop(schema);
}
