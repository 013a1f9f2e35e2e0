//! The reads: one function per `Store` read, each a single statement where the answer is one
//! listing (so a page is one consistent snapshot), on a pooled connection. Page tokens are the
//! same as SQLite's: `baton_store::Cursor` over the same sort keys.

use baton_store::{
    Activity, AliasesOf, Cursor, Error, Execution, ExecutionFilter, ExecutionSummary, ExecutionsOf,
    HistoryRecord, InboxEntry, JournalEntry, MapRun, Millis, Page, PageRequest, Route, Scope,
    StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion, Tag, Task, Timer,
};
use deadpool_postgres::Client;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::rows::{
    self, backend, big, get, Result, ACTIVITY_COLUMNS, EXECUTION_COLUMNS, INBOX_COLUMNS,
    MACHINE_COLUMNS, MAP_RUN_COLUMNS, REVISION_COLUMNS, SUMMARY_COLUMNS, TASK_COLUMNS,
    VERSION_COLUMNS,
};

/// Listing names, written into page tokens so a token pages only the listing that issued it.
const MACHINES: &str = "state-machines";
const VERSIONS: &str = "versions";
const ALIASES: &str = "aliases";
const ACTIVITIES: &str = "activities";
const EXECUTIONS: &str = "executions";
const HISTORY: &str = "history";
const HISTORY_REVERSE: &str = "history-reverse";
const MAP_RUNS: &str = "map-runs";

type Args<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn rows(c: &Client, sql: &str, args: Args<'_>) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(backend)?;
    c.query(&stmt, args).await.map_err(backend)
}

async fn one<T>(
    c: &Client,
    sql: &str,
    args: Args<'_>,
    f: impl Fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    rows(c, sql, args).await?.first().map(f).transpose()
}

async fn all<T>(
    c: &Client,
    sql: &str,
    args: Args<'_>,
    f: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    rows(c, sql, args).await?.iter().map(f).collect()
}

/// One more row than the page holds: whether another page follows.
fn fetch(page: &PageRequest) -> i64 {
    i64::try_from(page.size()).unwrap_or(i64::MAX - 1) + 1
}

pub(crate) async fn state_machine(c: &Client, arn: &str) -> Result<Option<StateMachine>> {
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = $1");
    one(c, &sql, &[&arn], rows::machine).await
}

/// Rows of a listing by (name, arn) within one account and region: machines or activities.
async fn by_name<T>(
    c: &Client,
    table: &str,
    columns: &str,
    listing: &'static str,
    scope: &Scope,
    page: &PageRequest,
    f: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    match &page.token {
        None => {
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE account = $1 AND region = $2 \
                 ORDER BY name, arn LIMIT $3"
            );
            all(c, &sql, &[&scope.account, &scope.region, &fetch(page)], f).await
        }
        Some(token) => {
            let mut cur = Cursor::parse(listing, token)?;
            let (name, arn) = (cur.text()?, cur.text()?);
            cur.end()?;
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE account = $1 AND region = $2 \
                 AND (name, arn) > ($3, $4) ORDER BY name, arn LIMIT $5"
            );
            let args: Args = &[&scope.account, &scope.region, &name, &arn, &fetch(page)];
            all(c, &sql, args, f).await
        }
    }
}

pub(crate) async fn state_machines(
    c: &Client,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<StateMachine>> {
    let rows = by_name(
        c,
        "state_machines",
        MACHINE_COLUMNS,
        MACHINES,
        scope,
        page,
        rows::machine,
    )
    .await?;
    Ok(Page::from_rows(rows, page.size(), |m| {
        Cursor::new(MACHINES).text(&m.name).text(&m.arn)
    }))
}

pub(crate) async fn revision(
    c: &Client,
    machine_arn: &str,
    revision_id: &str,
) -> Result<Option<StateMachineRevision>> {
    let sql = format!(
        "SELECT {REVISION_COLUMNS} FROM revisions WHERE state_machine_arn = $1 AND revision_id = $2"
    );
    one(c, &sql, &[&machine_arn, &revision_id], rows::revision).await
}

pub(crate) async fn version(c: &Client, arn: &str) -> Result<Option<StateMachineVersion>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE arn = $1");
    one(c, &sql, &[&arn], rows::version).await
}

pub(crate) async fn versions(
    c: &Client,
    machine_arn: &str,
    page: &PageRequest,
) -> Result<Page<StateMachineVersion>> {
    let before = match &page.token {
        None => i64::MAX,
        Some(token) => {
            let mut cur = Cursor::parse(VERSIONS, token)?;
            let n = cur.int()?;
            cur.end()?;
            n
        }
    };
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = $1 AND number < $2 \
         ORDER BY number DESC LIMIT $3"
    );
    let rows = all(
        c,
        &sql,
        &[&machine_arn, &before, &fetch(page)],
        rows::version,
    )
    .await?;
    Ok(Page::from_rows(rows, page.size(), |v| {
        Cursor::new(VERSIONS).int(i64::from(v.number))
    }))
}

const ALIAS_COLUMNS: &str = "arn, state_machine_arn, name, description, creation_date, update_date";

fn alias_row(row: &Row) -> Result<StateMachineAlias> {
    Ok(StateMachineAlias {
        arn: get(row, 0)?,
        state_machine_arn: get(row, 1)?,
        name: get(row, 2)?,
        description: get(row, 3)?,
        routing: Vec::new(),
        creation_date: get(row, 4)?,
        update_date: get(row, 5)?,
    })
}

async fn with_routes(c: &Client, mut a: StateMachineAlias) -> Result<StateMachineAlias> {
    a.routing = all(
        c,
        "SELECT version_arn, weight FROM alias_routes WHERE alias_arn = $1 ORDER BY position",
        &[&a.arn],
        |r| {
            let weight: i64 = get(r, 1)?;
            Ok(Route {
                version_arn: get(r, 0)?,
                weight: u32::try_from(weight)
                    .map_err(|_| Error::Backend(format!("route weight {weight}")))?,
            })
        },
    )
    .await?;
    Ok(a)
}

pub(crate) async fn alias(c: &Client, arn: &str) -> Result<Option<StateMachineAlias>> {
    let sql = format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = $1");
    match one(c, &sql, &[&arn], alias_row).await? {
        Some(a) => Ok(Some(with_routes(c, a).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn aliases(
    c: &Client,
    of: AliasesOf<'_>,
    page: &PageRequest,
) -> Result<Page<StateMachineAlias>> {
    let (whose, owner) = match of {
        AliasesOf::Machine(arn) => ("state_machine_arn = $1", arn),
        AliasesOf::Version(arn) => (
            "arn IN (SELECT alias_arn FROM alias_routes WHERE version_arn = $1)",
            arn,
        ),
    };
    let found = match &page.token {
        None => {
            let sql = format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE {whose} \
                 ORDER BY creation_date DESC, arn DESC LIMIT $2"
            );
            all(c, &sql, &[&owner, &fetch(page)], alias_row).await?
        }
        Some(token) => {
            let mut cur = Cursor::parse(ALIASES, token)?;
            let (date, arn) = (cur.int()?, cur.text()?);
            cur.end()?;
            let sql = format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE {whose} \
                 AND (creation_date, arn) < ($2, $3) \
                 ORDER BY creation_date DESC, arn DESC LIMIT $4"
            );
            all(c, &sql, &[&owner, &date, &arn, &fetch(page)], alias_row).await?
        }
    };
    let mut items = Vec::with_capacity(found.len());
    for a in found {
        items.push(with_routes(c, a).await?);
    }
    Ok(Page::from_rows(items, page.size(), |a| {
        Cursor::new(ALIASES).int(a.creation_date).text(&a.arn)
    }))
}

pub(crate) async fn activity(c: &Client, arn: &str) -> Result<Option<Activity>> {
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = $1");
    one(c, &sql, &[&arn], rows::activity).await
}

pub(crate) async fn activities(
    c: &Client,
    scope: &Scope,
    page: &PageRequest,
) -> Result<Page<Activity>> {
    let rows = by_name(
        c,
        "activities",
        ACTIVITY_COLUMNS,
        ACTIVITIES,
        scope,
        page,
        rows::activity,
    )
    .await?;
    Ok(Page::from_rows(rows, page.size(), |a| {
        Cursor::new(ACTIVITIES).text(&a.name).text(&a.arn)
    }))
}

pub(crate) async fn tags(c: &Client, arn: &str) -> Result<Vec<Tag>> {
    all(
        c,
        "SELECT key, value FROM tags WHERE resource_arn = $1 ORDER BY key",
        &[&arn],
        |r| {
            Ok(Tag {
                key: get(r, 0)?,
                value: get(r, 1)?,
            })
        },
    )
    .await
}

pub(crate) async fn execution(c: &Client, arn: &str) -> Result<Option<Execution>> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1");
    one(c, &sql, &[&arn], rows::execution).await
}

pub(crate) async fn executions(
    c: &Client,
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
    let status = filter.status.map(|s| s.as_str().to_string());
    let cursor = match &page.token {
        Some(token) => {
            let mut cur = Cursor::parse(EXECUTIONS, token)?;
            let (date, id) = (cur.int()?, cur.int()?);
            cur.end()?;
            Some((date, id))
        }
        None => None,
    };
    let limit = fetch(page);
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM executions WHERE {column} = $1");
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![owner];
    if let Some(status) = &status {
        args.push(status);
        sql.push_str(&format!(" AND status = ${}", args.len()));
    }
    match filter.redriven {
        Some(true) => sql.push_str(" AND redrive_count > 0"),
        Some(false) => sql.push_str(" AND redrive_count = 0"),
        None => {}
    }
    if let Some((date, id)) = &cursor {
        args.push(date);
        args.push(id);
        sql.push_str(&format!(
            " AND (list_date, id) < (${}, ${})",
            args.len() - 1,
            args.len()
        ));
    }
    args.push(&limit);
    sql.push_str(&format!(
        " ORDER BY list_date DESC, id DESC LIMIT ${}",
        args.len()
    ));
    let rows = all(c, &sql, &args, rows::summary).await?;
    let rows: Vec<(Cursor, ExecutionSummary)> = rows
        .into_iter()
        .map(|(date, id, e)| (Cursor::new(EXECUTIONS).int(date).int(id), e))
        .collect();
    let p = Page::from_rows(rows, page.size(), |(cur, _)| cur.clone());
    Ok(Page {
        items: p.items.into_iter().map(|(_, e)| e).collect(),
        next: p.next,
    })
}

pub(crate) async fn unfinished_executions(c: &Client) -> Result<Vec<Execution>> {
    // The literal statuses match the partial index `executions_unfinished`.
    let sql = format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions \
         WHERE status IN ('RUNNING', 'PENDING_REDRIVE') ORDER BY start_date, id"
    );
    all(c, &sql, &[], rows::execution).await
}

/// The partitions as the `int[]` a query compares `partition_id` with; those past the column's
/// range hold nothing.
fn partition_ids(partitions: &[u32]) -> Vec<i32> {
    partitions
        .iter()
        .filter_map(|p| i32::try_from(*p).ok())
        .collect()
}

pub(crate) async fn unfinished_executions_in(
    c: &Client,
    partitions: &[u32],
) -> Result<Vec<Execution>> {
    // Along the partial index `executions_unfinished` (partition_id, start_date, id).
    let sql = format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions \
         WHERE partition_id = ANY($1) AND status IN ('RUNNING', 'PENDING_REDRIVE') \
         ORDER BY start_date, id"
    );
    all(c, &sql, &[&partition_ids(partitions)], rows::execution).await
}

pub(crate) async fn timers_in(c: &Client, partitions: &[u32]) -> Result<Vec<Timer>> {
    all(
        c,
        "SELECT t.execution_arn, t.timer_id, t.fire_at FROM executions e \
         JOIN timers t ON t.execution_arn = e.arn \
         WHERE e.partition_id = ANY($1) AND e.status IN ('RUNNING', 'PENDING_REDRIVE')",
        &[&partition_ids(partitions)],
        timer,
    )
    .await
}

pub(crate) async fn open_tasks_in(c: &Client, partitions: &[u32]) -> Result<Vec<Task>> {
    let columns = TASK_COLUMNS
        .split(", ")
        .map(|c| format!("t.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM executions e JOIN tasks t ON t.execution_arn = e.arn \
         WHERE e.partition_id = ANY($1) AND e.status IN ('RUNNING', 'PENDING_REDRIVE') \
         AND t.status <> 'CLOSED'"
    );
    all(c, &sql, &[&partition_ids(partitions)], rows::task).await
}

pub(crate) async fn inbox(c: &Client, partitions: &[u32], limit: usize) -> Result<Vec<InboxEntry>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {INBOX_COLUMNS} FROM inbox WHERE partition_id = ANY($1) ORDER BY id LIMIT $2"
    );
    all(
        c,
        &sql,
        &[&partition_ids(partitions), &limit],
        rows::inbox_entry,
    )
    .await
}

pub(crate) async fn history(
    c: &Client,
    execution_arn: &str,
    reverse: bool,
    page: &PageRequest,
) -> Result<Page<HistoryRecord>> {
    let listing = if reverse { HISTORY_REVERSE } else { HISTORY };
    let after = match &page.token {
        None => None,
        Some(token) => {
            let mut cur = Cursor::parse(listing, token)?;
            let id = cur.int()?;
            cur.end()?;
            Some(u64::try_from(id).map_err(|_| Error::InvalidToken)?)
        }
    };
    let limit = fetch(page);
    // Each chunk holds at least one event: `limit` chunks hold at least `limit` events.
    let chunks = if reverse {
        let before = after.map_or(Ok(i64::MAX), big)?;
        all(
            c,
            "SELECT c.first_event, c.events FROM history_chunks c \
             JOIN executions e ON e.id = c.execution_id \
             WHERE e.arn = $1 AND c.first_event < $2 ORDER BY c.first_event DESC LIMIT $3",
            &[&execution_arn, &before, &limit],
            chunk,
        )
        .await?
    } else {
        let after = after.map_or(Ok(0), big)?;
        all(
            c,
            "SELECT c.first_event, c.events FROM history_chunks c \
             JOIN executions e ON e.id = c.execution_id \
             WHERE e.arn = $1 AND c.last_event > $2 ORDER BY c.first_event LIMIT $3",
            &[&execution_arn, &after, &limit],
            chunk,
        )
        .await?
    };
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut events = Vec::new();
    for (first, jsons) in chunks {
        let records = jsons
            .into_iter()
            .enumerate()
            .map(|(i, json)| HistoryRecord {
                id: first + i as u64,
                json,
            });
        if reverse {
            let mut records: Vec<_> = records.filter(|r| after.is_none_or(|a| r.id < a)).collect();
            records.reverse();
            events.extend(records);
        } else {
            events.extend(records.filter(|r| after.is_none_or(|a| r.id > a)));
        }
        if events.len() >= wanted {
            break;
        }
    }
    events.truncate(wanted);
    Ok(Page::from_rows(events, page.size(), |e| {
        Cursor::new(listing).int(i64::try_from(e.id).unwrap_or(i64::MAX))
    }))
}

fn chunk(row: &Row) -> Result<(u64, Vec<String>)> {
    let first: i64 = get(row, 0)?;
    let first = u64::try_from(first).map_err(|_| Error::Backend(format!("event id {first}")))?;
    Ok((first, get(row, 1)?))
}

pub(crate) async fn journal(c: &Client, execution_arn: &str) -> Result<Vec<JournalEntry>> {
    all(
        c,
        "SELECT j.seq, j.event FROM journal j JOIN executions e ON e.id = j.execution_id \
         WHERE e.arn = $1 ORDER BY j.seq",
        &[&execution_arn],
        |r| {
            let seq: i64 = get(r, 0)?;
            Ok(JournalEntry {
                seq: u64::try_from(seq)
                    .map_err(|_| Error::Backend(format!("journal seq {seq}")))?,
                json: get(r, 1)?,
            })
        },
    )
    .await
}

fn timer(r: &Row) -> Result<Timer> {
    let id: i64 = get(r, 1)?;
    Ok(Timer {
        execution_arn: get(r, 0)?,
        timer_id: u64::try_from(id).map_err(|_| Error::Backend(format!("timer id {id}")))?,
        fire_at: get(r, 2)?,
    })
}

pub(crate) async fn due_timers(c: &Client, now: Millis, limit: usize) -> Result<Vec<Timer>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    all(
        c,
        "SELECT execution_arn, timer_id, fire_at FROM timers WHERE fire_at <= $1 \
         ORDER BY fire_at, execution_arn, timer_id LIMIT $2",
        &[&now, &limit],
        timer,
    )
    .await
}

pub(crate) async fn next_timer_at(c: &Client) -> Result<Option<Millis>> {
    one(c, "SELECT min(fire_at) FROM timers", &[], |r| get(r, 0))
        .await
        .map(Option::flatten)
}

pub(crate) async fn task(c: &Client, execution_arn: &str, task_id: u64) -> Result<Option<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE execution_arn = $1 AND task_id = $2");
    one(c, &sql, &[&execution_arn, &big(task_id)?], rows::task).await
}

pub(crate) async fn task_by_token(c: &Client, token: &str) -> Result<Option<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE token = $1");
    one(c, &sql, &[&token], rows::task).await
}

pub(crate) async fn tasks(c: &Client, execution_arn: &str) -> Result<Vec<Task>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE execution_arn = $1 ORDER BY task_id");
    all(c, &sql, &[&execution_arn], rows::task).await
}

/// Marks the oldest scheduled task of the activity started and returns it, in one statement:
/// the row is locked as it is picked (`SKIP LOCKED` passes over rows another claim holds), so
/// no two callers get the same task, on this node or any other.
pub(crate) async fn claim(
    c: &Client,
    activity_arn: &str,
    worker_name: Option<&str>,
    now: Millis,
) -> Result<Option<Task>> {
    let sql = format!(
        "UPDATE tasks SET status = 'STARTED', worker_name = $2, started_at = $3 \
         WHERE id = (SELECT id FROM tasks WHERE activity_arn = $1 AND status = 'SCHEDULED' \
                     ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING {TASK_COLUMNS}"
    );
    one(c, &sql, &[&activity_arn, &worker_name, &now], rows::task).await
}

pub(crate) async fn map_run(c: &Client, arn: &str) -> Result<Option<MapRun>> {
    let sql = format!("SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE arn = $1");
    one(c, &sql, &[&arn], rows::map_run).await
}

pub(crate) async fn map_runs(
    c: &Client,
    execution_arn: &str,
    page: &PageRequest,
) -> Result<Page<MapRun>> {
    let rows = match &page.token {
        None => {
            let sql = format!(
                "SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_arn = $1 \
                 ORDER BY start_date DESC, arn DESC LIMIT $2"
            );
            all(c, &sql, &[&execution_arn, &fetch(page)], rows::map_run).await?
        }
        Some(token) => {
            let mut cur = Cursor::parse(MAP_RUNS, token)?;
            let (date, arn) = (cur.int()?, cur.text()?);
            cur.end()?;
            let sql = format!(
                "SELECT {MAP_RUN_COLUMNS} FROM map_runs WHERE execution_arn = $1 \
                 AND (start_date, arn) < ($2, $3) ORDER BY start_date DESC, arn DESC LIMIT $4"
            );
            let args: Args = &[&execution_arn, &date, &arn, &fetch(page)];
            all(c, &sql, args, rows::map_run).await?
        }
    };
    Ok(Page::from_rows(rows, page.size(), |r| {
        Cursor::new(MAP_RUNS).int(r.start_date).text(&r.arn)
    }))
}

fn service_resource_row(r: &Row) -> Result<baton_store::ServiceResource> {
    let version: i64 = rows::get(r, 4)?;
    Ok(baton_store::ServiceResource {
        kind: rows::get(r, 0)?,
        arn: rows::get(r, 1)?,
        account: rows::get(r, 2)?,
        body: rows::get(r, 3)?,
        version: u64::try_from(version).map_err(|_| Error::backend("a negative version"))?,
    })
}

pub(crate) async fn service_resource(
    c: &Client,
    kind: &str,
    arn: &str,
) -> Result<Option<baton_store::ServiceResource>> {
    let sql = "SELECT kind, arn, account, body, version FROM service_resources \
               WHERE kind = $1 AND arn = $2";
    one(c, sql, &[&kind, &arn], service_resource_row).await
}

pub(crate) async fn service_resources(
    c: &Client,
    kind: &str,
    account: Option<&str>,
) -> Result<Vec<baton_store::ServiceResource>> {
    match account {
        Some(account) => {
            let sql = "SELECT kind, arn, account, body, version FROM service_resources \
                       WHERE kind = $1 AND account = $2 ORDER BY arn";
            all(c, sql, &[&kind, &account], service_resource_row).await
        }
        None => {
            let sql = "SELECT kind, arn, account, body, version FROM service_resources \
                       WHERE kind = $1 ORDER BY arn";
            all(c, sql, &[&kind], service_resource_row).await
        }
    }
}
