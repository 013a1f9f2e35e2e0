//! One HTTP/1.1 exchange over a fresh connection (`http://` only): what URL functions and the
//! HTTP task send. Kept minimal on purpose: no pooling, no TLS, no redirects.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

/// What the server answered.
pub(crate) struct Response {
    pub status: hyper::StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

/// Why no answer came: the connection (could not connect, handshake, reading) or the request.
pub(crate) type Error = String;

/// Sends `method url` with `headers` (a `host` header is added) and `body`.
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<Response, Error> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("invalid URL {url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("only http:// URLs can be reached (got {url})"));
    }
    let host = uri.host().ok_or_else(|| format!("no host in {url}"))?;
    // `[::1]` in a URI is `::1` to connect to.
    let connect_host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((connect_host, port))
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
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
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer of {url}: {e}"))?
        .to_bytes();
    Ok(Response {
        status,
        headers,
        body,
    })
}
