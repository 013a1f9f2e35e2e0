//! The process's allocator, [`Budgeted`]: the system allocator, counting the bytes each thread
//! holds while that thread runs under a memory budget ([`Scope`]). When a thread passes its
//! budget the allocation still succeeds (an allocator cannot fail without aborting the process)
//! but the budget is marked spent and the hook set with [`set_trip_hook`] is called once, on
//! that thread, so that whatever runs there (a JSONata evaluation) can stop at its next step.
//!
//! Why by hand: the crates that wrap an allocator either enforce one process-wide limit by
//! failing allocations (which aborts the process) or attribute allocations to groups through a
//! header on every block; a budget per thread, with a hook, is these forty lines.
//!
//! A binary opts in with `#[global_allocator] static A: baton_alloc::Budgeted = Budgeted;`.
//! Without it, [`Scope`] still works but nothing is counted ([`installed`] says which).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The system allocator with per-thread budgets. See the crate documentation.
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

// SAFETY: every block comes from `System` with the caller's layout and goes back to it; the
// bookkeeping around the calls touches only `const`-initialised thread-locals without
// destructors (no allocation, no re-entry) and atomics.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Budgeted {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        grow(layout.size());
        System.alloc(layout)
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        grow(layout.size());
        System.alloc_zeroed(layout)
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        System.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            shrink(layout.size() - new_size);
        }
        System.realloc(ptr, layout, new_size)
    }
}
