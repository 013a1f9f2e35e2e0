//! The HTTP transport without a socket: requests in, AWS JSON 1.0 responses out, against a fake
//! service.

mod support;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use baton_server::{app, Config, BODY_LIMIT};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use support::FakeService;
use tower::ServiceExt;

const AMZ_JSON: &str = "application/x-amz-json-1.0";
const SIGNED_BY_ACCOUNT: &str = "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-2/states/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef";
const SIGNED_BY_KEY: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/ap-southeast-2/states/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef";
const EXECUTION_ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:Hello:missing";

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

fn server() -> (Arc<FakeService>, Router) {
    let service = Arc::new(FakeService::default());
    (service.clone(), app(service, Config::default()))
}

/// A `POST /` as the SDKs start it: the target and the content type.
fn call(target: &str) -> axum::http::request::Builder {
    Request::post("/")
        .header("x-amz-target", target)
        .header("content-type", AMZ_JSON)
}

async fn send(app: Router, request: Request<Body>) -> Answer {
    let response = app
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a readable body")
        .to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Sends `body` to `AWSStepFunctions.<operation>` on a fresh server.
async fn invoke(operation: &str, body: &str) -> Answer {
    let (_, app) = server();
    let request = call(&format!("AWSStepFunctions.{operation}"))
        .body(Body::from(body.to_owned()))
        .expect("a valid request");
    send(app, request).await
}

fn assert_error(answer: &Answer, status: u16, body: Value) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.body, body);
    assert_eq!(answer.headers["content-type"], AMZ_JSON);
    assert!(answer.headers.contains_key("x-amzn-requestid"));
    // The code after `#` in `__type`, again in the header.
    let code = body["__type"]
        .as_str()
        .and_then(|t| t.rsplit('#').next())
        .expect("a __type");
    assert_eq!(answer.headers["x-amzn-errortype"], code);
}

#[tokio::test]
async fn an_operation_answers_its_output_with_the_protocol_headers() {
    let (service, app) = server();
    let request = call("AWSStepFunctions.ListStateMachines")
        .body(Body::from("{}"))
        .expect("a valid request");
    let answer = send(app, request).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], AMZ_JSON);
    assert_eq!(
        answer.body,
        json!({"stateMachines": [{
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Hello",
            "name": "Hello",
            "type": "STANDARD",
            "creationDate": 1700000000.123,
        }]})
    );
    let request_id = answer.headers["x-amzn-requestid"]
        .to_str()
        .expect("an ASCII request id");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    let seen = service.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].request_id, request_id);
}

#[tokio::test]
async fn every_request_has_its_own_request_id() {
    let (service, app) = server();
    for _ in 0..2 {
        let request = call("AWSStepFunctions.ListStateMachines")
            .body(Body::from("{}"))
            .expect("a valid request");
        send(app.clone(), request).await;
    }
    let seen = service.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].request_id, seen[1].request_id);
}

#[tokio::test]
async fn an_empty_body_reads_as_an_empty_object() {
    let answer = invoke("ListStateMachines", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn any_content_type_or_none_is_accepted() {
    for content_type in [Some("application/json"), Some("text/plain"), None] {
        let (_, app) = server();
        let mut request =
            Request::post("/").header("x-amz-target", "AWSStepFunctions.ListStateMachines");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = send(
            app,
            request.body(Body::from("{}")).expect("a valid request"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{content_type:?}");
        assert_eq!(answer.headers["content-type"], AMZ_JSON);
    }
}

#[tokio::test]
async fn any_host_is_accepted_including_the_sync_prefix() {
    let (_, app) = server();
    let request = call("AWSStepFunctions.StartSyncExecution")
        .header("host", "sync-localhost:8083")
        .body(Body::from(
            r#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Hello", "name": "one", "input": "{\"a\":1}"}"#,
        ))
        .expect("a valid request");
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "SUCCEEDED");
    assert_eq!(answer.body["output"], r#"{"a":1}"#);
}

#[tokio::test]
async fn a_missing_target_is_an_unknown_operation() {
    let (service, app) = server();
    let request = Request::post("/")
        .header("content-type", AMZ_JSON)
        .body(Body::from("{}"))
        .expect("a valid request");
    let answer = send(app, request).await;
    assert_error(
        &answer,
        400,
        json!({"__type": "com.amazon.coral.service#UnknownOperationException"}),
    );
    assert!(service.seen().is_empty());
}

#[tokio::test]
async fn an_unknown_target_is_an_unknown_operation() {
    for target in [
        "AWSStepFunctions.Frobnicate",
        "AWSStepFunctions.listStateMachines",
        "AWSStepFunctions.",
        "AWSStepFunctions",
        "AWSStepFunctionsListStateMachines",
        "DynamoDB_20120810.ListTables",
        "ListStateMachines",
        "",
    ] {
        let (_, app) = server();
        let request = call(target)
            .body(Body::from("{}"))
            .expect("a valid request");
        let answer = send(app, request).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{target:?}");
        assert_eq!(
            answer.body,
            json!({"__type": "com.amazon.coral.service#UnknownOperationException"}),
            "{target:?}"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_serialization_exception() {
    for body in ["{", "not json", "[1, 2", "\u{0}"] {
        let answer = invoke("ListStateMachines", body).await;
        assert_error(
            &answer,
            400,
            json!({"__type": "com.amazon.coral.service#SerializationException"}),
        );
    }
}

#[tokio::test]
async fn a_member_of_the_wrong_type_is_a_serialization_exception() {
    let answer = invoke("DescribeExecution", r#"{"executionArn": 12}"#).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body["__type"],
        "com.amazon.coral.service#SerializationException"
    );
}

#[tokio::test]
async fn a_broken_constraint_is_a_validation_exception_in_aws_words() {
    let answer = invoke("DescribeExecution", r#"{"executionArn": ""}"#).await;
    assert_error(
        &answer,
        400,
        json!({
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": "1 validation error detected: Value '' at 'executionArn' failed to satisfy constraint: Member must have length greater than or equal to 1",
        }),
    );

    let answer = invoke("ListStateMachines", r#"{"maxResults": 1001}"#).await;
    assert_error(
        &answer,
        400,
        json!({
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
        }),
    );
}

#[tokio::test]
async fn an_error_from_the_service_keeps_its_status_and_type() {
    let body = json!({"executionArn": EXECUTION_ARN}).to_string();
    let answer = invoke("DescribeExecution", &body).await;
    assert_error(
        &answer,
        400,
        json!({
            "__type": "com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist",
            "message": format!("Execution Does Not Exist: '{EXECUTION_ARN}'"),
        }),
    );
}

#[tokio::test]
async fn an_internal_failure_is_a_server_error() {
    let body = json!({"activityArn": "arn:aws:states:us-east-1:123456789012:activity:Work"});
    let answer = invoke("DescribeActivity", &body.to_string()).await;
    assert_error(
        &answer,
        500,
        json!({
            "__type": "com.amazon.coral.service#InternalFailure",
            "message": "the store is unavailable",
        }),
    );
}

/// Lists state machines with this `Authorization` and answers the context the service saw.
async fn caller_with(authorization: Option<&str>) -> baton_api::RequestContext {
    let (service, app) = server();
    let mut request = call("AWSStepFunctions.ListStateMachines");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let answer = send(
        app,
        request.body(Body::from("{}")).expect("a valid request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut seen = service.seen();
    assert_eq!(seen.len(), 1);
    seen.remove(0)
}

#[tokio::test]
async fn a_twelve_digit_access_key_id_is_the_account() {
    let ctx = caller_with(Some(SIGNED_BY_ACCOUNT)).await;
    assert_eq!(
        (ctx.account_id.as_str(), ctx.region.as_str()),
        ("111122223333", "eu-west-2")
    );
}

#[tokio::test]
async fn another_access_key_id_acts_in_the_default_account() {
    let ctx = caller_with(Some(SIGNED_BY_KEY)).await;
    assert_eq!(
        (ctx.account_id.as_str(), ctx.region.as_str()),
        ("123456789012", "ap-southeast-2")
    );
}

#[tokio::test]
async fn without_a_credential_scope_the_config_decides() {
    for authorization in [
        None,
        Some("garbage"),
        Some("AWS4-HMAC-SHA256 Signature=abc"),
    ] {
        let ctx = caller_with(authorization).await;
        assert_eq!(
            (ctx.account_id.as_str(), ctx.region.as_str()),
            ("123456789012", "us-east-1"),
            "{authorization:?}"
        );
    }

    let service = Arc::new(FakeService::default());
    let config = Config {
        account_id: "999988887777".into(),
        region: "eu-central-1".into(),
        ..Config::default()
    };
    let request = call("AWSStepFunctions.ListStateMachines")
        .body(Body::from("{}"))
        .expect("a valid request");
    let answer = send(app(service, config), request).await;
    assert_eq!(
        answer.body["stateMachines"][0]["stateMachineArn"],
        "arn:aws:states:eu-central-1:999988887777:stateMachine:Hello"
    );
}

fn too_large() -> Value {
    json!({
        "__type": "com.amazon.coral.service#RequestEntityTooLargeException",
        "message": format!("Request body must be at most {BODY_LIMIT} bytes"),
    })
}

/// `{"pad": "xxx…"}`, `len` bytes long.
fn padded_body(len: usize) -> String {
    let overhead = r#"{"pad":""}"#.len();
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(len - overhead))
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_while_reading() {
    // No Content-Length: the limit is found while reading.
    let answer = invoke("ListStateMachines", &padded_body(BODY_LIMIT + 1)).await;
    assert_error(&answer, 413, too_large());
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let (service, app) = server();
    let request = call("AWSStepFunctions.ListStateMachines")
        .header("content-length", (BODY_LIMIT + 1).to_string())
        .body(Body::from("{}"))
        .expect("a valid request");
    let answer = send(app, request).await;
    assert_error(&answer, 413, too_large());
    assert!(service.seen().is_empty());
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    // Well over axum's default limit of 2 MB.
    let answer = invoke("ListStateMachines", &padded_body(BODY_LIMIT)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn health_answers_ok() {
    let (_, app) = server();
    let request = Request::get("/health")
        .body(Body::empty())
        .expect("a valid request");
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"status": "ok"}));
}

/// Bodies in flight share one budget: while one request holds room for its body (a body still
/// arriving, here one that never ends), a second that does not fit what is left is refused
/// with `ThrottlingException` before it is read, which the SDKs retry with backoff; once the
/// first is gone its room is free again.
#[tokio::test]
async fn bodies_in_flight_share_one_budget() {
    let service = Arc::new(FakeService::default());
    let config = Config {
        body_budget: BODY_LIMIT,
        body_read_timeout: std::time::Duration::from_secs(3600),
        ..Config::default()
    };
    let app = app(service.clone(), config);
    // No Content-Length: room for the largest body is held.
    let (mut sender, body) = http_body_util::Channel::<Bytes>::new(1);
    let held = call("AWSStepFunctions.ListStateMachines")
        .body(Body::new(body))
        .expect("a valid request");
    let first = tokio::spawn(send(app.clone(), held));
    sender
        .send_data(Bytes::from_static(b"{"))
        .await
        .expect("the body is read");
    // With a buffer of one, this second piece is taken only once the first was read: the
    // first request is reading its body, so holds its room.
    sender
        .send_data(Bytes::from_static(b" "))
        .await
        .expect("the body is read");

    let request = call("AWSStepFunctions.ListStateMachines")
        .body(Body::from("{}"))
        .expect("a valid request");
    let refused = send(app.clone(), request).await;
    assert_error(
        &refused,
        400,
        json!({
            "__type": "com.amazon.coral.availability#ThrottlingException",
            "message": "Rate exceeded",
        }),
    );
    assert_eq!(refused.headers["x-amzn-errortype"], "ThrottlingException");

    sender
        .send_data(Bytes::from_static(b"}"))
        .await
        .expect("the body is read");
    drop(sender);
    assert_eq!(first.await.expect("answered").status, StatusCode::OK);
    let request = call("AWSStepFunctions.ListStateMachines")
        .body(Body::from("{}"))
        .expect("a valid request");
    assert_eq!(send(app, request).await.status, StatusCode::OK);
}
