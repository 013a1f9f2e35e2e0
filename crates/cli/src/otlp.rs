//! Executions' spans to an OpenTelemetry collector, over OTLP/HTTP with the JSON encoding
//! (OpenTelemetry Protocol specification, "OTLP/HTTP": `POST <endpoint>/v1/traces`,
//! `Content-Type: application/json`, ids as hex strings, times as nanoseconds).
//!
//! Spans are queued (at most [`QUEUE`]; past it they are dropped and counted, never waited
//! for) and sent in batches of up to [`BATCH`] at least every second by one task; a stopping
//! server sends what is queued before it exits ([`Exporter::flush`]). A failed
//! send is logged and its batch dropped: tracing never holds an execution back. Written by
//! hand: the spans are made from history events after the fact, with their own times and
//! ids, and the OTLP JSON for them is a few objects; the OpenTelemetry SDK's exporters would
//! bring a second HTTP stack for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{bail, Context};
use baton_runtime::traces::{Span, SpanSink};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The most spans waiting to be sent.
const QUEUE: usize = 16_384;
/// The most spans in one request.
const BATCH: usize = 512;
/// How long a batch waits for more spans.
const LINGER: Duration = Duration::from_secs(1);
/// How long one send may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends spans to an OTLP/HTTP endpoint.
pub struct Exporter {
    queue: mpsc::Sender<Queued>,
    dropped: AtomicU64,
}

/// What the sending task takes, in order.
enum Queued {
    Span(Span),
    /// Send what is queued before this now, then say so: a stopping server's spans.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Where to send: `host:port` and the path of `http://HOST:PORT[/PATH]` (`/v1/traces` when
/// the URL has no path, as the specification's default for the traces signal).
fn target(endpoint: &str) -> anyhow::Result<(String, String)> {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        bail!("[telemetry] otlp_endpoint must be an http:// URL (got {endpoint})");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("[telemetry] otlp_endpoint has no host: {endpoint}");
    }
    let path = match path.trim_end_matches('/') {
        "" => "/v1/traces".to_string(),
        p if p.ends_with("/v1/traces") => p.to_string(),
        p => format!("{p}/v1/traces"),
    };
    Ok((authority.to_string(), path))
}

impl Exporter {
    /// Starts the sending task (on the current Tokio runtime).
    pub fn start(endpoint: &str) -> anyhow::Result<Exporter> {
        let (authority, path) = target(endpoint)?;
        let (queue, spans) = mpsc::channel(QUEUE);
        tokio::spawn(send_loop(authority, path, spans));
        Ok(Exporter {
            queue,
            dropped: AtomicU64::new(0),
        })
    }

    /// Sends every span queued so far and waits for it, at most [`SEND_TIMEOUT`]: when the
    /// server stops, so that the spans of its last steps are not lost.
    pub async fn flush(&self) {
        let (done, sent) = tokio::sync::oneshot::channel();
        let flushed = async {
            if self.queue.send(Queued::Flush(done)).await.is_ok() {
                let _ = sent.await;
            }
        };
        if tokio::time::timeout(SEND_TIMEOUT, flushed).await.is_err() {
            tracing::warn!("OTLP export: the last spans were not all sent before stopping");
        }
    }
}

impl SpanSink for Exporter {
    fn export(&self, spans: Vec<Span>) {
        for span in spans {
            if self.queue.try_send(Queued::Span(span)).is_err() {
                let before = self.dropped.fetch_add(1, Ordering::Relaxed);
                if before.is_power_of_two() {
                    tracing::warn!(
                        dropped = before + 1,
                        "OTLP export queue full: spans dropped"
                    );
                }
            }
        }
    }
}

async fn send_loop(authority: String, path: String, mut queue: mpsc::Receiver<Queued>) {
    while let Some(first) = queue.recv().await {
        let mut batch = Vec::new();
        let mut flushed = None;
        match first {
            Queued::Span(span) => batch.push(span),
            Queued::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        }
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(Queued::Span(span))) => batch.push(span),
                Ok(Some(Queued::Flush(done))) => {
                    flushed = Some(done);
                    break;
                }
                Ok(None) | Err(_) => break,
            }
        }
        send(&authority, &path, &batch).await;
        if let Some(done) = flushed {
            let _ = done.send(());
        }
    }
}

async fn send(authority: &str, path: &str, batch: &[Span]) {
    let body = encode(batch).to_string();
    match tokio::time::timeout(SEND_TIMEOUT, post(authority, path, body)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, spans = batch.len(), "OTLP export failed: spans dropped")
        }
        Err(_) => tracing::warn!(spans = batch.len(), "OTLP export timed out: spans dropped"),
    }
}

async fn post(authority: &str, path: &str, body: String) -> anyhow::Result<()> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .with_context(|| format!("connecting to {authority}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake")?;
    tokio::spawn(connection);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, authority)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .context("building the request")?;
    let response = sender.send_request(request).await.context("sending")?;
    let status = response.status();
    let text = response.into_body().collect().await.map(|b| b.to_bytes());
    if !status.is_success() {
        let text = text.map(|b| String::from_utf8_lossy(&b).into_owned());
        bail!("{status}: {}", text.unwrap_or_default());
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `ExportTraceServiceRequest` of `spans`, in OTLP's JSON encoding.
pub fn encode(spans: &[Span]) -> Value {
    let nanos = |ms: i64| (ms.max(0) as u128 * 1_000_000).to_string();
    let encoded: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut attributes: Vec<Value> = s
                .attributes
                .iter()
                .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
                .collect();
            // Status codes: 0 unset, 1 ok, 2 error.
            let status = match &s.error {
                Some((error, cause)) => {
                    attributes.push(json!({"key": "aws.stepfunctions.error",
                        "value": {"stringValue": error}}));
                    json!({"code": 2, "message": if cause.is_empty() { error } else { cause }})
                }
                None => json!({"code": 1}),
            };
            let mut span = json!({
                "traceId": hex(&s.trace_id),
                "spanId": hex(&s.span_id),
                "name": s.name,
                // SPAN_KIND_INTERNAL.
                "kind": 1,
                "startTimeUnixNano": nanos(s.start),
                "endTimeUnixNano": nanos(s.end),
                "attributes": attributes,
                "status": status,
            });
            if let Some(parent) = s.parent {
                span["parentSpanId"] = json!(hex(&parent));
            }
            span
        })
        .collect();
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "baton"}}
        ]},
        "scopeSpans": [{"scope": {"name": "baton"}, "spans": encoded}],
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_the_traces_path() {
        assert_eq!(
            target("http://127.0.0.1:4318").unwrap(),
            ("127.0.0.1:4318".into(), "/v1/traces".into())
        );
        assert_eq!(
            target("http://c:4318/otlp/").unwrap(),
            ("c:4318".into(), "/otlp/v1/traces".into())
        );
        assert_eq!(target("http://c/v1/traces").unwrap().1, "/v1/traces");
        assert!(target("https://c:4318").is_err());
        assert!(target("http:///x").is_err());
    }

    #[test]
    fn spans_encode_as_otlp_json() {
        let span = Span {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent: Some([3; 8]),
            name: "Work".into(),
            start: 1_000,
            end: 2_500,
            error: Some(("Oops".into(), "it broke".into())),
            attributes: vec![("k", "v".into())],
        };
        let body = encode(&[span]);
        let s = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(s["traceId"], "01010101010101010101010101010101");
        assert_eq!(s["parentSpanId"], "0303030303030303");
        assert_eq!(s["startTimeUnixNano"], "1000000000");
        assert_eq!(s["endTimeUnixNano"], "2500000000");
        assert_eq!(s["status"], json!({"code": 2, "message": "it broke"}));
    }
}
