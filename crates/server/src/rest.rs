//! REST-JSON services on Baton's port ([`baton_api::RestService`]: EventBridge Scheduler): each
//! answers the paths under its roots, whatever the method, behind signatures when keys are
//! configured. The caller's account and region are the verified key's (or the credential
//! scope's, as for every API here); errors go out as REST-JSON errors do, the code in
//! `x-amzn-ErrorType` and `{"Message": …}` in the body, which botocore and the other SDKs read.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use baton_api::{RequestContext, RestRequest, RestService};
use baton_auth::Principal;
use serde_json::json;

use crate::credential::{caller, is_region};
use crate::Config;

/// The largest body read: the Scheduler's largest request (a target's input, 256 KiB in
/// practice, escaped) fits well within it.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

struct Shared {
    service: Arc<dyn RestService>,
    config: Config,
}

/// The routes of `service` under each of its roots; `action` names the IAM action of a
/// request, for keys limited to some actions.
pub fn router(
    service: Arc<dyn RestService>,
    config: Config,
    action: crate::auth::ActionOf,
) -> Router {
    let keys = config.auth.clone();
    let signing = service.signing_name();
    let roots = service.roots();
    let shared = Arc::new(Shared { service, config });
    let mut router = Router::new();
    for root in roots {
        router = router
            .route(&format!("/{root}"), any(call))
            .route(&format!("/{root}/{{*rest}}"), any(call));
    }
    crate::auth::require(
        router.with_state(shared),
        keys,
        crate::auth::Guard {
            service: signing,
            dialect: crate::auth::Dialect::RestJson,
            body_limit: BODY_LIMIT,
            action,
        },
    )
}

/// `%XX` decoded; `None` when the result is not UTF-8.
fn decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

fn error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, json!({ "Message": message }).to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(code) = HeaderValue::from_str(code) {
        headers.insert("x-amzn-errortype", code);
    }
    response
}

async fn call(
    State(shared): State<Arc<Shared>>,
    signed: Option<Extension<Principal>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let c = caller(&parts.headers, &shared.config);
    let (account_id, region) = match signed {
        Some(Extension(p)) => {
            let region = if is_region(&p.region) {
                p.region
            } else {
                c.region
            };
            (p.account, region)
        }
        None => (c.account_id, c.region),
    };
    let Some(segments) = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect::<Option<Vec<String>>>()
    else {
        return error(400, "ValidationException", "The path is not UTF-8.");
    };
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let plus = |s: &str| decode(&s.replace('+', " ")).unwrap_or_default();
                    (plus(k), plus(v))
                })
                .collect()
        })
        .unwrap_or_default();
    let body = match to_bytes(Body::new(body), BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => {
            return error(
                413,
                "ValidationException",
                &format!("Request must be smaller than {BODY_LIMIT} bytes"),
            )
        }
    };
    let ctx = RequestContext {
        account_id,
        region,
        request_id: uuid::Uuid::new_v4().to_string(),
        trace_header: None,
    };
    let answer = shared
        .service
        .call(
            &ctx,
            RestRequest {
                method: parts.method.as_str(),
                segments: &segments,
                query: &query,
                body: &body,
            },
        )
        .await;
    let mut response = match answer {
        Ok(value) => {
            let mut r = (StatusCode::OK, value.to_string()).into_response();
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
        Err(e) => error(e.status, &e.code, &e.message),
    };
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}
