//! `arn:aws:states:::aws-sdk:<service>:<action>`: any operation of any service with a model,
//! answered and failed as Step Functions' AWS SDK integrations answer ("Learning to use AWS
//! service SDK integrations in Step Functions", AWS Step Functions Developer Guide):
//!
//! * the result is the operation's output with the AWS SDK for Java 2.x's member names;
//! * a service's error is `<ServiceName>.<ErrorName>`, both in PascalCase, the error name with
//!   `Exception` appended when the service's own lacks it (`S3.BucketAlreadyExistsException`);
//!   codes the model does not declare are the client's base exception (`DynamoDb.DynamoDbException`,
//!   recorded from AWS in `error-handling-dynamodb-invalid-param`);
//! * the cause is the 2.x SDK's message: `<message> (Service: <ServiceName>, Status Code: <n>,
//!   Request ID: <id>) (SDK Attempt Count: <n>)`, as recorded from AWS in November 2025
//!   (`services-sfn-send-task-outcome-with-no-such-token`; recordings from 2023 to January 2025
//!   lack the attempt count, which the 2.x SDK added to its messages since).

use baton_aws::client::{Call, CallError, Client};
use baton_aws::names;
use serde_json::Value;

use super::{rejected, Refused};
use crate::Failure;

/// Calls `action` (`putItem`) of `service` (`dynamodb`).
pub(crate) async fn call(
    client: &Client,
    resource: &str,
    service: &str,
    action: &str,
    params: &Value,
    region: &str,
    role_arn: Option<&str>,
) -> Result<Value, Refused> {
    let model = client.service(service).map_err(|e| runtime(resource, &e))?;
    let op = model.action(action).map_err(|e| runtime(resource, &e))?;
    let call = Call {
        service,
        operation: &op.name,
        params,
        region,
        role_arn,
    };
    match client.call(call).await {
        Ok(answer) => Ok(answer.output),
        Err(e) => Err(failure(resource, params, e)),
    }
}

/// `States.Runtime` for what stopped the call before any request: Step Functions' own refusal.
fn runtime(resource: &str, why: &dyn std::fmt::Display) -> Failure {
    (
        "States.Runtime".to_string(),
        format!("An error occurred while calling {resource}: {why}"),
    )
}

/// A call's failure as the task's.
pub(crate) fn failure(resource: &str, params: &Value, e: CallError) -> Refused {
    Refused::Failed(match e {
        CallError::Params(p) => return rejected(params, &p),
        CallError::Service {
            service,
            error,
            attempts,
        } => {
            let mut details = format!(
                "Service: {}, Status Code: {}, Request ID: {}",
                service.java_name,
                error.status,
                error.request_id.as_deref().unwrap_or("null")
            );
            if let Some(extended) = &error.extended_request_id {
                details.push_str(&format!(", Extended Request ID: {extended}"));
            }
            let message = error.message.as_deref().unwrap_or("null");
            (
                names::error_name(&service, &error.code),
                format!("{message} ({details}) (SDK Attempt Count: {attempts})"),
            )
        }
        // The 2.x SDK's `SdkClientException`: no answer came.
        CallError::Transport {
            service,
            error,
            attempts,
        } => (
            format!("{}.SdkClientException", service.java_name),
            format!("Unable to execute HTTP request: {error} (SDK Attempt Count: {attempts})"),
        ),
        e => runtime(resource, &e),
    })
}

/// `aws-sdk:sfn:<action>`: Baton's own Step Functions API, called in process in the
/// execution's account and region, with the same request and answer as over HTTP.
pub(crate) async fn call_in_process(
    client: &Client,
    nested: &crate::nested::Nested,
    info: &baton_engine::ExecutionInfo,
    resource: &str,
    action: &str,
    params: &Value,
) -> Result<Value, Refused> {
    let service = client.service("sfn").map_err(|e| runtime(resource, &e))?;
    let op = service.action(action).map_err(|e| runtime(resource, &e))?;
    let request = baton_aws::protocol::serialize(&service.model, op, params)
        .map_err(|e| rejected(params, &e))?;
    let (status, body) = nested.invoke_api(info, &op.name, &request.body).await?;
    let response = baton_aws::HttpResponse {
        status,
        headers: vec![(
            "x-amzn-RequestId".to_string(),
            uuid::Uuid::new_v4().to_string(),
        )],
        body: body.into(),
    };
    baton_aws::protocol::parse(&service.model, op, &response).map_err(|error| {
        failure(
            resource,
            params,
            CallError::Service {
                service: service.clone(),
                error,
                attempts: 1,
            },
        )
    })
}
