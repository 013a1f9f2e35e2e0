//! A fast stand-in for DynamoDB on a loopback address, for measuring what Baton's AWS calls
//! cost: every request is answered `200 {}` with an `x-amzn-RequestId`, over HTTP/1.1 with
//! keep-alive.
//!
//! ```text
//! cargo run --release -p baton-aws --example stub_endpoint -- [ADDR]
//! ```
//!
//! `ADDR` defaults to `127.0.0.1:0` (any free port). The first line written to stdout is the
//! endpoint's URL (`http://127.0.0.1:PORT`); on SIGTERM or SIGINT it writes
//! `requests N connections M` (the requests answered and the TCP connections accepted) and
//! exits.

#[path = "../benches/support/stub.rs"]
mod stub;

use std::io::Write;
use std::net::SocketAddr;

use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(a) => a.parse().map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{a}: {e}"))
        })?,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let (local, counts) = stub::start(addr).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{local}")?;
        out.flush()?;
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    println!(
        "requests {} connections {}",
        counts.requests(),
        counts.connections()
    );
    Ok(())
}
