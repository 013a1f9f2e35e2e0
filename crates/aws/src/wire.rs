//! What crosses between the protocols and the transport: one HTTP request before it is signed,
//! one answer, and a service's error as read from an answer.

use bytes::Bytes;

/// One request as a protocol serialised it: not yet addressed to an endpoint, nor signed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query string, percent-encoded, starting with `/` (`/2015-03-31/functions/f/invocations?Qualifier=1`).
    pub path: String,
    /// Headers the protocol sets (`Content-Type`, `X-Amz-Target`, members bound to headers).
    /// `Host`, `Content-Length` and the signature's headers are the transport's.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Labels put before the endpoint's host name (`data-`), from the operation's host prefix
    /// with its host labels substituted.
    pub host_prefix: Option<String>,
}

/// One answer, whatever its status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    /// Headers in the order received; names as the HTTP library gives them (lower case).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request id the service gave (`x-amzn-RequestId`, `x-amz-request-id`, or the body's).
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-amzn-requestid")
            .or_else(|| self.header("x-amz-request-id"))
    }
}

/// A service's error answer, as the protocol read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceError {
    /// The error code on the wire, without any namespace (`ResourceNotFoundException`,
    /// `InvalidParameter`, `NoSuchKey`).
    pub code: String,
    /// The service's message, when it gave one.
    pub message: Option<String>,
    pub status: u16,
    pub request_id: Option<String>,
    /// S3's `x-amz-id-2`.
    pub extended_request_id: Option<String>,
}
