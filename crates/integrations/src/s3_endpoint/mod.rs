//! The S3-compatible endpoint `baton serve` offers over its buckets in a local folder, so that a
//! program using an unmodified AWS SDK (`AWS_ENDPOINT_URL_S3`) reads and writes the objects a
//! definition's `aws-sdk:s3` tasks see. (With `[storage] endpoint` the buckets are on an
//! endpoint already, and this one is not started.) The `s3s` crate speaks S3's REST protocol;
//! [`operations`] implements its `S3` trait over [`crate::storage`]'s folders, with the same key
//! checks (a key never leaves its bucket's folder), the same metadata sidecars and the same
//! listing order.
//!
//! Path-style addressing only (`http://127.0.0.1:PORT/bucket/key`); every SDK uses it for an
//! endpoint whose host is an IP address.
//!
//! With keys configured (`[[auth.keys]]`), `s3s` checks every request's signature against them
//! (SigV4 in the header, presigned URLs, signed `aws-chunked` uploads, and SigV2) and answers
//! S3's errors: `InvalidAccessKeyId` for an unknown key, `SignatureDoesNotMatch`, and
//! `AccessDenied` for an unsigned request. Buckets are shared by every key: S3's bucket names
//! are global, and Baton's buckets are the Task buckets of every account.
//!
//! Without keys, requests are not authenticated: any credentials are
//! accepted and signatures are not checked (the endpoint is for this machine, like the Step
//! Functions API beside it). So [`unsigned`] drops the `Authorization` header and presigned
//! URLs' query parameters before `s3s` sees them (`s3s` refuses a signed request when it has no
//! credentials to check it with), and decodes an `aws-chunked` body (whose chunk signatures
//! it would otherwise check) to the plain body.
//!
//! Operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, PutObject, GetObject,
//! HeadObject, DeleteObject, CopyObject, ListObjectsV2, ListObjects,
//! Put/GetBucketNotificationConfiguration (EventBridge only: `storage::notify`). Anything else
//! answers `NotImplemented`.

mod chunked;
mod operations;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Uri};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::Body;
use tokio::net::TcpListener;

/// Serves S3 on `listener` over the buckets in the folder `root` (a local
/// [`Storage`](crate::storage::Storage)'s `local_root`) until `shutdown` resolves, on
/// [`baton_http`]'s accept loop: `edge`'s timeouts, connection cap and host policy, refusals as
/// S3's `<Error>` XML. Then it stops accepting and returns once the requests in flight are
/// answered.
pub async fn serve(
    listener: TcpListener,
    root: &Path,
    edge: baton_http::Edge,
    keys: Option<Arc<baton_auth::Keys>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with_events(
        listener,
        root,
        edge,
        keys,
        Notifications::default(),
        shutdown,
    )
    .await
}

/// Where a bucket's EventBridge notifications go, and whose they are when the request does
/// not say (an unsigned request whose access key id is not an account id).
#[derive(Debug, Clone)]
pub struct Notifications {
    pub sink: crate::storage::notify::Sink,
    pub account: String,
    pub region: String,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            sink: Default::default(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }
}

/// [`serve`], objects written and deleted sending their buckets' EventBridge notifications
/// (`PutBucketNotificationConfiguration`) to `notifications`.
pub async fn serve_with_events(
    listener: TcpListener,
    root: &Path,
    edge: baton_http::Edge,
    keys: Option<Arc<baton_auth::Keys>>,
    notifications: Notifications,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let checked = keys.is_some();
    let service = service(root.to_path_buf(), keys, notifications);
    let handler = move |request: Request<Incoming>| {
        let service = service.clone();
        async move {
            let request = if checked {
                request.map(Body::from)
            } else {
                unsigned(request).await
            };
            match service.call(request).await {
                Ok(response) => response,
                Err(e) => {
                    // s3s answers every S3 error itself; what reaches here is the server's.
                    tracing::error!("S3 endpoint: {e:?}");
                    let mut response = hyper::Response::new(Body::empty());
                    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                    response
                }
            }
        }
    };
    let edge = baton_http::Edge {
        protocol: baton_http::Protocol::S3Xml,
        ..edge
    };
    baton_http::serve(listener, handler, edge, shutdown).await
}

/// The `s3s` service over the buckets under `root`; with `keys`, every request's signature is
/// checked against them.
pub fn service(
    root: PathBuf,
    keys: Option<Arc<baton_auth::Keys>>,
    notifications: Notifications,
) -> S3Service {
    let mut builder =
        S3ServiceBuilder::new(operations::Endpoint::new(root, keys.clone(), notifications));
    if let Some(keys) = keys {
        builder.set_auth(KeysAuth(keys));
    }
    builder.build()
}

/// The configured keys as `s3s` looks secrets up.
struct KeysAuth(Arc<baton_auth::Keys>);

#[async_trait::async_trait]
impl s3s::auth::S3Auth for KeysAuth {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<s3s::auth::SecretKey> {
        self.0
            .secret(access_key)
            .map(s3s::auth::SecretKey::from)
            .ok_or_else(|| s3s::s3_error!(InvalidAccessKeyId))
    }
}

/// The request without what would make `s3s` check a signature: no `Authorization` header, no
/// `X-Amz-*` presigning query parameters, and an `aws-chunked` body decoded as it streams in
/// (never collected: an upload's size costs no memory here).
async fn unsigned(request: Request<Incoming>) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    // Who calls, for the events the request causes: an access key id that is an account id
    // names the account, as on the other APIs here.
    if let Some(id) = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
    {
        parts
            .extensions
            .insert(operations::Requester(id.to_string()));
    }
    parts.headers.remove(hyper::header::AUTHORIZATION);
    if let Some(uri) = without_presigning(&parts.uri) {
        parts.uri = uri;
    }
    let streaming = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    if !streaming {
        return Request::from_parts(parts, Body::from(body));
    }
    let headers = &mut parts.headers;
    let decoded_length = headers
        .get("x-amz-decoded-content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    headers.insert(
        HeaderName::from_static("x-amz-content-sha256"),
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    // The length of what `s3s` will read: the decoded payload's, when the client gave it.
    match decoded_length {
        Some(n) => {
            headers.insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        None => {
            headers.remove(hyper::header::CONTENT_LENGTH);
        }
    }
    headers.remove("x-amz-decoded-content-length");
    headers.remove("x-amz-trailer");
    let encodings: Vec<String> = headers
        .get(hyper::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    match HeaderValue::from_str(&encodings.join(", ")) {
        Ok(value) if !encodings.is_empty() => {
            headers.insert(hyper::header::CONTENT_ENCODING, value);
        }
        _ => {
            headers.remove(hyper::header::CONTENT_ENCODING);
        }
    }
    let decoded = chunked::Decoded::new(body, decoded_length);
    Request::from_parts(parts, Body::http_body_unsync(decoded))
}

/// The URI without the query parameters of a presigned URL (`X-Amz-Signature`, …,
/// `AWSAccessKeyId`, `Signature`, `Expires`); `None` when it has none.
fn without_presigning(uri: &Uri) -> Option<Uri> {
    let query = uri.query()?;
    let is_presigning = |pair: &&str| {
        let name = pair.split('=').next().unwrap_or("");
        // SigV4 (`X-Amz-*`) and SigV2 (`AWSAccessKeyId`, `Signature`, `Expires`) presigning.
        name.get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
            || matches!(name, "AWSAccessKeyId" | "Signature" | "Expires")
    };
    if !query.split('&').any(|pair| is_presigning(&pair)) {
        return None;
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !is_presigning(p)).collect();
    let path = uri.path();
    let path_and_query = if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigning_parameters_are_dropped() {
        let uri: Uri = "/b/k?X-Amz-Signature=abc&versionId=1&x-amz-date=2"
            .parse()
            .unwrap();
        assert_eq!(without_presigning(&uri).unwrap(), "/b/k?versionId=1");
        let uri: Uri = "/b/k?AWSAccessKeyId=x&Signature=s&Expires=1"
            .parse()
            .unwrap();
        assert_eq!(without_presigning(&uri).unwrap(), "/b/k");
        let uri: Uri = "/b/k?X-Amz-Credential=a".parse().unwrap();
        assert_eq!(without_presigning(&uri).unwrap(), "/b/k");
        let uri: Uri = "/b?list-type=2".parse().unwrap();
        assert_eq!(without_presigning(&uri), None);
    }
}
