//! Other AWS JSON services answered on the same `POST /` as Step Functions, told apart by the
//! prefix of `X-Amz-Target` (CloudWatch Logs' `Logs_20140328.<Operation>`, …).

use async_trait::async_trait;

use crate::RequestContext;

/// An error of another service, as its AWS JSON protocol answers it: the status, the code
/// (the body's `__type` and the `x-amzn-ErrorType` header) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ServiceError {
    /// A client error (HTTP 400), the status of every modelled error of these services.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// A service spoken in AWS JSON 1.0 or 1.1 beside Step Functions.
#[async_trait]
pub trait JsonService: Send + Sync {
    /// What precedes `.<Operation>` in `X-Amz-Target`.
    fn target_prefix(&self) -> &'static str;
    /// The service's signing name (the credential scope's service, the IAM action prefix).
    fn signing_name(&self) -> &'static str;
    /// The content type of its responses (`application/x-amz-json-1.1`, …).
    fn content_type(&self) -> &'static str;
    /// The operation of this name, if the service has it (an unknown one is
    /// `UnknownOperationException`).
    fn operation(&self, name: &str) -> Option<&'static str>;
    /// Answers `operation` with `body` (the request's JSON, `{}` when it was empty): the
    /// response body, or the error.
    async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ServiceError>;
}
