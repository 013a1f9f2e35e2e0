//! Checkpoints: copying committed pages from the WAL back into the database file.
//!
//! The copying (and its fsyncs) runs on a checkpointer thread, PASSIVE, so the writer does not
//! wait for it; the writer nudges it every so many commits. But SQLite starts the WAL afresh
//! only when a write begins after a checkpoint that copied everything, which a concurrent
//! checkpoint never quite does under sustained writes: the WAL would grow without end. So when
//! the WAL holds `Options::wal_pages` pages, the writer itself, between two groups, runs a RESTART
//! checkpoint — little is left to copy by then, unless the disk is slow, and then the writer
//! waiting is the right back-pressure — and its next write starts the WAL from the beginning.
//! Only one checkpoint can run at a time (SQLite answers BUSY, without waiting, to a second), so
//! the two threads take turns through [`Shared`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use rusqlite::Connection;

/// The writer nudges the checkpointer after this many requests or groups, whichever comes
/// first: a checkpoint after every commit would copy the same hot pages (the right edge of each
/// B-tree) again and again.
const NUDGE_REQUESTS: u64 = 256;
const NUDGE_GROUPS: u64 = 32;

/// What the writer and the checkpointer share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Held while a checkpoint runs.
    turn: Mutex<()>,
    /// Set from a RESTART checkpoint until the writer's next commit, which is the write that
    /// starts the WAL afresh. It does so only if no other connection holds a WAL read lock at
    /// that moment, which a concurrent checkpoint can: none runs meanwhile.
    restarting: AtomicBool,
}

/// The writer's side.
pub(crate) struct Nudge {
    signal: Sender<()>,
    shared: Arc<Shared>,
    /// WAL frames (pages) past which the writer makes the WAL start afresh.
    restart_frames: i64,
    /// Requests and groups committed since the last nudge.
    requests: u64,
    groups: u64,
}

impl Nudge {
    pub(crate) fn new(signal: Sender<()>, shared: Arc<Shared>, restart_frames: u32) -> Nudge {
        Nudge {
            signal,
            shared,
            restart_frames: i64::from(restart_frames.max(1)),
            requests: 0,
            groups: 0,
        }
    }

    /// Counts a committed group of `requests`; asks for a checkpoint when enough were committed
    /// since the last one (one asked for and not yet started covers this one too), and restarts
    /// the WAL on `conn`, the writer's connection, when it has grown too long.
    pub(crate) fn committed(&mut self, conn: &Connection, requests: usize) {
        self.shared.restarting.store(false, Ordering::Relaxed);
        // NOOP: only reports (busy, frames in the WAL, frames copied back).
        let frames = conn
            .query_row("PRAGMA wal_checkpoint(NOOP)", [], |r| r.get::<_, i64>(1))
            .unwrap_or(0);
        if frames >= self.restart_frames {
            let _turn = self.shared.turn.lock();
            self.shared.restarting.store(true, Ordering::Relaxed);
            // Waits for readers of old pages (they are short), copies the rest back, and makes
            // the next write start the WAL afresh. On failure the WAL stays as it is, to be
            // restarted after the next group.
            let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
        }
        self.requests += requests as u64;
        self.groups += 1;
        if self.requests < NUDGE_REQUESTS && self.groups < NUDGE_GROUPS {
            return;
        }
        self.requests = 0;
        self.groups = 0;
        match self.signal.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Checkpoints, PASSIVE, each time it is nudged, until the writer is gone. A failed checkpoint
/// loses nothing: the pages stay in the WAL for the next one.
pub(crate) fn run(conn: Connection, nudges: Receiver<()>, shared: Arc<Shared>) {
    while nudges.recv().is_ok() {
        let _turn = shared.turn.lock();
        if shared.restarting.load(Ordering::Relaxed) {
            continue;
        }
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}
