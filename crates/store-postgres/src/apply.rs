//! One write of a batch as SQL statements, each with what its answer means. The writer sends
//! the statements of a whole group without waiting for answers (pipelined) and reads every
//! answer at the end, so no statement may depend on a client-side look at an earlier one's
//! answer: conditions the store must check (the record exists, the task is still open, the
//! event id is free) are inside the statement, and its answer says how it went.

use std::borrow::Cow;
use std::sync::LazyLock;

use baton_store::{
    list_date, Error, Execution, HistoryRecord, JournalEntry, MapRun, Op, Record, StateMachine,
    StateMachineAlias, Task, TaskStatus,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::rows::{backend, big, counts_json, get, insert_error, int, unique_violation, Result};

/// A statement's parameter.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// What a statement's answer means for its batch.
pub(crate) type Check = Box<
    dyn FnOnce(std::result::Result<Vec<Row>, tokio_postgres::Error>) -> Result<()> + Send + Sync,
>;

pub(crate) struct Stmt {
    pub(crate) sql: Cow<'static, str>,
    pub(crate) params: Vec<Param>,
    pub(crate) check: Check,
}

fn p<T: ToSql + Sync + Send + 'static>(v: T) -> Param {
    Box::new(v)
}

fn stmt(sql: &'static str, params: Vec<Param>, check: Check) -> Stmt {
    Stmt {
        sql: Cow::Borrowed(sql),
        params,
        check,
    }
}

/// Any answer but an error is fine.
fn done() -> Check {
    Box::new(|r| r.map(|_| ()).map_err(backend))
}

/// The statement must return a row (an update touched its record).
fn must_touch(record: Record, key: String) -> Check {
    Box::new(move |r| match r {
        Ok(rows) if rows.is_empty() => Err(Error::not_found(record, key)),
        Ok(_) => Ok(()),
        Err(e) => Err(backend(e)),
    })
}

/// An insert: a taken key is `AlreadyExists`.
fn inserted(record: Record, key: String) -> Check {
    Box::new(move |r| r.map(|_| ()).map_err(|e| insert_error(e, record, || key)))
}

/// An insert or update that may also hit a uniqueness constraint; `must` when it has to touch
/// a row.
fn written(record: Record, key: String, must: bool) -> Check {
    Box::new(move |r| match r {
        Ok(rows) if must && rows.is_empty() => Err(Error::not_found(record, key)),
        Ok(_) => Ok(()),
        Err(e) => Err(insert_error(e, record, || key)),
    })
}

/// The answer of a statement that checks its own keys: column 0 holds the execution's id
/// (NULL: it does not exist), and each of `taken` a column holding the first key already taken
/// (NULL: none), with the record it is and the word that names its keys.
fn keys_free(row: Option<&Row>, arn: String, taken: &[(usize, Record, &str)]) -> Result<()> {
    let Some(row) = row else {
        return Err(Error::not_found(Record::Execution, arn));
    };
    if get::<Option<i64>>(row, 0)?.is_none() {
        return Err(Error::not_found(Record::Execution, arn));
    }
    for (column, record, word) in taken {
        if let Some(key) = get::<Option<i64>>(row, *column)? {
            return Err(Error::already_exists(
                *record,
                format!("{arn} {word} {key}"),
            ));
        }
    }
    Ok(())
}

/// Appends the statements of `op` to `out`.
/// `epoch`: the fence's epoch (0 unfenced), kept with each journal entry written.
pub(crate) fn statements(op: &Op, epoch: i64, out: &mut Vec<Stmt>) -> Result<()> {
    match op {
        Op::CreateStateMachine(m) => out.push(write_machine(m, true)),
        Op::UpdateStateMachine(m) => out.push(write_machine(m, false)),
        Op::DeleteStateMachine { arn } => {
            for sql in [
                "DELETE FROM alias_routes WHERE alias_arn IN \
                 (SELECT arn FROM aliases WHERE state_machine_arn = $1)",
                "DELETE FROM aliases WHERE state_machine_arn = $1",
                "DELETE FROM versions WHERE state_machine_arn = $1",
                "DELETE FROM tags WHERE resource_arn = $1",
                "DELETE FROM state_machines WHERE arn = $1",
            ] {
                out.push(stmt(sql, vec![p(arn.clone())], done()));
            }
        }
        Op::PutRevision(r) => out.push(stmt(
            "INSERT INTO revisions (state_machine_arn, revision_id, definition, role_arn, \
             logging_configuration, tracing_configuration, encryption_configuration, \
             creation_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (state_machine_arn, revision_id) DO NOTHING",
            vec![
                p(r.state_machine_arn.clone()),
                p(r.revision_id.clone()),
                p(r.definition.clone()),
                p(r.role_arn.clone()),
                p(r.logging_configuration.clone()),
                p(r.tracing_configuration.clone()),
                p(r.encryption_configuration.clone()),
                p(r.creation_date),
            ],
            done(),
        )),
        Op::CreateVersion(v) => out.push(stmt(
            "INSERT INTO versions (arn, state_machine_arn, number, definition, role_arn, \
             description, revision_id, logging_configuration, tracing_configuration, \
             encryption_configuration, creation_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                p(v.arn.clone()),
                p(v.state_machine_arn.clone()),
                p(i64::from(v.number)),
                p(v.definition.clone()),
                p(v.role_arn.clone()),
                p(v.description.clone()),
                p(v.revision_id.clone()),
                p(v.logging_configuration.clone()),
                p(v.tracing_configuration.clone()),
                p(v.encryption_configuration.clone()),
                p(v.creation_date),
            ],
            inserted(Record::Version, v.arn.clone()),
        )),
        Op::DeleteVersion { arn } => {
            // Deleted only when no alias routes to it; the routing aliases' names otherwise.
            let key = arn.clone();
            out.push(stmt(
                "WITH routed AS (SELECT a.name FROM alias_routes r \
                   JOIN aliases a ON a.arn = r.alias_arn WHERE r.version_arn = $1), \
                 gone AS (DELETE FROM versions WHERE arn = $1 \
                   AND NOT EXISTS (SELECT 1 FROM routed)) \
                 SELECT name FROM routed ORDER BY name",
                vec![p(arn.clone())],
                Box::new(move |r| {
                    let rows = r.map_err(backend)?;
                    if rows.is_empty() {
                        return Ok(());
                    }
                    let names = rows
                        .iter()
                        .map(|row| get::<String>(row, 0))
                        .collect::<Result<Vec<_>>>()?;
                    Err(Error::conflict(
                        Record::Version,
                        key,
                        format!("aliases route to it: [{}]", names.join(", ")),
                    ))
                }),
            ));
        }
        Op::CreateAlias(a) => {
            out.push(stmt(
                "INSERT INTO aliases (arn, state_machine_arn, name, description, \
                 creation_date, update_date) VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    p(a.arn.clone()),
                    p(a.state_machine_arn.clone()),
                    p(a.name.clone()),
                    p(a.description.clone()),
                    p(a.creation_date),
                    p(a.update_date),
                ],
                inserted(Record::Alias, a.arn.clone()),
            ));
            out.push(write_routes(a));
        }
        Op::UpdateAlias(a) => {
            out.push(stmt(
                "UPDATE aliases SET state_machine_arn = $2, name = $3, description = $4, \
                 creation_date = $5, update_date = $6 WHERE arn = $1 RETURNING 1",
                vec![
                    p(a.arn.clone()),
                    p(a.state_machine_arn.clone()),
                    p(a.name.clone()),
                    p(a.description.clone()),
                    p(a.creation_date),
                    p(a.update_date),
                ],
                must_touch(Record::Alias, a.arn.clone()),
            ));
            out.push(stmt(
                "DELETE FROM alias_routes WHERE alias_arn = $1",
                vec![p(a.arn.clone())],
                done(),
            ));
            out.push(write_routes(a));
        }
        Op::DeleteAlias { arn } => {
            for sql in [
                "DELETE FROM alias_routes WHERE alias_arn = $1",
                "DELETE FROM aliases WHERE arn = $1",
            ] {
                out.push(stmt(sql, vec![p(arn.clone())], done()));
            }
        }
        Op::CreateActivity(a) => out.push(stmt(
            "INSERT INTO activities (arn, name, account, region, encryption_configuration, \
             creation_date) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                p(a.arn.clone()),
                p(a.name.clone()),
                p(a.account.clone()),
                p(a.region.clone()),
                p(a.encryption_configuration.clone()),
                p(a.creation_date),
            ],
            inserted(Record::Activity, a.arn.clone()),
        )),
        Op::DeleteActivity { arn } => {
            for sql in [
                "DELETE FROM tags WHERE resource_arn = $1",
                "DELETE FROM activities WHERE arn = $1",
            ] {
                out.push(stmt(sql, vec![p(arn.clone())], done()));
            }
        }
        Op::TagResource { arn, tags } => {
            // One value per key, the last given (as applying them in turn would leave).
            let mut keys: Vec<String> = Vec::with_capacity(tags.len());
            let mut values: Vec<String> = Vec::with_capacity(tags.len());
            for t in tags {
                match keys.iter().position(|k| *k == t.key) {
                    Some(i) => values[i] = t.value.clone(),
                    None => {
                        keys.push(t.key.clone());
                        values.push(t.value.clone());
                    }
                }
            }
            out.push(stmt(
                "WITH taggable AS (SELECT EXISTS (SELECT 1 FROM state_machines WHERE arn = $1) \
                   OR EXISTS (SELECT 1 FROM activities WHERE arn = $1) AS yes), \
                 put AS (INSERT INTO tags (resource_arn, key, value) \
                   SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v) \
                   WHERE (SELECT yes FROM taggable) \
                   ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value) \
                 SELECT 1 FROM taggable WHERE yes",
                vec![p(arn.clone()), p(keys), p(values)],
                must_touch(Record::TaggedResource, arn.clone()),
            ));
        }
        Op::UntagResource { arn, keys } => out.push(stmt(
            "WITH taggable AS (SELECT EXISTS (SELECT 1 FROM state_machines WHERE arn = $1) \
               OR EXISTS (SELECT 1 FROM activities WHERE arn = $1) AS yes), \
             gone AS (DELETE FROM tags WHERE resource_arn = $1 AND key = ANY($2) \
               AND (SELECT yes FROM taggable)) \
             SELECT 1 FROM taggable WHERE yes",
            vec![p(arn.clone()), p(keys.clone())],
            must_touch(Record::TaggedResource, arn.clone()),
        )),
        Op::CreateExecution(e) => out.push(write_execution(e, true)?),
        Op::UpdateExecution(e) => out.push(write_execution(e, false)?),
        Op::AppendHistory {
            execution_arn,
            events,
        } => append_history(execution_arn, events, out)?,
        Op::AppendJournal {
            execution_arn,
            entries,
        } => {
            if entries.is_empty() {
                return Ok(());
            }
            let seqs = entries
                .iter()
                .map(|e| big(e.seq))
                .collect::<Result<Vec<_>>>()?;
            let events: Vec<String> = entries.iter().map(|e| e.json.clone()).collect();
            let arn = execution_arn.clone();
            out.push(stmt(
                "WITH e AS (SELECT id FROM executions WHERE arn = $1), \
                 taken AS (SELECT min(j.seq) AS seq FROM journal j, e \
                   WHERE j.execution_id = e.id AND j.seq = ANY($2)), \
                 put AS (INSERT INTO journal (execution_id, seq, epoch, event) \
                   SELECT e.id, x.seq, $4::bigint, x.event FROM e, unnest($2::bigint[], $3::text[]) AS x(seq, event) \
                   WHERE (SELECT seq FROM taken) IS NULL) \
                 SELECT (SELECT id FROM e), (SELECT seq FROM taken)",
                vec![p(execution_arn.clone()), p(seqs), p(events), p(epoch)],
                Box::new(move |r| {
                    let rows = r.map_err(|e| {
                        insert_error(e, Record::JournalEntry, || format!("{arn} entries"))
                    })?;
                    keys_free(rows.first(), arn, &[(1, Record::JournalEntry, "entry")])
                }),
            ));
        }
        Op::PutTimer(t) => out.push(stmt(
            "INSERT INTO timers (execution_arn, timer_id, fire_at) VALUES ($1, $2, $3) \
             ON CONFLICT (execution_arn, timer_id) DO UPDATE SET fire_at = excluded.fire_at",
            vec![
                p(t.execution_arn.clone()),
                p(big(t.timer_id)?),
                p(t.fire_at),
            ],
            done(),
        )),
        Op::DeleteTimer {
            execution_arn,
            timer_id,
        } => out.push(stmt(
            "DELETE FROM timers WHERE execution_arn = $1 AND timer_id = $2",
            vec![p(execution_arn.clone()), p(big(*timer_id)?)],
            done(),
        )),
        Op::DeleteTimers { execution_arn } => out.push(stmt(
            "DELETE FROM timers WHERE execution_arn = $1",
            vec![p(execution_arn.clone())],
            done(),
        )),
        Op::CreateTask(t) => out.push(write_task(t, true)?),
        Op::UpdateTask(t) => out.push(write_task(t, false)?),
        Op::CompleteTask {
            execution_arn,
            task_id,
        } => {
            let key = format!("{execution_arn} task {task_id}");
            out.push(stmt(
                "WITH t AS (SELECT 1 FROM tasks WHERE execution_arn = $1 AND task_id = $2), \
                 closed AS (UPDATE tasks SET status = $3 \
                   WHERE execution_arn = $1 AND task_id = $2 AND status <> $3 RETURNING 1) \
                 SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM closed)",
                vec![
                    p(execution_arn.clone()),
                    p(big(*task_id)?),
                    p(TaskStatus::Closed.as_str()),
                ],
                Box::new(move |r| {
                    let rows = r.map_err(backend)?;
                    let row = rows.first().ok_or_else(|| Error::backend("no answer"))?;
                    let (exists, closed): (i64, i64) = (get(row, 0)?, get(row, 1)?);
                    if closed > 0 {
                        Ok(())
                    } else if exists > 0 {
                        Err(Error::conflict(
                            Record::Task,
                            key,
                            "the task is already closed",
                        ))
                    } else {
                        Err(Error::not_found(Record::Task, key))
                    }
                }),
            ));
        }
        Op::ClaimTask {
            execution_arn,
            task_id,
        } => {
            // Absent (no row in `t`), claimed here, or refused: completing or closed already,
            // or claimed by a racing batch that committed first (`t` then shows the status the
            // statement's snapshot had, but the update finds the row claimed).
            let key = format!("{execution_arn} task {task_id}");
            out.push(stmt(
                "WITH t AS (SELECT status FROM tasks WHERE execution_arn = $1 AND task_id = $2), \
                 claimed AS (UPDATE tasks SET status = $3 \
                   WHERE execution_arn = $1 AND task_id = $2 AND status IN ($4, $5) RETURNING 1) \
                 SELECT (SELECT status FROM t), (SELECT count(*) FROM claimed)",
                vec![
                    p(execution_arn.clone()),
                    p(big(*task_id)?),
                    p(TaskStatus::Completing.as_str()),
                    p(TaskStatus::Scheduled.as_str()),
                    p(TaskStatus::Started.as_str()),
                ],
                Box::new(move |r| {
                    let rows = r.map_err(backend)?;
                    let row = rows.first().ok_or_else(|| Error::backend("no answer"))?;
                    let (status, claimed): (Option<String>, i64) = (get(row, 0)?, get(row, 1)?);
                    match status {
                        _ if claimed > 0 => Ok(()),
                        Some(status) => {
                            Err(Error::conflict(Record::Task, key, claim_refused(&status)))
                        }
                        None => Err(Error::not_found(Record::Task, key)),
                    }
                }),
            ));
        }
        Op::AppendInbox(entry) => out.push(stmt(
            "INSERT INTO inbox (partition_id, execution_arn, event, created) \
             VALUES ($1, $2, $3, $4)",
            vec![
                p(int(entry.partition)?),
                p(entry.execution_arn.clone()),
                p(entry.event.clone()),
                p(entry.created),
            ],
            done(),
        )),
        Op::ConsumeInbox { id } => {
            let id = *id;
            out.push(stmt(
                "DELETE FROM inbox WHERE id = $1 RETURNING 1",
                vec![p(big(id)?)],
                Box::new(move |r| match r {
                    Ok(rows) if rows.is_empty() => Err(Error::inbox_entry_gone(id)),
                    Ok(_) => Ok(()),
                    Err(e) => Err(backend(e)),
                }),
            ));
        }
        Op::DeleteTask {
            execution_arn,
            task_id,
        } => out.push(stmt(
            "DELETE FROM tasks WHERE execution_arn = $1 AND task_id = $2",
            vec![p(execution_arn.clone()), p(big(*task_id)?)],
            done(),
        )),
        Op::CreateMapRun(r) => out.push(write_map_run(r, true)?),
        Op::UpdateMapRun(r) => out.push(write_map_run(r, false)?),
        Op::PutServiceResource { resource, expected } => {
            out.push(put_service_resource(resource, *expected)?)
        }
        Op::DeleteServiceResource { kind, arn } => out.push(stmt(
            "DELETE FROM service_resources WHERE kind = $1 AND arn = $2",
            vec![p(kind.clone()), p(arn.clone())],
            done(),
        )),
    }
    Ok(())
}

/// `PutServiceResource`: an insert when `expected` is `None`; else one statement that replaces the
/// resource at that version and answers whether it did, and the version it found.
fn put_service_resource(d: &baton_store::ServiceResource, expected: Option<u64>) -> Result<Stmt> {
    let key = format!("{} {}", d.kind, d.arn);
    let params = vec![
        p(d.kind.clone()),
        p(d.arn.clone()),
        p(d.account.clone()),
        p(d.body.clone()),
        p(big(d.version)?),
    ];
    let Some(expected) = expected else {
        return Ok(stmt(
            "INSERT INTO service_resources (kind, arn, account, body, version) VALUES ($1, $2, $3, $4, $5)",
            params,
            inserted(Record::ServiceResource, key),
        ));
    };
    let mut params = params;
    params.push(p(big(expected)?));
    Ok(stmt(
        "WITH replaced AS (UPDATE service_resources SET account = $3, body = $4, version = $5 \
         WHERE kind = $1 AND arn = $2 AND version = $6 RETURNING 1) \
         SELECT (SELECT count(*) FROM replaced), \
         (SELECT version FROM service_resources WHERE kind = $1 AND arn = $2)",
        params,
        Box::new(move |r| {
            let rows = r.map_err(backend)?;
            let row = rows.first().ok_or_else(|| Error::backend("no answer"))?;
            let replaced: i64 = get(row, 0)?;
            let stored: Option<i64> = get(row, 1)?;
            match (replaced, stored) {
                (1, _) => Ok(()),
                (_, None) => Err(Error::not_found(Record::ServiceResource, key)),
                (_, Some(v)) => Err(Error::conflict(
                    Record::ServiceResource,
                    key,
                    format!("it is at version {v}, not {expected}"),
                )),
            }
        }),
    ))
}

/// Why a task in `status` takes no result.
fn claim_refused(status: &str) -> &'static str {
    if status == TaskStatus::Closed.as_str() {
        "the task is already closed"
    } else {
        "a result for the task is already being applied"
    }
}

fn write_machine(m: &StateMachine, create: bool) -> Stmt {
    let sql = if create {
        "INSERT INTO state_machines (arn, name, account, region, definition, role_arn, type, \
         status, description, logging_configuration, tracing_configuration, \
         encryption_configuration, revision_id, last_version_number, creation_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING 1"
    } else {
        "UPDATE state_machines SET name = $2, account = $3, region = $4, definition = $5, \
         role_arn = $6, type = $7, status = $8, description = $9, \
         logging_configuration = $10, tracing_configuration = $11, \
         encryption_configuration = $12, revision_id = $13, last_version_number = $14, \
         creation_date = $15 WHERE arn = $1 RETURNING 1"
    };
    stmt(
        sql,
        vec![
            p(m.arn.clone()),
            p(m.name.clone()),
            p(m.account.clone()),
            p(m.region.clone()),
            p(m.definition.clone()),
            p(m.role_arn.clone()),
            p(m.machine_type.as_str()),
            p(m.status.as_str()),
            p(m.description.clone()),
            p(m.logging_configuration.clone()),
            p(m.tracing_configuration.clone()),
            p(m.encryption_configuration.clone()),
            p(m.revision_id.clone()),
            p(i64::from(m.last_version_number)),
            p(m.creation_date),
        ],
        written(Record::StateMachine, m.arn.clone(), !create),
    )
}

fn write_routes(a: &StateMachineAlias) -> Stmt {
    let positions: Vec<i32> = (0..a.routing.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let versions: Vec<String> = a.routing.iter().map(|r| r.version_arn.clone()).collect();
    let weights: Vec<i64> = a.routing.iter().map(|r| i64::from(r.weight)).collect();
    stmt(
        "INSERT INTO alias_routes (alias_arn, position, version_arn, weight) \
         SELECT $1, x.position, x.version_arn, x.weight \
         FROM unnest($2::int[], $3::text[], $4::bigint[]) AS x(position, version_arn, weight)",
        vec![p(a.arn.clone()), p(positions), p(versions), p(weights)],
        done(),
    )
}

const EXECUTION_INSERT: &str = "INSERT INTO executions (arn, name, state_machine_arn, \
    version_arn, alias_arn, revision_id, type, status, input, output, error, cause, start_date, \
    stop_date, redrive_count, redrive_date, map_run_arn, parent_arn, trace_header, list_date, \
    partition_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
    $17, $18, $19, $20, $21)";

const EXECUTION_UPDATE: &str = "UPDATE executions SET name = $2, state_machine_arn = $3, \
    version_arn = $4, alias_arn = $5, revision_id = $6, type = $7, status = $8, input = $9, \
    output = $10, error = $11, cause = $12, start_date = $13, stop_date = $14, \
    redrive_count = $15, redrive_date = $16, map_run_arn = $17, parent_arn = $18, \
    trace_header = $19, list_date = $20, partition_id = $21 WHERE arn = $1";

/// The execution's columns as `$1`…`$21` of [`EXECUTION_INSERT`] and [`EXECUTION_UPDATE`].
fn execution_params(e: &Execution) -> Result<Vec<Param>> {
    Ok(vec![
        p(e.arn.clone()),
        p(e.name.clone()),
        p(e.state_machine_arn.clone()),
        p(e.version_arn.clone()),
        p(e.alias_arn.clone()),
        p(e.revision_id.clone()),
        p(e.machine_type.as_str()),
        p(e.status.as_str()),
        p(e.input.clone()),
        p(e.output.clone()),
        p(e.error.clone()),
        p(e.cause.clone()),
        p(e.start_date),
        p(e.stop_date),
        p(i64::from(e.redrive_count)),
        p(e.redrive_date),
        p(e.map_run_arn.clone()),
        p(e.parent_arn.clone()),
        p(e.trace_header.clone()),
        p(list_date(e.start_date)),
        p(int(e.partition)?),
    ])
}

fn write_execution(e: &Execution, create: bool) -> Result<Stmt> {
    static INSERT: LazyLock<String> = LazyLock::new(|| format!("{EXECUTION_INSERT} RETURNING 1"));
    static UPDATE: LazyLock<String> = LazyLock::new(|| format!("{EXECUTION_UPDATE} RETURNING 1"));
    let sql: &'static str = if create { &INSERT } else { &UPDATE };
    Ok(Stmt {
        sql: Cow::Borrowed(sql),
        params: execution_params(e)?,
        check: written(Record::Execution, e.arn.clone(), !create),
    })
}

/// A step's usual first three writes: the execution row, one run of consecutive history
/// events, journal entries, all of one execution.
pub(crate) struct Step<'a> {
    pub(crate) execution: &'a Execution,
    /// The row is created (else updated).
    pub(crate) create: bool,
    pub(crate) events: &'a [HistoryRecord],
    pub(crate) entries: &'a [JournalEntry],
}

/// The step `ops` starts with, if it starts with one: the execution row, then its history and
/// journal in either order (a step journals its event before applying it, so the runtime's
/// batches hold the journal first; both are keyed by the row's id and independent).
pub(crate) fn step_shape(ops: &[Op]) -> Option<Step<'_>> {
    let (first, history_arn, events, journal_arn, entries) = match ops {
        [first, Op::AppendHistory {
            execution_arn: h,
            events,
        }, Op::AppendJournal {
            execution_arn: j,
            entries,
        }, ..]
        | [first, Op::AppendJournal {
            execution_arn: j,
            entries,
        }, Op::AppendHistory {
            execution_arn: h,
            events,
        }, ..] => (first, h, events, j, entries),
        _ => return None,
    };
    let (execution, create) = match first {
        Op::CreateExecution(e) => (e, true),
        Op::UpdateExecution(e) => (e, false),
        _ => return None,
    };
    let consecutive = events
        .windows(2)
        .all(|w| w[1].id == w[0].id.wrapping_add(1));
    (*history_arn == execution.arn
        && *journal_arn == execution.arn
        && !events.is_empty()
        && !entries.is_empty()
        && consecutive)
        .then_some(Step {
            execution,
            create,
            events,
            entries,
        })
}

/// A step's usual first three writes as ONE statement: the execution row (created or
/// updated), its history (one run of consecutive events) and its journal entries, the last two
/// keyed by the id the first returns. One statement instead of three, and no lookups of the
/// execution by ARN. `None` when `ops` does not start that way; the ops consumed otherwise.
/// `epoch`: the fence's epoch (0 unfenced), kept with each journal entry written.
pub(crate) fn step_statement(ops: &[Op], epoch: i64) -> Result<Option<(Stmt, usize)>> {
    let Some(Step {
        execution: e,
        create,
        events,
        entries,
    }) = step_shape(ops)
    else {
        return Ok(None);
    };
    let mut params = execution_params(e)?;
    params.push(p(big(events[0].id)?));
    params.push(p(big(events[events.len() - 1].id)?));
    params.push(p(events.iter().map(|r| r.json.clone()).collect::<Vec<_>>()));
    params.push(p(entries
        .iter()
        .map(|en| big(en.seq))
        .collect::<Result<Vec<_>>>()?));
    params.push(p(entries
        .iter()
        .map(|en| en.json.clone())
        .collect::<Vec<_>>()));
    params.push(p(epoch));
    let arn = e.arn.clone();
    let (first_event, first_seq) = (events[0].id, entries[0].seq);
    // A new execution has no history or journal yet: nothing to check but the ARN.
    static CREATE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH e AS ({EXECUTION_INSERT} RETURNING id), \
             h AS (INSERT INTO history_chunks (execution_id, first_event, last_event, events) \
               SELECT id, $22, $23, $24 FROM e), \
             j AS (INSERT INTO journal (execution_id, seq, epoch, event) \
               SELECT e.id, x.seq, $27::bigint, x.event FROM e, unnest($25::bigint[], $26::text[]) AS x(seq, event)) \
             SELECT id, NULL::bigint, NULL::bigint FROM e"
        )
    });
    static STEP: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH e AS ({EXECUTION_UPDATE} RETURNING id), \
             ht AS (SELECT greatest(c.first_event, $22) AS id FROM history_chunks c, e \
               WHERE c.execution_id = e.id AND c.first_event <= $23 AND c.last_event >= $22 \
               ORDER BY c.first_event LIMIT 1), \
             h AS (INSERT INTO history_chunks (execution_id, first_event, last_event, events) \
               SELECT e.id, $22, $23, $24 FROM e WHERE NOT EXISTS (SELECT 1 FROM ht)), \
             jt AS (SELECT min(j.seq) AS seq FROM journal j, e \
               WHERE j.execution_id = e.id AND j.seq = ANY($25)), \
             j AS (INSERT INTO journal (execution_id, seq, epoch, event) \
               SELECT e.id, x.seq, $27::bigint, x.event FROM e, unnest($25::bigint[], $26::text[]) AS x(seq, event) \
               WHERE NOT EXISTS (SELECT 1 FROM ht) AND (SELECT seq FROM jt) IS NULL) \
             SELECT (SELECT id FROM e), (SELECT id FROM ht), (SELECT seq FROM jt)"
        )
    });
    let sql: &'static str = if create { &CREATE } else { &STEP };
    let check: Check = Box::new(move |r| {
        let rows = r.map_err(|err| match unique_violation(&err) {
            Some("executions_arn_key") => Error::already_exists(Record::Execution, arn.clone()),
            Some("history_chunks_pkey") => {
                Error::already_exists(Record::HistoryEvent, format!("{arn} event {first_event}"))
            }
            Some(_) => {
                Error::already_exists(Record::JournalEntry, format!("{arn} entry {first_seq}"))
            }
            None => backend(err),
        })?;
        keys_free(
            rows.first(),
            arn,
            &[
                (1, Record::HistoryEvent, "event"),
                (2, Record::JournalEntry, "entry"),
            ],
        )
    });
    Ok(Some((
        Stmt {
            sql: Cow::Borrowed(sql),
            params,
            check,
        },
        3,
    )))
}

/// History is kept in chunks: one row per run of consecutive event ids. A chunk is written only
/// if none of its ids is taken; the answer names the execution (absent: `NotFound`) and the
/// first taken id (`AlreadyExists`).
fn append_history(arn: &str, events: &[HistoryRecord], out: &mut Vec<Stmt>) -> Result<()> {
    let mut start = 0;
    while start < events.len() {
        let mut end = start + 1;
        while end < events.len() && events[end].id == events[end - 1].id.wrapping_add(1) {
            end += 1;
        }
        let run = &events[start..end];
        let first = big(run[0].id)?;
        let last = big(run[run.len() - 1].id)?;
        let jsons: Vec<String> = run.iter().map(|e| e.json.clone()).collect();
        let key = arn.to_string();
        out.push(stmt(
            "WITH e AS (SELECT id FROM executions WHERE arn = $1), \
             taken AS (SELECT greatest(c.first_event, $2) AS id FROM history_chunks c, e \
               WHERE c.execution_id = e.id AND c.first_event <= $3 AND c.last_event >= $2 \
               ORDER BY c.first_event LIMIT 1), \
             put AS (INSERT INTO history_chunks (execution_id, first_event, last_event, events) \
               SELECT e.id, $2, $3, $4 FROM e WHERE NOT EXISTS (SELECT 1 FROM taken)) \
             SELECT (SELECT id FROM e), (SELECT id FROM taken)",
            vec![p(arn.to_string()), p(first), p(last), p(jsons)],
            Box::new(move |r| {
                let rows = r.map_err(|e| {
                    insert_error(e, Record::HistoryEvent, || format!("{key} event {first}"))
                })?;
                keys_free(rows.first(), key, &[(1, Record::HistoryEvent, "event")])
            }),
        ));
        start = end;
    }
    Ok(())
}

fn write_task(t: &Task, create: bool) -> Result<Stmt> {
    let sql = if create {
        "INSERT INTO tasks (execution_arn, task_id, kind, token, activity_arn, input, status, \
         worker_name, scheduled_at, started_at, heartbeat_deadline, timeout_deadline) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING 1"
    } else {
        "UPDATE tasks SET kind = $3, token = $4, activity_arn = $5, input = $6, status = $7, \
         worker_name = $8, scheduled_at = $9, started_at = $10, heartbeat_deadline = $11, \
         timeout_deadline = $12 WHERE execution_arn = $1 AND task_id = $2 RETURNING 1"
    };
    let key = format!("{} task {}", t.execution_arn, t.task_id);
    let token = t.token.clone();
    Ok(stmt(
        sql,
        vec![
            p(t.execution_arn.clone()),
            p(big(t.task_id)?),
            p(t.kind.as_str()),
            p(t.token.clone()),
            p(t.activity_arn.clone()),
            p(t.input.clone()),
            p(t.status.as_str()),
            p(t.worker_name.clone()),
            p(t.scheduled_at),
            p(t.started_at),
            p(t.heartbeat_deadline),
            p(t.timeout_deadline),
        ],
        Box::new(move |r| match r {
            Ok(rows) if !create && rows.is_empty() => Err(Error::not_found(Record::Task, key)),
            Ok(_) => Ok(()),
            // Two keys can collide: the (execution, task id) pair and the token.
            Err(e) => match (unique_violation(&e), token) {
                (Some("tasks_by_token"), Some(token)) => {
                    Err(Error::already_exists(Record::TaskToken, token))
                }
                (Some(_), _) => Err(Error::already_exists(Record::Task, key)),
                (None, _) => Err(backend(e)),
            },
        }),
    ))
}

fn write_map_run(r: &MapRun, create: bool) -> Result<Stmt> {
    let sql = if create {
        "INSERT INTO map_runs (arn, execution_arn, state_machine_arn, status, max_concurrency, \
         tolerated_failure_percentage, tolerated_failure_count, item_counts, execution_counts, \
         start_date, stop_date, redrive_count, redrive_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING 1"
    } else {
        "UPDATE map_runs SET execution_arn = $2, state_machine_arn = $3, status = $4, \
         max_concurrency = $5, tolerated_failure_percentage = $6, tolerated_failure_count = $7, \
         item_counts = $8, execution_counts = $9, start_date = $10, stop_date = $11, \
         redrive_count = $12, redrive_date = $13 WHERE arn = $1 RETURNING 1"
    };
    Ok(stmt(
        sql,
        vec![
            p(r.arn.clone()),
            p(r.execution_arn.clone()),
            p(r.state_machine_arn.clone()),
            p(r.status.as_str()),
            p(i64::from(r.max_concurrency)),
            p(r.tolerated_failure_percentage),
            p(big(r.tolerated_failure_count)?),
            p(counts_json(&r.item_counts)),
            p(counts_json(&r.execution_counts)),
            p(r.start_date),
            p(r.stop_date),
            p(i64::from(r.redrive_count)),
            p(r.redrive_date),
        ],
        written(Record::MapRun, r.arn.clone(), !create),
    ))
}
