//! `WriteBatch`: the writes of one step, applied in order and atomically — all or nothing.
//!
//! The runtime commits what the engine produced (history, journal, timers, tasks, the execution
//! row) as one batch *before* acting on it, so after a crash the store holds either the whole
//! step or none of it.

use crate::{
    Activity, Execution, Fence, HistoryRecord, InboxEntry, JournalEntry, MapRun, ServiceResource,
    StateMachine, StateMachineAlias, StateMachineRevision, StateMachineVersion, Tag, Task, Timer,
};

/// One write. Creates fail with [`crate::Error::AlreadyExists`] when the key is taken; updates
/// and task completions with [`crate::Error::NotFound`] when the record is absent; deletes of
/// absent records do nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Fails if the ARN is taken (`StateMachineAlreadyExists`, once the runtime has ruled out an
    /// idempotent repeat).
    CreateStateMachine(StateMachine),
    /// Replaces the record with this ARN.
    UpdateStateMachine(StateMachine),
    /// Deletes the machine with its versions, aliases and tags. Its revisions and executions
    /// stay: executions still describe and finish on them.
    DeleteStateMachine {
        arn: String,
    },
    /// Writes a revision; writing the same (machine, revision id) again does nothing.
    PutRevision(StateMachineRevision),
    /// Fails if the ARN is taken.
    CreateVersion(StateMachineVersion),
    /// Fails with [`crate::Error::Conflict`] while an alias routes to the version.
    DeleteVersion {
        arn: String,
    },
    /// Fails if the ARN is taken (the runtime then compares for idempotency, or answers
    /// `ConflictException`).
    CreateAlias(StateMachineAlias),
    UpdateAlias(StateMachineAlias),
    DeleteAlias {
        arn: String,
    },
    /// Fails if the ARN is taken (`CreateActivity` is idempotent by name on AWS: the runtime
    /// answers the existing activity).
    CreateActivity(Activity),
    /// Deletes the activity and its tags.
    DeleteActivity {
        arn: String,
    },
    /// Adds tags, replacing the values of keys already present. The resource (a state machine
    /// or an activity) must exist.
    TagResource {
        arn: String,
        tags: Vec<Tag>,
    },
    /// Removes these keys; absent keys are ignored.
    UntagResource {
        arn: String,
        keys: Vec<String>,
    },
    /// Fails if the ARN is taken: the name is in use for this machine (`ExecutionAlreadyExists`,
    /// once the runtime has compared inputs for idempotency).
    CreateExecution(Execution),
    /// Replaces the record with this ARN.
    UpdateExecution(Execution),
    /// Fails if an event id is taken, or the execution does not exist (write it first, in this
    /// batch or an earlier one).
    AppendHistory {
        execution_arn: String,
        events: Vec<HistoryRecord>,
    },
    /// Fails if a sequence number is taken, or the execution does not exist.
    AppendJournal {
        execution_arn: String,
        entries: Vec<JournalEntry>,
    },
    /// Starts a timer, or moves it if this (execution, timer id) exists.
    PutTimer(Timer),
    DeleteTimer {
        execution_arn: String,
        timer_id: u64,
    },
    /// Deletes every timer of the execution (it ended or stopped).
    DeleteTimers {
        execution_arn: String,
    },
    /// Fails if (execution, task id) or the token is taken.
    CreateTask(Task),
    /// Replaces the record with this (execution, task id) — a heartbeat, a new deadline.
    UpdateTask(Task),
    /// Closes an open task: it takes no more results. Fails with [`crate::Error::Conflict`] if
    /// it is closed already, so of two racing completions exactly one wins.
    CompleteTask {
        execution_arn: String,
        task_id: u64,
    },
    DeleteTask {
        execution_arn: String,
        task_id: u64,
    },
    /// Takes an open task's result on a node that does not run its execution: `SCHEDULED` or
    /// `STARTED` becomes `COMPLETING`, so no other result is accepted; the result itself goes
    /// in the inbox in the same batch. Fails with [`crate::Error::Conflict`] if the task is
    /// completing or closed already, so of two racing results exactly one wins.
    ClaimTask {
        execution_arn: String,
        task_id: u64,
    },
    /// Appends an event for the node that runs the execution (the entry's id is the store's).
    AppendInbox(InboxEntry),
    /// Removes an inbox entry, with the step that applied it. Fails with
    /// [`crate::Error::Conflict`] if it is gone: it was applied already.
    ConsumeInbox {
        id: u64,
    },
    /// Fails if the ARN is taken.
    CreateMapRun(MapRun),
    UpdateMapRun(MapRun),
    /// Writes a service resource. With `expected: None` it is new: fails if (kind, ARN) is taken.
    /// With `Some(v)` it replaces the stored one only while that is at version `v`:
    /// [`crate::Error::NotFound`] when there is none, [`crate::Error::Conflict`] when another
    /// writer replaced it first. The resource's own `version` is what is stored.
    PutServiceResource {
        resource: ServiceResource,
        expected: Option<u64>,
    },
    DeleteServiceResource {
        kind: String,
        arn: String,
    },
}

impl Op {
    /// The execution this write is about, if any.
    pub fn execution(&self) -> Option<&str> {
        match self {
            Op::CreateExecution(e) | Op::UpdateExecution(e) => Some(&e.arn),
            Op::AppendHistory { execution_arn, .. }
            | Op::AppendJournal { execution_arn, .. }
            | Op::DeleteTimer { execution_arn, .. }
            | Op::DeleteTimers { execution_arn }
            | Op::CompleteTask { execution_arn, .. }
            | Op::ClaimTask { execution_arn, .. }
            | Op::DeleteTask { execution_arn, .. } => Some(execution_arn),
            Op::AppendInbox(entry) => Some(&entry.execution_arn),
            Op::PutTimer(t) => Some(&t.execution_arn),
            Op::CreateTask(t) | Op::UpdateTask(t) => Some(&t.execution_arn),
            Op::CreateMapRun(r) | Op::UpdateMapRun(r) => Some(&r.execution_arn),
            _ => None,
        }
    }

    /// Whether this write moves an execution's own state (its row, history, journal or
    /// timers): only the node that runs the execution writes these, and only fenced.
    pub fn steps_an_execution(&self) -> bool {
        matches!(
            self,
            Op::CreateExecution(_)
                | Op::UpdateExecution(_)
                | Op::AppendHistory { .. }
                | Op::AppendJournal { .. }
                | Op::PutTimer(_)
                | Op::DeleteTimer { .. }
                | Op::DeleteTimers { .. }
        )
    }

    /// The resource this write is about: its execution, else the state machine or activity.
    pub fn resource(&self) -> &str {
        match self {
            Op::CreateStateMachine(m) | Op::UpdateStateMachine(m) => &m.arn,
            Op::PutRevision(r) => &r.state_machine_arn,
            Op::CreateVersion(v) => &v.state_machine_arn,
            Op::CreateAlias(a) | Op::UpdateAlias(a) => &a.state_machine_arn,
            Op::CreateActivity(a) => &a.arn,
            Op::DeleteStateMachine { arn }
            | Op::DeleteVersion { arn }
            | Op::DeleteAlias { arn }
            | Op::DeleteActivity { arn }
            | Op::TagResource { arn, .. }
            | Op::UntagResource { arn, .. }
            | Op::DeleteServiceResource { arn, .. } => arn,
            Op::PutServiceResource { resource, .. } => &resource.arn,
            other => other.execution().unwrap_or(""),
        }
    }
}

/// An ordered list of writes, applied atomically by [`crate::Store::commit`]. A fenced batch is
/// applied only while its partition is still at the fence's epoch: otherwise nothing of it is,
/// and the commit fails with [`crate::Error::Fenced`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    ops: Vec<Op>,
    fence: Option<Fence>,
    partition: Option<u32>,
}

impl WriteBatch {
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    pub fn push(&mut self, op: Op) -> &mut WriteBatch {
        self.ops.push(op);
        self
    }

    /// The batch with one more write.
    pub fn with(mut self, op: Op) -> WriteBatch {
        self.ops.push(op);
        self
    }

    /// The batch, applied only while `fence` holds.
    pub fn fenced(mut self, fence: Fence) -> WriteBatch {
        self.fence = Some(fence);
        self
    }

    pub fn fence(&self) -> Option<Fence> {
        self.fence
    }

    /// The batch, marked as a write for an execution in `partition`: a node fences it with the
    /// epoch it owns that partition at (the store itself reads only the fence).
    pub fn in_partition(mut self, partition: u32) -> WriteBatch {
        self.partition = Some(partition);
        self
    }

    /// The partition the batch writes for, if marked.
    pub fn partition(&self) -> Option<u32> {
        self.partition
    }

    /// What the batch writes about: the first execution one of its writes names, else the
    /// resource of its first write; `None` for an empty batch.
    pub fn subject(&self) -> Option<&str> {
        self.ops
            .iter()
            .find_map(Op::execution)
            .or_else(|| self.ops.first().map(Op::resource))
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn into_ops(self) -> Vec<Op> {
        self.ops
    }

    /// The writes, to reorder or replace in place: the batch keeps its fence and partition.
    pub fn ops_mut(&mut self) -> &mut Vec<Op> {
        &mut self.ops
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl From<Vec<Op>> for WriteBatch {
    fn from(ops: Vec<Op>) -> WriteBatch {
        WriteBatch {
            ops,
            fence: None,
            partition: None,
        }
    }
}

impl FromIterator<Op> for WriteBatch {
    fn from_iter<I: IntoIterator<Item = Op>>(iter: I) -> WriteBatch {
        WriteBatch {
            ops: iter.into_iter().collect(),
            fence: None,
            partition: None,
        }
    }
}

impl Extend<Op> for WriteBatch {
    fn extend<I: IntoIterator<Item = Op>>(&mut self, iter: I) {
        self.ops.extend(iter);
    }
}
