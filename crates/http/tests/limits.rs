//! The edge's header limits over a real loopback socket, as a property: any request head is
//! either served or refused with a protocol body, by exactly the limits configured.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use baton_http::{Edge, Limits, Protocol};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use proptest::prelude::*;

const MAX_HEADERS: usize = 20;
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// One server for every case, on a runtime of its own.
fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let (send, addr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a port");
                send.send(listener.local_addr().expect("an address"))
                    .expect("sent");
                let edge = Edge {
                    limits: Limits {
                        max_headers: MAX_HEADERS,
                        max_header_bytes: MAX_HEADER_BYTES,
                        ..Limits::default()
                    },
                    ..Edge::new(Protocol::AwsJson)
                };
                let service = |_request| async { Response::new(Full::new(Bytes::from("ok"))) };
                let _ = baton_http::serve(listener, service, edge, std::future::pending()).await;
            });
        });
        addr.recv().expect("the server's address")
    })
}

fn exchange(request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Within both limits: served. Past either: 431 with an AWS JSON body, never hyper's bare
    /// status line.
    #[test]
    fn header_limits(extra in 0usize..40, value_len in 0usize..1200) {
        // `Host` and `Connection` are headers too.
        let count = extra + 2;
        let mut head = String::from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for i in 0..extra {
            head.push_str(&format!("X-H{i}: {}\r\n", "v".repeat(value_len)));
        }
        head.push_str("\r\n");
        let answer = exchange(head.as_bytes());
        if count <= MAX_HEADERS && head.len() <= MAX_HEADER_BYTES {
            prop_assert!(answer.starts_with("HTTP/1.1 200"), "{}", answer);
        } else {
            prop_assert!(answer.starts_with("HTTP/1.1 431"), "{}", answer);
            prop_assert!(answer.contains("content-type: application/x-amz-json-1.0"), "{}", answer);
            prop_assert!(answer.contains("RequestHeaderFieldsTooLargeException"), "{}", answer);
        }
    }

    /// A control character anywhere in a header value: 400 with a body that says so.
    #[test]
    fn control_characters(position in 0usize..8, byte in prop_oneof![0u8..9, 10u8..32, Just(127u8)]) {
        let mut value = b"abcdefgh".to_vec();
        value[position] = byte;
        if byte == b'\r' || byte == b'\n' {
            // A line break is another line, not a character in a value.
            return Ok(());
        }
        let mut request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-V: ".to_vec();
        request.extend_from_slice(&value);
        request.extend_from_slice(b"\r\n\r\n");
        let answer = exchange(&request);
        prop_assert!(answer.starts_with("HTTP/1.1 400"), "{}", answer);
        prop_assert!(answer.contains("BadRequestException"), "{}", answer);
    }
}

/// A head that arrives too slowly is cut off; a fresh connection is served meanwhile.
#[test]
fn a_slow_head_is_cut_off() {
    let (send, addr) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            send.send(listener.local_addr().expect("an address"))
                .expect("sent");
            let edge = Edge {
                limits: Limits {
                    header_read_timeout: Duration::from_millis(200),
                    ..Limits::default()
                },
                ..Edge::new(Protocol::S3Xml)
            };
            let service = |_request| async { Response::new(Full::new(Bytes::from("ok"))) };
            let _ = baton_http::serve(listener, service, edge, std::future::pending()).await;
        });
    });
    let addr: SocketAddr = addr.recv().expect("an address");
    let mut slow = TcpStream::connect(addr).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0")
        .expect("send");
    let mut fresh = TcpStream::connect(addr).expect("connect");
    fresh
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    let _ = fresh.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}
