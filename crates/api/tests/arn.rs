//! ARNs: every kind parses into its parts and formats back to the same text; wrong ones fail
//! with the reason AWS gives inside `Invalid Arn: '…'`.

use baton_api::arn::*;
use baton_api::ApiError;

#[test]
fn arns_parse_and_format_back() {
    let scope = Scope::new("us-east-1", "123456789012");
    let machine = StateMachineArn::new(scope.clone(), "orders");
    let child = MapRunArn::new(&machine, "Items", "0b1c").child_state_machine_arn();
    let cases: Vec<(&str, StatesArn)> = vec![
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
            StatesArn::StateMachine(machine.clone()),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders:3",
            StatesArn::StateMachine(machine.version(3)),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders:prod",
            StatesArn::StateMachine(machine.alias("prod")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders:3a",
            StatesArn::StateMachine(machine.alias("3a")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:execution:orders:run-1",
            StatesArn::Execution(ExecutionArn::standard(&machine.version(3), "run-1")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:express:orders:run-1:4f0c",
            StatesArn::Execution(ExecutionArn::express(&machine, "run-1", "4f0c")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:activity:approve",
            StatesArn::Activity(ActivityArn::new(scope.clone(), "approve")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:mapRun:orders/Items:0b1c",
            StatesArn::MapRun(MapRunArn::new(&machine, "Items", "0b1c")),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders/Items",
            StatesArn::StateMachine(child.clone()),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:execution:orders/Items:c1",
            StatesArn::Execution(ExecutionArn::standard(&child, "c1")),
        ),
        (
            "arn:aws-cn:states:cn-north-1:123456789012:activity:a",
            StatesArn::Activity(ActivityArn::new(
                Scope::new("cn-north-1", "123456789012"),
                "a",
            )),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(StatesArn::parse(text).as_ref(), Ok(&expected), "{text}");
        assert_eq!(expected.to_string(), text);
    }
}

#[test]
fn execution_arns_know_their_state_machine() {
    let execution =
        ExecutionArn::parse("arn:aws:states:us-east-1:123456789012:express:orders:r:9").unwrap();
    assert!(execution.is_express());
    assert_eq!(
        execution.state_machine_arn().to_string(),
        "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    );
}

#[test]
fn wrong_arns_fail_with_aws_reasons() {
    let sm = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";
    let cases: Vec<(Result<String, ArnError>, &str)> = vec![
        (
            StateMachineArn::parse("not-an-arn").map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN prefix: not-an-arn'",
        ),
        (
            StateMachineArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN prefix: arn:aws:lambda:us-east-1:123456789012:function:f'",
        ),
        (
            ExecutionArn::parse(sm).map(|a| a.to_string()),
            "Invalid Arn: 'Resource type not valid in this context: statemachine'",
        ),
        (
            StateMachineArn::parse("arn:aws:states:us-east-1:123456789012:express:o:r:1")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Resource type not valid in this context: express'",
        ),
        (
            StateMachineArn::parse("arn:aws:states:us-east-1:123456789012:topic:t")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Resource type not valid in this context: topic'",
        ),
        (
            StateMachineArn::parse("arn:aws:states:us-east-1:12345:stateMachine:o")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN: arn:aws:states:us-east-1:12345:stateMachine:o'",
        ),
        (
            StateMachineArn::parse("arn:aws:states:us-east-1:123456789012:stateMachine:")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN: arn:aws:states:us-east-1:123456789012:stateMachine:'",
        ),
        (
            StateMachineArn::parse("arn:aws:states:us-east-1:123456789012:stateMachine:o:1:2")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN: arn:aws:states:us-east-1:123456789012:stateMachine:o:1:2'",
        ),
        (
            ExecutionArn::parse("arn:aws:states:us-east-1:123456789012:execution:o")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN: arn:aws:states:us-east-1:123456789012:execution:o'",
        ),
        (
            MapRunArn::parse("arn:aws:states:us-east-1:123456789012:mapRun:o:1")
                .map(|a| a.to_string()),
            "Invalid Arn: 'Invalid ARN: arn:aws:states:us-east-1:123456789012:mapRun:o:1'",
        ),
    ];
    for (result, message) in cases {
        let error = ApiError::from(result.expect_err(message));
        assert_eq!(error.code(), "InvalidArn");
        assert_eq!(error.message(), Some(message));
    }
}

#[test]
fn regions_map_to_partitions() {
    let cases = [
        ("us-east-1", "aws"),
        ("eu-central-2", "aws"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
    ];
    for (region, partition) in cases {
        assert_eq!(partition_of(region), partition, "{region}");
        assert_eq!(
            baton_api::RequestContext::new("123456789012", region).partition(),
            partition
        );
    }
}
