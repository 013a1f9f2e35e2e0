//! Running one execution to its end in-process: a loop that feeds the engine the events its
//! effects lead to, with a [`Clock`] for timers and a [`TaskHandler`] for tasks. The virtual
//! clock jumps to the next timer when nothing else can happen, so waits take no real time.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use crate::execution::Execution;
use crate::history::Millis;
use crate::signal::{Effect, Event, ExecutionInfo, Outcome, Status, TaskRequest, TimerId};

/// Where time comes from.
pub trait Clock {
    fn now(&mut self) -> Millis;
    /// Waits until `at` (a real clock sleeps; a virtual clock jumps).
    fn advance_to(&mut self, at: Millis);
}

/// Time that only moves when the driver moves it.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    now: Millis,
}

impl VirtualClock {
    pub fn starting_at(now: Millis) -> VirtualClock {
        VirtualClock { now }
    }
}

impl Clock for VirtualClock {
    fn now(&mut self) -> Millis {
        self.now
    }
    fn advance_to(&mut self, at: Millis) {
        self.now = self.now.max(at);
    }
}

/// What a task handler answers for one task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskReply {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The task stays open: only a timeout (or a stop) can end it.
    Pending,
    /// The call of a `.waitForTaskToken` task returned this; the task stays open.
    Submitted(Value),
    /// The task's parameters could not be used to start it: the state fails with
    /// `States.Runtime` and this cause, which no Retry or Catch sees.
    Rejected(String),
}

/// Runs tasks for the local driver.
pub trait TaskHandler {
    fn run(&mut self, request: &TaskRequest) -> TaskReply;

    /// Runs every task one step scheduled, and answers in their order. One at a time unless
    /// the handler can run them together (the replies, and so the history, are the same).
    fn run_all(&mut self, requests: &[TaskRequest]) -> Vec<TaskReply> {
        requests.iter().map(|r| self.run(r)).collect()
    }
}

/// Runs `execution` from its start to its end.
pub fn run_to_end(
    execution: &mut Execution,
    info: ExecutionInfo,
    input: Value,
    seed: u64,
    clock: &mut dyn Clock,
    tasks: &mut dyn TaskHandler,
) -> Outcome {
    let mut queue: VecDeque<Event> = VecDeque::new();
    let mut timers: BTreeMap<(Millis, TimerId), ()> = BTreeMap::new();
    let mut timer_at: std::collections::HashMap<TimerId, Millis> = Default::default();
    queue.push_back(Event::Started {
        info: Box::new(info),
        input,
        time: clock.now(),
        seed,
    });
    loop {
        while let Some(event) = queue.pop_front() {
            // The tasks a step schedules run together once its effects are taken, and their
            // events queue in the order they were scheduled, as if each had run at once.
            let mut scheduled = Vec::new();
            for effect in execution.apply(event) {
                match effect {
                    Effect::ScheduleTask(req) => scheduled.push(req),
                    Effect::CancelTask(_) => {}
                    Effect::StartTimer { timer, at } => {
                        timers.insert((at, timer), ());
                        timer_at.insert(timer, at);
                    }
                    Effect::CancelTimer(timer) => {
                        if let Some(at) = timer_at.remove(&timer) {
                            timers.remove(&(at, timer));
                        }
                    }
                    Effect::Finished(outcome) => return outcome,
                }
            }
            if !scheduled.is_empty() {
                let time = clock.now();
                let replies = tasks.run_all(&scheduled);
                for (req, reply) in scheduled.iter().zip(replies) {
                    if reply != TaskReply::Pending {
                        // The handler took the task (an activity worker's `ActivityStarted`).
                        queue.push_back(Event::TaskStarted {
                            task: req.id,
                            time,
                            worker: None,
                        });
                    }
                    queue.push_back(match reply {
                        TaskReply::Succeeded(output) => Event::TaskSucceeded {
                            task: req.id,
                            output,
                            time,
                        },
                        TaskReply::Failed { error, cause } => Event::TaskFailed {
                            task: req.id,
                            error,
                            cause,
                            time,
                        },
                        TaskReply::Submitted(output) => Event::TaskSubmitted {
                            task: req.id,
                            output,
                            time,
                        },
                        TaskReply::Rejected(cause) => Event::TaskRejected {
                            task: req.id,
                            cause,
                            time,
                        },
                        TaskReply::Pending => continue,
                    });
                }
            }
        }
        let Some(((at, timer), ())) = timers.pop_first() else {
            // Nothing can happen any more: a task that never answers and no timeout.
            return execution.outcome().cloned().unwrap_or(Outcome {
                status: Status::Running,
                output: None,
                error: None,
                cause: None,
            });
        };
        timer_at.remove(&timer);
        clock.advance_to(at);
        queue.push_back(Event::TimerFired {
            timer,
            time: clock.now(),
        });
    }
}

/// A handler for machines without Task states reaching any resource: every task fails as an
/// unconfigured resource would.
pub struct NoTasks;

impl TaskHandler for NoTasks {
    fn run(&mut self, request: &TaskRequest) -> TaskReply {
        TaskReply::Failed {
            error: Some("States.TaskFailed".into()),
            cause: Some(format!(
                "No handler is configured for resource '{}'",
                request.resource
            )),
        }
    }
}
