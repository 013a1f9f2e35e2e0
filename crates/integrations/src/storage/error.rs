//! S3's errors as Step Functions' AWS SDK integration reports them.
//!
//! AWS names an SDK-integration error `<ServiceName>.<ExceptionName>`, the exception being the
//! Java SDK's class: `S3.NoSuchKeyException`, `S3.NoSuchBucketException` for the codes S3's model
//! declares, `S3.S3Exception` for every other code. The cause is S3's message followed by the
//! SDK's `(Service: S3, Status Code: …, Request ID: …, Extended Request ID: …)`. Both are as
//! recorded from AWS in the conformance corpus (`error-handling-s3-no-such-key`,
//! `error-handling-no-such-bucket`).
//!
//! An S3-compatible endpoint's errors (`[storage] endpoint`) keep the endpoint's code, status,
//! message and request ids and are named by the same rule; a request that got no answer at all
//! (connection refused, timed out) is the SDK's `S3.SdkClientException` with the cause.

use base64::Engine as _;

/// One failed S3 request: the S3 error code, its HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum S3Error {
    NoSuchKey,
    NoSuchBucket,
    /// A bucket name that cannot name a folder (or, for `create_bucket`, breaks S3's rules).
    InvalidBucketName(String),
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    KeyTooLong,
    /// A key S3 accepts but a folder of files cannot hold safely (`..`, empty segments, …).
    UnsupportedKey {
        key: String,
        reason: &'static str,
    },
    /// A key resolves outside its bucket's folder (a symbolic link pointing out).
    AccessDenied,
    InvalidArgument(String),
    InvalidRequest(String),
    /// A parameter S3 knows that this local storage does not implement.
    NotImplemented(String),
    PreconditionFailed,
    NotModified,
    InvalidRange,
    /// A key that is both an object and a folder of other keys: S3 allows it, files cannot.
    Conflict(String),
    Internal(String),
    /// An error an S3-compatible endpoint answered.
    Remote(Box<RemoteError>),
    /// A request to the endpoint that got no answer (or one that could not be read): the cause.
    Client(String),
}

/// One error answer of an S3-compatible endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteError {
    pub code: String,
    pub status: u16,
    pub message: String,
    pub request_id: Option<String>,
    pub extended_request_id: Option<String>,
}

/// The error codes S3's service model declares: the Java SDK (which Step Functions uses) has
/// an exception class for each, `S3.<Code>Exception`; every other code is `S3.S3Exception`.
const MODELED_CODES: [&str; 12] = [
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "EncryptionTypeMismatch",
    "InvalidObjectState",
    "InvalidRequest",
    "InvalidWriteOffset",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "ObjectAlreadyInActiveTierError",
    "ObjectNotInActiveTierError",
    "TooManyParts",
];

impl S3Error {
    /// S3's error code (the `<Code>` of its XML error).
    pub(crate) fn code(&self) -> &str {
        match self {
            S3Error::NoSuchKey => "NoSuchKey",
            S3Error::NoSuchBucket => "NoSuchBucket",
            S3Error::InvalidBucketName(_) => "InvalidBucketName",
            S3Error::BucketAlreadyOwnedByYou => "BucketAlreadyOwnedByYou",
            S3Error::BucketNotEmpty => "BucketNotEmpty",
            S3Error::KeyTooLong => "KeyTooLongError",
            S3Error::UnsupportedKey { .. } | S3Error::InvalidArgument(_) => "InvalidArgument",
            S3Error::AccessDenied => "AccessDenied",
            S3Error::InvalidRequest(_) => "InvalidRequest",
            S3Error::NotImplemented(_) => "NotImplemented",
            S3Error::PreconditionFailed => "PreconditionFailed",
            S3Error::NotModified => "NotModified",
            S3Error::InvalidRange => "InvalidRange",
            S3Error::Conflict(_) => "OperationAborted",
            S3Error::Internal(_) | S3Error::Client(_) => "InternalError",
            S3Error::Remote(e) => &e.code,
        }
    }

    pub(crate) fn status(&self) -> u16 {
        match self {
            S3Error::NoSuchKey | S3Error::NoSuchBucket => 404,
            S3Error::AccessDenied => 403,
            S3Error::BucketAlreadyOwnedByYou | S3Error::BucketNotEmpty | S3Error::Conflict(_) => {
                409
            }
            S3Error::PreconditionFailed => 412,
            S3Error::NotModified => 304,
            S3Error::InvalidRange => 416,
            S3Error::NotImplemented(_) => 501,
            S3Error::Internal(_) | S3Error::Client(_) => 500,
            S3Error::Remote(e) => e.status,
            S3Error::InvalidBucketName(_)
            | S3Error::KeyTooLong
            | S3Error::UnsupportedKey { .. }
            | S3Error::InvalidArgument(_)
            | S3Error::InvalidRequest(_) => 400,
        }
    }

    /// S3's message for the code (AWS's wording where S3 has one).
    pub(crate) fn message(&self) -> String {
        match self {
            S3Error::NoSuchKey => "The specified key does not exist.".into(),
            S3Error::NoSuchBucket => "The specified bucket does not exist".into(),
            S3Error::InvalidBucketName(why) => format!("The specified bucket is not valid. {why}"),
            S3Error::BucketAlreadyOwnedByYou => {
                "Your previous request to create the named bucket succeeded and you already own it."
                    .into()
            }
            S3Error::BucketNotEmpty => "The bucket you tried to delete is not empty".into(),
            S3Error::KeyTooLong => "Your key is too long".into(),
            S3Error::UnsupportedKey { key, reason } => {
                format!("Local storage cannot hold the key '{key}': {reason}.")
            }
            S3Error::AccessDenied => "Access Denied".into(),
            S3Error::InvalidArgument(m) | S3Error::InvalidRequest(m) => m.clone(),
            S3Error::NotImplemented(what) => format!(
                "A header you provided implies functionality that is not implemented: {what}"
            ),
            S3Error::PreconditionFailed => {
                "At least one of the pre-conditions you specified did not hold".into()
            }
            S3Error::NotModified => "Not Modified".into(),
            S3Error::InvalidRange => "The requested range is not satisfiable".into(),
            S3Error::Conflict(m) => m.clone(),
            S3Error::Internal(m) => format!("We encountered an internal error: {m}"),
            S3Error::Remote(e) => e.message.clone(),
            S3Error::Client(cause) => cause.clone(),
        }
    }

    /// The error name Retry and Catch match: the Java SDK's exception for the codes S3's
    /// service model declares (`NoSuchKey`, `NoSuchBucket`, `InvalidRequest`,
    /// `BucketAlreadyOwnedByYou`, …), `S3Exception` for the rest, `SdkClientException` when
    /// no answer came.
    pub(crate) fn error_name(&self) -> String {
        match self {
            S3Error::Client(_) => "S3.SdkClientException".into(),
            _ if MODELED_CODES.contains(&self.code()) => format!("S3.{}Exception", self.code()),
            _ => "S3.S3Exception".into(),
        }
    }

    /// `(error, cause)` for a failed task.
    pub(crate) fn into_failure(self) -> (String, String) {
        let (request_id, extended) = match &self {
            // The Java SDK's client exceptions carry only their message.
            S3Error::Client(cause) => return (self.error_name(), cause.clone()),
            S3Error::Remote(e) => {
                let (made_up, made_up_extended) = request_ids();
                (
                    e.request_id.clone().unwrap_or(made_up),
                    e.extended_request_id.clone().unwrap_or(made_up_extended),
                )
            }
            _ => request_ids(),
        };
        let cause = format!(
            "{} (Service: S3, Status Code: {}, Request ID: {request_id}, Extended Request ID: {extended})",
            self.message(),
            self.status(),
        );
        (self.error_name(), cause)
    }

    pub(crate) fn io(e: &std::io::Error) -> S3Error {
        S3Error::Internal(e.to_string())
    }
}

/// S3-looking request ids: 16 upper-case hex digits, and a base64 extended id.
fn request_ids() -> (String, String) {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    let id = a.simple().to_string()[..16].to_ascii_uppercase();
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(a.as_bytes());
    bytes.extend_from_slice(b.as_bytes());
    (id, base64::engine::general_purpose::STANDARD.encode(bytes))
}
