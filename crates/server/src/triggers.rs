//! HTTP triggers: routes that start an execution with the request's body as its input, as
//! API Gateway's Step Functions integration does (API Gateway Developer Guide, "Tutorial:
//! Create a REST API as an Amazon Step Functions proxy"): `StartExecution`, answered with its
//! own output (`executionArn`, `startDate`); or, for a synchronous route of an Express
//! machine, `StartSyncExecution`, answered with its output (`status`, `output`, …).
//!
//! A route has no authorizer: anyone who reaches the port may call it, as anyone may call
//! an API Gateway route without one. The operator chooses the routes in `baton.toml`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use baton_api::model::{StartExecutionInput, StartSyncExecutionInput};
use baton_api::{ApiError, RequestContext, StepFunctions};

/// Step Functions' largest input (256 KiB), and a little for the request around it.
const BODY_LIMIT: usize = 256 * 1024;

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// `POST`, `PUT`, …
    pub method: String,
    /// Starts with `/`; not one of the server's own paths (see [`reserved`]).
    pub path: String,
    /// The state machine (or version or alias) ARN.
    pub state_machine_arn: String,
    /// `StartSyncExecution` (Express machines) instead of `StartExecution`.
    pub sync: bool,
}

/// Whether `path` is one the server answers itself (the APIs, the console, metrics).
pub fn reserved(path: &str) -> bool {
    path == "/"
        || [
            "/health",
            "/metrics",
            "/console",
            "/2015-03-31",
            "/logs",
            // EventBridge Scheduler's API.
            "/schedules",
            "/schedule-groups",
            "/tags",
        ]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

struct Routes {
    service: Arc<dyn StepFunctions>,
    account: String,
    region: String,
    /// By method, for this path.
    by_method: BTreeMap<String, Trigger>,
}

/// The routes of `triggers`, starting executions on `service` in `account` and `region`.
pub fn router(
    triggers: &[Trigger],
    service: Arc<dyn StepFunctions>,
    account: &str,
    region: &str,
) -> Router {
    let mut by_path: BTreeMap<&str, BTreeMap<String, Trigger>> = BTreeMap::new();
    for t in triggers {
        by_path
            .entry(&t.path)
            .or_default()
            .insert(t.method.to_ascii_uppercase(), t.clone());
    }
    let mut router = Router::new();
    for (path, by_method) in by_path {
        let routes = Arc::new(Routes {
            service: service.clone(),
            account: account.to_string(),
            region: region.to_string(),
            by_method,
        });
        router = router.route(path, any(fire).with_state(routes));
    }
    router.layer(DefaultBodyLimit::max(BODY_LIMIT))
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn message(status: StatusCode, text: &str) -> Response {
    json(
        status,
        serde_json::json!({ "message": text })
            .to_string()
            .into_bytes(),
    )
}

fn failed(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json(status, e.body().to_string().into_bytes())
}

async fn fire(State(routes): State<Arc<Routes>>, method: Method, body: Bytes) -> Response {
    let Some(trigger) = routes.by_method.get(method.as_str()) else {
        return message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    };
    let text = String::from_utf8_lossy(&body);
    let input = if text.trim().is_empty() {
        "{}".to_string()
    } else if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
        text.into_owned()
    } else {
        return message(StatusCode::BAD_REQUEST, "The request body is not JSON.");
    };
    let ctx = RequestContext {
        account_id: routes.account.clone(),
        region: routes.region.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
        trace_header: None,
    };
    let answer = if trigger.sync {
        let request = StartSyncExecutionInput {
            state_machine_arn: trigger.state_machine_arn.clone(),
            input: Some(input),
            ..Default::default()
        };
        routes
            .service
            .start_sync_execution(&ctx, request)
            .await
            .and_then(|out| baton_api::encode_output(&out))
    } else {
        let request = StartExecutionInput {
            state_machine_arn: trigger.state_machine_arn.clone(),
            input: Some(input),
            ..Default::default()
        };
        routes
            .service
            .start_execution(&ctx, request)
            .await
            .and_then(|out| baton_api::encode_output(&out))
    };
    match answer {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => failed(&e),
    }
}
