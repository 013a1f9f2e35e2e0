//! Command and URL functions: results, Lambda's error shapes, timeouts, unknown functions.

use std::path::Path;

use baton_integrations::config::Config;
use baton_integrations::functions::{CallContext, FunctionRef, Functions};
use serde_json::{json, Value};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn functions(extra: &str) -> Functions {
    let text = format!(
        r#"
        [functions.Echo]
        command = ["python3", "echo.py"]
        env = {{ STAGE = "test" }}
        [functions.ValidationFails]
        command = ["python3", "fail.py", "ValidationError"]
        [functions.Crash]
        command = ["python3", "crash.py"]
        [functions.Untyped]
        command = ["python3", "untyped.py"]
        [functions.NotJson]
        command = ["python3", "notjson.py"]
        [functions.Silent]
        command = ["python3", "-c", "import sys; sys.stdin.read()"]
        [functions.Slow]
        command = ["python3", "sleep.py", "30"]
        timeout_seconds = 1
        [functions.Missing]
        command = ["./no-such-program"]
        {extra}
        "#
    );
    let config = Config::parse(&text, "test", fixtures(), Vec::new()).expect("valid config");
    Functions::new(&config, None)
}

fn cx() -> CallContext {
    CallContext {
        region: "eu-west-1".into(),
        account: "111111111111".into(),
        endpoint_url: Some("http://127.0.0.1:8083".into()),
        s3_endpoint_url: Some("http://127.0.0.1:8084".into()),
        service_endpoints: Default::default(),
        keys: None,
        trace: None,
    }
}

#[tokio::test]
async fn a_lambda_arn_answers_the_payload_with_an_sdk_environment() {
    let out = functions("")
        .invoke_arn(
            &cx(),
            "arn:aws:lambda:eu-west-1:111111111111:function:Echo",
            &json!({"x": 5}),
        )
        .await
        .expect("succeeds");
    assert_eq!(
        out,
        json!({"event": {"x": 5}, "env": {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:8083",
            "AWS_ACCESS_KEY_ID": "111111111111",
            "AWS_REGION": "eu-west-1",
            "AWS_LAMBDA_FUNCTION_NAME": "Echo",
            "STAGE": "test",
        }})
    );
}

#[tokio::test]
async fn lambda_invoke_shapes_the_response_as_aws() {
    let out = functions("")
        .invoke_service(
            &cx(),
            &json!({"FunctionName": "Echo", "Payload": {"a": [1]}}),
        )
        .await
        .expect("succeeds");
    assert_eq!(out["Payload"]["event"], json!({"a": [1]}));
    assert_eq!(out["StatusCode"], 200);
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);
    let request_id = out["SdkResponseMetadata"]["RequestId"]
        .as_str()
        .expect("id");
    assert_eq!(
        out["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"],
        request_id
    );
    let keys: Vec<&str> = out
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "ExecutedVersion",
            "Payload",
            "SdkHttpMetadata",
            "SdkResponseMetadata",
            "StatusCode"
        ]
    );
}

#[tokio::test]
async fn lambda_invoke_payload_forms() {
    let f = functions("");
    // A string payload is sent as its text, as AWS does (`"0"` arrives as the number 0).
    let cases = [
        (json!({"FunctionName": "Echo", "Payload": "0"}), json!(0)),
        (json!({"FunctionName": "Echo"}), json!({})),
        (
            json!({"FunctionName": "Echo", "Payload": null}),
            Value::Null,
        ),
        (
            json!({"FunctionName": "Echo:7", "Payload": [1]}),
            json!([1]),
        ),
        (
            json!({"FunctionName": "arn:aws:lambda:eu-west-1:111111111111:function:Echo:live", "Payload": "\"s\""}),
            json!("s"),
        ),
        (
            json!({"FunctionName": "111111111111:function:Echo", "Payload": true}),
            json!(true),
        ),
    ];
    for (params, event) in cases {
        let out = f.invoke_service(&cx(), &params).await.expect("succeeds");
        assert_eq!(out["Payload"]["event"], event, "{params}");
    }
    let out = f
        .invoke_service(&cx(), &json!({"FunctionName": "Echo:7", "Payload": 1}))
        .await
        .expect("succeeds");
    assert_eq!(out["ExecutedVersion"], "7");
    let (error, cause) = f
        .invoke_service(
            &cx(),
            &json!({"FunctionName": "Echo", "Payload": "not json"}),
        )
        .await
        .expect_err("not JSON");
    assert_eq!(error, "Lambda.InvalidRequestContentException");
    assert!(
        cause.contains("Status Code: 400; Error Code: InvalidRequestContentException"),
        "{cause}"
    );
}

async fn failure(name: &str) -> (String, String) {
    functions("")
        .invoke_service(
            &cx(),
            &json!({"FunctionName": name, "Payload": {"message": "bad order"}}),
        )
        .await
        .expect_err("fails")
}

#[tokio::test]
async fn a_function_error_is_named_by_its_error_type() {
    let (error, cause) = failure("ValidationFails").await;
    assert_eq!(error, "ValidationError");
    let cause: Value = serde_json::from_str(&cause).expect("JSON cause");
    assert_eq!(
        cause,
        json!({"errorType": "ValidationError", "errorMessage": "bad order", "trace": []})
    );
}

#[tokio::test]
async fn a_crash_without_the_error_shape_is_a_runtime_exit_error() {
    let (error, cause) = failure("Crash").await;
    assert_eq!(error, "Runtime.ExitError");
    let cause: Value = serde_json::from_str(&cause).expect("JSON cause");
    assert_eq!(cause["errorType"], "Runtime.ExitError");
    let message = cause["errorMessage"].as_str().expect("message");
    assert!(
        message.ends_with("Error: Runtime exited with error: exit status 3"),
        "{message}"
    );
}

#[tokio::test]
async fn an_error_without_a_type_is_lambda_unknown() {
    let (error, cause) = failure("Untyped").await;
    assert_eq!(error, "Lambda.Unknown");
    assert_eq!(
        cause,
        r#"The cause could not be determined because Lambda did not return an error type. Returned payload: {"errorMessage": "no type here"}"#
    );
}

#[tokio::test]
async fn output_that_is_not_json_is_a_marshal_error() {
    let (error, cause) = failure("NotJson").await;
    assert_eq!(error, "Runtime.MarshalError");
    assert!(
        cause.contains("Unable to marshal response of function 'NotJson': the output is not JSON"),
        "{cause}"
    );
}

/// A program that prints nothing has not answered: no silent `null`.
#[tokio::test]
async fn a_command_that_prints_nothing_is_a_marshal_error() {
    let (error, cause) = failure("Silent").await;
    assert_eq!(error, "Runtime.MarshalError");
    let cause: Value = serde_json::from_str(&cause).expect("JSON cause");
    let message = cause["errorMessage"].as_str().expect("message");
    assert!(
        message.starts_with(
            "Unable to marshal response of function 'Silent': the program printed nothing"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_function_past_its_timeout_is_killed_as_sandbox_timedout() {
    let started = std::time::Instant::now();
    let (error, cause) = failure("Slow").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(error, "Sandbox.Timedout");
    let cause: Value = serde_json::from_str(&cause).expect("JSON cause");
    assert_eq!(cause["errorType"], "Sandbox.Timedout");
    assert!(
        cause["errorMessage"]
            .as_str()
            .is_some_and(|m| m.ends_with("Task timed out after 1.00 seconds")),
        "{cause}"
    );
}

#[tokio::test]
async fn an_unknown_function_is_not_found_as_lambda_says() {
    let (error, cause) = failure("NoSuchFunction").await;
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    assert!(
        cause.starts_with("Function not found: arn:aws:lambda:eu-west-1:111111111111:function:NoSuchFunction:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "),
        "{cause}"
    );
    let (error, cause) = functions("")
        .invoke_arn(
            &cx(),
            "arn:aws:lambda:us-east-2:222222222222:function:Other:3",
            &json!({}),
        )
        .await
        .expect_err("unknown");
    assert_eq!(error, "Lambda.ResourceNotFoundException");
    assert!(
        cause.contains("arn:aws:lambda:us-east-2:222222222222:function:Other:3 "),
        "{cause}"
    );
}

#[tokio::test]
async fn a_program_that_cannot_start_is_a_service_exception() {
    let (error, cause) = failure("Missing").await;
    assert_eq!(error, "Lambda.ServiceException");
    assert!(cause.contains("no-such-program"), "{cause}");
}

#[test]
fn function_name_forms() {
    let r = |n: &str, q: Option<&str>, region: Option<&str>, account: Option<&str>| FunctionRef {
        name: n.into(),
        qualifier: q.map(Into::into),
        region: region.map(Into::into),
        account: account.map(Into::into),
    };
    let cases = [
        ("f", Some(r("f", None, None, None))),
        ("f:1", Some(r("f", Some("1"), None, None))),
        ("123:function:f", Some(r("f", None, None, Some("123")))),
        (
            "arn:aws:lambda:us-east-1:123:function:f:$LATEST",
            Some(r("f", Some("$LATEST"), Some("us-east-1"), Some("123"))),
        ),
        ("", None),
        ("a b", None),
        ("f:", None),
        ("arn:aws:lambda:us-east-1:123:function:f:1:2", None),
        ("../etc/passwd", None),
    ];
    for (text, expected) in cases {
        assert_eq!(FunctionRef::parse(text), expected, "{text}");
    }
}

/// A URL function: a one-request HTTP server on loopback answering `status` and `body`.
async fn serve_once(status: u16, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.expect("read");
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if rest.len() >= length || n == 0 {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let answer = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.expect("write");
        String::from_utf8_lossy(&request).to_string()
    });
    (format!("http://{addr}/invoke"), handle)
}

#[tokio::test]
async fn url_functions_post_the_event_and_read_the_answer() {
    let (url, server) = serve_once(200, r#"{"ok":true}"#).await;
    let f = functions(&format!("[functions.Web]\nurl = \"{url}\"\n"));
    let out = f
        .invoke_arn(&cx(), "Web", &json!({"n": 1}))
        .await
        .expect("succeeds");
    assert_eq!(out, json!({"ok": true}));
    let request = server.await.expect("served");
    assert!(request.starts_with("POST /invoke HTTP/1.1"), "{request}");
    assert!(request.ends_with(r#"{"n":1}"#), "{request}");

    let (url, server) =
        serve_once(500, r#"{"errorType":"ServiceError","errorMessage":"down"}"#).await;
    let f = functions(&format!("[functions.Web]\nurl = \"{url}\"\n"));
    let (error, cause) = f
        .invoke_arn(&cx(), "Web", &json!({}))
        .await
        .expect_err("fails");
    assert_eq!(error, "ServiceError");
    assert_eq!(
        cause,
        r#"{"errorType":"ServiceError","errorMessage":"down"}"#
    );
    // The server has closed its listener once this returns.
    server.await.expect("served");

    // Nothing listens there any more.
    let f = functions(&format!("[functions.Web]\nurl = \"{url}\"\n"));
    let (error, _) = f
        .invoke_arn(&cx(), "Web", &json!({}))
        .await
        .expect_err("fails");
    assert_eq!(error, "Lambda.ServiceException");
}
