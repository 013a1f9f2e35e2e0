//! Records to rows and back: the column lists every query selects, row readers, and SQLite
//! errors as `store::Error`s.

use std::str::FromStr;

use baton_store::{
    Activity, Error, Execution, ExecutionSummary, InboxEntry, MapRun, MapRunCounts, Record,
    StateMachine, StateMachineRevision, StateMachineVersion, Task,
};
use rusqlite::types::Type;
use rusqlite::{ffi, Row};

/// A backend failure: an SQLite error that no request caused.
pub(crate) fn backend(e: rusqlite::Error) -> Error {
    Error::Backend(format!("sqlite: {e}"))
}

/// A uniqueness constraint refused the write.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error().is_some_and(|f| {
        f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
    })
}

/// An insert's error: `AlreadyExists` for a taken key, a backend failure otherwise.
pub(crate) fn insert_error(
    e: rusqlite::Error,
    record: Record,
    key: impl FnOnce() -> String,
) -> Error {
    if is_unique_violation(&e) {
        Error::already_exists(record, key())
    } else {
        backend(e)
    }
}

/// Bits of a history or journal key that hold the event id (the rest hold the execution's seq).
pub(crate) const CHILD_BITS: u32 = 24;

/// The key of event `id` of the execution numbered `execution`.
pub(crate) fn child_key(execution: i64, id: u64) -> Result<i64, Error> {
    if id >> CHILD_BITS != 0 {
        return Err(Error::Backend(format!(
            "event id {id} is past this store's limit of {}",
            (1u64 << CHILD_BITS) - 1
        )));
    }
    execution
        .checked_mul(1 << CHILD_BITS)
        .map(|k| k | id as i64)
        .ok_or_else(|| Error::Backend(format!("execution number {execution} is too large")))
}

/// A stored name (status, type) read back; an unknown one is a corrupt row.
fn name<T: FromStr<Err = Error>>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e: Error| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Map-run counts are stored as JSON text: they are only ever read and written whole.
fn counts(row: &Row<'_>, idx: usize) -> rusqlite::Result<MapRunCounts> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

pub(crate) fn counts_json(c: &MapRunCounts) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".to_string())
}

pub(crate) const MACHINE_COLUMNS: &str = "arn, name, account, region, definition, role_arn, \
    type, status, description, logging_configuration, tracing_configuration, \
    encryption_configuration, revision_id, last_version_number, creation_date";

pub(crate) fn machine(row: &Row<'_>) -> rusqlite::Result<StateMachine> {
    Ok(StateMachine {
        arn: row.get(0)?,
        name: row.get(1)?,
        account: row.get(2)?,
        region: row.get(3)?,
        definition: row.get(4)?,
        role_arn: row.get(5)?,
        machine_type: name(row, 6)?,
        status: name(row, 7)?,
        description: row.get(8)?,
        logging_configuration: row.get(9)?,
        tracing_configuration: row.get(10)?,
        encryption_configuration: row.get(11)?,
        revision_id: row.get(12)?,
        last_version_number: row.get(13)?,
        creation_date: row.get(14)?,
    })
}

pub(crate) const REVISION_COLUMNS: &str = "state_machine_arn, revision_id, definition, role_arn, \
    logging_configuration, tracing_configuration, encryption_configuration, creation_date";

pub(crate) fn revision(row: &Row<'_>) -> rusqlite::Result<StateMachineRevision> {
    Ok(StateMachineRevision {
        state_machine_arn: row.get(0)?,
        revision_id: row.get(1)?,
        definition: row.get(2)?,
        role_arn: row.get(3)?,
        logging_configuration: row.get(4)?,
        tracing_configuration: row.get(5)?,
        encryption_configuration: row.get(6)?,
        creation_date: row.get(7)?,
    })
}

pub(crate) const VERSION_COLUMNS: &str = "arn, state_machine_arn, number, definition, role_arn, \
    description, revision_id, logging_configuration, tracing_configuration, \
    encryption_configuration, creation_date";

pub(crate) fn version(row: &Row<'_>) -> rusqlite::Result<StateMachineVersion> {
    Ok(StateMachineVersion {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        number: row.get(2)?,
        definition: row.get(3)?,
        role_arn: row.get(4)?,
        description: row.get(5)?,
        revision_id: row.get(6)?,
        logging_configuration: row.get(7)?,
        tracing_configuration: row.get(8)?,
        encryption_configuration: row.get(9)?,
        creation_date: row.get(10)?,
    })
}

pub(crate) const ACTIVITY_COLUMNS: &str =
    "arn, name, account, region, encryption_configuration, creation_date";

pub(crate) fn activity(row: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        arn: row.get(0)?,
        name: row.get(1)?,
        account: row.get(2)?,
        region: row.get(3)?,
        encryption_configuration: row.get(4)?,
        creation_date: row.get(5)?,
    })
}

pub(crate) const EXECUTION_COLUMNS: &str = "arn, name, state_machine_arn, version_arn, \
    alias_arn, revision_id, type, status, input, output, error, cause, start_date, stop_date, \
    redrive_count, redrive_date, map_run_arn, parent_arn, trace_header, partition_id";

pub(crate) fn execution(row: &Row<'_>) -> rusqlite::Result<Execution> {
    Ok(Execution {
        arn: row.get(0)?,
        name: row.get(1)?,
        state_machine_arn: row.get(2)?,
        version_arn: row.get(3)?,
        alias_arn: row.get(4)?,
        revision_id: row.get(5)?,
        machine_type: name(row, 6)?,
        status: name(row, 7)?,
        input: row.get(8)?,
        output: row.get(9)?,
        error: row.get(10)?,
        cause: row.get(11)?,
        start_date: row.get(12)?,
        stop_date: row.get(13)?,
        redrive_count: row.get(14)?,
        redrive_date: row.get(15)?,
        map_run_arn: row.get(16)?,
        parent_arn: row.get(17)?,
        trace_header: row.get(18)?,
        partition: row.get(19)?,
    })
}

/// The summary columns, then the listing's sort key (`list_date`, `seq`).
pub(crate) const SUMMARY_COLUMNS: &str = "arn, name, state_machine_arn, version_arn, alias_arn, \
    status, start_date, stop_date, redrive_count, redrive_date, map_run_arn, list_date, seq";

pub(crate) fn summary(row: &Row<'_>) -> rusqlite::Result<(i64, i64, ExecutionSummary)> {
    Ok((
        row.get(11)?,
        row.get(12)?,
        ExecutionSummary {
            arn: row.get(0)?,
            name: row.get(1)?,
            state_machine_arn: row.get(2)?,
            version_arn: row.get(3)?,
            alias_arn: row.get(4)?,
            status: name(row, 5)?,
            start_date: row.get(6)?,
            stop_date: row.get(7)?,
            redrive_count: row.get(8)?,
            redrive_date: row.get(9)?,
            map_run_arn: row.get(10)?,
        },
    ))
}

pub(crate) const TASK_COLUMNS: &str = "execution_arn, task_id, kind, token, activity_arn, input, \
    status, worker_name, scheduled_at, started_at, heartbeat_deadline, timeout_deadline";

pub(crate) fn task(row: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        execution_arn: row.get(0)?,
        task_id: row.get(1)?,
        kind: name(row, 2)?,
        token: row.get(3)?,
        activity_arn: row.get(4)?,
        input: row.get(5)?,
        status: name(row, 6)?,
        worker_name: row.get(7)?,
        scheduled_at: row.get(8)?,
        started_at: row.get(9)?,
        heartbeat_deadline: row.get(10)?,
        timeout_deadline: row.get(11)?,
    })
}

pub(crate) const MAP_RUN_COLUMNS: &str = "arn, execution_arn, state_machine_arn, status, \
    max_concurrency, tolerated_failure_percentage, tolerated_failure_count, item_counts, \
    execution_counts, start_date, stop_date, redrive_count, redrive_date";

pub(crate) fn map_run(row: &Row<'_>) -> rusqlite::Result<MapRun> {
    Ok(MapRun {
        arn: row.get(0)?,
        execution_arn: row.get(1)?,
        state_machine_arn: row.get(2)?,
        status: name(row, 3)?,
        max_concurrency: row.get(4)?,
        tolerated_failure_percentage: row.get(5)?,
        tolerated_failure_count: row.get(6)?,
        item_counts: counts(row, 7)?,
        execution_counts: counts(row, 8)?,
        start_date: row.get(9)?,
        stop_date: row.get(10)?,
        redrive_count: row.get(11)?,
        redrive_date: row.get(12)?,
    })
}

pub(crate) const INBOX_COLUMNS: &str = "id, partition_id, execution_arn, event, created";

pub(crate) fn inbox_entry(row: &Row<'_>) -> rusqlite::Result<InboxEntry> {
    Ok(InboxEntry {
        id: row.get(0)?,
        partition: row.get(1)?,
        execution_arn: row.get(2)?,
        event: row.get(3)?,
        created: row.get(4)?,
    })
}
