//! Functions on another Lambda Invoke API: `[lambda] endpoint` in `baton.toml`, or Step
//! Functions Local's `LAMBDA_ENDPOINT` ("Setting configuration options for Step Functions
//! Local": the endpoint Lambda tasks are sent to), such as `sam local start-lambda`, Lambda's
//! runtime interface emulator or another Baton. A function `baton.toml` names runs here; any
//! other is invoked there, and its answer is taken as Lambda's Invoke API gives it
//! (`X-Amz-Function-Error` for a function error, `X-Amz-Log-Result` for the log tail, the error
//! code in `X-Amzn-ErrorType` for a refusal).
//!
//! The request carries the caller's account and region in an `Authorization` credential scope
//! but no signature: the emulators this is for check none.

use base64::Engine as _;

use crate::functions::{CallContext, FunctionRef, Invocation};
use crate::Failure;

/// Invokes `f` with `event` at `endpoint` (`http://HOST:PORT`, no path).
pub(crate) async fn invoke(
    endpoint: &str,
    cx: &CallContext,
    f: &FunctionRef,
    event: &[u8],
    log_tail: bool,
) -> Result<Invocation, Failure> {
    let mut url = format!(
        "{}/2015-03-31/functions/{}/invocations",
        endpoint.trim_end_matches('/'),
        f.name
    );
    if let Some(q) = &f.qualifier {
        url.push_str("?Qualifier=");
        url.push_str(q);
    }
    let date = chrono::Utc::now().format("%Y%m%d");
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            "x-amz-invocation-type".to_string(),
            "RequestResponse".to_string(),
        ),
        (
            "x-amz-log-type".to_string(),
            if log_tail { "Tail" } else { "None" }.to_string(),
        ),
        (
            "authorization".to_string(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{date}/{}/lambda/aws4_request, \
                 SignedHeaders=host, Signature=0",
                cx.account, cx.region
            ),
        ),
    ];
    let answer = crate::client::send("POST", &url, &headers, event.to_vec(), None)
        .await
        .map_err(|message| {
            service_error(
                "ServiceException",
                500,
                &message,
                &uuid::Uuid::new_v4().to_string(),
            )
        })?;
    let header = |name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request_id = header("x-amzn-requestid").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if !answer.status.is_success() {
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let code = header("x-amzn-errortype")
            .or_else(|| body["__type"].as_str().map(str::to_string))
            .or_else(|| body["Type"].as_str().map(str::to_string))
            .map(|c| {
                // `Code:http://internal…` and `prefix#Code` forms.
                let c = c.split(':').next().unwrap_or_default();
                c.rsplit('#').next().unwrap_or_default().to_string()
            })
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "ServiceException".to_string());
        let message = body["Message"]
            .as_str()
            .or_else(|| body["message"].as_str())
            .unwrap_or("")
            .to_string();
        return Err(service_error(
            &code,
            answer.status.as_u16(),
            &message,
            &request_id,
        ));
    }
    let tail = header("x-amz-log-result").and_then(|t| {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    });
    Ok(Invocation {
        payload: answer.body.to_vec(),
        function_error: header("x-amz-function-error").is_some(),
        executed_version: header("x-amz-executed-version").unwrap_or_else(|| "$LATEST".into()),
        request_id,
        log_tail: tail.filter(|_| log_tail),
    })
}

/// A refusal of the Lambda service as Step Functions names it: `Lambda.<Code>`, with the AWS
/// SDK's cause.
fn service_error(code: &str, status: u16, message: &str, request_id: &str) -> Failure {
    (
        format!("Lambda.{code}"),
        format!(
            "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; \
             Request ID: {request_id}; Proxy: null)"
        ),
    )
}
