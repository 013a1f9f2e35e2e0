//! The HTTP task (`arn:aws:states:::http:invoke`) against a loopback axum server that echoes
//! what it received: request shaping (query, headers, JSON and URL-encoded bodies), result
//! shape (JSON and text bodies), status errors, connection authentication, the allow list, an
//! endpoint nobody listens on, and `https://` verified against configured certificates.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;
use axum::Router;
use baton_engine::{ExecutionInfo, TaskRequest};
use baton_integrations::config::Config;
use baton_integrations::{Environment, Resources};
use baton_runtime::integration::{Integrations, TaskResult};
use serde_json::{json, Value};

const HTTP: &str = "arn:aws:states:::http:invoke";

/// Answers `{"method", "path", "query", "headers", "body"}` of the request as JSON.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), json!(v.to_str().unwrap_or(""))))
        .collect();
    axum::Json(json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query().unwrap_or(""),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// Starts the server on a free loopback port and answers its base URL.
async fn server() -> String {
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/text", any(|| async { "plain words" }))
        .route(
            "/fail",
            any(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "it broke") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

/// A server whose answer never ends: chunks of 1 MiB until the client hangs up. Answers its
/// base URL.
async fn endless_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let chunk = format!("100000\r\n{}\r\n", "x".repeat(1 << 20));
                let start = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(start.as_bytes()).await.is_err() {
                    return;
                }
                while stream.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

/// A free port nobody listens on.
async fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

fn resources(config: &str) -> Resources {
    let config =
        Config::parse(config, "test", std::path::Path::new("."), Vec::new()).expect("valid config");
    Resources::new(
        &config,
        Environment {
            endpoint_url: None,
            s3_endpoint_url: None,
            data_dir: std::env::temp_dir(),
        },
    )
}

const CONFIG: &str = r#"
[http.connections.open]
[http.connections.basic]
username = "baton"
password = "s3cret"
[http.connections.keyed]
api_key_name = "x-api-key"
api_key_value = "k-123"
"#;

fn connection(name: &str) -> Value {
    json!({"ConnectionArn": format!("arn:aws:events:us-east-1:111111111111:connection/{name}/0b1c2d3e")})
}

async fn call(r: &Resources, params: Value) -> TaskResult {
    call_traced(r, params, None).await
}

async fn call_traced(
    r: &Resources,
    params: Value,
    trace: Option<baton_engine::trace::TraceContext>,
) -> TaskResult {
    let info = ExecutionInfo::standard("aws", "us-east-1", "111111111111", "machine", "run");
    let request = TaskRequest {
        id: 1,
        state_name: "Call".into(),
        resource: HTTP.into(),
        input: params,
        token: None,
        timeout_seconds: None,
        heartbeat_seconds: None,
        credentials: None,
        purpose: Default::default(),
        trace: trace.map(Box::new),
    };
    r.invoke(&info, &request, false).await
}

/// What the echo server saw, from a successful result.
fn seen(result: TaskResult) -> Value {
    match result {
        TaskResult::Succeeded(out) => {
            assert_eq!(out["StatusCode"], 200, "{out}");
            assert_eq!(out["StatusText"], "OK", "{out}");
            assert_eq!(
                out["Headers"]["content-type"],
                json!(["application/json"]),
                "{out}"
            );
            out["ResponseBody"].clone()
        }
        other => panic!("expected success, got {other:?}"),
    }
}

fn failed(result: TaskResult) -> (String, String) {
    match result {
        TaskResult::Failed {
            error: Some(error),
            cause: Some(cause),
        } => (error, cause),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn get_with_query_parameters_and_headers() {
    let base = server().await;
    let r = resources(CONFIG);
    let body = seen(
        call(
            &r,
            json!({
                "ApiEndpoint": format!("{base}/echo"),
                "Method": "GET",
                "Headers": {"X-Trace": "abc", "X-Count": 3},
                "QueryParameters": {"q": "a b&c", "page": 2},
                "Authentication": connection("open"),
            }),
        )
        .await,
    );
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/echo");
    assert_eq!(body["query"], "q=a%20b%26c&page=2");
    assert_eq!(body["headers"]["x-trace"], "abc");
    assert_eq!(body["headers"]["x-count"], "3");
    assert_eq!(body["body"], "");
}

#[tokio::test]
async fn a_traced_execution_sends_its_trace_in_both_headers() {
    let base = server().await;
    let r = resources(CONFIG);
    let trace = baton_engine::trace::TraceContext {
        trace_id: [0xab; 16],
        parent: Some([0x12; 8]),
        sampled: true,
    };
    let params = json!({
        "ApiEndpoint": format!("{base}/echo"),
        "Method": "GET",
        "Authentication": connection("open"),
    });
    let body = seen(call_traced(&r, params.clone(), Some(trace)).await);
    let id = "ab".repeat(16);
    assert_eq!(
        body["headers"]["traceparent"],
        format!("00-{id}-1212121212121212-01")
    );
    assert_eq!(
        body["headers"]["x-amzn-trace-id"],
        format!(
            "Root=1-{}-{};Parent=1212121212121212;Sampled=1",
            &id[..8],
            &id[8..]
        )
    );
    // Untraced: neither header.
    let body = seen(call(&r, params).await);
    assert!(body["headers"].get("traceparent").is_none());
    assert!(body["headers"].get("x-amzn-trace-id").is_none());
}

#[tokio::test]
async fn json_and_url_encoded_bodies() {
    let base = server().await;
    let r = resources(CONFIG);
    // (RequestBody, Transform, the body sent, its content type)
    let cases = [
        (
            json!({"order": 7, "items": ["a", "b"]}),
            Value::Null,
            r#"{"order":7,"items":["a","b"]}"#,
            "application/json",
        ),
        (
            json!({"order": 7, "items": ["a", "b"]}),
            json!({"RequestBodyEncoding": "URL_ENCODED"}),
            "order=7&items%5B0%5D=a&items%5B1%5D=b",
            "application/x-www-form-urlencoded",
        ),
        (
            json!({"items": ["a", "b"]}),
            json!({"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "REPEAT"}}),
            "items=a&items=b",
            "application/x-www-form-urlencoded",
        ),
        (
            json!({"items": ["a", "b"]}),
            json!({"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "COMMAS"}}),
            "items=a%2Cb",
            "application/x-www-form-urlencoded",
        ),
        (
            json!({"items": ["a", "b"]}),
            json!({"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}),
            "items%5B%5D=a&items%5B%5D=b",
            "application/x-www-form-urlencoded",
        ),
    ];
    for (request_body, transform, sent, content_type) in cases {
        let mut params = json!({
            "ApiEndpoint": format!("{base}/echo"),
            "Method": "POST",
            "RequestBody": request_body,
            "Authentication": connection("open"),
        });
        if !transform.is_null() {
            params["Transform"] = transform;
        }
        let body = seen(call(&r, params).await);
        assert_eq!(body["method"], "POST");
        assert_eq!(body["body"], sent);
        assert_eq!(body["headers"]["content-type"], content_type);
    }
}

#[tokio::test]
async fn a_text_answer_is_a_string() {
    let base = server().await;
    let r = resources(CONFIG);
    let TaskResult::Succeeded(out) = call(
        &r,
        json!({"ApiEndpoint": format!("{base}/text"), "Method": "GET", "Authentication": connection("open")}),
    )
    .await
    else {
        panic!("expected success");
    };
    assert_eq!(out["ResponseBody"], "plain words");
    assert_eq!(out["StatusCode"], 200);
}

#[tokio::test]
async fn a_500_fails_with_its_status_code() {
    let base = server().await;
    let r = resources(CONFIG);
    let (error, cause) = failed(
        call(
            &r,
            json!({"ApiEndpoint": format!("{base}/fail"), "Method": "GET", "Authentication": connection("open")}),
        )
        .await,
    );
    assert_eq!(error, "States.Http.StatusCode.500");
    let cause: Value = serde_json::from_str(&cause).expect("JSON cause");
    assert_eq!(cause["StatusCode"], 500);
    assert_eq!(cause["StatusText"], "Internal Server Error");
    assert_eq!(cause["ResponseBody"], "it broke");
}

#[tokio::test]
async fn connections_authenticate() {
    let base = server().await;
    let r = resources(CONFIG);
    let params = |name: &str| json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET", "Authentication": connection(name)});
    let basic = seen(call(&r, params("basic")).await);
    // base64("baton:s3cret")
    assert_eq!(basic["headers"]["authorization"], "Basic YmF0b246czNjcmV0");
    let keyed = seen(call(&r, params("keyed")).await);
    assert_eq!(keyed["headers"]["x-api-key"], "k-123");
    let open = seen(call(&r, params("open")).await);
    assert!(open["headers"].get("authorization").is_none(), "{open}");

    let (error, cause) = failed(call(&r, params("missing")).await);
    assert_eq!(error, "Events.ResourceNotFoundException");
    assert!(
        cause.contains("Connection 'missing' does not exist"),
        "{cause}"
    );
}

#[tokio::test]
async fn the_allow_list_limits_endpoints() {
    let base = server().await;
    let config = format!("[http]\nallow = [\"http://localhost:\"]\n{CONFIG}");
    let r = resources(&config);
    let (error, cause) = failed(
        call(
            &r,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET", "Authentication": connection("open")}),
        )
        .await,
    );
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("allow list"), "{cause}");

    let config = format!("[http]\nallow = [\"{base}/*\"]\n{CONFIG}");
    let r = resources(&config);
    seen(
        call(
            &r,
            json!({"ApiEndpoint": format!("{base}/echo"), "Method": "GET", "Authentication": connection("open")}),
        )
        .await,
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_socket_error() {
    let port = closed_port().await;
    let r = resources(CONFIG);
    let (error, cause) = failed(
        call(
            &r,
            json!({"ApiEndpoint": format!("http://127.0.0.1:{port}/x"), "Method": "GET", "Authentication": connection("open")}),
        )
        .await,
    );
    assert_eq!(error, "States.Http.Socket");
    assert!(cause.contains("cannot connect"), "{cause}");
}

#[test]
fn http_configuration_from_the_file_and_variables() {
    use baton_integrations::config::Connection;
    let vars = [
        ("BATON_HTTP__ALLOW", r#"["http://127.0.0.1:"]"#),
        ("BATON_HTTP__CONNECTIONS__keyed__API_KEY_VALUE", "from-env"),
        ("BATON_HTTP__CONNECTIONS__env-only__USERNAME", "u"),
        ("BATON_HTTP__CONNECTIONS__env-only__PASSWORD", "p"),
        ("BATON_HTTP__CA_FILE", "certs/ca.pem"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let config = Config::parse(
        CONFIG,
        "baton.toml",
        std::path::Path::new("/etc/baton"),
        vars,
    )
    .expect("valid config");
    assert_eq!(
        config.http.allow,
        Some(vec!["http://127.0.0.1:".to_string()])
    );
    // A relative ca_file is relative to the configuration's folder.
    assert_eq!(
        config.http.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/baton/certs/ca.pem"))
    );
    let c = &config.http.connections;
    assert_eq!(c["open"], Connection::None);
    assert_eq!(
        c["basic"],
        Connection::Basic {
            username: "baton".into(),
            password: "s3cret".into()
        }
    );
    assert_eq!(
        c["keyed"],
        Connection::ApiKey {
            name: "x-api-key".into(),
            value: "from-env".into()
        }
    );
    assert_eq!(
        c["env-only"],
        Connection::Basic {
            username: "u".into(),
            password: "p".into()
        }
    );

    // (text, part of the message)
    let mistakes = [
        (
            "[http.connections.half]\nusername = \"u\"\n",
            "http.connections.half: give `username` and `password`",
        ),
        (
            "[http.connections.both]\nusername = \"u\"\npassword = \"p\"\napi_key_name = \"k\"\napi_key_value = \"v\"\n",
            "http.connections.both",
        ),
        ("[http]\nallowed = []\n", "unknown field `allowed`"),
    ];
    for (text, expected) in mistakes {
        let err = Config::parse(text, "baton.toml", std::path::Path::new("."), Vec::new())
            .expect_err(text)
            .to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

/// An `https://` server for `localhost` with a self-signed certificate: answers every request
/// with `{"tls": true, "request": <its first line>}`. Returns the base URL and the certificate
/// as PEM.
async fn tls_server() -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.key_pair.serialize_der(),
    ));
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let first = text.lines().next().unwrap_or("").to_string();
                let body = json!({"tls": true, "request": first}).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}"), certified.cert.pem())
}

#[tokio::test]
async fn https_endpoints_are_verified_against_the_configured_certificates() {
    let (base, pem) = tls_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).expect("ca written");
    let params = json!({"ApiEndpoint": format!("{base}/secure"), "Method": "GET",
        "QueryParameters": {"q": "1"}, "Authentication": connection("open")});

    let trusted = resources(&format!(
        "{CONFIG}\n[http]\nca_file = {:?}\n",
        ca.display().to_string()
    ));
    match call(&trusted, params.clone()).await {
        TaskResult::Succeeded(result) => {
            assert_eq!(result["StatusCode"], 200, "{result}");
            assert_eq!(
                result["ResponseBody"],
                json!({"tls": true, "request": "GET /secure?q=1 HTTP/1.1"})
            );
        }
        other => panic!("the https call should succeed: {other:?}"),
    }

    // Without the certificate, the server's is not trusted: a socket error naming TLS.
    let untrusted = resources(CONFIG);
    let (error, cause) = failed(call(&untrusted, params.clone()).await);
    assert_eq!(error, "States.Http.Socket");
    assert!(
        cause.contains("TLS") && cause.to_lowercase().contains("certificate"),
        "{cause}"
    );

    // A bad ca_file fails https calls with what is wrong with it.
    std::fs::write(&ca, "not a certificate").expect("written");
    let broken = resources(&format!(
        "{CONFIG}\n[http]\nca_file = {:?}\n",
        ca.display().to_string()
    ));
    let (error, cause) = failed(call(&broken, params).await);
    assert_eq!(error, "States.Http.Socket");
    assert!(cause.contains("ca.pem"), "{cause}");
}

#[tokio::test]
async fn an_endless_answer_fails_the_task_at_the_answer_limit() {
    let base = endless_server().await;
    let r = resources(CONFIG);
    let result = call(
        &r,
        json!({"ApiEndpoint": format!("{base}/endless"), "Method": "GET",
               "Authentication": connection("open")}),
    )
    .await;
    let (error, cause) = failed(result);
    assert_eq!(error, "States.Http.Socket");
    assert!(cause.contains("larger than 16 MiB"), "{cause}");
}
