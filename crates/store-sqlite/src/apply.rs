//! One write of a batch as SQL, on the writer's connection inside the batch's savepoint; and
//! claiming an activity task.

use baton_store::{
    list_date, Error, Execution, MapRun, Millis, Op, Record, StateMachine, StateMachineAlias, Task,
    TaskStatus,
};
use rusqlite::{named_params, params, Connection, OptionalExtension};

use crate::rows::{self, backend, counts_json, insert_error, TASK_COLUMNS};

type Result<T> = std::result::Result<T, Error>;

/// Runs a statement that must touch a row; `NotFound` when it touched none.
fn must_change(changed: usize, record: Record, key: impl FnOnce() -> String) -> Result<()> {
    if changed == 0 {
        Err(Error::not_found(record, key()))
    } else {
        Ok(())
    }
}

/// The execution a batch wrote last, by ARN and row number: the history and journal appends
/// that usually follow need its number, without looking it up again.
pub(crate) type LastExecution = Option<(String, i64)>;

pub(crate) fn apply(conn: &Connection, op: &Op, last: &mut LastExecution) -> Result<()> {
    match op {
        Op::CreateStateMachine(m) => write_machine(conn, m, true),
        Op::UpdateStateMachine(m) => write_machine(conn, m, false),
        Op::DeleteStateMachine { arn } => {
            let run = |sql: &str| conn.prepare_cached(sql)?.execute([arn]);
            (|| {
                run("DELETE FROM alias_routes WHERE alias_arn IN \
                     (SELECT arn FROM aliases WHERE state_machine_arn = ?1)")?;
                run("DELETE FROM aliases WHERE state_machine_arn = ?1")?;
                run("DELETE FROM versions WHERE state_machine_arn = ?1")?;
                run("DELETE FROM tags WHERE resource_arn = ?1")?;
                run("DELETE FROM state_machines WHERE arn = ?1")
            })()
            .map_err(backend)?;
            Ok(())
        }
        Op::PutRevision(r) => {
            conn.prepare_cached(
                "INSERT INTO revisions (state_machine_arn, revision_id, definition, role_arn, \
                 logging_configuration, tracing_configuration, encryption_configuration, \
                 creation_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (state_machine_arn, revision_id) DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    r.state_machine_arn,
                    r.revision_id,
                    r.definition,
                    r.role_arn,
                    r.logging_configuration,
                    r.tracing_configuration,
                    r.encryption_configuration,
                    r.creation_date
                ])
            })
            .map_err(backend)?;
            Ok(())
        }
        Op::CreateVersion(v) => {
            conn.prepare_cached(
                "INSERT INTO versions (arn, state_machine_arn, number, definition, role_arn, \
                 description, revision_id, logging_configuration, tracing_configuration, \
                 encryption_configuration, creation_date) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    v.arn,
                    v.state_machine_arn,
                    v.number,
                    v.definition,
                    v.role_arn,
                    v.description,
                    v.revision_id,
                    v.logging_configuration,
                    v.tracing_configuration,
                    v.encryption_configuration,
                    v.creation_date
                ])
            })
            .map_err(|e| insert_error(e, Record::Version, || v.arn.clone()))?;
            Ok(())
        }
        Op::DeleteVersion { arn } => {
            let routed: Vec<String> = conn
                .prepare_cached(
                    "SELECT a.name FROM alias_routes r JOIN aliases a ON a.arn = r.alias_arn \
                     WHERE r.version_arn = ?1 ORDER BY a.name",
                )
                .and_then(|mut s| s.query_map([arn], |r| r.get(0))?.collect())
                .map_err(backend)?;
            if !routed.is_empty() {
                return Err(Error::conflict(
                    Record::Version,
                    arn.clone(),
                    format!("aliases route to it: [{}]", routed.join(", ")),
                ));
            }
            conn.prepare_cached("DELETE FROM versions WHERE arn = ?1")
                .and_then(|mut s| s.execute([arn]))
                .map_err(backend)?;
            Ok(())
        }
        Op::CreateAlias(a) => {
            conn.prepare_cached(
                "INSERT INTO aliases (arn, state_machine_arn, name, description, creation_date, \
                 update_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.arn,
                    a.state_machine_arn,
                    a.name,
                    a.description,
                    a.creation_date,
                    a.update_date
                ])
            })
            .map_err(|e| insert_error(e, Record::Alias, || a.arn.clone()))?;
            write_routes(conn, a)
        }
        Op::UpdateAlias(a) => {
            let changed = conn
                .prepare_cached(
                    "UPDATE aliases SET state_machine_arn = ?2, name = ?3, description = ?4, \
                     creation_date = ?5, update_date = ?6 WHERE arn = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        a.arn,
                        a.state_machine_arn,
                        a.name,
                        a.description,
                        a.creation_date,
                        a.update_date
                    ])
                })
                .map_err(backend)?;
            must_change(changed, Record::Alias, || a.arn.clone())?;
            conn.prepare_cached("DELETE FROM alias_routes WHERE alias_arn = ?1")
                .and_then(|mut s| s.execute([&a.arn]))
                .map_err(backend)?;
            write_routes(conn, a)
        }
        Op::DeleteAlias { arn } => {
            let run = |sql: &str| conn.prepare_cached(sql)?.execute([arn]);
            (|| {
                run("DELETE FROM alias_routes WHERE alias_arn = ?1")?;
                run("DELETE FROM aliases WHERE arn = ?1")
            })()
            .map_err(backend)?;
            Ok(())
        }
        Op::CreateActivity(a) => {
            conn.prepare_cached(
                "INSERT INTO activities (arn, name, account, region, encryption_configuration, \
                 creation_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.arn,
                    a.name,
                    a.account,
                    a.region,
                    a.encryption_configuration,
                    a.creation_date
                ])
            })
            .map_err(|e| insert_error(e, Record::Activity, || a.arn.clone()))?;
            Ok(())
        }
        Op::DeleteActivity { arn } => {
            let run = |sql: &str| conn.prepare_cached(sql)?.execute([arn]);
            (|| {
                run("DELETE FROM tags WHERE resource_arn = ?1")?;
                run("DELETE FROM activities WHERE arn = ?1")
            })()
            .map_err(backend)?;
            Ok(())
        }
        Op::TagResource { arn, tags } => {
            ensure_taggable(conn, arn)?;
            let mut s = conn
                .prepare_cached(
                    "INSERT INTO tags (resource_arn, key, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
                )
                .map_err(backend)?;
            for t in tags {
                s.execute(params![arn, t.key, t.value]).map_err(backend)?;
            }
            Ok(())
        }
        Op::UntagResource { arn, keys } => {
            ensure_taggable(conn, arn)?;
            let mut s = conn
                .prepare_cached("DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2")
                .map_err(backend)?;
            for k in keys {
                s.execute(params![arn, k]).map_err(backend)?;
            }
            Ok(())
        }
        Op::CreateExecution(e) => {
            *last = Some((e.arn.clone(), write_execution(conn, e, true)?));
            Ok(())
        }
        Op::UpdateExecution(e) => {
            *last = Some((e.arn.clone(), write_execution(conn, e, false)?));
            Ok(())
        }
        Op::AppendHistory {
            execution_arn,
            events,
        } => {
            let execution = execution_seq(conn, execution_arn, last)?;
            let mut s = conn
                .prepare_cached("INSERT INTO history (key, event) VALUES (?1, ?2)")
                .map_err(backend)?;
            for ev in events {
                let key = rows::child_key(execution, ev.id)?;
                s.execute(params![key, ev.json]).map_err(|e| {
                    insert_error(e, Record::HistoryEvent, || {
                        format!("{execution_arn} event {}", ev.id)
                    })
                })?;
            }
            Ok(())
        }
        Op::AppendJournal {
            execution_arn,
            entries,
        } => {
            let execution = execution_seq(conn, execution_arn, last)?;
            let mut s = conn
                .prepare_cached("INSERT INTO journal (key, event) VALUES (?1, ?2)")
                .map_err(backend)?;
            for en in entries {
                let key = rows::child_key(execution, en.seq)?;
                s.execute(params![key, en.json]).map_err(|e| {
                    insert_error(e, Record::JournalEntry, || {
                        format!("{execution_arn} entry {}", en.seq)
                    })
                })?;
            }
            Ok(())
        }
        Op::PutTimer(t) => {
            conn.prepare_cached(
                "INSERT INTO timers (execution_arn, timer_id, fire_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (execution_arn, timer_id) DO UPDATE SET fire_at = excluded.fire_at",
            )
            .and_then(|mut s| s.execute(params![t.execution_arn, t.timer_id, t.fire_at]))
            .map_err(backend)?;
            Ok(())
        }
        Op::DeleteTimer {
            execution_arn,
            timer_id,
        } => {
            conn.prepare_cached("DELETE FROM timers WHERE execution_arn = ?1 AND timer_id = ?2")
                .and_then(|mut s| s.execute(params![execution_arn, timer_id]))
                .map_err(backend)?;
            Ok(())
        }
        Op::DeleteTimers { execution_arn } => {
            conn.prepare_cached("DELETE FROM timers WHERE execution_arn = ?1")
                .and_then(|mut s| s.execute([execution_arn]))
                .map_err(backend)?;
            Ok(())
        }
        Op::CreateTask(t) => write_task(conn, t, true),
        Op::UpdateTask(t) => write_task(conn, t, false),
        Op::CompleteTask {
            execution_arn,
            task_id,
        } => move_task(
            conn,
            execution_arn,
            *task_id,
            TaskStatus::Closed,
            &[
                TaskStatus::Scheduled,
                TaskStatus::Started,
                TaskStatus::Completing,
            ],
        ),
        Op::ClaimTask {
            execution_arn,
            task_id,
        } => move_task(
            conn,
            execution_arn,
            *task_id,
            TaskStatus::Completing,
            &[TaskStatus::Scheduled, TaskStatus::Started],
        ),
        Op::AppendInbox(entry) => {
            conn.prepare_cached(
                "INSERT INTO inbox (partition_id, execution_arn, event, created) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    entry.partition,
                    entry.execution_arn,
                    entry.event,
                    entry.created
                ])
            })
            .map_err(backend)?;
            Ok(())
        }
        Op::ConsumeInbox { id } => {
            let changed = conn
                .prepare_cached("DELETE FROM inbox WHERE id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(backend)?;
            if changed > 0 {
                Ok(())
            } else {
                Err(Error::inbox_entry_gone(*id))
            }
        }
        Op::DeleteTask {
            execution_arn,
            task_id,
        } => {
            conn.prepare_cached("DELETE FROM tasks WHERE execution_arn = ?1 AND task_id = ?2")
                .and_then(|mut s| s.execute(params![execution_arn, task_id]))
                .map_err(backend)?;
            Ok(())
        }
        Op::CreateMapRun(r) => write_map_run(conn, r, true),
        Op::UpdateMapRun(r) => write_map_run(conn, r, false),
        Op::PutServiceResource { resource, expected } => {
            put_service_resource(conn, resource, *expected)
        }
        Op::DeleteServiceResource { kind, arn } => {
            conn.prepare_cached("DELETE FROM service_resources WHERE kind = ?1 AND arn = ?2")
                .and_then(|mut s| s.execute([kind, arn]))
                .map_err(backend)?;
            Ok(())
        }
    }
}

/// `PutServiceResource`: an insert when `expected` is `None`, else a replacement of that version.
fn put_service_resource(
    conn: &Connection,
    d: &baton_store::ServiceResource,
    expected: Option<u64>,
) -> Result<()> {
    let key = || format!("{} {}", d.kind, d.arn);
    let Some(expected) = expected else {
        conn.prepare_cached(
            "INSERT INTO service_resources (kind, arn, account, body, version) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| s.execute(params![d.kind, d.arn, d.account, d.body, d.version]))
        .map_err(|e| insert_error(e, Record::ServiceResource, key))?;
        return Ok(());
    };
    let changed = conn
        .prepare_cached(
            "UPDATE service_resources SET account = ?3, body = ?4, version = ?5 \
             WHERE kind = ?1 AND arn = ?2 AND version = ?6",
        )
        .and_then(|mut s| {
            s.execute(params![
                d.kind, d.arn, d.account, d.body, d.version, expected
            ])
        })
        .map_err(backend)?;
    if changed == 1 {
        return Ok(());
    }
    let stored: Option<u64> = conn
        .prepare_cached("SELECT version FROM service_resources WHERE kind = ?1 AND arn = ?2")
        .and_then(|mut s| s.query_row([&d.kind, &d.arn], |r| r.get(0)).optional())
        .map_err(backend)?;
    match stored {
        None => Err(Error::not_found(Record::ServiceResource, key())),
        Some(v) => Err(Error::conflict(
            Record::ServiceResource,
            key(),
            format!("it is at version {v}, not {expected}"),
        )),
    }
}

/// Why a task in `status` takes no result.
/// Moves a task to `to` if its status is one of `from`: `NotFound` when it does not exist,
/// `Conflict` (saying why) when it is in another status.
fn move_task(
    conn: &Connection,
    execution_arn: &str,
    task_id: u64,
    to: TaskStatus,
    from: &[TaskStatus],
) -> Result<()> {
    let key = || format!("{execution_arn} task {task_id}");
    // Three slots, the last status repeated: one cached statement for every move.
    let slot = |i: usize| from.get(i).or(from.last()).map_or("", |s| s.as_str());
    let changed = conn
        .prepare_cached(
            "UPDATE tasks SET status = ?3 \
             WHERE execution_arn = ?1 AND task_id = ?2 AND status IN (?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                execution_arn,
                task_id,
                to.as_str(),
                slot(0),
                slot(1),
                slot(2)
            ])
        })
        .map_err(backend)?;
    if changed > 0 {
        return Ok(());
    }
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM tasks WHERE execution_arn = ?1 AND task_id = ?2")
        .and_then(|mut s| {
            s.query_row(params![execution_arn, task_id], |r| r.get(0))
                .optional()
        })
        .map_err(backend)?;
    match status {
        Some(status) => Err(Error::conflict(Record::Task, key(), claim_refused(&status))),
        None => Err(Error::not_found(Record::Task, key())),
    }
}

fn claim_refused(status: &str) -> &'static str {
    if status == TaskStatus::Closed.as_str() {
        "the task is already closed"
    } else {
        "a result for the task is already being applied"
    }
}

/// The execution's row number, which keys its history and journal.
fn execution_seq(conn: &Connection, arn: &str, last: &LastExecution) -> Result<i64> {
    if let Some((last_arn, seq)) = last {
        if last_arn == arn {
            return Ok(*seq);
        }
    }
    conn.prepare_cached("SELECT seq FROM executions WHERE arn = ?1")
        .and_then(|mut s| s.query_row([arn], |r| r.get(0)).optional())
        .map_err(backend)?
        .ok_or_else(|| Error::not_found(Record::Execution, arn))
}

fn write_machine(conn: &Connection, m: &StateMachine, create: bool) -> Result<()> {
    let sql = if create {
        "INSERT INTO state_machines (arn, name, account, region, definition, role_arn, type, \
         status, description, logging_configuration, tracing_configuration, \
         encryption_configuration, revision_id, last_version_number, creation_date) \
         VALUES (:arn, :name, :account, :region, :definition, :role_arn, :type, :status, \
         :description, :logging, :tracing, :encryption, :revision_id, :last_version, :created)"
    } else {
        "UPDATE state_machines SET name = :name, account = :account, region = :region, \
         definition = :definition, role_arn = :role_arn, type = :type, status = :status, \
         description = :description, logging_configuration = :logging, \
         tracing_configuration = :tracing, encryption_configuration = :encryption, \
         revision_id = :revision_id, last_version_number = :last_version, \
         creation_date = :created WHERE arn = :arn"
    };
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(named_params! {
                ":arn": m.arn,
                ":name": m.name,
                ":account": m.account,
                ":region": m.region,
                ":definition": m.definition,
                ":role_arn": m.role_arn,
                ":type": m.machine_type.as_str(),
                ":status": m.status.as_str(),
                ":description": m.description,
                ":logging": m.logging_configuration,
                ":tracing": m.tracing_configuration,
                ":encryption": m.encryption_configuration,
                ":revision_id": m.revision_id,
                ":last_version": m.last_version_number,
                ":created": m.creation_date,
            })
        })
        .map_err(|e| insert_error(e, Record::StateMachine, || m.arn.clone()))?;
    must_change(changed, Record::StateMachine, || m.arn.clone())
}

fn write_routes(conn: &Connection, a: &StateMachineAlias) -> Result<()> {
    let mut s = conn
        .prepare_cached(
            "INSERT INTO alias_routes (alias_arn, position, version_arn, weight) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(backend)?;
    for (position, route) in a.routing.iter().enumerate() {
        s.execute(params![a.arn, position, route.version_arn, route.weight])
            .map_err(backend)?;
    }
    Ok(())
}

fn ensure_taggable(conn: &Connection, arn: &str) -> Result<()> {
    let exists = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM state_machines WHERE arn = ?1) \
             OR EXISTS (SELECT 1 FROM activities WHERE arn = ?1)",
        )
        .and_then(|mut s| s.query_row([arn], |r| r.get::<_, bool>(0)))
        .map_err(backend)?;
    if exists {
        Ok(())
    } else {
        Err(Error::not_found(Record::TaggedResource, arn))
    }
}

/// Writes the execution; returns its row number.
fn write_execution(conn: &Connection, e: &Execution, create: bool) -> Result<i64> {
    let sql = if create {
        "INSERT INTO executions (arn, name, state_machine_arn, version_arn, alias_arn, \
         revision_id, type, status, input, output, error, cause, start_date, stop_date, \
         redrive_count, redrive_date, map_run_arn, parent_arn, trace_header, list_date, \
         partition_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
         ?16, ?17, ?18, ?19, ?20, ?21) RETURNING seq"
    } else {
        "UPDATE executions SET name = ?2, state_machine_arn = ?3, version_arn = ?4, \
         alias_arn = ?5, revision_id = ?6, type = ?7, status = ?8, input = ?9, output = ?10, \
         error = ?11, cause = ?12, start_date = ?13, stop_date = ?14, redrive_count = ?15, \
         redrive_date = ?16, map_run_arn = ?17, parent_arn = ?18, trace_header = ?19, \
         list_date = ?20, partition_id = ?21 WHERE arn = ?1 RETURNING seq"
    };
    conn.prepare_cached(sql)
        .and_then(|mut s| {
            s.query_row(
                params![
                    e.arn,
                    e.name,
                    e.state_machine_arn,
                    e.version_arn,
                    e.alias_arn,
                    e.revision_id,
                    e.machine_type.as_str(),
                    e.status.as_str(),
                    e.input,
                    e.output,
                    e.error,
                    e.cause,
                    e.start_date,
                    e.stop_date,
                    e.redrive_count,
                    e.redrive_date,
                    e.map_run_arn,
                    e.parent_arn,
                    e.trace_header,
                    list_date(e.start_date),
                    e.partition,
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .map_err(|err| insert_error(err, Record::Execution, || e.arn.clone()))?
        .ok_or_else(|| Error::not_found(Record::Execution, e.arn.clone()))
}

fn write_task(conn: &Connection, t: &Task, create: bool) -> Result<()> {
    let sql = if create {
        "INSERT INTO tasks (execution_arn, task_id, kind, token, activity_arn, input, status, \
         worker_name, scheduled_at, started_at, heartbeat_deadline, timeout_deadline) \
         VALUES (:execution, :task, :kind, :token, :activity, :input, :status, :worker, \
         :scheduled, :started, :heartbeat, :timeout)"
    } else {
        "UPDATE tasks SET kind = :kind, token = :token, activity_arn = :activity, \
         input = :input, status = :status, worker_name = :worker, scheduled_at = :scheduled, \
         started_at = :started, heartbeat_deadline = :heartbeat, timeout_deadline = :timeout \
         WHERE execution_arn = :execution AND task_id = :task"
    };
    let key = || format!("{} task {}", t.execution_arn, t.task_id);
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(named_params! {
                ":execution": t.execution_arn,
                ":task": t.task_id,
                ":kind": t.kind.as_str(),
                ":token": t.token,
                ":activity": t.activity_arn,
                ":input": t.input,
                ":status": t.status.as_str(),
                ":worker": t.worker_name,
                ":scheduled": t.scheduled_at,
                ":started": t.started_at,
                ":heartbeat": t.heartbeat_deadline,
                ":timeout": t.timeout_deadline,
            })
        })
        .map_err(|e| {
            // Two keys can collide: the (execution, task id) pair and the token.
            let on_token = e.to_string().contains("tasks.token");
            match (&t.token, on_token) {
                (Some(token), true) => insert_error(e, Record::TaskToken, || token.clone()),
                _ => insert_error(e, Record::Task, key),
            }
        })?;
    must_change(changed, Record::Task, key)
}

fn write_map_run(conn: &Connection, r: &MapRun, create: bool) -> Result<()> {
    let sql = if create {
        "INSERT INTO map_runs (arn, execution_arn, state_machine_arn, status, max_concurrency, \
         tolerated_failure_percentage, tolerated_failure_count, item_counts, execution_counts, \
         start_date, stop_date, redrive_count, redrive_date) VALUES (:arn, :execution, \
         :machine, :status, :max, :pct, :count, :items, :executions, :start, :stop, \
         :redrive_count, :redrive_date)"
    } else {
        "UPDATE map_runs SET execution_arn = :execution, state_machine_arn = :machine, \
         status = :status, max_concurrency = :max, tolerated_failure_percentage = :pct, \
         tolerated_failure_count = :count, item_counts = :items, \
         execution_counts = :executions, start_date = :start, stop_date = :stop, \
         redrive_count = :redrive_count, redrive_date = :redrive_date WHERE arn = :arn"
    };
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(named_params! {
                ":arn": r.arn,
                ":execution": r.execution_arn,
                ":machine": r.state_machine_arn,
                ":status": r.status.as_str(),
                ":max": r.max_concurrency,
                ":pct": r.tolerated_failure_percentage,
                ":count": r.tolerated_failure_count,
                ":items": counts_json(&r.item_counts),
                ":executions": counts_json(&r.execution_counts),
                ":start": r.start_date,
                ":stop": r.stop_date,
                ":redrive_count": r.redrive_count,
                ":redrive_date": r.redrive_date,
            })
        })
        .map_err(|e| insert_error(e, Record::MapRun, || r.arn.clone()))?;
    must_change(changed, Record::MapRun, || r.arn.clone())
}

/// Marks the oldest scheduled task of the activity started and returns it, in one statement:
/// the writer runs claims one at a time, so no two callers get the same task.
pub(crate) fn claim(
    conn: &Connection,
    activity_arn: &str,
    worker_name: Option<&str>,
    now: Millis,
) -> Result<Option<Task>> {
    // Literal statuses, not parameters: SQLite picks the partial index `tasks_claimable` only
    // when the query's WHERE visibly implies the index's.
    let sql = format!(
        "UPDATE tasks SET status = 'STARTED', worker_name = ?2, started_at = ?3 \
         WHERE seq = (SELECT seq FROM tasks WHERE activity_arn = ?1 AND status = 'SCHEDULED' \
                      ORDER BY scheduled_at, seq LIMIT 1) \
         RETURNING {TASK_COLUMNS}"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![activity_arn, worker_name, now], rows::task)
                .optional()
        })
        .map_err(backend)
}
