//! `ApiError`: every error shape of the model is a variant, with AWS's code, namespace, HTTP
//! status and JSON body.

use baton_api::error::MODEL_ERROR_CODES;
use baton_api::model::{KmsKeyState, ValidationExceptionReason};
use baton_api::{ApiError, Violation, ViolationValue, Violations};
use serde_json::json;

#[test]
fn every_model_error_has_a_variant() {
    // The error shapes of botocore's stepfunctions/2016-11-23 model.
    let expected = [
        "ActivityAlreadyExists",
        "ActivityDoesNotExist",
        "ActivityLimitExceeded",
        "ActivityWorkerLimitExceeded",
        "ConflictException",
        "ExecutionAlreadyExists",
        "ExecutionDoesNotExist",
        "ExecutionLimitExceeded",
        "ExecutionNotRedrivable",
        "InvalidArn",
        "InvalidDefinition",
        "InvalidEncryptionConfiguration",
        "InvalidExecutionInput",
        "InvalidLoggingConfiguration",
        "InvalidName",
        "InvalidOutput",
        "InvalidToken",
        "InvalidTracingConfiguration",
        "KmsAccessDeniedException",
        "KmsInvalidStateException",
        "KmsThrottlingException",
        "MissingRequiredParameter",
        "ResourceNotFound",
        "ServiceQuotaExceededException",
        "StateMachineAlreadyExists",
        "StateMachineDeleting",
        "StateMachineDoesNotExist",
        "StateMachineLimitExceeded",
        "StateMachineTypeNotSupported",
        "TaskDoesNotExist",
        "TaskTimedOut",
        "TooManyTags",
        "ValidationException",
    ];
    assert_eq!(MODEL_ERROR_CODES, expected);
    for code in expected {
        let error = ApiError::from_code(code, "m").unwrap_or_else(|| panic!("{code}"));
        assert_eq!(error.code(), code);
        assert_eq!(error.status(), 400);
        assert_eq!(error.message(), Some("m"));
        assert_eq!(
            error.body(),
            json!({"__type": format!("com.amazonaws.swf.service.v2.model#{code}"), "message": "m"})
        );
    }
    assert_eq!(ApiError::from_code("NoSuchError", "m"), None);
}

#[test]
fn errors_render_as_aws_json_1_0() {
    let violations = Violations(vec![Violation {
        path: "name".into(),
        value: ViolationValue::Shown("x".into()),
        constraint: "Member must have length less than or equal to 0".into(),
    }]);
    let cases: Vec<(ApiError, u16, serde_json::Value)> = vec![
        (
            ApiError::ConstraintViolations(violations),
            400,
            json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have length less than or equal to 0"}),
        ),
        (
            ApiError::ValidationException {
                message: "Version description can only be set when publish is true".into(),
                reason: Some(ValidationExceptionReason::MissingRequiredParameter),
            },
            400,
            json!({"__type": "com.amazonaws.swf.service.v2.model#ValidationException", "message": "Version description can only be set when publish is true", "reason": "MISSING_REQUIRED_PARAMETER"}),
        ),
        (
            ApiError::ResourceNotFound {
                message: "gone".into(),
                resource_name: Some("arn:x".into()),
            },
            400,
            json!({"__type": "com.amazonaws.swf.service.v2.model#ResourceNotFound", "message": "gone", "resourceName": "arn:x"}),
        ),
        (
            ApiError::KmsInvalidStateException {
                message: "k".into(),
                kms_key_state: Some(KmsKeyState::Disabled),
            },
            400,
            json!({"__type": "com.amazonaws.swf.service.v2.model#KmsInvalidStateException", "message": "k", "kmsKeyState": "DISABLED"}),
        ),
        (
            ApiError::SerializationException { message: None },
            400,
            json!({"__type": "com.amazon.coral.service#SerializationException"}),
        ),
        (
            ApiError::SerializationException {
                message: Some("Expected null".into()),
            },
            400,
            json!({"__type": "com.amazon.coral.service#SerializationException", "Message": "Expected null"}),
        ),
        (
            ApiError::UnknownOperationException,
            400,
            json!({"__type": "com.amazon.coral.service#UnknownOperationException"}),
        ),
        (
            ApiError::internal("disk full"),
            500,
            json!({"__type": "com.amazon.coral.service#InternalFailure", "message": "disk full"}),
        ),
    ];
    for (error, status, body) in cases {
        assert_eq!(error.status(), status, "{error:?}");
        assert_eq!(error.body(), body, "{error:?}");
        assert_eq!(error.is_server_error(), status == 500);
    }
}

#[test]
fn constructors_word_messages_as_aws() {
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    let cases = [
        (
            ApiError::state_machine_does_not_exist(arn),
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        ),
        (
            ApiError::state_machine_already_exists(arn),
            "StateMachineAlreadyExists",
            format!("State Machine Already Exists: '{arn}'"),
        ),
        (
            ApiError::execution_does_not_exist(arn),
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        ),
        (
            ApiError::execution_already_exists(arn),
            "ExecutionAlreadyExists",
            format!("Execution Already Exists: '{arn}'"),
        ),
        (
            ApiError::activity_does_not_exist(arn),
            "ActivityDoesNotExist",
            format!("Activity Does Not Exist: '{arn}'"),
        ),
        (
            ApiError::invalid_name("a b"),
            "InvalidName",
            "Invalid Name: 'a b'".to_owned(),
        ),
        (
            ApiError::invalid_execution_input("Invalid execution input."),
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Invalid execution input.'".to_owned(),
        ),
        (
            ApiError::invalid_definition("x"),
            "InvalidDefinition",
            "Invalid State Machine Definition: 'x'".to_owned(),
        ),
        (
            ApiError::state_machine_type_not_supported(),
            "StateMachineTypeNotSupported",
            "This operation is not supported by this type of state machine".to_owned(),
        ),
        (
            ApiError::invalid_arn("Invalid ARN prefix: x"),
            "InvalidArn",
            "Invalid Arn: 'Invalid ARN prefix: x'".to_owned(),
        ),
    ];
    for (error, code, message) in cases {
        assert_eq!(error.code(), code);
        assert_eq!(error.message(), Some(message.as_str()));
        assert_eq!(error.to_string(), message);
    }
}
