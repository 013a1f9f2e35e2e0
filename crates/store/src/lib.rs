//! Persistence for the durable server: the records it keeps, atomic write batches, and the
//! [`Store`] trait every backend implements (SQLite in `baton-store-sqlite`; PostgreSQL to
//! follow). No I/O here.
//!
//! Backends share more than the trait: the names of statuses and types ([`ExecutionStatus`]…),
//! the order listings return ([`Execution::list_date`]), and the page-token codec ([`Cursor`]),
//! so every backend pages the same way. With the `testing` feature, [`testing`] is the one test
//! suite each backend runs.

mod batch;
mod error;
mod executions;
pub mod histogram;
mod machines;
mod membership;
mod names;
mod page;
mod service_resources;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use batch::{Op, WriteBatch};
pub use error::{Error, Record, Result};
pub use executions::{
    list_date, Execution, ExecutionFilter, ExecutionSummary, ExecutionsOf, HistoryRecord,
    InboxEntry, JournalEntry, MapRun, MapRunCounts, Task, Timer,
};
pub use machines::{
    Activity, AliasesOf, Route, Scope, StateMachine, StateMachineAlias, StateMachineRevision,
    StateMachineVersion, Tag,
};
pub use membership::{
    partition_of, stable_hash, Fence, Membership, PartitionOwner, Topic, Wake, PARTITIONS,
};
pub use names::{ExecutionStatus, MachineStatus, MachineType, MapRunStatus, TaskKind, TaskStatus};
pub use page::{Cursor, CursorReader, Page, PageRequest, PageToken};
pub use service_resources::ServiceResource;
pub use store::{Store, StoreGauges};

/// Milliseconds since the Unix epoch, as the engine counts time.
pub type Millis = i64;
