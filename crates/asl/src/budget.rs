//! The budget of one engine step: how long its expressions may run and how much memory they
//! may hold, so that no definition can stall or exhaust the process that runs it.
//!
//! AWS documents no such limit (its JSONata evaluations run in its own fleet); Baton runs a
//! definition in the operator's process, so it bounds what one step can take. A caller (the
//! engine, around each event it applies) enters a [`Budget`] on its thread with [`enter`];
//! every JSONata evaluation opened on that thread while the [`Guard`] lives stops with
//! `States.QueryEvaluationError` once:
//!
//! * **time**: the step has run for [`Budget::time`] (wall clock, checked at every evaluation
//!   node, every item of a higher-order function and every pass of a tail-call loop), or
//! * **memory**: one evaluation holds more than [`Budget::memory_bytes`] allocated since it
//!   began (counted by the `baton-alloc` allocator when the binary installs it; without it only
//!   the value bounds below apply): per evaluation, not per step, so that the engine's own
//!   work in a large step (a Map's many runs and their history) never counts against an
//!   expression, or
//! * **values**: one sequence would pass [`MAX_SEQUENCE`] items or one string
//!   [`MAX_STRING_BYTES`] bytes.
//!
//! The one place the language layer reads a clock: the budget can only turn an evaluation into
//! a failure, never change a value it produces. Every bound is far above what an evaluation of
//! AWS-sized data (256 KiB payloads) needs; see `ARCHITECTURE.md`.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The most items one JSONata sequence (a path's result, a range, `$map`'s result, …) may
/// hold: jsonata-js's own bound on a range (`[1..10000000]`, error D2014), so no honest
/// expression meets it first.
pub const MAX_SEQUENCE: usize = 10_000_000;

/// The most bytes one string built by a JSONata function (`$pad`, `$join`, `$replace`, …) may
/// hold: 64 MiB, 256 times AWS's 256 KiB payload limit.
pub const MAX_STRING_BYTES: usize = 64 * 1024 * 1024;

/// What one step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time for all the step's evaluations together.
    pub time: Duration,
    /// Bytes one evaluation may hold at once beyond what its thread held when it began.
    pub memory_bytes: usize,
}

impl Default for Budget {
    /// 5 seconds and 256 MiB: an evaluation over AWS-sized data takes milliseconds and a few
    /// megabytes.
    fn default() -> Budget {
        Budget {
            time: Duration::from_secs(5),
            memory_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Why an evaluation was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Time(Duration),
    Memory(usize),
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Time(t) => write!(
                f,
                "The evaluation did not end within the step's budget of {} ms (an infinite loop?).",
                t.as_millis()
            ),
            Exceeded::Memory(bytes) => write!(
                f,
                "The evaluation used more than its budget of {} MiB of memory.",
                bytes / (1024 * 1024)
            ),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Active {
    budget: Budget,
    deadline: Instant,
}

thread_local! {
    static ACTIVE: Cell<Option<Active>> = const { Cell::new(None) };
    /// How many evaluations the budget stopped on this thread (for callers that must tell a
    /// step the budget cut short from one that failed on its own).
    static STOPPED: Cell<u64> = const { Cell::new(0) };
}

/// The budget of the current step on this thread, from [`enter`] until dropped.
#[must_use = "the budget ends when the guard is dropped"]
pub struct Guard {
    previous: Option<Active>,
}

/// Starts `budget` on the current thread. Guards nest; the innermost one applies.
pub fn enter(budget: Budget) -> Guard {
    let active = Active {
        budget,
        deadline: Instant::now() + budget.time,
    };
    Guard {
        previous: ACTIVE.with(|c| c.replace(Some(active))),
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        ACTIVE.with(|c| c.set(self.previous));
    }
}

/// The budget in force on this thread and the time it has left, if any.
pub(crate) fn current() -> Option<(Budget, Duration)> {
    let active = ACTIVE.with(Cell::get)?;
    Some((
        active.budget,
        active.deadline.saturating_duration_since(Instant::now()),
    ))
}

/// Records that the budget stopped an evaluation.
pub(crate) fn note_stopped() {
    STOPPED.with(|c| c.set(c.get() + 1));
}

/// How many evaluations a budget has stopped on this thread so far.
pub fn stopped_count() -> u64 {
    STOPPED.with(Cell::get)
}
