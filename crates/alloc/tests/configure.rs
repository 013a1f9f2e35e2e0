//! `configure` sets mimalloc's purge delay, 1,000 ms by default in mimalloc 3 (`options.c`,
//! `purge_delay`): the option number names that option, and the call makes purging immediate.

#[test]
fn configure_makes_purging_immediate() {
    assert_eq!(
        baton_alloc::purge_delay(),
        1000,
        "mimalloc's default purge delay"
    );
    baton_alloc::configure();
    assert_eq!(baton_alloc::purge_delay(), 0);
}
