//! Two stores on one database, as two nodes: a takeover waits for the old owner's step in
//! flight, then refuses its writes; racing takeovers each get a partition once.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use baton_store::testing::{execution, wait};
use baton_store::{Error, Fence, Membership, Op, Store, WriteBatch};
use baton_store_postgres::testing::TestSchema;
use baton_store_postgres::PgStore;

fn open(schema: &TestSchema) -> Arc<PgStore> {
    Arc::new(wait(PgStore::open(&schema.url)).expect("open store"))
}

#[test]
fn a_takeover_waits_for_the_step_in_flight_then_fences_it_out() {
    let Some(schema) = TestSchema::create("fencing") else {
        return;
    };
    let (old, new) = (open(&schema), open(&schema));
    // The old owner's lease is one millisecond long: it is as good as dead at once.
    wait(old.heartbeat("old", "http://old", 1)).unwrap();
    wait(new.heartbeat("new", "http://new", 60_000)).unwrap();
    let first = wait(old.acquire("old", 3))
        .unwrap()
        .expect("a free partition");
    std::thread::sleep(Duration::from_millis(20));

    // The old owner's step in flight: its transaction holds the partition's row as every
    // fenced batch does, and has not committed.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = tokio_postgres::Config::from_str(&schema.url).unwrap();
    let (client, connection) = runtime
        .block_on(config.connect(tokio_postgres::NoTls))
        .unwrap();
    runtime.spawn(connection);
    runtime
        .block_on(
            client.batch_execute("BEGIN; SELECT epoch FROM partitions WHERE id = 3 FOR SHARE"),
        )
        .unwrap();

    let taker = {
        let new = new.clone();
        std::thread::spawn(move || wait(new.acquire("new", 3)))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !taker.is_finished(),
        "the takeover went ahead while a step of the old epoch was in flight"
    );
    runtime.block_on(client.batch_execute("COMMIT")).unwrap();
    let second = taker
        .join()
        .unwrap()
        .unwrap()
        .expect("the takeover of an expired owner");
    assert_eq!(second, first + 1);

    let e = execution("m", "late", 1);
    let late = WriteBatch::from(vec![Op::CreateExecution(e.clone())]).fenced(Fence {
        partition: 3,
        epoch: first,
    });
    assert_eq!(
        wait(old.commit(late)),
        Err(Error::Fenced {
            partition: 3,
            epoch: first
        })
    );
    assert_eq!(wait(new.execution(&e.arn)).unwrap(), None);
}

#[test]
fn racing_takeovers_give_each_partition_to_one_node() {
    let Some(schema) = TestSchema::create("racing") else {
        return;
    };
    let stores = [open(&schema), open(&schema)];
    for (i, s) in stores.iter().enumerate() {
        wait(s.heartbeat(&format!("n{i}"), "http://n", 60_000)).unwrap();
    }
    let won: Vec<Vec<(u32, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                scope.spawn(move || {
                    (0..baton_store::PARTITIONS)
                        .filter_map(|p| {
                            wait(s.acquire(&format!("n{i}"), p))
                                .unwrap()
                                .map(|e| (p, e))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u32> = won.iter().flatten().map(|(p, _)| *p).collect();
    all.sort();
    assert_eq!(
        all,
        (0..baton_store::PARTITIONS).collect::<Vec<_>>(),
        "every partition taken exactly once"
    );
    assert!(won.iter().flatten().all(|(_, e)| *e == 1), "{won:?}");
    let owners = wait(stores[0].owners()).unwrap();
    for (i, mine) in won.iter().enumerate() {
        for (p, _) in mine {
            assert_eq!(
                owners[*p as usize].owner.as_deref(),
                Some(&*format!("n{i}"))
            );
        }
    }
}

#[test]
fn a_node_is_gone_once_its_process_connection_closes() {
    let Some(schema) = TestSchema::create("presence") else {
        return;
    };
    let (a, b) = (open(&schema), open(&schema));
    wait(a.hold_presence("a")).unwrap();
    assert!(!wait(b.is_gone("a")).unwrap(), "a's process is running");
    wait(a.heartbeat("a", "http://a", 60_000)).unwrap();
    let first = wait(a.acquire("a", 9)).unwrap().expect("a free partition");
    wait(b.heartbeat("b", "http://b", 60_000)).unwrap();
    assert_eq!(wait(b.acquire("b", 9)).unwrap(), None, "a's lease runs");
    // The process ends: its connections close with it.
    drop(a);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !wait(b.is_gone("a")).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "a's presence outlived its connection"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        wait(b.take_over("b", 9, "someone-else")).unwrap(),
        None,
        "taken only from the owner named"
    );
    assert_eq!(wait(b.take_over("b", 9, "a")).unwrap(), Some(first + 1));
}

/// Asking whether a node is gone leaves its presence lock alone: nodes asking at the same
/// moment all find a gone node gone (a check that took the lock to find out made the others
/// find it held, and wait their grace over again).
#[test]
fn nodes_asking_at_once_all_find_a_gone_node_gone() {
    let Some(schema) = TestSchema::create("presence_race") else {
        return;
    };
    let (b, c) = (open(&schema), open(&schema));
    let asks = (0..100)
        .flat_map(|_| [b.clone(), c.clone()])
        .map(|s| async move { s.is_gone("gone").await });
    let answers = wait(futures_util::future::join_all(asks));
    let held = answers.iter().filter(|a| !matches!(a, Ok(true))).count();
    assert_eq!(held, 0, "{held} of 200 checks found the gone node present");
    // And one held is present to every asker.
    let a = open(&schema);
    wait(a.hold_presence("here")).unwrap();
    assert!(!wait(b.is_gone("here")).unwrap());
    assert!(!wait(c.is_gone("here")).unwrap());
}
