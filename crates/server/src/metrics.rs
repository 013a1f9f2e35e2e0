//! `GET /metrics`: counts in Prometheus' text format (exposition format 0.0.4), with no
//! signature needed: they hold counts, never data. What is counted is the caller's
//! ([`Exposition`]); the API's own requests, by operation and HTTP status, are counted here
//! ([`ApiMetrics`]).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The content type Prometheus asks for and reads.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whatever renders metrics: the runtime's, the store's, these.
#[async_trait::async_trait]
pub trait Exposition: Send + Sync + 'static {
    async fn render(&self, out: &mut String);
}

/// Requests to the Step Functions API, by operation (`unknown` for a target that names none)
/// and HTTP status.
#[derive(Default)]
pub struct ApiMetrics {
    counts: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

impl std::fmt::Debug for ApiMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiMetrics")
    }
}

impl PartialEq for ApiMetrics {
    /// Two are the same when they are the same counts.
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for ApiMetrics {}

impl ApiMetrics {
    pub(crate) fn count(&self, operation: &'static str, status: u16) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((operation, status)).or_default() += 1;
    }
}

#[async_trait::async_trait]
impl Exposition for ApiMetrics {
    async fn render(&self, out: &mut String) {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP baton_api_requests_total Step Functions API requests, by operation and HTTP status."
        );
        let _ = writeln!(out, "# TYPE baton_api_requests_total counter");
        for ((operation, status), n) in counts {
            let _ = writeln!(
                out,
                "baton_api_requests_total{{operation=\"{operation}\",status=\"{status}\"}} {n}"
            );
        }
    }
}

/// `GET /metrics` rendering `sources` one after the other.
pub fn router(sources: Vec<Arc<dyn Exposition>>) -> Router {
    let sources = Arc::new(sources);
    Router::new().route(
        "/metrics",
        get(move || {
            let sources = sources.clone();
            async move {
                let mut out = String::with_capacity(16 * 1024);
                for source in sources.iter() {
                    source.render(&mut out).await;
                }
                let mut response = out.into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
                response
            }
        }),
    )
}
