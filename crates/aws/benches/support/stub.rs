//! A stand-in for DynamoDB on a loopback address: HTTP/1.1 with keep-alive, every request read
//! whole and answered `200 {}` with an `x-amzn-RequestId`, as `PutItem` answers without
//! `ReturnValues`. It counts the requests it answers and the connections it accepts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the stub has seen so far.
#[derive(Debug, Default)]
pub struct Counts {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
}

impl Counts {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

/// Listens on `addr` (port 0: any free port) and serves on the current Tokio runtime until the
/// runtime stops; the address it listens on, and its counts.
pub async fn start(addr: SocketAddr) -> std::io::Result<(SocketAddr, Arc<Counts>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let counts = Arc::new(Counts::default());
    let served = counts.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            served.connections.fetch_add(1, Ordering::Relaxed);
            let counts = served.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let counts = counts.clone();
                    async move {
                        // Read the whole request, as a service would.
                        let _ = request.into_body().collect().await;
                        let n = counts.requests.fetch_add(1, Ordering::Relaxed) + 1;
                        let answer = Response::builder()
                            .status(200)
                            .header("content-type", "application/x-amz-json-1.0")
                            .header("x-amzn-requestid", request_id(n))
                            .header("x-amz-crc32", "2745614147")
                            .body(Full::new(Bytes::from_static(b"{}")))
                            .expect("a valid answer");
                        Ok::<_, Infallible>(answer)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((local, counts))
}

/// A request id shaped like DynamoDB's (52 upper-case letters and digits).
fn request_id(n: u64) -> String {
    format!("STUB{n:048}")
}
