//! SigV4 and one pooled HTTP client: a protocol's request signed, sent and its whole answer
//! read, with a bound on the answer's size and on the time an attempt may take; and the AWS SDK
//! for Java 2.x's standard retries around it.
//!
//! One [`Transport`] holds one connection pool (HTTP/1.1, keep-alive) for every endpoint, so
//! calls to the same endpoint reuse connections. `https` endpoints are verified against the
//! system's certificate authorities and those of `[aws] ca_file`.
//!
//! Errors ([`TransportError`]) name the URL without its query and what went wrong (the
//! operating system's error for an unreachable endpoint); they never hold credentials or the
//! request's headers. The log (debug level) names the service and the status only.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::http::{HeaderName, HeaderValue, Method, Request};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::sync::Semaphore;
use tokio_rustls::rustls;

use crate::config::AwsConfig;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::wire::{HttpRequest, HttpResponse};

/// The largest answer read by default: 64 MiB.
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 << 20;

/// The most requests one [`Transport`] has in flight at once to one host (scheme, host and
/// port): the AWS SDK for Java 2.x's default `maxConnections`
/// (`SdkHttpConfigurationOption.MAX_CONNECTIONS`, 50), which its HTTP client also applies per
/// route. Further requests to that host wait for one of them to finish, so a burst of calls (a
/// Map's thousands of iterations) reuses that many connections instead of opening one each,
/// and a host that is slow to answer holds up no other.
pub const MAX_CONCURRENT_REQUESTS: usize = 50;

/// What `User-Agent` says.
pub const USER_AGENT: &str = concat!("baton/", env!("CARGO_PKG_VERSION"));

/// Why no answer was had. Never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The request could not be made or signed (a header that is not valid HTTP, say).
    #[error("{url}: the request cannot be sent: {reason}")]
    Request { url: String, reason: String },
    /// No connection could be made (refused, no route, name not resolved, TLS refused).
    #[error("{url}: unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    /// The connection failed after it was made (reset, closed before the whole answer).
    #[error("{url}: the connection failed: {reason}")]
    Connection { url: String, reason: String },
    /// No whole answer within the attempt's timeout.
    #[error("{url}: no answer within {} s", .after.as_secs_f64())]
    Timeout { url: String, after: Duration },
    /// The answer was larger than the transport reads.
    #[error("{url}: the answer is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

impl TransportError {
    /// Whether the AWS SDK for Java 2.x would retry it: I/O errors and timeouts are, an
    /// unsendable request or an oversized answer are not.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Unreachable { .. }
                | TransportError::Connection { .. }
                | TransportError::Timeout { .. }
        )
    }
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One pooled HTTP client that signs what it sends.
#[derive(Clone)]
pub struct Transport {
    client: HttpsClient,
    /// [`MAX_CONCURRENT_REQUESTS`] permits per host; shared by clones, as the pool is.
    in_flight: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    timeout: Duration,
    max_answer_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport with `[aws]`'s timeouts and certificate authorities.
    pub fn new(config: &AwsConfig) -> Result<Transport, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if let Some(path) = &config.ca_file {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("[aws] ca_file {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("[aws] ca_file {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "[aws] ca_file {}: no PEM certificates in it",
                    path.display()
                ));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("[aws] ca_file {}: {e}", path.display()))?;
            }
        } else if added == 0 {
            tracing::warn!("no system certificate authorities found; https endpoints will be refused (set [aws] ca_file)");
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout()));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(50))
            .pool_timer(TokioTimer::new())
            .build(https);
        Ok(Transport {
            client,
            in_flight: Arc::default(),
            timeout: config.timeout(),
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
        })
    }

    /// The same transport (sharing its pool) reading answers of at most `limit` bytes.
    pub fn with_max_answer_bytes(mut self, limit: usize) -> Transport {
        self.max_answer_bytes = limit;
        self
    }

    /// The same transport (sharing its pool) with attempts of at most `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Transport {
        self.timeout = timeout;
        self
    }

    /// Signs `request` for `signing_name` (SigV4's service name: `dynamodb`, `s3`) with
    /// `credentials`, sends it to `endpoint` and reads the whole answer, whatever its status.
    /// At most [`MAX_CONCURRENT_REQUESTS`] are in flight at once to one host: beyond them a
    /// request waits (before it is signed, and outside its timeout) for one to finish.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        signing_name: &str,
        credentials: &Credentials,
        request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let host = format!(
            "{}://{}",
            endpoint.scheme,
            endpoint.authority(request.host_prefix.as_deref())
        );
        let permits = self.permits(host);
        // The semaphore is never closed.
        let _permit = permits.acquire().await.ok();
        let host_prefix = request.host_prefix.as_deref();
        let url = endpoint.url(host_prefix, &request.path);
        let shown = shown_url(&url);
        let request =
            build(endpoint, signing_name, credentials, request, &url).map_err(|reason| {
                TransportError::Request {
                    url: shown.clone(),
                    reason,
                }
            })?;
        let limit = self.max_answer_bytes;
        let attempt = async {
            let answer = self
                .client
                .request(request)
                .await
                .map_err(|e| client_error(&shown, &e))?;
            let (parts, body) = answer.into_parts();
            let declared = parts
                .headers
                .get(hyper::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit as u64) {
                return Err(TransportError::TooLarge {
                    url: shown.clone(),
                    limit,
                });
            }
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        TransportError::TooLarge {
                            url: shown.clone(),
                            limit,
                        }
                    } else {
                        TransportError::Connection {
                            url: shown.clone(),
                            reason: error_chain(&*e),
                        }
                    }
                })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok(HttpResponse {
                status: parts.status.as_u16(),
                headers,
                body,
            })
        };
        let answer = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(answer) => answer,
            Err(_) => Err(TransportError::Timeout {
                url: shown.clone(),
                after: self.timeout,
            }),
        };
        match &answer {
            Ok(a) => tracing::debug!(service = signing_name, status = a.status, "AWS answer"),
            Err(e) => tracing::debug!(service = signing_name, error = %e, "AWS call failed"),
        }
        answer
    }

    /// The permits of requests in flight to `host`.
    fn permits(&self, host: String) -> Arc<Semaphore> {
        let mut hosts = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(MAX_CONCURRENT_REQUESTS)))
            .clone()
    }

    /// [`send`](Transport::send) with `policy`'s retries: an answer is retried when
    /// [`retry_kind`] says so for its status and the error code `error_code` reads from it, a
    /// transport error when it is [`retryable`](TransportError::retryable). Each attempt is
    /// signed afresh.
    pub async fn send_with_retries(
        &self,
        policy: &RetryPolicy,
        endpoint: &Endpoint,
        signing_name: &str,
        credentials: &Credentials,
        request: HttpRequest,
        error_code: &(dyn Fn(&HttpResponse) -> Option<String> + Sync),
    ) -> Attempted<Result<HttpResponse, TransportError>> {
        retry(
            policy,
            || self.send(endpoint, signing_name, credentials, request.clone()),
            |result| match result {
                Ok(answer) => retry_kind(answer.status, error_code(answer).as_deref()),
                Err(e) if e.retryable() => Some(RetryKind::Transient),
                Err(_) => None,
            },
        )
        .await
    }
}

/// The URL as errors show it: without the query.
fn shown_url(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

/// `request` addressed to `endpoint`, given `Host`, `Content-Length` and `User-Agent`, and
/// signed for `signing_name` with `credentials`: what [`Transport::send`] sends, before it is
/// sent.
pub fn signed_request(
    endpoint: &Endpoint,
    signing_name: &str,
    credentials: &Credentials,
    request: HttpRequest,
) -> Result<Request<Full<Bytes>>, String> {
    let url = endpoint.url(request.host_prefix.as_deref(), &request.path);
    build(endpoint, signing_name, credentials, request, &url)
}

/// The request addressed, given `Host`, `Content-Length` and `User-Agent`, and signed.
fn build(
    endpoint: &Endpoint,
    signing_name: &str,
    credentials: &Credentials,
    request: HttpRequest,
    url: &str,
) -> Result<Request<Full<Bytes>>, String> {
    let host = endpoint.authority(request.host_prefix.as_deref());
    let s3 = signing_name == "s3" || signing_name == "s3-object-lambda";
    // The transport's and the signature's own headers, whatever the protocol set.
    let transport_headers = [
        "host",
        "content-length",
        "user-agent",
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
    ];
    let mut headers: Vec<(String, String)> = request
        .headers
        .into_iter()
        .filter(|(k, _)| {
            let signer_sets = transport_headers.iter().any(|t| k.eq_ignore_ascii_case(t))
                || (s3 && k.eq_ignore_ascii_case("x-amz-content-sha256"));
            !signer_sets
        })
        .collect();
    headers.push(("host".into(), host));
    headers.push(("content-length".into(), request.body.len().to_string()));
    let mut settings = SigningSettings::default();
    if s3 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().to_owned(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_owned()),
        None,
        "baton",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&endpoint.signing_region)
        .name(signing_name)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| format!("signing: {e}"))?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .map_err(|e| format!("signing: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("signing: {e}"))?
        .into_parts();

    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("{:?} is not an HTTP method", request.method))?;
    let mut builder = Request::builder().method(method).uri(url);
    let map = builder
        .headers_mut()
        .ok_or_else(|| format!("{url:?} is not a URL"))?;
    let signed = instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
    for (name, value) in headers.into_iter().chain(signed) {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("the value of header {name} is not valid in HTTP"))?;
        map.append(name, value);
    }
    map.insert(
        hyper::http::header::USER_AGENT,
        HeaderValue::from_static(USER_AGENT),
    );
    builder
        .body(Full::new(request.body))
        .map_err(|e| format!("{e}"))
}

fn client_error(url: &str, e: &hyper_util::client::legacy::Error) -> TransportError {
    let reason = error_chain(e);
    if e.is_connect() {
        TransportError::Unreachable {
            url: url.to_owned(),
            reason,
        }
    } else {
        TransportError::Connection {
            url: url.to_owned(),
            reason,
        }
    }
}

/// An error and its sources on one line, repeated text left out.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !s_text.is_empty() && !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Why an attempt is retried, which picks its backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// A 5xx answer, a transient error code or an I/O error.
    Transient,
    /// The service is throttling (429, `ThrottlingException`, `SlowDown`, …).
    Throttling,
}

/// Error codes the AWS SDK for Java 2.x treats as throttling (`AwsErrorCode.THROTTLING_ERROR_CODES`
/// in `aws-core`).
pub const THROTTLING_ERROR_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "EC2ThrottledException",
];

/// Error codes the AWS SDK for Java 2.x retries as transient (`AwsErrorCode.RETRYABLE_ERROR_CODES`).
pub const TRANSIENT_ERROR_CODES: &[&str] = &[
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Whether an answer with `status` and error code `code` is retried, and how: throttling codes
/// and 429 as throttling; 500, 502, 503, 504 and the transient codes as transient; anything
/// else (a 4xx: validation, access, not found) never.
pub fn retry_kind(status: u16, code: Option<&str>) -> Option<RetryKind> {
    if status < 300 {
        return None;
    }
    if status == 429 || code.is_some_and(|c| THROTTLING_ERROR_CODES.contains(&c)) {
        return Some(RetryKind::Throttling);
    }
    if matches!(status, 500 | 502 | 503 | 504)
        || code.is_some_and(|c| TRANSIENT_ERROR_CODES.contains(&c))
    {
        return Some(RetryKind::Transient);
    }
    None
}

/// A retry policy: the AWS SDK for Java 2.x's `RetryMode.STANDARD` by default, the mode Step
/// Functions' AWS SDK integrations call with ("Retry behavior", AWS SDK for Java 2.x Developer
/// Guide; "Retry behavior", AWS SDKs and Tools Reference Guide): 3 attempts in all; before
/// retry `n` (1, 2, …) a delay drawn at random from `[0, min(20 s, 100 ms × 2ⁿ⁻¹))` ("full
/// jitter"), or for throttling from `[c/2, c)` with `c = min(20 s, 500 ms × 2ⁿ⁻¹)` ("equal
/// jitter"; `SdkDefaultRetrySetting`'s `BASE_DELAY`, `THROTTLED_BASE_DELAY`, `MAX_BACKOFF`).
/// The SDK's retry quota (a token bucket shared by a client's calls) is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub throttled_base_delay: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::STANDARD
    }
}

impl RetryPolicy {
    /// `RetryMode.STANDARD`.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(100),
        throttled_base_delay: Duration::from_millis(500),
        max_backoff: Duration::from_secs(20),
    };

    /// One attempt, no retries.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::STANDARD
    };

    /// The delay before retry number `retry` (1 for the second attempt).
    pub fn delay(&self, retry: u32, kind: RetryKind) -> Duration {
        let base = match kind {
            RetryKind::Transient => self.base_delay,
            RetryKind::Throttling => self.throttled_base_delay,
        };
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = base.saturating_mul(1u32 << exponent).min(self.max_backoff);
        let ceiling_ms = ceiling.as_millis() as u64;
        if ceiling_ms == 0 {
            return Duration::ZERO;
        }
        let random = random_u64();
        Duration::from_millis(match kind {
            RetryKind::Transient => random % ceiling_ms,
            RetryKind::Throttling => ceiling_ms / 2 + random % (ceiling_ms - ceiling_ms / 2),
        })
    }
}

/// A random number (std's per-instance random hash keys: no random number crate needed for
/// jitter).
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish()
}

/// A result and how many attempts it took: what Step Functions writes as
/// "(SDK Attempt Count: N)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted<T> {
    pub result: T,
    pub attempts: u32,
}

/// Calls `attempt` until `classify` says its result is not to be retried or `policy`'s
/// attempts are spent, sleeping the policy's backoff between attempts.
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    mut attempt: F,
    classify: impl Fn(&T) -> Option<RetryKind>,
) -> Attempted<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let max = policy.max_attempts.max(1);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = attempt().await;
        match classify(&result) {
            Some(kind) if attempts < max => {
                let delay = policy.delay(attempts, kind);
                tracing::debug!(attempt = attempts, ?kind, ?delay, "retrying AWS call");
                tokio::time::sleep(delay).await;
            }
            _ => return Attempted { result, attempts },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body_util::BodyExt;
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use hyper::Response;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback server answering `{}` once `gate` gives a permit (each answer returns it):
    /// its endpoint, the connections it accepted and the most requests it had at once.
    async fn serve(gate: Arc<Semaphore>) -> (Endpoint, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (accepted, highest) = (connections.clone(), most.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (in_flight, most, gate) = (in_flight.clone(), highest.clone(), gate.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (in_flight, most, gate) =
                            (in_flight.clone(), most.clone(), gate.clone());
                        async move {
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            let _ = request.into_body().collect().await;
                            let _open = gate.acquire().await;
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            let body = Full::new(Bytes::from_static(b"{}"));
                            Ok::<_, Infallible>(Response::new(body))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let endpoint = Endpoint {
            scheme: "http".into(),
            host: "127.0.0.1".into(),
            port: Some(port),
            base_path: String::new(),
            signing_region: "us-east-1".into(),
            custom: true,
        };
        (endpoint, connections, most)
    }

    fn send(transport: &Transport, endpoint: &Endpoint) -> tokio::task::JoinHandle<u16> {
        let (transport, endpoint) = (transport.clone(), endpoint.clone());
        tokio::spawn(async move {
            let request = HttpRequest {
                method: "POST".into(),
                path: "/".into(),
                body: Bytes::from_static(b"{}"),
                ..HttpRequest::default()
            };
            let credentials = Credentials::placeholder();
            transport
                .send(&endpoint, "dynamodb", &credentials, request)
                .await
                .unwrap()
                .status
        })
    }

    /// A burst of requests far above the bound is answered over about that many connections,
    /// and no more than that many are ever in flight.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_reuses_a_bounded_number_of_connections() {
        let (endpoint, connections, most) = serve(Arc::new(Semaphore::new(1_000))).await;
        let transport = Transport::new(&AwsConfig::default()).unwrap();
        let calls = MAX_CONCURRENT_REQUESTS * 6;
        let sent: Vec<_> = (0..calls).map(|_| send(&transport, &endpoint)).collect();
        for answer in sent {
            assert_eq!(answer.await.unwrap(), 200);
        }
        // A connection goes back to the pool just after its answer is read: a request sent in
        // that moment may open another, so a few more than the bound can be opened.
        let connections = connections.load(Ordering::SeqCst);
        assert!(
            connections <= 2 * MAX_CONCURRENT_REQUESTS,
            "{calls} requests over {connections} connections"
        );
        assert!(most.load(Ordering::SeqCst) <= MAX_CONCURRENT_REQUESTS);
    }

    /// A host holding every request it may have in flight does not hold up another host.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_bound_is_per_host() {
        let held = Arc::new(Semaphore::new(0));
        let (slow, _, most) = serve(held.clone()).await;
        let (fast, _, _) = serve(Arc::new(Semaphore::new(1_000))).await;
        let transport = Transport::new(&AwsConfig::default()).unwrap();
        let waiting: Vec<_> = (0..MAX_CONCURRENT_REQUESTS + 5)
            .map(|_| send(&transport, &slow))
            .collect();
        while most.load(Ordering::SeqCst) < MAX_CONCURRENT_REQUESTS {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(send(&transport, &fast).await.unwrap(), 200);
        held.add_permits(1_000);
        for answer in waiting {
            assert_eq!(answer.await.unwrap(), 200);
        }
        assert_eq!(most.load(Ordering::SeqCst), MAX_CONCURRENT_REQUESTS);
    }
}
