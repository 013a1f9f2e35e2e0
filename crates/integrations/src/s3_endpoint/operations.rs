//! `s3s`'s `S3` trait over the buckets of [`crate::storage`]: objects through
//! [`Bucket`](crate::storage::objects::Bucket) (bytes as they are, binary included), buckets,
//! CopyObject and the listings through the `aws-sdk:s3` actions, so both paths agree on
//! metadata, ETags, conditions, continuation tokens and errors.
//!
//! Object bodies stream: PutObject writes the body to a temporary file in the bucket's folder
//! as it arrives, computing the ETag (MD5) and CRC32 on the way, and renames it into place;
//! GetObject sends the open file a piece at a time. An object's size costs disk, not memory.

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

use s3s::dto::*;
use s3s::{Body, S3ErrorCode, S3Request, S3Response, S3Result, S3};
use serde_json::{json, Map, Value};

use crate::storage::actions;
use crate::storage::error::S3Error;
use crate::storage::notify::{self, BucketEvents, Change};
use crate::storage::objects::{
    Bucket, Digester, Headers, ObjectInfo, WriteCondition, DEFAULT_CONTENT_TYPE,
};
use crate::storage::paths::META_DIR;

/// The largest object PutObject accepts (S3's single-PUT limit).
const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// How much of a file GetObject reads at a time.
const READ_PIECE: usize = 64 * 1024;

/// The buckets under one root.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    root: PathBuf,
    keys: Option<std::sync::Arc<baton_auth::Keys>>,
    notifications: super::Notifications,
}

/// The account of an unsigned request's access key id, when it is one.
#[derive(Debug, Clone)]
pub(super) struct Requester(pub(super) String);

impl Endpoint {
    pub(super) fn new(
        root: PathBuf,
        keys: Option<std::sync::Arc<baton_auth::Keys>>,
        notifications: super::Notifications,
    ) -> Endpoint {
        Endpoint {
            root,
            keys,
            notifications,
        }
    }

    /// The caller's account: the verified key's, or an unsigned request's access key id when
    /// it is an account id.
    fn requester<T>(&self, req: &S3Request<T>) -> Option<String> {
        match (&self.keys, &req.credentials) {
            (Some(keys), Some(c)) => keys.account(&c.access_key),
            _ => req.extensions.get::<Requester>().map(|r| r.0.clone()),
        }
    }

    /// Tells the bucket's notifications (if any) what happened to `key`, before the write is
    /// answered.
    async fn changed(&self, bucket: &str, key: &str, change: Change, requester: Option<String>) {
        self.notifications
            .sink
            .changed(&self.root, bucket, key, change, requester.as_deref())
            .await;
    }

    /// Runs file work on Tokio's blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Path) -> Result<T, S3Error> + Send + 'static,
    ) -> S3Result<T> {
        let root = self.root.clone();
        match tokio::task::spawn_blocking(move || work(&root)).await {
            Ok(result) => result.map_err(to_s3s),
            Err(e) => Err(to_s3s(S3Error::Internal(format!(
                "the storage task failed: {e}"
            )))),
        }
    }

    async fn action(&self, action: &'static str, params: Value) -> S3Result<Value> {
        self.blocking(move |root| actions::run_s3(root, action, &params))
            .await
    }
}

/// Storage's error as the S3 protocol answers it: the same code, status and message.
fn to_s3s(e: S3Error) -> s3s::S3Error {
    let code = S3ErrorCode::from_bytes(e.code().as_bytes())
        .unwrap_or_else(|| S3ErrorCode::Custom(e.code().into()));
    let mut error = s3s::S3Error::with_message(code, e.message());
    if let Ok(status) = hyper::StatusCode::from_u16(e.status()) {
        error.set_status_code(status);
    }
    error
}

fn condition_text(condition: &ETagCondition) -> String {
    match condition {
        ETagCondition::Any => "*".to_string(),
        ETagCondition::ETag(etag) => etag.value().to_string(),
    }
}

fn condition_holds(condition: &ETagCondition, info: &ObjectInfo) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(etag) => etag.value() == info.md5_hex,
    }
}

/// GetObject's and HeadObject's `If-Match` / `If-None-Match`.
fn check_read_conditions(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    info: &ObjectInfo,
) -> S3Result<()> {
    if if_match.is_some_and(|c| !condition_holds(c, info)) {
        return Err(to_s3s(S3Error::PreconditionFailed));
    }
    if if_none_match.is_some_and(|c| condition_holds(c, info)) {
        return Err(to_s3s(S3Error::NotModified));
    }
    Ok(())
}

fn metadata(info: &ObjectInfo) -> Option<Metadata> {
    let m = &info.headers.metadata;
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The headers GetObject and HeadObject answer: the stored ones, or the request's
/// `response-*` overrides (S3 applies them to HEAD as to GET).
struct Shown {
    content_type: String,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
}

impl Shown {
    /// `overrides`: content type, cache control, content disposition, encoding, language.
    fn of(info: &ObjectInfo, overrides: [Option<String>; 5]) -> Shown {
        let [ty, cache, disposition, encoding, language] = overrides;
        let stored = &info.headers;
        Shown {
            content_type: ty.unwrap_or_else(|| content_type(info)),
            cache_control: cache.or_else(|| stored.cache_control.clone()),
            content_disposition: disposition.or_else(|| stored.content_disposition.clone()),
            content_encoding: encoding.or_else(|| stored.content_encoding.clone()),
            content_language: language.or_else(|| stored.content_language.clone()),
        }
    }
}

fn content_type(info: &ObjectInfo) -> String {
    info.headers
        .content_type
        .clone()
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())
}

fn headers(
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    storage_class: Option<&StorageClass>,
    metadata: Option<Metadata>,
) -> Headers {
    Headers {
        content_type,
        cache_control,
        content_disposition,
        content_encoding,
        content_language,
        storage_class: storage_class.map(|c| c.as_str().to_string()),
        // S3 returns user metadata keys lower-cased.
        metadata: metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// A listing's `Contents` and `CommonPrefixes` from the action's JSON result.
fn listed(result: &Value) -> (Option<Vec<Object>>, Option<Vec<CommonPrefix>>) {
    let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(String::from);
    let contents = result
        .get("Contents")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| Object {
                    key: text(item, "Key"),
                    size: item.get("Size").and_then(Value::as_i64),
                    e_tag: text(item, "ETag")
                        .map(|e| ETag::Strong(e.trim_matches('"').to_string())),
                    last_modified: text(item, "LastModified")
                        .and_then(|t| Timestamp::parse(TimestampFormat::DateTime, &t).ok()),
                    storage_class: text(item, "StorageClass").map(ObjectStorageClass::from),
                    ..Default::default()
                })
                .collect()
        });
    let prefixes = result
        .get("CommonPrefixes")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| CommonPrefix {
                    prefix: text(item, "Prefix"),
                })
                .collect()
        });
    (contents, prefixes)
}

fn string(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(String::from)
}

fn max_keys(v: &Value) -> Option<i32> {
    v.get("MaxKeys")
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

/// The members of a listing request that are set.
fn list_params(members: Vec<(&str, Option<Value>)>) -> Value {
    let map: Map<String, Value> = members
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
    Value::Object(map)
}

/// An open object file (positioned at its first byte to send) as a response body of
/// `remaining` bytes, read a piece at a time as the client takes them.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl FileBody {
    fn new(file: tokio::fs::File, remaining: u64) -> FileBody {
        FileBody {
            file,
            remaining,
            buf: vec![0; READ_PIECE],
        }
    }
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = (this.remaining as usize).min(this.buf.len());
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let filled = read.filled();
                if filled.is_empty() {
                    // The file is shorter than its description: a writer truncated it in
                    // place (Baton's writers never do; a person might).
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the object's file ended early",
                    ))));
                }
                this.remaining -= filled.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(filled)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[async_trait::async_trait]
impl S3 for Endpoint {
    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self
            .blocking(|root| {
                let entries = match std::fs::read_dir(root) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(S3Error::io(&e)),
                };
                let mut buckets = Vec::new();
                for entry in entries {
                    let entry = entry.map_err(|e| S3Error::io(&e))?;
                    let Some(name) = entry.file_name().to_str().map(String::from) else {
                        continue;
                    };
                    // `file_type` does not follow links: a linked folder is no bucket (see
                    // `Bucket::open`).
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    let Ok(meta) = entry.metadata() else { continue };
                    if !is_dir || name == META_DIR || !s3s::path::check_bucket_name(&name) {
                        continue;
                    }
                    let created = meta
                        .created()
                        .or(meta.modified())
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    buckets.push(s3s::dto::Bucket {
                        name: Some(name),
                        creation_date: Some(Timestamp::from(created)),
                        bucket_region: None,
                    });
                }
                buckets.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(buckets)
            })
            .await?;
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            ..Default::default()
        }))
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let name = req.input.bucket;
        let result = self
            .action("createBucket", json!({ "Bucket": name }))
            .await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: string(&result, "Location"),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.action("headBucket", json!({ "Bucket": req.input.bucket }))
            .await?;
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.action("deleteBucket", json!({ "Bucket": req.input.bucket }))
            .await?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let requester = self.requester(&req);
        let input = req.input;
        let headers = headers(
            input.content_type,
            input.cache_control,
            input.content_disposition,
            input.content_encoding,
            input.content_language,
            input.storage_class.as_ref(),
            input.metadata,
        );
        let condition = WriteCondition {
            if_match: input.if_match.as_ref().map(condition_text),
            if_none_match: input.if_none_match.as_ref().map(condition_text),
        };
        let (bucket, key) = (input.bucket, input.key);
        let (bucket_name, object_key) = (bucket.clone(), key.clone());
        let (bucket, mut pending) = self
            .blocking(move |root| {
                let bucket = Bucket::open(root, &bucket)?;
                let pending = bucket.begin_write(&key)?;
                Ok((bucket, pending))
            })
            .await?;
        // Dropping `pending` on any early return removes the temporary file.
        let file = pending
            .take_file()
            .ok_or_else(|| to_s3s(S3Error::Internal("no temporary file".into())))?;
        let mut file = tokio::fs::File::from_std(file);
        let mut digester = Digester::default();
        let mut size = 0u64;
        if let Some(blob) = input.body {
            let mut body = Body::from(blob);
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    to_s3s(S3Error::InvalidRequest(format!("reading the body: {e}")))
                })?;
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                size += data.len() as u64;
                if size > MAX_OBJECT_BYTES {
                    // S3's answer to a single PUT over 5 GiB.
                    return Err(s3s::S3Error::with_message(
                        S3ErrorCode::EntityTooLarge,
                        "Your proposed upload exceeds the maximum allowed size",
                    ));
                }
                digester.update(&data);
                file.write_all(&data)
                    .await
                    .map_err(|e| to_s3s(S3Error::io(&e)))?;
            }
        }
        file.flush().await.map_err(|e| to_s3s(S3Error::io(&e)))?;
        pending.put_file(file.into_std().await);
        let info = self
            .blocking(move |_| bucket.commit(pending, digester, headers, &condition))
            .await?;
        self.changed(
            &bucket_name,
            &object_key,
            Change::Created {
                size: info.size,
                etag: info.md5_hex.clone(),
                reason: "PutObject",
            },
            requester,
        )
        .await;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(ETag::Strong(info.md5_hex)),
            checksum_crc32: Some(info.crc32),
            checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            ..Default::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let (info, mut file) = self
            .blocking(move |root| Bucket::open(root, &bucket)?.open_read(&key))
            .await?;
        check_read_conditions(input.if_match.as_ref(), input.if_none_match.as_ref(), &info)?;
        let size = info.size;
        let (start, length, content_range) = match &input.range {
            None => (0, size, None),
            Some(range) => {
                let r = range.check(size)?;
                (
                    r.start,
                    r.end - r.start,
                    Some(format!("bytes {}-{}/{size}", r.start, r.end - 1)),
                )
            }
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start))
                .map_err(|e| to_s3s(S3Error::io(&e)))?;
        }
        let body = FileBody::new(tokio::fs::File::from_std(file), length);
        let whole = content_range.is_none();
        let stored = &info.headers;
        let shown = Shown::of(
            &info,
            [
                input.response_content_type,
                input.response_cache_control,
                input.response_content_disposition,
                input.response_content_encoding,
                input.response_content_language,
            ],
        );
        Ok(S3Response::new(GetObjectOutput {
            accept_ranges: Some("bytes".into()),
            content_length: Some(length as i64),
            body: Some(StreamingBlob::from(Body::http_body_unsync(body))),
            content_range,
            content_type: Some(shown.content_type),
            cache_control: shown.cache_control,
            content_disposition: shown.content_disposition,
            content_encoding: shown.content_encoding,
            content_language: shown.content_language,
            // S3 sends the checksum only with the whole object.
            checksum_crc32: whole.then(|| info.crc32.clone()),
            e_tag: Some(ETag::Strong(info.md5_hex.clone())),
            last_modified: Some(Timestamp::from(info.modified)),
            metadata: metadata(&info),
            storage_class: stored.storage_class.clone().map(StorageClass::from),
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let info = self
            .blocking(move |root| Bucket::open(root, &bucket)?.head(&key))
            .await?;
        check_read_conditions(input.if_match.as_ref(), input.if_none_match.as_ref(), &info)?;
        let stored = &info.headers;
        let shown = Shown::of(
            &info,
            [
                input.response_content_type,
                input.response_cache_control,
                input.response_content_disposition,
                input.response_content_encoding,
                input.response_content_language,
            ],
        );
        Ok(S3Response::new(HeadObjectOutput {
            accept_ranges: Some("bytes".into()),
            content_length: Some(info.size as i64),
            content_type: Some(shown.content_type),
            cache_control: shown.cache_control,
            content_disposition: shown.content_disposition,
            content_encoding: shown.content_encoding,
            content_language: shown.content_language,
            checksum_crc32: Some(info.crc32.clone()),
            e_tag: Some(ETag::Strong(info.md5_hex.clone())),
            last_modified: Some(Timestamp::from(info.modified)),
            metadata: metadata(&info),
            storage_class: stored.storage_class.clone().map(StorageClass::from),
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let requester = self.requester(&req);
        let (bucket, key) = (req.input.bucket, req.input.key);
        let (b, k) = (bucket.clone(), key.clone());
        self.blocking(move |root| Bucket::open(root, &b)?.delete(&k))
            .await?;
        self.changed(&bucket, &key, Change::Deleted, requester)
            .await;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let requester = self.requester(&req);
        let input = req.input;
        let CopySource::Bucket {
            bucket: source_bucket,
            key: source_key,
            version_id,
        } = &input.copy_source
        else {
            return Err(to_s3s(S3Error::NotImplemented(
                "access point copy sources".into(),
            )));
        };
        if version_id.is_some() {
            return Err(to_s3s(S3Error::NotImplemented(
                "CopySource versionId".into(),
            )));
        }
        let mut params = Map::new();
        params.insert("Bucket".into(), json!(input.bucket));
        params.insert("Key".into(), json!(input.key));
        params.insert(
            "CopySource".into(),
            json!(format!(
                "{source_bucket}/{}",
                crate::storage::url_encode_key(source_key)
            )),
        );
        let mut set = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                params.insert(name.into(), json!(value));
            }
        };
        set(
            "CopySourceIfMatch",
            input.copy_source_if_match.as_ref().map(condition_text),
        );
        set(
            "CopySourceIfNoneMatch",
            input.copy_source_if_none_match.as_ref().map(condition_text),
        );
        set(
            "MetadataDirective",
            input.metadata_directive.map(|d| d.as_str().to_string()),
        );
        set("ContentType", input.content_type);
        set("CacheControl", input.cache_control);
        set("ContentDisposition", input.content_disposition);
        set("ContentEncoding", input.content_encoding);
        set("ContentLanguage", input.content_language);
        set(
            "StorageClass",
            input.storage_class.map(|c| c.as_str().to_string()),
        );
        if let Some(metadata) = input.metadata {
            let metadata: Map<String, Value> =
                metadata.into_iter().map(|(k, v)| (k, json!(v))).collect();
            params.insert("Metadata".into(), Value::Object(metadata));
        }
        let (bucket, key) = (input.bucket, input.key);
        let (bucket_name, object_key) = (bucket.clone(), key.clone());
        let info = self
            .blocking(move |root| {
                actions::run_s3(root, "copyObject", &Value::Object(params))?;
                Bucket::open(root, &bucket)?.head(&key)
            })
            .await?;
        self.changed(
            &bucket_name,
            &object_key,
            Change::Created {
                size: info.size,
                etag: info.md5_hex.clone(),
                reason: "CopyObject",
            },
            requester,
        )
        .await;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(ETag::Strong(info.md5_hex)),
                last_modified: Some(Timestamp::from(info.modified)),
                checksum_crc32: Some(info.crc32),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    /// Only EventBridge notifications are served: a configuration naming SNS topics, SQS
    /// queues or Lambda functions is refused, since Baton would not send them; an empty one
    /// turns notifications off (S3 API reference, "PutBucketNotificationConfiguration": "to
    /// turn off notifications... empty NotificationConfiguration").
    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        let account = self
            .requester(&req)
            .unwrap_or_else(|| self.notifications.account.clone());
        let region = req
            .region
            .as_ref()
            .map(|r| r.as_str().to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| self.notifications.region.clone());
        let config = req.input.notification_configuration;
        let others = [
            config.topic_configurations.as_ref().map_or(0, Vec::len),
            config.queue_configurations.as_ref().map_or(0, Vec::len),
            config
                .lambda_function_configurations
                .as_ref()
                .map_or(0, Vec::len),
        ];
        if others.iter().any(|n| *n > 0) {
            return Err(s3s::S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "Unable to validate the following destination configurations: Baton sends bucket \
                 notifications to EventBridge only (EventBridgeConfiguration)",
            ));
        }
        let settings = config.event_bridge_configuration.map(|_| BucketEvents {
            eventbridge: true,
            account,
            region,
        });
        let bucket = req.input.bucket;
        self.blocking(move |root| notify::write(root, &bucket, settings.as_ref()))
            .await?;
        Ok(S3Response::new(
            PutBucketNotificationConfigurationOutput::default(),
        ))
    }

    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        let bucket = req.input.bucket;
        let settings = self
            .blocking(move |root| notify::read(root, &bucket))
            .await?;
        Ok(S3Response::new(GetBucketNotificationConfigurationOutput {
            event_bridge_configuration: settings
                .filter(|s| s.eventbridge)
                .map(|_| EventBridgeConfiguration {}),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let params = list_params(vec![
            ("Bucket", Some(json!(input.bucket))),
            ("Prefix", input.prefix.map(Value::from)),
            ("Delimiter", input.delimiter.map(Value::from)),
            ("MaxKeys", input.max_keys.map(Value::from)),
            (
                "ContinuationToken",
                input.continuation_token.map(Value::from),
            ),
            ("StartAfter", input.start_after.map(Value::from)),
            (
                "EncodingType",
                input.encoding_type.map(|e| Value::from(e.as_str())),
            ),
        ]);
        let result = self.action("listObjectsV2", params).await?;
        let (contents, common_prefixes) = listed(&result);
        Ok(S3Response::new(ListObjectsV2Output {
            name: string(&result, "Name"),
            prefix: string(&result, "Prefix"),
            max_keys: max_keys(&result),
            key_count: result
                .get("KeyCount")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
            continuation_token: string(&result, "ContinuationToken"),
            next_continuation_token: string(&result, "NextContinuationToken"),
            is_truncated: result.get("IsTruncated").and_then(Value::as_bool),
            contents,
            common_prefixes,
            delimiter: string(&result, "Delimiter"),
            encoding_type: string(&result, "EncodingType").map(EncodingType::from),
            start_after: string(&result, "StartAfter"),
            ..Default::default()
        }))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let params = list_params(vec![
            ("Bucket", Some(json!(input.bucket))),
            ("Prefix", input.prefix.map(Value::from)),
            ("Delimiter", input.delimiter.map(Value::from)),
            ("MaxKeys", input.max_keys.map(Value::from)),
            ("Marker", input.marker.map(Value::from)),
            (
                "EncodingType",
                input.encoding_type.map(|e| Value::from(e.as_str())),
            ),
        ]);
        let result = self.action("listObjects", params).await?;
        let (contents, common_prefixes) = listed(&result);
        Ok(S3Response::new(ListObjectsOutput {
            name: string(&result, "Name"),
            prefix: string(&result, "Prefix"),
            marker: string(&result, "Marker"),
            next_marker: string(&result, "NextMarker"),
            max_keys: max_keys(&result),
            is_truncated: result.get("IsTruncated").and_then(Value::as_bool),
            contents,
            common_prefixes,
            delimiter: string(&result, "Delimiter"),
            encoding_type: string(&result, "EncodingType").map(EncodingType::from),
            ..Default::default()
        }))
    }
}
