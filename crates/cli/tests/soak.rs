//! The soak: the fault campaign against a real `baton serve`, in rounds, with counts. Each round
//! kills the server (-9) under concurrent StartExecution load and restarts it on the same data
//! folder; fills its disk (a small tmpfs, as root on Linux) and frees it; holds stalled request
//! heads open past its connection cap (slowloris); and runs expressions that never end or that
//! allocate without bound. Nothing acknowledged may be lost or doubled, every refusal must be an
//! answer (a 5xx, a closed connection; never a hang or a crash), every runaway must fail with
//! `States.QueryEvaluationError`.
//!
//! One short round by default (`cargo test`). The long soak is run by hand:
//! `BATON_SOAK_ROUNDS=50 cargo test --release -p baton-cli --test soak -- --nocapture`.
//! `BATON_SOAK_SECONDS=S` keeps starting rounds until S seconds have passed,
//! `BATON_SOAK_STARTS=N` is the most starts acknowledged before each kill (the kill comes at a
//! random point of the second half), `BATON_SOAK_SEED` repeats a run's kill points.

#[path = "support/audit.rs"]
mod audit;
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audit::{
    answer, audit, client, health, reference, settle, why, Ack, Answer, Ledger, Settled, BOUND,
    SETTLE_POLLS,
};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::{json, Value};
use support::server::{create_machine, Server};

/// Concurrent clients starting executions in the kill -9 fault.
const CLIENTS: usize = 6;
/// The API listener's connection cap in the slowloris fault, and the stalled heads sent to it.
const CAP: usize = 64;
const STALLED: usize = CAP + 16;
/// Starts refused by a full disk before the disk is freed again.
const DISK_REFUSALS: u64 = 8;
/// The tmpfs sizes: the full disk, and the disk once freed.
const DISK_MIB: u64 = 16;
const FREED_MIB: u64 = 256;
const FOREVER: &str = "{% ($f := function($x){$f($x)}; $f(1)) %}";
const ALLOCATE: &str = "{% $join([1..10000000].$string()) %}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_campaign_loses_doubles_and_hangs_nothing() {
    let settings = Settings::from_env();
    eprintln!(
        "soak: {} round(s){}, up to {} starts before each kill, seed {}",
        settings.rounds,
        settings
            .seconds
            .map(|s| format!(" and at least {s} s"))
            .unwrap_or_default(),
        settings.starts,
        settings.seed
    );
    let mut rng = Rng(settings.seed);
    let began = Instant::now();
    let mut totals = Totals::default();
    while totals.rounds < settings.rounds
        || settings
            .seconds
            .is_some_and(|s| began.elapsed() < Duration::from_secs(s))
    {
        let round = totals.rounds;
        kill_9_under_load(round, &settings, &mut rng, &mut totals).await;
        full_disk(&mut totals).await;
        slowloris(&mut totals).await;
        runaway_expressions(&mut totals).await;
        totals.rounds += 1;
        eprintln!(
            "soak: round {} done after {:.0?}",
            totals.rounds,
            began.elapsed()
        );
    }
    totals.print();
    assert!(
        totals.problems.is_empty(),
        "soak: problems:\n{}",
        totals.problems.join("\n")
    );
    for (fault, ledger) in [("kill -9", &totals.crash), ("full disk", &totals.disk)] {
        assert_eq!(ledger.lost, 0, "{fault}: acknowledged executions lost");
        assert_eq!(ledger.doubled, 0, "{fault}: executions doubled");
        assert_eq!(ledger.malformed, 0, "{fault}: histories malformed");
    }
    assert_eq!(
        totals.crash.succeeded, totals.crash.acknowledged,
        "kill -9: every acknowledged execution succeeds"
    );
    assert_eq!(
        totals.runaway.failed_cleanly, totals.runaway.started,
        "every runaway fails with States.QueryEvaluationError"
    );
}

/// What the environment asks for.
struct Settings {
    rounds: u64,
    seconds: Option<u64>,
    starts: u64,
    seed: u64,
}

impl Settings {
    fn from_env() -> Settings {
        let number = |name: &str| {
            std::env::var(name).ok().map(|v| {
                v.trim()
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
            })
        };
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Settings {
            rounds: number("BATON_SOAK_ROUNDS").unwrap_or(1),
            seconds: number("BATON_SOAK_SECONDS"),
            starts: number("BATON_SOAK_STARTS").unwrap_or(120).max(2),
            seed: number("BATON_SOAK_SEED").unwrap_or(clock) | 1,
        }
    }
}

/// xorshift64*: where each round's kill falls, repeatable from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

#[derive(Default)]
struct Totals {
    rounds: u64,
    crash: Ledger,
    disk: Ledger,
    /// Starts a full disk refused with a 5xx answer.
    disk_refused: u64,
    /// Rounds whose full disk fault could not run.
    disk_skipped: u64,
    /// Starts answered once the disk was freed, before the restart (of those tried).
    disk_recovered: (u64, u64),
    /// Acknowledged executions that finished once the disk was freed, before the restart (of
    /// those acknowledged).
    disk_resumed: (u64, u64),
    stalled: u64,
    stalled_closed: u64,
    slowloris_probes: u64,
    slowloris_probes_sent: u64,
    runaway: Runaway,
    problems: Vec<String>,
}

#[derive(Default)]
struct Runaway {
    started: u64,
    failed_cleanly: u64,
    health_meanwhile: u64,
}

impl Totals {
    fn print(&self) {
        let line = |fault: &str, l: &Ledger, extra: String| {
            println!(
                "soak: {fault}: acknowledged {}, succeeded {}, lost {}, doubled {}, malformed {}{extra}",
                l.acknowledged, l.succeeded, l.lost, l.doubled, l.malformed
            )
        };
        line("kill -9 under load", &self.crash, String::new());
        if self.disk_skipped == self.rounds {
            println!("soak: full disk: skipped");
        } else {
            line(
                "full disk",
                &self.disk,
                format!(
                    ", refused cleanly {}; once freed, before a restart: finished {} of {}, new starts answered {} of {}{}",
                    self.disk_refused,
                    self.disk_resumed.0,
                    self.disk_resumed.1,
                    self.disk_recovered.0,
                    self.disk_recovered.1,
                    if self.disk_skipped > 0 {
                        format!(", skipped in {} round(s)", self.disk_skipped)
                    } else {
                        String::new()
                    }
                ),
            );
        }
        println!(
            "soak: slowloris: stalled connections {}, closed by the server {}, probes answered {} of {}",
            self.stalled, self.stalled_closed, self.slowloris_probes, self.slowloris_probes_sent
        );
        println!(
            "soak: runaway expressions: started {}, failed cleanly {}, /health answered {} times meanwhile",
            self.runaway.started, self.runaway.failed_cleanly, self.runaway.health_meanwhile
        );
        println!(
            "soak: rounds {}, acknowledged {}, lost {}, doubled {}, refused cleanly {} (full disk {}, slowloris {}), runaway failed cleanly {}",
            self.rounds,
            self.crash.acknowledged + self.disk.acknowledged,
            self.crash.lost + self.disk.lost,
            self.crash.doubled + self.disk.doubled,
            self.disk_refused + self.stalled_closed,
            self.disk_refused,
            self.stalled_closed,
            self.runaway.failed_cleanly
        );
        for problem in &self.problems {
            println!("soak: problem: {problem}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fault 1: kill -9 under load.

/// The machines started under load: Pass, Wait, Choice, Parallel and Map, JSONPath.
fn load_machines() -> Vec<(&'static str, Value)> {
    vec![
        (
            "wait",
            json!({"StartAt": "Prepare", "States": {
                "Prepare": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.prepared", "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                "Done": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": true}}}),
        ),
        (
            "choice",
            json!({"StartAt": "Which", "States": {
                "Which": {"Type": "Choice", "Choices": [
                    {"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": "Nap"}],
                    "Default": "Impossible"},
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                "Done": {"Type": "Succeed"},
                "Impossible": {"Type": "Fail", "Error": "Soak.Impossible"}}}),
        ),
        (
            "parallel",
            json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true,
                "Branches": [
                    {"StartAt": "Nap", "States": {
                        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Left"},
                        "Left": {"Type": "Pass", "End": true}}},
                    {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": true}}}]}}}),
        ),
        (
            "map",
            json!({"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                "ItemProcessor": {"StartAt": "Nap", "States": {
                    "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Inc"},
                    "Inc": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": true}}},
                "End": true}}}),
        ),
    ]
}

async fn kill_9_under_load(round: u64, settings: &Settings, rng: &mut Rng, totals: &mut Totals) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let client = client(&server);
    let mut machines = BTreeMap::new();
    for (kind, definition) in load_machines() {
        let arn = create_machine(&client, &format!("soak-{kind}"), &definition).await;
        machines.insert(kind, arn);
    }
    let kill_at = settings.starts / 2 + rng.below(settings.starts / 2 + 1);

    let acked: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let unexpected: Arc<Mutex<Vec<String>>> = Arc::default();
    let killing = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let kinds: Vec<(&'static str, String)> =
        machines.iter().map(|(k, a)| (*k, a.clone())).collect();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, kinds) = (client.clone(), kinds.clone());
            let (acked, unexpected) = (acked.clone(), unexpected.clone());
            let (killing, next) = (killing.clone(), next.clone());
            tokio::spawn(async move {
                while !killing.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let (kind, machine) = &kinds[i as usize % kinds.len()];
                    let name = format!("r{round}-{kind}-{i}");
                    let sent = client
                        .start_execution()
                        .state_machine_arn(machine)
                        .name(&name)
                        .input(json!({"n": i, "items": [1, 2, 3]}).to_string())
                        .send()
                        .await;
                    match sent {
                        Ok(out) => acked.lock().unwrap().push(Ack {
                            kind,
                            name,
                            arn: out.execution_arn,
                        }),
                        // Refused or cut off by the kill: not acknowledged, nothing promised.
                        Err(_) if killing.load(Ordering::SeqCst) => {}
                        Err(e) => unexpected.lock().unwrap().push(format!(
                            "kill -9: start {name} before the kill: {}",
                            why(&e)
                        )),
                    }
                }
            })
        })
        .collect();
    // Bounded: the kill comes at `kill_at` acknowledged starts, or after a minute at most.
    for _ in 0..6000 {
        if acked.lock().unwrap().len() as u64 >= kill_at {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    killing.store(true, Ordering::SeqCst);
    server.kill_9();
    for c in clients {
        c.await.expect("a load client");
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    totals
        .problems
        .extend(std::mem::take(&mut *unexpected.lock().unwrap()));
    if (acked.len() as u64) < kill_at {
        totals.problems.push(format!(
            "kill -9: only {} of {kill_at} starts acknowledged before the kill",
            acked.len()
        ));
    }

    let server = Server::start(dir.path(), &[]);
    let client = self::client(&server);
    let mut references = BTreeMap::new();
    for (kind, machine) in &machines {
        let visits = reference(&client, machine, &json!({"n": 0, "items": [1, 2, 3]})).await;
        references.insert(*kind, visits);
    }
    eprintln!(
        "soak: kill -9 after {} acknowledged starts, restarted",
        acked.len()
    );
    audit(
        "kill -9",
        &client,
        &machines,
        &acked,
        &references,
        &mut totals.crash,
        &mut totals.problems,
    )
    .await;
    stop(server, "kill -9", &mut totals.problems);
}

// ---------------------------------------------------------------------------------------------
// Fault 2: a full disk.

/// A tmpfs mounted on a folder for as long as this lives.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mib: u64) -> Result<Tmpfs, String> {
        let size = format!("size={mib}m");
        command("mount", &["-t", "tmpfs", "-o", &size, "tmpfs"], dir)?;
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, mib: u64) -> Result<(), String> {
        command("mount", &["-o", &format!("remount,size={mib}m")], &self.0)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if command("umount", &[], &self.0).is_err() {
            // Something still holds a file there: detach it now, the kernel frees it later.
            let _ = command("umount", &["-l"], &self.0);
        }
    }
}

/// Runs `program args… dir`; the error is its stderr.
fn command(program: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    let out = std::process::Command::new(program)
        .args(args)
        .arg(dir)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether this process runs with effective user id 0.
fn root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Says why the full disk fault does not run; under `BATON_CI_STRICT=1` that is a failure.
fn skip_full_disk(why: &str, totals: &mut Totals) {
    let msg = format!("soak: full disk skipped: {why}");
    if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
        panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
    }
    println!("{msg}");
    totals.disk_skipped += 1;
}

async fn full_disk(totals: &mut Totals) {
    if !cfg!(target_os = "linux") || !root() {
        return skip_full_disk("needs root to mount a tmpfs", totals);
    }
    let folder = tempfile::tempdir().unwrap();
    let disk = match Tmpfs::mount(folder.path(), DISK_MIB) {
        Ok(disk) => disk,
        Err(e) => return skip_full_disk(&format!("cannot mount a tmpfs: {e}"), totals),
    };
    let server = Server::start(folder.path(), &[]);
    let client = client(&server);
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.prepared", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    let machine = create_machine(&client, "soak-disk", &definition).await;
    let machines = BTreeMap::from([("disk", machine.clone())]);
    // Large inputs fill the disk in a few dozen starts: each is kept in the execution, its
    // history and its journal.
    let input = json!({"pad": "x".repeat(100_000)}).to_string();
    let mut acked = Vec::new();
    let mut refused = 0;
    let mut failed = false;
    for i in 0..2000 {
        if refused >= DISK_REFUSALS {
            break;
        }
        let name = format!("disk-{i}");
        match answer(
            client
                .start_execution()
                .state_machine_arn(&machine)
                .name(&name)
                .input(&input)
                .send()
                .await,
        ) {
            Answer::Ok(out) => acked.push(Ack {
                kind: "disk",
                name,
                arn: out.execution_arn,
            }),
            Answer::Refused(_) => refused += 1,
            Answer::Failed(why) => {
                totals
                    .problems
                    .push(format!("full disk: start {name}: {why}"));
                failed = true;
                break;
            }
        }
    }
    eprintln!(
        "soak: full disk: {} starts acknowledged, {refused} refused",
        acked.len()
    );
    totals.disk_refused += refused;
    if refused == 0 && !failed {
        totals
            .problems
            .push("full disk: 2000 starts and the store never reported the disk full".into());
    }
    // Held full for about two seconds, /health asked all along: the acknowledged executions'
    // Wait states end meanwhile, so their next steps meet the full disk too.
    for _ in 0..20 {
        if let Err(why) = health(&server.endpoint).await {
            totals
                .problems
                .push(format!("full disk: /health while the disk is full: {why}"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Err(e) = disk.resize(FREED_MIB) {
        totals.problems.push(format!("full disk: freeing it: {e}"));
        return;
    }
    if let Err(why) = health(&server.endpoint).await {
        totals
            .problems
            .push(format!("full disk: /health once freed: {why}"));
    }
    // Not required of the server, but worth knowing: do the executions the full disk stopped
    // go on, and does it take work again, before a restart?
    let arns: Vec<String> = acked.iter().map(|a| a.arn.clone()).collect();
    let resumed = settle(&client, &arns, 50)
        .await
        .iter()
        .filter(|s| matches!(s, Settled::Finished(_)))
        .count();
    totals.disk_resumed.0 += resumed as u64;
    totals.disk_resumed.1 += arns.len() as u64;
    totals.disk_recovered.1 += 1;
    let name = "disk-freed".to_string();
    match answer(
        client
            .start_execution()
            .state_machine_arn(&machine)
            .name(&name)
            .input(&input)
            .send()
            .await,
    ) {
        Answer::Ok(out) => {
            totals.disk_recovered.0 += 1;
            acked.push(Ack {
                kind: "disk",
                name,
                arn: out.execution_arn,
            });
        }
        Answer::Refused(why) | Answer::Failed(why) => {
            eprintln!("soak: full disk: once freed, before a restart, a start answered {why}")
        }
    }
    stop(server, "full disk", &mut totals.problems);
    let server = Server::start(folder.path(), &[]);
    let client = self::client(&server);
    let references = BTreeMap::from([("disk", reference(&client, &machine, &json!({})).await)]);
    audit(
        "full disk",
        &client,
        &machines,
        &acked,
        &references,
        &mut totals.disk,
        &mut totals.problems,
    )
    .await;
    stop(server, "full disk", &mut totals.problems);
    drop(disk);
}

// ---------------------------------------------------------------------------------------------
// Fault 3: slowloris.

/// What became of one stalled request head.
enum Stall {
    /// The server closed the connection (after an answer or not).
    Closed,
    /// Still open when the bound ran out.
    Open,
    Failed(String),
}

/// Connects, sends part of a request head, and stalls (with `trickle`, one byte more every
/// 200 ms) until the server closes the connection.
fn stall(addr: SocketAddr, trickle: bool, sent: std::sync::mpsc::Sender<()>) -> Stall {
    let mut stream = match TcpStream::connect_timeout(&addr, BOUND) {
        Ok(stream) => stream,
        Err(e) => {
            let _ = sent.send(());
            return Stall::Failed(format!("connect: {e}"));
        }
    };
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nX-Slow: "
    );
    let written = stream.write_all(head.as_bytes());
    let _ = sent.send(());
    if written.is_err() {
        return Stall::Closed;
    }
    let tick = Duration::from_millis(200);
    stream.set_read_timeout(Some(tick)).expect("a read timeout");
    let mut buf = [0u8; 4096];
    for _ in 0..(BOUND.as_millis() / tick.as_millis()) {
        match stream.read(&mut buf) {
            Ok(0) => return Stall::Closed,
            // The refusal the server writes before it closes.
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if trickle && stream.write_all(b"x").is_err() {
                    return Stall::Closed;
                }
            }
            // Reset by the server.
            Err(_) => return Stall::Closed,
        }
    }
    Stall::Open
}

async fn slowloris(totals: &mut Totals) {
    let dir = tempfile::tempdir().unwrap();
    let cap = CAP.to_string();
    let server = Server::start(
        dir.path(),
        &["--header-read-timeout", "1", "--max-connections", &cap],
    );
    let client = client(&server);
    let machine = create_machine(
        &client,
        "soak-probe",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .await;
    let addr: SocketAddr = server
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address");
    let (sent, heads) = std::sync::mpsc::channel();
    let stalls: Vec<_> = (0..STALLED)
        .map(|i| {
            let sent = sent.clone();
            std::thread::spawn(move || stall(addr, i % 2 == 1, sent))
        })
        .collect();
    drop(sent);
    // Every head is out (or its connection failed) before the probes start.
    let all_sent = tokio::task::spawn_blocking(move || {
        (0..STALLED).all(|_| heads.recv_timeout(BOUND).is_ok())
    })
    .await
    .unwrap();
    if !all_sent {
        totals
            .problems
            .push("slowloris: a stalled connection never sent its head".into());
    }
    // More stalled connections than the cap: the probes wait in the backlog until the header
    // deadline frees places, then must be answered.
    for _ in 0..3 {
        totals.slowloris_probes_sent += 2;
        match health(&server.endpoint).await {
            Ok(()) => totals.slowloris_probes += 1,
            Err(why) => totals
                .problems
                .push(format!("slowloris: /health while stalled: {why}")),
        }
        match answer(
            client
                .describe_state_machine()
                .state_machine_arn(&machine)
                .send()
                .await,
        ) {
            Answer::Ok(_) => totals.slowloris_probes += 1,
            Answer::Refused(why) | Answer::Failed(why) => totals.problems.push(format!(
                "slowloris: DescribeStateMachine while stalled: {why}"
            )),
        }
    }
    let outcomes = tokio::task::spawn_blocking(move || {
        stalls
            .into_iter()
            .map(|s| s.join().expect("a stalled connection"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    totals.stalled += outcomes.len() as u64;
    for outcome in outcomes {
        match outcome {
            Stall::Closed => totals.stalled_closed += 1,
            Stall::Open => totals.problems.push(format!(
                "slowloris: a stalled head still open after {BOUND:?}"
            )),
            Stall::Failed(why) => totals.problems.push(format!("slowloris: {why}")),
        }
    }
    if let Answer::Refused(why) | Answer::Failed(why) =
        answer(client.list_state_machines().send().await)
    {
        totals
            .problems
            .push(format!("slowloris: ListStateMachines afterwards: {why}"));
    }
    stop(server, "slowloris", &mut totals.problems);
}

// ---------------------------------------------------------------------------------------------
// Fault 4: runaway expressions.

async fn runaway_expressions(totals: &mut Totals) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--evaluation-budget", "1", "--evaluation-memory", "64"],
    );
    let client = client(&server);
    let mut starts = Vec::new();
    for (name, expression) in [("forever", FOREVER), ("allocate", ALLOCATE)] {
        let definition = json!({
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": expression, "End": true}}
        });
        let machine = create_machine(&client, &format!("soak-{name}"), &definition).await;
        for i in 0..2 {
            let client = client.clone();
            let machine = machine.clone();
            starts.push(tokio::spawn(async move {
                answer(
                    client
                        .start_execution()
                        .state_machine_arn(machine)
                        .name(format!("{name}-{i}"))
                        .send()
                        .await,
                )
            }));
        }
    }
    // /health is asked all along, from before the first start until the last runaway ends.
    let done = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let prober = {
        let (done, answered) = (done.clone(), answered.clone());
        let endpoint = server.endpoint.clone();
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !done.load(Ordering::SeqCst) {
                match health(&endpoint).await {
                    Ok(()) => {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(why) => failures.push(format!("runaway: /health meanwhile: {why}")),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            failures
        })
    };
    let mut arns = Vec::new();
    for start in starts {
        match start.await.unwrap() {
            Answer::Ok(out) => arns.push(out.execution_arn),
            Answer::Refused(why) | Answer::Failed(why) => {
                totals.problems.push(format!("runaway: start: {why}"))
            }
        }
    }
    totals.runaway.started += arns.len() as u64;
    let settled = settle(&client, &arns, SETTLE_POLLS).await;
    done.store(true, Ordering::SeqCst);
    totals.problems.extend(prober.await.unwrap());
    totals.runaway.health_meanwhile += answered.load(Ordering::SeqCst) as u64;
    for (arn, settled) in arns.iter().zip(settled) {
        match settled {
            Settled::Finished(d)
                if d.status == ExecutionStatus::Failed
                    && d.error.as_deref() == Some("States.QueryEvaluationError") =>
            {
                totals.runaway.failed_cleanly += 1
            }
            Settled::Finished(d) => totals.problems.push(format!(
                "runaway: {arn} ended {:?} with {:?}: {:?}",
                d.status, d.error, d.cause
            )),
            Settled::Missing => totals
                .problems
                .push(format!("runaway: {arn} does not exist")),
            Settled::Running => totals.problems.push(format!("runaway: {arn} never ended")),
        }
    }
    stop(server, "runaway", &mut totals.problems);
}

/// SIGTERM; a server that does not exit 0 is a problem.
fn stop(server: Server, fault: &str, problems: &mut Vec<String>) {
    let status = server.terminate();
    if !status.success() {
        problems.push(format!(
            "{fault}: the server exited with {status} on SIGTERM"
        ));
    }
}
