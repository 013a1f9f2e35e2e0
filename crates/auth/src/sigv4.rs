//! AWS Signature Version 4, verified as AWS's services verify it: the request's canonical form
//! rebuilt from what arrived, signed again with the caller's secret, and the two signatures
//! compared in constant time. The rules are AWS's "Create a signed AWS API request" (Signature
//! Version 4 in the IAM User Guide): the canonical request, the string to sign, the signing key
//! derived from the secret by HMAC over date, region, service and `aws4_request`.
//!
//! * The signature is read from `Authorization` (`AWS4-HMAC-SHA256 Credential=…,
//!   SignedHeaders=…, Signature=…`) or, presigned, from the query string (`X-Amz-Algorithm`,
//!   `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//!   `X-Amz-Signature`), which then leaves `X-Amz-Signature` out of the canonical query.
//! * The canonical path is the path as sent, normalised (`.`, `..` and empty segments) and
//!   URI-encoded once more, for every service but S3, whose path is taken as sent.
//! * The request's time (`X-Amz-Date`) may be at most 15 minutes from the server's clock, as on
//!   AWS; a presigned request is also refused after its `X-Amz-Expires` (at most 7 days).
//! * The credential scope's date must be the request date's, its service the API's.
//!
//! Nothing here looks a key up: [`claim`] reads what the request says, the caller finds the
//! secret of `Claim::access_key_id`, and [`verify`] checks the signature with it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, digest, hmac};
use chrono::{DateTime, NaiveDate, Utc};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The only algorithm Signature Version 4 has for HMAC keys.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's time may be from the server's, either way (AWS's 15 minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest a presigned request may stay valid: 7 days, S3's limit.
pub const MAX_EXPIRES: u64 = 604_800;

/// The header that carries the request's time.
const X_AMZ_DATE: http::HeaderName = http::HeaderName::from_static("x-amz-date");

/// What SigV4 leaves unencoded: letters, digits and `-._~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// And in a path, `/` too.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Where a request carries its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// The `Authorization` header.
    Header,
    /// The query string (a presigned URL), valid for `expires` seconds from its date.
    Query { expires: u64 },
}

/// What a request says about its signature, read before any key is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub access_key_id: String,
    /// The credential scope: `YYYYMMDD/region/service/aws4_request`.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// Lowercase header names, `;`-separated, as the request lists them (one string: it is
    /// also how the canonical request writes them).
    pub signed_headers: String,
    /// Lowercase hex.
    pub signature: String,
    /// `YYYYMMDD'T'HHMMSS'Z'`.
    pub amz_date: String,
    pub carrier: Carrier,
}

/// Why a request is refused: each is one of AWS's errors, with AWS's wording. The codes are
/// the common errors of AWS's API references ("Common Errors": `IncompleteSignature`,
/// `InvalidSignatureException`, `MissingAuthenticationToken`, `UnrecognizedClientException`);
/// the wording of the expiry messages is AWS's as clients report it (for instance
/// aws/aws-sdk-js#254: "Signature expired: 20140325T143453Z is now earlier than
/// 20140325T143751Z (20140325T145251Z - 15 min.)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No signature at all.
    Missing,
    /// A signature that cannot be read, and what is wrong with it.
    Incomplete(String),
    /// An access key id the server does not know.
    UnknownKey,
    /// A signature that does not hold: the message says why.
    Invalid(String),
    /// A presigned request past its expiry.
    Expired,
    /// A verified key that may not perform the action: IAM's words.
    Denied(String),
}

/// The message AWS gives when the signatures differ.
pub const MISMATCH: &str = "The request signature we calculated does not match the signature \
     you provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";

impl Refusal {
    /// The error code AWS's JSON protocols answer with.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Missing => "MissingAuthenticationTokenException",
            Refusal::Incomplete(_) => "IncompleteSignatureException",
            Refusal::UnknownKey => "UnrecognizedClientException",
            Refusal::Invalid(_) | Refusal::Expired => "InvalidSignatureException",
            Refusal::Denied(_) => "AccessDeniedException",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Missing => "Request is missing Authentication Token".into(),
            Refusal::Incomplete(m) | Refusal::Invalid(m) | Refusal::Denied(m) => m.clone(),
            Refusal::UnknownKey => "The security token included in the request is invalid.".into(),
            Refusal::Expired => "Request has expired".into(),
        }
    }
}

/// The request as it arrived, with what the signature covers.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
    /// The hex SHA-256 the signature covers: of the body, or S3's `x-amz-content-sha256`
    /// (`UNSIGNED-PAYLOAD` for a presigned S3 URL).
    pub payload_sha256: &'a str,
    /// The API's signing name (`states`, `lambda`, `logs`, `s3`).
    pub service: &'a str,
}

/// The hex SHA-256 of `body`, as a signature over a body covers it.
pub fn sha256_hex(body: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, body).as_ref())
}

/// Reads the signature a request carries: from `Authorization`, else from the query string.
pub fn claim(headers: &http::HeaderMap, query: Option<&str>) -> Result<Claim, Refusal> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| Refusal::Incomplete("Authorization header is not ASCII".into()))?;
        return from_header(value, headers);
    }
    let params = query.map(query_params).unwrap_or_default();
    if params.iter().any(|(k, _)| k == "X-Amz-Algorithm") {
        return from_query(&params);
    }
    Err(Refusal::Missing)
}

fn from_header(value: &str, headers: &http::HeaderMap) -> Result<Claim, Refusal> {
    let value = value.trim_ascii();
    let (algorithm, rest) = cut(value, b' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(Refusal::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    let mut parts = rest;
    while !parts.is_empty() {
        let (part, next) = cut(parts, b',').unwrap_or((parts, ""));
        parts = next;
        let Some((k, v)) = cut(part.trim_ascii(), b'=') else {
            continue;
        };
        match k.trim_ascii() {
            "Credential" => credential = Some(v.trim_ascii()),
            "SignedHeaders" => signed = Some(v.trim_ascii()),
            "Signature" => signature = Some(v.trim_ascii()),
            _ => {}
        }
    }
    let amz_date = headers
        .get(X_AMZ_DATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut missing = String::new();
    for (present, what) in [
        (
            credential.is_some(),
            "Authorization header requires 'Credential' parameter. ",
        ),
        (
            signature.is_some(),
            "Authorization header requires 'Signature' parameter. ",
        ),
        (
            signed.is_some(),
            "Authorization header requires 'SignedHeaders' parameter. ",
        ),
        (
            amz_date.is_some(),
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        ),
    ] {
        if !present {
            missing.push_str(what);
        }
    }
    if !missing.is_empty() {
        return Err(Refusal::Incomplete(format!(
            "{missing}Authorization={ALGORITHM}"
        )));
    }
    let (Some(credential), Some(signed), Some(signature), Some(amz_date)) =
        (credential, signed, signature, amz_date)
    else {
        return Err(Refusal::Incomplete(
            "Authorization header is incomplete".into(),
        ));
    };
    build(credential, signed, signature, amz_date, Carrier::Header)
}

fn from_query(params: &[(String, String)]) -> Result<Claim, Refusal> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(Refusal::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let mut missing = Vec::new();
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
        "X-Amz-Expires",
    ] {
        if get(name).is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(Refusal::Incomplete(format!(
            "AWS query-string parameters must include {}. Re-examine the query-string parameters.",
            missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let expires: u64 = get("X-Amz-Expires")
        .and_then(|v| v.parse().ok())
        .filter(|e| (1..=MAX_EXPIRES).contains(e))
        .ok_or_else(|| {
            Refusal::Incomplete(format!(
                "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES}"
            ))
        })?;
    build(
        get("X-Amz-Credential").unwrap_or_default(),
        get("X-Amz-SignedHeaders").unwrap_or_default(),
        get("X-Amz-Signature").unwrap_or_default(),
        get("X-Amz-Date").unwrap_or_default().to_string(),
        Carrier::Query { expires },
    )
}

fn build(
    credential: &str,
    signed: &str,
    signature: &str,
    amz_date: String,
    carrier: Carrier,
) -> Result<Claim, Refusal> {
    let scope = || {
        let (key, rest) = cut(credential, b'/')?;
        let (date, rest) = cut(rest, b'/')?;
        let (region, rest) = cut(rest, b'/')?;
        let (service, terminator) = cut(rest, b'/')?;
        (!terminator.contains('/')).then_some((key, date, region, service, terminator))
    };
    let Some((key, date, region, service, terminator)) = scope() else {
        return Err(Refusal::Incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            credential.split('/').nth(2).unwrap_or_default()
        )));
    };
    if terminator != "aws4_request" {
        return Err(Refusal::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        )));
    }
    if key.is_empty() {
        return Err(Refusal::UnknownKey);
    }
    let mut signed_headers = String::with_capacity(signed.len());
    for name in signed.split(';').filter(|h| !h.is_empty()) {
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
    }
    signed_headers.make_ascii_lowercase();
    if !signed_headers.split(';').any(|h| h == "host") {
        return Err(Refusal::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    Ok(Claim {
        access_key_id: key.to_string(),
        scope_date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
        amz_date,
        carrier,
    })
}

/// `s` on either side of its first `sep`, an ASCII byte (so both sides are whole characters).
fn cut(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = memchr::memchr(sep, s.as_bytes())?;
    Some((&s[..i], &s[i + 1..]))
}

/// Checks `claim`, read from `request`, with the secret of its key at `now`.
pub fn verify(
    claim: &Claim,
    secret: &str,
    request: &Request<'_>,
    now: SystemTime,
) -> Result<(), Refusal> {
    let key = signing_key(secret, &claim.scope_date, &claim.region, &claim.service);
    verify_with(claim, &key, request, now)
}

/// The key a signature of this scope is made with: HMAC-SHA256 of `AWS4<secret>` over the
/// scope's date, region, service and `aws4_request` in turn. It depends on the day, so a
/// verifier may keep it for the day ([`crate::Keys`] does).
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let step = |key: &[u8], data: &str| {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
    };
    let k_date = step(format!("AWS4{secret}").as_bytes(), date);
    let k_region = step(k_date.as_ref(), region);
    let k_service = step(k_region.as_ref(), service);
    let k_signing = step(k_service.as_ref(), "aws4_request");
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

/// [`verify`] with the scope's signing key already derived ([`signing_key`]).
pub fn verify_with(
    claim: &Claim,
    key: &hmac::Key,
    request: &Request<'_>,
    now: SystemTime,
) -> Result<(), Refusal> {
    let signed_at = parse_amz_date(&claim.amz_date).ok_or_else(|| {
        Refusal::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            claim.amz_date
        ))
    })?;
    if claim.amz_date.get(..8) != Some(claim.scope_date.as_str()) {
        return Err(Refusal::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{}', from '{}'.",
            claim.scope_date,
            claim.amz_date.get(..8).unwrap_or_default(),
            claim.amz_date
        )));
    }
    if claim.service != request.service {
        return Err(Refusal::Invalid(format!(
            "Credential should be scoped to correct service: '{}'. ",
            request.service
        )));
    }
    let now_s = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let skew = MAX_SKEW.as_secs() as i64;
    if signed_at > now_s + skew {
        return Err(Refusal::Invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            claim.amz_date,
            amz_date(now_s + skew),
            amz_date(now_s)
        )));
    }
    match claim.carrier {
        Carrier::Header if signed_at < now_s - skew => {
            return Err(Refusal::Invalid(format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                claim.amz_date,
                amz_date(now_s - skew),
                amz_date(now_s)
            )));
        }
        Carrier::Query { expires } if now_s > signed_at.saturating_add(expires as i64) => {
            return Err(Refusal::Expired);
        }
        _ => {}
    }
    let expected = SCRATCH.with(|scratch| {
        let mut text = scratch.borrow_mut();
        text.clear();
        push_string_to_sign(&mut text, claim, request);
        let expected = hmac::sign(key, text.as_bytes());
        if text.capacity() > SCRATCH_KEPT {
            *text = String::new();
        }
        expected
    });
    // The claim's signature as bytes (it is lower-case hex of 32 bytes when it is right).
    let mut given = [0u8; 32];
    let readable = claim.signature.len() == 64
        && claim
            .signature
            .as_bytes()
            .chunks(2)
            .zip(given.iter_mut())
            .all(
                |(pair, byte)| match (hex_digit(pair[0]), hex_digit(pair[1])) {
                    (Some(hi), Some(lo)) => {
                        *byte = hi << 4 | lo;
                        true
                    }
                    _ => false,
                },
            );
    if !readable {
        return Err(Refusal::Invalid(MISMATCH.into()));
    }
    constant_time::verify_slices_are_equal(expected.as_ref(), &given)
        .map_err(|_| Refusal::Invalid(MISMATCH.into()))
}

/// The string a signature signs: the algorithm, the time, the scope and the canonical
/// request's hash.
fn string_to_sign(claim: &Claim, request: &Request<'_>) -> String {
    let mut out = String::with_capacity(512);
    push_string_to_sign(&mut out, claim, request);
    out
}

/// [`string_to_sign`] onto `out`, which must be empty: the canonical request is written there
/// first, hashed, and replaced by the string to sign, so that a verification allocates
/// nothing once a thread's buffer ([`SCRATCH`]) has grown to a request's size.
fn push_string_to_sign(out: &mut String, claim: &Claim, request: &Request<'_>) {
    push_canonical_request(out, claim, request);
    let digest = digest::digest(&digest::SHA256, out.as_bytes());
    out.clear();
    for part in [
        ALGORITHM,
        "\n",
        &claim.amz_date,
        "\n",
        &claim.scope_date,
        "/",
        &claim.region,
        "/",
        &claim.service,
        "/aws4_request\n",
    ] {
        out.push_str(part);
    }
    push_hex(out, digest.as_ref());
}

thread_local! {
    /// Each thread's buffer for the canonical request and the string to sign.
    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A thread's buffer grown past this (a long presigned query) is let go after use.
const SCRATCH_KEPT: usize = 16 * 1024;

/// The `Authorization` header that signs `request` with this key for `region` at `amz_date`
/// (`YYYYMMDD'T'HHMMSS'Z'`, which the request's `X-Amz-Date` must carry), every header of the
/// request signed (`host` and `x-amz-date` among them). For clients of Baton's own (the
/// benchmark) that sign without an SDK.
pub fn authorization(
    access_key_id: &str,
    secret: &str,
    region: &str,
    amz_date: &str,
    request: &Request<'_>,
) -> String {
    let mut names: Vec<String> = request
        .headers
        .keys()
        .map(|name| name.as_str().to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let signed_headers = names.join(";");
    let claim = Claim {
        access_key_id: access_key_id.to_string(),
        scope_date: amz_date.get(..8).unwrap_or_default().to_string(),
        region: region.to_string(),
        service: request.service.to_string(),
        signed_headers,
        signature: String::new(),
        amz_date: amz_date.to_string(),
        carrier: Carrier::Header,
    };
    let key = signing_key(secret, &claim.scope_date, region, request.service);
    let signature = hex(hmac::sign(&key, string_to_sign(&claim, request).as_bytes()).as_ref());
    format!(
        "{ALGORITHM} Credential={access_key_id}/{}/{region}/{}/aws4_request, SignedHeaders={}, \
         Signature={signature}",
        claim.scope_date, claim.service, claim.signed_headers
    )
}

/// `YYYYMMDD'T'HHMMSS'Z'` of `time`, as `X-Amz-Date` carries it.
pub fn amz_date_of(time: SystemTime) -> String {
    amz_date(
        time.duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    )
}

/// The canonical request: method, path, query, the signed headers, their names, the payload's
/// hash, one per line.
pub fn canonical_request(claim: &Claim, request: &Request<'_>) -> String {
    let mut out = String::with_capacity(256);
    push_canonical_request(&mut out, claim, request);
    out
}

fn push_canonical_request(out: &mut String, claim: &Claim, request: &Request<'_>) {
    let presigned = matches!(claim.carrier, Carrier::Query { .. });
    out.push_str(request.method);
    out.push('\n');
    push_canonical_path(out, request.path, request.service == "s3");
    out.push('\n');
    out.push_str(&canonical_query(request.query.unwrap_or(""), presigned));
    out.push('\n');
    for name in claim.signed_headers.split(';') {
        out.push_str(name);
        out.push(':');
        for (i, value) in request.headers.get_all(name).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_header_value(out, value.as_bytes());
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&claim.signed_headers);
    out.push('\n');
    out.push_str(request.payload_sha256);
}

/// A header value as the canonical request has it: trimmed, its runs of spaces made one.
/// Most values are already so (printable ASCII, single spaces inside): they are copied as
/// they are.
fn push_header_value(out: &mut String, value: &[u8]) {
    let plain = value.first() != Some(&b' ')
        && value.last() != Some(&b' ')
        && value.iter().all(|&b| b == b' ' || b.is_ascii_graphic())
        && memchr::memmem::find(value, b"  ").is_none();
    match std::str::from_utf8(value) {
        Ok(text) if plain => out.push_str(text),
        _ => collapse_into(out, &String::from_utf8_lossy(value)),
    }
}

/// A header value trimmed, its runs of spaces made one, onto `out`.
fn collapse_into(out: &mut String, value: &str) {
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The path as SDKs canonicalise what they send: for every service but S3, its `.` and `..`
/// segments resolved and empty ones dropped (RFC 3986 §5.2.4; AWS also drops repeated
/// slashes), then URI-encoded once more (a `%` becomes `%25`: the path's segments end up
/// encoded twice); for S3, the path as sent.
fn push_canonical_path(out: &mut String, raw: &str, s3: bool) {
    if raw.is_empty() || raw == "/" {
        out.push('/');
        return;
    }
    if s3 {
        out.push_str(raw);
        return;
    }
    let mut kept: Vec<&str> = Vec::new();
    for segment in raw.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut path = String::with_capacity(raw.len() + 8);
    if raw.starts_with('/') {
        path.push('/');
    }
    path.push_str(&kept.join("/"));
    if raw.ends_with('/') && !kept.is_empty() {
        path.push('/');
    }
    out.extend(utf8_percent_encode(&path, PATH));
}

/// The query's parameters decoded, encoded again and sorted; a presigned request's signature
/// left out.
fn canonical_query(raw: &str, presigned: bool) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = query_params(raw)
        .into_iter()
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, UNRESERVED).to_string(),
                utf8_percent_encode(&v, UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `k=v&…` decoded (a `+` stays a `+`: SigV4 clients encode a space as `%20`).
fn query_params(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode_str(k).decode_utf8_lossy().into_owned(),
                percent_decode_str(v).decode_utf8_lossy().into_owned(),
            )
        })
        .collect()
}

/// Seconds since the epoch of `YYYYMMDD'T'HHMMSS'Z'`.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    let time = date.and_hms_opt(num(9..11)?, num(11..13)?, num(13..15)?)?;
    Some(time.and_utc().timestamp())
}

/// `YYYYMMDD'T'HHMMSS'Z'` of seconds since the epoch.
fn amz_date(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// The value of a lower-case hex digit (the claim's signature is lower-cased when read).
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}
