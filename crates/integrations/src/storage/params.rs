//! A task's `Parameters` read as one S3 operation's input: each field either used, accepted and
//! ignored (it has no meaning for a local folder: ACLs, encryption, request payer), or refused
//! as not implemented; a field S3's model does not have is refused as AWS refuses it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::S3Error;

/// What one action does with each input field of its S3 operation (member names from S3's
/// service model in botocore, `s3/2006-03-01/service-2.json`).
pub(crate) struct Fields {
    pub used: &'static [&'static str],
    pub ignored: &'static [&'static str],
    pub not_implemented: &'static [&'static str],
}

/// Why parameters were refused before S3 was "called".
pub(crate) enum Refusal {
    /// A field that is not in the operation's input at all: AWS fails the task with
    /// `States.Runtime` and this cause.
    UnknownField(String),
    S3(S3Error),
}

impl From<S3Error> for Refusal {
    fn from(e: S3Error) -> Self {
        Refusal::S3(e)
    }
}

impl Refusal {
    /// `(error, cause)` for a failed task: an unknown field is `States.Runtime`, as AWS fails
    /// it; anything else is S3's error.
    pub(crate) fn into_failure(self) -> (String, String) {
        match self {
            Refusal::UnknownField(cause) => ("States.Runtime".to_string(), cause),
            Refusal::S3(e) => e.into_failure(),
        }
    }
}

/// The `aws-sdk:s3` actions Baton runs, on either backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    GetObject,
    HeadObject,
    PutObject,
    CopyObject,
    DeleteObject,
    ListObjectsV2,
    ListObjects,
    HeadBucket,
    CreateBucket,
    DeleteBucket,
}

impl Action {
    /// The action an ARN names (`getObject`, …, lowerCamelCase); any other is
    /// `NotImplemented`.
    pub(crate) fn parse(name: &str) -> Result<Action, S3Error> {
        Ok(match name {
            "getObject" => Action::GetObject,
            "headObject" => Action::HeadObject,
            "putObject" => Action::PutObject,
            "copyObject" => Action::CopyObject,
            "deleteObject" => Action::DeleteObject,
            "listObjectsV2" => Action::ListObjectsV2,
            "listObjects" => Action::ListObjects,
            "headBucket" => Action::HeadBucket,
            "createBucket" => Action::CreateBucket,
            "deleteBucket" => Action::DeleteBucket,
            other => {
                return Err(S3Error::NotImplemented(format!(
                    "the S3 action '{other}' (Baton implements getObject, headObject, \
                     putObject, copyObject, deleteObject, listObjectsV2, listObjects, headBucket, \
                     createBucket and deleteBucket)"
                )))
            }
        })
    }

    fn fields(self) -> &'static Fields {
        match self {
            Action::GetObject => &GET_OBJECT,
            Action::HeadObject => &HEAD_OBJECT,
            Action::PutObject => &PUT_OBJECT,
            Action::CopyObject => &COPY_OBJECT,
            Action::DeleteObject => &DELETE_OBJECT,
            Action::ListObjectsV2 => &LIST_OBJECTS_V2,
            Action::ListObjects => &LIST_OBJECTS,
            Action::HeadBucket | Action::DeleteBucket => &BUCKET_ONLY,
            Action::CreateBucket => &CREATE_BUCKET,
        }
    }
}

/// The action `name` names and its parameters, checked against its S3 operation: the one
/// validation both backends run before anything reaches a folder or an endpoint.
pub(crate) fn read<'a>(name: &str, params: &'a Value) -> Result<(Action, Params<'a>), Refusal> {
    let action = Action::parse(name)?;
    Ok((action, Params::read(params, action.fields())?))
}

pub(crate) struct Params<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    /// Checks every field of `params` against `fields`.
    pub(crate) fn read(params: &'a Value, fields: &Fields) -> Result<Params<'a>, Refusal> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let map = match params {
            Value::Object(map) => map,
            Value::Null => EMPTY.get_or_init(Map::new),
            _ => {
                return Err(Refusal::S3(S3Error::InvalidArgument(
                    "The task's parameters must be a JSON object.".into(),
                )))
            }
        };
        for name in map.keys() {
            let name = name.as_str();
            if fields.used.contains(&name) || fields.ignored.contains(&name) {
                continue;
            }
            if fields.not_implemented.contains(&name) {
                return Err(Refusal::S3(S3Error::NotImplemented(name.to_string())));
            }
            return Err(Refusal::UnknownField(format!(
                "The field \"{name}\" is not supported by Step Functions"
            )));
        }
        Ok(Params { map })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<&'a str>, S3Error> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub(crate) fn owned_string(&self, name: &str) -> Result<Option<String>, S3Error> {
        Ok(self.string(name)?.map(str::to_string))
    }

    pub(crate) fn required(&self, name: &str) -> Result<&'a str, S3Error> {
        self.string(name)?
            .ok_or_else(|| S3Error::InvalidArgument(format!("The parameter '{name}' is required.")))
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, S3Error> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    /// A map of strings (`Metadata`), keys lower-cased as S3 stores them.
    pub(crate) fn metadata(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, S3Error> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Object(map) = value else {
            return Err(wrong_type(name, "an object of strings"));
        };
        let mut out = BTreeMap::new();
        for (k, v) in map {
            let Value::String(v) = v else {
                return Err(wrong_type(&format!("{name}.{k}"), "a string"));
            };
            out.insert(k.to_lowercase(), v.clone());
        }
        Ok(Some(out))
    }
}

fn wrong_type(name: &str, expected: &str) -> S3Error {
    S3Error::InvalidArgument(format!("The parameter '{name}' must be {expected}."))
}

const SSE_C: [&str; 3] = [
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
];

pub(crate) const GET_OBJECT: Fields = Fields {
    used: &[
        "Bucket",
        "Key",
        "IfMatch",
        "IfNoneMatch",
        "Range",
        "ResponseCacheControl",
        "ResponseContentDisposition",
        "ResponseContentEncoding",
        "ResponseContentLanguage",
        "ResponseContentType",
        "ChecksumMode",
    ],
    ignored: &["RequestPayer", "ExpectedBucketOwner"],
    not_implemented: &[
        "IfModifiedSince",
        "IfUnmodifiedSince",
        "ResponseExpires",
        "VersionId",
        "PartNumber",
        SSE_C[0],
        SSE_C[1],
        SSE_C[2],
    ],
};

pub(crate) const HEAD_OBJECT: Fields = GET_OBJECT;

pub(crate) const PUT_OBJECT: Fields = Fields {
    used: &[
        "Body",
        "Bucket",
        "Key",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "ContentType",
        "ContentMD5",
        "ChecksumCRC32",
        "Metadata",
        "StorageClass",
        "IfMatch",
        "IfNoneMatch",
    ],
    ignored: &[
        "ACL",
        "ContentLength",
        "ChecksumAlgorithm",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWriteACP",
        "ServerSideEncryption",
        "SSEKMSKeyId",
        "SSEKMSEncryptionContext",
        "BucketKeyEnabled",
        "RequestPayer",
        "Tagging",
        "ExpectedBucketOwner",
    ],
    not_implemented: &[
        "ChecksumCRC32C",
        "ChecksumCRC64NVME",
        "ChecksumSHA1",
        "ChecksumSHA256",
        "ChecksumSHA512",
        "ChecksumMD5",
        "ChecksumXXHASH64",
        "ChecksumXXHASH3",
        "ChecksumXXHASH128",
        "Expires",
        "WriteOffsetBytes",
        "WebsiteRedirectLocation",
        "ObjectLockMode",
        "ObjectLockRetainUntilDate",
        "ObjectLockLegalHoldStatus",
        SSE_C[0],
        SSE_C[1],
        SSE_C[2],
    ],
};

pub(crate) const COPY_OBJECT: Fields = Fields {
    used: &[
        "Bucket",
        "Key",
        "CopySource",
        "CopySourceIfMatch",
        "CopySourceIfNoneMatch",
        "MetadataDirective",
        "CacheControl",
        "ContentDisposition",
        "ContentEncoding",
        "ContentLanguage",
        "ContentType",
        "Metadata",
        "StorageClass",
        "IfMatch",
        "IfNoneMatch",
    ],
    ignored: &[
        "ACL",
        "ChecksumAlgorithm",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWriteACP",
        "ServerSideEncryption",
        "SSEKMSKeyId",
        "SSEKMSEncryptionContext",
        "BucketKeyEnabled",
        "RequestPayer",
        "Tagging",
        "TaggingDirective",
        "ExpectedBucketOwner",
        "ExpectedSourceBucketOwner",
    ],
    not_implemented: &[
        "CopySourceIfModifiedSince",
        "CopySourceIfUnmodifiedSince",
        "Expires",
        "WebsiteRedirectLocation",
        "ObjectLockMode",
        "ObjectLockRetainUntilDate",
        "ObjectLockLegalHoldStatus",
        "CopySourceSSECustomerAlgorithm",
        "CopySourceSSECustomerKey",
        "CopySourceSSECustomerKeyMD5",
        SSE_C[0],
        SSE_C[1],
        SSE_C[2],
    ],
};

pub(crate) const DELETE_OBJECT: Fields = Fields {
    used: &["Bucket", "Key"],
    ignored: &[
        "MFA",
        "RequestPayer",
        "BypassGovernanceRetention",
        "ExpectedBucketOwner",
    ],
    not_implemented: &[
        "VersionId",
        "IfMatch",
        "IfMatchLastModifiedTime",
        "IfMatchSize",
    ],
};

pub(crate) const LIST_OBJECTS_V2: Fields = Fields {
    used: &[
        "Bucket",
        "Delimiter",
        "EncodingType",
        "MaxKeys",
        "Prefix",
        "ContinuationToken",
        "StartAfter",
    ],
    ignored: &[
        "FetchOwner",
        "RequestPayer",
        "ExpectedBucketOwner",
        "OptionalObjectAttributes",
    ],
    not_implemented: &[],
};

pub(crate) const LIST_OBJECTS: Fields = Fields {
    used: &[
        "Bucket",
        "Delimiter",
        "EncodingType",
        "Marker",
        "MaxKeys",
        "Prefix",
    ],
    ignored: &[
        "RequestPayer",
        "ExpectedBucketOwner",
        "OptionalObjectAttributes",
    ],
    not_implemented: &[],
};

pub(crate) const BUCKET_ONLY: Fields = Fields {
    used: &["Bucket"],
    ignored: &["ExpectedBucketOwner"],
    not_implemented: &[],
};

pub(crate) const CREATE_BUCKET: Fields = Fields {
    used: &["Bucket"],
    ignored: &[
        "ACL",
        "CreateBucketConfiguration",
        "GrantFullControl",
        "GrantRead",
        "GrantReadACP",
        "GrantWrite",
        "GrantWriteACP",
        "ObjectOwnership",
        "BucketNamespace",
    ],
    not_implemented: &["ObjectLockEnabledForBucket"],
};
