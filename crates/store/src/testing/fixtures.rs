//! Records to write in the suite's cases, with AWS-shaped ARNs; and reading a listing to its end.

use crate::{
    partition_of, Activity, Execution, ExecutionStatus, HistoryRecord, InboxEntry, JournalEntry,
    MachineStatus, MachineType, MapRun, MapRunCounts, MapRunStatus, Millis, Op, Page, PageRequest,
    Result, Route, StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion,
    Task, TaskKind, TaskStatus, WriteBatch,
};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
}

pub fn execution_arn(machine: &str, name: &str) -> String {
    format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}")
}

pub fn activity_arn_in(account: &str, region: &str, name: &str) -> String {
    format!("arn:aws:states:{region}:{account}:activity:{name}")
}

pub fn activity_arn(name: &str) -> String {
    activity_arn_in(ACCOUNT, REGION, name)
}

/// A STANDARD machine in `account`/`region`.
pub fn machine_in(account: &str, region: &str, name: &str, created: Millis) -> StateMachine {
    StateMachine {
        arn: format!("arn:aws:states:{region}:{account}:stateMachine:{name}"),
        name: name.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        definition: format!(
            r#"{{"StartAt":"{name}","States":{{"{name}":{{"Type":"Pass","End":true}}}}}}"#
        ),
        role_arn: format!("arn:aws:iam::{account}:role/{name}-role"),
        machine_type: MachineType::Standard,
        status: MachineStatus::Active,
        description: None,
        logging_configuration: Some(r#"{"level":"OFF","includeExecutionData":false}"#.into()),
        tracing_configuration: None,
        encryption_configuration: None,
        revision_id: format!("{name}-r1"),
        last_version_number: 0,
        creation_date: created,
    }
}

pub fn machine(name: &str, created: Millis) -> StateMachine {
    machine_in(ACCOUNT, REGION, name, created)
}

pub fn revision(m: &StateMachine) -> StateMachineRevision {
    StateMachineRevision {
        state_machine_arn: m.arn.clone(),
        revision_id: m.revision_id.clone(),
        definition: m.definition.clone(),
        role_arn: m.role_arn.clone(),
        logging_configuration: m.logging_configuration.clone(),
        tracing_configuration: m.tracing_configuration.clone(),
        encryption_configuration: m.encryption_configuration.clone(),
        creation_date: m.creation_date,
    }
}

pub fn version(m: &StateMachine, number: u32, created: Millis) -> StateMachineVersion {
    StateMachineVersion {
        arn: format!("{}:{number}", m.arn),
        state_machine_arn: m.arn.clone(),
        number,
        definition: m.definition.clone(),
        role_arn: m.role_arn.clone(),
        description: Some(format!("version {number}")),
        revision_id: m.revision_id.clone(),
        logging_configuration: m.logging_configuration.clone(),
        tracing_configuration: None,
        encryption_configuration: None,
        creation_date: created,
    }
}

pub fn alias(
    m: &StateMachine,
    name: &str,
    routes: &[(&str, u32)],
    created: Millis,
) -> StateMachineAlias {
    StateMachineAlias {
        arn: format!("{}:{name}", m.arn),
        state_machine_arn: m.arn.clone(),
        name: name.to_string(),
        description: Some(format!("alias {name}")),
        routing: routes
            .iter()
            .map(|(v, w)| Route {
                version_arn: v.to_string(),
                weight: *w,
            })
            .collect(),
        creation_date: created,
        update_date: created,
    }
}

pub fn activity_in(account: &str, region: &str, name: &str, created: Millis) -> Activity {
    Activity {
        arn: activity_arn_in(account, region, name),
        name: name.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        encryption_configuration: None,
        creation_date: created,
    }
}

pub fn activity(name: &str, created: Millis) -> Activity {
    activity_in(ACCOUNT, REGION, name, created)
}

/// A RUNNING execution of machine `machine` started at `start`, in the partition its ARN
/// hashes to.
pub fn execution(machine: &str, name: &str, start: Millis) -> Execution {
    let arn = execution_arn(machine, name);
    let partition = partition_of(&arn);
    Execution {
        arn,
        name: name.to_string(),
        state_machine_arn: machine_arn(machine),
        version_arn: None,
        alias_arn: None,
        revision_id: format!("{machine}-r1"),
        machine_type: MachineType::Standard,
        status: ExecutionStatus::Running,
        input: format!(r#"{{"name":"{name}"}}"#),
        output: None,
        error: None,
        cause: None,
        start_date: start,
        stop_date: None,
        redrive_count: 0,
        redrive_date: None,
        map_run_arn: None,
        parent_arn: None,
        trace_header: None,
        partition,
    }
}

/// The execution, ended with `status` at `stop`.
pub fn finished(mut e: Execution, status: ExecutionStatus, stop: Millis) -> Execution {
    e.status = status;
    e.stop_date = Some(stop);
    match status {
        ExecutionStatus::Succeeded => e.output = Some(r#"{"done":true}"#.into()),
        _ => {
            e.error = Some("States.TaskFailed".into());
            e.cause = Some("it failed".into());
        }
    }
    e
}

/// History events `ids` of one execution, with recognisable JSON.
pub fn events(ids: std::ops::RangeInclusive<u64>) -> Vec<HistoryRecord> {
    ids.map(|id| HistoryRecord {
        id,
        json: format!(
            r#"{{"id":{id},"previousEventId":{},"type":"PassStateEntered"}}"#,
            id.saturating_sub(1)
        ),
    })
    .collect()
}

pub fn entries(seqs: std::ops::RangeInclusive<u64>) -> Vec<JournalEntry> {
    seqs.map(|seq| JournalEntry {
        seq,
        json: format!(r#"{{"TimerFired":{{"timer":{seq},"time":{}}}}}"#, seq * 10),
    })
    .collect()
}

/// Inbox entry `n` for an execution in `partition`, with recognisable text; its id is left to
/// the store.
pub fn inbox_entry(partition: u32, execution_arn: &str, n: i64) -> InboxEntry {
    InboxEntry {
        id: 0,
        partition,
        execution_arn: execution_arn.to_string(),
        event: format!(r#"{{"TaskSucceeded":{{"task":{n},"output":"{{\"n\":{n}}}"}}}}"#),
        created: 1_000 + n,
    }
}

/// A scheduled activity task.
pub fn activity_task(
    execution_arn: &str,
    task_id: u64,
    activity_arn: &str,
    scheduled: Millis,
) -> Task {
    Task {
        execution_arn: execution_arn.to_string(),
        task_id,
        kind: TaskKind::Activity,
        token: Some(format!("token-{execution_arn}-{task_id}")),
        activity_arn: Some(activity_arn.to_string()),
        input: format!(r#"{{"task":{task_id}}}"#),
        status: TaskStatus::Scheduled,
        worker_name: None,
        scheduled_at: scheduled,
        started_at: None,
        heartbeat_deadline: Some(scheduled + 60_000),
        timeout_deadline: Some(scheduled + 600_000),
    }
}

/// A scheduled `.waitForTaskToken` task.
pub fn callback_task(execution_arn: &str, task_id: u64, scheduled: Millis) -> Task {
    Task {
        kind: TaskKind::Callback,
        activity_arn: None,
        heartbeat_deadline: None,
        ..activity_task(execution_arn, task_id, "", scheduled)
    }
}

pub fn map_run(execution_arn: &str, label: &str, machine: &str, start: Millis) -> MapRun {
    MapRun {
        arn: format!("arn:aws:states:{REGION}:{ACCOUNT}:mapRun:{machine}/{label}:{start}"),
        execution_arn: execution_arn.to_string(),
        state_machine_arn: format!("{}/{label}", machine_arn(machine)),
        status: MapRunStatus::Running,
        max_concurrency: 10,
        tolerated_failure_percentage: 12.5,
        tolerated_failure_count: 3,
        item_counts: MapRunCounts {
            pending: 5,
            total: 5,
            ..MapRunCounts::default()
        },
        execution_counts: MapRunCounts::default(),
        start_date: start,
        stop_date: None,
        redrive_count: 0,
        redrive_date: None,
    }
}

pub fn batch(ops: impl IntoIterator<Item = Op>) -> WriteBatch {
    ops.into_iter().collect()
}

/// Reads every page of a listing, `size` items at a time; fails if a page is larger than asked
/// or a token repeats.
pub fn read_all<T>(
    size: usize,
    mut page: impl FnMut(&PageRequest) -> Result<Page<T>>,
) -> std::result::Result<Vec<T>, String> {
    let mut all = Vec::new();
    let mut request = PageRequest::first(size);
    let mut seen = std::collections::HashSet::new();
    loop {
        let p = page(&request).map_err(|e| format!("listing failed: {e}"))?;
        if p.items.len() > size.max(1) {
            return Err(format!("page of {} items, asked for {size}", p.items.len()));
        }
        all.extend(p.items);
        match p.next {
            None => return Ok(all),
            Some(token) => {
                if !seen.insert(token.clone()) {
                    return Err(format!("token {token:?} handed out twice"));
                }
                request = PageRequest::after(size, token);
            }
        }
    }
}
