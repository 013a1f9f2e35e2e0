//! A thread's budget is spent once it holds more than the budget, the hook runs once on that
//! thread, and nested scopes restore the outer count.

use std::sync::atomic::{AtomicUsize, Ordering};

use baton_alloc::{Budgeted, Scope};

#[global_allocator]
static ALLOCATOR: Budgeted = Budgeted;

static TRIPS: AtomicUsize = AtomicUsize::new(0);

fn trip() {
    TRIPS.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn a_budget_is_spent_past_its_size_and_trips_once() {
    baton_alloc::set_trip_hook(trip);
    let before = TRIPS.load(Ordering::Relaxed);
    assert!(baton_alloc::installed());
    {
        let _scope = Scope::enter(1 << 20);
        let small = vec![0u8; 1 << 10];
        assert!(!baton_alloc::spent());
        drop(small);
        // Freed bytes are not counted: many small blocks in turn stay within the budget.
        for _ in 0..10_000 {
            let block = vec![1u8; 1 << 10];
            std::hint::black_box(&block);
        }
        assert!(!baton_alloc::spent());
        let big = vec![0u8; 2 << 20];
        std::hint::black_box(&big);
        assert!(baton_alloc::spent());
        let more = vec![0u8; 2 << 20];
        std::hint::black_box(&more);
        assert_eq!(
            TRIPS.load(Ordering::Relaxed) - before,
            1,
            "the hook runs once"
        );
        {
            let _inner = Scope::enter(1 << 30);
            assert!(!baton_alloc::spent(), "an inner scope counts afresh");
        }
        assert!(baton_alloc::spent(), "the outer scope's state comes back");
    }
    assert!(!baton_alloc::spent(), "no budget, nothing spent");
    // Without a scope nothing is counted.
    let huge = vec![0u8; 8 << 20];
    std::hint::black_box(&huge);
    assert!(!baton_alloc::spent());
}

#[test]
fn other_threads_are_not_charged() {
    let _scope = Scope::enter(1 << 20);
    std::thread::spawn(|| {
        let big = vec![0u8; 4 << 20];
        std::hint::black_box(&big);
    })
    .join()
    .unwrap();
    assert!(!baton_alloc::spent());
}
