//! The `aws-sdk:s3` actions' results as Step Functions' AWS SDK integration returns them: the
//! SDK's PascalCase members in alphabetical order (as recorded from AWS in the conformance
//! corpus), GetObject's `Body` last, as text. Both backends describe what S3 answered in these
//! structs and render them here, so a task sees the same shape from a folder and from an
//! endpoint.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use super::objects;

/// An object built from members in alphabetical order.
pub(crate) fn sorted(mut members: Vec<(&str, Value)>) -> Map<String, Value> {
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// S3's timestamps as the integration renders them: ISO 8601, UTC, whole seconds.
pub(crate) fn timestamp(t: SystemTime) -> String {
    let (secs, _) = objects::epoch_parts(t);
    chrono::DateTime::<chrono::Utc>::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What GetObject and HeadObject answered: the response headers, after any `Response*`
/// overrides, and the bytes returned (`None` for HeadObject).
#[derive(Debug, Clone, Default)]
pub(crate) struct ObjectAnswer {
    pub accept_ranges: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    /// The bytes returned: the range's when a range was asked for.
    pub content_length: u64,
    pub content_range: Option<String>,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<SystemTime>,
    /// User metadata, keys lower-cased as S3 returns them.
    pub metadata: BTreeMap<String, String>,
    pub server_side_encryption: Option<String>,
    pub storage_class: Option<String>,
    /// Only when `ChecksumMode` was `ENABLED` and the whole object was returned.
    pub checksum_crc32: Option<String>,
    pub body: Option<Vec<u8>>,
}

pub(crate) fn object(answer: ObjectAnswer) -> Value {
    let mut members: Vec<(&str, Value)> = vec![
        ("ContentLength", json!(answer.content_length)),
        ("ContentType", json!(answer.content_type)),
        ("Metadata", json!(answer.metadata)),
    ];
    let mut text = |member, value: Option<String>| {
        if let Some(value) = value {
            members.push((member, json!(value)));
        }
    };
    text("AcceptRanges", answer.accept_ranges);
    text("CacheControl", answer.cache_control);
    text("ContentDisposition", answer.content_disposition);
    text("ContentEncoding", answer.content_encoding);
    text("ContentLanguage", answer.content_language);
    text("ContentRange", answer.content_range);
    text("ETag", answer.etag);
    text("LastModified", answer.last_modified.map(timestamp));
    text("ServerSideEncryption", answer.server_side_encryption);
    // S3 sends no storage class for STANDARD objects.
    text(
        "StorageClass",
        answer.storage_class.filter(|c| c != "STANDARD"),
    );
    if let Some(crc32) = answer.checksum_crc32 {
        members.push(("ChecksumCRC32", json!(crc32)));
        members.push(("ChecksumType", json!("FULL_OBJECT")));
    }
    let mut result = sorted(members);
    if let Some(bytes) = answer.body {
        // The integration returns the body as text. Bytes that are not UTF-8 become U+FFFD,
        // as Java's UTF-8 decoding does; `ContentLength` still counts the stored bytes.
        result.insert(
            "Body".into(),
            json!(String::from_utf8_lossy(&bytes).into_owned()),
        );
    }
    Value::Object(result)
}

/// PutObject's result.
pub(crate) fn put(
    etag: Option<String>,
    checksum_crc32: Option<String>,
    checksum_type: Option<String>,
    server_side_encryption: Option<String>,
) -> Value {
    let members = [
        ("ChecksumCRC32", checksum_crc32),
        ("ChecksumType", checksum_type),
        ("ETag", etag),
        ("ServerSideEncryption", server_side_encryption),
    ];
    Value::Object(sorted(
        members
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, json!(v))))
            .collect(),
    ))
}

/// CopyObject's result.
pub(crate) fn copy(
    etag: Option<String>,
    last_modified: Option<SystemTime>,
    server_side_encryption: Option<String>,
) -> Value {
    let mut copied = Map::new();
    if let Some(etag) = etag {
        copied.insert("ETag".into(), json!(etag));
    }
    if let Some(t) = last_modified {
        copied.insert("LastModified".into(), json!(timestamp(t)));
    }
    let mut members = vec![("CopyObjectResult", Value::Object(copied))];
    if let Some(sse) = server_side_encryption {
        members.push(("ServerSideEncryption", json!(sse)));
    }
    Value::Object(sorted(members))
}

/// One object of a listing, as both the listing actions and the Distributed Map's item reader
/// describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub key: String,
    pub etag: String,
    pub last_modified: SystemTime,
    pub size: u64,
    pub storage_class: String,
}

/// One page of ListObjectsV2 (`v2`) or ListObjects. Keys, prefixes and the delimiter are as
/// they go into the result: already URL-encoded when `EncodingType` is `url`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing {
    pub v2: bool,
    pub name: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub encoded: bool,
    pub max_keys: i64,
    pub contents: Vec<Listed>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// ListObjectsV2's `ContinuationToken`, `StartAfter` and `NextContinuationToken`.
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub next_continuation_token: Option<String>,
    /// ListObjects' `Marker` and `NextMarker`.
    pub marker: String,
    pub next_marker: Option<String>,
}

pub(crate) fn listing(l: Listing) -> Value {
    let key_count = l.contents.len() + l.common_prefixes.len();
    let mut members: Vec<(&str, Value)> = vec![
        ("IsTruncated", json!(l.truncated)),
        ("MaxKeys", json!(l.max_keys)),
        ("Name", json!(l.name)),
        ("Prefix", json!(l.prefix)),
    ];
    if !l.contents.is_empty() {
        let contents = l
            .contents
            .into_iter()
            .map(|o| {
                json!({
                    "ETag": o.etag,
                    "Key": o.key,
                    "LastModified": timestamp(o.last_modified),
                    "Size": o.size,
                    "StorageClass": o.storage_class,
                })
            })
            .collect();
        members.push(("Contents", Value::Array(contents)));
    }
    if !l.common_prefixes.is_empty() {
        let prefixes = l
            .common_prefixes
            .into_iter()
            .map(|p| json!({ "Prefix": p }))
            .collect();
        members.push(("CommonPrefixes", Value::Array(prefixes)));
    }
    if let Some(d) = l.delimiter {
        members.push(("Delimiter", json!(d)));
    }
    if l.encoded {
        members.push(("EncodingType", json!("url")));
    }
    if l.v2 {
        members.push(("KeyCount", json!(key_count)));
        if let Some(token) = l.continuation_token {
            members.push(("ContinuationToken", json!(token)));
        }
        if let Some(after) = l.start_after {
            members.push(("StartAfter", json!(after)));
        }
        if let Some(token) = l.next_continuation_token {
            members.push(("NextContinuationToken", json!(token)));
        }
    } else {
        members.push(("Marker", json!(l.marker)));
        if let Some(next) = l.next_marker {
            members.push(("NextMarker", json!(next)));
        }
    }
    Value::Object(sorted(members))
}
