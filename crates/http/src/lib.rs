//! The HTTP/1.1 edge every `baton serve` listener runs on (the Step Functions API and the S3
//! endpoint): one accept loop, [`serve`], over hyper, which bounds what a client can hold.
//!
//! * **Open connections** are capped ([`Limits::max_connections`]). At the cap the loop stops
//!   accepting: new connections wait in the kernel's listen backlog (and beyond it are refused
//!   by the kernel) until one closes, rather than being accepted only to be closed. So the
//!   server never holds more sockets than the cap, and the timeouts below bound how long any
//!   connection can keep its place without sending a request.
//! * **Request heads** must arrive within [`Limits::header_read_timeout`] of their first byte
//!   (slowloris); a kept-alive connection may sit idle for [`Limits::idle_timeout`] between
//!   requests. Either way the connection is closed. A request being served has no deadline
//!   here: long polls and synchronous executions take as long as they take.
//! * **Request heads** are at most [`Limits::max_headers`] headers and
//!   [`Limits::max_header_bytes`] bytes.
//! * **`Host`** must be one the listener answers for ([`HostPolicy`]): DNS rebinding.
//! * **Refusals** made here — a foreign host, a head hyper cannot parse or that breaks the
//!   limits — carry a body in the listener's [`Protocol`], never hyper's bare status line.
//! * **TLS**, when the edge has it ([`Tls`]): the handshake must finish within the header-read
//!   deadline.
//! * **Shutdown** is graceful: the loop stops accepting, idle connections close, requests in
//!   flight are answered, and [`serve`] returns when every connection is gone.

mod conn;
mod hosts;
mod refusal;
mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

pub use hosts::HostPolicy;
pub use refusal::{diagnose, Protocol, Refusal, Rendered};
pub use tls::Tls;

/// How long and how much a client may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// From the first byte of a request head to its end. Default 10 s.
    pub header_read_timeout: Duration,
    /// From the end of a response to the first byte of the next request. Default 60 s.
    pub idle_timeout: Duration,
    /// Connections open at once. Default 1,024: a quarter of the common 4,096 file limit of
    /// a service, leaving room for the store, the task buckets and processes.
    pub max_connections: usize,
    /// Headers in one request. Default 100 (hyper's own default).
    pub max_headers: usize,
    /// Bytes of one request head (request line and headers). Default 64 KiB.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_headers: 100,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Everything one listener needs besides its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub limits: Limits,
    pub hosts: HostPolicy,
    pub protocol: Protocol,
    /// TLS on every connection; `None`: plain HTTP.
    pub tls: Option<Tls>,
}

impl Edge {
    /// The defaults, refusing in `protocol`'s words, plain HTTP.
    pub fn new(protocol: Protocol) -> Self {
        Self {
            limits: Limits::default(),
            hosts: HostPolicy::default(),
            protocol,
            tls: None,
        }
    }
}

/// A limit given on the command line that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("{0} must be more than zero")]
    Zero(&'static str),
}

impl Limits {
    /// Checks that every limit can be met by some client.
    pub fn check(&self) -> Result<(), Error> {
        if self.header_read_timeout.is_zero() {
            return Err(Error::Zero("the header read timeout"));
        }
        if self.idle_timeout.is_zero() {
            return Err(Error::Zero("the idle timeout"));
        }
        if self.max_connections == 0 {
            return Err(Error::Zero("the connection limit"));
        }
        if self.max_headers == 0 {
            return Err(Error::Zero("the header count limit"));
        }
        Ok(())
    }
}

/// Serves `service` on `listener` with `edge`'s limits until `shutdown` completes; then stops
/// accepting, lets the connections finish what they are doing and returns when all are closed.
///
/// The service sees every request that passed the checks and answers it; it cannot fail.
/// Its body type needs `From<Bytes>` so the edge can answer in the same type.
pub async fn serve<F, Fut, B>(
    listener: TcpListener,
    service: F,
    edge: Edge,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let bound = listener.local_addr()?.ip();
    let max = edge.limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max));
    let edge = Arc::new(edge);
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors (EMFILE, ENFILE) or a connection reset before
                    // it was accepted: the server's own condition, worth an operator's eye.
                    tracing::warn!(address = %bound, "accepting a connection: {e}");
                    // Accepting again at once would spin while descriptors are short.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            stream,
            slot,
            bound,
            service.clone(),
            edge.clone(),
            stopping.clone(),
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it closes: all slots back means all closed.
    let _all = slots.acquire_many(max as u32).await;
    Ok(())
}

/// One connection, from accept to close.
async fn connection<F, Fut, B>(
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    bound: IpAddr,
    service: F,
    edge: Arc<Edge>,
    stopping: watch::Receiver<bool>,
) where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // Small JSON answers: do not wait for more to send.
    let _ = stream.set_nodelay(true);
    match edge.tls.clone() {
        None => served(stream, bound, service, edge, stopping).await,
        Some(tls) => {
            let handshake = tls.0.accept(stream);
            match tokio::time::timeout(edge.limits.header_read_timeout, handshake).await {
                Ok(Ok(stream)) => served(stream, bound, service, edge, stopping).await,
                // A client that is not speaking TLS, or not in time: nothing to answer.
                Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake not finished in time"),
            }
        }
    }
}

/// The requests of one connection, over `stream` (plain or TLS).
async fn served<IO, F, Fut, B>(
    stream: IO,
    bound: IpAddr,
    service: F,
    edge: Arc<Edge>,
    mut stopping: watch::Receiver<bool>,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let shared = conn::Shared::new();
    let limits = Arc::new(edge.limits.clone());
    let io = conn::Guarded::new(stream, shared.clone(), limits.clone(), edge.protocol);
    let handler = {
        let edge = edge.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            shared.serving();
            let answer = check(&request, &edge, bound).map(|refusal| refusal.render(edge.protocol));
            let service = service.clone();
            let shared = shared.clone();
            async move {
                let response = match answer {
                    Some(rendered) => refused(rendered),
                    None => service(request).await,
                };
                Ok::<_, Infallible>(response.map(|body| Tracked {
                    body: Box::pin(body),
                    shared: Some(shared),
                }))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        // The deadlines are `conn`'s: hyper's header timer would also cut idle connections.
        .header_read_timeout(None)
        // hyper's limits sit above the edge's own so that the count is checked (and worded)
        // here; hyper's cap is the backstop for what does not even parse.
        .max_headers(limits.max_headers + 1)
        .max_header_size(limits.max_header_bytes);
    let conn = builder.serve_connection(TokioIo::new(io), handler);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    // Every way a connection ends badly here is the client's doing: a reset, a timeout, a
    // head that does not parse (answered already).
    if let Err(e) = result {
        tracing::debug!("connection closed: {e}");
    }
}

/// Why `request` is refused before the service sees it, if it is.
fn check(request: &Request<Incoming>, edge: &Edge, bound: IpAddr) -> Option<Refusal> {
    let headers = request.headers();
    if headers.len() > edge.limits.max_headers {
        return Some(Refusal::Malformed {
            status: hyper::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            detail: diagnose(
                hyper::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                b"",
                &edge.limits,
            ),
        });
    }
    // HTTP/1.1 clients put the authority in `Host`; a proxy-style absolute URI carries it
    // in the request line, and then it is the one that counts (RFC 9112 §3.2.2).
    let host = match request.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => headers.get(HOST).and_then(|h| h.to_str().ok()),
    };
    if edge.hosts.allows(host, bound) {
        return None;
    }
    tracing::debug!(?host, "refused a request for a host not served here");
    Some(Refusal::Host(host.map(str::to_owned)))
}

fn refused<B: From<Bytes>>(rendered: Rendered) -> Response<B> {
    let mut response = Response::new(B::from(rendered.body));
    *response.status_mut() = rendered.status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    if let Some(code) = rendered.error_type {
        response
            .headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(code));
    }
    response
}

/// A response body that tells the connection when it has ended, so the idle deadline starts.
struct Tracked<B> {
    body: Pin<Box<B>>,
    shared: Option<conn::Shared>,
}

impl<B> Tracked<B> {
    fn done(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.response_done();
        }
    }
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        self.done();
    }
}

impl<B: Body> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = this.body.as_mut().poll_frame(cx);
        if let Poll::Ready(None) = frame {
            this.done();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
