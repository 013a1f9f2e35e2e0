//! Requests signed by the SDKs' own signer (aws-sigv4, as aws-sdk-rust signs) verify; every
//! change to what was signed, a wrong secret, a wrong scope or a time out of bounds is refused
//! with AWS's error.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use baton_auth::sigv4::{self, Carrier, Refusal, Request};
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What SigV4 leaves unencoded: letters, digits and `-._~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// 2026-12-07T10:00:00Z.
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_637_600)
}

/// A request as it arrives: method, path, query, headers, body.
#[derive(Clone)]
struct Sent {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

struct How {
    service: &'static str,
    presigned: Option<Duration>,
    at: SystemTime,
    secret: &'static str,
}

impl How {
    fn states() -> How {
        How {
            service: "states",
            presigned: None,
            at: t0(),
            secret: SECRET,
        }
    }
}

/// Signs `method path?query` with `headers` and `body` as the SDK does, and answers what
/// reaches the server.
fn signed(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
    how: &How,
) -> Sent {
    let host = "localhost:8083";
    let url = match query {
        Some(q) => format!("http://{host}{path}?{q}"),
        None => format!("http://{host}{path}"),
    };
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.push(("host".into(), host.into()));
    let mut settings = SigningSettings::default();
    let s3 = how.service == "s3";
    if s3 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if let Some(expires) = how.presigned {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let identity =
        aws_credential_types::Credentials::new(KEY, how.secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(how.service)
        .time(how.at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body_for_signer = if how.presigned.is_some() && s3 {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(body)
    };
    let signable = SignableRequest::new(
        method,
        &url,
        all.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body_for_signer,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut map = HeaderMap::new();
    for (k, v) in all
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(instructions.headers())
    {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let mut q: Vec<String> = query.map(|q| vec![q.to_string()]).unwrap_or_default();
    for (k, v) in instructions.params() {
        let v: &Cow<'_, str> = v;
        q.push(format!("{k}={}", utf8_percent_encode(v, UNRESERVED)));
    }
    Sent {
        method: method.into(),
        path: path.into(),
        query: (!q.is_empty()).then(|| q.join("&")),
        headers: map,
        body: body.to_vec(),
    }
}

/// What the server does: read the claim, take the secret, verify.
fn check(sent: &Sent, service: &str, secret: &str, now: SystemTime) -> Result<Carrier, Refusal> {
    let claim = sigv4::claim(&sent.headers, sent.query.as_deref())?;
    assert_eq!(claim.access_key_id, KEY);
    let payload = if service == "s3" {
        sent.headers
            .get("x-amz-content-sha256")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_else(|| "UNSIGNED-PAYLOAD".into())
    } else {
        sigv4::sha256_hex(&sent.body)
    };
    sigv4::verify(
        &claim,
        secret,
        &Request {
            method: &sent.method,
            path: &sent.path,
            query: sent.query.as_deref(),
            headers: &sent.headers,
            payload_sha256: &payload,
            service,
        },
        now,
    )?;
    Ok(claim.carrier)
}

fn start_execution() -> Sent {
    signed(
        "POST",
        "/",
        None,
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AWSStepFunctions.StartExecution"),
        ],
        br#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"}"#,
        &How::states(),
    )
}

#[test]
fn what_the_sdk_signs_verifies() {
    assert_eq!(
        check(&start_execution(), "states", SECRET, t0()),
        Ok(Carrier::Header)
    );
    // A REST path with characters the SDK encodes, a query string, Lambda's signing name.
    let how = How {
        service: "lambda",
        ..How::states()
    };
    let invoke = signed(
        "POST",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations",
        Some("Qualifier=%24LATEST&a=b%20c"),
        &[("x-amz-invocation-type", "RequestResponse")],
        b"{}",
        &how,
    );
    assert_eq!(check(&invoke, "lambda", SECRET, t0()), Ok(Carrier::Header));
    // S3: the path as sent (not normalised, encoded once), the payload's hash in a header.
    let how = How {
        service: "s3",
        ..How::states()
    };
    let put = signed(
        "PUT",
        "/bucket/in%20put/./x.json",
        None,
        &[("content-type", "application/json")],
        b"{\"n\":1}",
        &how,
    );
    assert_eq!(
        put.headers.get("x-amz-content-sha256").unwrap(),
        sigv4::sha256_hex(b"{\"n\":1}").as_str()
    );
    assert_eq!(check(&put, "s3", SECRET, t0()), Ok(Carrier::Header));
}

#[test]
fn presigned_urls_verify_until_they_expire() {
    for service in ["states", "s3"] {
        let how = How {
            service,
            presigned: Some(Duration::from_secs(300)),
            ..How::states()
        };
        let path = if service == "s3" {
            "/bucket/dir/a%20file.txt"
        } else {
            "/"
        };
        let get = signed("GET", path, Some("versionId=3"), &[], b"", &how);
        assert!(get.headers.get("authorization").is_none());
        assert_eq!(
            check(&get, service, SECRET, t0() + Duration::from_secs(299)),
            Ok(Carrier::Query { expires: 300 }),
            "{service}"
        );
        assert_eq!(
            check(&get, service, SECRET, t0() + Duration::from_secs(301)),
            Err(Refusal::Expired),
            "{service}"
        );
        // A query parameter changed after signing.
        let mut changed = get.clone();
        changed.query = changed
            .query
            .map(|q| q.replace("versionId=3", "versionId=4"));
        assert!(matches!(
            check(&changed, service, SECRET, t0()),
            Err(Refusal::Invalid(m)) if m == sigv4::MISMATCH
        ));
    }
}

#[test]
fn anything_changed_after_signing_is_refused() {
    let sent = start_execution();
    let mismatch = |s: &Sent| {
        assert_eq!(
            check(s, "states", SECRET, t0()),
            Err(Refusal::Invalid(sigv4::MISMATCH.into()))
        );
    };
    let mut body = sent.clone();
    body.body =
        br#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:n"}"#.to_vec();
    mismatch(&body);
    let mut target = sent.clone();
    target.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("AWSStepFunctions.DeleteStateMachine"),
    );
    mismatch(&target);
    let mut method = sent.clone();
    method.method = "PUT".into();
    mismatch(&method);
    let mut path = sent.clone();
    path.path = "/other".into();
    mismatch(&path);
    let mut host = sent.clone();
    host.headers
        .insert("host", HeaderValue::from_static("evil.example:8083"));
    mismatch(&host);
    // A header that was not signed may change.
    let mut unsigned = sent.clone();
    unsigned
        .headers
        .insert("user-agent", HeaderValue::from_static("something else"));
    assert_eq!(
        check(&unsigned, "states", SECRET, t0()),
        Ok(Carrier::Header)
    );
    // The wrong secret.
    assert_eq!(
        check(&sent, "states", "not-the-secret", t0()),
        Err(Refusal::Invalid(sigv4::MISMATCH.into()))
    );
}

#[test]
fn time_is_checked_against_fifteen_minutes_either_way() {
    let sent = start_execution();
    let minutes = |m: u64| Duration::from_secs(m * 60);
    assert!(check(&sent, "states", SECRET, t0() + minutes(15)).is_ok());
    assert!(check(&sent, "states", SECRET, t0() - minutes(15)).is_ok());
    assert_eq!(
        check(&sent, "states", SECRET, t0() + minutes(16)),
        Err(Refusal::Invalid(
            "Signature expired: 20261207T100000Z is now earlier than 20261207T100100Z \
             (20261207T101600Z - 15 min.)"
                .into()
        ))
    );
    assert_eq!(
        check(&sent, "states", SECRET, t0() - minutes(16)),
        Err(Refusal::Invalid(
            "Signature not yet current: 20261207T100000Z is still later than 20261207T095900Z \
             (20261207T094400Z + 15 min.)"
                .into()
        ))
    );
}

#[test]
fn scope_and_shape_are_checked() {
    // Signed for another service.
    let lambda = signed(
        "POST",
        "/",
        None,
        &[("x-amz-target", "AWSStepFunctions.ListStateMachines")],
        b"{}",
        &How {
            service: "lambda",
            ..How::states()
        },
    );
    assert_eq!(
        check(&lambda, "states", SECRET, t0()),
        Err(Refusal::Invalid(
            "Credential should be scoped to correct service: 'states'. ".into()
        ))
    );
    // No signature at all.
    let mut none = start_execution();
    none.headers.remove("authorization");
    assert_eq!(sigv4::claim(&none.headers, None), Err(Refusal::Missing));
    // Pieces missing, or a credential that is not a scope.
    let auth = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_str(v).unwrap());
        h.insert("x-amz-date", HeaderValue::from_static("20261207T100000Z"));
        sigv4::claim(&h, None)
    };
    assert!(matches!(
        auth("AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/states/aws4_request"),
        Err(Refusal::Incomplete(m)) if m.contains("requires 'Signature' parameter")
            && m.contains("requires 'SignedHeaders' parameter")
    ));
    assert!(matches!(
        auth("AWS4-HMAC-SHA256 Credential=AKID/20261207/states, SignedHeaders=host, Signature=00"),
        Err(Refusal::Incomplete(_))
    ));
    assert!(matches!(
        auth("AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/states/aws4_request, SignedHeaders=x-amz-date, Signature=00"),
        Err(Refusal::Incomplete(m)) if m.contains("'Host'")
    ));
    assert!(matches!(
        auth("AWS4-HMAC-SHA512 Credential=AKID/20261207/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00"),
        Err(Refusal::Incomplete(m)) if m.contains("AWS4-HMAC-SHA512")
    ));
    // A scope date that is not the request's.
    let claim = auth(
        "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00",
    )
    .unwrap();
    let headers = HeaderMap::new();
    let request = Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        payload_sha256: "",
        service: "states",
    };
    assert!(matches!(
        sigv4::verify(&claim, SECRET, &request, t0()),
        Err(Refusal::Invalid(m)) if m.starts_with("Date in Credential scope does not match")
    ));
}

proptest::proptest! {
    /// Whatever the header values, paths and queries, nothing panics, and a request the SDK
    /// signed verifies.
    #[test]
    fn odd_requests_the_sdk_signs_verify(
        segment in "[a-zA-Z0-9 ._~:@!$'()*+,;=-]{1,20}",
        value in "[ -~]{0,30}",
        key in "[a-zA-Z0-9_.~-]{1,10}",
    ) {
        let path = format!(
            "/2015-03-31/functions/{}/invocations",
            utf8_percent_encode(&segment, UNRESERVED)
        );
        let query = format!("{key}=v");
        let sent = signed(
            "POST",
            &path,
            Some(&query),
            &[("x-amz-meta", value.trim())],
            b"{}",
            &How { service: "lambda", ..How::states() },
        );
        proptest::prop_assert_eq!(check(&sent, "lambda", SECRET, t0()), Ok(Carrier::Header));
    }

    #[test]
    fn arbitrary_authorization_headers_are_refused_not_panicked_on(raw in "[ -~]{0,200}") {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&raw) {
            h.insert("authorization", v);
            h.insert("x-amz-date", HeaderValue::from_static("20261207T100000Z"));
            h.insert("host", HeaderValue::from_static("localhost"));
            if let Ok(claim) = sigv4::claim(&h, None) {
                let request = Request { method: "POST", path: "/", query: None, headers: &h, payload_sha256: "", service: "states" };
                proptest::prop_assert!(sigv4::verify(&claim, SECRET, &request, t0()).is_err());
            }
        }
    }
}

#[test]
fn baton_signs_as_the_sdk_signs() {
    // The SDK's request, its Authorization taken off: every header left is one the SDK
    // signed, so signing them all again must give the SDK's very header.
    let sent = start_execution();
    let mut headers = sent.headers.clone();
    let sdk = headers
        .remove(http::header::AUTHORIZATION)
        .expect("signed in the header");
    let amz_date = headers["x-amz-date"].to_str().unwrap().to_string();
    let payload = sigv4::sha256_hex(&sent.body);
    let request = Request {
        method: &sent.method,
        path: &sent.path,
        query: None,
        headers: &headers,
        payload_sha256: &payload,
        service: "states",
    };
    let ours = sigv4::authorization(KEY, SECRET, "us-east-1", &amz_date, &request);
    assert_eq!(ours, sdk.to_str().unwrap());
    assert_eq!(sigv4::amz_date_of(t0()), amz_date);
}
