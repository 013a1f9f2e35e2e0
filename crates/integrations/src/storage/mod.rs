//! Object storage: the Task buckets, either folders under one root (the default) or on an
//! S3-compatible endpoint (`[storage] endpoint`), and the `aws-sdk:s3` actions over them.
//!
//! Local layout: `root/<bucket>/<key>` holds each object's bytes, keys with `/` in folders;
//! `root/.baton-meta/<bucket>/<key>` holds its metadata (content type and other headers, user
//! metadata, ETag, CRC32), see [`objects`]. A bucket exists when its folder does, so a folder
//! made by hand is a bucket and a file copied into it is an object; [`Storage::create_bucket`]
//! creates one under S3's naming rules.
//!
//! Trust model: a definition names buckets and keys, so both are untrusted. In a local folder a
//! key can never reach outside its bucket's folder: `..`, `.`, empty segments, absolute paths,
//! NUL and path separators are refused ([`paths`]), and every read, write and delete checks
//! the canonical path against the bucket's canonical folder, so a symbolic link pointing out of
//! the bucket is `AccessDenied`. (A process that can change the folders while Baton uses them
//! can still race these checks; the root is assumed to be Baton's.) On an endpoint, buckets and
//! keys are passed as given and the endpoint is responsible for what they may reach, with the
//! permissions of the credentials Baton is configured with; those credentials never appear in
//! results, history, causes or logs ([`remote`]).
//!
//! Both backends run the same parameter checks ([`params`]), shape results the same way
//! ([`shape`]) and name errors the same way ([`error`]); the Distributed Map's reader ([`items`])
//! and writer ([`results`]) go through the few object operations below
//! ([`Storage::get_bytes`], [`Storage::put_bytes`], [`Storage::list`]), which both implement.
//!
//! Everything is async: local file work runs on Tokio's blocking pool, the endpoint is reached
//! with the async AWS SDK. (Blocking on the SDK from a blocking-pool thread would be simpler for
//! the reader and writer, but `baton run` drives a current-thread runtime, whose I/O only moves
//! while its own thread polls; a blocking thread waiting on it would wait forever.)
//!
//! Modules: `paths` (names to paths, the escape checks), `objects` (files, sidecars, atomic
//! writes, listing), `params` (which Parameters each action takes), `actions` (the actions over
//! folders), `remote` (the actions on an endpoint), `shape` (result shapes), `list` (listing
//! pages and continuation tokens), `items` (Distributed Map item readers), `results`
//! (Distributed Map result writers), `error` (S3's errors as Step Functions names them).

// `actions`, `error`, `objects` and `paths` are also used by the S3 endpoint (`crate::s3_endpoint`).
pub(crate) mod actions;
pub(crate) mod error;
mod items;
mod list;
pub mod notify;
pub(crate) mod objects;
mod params;
mod parquet;
pub(crate) mod paths;
mod remote;
mod results;
mod shape;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use error::S3Error;
use objects::{Bucket, Headers, WriteCondition};
use shape::Listed;

/// The Task buckets: a local folder or an S3-compatible endpoint.
#[derive(Debug, Clone)]
pub struct Storage {
    backend: Backend,
    /// Where the local buckets' EventBridge notifications go.
    events: notify::Sink,
}

#[derive(Debug, Clone)]
enum Backend {
    /// Buckets as folders under this root.
    Local(PathBuf),
    Remote(Arc<remote::Remote>),
}

/// What an action that succeeded did to an object, for the bucket's notifications: the
/// bucket, the key and the change (`putObject`, `copyObject`, `deleteObject`).
fn written(root: &Path, action: &str, params: &Value) -> Option<(String, String, notify::Change)> {
    let bucket = params.get("Bucket")?.as_str()?.to_string();
    let key = params.get("Key")?.as_str()?.to_string();
    // Nothing to tell when the bucket sends no events: no more file work then.
    if !matches!(notify::read(root, &bucket), Ok(Some(s)) if s.eventbridge) {
        return None;
    }
    let reason = match action {
        "putObject" => "PutObject",
        "copyObject" => "CopyObject",
        "deleteObject" => return Some((bucket, key, notify::Change::Deleted)),
        _ => return None,
    };
    let info = Bucket::open(root, &bucket).ok()?.head(&key).ok()?;
    Some((
        bucket,
        key,
        notify::Change::Created {
            size: info.size,
            etag: info.md5_hex,
            reason,
        },
    ))
}

/// A key URL-encoded as S3 encodes it in listings and `CopySource`.
pub(crate) fn url_encode_key(key: &str) -> String {
    list::url_encode(key)
}

/// How an action failed: the error name Retry/Catch match, and the cause.
pub type Failure = (String, String);

impl Storage {
    /// Buckets as folders under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Storage {
        Storage {
            backend: Backend::Local(root.into()),
            events: notify::Sink::default(),
        }
    }

    /// Buckets on the S3-compatible endpoint `endpoint` describes. Nothing is sent until the
    /// first action: an endpoint that cannot be reached fails that action
    /// (`S3.SdkClientException`).
    pub fn remote(endpoint: &crate::config::StorageEndpoint) -> Storage {
        Storage {
            backend: Backend::Remote(Arc::new(remote::Remote::new(endpoint))),
            events: notify::Sink::default(),
        }
    }

    /// The folder the buckets are in (`None` on an endpoint).
    pub fn local_root(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Local(root) => Some(root),
            Backend::Remote(_) => None,
        }
    }

    /// Where the local buckets' EventBridge notifications go (for tasks' writes and the S3
    /// endpoint's alike): attach the events service to it.
    pub fn events(&self) -> &notify::Sink {
        &self.events
    }

    /// The endpoint the buckets are on (`None` in a local folder).
    pub fn endpoint_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Local(_) => None,
            Backend::Remote(remote) => Some(remote.url()),
        }
    }

    /// Runs one `aws-sdk:s3` action with the task's effective parameters and answers the
    /// SDK-shaped result. Actions: `getObject`, `headObject`, `putObject`, `copyObject`,
    /// `deleteObject`, `listObjectsV2`, `listObjects`, `headBucket`, `createBucket`,
    /// `deleteBucket`. Errors are named as Step Functions names them (`S3.NoSuchKeyException`,
    /// `S3.NoSuchBucketException`, `S3.S3Exception`, …); a parameter S3's model does not have
    /// fails with `States.Runtime`, as AWS does.
    pub async fn s3_action(&self, action: &str, params: &Value) -> Result<Value, Failure> {
        match &self.backend {
            Backend::Local(root) => {
                let (root, action, params) = (root.clone(), action.to_string(), params.clone());
                let (result, change) = tokio::task::spawn_blocking({
                    let root = root.clone();
                    move || {
                        let result = actions::run(&root, &action, &params)?;
                        Ok((result, written(&root, &action, &params)))
                    }
                })
                .await
                .unwrap_or_else(|e| Err(join_failed(e).into_failure()))?;
                if let Some((bucket, key, change)) = change {
                    self.events
                        .changed(&root, &bucket, &key, change, None)
                        .await;
                }
                Ok(result)
            }
            Backend::Remote(remote) => remote
                .run(action, params)
                .await
                .map_err(params::Refusal::into_failure),
        }
    }

    /// Creates a bucket. In a folder the name must follow S3's rules for general purpose
    /// buckets; a bucket that exists already is `S3.BucketAlreadyOwnedByYouException`.
    pub async fn create_bucket(&self, name: &str) -> Result<(), Failure> {
        let result = match &self.backend {
            Backend::Local(root) => {
                let name = name.to_string();
                on_files(root, move |root| actions::create_bucket_folder(root, &name)).await
            }
            Backend::Remote(remote) => remote.create(name, None).await.map(|_| ()),
        };
        result.map_err(S3Error::into_failure)
    }

    /// The items a Distributed Map's `ItemReader` reads from these buckets (JSON array, JSON
    /// Lines, CSV with headers, an S3 Inventory manifest, or an object listing). `resource` is
    /// the reader's `Resource`, `arguments` its evaluated `Parameters`/`Arguments`,
    /// `reader_config` its `ReaderConfig` with `MaxItemsPath` resolved into `MaxItems`.
    /// Failures are `States.ItemReaderFailed`.
    pub async fn item_reader(
        &self,
        resource: &str,
        arguments: &Value,
        reader_config: &Value,
    ) -> Result<Vec<Value>, Failure> {
        items::read_items(self, resource, arguments, reader_config).await
    }

    /// Writes a Distributed Map's results (`ResultWriter`) into the bucket and under the
    /// prefix `arguments` names; answers `ResultWriterDetails` (the manifest's `Bucket` and
    /// `Key`). Failures are `States.ResultWriterFailed`.
    pub async fn result_writer(
        &self,
        arguments: &Value,
        export: &baton_engine::ResultExport,
    ) -> Result<Value, Failure> {
        results::write_results(self, arguments, export).await
    }

    /// An object's bytes; an object over `limit` bytes is refused before it is read.
    pub(crate) async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
        limit: u64,
    ) -> Result<Vec<u8>, S3Error> {
        match &self.backend {
            Backend::Local(root) => {
                let (bucket, key) = (bucket.to_string(), key.to_string());
                on_files(root, move |root| {
                    Bucket::open(root, &bucket)?
                        .read(&key, limit)
                        .map(|(_, bytes)| bytes)
                })
                .await
            }
            Backend::Remote(remote) => remote.get_bytes(bucket, key, limit).await,
        }
    }

    /// Stores an object with this content type (and no other headers or metadata).
    pub(crate) async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), S3Error> {
        match &self.backend {
            Backend::Local(root) => {
                let (bucket, key) = (bucket.to_string(), key.to_string());
                let headers = Headers {
                    content_type: Some(content_type.to_string()),
                    ..Headers::default()
                };
                on_files(root, move |root| {
                    Bucket::open(root, &bucket)?
                        .write(&key, &body, headers, &WriteCondition::default())
                        .map(|_| ())
                })
                .await
            }
            Backend::Remote(remote) => remote.put_bytes(bucket, key, body, content_type).await,
        }
    }

    /// Every object whose key starts with `prefix`, in S3's listing order.
    pub(crate) async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Listed>, S3Error> {
        match &self.backend {
            Backend::Local(root) => {
                let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
                on_files(root, move |root| {
                    let bucket = Bucket::open(root, &bucket)?;
                    let mut objects = Vec::new();
                    for key in bucket.keys(&prefix)? {
                        match bucket.head(&key) {
                            Ok(info) => objects.push(actions::listed(key, &info)),
                            // Deleted since the folder was read: no longer in the listing.
                            Err(S3Error::NoSuchKey) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(objects)
                })
                .await
            }
            Backend::Remote(remote) => remote.list(bucket, prefix).await,
        }
    }
}

/// Runs file work under `root` on Tokio's blocking pool.
async fn on_files<T: Send + 'static>(
    root: &Path,
    work: impl FnOnce(&Path) -> Result<T, S3Error> + Send + 'static,
) -> Result<T, S3Error> {
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || work(&root))
        .await
        .unwrap_or_else(|e| Err(join_failed(e)))
}

/// CPU-heavy work (parsing or serialising up to a gigabyte of items) on Tokio's blocking pool,
/// so that it does not hold up a runtime worker.
pub(crate) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(work).await.map_err(join_failed)
}

fn join_failed(e: tokio::task::JoinError) -> S3Error {
    S3Error::Internal(format!("the storage task failed: {e}"))
}
