//! Object storage: buckets as folders under one root, and the `aws-sdk:s3` actions over them.
//!
//! Layout: `root/<bucket>/<key>` holds each object's bytes, keys with `/` in folders;
//! `root/.baton-meta/<bucket>/<key>` holds its metadata (content type and other headers, user
//! metadata, ETag, CRC32), see [`objects`]. A bucket exists when its folder does, so a folder
//! made by hand is a bucket and a file copied into it is an object; [`Storage::create_bucket`]
//! creates one under S3's naming rules.
//!
//! Trust model: a definition names buckets and keys, so both are untrusted. A key can never
//! reach outside its bucket's folder: `..`, `.`, empty segments, absolute paths, NUL and path
//! separators are refused ([`paths`]), and every read, write and delete checks the canonical
//! path against the bucket's canonical folder, so a symbolic link pointing out of the bucket
//! is `AccessDenied`. (A process that can change the folders while Baton uses them can still
//! race these checks; the root is assumed to be Baton's.)
//!
//! Modules: `paths` (names to paths, the escape checks), `objects` (files, sidecars, atomic
//! writes, listing), `params` (which Parameters each action takes), `actions` (the actions and
//! their result shapes), `list` (listing pages and continuation tokens), `items` (Distributed
//! Map item readers), `results` (Distributed Map result writers), `error` (S3's errors as Step
//! Functions names them).

// `actions`, `error`, `objects` and `paths` are also used by the S3 endpoint (`crate::s3_endpoint`).
pub(crate) mod actions;
pub(crate) mod error;
mod items;
mod list;
pub(crate) mod objects;
mod params;
pub(crate) mod paths;
mod results;

use std::path::PathBuf;

use serde_json::Value;

/// Buckets in a local folder.
#[derive(Debug, Clone)]
pub struct Storage {
    pub root: PathBuf,
}

/// A key URL-encoded as S3 encodes it in listings and `CopySource`.
pub(crate) fn url_encode_key(key: &str) -> String {
    list::url_encode(key)
}

/// How an action failed: the error name Retry/Catch match, and the cause.
pub type Failure = (String, String);

impl Storage {
    pub fn new(root: impl Into<PathBuf>) -> Storage {
        Storage { root: root.into() }
    }

    /// Runs one `aws-sdk:s3` action with the task's effective parameters and answers the
    /// SDK-shaped result. Actions: `getObject`, `headObject`, `putObject`, `copyObject`,
    /// `deleteObject`, `listObjectsV2`, `listObjects`, `headBucket`, `createBucket`,
    /// `deleteBucket`. Errors are named as Step Functions names them (`S3.NoSuchKeyException`,
    /// `S3.NoSuchBucketException`, `S3.S3Exception`, …); a parameter S3's model does not have
    /// fails with `States.Runtime`, as AWS does.
    ///
    /// The file work runs on Tokio's blocking pool.
    pub async fn s3_action(&self, action: &str, params: &Value) -> Result<Value, Failure> {
        let root = self.root.clone();
        let action = action.to_string();
        let params = params.clone();
        tokio::task::spawn_blocking(move || actions::run(&root, &action, &params))
            .await
            .unwrap_or_else(|e| {
                Err(
                    error::S3Error::Internal(format!("the storage task failed: {e}"))
                        .into_failure(),
                )
            })
    }

    /// [`Storage::s3_action`] on the calling thread, for callers that are not async.
    pub fn s3_action_blocking(&self, action: &str, params: &Value) -> Result<Value, Failure> {
        actions::run(&self.root, action, params)
    }

    /// Creates a bucket's folder. The name must follow S3's rules for general purpose buckets;
    /// a bucket that exists already is `S3.BucketAlreadyOwnedByYouException`.
    pub fn create_bucket(&self, name: &str) -> Result<(), Failure> {
        actions::create_bucket_folder(&self.root, name).map_err(error::S3Error::into_failure)
    }

    /// The items a Distributed Map's `ItemReader` reads from these buckets (JSON array, JSON
    /// Lines, CSV with headers, or an object listing). `resource` is the reader's `Resource`,
    /// `arguments` its evaluated `Parameters`/`Arguments`, `reader_config` its `ReaderConfig`
    /// with `MaxItemsPath` resolved into `MaxItems`. Synchronous: call it from a blocking
    /// context. Failures are `States.ItemReaderFailed`.
    pub fn item_reader(
        &self,
        resource: &str,
        arguments: &Value,
        reader_config: &Value,
    ) -> Result<Vec<Value>, Failure> {
        items::read_items(&self.root, resource, arguments, reader_config)
    }

    /// Writes a Distributed Map's results (`ResultWriter`) into the bucket and under the
    /// prefix `arguments` names; answers `ResultWriterDetails` (the manifest's `Bucket` and
    /// `Key`). Synchronous: call it from a blocking context. Failures are
    /// `States.ResultWriterFailed`.
    pub fn result_writer(
        &self,
        arguments: &Value,
        export: &baton_engine::ResultExport,
    ) -> Result<Value, Failure> {
        results::write_results(&self.root, arguments, export)
    }
}
