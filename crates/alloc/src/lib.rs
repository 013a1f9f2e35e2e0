//! The process's allocator, [`Budgeted`]: mimalloc, counting the bytes each thread
//! holds while that thread runs under a memory budget ([`Scope`]). When a thread passes its
//! budget the allocation still succeeds (an allocator cannot fail without aborting the process)
//! but the budget is marked spent and the hook set with [`set_trip_hook`] is called once, on
//! that thread, so that whatever runs there (a JSONata evaluation) can stop at its next step.
//!
//! Why by hand: the crates that wrap an allocator either enforce one process-wide limit by
//! failing allocations (which aborts the process) or attribute allocations to groups through a
//! header on every block; a budget per thread, with a hook, is these forty lines.
//!
//! Underneath is mimalloc, not the C library's malloc: the server allocates and frees many small
//! blocks on many threads (requests, JSON, history events), and glibc's malloc spent a quarter
//! of the server's CPU doing it (`perf`, 3-Pass starts on PostgreSQL); with mimalloc the same
//! bench runs 25–30 % more executions per second on either store (BENCHMARKS.md).
//!
//! A binary opts in with `#[global_allocator] static A: baton_alloc::Budgeted = Budgeted;`.
//! Without it, [`Scope`] still works but nothing is counted ([`installed`] says which).

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// mimalloc's `mi_option_purge_delay` (mimalloc.h, `mi_option_e`; the sys crate names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator up for a long-running server; call first thing in `main`, before other
/// threads exist. Memory freed is given back to the system at once rather than a second later
/// (mimalloc 3's default):
/// a node that takes over a third of 100,000 parked executions peaked at 200 MiB with the
/// delay and 160 MiB without, at the same throughput (BENCHMARKS.md).
pub fn configure() {
    // SAFETY: sets one of mimalloc's options, by its number in mimalloc.h; not thread safe,
    // hence called before any other thread runs.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

/// mimalloc's purge delay in milliseconds (for a test that [`configure`] set the option meant).
pub fn purge_delay() -> i64 {
    // SAFETY: reads one of mimalloc's options by its number.
    #[allow(unsafe_code)]
    let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    // A C `long`: 64 bits here, 32 on some targets.
    #[allow(clippy::useless_conversion)]
    i64::from(delay)
}

/// mimalloc with per-thread budgets. See the crate documentation.
pub struct Budgeted;

thread_local! {
    /// The budget of the thread, in bytes; `usize::MAX` when the thread has none.
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
    /// Bytes the thread allocated and did not free since its budget began.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    /// Whether the thread passed its budget.
    static SPENT: Cell<bool> = const { Cell::new(false) };
}

/// Set once [`Budgeted`] served an allocation: the counting is real.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// What to call, on the thread, when it passes its budget. A plain `fn()` so that calling it
/// needs no allocation; null when none is set.
static HOOK: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Whether [`Budgeted`] is the process's allocator (it has served an allocation).
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Sets the function called on a thread when it passes its budget. It must not allocate.
pub fn set_trip_hook(hook: fn()) {
    HOOK.store(hook as *mut (), Ordering::Release);
}

/// Whether the current thread's budget is spent.
pub fn spent() -> bool {
    SPENT.try_with(Cell::get).unwrap_or(false)
}

/// A memory budget on the current thread, from [`Scope::enter`] until it is dropped. Scopes
/// nest: an inner one counts afresh, and the outer one's count resumes when it ends.
#[must_use = "the budget ends when the scope is dropped"]
pub struct Scope {
    limit: usize,
    live: usize,
    spent: bool,
}

impl Scope {
    /// Starts a budget of `bytes` on the current thread.
    pub fn enter(bytes: usize) -> Scope {
        Scope {
            limit: LIMIT.with(|c| c.replace(bytes)),
            live: LIVE.with(|c| c.replace(0)),
            spent: SPENT.with(|c| c.replace(false)),
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        LIMIT.with(|c| c.set(self.limit));
        LIVE.with(|c| c.set(self.live));
        SPENT.with(|c| c.set(self.spent));
    }
}

/// Counts `size` more bytes on this thread, and trips its budget when they pass it.
#[inline]
fn grow(size: usize) {
    let _ = LIMIT.try_with(|limit| {
        let limit = limit.get();
        if limit == usize::MAX {
            return;
        }
        let live = LIVE.with(|c| {
            let live = c.get().saturating_add(size);
            c.set(live);
            live
        });
        if live > limit && !SPENT.with(|c| c.replace(true)) {
            let hook = HOOK.load(Ordering::Acquire);
            if !hook.is_null() {
                // SAFETY: only `set_trip_hook` stores here, and it stores a `fn()`.
                #[allow(unsafe_code)]
                let hook: fn() = unsafe { std::mem::transmute::<*mut (), fn()>(hook) };
                hook();
            }
        }
    });
}

/// Counts `size` bytes fewer on this thread.
#[inline]
fn shrink(size: usize) {
    let _ = LIMIT.try_with(|limit| {
        if limit.get() != usize::MAX {
            LIVE.with(|c| c.set(c.get().saturating_sub(size)));
        }
    });
}

// SAFETY: every block comes from `MiMalloc` with the caller's layout and goes back to it; the
// bookkeeping around the calls touches only `const`-initialised thread-locals without
// destructors (no allocation, no re-entry) and atomics.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Budgeted {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        grow(layout.size());
        MiMalloc.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        grow(layout.size());
        MiMalloc.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        MiMalloc.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            shrink(layout.size() - new_size);
        }
        MiMalloc.realloc(ptr, layout, new_size)
    }
}
