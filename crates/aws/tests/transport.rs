//! The transport against a real HTTP server on a loopback address: signing, connection reuse,
//! the answer's size bound, timeouts, retries, unreachable endpoints; and endpoint resolution,
//! the allow-list and the redaction of secrets.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use baton_aws::config::AwsConfig;
use baton_aws::credentials::Credentials;
use baton_aws::endpoint::{self, Endpoint};
use baton_aws::model::Metadata;
use baton_aws::transport::{retry_kind, RetryKind, RetryPolicy, Transport, TransportError};
use baton_aws::HttpRequest;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Body = BoxBody<Bytes, Infallible>;
type Handler = dyn Fn(&Seen, usize) -> Response<Body> + Send + Sync;

/// A body of unknown length: sent chunked, without `Content-Length`.
struct Chunked(Option<Bytes>);

impl hyper::body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }
}

struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn endpoint(&self) -> Endpoint {
        Endpoint {
            scheme: "http".into(),
            host: self.addr.ip().to_string(),
            port: Some(self.addr.port()),
            base_path: String::new(),
            signing_region: "us-east-1".into(),
            custom: true,
        }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// An HTTP/1.1 server answering with `handler(request, index of the request)`, after `delay`.
async fn serve(
    delay: Duration,
    handler: impl Fn(&Seen, usize) -> Response<Body> + Send + Sync + 'static,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    {
        let connections = connections.clone();
        let seen = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                connections.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let seen = seen.clone();
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            let request = Seen {
                                method: parts.method.to_string(),
                                path: parts
                                    .uri
                                    .path_and_query()
                                    .map(|p| p.to_string())
                                    .unwrap_or_default(),
                                headers: parts
                                    .headers
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                                    .collect(),
                                body,
                            };
                            let index = {
                                let mut seen = seen.lock().unwrap();
                                seen.push(request.clone());
                                seen.len() - 1
                            };
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            Ok::<_, Infallible>(handler(&request, index))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    }
    Server {
        addr,
        connections,
        seen,
    }
}

fn answer(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(Bytes::from(body.to_owned())).boxed())
        .unwrap()
}

fn chunked(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .body(Chunked(Some(Bytes::from(body))).boxed())
        .unwrap()
}

fn transport() -> Transport {
    Transport::new(&AwsConfig::default()).unwrap()
}

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Some("session-token-example".into()),
    )
}

fn get_item() -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        headers: vec![
            ("Content-Type".into(), "application/x-amz-json-1.0".into()),
            ("X-Amz-Target".into(), "DynamoDB_20120810.GetItem".into()),
        ],
        body: Bytes::from_static(br#"{"TableName":"t","Key":{"k":{"S":"1"}}}"#),
        host_prefix: None,
    }
}

/// Recomputes the signature of `seen` with aws-sigv4 from what arrived, and compares.
fn verify_signature(seen: &Seen, host: &str, service: &str, region: &str, s3: bool) {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    let authorization = seen
        .header("authorization")
        .expect("an Authorization header");
    let date = seen.header("x-amz-date").expect("an X-Amz-Date header");
    let time = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc();
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(time.timestamp() as u64);
    let skip = [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ];
    let headers: Vec<(&str, &str)> = seen
        .headers
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut settings = SigningSettings::default();
    if s3 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let c = credentials();
    let identity = aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_owned(),
        c.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("http://{host}{}", seen.path);
    let signable = SignableRequest::new(
        &seen.method,
        &url,
        headers.into_iter(),
        SignableBody::Bytes(&seen.body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let expected = instructions
        .headers()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    assert_eq!(authorization, expected, "the signature does not verify");
}

#[tokio::test]
async fn requests_arrive_signed_and_the_signature_verifies() {
    let server = serve(Duration::ZERO, |_, _| answer(200, r#"{"Item":{}}"#)).await;
    let endpoint = server.endpoint();
    let answer = transport()
        .send(&endpoint, "dynamodb", &credentials(), get_item())
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], br#"{"Item":{}}"#);
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-amz-json-1.0")
    );

    let seen = &server.requests()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/");
    assert_eq!(
        &seen.body[..],
        br#"{"TableName":"t","Key":{"k":{"S":"1"}}}"#
    );
    let host = server.addr.to_string();
    assert_eq!(seen.header("host"), Some(host.as_str()));
    assert_eq!(seen.header("content-length"), Some("39"));
    assert!(seen.header("user-agent").unwrap().starts_with("baton/"));
    assert_eq!(
        seen.header("x-amz-security-token"),
        Some("session-token-example")
    );
    let authorization = seen.header("authorization").unwrap();
    let date = &seen.header("x-amz-date").unwrap()[..8];
    assert!(
        authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{date}/us-east-1/dynamodb/aws4_request, SignedHeaders="
        )),
        "{authorization}"
    );
    let signed = authorization
        .split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    for header in [
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-target",
    ] {
        assert!(
            signed.split(';').any(|h| h == header),
            "{header} not in {signed}"
        );
    }
    assert!(!signed.contains("user-agent"));
    verify_signature(seen, &host, "dynamodb", "us-east-1", false);
}

#[tokio::test]
async fn s3_requests_carry_the_payload_hash() {
    let server = serve(Duration::ZERO, |_, _| answer(200, "")).await;
    let mut endpoint = server.endpoint();
    endpoint.signing_region = "eu-west-1".into();
    let request = HttpRequest {
        method: "PUT".into(),
        path: "/bucket/a%20key?x-id=PutObject".into(),
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            ("X-Amz-Content-SHA256".into(), "UNSIGNED-PAYLOAD".into()),
        ],
        body: Bytes::from_static(b"hello"),
        host_prefix: None,
    };
    transport()
        .send(&endpoint, "s3", &credentials(), request)
        .await
        .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(seen.path, "/bucket/a%20key?x-id=PutObject");
    assert_eq!(
        seen.header("x-amz-content-sha256"),
        Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    );
    verify_signature(seen, &server.addr.to_string(), "s3", "eu-west-1", true);
}

#[tokio::test]
async fn connections_are_reused() {
    let server = serve(Duration::ZERO, |_, i| {
        answer(200, &format!("{{\"n\":{i}}}"))
    })
    .await;
    let endpoint = server.endpoint();
    let transport = transport();
    for i in 0..100 {
        let answer = transport
            .send(&endpoint, "dynamodb", &credentials(), get_item())
            .await
            .unwrap();
        assert_eq!(answer.body, Bytes::from(format!("{{\"n\":{i}}}")));
    }
    assert_eq!(server.requests().len(), 100);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_larger_than_the_bound_are_refused() {
    let server = serve(Duration::ZERO, |_, i| match i {
        0 => answer(200, &"x".repeat(2048)),
        // No Content-Length: the bound applies while reading.
        1 => chunked(200, "y".repeat(2048)),
        _ => answer(200, &"z".repeat(1024)),
    })
    .await;
    let endpoint = server.endpoint();
    let transport = transport().with_max_answer_bytes(1024);
    for _ in 0..2 {
        let error = transport
            .send(&endpoint, "dynamodb", &credentials(), get_item())
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransportError::TooLarge { limit: 1024, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("larger than 1024 bytes"),
            "{error}"
        );
        assert!(!error.retryable());
    }
    // Exactly at the bound is read.
    let answer = transport
        .send(&endpoint, "dynamodb", &credentials(), get_item())
        .await
        .unwrap();
    assert_eq!(answer.body.len(), 1024);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = serve(Duration::from_secs(5), |_, _| answer(200, "{}")).await;
    let endpoint = server.endpoint();
    let transport = transport().with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = transport
        .send(&endpoint, "dynamodb", &credentials(), get_item())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(error, TransportError::Timeout { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains(&format!("http://{}/", server.addr)), "{text}");
    assert!(text.contains("no answer within 0.3 s"), "{text}");
    assert!(error.retryable());
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        throttled_base_delay: Duration::from_millis(10),
        ..RetryPolicy::STANDARD
    }
}

fn code(answer: &baton_aws::HttpResponse) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    Some(v.get("__type")?.as_str()?.rsplit('#').next()?.to_owned())
}

#[tokio::test]
async fn a_503_is_retried_then_succeeds() {
    let server = serve(Duration::ZERO, |_, i| {
        if i == 0 {
            answer(503, r#"{"__type":"ServiceUnavailable"}"#)
        } else {
            answer(200, "{}")
        }
    })
    .await;
    let attempted = transport()
        .send_with_retries(
            &quick(),
            &server.endpoint(),
            "dynamodb",
            &credentials(),
            get_item(),
            &code,
        )
        .await;
    assert_eq!(attempted.attempts, 2);
    assert_eq!(attempted.result.unwrap().status, 200);
    assert_eq!(server.requests().len(), 2);
    // Each attempt signed afresh, both verify.
    for seen in server.requests() {
        verify_signature(
            &seen,
            &server.addr.to_string(),
            "dynamodb",
            "us-east-1",
            false,
        );
    }
}

#[tokio::test]
async fn a_400_is_not_retried_but_throttling_is_until_the_attempts_are_spent() {
    let server = serve(Duration::ZERO, |_, _| {
        answer(400, r#"{"__type":"com.amazon#ValidationException"}"#)
    })
    .await;
    let attempted = transport()
        .send_with_retries(
            &quick(),
            &server.endpoint(),
            "dynamodb",
            &credentials(),
            get_item(),
            &code,
        )
        .await;
    assert_eq!(attempted.attempts, 1);
    assert_eq!(attempted.result.unwrap().status, 400);

    let server = serve(Duration::ZERO, |_, _| {
        answer(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}"#,
        )
    })
    .await;
    let attempted = transport()
        .send_with_retries(
            &quick(),
            &server.endpoint(),
            "dynamodb",
            &credentials(),
            get_item(),
            &code,
        )
        .await;
    assert_eq!(attempted.attempts, 3);
    assert_eq!(attempted.result.unwrap().status, 400);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn retry_classification_and_backoff() {
    assert_eq!(retry_kind(200, None), None);
    assert_eq!(retry_kind(400, Some("ValidationException")), None);
    assert_eq!(retry_kind(403, Some("AccessDeniedException")), None);
    assert_eq!(retry_kind(404, None), None);
    assert_eq!(retry_kind(500, None), Some(RetryKind::Transient));
    assert_eq!(retry_kind(502, None), Some(RetryKind::Transient));
    assert_eq!(
        retry_kind(503, Some("SlowDown")),
        Some(RetryKind::Throttling)
    );
    assert_eq!(retry_kind(504, None), Some(RetryKind::Transient));
    assert_eq!(retry_kind(501, None), None);
    assert_eq!(retry_kind(429, None), Some(RetryKind::Throttling));
    assert_eq!(
        retry_kind(400, Some("ThrottlingException")),
        Some(RetryKind::Throttling)
    );
    assert_eq!(
        retry_kind(400, Some("RequestTimeout")),
        Some(RetryKind::Transient)
    );
    let p = RetryPolicy::STANDARD;
    assert_eq!(p.max_attempts, 3);
    for _ in 0..200 {
        assert!(p.delay(1, RetryKind::Transient) < Duration::from_millis(100));
        assert!(p.delay(2, RetryKind::Transient) < Duration::from_millis(200));
        let t = p.delay(1, RetryKind::Throttling);
        assert!(
            t >= Duration::from_millis(250) && t < Duration::from_millis(500),
            "{t:?}"
        );
        assert!(p.delay(20, RetryKind::Throttling) < Duration::from_secs(20));
        assert!(p.delay(20, RetryKind::Throttling) >= Duration::from_secs(10));
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_names_the_url_and_the_os_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = endpoint_for(&format!("http://{addr}"));
    let mut request = get_item();
    request.path = "/?Action=ListQueues&Secret=not-shown".into();
    let attempted = transport()
        .send_with_retries(&quick(), &endpoint, "sqs", &credentials(), request, &code)
        .await;
    assert_eq!(attempted.attempts, 3);
    let error = attempted.result.unwrap_err();
    assert!(
        matches!(error, TransportError::Unreachable { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("http://{addr}/: unreachable: ")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("connection refused"), "{text}");
    assert!(!text.contains("not-shown"), "{text}");
    assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
}

fn endpoint_for(url: &str) -> Endpoint {
    let (scheme, host, port, base_path) = endpoint::parse_url(url).unwrap();
    Endpoint {
        scheme,
        host,
        port,
        base_path,
        signing_region: "us-east-1".into(),
        custom: true,
    }
}

#[tokio::test]
async fn a_base_path_and_host_prefix() {
    let server = serve(Duration::ZERO, |_, _| answer(200, "{}")).await;
    let mut endpoint = endpoint_for(&format!("http://{}/proxy/", server.addr));
    assert_eq!(endpoint.base_path, "/proxy");
    let mut request = get_item();
    request.path = "/2015-03-31/functions/f/invocations?Qualifier=1".into();
    request.host_prefix = Some("data-".into());
    transport()
        .send(&endpoint, "lambda", &credentials(), request.clone())
        .await
        .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(
        seen.path,
        "/proxy/2015-03-31/functions/f/invocations?Qualifier=1"
    );
    // A custom endpoint: no prefix.
    assert_eq!(seen.header("host"), Some(server.addr.to_string().as_str()));
    verify_signature(seen, &server.addr.to_string(), "lambda", "us-east-1", false);

    endpoint.custom = false;
    endpoint.host = "lambda.eu-west-1.amazonaws.com".into();
    endpoint.port = None;
    endpoint.base_path.clear();
    assert_eq!(
        endpoint.url(Some("data-"), "/x"),
        "http://data-lambda.eu-west-1.amazonaws.com/x"
    );
}

fn meta(service_id: &str, endpoint_prefix: &str, global: Option<&str>) -> Metadata {
    Metadata {
        protocol: "json".into(),
        protocols: vec![],
        json_version: Some("1.0".into()),
        target_prefix: None,
        service_id: service_id.into(),
        signing_name: None,
        endpoint_prefix: endpoint_prefix.into(),
        api_version: "2012-08-10".into(),
        xml_namespace: None,
        signature_version: Some("v4".into()),
        global_endpoint: global.map(str::to_owned),
    }
}

#[test]
fn endpoint_precedence() {
    let dynamodb = meta("DynamoDB", "dynamodb", None);
    let sfn = meta("SFN", "states", None);
    let apigw = meta("API Gateway", "apigateway", None);
    let sagemaker = meta("SageMaker", "api.sagemaker", None);
    let iam = meta("IAM", "iam", Some("iam.amazonaws.com"));
    let sts = meta("STS", "sts", Some("sts.amazonaws.com"));
    let events = meta("EventBridge", "events", None);

    let all_env: HashMap<&str, &str> = [
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://svc-env:1"),
        ("DYNAMODB_ENDPOINT", "http://sfn-local:2"),
        ("AWS_ENDPOINT_URL", "http://global-env:3"),
    ]
    .into();
    let config = |endpoints: &[(&str, &str)], endpoint_url: Option<&str>| AwsConfig {
        endpoints: endpoints
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        endpoint_url: endpoint_url.map(str::to_owned),
        ..AwsConfig::default()
    };
    let resolve = |config: &AwsConfig,
                   env: &HashMap<&str, &str>,
                   meta: &Metadata,
                   name: &str,
                   region: &str| {
        let env = |k: &str| env.get(k).map(|v| v.to_string());
        endpoint::resolve(config, &env, meta, name, region).unwrap()
    };

    // 1. [aws.endpoints] by Step Functions name, endpoint prefix or config-file key.
    let with_table = config(&[("dynamodb", "http://table:9/")], Some("http://cfg:4"));
    let e = resolve(&with_table, &all_env, &dynamodb, "dynamodb", "eu-west-1");
    assert_eq!(e.base_url(), "http://table:9");
    assert!(e.custom);
    assert_eq!(e.signing_region, "eu-west-1");
    let by_prefix = config(&[("states", "http://states:1")], None);
    assert_eq!(
        resolve(&by_prefix, &HashMap::new(), &sfn, "sfn", "eu-west-1").base_url(),
        "http://states:1"
    );
    let by_sfn_name = config(&[("SFN", "http://sfn:1")], None);
    assert_eq!(
        resolve(&by_sfn_name, &HashMap::new(), &sfn, "sfn", "eu-west-1").base_url(),
        "http://sfn:1"
    );
    let by_key = config(&[("api_gateway", "https://gw.example.com/stage")], None);
    let e = resolve(&by_key, &HashMap::new(), &apigw, "apigateway", "eu-west-1");
    assert_eq!(e.base_url(), "https://gw.example.com/stage");
    assert_eq!(e.base_path, "/stage");

    // 2. AWS_ENDPOINT_URL_<SERVICE>, before Step Functions Local's and the global ones.
    let with_url = config(&[], Some("http://cfg:4"));
    assert_eq!(
        resolve(&with_url, &all_env, &dynamodb, "dynamodb", "eu-west-1").base_url(),
        "http://svc-env:1"
    );
    assert_eq!(
        endpoint::service_env_var("API Gateway"),
        "AWS_ENDPOINT_URL_API_GATEWAY"
    );
    let env: HashMap<&str, &str> = [("AWS_ENDPOINT_URL_API_GATEWAY", "http://gw:1")].into();
    assert_eq!(
        resolve(
            &AwsConfig::default(),
            &env,
            &apigw,
            "apigateway",
            "eu-west-1"
        )
        .base_url(),
        "http://gw:1"
    );

    // 3. Step Functions Local's variables.
    let mut env = all_env.clone();
    env.remove("AWS_ENDPOINT_URL_DYNAMODB");
    assert_eq!(
        resolve(&with_url, &env, &dynamodb, "dynamodb", "eu-west-1").base_url(),
        "http://sfn-local:2"
    );
    for (service, name, var) in [
        (&sfn, "sfn", "STEP_FUNCTIONS_ENDPOINT"),
        (&sagemaker, "sagemaker", "SAGE_MAKER_ENDPOINT"),
    ] {
        let env: HashMap<&str, &str> = [(var, "http://local:8")].into();
        assert_eq!(
            resolve(&AwsConfig::default(), &env, service, name, "eu-west-1").base_url(),
            "http://local:8",
            "{var}"
        );
    }
    // No Step Functions Local variable for EventBridge.
    let mut env: HashMap<&str, &str> = [("EVENTBRIDGE_ENDPOINT", "http://local:8")].into();
    assert!(!resolve(&AwsConfig::default(), &env, &events, "events", "eu-west-1").custom);

    // 4. [aws] endpoint_url, then AWS_ENDPOINT_URL.
    env.clear();
    env.insert("AWS_ENDPOINT_URL", "http://global-env:3");
    assert_eq!(
        resolve(&with_url, &env, &dynamodb, "dynamodb", "eu-west-1").base_url(),
        "http://cfg:4"
    );
    assert_eq!(
        resolve(
            &AwsConfig::default(),
            &env,
            &dynamodb,
            "dynamodb",
            "eu-west-1"
        )
        .base_url(),
        "http://global-env:3"
    );
    // Empty variables are not set.
    env.insert("AWS_ENDPOINT_URL", " ");
    assert!(
        !resolve(
            &AwsConfig::default(),
            &env,
            &dynamodb,
            "dynamodb",
            "eu-west-1"
        )
        .custom
    );

    // 5. AWS's own.
    let none = HashMap::new();
    let e = resolve(
        &AwsConfig::default(),
        &none,
        &dynamodb,
        "dynamodb",
        "eu-west-1",
    );
    assert_eq!(e.base_url(), "https://dynamodb.eu-west-1.amazonaws.com");
    assert!(!e.custom);
    assert_eq!(e.signing_region, "eu-west-1");
    assert_eq!(
        resolve(
            &AwsConfig::default(),
            &none,
            &sagemaker,
            "sagemaker",
            "us-east-2"
        )
        .base_url(),
        "https://api.sagemaker.us-east-2.amazonaws.com"
    );
    assert_eq!(
        resolve(
            &AwsConfig::default(),
            &none,
            &dynamodb,
            "dynamodb",
            "cn-north-1"
        )
        .base_url(),
        "https://dynamodb.cn-north-1.amazonaws.com.cn"
    );
    let e = resolve(&AwsConfig::default(), &none, &iam, "iam", "eu-west-1");
    assert_eq!(e.base_url(), "https://iam.amazonaws.com");
    assert_eq!(e.signing_region, "us-east-1");
    let e = resolve(&AwsConfig::default(), &none, &iam, "iam", "cn-northwest-1");
    assert_eq!(e.base_url(), "https://iam.cn-north-1.amazonaws.com.cn");
    assert_eq!(e.signing_region, "cn-north-1");
    let e = resolve(&AwsConfig::default(), &none, &sts, "sts", "eu-west-1");
    assert_eq!(e.base_url(), "https://sts.eu-west-1.amazonaws.com");
    assert_eq!(e.signing_region, "eu-west-1");

    // Errors name the setting.
    let bad = config(&[("dynamodb", "ftp://x")], None);
    let env = |_: &str| None;
    let error = endpoint::resolve(&bad, &env, &dynamodb, "dynamodb", "eu-west-1").unwrap_err();
    assert!(error.starts_with("[aws.endpoints] dynamodb: "), "{error}");
    let env = |k: &str| (k == "DYNAMODB_ENDPOINT").then(|| "not a url".to_owned());
    let error = endpoint::resolve(
        &AwsConfig::default(),
        &env,
        &dynamodb,
        "dynamodb",
        "eu-west-1",
    )
    .unwrap_err();
    assert!(error.starts_with("DYNAMODB_ENDPOINT: "), "{error}");
    let env = |_: &str| None;
    assert!(endpoint::resolve(&AwsConfig::default(), &env, &dynamodb, "dynamodb", "").is_err());
}

#[test]
fn the_allow_list() {
    let config = |allow: &[&str]| AwsConfig {
        allow: allow.iter().map(|s| s.to_string()).collect(),
        ..AwsConfig::default()
    };
    let cases: &[(&[&str], &str, &str, bool)] = &[
        (&[], "dynamodb", "GetItem", false),
        (&["*"], "dynamodb", "GetItem", true),
        (&["*"], "execute-api", "Invoke", true),
        (&["dynamodb:*"], "dynamodb", "GetItem", true),
        (&["dynamodb:*"], "sqs", "SendMessage", false),
        (&["dynamodb:Get*"], "dynamodb", "GetItem", true),
        (&["dynamodb:Get*"], "dynamodb", "PutItem", false),
        (&["dynamodb:Get*"], "dynamodb", "BatchGetItem", false),
        (&["dynamodb:*Item"], "dynamodb", "BatchGetItem", true),
        (&["sqs:SendMessage"], "sqs", "SendMessage", true),
        (&["sqs:SendMessage"], "sqs", "SendMessageBatch", false),
        (&["SQS:sendmessage"], "sqs", "SendMessage", true),
        (&["sqs:Send?essage"], "sqs", "SendMessage", true),
        (&["sqs:Send?essage"], "sqs", "SendMeessage", false),
        (&["states:Start*", "sns:Publish"], "sns", "Publish", true),
        (
            &["states:Start*", "sns:Publish"],
            "states",
            "StartSyncExecution",
            true,
        ),
        (
            &["states:Start*", "sns:Publish"],
            "states",
            "StopExecution",
            false,
        ),
        (&["dynamo*:GetItem"], "dynamodb", "GetItem", true),
        (&["dynamodb"], "dynamodb", "GetItem", false),
        (&["bedrock:InvokeModel"], "bedrock", "InvokeModel", true),
        (&["execute-api:Invoke"], "execute-api", "Invoke", true),
    ];
    for (allow, prefix, operation, expected) in cases {
        assert_eq!(
            config(allow).allowed(prefix, operation),
            *expected,
            "{allow:?} {prefix}:{operation}"
        );
    }
}

#[test]
fn the_aws_table() {
    let config = AwsConfig::from_toml(
        r#"
        region = "eu-west-1"
        endpoint_url = "http://127.0.0.1:4566"
        access_key_id = "AKIDEXAMPLE"
        secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        session_token = "the-session-token"
        endpoints = { dynamodb = "http://127.0.0.1:5000" }
        allow = ["dynamodb:*", "sqs:SendMessage"]
        models = ["/opt/models"]
        assume_role = true
        timeout_seconds = 5
        "#,
    )
    .unwrap();
    assert_eq!(config.region.as_deref(), Some("eu-west-1"));
    assert_eq!(config.endpoints["dynamodb"], "http://127.0.0.1:5000");
    assert!(config.assume_role);
    assert_eq!(config.timeout(), Duration::from_secs(5));
    assert_eq!(config.connect_timeout(), Duration::from_secs(5));
    assert_eq!(
        config.secret_access_key.as_ref().unwrap().expose(),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    );
    let shown = format!("{config:?}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(!shown.contains("the-session-token"), "{shown}");
    assert!(shown.contains("AKIDEXAMPLE"));

    assert_eq!(
        config.region(&|_| Some("us-west-2".into())).as_deref(),
        Some("eu-west-1")
    );

    let defaults = AwsConfig::from_toml("").unwrap();
    let env = |k: &str| match k {
        "AWS_REGION" => Some("us-west-2".to_owned()),
        "AWS_DEFAULT_REGION" => Some("us-east-2".to_owned()),
        _ => None,
    };
    assert_eq!(defaults.region(&env).as_deref(), Some("us-west-2"));
    let env = |k: &str| (k == "AWS_DEFAULT_REGION").then(|| "us-east-2".to_owned());
    assert_eq!(defaults.region(&env).as_deref(), Some("us-east-2"));
    assert_eq!(defaults.region(&|_| None), None);
    assert!(!defaults.assume_role);
    assert!(!defaults.allowed("dynamodb", "GetItem"));
    assert_eq!(defaults.timeout(), Duration::from_secs(60));

    for (text, expected) in [
        ("regoin = \"x\"", "unknown field `regoin`"),
        (
            "access_key_id = \"a\"\nsecret_access_key = \"b\"\nsecret_access_key_env = \"C\"",
            "both set",
        ),
        ("access_key_id = \"a\"", "needs secret_access_key"),
        ("endpoint_url = \"127.0.0.1:4566\"", "[aws] endpoint_url"),
        ("endpoints = { sqs = \"tcp://x\" }", "[aws.endpoints] sqs"),
        ("allow = [\"GetItem\"]", "not an action pattern"),
        ("timeout_seconds = 0", "at least 1 second"),
    ] {
        let error = AwsConfig::from_toml(text).unwrap_err();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn credentials_never_show_their_secrets() {
    let shown = format!("{:?}", credentials());
    assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(!shown.contains("session-token-example"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}

#[tokio::test]
async fn static_keys_come_first_and_roles_need_the_setting() {
    let config = AwsConfig {
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key_env: Some("BATON_TEST_SECRET".into()),
        profile: Some("unused".into()),
        ..AwsConfig::default()
    };
    let env = Arc::new(|k: &str| (k == "BATON_TEST_SECRET").then(|| "from-env".to_owned()));
    let source = baton_aws::credentials::CredentialSource::with_env(&config, env).unwrap();
    let got = source.get().await.unwrap();
    assert_eq!(got.access_key_id, "AKIDEXAMPLE");
    assert_eq!(got.secret_access_key.expose(), "from-env");
    assert!(!format!("{source:?}").contains("from-env"));

    let error = source
        .assume("arn:aws:iam::123456789012:role/r", "s", "eu-west-1")
        .await
        .unwrap_err();
    assert!(error.contains("[aws] assume_role = true"), "{error}");

    let missing =
        baton_aws::credentials::CredentialSource::with_env(&config, Arc::new(|_: &str| None))
            .unwrap_err();
    assert!(
        missing.contains("BATON_TEST_SECRET is not set"),
        "{missing}"
    );
}
