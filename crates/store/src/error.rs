//! `store::Error`: what a store operation can fail with, in terms the runtime maps to AWS errors
//! (`ExecutionAlreadyExists`, `StateMachineDoesNotExist`, `ConflictException`, `InvalidToken`…).

use std::fmt;

/// The kind of record an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record {
    StateMachine,
    Revision,
    Version,
    Alias,
    Activity,
    /// A resource that can carry tags (a state machine or an activity).
    TaggedResource,
    Execution,
    HistoryEvent,
    JournalEntry,
    Timer,
    Task,
    /// A task token already given to another task.
    TaskToken,
    MapRun,
    InboxEntry,
    ServiceResource,
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Record::StateMachine => "state machine",
            Record::Revision => "state machine revision",
            Record::Version => "state machine version",
            Record::Alias => "state machine alias",
            Record::Activity => "activity",
            Record::TaggedResource => "resource",
            Record::Execution => "execution",
            Record::HistoryEvent => "history event",
            Record::JournalEntry => "journal entry",
            Record::InboxEntry => "inbox entry",
            Record::Timer => "timer",
            Record::Task => "task",
            Record::TaskToken => "task token",
            Record::MapRun => "map run",
            Record::ServiceResource => "resource",
        })
    }
}

/// Why a store operation failed. A failed [`crate::WriteBatch`] changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The record an update, a completion or a tag needs is absent.
    #[error("{record} does not exist: {key}")]
    NotFound { record: Record, key: String },
    /// A record with this key exists already (an execution name in use, a state machine or
    /// activity name taken, a history event id written twice).
    #[error("{record} already exists: {key}")]
    AlreadyExists { record: Record, key: String },
    /// The write contradicts the record's current state (a version an alias still routes to, a
    /// task already closed).
    #[error("conflict on {record} {key}: {reason}")]
    Conflict {
        record: Record,
        key: String,
        reason: String,
    },
    /// The batch was fenced at an epoch its partition has left: another node owns it now (or
    /// the partition does not exist). Nothing of the batch was applied; the writer must stop
    /// acting for the partition.
    #[error("partition {partition} is no longer owned at epoch {epoch}")]
    Fenced { partition: u32, epoch: u64 },
    /// A page token this store did not issue for this listing.
    #[error("invalid page token")]
    InvalidToken,
    /// The backend failed (I/O, a corrupt row, a value it cannot represent). Nothing in the
    /// request was wrong; retrying may succeed.
    #[error("store backend failed: {0}")]
    Backend(String),
    /// The store was shut down.
    #[error("store is closed")]
    Closed,
    /// Another process has the store open (its data folder is locked). Two servers on one
    /// store would both resume the same executions and run every task twice.
    #[error("{path} is in use by another process ({holder}); stop that process or use another data folder")]
    InUse {
        /// The data folder.
        path: String,
        /// Who holds it, as that process wrote it (its id, start time and command line).
        holder: String,
    },
}

impl Error {
    pub fn not_found(record: Record, key: impl Into<String>) -> Error {
        Error::NotFound {
            record,
            key: key.into(),
        }
    }

    pub fn already_exists(record: Record, key: impl Into<String>) -> Error {
        Error::AlreadyExists {
            record,
            key: key.into(),
        }
    }

    pub fn conflict(record: Record, key: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Conflict {
            record,
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// `ConsumeInbox` of an entry that is not there: it was applied already (or never
    /// appended).
    pub fn inbox_entry_gone(id: u64) -> Error {
        Error::conflict(
            Record::InboxEntry,
            format!("inbox entry {id}"),
            "the inbox entry is gone: it was applied already",
        )
    }

    pub fn backend(e: impl fmt::Display) -> Error {
        Error::Backend(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
