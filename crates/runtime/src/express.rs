//! Express executions: in memory only, never in the store. `StartSyncExecution` runs one and
//! answers with its result; `StartExecution` on an Express machine runs one in the background
//! and keeps its summary among the most recent, for `DescribeExecution`.

use crate::execution_log::ExecutionLog;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use baton_api::arn::{ExecutionArn, StateMachineArn};
use baton_api::model::*;
use baton_api::{ApiError, Timestamp};
use baton_engine::history::TaskFamily;
use baton_engine::{
    resource_kind, Effect, Event, Execution as Engine, ExecutionInfo, Limits, Millis, Outcome,
    Status, TaskId, TimerId,
};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::executions::{api_status, engine_info, seed};
use crate::integration::TaskResult;
use crate::live::status_of;
use crate::resolve::Target;
use crate::Runtime;

/// How many finished asynchronous Express executions `DescribeExecution` remembers.
const RECENT: usize = 10_000;

/// The most recent asynchronous Express executions.
#[derive(Default)]
pub(crate) struct Recent {
    inner: Mutex<(HashMap<String, DescribeExecutionOutput>, VecDeque<String>)>,
}

impl Recent {
    fn put(&self, d: DescribeExecutionOutput) {
        let mut inner = self.inner.lock().expect("recent");
        let (map, order) = &mut *inner;
        if map.insert(d.execution_arn.clone(), d.clone()).is_none() {
            order.push_back(d.execution_arn);
        }
        while order.len() > RECENT {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }
}

pub(crate) fn describe(rt: &Runtime, arn: &str) -> Result<DescribeExecutionOutput, ApiError> {
    rt.express
        .inner
        .lock()
        .expect("recent")
        .0
        .get(arn)
        .cloned()
        .ok_or_else(|| ApiError::execution_does_not_exist(arn))
}

struct Prepared {
    engine: Engine,
    info: ExecutionInfo,
    arn: String,
    /// Where its events are logged: an Express execution's only record (it has no history).
    log: Option<ExecutionLog>,
    /// Its spans, when it is traced.
    spans: Option<crate::traces::Spans>,
}

fn prepare(
    rt: &Runtime,
    target: &Target,
    name: &str,
    test_case: Option<String>,
    trace_header: Option<&str>,
) -> Result<Prepared, ApiError> {
    let machine = rt.definitions.get(
        &target.machine.arn,
        target.revision_id(),
        target.definition(),
    )?;
    let sm = StateMachineArn::parse(&target.machine.arn)?;
    let arn = ExecutionArn::express(&sm, name, uuid::Uuid::new_v4().to_string()).to_string();
    let mut info = engine_info(target, &arn, name, true);
    info.mock_test_case = test_case;
    let log = ExecutionLog::open(
        rt.config.logs.as_ref(),
        target.logging(),
        &target.machine.name,
        &arn,
        rt.config.ownership.is_some(),
    );
    let spans = crate::traces::for_execution(
        rt.config.spans.as_ref(),
        &arn,
        trace_header,
        target.tracing(),
    );
    Ok(Prepared {
        log,
        spans,
        // An Express execution keeps nothing: its distributed Maps' children are not recorded.
        engine: Engine::new(
            machine,
            Limits {
                child_executions: false,
                ..rt.config.limits
            },
        ),
        info,
        arn,
    })
}

fn describe_of(
    target: &Target,
    arn: &str,
    name: &str,
    input: &str,
    start: Millis,
    stop: Option<Millis>,
    outcome: Option<&Outcome>,
) -> DescribeExecutionOutput {
    let status = api_status(status_of(outcome.map_or(Status::Running, |o| o.status)));
    let output = outcome.and_then(|o| o.output.clone());
    DescribeExecutionOutput {
        execution_arn: arn.to_string(),
        state_machine_arn: target.machine.arn.clone(),
        name: Some(name.to_string()),
        status,
        start_date: Timestamp::from_millis(start),
        stop_date: stop.map(Timestamp::from_millis),
        input: Some(input.to_string()),
        input_details: Some(CloudWatchEventsExecutionDataDetails {
            included: Some(true),
        }),
        output_details: output
            .as_ref()
            .map(|_| CloudWatchEventsExecutionDataDetails {
                included: Some(true),
            }),
        output,
        trace_header: None,
        map_run_arn: None,
        error: outcome.and_then(|o| o.error.clone()),
        cause: outcome.and_then(|o| o.cause.clone()),
        state_machine_version_arn: target.version_arn().map(str::to_string),
        state_machine_alias_arn: target.alias_arn.clone(),
        redrive_count: None,
        redrive_date: None,
        redrive_status: None,
        redrive_status_reason: None,
    }
}

/// `StartExecution` on an Express machine.
pub(crate) async fn start(
    rt: &Runtime,
    target: Target,
    name: String,
    input: Value,
    test_case: Option<String>,
    trace_header: Option<String>,
) -> Result<StartExecutionOutput, ApiError> {
    let Prepared {
        engine,
        info,
        arn,
        log,
        spans,
    } = prepare(rt, &target, &name, test_case, trace_header.as_deref())?;
    let start = crate::now();
    let input_text = input.to_string();
    rt.express.put(describe_of(
        &target,
        &arn,
        &name,
        &input_text,
        start,
        None,
        None,
    ));
    let runtime = rt.arc();
    let arn2 = arn.clone();
    tokio::spawn(async move {
        let outcome = drive(&runtime, engine, info, input, start, log, spans).await;
        let stop = crate::now();
        runtime.express.put(describe_of(
            &target,
            &arn2,
            &name,
            &input_text,
            start,
            Some(stop),
            Some(&outcome),
        ));
    });
    Ok(StartExecutionOutput {
        execution_arn: arn,
        start_date: Timestamp::from_millis(start),
    })
}

/// `StartSyncExecution`.
pub(crate) async fn run_sync(
    rt: &Runtime,
    target: Target,
    name: String,
    input_text: String,
    input: Value,
    include_data: bool,
    (test_case, trace_header): (Option<String>, Option<String>),
) -> Result<StartSyncExecutionOutput, ApiError> {
    let Prepared {
        engine,
        info,
        arn,
        log,
        spans,
    } = prepare(rt, &target, &name, test_case, trace_header.as_deref())?;
    let start = crate::now();
    let outcome = drive(rt, engine, info, input, start, log, spans).await;
    let stop = crate::now();
    let status = match outcome.status {
        Status::Succeeded => SyncExecutionStatus::Succeeded,
        Status::TimedOut => SyncExecutionStatus::TimedOut,
        _ => SyncExecutionStatus::Failed,
    };
    let details = Some(CloudWatchEventsExecutionDataDetails {
        included: Some(include_data),
    });
    Ok(StartSyncExecutionOutput {
        execution_arn: arn,
        state_machine_arn: Some(target.machine.arn.clone()),
        name: Some(name),
        start_date: Timestamp::from_millis(start),
        stop_date: Timestamp::from_millis(stop),
        status,
        error: outcome.error,
        cause: outcome.cause,
        input: include_data.then_some(input_text),
        input_details: details.clone(),
        output_details: outcome.output.as_ref().and(details),
        output: outcome.output.filter(|_| include_data),
        trace_header: None,
        billing_details: Some(BillingDetails {
            billed_memory_used_in_mb: Some(64),
            billed_duration_in_milliseconds: Some((stop - start).max(100)),
        }),
    })
}

/// Runs an execution in memory to its end: timers sleep, tasks go to the integrations.
async fn drive(
    rt: &Runtime,
    mut engine: Engine,
    info: ExecutionInfo,
    input: Value,
    start: Millis,
    log: Option<ExecutionLog>,
    mut spans: Option<crate::traces::Spans>,
) -> Outcome {
    let mut queue = VecDeque::from([Event::Started {
        info: Box::new(info.clone()),
        input,
        time: start,
        seed: seed(),
    }]);
    let mut timers: BTreeMap<(Millis, TimerId), ()> = BTreeMap::new();
    let mut timer_at: HashMap<TimerId, Millis> = HashMap::new();
    let mut tasks: JoinSet<(TaskId, TaskResult)> = JoinSet::new();
    let mut mock = crate::mocks::session(rt.config.mocks.as_deref(), &info);
    let mut tracker = crate::metrics::Tracker::default();
    loop {
        while let Some(event) = queue.pop_front() {
            let effects;
            (engine, effects) = match crate::offload::run_if(engine.may_run_long(), move || {
                let effects = engine.apply(event);
                (engine, effects)
            })
            .await
            {
                Ok(stepped) => stepped,
                Err(e) => {
                    return Outcome {
                        status: Status::Failed,
                        error: Some("States.Runtime".into()),
                        cause: Some(e.to_string()),
                        output: None,
                    }
                }
            };
            if rt.config.metrics.is_some() || log.is_some() || spans.is_some() {
                // Counted, logged, traced and let go: an Express execution keeps no history
                // otherwise.
                let written = engine.take_history();
                if let Some(spans) = &mut spans {
                    spans.observe(&written, &crate::traces::scheduled_tasks(&effects));
                }
                if let Some(metrics) = &rt.config.metrics {
                    metrics.observe(&info.state_machine_arn, start, &mut tracker, &written);
                }
                if let Some(log) = &log {
                    log.write(&written, 0);
                }
            }
            for effect in effects {
                match effect {
                    Effect::ScheduleTask(mut request) => {
                        if let Some(spans) = &spans {
                            request.trace = Some(Box::new(spans.call_context(request.id)));
                        }
                        if let Some(result) = mock
                            .as_mut()
                            .and_then(|m| crate::mocks::answer(m, &request))
                        {
                            // A mocked activity is taken at once, as if by a worker.
                            let kind = resource_kind(&request.resource, &info.region);
                            if kind.resource.family == TaskFamily::Activity {
                                queue.push_back(Event::TaskStarted {
                                    task: request.id,
                                    time: crate::now(),
                                    worker: None,
                                });
                            }
                            queue.extend(task_event(request.id, result));
                            continue;
                        }
                        let kind = resource_kind(&request.resource, &info.region);
                        if kind.resource.family == TaskFamily::Activity {
                            queue.push_back(Event::TaskFailed {
                                task: request.id,
                                error: Some("States.Runtime".into()),
                                cause: Some("Express executions do not run activity tasks".into()),
                                time: crate::now(),
                            });
                            continue;
                        }
                        let integrations = rt.config.integrations.clone();
                        let info = info.clone();
                        tasks.spawn(async move {
                            let id = request.id;
                            let result = integrations
                                .invoke(&info, &request, kind.wait_for_token)
                                .await;
                            (id, result)
                        });
                    }
                    Effect::CancelTask(_) => {}
                    Effect::StartTimer { timer, at } => {
                        if let Some(old) = timer_at.insert(timer, at) {
                            timers.remove(&(old, timer));
                        }
                        timers.insert((at, timer), ());
                    }
                    Effect::CancelTimer(timer) => {
                        if let Some(at) = timer_at.remove(&timer) {
                            timers.remove(&(at, timer));
                        }
                    }
                    Effect::Finished(outcome) => return outcome,
                }
            }
        }
        let next_timer = timers.keys().next().copied();
        if next_timer.is_none() && tasks.is_empty() {
            // Nothing can happen any more (a callback no one can send).
            return Outcome {
                status: Status::Failed,
                error: Some("States.Runtime".into()),
                cause: Some("The execution is waiting for a task that cannot end".into()),
                output: None,
            };
        }
        let sleep = async {
            match next_timer {
                Some((at, _)) => {
                    let d = (at - crate::now()).max(0) as u64;
                    tokio::time::sleep(std::time::Duration::from_millis(d)).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {
                if let Some((at, timer)) = next_timer {
                    timers.remove(&(at, timer));
                    timer_at.remove(&timer);
                    queue.push_back(Event::TimerFired { timer, time: crate::now().max(at) });
                }
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                match joined {
                    Ok((task, result)) => queue.extend(task_event(task, result)),
                    Err(e) => tracing::error!(error = %e, "an express task panicked"),
                }
            }
        }
    }
}

/// The event a task's end feeds the engine (a task waiting for its callback has none).
fn task_event(task: TaskId, result: TaskResult) -> Option<Event> {
    let time = crate::now();
    match result {
        TaskResult::Succeeded(output) => Some(Event::TaskSucceeded { task, output, time }),
        TaskResult::Failed { error, cause } => Some(Event::TaskFailed {
            task,
            error,
            cause,
            time,
        }),
        TaskResult::Submitted(output) => Some(Event::TaskSubmitted { task, output, time }),
        TaskResult::Rejected(cause) => Some(Event::TaskRejected { task, cause, time }),
        TaskResult::AwaitingCallback => None,
    }
}
