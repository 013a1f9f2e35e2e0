//! `ApiError`: every error the API answers with, its AWS error code, namespace, HTTP status and
//! JSON body; and the model-constraint violations AWS reports as `ValidationException`.

mod codes;

use std::fmt;

use serde_json::{json, Map, Value};

pub use codes::{ApiError, MODEL_ERROR_CODES};

/// The namespace AWS puts before the code of the service's own errors in `__type`.
pub const SERVICE_NAMESPACE: &str = "com.amazonaws.swf.service.v2.model";
/// The namespace of model-constraint violations (AWS's request validator).
pub const VALIDATE_NAMESPACE: &str = "com.amazon.coral.validate";
/// The namespace of the protocol's errors (unknown operation, unreadable body, internal failure).
pub const PROTOCOL_NAMESPACE: &str = "com.amazon.coral.service";

impl ApiError {
    /// The HTTP status AWS answers with: 400 for the caller's errors, 500 for the service's.
    pub fn status(&self) -> u16 {
        if self.is_server_error() {
            500
        } else {
            400
        }
    }

    /// Whether the service, not the caller, is at fault.
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::InternalFailure { .. })
    }

    /// The namespace of the error's `__type`.
    pub fn namespace(&self) -> &'static str {
        match self {
            Self::ConstraintViolations(_) => VALIDATE_NAMESPACE,
            Self::SerializationException { .. }
            | Self::UnknownOperationException
            | Self::InternalFailure { .. } => PROTOCOL_NAMESPACE,
            _ => SERVICE_NAMESPACE,
        }
    }

    /// The `__type` of the error body: `<namespace>#<code>`. The SDKs keep what follows `#`.
    pub fn type_name(&self) -> String {
        format!("{}#{}", self.namespace(), self.code())
    }

    /// The JSON body AWS JSON 1.0 sends for the error: `__type`, the message and the error
    /// shape's other members when set.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("__type".into(), Value::String(self.type_name()));
        match self {
            // The request validator and the protocol spell the message key differently.
            Self::ConstraintViolations(violations) => {
                body.insert("message".into(), Value::String(violations.to_string()));
            }
            Self::SerializationException { message } => {
                if let Some(message) = message {
                    body.insert("Message".into(), Value::String(message.clone()));
                }
            }
            Self::UnknownOperationException => {}
            _ => {
                if let Some(message) = self.message() {
                    body.insert("message".into(), Value::String(message.to_owned()));
                }
            }
        }
        match self {
            Self::ResourceNotFound {
                resource_name: Some(name),
                ..
            }
            | Self::TooManyTags {
                resource_name: Some(name),
                ..
            } => {
                body.insert("resourceName".into(), json!(name));
            }
            Self::ValidationException {
                reason: Some(reason),
                ..
            } => {
                body.insert("reason".into(), json!(reason.as_str()));
            }
            Self::KmsInvalidStateException {
                kms_key_state: Some(state),
                ..
            } => {
                body.insert("kmsKeyState".into(), json!(state.as_str()));
            }
            _ => {}
        }
        Value::Object(body)
    }

    /// `InvalidArn` with AWS's message form: `Invalid Arn: '<detail>'`.
    pub fn invalid_arn(detail: impl fmt::Display) -> Self {
        Self::InvalidArn {
            message: format!("Invalid Arn: '{detail}'"),
        }
    }

    /// `InvalidName`: `Invalid Name: '<name>'`.
    pub fn invalid_name(name: &str) -> Self {
        Self::InvalidName {
            message: format!("Invalid Name: '{name}'"),
        }
    }

    /// `StateMachineDoesNotExist`: `State Machine Does Not Exist: '<arn>'`.
    pub fn state_machine_does_not_exist(arn: &str) -> Self {
        Self::StateMachineDoesNotExist {
            message: format!("State Machine Does Not Exist: '{arn}'"),
        }
    }

    /// `StateMachineAlreadyExists`: `State Machine Already Exists: '<arn>'`.
    pub fn state_machine_already_exists(arn: &str) -> Self {
        Self::StateMachineAlreadyExists {
            message: format!("State Machine Already Exists: '{arn}'"),
        }
    }

    /// `StateMachineTypeNotSupported`, as AWS words it.
    pub fn state_machine_type_not_supported() -> Self {
        Self::StateMachineTypeNotSupported {
            message: "This operation is not supported by this type of state machine".into(),
        }
    }

    /// `ExecutionDoesNotExist`: `Execution Does Not Exist: '<arn>'`.
    pub fn execution_does_not_exist(arn: &str) -> Self {
        Self::ExecutionDoesNotExist {
            message: format!("Execution Does Not Exist: '{arn}'"),
        }
    }

    /// `ExecutionAlreadyExists`: `Execution Already Exists: '<arn>'`.
    pub fn execution_already_exists(arn: &str) -> Self {
        Self::ExecutionAlreadyExists {
            message: format!("Execution Already Exists: '{arn}'"),
        }
    }

    /// `ActivityDoesNotExist`: `Activity Does Not Exist: '<arn>'`.
    pub fn activity_does_not_exist(arn: &str) -> Self {
        Self::ActivityDoesNotExist {
            message: format!("Activity Does Not Exist: '{arn}'"),
        }
    }

    /// `InvalidExecutionInput`: `Invalid State Machine Execution Input: '<detail>'`.
    pub fn invalid_execution_input(detail: &str) -> Self {
        Self::InvalidExecutionInput {
            message: format!("Invalid State Machine Execution Input: '{detail}'"),
        }
    }

    /// `InvalidDefinition`: `Invalid State Machine Definition: '<detail>'`.
    pub fn invalid_definition(detail: &str) -> Self {
        Self::InvalidDefinition {
            message: format!("Invalid State Machine Definition: '{detail}'"),
        }
    }

    /// A `ValidationException` the service raises itself (not a model constraint), e.g.
    /// `Version description can only be set when publish is true`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::ValidationException {
            message: message.into(),
            reason: None,
        }
    }

    /// An internal failure (HTTP 500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::InternalFailure {
            message: message.into(),
        }
    }
}

impl From<crate::arn::ArnError> for ApiError {
    fn from(error: crate::arn::ArnError) -> Self {
        Self::invalid_arn(error)
    }
}

/// How a violation quotes the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationValue {
    /// The member is absent or `null`: `Value null at '…'`.
    Null,
    /// The member is sensitive, so AWS leaves its value out: `Value at '…'`.
    Hidden,
    /// `Value '<text>' at '…'`.
    Shown(String),
}

/// One broken constraint: `Value 'x' at 'name' failed to satisfy constraint: Member must …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the input, as AWS names it: `name`, `tags.1.member.key`.
    pub path: String,
    pub value: ViolationValue,
    /// The constraint as AWS words it: `Member must have length less than or equal to 80`.
    pub constraint: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            ViolationValue::Null => f.write_str("Value null ")?,
            ViolationValue::Hidden => f.write_str("Value ")?,
            ViolationValue::Shown(text) => write!(f, "Value '{text}' ")?,
        }
        write!(
            f,
            "at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// The constraints a request broke, in the order they were found:
/// `2 validation errors detected: <violation>; <violation>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Violations(pub Vec<Violation>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, violation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}
