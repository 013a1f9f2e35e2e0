//! Runtime error names (`States.*` and user-defined) and the failure value a state raises.

use std::fmt;

/// An error name as Retry/Catch `ErrorEquals` see it. The `States.*` names AWS defines are
/// variants; anything else (a Task's own error, a Fail state's `Error`) is `Custom`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorName {
    /// `States.ALL`: only ever a pattern in `ErrorEquals`, never raised.
    All,
    Runtime,
    TaskFailed,
    Timeout,
    HeartbeatTimeout,
    NoChoiceMatched,
    BranchFailed,
    IntrinsicFailure,
    ExceedToleratedFailureThreshold,
    QueryEvaluationError,
    ResultPathMatchFailure,
    ParameterPathFailure,
    ItemReaderFailed,
    ResultWriterFailed,
    Permissions,
    DataLimitExceeded,
    /// Any other name, including unknown `States.*` names a task may throw.
    Custom(String),
}

impl ErrorName {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorName::All => "States.ALL",
            ErrorName::Runtime => "States.Runtime",
            ErrorName::TaskFailed => "States.TaskFailed",
            ErrorName::Timeout => "States.Timeout",
            ErrorName::HeartbeatTimeout => "States.HeartbeatTimeout",
            ErrorName::NoChoiceMatched => "States.NoChoiceMatched",
            ErrorName::BranchFailed => "States.BranchFailed",
            ErrorName::IntrinsicFailure => "States.IntrinsicFailure",
            ErrorName::ExceedToleratedFailureThreshold => "States.ExceedToleratedFailureThreshold",
            ErrorName::QueryEvaluationError => "States.QueryEvaluationError",
            ErrorName::ResultPathMatchFailure => "States.ResultPathMatchFailure",
            ErrorName::ParameterPathFailure => "States.ParameterPathFailure",
            ErrorName::ItemReaderFailed => "States.ItemReaderFailed",
            ErrorName::ResultWriterFailed => "States.ResultWriterFailed",
            ErrorName::Permissions => "States.Permissions",
            ErrorName::DataLimitExceeded => "States.DataLimitExceeded",
            ErrorName::Custom(s) => s,
        }
    }

    pub fn parse(s: &str) -> ErrorName {
        match s {
            "States.ALL" => ErrorName::All,
            "States.Runtime" => ErrorName::Runtime,
            "States.TaskFailed" => ErrorName::TaskFailed,
            "States.Timeout" => ErrorName::Timeout,
            "States.HeartbeatTimeout" => ErrorName::HeartbeatTimeout,
            "States.NoChoiceMatched" => ErrorName::NoChoiceMatched,
            "States.BranchFailed" => ErrorName::BranchFailed,
            "States.IntrinsicFailure" => ErrorName::IntrinsicFailure,
            "States.ExceedToleratedFailureThreshold" => ErrorName::ExceedToleratedFailureThreshold,
            "States.QueryEvaluationError" => ErrorName::QueryEvaluationError,
            "States.ResultPathMatchFailure" => ErrorName::ResultPathMatchFailure,
            "States.ParameterPathFailure" => ErrorName::ParameterPathFailure,
            "States.ItemReaderFailed" => ErrorName::ItemReaderFailed,
            "States.ResultWriterFailed" => ErrorName::ResultWriterFailed,
            "States.Permissions" => ErrorName::Permissions,
            "States.DataLimitExceeded" => ErrorName::DataLimitExceeded,
            other => ErrorName::Custom(other.to_string()),
        }
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a state raises: an error name and the cause text AWS would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: ErrorName,
    pub cause: String,
}

impl Failure {
    pub fn new(error: ErrorName, cause: impl Into<String>) -> Failure {
        Failure {
            error,
            cause: cause.into(),
        }
    }
    pub fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new(ErrorName::Runtime, cause)
    }
    pub fn intrinsic(cause: impl Into<String>) -> Failure {
        Failure::new(ErrorName::IntrinsicFailure, cause)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for Failure {}
