//! Request bodies through `decode_input`: what AWS answers for bad JSON, wrong member types and
//! broken model constraints, and what a good body decodes to.
//!
//! Messages marked "recorded" were recorded against AWS Step Functions (LocalStack's
//! AWS-validated snapshots, `tests/aws/services/stepfunctions/v2/test_sfn_api*.snapshot.json`).

use baton_api::model::*;
use baton_api::{decode_input, validate, ApiError, Operation};
use serde_json::{json, Value};

enum Expect {
    /// Decodes; the input re-encoded is this JSON.
    Decoded(Value),
    /// `SerializationException` with this message (or none).
    Serialization(Option<&'static str>),
    /// `ValidationException` from the model's constraints, with this message.
    Validation(String),
}

fn decode(operation: Operation, body: &str) -> Result<Value, ApiError> {
    macro_rules! decoders {
        ($($op:ident => $ty:ty),* $(,)?) => {
            match operation {
                $(Operation::$op => decode_input::<$ty>(body.as_bytes())
                    .map(|input| serde_json::to_value(input).expect("inputs encode")),)*
                other => panic!("this test has no decoder for {other:?}"),
            }
        };
    }
    decoders!(
        CreateActivity => CreateActivityInput,
        CreateStateMachine => CreateStateMachineInput,
        CreateStateMachineAlias => CreateStateMachineAliasInput,
        GetExecutionHistory => GetExecutionHistoryInput,
        ListExecutions => ListExecutionsInput,
        ListStateMachines => ListStateMachinesInput,
        ListStateMachineVersions => ListStateMachineVersionsInput,
        RedriveExecution => RedriveExecutionInput,
        SendTaskSuccess => SendTaskSuccessInput,
        StartExecution => StartExecutionInput,
        TagResource => TagResourceInput,
        UntagResource => UntagResourceInput,
        UpdateMapRun => UpdateMapRunInput,
        ValidateStateMachineDefinition => ValidateStateMachineDefinitionInput,
    )
}

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

fn one(violation: &str) -> Expect {
    Expect::Validation(format!("1 validation error detected: {violation}"))
}

fn cases() -> Vec<(Operation, String, Expect)> {
    use Expect::*;
    use Operation as Op;
    let long81 = "a".repeat(81);
    let token1025 = "t".repeat(1025);
    let token3097 = "t".repeat(3097);
    // 131,073 two-byte characters: under the limit in characters, over it in UTF-8 bytes.
    let wide_input = format!("\"{}\"", "é".repeat(131_073));
    vec![
        // Recorded.
        (
            Op::ListExecutions,
            json!({"stateMachineArn": ARN, "maxResults": 1001}).to_string(),
            one("Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"),
        ),
        (
            Op::ListExecutions,
            json!({"stateMachineArn": ARN, "statusFilter": "succeeded"}).to_string(),
            one("Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]"),
        ),
        (
            Op::ListStateMachineVersions,
            json!({"stateMachineArn": ARN, "nextToken": token1025}).to_string(),
            one(&format!("Value '{token1025}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024")),
        ),
        (
            Op::ListExecutions,
            json!({"stateMachineArn": ARN, "nextToken": token3097}).to_string(),
            one(&format!("Value '{token3097}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096")),
        ),
        (
            Op::StartExecution,
            json!({"stateMachineArn": ARN, "name": long81}).to_string(),
            one(&format!("Value '{long81}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")),
        ),
        // Required members, absent or null.
        (
            Op::StartExecution,
            "{}".into(),
            one("Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"),
        ),
        (
            Op::StartExecution,
            r#"{"stateMachineArn": null, "name": "n"}"#.into(),
            one("Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null"),
        ),
        (
            Op::SendTaskSuccess,
            "{}".into(),
            Validation("2 validation errors detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null; Value null at 'output' failed to satisfy constraint: Member must not be null".into()),
        ),
        // Lengths, and sensitive members whose value AWS leaves out.
        (
            Op::StartExecution,
            json!({"stateMachineArn": ARN, "name": ""}).to_string(),
            one("Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            Op::SendTaskSuccess,
            json!({"taskToken": "", "output": "{}"}).to_string(),
            one("Value at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            Op::CreateStateMachine,
            json!({"name": "m", "definition": "", "roleArn": "r"}).to_string(),
            one("Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            Op::StartExecution,
            json!({"stateMachineArn": ARN, "input": wide_input}).to_string(),
            one("Value at 'input' failed to satisfy constraint: Member must have size less than or equal to 262144 bytes in UTF-8 encoding"),
        ),
        // Names count characters, not bytes: 80 two-byte characters fit.
        (
            Op::StartExecution,
            json!({"stateMachineArn": ARN, "name": "é".repeat(80)}).to_string(),
            Decoded(json!({"stateMachineArn": ARN, "name": "é".repeat(80)})),
        ),
        // Patterns come before lengths; several members, in the model's order.
        (
            Op::CreateStateMachineAlias,
            json!({"name": format!("{long81}!")}).to_string(),
            Validation(format!(
                "3 validation errors detected: \
                 Value '{long81}!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$; \
                 Value '{long81}!' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80; \
                 Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null"
            )),
        ),
        (
            Op::CreateStateMachineAlias,
            json!({"name": "123", "routingConfiguration": [{"stateMachineVersionArn": "v", "weight": 100}]}).to_string(),
            one("Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"),
        ),
        (
            Op::RedriveExecution,
            json!({"executionArn": "e", "clientToken": "a b"}).to_string(),
            one("Value 'a b' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [!-~]+"),
        ),
        (
            Op::StartExecution,
            json!({"stateMachineArn": ARN, "traceHeader": "Root=é"}).to_string(),
            one("Value 'Root=é' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*"),
        ),
        // Members of lists and nested structures.
        (
            Op::CreateStateMachineAlias,
            json!({"name": "prod", "routingConfiguration": []}).to_string(),
            one("Value '[]' at 'routingConfiguration' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            Op::CreateStateMachineAlias,
            json!({"name": "prod", "routingConfiguration": [{"weight": 101}]}).to_string(),
            Validation("2 validation errors detected: Value null at 'routingConfiguration.1.member.stateMachineVersionArn' failed to satisfy constraint: Member must not be null; Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100".into()),
        ),
        (
            Op::TagResource,
            json!({"resourceArn": ARN, "tags": [{"key": "a", "value": "b"}, {"key": ""}]}).to_string(),
            one("Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ),
        (
            Op::UntagResource,
            json!({"resourceArn": ARN, "tagKeys": [null]}).to_string(),
            one("Value null at 'tagKeys.1.member' failed to satisfy constraint: Member must not be null"),
        ),
        (
            Op::CreateActivity,
            json!({"name": "a", "encryptionConfiguration": {}}).to_string(),
            one("Value null at 'encryptionConfiguration.type' failed to satisfy constraint: Member must not be null"),
        ),
        (
            Op::CreateActivity,
            json!({"name": "a", "encryptionConfiguration": {"type": "AWS_OWNED_KEY", "kmsDataKeyReusePeriodSeconds": 30}}).to_string(),
            one("Value '30' at 'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"),
        ),
        // Enumerations in the model's order where AWS's was not recorded; floats as Java prints them.
        (
            Op::ValidateStateMachineDefinition,
            json!({"definition": "{}", "type": "BATCH"}).to_string(),
            one("Value 'BATCH' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"),
        ),
        (
            Op::UpdateMapRun,
            json!({"mapRunArn": "m", "toleratedFailurePercentage": 150}).to_string(),
            one("Value '150.0' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"),
        ),
        (
            Op::UpdateMapRun,
            json!({"mapRunArn": "m", "maxConcurrency": -1, "toleratedFailureCount": -2}).to_string(),
            Validation("2 validation errors detected: Value '-1' at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '-2' at 'toleratedFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0".into()),
        ),
        // Unreadable bodies and wrong member types: AWS's reader, before any constraint.
        (Op::StartExecution, "not json".into(), Serialization(None)),
        (Op::StartExecution, "".into(), Serialization(None)),
        (Op::StartExecution, "{\"stateMachineArn\": \"a\"".into(), Serialization(None)),
        (
            Op::StartExecution,
            json!({"stateMachineArn": 5, "name": long81}).to_string(),
            Serialization(Some("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String")),
        ),
        (
            Op::StartExecution,
            json!({"stateMachineArn": true}).to_string(),
            Serialization(Some("class java.lang.Boolean can not be converted to an String")),
        ),
        (
            Op::StartExecution,
            json!({"stateMachineArn": {"a": 1}}).to_string(),
            Serialization(Some("Start of structure or map found where not expected.")),
        ),
        (
            Op::ListStateMachines,
            json!({"maxResults": "5"}).to_string(),
            Serialization(Some("class java.lang.String can not be converted to an Integer")),
        ),
        (
            Op::GetExecutionHistory,
            json!({"executionArn": "e", "reverseOrder": "true"}).to_string(),
            Serialization(Some("'true' can not be converted to an Boolean")),
        ),
        (
            Op::TagResource,
            json!({"resourceArn": ARN, "tags": {"key": "a"}}).to_string(),
            Serialization(Some("Start of structure or map found where not expected.")),
        ),
        (
            Op::TagResource,
            json!({"resourceArn": ARN, "tags": "a"}).to_string(),
            Serialization(Some("Expected list or null")),
        ),
        (
            Op::CreateActivity,
            json!({"name": "a", "encryptionConfiguration": []}).to_string(),
            Serialization(Some("Start of list found where not expected")),
        ),
        (
            Op::CreateActivity,
            json!({"name": "a", "encryptionConfiguration": 1}).to_string(),
            Serialization(Some("Expected null")),
        ),
        (Op::ListStateMachines, "[]".into(), Serialization(Some("Start of list found where not expected"))),
        // Good bodies: unknown members ignored, nulls absent, numbers narrowed as Java does.
        (
            Op::GetExecutionHistory,
            json!({"executionArn": "e", "maxResults": 10.9, "reverseOrder": true, "nextToken": null, "extra": [1]}).to_string(),
            Decoded(json!({"executionArn": "e", "maxResults": 10, "reverseOrder": true})),
        ),
        (
            Op::ListStateMachines,
            json!({"maxResults": 4_294_967_297_u64}).to_string(),
            Decoded(json!({"maxResults": 1})),
        ),
        (Op::ListStateMachines, "null".into(), Decoded(json!({}))),
        (
            Op::CreateStateMachine,
            json!({
                "name": "orders", "definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/r",
                "type": "EXPRESS",
                "loggingConfiguration": {"level": "ALL", "includeExecutionData": true,
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "lg"}}]},
                "tags": [{"key": "k", "value": ""}], "tracingConfiguration": {"enabled": false},
                "publish": true, "versionDescription": "v1"
            })
            .to_string(),
            Decoded(json!({
                "name": "orders", "definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/r",
                "type": "EXPRESS",
                "loggingConfiguration": {"level": "ALL", "includeExecutionData": true,
                    "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "lg"}}]},
                "tags": [{"key": "k", "value": ""}], "tracingConfiguration": {"enabled": false},
                "publish": true, "versionDescription": "v1"
            })),
        ),
    ]
}

#[test]
fn request_bodies_decode_or_fail_as_on_aws() {
    let mut failures = Vec::new();
    for (operation, body, expect) in cases() {
        let got = decode(operation, &body);
        let ok = match (&expect, &got) {
            (Expect::Decoded(want), Ok(value)) => want == value,
            (Expect::Serialization(want), Err(ApiError::SerializationException { message })) => {
                message.as_deref() == *want
            }
            (Expect::Validation(want), Err(e @ ApiError::ConstraintViolations(_))) => {
                e.code() == "ValidationException" && e.to_string() == *want
            }
            _ => false,
        };
        if !ok {
            let shown: String = body.chars().take(120).collect();
            failures.push(format!("{operation:?} {shown}\n  got: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inputs_built_in_code_are_validated_alike() {
    let good = StartExecutionInput {
        state_machine_arn: ARN.into(),
        name: Some("run".into()),
        ..Default::default()
    };
    assert_eq!(validate(&good), Ok(()));
    let bad = StartExecutionInput {
        name: Some(String::new()),
        ..good
    };
    assert_eq!(
        validate(&bad).map_err(|e| e.to_string()),
        Err("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1".into())
    );
}
