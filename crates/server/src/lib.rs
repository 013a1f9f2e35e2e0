//! The Step Functions API over HTTP, as AWS's SDKs and CLI speak it: [`app`] puts any
//! [`StepFunctions`] implementation behind an axum [`Router`]; [`serve`] runs one.
//!
//! # The protocol
//!
//! AWS JSON 1.0 on `POST /`:
//!
//! * `X-Amz-Target: AWSStepFunctions.<Operation>` names the operation. A missing or unknown
//!   target is `UnknownOperationException` (HTTP 400).
//! * The body is the operation's input as JSON; an empty body reads as `{}`. `Content-Type` is
//!   not checked (clients send `application/x-amz-json-1.0`, but not all of them). A body that
//!   is not JSON, or has a member of the wrong type, is `SerializationException`; one that
//!   breaks the model's constraints is `ValidationException` in AWS's words (`1 validation
//!   error detected: Value '' at 'executionArn' failed to satisfy constraint: …`).
//! * Every response is `application/x-amz-json-1.0` and carries `x-amzn-RequestId`, a fresh
//!   UUID that the service also sees as [`RequestContext::request_id`].
//! * Errors have the status of [`ApiError::status`] and the body of [`ApiError::body`]:
//!   `__type` as `<namespace>#<code>` with AWS's namespaces, and the message; the code alone is
//!   also in the `x-amzn-ErrorType` header, the protocol's other place for it (smithy-rs
//!   clients read the header first, botocore reads the body).
//! * Bodies over [`BODY_LIMIT`] are refused with HTTP 413 and
//!   `com.amazon.coral.service#RequestEntityTooLargeException`. The limit is above the largest
//!   request the service model allows, so this answers only bodies no valid or
//!   validation-refused request can be; AWS's own answer to such a body is not recorded here
//!   (the code is the one other emulators use). Bodies in flight share
//!   [`Config::body_budget`]; past it a request is `ThrottlingException`.
//! * `GET /health` answers `{"status":"ok"}`, for readiness probes.
//! * Before any of this, [`serve`] (on `baton_http`) refuses what the edge refuses — a foreign
//!   `Host`, a request head that does not parse or breaks the header limits — with AWS JSON 1.0
//!   bodies, and closes slow and idle connections.
//! * `GET /` and `/console/…` are the web console ([`baton_console::router`]): the method
//!   tells the console's page from the API on the same path.
//!
//! # Account and region
//!
//! With keys configured ([`Config::auth`], `[[auth.keys]]` in `baton.toml`), signatures are
//! verified ([`auth`]) and a request acts in its key's account, in its scope's region.
//!
//! Without keys, **signatures are not verified**: any credentials are accepted. The caller is read from the
//! SigV4 credential scope in `Authorization`
//! (`AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/states/aws4_request, …`): the region
//! is the scope's, and the account is the access key id when that is exactly 12 digits (as
//! LocalStack does), so `AWS_ACCESS_KEY_ID=111122223333` acts in account `111122223333`. What
//! is missing, or could not go into an ARN, comes from [`Config`].
//!
//! # Host names: StartSyncExecution and TestState
//!
//! The service model gives these two operations the host prefix `sync-`, and SDKs prepend it
//! to custom endpoints too: `http://localhost:8083` becomes `http://sync-localhost:8083`.
//! [`serve`] answers the `sync-` form of every host it answers (loopback, `localhost`, the bound
//! address and the names of [`baton_http::HostPolicy`]; any other `Host` is refused, against
//! DNS rebinding); the problem is the client reaching it, since neither
//! `sync-localhost` (not a name under `.localhost`, so RFC 6761's loopback rule does not cover
//! it) nor `sync-127.0.0.1` resolves by default. Per client:
//!
//! * botocore, so boto3 and AWS CLI v1: `AWS_DISABLE_HOST_PREFIX_INJECTION=true`, or
//!   `disable_host_prefix_injection = true` in the shared config file (the setting of AWS's
//!   "SDKs and Tools" reference guide; checked with botocore 1.43.11 and AWS CLI 1.45.11), or
//!   `botocore.config.Config(inject_host_prefix=False)` in code. The CLI has no command-line
//!   switch for it (aws/aws-cli#6898).
//! * aws-sdk-rust: no setting (none in aws-sdk-sfn 1.125 / aws-smithy-runtime 1.16). Either
//!   make the prefixed name resolve (`127.0.0.1 sync-localhost` in `/etc/hosts`) or strip the
//!   prefix with an interceptor in `modify_before_transmit`, as `tests/sdk.rs` does.
//! * Anything else: the same environment variable or config-file setting where the SDK
//!   supports it, or a hosts-file entry.

pub mod auth;
mod credential;
pub mod lambda;
pub mod metrics;
pub mod rest;
mod rpc;
pub mod triggers;

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_api::StepFunctions;
#[cfg(doc)]
use baton_api::{ApiError, RequestContext};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The largest request body read, in bytes: 16 MiB. The largest request the service model
/// allows (TestState: a 1 MiB definition, inputs and variables of 256 KiB…, each character of
/// them escaped as six bytes) is about 14 MB; `tests/body_limit.rs` derives it from the model.
/// So any request AWS would take, or refuse by validation, is read and answered as AWS does.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Who the caller is when the request does not say: the account and region used when the
/// `Authorization` header has no usable credential scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The account of callers whose access key id is not a 12-digit account id.
    pub account_id: String,
    /// The region of callers whose request has no credential scope.
    pub region: String,
    /// How long a request's body may take to arrive once its head has: a body trickled in a
    /// byte at a time would otherwise hold its connection for as long as the client likes.
    pub body_read_timeout: std::time::Duration,
    /// The most bytes of request bodies held at once, across all requests (at least
    /// [`BODY_LIMIT`]). A request whose body does not fit what is left is refused with
    /// `ThrottlingException` before it is read, so many large bodies at once cannot exhaust
    /// memory.
    pub body_budget: usize,
    /// The keys requests must be signed with (`[[auth.keys]]`); `None`: signatures are not
    /// checked and the account comes from the access key id ([`crate::auth`]).
    pub auth: Option<Arc<baton_auth::Keys>>,
    /// Where API requests are counted (`GET /metrics`); `None`: not counted.
    pub api_metrics: Option<Arc<metrics::ApiMetrics>>,
    /// Other AWS JSON services answered on `POST /`, by their `X-Amz-Target` prefix
    /// (CloudWatch Logs), signed with their own signing names when keys are configured.
    pub services: Services,
}

/// The other services of [`Config::services`]; equal when they are the same objects.
#[derive(Clone, Default)]
pub struct Services(pub Vec<Arc<dyn baton_api::JsonService>>);

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.target_prefix()))
            .finish()
    }
}

impl PartialEq for Services {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for Services {}

impl Default for Config {
    /// Account `123456789012` in `us-east-1`; a body must arrive within 60 seconds; 256 MiB
    /// of bodies at once.
    fn default() -> Self {
        Self {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            body_read_timeout: std::time::Duration::from_secs(60),
            body_budget: 256 * 1024 * 1024,
            auth: None,
            api_metrics: None,
            services: Services::default(),
        }
    }
}

/// The HTTP API: `POST /` for every operation of `service`, `GET /health` for probes, and the
/// web console (`GET /`, `/console/…`). The router checks no `Host`: [`serve`] does. With
/// [`Config::auth`], every request but the health probe and the console's page and assets
/// must be signed ([`auth`]).
pub fn app(service: Arc<dyn StepFunctions>, config: Config) -> Router {
    let in_flight = rpc::BodyBudget::new(config.body_budget);
    let shared = Arc::new(rpc::Shared {
        service,
        config,
        in_flight,
    });
    let keys = shared.config.auth.clone();
    let api = Router::new()
        .route("/", post(rpc::call))
        .route("/health", get(health))
        .merge(baton_console::router())
        .with_state(shared);
    api.merge(auth::require(
        baton_console::api_router(),
        keys,
        auth::Guard {
            service: "states",
            dialect: auth::Dialect::AwsJson,
            body_limit: baton_console::API_BODY_LIMIT,
            action: |_, _| None,
        },
    ))
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections and
/// returns once the requests in flight are answered; with [`baton_http::Edge`]'s defaults
/// (timeouts, connection cap, loopback and `localhost` hosts only).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(
        listener,
        app,
        baton_http::Edge::new(baton_http::Protocol::AwsJson),
        shutdown,
    )
    .await
}

/// [`serve`] with `edge`'s limits and host policy. Refusals made before `app` sees a request (a
/// foreign `Host`, a request head that does not parse or is too large) are AWS JSON 1.0 errors
/// whatever `edge.protocol` says: this is the API's listener.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    edge: baton_http::Edge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let edge = baton_http::Edge {
        protocol: baton_http::Protocol::AwsJson,
        ..edge
    };
    let service = move |request: hyper::Request<hyper::body::Incoming>| {
        let app = app.clone();
        async move {
            match app.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    };
    baton_http::serve(listener, service, edge, shutdown).await
}

/// `GET /health`: the server is up and answering.
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
