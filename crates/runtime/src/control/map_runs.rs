//! Map Runs of distributed Map states: describe, list by execution, update a running one's
//! concurrency and failure tolerance. The records are the engine's (`MapRun` in the store).

use baton_api::arn::{ExecutionArn, MapRunArn};
use baton_api::model::*;
use baton_api::{ApiError, RequestContext};
use baton_store::{self as store, MapRunCounts};

use super::{page_request, read_error, resource_not_found, timestamp, validation};
use crate::live::Applied;
use crate::{internal, Runtime};
use baton_engine::Event;

fn api_status(s: store::MapRunStatus) -> MapRunStatus {
    match s {
        store::MapRunStatus::Running => MapRunStatus::Running,
        store::MapRunStatus::Succeeded => MapRunStatus::Succeeded,
        store::MapRunStatus::Failed => MapRunStatus::Failed,
        store::MapRunStatus::Aborted => MapRunStatus::Aborted,
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn item_counts(c: &MapRunCounts) -> MapRunItemCounts {
    MapRunItemCounts {
        pending: count(c.pending),
        running: count(c.running),
        succeeded: count(c.succeeded),
        failed: count(c.failed),
        timed_out: count(c.timed_out),
        aborted: count(c.aborted),
        total: count(c.total),
        results_written: count(c.results_written),
        failures_not_redrivable: Some(count(c.failures_not_redrivable)),
        pending_redrive: Some(count(c.pending_redrive)),
    }
}

fn execution_counts(c: &MapRunCounts) -> MapRunExecutionCounts {
    MapRunExecutionCounts {
        pending: count(c.pending),
        running: count(c.running),
        succeeded: count(c.succeeded),
        failed: count(c.failed),
        timed_out: count(c.timed_out),
        aborted: count(c.aborted),
        total: count(c.total),
        results_written: count(c.results_written),
        failures_not_redrivable: Some(count(c.failures_not_redrivable)),
        pending_redrive: Some(count(c.pending_redrive)),
    }
}

/// The map run a Map Run ARN names, or `ResourceNotFound`.
async fn map_run(rt: &Runtime, arn: &str) -> Result<store::MapRun, ApiError> {
    let canonical = MapRunArn::parse(arn)?.to_string();
    rt.store
        .map_run(&canonical)
        .await
        .map_err(internal)?
        .ok_or_else(|| resource_not_found(arn))
}

pub(crate) async fn describe_map_run(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: DescribeMapRunInput,
) -> Result<DescribeMapRunOutput, ApiError> {
    let run = map_run(rt, &input.map_run_arn).await?;
    Ok(DescribeMapRunOutput {
        map_run_arn: run.arn,
        execution_arn: run.execution_arn,
        status: api_status(run.status),
        start_date: timestamp(run.start_date),
        stop_date: run.stop_date.map(timestamp),
        max_concurrency: i32::try_from(run.max_concurrency).unwrap_or(i32::MAX),
        tolerated_failure_percentage: run.tolerated_failure_percentage as f32,
        tolerated_failure_count: count(run.tolerated_failure_count),
        item_counts: item_counts(&run.item_counts),
        execution_counts: execution_counts(&run.execution_counts),
        redrive_count: Some(i32::try_from(run.redrive_count).unwrap_or(i32::MAX)),
        redrive_date: run.redrive_date.map(timestamp),
    })
}

pub(crate) async fn list_map_runs(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: ListMapRunsInput,
) -> Result<ListMapRunsOutput, ApiError> {
    let arn = ExecutionArn::parse(&input.execution_arn)?.to_string();
    if rt.store.execution(&arn).await.map_err(internal)?.is_none() {
        return Err(ApiError::execution_does_not_exist(&input.execution_arn));
    }
    let page = rt
        .store
        .map_runs(&arn, &page_request(input.max_results, input.next_token))
        .await
        .map_err(read_error)?;
    Ok(ListMapRunsOutput {
        map_runs: page
            .items
            .into_iter()
            .map(|r| MapRunListItem {
                execution_arn: r.execution_arn,
                map_run_arn: r.arn,
                state_machine_arn: r.state_machine_arn,
                start_date: timestamp(r.start_date),
                stop_date: r.stop_date.map(timestamp),
            })
            .collect(),
        next_token: page.next.map(|t| t.into_string()),
    })
}

pub(crate) async fn update_map_run(
    rt: &Runtime,
    _ctx: &RequestContext,
    input: UpdateMapRunInput,
) -> Result<UpdateMapRunOutput, ApiError> {
    if input.max_concurrency.is_none()
        && input.tolerated_failure_percentage.is_none()
        && input.tolerated_failure_count.is_none()
    {
        return Err(validation(
            "Either maxConcurrency, toleratedFailurePercentage or toleratedFailureCount must be specified",
            ValidationExceptionReason::MissingRequiredParameter,
        ));
    }
    let run = map_run(rt, &input.map_run_arn).await?;
    if run.status != store::MapRunStatus::Running {
        return Err(validation(
            format!(
                "Map Run '{}' is {} and cannot be updated",
                input.map_run_arn,
                run.status.as_str()
            ),
            ValidationExceptionReason::CannotUpdateCompletedMapRun,
        ));
    }
    // The running execution takes the new limits and writes the record in the same step.
    let event = Event::MapRunUpdated {
        map_run_arn: run.arn.clone(),
        max_concurrency: input.max_concurrency.map(|n| u64::try_from(n).unwrap_or(0)),
        tolerated_count: input
            .tolerated_failure_count
            .map(|n| u64::try_from(n).unwrap_or(0)),
        tolerated_percentage: input
            .tolerated_failure_percentage
            .map(|p| f64::from(p.clamp(0.0, 100.0))),
        time: crate::now(),
    };
    match rt
        .deliver(&run.execution_arn, event, None)
        .await
        .map_err(internal)?
    {
        Applied::Yes | Applied::Queued | Applied::Already => Ok(UpdateMapRunOutput {}),
        Applied::NotRunning | Applied::Stale | Applied::Elsewhere(_) => Err(validation(
            format!(
                "Map Run '{}' has ended and cannot be updated",
                input.map_run_arn
            ),
            ValidationExceptionReason::CannotUpdateCompletedMapRun,
        )),
    }
}
