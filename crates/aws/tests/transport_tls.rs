//! `https` endpoints: verified against `[aws] ca_file`, refused when the certificate is not
//! trusted.

use std::convert::Infallible;
use std::sync::Arc;

use baton_aws::config::AwsConfig;
use baton_aws::credentials::Credentials;
use baton_aws::endpoint::Endpoint;
use baton_aws::transport::{Transport, TransportError};
use baton_aws::HttpRequest;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

/// An HTTPS server on 127.0.0.1 with a fresh self-signed certificate; its PEM.
async fn https_server() -> (u16, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let pem = certified.cert.pem();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(|_: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, pem)
}

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        scheme: "https".into(),
        host: "127.0.0.1".into(),
        port: Some(port),
        base_path: String::new(),
        signing_region: "us-east-1".into(),
        custom: true,
    }
}

fn request() -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        headers: vec![],
        body: Bytes::from_static(b"{}"),
        host_prefix: None,
    }
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("baton-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn https_with_the_configured_certificate_authority() {
    let (port, pem) = https_server().await;
    let credentials = Credentials::placeholder();

    // Not trusted: refused, saying why.
    let error = Transport::new(&AwsConfig::default())
        .unwrap()
        .send(&endpoint(port), "dynamodb", &credentials, request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, TransportError::Unreachable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );

    // Trusted through ca_file.
    let ca_file = temp_file("ca.pem", &pem);
    let config = AwsConfig {
        ca_file: Some(ca_file.clone()),
        ..AwsConfig::default()
    };
    let answer = Transport::new(&config)
        .unwrap()
        .send(&endpoint(port), "dynamodb", &credentials, request())
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], b"{}");
    std::fs::remove_file(ca_file).unwrap();

    // A file without certificates, or none at all, is a configuration error.
    let empty = temp_file("empty.pem", "not a certificate\n");
    let error = Transport::new(&AwsConfig {
        ca_file: Some(empty.clone()),
        ..AwsConfig::default()
    })
    .unwrap_err();
    assert!(error.contains("no PEM certificates"), "{error}");
    std::fs::remove_file(&empty).unwrap();
    let error = Transport::new(&AwsConfig {
        ca_file: Some(empty.clone()),
        ..AwsConfig::default()
    })
    .unwrap_err();
    assert!(error.starts_with("[aws] ca_file "), "{error}");
}
