//! The `aws-sdk:s3` actions over local buckets, with results shaped by [`super::shape`] as
//! Step Functions' AWS SDK integration returns them.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};

use super::error::S3Error;
use super::list::{self, Entry, Marker};
use super::objects::{
    self, Bucket, Digester, Headers, ObjectInfo, WriteCondition, DEFAULT_CONTENT_TYPE,
};
use super::params::{self, Action, Params, Refusal};
use super::paths;
use super::shape;
use super::Failure;

/// The largest object GetObject reads into a task result. The engine refuses results over the
/// execution's payload limit anyway; this only keeps a huge file from being read into memory.
pub(crate) const MAX_GET_BYTES: u64 = 64 * 1024 * 1024;

/// S3's limit for a single CopyObject.
const MAX_COPY_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// S3's default and largest page of a listing.
const MAX_KEYS: i64 = 1000;

/// Runs one action (`getObject`, …, the ARN's lowerCamelCase name).
pub(crate) fn run(root: &Path, action: &str, params: &Value) -> Result<Value, Failure> {
    dispatch(root, action, params).map_err(Refusal::into_failure)
}

/// [`run`] with S3's own error, for the S3 endpoint: a parameter the action does not take is
/// `InvalidArgument`.
pub(crate) fn run_s3(root: &Path, action: &str, params: &Value) -> Result<Value, S3Error> {
    dispatch(root, action, params).map_err(|refusal| match refusal {
        Refusal::UnknownField(cause) => S3Error::InvalidArgument(cause),
        Refusal::S3(e) => e,
    })
}

fn dispatch(root: &Path, action: &str, params: &Value) -> Result<Value, Refusal> {
    let (action, p) = params::read(action, params)?;
    let result = match action {
        Action::GetObject => get_object(root, &p, true),
        Action::HeadObject => get_object(root, &p, false),
        Action::PutObject => put_object(root, &p),
        Action::CopyObject => copy_object(root, &p),
        Action::DeleteObject => delete_object(root, &p),
        Action::ListObjectsV2 => list_objects(root, &p, true),
        Action::ListObjects => list_objects(root, &p, false),
        Action::HeadBucket => head_bucket(root, &p),
        Action::CreateBucket => create_bucket(root, &p),
        Action::DeleteBucket => delete_bucket(root, &p),
    };
    Ok(result?)
}

/// GetObject (`with_body`) and HeadObject.
fn get_object(root: &Path, p: &Params<'_>, with_body: bool) -> Result<Value, S3Error> {
    let bucket = Bucket::open(root, p.required("Bucket")?)?;
    let key = p.required("Key")?;
    let (info, bytes) = if with_body {
        let (info, bytes) = bucket.read(key, MAX_GET_BYTES)?;
        (info, Some(bytes))
    } else {
        (bucket.head(key)?, None)
    };
    if let Some(expected) = p.string("IfMatch")? {
        if !etag_matches(expected, &info) {
            return Err(S3Error::PreconditionFailed);
        }
    }
    if let Some(expected) = p.string("IfNoneMatch")? {
        if etag_matches(expected, &info) {
            return Err(S3Error::NotModified);
        }
    }
    let range = match p.string("Range")? {
        Some(header) => parse_range(header, info.size)?,
        None => None,
    };
    let headers = &info.headers;
    let override_or = |name: &str, stored: &Option<String>| -> Result<Option<String>, S3Error> {
        Ok(p.owned_string(name)?.or_else(|| stored.clone()))
    };
    let checksum = matches!(p.string("ChecksumMode")?, Some("ENABLED")) && range.is_none();
    let (start, end) = range.unwrap_or((0, info.size));
    let answer = shape::ObjectAnswer {
        accept_ranges: Some("bytes".into()),
        cache_control: override_or("ResponseCacheControl", &headers.cache_control)?,
        content_disposition: override_or(
            "ResponseContentDisposition",
            &headers.content_disposition,
        )?,
        content_encoding: override_or("ResponseContentEncoding", &headers.content_encoding)?,
        content_language: override_or("ResponseContentLanguage", &headers.content_language)?,
        content_length: end - start,
        content_range: range
            .map(|_| format!("bytes {start}-{}/{}", end.saturating_sub(1), info.size)),
        content_type: override_or("ResponseContentType", &headers.content_type)?
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string()),
        etag: Some(info.etag()),
        last_modified: Some(info.modified),
        metadata: headers.metadata.clone(),
        server_side_encryption: Some("AES256".into()),
        storage_class: headers.storage_class.clone(),
        checksum_crc32: checksum.then(|| info.crc32.clone()),
        body: bytes.map(|bytes| {
            bytes
                .get(start as usize..end as usize)
                .unwrap_or_default()
                .to_vec()
        }),
    };
    Ok(shape::object(answer))
}

/// An HTTP `Range: bytes=…` header as a half-open byte range. A header that is not a single
/// byte range is ignored (the whole object is returned), as HTTP and S3 do; a range starting
/// past the end is `InvalidRange`.
fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, S3Error> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || size == 0 {
            return Err(S3Error::InvalidRange);
        }
        (size.saturating_sub(suffix), size)
    } else {
        let Ok(start) = first.parse::<u64>() else {
            return Ok(None);
        };
        let end = if last.is_empty() {
            size
        } else {
            match last.parse::<u64>() {
                Ok(l) if l >= start => l.saturating_add(1).min(size),
                _ => return Ok(None),
            }
        };
        if start >= size {
            return Err(S3Error::InvalidRange);
        }
        (start, end)
    };
    Ok(Some(range))
}

fn etag_matches(expected: &str, info: &ObjectInfo) -> bool {
    expected
        .split(',')
        .map(|e| e.trim().trim_matches('"'))
        .any(|e| e == "*" || e == info.md5_hex)
}

/// The headers PutObject and CopyObject (with `REPLACE`) take from the parameters.
pub(crate) fn headers_from(p: &Params<'_>) -> Result<Headers, S3Error> {
    Ok(Headers {
        content_type: p.owned_string("ContentType")?,
        cache_control: p.owned_string("CacheControl")?,
        content_disposition: p.owned_string("ContentDisposition")?,
        content_encoding: p.owned_string("ContentEncoding")?,
        content_language: p.owned_string("ContentLanguage")?,
        storage_class: storage_class(p)?,
        metadata: p.metadata("Metadata")?.unwrap_or_default(),
    })
}

fn storage_class(p: &Params<'_>) -> Result<Option<String>, S3Error> {
    const CLASSES: [&str; 11] = [
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "OUTPOSTS",
        "GLACIER_IR",
        "SNOW",
        "EXPRESS_ONEZONE",
    ];
    match p.string("StorageClass")? {
        None => Ok(None),
        Some(c) if CLASSES.contains(&c) => Ok(Some(c.to_string())),
        Some(_) => Err(S3Error::InvalidArgument(
            "The storage class you specified is not valid".into(),
        )),
    }
}

fn write_condition(p: &Params<'_>) -> Result<WriteCondition, S3Error> {
    Ok(WriteCondition {
        if_match: p.owned_string("IfMatch")?,
        if_none_match: p.owned_string("IfNoneMatch")?,
    })
}

/// The bytes PutObject stores. Step Functions sends the JSON text of `Body` whatever its type:
/// a string keeps its quotes (recorded from AWS: Body "text data" stores `"text data"`, 11
/// bytes).
pub(crate) fn put_body(p: &Params<'_>) -> Vec<u8> {
    match p.get("Body") {
        None => Vec::new(),
        Some(value) => value.to_string().into_bytes(),
    }
}

fn put_object(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    let bucket = Bucket::open(root, p.required("Bucket")?)?;
    let key = p.required("Key")?;
    let body = put_body(p);
    let (md5_hex, crc32) = objects::digest(&body);
    if let Some(expected) = p.string("ContentMD5")? {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(expected)
            .map_err(|_| {
                S3Error::InvalidArgument("The Content-MD5 you specified was invalid.".into())
            })?;
        let hex: String = decoded.iter().map(|b| format!("{b:02x}")).collect();
        if hex != md5_hex {
            return Err(S3Error::InvalidArgument(
                "The Content-MD5 you specified did not match what we received.".into(),
            ));
        }
    }
    if let Some(expected) = p.string("ChecksumCRC32")? {
        if expected != crc32 {
            return Err(S3Error::InvalidArgument(
                "Value for x-amz-checksum-crc32 header is invalid.".into(),
            ));
        }
    }
    let info = bucket.write(key, &body, headers_from(p)?, &write_condition(p)?)?;
    Ok(shape::put(
        Some(info.etag()),
        Some(info.crc32),
        Some("FULL_OBJECT".into()),
        Some("AES256".into()),
    ))
}

fn copy_object(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    let target = Bucket::open(root, p.required("Bucket")?)?;
    let key = p.required("Key")?;
    let source = p.required("CopySource")?;
    let (source_bucket, source_key) = parse_copy_source(source)?;
    let source = Bucket::open(root, &source_bucket)?;
    let (info, mut file) = source.open_read(&source_key)?;
    if info.size > MAX_COPY_BYTES {
        return Err(S3Error::InvalidRequest(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY_BYTES}"
        )));
    }
    if let Some(expected) = p.string("CopySourceIfMatch")? {
        if !etag_matches(expected, &info) {
            return Err(S3Error::PreconditionFailed);
        }
    }
    if let Some(expected) = p.string("CopySourceIfNoneMatch")? {
        if etag_matches(expected, &info) {
            return Err(S3Error::PreconditionFailed);
        }
    }
    let headers = match p.string("MetadataDirective")? {
        None | Some("COPY") => {
            let mut headers = info.headers.clone();
            if let Some(class) = storage_class(p)? {
                headers.storage_class = Some(class);
            }
            headers
        }
        Some("REPLACE") => headers_from(p)?,
        Some(_) => {
            return Err(S3Error::InvalidArgument(
                "Unknown metadata directive.".into(),
            ))
        }
    };
    let same_object = source_bucket == target.name && source_key == key;
    if same_object && p.string("MetadataDirective")? != Some("REPLACE") && headers == info.headers {
        return Err(S3Error::InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself \
             without changing the object's metadata, storage class, website redirect location \
             or encryption attributes."
                .into(),
        ));
    }
    let condition = write_condition(p)?;
    // Copied a piece at a time: a copy of any size costs no memory.
    let mut pending = target.begin_write(key)?;
    let mut digester = Digester::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| S3Error::io(&e))?;
        if n == 0 {
            break;
        }
        digester.update(&buf[..n]);
        pending
            .file_mut()
            .write_all(&buf[..n])
            .map_err(|e| S3Error::io(&e))?;
    }
    let written = target.commit(pending, digester, headers, &condition)?;
    Ok(shape::copy(
        Some(written.etag()),
        Some(written.modified),
        Some("AES256".into()),
    ))
}

/// `CopySource`: `bucket/key` or `/bucket/key`, URL-encoded, without a `?versionId=`.
fn parse_copy_source(source: &str) -> Result<(String, String), S3Error> {
    let invalid = || {
        S3Error::InvalidArgument(
            "Invalid copy source object key: CopySource must be \"bucket/key\".".into(),
        )
    };
    let (path, query) = match source.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (source, None),
    };
    if query.is_some_and(|q| q.starts_with("versionId=")) {
        return Err(S3Error::NotImplemented("CopySource versionId".into()));
    }
    let decoded = list::url_decode(path.strip_prefix('/').unwrap_or(path)).ok_or_else(invalid)?;
    let (bucket, key) = decoded.split_once('/').ok_or_else(invalid)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok((bucket.to_string(), key.to_string()))
}

fn delete_object(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    let bucket = Bucket::open(root, p.required("Bucket")?)?;
    bucket.delete(p.required("Key")?)?;
    Ok(json!({}))
}

/// ListObjectsV2 (`v2`) and ListObjects.
fn list_objects(root: &Path, p: &Params<'_>, v2: bool) -> Result<Value, S3Error> {
    let bucket = Bucket::open(root, p.required("Bucket")?)?;
    let prefix = p.string("Prefix")?.unwrap_or("");
    let delimiter = p.string("Delimiter")?.filter(|d| !d.is_empty());
    let encode = match p.string("EncodingType")? {
        None => false,
        Some("url") => true,
        Some(_) => {
            return Err(S3Error::InvalidArgument(
                "Invalid Encoding Method specified in Request".into(),
            ))
        }
    };
    let max_keys = p.integer("MaxKeys")?.unwrap_or(MAX_KEYS);
    if !(0..=i64::from(i32::MAX)).contains(&max_keys) {
        return Err(S3Error::InvalidArgument(
            "Argument maxKeys must be an integer between 0 and 2147483647".into(),
        ));
    }
    let token = if v2 {
        p.string("ContinuationToken")?
    } else {
        None
    };
    let start_after = if v2 { p.string("StartAfter")? } else { None };
    let v1_marker = if v2 { None } else { p.string("Marker")? };
    let marker = match (token, start_after, v1_marker) {
        (Some(token), _, _) => Some(Marker::from_token(token)?),
        (None, Some(after), _) => Some(Marker::After(after.to_string())),
        (None, None, Some(m)) if delimiter.is_some_and(|d| m.ends_with(d)) => {
            Some(Marker::AfterPrefix(m.to_string()))
        }
        (None, None, Some(m)) => Some(Marker::After(m.to_string())),
        (None, None, None) => None,
    };
    let keys = bucket.keys(prefix)?;
    let page = list::page(
        &keys,
        prefix,
        delimiter,
        marker.as_ref(),
        max_keys.min(MAX_KEYS) as usize,
    );
    let text = |s: &str| {
        if encode {
            list::url_encode(s)
        } else {
            s.to_string()
        }
    };
    let mut contents = Vec::new();
    let mut common_prefixes = Vec::new();
    for entry in &page.entries {
        match entry {
            Entry::Key(key) => {
                let info = match bucket.head(key) {
                    Ok(info) => info,
                    // Deleted since the folder was read: no longer in the listing.
                    Err(S3Error::NoSuchKey) => continue,
                    Err(e) => return Err(e),
                };
                contents.push(listed(text(key), &info));
            }
            Entry::Prefix(prefix) => common_prefixes.push(text(prefix)),
        }
    }
    let last = page.entries.last().filter(|_| page.truncated);
    Ok(shape::listing(shape::Listing {
        v2,
        name: bucket.name,
        prefix: text(prefix),
        delimiter: delimiter.map(text),
        encoded: encode,
        max_keys,
        contents,
        common_prefixes,
        truncated: page.truncated,
        continuation_token: token.map(str::to_string),
        start_after: start_after.map(text),
        next_continuation_token: last.filter(|_| v2).map(Marker::token_after),
        marker: text(v1_marker.unwrap_or("")),
        // S3 returns NextMarker only when a delimiter was given; otherwise the last key is
        // the next marker.
        next_marker: last.filter(|_| !v2 && delimiter.is_some()).map(|entry| {
            let (Entry::Key(name) | Entry::Prefix(name)) = entry;
            text(name)
        }),
    }))
}

/// A local object as a listing describes it.
pub(crate) fn listed(key: String, info: &ObjectInfo) -> shape::Listed {
    shape::Listed {
        key,
        etag: info.etag(),
        last_modified: info.modified,
        size: info.size,
        storage_class: info
            .headers
            .storage_class
            .clone()
            .unwrap_or_else(|| "STANDARD".into()),
    }
}

fn head_bucket(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    Bucket::open(root, p.required("Bucket")?)?;
    Ok(json!({}))
}

fn create_bucket(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    let name = p.required("Bucket")?;
    create_bucket_folder(root, name)?;
    Ok(json!({ "Location": format!("/{name}") }))
}

/// Creates a bucket's folder; `BucketAlreadyOwnedByYou` when it exists.
pub(crate) fn create_bucket_folder(root: &Path, name: &str) -> Result<(), S3Error> {
    paths::check_new_bucket_name(name)?;
    let dir = paths::bucket_dir(root, name)?;
    fs::create_dir_all(root).map_err(|e| S3Error::io(&e))?;
    match fs::create_dir(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(S3Error::BucketAlreadyOwnedByYou)
        }
        Err(e) => Err(S3Error::io(&e)),
    }
}

fn delete_bucket(root: &Path, p: &Params<'_>) -> Result<Value, S3Error> {
    let bucket = Bucket::open(root, p.required("Bucket")?)?;
    remove_folders(bucket.dir())?;
    bucket.remove_meta_dir()?;
    Ok(json!({}))
}

/// Removes a bucket folder holding nothing but folders and the temporary files of interrupted
/// writes; anything else (an object, or any file a person put there) is `BucketNotEmpty`.
/// Nothing is removed from a bucket that is not empty but its empty folders.
fn remove_folders(dir: &Path) -> Result<(), S3Error> {
    for entry in fs::read_dir(dir).map_err(|e| S3Error::io(&e))? {
        let entry = entry.map_err(|e| S3Error::io(&e))?;
        let kind = entry.file_type().map_err(|e| S3Error::io(&e))?;
        if kind.is_dir() {
            remove_folders(&entry.path())?;
        } else if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(paths::TEMP_PREFIX))
        {
            fs::remove_file(entry.path()).map_err(|e| S3Error::io(&e))?;
        } else {
            return Err(S3Error::BucketNotEmpty);
        }
    }
    fs::remove_dir(dir).map_err(|e| S3Error::io(&e))
}
