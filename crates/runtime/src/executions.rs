//! Executions: start (Standard here, Express in `express`), stop, describe, list, history.

use std::sync::Arc;

use baton_api::arn::{ExecutionArn, StateMachineArn};
use baton_api::model::*;
use baton_api::{ApiError, RequestContext, Timestamp};
use baton_engine::{Event, Execution as Engine, ExecutionInfo};
use baton_store::{
    self as store, ExecutionFilter, ExecutionsOf, MachineType, Op, PageRequest, PageToken,
    WriteBatch,
};
use serde_json::Value;

use crate::live::{Applied, Live};
use crate::resolve::Target;
use crate::{express, internal, Runtime};

/// The input text of a start request, checked as AWS checks it: a syntax error is worded as
/// AWS's JSON reader words it, and text with no value at all is refused as such.
pub(crate) fn parse_input(input: Option<&str>) -> Result<(String, Value), ApiError> {
    let text = input.unwrap_or("{}");
    // Nested up to AWS's 1,000 levels (serde_json alone stops at 128).
    let detail = match baton_api::json::from_str(text) {
        Ok(v) => return Ok((text.to_string(), v)),
        Err(e @ baton_api::json::Error::TooDeep { .. }) => e.to_string(),
        Err(baton_api::json::Error::Syntax(_)) => match baton_asl::parse::parse(text, false) {
            Err(d) if !text.trim().is_empty() => d.message,
            _ => "Invalid execution input.".to_string(),
        },
    };
    Err(ApiError::invalid_execution_input(&detail))
}

/// A random seed for an execution's engine (task tokens, `States.UUID`, jitter).
pub(crate) fn seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

pub(crate) fn engine_info(
    target: &Target,
    execution_arn: &str,
    name: &str,
    express: bool,
) -> ExecutionInfo {
    let sm = StateMachineArn::parse(&target.machine.arn).ok();
    let (partition, region, account) = match &sm {
        Some(a) => (
            a.scope.partition.clone(),
            a.scope.region.clone(),
            a.scope.account.clone(),
        ),
        None => (
            "aws".into(),
            target.machine.region.clone(),
            target.machine.account.clone(),
        ),
    };
    ExecutionInfo {
        execution_arn: execution_arn.to_string(),
        execution_name: name.to_string(),
        // `$$.StateMachine.Id` is the ARN the execution was started with (version or alias).
        state_machine_arn: target
            .alias_arn
            .clone()
            .or_else(|| target.version_arn().map(str::to_string))
            .unwrap_or_else(|| target.machine.arn.clone()),
        state_machine_name: target.machine.name.clone(),
        role_arn: target.role_arn().to_string(),
        region,
        account,
        partition,
        redrive_count: 0,
        express,
        missing_activities: Vec::new(),
        mock_test_case: None,
    }
}

/// The activity ARNs `machine` names in its Task states (every level) that the store does not
/// have.
///
/// A state the execution's mock test case answers calls no activity, as Step Functions
/// Local's mocked Task "never calls the service endpoint"; its activity need not exist.
async fn missing_activities(
    rt: &Runtime,
    machine: &baton_asl::model::StateMachine,
    region: &str,
    mocked: Option<&baton_mock::TestCase>,
) -> Result<Vec<String>, ApiError> {
    fn walk(
        set: &baton_asl::model::StateSet,
        region: &str,
        mocked: Option<&baton_mock::TestCase>,
        out: &mut Vec<String>,
    ) {
        use baton_asl::model::StateKind;
        for state in &set.states {
            match &state.kind {
                StateKind::Task(_) if mocked.is_some_and(|m| m.is_mocked(&state.name)) => {}
                StateKind::Task(t) => {
                    let kind = baton_engine::resource_kind(&t.resource, region);
                    if kind.resource.family == baton_engine::history::TaskFamily::Activity
                        && !out.contains(&t.resource)
                    {
                        out.push(t.resource.clone());
                    }
                }
                StateKind::Parallel(p) => {
                    for branch in &p.branches {
                        walk(branch, region, mocked, out);
                    }
                }
                StateKind::Map(m) => walk(&m.processor, region, mocked, out),
                _ => {}
            }
        }
    }
    let mut named = Vec::new();
    walk(&machine.states, region, mocked, &mut named);
    let mut missing = Vec::new();
    for arn in named {
        if rt.store.activity(&arn).await.map_err(internal)?.is_none() {
            missing.push(arn);
        }
    }
    Ok(missing)
}

pub(crate) async fn start_execution(
    rt: &Runtime,
    ctx: &RequestContext,
    input: StartExecutionInput,
) -> Result<StartExecutionOutput, ApiError> {
    let (target, test_case) = crate::mocks::target(rt, &input.state_machine_arn).await?;
    if let Some(name) = &input.name {
        baton_api::names::check_name(name)?;
    }
    let (input_text, input_value) = parse_input(input.input.as_deref())?;
    let name = input
        .name
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // The trace it continues: the `traceHeader` member, else the request's own header.
    let trace_header = input.trace_header.clone().or(ctx.trace_header.clone());
    if target.machine_type() == MachineType::Express {
        return express::start(rt, target, name, input_value, test_case, trace_header).await;
    }
    let machine_arn = StateMachineArn::parse(&target.machine.arn)?;
    let arn = ExecutionArn::standard(&machine_arn, &name).to_string();
    let machine = rt.definitions.get(
        &target.machine.arn,
        target.revision_id(),
        target.definition(),
    )?;
    // In a partition this node runs: its first step is written here, under that
    // partition's fence, and no other node need be asked.
    let partition = placement(rt, &arn).await?;
    let now = crate::now();
    let mut info = engine_info(&target, &arn, &name, false);
    info.mock_test_case = test_case.clone();
    let mocked = test_case.as_deref().and_then(|case| {
        let mocks = rt.config.mocks.as_deref()?;
        mocks.test_case(&target.machine.name, case).ok()
    });
    info.missing_activities =
        missing_activities(rt, &machine, &info.region, mocked.as_ref()).await?;
    let record = store::Execution {
        arn: arn.clone(),
        name: name.clone(),
        state_machine_arn: target.machine.arn.clone(),
        version_arn: target.version_arn().map(str::to_string),
        alias_arn: target.alias_arn.clone(),
        revision_id: target.revision_id().to_string(),
        machine_type: MachineType::Standard,
        status: store::ExecutionStatus::Running,
        input: input_text.clone(),
        output: None,
        error: None,
        cause: None,
        start_date: now,
        stop_date: None,
        redrive_count: 0,
        redrive_date: None,
        map_run_arn: None,
        parent_arn: None,
        trace_header: trace_header.clone(),
        partition,
    };
    let engine = Engine::new(machine, rt.config.limits);
    let mut live = Live::new(engine, record.clone(), rt.config.mocks.clone());
    live.observe(
        rt,
        target.logging(),
        target.tracing(),
        trace_header.as_deref(),
    );
    let handle = Arc::new(tokio::sync::Mutex::new(live));
    // Registered (and locked) before the commit: a worker or callback that sees the committed
    // rows waits for this step to finish instead of finding no execution.
    let live = handle.clone().lock_owned().await;
    if let Err(other) = rt.live.insert_new(arn.clone(), handle) {
        // The same name is starting or running here: wait for its first step to be durable.
        drop(other.lock().await);
        return already_started(rt, &arn, &input_text).await;
    }
    let event = Event::Started {
        info: Box::new(info.clone()),
        input: input_value,
        time: now,
        seed: seed(),
    };
    let (live, batch, acts) =
        match crate::live::step_off(live, event, vec![Op::CreateExecution(record)]).await {
            Ok(stepped) => stepped,
            Err(e) => {
                rt.live.remove(&arn);
                return Err(internal(e));
            }
        };
    let batch = created_as_it_ended(batch);
    match rt.store.commit(batch).await {
        Ok(()) => {}
        Err(store::Error::AlreadyExists { .. }) => {
            drop(live);
            rt.live.remove(&arn);
            return already_started(rt, &arn, &input_text).await;
        }
        Err(e) => {
            drop(live);
            rt.live.remove(&arn);
            // The commit may have landed all the same (the connection went before its
            // answer came): the store says, and what it holds runs.
            crate::recovery::reload(rt, &arn).await;
            return Err(internal(e));
        }
    }
    drop(live);
    tracing::debug!(%arn, partition, "execution started");
    rt.act(&arn, &info, acts);
    Ok(StartExecutionOutput {
        execution_arn: arn,
        start_date: Timestamp::from_millis(now),
    })
}

/// The partition a new (or redriven) execution runs in on this node. A node that just joined
/// runs none until the others give it its share: the call waits for that, a few seconds.
async fn placement(rt: &Runtime, arn: &str) -> Result<u32, ApiError> {
    rt.ownership
        .place_within(arn, PLACEMENT_WAIT)
        .await
        .ok_or_else(|| {
            ApiError::internal(
                "This node runs no executions yet (it has no partitions): retry, or call another node",
            )
        })
}

/// How long a start waits for this node to run a partition.
const PLACEMENT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The first step's batch creates the row as RUNNING; when the same step also ended the
/// execution, the row is created as it ended instead of created and then updated. Only the
/// execution's own update counts: the batch may also end a distributed Map's children.
fn created_as_it_ended(mut batch: WriteBatch) -> WriteBatch {
    // In place: the batch stays marked with its partition, so it is fenced like any step.
    let ops = batch.ops_mut();
    let arn = match ops.first() {
        Some(Op::CreateExecution(row)) => row.arn.clone(),
        _ => return batch,
    };
    let ended = ops
        .iter()
        .rposition(|op| matches!(op, Op::UpdateExecution(row) if row.arn == arn));
    if let Some(i) = ended {
        if let Op::UpdateExecution(row) = ops.remove(i) {
            ops[0] = Op::CreateExecution(row);
        }
    }
    batch
}

/// A start with a name already taken: the same input while it runs is the same execution (AWS's
/// idempotency); anything else is `ExecutionAlreadyExists`.
async fn already_started(
    rt: &Runtime,
    arn: &str,
    input: &str,
) -> Result<StartExecutionOutput, ApiError> {
    let existing = rt.store.execution(arn).await.map_err(internal)?;
    match existing {
        Some(e) if e.status == store::ExecutionStatus::Running && e.input == input => {
            Ok(StartExecutionOutput {
                execution_arn: e.arn,
                start_date: Timestamp::from_millis(e.start_date),
            })
        }
        _ => Err(ApiError::execution_already_exists(arn)),
    }
}

pub(crate) async fn start_sync_execution(
    rt: &Runtime,
    ctx: &RequestContext,
    input: StartSyncExecutionInput,
) -> Result<StartSyncExecutionOutput, ApiError> {
    let (target, test_case) = crate::mocks::target(rt, &input.state_machine_arn).await?;
    if target.machine_type() != MachineType::Express {
        return Err(ApiError::state_machine_type_not_supported());
    }
    if let Some(name) = &input.name {
        baton_api::names::check_name(name)?;
    }
    let (input_text, input_value) = parse_input(input.input.as_deref())?;
    let name = input
        .name
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let include_data = input.included_data != Some(IncludedData::MetadataOnly);
    express::run_sync(
        rt,
        target,
        name,
        input_text,
        input_value,
        include_data,
        // The mock test case, and the trace it continues.
        (
            test_case,
            input.trace_header.clone().or(ctx.trace_header.clone()),
        ),
    )
    .await
}

/// The execution `arn` for a read that may lag (`DescribeExecution`, AWS's "eventually
/// consistent"): as it ended here lately (see [`crate::finished`]), else as stored.
async fn described(rt: &Runtime, arn: &str) -> Result<Arc<store::Execution>, ApiError> {
    // Another node may redrive it; retention deletes it once it is older than the retention.
    let fresh = match (rt.ownership.is_shared(), rt.config.retention) {
        (true, _) => Some(crate::MACHINE_TTL),
        (false, keep) => keep,
    };
    if let Some(e) = rt.finished.get(arn, fresh) {
        return Ok(e);
    }
    execution(rt, arn).await.map(Arc::new)
}

/// The stored execution `arn`, or `ExecutionDoesNotExist`.
async fn execution(rt: &Runtime, arn: &str) -> Result<store::Execution, ApiError> {
    ExecutionArn::parse(arn)?;
    rt.store
        .execution(arn)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::execution_does_not_exist(arn))
}

pub(crate) fn api_status(s: store::ExecutionStatus) -> ExecutionStatus {
    match s {
        store::ExecutionStatus::Running => ExecutionStatus::Running,
        store::ExecutionStatus::Succeeded => ExecutionStatus::Succeeded,
        store::ExecutionStatus::Failed => ExecutionStatus::Failed,
        store::ExecutionStatus::TimedOut => ExecutionStatus::TimedOut,
        store::ExecutionStatus::Aborted => ExecutionStatus::Aborted,
        store::ExecutionStatus::PendingRedrive => ExecutionStatus::PendingRedrive,
    }
}

fn store_status(s: ExecutionStatus) -> store::ExecutionStatus {
    match s {
        ExecutionStatus::Running => store::ExecutionStatus::Running,
        ExecutionStatus::Succeeded => store::ExecutionStatus::Succeeded,
        ExecutionStatus::Failed => store::ExecutionStatus::Failed,
        ExecutionStatus::TimedOut => store::ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted => store::ExecutionStatus::Aborted,
        ExecutionStatus::PendingRedrive => store::ExecutionStatus::PendingRedrive,
    }
}

/// Why an execution cannot be redriven, as DescribeExecution reports it.
fn redrive_status(e: &store::Execution) -> (ExecutionRedriveStatus, String) {
    let reason = match e.status {
        store::ExecutionStatus::Running | store::ExecutionStatus::PendingRedrive => {
            "Execution is RUNNING and cannot be redriven".to_string()
        }
        store::ExecutionStatus::Succeeded => {
            "Execution is SUCCEEDED and cannot be redriven".to_string()
        }
        // Not from a recording: a child runs inside its parent, and redriving the parent
        // runs its failed children again.
        _ if e.map_run_arn.is_some() => {
            "Redrive is not supported for Distributed Map child executions; redrive the parent execution"
                .to_string()
        }
        _ if e.machine_type == MachineType::Express => {
            "Redrive is not supported for EXPRESS executions".to_string()
        }
        _ => return (ExecutionRedriveStatus::Redrivable, String::new()),
    };
    (ExecutionRedriveStatus::NotRedrivable, reason)
}

pub(crate) async fn describe_execution(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeExecutionInput,
) -> Result<DescribeExecutionOutput, ApiError> {
    if ExecutionArn::parse(&input.execution_arn)?.is_express() {
        return express::describe(rt, &input.execution_arn);
    }
    let e = described(rt, &input.execution_arn).await?;
    let data = input.included_data != Some(IncludedData::MetadataOnly);
    let (redrive_status, reason) = redrive_status(&e);
    Ok(DescribeExecutionOutput {
        execution_arn: e.arn.clone(),
        state_machine_arn: e.state_machine_arn.clone(),
        name: Some(e.name.clone()),
        status: api_status(e.status),
        start_date: Timestamp::from_millis(e.start_date),
        stop_date: e.stop_date.map(Timestamp::from_millis),
        input: data.then(|| e.input.clone()),
        input_details: Some(CloudWatchEventsExecutionDataDetails {
            included: Some(data),
        }),
        output: e.output.clone().filter(|_| data),
        output_details: e
            .output
            .as_ref()
            .map(|_| CloudWatchEventsExecutionDataDetails {
                included: Some(data),
            }),
        trace_header: e.trace_header.clone(),
        map_run_arn: e.map_run_arn.clone(),
        error: e.error.clone(),
        cause: e.cause.clone(),
        state_machine_version_arn: e.version_arn.clone(),
        state_machine_alias_arn: e.alias_arn.clone(),
        redrive_count: Some(e.redrive_count as i32),
        redrive_date: e.redrive_date.map(Timestamp::from_millis),
        redrive_status: Some(redrive_status),
        redrive_status_reason: (!reason.is_empty()).then_some(reason),
    })
}

pub(crate) async fn describe_state_machine_for_execution(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeStateMachineForExecutionInput,
) -> Result<DescribeStateMachineForExecutionOutput, ApiError> {
    let e = execution(rt, &input.execution_arn).await?;
    let parsed = StateMachineArn::parse(&e.state_machine_arn)?;
    // A distributed Map's child runs its parent's revision: the definition is the Map's
    // `ItemProcessor`.
    let (machine_arn, label) = match parsed.map_label.clone() {
        Some(label) => (
            StateMachineArn {
                map_label: None,
                ..parsed.clone()
            }
            .to_string(),
            Some(label),
        ),
        None => (e.state_machine_arn.clone(), None),
    };
    let revision = rt
        .store
        .revision(&machine_arn, &e.revision_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::internal("the execution's revision is missing"))?;
    let definition = match &label {
        Some(label) => crate::children::processor_definition(&revision.definition, label)
            .ok_or_else(|| ApiError::internal("the child's Map state is missing"))?,
        None => revision.definition,
    };
    let name = match &label {
        Some(label) => format!("{}/{label}", parsed.name),
        None => parsed.name.clone(),
    };
    Ok(DescribeStateMachineForExecutionOutput {
        state_machine_arn: e.state_machine_arn.clone(),
        name,
        definition,
        role_arn: revision.role_arn,
        update_date: Timestamp::from_millis(revision.creation_date),
        logging_configuration: revision
            .logging_configuration
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        tracing_configuration: revision
            .tracing_configuration
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        map_run_arn: e.map_run_arn,
        label,
        revision_id: crate::control::public_revision_id(&revision.revision_id).map(str::to_string),
        encryption_configuration: revision
            .encryption_configuration
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        variable_references: None,
    })
}

fn page_request(max_results: Option<i32>, next_token: Option<String>) -> PageRequest {
    let limit = match max_results {
        Some(n) if n > 0 => n as usize,
        _ => 100,
    };
    PageRequest {
        limit,
        token: next_token.map(PageToken::new),
    }
}

/// A page token the store refused, as AWS reports it.
fn bad_token(e: store::Error) -> ApiError {
    match e {
        store::Error::InvalidToken => ApiError::InvalidToken {
            message: "Invalid Token: 'Invalid pagination token'".into(),
        },
        other => internal(other),
    }
}

pub(crate) async fn list_executions(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: ListExecutionsInput,
) -> Result<ListExecutionsOutput, ApiError> {
    let of = match (&input.state_machine_arn, &input.map_run_arn) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::validation(
                "Must provide a StateMachine ARN or MapRun ARN",
            ))
        }
        (Some(arn), None) => {
            let parsed = StateMachineArn::parse(arn)?;
            let unqualified = parsed.unqualified().to_string();
            if rt
                .store
                .state_machine(&unqualified)
                .await
                .map_err(internal)?
                .is_none()
            {
                return Err(ApiError::state_machine_does_not_exist(arn));
            }
            match parsed.qualifier {
                None => ExecutionsOf::Machine(arn.clone()),
                Some(baton_api::arn::Qualifier::Version(_)) => ExecutionsOf::Version(arn.clone()),
                Some(baton_api::arn::Qualifier::Alias(_)) => ExecutionsOf::Alias(arn.clone()),
            }
        }
        (None, Some(arn)) => {
            baton_api::arn::MapRunArn::parse(arn)?;
            ExecutionsOf::MapRun(arn.clone())
        }
    };
    let filter = ExecutionFilter {
        of,
        status: input.status_filter.map(store_status),
        redriven: input
            .redrive_filter
            .map(|f| f == ExecutionRedriveFilter::Redriven),
    };
    let page = rt
        .store
        .executions(&filter, &page_request(input.max_results, input.next_token))
        .await
        .map_err(bad_token)?;
    Ok(ListExecutionsOutput {
        executions: page
            .items
            .into_iter()
            .map(|e| ExecutionListItem {
                execution_arn: e.arn,
                state_machine_arn: e.state_machine_arn,
                name: e.name,
                status: api_status(e.status),
                start_date: Timestamp::from_millis(e.start_date),
                stop_date: e.stop_date.map(Timestamp::from_millis),
                map_run_arn: e.map_run_arn,
                item_count: None,
                state_machine_version_arn: e.version_arn,
                state_machine_alias_arn: e.alias_arn,
                redrive_count: Some(e.redrive_count as i32),
                redrive_date: e.redrive_date.map(Timestamp::from_millis),
            })
            .collect(),
        next_token: page.next.map(PageToken::into_string),
    })
}

/// Removes the payloads from an event, as `includeExecutionData: false` asks: `input` and
/// `output` of the details that carry them (the `*Details` siblings stay).
pub(crate) fn strip_data(event: &mut Value) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    for (key, details) in obj.iter_mut() {
        if !key.ends_with("EventDetails") {
            continue;
        }
        if let Some(d) = details.as_object_mut() {
            if d.contains_key("inputDetails") {
                d.remove("input");
            }
            if d.contains_key("outputDetails") {
                d.remove("output");
            }
        }
    }
}

pub(crate) async fn get_execution_history(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: GetExecutionHistoryInput,
) -> Result<GetExecutionHistoryOutput, ApiError> {
    if ExecutionArn::parse(&input.execution_arn)?.is_express() {
        return Err(ApiError::execution_does_not_exist(&input.execution_arn));
    }
    execution(rt, &input.execution_arn).await?;
    let page = rt
        .store
        .history(
            &input.execution_arn,
            input.reverse_order.unwrap_or(false),
            &page_request(input.max_results, input.next_token),
        )
        .await
        .map_err(bad_token)?;
    let data = input.include_execution_data.unwrap_or(true);
    let mut events = Vec::with_capacity(page.items.len());
    for record in page.items {
        let mut v: Value = serde_json::from_str(&record.json)
            .map_err(|e| ApiError::internal(format!("stored history event: {e}")))?;
        if !data {
            strip_data(&mut v);
        }
        events.push(
            serde_json::from_value::<HistoryEvent>(v)
                .map_err(|e| ApiError::internal(format!("stored history event: {e}")))?,
        );
    }
    Ok(GetExecutionHistoryOutput {
        events,
        next_token: page.next.map(PageToken::into_string),
    })
}

pub(crate) async fn stop_execution(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: StopExecutionInput,
) -> Result<StopExecutionOutput, ApiError> {
    if ExecutionArn::parse(&input.execution_arn)?.is_express() {
        return Err(ApiError::execution_does_not_exist(&input.execution_arn));
    }
    let e = execution(rt, &input.execution_arn).await?;
    let time = crate::now();
    if let (Some(map_run_arn), store::ExecutionStatus::Running) = (&e.map_run_arn, e.status) {
        // A distributed Map's child runs inside its parent's engine: the stop goes to the
        // parent, which aborts that child alone (AWS counts such children under
        // `MapRunExecutionCounts.aborted`, "stopped by the user").
        let parent = rt
            .store
            .map_run(map_run_arn)
            .await
            .map_err(internal)?
            .map(|run| run.execution_arn)
            .ok_or_else(|| ApiError::execution_does_not_exist(&input.execution_arn))?;
        let event = Event::ChildStopRequested {
            execution_arn: input.execution_arn.clone(),
            error: input.error,
            cause: input.cause,
            time,
        };
        rt.deliver(&parent, event, None).await.map_err(internal)?;
        let e = execution(rt, &input.execution_arn).await?;
        return Ok(StopExecutionOutput {
            stop_date: Timestamp::from_millis(e.stop_date.unwrap_or(time)),
        });
    }
    let event = Event::StopRequested {
        error: input.error,
        cause: input.cause,
        time,
    };
    match rt
        .deliver(&input.execution_arn, event, None)
        .await
        .map_err(internal)?
    {
        // Queued: the node that runs it stops it as soon as it reads its inbox.
        Applied::Yes | Applied::Queued | Applied::Already => Ok(StopExecutionOutput {
            stop_date: Timestamp::from_millis(time),
        }),
        Applied::NotRunning | Applied::Stale | Applied::Elsewhere(_) => {
            // Already ended: AWS answers with the time it ended.
            let e = execution(rt, &input.execution_arn).await?;
            Ok(StopExecutionOutput {
                stop_date: Timestamp::from_millis(e.stop_date.unwrap_or(time)),
            })
        }
    }
}

fn not_redrivable(reason: &str) -> ApiError {
    ApiError::ExecutionNotRedrivable {
        message: format!("Execution not redrivable: {reason}"),
    }
}

pub(crate) async fn redrive_execution(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: RedriveExecutionInput,
) -> Result<RedriveExecutionOutput, ApiError> {
    if ExecutionArn::parse(&input.execution_arn)?.is_express() {
        return Err(not_redrivable(
            "Redrive is not supported for EXPRESS executions",
        ));
    }
    let e = execution(rt, &input.execution_arn).await?;
    let (status, reason) = redrive_status(&e);
    if status != ExecutionRedriveStatus::Redrivable {
        return Err(not_redrivable(&reason));
    }
    let arn = e.arn.clone();
    let rebuilt = crate::recovery::rebuild(rt, e).await.map_err(internal)?;
    let mut live = rebuilt.live;
    if !live.engine.can_redrive() {
        return Err(not_redrivable(
            "The execution did not stop in a state it can continue from",
        ));
    }
    // A distributed Map that did not succeed continues its own map run.
    let redriven: Vec<String> = live
        .engine
        .map_runs_to_redrive()
        .into_iter()
        .map(str::to_string)
        .collect();
    for map_run_arn in redriven {
        if let Some(run) = rt.store.map_run(&map_run_arn).await.map_err(internal)? {
            live.map_runs.insert(map_run_arn, run);
        }
    }
    // It runs on again here, in a partition this node runs.
    let partition = placement(rt, &arn).await?;
    let now = crate::now();
    let r = &mut live.record;
    r.partition = partition;
    r.status = store::ExecutionStatus::Running;
    r.redrive_count += 1;
    r.redrive_date = Some(now);
    r.stop_date = None;
    r.output = None;
    r.error = None;
    r.cause = None;
    let row = Op::UpdateExecution(r.clone());
    let handle = Arc::new(tokio::sync::Mutex::new(live));
    let guard = handle.clone().lock_owned().await;
    if rt.live.insert_new(arn.clone(), handle).is_err() {
        return Err(not_redrivable(
            "Execution is RUNNING and cannot be redriven",
        ));
    }
    let (guard, batch, acts) =
        match crate::live::step_off(guard, Event::Redriven { time: now }, vec![row]).await {
            Ok(stepped) => stepped,
            Err(e) => {
                rt.live.remove(&arn);
                return Err(internal(e));
            }
        };
    let info = guard.engine.info().clone();
    // Its end, kept for DescribeExecution, is no longer what the store holds.
    rt.finished.remove(&arn);
    if let Err(e) = rt.store.commit(batch).await {
        drop(guard);
        rt.live.remove(&arn);
        // As for a start: the redrive may have landed all the same.
        crate::recovery::reload(rt, &arn).await;
        return Err(internal(e));
    }
    drop(guard);
    rt.act(&arn, &info, acts);
    Ok(RedriveExecutionOutput {
        redrive_date: Timestamp::from_millis(now),
    })
}
