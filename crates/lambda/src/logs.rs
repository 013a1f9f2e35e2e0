//! A warm process's output: stdout and stderr share one pipe (so their lines keep their order),
//! read line by line and filed under the request id of the invocation that printed them, in
//! the function's log file (`<NAME>.log`, each invocation's section starting
//! `--- RequestId: <id>`, the form the console's log view filters by `?requestId=`).
//!
//! Attribution: Baton's own runtimes write an end mark (`\x1ebaton-end:<id>`) after an
//! invocation's output and before its result (and say so with a `Baton-End-Mark` header on the
//! result; the Node.js runtime writes none after an invocation that printed nothing), so every
//! line before it belongs to that invocation; output between invocations (module initialisation, work left running) goes to
//! the next one. A `provided` runtime's own bootstrap writes no mark: its lines are filed under
//! the invocation in progress when Baton reads them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncBufReadExt;
use tokio::sync::Notify;

/// The end mark Baton's runtimes write (see the module comment).
const END: &[u8] = b"\x1ebaton-end:";
/// A line longer than this is cut (the rest is dropped up to its newline).
pub(crate) const MAX_LINE: usize = 64 * 1024;
/// An invocation's lines are kept up to this much before they are written out early.
const MAX_SECTION: usize = 256 * 1024;
/// What `log_tail` returns: Lambda's `LogType: Tail` gives the last 4 KB.
pub const LOG_TAIL_BYTES: usize = 4096;

/// A function's log file, shared by its processes; `None` when logs are not kept.
pub(crate) struct LogFile {
    path: Option<PathBuf>,
    lock: Mutex<()>,
}

impl LogFile {
    pub(crate) fn new(path: Option<PathBuf>) -> LogFile {
        LogFile {
            path,
            lock: Mutex::new(()),
        }
    }

    /// Appends one invocation's section; logging never fails an invocation.
    pub(crate) fn append(&self, request_id: &str, lines: &[u8]) {
        let Some(path) = &self.path else { return };
        if lines.is_empty() {
            return;
        }
        let mut text = format!("--- RequestId: {request_id}\n").into_bytes();
        text.extend_from_slice(lines);
        if !lines.ends_with(b"\n") {
            text.push(b'\n');
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.write_all(&text)
        };
        if let Err(e) = write() {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the function's log");
        }
    }
}

/// The lines of the invocation in progress, between the reader and the pool.
#[derive(Default)]
pub(crate) struct Section {
    /// The invocation the lines belong to (`None` between invocations).
    pub request_id: Option<String>,
    pub lines: Vec<u8>,
    /// The last end mark read.
    pub ended: Option<String>,
    /// The pipe closed: the process and whatever it started are gone.
    pub closed: bool,
}

pub(crate) struct Output {
    pub section: Mutex<Section>,
    pub changed: Notify,
    pub file: Arc<LogFile>,
}

impl Output {
    pub(crate) fn new(file: Arc<LogFile>) -> Arc<Output> {
        Arc::new(Output {
            section: Mutex::new(Section::default()),
            changed: Notify::new(),
            file,
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Section> {
        self.section.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the section of invocation `request_id` (keeping lines printed since the last one).
    pub(crate) fn begin(&self, request_id: &str) {
        let mut s = self.lock();
        s.request_id = Some(request_id.to_string());
        s.ended = None;
    }

    /// Ends the section of `request_id`, once its end mark is read when `wait_mark` (at most
    /// `patience`), else at once: writes it to the log and answers its last 4 KB.
    pub(crate) async fn finish(
        &self,
        request_id: &str,
        wait_mark: bool,
        patience: std::time::Duration,
    ) -> String {
        if wait_mark {
            let _ = tokio::time::timeout(patience, async {
                loop {
                    let notified = self.changed.notified();
                    {
                        let s = self.lock();
                        if s.closed || s.ended.as_deref() == Some(request_id) {
                            return;
                        }
                    }
                    notified.await;
                }
            })
            .await;
        }
        let lines = {
            let mut s = self.lock();
            s.request_id = None;
            std::mem::take(&mut s.lines)
        };
        self.file.append(request_id, &lines);
        tail(&lines)
    }
}

/// The last [`LOG_TAIL_BYTES`] of `lines`, from a character boundary.
pub fn tail(lines: &[u8]) -> String {
    let start = lines.len().saturating_sub(LOG_TAIL_BYTES);
    let text = String::from_utf8_lossy(&lines[start..]);
    let text = text.trim_start_matches('\u{fffd}');
    text.to_string()
}

/// Reads the process's output until the pipe closes.
pub(crate) async fn read(pipe: tokio::net::unix::pipe::Receiver, output: Arc<Output>) {
    let mut reader = tokio::io::BufReader::with_capacity(16 * 1024, pipe);
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        match read_line(&mut reader, &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut s = output.lock();
        let content = match find(&line, END) {
            Some(at) => {
                let id = String::from_utf8_lossy(&line[at + END.len()..])
                    .trim_end()
                    .to_string();
                let before = &line[..at];
                if !before.is_empty() {
                    s.lines.extend_from_slice(before);
                    s.lines.push(b'\n');
                }
                s.ended = Some(id);
                drop(s);
                output.changed.notify_waiters();
                continue;
            }
            None => &line[..],
        };
        s.lines.extend_from_slice(content);
        if !content.ends_with(b"\n") {
            s.lines.push(b'\n');
        }
        if s.lines.len() > MAX_SECTION {
            // Written out early, so that a chatty invocation holds no more than this.
            let lines = std::mem::take(&mut s.lines);
            let id = s.request_id.clone().unwrap_or_else(|| "-".to_string());
            drop(s);
            output.file.append(&id, &lines);
        }
    }
    let mut s = output.lock();
    s.closed = true;
    // Lines no invocation will collect (the process ended between invocations).
    if s.request_id.is_none() && !s.lines.is_empty() {
        let lines = std::mem::take(&mut s.lines);
        drop(s);
        output.file.append("-", &lines);
    } else {
        drop(s);
    }
    output.changed.notify_waiters();
}

/// Reads one line (with its newline) of at most [`MAX_LINE`] bytes; the rest of a longer line
/// is dropped.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(total);
        }
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        reader.consume(take);
        total += take;
        if done {
            return Ok(total);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
