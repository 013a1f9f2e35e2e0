//! `arn:aws:states:::apigateway:invoke` and `bedrock:invokeModel` against a loopback axum server
//! standing in for an API Gateway stage (`[aws.endpoints] execute-api`) and for Bedrock's
//! runtime endpoint (`[aws] endpoint_url`): the request as sent (stage and path, query lists,
//! header lists, JSON body), the result's shape, Signature Version 4 for `execute-api` with
//! `IAM_ROLE`, `ApiGateway.<status>` failures, parameters refused before any request, and
//! `[aws] allow`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use baton_engine::{ExecutionInfo, TaskRequest};
use baton_integrations::config::Config;
use baton_integrations::{Environment, Resources};
use baton_runtime::integration::{Integrations, TaskResult};
use serde_json::{json, Value};

const INVOKE: &str = "arn:aws:states:::apigateway:invoke";
const API: &str = "abc123.execute-api.us-east-1.amazonaws.com";

/// Counts the requests it saw; answers `{"method", "path", "query", "headers", "body"}`, or
/// 403 with API Gateway's body under `/prod/denied`, or a model's answer under `/model/`.
async fn echo(
    State(seen): State<Arc<AtomicUsize>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    seen.fetch_add(1, Ordering::SeqCst);
    if uri.path() == "/prod/denied" {
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "application/json")],
            r#"{"message":"Missing Authentication Token"}"#,
        )
            .into_response();
    }
    if uri.path().starts_with("/model/") {
        let prompt: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = json!({
            "path": uri.path(),
            "contentType": headers.get("content-type").and_then(|v| v.to_str().ok()),
            "echo": prompt,
        });
        return ([("content-type", "application/json")], answer.to_string()).into_response();
    }
    let mut names = serde_json::Map::new();
    for (n, v) in &headers {
        let entry = names
            .entry(n.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        entry
            .as_array_mut()
            .unwrap()
            .push(json!(v.to_str().unwrap_or("")));
    }
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query().unwrap_or(""),
        "headers": names,
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

/// The server's base URL and its request count.
async fn server() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(any(echo)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (format!("http://{addr}"), seen)
}

fn resources(base: &str, allow: &str) -> Resources {
    let text = format!(
        r#"
[aws]
region = "us-east-1"
access_key_id = "AKIDBATONTEST"
secret_access_key = "secret"
allow = [{allow}]
endpoint_url = "{base}"
[aws.endpoints]
execute-api = "{base}"
"#
    );
    let config =
        Config::parse(&text, "test", std::path::Path::new("."), Vec::new()).expect("valid config");
    Resources::new(
        &config,
        Environment {
            endpoint_url: None,
            s3_endpoint_url: None,
            data_dir: std::env::temp_dir(),
        },
    )
}

async fn call(r: &Resources, resource: &str, params: Value) -> TaskResult {
    let info = ExecutionInfo::standard("aws", "us-east-1", "111111111111", "machine", "run");
    let request = TaskRequest {
        id: 1,
        state_name: "Call".into(),
        resource: resource.into(),
        input: params,
        token: None,
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        purpose: Default::default(),
        trace: None,
    };
    r.invoke(&info, &request, false).await
}

fn succeeded(result: TaskResult) -> Value {
    match result {
        TaskResult::Succeeded(out) => out,
        other => panic!("expected success, got {other:?}"),
    }
}

const ALLOWED: &str = r#""execute-api:Invoke", "bedrock:InvokeModel""#;

#[tokio::test]
async fn get_with_query_parameters() {
    let (base, _) = server().await;
    let r = resources(&base, ALLOWED);
    let out = succeeded(
        call(
            &r,
            INVOKE,
            json!({"ApiEndpoint": API, "Method": "GET", "Stage": "prod", "Path": "bills",
                   "QueryParameters": {"billId": ["123", "456"], "q": ["a b"]}}),
        )
        .await,
    );
    assert_eq!(out["StatusCode"], 200, "{out}");
    assert_eq!(out["StatusText"], "OK", "{out}");
    assert_eq!(out["Headers"]["Content-Type"], json!(["application/json"]));
    let seen = &out["ResponseBody"];
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["path"], "/prod/bills");
    assert_eq!(seen["query"], "billId=123&billId=456&q=a%20b");
    // Unsigned: NO_AUTH is the default.
    assert!(seen["headers"].get("authorization").is_none(), "{seen}");
}

#[tokio::test]
async fn post_with_a_json_body_and_header_lists() {
    let (base, _) = server().await;
    let r = resources(&base, ALLOWED);
    let out = succeeded(
        call(
            &r,
            INVOKE,
            json!({"ApiEndpoint": API, "Method": "POST", "Stage": "prod", "Path": "bills/add",
                   "Headers": {"custom_header": ["arrayHeader0", "arrayHeader1"]},
                   "RequestBody": {"message": "HelloWorld!", "none": null},
                   "AuthType": "NO_AUTH"}),
        )
        .await,
    );
    let seen = &out["ResponseBody"];
    assert_eq!(seen["path"], "/prod/bills/add");
    assert_eq!(
        seen["headers"]["custom_header"],
        json!(["arrayHeader0", "arrayHeader1"])
    );
    assert_eq!(seen["headers"]["content-type"], json!(["application/json"]));
    // Nulls are not sent unless AllowNullValues.
    assert_eq!(seen["body"], r#"{"message":"HelloWorld!"}"#);
}

#[tokio::test]
async fn iam_role_signs_for_execute_api() {
    let (base, _) = server().await;
    let r = resources(&base, ALLOWED);
    let out = succeeded(
        call(
            &r,
            INVOKE,
            json!({"ApiEndpoint": API, "Method": "GET", "Stage": "prod", "Path": "me",
                   "AuthType": "IAM_ROLE"}),
        )
        .await,
    );
    let seen = &out["ResponseBody"];
    let auth = seen["headers"]["authorization"][0].as_str().unwrap_or("");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDBATONTEST/"),
        "{auth}"
    );
    assert!(
        auth.contains("/us-east-1/execute-api/aws4_request"),
        "{auth}"
    );
    assert!(seen["headers"].get("x-amz-date").is_some(), "{seen}");
}

#[tokio::test]
async fn a_403_fails_with_api_gateway_status_and_the_body() {
    let (base, _) = server().await;
    let r = resources(&base, ALLOWED);
    let result = call(
        &r,
        INVOKE,
        json!({"ApiEndpoint": API, "Method": "POST", "Stage": "prod", "Path": "denied",
               "RequestBody": "HelloWorld"}),
    )
    .await;
    assert_eq!(
        result,
        TaskResult::Failed {
            error: Some("ApiGateway.403".into()),
            cause: Some(r#"{"message":"Missing Authentication Token"}"#.into()),
        }
    );
}

#[tokio::test]
async fn refused_parameters_send_nothing() {
    let (base, seen) = server().await;
    let r = resources(&base, ALLOWED);
    let params = json!({"ApiEndpoint": API, "Method": "POST", "Stage": "prod", "Path": "x",
                        "Headers": {"custom_header": "singleStringHeader"}});
    match call(&r, INVOKE, params.clone()).await {
        TaskResult::Rejected(cause) => assert_eq!(
            cause,
            format!("The Parameters '{params}' could not be used to start the Task: [The value of the field 'Headers' has an invalid format]")
        ),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let refused = json!({"ApiEndpoint": API, "Method": "GET", "Headers": {"Authorization": ["x"]}});
    match call(&r, INVOKE, refused).await {
        TaskResult::Rejected(cause) => assert!(
            cause.ends_with("[The 'Headers' field contains unsupported values: [authorization]]"),
            "{cause}"
        ),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let unknown = json!({"ApiEndpoint": API, "Method": "GET", "Body": {}});
    match call(&r, INVOKE, unknown).await {
        TaskResult::Rejected(cause) => assert!(
            cause.ends_with("[The field \"Body\" is not supported by Step Functions]"),
            "{cause}"
        ),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0, "the server saw a request");
}

#[tokio::test]
async fn the_allow_list_refuses_invoke() {
    let (base, seen) = server().await;
    let r = resources(&base, r#""bedrock:InvokeModel""#);
    let result = call(
        &r,
        INVOKE,
        json!({"ApiEndpoint": API, "Method": "GET", "Stage": "prod", "Path": "x"}),
    )
    .await;
    match result {
        TaskResult::Failed {
            error: Some(error),
            cause: Some(cause),
        } => {
            assert_eq!(error, "States.Runtime");
            assert!(
                cause.contains("execute-api:Invoke is not allowed"),
                "{cause}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(seen.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bedrock_invoke_model_sends_json_and_parses_the_answer() {
    let (base, _) = server().await;
    let r = resources(&base, ALLOWED);
    let out = succeeded(
        call(
            &r,
            "arn:aws:states:::bedrock:invokeModel",
            json!({"ModelId": "anthropic.claude-v2", "ContentType": "application/json",
                   "Body": {"prompt": "Hello", "max_tokens_to_sample": 20}}),
        )
        .await,
    );
    assert_eq!(out["ContentType"], "application/json", "{out}");
    assert_eq!(out["Body"]["path"], "/model/anthropic.claude-v2/invoke");
    assert_eq!(out["Body"]["contentType"], "application/json");
    assert_eq!(
        out["Body"]["echo"],
        json!({"prompt": "Hello", "max_tokens_to_sample": 20})
    );
    // The S3 forms of the input and output are refused, not half done.
    let result = call(
        &r,
        "arn:aws:states:::bedrock:invokeModel",
        json!({"ModelId": "m", "Input": {"S3Uri": "s3://b/k"}}),
    )
    .await;
    assert!(
        matches!(&result, TaskResult::Failed { error: Some(e), .. } if e == "States.Runtime"),
        "{result:?}"
    );
}
