//! Log groups, streams and their events under `<data>/logs/`.
//!
//! * `catalog.jsonl` records every group and stream created or deleted, one JSON line per
//!   change, appended as it happens.
//! * A torn last line (a crash mid-write) of the catalog or of a stream is cut off when the
//!   store opens: it was never visible, and the next line appended would otherwise be glued
//!   to it.
//! * Each stream's events are in `<id>.log`, one line per event:
//!   `<timestamp> <ingestion time> <r|j><message>`, the message as it came (`r`) when it holds
//!   no line break, else as a JSON string (`j`). A line is visible once whole.
//!
//! * Retention (`PutRetentionPolicy`) trims a stream from its start: the catalog records the
//!   offset below which its events are gone (`trim`), reads start there, and the bytes before
//!   it are released with `fallocate(PUNCH_HOLE)` so offsets (and the tokens made of them)
//!   keep their meaning while the disk space is freed.
//!
//! Names never reach a path: on disk a group or stream is a number, so a name such as
//! `../../etc` (CloudWatch's pattern for group names allows dots and slashes) stays a name.
//!
//! Events are written by one thread, fed by a bounded queue: the engine hands its events over
//! and goes on, as Step Functions' own delivery "doesn't block or slow down executions" (Step
//! Functions Developer Guide, "Using CloudWatch Logs to log execution history"). Past the
//! queue's bound ([`QUEUE_BYTES`]) events are dropped and counted ([`Logs::dropped`]): the
//! same guide calls CloudWatch Logs delivery best-effort. The thread flushes whenever the
//! queue runs dry, and at least every 100 ms while it does not, so what was handed over is
//! readable within one flush.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use serde_json::{json, Value};

/// The most bytes of events waiting for the writer; past it, execution events are dropped.
pub const QUEUE_BYTES: u64 = 64 * 1024 * 1024;
/// Log groups an account may have in a region. CloudWatch Logs allows a million (an adjustable
/// quota); Baton keeps every group and stream in memory, so it bounds them lower.
pub const GROUPS_PER_ACCOUNT: usize = 10_000;
/// Streams a group may have. CloudWatch Logs sets none; Baton bounds them for the same reason
/// (execution logging makes one stream per state machine and process).
pub const STREAMS_PER_GROUP: usize = 50_000;
/// How often the writer wakes when nothing arrives (it flushes as soon as the queue is dry).
const IDLE_WAKE: Duration = Duration::from_millis(200);
/// The longest the writer goes on writing before it flushes, under a steady stream.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The most stream files the writer keeps open.
const OPEN_FILES: usize = 256;
/// How often groups with a retention policy are swept. CloudWatch Logs "typically takes up
/// to 72 hours" to delete expired events (API reference, `PutRetentionPolicy`); Baton sweeps
/// hourly, and a group at once when its policy is set.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The retention periods `PutRetentionPolicy` accepts, in days (API reference,
/// `retentionInDays`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A log group: its account, region and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl GroupKey {
    /// The group's ARN as `DescribeLogGroups` gives it in `arn` (with the trailing `:*`).
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}:*",
            self.region, self.account, self.name
        )
    }
}

/// Why a change was refused.
#[derive(Debug)]
pub enum Error {
    GroupNotFound,
    GroupExists,
    StreamNotFound,
    StreamExists,
    /// A quota of [`GROUPS_PER_ACCOUNT`] or [`STREAMS_PER_GROUP`] is reached.
    Limit(&'static str),
    /// The writer is gone (the store is closing) or the disk failed.
    Unavailable(String),
}

/// A group as `DescribeLogGroups` lists it.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub key: GroupKey,
    pub created: i64,
    pub stored_bytes: u64,
    pub retention_days: Option<u32>,
}

/// A stream as `DescribeLogStreams` lists it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    pub name: String,
    pub created: i64,
    pub first_event: Option<i64>,
    pub last_event: Option<i64>,
    pub last_ingestion: Option<i64>,
    pub stored_bytes: u64,
}

/// One stored event, where it is in its stream's file.
#[derive(Debug, Clone)]
pub struct Event {
    pub timestamp: i64,
    pub ingestion: i64,
    pub message: String,
    /// Where its line starts, and where the next one does.
    pub offset: u64,
    pub end: u64,
}

/// A stream, by its number on disk.
pub type StreamId = u64;

struct Stream {
    id: StreamId,
    created: i64,
    first_event: Option<i64>,
    last_event: Option<i64>,
    last_ingestion: Option<i64>,
    /// The file's length: the bytes written.
    bytes: u64,
    /// Where the live events start; those before it are past retention.
    trim: u64,
}

impl Stream {
    /// The bytes of its live events.
    fn stored(&self) -> u64 {
        self.bytes.saturating_sub(self.trim)
    }

    /// A stream with no events yet.
    fn new(id: StreamId, created: i64) -> Stream {
        Stream {
            id,
            created,
            first_event: None,
            last_event: None,
            last_ingestion: None,
            bytes: 0,
            trim: 0,
        }
    }
}

struct Group {
    id: u64,
    created: i64,
    streams: BTreeMap<String, Stream>,
    retention_days: Option<u32>,
}

#[derive(Default)]
struct State {
    groups: HashMap<GroupKey, Group>,
    /// Every live stream's group and name, by id.
    owners: HashMap<StreamId, (GroupKey, String)>,
    next_id: u64,
}

enum Job {
    Append {
        stream: StreamId,
        lines: Vec<u8>,
        first: i64,
        last: i64,
        ingestion: i64,
    },
    /// Answered once everything queued before it is flushed.
    Flush(Sender<()>),
    /// Closes the files of deleted streams.
    Forget(Vec<StreamId>),
}

struct Shared {
    dir: PathBuf,
    state: RwLock<State>,
    catalog: Mutex<File>,
    queued: AtomicU64,
    dropped: AtomicU64,
}

/// The log groups of every account, kept under one folder. Cheap to clone.
#[derive(Clone)]
pub struct Logs {
    shared: Arc<Shared>,
    jobs: Sender<Job>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Logs {
    /// Opens (or creates) the store in `dir` and starts its writer thread.
    pub fn open(dir: &Path) -> std::io::Result<Logs> {
        std::fs::create_dir_all(dir)?;
        let catalog_path = dir.join("catalog.jsonl");
        cut_torn_line(&catalog_path)?;
        let state = load(dir, &catalog_path)?;
        let catalog = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&catalog_path)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            state: RwLock::new(state),
            catalog: Mutex::new(catalog),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        let (jobs, receiver) = crossbeam_channel::unbounded();
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("baton-logs".into())
            .spawn(move || write_loop(&writer, &receiver))?;
        let sweeper = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("baton-logs-retention".into())
            .spawn(move || sweep_loop(&sweeper))?;
        Ok(Logs { shared, jobs })
    }

    fn record(&self, line: &Value) -> Result<(), Error> {
        let mut catalog = self
            .shared
            .catalog
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut text = line.to_string();
        text.push('\n');
        catalog
            .write_all(text.as_bytes())
            .map_err(|e| Error::Unavailable(e.to_string()))
    }

    /// `CreateLogGroup`.
    pub fn create_group(&self, key: &GroupKey) -> Result<(), Error> {
        let mut state = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
        if state.groups.contains_key(key) {
            return Err(Error::GroupExists);
        }
        let owned = state
            .groups
            .keys()
            .filter(|k| k.account == key.account && k.region == key.region)
            .count();
        if owned >= GROUPS_PER_ACCOUNT {
            return Err(Error::Limit("log groups per account and region"));
        }
        let id = state.next_id;
        let created = now();
        self.record(&json!({"op": "group", "id": id, "account": key.account,
            "region": key.region, "name": key.name, "created": created}))?;
        state.next_id += 1;
        state.groups.insert(
            key.clone(),
            Group {
                id,
                created,
                streams: BTreeMap::new(),
                retention_days: None,
            },
        );
        Ok(())
    }

    /// `DeleteLogGroup`: the group, its streams and their events.
    pub fn delete_group(&self, key: &GroupKey) -> Result<(), Error> {
        let ids: Vec<StreamId> = {
            let mut state = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
            let Some(group) = state.groups.get(key) else {
                return Err(Error::GroupNotFound);
            };
            self.record(&json!({"op": "delete", "id": group.id}))?;
            let group = state.groups.remove(key).expect("present");
            let ids: Vec<StreamId> = group.streams.values().map(|s| s.id).collect();
            for id in &ids {
                state.owners.remove(id);
            }
            ids
        };
        self.forget(ids);
        Ok(())
    }

    /// `CreateLogStream`.
    pub fn create_stream(&self, key: &GroupKey, name: &str) -> Result<StreamId, Error> {
        let mut state = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
        let id = state.next_id;
        let group = state.groups.get_mut(key).ok_or(Error::GroupNotFound)?;
        if group.streams.contains_key(name) {
            return Err(Error::StreamExists);
        }
        if group.streams.len() >= STREAMS_PER_GROUP {
            return Err(Error::Limit("log streams per log group"));
        }
        let created = now();
        let line = json!({"op": "stream", "id": id, "group": group.id, "name": name,
            "created": created});
        self.record(&line)?;
        group
            .streams
            .insert(name.to_string(), Stream::new(id, created));
        state.owners.insert(id, (key.clone(), name.to_string()));
        state.next_id += 1;
        Ok(id)
    }

    /// `DeleteLogStream`.
    pub fn delete_stream(&self, key: &GroupKey, name: &str) -> Result<(), Error> {
        let id = {
            let mut state = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
            let group = state.groups.get_mut(key).ok_or(Error::GroupNotFound)?;
            let id = group.streams.get(name).ok_or(Error::StreamNotFound)?.id;
            self.record(&json!({"op": "delete", "id": id}))?;
            group.streams.remove(name);
            state.owners.remove(&id);
            id
        };
        self.forget(vec![id]);
        Ok(())
    }

    fn forget(&self, ids: Vec<StreamId>) {
        if ids.is_empty() {
            return;
        }
        // The writer closes the files, then removes them (it may hold them open).
        let _ = self.jobs.send(Job::Forget(ids));
    }

    /// Whether the group exists.
    pub fn group_exists(&self, key: &GroupKey) -> bool {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state.groups.contains_key(key)
    }

    /// The stream `name` of the group, created when missing; `None` when the group is not
    /// there (deleted since a state machine named it: its executions' events are lost, as
    /// on AWS).
    pub fn stream_for(&self, key: &GroupKey, name: &str) -> Option<StreamId> {
        {
            let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
            let group = state.groups.get(key)?;
            if let Some(stream) = group.streams.get(name) {
                return Some(stream.id);
            }
        }
        match self.create_stream(key, name) {
            Ok(id) => Some(id),
            Err(Error::StreamExists) => self.stream_id(key, name).ok(),
            Err(_) => None,
        }
    }

    /// The id of an existing stream.
    pub fn stream_id(&self, key: &GroupKey, name: &str) -> Result<StreamId, Error> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let group = state.groups.get(key).ok_or(Error::GroupNotFound)?;
        Ok(group.streams.get(name).ok_or(Error::StreamNotFound)?.id)
    }

    /// Hands `events` (timestamp, message) of one stream to the writer, best effort: dropped
    /// and counted when the queue is over [`QUEUE_BYTES`]. Returns whether they were taken.
    pub fn append(&self, stream: StreamId, events: &[(i64, &str)]) -> bool {
        let Some((lines, first, last, ingestion)) = encode(events) else {
            return true;
        };
        let size = lines.len() as u64;
        if self.shared.queued.fetch_add(size, Ordering::Relaxed) + size > QUEUE_BYTES {
            self.shared.queued.fetch_sub(size, Ordering::Relaxed);
            self.shared
                .dropped
                .fetch_add(events.len() as u64, Ordering::Relaxed);
            return false;
        }
        let job = Job::Append {
            stream,
            lines,
            first,
            last,
            ingestion,
        };
        if self.jobs.send(job).is_err() {
            self.shared.queued.fetch_sub(size, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Waits until everything handed over before the call is written and readable.
    pub fn flush(&self) -> Result<(), Error> {
        let (done, wait) = crossbeam_channel::bounded(1);
        self.jobs
            .send(Job::Flush(done))
            .map_err(|_| Error::Unavailable("the log writer has stopped".into()))?;
        wait.recv()
            .map_err(|_| Error::Unavailable("the log writer has stopped".into()))
    }

    /// Events dropped because the writer's queue was full, since the store opened.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// The groups of `account` in `region` whose names start with `prefix`, by name.
    pub fn groups(&self, account: &str, region: &str, prefix: &str) -> Vec<GroupInfo> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<GroupInfo> = state
            .groups
            .iter()
            .filter(|(k, _)| k.account == account && k.region == region)
            .filter(|(k, _)| k.name.starts_with(prefix))
            .map(|(k, g)| GroupInfo {
                key: k.clone(),
                created: g.created,
                stored_bytes: g.streams.values().map(Stream::stored).sum(),
                retention_days: g.retention_days,
            })
            .collect();
        out.sort_by(|a, b| a.key.name.cmp(&b.key.name));
        out
    }

    /// The group's streams whose names start with `prefix`, by name.
    pub fn streams(&self, key: &GroupKey, prefix: &str) -> Result<Vec<StreamInfo>, Error> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let group = state.groups.get(key).ok_or(Error::GroupNotFound)?;
        Ok(group
            .streams
            .range(prefix.to_string()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .map(|(name, s)| StreamInfo {
                name: name.clone(),
                created: s.created,
                first_event: s.first_event,
                last_event: s.last_event,
                last_ingestion: s.last_ingestion,
                stored_bytes: s.stored(),
            })
            .collect())
    }

    /// Where a stream's live events start (0 for a stream retention never trimmed).
    fn trim_of(&self, stream: StreamId) -> u64 {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .owners
            .get(&stream)
            .and_then(|(key, name)| state.groups.get(key)?.streams.get(name))
            .map_or(0, |s| s.trim)
    }

    /// `PutRetentionPolicy` (`Some`) and `DeleteRetentionPolicy` (`None`); a new policy is
    /// applied at once.
    pub fn set_retention(&self, key: &GroupKey, days: Option<u32>) -> Result<(), Error> {
        {
            let mut state = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
            let group = state.groups.get_mut(key).ok_or(Error::GroupNotFound)?;
            if group.retention_days != days {
                let line = json!({"op": "retention", "id": group.id, "days": days});
                self.record(&line)?;
                group.retention_days = days;
            }
        }
        if days.is_some() {
            sweep_groups(&self.shared, now(), Some(key))?;
        }
        Ok(())
    }

    /// The oldest event time a group keeps (`None`: it keeps everything).
    pub fn retained_from(&self, key: &GroupKey) -> Option<i64> {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let days = state.groups.get(key)?.retention_days?;
        Some(now() - i64::from(days) * DAY_MS)
    }

    /// Deletes the events past their group's retention as of `now` (ms), in every group
    /// with a policy; returns how many bytes of events it released.
    pub fn sweep(&self, now: i64) -> Result<u64, Error> {
        sweep_groups(&self.shared, now, None)
    }

    /// Where to start reading for the events stamped `time` or later: a line start found by
    /// bisecting the file on its lines' timestamps, at or before the first such line when the
    /// lines are in time order. Appends are, up to the moments between a step making its
    /// events and the writer writing them: callers ask for a time with slack for that.
    pub fn seek(&self, stream: StreamId, time: i64) -> Result<u64, Error> {
        let path = self.shared.dir.join(format!("{stream}.log"));
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::Unavailable(e.to_string())),
        };
        let unavailable = |e: std::io::Error| Error::Unavailable(e.to_string());
        let len = file.metadata().map_err(unavailable)?.len();
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        // `lo` is a line start whose line is stamped before `time` (or the first live line).
        let (mut lo, mut hi) = (self.trim_of(stream), len);
        let mut line = Vec::new();
        while hi - lo > 64 * 1024 {
            let mid = lo + (hi - lo) / 2;
            reader.seek(SeekFrom::Start(mid)).map_err(unavailable)?;
            line.clear();
            let skipped = reader.read_until(b'\n', &mut line).map_err(unavailable)?;
            let start = mid + skipped as u64;
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(unavailable)?;
            let stamp = (n > 0 && line.last() == Some(&b'\n'))
                .then(|| std::str::from_utf8(&line).ok())
                .flatten()
                .and_then(|l| l.split(' ').next())
                .and_then(|t| t.parse::<i64>().ok());
            match stamp {
                Some(t) if t < time && start < hi => lo = start,
                _ => hi = mid,
            }
        }
        Ok(lo)
    }

    /// Where a stream's whole lines end: what reads see (a line being written is not yet
    /// counted).
    pub fn end_of(&self, stream: StreamId) -> u64 {
        let state = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .owners
            .get(&stream)
            .and_then(|(key, name)| state.groups.get(key)?.streams.get(name))
            .map_or(0, |s| s.bytes)
    }

    /// The last events before byte `to` (the end when `None`) that `keep` keeps: at most
    /// `limit`, and no more than about `max_bytes` of messages (at least one), oldest first.
    /// Read from the end back, a window at a time (64 KiB, doubling), so the latest events of
    /// a long stream cost what they hold, not the stream.
    pub fn read_back(
        &self,
        stream: StreamId,
        to: Option<u64>,
        limit: usize,
        max_bytes: usize,
        keep: impl Fn(&Event) -> bool,
    ) -> Result<Vec<Event>, Error> {
        let trim = self.trim_of(stream);
        let mut hi = to.unwrap_or_else(|| self.end_of(stream)).max(trim);
        let mut window: u64 = 64 * 1024;
        // Newest first.
        let mut taken: Vec<Event> = Vec::new();
        let mut bytes = 0;
        while hi > trim && taken.len() < limit {
            let lo = hi.saturating_sub(window).max(trim);
            let start = if lo == trim {
                lo
            } else {
                self.line_start_from(stream, lo)?
            };
            window = window.saturating_mul(2);
            if start >= hi {
                // One line longer than the window: a wider one.
                continue;
            }
            let mut chunk = Vec::new();
            self.read(stream, start, Some(hi), |e| {
                if keep(&e) {
                    chunk.push(e);
                }
                true
            })?;
            for e in chunk.into_iter().rev() {
                let size = e.message.len() + 26;
                if taken.len() == limit || (bytes + size > max_bytes && !taken.is_empty()) {
                    hi = trim;
                    break;
                }
                bytes += size;
                taken.push(e);
            }
            hi = hi.min(start);
        }
        taken.reverse();
        Ok(taken)
    }

    /// The first line start at or after `at` (the end of the file when there is none).
    fn line_start_from(&self, stream: StreamId, at: u64) -> Result<u64, Error> {
        let path = self.shared.dir.join(format!("{stream}.log"));
        let unavailable = |e: std::io::Error| Error::Unavailable(e.to_string());
        let file = File::open(&path).map_err(unavailable)?;
        let mut reader = BufReader::with_capacity(16 * 1024, file);
        // The byte before `at` tells whether a line starts there.
        let from = at.saturating_sub(1);
        reader.seek(SeekFrom::Start(from)).map_err(unavailable)?;
        let mut skipped = Vec::new();
        let n = reader
            .read_until(b'\n', &mut skipped)
            .map_err(unavailable)?;
        Ok(from + n as u64)
    }

    /// Reads a stream's events from byte `from` up to `to` (the end when `None`), calling
    /// `visit` for each until it returns false.
    pub fn read(
        &self,
        stream: StreamId,
        from: u64,
        to: Option<u64>,
        mut visit: impl FnMut(Event) -> bool,
    ) -> Result<(), Error> {
        let path = self.shared.dir.join(format!("{stream}.log"));
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::Unavailable(e.to_string())),
        };
        let from = from.max(self.trim_of(stream));
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        reader
            .seek(SeekFrom::Start(from))
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let mut offset = from;
        let mut line = Vec::new();
        loop {
            if to.is_some_and(|to| offset >= to) {
                return Ok(());
            }
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::Unavailable(e.to_string()))?;
            // The end, or a line still being written.
            if n == 0 || line.last() != Some(&b'\n') {
                return Ok(());
            }
            let end = offset + n as u64;
            if let Some(event) = decode(&line[..n - 1], offset, end) {
                if !visit(event) {
                    return Ok(());
                }
            }
            offset = end;
        }
    }
}

/// Sweeps every [`SWEEP_EVERY`] until the store is dropped.
fn sweep_loop(shared: &std::sync::Weak<Shared>) {
    let mut last = std::time::Instant::now() - SWEEP_EVERY;
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if last.elapsed() >= SWEEP_EVERY {
            last = std::time::Instant::now();
            if let Err(e) = sweep_groups(&shared, now(), None) {
                tracing::warn!(error = ?e, "could not apply log retention");
            }
        }
        drop(shared);
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Trims the streams of `only` (or of every group with a policy) to their retention; the
/// bytes released. Reads happen without the state's lock; each trim is recorded in the
/// catalog before its bytes are released, so a crash between the two only delays the
/// release to the next sweep.
fn sweep_groups(shared: &Shared, now: i64, only: Option<&GroupKey>) -> Result<u64, Error> {
    // (stream, trim, cutoff) of each stream with events older than its group keeps.
    let due: Vec<(StreamId, u64, i64)> = {
        let state = shared.state.read().unwrap_or_else(|e| e.into_inner());
        state
            .groups
            .iter()
            .filter(|(key, _)| only.is_none_or(|o| o == *key))
            .filter_map(|(_, g)| Some((g, now - i64::from(g.retention_days?) * DAY_MS)))
            .flat_map(|(g, cutoff)| {
                g.streams
                    .values()
                    .filter(move |s| s.first_event.is_some_and(|f| f < cutoff))
                    .map(move |s| (s.id, s.trim, cutoff))
            })
            .collect()
    };
    let mut released = 0;
    for (id, trim, cutoff) in due {
        let path = shared.dir.join(format!("{id}.log"));
        let (to, first) = match expired_prefix(&path, trim, cutoff) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::Unavailable(e.to_string())),
        };
        if to <= trim {
            continue;
        }
        {
            let mut state = shared.state.write().unwrap_or_else(|e| e.into_inner());
            let State { groups, owners, .. } = &mut *state;
            let Some(s) = owners
                .get(&id)
                .and_then(|(key, name)| groups.get_mut(key)?.streams.get_mut(name))
            else {
                continue;
            };
            let line = format!("{{\"op\":\"trim\",\"id\":{id},\"offset\":{to}}}\n");
            shared
                .catalog
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .write_all(line.as_bytes())
                .map_err(|e| Error::Unavailable(e.to_string()))?;
            released += to - s.trim;
            s.trim = to;
            s.first_event = first;
            if first.is_none() {
                s.last_event = None;
            }
        }
        release(&path, to);
    }
    Ok(released)
}

/// Where the events of a stream file stamped before `cutoff` end, reading from `trim`: the
/// offset of the first whole line stamped at or after it (or of the end of the whole lines),
/// and that line's timestamp. The file is cut as a prefix, so an event older than `cutoff`
/// written after a newer one waits for the newer one to expire.
fn expired_prefix(path: &Path, trim: u64, cutoff: i64) -> std::io::Result<(u64, Option<i64>)> {
    let mut reader = BufReader::with_capacity(256 * 1024, File::open(path)?);
    reader.seek(SeekFrom::Start(trim))?;
    let mut offset = trim;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok((offset, None));
        }
        let stamp = std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.split(' ').next())
            .and_then(|t| t.parse::<i64>().ok());
        if let Some(t) = stamp.filter(|t| *t >= cutoff) {
            return Ok((offset, Some(t)));
        }
        offset += n as u64;
    }
}

/// Gives the file's bytes before `to` back to the file system, keeping its length (and so
/// every offset); where the file system cannot, the bytes stay and are never read.
fn release(path: &Path, to: u64) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{fallocate, FallocateFlags};
        let Ok(file) = OpenOptions::new().write(true).open(path) else {
            return;
        };
        let flags = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
        if let Err(e) = fallocate(&file, flags, 0, to) {
            tracing::debug!(error = %e, "log bytes kept");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (path, to);
}

/// The lines of `events`, with their first and last timestamps and the ingestion time.
fn encode(events: &[(i64, &str)]) -> Option<(Vec<u8>, i64, i64, i64)> {
    if events.is_empty() {
        return None;
    }
    let ingestion = now();
    let mut lines = Vec::with_capacity(events.iter().map(|(_, m)| m.len() + 32).sum());
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (timestamp, message) in events {
        first = first.min(*timestamp);
        last = last.max(*timestamp);
        let _ = write!(lines, "{timestamp} {ingestion} ");
        if message.contains(['\n', '\r']) {
            lines.push(b'j');
            let _ = serde_json::to_writer(&mut lines, message);
        } else {
            lines.push(b'r');
            lines.extend_from_slice(message.as_bytes());
        }
        lines.push(b'\n');
    }
    Some((lines, first, last, ingestion))
}

/// One line (without its line break) back into an event.
fn decode(line: &[u8], offset: u64, end: u64) -> Option<Event> {
    let text = std::str::from_utf8(line).ok()?;
    let (timestamp, rest) = text.split_once(' ')?;
    let (ingestion, rest) = rest.split_once(' ')?;
    let message = match rest.as_bytes().first()? {
        b'r' => rest[1..].to_string(),
        b'j' => serde_json::from_str(&rest[1..]).ok()?,
        _ => return None,
    };
    Some(Event {
        timestamp: timestamp.parse().ok()?,
        ingestion: ingestion.parse().ok()?,
        message,
        offset,
        end,
    })
}

/// The catalog replayed, each live stream's figures read from its file.
fn load(dir: &Path, catalog: &Path) -> std::io::Result<State> {
    let mut state = State::default();
    let text = match std::fs::read(catalog) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut group_keys: HashMap<u64, GroupKey> = HashMap::new();
    for line in text.split(|b| *b == b'\n') {
        let Ok(entry) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let id = entry["id"].as_u64().unwrap_or(0);
        state.next_id = state.next_id.max(id + 1);
        let text = |k: &str| entry[k].as_str().unwrap_or_default().to_string();
        let created = entry["created"].as_i64().unwrap_or(0);
        match entry["op"].as_str() {
            Some("group") => {
                let key = GroupKey {
                    account: text("account"),
                    region: text("region"),
                    name: text("name"),
                };
                group_keys.insert(id, key.clone());
                state.groups.insert(
                    key,
                    Group {
                        id,
                        created,
                        streams: BTreeMap::new(),
                        retention_days: None,
                    },
                );
            }
            Some("stream") => {
                let group = entry["group"].as_u64().unwrap_or(u64::MAX);
                let Some(key) = group_keys.get(&group) else {
                    continue;
                };
                if let Some(g) = state.groups.get_mut(key) {
                    let name = text("name");
                    g.streams.insert(name.clone(), Stream::new(id, created));
                    state.owners.insert(id, (key.clone(), name));
                }
            }
            Some("retention") => {
                let days = entry["days"].as_u64().and_then(|d| u32::try_from(d).ok());
                if let Some(g) = group_keys.get(&id).and_then(|k| state.groups.get_mut(k)) {
                    g.retention_days = days;
                }
            }
            Some("trim") => {
                let offset = entry["offset"].as_u64().unwrap_or(0);
                if let Some(s) = state.owners.get(&id).and_then(|(key, name)| {
                    state
                        .groups
                        .get_mut(key)
                        .and_then(|g| g.streams.get_mut(name))
                }) {
                    s.trim = s.trim.max(offset);
                }
            }
            Some("delete") => {
                if let Some(key) = group_keys.remove(&id) {
                    if let Some(g) = state.groups.remove(&key) {
                        for s in g.streams.values() {
                            state.owners.remove(&s.id);
                        }
                    }
                } else if let Some((key, name)) = state.owners.remove(&id) {
                    if let Some(g) = state.groups.get_mut(&key) {
                        g.streams.remove(&name);
                    }
                }
            }
            _ => {}
        }
    }
    // Each stream's size and first and last events; files of deleted streams go.
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let Some((key, stream)) = state.owners.get(&id).cloned() else {
            let _ = std::fs::remove_file(entry.path());
            continue;
        };
        let Some(s) = state
            .groups
            .get_mut(&key)
            .and_then(|g| g.streams.get_mut(&stream))
        else {
            continue;
        };
        cut_torn_line(&entry.path())?;
        let (bytes, first, last) = figures(&entry.path(), s.trim)?;
        {
            s.bytes = bytes;
            s.first_event = first.map(|e| e.timestamp);
            s.last_event = last.as_ref().map(|e| e.timestamp);
            s.last_ingestion = last.map(|e| e.ingestion);
        }
    }
    Ok(state)
}

/// Cuts the file at `path` after its last line break, if it ends in the middle of a line.
fn cut_torn_line(path: &Path) -> std::io::Result<()> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let mut end = size;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let from = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|b| *b == b'\n') {
            end = from + i as u64 + 1;
            break;
        }
        end = from;
    }
    if end < size {
        tracing::warn!(path = %path.display(), torn = size - end, "cut a torn last line");
        file.set_len(end)?;
        file.sync_all()?;
    }
    Ok(())
}

/// A stream file's size, first live event (at or after `trim`) and last whole event.
fn figures(path: &Path, trim: u64) -> std::io::Result<(u64, Option<Event>, Option<Event>)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = Vec::new();
    file.seek(SeekFrom::Start(trim))?;
    BufReader::new(&mut file).read_until(b'\n', &mut head)?;
    let first = (head.last() == Some(&b'\n'))
        .then(|| decode(&head[..head.len() - 1], trim, trim + head.len() as u64))
        .flatten();
    if first.is_none() {
        // Nothing live: every event is past retention.
        return Ok((size, None, None));
    }
    let tail_from = size.saturating_sub(256 * 1024).max(trim);
    file.seek(SeekFrom::Start(tail_from))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let last = tail
        .strip_suffix(b"\n")
        .and_then(|t| t.rsplit(|b| *b == b'\n').next())
        .and_then(|line| decode(line, 0, 0));
    Ok((size, first, last))
}

/// What one flush changes in a stream's figures.
struct Written {
    bytes: u64,
    first: i64,
    last: i64,
    ingestion: i64,
}

fn write_loop(shared: &Shared, jobs: &Receiver<Job>) {
    let mut files: HashMap<StreamId, BufWriter<File>> = HashMap::new();
    let mut written: HashMap<StreamId, Written> = HashMap::new();
    let mut waiting: Vec<Sender<()>> = Vec::new();
    loop {
        let job = match jobs.recv_timeout(IDLE_WAKE) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut next = job;
        // What is queued, then one flush; under a steady stream at most every
        // [`FLUSH_EVERY`], so reads, stream figures and `flush` waiters never wait for the
        // load to stop.
        let began = std::time::Instant::now();
        while let Some(job) = next.take() {
            run(shared, job, &mut files, &mut written, &mut waiting);
            if began.elapsed() >= FLUSH_EVERY {
                break;
            }
            next = jobs.try_recv().ok();
        }
        for file in files.values_mut() {
            if let Err(e) = file.flush() {
                tracing::warn!(error = %e, "could not write execution logs");
            }
        }
        if files.len() > OPEN_FILES {
            files.clear();
        }
        if !written.is_empty() {
            let mut state = shared.state.write().unwrap_or_else(|e| e.into_inner());
            let State { groups, owners, .. } = &mut *state;
            for (id, w) in written.drain() {
                let Some((key, name)) = owners.get(&id) else {
                    continue;
                };
                if let Some(s) = groups.get_mut(key).and_then(|g| g.streams.get_mut(name)) {
                    s.bytes += w.bytes;
                    s.first_event = Some(s.first_event.map_or(w.first, |f| f.min(w.first)));
                    s.last_event = Some(s.last_event.map_or(w.last, |l| l.max(w.last)));
                    s.last_ingestion = Some(w.ingestion);
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
    for file in files.values_mut() {
        let _ = file.flush();
    }
}

fn run(
    shared: &Shared,
    job: Job,
    files: &mut HashMap<StreamId, BufWriter<File>>,
    written: &mut HashMap<StreamId, Written>,
    waiting: &mut Vec<Sender<()>>,
) {
    match job {
        Job::Append {
            stream,
            lines,
            first,
            last,
            ingestion,
        } => {
            shared
                .queued
                .fetch_sub(lines.len() as u64, Ordering::Relaxed);
            let live = {
                let state = shared.state.read().unwrap_or_else(|e| e.into_inner());
                state.owners.contains_key(&stream)
            };
            if !live {
                return;
            }
            let file = match files.entry(stream) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let path = shared.dir.join(format!("{stream}.log"));
                    match OpenOptions::new().create(true).append(true).open(&path) {
                        Ok(f) => e.insert(BufWriter::with_capacity(64 * 1024, f)),
                        Err(error) => {
                            tracing::warn!(%error, "could not open a log stream's file");
                            return;
                        }
                    }
                }
            };
            if let Err(error) = file.write_all(&lines) {
                tracing::warn!(%error, "could not write execution logs");
                return;
            }
            let w = written.entry(stream).or_insert(Written {
                bytes: 0,
                first,
                last,
                ingestion,
            });
            w.bytes += lines.len() as u64;
            w.first = w.first.min(first);
            w.last = w.last.max(last);
            w.ingestion = ingestion;
        }
        Job::Flush(done) => waiting.push(done),
        Job::Forget(ids) => {
            for id in ids {
                files.remove(&id);
                written.remove(&id);
                let _ = std::fs::remove_file(shared.dir.join(format!("{id}.log")));
            }
        }
    }
}
