//! Accounts and regions are separate worlds: a request naming a Step Functions resource of
//! another account or region (by any `…Arn` member of its input) is answered as if the resource
//! did not exist, which is what the caller's own account and region hold.

use baton_api::arn::{Qualifier, StatesArn};
use baton_api::{ApiError, RequestContext};
use serde::Serialize;
use serde_json::Value;

/// `Err` when `input` names a resource outside the caller's account and region.
pub(crate) fn guard<T: Serialize>(ctx: &RequestContext, input: &T) -> Result<(), ApiError> {
    match serde_json::to_value(input) {
        Ok(v) => check(ctx, "", &v),
        Err(_) => Ok(()),
    }
}

fn check(ctx: &RequestContext, key: &str, v: &Value) -> Result<(), ApiError> {
    match v {
        Value::String(s) if key.ends_with("Arn") || key.ends_with("arn") => foreign(ctx, key, s),
        Value::Object(members) => members.iter().try_for_each(|(k, v)| check(ctx, k, v)),
        Value::Array(items) => items.iter().try_for_each(|v| check(ctx, key, v)),
        _ => Ok(()),
    }
}

fn foreign(ctx: &RequestContext, key: &str, arn: &str) -> Result<(), ApiError> {
    // Not a Step Functions ARN (a role, a malformed one): the operation judges it.
    let Ok(parsed) = StatesArn::parse(arn) else {
        return Ok(());
    };
    let scope = match &parsed {
        StatesArn::StateMachine(a) => &a.scope,
        StatesArn::Execution(a) => &a.scope,
        StatesArn::Activity(a) => &a.scope,
        StatesArn::MapRun(a) => &a.scope,
    };
    if scope.account == ctx.account_id && scope.region == ctx.region {
        return Ok(());
    }
    let not_found = || ApiError::ResourceNotFound {
        message: format!("Resource not found: '{arn}'"),
        resource_name: Some(arn.to_string()),
    };
    Err(match parsed {
        _ if key == "resourceArn" => not_found(),
        // Aliases, and versions named as such, are resources; machines (and versions started
        // or described as machines) are state machines.
        StatesArn::StateMachine(a)
            if !matches!(a.qualifier, Some(Qualifier::Alias(_))) && key == "stateMachineArn" =>
        {
            ApiError::state_machine_does_not_exist(arn)
        }
        StatesArn::Execution(_) => ApiError::execution_does_not_exist(arn),
        StatesArn::Activity(_) => ApiError::activity_does_not_exist(arn),
        _ => not_found(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> RequestContext {
        RequestContext::new("111111111111", "us-east-1")
    }

    #[test]
    fn own_resources_and_other_arns_pass() {
        let input = json!({
            "stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m",
            "roleArn": "arn:aws:iam::222222222222:role/r",
            "name": "arn:aws:states:us-east-1:222222222222:stateMachine:m",
        });
        assert!(guard(&ctx(), &input).is_ok());
    }

    #[test]
    fn another_account_or_region_does_not_exist() {
        let cases = [
            (
                json!({"stateMachineArn": "arn:aws:states:us-east-1:222222222222:stateMachine:m"}),
                "StateMachineDoesNotExist",
            ),
            (
                json!({"executionArn": "arn:aws:states:eu-west-1:111111111111:execution:m:e"}),
                "ExecutionDoesNotExist",
            ),
            (
                json!({"activityArn": "arn:aws:states:us-east-1:222222222222:activity:a"}),
                "ActivityDoesNotExist",
            ),
            (
                json!({"resourceArn": "arn:aws:states:us-east-1:222222222222:stateMachine:m"}),
                "ResourceNotFound",
            ),
            (
                json!({"routingConfiguration": [{"stateMachineVersionArn": "arn:aws:states:us-east-1:222222222222:stateMachine:m:1"}]}),
                "ResourceNotFound",
            ),
        ];
        for (input, code) in cases {
            let err = guard(&ctx(), &input).unwrap_err();
            assert_eq!(err.code(), code, "{input}");
        }
    }
}
