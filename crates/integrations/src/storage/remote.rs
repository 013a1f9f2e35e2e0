//! Buckets on an S3-compatible endpoint (`[storage] endpoint`): the `aws-sdk:s3` actions
//! forwarded with the AWS SDK for Rust, their answers shaped by [`super::shape`] exactly as the
//! local backend shapes its own, and S3's errors named by [`super::error`].
//!
//! The parameters are checked by [`super::params`] first, as for local storage, so a field S3's
//! model does not have is `States.Runtime` and one Baton does not forward is `NotImplemented`
//! whichever backend is configured. Those local storage accepts and ignores (ACLs, encryption
//! settings, tagging, request payer, expected owners) are not forwarded either: the bucket's
//! defaults apply. Buckets and keys go to the endpoint as given; the endpoint decides what they
//! may be.
//!
//! Requests are signed (SigV4) with the configured key pair. The credentials are kept inside
//! the SDK client and never written anywhere else: not in results, not in causes (any message
//! from the endpoint that quotes them is scrubbed), not in `Debug` output or logs.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::{RequestId, RequestIdExt};
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumMode, CreateBucketConfiguration, EncodingType,
    MetadataDirective, StorageClass,
};
use aws_sdk_s3::Client;
use serde_json::{json, Value};

use super::actions::{headers_from, put_body, MAX_GET_BYTES};
use super::error::{RemoteError, S3Error};
use super::objects::DEFAULT_CONTENT_TYPE;
use super::params::{self, Action, Params, Refusal};
use super::shape::{self, Listed, Listing, ObjectAnswer};
use crate::config::StorageEndpoint;

/// S3's default and largest page of a listing.
const MAX_KEYS: i64 = 1000;

/// The key pair requests are signed with when none is configured: endpoints that do not check
/// signatures (Baton's own) accept any.
const PLACEHOLDER_KEY: &str = "baton";

/// The members GetObject and HeadObject share, from either output (the SDK gives them
/// distinct types with the same fields).
macro_rules! object_answer {
    ($out:expr, $checksum:expr, $length:expr) => {{
        let out = &$out;
        ObjectAnswer {
            accept_ranges: out.accept_ranges.clone(),
            cache_control: out.cache_control.clone(),
            content_disposition: out.content_disposition.clone(),
            content_encoding: out.content_encoding.clone(),
            content_language: out.content_language.clone(),
            content_length: $length,
            content_range: out.content_range.clone(),
            content_type: out
                .content_type
                .clone()
                .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string()),
            etag: out.e_tag.clone(),
            last_modified: out.last_modified.and_then(system_time),
            metadata: out
                .metadata
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect::<BTreeMap<_, _>>(),
            server_side_encryption: out
                .server_side_encryption
                .as_ref()
                .map(|s| s.as_str().to_string()),
            storage_class: out.storage_class.as_ref().map(|c| c.as_str().to_string()),
            // S3 sends the checksum only for the whole object.
            checksum_crc32: out
                .checksum_crc32
                .clone()
                .filter(|_| $checksum && out.content_range.is_none()),
            body: None,
        }
    }};
}

/// One S3-compatible endpoint and the client that reaches it.
pub(crate) struct Remote {
    client: Client,
    url: String,
    /// The configured credentials, scrubbed from anything the endpoint answers.
    secrets: Vec<String>,
}

// Written by hand so the client's configuration (its credentials) never reaches a log.
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("url", &self.url).finish()
    }
}

/// Which thing a 404 without an error code is about: HEAD answers have no body to say.
#[derive(Debug, Clone, Copy)]
enum Missing {
    Key,
    Bucket,
}

impl Remote {
    pub(crate) fn new(endpoint: &StorageEndpoint) -> Remote {
        let (credentials, secrets) = match &endpoint.credentials {
            Some(c) => {
                let token = c.session_token.as_ref().map(|t| t.expose().to_string());
                let mut secrets = vec![
                    c.access_key_id.expose().to_string(),
                    c.secret_access_key.expose().to_string(),
                ];
                secrets.extend(token.clone());
                let credentials = Credentials::new(
                    c.access_key_id.expose(),
                    c.secret_access_key.expose(),
                    token,
                    None,
                    "baton-storage",
                );
                (credentials, secrets)
            }
            None => (
                Credentials::new(
                    PLACEHOLDER_KEY,
                    PLACEHOLDER_KEY,
                    None,
                    None,
                    "baton-storage",
                ),
                Vec::new(),
            ),
        };
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(endpoint.region.clone()))
            .endpoint_url(&endpoint.url)
            .force_path_style(endpoint.force_path_style)
            .credentials_provider(credentials)
            // Checksums only where S3 requires them: many S3-compatible servers do not accept
            // the SDK's default trailing CRC32 on every upload (`aws-chunked` bodies).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Remote {
            client: Client::from_conf(config),
            url: endpoint.url.clone(),
            // A very short value would scrub ordinary words; such a key protects nothing anyway.
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Runs one `aws-sdk:s3` action on the endpoint.
    pub(crate) async fn run(&self, action: &str, params: &Value) -> Result<Value, Refusal> {
        let (action, p) = params::read(action, params)?;
        let result = match action {
            Action::GetObject => self.get_object(&p).await,
            Action::HeadObject => self.head_object(&p).await,
            Action::PutObject => self.put_object(&p).await,
            Action::CopyObject => self.copy_object(&p).await,
            Action::DeleteObject => self.delete_object(&p).await,
            Action::ListObjectsV2 => self.list_objects_v2(&p).await,
            Action::ListObjects => self.list_objects(&p).await,
            Action::HeadBucket => self.head_bucket(&p).await,
            Action::CreateBucket => self.create_bucket(&p).await,
            Action::DeleteBucket => self.delete_bucket(&p).await,
        };
        Ok(result?)
    }

    /// The endpoint's failure as S3's error: its code, status, message and request ids; a
    /// request that got no answer is the SDK's client error, with the cause.
    fn failed<E>(&self, e: SdkError<E>, missing: Missing) -> S3Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let SdkError::ServiceError(service) = &e else {
            let what = match &e {
                SdkError::ConstructionFailure(_) => "Unable to build the S3 request",
                _ => "Unable to execute HTTP request",
            };
            return S3Error::Client(self.scrub(format!("{what}: {}", causes(&e))));
        };
        let status = service.raw().status().as_u16();
        match (service.err().code(), status) {
            (None | Some("NotFound"), 404) => match missing {
                Missing::Key => S3Error::NoSuchKey,
                Missing::Bucket => S3Error::NoSuchBucket,
            },
            (None, 304) | (Some("NotModified"), _) => S3Error::NotModified,
            (None, 412) => S3Error::PreconditionFailed,
            (code, _) => {
                let code = code
                    .map(str::to_string)
                    .or_else(|| {
                        hyper::StatusCode::from_u16(status)
                            .ok()
                            .and_then(|s| s.canonical_reason())
                            .map(|r| r.replace(' ', ""))
                    })
                    .unwrap_or_else(|| "UnknownError".into());
                S3Error::Remote(Box::new(RemoteError {
                    code,
                    status,
                    message: self.scrub(service.err().message().unwrap_or_default().to_string()),
                    request_id: e.request_id().map(str::to_string),
                    extended_request_id: e.extended_request_id().map(str::to_string),
                }))
            }
        }
    }

    fn scrub(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "****");
            }
        }
        text
    }

    async fn get_object(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let checksum = checksum_mode(p)?;
        let out = self
            .client
            .get_object()
            .bucket(p.required("Bucket")?)
            .key(p.required("Key")?)
            .set_if_match(p.owned_string("IfMatch")?)
            .set_if_none_match(p.owned_string("IfNoneMatch")?)
            .set_range(p.owned_string("Range")?)
            .set_response_cache_control(p.owned_string("ResponseCacheControl")?)
            .set_response_content_disposition(p.owned_string("ResponseContentDisposition")?)
            .set_response_content_encoding(p.owned_string("ResponseContentEncoding")?)
            .set_response_content_language(p.owned_string("ResponseContentLanguage")?)
            .set_response_content_type(p.owned_string("ResponseContentType")?)
            .set_checksum_mode(checksum.then_some(ChecksumMode::Enabled))
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        let length = non_negative(out.content_length);
        too_large(length, MAX_GET_BYTES)?;
        let mut answer = object_answer!(out, checksum, length);
        answer.body = Some(read_body(out.body).await?);
        Ok(shape::object(answer))
    }

    async fn head_object(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let checksum = checksum_mode(p)?;
        let out = self
            .client
            .head_object()
            .bucket(p.required("Bucket")?)
            .key(p.required("Key")?)
            .set_if_match(p.owned_string("IfMatch")?)
            .set_if_none_match(p.owned_string("IfNoneMatch")?)
            .set_range(p.owned_string("Range")?)
            .set_response_cache_control(p.owned_string("ResponseCacheControl")?)
            .set_response_content_disposition(p.owned_string("ResponseContentDisposition")?)
            .set_response_content_encoding(p.owned_string("ResponseContentEncoding")?)
            .set_response_content_language(p.owned_string("ResponseContentLanguage")?)
            .set_response_content_type(p.owned_string("ResponseContentType")?)
            .set_checksum_mode(checksum.then_some(ChecksumMode::Enabled))
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        let length = non_negative(out.content_length);
        Ok(shape::object(object_answer!(out, checksum, length)))
    }

    async fn put_object(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let headers = headers_from(p)?;
        let out = self
            .client
            .put_object()
            .bucket(p.required("Bucket")?)
            .key(p.required("Key")?)
            .body(ByteStream::from(put_body(p)))
            .set_content_type(headers.content_type)
            .set_cache_control(headers.cache_control)
            .set_content_disposition(headers.content_disposition)
            .set_content_encoding(headers.content_encoding)
            .set_content_language(headers.content_language)
            .set_storage_class(headers.storage_class.as_deref().map(StorageClass::from))
            .set_metadata(metadata(headers.metadata))
            .set_content_md5(p.owned_string("ContentMD5")?)
            .set_checksum_crc32(p.owned_string("ChecksumCRC32")?)
            .set_if_match(p.owned_string("IfMatch")?)
            .set_if_none_match(p.owned_string("IfNoneMatch")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        Ok(shape::put(
            out.e_tag,
            out.checksum_crc32,
            out.checksum_type.map(|t| t.as_str().to_string()),
            out.server_side_encryption.map(|s| s.as_str().to_string()),
        ))
    }

    async fn copy_object(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let directive = p.string("MetadataDirective")?;
        // With `COPY` (the default) S3 keeps the source's headers, whatever else is sent.
        let headers = headers_from(p)?;
        let out = self
            .client
            .copy_object()
            .bucket(p.required("Bucket")?)
            .key(p.required("Key")?)
            .copy_source(p.required("CopySource")?)
            .set_copy_source_if_match(p.owned_string("CopySourceIfMatch")?)
            .set_copy_source_if_none_match(p.owned_string("CopySourceIfNoneMatch")?)
            .set_metadata_directive(directive.map(MetadataDirective::from))
            .set_content_type(headers.content_type)
            .set_cache_control(headers.cache_control)
            .set_content_disposition(headers.content_disposition)
            .set_content_encoding(headers.content_encoding)
            .set_content_language(headers.content_language)
            .set_storage_class(headers.storage_class.as_deref().map(StorageClass::from))
            .set_metadata(metadata(headers.metadata))
            .set_if_match(p.owned_string("IfMatch")?)
            .set_if_none_match(p.owned_string("IfNoneMatch")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        let (etag, last_modified) = match out.copy_object_result {
            Some(copied) => (copied.e_tag, copied.last_modified.and_then(system_time)),
            None => (None, None),
        };
        Ok(shape::copy(
            etag,
            last_modified,
            out.server_side_encryption.map(|s| s.as_str().to_string()),
        ))
    }

    async fn delete_object(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let out = self
            .client
            .delete_object()
            .bucket(p.required("Bucket")?)
            .key(p.required("Key")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        // In a versioned bucket S3 says which version the delete made.
        let mut members = Vec::new();
        if let Some(marker) = out.delete_marker {
            members.push(("DeleteMarker", json!(marker)));
        }
        if let Some(version) = out.version_id {
            members.push(("VersionId", json!(version)));
        }
        Ok(Value::Object(shape::sorted(members)))
    }

    async fn list_objects_v2(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let bucket = p.required("Bucket")?;
        let max_keys = max_keys(p)?;
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(p.owned_string("Prefix")?)
            .set_delimiter(delimiter(p)?)
            .set_encoding_type(p.string("EncodingType")?.map(EncodingType::from))
            .set_max_keys(max_keys)
            .set_continuation_token(p.owned_string("ContinuationToken")?)
            .set_start_after(p.owned_string("StartAfter")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Bucket))?;
        Ok(shape::listing(Listing {
            v2: true,
            name: out.name.unwrap_or_else(|| bucket.to_string()),
            prefix: out.prefix.unwrap_or_default(),
            delimiter: out.delimiter.filter(|d| !d.is_empty()),
            encoded: out.encoding_type.is_some(),
            max_keys: out.max_keys.or(max_keys).map_or(MAX_KEYS, i64::from),
            contents: listed(out.contents),
            common_prefixes: prefixes(out.common_prefixes),
            truncated: out.is_truncated.unwrap_or(false),
            continuation_token: out.continuation_token,
            start_after: out.start_after,
            next_continuation_token: out.next_continuation_token,
            ..Listing::default()
        }))
    }

    async fn list_objects(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let bucket = p.required("Bucket")?;
        let max_keys = max_keys(p)?;
        let out = self
            .client
            .list_objects()
            .bucket(bucket)
            .set_prefix(p.owned_string("Prefix")?)
            .set_delimiter(delimiter(p)?)
            .set_encoding_type(p.string("EncodingType")?.map(EncodingType::from))
            .set_max_keys(max_keys)
            .set_marker(p.owned_string("Marker")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Bucket))?;
        Ok(shape::listing(Listing {
            v2: false,
            name: out.name.unwrap_or_else(|| bucket.to_string()),
            prefix: out.prefix.unwrap_or_default(),
            delimiter: out.delimiter.filter(|d| !d.is_empty()),
            encoded: out.encoding_type.is_some(),
            max_keys: out.max_keys.or(max_keys).map_or(MAX_KEYS, i64::from),
            contents: listed(out.contents),
            common_prefixes: prefixes(out.common_prefixes),
            truncated: out.is_truncated.unwrap_or(false),
            marker: out.marker.unwrap_or_default(),
            next_marker: out.next_marker,
            ..Listing::default()
        }))
    }

    async fn head_bucket(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        self.client
            .head_bucket()
            .bucket(p.required("Bucket")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Bucket))?;
        Ok(json!({}))
    }

    async fn create_bucket(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        let name = p.required("Bucket")?;
        // Outside us-east-1, AWS needs the bucket's region; other endpoints ignore it.
        let location = p
            .get("CreateBucketConfiguration")
            .and_then(|c| c.get("LocationConstraint"))
            .and_then(Value::as_str);
        let location = self.create(name, location).await?;
        Ok(json!({ "Location": location.unwrap_or_else(|| format!("/{name}")) }))
    }

    async fn delete_bucket(&self, p: &Params<'_>) -> Result<Value, S3Error> {
        self.client
            .delete_bucket()
            .bucket(p.required("Bucket")?)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Bucket))?;
        Ok(json!({}))
    }

    /// Creates a bucket; answers its `Location`.
    pub(crate) async fn create(
        &self,
        name: &str,
        location: Option<&str>,
    ) -> Result<Option<String>, S3Error> {
        let configuration = location.map(|l| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(l))
                .build()
        });
        let out = self
            .client
            .create_bucket()
            .bucket(name)
            .set_create_bucket_configuration(configuration)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Bucket))?;
        Ok(out.location)
    }

    /// An object's bytes; more than `limit` is refused before they are read.
    pub(crate) async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
        limit: u64,
    ) -> Result<Vec<u8>, S3Error> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        too_large(non_negative(out.content_length), limit)?;
        read_body(out.body).await
    }

    pub(crate) async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), S3Error> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.failed(e, Missing::Key))?;
        Ok(())
    }

    /// Every object under `prefix`, page after page.
    pub(crate) async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Listed>, S3Error> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.failed(e, Missing::Bucket))?;
            objects.extend(listed(out.contents));
            match out.next_continuation_token {
                Some(next) if out.is_truncated == Some(true) => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }
}

fn checksum_mode(p: &Params<'_>) -> Result<bool, S3Error> {
    Ok(matches!(p.string("ChecksumMode")?, Some("ENABLED")))
}

fn non_negative(length: Option<i64>) -> u64 {
    length.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

/// The same refusal local storage gives an object too large to read.
fn too_large(length: u64, limit: u64) -> Result<(), S3Error> {
    if length > limit {
        return Err(S3Error::InvalidRequest(format!(
            "The object is {length} bytes, more than the {limit} bytes a task result can hold."
        )));
    }
    Ok(())
}

async fn read_body(body: ByteStream) -> Result<Vec<u8>, S3Error> {
    match body.collect().await {
        Ok(bytes) => Ok(bytes.into_bytes().to_vec()),
        Err(e) => Err(S3Error::Client(format!(
            "Unable to read the object from the endpoint: {}",
            causes(&e)
        ))),
    }
}

/// An error and its sources, each as it displays itself: `dispatch failure: io error: …:
/// Connection refused (os error 111)`. (The SDK's `DisplayErrorContext` appends the whole
/// error's `Debug` form too, which is no reading for a task's cause.)
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        // Some errors repeat their source's text in their own.
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

fn system_time(t: DateTime) -> Option<SystemTime> {
    SystemTime::try_from(t).ok()
}

fn metadata(metadata: BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!metadata.is_empty()).then(|| metadata.into_iter().collect())
}

/// `MaxKeys`, in the range S3 takes (the same refusal as local storage's).
fn max_keys(p: &Params<'_>) -> Result<Option<i32>, S3Error> {
    p.integer("MaxKeys")?
        .map(|n| {
            i32::try_from(n).ok().filter(|n| *n >= 0).ok_or_else(|| {
                S3Error::InvalidArgument(
                    "Argument maxKeys must be an integer between 0 and 2147483647".into(),
                )
            })
        })
        .transpose()
}

fn delimiter(p: &Params<'_>) -> Result<Option<String>, S3Error> {
    Ok(p.owned_string("Delimiter")?.filter(|d| !d.is_empty()))
}

fn listed(contents: Option<Vec<aws_sdk_s3::types::Object>>) -> Vec<Listed> {
    contents
        .unwrap_or_default()
        .into_iter()
        .map(|o| Listed {
            key: o.key.unwrap_or_default(),
            etag: o.e_tag.unwrap_or_default(),
            last_modified: o
                .last_modified
                .and_then(system_time)
                .unwrap_or(SystemTime::UNIX_EPOCH),
            size: non_negative(o.size),
            storage_class: o
                .storage_class
                .map_or_else(|| "STANDARD".to_string(), |c| c.as_str().to_string()),
        })
        .collect()
}

fn prefixes(prefixes: Option<Vec<aws_sdk_s3::types::CommonPrefix>>) -> Vec<String> {
    prefixes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.prefix)
        .collect()
}
