//! The reads: one function per `Store` read, each a single statement (so a page is one
//! consistent snapshot), run on a pooled read-only connection.

use baton_store::{
    Activity, AliasesOf, Cursor, Error, Execution, ExecutionFilter, ExecutionSummary, ExecutionsOf,
    HistoryRecord, InboxEntry, JournalEntry, MapRun, Millis, Page, PageRequest, Route, Scope,
    StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion, Tag, Task, Timer,
};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};

use crate::rows::{
    self, backend, child_key, ACTIVITY_COLUMNS, CHILD_BITS, EXECUTION_COLUMNS, INBOX_COLUMNS,
    MACHINE_COLUMNS, MAP_RUN_COLUMNS, REVISION_COLUMNS, SUMMARY_COLUMNS, TASK_COLUMNS,
    VERSION_COLUMNS,
};

type Result<T> = std::result::Result<T, Error>;

/// Listing names, written into page tokens so a token pages only the listing that issued it.
const MACHINES: &str = "state-machines";
const VERSIONS: &str = "versions";
const ALIASES: &str = "aliases";
const ACTIVITIES: &str = "activities";
const EXECUTIONS: &str = "executions";
const HISTORY: &str = "history";
const HISTORY_REVERSE: &str = "history-reverse";
const MAP_RUNS: &str = "map-runs";

fn one<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_row(args, f).optional())
        .map_err(backend)
}

fn all<T>(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.query_map(args, f)?.collect())
        .map_err(backend)
}

/// One more row than the page holds: whether another page follows.
fn fetch(page: &PageRequest) -> i64 {
    i64::try_from(page.size()).unwrap_or(i64::MAX - 1) + 1
}

/// A page from rows read with their cursors.
fn paged<T>(rows: Vec<(Cursor, T)>, page: &PageRequest) -> Page<T> {
    let p = Page::from_rows(rows, page.size(), |(c, _)| c.clone());
    Page {
        items: p.items.into_iter().map(|(_, t)| t).collect(),
        next: p.next,
    }
}

pub(crate) fn state_machine(conn: &Connection, arn: &str) -> Result<Option<StateMachine>> {
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1");
    one(conn, &sql, [arn], rows::machine)
}

pub(crate) fn state_machines(
    conn: &Connection,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<StateMachine>> {
    let rows = match &page.token {
        None => {
            let sql = format!(
                "SELECT {MACHINE_COLUMNS} FROM state_machines WHERE account = ?1 AND region = ?2 \
                 ORDER BY name, arn LIMIT ?3"
            );
            all(
                conn,
                &sql,
                params![scope.account, scope.region, fetch(page)],
                rows::machine,
            )?
        }
        Some(token) => {
            let mut c = Cursor::parse(MACHINES, token)?;
            let (name, arn) = (c.text()?, c.text()?);
            c.end()?;
            let sql = format!(
                "SELECT {MACHINE_COLUMNS} FROM state_machines WHERE account = ?1 AND region = ?2 \
                 AND (name, arn) > (?3, ?4) ORDER BY name, arn LIMIT ?5"
            );
            let args = params![scope.account, scope.region, name, arn, fetch(page)];
            all(conn, &sql, args, rows::machine)?
        }
    };
    Ok(Page::from_rows(rows, page.size(), |m| {
        Cursor::new(MACHINES).text(&m.name).text(&m.arn)
    }))
}

pub(crate) fn revision(
    conn: &Connection,
    machine_arn: &str,
    revision_id: &str,
) -> Result<Option<StateMachineRevision>> {
    let sql = format!(
        "SELECT {REVISION_COLUMNS} FROM revisions WHERE state_machine_arn = ?1 AND revision_id = ?2"
    );
    one(conn, &sql, [machine_arn, revision_id], rows::revision)
}

pub(crate) fn version(conn: &Connection, arn: &str) -> Result<Option<StateMachineVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE arn = ?1");
    one(conn, &sql, [arn], rows::version)
}

pub(crate) fn versions(
    conn: &Connection,
    machine_arn: &str,
    page: &PageRequest,
) -> Result<Page<StateMachineVersion>> {
    let before = match &page.token {
        None => i64::MAX,
        Some(token) => {
            let mut c = Cursor::parse(VERSIONS, token)?;
            let n = c.int()?;
            c.end()?;
            n
        }
    };
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = ?1 AND number < ?2 \
         ORDER BY number DESC LIMIT ?3"
    );
    let rows = all(
        conn,
        &sql,
        params![machine_arn, before, fetch(page)],
        rows::version,
    )?;
    Ok(Page::from_rows(rows, page.size(), |v| {
        Cursor::new(VERSIONS).int(i64::from(v.number))
    }))
}

fn alias_row(row: &Row<'_>) -> rusqlite::Result<StateMachineAlias> {
    Ok(StateMachineAlias {
        arn: row.get(0)?,
        state_machine_arn: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        routing: Vec::new(),
        creation_date: row.get(4)?,
        update_date: row.get(5)?,
    })
}

const ALIAS_COLUMNS: &str = "arn, state_machine_arn, name, description, creation_date, update_date";

fn with_routes(conn: &Connection, mut a: StateMachineAlias) -> Result<StateMachineAlias> {
    a.routing = all(
        conn,
        "SELECT version_arn, weight FROM alias_routes WHERE alias_arn = ?1 ORDER BY position",
        [&a.arn],
        |r| {
            Ok(Route {
                version_arn: r.get(0)?,
                weight: r.get(1)?,
            })
        },
    )?;
    Ok(a)
}

pub(crate) fn alias(conn: &Connection, arn: &str) -> Result<Option<StateMachineAlias>> {
    let sql = format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = ?1");
    one(conn, &sql, [arn], alias_row)?
        .map(|a| with_routes(conn, a))
        .transpose()
}

pub(crate) fn aliases(
    conn: &Connection,
    of: AliasesOf<'_>,
    page: &PageRequest,
) -> Result<Page<StateMachineAlias>> {
    let whose = match of {
        AliasesOf::Machine(arn) => ("state_machine_arn = ?1", arn),
        AliasesOf::Version(arn) => (
            "arn IN (SELECT alias_arn FROM alias_routes WHERE version_arn = ?1)",
            arn,
        ),
    };
    let rows = match &page.token {
        None => {
            let sql = format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE {} \
                 ORDER BY creation_date DESC, arn DESC LIMIT ?2",
                whose.0
            );
            all(conn, &sql, params![whose.1, fetch(page)], alias_row)?
        }
        Some(token) => {
            let mut c = Cursor::parse(ALIASES, token)?;
            let (date, arn) = (c.int()?, c.text()?);
            c.end()?;
            let sql = format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE {} AND (creation_date, arn) < (?2, ?3) \
                 ORDER BY creation_date DESC, arn DESC LIMIT ?4",
                whose.0
            );
            all(
                conn,
                &sql,
                params![whose.1, date, arn, fetch(page)],
                alias_row,
            )?
        }
    };
    let rows = rows
        .into_iter()
        .map(|a| with_routes(conn, a))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page.size(), |a| {
        Cursor::new(ALIASES).int(a.creation_date).text(&a.arn)
    }))
}

pub(crate) fn activity(conn: &Connection, arn: &str) -> Result<Option<Activity>> {
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = ?1");
    one(conn, &sql, [arn], rows::activity)
}

pub(crate) fn activities(
    conn: &Connection,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<Activity>> {
    let rows = match &page.token {
        None => {
            let sql = format!(
                "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE account = ?1 AND region = ?2 \
                 ORDER BY name, arn LIMIT ?3"
            );
            all(
                conn,
                &sql,
                params![scope.account, scope.region, fetch(page)],
                rows::activity,
            )?
        }
        Some(token) => {
            let mut c = Cursor::parse(ACTIVITIES, token)?;
            let (name, arn) = (c.text()?, c.text()?);
            c.end()?;
            let sql = format!(
                "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE account = ?1 AND region = ?2 \
                 AND (name, arn) > (?3, ?4) ORDER BY name, arn LIMIT ?5"
            );
            let args = params![scope.account, scope.region, name, arn, fetch(page)];
            all(conn, &sql, args, rows::activity)?
        }
    };
    Ok(Page::from_rows(rows, page.size(), |a| {
        Cursor::new(ACTIVITIES).text(&a.name).text(&a.arn)
    }))
}

pub(crate) fn tags(conn: &Connection, arn: &str) -> Result<Vec<Tag>> {
    all(
        conn,
        "SELECT key, value FROM tags WHERE resource_arn = ?1 ORDER BY key",
        [arn],
        |r| {
            Ok(Tag {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        },
    )
}

pub(crate) fn execution(conn: &Connection, arn: &str) -> Result<Option<Execution>> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1");
    one(conn, &sql, [arn], rows::execution)
}

pub(crate) fn executions(
    conn: &Connection,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<ExecutionSummary>> {
    // The owner column picks the index; the other conditions filter along it.
    let (column, owner) = match &filter.of {
        ExecutionsOf::Machine(arn) => ("state_machine_arn", arn),
        ExecutionsOf::Version(arn) => ("version_arn", arn),
        ExecutionsOf::Alias(arn) => ("alias_arn", arn),
        ExecutionsOf::MapRun(arn) => ("map_run_arn", arn),
    };
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM executions WHERE {column} = ?");
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(owner.clone())];
    if let Some(status) = filter.status {
        sql.push_str(" AND status = ?");
        args.push(Box::new(status.as_str()));
    }
    match filter.redriven {
        Some(true) => sql.push_str(" AND redrive_count > 0"),
        Some(false) => sql.push_str(" AND redrive_count = 0"),
        None => {}
    }
    if let Some(token) = &page.token {
        let mut c = Cursor::parse(EXECUTIONS, token)?;
        let (date, seq) = (c.int()?, c.int()?);
        c.end()?;
        sql.push_str(" AND (list_date, seq) < (?, ?)");
        args.push(Box::new(date));
        args.push(Box::new(seq));
    }
    sql.push_str(" ORDER BY list_date DESC, seq DESC LIMIT ?");
    args.push(Box::new(fetch(page)));
    let rows = all(conn, &sql, params_from_iter(args.iter()), rows::summary)?;
    let rows = rows
        .into_iter()
        .map(|(date, seq, e)| (Cursor::new(EXECUTIONS).int(date).int(seq), e))
        .collect();
    Ok(paged(rows, page))
}

pub(crate) fn unfinished_executions(conn: &Connection) -> Result<Vec<Execution>> {
    // The literal statuses match the partial index `executions_unfinished`.
    let sql = format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions \
         WHERE status IN ('RUNNING', 'PENDING_REDRIVE') ORDER BY start_date, seq"
    );
    all(conn, &sql, [], rows::execution)
}

pub(crate) fn inbox(
    conn: &Connection,
    partitions: &[u32],
    limit: usize,
) -> Result<Vec<InboxEntry>> {
    if partitions.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    // The partitions as one JSON array: one statement text (cached) whatever their number.
    let partitions = serde_json::to_string(partitions).map_err(Error::backend)?;
    let sql = format!(
        "SELECT {INBOX_COLUMNS} FROM inbox \
         WHERE partition_id IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT ?2"
    );
    all(
        conn,
        &sql,
        params![partitions, i64::try_from(limit).unwrap_or(i64::MAX)],
        rows::inbox_entry,
    )
}

pub(crate) fn history(
    conn: &Connection,
    execution_arn: &str,
    reverse: bool,
    page: &PageRequest,
) -> Result<Page<HistoryRecord>> {
    let listing = if reverse { HISTORY_REVERSE } else { HISTORY };
    let after = match &page.token {
        None => None,
        Some(token) => {
            let mut c = Cursor::parse(listing, token)?;
            let id = c.int()?;
            c.end()?;
            Some(u64::try_from(id).map_err(|_| Error::InvalidToken)?)
        }
    };
    let Some(execution) = execution_seq(conn, execution_arn)? else {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    };
    // Keys of this execution's events lie in [first, last].
    let first = child_key(execution, 0)?;
    let last = first | ((1 << CHILD_BITS) - 1);
    let bound = |id: u64| child_key(execution, id.min((1 << CHILD_BITS) - 1));
    let (sql, low, high) = if reverse {
        let high = match after {
            Some(id) => bound(id)? - 1,
            None => last,
        };
        (
            "SELECT key, event FROM history WHERE key BETWEEN ?1 AND ?2 ORDER BY key DESC LIMIT ?3",
            first,
            high,
        )
    } else {
        let low = match after {
            Some(id) => bound(id)? + 1,
            None => first,
        };
        (
            "SELECT key, event FROM history WHERE key BETWEEN ?1 AND ?2 ORDER BY key LIMIT ?3",
            low,
            last,
        )
    };
    let rows = all(conn, sql, params![low, high, fetch(page)], |r| {
        Ok(HistoryRecord {
            id: (r.get::<_, i64>(0)? - first) as u64,
            json: r.get(1)?,
        })
    })?;
    Ok(Page::from_rows(rows, page.size(), |e| {
        Cursor::new(listing).int(i64::try_from(e.id).unwrap_or(i64::MAX))
    }))
}

/// The row number keying an execution's history and journal.
fn execution_seq(conn: &Connection, arn: &str) -> Result<Option<i64>> {
    one(
        conn,
        "SELECT seq FROM executions WHERE arn = ?1",
        [arn],
        |r| r.get(0),
    )
}

pub(crate) fn journal(conn: &Connection, execution_arn: &str) -> Result<Vec<JournalEntry>> {
    let Some(execution) = execution_seq(conn, execution_arn)? else {
        return Ok(Vec::new());
    };
    let first = child_key(execution, 0)?;
    all(
        conn,
        "SELECT key, event FROM journal WHERE key BETWEEN ?1 AND ?2 ORDER BY key",
        params![first, first | ((1 << CHILD_BITS) - 1)],
        |r| {
            Ok(JournalEntry {
                seq: (r.get::<_, i64>(0)? - first) as u64,
                json: r.get(1)?,
            })
        },
    )
}

pub(crate) fn due_timers(conn: &Connection, now: Millis, limit: usize) -> Result<Vec<Timer>> {
    all(
        conn,
        "SELECT execution_arn, timer_id, fire_at FROM timers WHERE fire_at <= ?1 \
         ORDER BY fire_at, execution_arn, timer_id LIMIT ?2",
        params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok(Timer {
                execution_arn: r.get(0)?,
                timer_id: r.get(1)?,
                fire_at: r.get(2)?,
            })
        },
    )
}

pub(crate) fn next_timer_at(conn: &Connection) -> Result<Option<Millis>> {
    one(conn, "SELECT MIN(fire_at) FROM timers", [], |r| r.get(0)).map(Option::flatten)
}

pub(crate) fn task(conn: &Connection, execution_arn: &str, task_id: u64) -> Result<Option<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE execution_arn = ?1 AND task_id = ?2");
    one(conn, &sql, params![execution_arn, task_id], rows::task)
}

pub(crate) fn task_by_token(conn: &Connection, token: &str) -> Result<Option<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE token = ?1");
    one(conn, &sql, [token], rows::task)
}

pub(crate) fn tasks(conn: &Connection, execution_arn: &str) -> Result<Vec<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE execution_arn = ?1 ORDER BY task_id");
    all(conn, &sql, [execution_arn], rows::task)
}

pub(crate) fn map_run(conn: &Connection, arn: &str) -> Result<Option<MapRun>> {
    let sql = format!("SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE arn = ?1");
    one(conn, &sql, [arn], rows::map_run)
}

pub(crate) fn map_runs(
    conn: &Connection,
    execution_arn: &str,
    page: &PageRequest,
) -> Result<Page<MapRun>> {
    let rows = match &page.token {
        None => {
            let sql = format!(
                "SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_arn = ?1 \
                 ORDER BY start_date DESC, arn DESC LIMIT ?2"
            );
            all(
                conn,
                &sql,
                params![execution_arn, fetch(page)],
                rows::map_run,
            )?
        }
        Some(token) => {
            let mut c = Cursor::parse(MAP_RUNS, token)?;
            let (date, arn) = (c.int()?, c.text()?);
            c.end()?;
            let sql = format!(
                "SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_arn = ?1 \
                 AND (start_date, arn) < (?2, ?3) ORDER BY start_date DESC, arn DESC LIMIT ?4"
            );
            all(
                conn,
                &sql,
                params![execution_arn, date, arn, fetch(page)],
                rows::map_run,
            )?
        }
    };
    Ok(Page::from_rows(rows, page.size(), |r| {
        Cursor::new(MAP_RUNS).int(r.start_date).text(&r.arn)
    }))
}

fn service_resource_row(r: &Row<'_>) -> rusqlite::Result<baton_store::ServiceResource> {
    Ok(baton_store::ServiceResource {
        kind: r.get(0)?,
        arn: r.get(1)?,
        account: r.get(2)?,
        body: r.get(3)?,
        version: r.get(4)?,
    })
}

pub(crate) fn service_resource(
    conn: &Connection,
    kind: &str,
    arn: &str,
) -> Result<Option<baton_store::ServiceResource>> {
    one(
        conn,
        "SELECT kind, arn, account, body, version FROM service_resources WHERE kind = ?1 AND arn = ?2",
        [kind, arn],
        service_resource_row,
    )
}

pub(crate) fn service_resources(
    conn: &Connection,
    kind: &str,
    account: Option<&str>,
) -> Result<Vec<baton_store::ServiceResource>> {
    match account {
        Some(account) => all(
            conn,
            "SELECT kind, arn, account, body, version FROM service_resources \
             WHERE kind = ?1 AND account = ?2 ORDER BY arn",
            [kind, account],
            service_resource_row,
        ),
        None => all(
            conn,
            "SELECT kind, arn, account, body, version FROM service_resources WHERE kind = ?1 ORDER BY arn",
            [kind],
            service_resource_row,
        ),
    }
}
