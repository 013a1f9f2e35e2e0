//! What one AWS call costs Baton, for a DynamoDB `PutItem` of an eight-attribute item: the
//! parameters serialised, the request signed (SigV4), a typical answer parsed, the three
//! together, and a whole `Client::call` against a stub endpoint on a loopback address in the
//! same process (keep-alive; the HTTP exchange included).

#[path = "support/stub.rs"]
mod stub;

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_aws::client::{Call, Client};
use baton_aws::config::{AwsConfig, Secret};
use baton_aws::credentials::Credentials;
use baton_aws::endpoint::Endpoint;
use baton_aws::protocol;
use baton_aws::registry::Registry;
use baton_aws::transport::signed_request;
use baton_aws::HttpResponse;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

/// A `PutItem` of an order: eight attributes of six types.
fn put_item() -> Value {
    json!({
        "TableName": "orders",
        "Item": {
            "pk": {"S": "customer#48213"},
            "sk": {"S": "order#2026-12-06T18:24:09Z#000731"},
            "status": {"S": "PAID"},
            "total": {"N": "129.95"},
            "quantity": {"N": "3"},
            "gift": {"BOOL": false},
            "tags": {"SS": ["express", "fragile"]},
            "address": {"M": {
                "street": {"S": "12 Rue de la Paix"},
                "city": {"S": "Paris"},
                "zip": {"S": "75002"}
            }},
            "lines": {"L": [
                {"M": {"sku": {"S": "A-100"}, "qty": {"N": "2"}}},
                {"M": {"sku": {"S": "B-220"}, "qty": {"N": "1"}}}
            ]}
        },
        "ConditionExpression": "attribute_not_exists(pk)"
    })
}

fn answer(body: &'static [u8]) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![
            ("server".into(), "Server".into()),
            ("date".into(), "Sun, 06 Dec 2026 18:24:09 GMT".into()),
            ("content-type".into(), "application/x-amz-json-1.0".into()),
            ("content-length".into(), body.len().to_string()),
            ("connection".into(), "keep-alive".into()),
            (
                "x-amzn-requestid".into(),
                "N4OT2S9O5B6J3K8V0IHA6DBJR7VV4KQNSO5AEMVJF66Q9ASUAAJG".into(),
            ),
            ("x-amz-crc32".into(), "2745614147".into()),
        ],
        body: Bytes::from_static(body),
    }
}

/// `PutItem` with `ReturnValues: ALL_OLD` over an existing item.
const OLD_ATTRIBUTES: &[u8] = br#"{"Attributes":{"pk":{"S":"customer#48213"},"sk":{"S":"order#2026-12-06T18:24:09Z#000731"},"status":{"S":"PENDING"},"total":{"N":"129.95"},"quantity":{"N":"3"},"gift":{"BOOL":false},"tags":{"SS":["express","fragile"]},"address":{"M":{"street":{"S":"12 Rue de la Paix"},"city":{"S":"Paris"},"zip":{"S":"75002"}}}}}"#;

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        scheme: "http".into(),
        host: "127.0.0.1".into(),
        port: Some(port),
        base_path: String::new(),
        signing_region: "us-east-1".into(),
        custom: true,
    }
}

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    )
}

fn steps(c: &mut Criterion) {
    let registry = Registry::builtin_only();
    let service = registry.service("dynamodb").expect("dynamodb is built in");
    let model = &service.model;
    let op = model.operation("PutItem").expect("PutItem");
    let params = put_item();
    let endpoint = endpoint(8000);
    let credentials = credentials();
    let signing_name = model.metadata.signing_name();
    let empty = answer(b"{}");
    let old = answer(OLD_ATTRIBUTES);

    let request = protocol::serialize(model, op, &params).expect("serialised");
    signed_request(&endpoint, signing_name, &credentials, request.clone()).expect("signed");
    assert_eq!(
        protocol::parse(model, op, &empty).expect("parsed"),
        json!({})
    );
    let parsed = protocol::parse(model, op, &old).expect("parsed");
    assert_eq!(parsed["Attributes"]["status"], json!({"S": "PENDING"}));

    let mut group = c.benchmark_group("dynamodb PutItem");
    group.bench_function("serialize", |b| {
        b.iter(|| protocol::serialize(model, op, black_box(&params)).unwrap())
    });
    group.bench_function("sign", |b| {
        b.iter_batched(
            || request.clone(),
            |r| signed_request(&endpoint, signing_name, &credentials, r).unwrap(),
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("parse {}", |b| {
        b.iter(|| protocol::parse(model, op, black_box(&empty)).unwrap())
    });
    group.bench_function("parse Attributes", |b| {
        b.iter(|| protocol::parse(model, op, black_box(&old)).unwrap())
    });
    group.bench_function("serialize + sign + parse {}", |b| {
        b.iter(|| {
            let service = registry.service("dynamodb").unwrap();
            let model = &service.model;
            let op = model.operation("PutItem").unwrap();
            let request = protocol::serialize(model, op, black_box(&params)).unwrap();
            let signed = signed_request(&endpoint, signing_name, &credentials, request).unwrap();
            black_box(signed);
            protocol::parse(model, op, black_box(&empty)).unwrap()
        })
    });
    group.finish();
}

fn loopback(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (addr, counts) = runtime
        .block_on(stub::start(SocketAddr::from(([127, 0, 0, 1], 0))))
        .expect("the stub listens");
    let config = AwsConfig {
        endpoint_url: Some(format!("http://{addr}")),
        region: Some("us-east-1".into()),
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some(Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
        allow: vec!["dynamodb:PutItem".into()],
        ..AwsConfig::default()
    };
    let client = Client::with_env(config, Arc::new(|_: &str| None)).expect("a client");
    let params = put_item();
    let call = Call {
        service: "dynamodb",
        operation: "PutItem",
        params: &params,
        region: "us-east-1",
        role_arn: None,
    };
    let first = runtime.block_on(client.call(call)).expect("answered");
    assert_eq!(first.output, json!({}));

    let mut group = c.benchmark_group("dynamodb PutItem");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("Client::call, loopback stub", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(client.call(call).await.expect("answered"));
                }
                start.elapsed()
            })
        })
    });
    group.finish();
    eprintln!(
        "loopback stub: {} requests over {} connections",
        counts.requests(),
        counts.connections()
    );
}

criterion_group!(benches, steps, loopback);
criterion_main!(benches);
