//! The optimized integrations on real AWS or any compatible endpoint: `dynamodb:getItem`,
//! `sns:publish`, `sqs:sendMessage`, `events:putEvents`, `batch:submitJob`, … Each action is
//! the service's operation of the same name (`putItem` → `PutItem`), called with the Task's
//! parameters through the service's model and answered in the optimized integrations' own
//! shapes (`v1`).
//!
//! What the optimized integrations do beyond the operation, each from AWS's documentation of
//! the integration or AWS's recordings in the conformance corpus:
//!
//! * a text member given JSON is sent as its JSON text: SNS's `Message` (`"Message": {}` is
//!   published as `{}`: `services-publish-message-attributes`), SQS's `MessageBody` ("Call
//!   Amazon SQS with Step Functions": the message body may be JSON), EventBridge's `Detail`
//!   (`services-put-events-base` passes an object); a `null` member is left out (SQS answers
//!   `MissingParameter`: `error-handling-send-message-empty-body`);
//! * `events:putEvents` answers `Entries` and `FailedEntryCount` only, and fails with
//!   `EventBridge.FailedEntry`, the answer as the cause, when an entry failed
//!   (`services-put-events-malformed-detail`, `services-put-events-no-source`);
//! * `lambda:invoke` gives the function's JSON payload back as JSON, `bedrock:invokeModel` the
//!   model's body ("Invoke and customize Amazon Bedrock models with Step Functions").

use baton_aws::client::{Call, CallError, Client};
use baton_aws::model::{ServiceModel, Shape};
use baton_aws::registry::Service;
use serde_json::{json, Map, Value};

use super::v1::{self, V1Names};
use super::{rejected, Refused};
use crate::Failure;

/// An optimized integration Baton calls through the service's model: Step Functions' name of
/// the service, and the actions.
pub(crate) fn service_of(resource_type: &str, action: &str) -> Option<&'static str> {
    let service = match (resource_type, action) {
        ("dynamodb", "getItem" | "putItem" | "updateItem" | "deleteItem") => "dynamodb",
        ("sns", "publish") => "sns",
        ("sqs", "sendMessage") => "sqs",
        ("events", "putEvents") => "eventbridge",
        ("ecs", "runTask") => "ecs",
        ("batch", "submitJob") => "batch",
        ("glue", "startJobRun") => "glue",
        ("codebuild", "startBuild") => "codebuild",
        (
            "athena",
            "startQueryExecution" | "getQueryExecution" | "getQueryResults" | "stopQueryExecution",
        ) => "athena",
        ("sagemaker", "createTrainingJob") => "sagemaker",
        ("lambda", "invoke") => "lambda",
        ("states", "startExecution") => "sfn",
        ("bedrock", "invokeModel") => "bedrockruntime",
        _ => return None,
    };
    Some(service)
}

/// One optimized call's outcome: the task's result, and the service it came from.
pub(crate) struct Called {
    pub output: Value,
    pub service: std::sync::Arc<Service>,
}

/// Calls the operation behind `resource_type:action` and shapes its answer.
pub(crate) async fn call(
    client: &Client,
    resource_type: &str,
    action: &str,
    params: &Value,
    region: &str,
    role_arn: Option<&str>,
) -> Result<Called, Refused> {
    let names = v1::names(resource_type).expect("every optimized integration has its names");
    let Some(sfn_name) = service_of(resource_type, action) else {
        return Err(Refused::Failed((
            "States.Runtime".into(),
            format!("Baton does not call {resource_type}:{action} on AWS"),
        )));
    };
    if resource_type == "bedrock" {
        // "Invoke and customize Amazon Bedrock models with Step Functions": `Input.S3Uri` reads
        // the request body from Amazon S3 and `Output.S3Uri` writes the model's answer there.
        // Baton does not carry these through to S3 and says so rather than send a request the
        // model would read differently.
        if let Some(field) = ["Input", "Output"]
            .into_iter()
            .find(|f| params.get(f).is_some())
        {
            return Err(Refused::Failed((
                "States.Runtime".into(),
                format!("bedrock:invokeModel: Baton does not support the field '{field}' (S3Uri); give the model's input as Body"),
            )));
        }
    }
    let service = client
        .service(sfn_name)
        .map_err(|e| ("States.Runtime".to_string(), e.to_string()))?;
    let op = service
        .operation_for_action(action)
        .ok_or_else(|| {
            (
                "States.Runtime".to_string(),
                format!("the model of {sfn_name} has no operation for {action}"),
            )
        })?
        .clone();
    let input = match op
        .input
        .as_ref()
        .and_then(|r| service.model.shape(&r.shape))
    {
        Some(shape) => coerce(&service.model, shape, params),
        None => params.clone(),
    };
    let call = Call {
        service: sfn_name,
        operation: &op.name,
        params: &input,
        region,
        role_arn,
    };
    let answer = client.call(call).await.map_err(|e| match e {
        CallError::Params(p) => rejected(params, &p),
        e => Refused::Failed(failure(resource_type, names, e)),
    })?;
    let output_shape = op.output.as_ref().map(|r| r.shape.as_str());
    let output = match resource_type {
        "events" => {
            let out = v1::render(&service.model, output_shape, answer.output.clone(), None);
            if out.get("FailedEntryCount").and_then(Value::as_i64) > Some(0) {
                return Err(Refused::Failed((
                    "EventBridge.FailedEntry".into(),
                    out.to_string(),
                )));
            }
            out
        }
        "bedrock" => {
            let mut out = answer.output.clone();
            parse_json_blob(&mut out, "Body");
            out
        }
        // A function error (Lambda's `X-Amz-Function-Error`) fails the task with the error
        // the payload names, as for a function configured here.
        "lambda" if answer.output.get("FunctionError").is_some() => {
            let payload = answer.output.get("Payload").and_then(Value::as_str);
            return Err(Refused::Failed(crate::functions::error_of_payload(
                payload.unwrap_or_default(),
            )));
        }
        _ => {
            let metadata = v1::http_metadata(
                answer.response.status,
                &answer.response.headers,
                answer.response.request_id().unwrap_or_default(),
            );
            let mut out = v1::render(
                &service.model,
                output_shape,
                answer.output.clone(),
                Some(metadata),
            );
            if resource_type == "lambda" {
                parse_json_blob(&mut out, "Payload");
            }
            out
        }
    };
    Ok(Called { output, service })
}

/// A blob member that holds JSON, as that JSON (blobs come out of `baton_aws` as their text
/// when it is UTF-8); anything else stays as it is.
fn parse_json_blob(out: &mut Value, member: &str) {
    let Some(Value::String(text)) = out.get(member) else {
        return;
    };
    if let Ok(parsed) = serde_json::from_str::<Value>(text) {
        out[member] = parsed;
    }
}

/// The Task's parameters as the optimized integrations send them: JSON given for a text or
/// blob member becomes its JSON text, `null` members are left out.
pub(crate) fn coerce(model: &ServiceModel, shape: &Shape, value: &Value) -> Value {
    match (shape.kind.as_str(), value) {
        ("structure", Value::Object(map)) => {
            let mut out = Map::new();
            for (name, v) in map {
                if v.is_null() {
                    continue;
                }
                let v = match v1::member_shape(model, shape, name) {
                    Some(s) => coerce(model, s, v),
                    None => v.clone(),
                };
                out.insert(name.clone(), v);
            }
            Value::Object(out)
        }
        ("list", Value::Array(items)) => {
            match shape.member.as_ref().and_then(|m| model.shape(&m.shape)) {
                Some(member) => {
                    Value::Array(items.iter().map(|v| coerce(model, member, v)).collect())
                }
                None => value.clone(),
            }
        }
        ("map", Value::Object(map)) => {
            match shape.value.as_ref().and_then(|m| model.shape(&m.shape)) {
                Some(inner) => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), coerce(model, inner, v)))
                        .collect(),
                ),
                None => value.clone(),
            }
        }
        (
            "string" | "blob",
            v @ (Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_)),
        ) => {
            json!(v.to_string())
        }
        _ => value.clone(),
    }
}

/// A call's failure as the optimized integration fails the task.
pub(crate) fn failure(resource_type: &str, names: V1Names, e: CallError) -> Failure {
    match e {
        CallError::Service { service, error, .. } => {
            v1::service_failure(&service.model, names, &error)
        }
        // The 1.x SDK's `SdkClientException`: no answer came.
        CallError::Transport { error, .. } => (
            format!("{}.SdkClientException", names.prefix),
            format!("Unable to execute HTTP request: {error}"),
        ),
        e => (
            "States.Runtime".to_string(),
            format!("An error occurred while calling {resource_type}: {e}"),
        ),
    }
}
