//! Suite cases for service resources: created once, replaced only at the version read, listed by
//! kind and account, deleted.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::{Error, Op, ServiceResource, Store, WriteBatch};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "service resources: created once, read back, listed by kind and account",
            run: created_and_listed,
        },
        Case {
            name: "service resources: replaced only at the version read; absent is NotFound",
            run: replaced_at_version,
        },
        Case {
            name: "service resources: a batch with a stale replacement writes nothing",
            run: stale_replacement_is_atomic,
        },
        Case {
            name:
                "service resources: creates committed beside refused replacements are applied once",
            run: creates_beside_refused_replacements,
        },
    ]
}

fn doc(kind: &str, account: &str, name: &str, body: &str, version: u64) -> ServiceResource {
    ServiceResource {
        kind: kind.into(),
        arn: format!("arn:aws:events:us-east-1:{account}:rule/{name}"),
        account: account.into(),
        body: body.into(),
        version,
    }
}

fn create(d: &ServiceResource) -> WriteBatch {
    WriteBatch::new().with(Op::PutServiceResource {
        resource: d.clone(),
        expected: None,
    })
}

fn created_and_listed(s: &Arc<dyn Store>) -> Outcome {
    let a = doc("events:rule", "111111111111", "a", r#"{"n":1}"#, 1);
    let b = doc("events:rule", "111111111111", "b", r#"{"n":2}"#, 1);
    let c = doc("events:rule", "222222222222", "c", "{}", 1);
    let bus = doc("events:bus", "111111111111", "a", "{}", 1);
    for d in [&b, &a, &c, &bus] {
        ok("create", wait(s.commit(create(d))))?;
    }
    let again = wait(s.commit(create(&a)));
    check!(
        matches!(again, Err(Error::AlreadyExists { .. })),
        "a second create of the same (kind, arn): {again:?}"
    );
    let got = ok(
        "service_resource",
        wait(s.service_resource("events:rule", &a.arn)),
    )?;
    check_eq!(got, Some(a.clone()), "read back");
    // Same ARN, another kind: another resource.
    let got = ok(
        "service_resource",
        wait(s.service_resource("events:bus", &a.arn)),
    )?;
    check_eq!(got, Some(bus.clone()), "the bus beside the rule");
    let mine = ok(
        "service_resources",
        wait(s.service_resources("events:rule", Some("111111111111"))),
    )?;
    check_eq!(
        mine,
        vec![a.clone(), b.clone()],
        "one account's rules, by ARN"
    );
    let every = ok(
        "service_resources",
        wait(s.service_resources("events:rule", None)),
    )?;
    check_eq!(every.len(), 3, "every account's rules");
    ok(
        "delete",
        wait(s.commit(WriteBatch::new().with(Op::DeleteServiceResource {
            kind: "events:rule".into(),
            arn: a.arn.clone(),
        }))),
    )?;
    check_eq!(
        ok(
            "service_resource",
            wait(s.service_resource("events:rule", &a.arn))
        )?,
        None,
        "deleted"
    );
    check_eq!(
        ok(
            "service_resource",
            wait(s.service_resource("events:bus", &a.arn))
        )?,
        Some(bus),
        "the other kind stays"
    );
    Ok(())
}

fn replaced_at_version(s: &Arc<dyn Store>) -> Outcome {
    let v1 = doc("schedule", "111111111111", "s", r#"{"tick":1}"#, 1);
    ok("create", wait(s.commit(create(&v1))))?;
    let v2 = ServiceResource {
        body: r#"{"tick":2}"#.into(),
        version: 2,
        ..v1.clone()
    };
    let replace = |d: &ServiceResource, expected: u64| {
        WriteBatch::new().with(Op::PutServiceResource {
            resource: d.clone(),
            expected: Some(expected),
        })
    };
    ok("replace at 1", wait(s.commit(replace(&v2, 1))))?;
    // A second writer that also read version 1 loses.
    let rival = ServiceResource {
        body: r#"{"tick":9}"#.into(),
        ..v2.clone()
    };
    let lost = wait(s.commit(replace(&rival, 1)));
    check!(
        matches!(lost, Err(Error::Conflict { .. })),
        "a replacement of a version no longer stored: {lost:?}"
    );
    check_eq!(
        ok(
            "service_resource",
            wait(s.service_resource("schedule", &v1.arn))
        )?,
        Some(v2.clone()),
        "the first replacement stays"
    );
    let absent = doc("schedule", "111111111111", "none", "{}", 2);
    let missing = wait(s.commit(replace(&absent, 1)));
    check!(
        matches!(missing, Err(Error::NotFound { .. })),
        "a replacement of nothing: {missing:?}"
    );
    Ok(())
}

fn stale_replacement_is_atomic(s: &Arc<dyn Store>) -> Outcome {
    let d = doc("schedule", "111111111111", "s", "{}", 1);
    ok("create", wait(s.commit(create(&d))))?;
    let other = doc("schedule", "111111111111", "t", "{}", 1);
    let stale = ServiceResource {
        version: 8,
        ..d.clone()
    };
    let batch = create(&other).with(Op::PutServiceResource {
        resource: stale,
        expected: Some(7),
    });
    let r = wait(s.commit(batch));
    check!(r.is_err(), "a batch with a stale replacement committed");
    check_eq!(
        ok(
            "service_resource",
            wait(s.service_resource("schedule", &other.arn))
        )?,
        None,
        "the create beside the stale replacement"
    );
    Ok(())
}

/// Many batches at once, so that a store grouping commits puts creates and replacements it must
/// refuse in the same groups: each create succeeds, once, and each stale replacement is refused
/// (a group undone for the refused ones and applied again must not apply a create twice).
fn creates_beside_refused_replacements(s: &Arc<dyn Store>) -> Outcome {
    let held = doc("schedule", "111111111111", "held", "{}", 1);
    ok("create", wait(s.commit(create(&held))))?;
    let mut commits = Vec::new();
    for i in 0..200 {
        let store = s.clone();
        let batch = if i % 2 == 0 {
            create(&doc("schedule", "111111111111", &format!("n{i}"), "{}", 1))
        } else {
            WriteBatch::new().with(Op::PutServiceResource {
                resource: ServiceResource {
                    version: 9,
                    ..held.clone()
                },
                expected: Some(8),
            })
        };
        commits.push(async move { store.commit(batch).await });
    }
    let results = wait(futures_join_all(commits));
    for (i, r) in results.iter().enumerate() {
        if i % 2 == 0 {
            check!(r.is_ok(), "create n{i} beside refused replacements: {r:?}");
        } else {
            check!(
                matches!(r, Err(Error::Conflict { .. })),
                "stale replacement {i}: {r:?}"
            );
        }
    }
    Ok(())
}

/// Awaits every future, polled together, in order of the answers.
async fn futures_join_all<F: std::future::Future>(all: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = all.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|v| v.expect("answered")).collect()
}
