//! One HTTP/1.1 exchange over a fresh connection, `http://` or `https://` (rustls, verified
//! against the system's roots and any configured extra ones): what URL functions and the HTTP
//! task send. Kept minimal on purpose: no pooling, no redirects.

use std::sync::{Arc, OnceLock};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// What the server answered.
pub(crate) struct Response {
    pub status: hyper::StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

/// Why no answer came: the connection (could not connect, handshake, reading) or the request.
pub(crate) type Error = String;

/// Who `https://` servers must prove to be: the system's roots and the PEM certificates in
/// `ca_file`.
pub fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::warn!(error = %e, "a system root certificate could not be read");
    }
    let (_added, _ignored) = roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read the certificates in {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("no PEM certificate in {}", path.display()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("a certificate in {}: {e}", path.display()))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The system's roots only, made once.
pub(crate) fn default_tls() -> Result<Arc<ClientConfig>, String> {
    static DEFAULT: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    DEFAULT.get_or_init(|| tls_config(None)).clone()
}

/// Sends `method url` with `headers` (a `host` header is added) and `body`; `tls` is whom an
/// `https://` server must prove to be (`None`: the system's roots). An answer larger than
/// [`MAX_ANSWER_BYTES`] is an error.
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<Response, Error> {
    let target = Target { url, shown: url };
    send_to(target, method, headers, body, tls, Answer::Whole).await
}

/// Where a request goes, and how errors name it (a URL whose query may hold secrets is shown
/// without it).
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    pub url: &'a str,
    pub shown: &'a str,
}

/// How much of an answer is read.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// All of it, an error past [`MAX_ANSWER_BYTES`].
    Whole,
    /// At most this many bytes; the rest is left unread.
    AtMost(usize),
}

/// [`send`] to `target`, reading the answer as `answer` says.
pub(crate) async fn send_to(
    target: Target<'_>,
    method: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    tls: Option<&Arc<ClientConfig>>,
    answer: Answer,
) -> Result<Response, Error> {
    let url = target.shown;
    let uri: hyper::Uri = target
        .url
        .parse()
        .map_err(|e| format!("invalid URL {url}: {e}"))?;
    let secure = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => {
            return Err(format!(
                "only http:// and https:// URLs can be reached (got {url})"
            ))
        }
    };
    let host = uri.host().ok_or_else(|| format!("no host in {url}"))?;
    // `[::1]` in a URI is `::1` to connect to.
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((connect_host, port))
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    if !secure {
        return exchange(stream, &uri, url, method, headers, body, answer).await;
    }
    let config = match tls {
        Some(c) => c.clone(),
        None => default_tls()?,
    };
    let name = ServerName::try_from(connect_host.to_string())
        .map_err(|e| format!("{connect_host} is not a TLS server name: {e}"))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS handshake with {url}: {e}"))?;
    exchange(stream, &uri, url, method, headers, body, answer).await
}

/// The largest answer read: 16 MiB, past Lambda's 6 MB synchronous response limit and 64 times
/// the 256 KiB a task's result may be, so that an endpoint a definition names cannot fill the
/// server's memory with an endless body.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The request and its answer over an open connection.
async fn exchange<S>(
    stream: S,
    uri: &hyper::Uri,
    url: &str,
    method: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    answer: Answer,
) -> Result<Response, Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let host = uri.host().unwrap_or_default();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {url}: {e}"))?;
    tokio::spawn(async move {
        // Ends with the exchange; a failure shows up as the request's error.
        let _ = connection.await;
    });
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| host.to_string());
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    let method = hyper::Method::from_bytes(method.as_bytes())
        .map_err(|e| format!("invalid method {method:?}: {e}"))?;
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", authority);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("request to {url}: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request to {url}: {e}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = match answer {
        Answer::Whole => response.into_body(),
        Answer::AtMost(limit) => {
            return Ok(Response {
                status,
                headers,
                body: read_at_most(response.into_body(), limit, url).await?,
            })
        }
    };
    let body = Limited::new(body, MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(
            |e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                Some(_) => format!(
                    "the answer of {url} is larger than {} MiB",
                    MAX_ANSWER_BYTES / (1024 * 1024)
                ),
                None => format!("reading the answer of {url}: {e}"),
            },
        )?
        .to_bytes();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// The first `limit` bytes of `body`; what follows is not read.
async fn read_at_most(
    mut body: hyper::body::Incoming,
    limit: usize,
    url: &str,
) -> Result<Bytes, Error> {
    let mut read = Vec::new();
    while read.len() < limit {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let room = limit - read.len();
                    read.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(e)) => return Err(format!("reading the answer of {url}: {e}")),
        }
    }
    Ok(Bytes::from(read))
}
