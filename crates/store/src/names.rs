//! The closed sets of names records carry (types and statuses), spelled as AWS spells them, and
//! their text form, which every backend stores.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

macro_rules! names {
    ($(#[$meta:meta])* $ty:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $ty {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The name as AWS writes it (and as backends store it).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            /// Reads a stored name; anything else is a corrupt row.
            fn from_str(s: &str) -> Result<$ty, Error> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(Error::Backend(format!(
                        concat!("unknown ", stringify!($ty), " {:?}"),
                        other
                    ))),
                }
            }
        }
    };
}

names! {
    /// `STANDARD` or `EXPRESS`.
    MachineType { Standard = "STANDARD", Express = "EXPRESS" }
}

names! {
    /// A state machine is `DELETING` between `DeleteStateMachine` and the end of its last
    /// execution.
    MachineStatus { Active = "ACTIVE", Deleting = "DELETING" }
}

names! {
    ExecutionStatus {
        Running = "RUNNING",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        TimedOut = "TIMED_OUT",
        Aborted = "ABORTED",
        PendingRedrive = "PENDING_REDRIVE",
    }
}

impl ExecutionStatus {
    /// Still to be driven: recovery resumes these after a restart.
    pub fn is_unfinished(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive
        )
    }
}

names! {
    /// How a task is completed: by an activity worker (`GetActivityTask`), by a callback
    /// (`.waitForTaskToken`, `SendTask*`), or by the runtime itself (every other resource).
    TaskKind { Activity = "ACTIVITY", Callback = "CALLBACK", Other = "OTHER" }
}

names! {
    /// `SCHEDULED`: waiting for a worker (activities) or a callback; `STARTED`: a worker took it;
    /// `COMPLETING`: a result was accepted on a node that does not run the execution and waits
    /// in the inbox for the node that does (no other result is accepted); `CLOSED`: it
    /// succeeded, failed, timed out or was cancelled, and takes no more results.
    TaskStatus {
        Scheduled = "SCHEDULED",
        Started = "STARTED",
        Completing = "COMPLETING",
        Closed = "CLOSED",
    }
}

names! {
    MapRunStatus {
        Running = "RUNNING",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        Aborted = "ABORTED",
    }
}
