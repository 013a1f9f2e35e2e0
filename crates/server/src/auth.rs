//! Signatures on the API's port, when keys are configured ([`Config::auth`]): every request
//! but `GET /health` and the console's page and assets must be signed with one of the keys
//! (AWS Signature Version 4, `baton_auth`), and then acts in that key's account.
//!
//! * Step Functions (`POST /`, signing name `states`) checks in [`crate::rpc`], after the body
//!   is read within its budget: the headers alone are checked first, so a request with no
//!   signature or an unknown key is refused before its body is read.
//! * Everything else on the port goes through [`require`]: the body is read (up to a limit),
//!   the signature checked, and the [`Principal`] put in the request's extensions.
//!
//! Refusals are AWS's, in the protocol's shape: AWS JSON 1.0 (`__type`
//! `com.amazon.coral.service#<code>`, HTTP 400: the status DynamoDB's "Error handling" table
//! gives every authentication error of the same front end: `AccessDeniedException`,
//! `IncompleteSignatureException`, `MissingAuthenticationTokenException`,
//! `UnrecognizedClientException`, `InvalidSignatureException`), or Lambda's REST-JSON (the code
//! in `X-Amzn-ErrorType`, HTTP 403: Lambda's "Common Errors" lists `AccessDeniedException`,
//! `IncompleteSignature` and `UnrecognizedClientException` as 403).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use baton_api::error::PROTOCOL_NAMESPACE;
use baton_auth::sigv4::{self, Claim, Refusal};
use baton_auth::{Keys, Principal};
use http_body_util::BodyExt;
use serde_json::json;

/// How a refusal is worded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// AWS JSON 1.0 and 1.1 (Step Functions, CloudWatch Logs, the console's own endpoints).
    AwsJson,
    /// REST-JSON as Lambda answers.
    RestJson,
}

/// Refuses before the body is read what the headers already condemn: no signature, one that
/// cannot be read, or a key the server does not have; else what the signature claims.
pub(crate) fn precheck(keys: &Keys, uri: &Uri, headers: &HeaderMap) -> Result<Claim, Refusal> {
    keys.claim(headers, uri.query())
}

/// Who sent this request, whose body is `body`, to the API signed as `service`, once the
/// signature `claim` describes holds.
pub(crate) fn authenticate(
    keys: &Keys,
    claim: Claim,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
) -> Result<Principal, Refusal> {
    let payload = sigv4::sha256_hex(body);
    keys.verify(
        claim,
        &sigv4::Request {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query(),
            headers,
            payload_sha256: &payload,
            service,
        },
        SystemTime::now(),
    )
}

/// The response that refuses a request, in `dialect`.
pub fn refusal(dialect: Dialect, refusal: &Refusal) -> Response {
    let code = refusal.code();
    let message = refusal.message();
    let (status, body) = match dialect {
        Dialect::AwsJson => (
            StatusCode::BAD_REQUEST,
            json!({"__type": format!("{PROTOCOL_NAMESPACE}#{code}"), "message": message}),
        ),
        Dialect::RestJson => (
            StatusCode::FORBIDDEN,
            json!({"Type": "User", "message": message}),
        ),
    };
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    let content_type = match dialect {
        Dialect::AwsJson => crate::rpc::AMZ_JSON_1_0,
        Dialect::RestJson => "application/json",
    };
    headers.insert("content-type", HeaderValue::from_static(content_type));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(code));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// HTTP 413 for a body over `limit`, as the protocol words it (Lambda's
/// `RequestTooLargeException`; the JSON front end's `RequestEntityTooLargeException`).
fn too_large(dialect: Dialect, limit: usize) -> Response {
    let (code, message) = match dialect {
        Dialect::AwsJson => (
            "RequestEntityTooLargeException",
            format!("Request body must be at most {limit} bytes"),
        ),
        Dialect::RestJson => (
            "RequestTooLargeException",
            format!("Request must be smaller than {limit} bytes"),
        ),
    };
    let body = match dialect {
        Dialect::AwsJson => {
            json!({"__type": format!("{PROTOCOL_NAMESPACE}#{code}"), "message": message})
        }
        Dialect::RestJson => json!({"Type": "User", "message": message}),
    };
    let mut response = (StatusCode::PAYLOAD_TOO_LARGE, body.to_string()).into_response();
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(code));
    response
}

/// The IAM action a request performs (`lambda:InvokeFunction`), from its method and path;
/// `None` for a request any verified key may make.
pub type ActionOf = fn(&Method, &str) -> Option<&'static str>;

/// What [`require`] checks.
pub struct Guard {
    /// The signing name the credential scope must carry (`lambda`, `logs`).
    pub service: &'static str,
    pub dialect: Dialect,
    /// The largest body read to be verified; a larger one is refused with HTTP 413 in the
    /// protocol's words.
    pub body_limit: usize,
    pub action: ActionOf,
}

struct Guarded {
    keys: Arc<Keys>,
    guard: Guard,
}

/// `router` behind signatures, as `guard` says; the verified [`Principal`] is in each request's
/// extensions. With no keys, `router` as it is.
pub fn require(router: Router, keys: Option<Arc<Keys>>, guard: Guard) -> Router {
    let Some(keys) = keys else {
        return router;
    };
    let guarded = Arc::new(Guarded { keys, guard });
    router.layer(axum::middleware::from_fn_with_state(guarded, check))
}

async fn check(State(guarded): State<Arc<Guarded>>, request: Request, next: Next) -> Response {
    let guard = &guarded.guard;
    let (parts, body) = request.into_parts();
    let claim = match precheck(&guarded.keys, &parts.uri, &parts.headers) {
        Ok(claim) => claim,
        Err(why) => return refusal(guard.dialect, &why),
    };
    let bytes = match http_body_util::Limited::new(body, guard.body_limit)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return too_large(guard.dialect, guard.body_limit),
    };
    match authenticate(
        &guarded.keys,
        claim,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &bytes,
        guard.service,
    ) {
        Ok(principal) => {
            if let Some(action) = (guard.action)(&parts.method, parts.uri.path()) {
                if !principal.allows(action) {
                    return refusal(guard.dialect, &principal.denied(action));
                }
            }
            let mut request = Request::from_parts(parts, Body::from(bytes));
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(why) => refusal(guard.dialect, &why),
    }
}
