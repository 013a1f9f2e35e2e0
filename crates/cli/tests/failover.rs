//! Three `baton serve` processes on one PostgreSQL store (a fresh schema on the test server),
//! all serving: the partitions spread over them as they join, and each runs the executions
//! started on it. Work crosses nodes: a worker polls one node for activity tasks scheduled on
//! every node and answers on another; any node lists and describes every execution.
//! Killed with SIGKILL while its executions wait, a node's partitions are taken by the others as
//! soon as they find its process gone (well before its one-minute lease would run out), and
//! they finish its executions. Paused past its lease (SIGSTOP), a node is replaced the same
//! way; resumed (SIGCONT), it finds itself taken over (its writes would be refused by the
//! store) and stops, so nothing runs twice. Histories are checked whole: event ids contiguous
//! from 1, each activity started and finished once, each Wait left once.
//!
//! Skips, saying why, without a PostgreSQL server (a failure under `BATON_CI_STRICT=1`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_store::Store;
use baton_store_postgres::testing::TestSchema;
use serde_json::{json, Value};
use support::nodes::{spread_over, Node, Shared};
use support::server::{create_machine, finished};

/// The node that owns each partition, by partition.
async fn owner_by_partition(store: &dyn Store) -> BTreeMap<u32, String> {
    store
        .owners()
        .await
        .expect("owners")
        .into_iter()
        .filter_map(|o| o.owner.map(|owner| (o.partition, owner)))
        .collect()
}

/// Waits for the execution to succeed; its history's event types.
async fn succeeded(client: &aws_sdk_sfn::Client, arn: &str) -> Vec<String> {
    let d = finished(client, arn).await;
    assert_eq!(d.status().as_str(), "SUCCEEDED", "{arn}");
    let history = client
        .get_execution_history()
        .execution_arn(arn)
        .max_results(1000)
        .send()
        .await
        .expect("history");
    let ids: Vec<i64> = history.events().iter().map(|e| e.id()).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "{arn}: event ids contiguous from 1"
    );
    history
        .events()
        .iter()
        .map(|e| e.r#type().as_str().to_string())
        .collect()
}

fn once(types: &[String], t: &str) -> bool {
    types.iter().filter(|x| *x == t).count() == 1
}

/// Takes `n` activity tasks on `poll` and answers each on `answer`; their inputs.
async fn work(
    poll: &aws_sdk_sfn::Client,
    answer: &aws_sdk_sfn::Client,
    activity: &str,
    n: usize,
) -> Vec<Value> {
    let mut inputs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while inputs.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} tasks of {n}",
            inputs.len()
        );
        let task = poll
            .get_activity_task()
            .activity_arn(activity)
            .worker_name("w")
            .send()
            .await
            .expect("poll");
        let Some(token) = task.task_token() else {
            continue;
        };
        let input: Value = serde_json::from_str(task.input().unwrap()).unwrap();
        answer
            .send_task_success()
            .task_token(token)
            .output(json!({"done": input["i"]}).to_string())
            .send()
            .await
            .expect("send task success");
        // A second answer for the same task is refused, on any node.
        let again = poll
            .send_task_success()
            .task_token(token)
            .output("{}")
            .send()
            .await
            .expect_err("a second answer");
        assert_eq!(
            again.into_service_error().meta().code(),
            Some("TaskTimedOut")
        );
        inputs.push(input);
    }
    inputs
}

const WAIT: &str = "WaitStateExited";

#[test]
fn three_nodes_share_the_work_and_take_over_from_a_killed_and_a_paused_one() {
    let Some(schema) = TestSchema::create("failover") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store: Arc<dyn Store> = rt.block_on(async {
        Arc::new(
            baton_store_postgres::PgStore::open(&schema.url)
                .await
                .expect("store"),
        )
    });
    let store = &*store;

    // A's lease is a minute long: the others take its partitions within the 30 s they are
    // given only by finding its process gone, not by waiting the lease out.
    let a = Node::start(&schema.url, "60");
    rt.block_on(spread_over(store, 1, Duration::from_secs(30)));
    let mut b = Node::start(&schema.url, "2");
    let mut c = Node::start(&schema.url, "2");
    let started = Instant::now();
    let spread = rt.block_on(spread_over(store, 3, Duration::from_secs(60)));
    println!(
        "partitions spread over three nodes {:.1} s after the last joined: {:?}",
        started.elapsed().as_secs_f64(),
        spread.values().collect::<Vec<_>>()
    );

    let definition: Value = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "ACTIVITY", "Next": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 4, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    let (machine, activity) = rt.block_on(async {
        let cl = a.client();
        let activity = cl
            .create_activity()
            .name("work")
            .send()
            .await
            .expect("activity")
            .activity_arn
            .clone();
        let definition = definition.to_string().replace("ACTIVITY", &activity);
        let machine =
            create_machine(&cl, "failover", &serde_json::from_str(&definition).unwrap()).await;
        (machine, activity)
    });

    // Four executions started on each node: each is placed in a partition its node owns.
    let owners = rt.block_on(owner_by_partition(store));
    let ids: Vec<String> = spread.keys().cloned().collect();
    let mut arns: Vec<String> = Vec::new();
    for (n, node) in [&a, &b, &c].into_iter().enumerate() {
        for i in 0..4 {
            let arn = rt.block_on(async {
                node.client()
                    .start_execution()
                    .state_machine_arn(&machine)
                    .name(format!("e{n}-{i}"))
                    .input(json!({"i": n * 10 + i}).to_string())
                    .send()
                    .await
                    .expect("start")
                    .execution_arn
            });
            arns.push(arn);
        }
    }
    let mut placed: BTreeMap<String, usize> = BTreeMap::new();
    for arn in &arns {
        let row = rt
            .block_on(store.execution(arn))
            .expect("read")
            .expect("row");
        *placed.entry(owners[&row.partition].clone()).or_default() += 1;
    }
    assert_eq!(
        placed.values().copied().collect::<Vec<_>>(),
        vec![4, 4, 4],
        "each node's executions in its own partitions: {placed:?} (nodes {ids:?})"
    );

    // A worker polls C for every node's tasks and answers on B.
    let inputs = rt.block_on(work(&c.client(), &b.client(), &activity, arns.len()));
    let taken: BTreeSet<i64> = inputs.iter().map(|v| v["i"].as_i64().unwrap()).collect();
    assert_eq!(taken.len(), arns.len(), "each task handed out once");

    // Any node lists every execution.
    let listed = rt.block_on(async {
        b.client()
            .list_executions()
            .state_machine_arn(&machine)
            .send()
            .await
            .expect("list")
            .executions()
            .len()
    });
    assert_eq!(listed, arns.len());

    // A dies while its executions wait.
    a.signal("KILL");
    let killed = Instant::now();
    rt.block_on(spread_over(store, 2, Duration::from_secs(30)));
    println!(
        "partitions of a node killed with SIGKILL taken over in {:.2} s (its lease: 60 s)",
        killed.elapsed().as_secs_f64()
    );

    // B pauses past its lease while its executions wait; C takes everything over.
    b.signal("STOP");
    let paused = Instant::now();
    rt.block_on(spread_over(store, 1, Duration::from_secs(30)));
    println!(
        "partitions of a node paused with SIGSTOP taken over in {:.2} s (its lease: 2 s)",
        paused.elapsed().as_secs_f64()
    );
    // Past the Wait: B's timers are due when it wakes; it finds itself taken over and stops.
    std::thread::sleep(Duration::from_secs(4));
    b.signal("CONT");
    let status = b.exits(Duration::from_secs(30));
    assert!(!status.success(), "the node taken over exits with an error");

    let cl = c.client();
    for arn in &arns {
        let types = rt.block_on(succeeded(&cl, arn));
        for t in ["ActivityStarted", "ActivitySucceeded", WAIT] {
            if !once(&types, t) {
                let journal = rt.block_on(store.journal(arn)).unwrap();
                panic!("{arn}: {t} once: {types:?}; journal {journal:#?}");
            }
        }
    }
    assert_eq!(
        rt.block_on(store.inbox(&(0..64).collect::<Vec<_>>(), 100))
            .unwrap()
            .len(),
        0,
        "every inbox entry consumed"
    );
    let _ = c.child.kill();
    // The processes go before their schema does.
    drop((a, b, c));
    drop(schema);
}

/// What a restart of PostgreSQL, or a proxy that drops every connection, does to the nodes:
/// every session of every node is ended at once, several times, while executions start and
/// run (commits in flight lose their answers). The nodes reconnect and take their presence
/// locks again before any takes another for gone: no node is taken over, none stops, and
/// every execution acknowledged finishes once, its history whole.
#[test]
fn every_connection_dropped_at_once_loses_nothing_and_moves_nothing() {
    let Some(schema) = TestSchema::create("dropped") else {
        return;
    };
    // The nodes' sessions carry a name of their own: only they are ended.
    let Shared {
        rt,
        store,
        url,
        session: name,
    } = Shared::open(&schema, "dropped");
    let store = &*store;
    let mut a = Node::start(&url, "10");
    let mut b = Node::start(&url, "10");
    rt.block_on(spread_over(store, 2, Duration::from_secs(60)));
    let epochs = |owners: Vec<baton_store::PartitionOwner>| -> Vec<u64> {
        owners.into_iter().map(|o| o.epoch).collect()
    };
    let before = epochs(rt.block_on(store.owners()).unwrap());

    let definition = json!({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    let machine = rt.block_on(create_machine(&a.client(), "dropped", &definition));
    let mut arns = Vec::new();
    for round in 0..3 {
        for (n, node) in [&a, &b].into_iter().enumerate() {
            for i in 0..5 {
                // A start whose answer was lost may be refused or fail: it is retried by
                // name, and a start that landed answers as the same execution.
                let name = format!("r{round}-n{n}-{i}");
                let arn = rt.block_on(async {
                    for _ in 0..20 {
                        let started = node
                            .client()
                            .start_execution()
                            .state_machine_arn(&machine)
                            .name(&name)
                            .input("{}")
                            .send()
                            .await;
                        match started {
                            Ok(out) => return out.execution_arn,
                            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                        }
                    }
                    panic!("{name} never started");
                });
                arns.push(arn);
            }
        }
        // Every session of both nodes ended at once.
        schema.end_sessions(&name).expect("sessions ended");
        std::thread::sleep(Duration::from_millis(1500));
    }
    for arn in &arns {
        let types = rt.block_on(succeeded(&b.client(), arn));
        assert!(once(&types, WAIT), "{arn}: {types:?}");
        assert!(once(&types, "ExecutionStarted"), "{arn}: {types:?}");
    }
    assert!(a.child.try_wait().unwrap().is_none(), "node a stopped");
    assert!(b.child.try_wait().unwrap().is_none(), "node b stopped");
    assert_eq!(
        epochs(rt.block_on(store.owners()).unwrap()),
        before,
        "no partition changed hands"
    );
    let _ = (a.child.kill(), b.child.kill());
    drop((a, b));
    drop(schema);
}

/// A call of another JSON service to a node (`X-Amz-Target: <target>`): status and answer.
fn json_call(node: &Node, target: &str, body: &Value) -> (u16, Value) {
    support::server::json_post(&node.endpoint, target, body)
}

/// A CloudWatch Logs call to a node (`Logs_20140328.<op>`).
fn logs_call(node: &Node, op: &str, body: &Value) -> (u16, Value) {
    json_call(node, &format!("Logs_20140328.{op}"), body)
}

/// An EventBridge call to a node (`AWSEvents.<op>`), which must succeed.
fn events_call(node: &Node, op: &str, body: &Value) -> Value {
    let (status, answer) = json_call(node, &format!("AWSEvents.{op}"), body);
    assert_eq!(status, 200, "{op}: {answer}");
    answer
}

/// How many executions of `machine` have succeeded, once there are at least `count` (or
/// the time is up).
fn succeeded_count(
    rt: &tokio::runtime::Runtime,
    node: &Node,
    machine: &str,
    count: usize,
) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = rt.block_on(async {
            node.client()
                .list_executions()
                .state_machine_arn(machine)
                .status_filter(aws_sdk_sfn::types::ExecutionStatus::Succeeded)
                .max_results(1000)
                .send()
                .await
                .expect("listed")
                .executions
                .len()
        });
        if n >= count || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_rule_made_through_one_node_matches_events_on_every_node() {
    let Some(schema) = TestSchema::create("events") else {
        return;
    };
    let Shared { rt, store, url, .. } = Shared::open(&schema, "events");
    let a = Node::start(&url, "10");
    let b = Node::start(&url, "10");
    rt.block_on(spread_over(&*store, 2, Duration::from_secs(60)));
    let create = |name: &str| {
        rt.block_on(async {
            a.client()
                .create_state_machine()
                .name(name)
                .role_arn("arn:aws:iam::123456789012:role/r")
                .definition(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .send()
                .await
                .expect("created")
                .state_machine_arn
        })
    };
    let (work, put, told) = (create("work"), create("put"), create("told"));
    // Through node a: a rule for put events, and one for work's executions succeeding.
    events_call(
        &a,
        "PutRule",
        &json!({"Name": "orders",
        "EventPattern": r#"{"source": ["shop"], "detail": {"n": [{"numeric": [">=", 0]}]}}"#}),
    );
    events_call(
        &a,
        "PutTargets",
        &json!({"Rule": "orders", "Targets": [{"Id": "t", "Arn": put}]}),
    );
    let pattern = json!({"source": ["aws.states"], "detail": {"status": ["SUCCEEDED"],
        "stateMachineArn": [work]}});
    events_call(
        &a,
        "PutRule",
        &json!({"Name": "done", "EventPattern": pattern.to_string()}),
    );
    events_call(
        &a,
        "PutTargets",
        &json!({"Rule": "done", "Targets": [{"Id": "t", "Arn": told}]}),
    );
    // Events put through either node match it.
    for node in [&a, &b] {
        let entries: Vec<Value> = (0..5)
            .map(|n| json!({"Source": "shop", "DetailType": "Order", "Detail": format!("{{\"n\": {n}}}")}))
            .collect();
        let out = events_call(node, "PutEvents", &json!({ "Entries": entries }));
        assert_eq!(out["FailedEntryCount"], 0, "{out}");
    }
    assert_eq!(succeeded_count(&rt, &a, &put, 10), 10);
    // The executions of work run on both nodes: each node sends their status changes.
    for i in 0..8 {
        let node = if i % 2 == 0 { &a } else { &b };
        rt.block_on(async {
            node.client()
                .start_execution()
                .state_machine_arn(&work)
                .name(format!("w{i}"))
                .send()
                .await
                .expect("started")
        });
    }
    assert_eq!(succeeded_count(&rt, &b, &work, 8), 8);
    assert_eq!(succeeded_count(&rt, &b, &told, 8), 8);
    std::thread::sleep(Duration::from_millis(500));
    // No more arrive: each status change was sent once.
    assert_eq!(succeeded_count(&rt, &b, &told, 0), 8);
    // Every delivery of the PutEvents made, its record is gone from the store.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = rt
            .block_on(store.service_resources("events:delivery", None))
            .expect("read");
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "left: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_log_group_made_through_one_node_takes_the_logs_of_executions_on_any() {
    let Some(schema) = TestSchema::create("logs") else {
        return;
    };
    let Shared { rt, store, url, .. } = Shared::open(&schema, "logs");
    let a = Node::start(&url, "10");
    let b = Node::start(&url, "10");
    rt.block_on(spread_over(&*store, 2, Duration::from_secs(60)));
    let group = "/aws/vendedlogs/states/nodes";
    let (status, _) = logs_call(&a, "CreateLogGroup", &json!({"logGroupName": group}));
    assert_eq!(status, 200);
    // Made through the other node: each node keeps its own groups, so only the account is
    // checked there.
    let machine = rt.block_on(async {
        b.client()
            .create_state_machine()
            .name("logged")
            .role_arn("arn:aws:iam::123456789012:role/r")
            .definition(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
            .logging_configuration(
                aws_sdk_sfn::types::LoggingConfiguration::builder()
                    .level(aws_sdk_sfn::types::LogLevel::All)
                    .destinations(
                        aws_sdk_sfn::types::LogDestination::builder()
                            .cloud_watch_logs_log_group(
                                aws_sdk_sfn::types::CloudWatchLogsLogGroup::builder()
                                    .log_group_arn(format!(
                                        "arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"
                                    ))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("created through the other node")
            .state_machine_arn
    });
    // Executions started on both nodes, each run by its partition's owner: every one is
    // logged, 4 events each, on the node that ran it.
    let mut arns = Vec::new();
    for (n, node) in [&a, &b].into_iter().enumerate() {
        for i in 0..6 {
            let arn = rt.block_on(async {
                node.client()
                    .start_execution()
                    .state_machine_arn(&machine)
                    .name(format!("n{n}-{i}"))
                    .send()
                    .await
                    .expect("started")
                    .execution_arn
            });
            arns.push(arn);
        }
    }
    for arn in &arns {
        rt.block_on(succeeded(&a.client(), arn));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut per_execution: BTreeMap<String, usize> = BTreeMap::new();
        for node in [&a, &b] {
            let (status, found) =
                logs_call(node, "FilterLogEvents", &json!({"logGroupName": group}));
            if status != 200 {
                continue;
            }
            for event in found["events"].as_array().into_iter().flatten() {
                let message: Value =
                    serde_json::from_str(event["message"].as_str().unwrap_or("{}")).unwrap();
                let arn = message["execution_arn"].as_str().unwrap_or("").to_string();
                *per_execution.entry(arn).or_default() += 1;
            }
        }
        let complete = arns.iter().all(|arn| per_execution.get(arn) == Some(&4));
        if complete {
            assert_eq!(per_execution.len(), arns.len(), "{per_execution:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "logged so far: {per_execution:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_nodes_fire_each_tick_of_a_schedule_once_and_one_fires_the_others_when_it_dies() {
    let Some(schema) = TestSchema::create("ticks") else {
        return;
    };
    let Shared { rt, store, url, .. } = Shared::open(&schema, "ticks");
    // A scheduled minute is 0.6 s, on a clock both nodes read from the store.
    let args = ["--schedule-time-scale", "0.01"];
    let a = Node::start_with(&url, "10", &args);
    let b = Node::start_with(&url, "10", &args);
    rt.block_on(spread_over(&*store, 2, Duration::from_secs(60)));
    let machine = rt.block_on(async {
        a.client()
            .create_state_machine()
            .name("ticked")
            .role_arn("arn:aws:iam::123456789012:role/r")
            .definition(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
            .send()
            .await
            .expect("created")
            .state_machine_arn
    });
    // Each tick puts an event on the default bus; a rule starts the machine with it. An
    // event's delivery carries no execution name, so a tick fired by both nodes would start
    // two executions.
    events_call(
        &a,
        "PutRule",
        &json!({"Name": "ticks", "EventPattern": r#"{"source": ["ticker"]}"#}),
    );
    events_call(
        &a,
        "PutTargets",
        &json!({"Rule": "ticks", "Targets": [{"Id": "t", "Arn": machine}]}),
    );
    let (status, out) = support::server::rest_call(
        &b.endpoint,
        "POST",
        "/schedules/minutely",
        &json!({
            "ScheduleExpression": "rate(1 minute)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "EventBridgeParameters": {"DetailType": "Tick", "Source": "ticker"},
                "Input": "{}",
            },
        }),
    );
    assert_eq!(status, 200, "{out}");
    assert!(succeeded_count(&rt, &a, &machine, 10) >= 10);
    // Node b dies: the ticks it would have claimed are claimed by a, late but once each.
    let mut b = b;
    b.signal("KILL");
    b.exits(Duration::from_secs(10));
    let before = succeeded_count(&rt, &a, &machine, 0);
    assert!(succeeded_count(&rt, &a, &machine, before + 10) >= before + 10);
    let (status, out) =
        support::server::rest_call(&a.endpoint, "DELETE", "/schedules/minutely", &Value::Null);
    assert_eq!(status, 200, "{out}");
    std::thread::sleep(Duration::from_millis(1500));
    // One execution a tick, a scheduled minute apart (the event's `time`).
    let events: Vec<Value> = rt.block_on(async {
        let client = a.client();
        let listed = client
            .list_executions()
            .state_machine_arn(&machine)
            .max_results(1000)
            .send()
            .await
            .expect("listed")
            .executions;
        let mut events = Vec::new();
        for e in listed {
            let input = client
                .describe_execution()
                .execution_arn(e.execution_arn)
                .send()
                .await
                .expect("described")
                .input
                .unwrap_or_default();
            events.push(serde_json::from_str(&input).expect("the event"));
        }
        events
    });
    support::server::contiguous_minutes(events.iter().map(|e| &e["time"]));
}
