//! Lambda's Runtime API (version 2018-06-01), served to one warm process on its own loopback
//! port. The paths, headers and answer codes are those of the Lambda developer guide, "Using
//! the Lambda runtime API for custom runtimes" (and its OpenAPI document, runtime-api.zip):
//!
//! * `GET /2018-06-01/runtime/invocation/next` — waits for an invocation; 200 with the event as
//!   the body and `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn`, `Lambda-Runtime-Trace-Id` (and
//!   `Lambda-Runtime-Client-Context`, `Lambda-Runtime-Cognito-Identity` when the caller gave
//!   them);
//! * `POST /2018-06-01/runtime/invocation/{id}/response` — 202 `{"status":"OK"}`; 413 for a
//!   body over the response limit (the invocation fails with `Function.ResponseSizeTooLarge`);
//!   400 for an id that is not the invocation in progress;
//! * `POST /2018-06-01/runtime/invocation/{id}/error` — the same, the body being the error
//!   (`Lambda-Runtime-Function-Error-Type` names it when the body does not);
//! * `POST /2018-06-01/runtime/init/error` — 202; the invocation waiting for this process
//!   fails with that error.
//!
//! Refusals carry the `ErrorResponse` shape of the OpenAPI document, `{errorMessage,
//! errorType}`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// Lambda's synchronous response limit, 6 MB. Lambda's message names 6,291,556 bytes (the
/// developer guide, "Lambda quotas": "6 MB each for request and response (synchronous)"; the
/// figure as `Function.ResponseSizeTooLarge` states it).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// Error bodies and init errors are read up to this much (a larger one is cut).
const MAX_ERROR_BYTES: usize = 1024 * 1024;

/// One invocation handed to the process by `/invocation/next`.
pub(crate) struct Delivery {
    pub request_id: String,
    pub event: Bytes,
    pub deadline_ms: u64,
    pub invoked_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
    pub cognito_identity: Option<String>,
}

/// What the process posted for an invocation (or before any).
#[derive(Debug)]
pub(crate) enum Posted {
    /// `marked`: the runtime wrote an end mark after the invocation's output
    /// (`Baton-End-Mark: 1`, sent by Baton's own runtimes; see `logs`).
    Response {
        body: Bytes,
        marked: bool,
    },
    Error {
        body: Bytes,
        error_type: Option<String>,
        marked: bool,
    },
    InitError {
        body: Bytes,
        error_type: Option<String>,
    },
    TooLarge {
        marked: bool,
    },
}

/// The state one process's Runtime API shares with the pool.
pub(crate) struct Shared {
    next: tokio::sync::Mutex<mpsc::Receiver<Delivery>>,
    /// The invocation in progress: its id and where its outcome goes.
    current: Mutex<Option<(String, oneshot::Sender<Posted>)>>,
    /// Whether the process has taken the invocation in progress (`/invocation/next` handed it
    /// over): a process that ends before that never ran it.
    pub taken: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub(crate) fn new() -> (Arc<Shared>, mpsc::Sender<Delivery>) {
        let (tx, rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            next: tokio::sync::Mutex::new(rx),
            current: Mutex::new(None),
            taken: std::sync::atomic::AtomicBool::new(false),
        });
        (shared, tx)
    }

    /// Registers the invocation whose outcome `reply` receives.
    pub(crate) fn expect(&self, request_id: &str, reply: oneshot::Sender<Posted>) {
        self.taken
            .store(false, std::sync::atomic::Ordering::Release);
        *lock(&self.current) = Some((request_id.to_string(), reply));
    }

    /// Forgets the invocation in progress (it timed out or the process ended).
    pub(crate) fn forget(&self) {
        lock(&self.current).take();
    }

    /// Hands `posted` to the invocation `id` (any, for `None`); false when it is not the one
    /// in progress.
    fn settle(&self, id: Option<&str>, posted: Posted) -> bool {
        let mut current = lock(&self.current);
        match current.take() {
            Some((current_id, reply)) if id.is_none_or(|id| id == current_id) => {
                let _ = reply.send(posted);
                true
            }
            other => {
                *current = other;
                false
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves the Runtime API on `listener` until the future is dropped; connections end with it.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "runtime API: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn refuse(status: StatusCode, error_type: &str, message: &str) -> Answer {
    answer(
        status,
        serde_json::json!({"errorMessage": message, "errorType": error_type}).to_string(),
    )
}

fn accepted() -> Answer {
    answer(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.to_string())
}

async fn route(shared: &Shared, request: Request<Incoming>) -> Answer {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
        return refuse(StatusCode::NOT_FOUND, "NotFound", "Not Found");
    };
    let method = request.method().clone();
    let error_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let marked = request.headers().contains_key("baton-end-mark");
    match (method, rest) {
        (Method::GET, "invocation/next") => next(shared).await,
        (Method::POST, "init/error") => {
            let body = read(request.into_body(), MAX_ERROR_BYTES).await.0;
            shared.settle(None, Posted::InitError { body, error_type });
            accepted()
        }
        (Method::POST, rest) => {
            let Some((id, what)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.rsplit_once('/'))
            else {
                return refuse(StatusCode::NOT_FOUND, "NotFound", "Not Found");
            };
            let id = id.to_string();
            let posted = match what {
                "response" => {
                    let (body, whole) = read(request.into_body(), MAX_RESPONSE_BYTES).await;
                    if !whole {
                        if !shared.settle(Some(&id), Posted::TooLarge { marked }) {
                            return invalid_id();
                        }
                        return refuse(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "RequestEntityTooLarge",
                            &format!(
                                "Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
                            ),
                        );
                    }
                    Posted::Response { body, marked }
                }
                "error" => {
                    let body = read(request.into_body(), MAX_ERROR_BYTES).await.0;
                    Posted::Error {
                        body,
                        error_type,
                        marked,
                    }
                }
                _ => return refuse(StatusCode::NOT_FOUND, "NotFound", "Not Found"),
            };
            if shared.settle(Some(&id), posted) {
                accepted()
            } else {
                invalid_id()
            }
        }
        // A known path asked with another method, or an unknown path.
        (_, "invocation/next" | "init/error") => refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Method Not Allowed",
        ),
        (_, rest)
            if rest.starts_with("invocation/")
                && (rest.ends_with("/response") || rest.ends_with("/error")) =>
        {
            refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "Method Not Allowed",
            )
        }
        _ => refuse(StatusCode::NOT_FOUND, "NotFound", "Not Found"),
    }
}

fn invalid_id() -> Answer {
    refuse(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        "Invalid request ID: not the invocation in progress",
    )
}

async fn next(shared: &Shared) -> Answer {
    // One process asks once at a time; a second concurrent `next` waits behind the first.
    let delivery = shared.next.lock().await.recv().await;
    if delivery.is_some() {
        shared
            .taken
            .store(true, std::sync::atomic::Ordering::Release);
    }
    let Some(d) = delivery else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceUnavailable",
            "The function is shutting down",
        );
    };
    let mut response = Response::new(Full::new(d.event));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &d.request_id);
    set("lambda-runtime-deadline-ms", &d.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &d.invoked_arn);
    set("lambda-runtime-trace-id", &d.trace_id);
    if let Some(c) = &d.client_context {
        set("lambda-runtime-client-context", c);
    }
    if let Some(c) = &d.cognito_identity {
        set("lambda-runtime-cognito-identity", c);
    }
    response
}

/// Reads a body up to `limit` bytes: the bytes, and whether that was all of it.
async fn read(body: Incoming, limit: usize) -> (Bytes, bool) {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => (collected.to_bytes(), true),
        Err(_) => (Bytes::new(), false),
    }
}
