//! What verifying one signature costs the server: `Keys::authenticate` on a StartExecution
//! request as aws-sdk-rust signs it (the SDK's own signer, aws-sigv4), and its parts.
//! `cargo bench -p baton-auth --bench verify`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use baton_auth::keys::{AuthConfig, KeyConfig};
use baton_auth::sigv4::{self, Request};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderName, HeaderValue};

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] =
    br#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:orders"}"#;

fn signed_headers(at: SystemTime) -> HeaderMap {
    let headers = [
        ("host", "127.0.0.1:8083"),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "AWSStepFunctions.DescribeStateMachine"),
        ("user-agent", "aws-sdk-rust/1.0 os/linux lang/rust/1.95.0"),
    ];
    let identity = aws_credential_types::Credentials::new(KEY, SECRET, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("states")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        "http://127.0.0.1:8083/",
        headers.iter().copied(),
        SignableBody::Bytes(BODY),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut map = HeaderMap::new();
    for (k, v) in headers.iter().copied().chain(instructions.headers()) {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

fn bench(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(1_796_637_600);
    let headers = signed_headers(now);
    let keys = AuthConfig {
        keys: vec![KeyConfig {
            access_key_id: KEY.into(),
            secret_access_key: Some(SECRET.into()),
            secret_access_key_env: None,
            account: "123456789012".into(),
            actions: None,
        }],
    }
    .resolve(|_| None)
    .unwrap()
    .unwrap();
    let authenticate = || {
        let payload = sigv4::sha256_hex(BODY);
        keys.authenticate(
            &Request {
                method: "POST",
                path: "/",
                query: None,
                headers: &headers,
                payload_sha256: &payload,
                service: "states",
            },
            now,
        )
        .expect("verified")
    };
    authenticate();
    c.bench_function("authenticate (claim, key, verify)", |b| {
        b.iter(authenticate)
    });
    c.bench_function("claim", |b| {
        b.iter(|| sigv4::claim(&headers, None).expect("a claim"))
    });
    let claim = sigv4::claim(&headers, None).unwrap();
    let payload = sigv4::sha256_hex(BODY);
    let request = Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        payload_sha256: &payload,
        service: "states",
    };
    c.bench_function("canonical request", |b| {
        b.iter(|| sigv4::canonical_request(&claim, &request))
    });
    c.bench_function("sha256 of the body", |b| b.iter(|| sigv4::sha256_hex(BODY)));
    let key = sigv4::signing_key(SECRET, "20261207", "us-east-1", "states");
    let to_sign = "AWS4-HMAC-SHA256\n20261207T100000Z\n20261207/us-east-1/states/aws4_request\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    c.bench_function("hmac of a string to sign", |b| {
        b.iter(|| aws_lc_rs::hmac::sign(&key, to_sign.as_bytes()))
    });
    let canonical = sigv4::canonical_request(&claim, &request);
    c.bench_function("sha256 of the canonical request", |b| {
        b.iter(|| sigv4::sha256_hex(canonical.as_bytes()))
    });
    c.bench_function("verify with the signing key", |b| {
        b.iter(|| sigv4::verify_with(&claim, &key, &request, now).expect("verified"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
