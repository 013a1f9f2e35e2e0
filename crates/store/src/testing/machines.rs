//! Suite cases for control-plane records: state machines, revisions, versions, aliases,
//! activities, tags.

use std::sync::Arc;

use super::{check, check_eq, ok, wait, Case, Outcome};
use crate::testing::fixtures::*;
use crate::{
    AliasesOf, Cursor, Error, ExecutionsOf, MachineStatus, Op, PageRequest, PageToken, Record,
    Scope, Store, Tag,
};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "state machine: create, get, update",
            run: machine_create_get_update,
        },
        Case {
            name: "state machines: listed by name, in their scope, page by page",
            run: machines_listed_by_name,
        },
        Case {
            name: "state machines: a foreign or garbled page token is refused",
            run: machines_refuse_bad_tokens,
        },
        Case {
            name: "state machine: delete takes versions, aliases and tags, keeps executions",
            run: machine_delete_cascades,
        },
        Case {
            name: "revisions: written once per id",
            run: revisions_written_once,
        },
        Case {
            name: "versions: created, listed newest first, deleted",
            run: versions_listed_newest_first,
        },
        Case {
            name: "versions: not deleted while an alias routes to them",
            run: version_delete_refused_while_routed,
        },
        Case {
            name: "aliases: created, updated, listed newest first, by version",
            run: aliases_lifecycle,
        },
        Case {
            name: "activities: created once, listed by name in their scope, deleted with tags",
            run: activities_lifecycle,
        },
        Case {
            name: "tags: added, replaced, removed; only on existing resources",
            run: tags_lifecycle,
        },
    ]
}

fn machine_create_get_update(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("orders", 1_000);
    check_eq!(
        ok("get absent", wait(s.state_machine(&m.arn)))?,
        None,
        "absent machine"
    );
    ok(
        "create",
        wait(s.commit(batch([Op::CreateStateMachine(m.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.state_machine(&m.arn)))?,
        Some(m.clone()),
        "created machine"
    );

    let mut again = machine("orders", 2_000);
    again.definition = "{}".into();
    check_eq!(
        wait(s.commit(batch([Op::CreateStateMachine(again)]))),
        Err(Error::already_exists(Record::StateMachine, m.arn.clone())),
        "second create with the same name"
    );
    check_eq!(
        ok("get", wait(s.state_machine(&m.arn)))?,
        Some(m.clone()),
        "after refused create"
    );

    let mut updated = m.clone();
    updated.definition = r#"{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}"#.into();
    updated.revision_id = "orders-r2".into();
    updated.description = Some("second".into());
    updated.tracing_configuration = Some(r#"{"enabled":true}"#.into());
    updated.last_version_number = 3;
    updated.status = MachineStatus::Deleting;
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateStateMachine(updated.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.state_machine(&m.arn)))?,
        Some(updated),
        "updated machine"
    );

    let ghost = machine("ghost", 1);
    check_eq!(
        wait(s.commit(batch([Op::UpdateStateMachine(ghost.clone())]))),
        Err(Error::not_found(Record::StateMachine, ghost.arn)),
        "update of an absent machine"
    );
    Ok(())
}

fn machines_listed_by_name(s: &Arc<dyn Store>) -> Outcome {
    // Created out of name order, with creation dates against it, and in two other scopes.
    let names = ["m", "b", "z", "a", "B", "m2", "c-1", "c_1", "Z"];
    let mut ops = Vec::new();
    for (i, n) in names.iter().enumerate() {
        ops.push(Op::CreateStateMachine(machine(n, 10_000 - i as i64)));
    }
    ops.push(Op::CreateStateMachine(machine_in(
        "210987654321",
        REGION,
        "a0",
        1,
    )));
    ops.push(Op::CreateStateMachine(machine_in(
        ACCOUNT,
        "eu-west-1",
        "a1",
        1,
    )));
    ok("create", wait(s.commit(batch(ops))))?;

    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    let scope = Scope::new(ACCOUNT, REGION);
    for size in [1, 2, 4, 9, 100] {
        let all = read_all(size, |p| wait(s.state_machines(&scope, p)))?;
        let got: Vec<String> = all.iter().map(|m| m.name.clone()).collect();
        check_eq!(got, expected, "names listed with pages of {size}");
    }
    let other = Scope::new("210987654321", REGION);
    let all = read_all(10, |p| wait(s.state_machines(&other, p)))?;
    check_eq!(all.len(), 1, "machines of the other account");

    // A page ends where the last one did, even when a machine is created in between.
    let first = ok(
        "page",
        wait(s.state_machines(&scope, &PageRequest::first(3))),
    )?;
    ok(
        "create",
        wait(s.commit(batch([Op::CreateStateMachine(machine("0first", 1))]))),
    )?;
    let token = first.next.ok_or("no token after a full page")?;
    let second = ok(
        "page",
        wait(s.state_machines(&scope, &PageRequest::after(3, token))),
    )?;
    let got: Vec<&str> = second.items.iter().map(|m| m.name.as_str()).collect();
    check_eq!(
        got,
        expected[3..6].to_vec(),
        "second page after an insert before it"
    );
    Ok(())
}

fn machines_refuse_bad_tokens(s: &Arc<dyn Store>) -> Outcome {
    let scope = Scope::new(ACCOUNT, REGION);
    let bad = [
        PageToken::new("garbage"),
        Cursor::new("some-other-listing").text("x").token(),
        PageToken::new(""),
    ];
    for token in bad {
        check_eq!(
            wait(s.state_machines(&scope, &PageRequest::after(10, token.clone()))),
            Err(Error::InvalidToken),
            "machines with token {token:?}"
        );
        check_eq!(
            wait(s.activities(&scope, &PageRequest::after(10, token.clone()))),
            Err(Error::InvalidToken),
            "activities with token {token:?}"
        );
        let filter = crate::ExecutionFilter::of(ExecutionsOf::Machine(machine_arn("x")));
        check_eq!(
            wait(s.executions(&filter, &PageRequest::after(10, token.clone()))).map(|p| p.items),
            Err(Error::InvalidToken),
            "executions with token {token:?}"
        );
        check_eq!(
            wait(s.history("x", false, &PageRequest::after(10, token.clone()))).map(|p| p.items),
            Err(Error::InvalidToken),
            "history with token {token:?}"
        );
    }
    // A machines token is not an activities token.
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateStateMachine(machine("a", 1)),
            Op::CreateStateMachine(machine("b", 1)),
        ]))),
    )?;
    let page = ok(
        "page",
        wait(s.state_machines(&scope, &PageRequest::first(1))),
    )?;
    let token = page.next.ok_or("no token after a full page")?;
    check_eq!(
        wait(s.activities(&scope, &PageRequest::after(1, token))),
        Err(Error::InvalidToken),
        "a machines token used for activities"
    );
    Ok(())
}

fn machine_delete_cascades(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("gone", 1);
    let keep = machine("kept", 1);
    let v1 = version(&m, 1, 2);
    let a = alias(&m, "live", &[(&v1.arn, 100)], 3);
    let kv = version(&keep, 1, 2);
    let e = execution("gone", "e1", 5);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateStateMachine(m.clone()),
            Op::CreateStateMachine(keep.clone()),
            Op::PutRevision(revision(&m)),
            Op::CreateVersion(v1.clone()),
            Op::CreateVersion(kv.clone()),
            Op::CreateAlias(a.clone()),
            Op::TagResource {
                arn: m.arn.clone(),
                tags: vec![Tag::new("team", "x")],
            },
            Op::TagResource {
                arn: keep.arn.clone(),
                tags: vec![Tag::new("team", "y")],
            },
            Op::CreateExecution(e.clone()),
        ]))),
    )?;
    ok(
        "delete",
        wait(s.commit(batch([Op::DeleteStateMachine { arn: m.arn.clone() }]))),
    )?;
    check_eq!(
        ok("get", wait(s.state_machine(&m.arn)))?,
        None,
        "deleted machine"
    );
    check_eq!(
        ok("get", wait(s.version(&v1.arn)))?,
        None,
        "version of the deleted machine"
    );
    check_eq!(
        ok("get", wait(s.alias(&a.arn)))?,
        None,
        "alias of the deleted machine"
    );
    check_eq!(
        ok("tags", wait(s.tags(&m.arn)))?,
        vec![],
        "tags of the deleted machine"
    );
    check_eq!(
        ok("get", wait(s.execution(&e.arn)))?,
        Some(e),
        "execution of the deleted machine"
    );
    check!(
        ok("revision", wait(s.revision(&m.arn, &m.revision_id)))?.is_some(),
        "the revision executions run on is kept"
    );
    check_eq!(
        ok("get", wait(s.state_machine(&keep.arn)))?,
        Some(keep.clone()),
        "other machine"
    );
    check_eq!(
        ok("get", wait(s.version(&kv.arn)))?,
        Some(kv),
        "other machine's version"
    );
    check_eq!(
        ok("tags", wait(s.tags(&keep.arn)))?,
        vec![Tag::new("team", "y")],
        "other machine's tags"
    );
    ok(
        "delete again",
        wait(s.commit(batch([Op::DeleteStateMachine { arn: m.arn }]))),
    )?;
    Ok(())
}

fn revisions_written_once(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("rev", 1);
    let r1 = revision(&m);
    let mut same_id = r1.clone();
    same_id.definition = "changed".into();
    let mut r2 = r1.clone();
    r2.revision_id = "rev-r2".into();
    r2.definition = "second".into();
    ok("put", wait(s.commit(batch([Op::PutRevision(r1.clone())]))))?;
    ok(
        "put again",
        wait(s.commit(batch([
            Op::PutRevision(same_id),
            Op::PutRevision(r2.clone()),
        ]))),
    )?;
    check_eq!(
        ok("get", wait(s.revision(&m.arn, "rev-r1")))?,
        Some(r1),
        "first revision"
    );
    check_eq!(
        ok("get", wait(s.revision(&m.arn, "rev-r2")))?,
        Some(r2),
        "second revision"
    );
    check_eq!(
        ok("get", wait(s.revision(&m.arn, "rev-r3")))?,
        None,
        "absent revision"
    );
    check_eq!(
        ok("get", wait(s.revision(&machine_arn("x"), "rev-r1")))?,
        None,
        "other machine"
    );
    Ok(())
}

fn versions_listed_newest_first(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("ver", 1);
    let other = machine("other", 1);
    let mut ops = vec![
        Op::CreateStateMachine(m.clone()),
        Op::CreateStateMachine(other.clone()),
    ];
    for n in [2, 5, 1, 4, 3] {
        ops.push(Op::CreateVersion(version(&m, n, 100 + n as i64)));
    }
    ops.push(Op::CreateVersion(version(&other, 9, 1)));
    ok("create", wait(s.commit(batch(ops))))?;
    check_eq!(
        ok("get", wait(s.version(&format!("{}:4", m.arn))))?,
        Some(version(&m, 4, 104)),
        "version 4"
    );
    for size in [1, 2, 5, 6] {
        let all = read_all(size, |p| wait(s.versions(&m.arn, p)))?;
        let numbers: Vec<u32> = all.iter().map(|v| v.number).collect();
        check_eq!(
            numbers,
            vec![5, 4, 3, 2, 1],
            "version numbers with pages of {size}"
        );
    }
    check_eq!(
        wait(s.commit(batch([Op::CreateVersion(version(&m, 3, 999))]))),
        Err(Error::already_exists(
            Record::Version,
            format!("{}:3", m.arn)
        )),
        "version 3 again"
    );
    ok(
        "delete",
        wait(s.commit(batch([Op::DeleteVersion {
            arn: format!("{}:5", m.arn),
        }]))),
    )?;
    ok(
        "delete absent",
        wait(s.commit(batch([Op::DeleteVersion {
            arn: format!("{}:50", m.arn),
        }]))),
    )?;
    let all = read_all(10, |p| wait(s.versions(&m.arn, p)))?;
    let numbers: Vec<u32> = all.iter().map(|v| v.number).collect();
    check_eq!(numbers, vec![4, 3, 2, 1], "after deleting version 5");
    Ok(())
}

fn version_delete_refused_while_routed(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("routed", 1);
    let v1 = version(&m, 1, 1);
    let v2 = version(&m, 2, 2);
    let a = alias(&m, "prod", &[(&v1.arn, 80), (&v2.arn, 20)], 3);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateStateMachine(m.clone()),
            Op::CreateVersion(v1.clone()),
            Op::CreateVersion(v2.clone()),
            Op::CreateAlias(a.clone()),
        ]))),
    )?;
    for v in [&v1, &v2] {
        match wait(s.commit(batch([Op::DeleteVersion { arn: v.arn.clone() }]))) {
            Err(Error::Conflict {
                record: Record::Version,
                key,
                ..
            }) if key == v.arn => {}
            other => return Err(format!("deleting routed {}: {other:?}", v.arn)),
        }
    }
    let mut moved = a.clone();
    moved.routing = alias(&m, "prod", &[(&v2.arn, 100)], 3).routing;
    moved.update_date = 10;
    ok(
        "update alias",
        wait(s.commit(batch([Op::UpdateAlias(moved)]))),
    )?;
    ok(
        "delete v1",
        wait(s.commit(batch([Op::DeleteVersion {
            arn: v1.arn.clone(),
        }]))),
    )?;
    check_eq!(
        ok("get", wait(s.version(&v1.arn)))?,
        None,
        "deleted version 1"
    );
    check!(
        wait(s.commit(batch([Op::DeleteVersion {
            arn: v2.arn.clone()
        }])))
        .is_err(),
        "version 2 deleted while the alias routes to it"
    );
    Ok(())
}

fn aliases_lifecycle(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("al", 1);
    let v1 = version(&m, 1, 1);
    let v2 = version(&m, 2, 2);
    let a1 = alias(&m, "one", &[(&v1.arn, 100)], 10);
    let a2 = alias(&m, "two", &[(&v2.arn, 30), (&v1.arn, 70)], 20);
    let a3 = alias(&m, "three", &[(&v2.arn, 100)], 30);
    let other = machine("other", 1);
    let ov = version(&other, 1, 1);
    let oa = alias(&other, "x", &[(&ov.arn, 100)], 40);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateStateMachine(m.clone()),
            Op::CreateStateMachine(other.clone()),
            Op::CreateVersion(v1.clone()),
            Op::CreateVersion(v2.clone()),
            Op::CreateVersion(ov),
            Op::CreateAlias(a2.clone()),
            Op::CreateAlias(a1.clone()),
            Op::CreateAlias(a3.clone()),
            Op::CreateAlias(oa),
        ]))),
    )?;
    check_eq!(
        ok("get", wait(s.alias(&a2.arn)))?,
        Some(a2.clone()),
        "alias two, routes in order"
    );
    for size in [1, 2, 3] {
        let all = read_all(size, |p| wait(s.aliases(AliasesOf::Machine(&m.arn), p)))?;
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        check_eq!(
            names,
            vec!["three", "two", "one"],
            "aliases with pages of {size}"
        );
    }
    let all = read_all(10, |p| wait(s.aliases(AliasesOf::Version(&v1.arn), p)))?;
    let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
    check_eq!(names, vec!["two", "one"], "aliases routing to version 1");

    check_eq!(
        wait(s.commit(batch([Op::CreateAlias(alias(
            &m,
            "one",
            &[(&v2.arn, 100)],
            50
        ))]))),
        Err(Error::already_exists(Record::Alias, a1.arn.clone())),
        "alias one again"
    );
    let mut changed = a1.clone();
    changed.description = None;
    changed.routing = a2.routing.clone();
    changed.update_date = 60;
    ok(
        "update",
        wait(s.commit(batch([Op::UpdateAlias(changed.clone())]))),
    )?;
    check_eq!(
        ok("get", wait(s.alias(&a1.arn)))?,
        Some(changed),
        "updated alias one"
    );
    let all = read_all(10, |p| wait(s.aliases(AliasesOf::Version(&v2.arn), p)))?;
    check_eq!(
        all.len(),
        3,
        "aliases routing to version 2 after the update"
    );

    let ghost = alias(&m, "ghost", &[(&v1.arn, 100)], 1);
    check_eq!(
        wait(s.commit(batch([Op::UpdateAlias(ghost.clone())]))),
        Err(Error::not_found(Record::Alias, ghost.arn)),
        "update of an absent alias"
    );
    ok(
        "delete",
        wait(s.commit(batch([Op::DeleteAlias {
            arn: a2.arn.clone(),
        }]))),
    )?;
    check_eq!(ok("get", wait(s.alias(&a2.arn)))?, None, "deleted alias");
    let all = read_all(10, |p| wait(s.aliases(AliasesOf::Machine(&m.arn), p)))?;
    check_eq!(all.len(), 2, "aliases after a delete");
    Ok(())
}

fn activities_lifecycle(s: &Arc<dyn Store>) -> Outcome {
    let names = ["worker", "alpha", "Zed", "beta"];
    let mut ops: Vec<Op> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Op::CreateActivity(activity(n, 100 - i as i64)))
        .collect();
    ops.push(Op::CreateActivity(activity_in(
        ACCOUNT,
        "eu-west-1",
        "alpha",
        1,
    )));
    ok("create", wait(s.commit(batch(ops))))?;
    let a = activity("alpha", 99);
    check_eq!(
        ok("get", wait(s.activity(&a.arn)))?,
        Some(a.clone()),
        "activity alpha"
    );
    check_eq!(
        wait(s.commit(batch([Op::CreateActivity(activity("alpha", 5))]))),
        Err(Error::already_exists(Record::Activity, a.arn.clone())),
        "activity alpha again"
    );
    let scope = Scope::new(ACCOUNT, REGION);
    for size in [1, 3, 10] {
        let all = read_all(size, |p| wait(s.activities(&scope, p)))?;
        let got: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        check_eq!(
            got,
            vec!["Zed", "alpha", "beta", "worker"],
            "activities with pages of {size}"
        );
    }
    ok(
        "tag",
        wait(s.commit(batch([Op::TagResource {
            arn: a.arn.clone(),
            tags: vec![Tag::new("k", "v")],
        }]))),
    )?;
    ok(
        "delete",
        wait(s.commit(batch([Op::DeleteActivity { arn: a.arn.clone() }]))),
    )?;
    check_eq!(
        ok("get", wait(s.activity(&a.arn)))?,
        None,
        "deleted activity"
    );
    check_eq!(
        ok("tags", wait(s.tags(&a.arn)))?,
        vec![],
        "tags of the deleted activity"
    );
    ok(
        "create again",
        wait(s.commit(batch([Op::CreateActivity(activity("alpha", 500))]))),
    )?;
    check_eq!(
        ok("tags", wait(s.tags(&a.arn)))?,
        vec![],
        "tags of the re-created activity"
    );
    Ok(())
}

fn tags_lifecycle(s: &Arc<dyn Store>) -> Outcome {
    let m = machine("tagged", 1);
    let act = activity("tagged", 1);
    ok(
        "create",
        wait(s.commit(batch([
            Op::CreateStateMachine(m.clone()),
            Op::CreateActivity(act.clone()),
        ]))),
    )?;
    ok(
        "tag",
        wait(s.commit(batch([
            Op::TagResource {
                arn: m.arn.clone(),
                tags: vec![
                    Tag::new("team", "a"),
                    Tag::new("env", "dev"),
                    Tag::new("z", ""),
                ],
            },
            Op::TagResource {
                arn: act.arn.clone(),
                tags: vec![Tag::new("kind", "worker")],
            },
            Op::TagResource {
                arn: m.arn.clone(),
                tags: vec![Tag::new("env", "prod")],
            },
        ]))),
    )?;
    check_eq!(
        ok("tags", wait(s.tags(&m.arn)))?,
        vec![
            Tag::new("env", "prod"),
            Tag::new("team", "a"),
            Tag::new("z", "")
        ],
        "machine tags by key, env replaced"
    );
    check_eq!(
        ok("tags", wait(s.tags(&act.arn)))?,
        vec![Tag::new("kind", "worker")],
        "activity tags"
    );
    ok(
        "untag",
        wait(s.commit(batch([Op::UntagResource {
            arn: m.arn.clone(),
            keys: vec!["team".into(), "absent".into()],
        }]))),
    )?;
    check_eq!(
        ok("tags", wait(s.tags(&m.arn)))?,
        vec![Tag::new("env", "prod"), Tag::new("z", "")],
        "after untag"
    );
    let ghost = machine_arn("ghost");
    check_eq!(
        wait(s.commit(batch([Op::TagResource {
            arn: ghost.clone(),
            tags: vec![Tag::new("a", "b")],
        }]))),
        Err(Error::not_found(Record::TaggedResource, ghost.clone())),
        "tagging an absent resource"
    );
    check_eq!(
        ok("tags", wait(s.tags(&ghost)))?,
        vec![],
        "tags of an absent resource"
    );
    Ok(())
}
