//! AWS Lambda's API on Baton's port, for the functions Baton runs: `Invoke`, `GetFunction`,
//! `GetFunctionConfiguration` and `ListFunctions` in Lambda's REST-JSON protocol, so that
//! `aws lambda invoke --endpoint-url`, boto3's `lambda` client and a function calling another
//! through an AWS SDK work unchanged. What a function is and how it runs is the
//! [`LambdaFunctions`] implementation's; this module speaks the protocol.
//!
//! Source: the AWS Lambda API reference ("Invoke", "GetFunction", "ListFunctions", "Common
//! Errors") and Lambda's service model (`lambda/2015-03-31`: the paths, the headers
//! `X-Amz-Invocation-Type`, `X-Amz-Log-Type`, `X-Amz-Client-Context`,
//! `X-Amz-Function-Error`, `X-Amz-Log-Result`, `X-Amz-Executed-Version`, and the error
//! shapes with their HTTP statuses). Errors travel as REST-JSON errors do: the code in
//! `X-Amzn-ErrorType`, `{"Type": "User", "Message": …}` in the body (botocore and the other SDKs
//! read the code from that header).

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use baton_auth::Principal;
use serde_json::{json, Value};

use crate::credential::caller;
use crate::Config;

/// The largest payload of a synchronous invocation: 6 MB (6,291,456 bytes), Lambda's quota
/// ("Lambda quotas": "Invocation payload (request and response): 6 MB each for synchronous").
pub const SYNC_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// The largest payload of an asynchronous (`Event`) invocation: 1 MB ("Lambda quotas": "1 MB
/// for asynchronous").
pub const EVENT_PAYLOAD_LIMIT: usize = 1024 * 1024;

/// How many `Event` invocations may wait or run at once; past it an `Event` invocation is
/// refused with `TooManyRequestsException` rather than queued without bound.
pub const EVENT_QUEUE: usize = 1024;

/// Who calls: the account and region of the request (its credential scope, or the server's
/// defaults), in which function ARNs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaCaller {
    pub account: String,
    pub region: String,
}

/// A function as `GetFunction` and `ListFunctions` describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    /// `nodejs20.x`, `python3.12`, `provided.al2023`; `None` for a command or URL function.
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub timeout_seconds: u64,
    pub memory_mb: u32,
    pub environment: Vec<(String, String)>,
}

/// What one synchronous invocation gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The payload as the function wrote it (an error's JSON for a function error).
    pub payload: Vec<u8>,
    /// The function failed: `X-Amz-Function-Error: Unhandled`.
    pub function_error: bool,
    pub executed_version: String,
    pub request_id: String,
    /// The invocation's last log lines (at most 4 KB), when asked for.
    pub log_tail: Option<String>,
}

/// A refusal, as Lambda names it.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaError {
    pub status: u16,
    /// `ResourceNotFoundException`, `InvalidRequestContentException`, …
    pub code: String,
    pub message: String,
}

impl LambdaError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> LambdaError {
        LambdaError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// `ResourceNotFoundException` for a function `name` the caller's account does not have.
    pub fn not_found(caller: &LambdaCaller, name: &str) -> LambdaError {
        LambdaError::new(
            404,
            "ResourceNotFoundException",
            format!(
                "Function not found: arn:aws:lambda:{}:{}:function:{name}",
                caller.region, caller.account
            ),
        )
    }
}

impl IntoResponse for LambdaError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let kind = if status.is_server_error() {
            "Service"
        } else {
            "User"
        };
        let body = json!({"Type": kind, "Message": self.message}).to_string();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Ok(code) = HeaderValue::from_str(&self.code) {
            headers.insert("x-amzn-errortype", code);
        }
        response
    }
}

/// The functions this API serves.
#[async_trait]
pub trait LambdaFunctions: Send + Sync + 'static {
    /// The function `name` (a bare name: the API has taken ARNs apart), if the caller has it.
    fn function(&self, caller: &LambdaCaller, name: &str) -> Option<FunctionInfo>;
    /// Every function, by name.
    fn functions(&self, caller: &LambdaCaller) -> Vec<FunctionInfo>;
    /// Runs `name` with `payload` (JSON text) and waits for its answer.
    async fn invoke(
        &self,
        caller: &LambdaCaller,
        name: &str,
        qualifier: Option<&str>,
        payload: Vec<u8>,
        log_tail: bool,
    ) -> Result<Invocation, LambdaError>;
}

struct Shared {
    functions: Arc<dyn LambdaFunctions>,
    config: Config,
    events: Arc<tokio::sync::Semaphore>,
}

/// The routes of Lambda's API, for `functions`; `config` gives the caller's account and region
/// when the request does not, and the keys requests must be signed with (signing name
/// `lambda`), if any.
pub fn router(functions: Arc<dyn LambdaFunctions>, config: Config) -> Router {
    let keys = config.auth.clone();
    let shared = Arc::new(Shared {
        functions,
        config,
        events: Arc::new(tokio::sync::Semaphore::new(EVENT_QUEUE)),
    });
    let routes = Router::new()
        .route("/2015-03-31/functions", get(list))
        .route("/2015-03-31/functions/", get(list))
        .route("/2015-03-31/functions/{name}", get(get_function))
        .route(
            "/2015-03-31/functions/{name}/configuration",
            get(get_configuration),
        )
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        // Read a little past the quota, so that a payload over it is answered in Lambda's
        // words rather than cut off.
        .layer(DefaultBodyLimit::max(SYNC_PAYLOAD_LIMIT + 1))
        .with_state(shared);
    crate::auth::require(
        routes,
        keys,
        crate::auth::Guard {
            service: "lambda",
            dialect: crate::auth::Dialect::RestJson,
            body_limit: SYNC_PAYLOAD_LIMIT + 1,
            action,
        },
    )
}

/// The verified caller, when keys are configured ([`crate::auth`]).
type Signed = Option<Extension<Principal>>;

/// Who calls: the signing key's account and the scope's region when the request was verified,
/// else what the credential scope says (or the defaults).
fn lambda_caller(headers: &HeaderMap, signed: &Signed, config: &Config) -> LambdaCaller {
    let c = caller(headers, config);
    match signed {
        Some(Extension(principal)) => LambdaCaller {
            account: principal.account.clone(),
            region: if crate::credential::is_region(&principal.region) {
                principal.region.clone()
            } else {
                c.region
            },
        },
        None => LambdaCaller {
            account: c.account_id,
            region: c.region,
        },
    }
}

/// The IAM action of a request to Lambda's API ("Actions defined by AWS Lambda" in the
/// Service Authorization Reference).
pub fn action(method: &axum::http::Method, path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix("/2015-03-31/functions")?;
    let rest = rest.trim_start_matches('/');
    Some(if rest.is_empty() {
        "lambda:ListFunctions"
    } else if method == axum::http::Method::POST && rest.ends_with("/invocations") {
        "lambda:InvokeFunction"
    } else if rest.ends_with("/configuration") {
        "lambda:GetFunctionConfiguration"
    } else {
        "lambda:GetFunction"
    })
}

/// A `FunctionName` as Lambda takes it: `name`, `name:qualifier`, `ACCOUNT:function:name`, or
/// the function's ARN (`arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`). The name is
/// 1–64 letters, digits, `-` and `_` (the API reference's `FunctionName` pattern); an ARN of
/// another account or region names a function this caller does not have.
struct Named {
    name: String,
    qualifier: Option<String>,
}

fn named(caller: &LambdaCaller, text: &str) -> Result<Named, LambdaError> {
    let invalid = || {
        LambdaError::new(
            400,
            "ValidationException",
            format!(
                "1 validation error detected: Value '{text}' at 'functionName' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: \
                 (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?\
                 (function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
            ),
        )
    };
    let parts: Vec<&str> = text.split(':').collect();
    let (region, account, rest): (Option<&str>, Option<&str>, &[&str]) = match parts.as_slice() {
        ["arn", _, "lambda", region, account, "function", rest @ ..] => {
            (Some(*region), Some(*account), rest)
        }
        [account, "function", rest @ ..] => (None, Some(*account), rest),
        rest => (None, None, rest),
    };
    let (name, qualifier) = match rest {
        [name] => (*name, None),
        [name, q] => (*name, Some(*q)),
        _ => return Err(invalid()),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let qualifier_ok = qualifier.is_none_or(|q| {
        q == "$LATEST"
            || (!q.is_empty()
                && q.len() <= 128
                && q.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    });
    if !name_ok || !qualifier_ok {
        return Err(invalid());
    }
    if region.is_some_and(|r| r != caller.region) || account.is_some_and(|a| a != caller.account) {
        return Err(LambdaError::not_found(caller, name));
    }
    Ok(Named {
        name: name.to_string(),
        qualifier: qualifier.map(str::to_string),
    })
}

fn arn(caller: &LambdaCaller, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        caller.region, caller.account
    )
}

/// `FunctionConfiguration` as GetFunction and ListFunctions answer it.
fn configuration(caller: &LambdaCaller, f: &FunctionInfo) -> Value {
    let mut c = json!({
        "FunctionName": f.name,
        "FunctionArn": arn(caller, &f.name),
        "Role": format!("arn:aws:iam::{}:role/baton-function-role", caller.account),
        "CodeSize": 0,
        "Description": "",
        "Timeout": f.timeout_seconds,
        "MemorySize": f.memory_mb,
        "Version": "$LATEST",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": [std::env::consts::ARCH.replace("aarch64", "arm64")],
        "EphemeralStorage": {"Size": 512},
        "TracingConfig": {"Mode": "PassThrough"},
    });
    if let Some(runtime) = &f.runtime {
        c["Runtime"] = json!(runtime);
    }
    if let Some(handler) = &f.handler {
        c["Handler"] = json!(handler);
    }
    if !f.environment.is_empty() {
        let vars: serde_json::Map<String, Value> = f
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        c["Environment"] = json!({ "Variables": vars });
    }
    c
}

fn json_response(status: StatusCode, value: Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

async fn list(
    State(shared): State<Arc<Shared>>,
    signed: Signed,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let caller = lambda_caller(&headers, &signed, &shared.config);
    let all = shared.functions.functions(&caller);
    // `Marker` is the name of the last function of the previous page; `MaxItems` 1–10,000
    // (the API reference), 50 when absent.
    let max = match query.get("MaxItems").map(|m| m.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if (1..=10_000).contains(&n) => n,
        Some(_) => {
            return LambdaError::new(
                400,
                "InvalidParameterValueException",
                "MaxItems must be between 1 and 10000",
            )
            .into_response()
        }
    };
    let after = query.get("Marker");
    let page: Vec<&FunctionInfo> = all
        .iter()
        .filter(|f| after.is_none_or(|m| f.name.as_str() > m.as_str()))
        .take(max + 1)
        .collect();
    let more = page.len() > max;
    let page = &page[..page.len().min(max)];
    let mut body = json!({
        "Functions": page.iter().map(|f| configuration(&caller, f)).collect::<Vec<_>>(),
    });
    if more {
        if let Some(last) = page.last() {
            body["NextMarker"] = json!(last.name);
        }
    }
    json_response(StatusCode::OK, body)
}

fn find(
    shared: &Shared,
    caller: LambdaCaller,
    name: &str,
) -> Result<(LambdaCaller, FunctionInfo), LambdaError> {
    let named = named(&caller, name)?;
    let f = shared
        .functions
        .function(&caller, &named.name)
        .ok_or_else(|| LambdaError::not_found(&caller, &named.name))?;
    Ok((caller, f))
}

async fn get_function(
    State(shared): State<Arc<Shared>>,
    signed: Signed,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let caller = lambda_caller(&headers, &signed, &shared.config);
    match find(&shared, caller, &name) {
        Ok((caller, f)) => json_response(
            StatusCode::OK,
            json!({
                "Configuration": configuration(&caller, &f),
                "Code": {"RepositoryType": "Local"},
            }),
        ),
        Err(e) => e.into_response(),
    }
}

async fn get_configuration(
    State(shared): State<Arc<Shared>>,
    signed: Signed,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let caller = lambda_caller(&headers, &signed, &shared.config);
    match find(&shared, caller, &name) {
        Ok((caller, f)) => json_response(StatusCode::OK, configuration(&caller, &f)),
        Err(e) => e.into_response(),
    }
}

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

fn enum_error(field: &str, value: &str, allowed: &str) -> LambdaError {
    LambdaError::new(
        400,
        "ValidationException",
        format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy \
             constraint: Member must satisfy enum value set: [{allowed}]"
        ),
    )
}

async fn invoke(
    State(shared): State<Arc<Shared>>,
    signed: Signed,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let caller = lambda_caller(&headers, &signed, &shared.config);
    match invoke_inner(
        &shared,
        &headers,
        caller,
        &name,
        query.get("Qualifier"),
        body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn invoke_inner(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    caller: LambdaCaller,
    name: &str,
    qualifier: Option<&String>,
    body: Bytes,
) -> Result<Response, LambdaError> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let kind = match header("x-amz-invocation-type") {
        None | Some("RequestResponse") => InvocationType::RequestResponse,
        Some("Event") => InvocationType::Event,
        Some("DryRun") => InvocationType::DryRun,
        Some(other) => {
            return Err(enum_error(
                "invocationType",
                other,
                "Event, RequestResponse, DryRun",
            ))
        }
    };
    let tail = match header("x-amz-log-type") {
        None | Some("None") => false,
        Some("Tail") => true,
        Some(other) => return Err(enum_error("logType", other, "None, Tail")),
    };
    let (caller, f) = find(shared, caller, name)?;
    let mut named = named(&caller, name)?;
    if let Some(q) = qualifier {
        named.qualifier = Some(q.clone());
    }
    // Baton runs one version of a function, `$LATEST`: a version number or an alias names
    // something it does not have.
    if let Some(q) = named.qualifier.as_deref().filter(|q| *q != "$LATEST") {
        return Err(LambdaError::new(
            404,
            "ResourceNotFoundException",
            format!("Function not found: {}:{q}", arn(&caller, &f.name)),
        ));
    }
    let limit = if kind == InvocationType::Event {
        EVENT_PAYLOAD_LIMIT
    } else {
        SYNC_PAYLOAD_LIMIT
    };
    if body.len() > limit {
        return Err(LambdaError::new(
            413,
            "RequestTooLargeException",
            format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
        ));
    }
    // An empty payload is the event `{}`; anything else must be JSON.
    let payload = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".to_vec()
    } else {
        if let Err(e) = baton_api::json::from_slice(&body) {
            return Err(LambdaError::new(
                400,
                "InvalidRequestContentException",
                format!("Could not parse request body into json: {e}"),
            ));
        }
        body.to_vec()
    };
    match kind {
        InvocationType::DryRun => Ok(StatusCode::NO_CONTENT.into_response()),
        InvocationType::Event => {
            let Ok(permit) = shared.events.clone().try_acquire_owned() else {
                return Err(LambdaError::new(
                    429,
                    "TooManyRequestsException",
                    "Rate Exceeded.",
                ));
            };
            let request_id = uuid::Uuid::new_v4().to_string();
            let functions = shared.functions.clone();
            let name = f.name.clone();
            tokio::spawn(async move {
                if let Err(e) = functions.invoke(&caller, &name, None, payload, false).await {
                    tracing::warn!(function = %name, error = %e.message, "an Event invocation failed");
                }
                drop(permit);
            });
            let mut response = StatusCode::ACCEPTED.into_response();
            if let Ok(id) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-amzn-requestid", id);
            }
            Ok(response)
        }
        InvocationType::RequestResponse => {
            let done = shared
                .functions
                .invoke(&caller, &f.name, None, payload, tail)
                .await?;
            let mut response = Response::new(Body::from(done.payload));
            let h = response.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&done.executed_version) {
                h.insert("x-amz-executed-version", v);
            }
            if let Ok(v) = HeaderValue::from_str(&done.request_id) {
                h.insert("x-amzn-requestid", v);
            }
            if done.function_error {
                h.insert(
                    "x-amz-function-error",
                    HeaderValue::from_static("Unhandled"),
                );
            }
            if let Some(tail) = done.log_tail.filter(|_| tail) {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
                if let Ok(v) = HeaderValue::from_str(&encoded) {
                    h.insert("x-amz-log-result", v);
                }
            }
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> LambdaCaller {
        LambdaCaller {
            account: "111111111111".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn function_names_are_taken_apart_as_lambda_takes_them() {
        let c = caller();
        for (text, name, q) in [
            ("f", "f", None),
            ("f:$LATEST", "f", Some("$LATEST")),
            ("111111111111:function:f", "f", None),
            (
                "arn:aws:lambda:us-east-1:111111111111:function:f:live",
                "f",
                Some("live"),
            ),
        ] {
            let n = named(&c, text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(
                (n.name.as_str(), n.qualifier.as_deref()),
                (name, q),
                "{text}"
            );
        }
        for bad in ["", "a b", "f:", "a:b:c:d", &"x".repeat(65)] {
            assert_eq!(
                named(&c, bad).err().map(|e| e.code),
                Some("ValidationException".into()),
                "{bad}"
            );
        }
        // Another account's or region's function is not this caller's.
        let e = named(&c, "arn:aws:lambda:eu-west-1:111111111111:function:f")
            .err()
            .unwrap();
        assert_eq!(e.status, 404);
        assert_eq!(
            e.message,
            "Function not found: arn:aws:lambda:us-east-1:111111111111:function:f"
        );
    }
}
