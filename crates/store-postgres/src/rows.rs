//! Records to rows and back: the column lists every query selects, row readers, integer
//! conversions, and PostgreSQL errors as `store::Error`s.

use std::str::FromStr;

use baton_store::{
    Activity, Error, Execution, ExecutionSummary, InboxEntry, MapRun, MapRunCounts, Record,
    StateMachine, StateMachineRevision, StateMachineVersion, Task,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

pub(crate) type Result<T> = std::result::Result<T, Error>;

/// A backend failure: a PostgreSQL error no request caused (a lost connection, a server
/// restart), with the server's own message when there is one.
pub(crate) fn backend(e: tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => Error::Backend(format!("postgres: {} ({})", db.message(), db.code().code())),
        None => {
            // The causes too: "error performing TLS handshake" alone does not say that the
            // server's certificate was not trusted.
            let mut message = format!("postgres: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let text = c.to_string();
                if !message.contains(&text) {
                    message.push_str(": ");
                    message.push_str(&text);
                }
                cause = c.source();
            }
            Error::Backend(message)
        }
    }
}

/// The constraint a uniqueness violation names, when it is one.
pub(crate) fn unique_violation(e: &tokio_postgres::Error) -> Option<&str> {
    let db = e.as_db_error()?;
    (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or(""))
}

/// An insert's error: `AlreadyExists` for a taken key, a backend failure otherwise.
pub(crate) fn insert_error(
    e: tokio_postgres::Error,
    record: Record,
    key: impl FnOnce() -> String,
) -> Error {
    if unique_violation(&e).is_some() {
        Error::already_exists(record, key())
    } else {
        backend(e)
    }
}

/// A u64 as a bigint; values past `i64::MAX` are refused, not wrapped.
pub(crate) fn big(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::Backend(format!("{v} is past the store's limit")))
}

/// A partition number as an int; values past `i32::MAX` are refused, not wrapped.
pub(crate) fn int(v: u32) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Backend(format!("{v} is past the store's limit")))
}

/// A stored int read back as a partition number; a negative one is a corrupt row.
fn partition(row: &Row, idx: usize) -> Result<u32> {
    let v: i32 = get(row, idx)?;
    u32::try_from(v).map_err(|_| Error::Backend(format!("column {idx}: {v} is out of range")))
}

/// A stored bigint read back as an unsigned value; a negative one is a corrupt row.
fn unsigned<T: TryFrom<i64>>(row: &Row, idx: usize) -> Result<T> {
    let v: i64 = get(row, idx)?;
    T::try_from(v).map_err(|_| Error::Backend(format!("column {idx}: {v} is out of range")))
}

pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T> {
    row.try_get(idx).map_err(backend)
}

/// A stored name (status, type) read back; an unknown one is a corrupt row.
fn name<T: FromStr<Err = Error>>(row: &Row, idx: usize) -> Result<T> {
    let text: &str = get(row, idx)?;
    text.parse()
}

/// Map-run counts are stored as JSON text: they are only ever read and written whole.
fn counts(row: &Row, idx: usize) -> Result<MapRunCounts> {
    let text: &str = get(row, idx)?;
    serde_json::from_str(text).map_err(|e| Error::Backend(format!("map run counts: {e}")))
}

pub(crate) fn counts_json(c: &MapRunCounts) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".to_string())
}

pub(crate) const MACHINE_COLUMNS: &str = "arn, name, account, region, definition, role_arn, \
    type, status, description, logging_configuration, tracing_configuration, \
    encryption_configuration, revision_id, last_version_number, creation_date";

pub(crate) fn machine(row: &Row) -> Result<StateMachine> {
    Ok(StateMachine {
        arn: get(row, 0)?,
        name: get(row, 1)?,
        account: get(row, 2)?,
        region: get(row, 3)?,
        definition: get(row, 4)?,
        role_arn: get(row, 5)?,
        machine_type: name(row, 6)?,
        status: name(row, 7)?,
        description: get(row, 8)?,
        logging_configuration: get(row, 9)?,
        tracing_configuration: get(row, 10)?,
        encryption_configuration: get(row, 11)?,
        revision_id: get(row, 12)?,
        last_version_number: unsigned(row, 13)?,
        creation_date: get(row, 14)?,
    })
}

pub(crate) const REVISION_COLUMNS: &str = "state_machine_arn, revision_id, definition, role_arn, \
    logging_configuration, tracing_configuration, encryption_configuration, creation_date";

pub(crate) fn revision(row: &Row) -> Result<StateMachineRevision> {
    Ok(StateMachineRevision {
        state_machine_arn: get(row, 0)?,
        revision_id: get(row, 1)?,
        definition: get(row, 2)?,
        role_arn: get(row, 3)?,
        logging_configuration: get(row, 4)?,
        tracing_configuration: get(row, 5)?,
        encryption_configuration: get(row, 6)?,
        creation_date: get(row, 7)?,
    })
}

pub(crate) const VERSION_COLUMNS: &str = "arn, state_machine_arn, number, definition, role_arn, \
    description, revision_id, logging_configuration, tracing_configuration, \
    encryption_configuration, creation_date";

pub(crate) fn version(row: &Row) -> Result<StateMachineVersion> {
    Ok(StateMachineVersion {
        arn: get(row, 0)?,
        state_machine_arn: get(row, 1)?,
        number: unsigned(row, 2)?,
        definition: get(row, 3)?,
        role_arn: get(row, 4)?,
        description: get(row, 5)?,
        revision_id: get(row, 6)?,
        logging_configuration: get(row, 7)?,
        tracing_configuration: get(row, 8)?,
        encryption_configuration: get(row, 9)?,
        creation_date: get(row, 10)?,
    })
}

pub(crate) const ACTIVITY_COLUMNS: &str =
    "arn, name, account, region, encryption_configuration, creation_date";

pub(crate) fn activity(row: &Row) -> Result<Activity> {
    Ok(Activity {
        arn: get(row, 0)?,
        name: get(row, 1)?,
        account: get(row, 2)?,
        region: get(row, 3)?,
        encryption_configuration: get(row, 4)?,
        creation_date: get(row, 5)?,
    })
}

pub(crate) const EXECUTION_COLUMNS: &str = "arn, name, state_machine_arn, version_arn, \
    alias_arn, revision_id, type, status, input, output, error, cause, start_date, stop_date, \
    redrive_count, redrive_date, map_run_arn, parent_arn, trace_header, partition_id";

pub(crate) fn execution(row: &Row) -> Result<Execution> {
    Ok(Execution {
        arn: get(row, 0)?,
        name: get(row, 1)?,
        state_machine_arn: get(row, 2)?,
        version_arn: get(row, 3)?,
        alias_arn: get(row, 4)?,
        revision_id: get(row, 5)?,
        machine_type: name(row, 6)?,
        status: name(row, 7)?,
        input: get(row, 8)?,
        output: get(row, 9)?,
        error: get(row, 10)?,
        cause: get(row, 11)?,
        start_date: get(row, 12)?,
        stop_date: get(row, 13)?,
        redrive_count: unsigned(row, 14)?,
        redrive_date: get(row, 15)?,
        map_run_arn: get(row, 16)?,
        parent_arn: get(row, 17)?,
        trace_header: get(row, 18)?,
        partition: partition(row, 19)?,
    })
}

/// The summary columns, then the listing's sort key (`list_date`, `id`).
pub(crate) const SUMMARY_COLUMNS: &str = "arn, name, state_machine_arn, version_arn, alias_arn, \
    status, start_date, stop_date, redrive_count, redrive_date, map_run_arn, list_date, id";

pub(crate) fn summary(row: &Row) -> Result<(i64, i64, ExecutionSummary)> {
    Ok((
        get(row, 11)?,
        get(row, 12)?,
        ExecutionSummary {
            arn: get(row, 0)?,
            name: get(row, 1)?,
            state_machine_arn: get(row, 2)?,
            version_arn: get(row, 3)?,
            alias_arn: get(row, 4)?,
            status: name(row, 5)?,
            start_date: get(row, 6)?,
            stop_date: get(row, 7)?,
            redrive_count: unsigned(row, 8)?,
            redrive_date: get(row, 9)?,
            map_run_arn: get(row, 10)?,
        },
    ))
}

pub(crate) const TASK_COLUMNS: &str = "execution_arn, task_id, kind, token, activity_arn, input, \
    status, worker_name, scheduled_at, started_at, heartbeat_deadline, timeout_deadline";

pub(crate) fn task(row: &Row) -> Result<Task> {
    Ok(Task {
        execution_arn: get(row, 0)?,
        task_id: unsigned(row, 1)?,
        kind: name(row, 2)?,
        token: get(row, 3)?,
        activity_arn: get(row, 4)?,
        input: get(row, 5)?,
        status: name(row, 6)?,
        worker_name: get(row, 7)?,
        scheduled_at: get(row, 8)?,
        started_at: get(row, 9)?,
        heartbeat_deadline: get(row, 10)?,
        timeout_deadline: get(row, 11)?,
    })
}

pub(crate) const MAP_RUN_COLUMNS: &str = "arn, execution_arn, state_machine_arn, status, \
    max_concurrency, tolerated_failure_percentage, tolerated_failure_count, item_counts, \
    execution_counts, start_date, stop_date, redrive_count, redrive_date";

pub(crate) fn map_run(row: &Row) -> Result<MapRun> {
    Ok(MapRun {
        arn: get(row, 0)?,
        execution_arn: get(row, 1)?,
        state_machine_arn: get(row, 2)?,
        status: name(row, 3)?,
        max_concurrency: unsigned(row, 4)?,
        tolerated_failure_percentage: get(row, 5)?,
        tolerated_failure_count: unsigned(row, 6)?,
        item_counts: counts(row, 7)?,
        execution_counts: counts(row, 8)?,
        start_date: get(row, 9)?,
        stop_date: get(row, 10)?,
        redrive_count: unsigned(row, 11)?,
        redrive_date: get(row, 12)?,
    })
}

pub(crate) const INBOX_COLUMNS: &str = "id, partition_id, execution_arn, event, created";

pub(crate) fn inbox_entry(row: &Row) -> Result<InboxEntry> {
    Ok(InboxEntry {
        id: unsigned(row, 0)?,
        partition: partition(row, 1)?,
        execution_arn: get(row, 2)?,
        event: get(row, 3)?,
        created: get(row, 4)?,
    })
}
