//! The optimized integrations' shapes. Step Functions' optimized integrations (`dynamodb:putItem`,
//! `sns:publish`, `sqs:sendMessage`, …) answer as the AWS SDK for Java 1.x's result objects
//! serialised to JSON, which AWS's recordings in the conformance corpus show:
//!
//! * a structure's members in alphabetical order (`ExecutionArn`, `SdkHttpMetadata`,
//!   `SdkResponseMetadata`, `StartDate`: `services-start-execution-input-json`; `MD5OfMessageBody`,
//!   `MessageId`, …: the `sqs:sendMessage` recordings), absent members left out;
//! * timestamps as milliseconds since the epoch (a `java.util.Date` in Jackson's default form);
//! * the HTTP exchange as `SdkHttpMetadata` (`AllHttpHeaders`: every header with its list of
//!   values; `HttpHeaders`: the first values, by name in case-insensitive order; `HttpStatusCode`)
//!   and `SdkResponseMetadata` (`RequestId`);
//! * errors named `<Prefix>.<exception class>` — the modeled error's class, or the client's base
//!   exception for a code the model does not declare (`DynamoDB.AmazonDynamoDBException` for
//!   DynamoDB's `ValidationException`: `error-handling-invalid-param`) — with the 1.x SDK's
//!   cause: `<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: …; Request ID:
//!   …; Proxy: null)`.

use std::borrow::Cow;

use baton_aws::model::{ServiceModel, Shape};
use baton_aws::ServiceError;
use serde_json::{json, Map, Value};

use crate::Failure;

/// An optimized integration's names in the AWS SDK for Java 1.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct V1Names {
    /// The error names' prefix (`DynamoDB` in `DynamoDB.ConditionalCheckFailedException`).
    pub prefix: &'static str,
    /// The client's base exception, for codes the model does not declare.
    pub base_exception: &'static str,
    /// The client's service name in causes (`Service: AmazonDynamoDBv2`).
    pub client: &'static str,
}

/// The names of the optimized integration `resource_type` (`dynamodb`, `sns`, …). Recorded from
/// AWS: DynamoDB's three, SNS's prefix and client, Lambda's (see `functions`), Step Functions'
/// (see `nested`) and ECS's (see `ecs`); the others follow the same 1.x client classes
/// (`AWSBatchClient`, `AWSGlueClient`, `AmazonAthenaClient`, …).
pub(crate) fn names(resource_type: &str) -> Option<V1Names> {
    let (prefix, base_exception, client) = match resource_type {
        "dynamodb" => ("DynamoDB", "AmazonDynamoDBException", "AmazonDynamoDBv2"),
        "sns" => ("SNS", "AmazonSNSException", "AmazonSNS"),
        "sqs" => ("SQS", "AmazonSQSException", "AmazonSQS"),
        "events" => (
            "EventBridge",
            "AmazonEventBridgeException",
            "AmazonEventBridge",
        ),
        "ecs" => ("ECS", "AmazonECSException", "AmazonECS"),
        "batch" => ("Batch", "AWSBatchException", "AWSBatch"),
        "glue" => ("Glue", "AWSGlueException", "AWSGlue"),
        "codebuild" => ("CodeBuild", "AWSCodeBuildException", "AWSCodeBuild"),
        "athena" => ("Athena", "AmazonAthenaException", "AmazonAthena"),
        "sagemaker" => ("SageMaker", "AmazonSageMakerException", "AmazonSageMaker"),
        "lambda" => ("Lambda", "AWSLambdaException", "AWSLambda"),
        "states" => (
            "StepFunctions",
            "AWSStepFunctionsException",
            "AWSStepFunctions",
        ),
        "bedrock" => (
            "Bedrock",
            "AmazonBedrockRuntimeException",
            "AmazonBedrockRuntime",
        ),
        _ => return None,
    };
    Some(V1Names {
        prefix,
        base_exception,
        client,
    })
}

/// A header's name as AWS's services spell it (HTTP libraries give them lower-cased): the
/// spellings recorded from AWS for Amazon's own headers (DynamoDB's, Lambda's and API
/// Gateway's answers in the conformance corpus), each word capitalised for the rest
/// (`Content-Type`, `X-Cache`).
pub(crate) fn header_name(name: &str) -> Cow<'_, str> {
    const KNOWN: &[&str] = &[
        "x-amzn-RequestId",
        "x-amz-crc32",
        "x-amz-id-2",
        "x-amz-request-id",
        "x-amzn-ErrorType",
        "x-amzn-Remapped-Content-Length",
        "X-Amz-Executed-Version",
        "X-Amz-Function-Error",
        "X-Amz-Log-Result",
        "X-Amzn-Trace-Id",
        "x-amz-apigw-id",
        "X-Amz-Cf-Id",
        "X-Amz-Cf-Pop",
    ];
    if let Some(known) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return Cow::Borrowed(known);
    }
    if name.starts_with("x-amz") {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = c == '-';
    }
    Cow::Owned(out)
}

/// `SdkHttpMetadata` and `SdkResponseMetadata` of one answer.
pub(crate) fn http_metadata(
    status: u16,
    headers: &[(String, String)],
    request_id: &str,
) -> (Value, Value) {
    let mut all = Map::new();
    for (name, value) in headers {
        let name = header_name(name).into_owned();
        match all.get_mut(&name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                all.insert(name, json!([value]));
            }
        }
    }
    let mut first: Vec<(String, Value)> = all
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.get(0)?.clone())))
        .collect();
    first.sort_by_key(|(k, _)| k.to_ascii_lowercase());
    let http = json!({
        "AllHttpHeaders": all,
        "HttpHeaders": first.into_iter().collect::<Map<_, _>>(),
        "HttpStatusCode": status,
    });
    (http, json!({ "RequestId": request_id }))
}

/// `output` (the answer parsed with Step Functions' member names, timestamps as ISO 8601) as
/// the 1.x SDK's result object serialises, with the HTTP exchange's metadata when `metadata`.
pub(crate) fn render(
    model: &ServiceModel,
    shape: Option<&str>,
    output: Value,
    metadata: Option<(Value, Value)>,
) -> Value {
    let mut out = match shape.and_then(|s| model.shape(s)) {
        Some(shape) => render_value(model, shape, output),
        None => output,
    };
    if let Some((http, response)) = metadata {
        if !out.is_object() {
            out = json!({});
        }
        if let Value::Object(map) = &mut out {
            map.insert("SdkHttpMetadata".into(), http);
            map.insert("SdkResponseMetadata".into(), response);
            sort(map);
        }
    }
    out
}

/// The shape of `shape`'s member that Step Functions names `name`.
pub(crate) fn member_shape<'m>(
    model: &'m ServiceModel,
    shape: &Shape,
    name: &str,
) -> Option<&'m Shape> {
    shape
        .members
        .iter()
        .find(|(m, _)| baton_aws::names::member_name(m) == name)
        .and_then(|(_, r)| model.shape(&r.shape))
}

fn render_value(model: &ServiceModel, shape: &Shape, value: Value) -> Value {
    match (shape.kind.as_str(), value) {
        ("structure", Value::Object(map)) => {
            let mut out = Map::new();
            for (name, v) in map {
                let v = match member_shape(model, shape, &name) {
                    Some(s) => render_value(model, s, v),
                    None => v,
                };
                out.insert(name, v);
            }
            sort(&mut out);
            Value::Object(out)
        }
        ("list", Value::Array(items)) => {
            let Some(member) = shape.member.as_ref().and_then(|m| model.shape(&m.shape)) else {
                return Value::Array(items);
            };
            Value::Array(
                items
                    .into_iter()
                    .map(|v| render_value(model, member, v))
                    .collect(),
            )
        }
        ("map", Value::Object(map)) => {
            let Some(value) = shape.value.as_ref().and_then(|m| model.shape(&m.shape)) else {
                return Value::Object(map);
            };
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, render_value(model, value, v)))
                    .collect(),
            )
        }
        ("timestamp", Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => json!(t.timestamp_millis()),
            Err(_) => Value::String(s),
        },
        (_, v) => v,
    }
}

/// A structure's members in alphabetical order, as the 1.x results serialise.
fn sort(map: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    map.extend(entries);
}

/// The exception class the 1.x SDK throws for `code`: the model's error shape with that code
/// (or name), `Exception` appended when its name lacks it; else the client's base exception.
pub(crate) fn exception_class(model: &ServiceModel, names: V1Names, code: &str) -> String {
    let modeled = model.shapes.iter().find(|(name, shape)| {
        shape.exception
            && (shape
                .error
                .as_ref()
                .and_then(|e| e.code.as_deref())
                .is_some_and(|c| c == code)
                || name.as_str() == code)
    });
    match modeled {
        Some((name, _)) if name.ends_with("Exception") => name.clone(),
        Some((name, _)) => format!("{name}Exception"),
        None => names.base_exception.to_string(),
    }
}

/// A service's error as the optimized integration fails the task.
pub(crate) fn service_failure(model: &ServiceModel, names: V1Names, e: &ServiceError) -> Failure {
    let class = exception_class(model, names, &e.code);
    let request_id = e.request_id.as_deref().unwrap_or("null");
    let message = e.message.as_deref().unwrap_or("null");
    (
        format!("{}.{class}", names.prefix),
        format!(
            "{message} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {request_id}; Proxy: null)",
            names.client, e.status, e.code
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_spelled_as_aws_sends_them() {
        assert_eq!(header_name("x-amzn-requestid"), "x-amzn-RequestId");
        assert_eq!(header_name("content-type"), "Content-Type");
        assert_eq!(header_name("x-amz-crc32"), "x-amz-crc32");
        assert_eq!(header_name("date"), "Date");
    }

    #[test]
    fn metadata_lists_every_value_and_sorts_first_values() {
        let headers = vec![
            ("x-amzn-requestid".to_string(), "r1".to_string()),
            (
                "content-type".to_string(),
                "application/x-amz-json-1.0".to_string(),
            ),
            ("set-cookie".to_string(), "a".to_string()),
            ("set-cookie".to_string(), "b".to_string()),
        ];
        let (http, response) = http_metadata(200, &headers, "r1");
        assert_eq!(http["AllHttpHeaders"]["Set-Cookie"], json!(["a", "b"]));
        assert_eq!(http["HttpHeaders"]["Set-Cookie"], "a");
        let order: Vec<&String> = http["HttpHeaders"].as_object().unwrap().keys().collect();
        assert_eq!(order, ["Content-Type", "Set-Cookie", "x-amzn-RequestId"]);
        assert_eq!(http["HttpStatusCode"], 200);
        assert_eq!(response, json!({"RequestId": "r1"}));
    }
}
