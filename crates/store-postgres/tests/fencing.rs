//! Two stores on one database, as two nodes: a takeover waits for the old owner's step in
//! flight, then refuses its writes; racing takeovers each get a partition once.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use baton_store::testing::{entries, events, execution, wait};
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

/// A new execution's one step (its row, journal and history), as the runtime commits a start
/// that ran to its end, fenced with `epoch` of `partition`.
fn one_step_start(name: &str, partition: u32, epoch: u64) -> WriteBatch {
    let mut e = execution("m", name, 1);
    e.partition = partition;
    let arn = e.arn.clone();
    WriteBatch::from(vec![
        Op::CreateExecution(e),
        Op::AppendJournal {
            execution_arn: arn.clone(),
            entries: entries(1..=2),
        },
        Op::AppendHistory {
            execution_arn: arn,
            events: events(1..=3),
        },
    ])
    .fenced(Fence { partition, epoch })
}

/// Starts that the writer sends as one statement with no transaction block around it check
/// their fences inside that statement: one carrying an epoch a takeover has ended is refused
/// and writes nothing, alone or among others; the others are written with their epoch.
#[test]
fn one_statement_starts_are_fenced_inside_their_statement() {
    let Some(schema) = TestSchema::create("one_statement") else {
        return;
    };
    let (old, new) = (open(&schema), open(&schema));
    wait(old.heartbeat("old", "http://old", 1)).unwrap();
    wait(new.heartbeat("new", "http://new", 60_000)).unwrap();
    let stale = wait(old.acquire("old", 5))
        .unwrap()
        .expect("a free partition");
    std::thread::sleep(Duration::from_millis(20));
    let current = wait(new.acquire("new", 5))
        .unwrap()
        .expect("the takeover of an expired owner");
    let other = wait(new.acquire("new", 6))
        .unwrap()
        .expect("a free partition");

    // Alone: the group is this one statement.
    let before = old.writer_stats();
    assert_eq!(
        wait(old.commit(one_step_start("late", 5, stale))),
        Err(Error::Fenced {
            partition: 5,
            epoch: stale
        })
    );
    assert_eq!(old.writer_stats().one_statement, before.one_statement + 1);
    assert_eq!(
        wait(new.execution(&execution("m", "late", 1).arn)).unwrap(),
        None
    );
    wait(new.commit(one_step_start("alone", 5, current))).unwrap();

    // Many at once through one store, so that groups mix them: every third is stale.
    let batches: Vec<(String, bool, WriteBatch)> = (0..48)
        .map(|i| {
            let name = format!("mixed{i}");
            let stale_one = i % 3 == 0;
            let batch = match (stale_one, i % 2 == 0) {
                (true, _) => one_step_start(&name, 5, stale),
                (false, true) => one_step_start(&name, 5, current),
                (false, false) => one_step_start(&name, 6, other),
            };
            (name, stale_one, batch)
        })
        .collect();
    let expected: Vec<(String, bool)> = batches.iter().map(|(n, s, _)| (n.clone(), *s)).collect();
    let outcomes = wait(futures_util::future::join_all(
        batches.into_iter().map(|(_, _, b)| new.commit(b)),
    ));
    for ((name, stale_one), outcome) in expected.iter().zip(outcomes) {
        let arn = execution("m", name, 1).arn;
        let written = wait(new.execution(&arn)).unwrap();
        if *stale_one {
            assert!(
                matches!(outcome, Err(Error::Fenced { partition: 5, epoch }) if epoch == stale),
                "{name}: {outcome:?}"
            );
            assert_eq!(written, None, "{name} was written with an old epoch");
        } else {
            assert_eq!(outcome, Ok(()), "{name}");
            assert!(written.is_some(), "{name} is missing");
            assert_eq!(wait(new.journal(&arn)).unwrap(), entries(1..=2));
        }
    }
    assert_eq!(schema.journal_written_out_of_turn(), Ok(vec![]));
    let epochs = schema
        .rows(
            "SELECT DISTINCT e.partition_id, j.epoch FROM journal j \
             JOIN executions e ON e.id = j.execution_id ORDER BY 1, 2",
        )
        .unwrap();
    assert_eq!(
        epochs,
        vec![
            vec!["5".to_string(), current.to_string()],
            vec!["6".to_string(), other.to_string()]
        ]
    );
}
