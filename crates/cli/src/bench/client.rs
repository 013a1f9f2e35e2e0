//! The benchmark's HTTP client: one keep-alive HTTP/1.1 connection per client task, speaking
//! AWS JSON 1.0 unsigned (the server then acts in its default account and region), or signed
//! with `--key` for a server with keys. No retries, no connection pool: as little client cost
//! as possible, so that what is measured is the server. Signed requests carry one `X-Amz-Date`
//! for ten minutes and each distinct request is signed once in that time (SigV4 lets a
//! signature be sent again within AWS's 15 minutes): the server verifies every request, the
//! client does not pay for signing each.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// The longest one call may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the server listens: `host:port` of an `http://` URL, and the key requests are
/// signed with, if any.
#[derive(Clone, Debug)]
pub struct Endpoint {
    authority: String,
    signer: Option<std::sync::Arc<Signer>>,
}

/// How long one `X-Amz-Date` (and the signatures made with it) is used: well inside AWS's 15
/// minutes of skew.
const SIGNATURE_REUSE: Duration = Duration::from_secs(600);
/// The most signatures kept for reuse; past it requests are signed each time.
const SIGNATURES_KEPT: usize = 4096;

/// A key pair and the signatures made with it.
pub struct Signer {
    key_id: String,
    secret: String,
    state: std::sync::Mutex<Signatures>,
}

struct Signatures {
    amz_date: String,
    since: std::time::Instant,
    /// By target and body.
    made: std::collections::HashMap<(String, Bytes), String>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.key_id)
    }
}

impl Signer {
    /// `ID:SECRET`.
    pub fn parse(key: &str) -> anyhow::Result<Signer> {
        let (key_id, secret) = key
            .split_once(':')
            .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
            .ok_or_else(|| anyhow!("--key must be ACCESS_KEY_ID:SECRET"))?;
        Ok(Signer {
            key_id: key_id.to_owned(),
            secret: secret.to_owned(),
            state: std::sync::Mutex::new(Signatures {
                amz_date: baton_auth::sigv4::amz_date_of(std::time::SystemTime::now()),
                since: std::time::Instant::now(),
                made: Default::default(),
            }),
        })
    }

    /// `X-Amz-Date` and `Authorization` for `POST /` with `target` and `body` to `authority`.
    fn sign(&self, authority: &str, target: &str, body: &Bytes) -> (String, String) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.since.elapsed() > SIGNATURE_REUSE {
            state.amz_date = baton_auth::sigv4::amz_date_of(std::time::SystemTime::now());
            state.since = std::time::Instant::now();
            state.made.clear();
        }
        let amz_date = state.amz_date.clone();
        let key = (target.to_owned(), body.clone());
        if let Some(authorization) = state.made.get(&key) {
            return (amz_date, authorization.clone());
        }
        let mut headers = hyper::HeaderMap::new();
        let value = |v: &str| hyper::header::HeaderValue::from_str(v).expect("a header value");
        headers.insert(header::HOST, value(authority));
        headers.insert("x-amz-date", value(&amz_date));
        headers.insert("x-amz-target", value(target));
        let payload = baton_auth::sigv4::sha256_hex(body);
        let authorization = baton_auth::sigv4::authorization(
            &self.key_id,
            &self.secret,
            "us-east-1",
            &amz_date,
            &baton_auth::sigv4::Request {
                method: "POST",
                path: "/",
                query: None,
                headers: &headers,
                payload_sha256: &payload,
                service: "states",
            },
        );
        if state.made.len() < SIGNATURES_KEPT {
            state.made.insert(key, authorization.clone());
        }
        (amz_date, authorization)
    }
}

impl Endpoint {
    /// Reads `http://host:port` (a trailing `/` is allowed; the port defaults to 80).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("only http:// endpoints are supported, not {url:?}"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("the endpoint must be http://HOST:PORT, not {url:?}");
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        Ok(Self {
            authority,
            signer: None,
        })
    }

    /// The same endpoint, its requests signed by `signer`.
    pub fn signed(self, signer: Option<std::sync::Arc<Signer>>) -> Self {
        Self { signer, ..self }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.authority)
    }
}

/// One answer: the HTTP status and the body.
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// An error answer in a few words: `HTTP 400 ExecutionAlreadyExists: message`.
    pub fn error_text(&self) -> String {
        let parsed: Option<Value> = serde_json::from_slice(&self.body).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v.get("__type"))
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
        let message = parsed
            .as_ref()
            .and_then(|v| v.get("message").or_else(|| v.get("Message")))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match (code, message) {
            (Some(code), Some(message)) => format!("HTTP {} {code}: {message}", self.status),
            (Some(code), None) => format!("HTTP {} {code}", self.status),
            _ => format!(
                "HTTP {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
            ),
        }
    }
}

/// One connection to the server, opened on first use and again after it breaks.
pub struct Client {
    endpoint: Endpoint,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub fn new(endpoint: &Endpoint) -> Self {
        Self {
            endpoint: endpoint.clone(),
            sender: None,
        }
    }

    /// `POST /` with `X-Amz-Target: AWSStepFunctions.<action>`. An HTTP error status is an
    /// `Ok` reply; only a transport failure (or [`CALL_TIMEOUT`]) is an `Err`.
    pub async fn call(&mut self, action: &str, body: impl Into<Bytes>) -> anyhow::Result<Reply> {
        self.call_target(&format!("AWSStepFunctions.{action}"), body)
            .await
    }

    /// `POST /` with `X-Amz-Target: <target>` (another service on the port).
    pub async fn call_target(
        &mut self,
        target: &str,
        body: impl Into<Bytes>,
    ) -> anyhow::Result<Reply> {
        let body = body.into();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/")
            .header(header::HOST, &self.endpoint.authority)
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.0");
        if let Some(signer) = &self.endpoint.signer {
            let (amz_date, authorization) = signer.sign(&self.endpoint.authority, target, &body);
            request = request
                .header("x-amz-date", amz_date)
                .header(header::AUTHORIZATION, authorization);
        }
        let request = request
            .header("x-amz-target", target)
            .body(Full::new(body))
            .context("building a request")?;
        self.send(request).await
    }

    /// `call`, for the calls that must succeed: the answer's JSON, or an error that says why.
    pub async fn call_json(&mut self, action: &str, body: &Value) -> anyhow::Result<Value> {
        let reply = self.call(action, body.to_string()).await?;
        if !reply.ok() {
            bail!("{action}: {}", reply.error_text());
        }
        serde_json::from_slice(&reply.body)
            .with_context(|| format!("{action}: the answer is not JSON"))
    }

    /// `method path` with a JSON body (a REST-JSON API on the port), unsigned.
    pub async fn rest(
        &mut self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Reply> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.endpoint.authority)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .context("building a request")?;
        self.send(request).await
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Reply> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(header::HOST, &self.endpoint.authority)
            .body(Full::new(Bytes::new()))
            .context("building a request")?;
        self.send(request).await
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<Reply> {
        let result = tokio::time::timeout(CALL_TIMEOUT, self.exchange(request))
            .await
            .unwrap_or_else(|_| Err(anyhow!("no answer within {CALL_TIMEOUT:?}")));
        if result.is_err() {
            // The connection may be half-used; start afresh next time.
            self.sender = None;
        }
        result
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<Reply> {
        let sender = self.connected().await?;
        sender.ready().await.context("connection lost")?;
        let response = sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the answer")?
            .to_bytes();
        Ok(Reply { status, body })
    }

    async fn connected(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(&self.endpoint.authority)
                .await
                .with_context(|| format!("connecting to {}", self.endpoint.url()))?;
            stream.set_nodelay(true)?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .context("HTTP handshake")?;
            tokio::spawn(async move {
                // Ends when the server closes the connection or the sender is dropped; a
                // failure shows up as an error of the call in flight.
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected above"))
    }
}

/// How many executions of `machine_arn` have `status`, by paging through `ListExecutions`.
pub async fn count_executions(
    client: &mut Client,
    machine_arn: &str,
    status: &str,
) -> anyhow::Result<u64> {
    let mut count = 0;
    let mut next_token: Option<String> = None;
    loop {
        let mut request = serde_json::json!({
            "stateMachineArn": machine_arn,
            "statusFilter": status,
            "maxResults": 1000,
        });
        if let Some(token) = &next_token {
            request["nextToken"] = Value::from(token.as_str());
        }
        let page = client.call_json("ListExecutions", &request).await?;
        count += page
            .get("executions")
            .and_then(Value::as_array)
            .map_or(0, |e| e.len() as u64);
        match page.get("nextToken").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
            _ => return Ok(count),
        }
    }
}

/// Creates a state machine and returns its ARN.
pub async fn create_machine(
    client: &mut Client,
    name: &str,
    machine_type: &str,
    definition: &Value,
) -> anyhow::Result<String> {
    create_logged_machine(client, name, machine_type, definition, None).await
}

/// [`create_machine`] with a `loggingConfiguration`.
pub async fn create_logged_machine(
    client: &mut Client,
    name: &str,
    machine_type: &str,
    definition: &Value,
    logging: Option<&Value>,
) -> anyhow::Result<String> {
    let mut request = serde_json::json!({
        "name": name,
        "type": machine_type,
        "roleArn": "arn:aws:iam::123456789012:role/bench",
        "definition": definition.to_string(),
    });
    if let Some(logging) = logging {
        request["loggingConfiguration"] = logging.clone();
    }
    let created = client.call_json("CreateStateMachine", &request).await?;
    created
        .get("stateMachineArn")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("CreateStateMachine: no stateMachineArn in {created}"))
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn endpoints() {
        for (url, authority) in [
            ("http://127.0.0.1:8083", "127.0.0.1:8083"),
            ("http://localhost:8083/", "localhost:8083"),
            ("http://localhost", "localhost:80"),
        ] {
            assert_eq!(Endpoint::parse(url).unwrap().authority, authority, "{url}");
        }
        for url in [
            "https://127.0.0.1:8083",
            "127.0.0.1:8083",
            "http://",
            "http://a:1/b",
        ] {
            assert!(Endpoint::parse(url).is_err(), "{url}");
        }
    }
}
