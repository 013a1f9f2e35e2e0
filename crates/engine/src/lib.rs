//! The interpreter: a deterministic state machine from events to effects and history.
//!
//! [`Execution::apply`] takes an [`Event`] (something happened: the execution started, a task
//! finished, a timer fired) and returns [`Effect`]s (what must happen next: run this task,
//! start this timer, the execution ended), appending AWS-shaped [`HistoryEvent`]s as it goes.
//! It never reads a clock, does no I/O and draws randomness only from the seed it is given.

mod children;
mod context;
mod dataflow;
mod distributed;
pub mod driver;
mod execution;
mod fanout;
pub mod history;
pub mod signal;
mod states;
mod task;
pub mod teststate;
pub mod trace;

pub use children::{child_execution_arn, child_state_machine_arn, ChildHistory};
pub use context::iso_time;
pub use execution::{Execution, Limits};
pub use fanout::MAP_RUN_REDRIVE_LIMIT;
pub use history::{EventDetails, HistoryEvent, Millis};
pub use signal::{
    ChildResult, Effect, Event, ExecutionInfo, Outcome, ResultExport, Status, TaskId, TaskPurpose,
    TaskRequest, TimerId,
};
pub use task::{resource_kind, set_parameter_check, ParameterCheck, ResourceKind};
