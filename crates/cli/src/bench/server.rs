//! The server `baton bench` starts for itself: this same binary's `baton serve` on a free
//! loopback port over a data folder, optionally pinned with `taskset`; killed and started again
//! on the same folder to time recovery. Also what `/proc` says about a process and the machine.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

use super::client::Endpoint;

/// How long a spawned server may take to print where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(300);

pub struct Spawned {
    child: Child,
    pub endpoint: Endpoint,
    pub data_dir: PathBuf,
    /// `--store` given to the server (none: SQLite in the data folder).
    pub store: Option<String>,
    cpus: Option<String>,
    /// From the server's `N unfinished execution(s) resumed` line.
    pub resumed: Option<u64>,
    /// From spawning to the `listening on` line.
    pub listening_after: Duration,
}

impl Spawned {
    /// Starts `baton serve --bind 127.0.0.1:0 --data-dir DIR` (with `--store STORE` and `extra`, under
    /// `taskset -c CPUS` if given) and waits until it says where it listens. Blocks.
    pub fn start(
        data_dir: &Path,
        cpus: Option<&str>,
        store: Option<&str>,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding the baton binary")?;
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpus).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        // The `function` workload's function: `cat` answers the event it reads.
        let config = data_dir.join("baton.toml");
        std::fs::write(&config, "[functions.Echo]\ncommand = [\"cat\"]\n")
            .with_context(|| format!("writing {}", config.display()))?;
        command
            .arg("serve")
            .arg("--bind")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(&config)
            .args(store.map(|s| ["--store", s]).into_iter().flatten())
            .args(extra)
            .env_remove("BATON_STORE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let began = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {} serve", exe.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from the server"))?;
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            // Reads every line, so the server never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    // Nobody listens any more; keep draining.
                }
            }
        });
        let mut endpoint = None;
        let mut resumed = None;
        let mut listening_after = Duration::ZERO;
        while resumed.is_none() {
            let wait = if endpoint.is_some() {
                // The lines after `listening on` come at once, if they come at all.
                Duration::from_secs(2)
            } else {
                START_TIMEOUT
            };
            let line = match lines.recv_timeout(wait) {
                Ok(line) => line,
                Err(_) if endpoint.is_some() => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("the server did not say where it listens within {START_TIMEOUT:?}");
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait()?;
                    bail!("the server exited before listening ({status})");
                }
            };
            if let Some(url) = line.strip_prefix("baton: listening on ") {
                listening_after = began.elapsed();
                endpoint = Some(Endpoint::parse(url.trim())?);
            } else if let Some(rest) = line.strip_prefix("baton: ") {
                if let Some(n) = rest.strip_suffix(" unfinished execution(s) resumed") {
                    resumed = n.trim().parse().ok();
                }
            }
        }
        let endpoint =
            endpoint.ok_or_else(|| anyhow!("the server did not say where it listens"))?;
        Ok(Self {
            child,
            endpoint,
            data_dir: data_dir.to_owned(),
            store: store.map(str::to_owned),
            cpus: cpus.map(str::to_owned),
            resumed,
            listening_after,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn cpus(&self) -> Option<&str> {
        self.cpus.as_deref()
    }

    /// SIGKILL, as a crash would: nothing is flushed or handed over.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("killing the server")?;
        self.child.wait().context("waiting for the server")?;
        Ok(())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A process's resident set and its peak, in KiB, from `/proc/<pid>/status`.
/// Waits (up to a minute) until `nodes` live nodes own the store's partitions between them.
pub async fn settled(store: &str, nodes: usize) -> anyhow::Result<()> {
    use baton_store::Membership;
    let store = baton_store_postgres::PgStore::open(store)
        .await
        .context("opening the store to watch its nodes")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let owners = store.owners().await?;
        let mut live: Vec<&str> = owners
            .iter()
            .filter(|o| o.owner_alive)
            .filter_map(|o| o.owner.as_deref())
            .collect();
        live.sort_unstable();
        live.dedup();
        let all_owned = owners.iter().all(|o| o.owner_alive);
        let ids: Vec<&str> = live.clone();
        let balanced = owners
            .iter()
            .all(|o| o.owner.as_deref() == baton_runtime::node::owner_of(o.partition, &ids));
        if live.len() == nodes && all_owned && balanced {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the {nodes} nodes did not share the partitions within a minute");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn rss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .ok_or_else(|| anyhow!("no {name} in {path}"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// Puts this process on `cpus` (before any other thread exists, so all inherit it).
pub fn pin_self(cpus: &str) -> anyhow::Result<()> {
    let status = Command::new("taskset")
        .arg("-p")
        .arg("-c")
        .arg(cpus)
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status()
        .context("running taskset")?;
    if !status.success() {
        bail!("taskset -p -c {cpus} failed ({status})");
    }
    Ok(())
}

/// The machine, as the report's header gives it.
pub struct Machine {
    pub cpus: usize,
    pub available: usize,
    pub model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpus = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let memory_gib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
            .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Self {
            cpus,
            available: std::thread::available_parallelism().map_or(1, |n| n.get()),
            model,
            memory_gib,
            kernel,
        }
    }
}

/// Now, in UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// CPU time so far, in clock ticks (USER_HZ, 100 per second on Linux): the whole machine's
/// busy time, the server's (when its pid is known) and this process's.
pub struct CpuSample {
    at: Instant,
    machine: Option<u64>,
    server: Option<u64>,
    own: Option<u64>,
}

/// Linux's USER_HZ, which `/proc` counts in; 100 on every architecture Baton builds for.
const TICKS_PER_SECOND: f64 = 100.0;

impl CpuSample {
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            machine: machine_busy_ticks(),
            server: server_pid.and_then(|pid| process_ticks(&format!("/proc/{pid}/stat"))),
            own: process_ticks("/proc/self/stat"),
        }
    }

    /// Seconds of CPU between `self` and `later`: the server's, this process's, and everything
    /// else's (other processes and the kernel outside the two).
    pub fn until(&self, later: &CpuSample) -> CpuUsage {
        let secs = |a: Option<u64>, b: Option<u64>| {
            a.zip(b)
                .map(|(a, b)| b.saturating_sub(a) as f64 / TICKS_PER_SECOND)
        };
        let machine = secs(self.machine, later.machine);
        let server = secs(self.server, later.server);
        let bench = secs(self.own, later.own);
        let others = match (machine, server, bench) {
            (Some(m), Some(s), Some(b)) => Some((m - s - b).max(0.0)),
            _ => None,
        };
        CpuUsage {
            wall: later.at.duration_since(self.at).as_secs_f64(),
            server,
            bench,
            others,
        }
    }
}

pub struct CpuUsage {
    pub wall: f64,
    pub server: Option<f64>,
    pub bench: Option<f64>,
    pub others: Option<f64>,
}

impl CpuUsage {
    pub fn text(&self) -> String {
        let s = |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{v:.1} s"));
        format!(
            "server {}, bench client {}, everything else {} over {:.1} s wall",
            s(self.server),
            s(self.bench),
            s(self.others),
            self.wall
        )
    }

    pub fn json(&self) -> serde_json::Value {
        let r = |v: Option<f64>| v.map(|v| (v * 100.0).round() / 100.0);
        serde_json::json!({
            "wall_s": (self.wall * 1000.0).round() / 1000.0,
            "server_s": r(self.server),
            "bench_s": r(self.bench),
            "others_s": r(self.others),
        })
    }
}

/// Busy ticks of all CPUs together, from `/proc/stat`.
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum();
    Some(busy)
}

/// utime + stime of a process (all its threads), from `/proc/<pid>/stat`.
fn process_ticks(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may contain spaces and parentheses; the fields follow the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the file are 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}
