//! `POST /`: one AWS JSON 1.0 call, from the target and body of the request to the response
//! AWS would send, errors included.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use baton_api::error::PROTOCOL_NAMESPACE;
use baton_api::{ApiError, Operation, RequestContext, StepFunctions, TARGET_PREFIX};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{json, Value};

use crate::{credential, Config, BODY_LIMIT};

/// Step Functions' signing name (the service model's `signingName`), the service in a
/// credential scope and the prefix of its IAM actions.
const SIGNING_NAME: &str = "states";
/// The content type of every AWS JSON 1.0 response, errors included.
pub(crate) const AMZ_JSON_1_0: &str = "application/x-amz-json-1.0";
/// `X-Amz-Target: AWSStepFunctions.<Operation>`.
const TARGET: HeaderName = HeaderName::from_static("x-amz-target");
/// The response's request id (AWS spells it `x-amzn-RequestId`; header names are
/// case-insensitive and HTTP/1 servers send them in lower case).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// What every request needs: the service and the defaults for the caller.
pub(crate) struct Shared {
    pub service: Arc<dyn StepFunctions>,
    pub config: Config,
    pub in_flight: BodyBudget,
}

/// The request bodies held at once, in KiB ([`Config::body_budget`]).
pub(crate) struct BodyBudget(tokio::sync::Semaphore);

impl BodyBudget {
    pub(crate) fn new(bytes: usize) -> Self {
        let kib = bytes.max(BODY_LIMIT).div_ceil(1024);
        Self(tokio::sync::Semaphore::new(
            kib.min(tokio::sync::Semaphore::MAX_PERMITS),
        ))
    }

    /// Room for a body of `declared` bytes (at most [`BODY_LIMIT`] when not declared), held
    /// until the permit is dropped; `None` when there is not that much left.
    fn reserve(&self, declared: Option<u64>) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let bytes = declared.map_or(BODY_LIMIT as u64, |n| n.min(BODY_LIMIT as u64));
        let kib = u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
        self.0.try_acquire_many(kib).ok()
    }
}

/// Everything `POST /` can answer with instead of an operation's output.
#[derive(Debug)]
enum Failure {
    /// An error of the API: the service's, a model constraint, or the protocol's own.
    Api(ApiError),
    /// The body is larger than [`BODY_LIMIT`]. `ApiError` has no such variant: AWS's front end
    /// answers it before any operation is involved.
    TooLarge,
    /// The body did not arrive within [`Config::body_read_timeout`](crate::Config).
    TooSlow(std::time::Duration),
    /// The bodies already in flight fill [`Config::body_budget`](crate::Config).
    Busy,
    /// The signature is missing or does not hold, or the key may not call the operation
    /// ([`Config::auth`](crate::Config)).
    Refused(baton_auth::sigv4::Refusal),
    /// An error of another service on this port ([`Config::services`](crate::Config)).
    Service(baton_api::ServiceError),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl Failure {
    fn status(&self) -> StatusCode {
        match self {
            Self::Api(error) => {
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Busy | Self::Refused(_) => StatusCode::BAD_REQUEST,
            Self::Service(error) => {
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The JSON body: `__type` (`<namespace>#<code>`), the message and the error's members.
    fn body(&self) -> Value {
        match self {
            Self::Api(error) => error.body(),
            Self::TooLarge => json!({
                "__type": format!("{PROTOCOL_NAMESPACE}#RequestEntityTooLargeException"),
                "message": format!("Request body must be at most {BODY_LIMIT} bytes"),
            }),
            // Not from a recording: AWS's answer to a body that never arrives is not recorded
            // here; the code follows the front end's naming of the 413 above.
            Self::TooSlow(limit) => json!({
                "__type": format!("{PROTOCOL_NAMESPACE}#RequestTimeoutException"),
                "message": format!(
                    "The request body did not arrive within {} seconds",
                    limit.as_secs_f64()
                ),
            }),
            // AWS's throttling answer as its front end gives it for an AWS JSON service (code
            // and message as other emulators and SDK retry logic know them; the SDKs retry
            // `ThrottlingException` with backoff). Not from a recording.
            Self::Busy => json!({
                "__type": "com.amazon.coral.availability#ThrottlingException",
                "message": "Rate exceeded",
            }),
            // The status and namespace: `crate::auth`.
            Self::Refused(why) => json!({
                "__type": format!("{PROTOCOL_NAMESPACE}#{}", why.code()),
                "message": why.message(),
            }),
            // AWS JSON 1.1 services name the error by its code alone (botocore and the SDKs
            // take what follows a `#` when there is one).
            Self::Service(error) => json!({
                "__type": error.code,
                "message": error.message,
            }),
        }
    }

    fn is_server_error(&self) -> bool {
        match self {
            Self::Api(error) => error.is_server_error(),
            Self::Service(error) => error.status >= 500,
            Self::TooLarge | Self::TooSlow(_) | Self::Busy | Self::Refused(_) => false,
        }
    }
}

/// Answers one call. The caller's account and region come from the credential scope (with
/// keys configured, the account is the signing key's), the request id is new (a UUID) and goes
/// both to the service and into `x-amzn-RequestId`.
pub(crate) async fn call(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let caller = credential::caller(&headers, &shared.config);
    let mut ctx = RequestContext {
        account_id: caller.account_id,
        region: caller.region,
        request_id,
        trace_header: ["traceparent", "x-amzn-trace-id"]
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
            .map(str::to_string),
    };
    let route = route(&shared.config, &headers);
    let (counted, content_type) = match &route {
        Route::States(operation) => (
            operation.as_ref().map_or("unknown", |op| op.name()),
            AMZ_JSON_1_0,
        ),
        Route::Other(service, operation) => {
            (operation.unwrap_or("unknown"), service.content_type())
        }
    };
    let request = Arrived {
        method: &method,
        uri: &uri,
        headers: &headers,
        route: &route,
    };
    let response = match answer(&shared, &mut ctx, request, body).await {
        Ok(output) => respond(StatusCode::OK, &ctx.request_id, content_type, output),
        Err(failure) => {
            let target = headers.get(TARGET).and_then(|v| v.to_str().ok());
            // Server errors are logged once, here; the caller's own errors are not news.
            if failure.is_server_error() {
                tracing::error!(request_id = %ctx.request_id, ?target, error = ?failure, "request failed");
            } else {
                tracing::debug!(request_id = %ctx.request_id, ?target, error = ?failure, "request rejected");
            }
            let body = failure.body();
            let code = body["__type"]
                .as_str()
                .and_then(|t| t.rsplit('#').next())
                .map(str::to_string);
            let mut response = respond(
                failure.status(),
                &ctx.request_id,
                content_type,
                body.to_string().into_bytes(),
            );
            // The error code in `x-amzn-ErrorType` as well as in `__type`: the two places the
            // AWS JSON 1.0 protocol gives it (Smithy's `awsJson1_0` specification), so clients
            // that read either find the same code.
            if let Some(value) = code.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().insert(ERROR_TYPE, value);
            }
            response
        }
    };
    if let Some(metrics) = &shared.config.api_metrics {
        metrics.count(counted, response.status().as_u16());
    }
    response
}

/// The head of the request being answered.
struct Arrived<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    /// What `X-Amz-Target` names, read once.
    route: &'a Route,
}

/// The service and operation `X-Amz-Target` names.
enum Route {
    /// `AWSStepFunctions.<Operation>`, or anything no other service claims.
    States(Result<Operation, ApiError>),
    /// `<prefix>.<Operation>` of another service on this port (`None`: one it does not have).
    Other(Arc<dyn baton_api::JsonService>, Option<&'static str>),
}

fn route(config: &Config, headers: &HeaderMap) -> Route {
    let target = headers.get(TARGET).and_then(|value| value.to_str().ok());
    if let Some((prefix, operation)) = target.and_then(|t| t.split_once('.')) {
        if let Some(service) = config
            .services
            .0
            .iter()
            .find(|s| s.target_prefix() == prefix)
        {
            return Route::Other(service.clone(), service.operation(operation));
        }
    }
    Route::States(operation(headers))
}

/// The response body of a call, or why there is none. The size limit is checked first (it is
/// the front end's), then the signature when keys are configured (what the headers show
/// before the body is read, the rest after), then the target, then the body as the
/// operation's input.
async fn answer(
    shared: &Shared,
    ctx: &mut RequestContext,
    request: Arrived<'_>,
    body: Body,
) -> Result<Vec<u8>, Failure> {
    let headers = request.headers;
    // What the head says the body is: its Content-Length, or for a head without one the
    // body's own bound (none for a chunked body: room for the largest is reserved).
    let declared = declared_length(headers).or_else(|| {
        use axum::body::HttpBody;
        body.size_hint().upper()
    });
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Err(Failure::TooLarge);
    }
    let keys = shared.config.auth.as_deref();
    let signing_name = match request.route {
        Route::States(_) => SIGNING_NAME,
        Route::Other(service, _) => service.signing_name(),
    };
    let claim = match keys {
        Some(keys) => {
            Some(crate::auth::precheck(keys, request.uri, headers).map_err(Failure::Refused)?)
        }
        None => None,
    };
    // Held until the answer is made: the body and what is decoded from it live that long.
    let _room = shared.in_flight.reserve(declared).ok_or(Failure::Busy)?;
    let body_read_timeout = shared.config.body_read_timeout;
    let body = tokio::time::timeout(body_read_timeout, read_body(body))
        .await
        .map_err(|_| Failure::TooSlow(body_read_timeout))??;
    let principal = match (keys, claim) {
        (Some(keys), Some(claim)) => Some(
            crate::auth::authenticate(
                keys,
                claim,
                request.method,
                request.uri,
                headers,
                &body,
                signing_name,
            )
            .map_err(Failure::Refused)?,
        ),
        _ => None,
    };
    let operation = match request.route {
        Route::States(operation) => operation.clone()?.name(),
        Route::Other(_, Some(operation)) => *operation,
        Route::Other(_, None) => return Err(Failure::Api(ApiError::UnknownOperationException)),
    };
    if let Some(principal) = principal {
        principal
            .may(signing_name, operation)
            .map_err(Failure::Refused)?;
        ctx.account_id = principal.account;
        if credential::is_region(&principal.region) {
            ctx.region = principal.region;
        }
    }
    // Clients send no body at all for an operation without members; AWS reads that as `{}`.
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    match request.route {
        Route::States(operation) => {
            let operation = operation.clone()?;
            Ok(baton_api::invoke(shared.service.as_ref(), ctx, operation, body).await?)
        }
        Route::Other(service, _) => service
            .call(ctx, operation, body)
            .await
            .map_err(Failure::Service),
    }
}

/// The operation `X-Amz-Target` names: `AWSStepFunctions.<Operation>`, exactly.
fn operation(headers: &HeaderMap) -> Result<Operation, ApiError> {
    headers
        .get(TARGET)
        .and_then(|value| value.to_str().ok())
        .and_then(|target| target.strip_prefix(TARGET_PREFIX))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(Operation::from_name)
        .ok_or(ApiError::UnknownOperationException)
}

/// The request's `Content-Length`, if it has a usable one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
}

/// The whole body, refused as soon as it exceeds [`BODY_LIMIT`] while reading (a declared
/// length over it is refused before: [`answer`]).
async fn read_body(body: Body) -> Result<Bytes, Failure> {
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(Failure::TooLarge),
        Err(error) => Err(Failure::Api(ApiError::SerializationException {
            message: Some(format!("Could not read the request body: {error}")),
        })),
    }
}

/// The header that names an error's code.
const ERROR_TYPE: &str = "x-amzn-errortype";

/// A response with the service's content type and the request id.
fn respond(
    status: StatusCode,
    request_id: &str,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, id);
    }
    response
}
